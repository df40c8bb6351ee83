#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reports/json.h"
#include "tests/reports/fixture.h"

namespace cc::reports {
namespace {

// Field-by-field equality of the result model.
bool same(const ResultLoc& a, const ResultLoc& b);
bool same(const ObjectView& a, const ObjectView& b);
bool same(const TraceStep& a, const TraceStep& b);
bool same(const Violation& a, const Violation& b);
bool same(const Stats& a, const Stats& b);
bool same(const SpecResult& a, const SpecResult& b);
template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}

bool same(const ResultLoc& a, const ResultLoc& b) {
  return a.file == b.file && a.line == b.line && a.col == b.col && a.source == b.source;
}
bool same(const ObjectView& a, const ObjectView& b) {
  return a.name == b.name && a.kind == b.kind && a.fields == b.fields;
}
bool same(const TraceStep& a, const TraceStep& b) {
  return a.activity == b.activity && a.activity_name == b.activity_name && a.actor == b.actor &&
         a.action == b.action && a.result == b.result && a.note == b.note && same(a.loc, b.loc) &&
         a.choice == b.choice && a.symbolic_values == b.symbolic_values &&
         same(a.objects, b.objects);
}
bool same(const Violation& a, const Violation& b) {
  return a.rule == b.rule && a.message == b.message && a.headline == b.headline &&
         same(a.loc, b.loc) && same(a.trace, b.trace) && a.violating_step == b.violating_step &&
         a.racing_steps == b.racing_steps && a.replayed == b.replayed && a.accepted == b.accepted;
}
bool same(const Stats& a, const Stats& b) {
  return a.states == b.states && a.transitions == b.transitions && a.max_depth == b.max_depth &&
         a.state_bytes == b.state_bytes && a.peak_memory_bytes == b.peak_memory_bytes &&
         a.seconds == b.seconds && a.z3_queries == b.z3_queries && a.z3_cached == b.z3_cached &&
         a.z3_seconds == b.z3_seconds;
}
bool same(const SpecResult& a, const SpecResult& b) {
  return a.path == b.path && a.title == b.title && a.verdict == b.verdict &&
         same(a.violations, b.violations) && same(a.stats, b.stats) &&
         a.incomplete_reason == b.incomplete_reason && a.error == b.error &&
         a.checked_rules == b.checked_rules;
}
bool same(const RunResult& a, const RunResult& b) {
  return a.tool_version == b.tool_version && same(a.specs, b.specs);
}

TEST(JsonReport, RoundTripIsExact) {
  RunResult run = test::sample_run();
  run.specs[0].violations[0].trace[3].choice = 7;
  run.specs[0].violations[0].trace[3].symbolic_values = {{"len", "4096"}, {"flags", "0x2"}};
  run.specs[0].violations[0].accepted = true;
  run.specs[0].stats.seconds = 0.1 + 0.2;  // not exactly representable in decimal
  run.specs[1].violations[0].violating_step.reset();
  std::string text = render_json(run);
  RunResult back = parse_run_result(text);
  EXPECT_TRUE(same(back, run));
  EXPECT_EQ(render_json(back), text);
}

TEST(JsonReport, LassosAndLivenessRoundTrip) {
  RunResult run = test::sample_run();
  Violation& v = run.specs[0].violations[0];
  v.loop_start = StepIndex{3};
  v.stays = "req#1";
  v.stays_blocked = false;
  run.specs[0].liveness = LivenessRun::Checked;
  run.specs[0].stats.cyclic_states = 12;
  run.specs[0].stats.concrete_states = 20;
  run.specs[1].liveness = LivenessRun::NotChecked;
  run.specs[1].liveness_note = "hash compaction keeps no graph to look for cycles in";
  nlohmann::json j = to_json(run);
  EXPECT_EQ(j["specs"][0]["violations"][0]["loop"]["start_step"], 3);
  EXPECT_EQ(j["specs"][0]["violations"][0]["loop"]["stays"], "req#1");
  EXPECT_FALSE(j["specs"][0]["violations"].back().contains("loop") &&
               run.specs[0].violations.size() > 1);
  const RunResult back = parse_run_result(render_json(run));
  const Violation& w = back.specs[0].violations[0];
  ASSERT_TRUE(w.loop_start.has_value());
  EXPECT_EQ(w.loop_start->value, 3U);
  EXPECT_EQ(w.stays, "req#1");
  EXPECT_FALSE(w.stays_blocked);
  EXPECT_EQ(back.specs[0].liveness, LivenessRun::Checked);
  EXPECT_EQ(back.specs[0].stats.cyclic_states, 12U);
  EXPECT_EQ(back.specs[0].stats.concrete_states, 20U);
  EXPECT_EQ(back.specs[1].liveness, LivenessRun::NotChecked);
  EXPECT_EQ(back.specs[1].liveness_note, run.specs[1].liveness_note);
  // A loop start past the trace is a schema error; a version 1 document still reads.
  j["specs"][0]["violations"][0]["loop"]["start_step"] = 1000;
  EXPECT_THROW(run_result_from_json(j), JsonSchemaError);
  j["specs"][0]["violations"][0].erase("loop");
  j["version"] = 1;
  EXPECT_NO_THROW(run_result_from_json(j));
}

TEST(JsonReport, VersionedSchemaHeader) {
  nlohmann::json j = to_json(test::sample_run());
  EXPECT_EQ(j["schema"], "cancelcheck-result");
  EXPECT_EQ(j["version"], 2);
  const auto& v = j["specs"][0]["violations"][0];
  EXPECT_EQ(v["rule"], "CR001");
  EXPECT_EQ(v["rule_name"], "double-completion");
  EXPECT_EQ(v["violating_step"], 8);
  EXPECT_EQ(v["trace"][0]["actor"], "originator");
  EXPECT_EQ(v["trace"][2]["objects"][0]["fields"][2]["name"], "cancelable");
}

TEST(JsonReport, TimingsCanBeLeftOutForByteIdenticalOutput) {
  RunResult a = test::sample_run();
  RunResult b = test::sample_run();
  b.specs[0].stats.seconds = 99.0;
  b.specs[0].stats.peak_memory_bytes = 12345;
  b.specs[1].stats.z3_seconds = 3.0;
  JsonOptions no_time;
  no_time.timings = false;
  EXPECT_EQ(render_json(a, no_time), render_json(b, no_time));
  EXPECT_NE(render_json(a), render_json(b));
  EXPECT_EQ(render_json(a, no_time).find("seconds"), std::string::npos);
  // Reading a document without timings gives zeros.
  RunResult back = parse_run_result(render_json(b, no_time));
  EXPECT_EQ(back.specs[0].stats.seconds, 0.0);
  EXPECT_EQ(back.specs[0].stats.states, 1234U);
}

void expect_schema_error(const nlohmann::json& doc, const std::string& fragment) {
  try {
    run_result_from_json(doc);
    ADD_FAILURE() << "no error for " << doc.dump();
  } catch (const JsonSchemaError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(JsonReport, SchemaMismatchesAreClearErrors) {
  nlohmann::json good = to_json(test::sample_run());
  nlohmann::json j = good;
  j["schema"] = "something-else";
  expect_schema_error(j, "/schema");
  j = good;
  j["version"] = 3;
  expect_schema_error(j, "reads versions 1 to 2, found 3");
  j["version"] = 0;
  expect_schema_error(j, "reads versions 1 to 2, found 0");
  j = good;
  j["specs"][0]["violations"][0]["trace"][4].erase("activity_name");
  expect_schema_error(j, "/specs/0/violations/0/trace/4: missing required field \"activity_name\"");
  j = good;
  j["specs"][0]["violations"][0]["trace"][1]["actor"] = "martian";
  expect_schema_error(j, "unknown actor \"martian\"");
  j = good;
  j["specs"][0]["violations"][0]["rule"] = "CR999";
  expect_schema_error(j, "unknown rule id \"CR999\"");
  j = good;
  j["specs"][1]["violations"][0]["racing_steps"][0] = 42;
  expect_schema_error(j, "step index beyond the trace");
  j = good;
  j["specs"][0]["stats"]["states"] = -1;
  expect_schema_error(j, "/specs/0/stats/states: expected a non-negative integer");
  j = good;
  j["specs"][0]["violations"][0]["loc"]["line"] = "31";
  expect_schema_error(j, "/specs/0/violations/0/loc/line");
  j = good;
  j["specs"][2]["verdict"] = "maybe";
  expect_schema_error(j, "unknown verdict");
  EXPECT_THROW(parse_run_result("{ not json"), JsonSchemaError);
  EXPECT_THROW(parse_run_result("[]"), JsonSchemaError);
}

TEST(JsonReport, UnknownFieldsAreIgnored) {
  nlohmann::json j = to_json(test::sample_run());
  j["specs"][0]["future_field"] = {1, 2, 3};
  EXPECT_TRUE(same(run_result_from_json(j), test::sample_run()));
}

TEST(JsonReport, InvalidUtf8DoesNotBreakSerialization) {
  RunResult run = test::sample_run();
  run.specs[0].title = "bad \xff byte";
  std::string text;
  ASSERT_NO_THROW(text = render_json(run));
  EXPECT_EQ(parse_run_result(text).specs[0].title, "bad \xEF\xBF\xBD byte");
}

TEST(JsonReport, DocumentedExampleIsAccepted) {
  std::ifstream in(std::string(CC_SOURCE_DIR) + "/docs/json-schema.md");
  ASSERT_TRUE(in) << "docs/json-schema.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  std::size_t begin = doc.find("```json\n");
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  std::string example = doc.substr(begin, doc.find("```", begin) - begin);
  RunResult run = parse_run_result(example);
  ASSERT_EQ(run.specs.size(), 1U);
  const Violation& v = run.specs[0].violations[0];
  EXPECT_EQ(v.rule, RuleId::DoubleCompletion);
  EXPECT_FALSE(v.violating_step.has_value());
  EXPECT_EQ(v.trace[1].symbolic_values[0].second, "4096");
}

}  // namespace
}  // namespace cc::reports
