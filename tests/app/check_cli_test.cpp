// `cancelcheck check` end to end: verdicts, exit codes, limits, Ctrl-C, search orders.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/app/run_tool.h"

namespace cc {
namespace {

using test::run_tool;
using test::temp_file;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CheckCli, ViolationExitsOneWithATrace) {
  auto r = run_tool("check specs/kmdf/cr001_double_completion.spec --no-color");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("[CR001 double-completion]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cr001_double_completion.spec:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("race: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WdfRequestComplete(req#1, STATUS_CANCELLED)"), std::string::npos);
}

TEST(CheckCli, FixedTwinPassesWithACompleteSearch) {
  auto r = run_tool("check specs/kmdf/cr001_double_completion_fixed.spec --no-color");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("pass"), std::string::npos);
}

TEST(CheckCli, DfsFindsTheViolationToo) {
  auto r = run_tool("check specs/kmdf/cr004_use_after_free.spec --search dfs --no-color");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("CR004"), std::string::npos);
}

TEST(CheckCli, HashCompactionSaysThePassIsProbabilistic) {
  const std::string json = temp_file("hc.json");
  auto r = run_tool(
      "check specs/kmdf/cr001_double_completion_fixed.spec --hash-compaction "
      "--no-color --json " +
      json);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("pass (probabilistic: hash compaction"), std::string::npos) << r.out;
  auto doc = nlohmann::json::parse(slurp(json));
  EXPECT_EQ(doc["specs"][0]["stats"]["hash_compaction"], true);
  EXPECT_GT(doc["specs"][0]["stats"]["omission_probability"].get<double>(), 0.0);

  auto v = run_tool("check specs/kmdf/cr001_double_completion.spec --hash-compaction --no-color");
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  EXPECT_NE(v.out.find("[CR001 double-completion]"), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find("probabilistic"), std::string::npos) << "a replayed violation is certain";
}

TEST(CheckCli, DefineOverSeveralSpecsAppliesWhereDeclared) {
  const std::string json = temp_file("defs.json");
  auto r = run_tool(
      "check bench/specs/lock_contention.spec specs/kmdf/cr001_double_completion.spec "
      "-D N=3 -q --no-progress --json " +
      json);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(slurp(json));
  auto n2 = run_tool("check bench/specs/lock_contention.spec -q --no-progress --json " + json);
  auto doc2 = nlohmann::json::parse(slurp(json));
  EXPECT_NE(doc["specs"][0]["stats"]["states"], doc2["specs"][0]["stats"]["states"])
      << "N=3 was not applied to the spec that declares N";

  auto typo = run_tool("check bench/specs -D NN=3 -q --no-progress");
  EXPECT_EQ(typo.exit_code, 2) << typo.out << typo.err;
  EXPECT_NE(typo.err.find("specs declares 'const NN'"), std::string::npos) << typo.err;
  auto one = run_tool("check specs/kmdf/cr001_double_completion.spec -D N=3 -q --no-progress");
  EXPECT_EQ(one.exit_code, 2) << "one spec: an undeclared -D stays its diagnostic";
}

// With symmetry the search stores canonical states, in which requests and callback slots
// are renumbered; the trace shown is still one concrete execution, so the reference
// executor replays it, and its length is the shortest one found without symmetry.
TEST(CheckCli, SymmetryTracesAreConcreteAndShortest) {
  for (const char* spec : {"bench/specs/independent_requests_buggy.spec -D N=3",
                           "bench/specs/lock_contention_buggy.spec -D N=3"}) {
    std::size_t lengths[2] = {0, 0};
    int i = 0;
    for (const char* sym : {"on", "off"}) {
      const std::string json = temp_file("sym.json");
      auto r = run_tool(std::string("check ") + spec + " --symmetry " + sym +
                        " -q --no-progress --json " + json);
      EXPECT_EQ(r.exit_code, 1) << spec << " " << sym << "\n" << r.out << r.err;
      auto doc = nlohmann::json::parse(slurp(json));
      const auto& v = doc["specs"][0]["violations"][0];
      EXPECT_EQ(v["replayed"], true) << spec;
      lengths[i++] = v["trace"].size();
    }
    EXPECT_EQ(lengths[0], lengths[1]) << spec;
  }
}

TEST(CheckCli, StateLimitIsIncompleteNeverPass) {
  std::string json = temp_file("", ".json");
  auto r =
      run_tool("check bench/specs/independent_requests.spec -D N=4 --max-states 1000 --json '" +
               json + "' --no-color");
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("incomplete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("state limit"), std::string::npos) << r.out;
  auto doc = nlohmann::json::parse(slurp(json));
  EXPECT_EQ(doc["specs"][0]["verdict"], "incomplete");
}

TEST(CheckCli, TimeAndMemoryLimitsAreIncomplete) {
  auto t = run_tool(
      "check bench/specs/independent_requests.spec -D N=6 --por off --symmetry off "
      "--time-limit 0.3 --no-color");
  EXPECT_EQ(t.exit_code, 4) << t.out << t.err;
  EXPECT_NE(t.out.find("time limit"), std::string::npos) << t.out;
  auto m = run_tool(
      "check bench/specs/independent_requests.spec -D N=6 --por off --symmetry off "
      "--max-memory 64 --no-color");
  EXPECT_EQ(m.exit_code, 4) << m.out << m.err;
  EXPECT_NE(m.out.find("memory limit"), std::string::npos) << m.out;
}

TEST(CheckCli, ViolationOutranksIncompleteAcrossSpecs) {
  auto r = run_tool(
      "check specs/kmdf/cr001_double_completion.spec tests/data/incomplete_model_limit.spec "
      "--no-color");
  EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST(CheckCli, ModelLimitIsIncompleteWithAReason) {
  auto r = run_tool("check tests/data/incomplete_model_limit.spec --no-color");
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("arrive count 250 is outside"), std::string::npos) << r.out;
}

// WdfRequestCreate in code takes requests from a pool of KMDF_REQUEST_POOL: two writes need
// two, so a pool of one makes the check incomplete, naming the limit, never a pass.
TEST(CheckCli, RequestPoolExhaustedIsIncompleteNamingTheLimit) {
  const std::string spec = "specs/conformance/kmdf/kmdf_target_create_in_code_and_delete.spec";
  auto small = run_tool("check " + spec + " -D KMDF_REQUEST_POOL=1 --no-color");
  EXPECT_EQ(small.exit_code, 4) << small.out;
  EXPECT_NE(small.out.find("WdfRequestCreate was called more than 1 times"), std::string::npos)
      << small.out;
  EXPECT_NE(small.out.find("KMDF_REQUEST_POOL"), std::string::npos) << small.out;
  auto enough = run_tool("check " + spec + " --no-color");
  EXPECT_EQ(enough.exit_code, 0) << enough.out;
}

TEST(CheckCli, NdisAndAppcSeedsAreChecked) {
  auto r = run_tool(
      "check specs/seeds/001_ndis_filter_cancel_send.spec specs/seeds/002_appc_cancel_async.spec "
      "--no-color");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("2 specs checked: 2 pass"), std::string::npos) << r.out;
}

TEST(CheckCli, CtrlCStopsCleanlyAndReportsIncomplete) {
  std::string json = temp_file("", ".json");
  std::string out = temp_file("", ".out");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(CC_SOURCE_DIR) != 0) _exit(99);
    FILE* f = std::freopen(out.c_str(), "w", stdout);
    if (f == nullptr) _exit(98);
    std::string spec = "bench/specs/independent_requests.spec";
    execl(CC_CANCELCHECK_EXE, CC_CANCELCHECK_EXE, "check", spec.c_str(), "-D", "N=6", "--por",
          "off", "--json", json.c_str(), "--no-color", "--no-progress",
          static_cast<char*>(nullptr));
    _exit(97);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 4);
  std::string text = slurp(out);
  EXPECT_NE(text.find("interrupted"), std::string::npos) << text;
  auto doc = nlohmann::json::parse(slurp(json));  // the report was still written, completely
  EXPECT_EQ(doc["specs"][0]["verdict"], "incomplete");
}

TEST(CheckCli, AllKeepsOneTracePerRuleAndLocation) {
  std::string json = temp_file("", ".json");
  auto r = run_tool("check bench/specs/independent_requests_buggy.spec --all --json '" + json +
                    "' --no-color");
  EXPECT_EQ(r.exit_code, 1);
  auto doc = nlohmann::json::parse(slurp(json));
  const auto& v = doc["specs"][0]["violations"];
  ASSERT_GE(v.size(), 1U);
  std::set<std::string> keys;
  for (const auto& x : v) {
    std::string key =
        x["rule"].get<std::string>() + ":" + std::to_string(x["loc"]["line"].get<int>());
    EXPECT_TRUE(keys.insert(key).second) << "duplicate " << key;
  }
}

TEST(CheckCli, RulesFilterReportsOnlyTheSelectedRules) {
  // With CR001 unchecked the search goes on past the double completion; only CR004 may be
  // reported (a use of the freed request can follow), never CR001.
  std::string json = temp_file("", ".json");
  auto r = run_tool("check specs/kmdf/cr001_double_completion.spec --rules CR004 --json '" + json +
                    "' --no-color");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(slurp(json));
  for (const auto& v : doc["specs"][0]["violations"]) EXPECT_EQ(v["rule"], "CR004");
  EXPECT_EQ(r.out.find("[CR001"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cc
