// The JSON result format (schema "cancelcheck-result", version 1): what `--json` writes and
// `cancelcheck replay` reads back. Documented field by field in docs/json-schema.md.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "checker/result.h"

namespace cc::reports {

/// The schema name written to and required in every document.
inline constexpr std::string_view kJsonSchemaName = "cancelcheck-result";
/// The schema version this build writes and reads.
inline constexpr int kJsonSchemaVersion = 2;
/// The oldest version a reader accepts (version 1 has no lassos and no liveness fields).
inline constexpr int kJsonSchemaOldestVersion = 1;

/// parse_run_result rejects a document nested deeper than this (arrays and objects; a
/// cancelcheck document is at most 8 deep).
inline constexpr std::size_t kMaxJsonDepth = 64;

/// The deepest nesting of arrays and objects in JSON text, counting brackets outside
/// strings; no recursion, any input. Malformed text gets a best-effort count.
std::size_t json_nesting_depth(std::string_view text);

/// Serialization switches.
struct JsonOptions {
  bool timings = true;  ///< write seconds, z3_seconds and peak_memory_bytes (off = byte-stable)
};

/// Thrown by run_result_from_json when a document does not match the schema; the message
/// names the JSON pointer of the offending field.
class JsonSchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The whole run as a schema-versioned JSON document.
nlohmann::json to_json(const RunResult& run, const JsonOptions& options = {});

/// Reads a document written by to_json; throws JsonSchemaError on a wrong schema name or
/// version, a missing required field or a field of the wrong type.
RunResult run_result_from_json(const nlohmann::json& document);

/// to_json serialized with two-space indentation and a final newline.
std::string render_json(const RunResult& run, const JsonOptions& options = {});

/// Parses text and reads it with run_result_from_json; throws JsonSchemaError on malformed
/// JSON too, and on nesting deeper than kMaxJsonDepth (checked before parsing).
RunResult parse_run_result(std::string_view text);

}  // namespace cc::reports
