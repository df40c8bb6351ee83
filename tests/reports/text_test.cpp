#include <gtest/gtest.h>

#include "reports/text.h"
#include "tests/reports/fixture.h"

namespace cc::reports {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(TextReport, ViolationLooksLikeACompilerDiagnostic) {
  std::string out = render_text_violation(test::fx2_double_completion(), {});
  EXPECT_TRUE(contains(out,
                       "specs/kmdf/fx2_timer_cancel.spec:31:5: error: [CR001 double-completion] "
                       "req#1 completed twice"))
      << out;
  // Source line and a caret under column 5.
  EXPECT_TRUE(contains(out, " 31 |     WdfRequestComplete(req, STATUS_SUCCESS);\n")) << out;
  EXPECT_TRUE(contains(out, "    |     ^\n")) << out;
  EXPECT_TRUE(contains(
      out, "race: OnCancel completed req#1 at step 7; OnTimer completed it again at step 9"));
  EXPECT_TRUE(contains(out, "trace (9 steps, replayed by the reference executor)"));
  // Numbered steps with activity, call, result and spec line; racing and violating markers.
  EXPECT_TRUE(contains(
      out,
      "    3  OnRead[req#1]     WdfRequestMarkCancelableEx(req#1, OnCancel) -> STATUS_SUCCESS  "
      "(specs/kmdf/fx2_timer_cancel.spec:14)"))
      << out;
  EXPECT_TRUE(contains(out, "  > 7  OnCancel[req#1]"));
  EXPECT_TRUE(contains(out, "  ! 9  OnTimer[timer#1]"));
  EXPECT_TRUE(contains(out, "- the application cancels the read"));
  // The rule's one-line explanation.
  EXPECT_TRUE(contains(out, "= why: A request, NBL or verb is completed twice, or by two paths."));
  EXPECT_FALSE(contains(out, "\x1b["));
}

// A deadlock-like end-state violation: no violating step, no line, headline == message.
TEST(TextReport, EndStateViolationWithoutALine) {
  Violation v = test::fx2_double_completion();
  v.violating_step.reset();
  v.racing_steps.clear();
  v.loc = ResultLoc{};
  v.message = "deadlock: OnRead[req#1] waits for OnCancel[req#1] to return";
  v.headline = v.message;
  std::string out = render_text_violation(v, {});
  EXPECT_TRUE(
      contains(out, "specs/kmdf/fx2_timer_cancel.spec: error: [CR001 double-completion] deadlock:"))
      << out;
  EXPECT_FALSE(contains(out, "<no location>"));
  EXPECT_FALSE(contains(out, "race:")) << out;
  EXPECT_TRUE(
      contains(out, "  end: no step breaks the rule by itself; the state after step 9 does\n"))
      << out;
  EXPECT_FALSE(contains(out, "  ! "));
}

TEST(TextReport, ColourIsOptional) {
  TextOptions color;
  color.color = true;
  std::string out = render_text_violation(test::fx2_double_completion(), color);
  EXPECT_TRUE(contains(out, "\x1b[1m\x1b[31merror:\x1b[0m"));
}

TEST(TextReport, ControlCharactersCannotReachTheTerminal) {
  Violation v = test::hostile_violation();
  v.message = "evil \x1b]0;title\x07 text";
  std::string out = render_text_violation(v, {});
  EXPECT_FALSE(contains(out, "\x1b"));
  EXPECT_TRUE(contains(out, "evil \\x1B]0;title\\x07 text"));
  EXPECT_TRUE(contains(out, "- values: len< = 3&4"));
}

TEST(TextReport, VerdictLinesSummaryAndStatistics) {
  TextOptions no_time;
  no_time.timings = false;
  std::string out = render_text(test::sample_run(), no_time);
  EXPECT_TRUE(
      contains(out,
               "specs/kmdf/fx2_timer_cancel.spec: violation (1 violation)  1,234 states, 5,678 "
               "transitions, depth 17\n"))
      << out;
  EXPECT_TRUE(contains(out, "specs/kmdf/fx2_timer_cancel_fixed.spec: pass  2,048 states"));
  EXPECT_TRUE(
      contains(out, "specs/ndis/filter_many.spec: incomplete (state limit 1000000 reached)"));
  EXPECT_TRUE(contains(
      out, "specs/appc/broken.spec: error\nspecs/appc/broken.spec:3:1: error: unknown API"));
  EXPECT_TRUE(contains(out, "5 Z3 queries (2 cached)"));
  EXPECT_TRUE(contains(
      out, "5 specs checked: 1 pass, 2 violation, 1 incomplete, 1 error; 2 violations found\n"));
  EXPECT_FALSE(contains(out, "states/s"));
  EXPECT_FALSE(contains(out, " ms"));

  std::string timed = render_text(test::sample_run(), {});
  EXPECT_TRUE(contains(timed, "98.7k states/s"));
  EXPECT_TRUE(contains(timed, "12 ms"));
}

TEST(TextReport, StatsOmitZ3WhenUnused) {
  Stats st;
  st.states = 10;
  st.transitions = 20;
  st.max_depth = 3;
  st.seconds = 2.0;
  EXPECT_EQ(render_text_stats(st, {}), "10 states, 20 transitions, 5 states/s, depth 3, 2.00 s");
}

TEST(TextReport, AcceptedViolationsAreWarnings) {
  RunResult run = test::sample_run();
  run.specs[0].violations[0].accepted = true;
  std::string out = render_text(run, {});
  EXPECT_TRUE(contains(out, ": warning: [CR001 double-completion]"));
  EXPECT_TRUE(contains(out, "(1 accepted by the baseline, 1 new)"));
}

}  // namespace
}  // namespace cc::reports
