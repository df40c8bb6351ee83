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
  auto t =
      run_tool("check bench/specs/independent_requests.spec -D N=6 --time-limit 0.3 --no-color");
  EXPECT_EQ(t.exit_code, 4) << t.out << t.err;
  EXPECT_NE(t.out.find("time limit"), std::string::npos) << t.out;
  auto m =
      run_tool("check bench/specs/independent_requests.spec -D N=6 --max-memory 64 --no-color");
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
    execl(CC_CANCELCHECK_EXE, CC_CANCELCHECK_EXE, "check", spec.c_str(), "-D", "N=6", "--json",
          json.c_str(), "--no-color", "--no-progress", static_cast<char*>(nullptr));
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
