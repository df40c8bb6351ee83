// Baselines: accepted known violations, keyed by a stable fingerprint, so CI can gate on new
// violations only. The file format (schema "cancelcheck-baseline", version 2) is in
// docs/reports.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checker/result.h"
#include "reports/source_root.h"

namespace cc::reports {

/// One accepted violation; everything but the fingerprint is there for people reviewing the file.
struct BaselineEntry {
  std::string fingerprint;  ///< violation_fingerprint(): what matching uses
  std::string rule;         ///< "CR001"
  std::string spec;         ///< spec path relative to the source root
  uint32_t line = 0;        ///< reported line when the baseline was written (informational)
  std::string message;      ///< the violation's message (informational)
  friend bool operator==(const BaselineEntry&, const BaselineEntry&) = default;
};

/// A set of accepted violations, sorted by (fingerprint, spec, line, message).
struct Baseline {
  std::vector<BaselineEntry> entries;  ///< accepted violations
  friend bool operator==(const Baseline&, const Baseline&) = default;
};

/// How apply_baseline treats accepted violations.
enum class BaselineMode : uint8_t {
  Mark,    ///< keep them, set Violation::accepted (reports show them as accepted)
  Remove,  ///< drop them; a spec left without violations gets the Pass verdict
};

/// What apply_baseline matched.
struct BaselineOutcome {
  std::size_t accepted = 0;          ///< violations matched by a baseline entry
  std::size_t new_violations = 0;    ///< violations not in the baseline
  std::vector<BaselineEntry> stale;  ///< entries that matched nothing (fixed; prune them)
};

/// Stable identity of a violation: the 128-bit XXH3 hash (32 hex digits) of rule id, spec path
/// relative to `root` ('/' separators), the violating source line's text (or its number when
/// no text) and the message with whitespace collapsed and digit runs normalised. No timings,
/// state counts, trace details or working directory.
std::string violation_fingerprint(const SpecResult& spec, const Violation& violation,
                                  const SourceRoot& root = {});

/// A baseline accepting every violation of the run; spec paths relative to `root`.
Baseline make_baseline(const RunResult& run, const SourceRoot& root = {});

/// Matches the run's violations against the baseline (each entry accepts one violation) and
/// marks or removes the accepted ones; fingerprints are taken relative to `root`.
BaselineOutcome apply_baseline(RunResult& run, const Baseline& baseline,
                               BaselineMode mode = BaselineMode::Mark, const SourceRoot& root = {});

/// Number of violations in the run not accepted by a baseline (what a CI gate counts).
std::size_t count_new_violations(const RunResult& run);

/// The baseline as a JSON document ("schema": "cancelcheck-baseline", "version": 2).
nlohmann::json baseline_to_json(const Baseline& baseline);

/// baseline_to_json serialized with two-space indentation and a final newline.
std::string render_baseline(const Baseline& baseline);

/// Reads a baseline document; throws std::runtime_error naming the field on a mismatch.
Baseline baseline_from_json(const nlohmann::json& document);

/// Parses baseline text; throws std::runtime_error on malformed JSON or a schema mismatch.
Baseline parse_baseline(std::string_view text);

}  // namespace cc::reports
