// `cancelcheck replay` and the replayer against hostile or stale traces: long traces and deeply
// nested JSON never overflow the stack, a trace that does not fit its spec is exit 2 (never
// 3), an edited spec is refused by its content hash, control characters from the file never
// reach the terminal raw, and a spec path that is not UTF-8 round-trips. See docs/replay.md.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/app/run_tool.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

using nlohmann::json;

constexpr int kClean = 0;
constexpr int kViolation = 1;
constexpr int kSpecError = 2;
constexpr int kInternal = 3;

const char* const kDeepSpec = "tests/data/reliability/deep.spec";
const char* const kTimerSpec = "specs/seeds/000_cancel_sent_from_timer.spec";  // CR004 at a step

void expect_clean_end(const ChildRun& r) {
  EXPECT_FALSE(r.timed_out) << "hung: killed after " << r.seconds << " s";
  EXPECT_EQ(r.term_signal, 0) << "killed by signal " << r.term_signal << "\n"
                              << r.err.substr(0, 2000);
}

json read_json(const std::string& path) {
  return json::parse(read_file(path));
}

std::string write_json(const json& doc) {
  return temp_file(doc.dump(2), ".json");
}

/// check SPEC --json and the document (the check must find a violation).
json checked(const std::string& spec, std::vector<std::string> extra = {}) {
  const std::string out = temp_dir() + "/result.json";
  std::vector<std::string> args{"check", "-q", spec, "--no-progress", "--json", out};
  args.insert(args.end(), extra.begin(), extra.end());
  ChildRun r = run_child(args, {.deadline_s = 300});
  expect_clean_end(r);
  EXPECT_EQ(r.exit_code, kViolation) << r.out << r.err.substr(0, 2000);
  return read_json(out);
}

ChildRun replay(const std::string& doc_path, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"replay", doc_path};
  args.insert(args.end(), extra.begin(), extra.end());
  ChildRun r = run_child(args, {.deadline_s = 300});
  expect_clean_end(r);
  return r;
}

json& first_violation(json& doc) {
  return doc["specs"][0]["violations"][0];
}

/// True when `text` holds a byte that is a C0 control (other than newline), DEL, or a C1
/// control in either raw or UTF-8 form.
bool has_raw_control(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x80 && d <= 0x9F) return true;
    }
  }
  return false;
}

// ---- item: stack depth ----

TEST(ReplayHardening, ThreeThousandStepTraceIsReportedAndReplays) {
  json doc = checked(kDeepSpec, {"-D", "LIMIT=3000"});
  ASSERT_EQ(doc["specs"][0]["violations"].size(), 1U);
  json& v = first_violation(doc);
  EXPECT_GE(v["trace"].size(), 3000U);
  EXPECT_TRUE(v["replayed"].get<bool>());
  const std::string path = write_json(doc);
  ChildRun r = replay(path, {"-D", "LIMIT=3000"});
  EXPECT_EQ(r.exit_code, kViolation) << r.out << r.err.substr(0, 2000);
  EXPECT_NE(r.out.find("reproduced at step"), std::string::npos) << r.out;
  std::remove(path.c_str());
}

TEST(ReplayHardening, TwentyThousandStepTraceIsReported) {
  json doc = checked(kDeepSpec, {"-D", "LIMIT=20000"});
  ASSERT_EQ(doc["specs"][0]["violations"].size(), 1U);
  EXPECT_GE(first_violation(doc)["trace"].size(), 20000U);
  EXPECT_TRUE(first_violation(doc)["replayed"].get<bool>());
}

/// A hand-made trace of `n` steps of the worker thread, no violation claimed.
json hand_made_worker_trace(std::size_t n) {
  json step = {{"activity", 0},
               {"activity_name", "worker"},
               {"actor", "driver"},
               {"action", ""},
               {"result", ""},
               {"note", ""},
               {"loc", {{"file", ""}, {"line", 0}, {"col", 0}, {"source", ""}}},
               {"choice", 0},
               {"event", "worker"},
               {"choices", json::array()},
               {"calls", json::array()},
               {"symbolic_values", json::array()},
               {"objects", json::array()}};
  json trace = json::array();
  for (std::size_t i = 0; i < n; ++i) trace.push_back(step);
  json violation = {{"rule", "CR008"},
                    {"message", "hand-made"},
                    {"headline", ""},
                    {"loc", step["loc"]},
                    {"trace", trace},
                    {"violating_step", nullptr},
                    {"racing_steps", json::array()},
                    {"replayed", false}};
  json stats = {{"states", 0},      {"transitions", 0}, {"max_depth", 0},
                {"state_bytes", 0}, {"z3_queries", 0},  {"z3_cached", 0}};
  json spec = {{"path", kDeepSpec},
               {"title", ""},
               {"verdict", "violation"},
               {"checked_rules", json::array()},
               {"stats", stats},
               {"incomplete_reason", ""},
               {"error", ""},
               {"violations", json::array({violation})}};
  return {{"schema", "cancelcheck-result"},
          {"version", 1},
          {"tool_version", "0.1.0"},
          {"specs", json::array({spec})}};
}

TEST(ReplayHardening, HundredThousandStepHandMadeTraceReplays) {
  const std::string path = write_json(hand_made_worker_trace(100000));
  // LIMIT=0: the assertion never fails, so every step fits and the schedule runs clean.
  ChildRun r = replay(path, {"-D", "LIMIT=0"});
  EXPECT_EQ(r.exit_code, kClean) << r.out << r.err.substr(0, 2000);
  EXPECT_NE(r.out.find("runs clean: after its 100000 steps worker can still move"),
            std::string::npos)
      << r.out;
  std::remove(path.c_str());
}

TEST(ReplayHardening, DeeplyNestedVersionIsRejectedBriefly) {
  // 32,000 levels used to be dumped whole into the message; 400,000 overflowed the stack.
  for (std::size_t depth : {32000, 400000}) {
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    const std::string path = temp_file("{\"schema\": \"cancelcheck-result\", \"version\": " + deep +
                                           ", \"tool_version\": \"x\", \"specs\": []}",
                                       ".json");
    ChildRun r = replay(path);
    EXPECT_EQ(r.exit_code, kSpecError) << depth << ": " << r.err.substr(0, 2000);
    EXPECT_NE(r.err.find("nested deeper than"), std::string::npos) << r.err.substr(0, 2000);
    EXPECT_LT(r.err.size(), 1000U) << "the message must not dump the value";
    std::remove(path.c_str());
  }
}

// ---- item: misfits are exit 2, genuine disagreements exit 3 ----

TEST(ReplayHardening, EventTheSpecDoesNotHaveIsAMisfit) {
  json doc = checked(kTimerSpec);
  first_violation(doc)["trace"][2]["event"] = "NoSuchCallback[req#9]";
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("does not fit the spec"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayHardening, ExtraChoiceIsAMisfit) {
  json doc = checked(kTimerSpec);
  first_violation(doc)["trace"][0]["choices"].push_back("nondet:7");
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("step 1 of"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayHardening, StepsAfterTheViolatingStepAreAMisfit) {
  json doc = checked(kTimerSpec);
  json& v = first_violation(doc);
  ASSERT_FALSE(v["violating_step"].is_null());
  const std::size_t at = v["violating_step"].get<std::size_t>();
  ASSERT_GT(at, 2U);
  v["violating_step"] = at - 1;  // the trace now goes on past its claimed violation
  v["racing_steps"] = json::array();
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("does not fit the spec"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayHardening, EmptyTraceIsAMisfit) {
  json doc = checked(kTimerSpec);
  json& v = first_violation(doc);
  v["trace"] = json::array();
  v["violating_step"] = nullptr;
  v["racing_steps"] = json::array();
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("no steps"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayHardening, EmptyTraceOfAnInitialDeadlockReproduces) {
  // The one legitimate empty trace: the initial state is already an end state violating the
  // rule (check writes it so).
  const std::string spec =
      temp_file("spec \"zero steps\";\nevent e;\nthread t {\n  KeWaitForSingleObject(e);\n}\n");
  json doc = checked(spec);
  ASSERT_TRUE(first_violation(doc)["trace"].empty());
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kViolation) << r.out << r.err;
  EXPECT_NE(r.out.find("CR010 deadlock reproduced at the end state"), std::string::npos) << r.out;
  std::remove(path.c_str());
  std::remove(spec.c_str());
}

TEST(ReplayHardening, DocumentWithoutSpecsIsAnError) {
  const std::string path = temp_file(
      "{\"schema\": \"cancelcheck-result\", \"version\": 1, \"tool_version\": \"0.1.0\", "
      "\"specs\": []}",
      ".json");
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("no spec results"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayHardening, ViolationVerdictWithoutViolationsIsAnError) {
  json doc = checked(kTimerSpec);
  doc["specs"][0]["violations"] = json::array();
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  std::remove(path.c_str());
}

/// A copy of the timer spec in a fresh directory (so that it can be edited).
std::string copy_of_timer_spec() {
  const std::string dir = temp_dir();
  const std::string path = dir + "/timer.spec";
  std::filesystem::copy_file(std::string(CC_SOURCE_DIR) + "/" + kTimerSpec, path);
  return path;
}

TEST(ReplayHardening, CheckRecordsTheSpecHash) {
  json doc = checked(kTimerSpec);
  const json& spec = doc["specs"][0];
  ASSERT_TRUE(spec.contains("spec_hash")) << spec.dump().substr(0, 500);
  const std::string hash = spec["spec_hash"].get<std::string>();
  EXPECT_EQ(hash.rfind("xxh64:", 0), 0U) << hash;
  EXPECT_EQ(hash.size(), 6U + 16U) << hash;
  // The hash is of the bytes: a copy of the same file has the same hash.
  json copy = checked(copy_of_timer_spec());
  EXPECT_EQ(copy["specs"][0]["spec_hash"], spec["spec_hash"]);
}

TEST(ReplayHardening, EditedSpecIsRefusedNamingBothHashes) {
  const std::string spec = copy_of_timer_spec();
  json doc = checked(spec);
  const std::string recorded = doc["specs"][0]["spec_hash"].get<std::string>();
  const std::string path = write_json(doc);
  {
    std::ofstream out(spec, std::ios::app);
    out << "\n// edited after the check\n";
  }
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find(spec), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(recorded), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has changed"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(ReplayHardening, CallMismatchOnAnEditedSpecIsAMisfitWithForce) {
  const std::string spec = copy_of_timer_spec();
  json doc = checked(spec);
  // Edit the trace's calls as an edited spec would produce them: the executor's results
  // differ. With the recorded hash this is a genuine disagreement (3); on a spec that is no
  // longer the one checked (forced past the hash) it is a misfit (2).
  json& trace = first_violation(doc)["trace"];
  bool edited = false;
  for (auto& step : trace) {
    for (auto& c : step["calls"]) {
      if (c == "WdfRequestSend=1") {
        c = "WdfRequestSend=0";
        edited = true;
      }
    }
  }
  ASSERT_TRUE(edited);
  const std::string same = write_json(doc);
  EXPECT_EQ(replay(same).exit_code, kInternal);
  {
    std::ofstream out(spec, std::ios::app);
    out << "\n// edited after the check\n";
  }
  ChildRun forced = replay(same, {"--force"});
  EXPECT_EQ(forced.exit_code, kSpecError) << forced.out << forced.err;
  EXPECT_NE(forced.err.find("does not fit the spec"), std::string::npos) << forced.err;
  EXPECT_NE(forced.err.find("--force"), std::string::npos) << forced.err;
  // An older document without a hash cannot tell an edited spec from a disagreement: 2.
  doc["specs"][0].erase("spec_hash");
  const std::string old = write_json(doc);
  EXPECT_EQ(replay(old).exit_code, kSpecError);
  std::remove(same.c_str());
  std::remove(old.c_str());
}

TEST(ReplayHardening, EditedSpecThatChangesTheCallsIsAMisfit) {
  const std::string spec = copy_of_timer_spec();
  json doc = checked(spec);
  doc["specs"][0].erase("spec_hash");  // as written before the hash existed
  const std::string path = write_json(doc);
  std::string text = read_file(spec);
  // OnRead's second step now calls WdfRequestIsCanceled where the trace's writes a global.
  const std::string from = "WdfRequestSetCompletionRoutine(req, OnReadComplete);";
  const std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << text;
  text.insert(at + from.size(), "\n  WdfRequestIsCanceled(req);");
  std::ofstream(spec, std::ios::trunc) << text;
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_NE(r.err.find("the API results differ"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no spec hash"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

// ---- item: control characters from the file ----

TEST(ReplayHardening, ControlCharactersFromTheFileAreEscaped) {
  json doc = checked(kTimerSpec);
  json& v = first_violation(doc);
  v["trace"][2]["event"] = "Evil\x1b[2J\nFAKE: reproduced\x07\u009b";
  v["trace"][2]["choices"].push_back("x\x1b]0;title\x07");
  const std::string path = write_json(doc);
  ChildRun r = replay(path);
  EXPECT_EQ(r.exit_code, kSpecError) << r.out << r.err;
  EXPECT_FALSE(has_raw_control(r.out)) << r.out;
  EXPECT_FALSE(has_raw_control(r.err)) << r.err;
  EXPECT_NE(r.err.find("Evil\\x1b[2J\\nFAKE"), std::string::npos) << r.err;
  std::remove(path.c_str());
  // The same for the document's path and for schema errors quoting the file.
  json bad = checked(kTimerSpec);
  bad["specs"][0]["verdict"] = "pass\x1b[31m";
  const std::string bad_path = write_json(bad);
  ChildRun b = replay(bad_path);
  EXPECT_EQ(b.exit_code, kSpecError);
  EXPECT_FALSE(has_raw_control(b.err)) << b.err;
  json moved = checked(kTimerSpec);
  moved["specs"][0]["path"] = "/nonexistent/\x1b[1mmoved\n.spec";
  const std::string moved_path = write_json(moved);
  ChildRun m = replay(moved_path);
  EXPECT_EQ(m.exit_code, kSpecError);
  EXPECT_FALSE(has_raw_control(m.err)) << m.err;
  std::remove(bad_path.c_str());
  std::remove(moved_path.c_str());
}

// ---- item: a spec path that is not UTF-8 ----

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST(ReplayHardening, NonUtf8SpecPathRoundTrips) {
  const std::string dir = temp_dir();
  const std::string spec = dir + "/timer\xff\xfe.spec";
  std::filesystem::copy_file(std::string(CC_SOURCE_DIR) + "/" + kTimerSpec, spec);
  const std::string out = dir + "/out";
  ChildRun c = run_child({"check", "-q", "--no-progress", spec, "--json", out + ".json", "--sarif",
                          out + ".sarif", "--junit", out + ".xml", "--html", out + "-html"},
                         {.deadline_s = 300});
  expect_clean_end(c);
  ASSERT_EQ(c.exit_code, kViolation) << c.err;
  const std::string text = read_file(out + ".json");
  EXPECT_TRUE(valid_utf8(text));
  ChildRun r = replay(out + ".json");
  EXPECT_EQ(r.exit_code, kViolation) << r.out << r.err;
  EXPECT_NE(r.out.find("reproduced at step"), std::string::npos) << r.out;
  EXPECT_FALSE(has_raw_control(r.out));
  EXPECT_TRUE(valid_utf8(r.out)) << "the path is shown escaped";
  // The other reports stay valid UTF-8.
  EXPECT_TRUE(valid_utf8(read_file(out + ".sarif")));
  EXPECT_TRUE(valid_utf8(read_file(out + ".xml")));
  for (const auto& e : std::filesystem::recursive_directory_iterator(out + "-html")) {
    if (e.is_regular_file()) {
      EXPECT_TRUE(valid_utf8(read_file(e.path().string()))) << e.path();
    }
  }
}

}  // namespace
}  // namespace cc::test
