// The JSON trace reader against hostile documents (deep nesting, huge values in error
// messages) and the fields that make a document replayable exactly: path_bytes for a spec
// path that is not UTF-8, spec_hash. docs/json-schema.md.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "reports/json.h"

namespace cc::reports {
namespace {

RunResult one_spec(std::string path) {
  RunResult run;
  run.tool_version = "0.1.0";
  SpecResult s;
  s.path = std::move(path);
  run.specs.push_back(s);
  return run;
}

TEST(JsonHardening, NonUtf8PathRoundTripsThroughPathBytes) {
  const std::string path = std::string("specs/r\xff\xfe") + "ad.spec";
  const std::string text = render_json(one_spec(path));
  const nlohmann::json doc = nlohmann::json::parse(text);  // valid UTF-8 JSON
  EXPECT_EQ(doc["specs"][0]["path"],
            "specs/r\xEF\xBF\xBD\xEF\xBF\xBD"
            "ad.spec");
  EXPECT_EQ(doc["specs"][0]["path_bytes"], "73706563732f72fffe61642e73706563");
  EXPECT_EQ(parse_run_result(text).specs[0].path, path);
  // The rendering is stable: parse → render gives the same text.
  EXPECT_EQ(render_json(parse_run_result(text)), text);
}

TEST(JsonHardening, Utf8PathHasNoPathBytes) {
  const std::string text = render_json(one_spec("specs/caf\xC3\xA9.spec"));
  EXPECT_EQ(text.find("path_bytes"), std::string::npos);
  EXPECT_EQ(parse_run_result(text).specs[0].path, "specs/caf\xC3\xA9.spec");
}

TEST(JsonHardening, MalformedPathBytesIsASchemaError) {
  nlohmann::json doc = nlohmann::json::parse(render_json(one_spec("a.spec")));
  for (const char* bad : {"abc", "zz", "0g"}) {
    doc["specs"][0]["path_bytes"] = bad;
    try {
      parse_run_result(doc.dump());
      ADD_FAILURE() << bad << " accepted";
    } catch (const JsonSchemaError& e) {
      EXPECT_NE(std::string(e.what()).find("/specs/0/path_bytes"), std::string::npos) << e.what();
    }
  }
}

TEST(JsonHardening, SpecHashRoundTripsAndIsOptional) {
  RunResult run = one_spec("a.spec");
  run.specs[0].spec_hash = spec_content_hash("spec \"x\";\n");
  EXPECT_EQ(run.specs[0].spec_hash.rfind("xxh64:", 0), 0U);
  const std::string text = render_json(run);
  EXPECT_EQ(parse_run_result(text).specs[0].spec_hash, run.specs[0].spec_hash);
  EXPECT_EQ(render_json(one_spec("a.spec")).find("spec_hash"), std::string::npos);
  EXPECT_EQ(parse_run_result(render_json(one_spec("a.spec"))).specs[0].spec_hash, "");
}

TEST(JsonHardening, SpecContentHashIsXxh64OfTheBytes) {
  // Reference values of XXH64 with seed 0 (as `xxhsum -H64` prints them).
  EXPECT_EQ(spec_content_hash(""), "xxh64:ef46db3751d8e999");
  EXPECT_EQ(spec_content_hash("a"), "xxh64:d24ec4f1a98c6e5b");
  EXPECT_NE(spec_content_hash("a"), spec_content_hash("b"));
}

TEST(JsonHardening, NestingDepthIsCountedOutsideStrings) {
  EXPECT_EQ(json_nesting_depth("{}"), 1U);
  EXPECT_EQ(json_nesting_depth("{\"a\": [[1], {\"b\": []}]}"), 4U);
  EXPECT_EQ(json_nesting_depth("{\"a\": \"[[[[[\\\"[[[\"}"), 1U);
  EXPECT_EQ(json_nesting_depth(std::string(100000, '[')), 100000U);
}

TEST(JsonHardening, DeepVersionIsRejectedBeforeParsingWithAShortMessage) {
  const std::string deep = std::string(400000, '[') + std::string(400000, ']');
  const std::string text = "{\"schema\": \"cancelcheck-result\", \"version\": " + deep +
                           ", \"tool_version\": \"x\", \"specs\": []}";
  try {
    parse_run_result(text);
    ADD_FAILURE() << "accepted";
  } catch (const JsonSchemaError& e) {
    EXPECT_LT(std::string(e.what()).size(), 200U);
  }
  // Just within the bound, a wrong version is described, not dumped.
  const std::string shallow =
      std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  try {
    parse_run_result("{\"schema\": \"cancelcheck-result\", \"version\": " + shallow + "}");
    ADD_FAILURE() << "accepted";
  } catch (const JsonSchemaError& e) {
    EXPECT_NE(std::string(e.what()).find("found an array"), std::string::npos) << e.what();
  }
}

TEST(JsonHardening, HugeStringsFromTheDocumentAreCutInMessages) {
  nlohmann::json doc = nlohmann::json::parse(render_json(one_spec("a.spec")));
  doc["specs"][0]["verdict"] = std::string(100000, 'v');
  try {
    parse_run_result(doc.dump());
    ADD_FAILURE() << "accepted";
  } catch (const JsonSchemaError& e) {
    EXPECT_LT(std::string(e.what()).size(), 400U);
  }
  doc = nlohmann::json::parse(render_json(one_spec("a.spec")));
  doc["version"] = std::string(100000, '9');
  try {
    parse_run_result(doc.dump());
    ADD_FAILURE() << "accepted";
  } catch (const JsonSchemaError& e) {
    EXPECT_LT(std::string(e.what()).size(), 400U);
  }
}

}  // namespace
}  // namespace cc::reports
