// SIGTERM and SIGHUP (what a CI cancellation or a closed terminal sends) stop a run like
// Ctrl-C: the search stops, the reports are written and say "interrupted", exit 4.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/json.h"
#include "tests/reliability/child.h"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

constexpr int kViolation = 1;
constexpr int kIncomplete = 4;

/// About a minute of search (no partial-order reduction); the signal stops it after 1 s.
std::vector<std::string> long_run(const std::string& json, const std::string& sarif) {
  return {"check",
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
          "-q",
          "--json",
          json,
          "--sarif",
          sarif};
}

void expect_interrupted_run(int sig) {
  std::string dir = temp_dir();
  std::string json = dir + "/r.json", sarif = dir + "/r.sarif";
  // A previous complete run's reports: they must not stay in place, stale.
  ChildRun first = run_child({"check", "specs/kmdf/cr001_double_completion.spec", "--no-progress",
                              "-q", "--json", json, "--sarif", sarif});
  ASSERT_EQ(first.exit_code, kViolation) << first.out << first.err;

  ChildRun r =
      run_child(long_run(json, sarif), {.deadline_s = 120, .signal = sig, .signal_after_s = 1.0});
  EXPECT_EQ(r.term_signal, 0) << "killed by signal " << r.term_signal;
  EXPECT_EQ(r.exit_code, kIncomplete) << r.out << r.err;
  EXPECT_LT(r.seconds, 30) << "the signal did not stop the search promptly";
  RunResult run = reports::parse_run_result(read_file(json));
  ASSERT_EQ(run.specs.size(), 1u);
  EXPECT_EQ(run.specs[0].path, "bench/specs/independent_requests.spec");
  EXPECT_EQ(run.specs[0].verdict, Verdict::Incomplete);
  EXPECT_NE(run.specs[0].incomplete_reason.find("interrupted"), std::string::npos)
      << run.specs[0].incomplete_reason;
  auto s = nlohmann::json::parse(read_file(sarif));
  EXPECT_EQ(s["runs"][0]["properties"]["specs"][0]["verdict"], "incomplete");
  fs::remove_all(dir);
}

TEST(StopSignals, SigtermWritesReportsThatSayInterrupted) {
  expect_interrupted_run(SIGTERM);
}

TEST(StopSignals, SighupWritesReportsThatSayInterrupted) {
  expect_interrupted_run(SIGHUP);
}

}  // namespace
}  // namespace cc::test
