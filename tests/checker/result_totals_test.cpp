#include <gtest/gtest.h>

#include "checker/result.h"
#include "tests/reports/fixture.h"

namespace cc {
namespace {

TEST(RunTotals, CountsVerdictsViolationsAndSumsStatistics) {
  RunResult run = test::sample_run();
  run.specs[0].violations[0].accepted = true;
  // A search a limit stopped after it found a violation: verdict violation, incomplete too.
  SpecResult stopped = run.specs[0];
  stopped.incomplete_reason = "state limit 10 reached";
  stopped.stats = test::stats(10, 20, 50, 0.25);
  run.specs.push_back(stopped);

  const RunTotals t = totals(run);
  EXPECT_EQ(t.pass, 1U);
  EXPECT_EQ(t.violation, 3U);
  EXPECT_EQ(t.incomplete, 2U);
  EXPECT_EQ(t.incomplete_violating, 1U);
  EXPECT_EQ(t.error, 1U);
  EXPECT_EQ(t.violations, 3U);
  EXPECT_EQ(t.accepted, 2U);
  EXPECT_EQ(t.stats.states, 1234U + 42 + 2048 + 1000000 + 10);
  EXPECT_EQ(t.stats.transitions, 5678U + 77 + 6000 + 3500000 + 20);
  EXPECT_EQ(t.stats.max_depth, 50U);
  EXPECT_DOUBLE_EQ(t.stats.seconds, 0.0125 + 0.5 + 0.02 + 2.0 + 0.25);
  EXPECT_EQ(t.stats.z3_queries, 5U);
  EXPECT_EQ(t.stats.z3_cached, 2U);
  EXPECT_DOUBLE_EQ(t.stats.z3_seconds, 0.25);
  // Per-spec figures are not summed.
  EXPECT_EQ(t.stats.state_bytes, 0U);
  EXPECT_EQ(t.stats.peak_memory_bytes, 0U);
  EXPECT_EQ(t.stats.reduced, 0U);
}

TEST(RunTotals, EmptyRun) {
  const RunTotals t = totals(RunResult{});
  EXPECT_EQ(t.pass + t.violation + t.incomplete + t.error + t.violations, 0U);
  EXPECT_EQ(t.stats.states, 0U);
}

}  // namespace
}  // namespace cc
