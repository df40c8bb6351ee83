// Output safety: a killed run never leaves a truncated report, and an interrupted or limited
// run writes reports that say the result is incomplete. Reports go through
// reports::write_file_atomic (temporary file + rename). See docs/reliability.md.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "reports/json.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

constexpr int kIncomplete = 4;

// About a minute of search on an idle machine (no partial-order reduction, which would make
// it small); the tests stop it much earlier.
const std::vector<std::string> kLongRun{"check",
                                        "bench/specs/independent_requests.spec",
                                        "-D",
                                        "N=8",
                                        "--por",
                                        "off",
                                        "--max-memory",
                                        "4096",
                                        "--time-limit",
                                        "60",
                                        "--no-progress",
                                        "--no-color",
                                        "-q"};

std::vector<std::string> with_reports(std::vector<std::string> args, const std::string& json,
                                      const std::string& sarif) {
  args.insert(args.end(), {"--json", json, "--sarif", sarif});
  return args;
}

/// Leftover files in `dir` other than the named ones (e.g. temporary report files).
std::vector<std::string> strays(const std::string& dir, const std::set<std::string>& known) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!known.count(e.path().filename().string())) out.push_back(e.path().string());
  }
  return out;
}

bool complete_json(const std::string& text) {
  try {
    reports::parse_run_result(text);
    return true;
  } catch (const reports::JsonSchemaError&) {
    return false;
  }
}

bool complete_sarif(const std::string& text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  return !doc.is_discarded() && doc.contains("runs") && doc["runs"].is_array();
}

TEST(OutputSafety, SigkillMidSearchKeepsThePreviousCompleteReports) {
  std::string dir = temp_dir();
  std::string json = dir + "/r.json", sarif = dir + "/r.sarif";
  // A previous, complete run.
  ChildRun first = run_child({"check", "specs/kmdf/cr001_double_completion.spec", "--no-progress",
                              "-q", "--json", json, "--sarif", sarif});
  ASSERT_EQ(first.exit_code, 1) << first.out << first.err;
  std::string old_json = read_file(json), old_sarif = read_file(sarif);
  ASSERT_TRUE(complete_json(old_json));
  ASSERT_TRUE(complete_sarif(old_sarif));

  ChildRun killed = run_child(with_reports(kLongRun, json, sarif),
                              {.deadline_s = 120, .signal = SIGKILL, .signal_after_s = 1.5});
  ASSERT_EQ(killed.term_signal, SIGKILL)
      << "the run ended before the kill: exit " << killed.exit_code << "\n"
      << killed.out;
  EXPECT_EQ(read_file(json), old_json);
  EXPECT_EQ(read_file(sarif), old_sarif);
  EXPECT_TRUE(strays(dir, {"r.json", "r.sarif"}).empty());
  fs::remove_all(dir);
}

TEST(OutputSafety, SigkillMidSearchLeavesNoReportWhenThereWasNone) {
  std::string dir = temp_dir();
  std::string json = dir + "/r.json", sarif = dir + "/r.sarif";
  ChildRun killed = run_child(with_reports(kLongRun, json, sarif),
                              {.deadline_s = 120, .signal = SIGKILL, .signal_after_s = 1.0});
  ASSERT_EQ(killed.term_signal, SIGKILL);
  EXPECT_FALSE(fs::exists(json));
  EXPECT_FALSE(fs::exists(sarif));
  EXPECT_TRUE(strays(dir, {}).empty());
  fs::remove_all(dir);
}

// Kills a short whole-corpus run (large reports) at staggered moments, including while the
// reports are being written: whatever exists afterwards must be complete.
TEST(OutputSafety, SigkillAtAnyMomentNeverLeavesATruncatedReport) {
  std::string dir = temp_dir();
  std::string json = dir + "/r.json", sarif = dir + "/r.sarif";
  std::vector<std::string> args{"check", "specs/",  "--all", "--no-progress", "-q", "--json",
                                json,    "--sarif", sarif};
  ChildRun whole = run_child(args);
  ASSERT_TRUE(whole.exit_code == 1) << whole.out << whole.err;
  double span = whole.seconds;
  int killed_runs = 0;
  for (int i = 0; i < 24; ++i) {
    fs::remove(json);
    fs::remove(sarif);
    double at = span * (0.2 + 0.05 * i);  // from early in the search to after the end
    ChildRun r = run_child(args, {.deadline_s = 60, .signal = SIGKILL, .signal_after_s = at});
    if (r.term_signal == SIGKILL) ++killed_runs;
    if (fs::exists(json)) {
      EXPECT_TRUE(complete_json(read_file(json))) << "truncated JSON, kill at " << at;
    }
    if (fs::exists(sarif)) {
      EXPECT_TRUE(complete_sarif(read_file(sarif))) << "truncated SARIF, kill at " << at;
    }
  }
  std::printf("[ figure ] %d of 24 runs killed (whole run %.2f s)\n", killed_runs, span);
  fs::remove_all(dir);
}

void expect_incomplete_reports(const std::string& json, const std::string& sarif,
                               const std::string& reason) {
  RunResult run = reports::parse_run_result(read_file(json));
  ASSERT_EQ(run.specs.size(), 1u);
  EXPECT_EQ(run.specs[0].verdict, Verdict::Incomplete);
  EXPECT_NE(run.specs[0].incomplete_reason.find(reason), std::string::npos)
      << run.specs[0].incomplete_reason;
  auto s = nlohmann::json::parse(read_file(sarif));
  const auto& inv = s["runs"][0]["invocations"][0];
  ASSERT_TRUE(inv.contains("toolExecutionNotifications")) << inv.dump(2);
  std::string text = inv["toolExecutionNotifications"][0]["message"]["text"].get<std::string>();
  EXPECT_NE(text.find("incomplete"), std::string::npos) << text;
  EXPECT_NE(text.find(reason), std::string::npos) << text;
  EXPECT_EQ(s["runs"][0]["properties"]["specs"][0]["verdict"], "incomplete");
}

TEST(OutputSafety, SigintWritesReportsThatSayIncomplete) {
  std::string dir = temp_dir();
  std::string json = dir + "/r.json", sarif = dir + "/r.sarif";
  ChildRun r = run_child(with_reports(kLongRun, json, sarif),
                         {.deadline_s = 120, .signal = SIGINT, .signal_after_s = 1.0});
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_LT(r.seconds, 30) << "SIGINT did not stop the search promptly";
  expect_incomplete_reports(json, sarif, "interrupted");
  fs::remove_all(dir);
}

TEST(OutputSafety, LimitedRunsWriteReportsThatSayIncomplete) {
  struct Limit {
    std::vector<std::string> args;
    std::string reason;
  };
  for (const Limit& l : {Limit{{"--max-states", "1000"}, "state limit"},
                         Limit{{"--time-limit", "0.5"}, "time limit"},
                         Limit{{"--max-memory", "64"}, "memory limit"}}) {
    std::string dir = temp_dir();
    std::string json = dir + "/r.json", sarif = dir + "/r.sarif";
    std::vector<std::string> args{"check",
                                  "bench/specs/independent_requests.spec",
                                  "-D",
                                  "N=8",
                                  "--por",
                                  "off",
                                  "--no-progress",
                                  "-q",
                                  "--json",
                                  json,
                                  "--sarif",
                                  sarif};
    args.insert(args.end(), l.args.begin(), l.args.end());
    ChildRun r = run_child(args);
    EXPECT_EQ(r.exit_code, kIncomplete) << l.reason << "\n" << r.out << r.err;
    expect_incomplete_reports(json, sarif, l.reason);
    fs::remove_all(dir);
  }
}

}  // namespace
}  // namespace cc::test
