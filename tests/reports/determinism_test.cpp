#include <gtest/gtest.h>

#include "reports/baseline.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"
#include "reports/sarif.h"
#include "reports/text.h"
#include "tests/reports/fixture.h"

namespace cc::reports {
namespace {

// Two runs that differ only in machine-dependent measurements.
RunResult run_with_timings(double seconds, uint64_t memory) {
  RunResult run = test::sample_run();
  for (SpecResult& s : run.specs) {
    s.stats.seconds = seconds;
    s.stats.z3_seconds = seconds / 2;
    s.stats.peak_memory_bytes = memory;
  }
  return run;
}

TEST(ReportDeterminism, TimingFreeOutputIsByteIdentical) {
  RunResult a = run_with_timings(1.5, 1000);
  RunResult b = run_with_timings(7.25, 99999);
  EXPECT_EQ(render_text(a, {.color = false, .timings = false, .traces = true}),
            render_text(b, {.color = false, .timings = false, .traces = true}));
  EXPECT_EQ(render_json(a, {.timings = false}), render_json(b, {.timings = false}));
  EXPECT_EQ(render_junit(a, {.timings = false}), render_junit(b, {.timings = false}));
  EXPECT_EQ(render_sarif(a), render_sarif(b));
  EXPECT_EQ(render_html_index(a, {.timings = false}), render_html_index(b, {.timings = false}));
  for (const HtmlTraceFile& f : html_trace_files(a)) {
    EXPECT_EQ(render_html_trace(a, f.spec_index, f.violation_index),
              render_html_trace(b, f.spec_index, f.violation_index));
  }
  EXPECT_EQ(render_baseline(make_baseline(a)), render_baseline(make_baseline(b)));
}

}  // namespace
}  // namespace cc::reports
