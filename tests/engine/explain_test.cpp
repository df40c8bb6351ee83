// explain() finds the racing steps from the steps' typed events (engine/explain.cpp), never
// from the words of a note: a note alone names no race, an event does.
#include <gtest/gtest.h>

#include "model/frontend.h"
#include "modules/registry.h"
#include "tests/app/run_tool.h"

namespace cc {
namespace {

struct System {
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  std::unique_ptr<TransitionSystem> ts;
};

std::unique_ptr<System> make() {
  auto s = std::make_unique<System>();
  Diagnostics diags;
  s->spec = load_spec(s->sm, test::temp_file(R"(
spec "explain";
device d { queue q : parallel { EvtIoRead = OnRead; } }
fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }
environment { arrive q x 1; }
)"),
                      {}, diags);
  std::string why;
  if (s->spec) s->ts = make_transition_system(*s->spec, s->sm, why);
  return s;
}

TraceStep step(std::string lane, std::string note, std::vector<StepEvent> events = {}) {
  TraceStep t;
  t.activity_name = std::move(lane);
  t.note = std::move(note);
  t.events = std::move(events);
  return t;
}

TEST(Explain, RacingStepsComeFromTypedEvents) {
  auto s = make();
  ASSERT_NE(s->ts, nullptr);
  const Finding f{RuleId::UseAfterReuse, {}, "stale handle", "req#1"};
  // The words say "reuses req#1", but no step carries the event: no race is named.
  std::vector<TraceStep> words = {step("A", "reuses req#1"), step("B", "")};
  Explanation e = s->ts->explain(f, words);
  EXPECT_EQ(e.racing_steps, std::vector<uint32_t>{1});
  // The event names the earlier step, whatever the note says.
  std::vector<TraceStep> typed = {step("A", "", {{EventKind::Reuses, "req#1"}}), step("B", "")};
  e = s->ts->explain(f, typed);
  EXPECT_EQ(e.racing_steps, (std::vector<uint32_t>{0, 1}));
  EXPECT_NE(e.headline.find("A at step 1 reused req#1"), std::string::npos) << e.headline;
  // An event on another object does not count.
  std::vector<TraceStep> other = {step("A", "", {{EventKind::Reuses, "req#10"}}), step("B", "")};
  EXPECT_EQ(s->ts->explain(f, other).racing_steps, std::vector<uint32_t>{1});
}

TEST(Explain, DoubleCompletionByAnotherLaneAfterGivingBelow) {
  auto s = make();
  ASSERT_NE(s->ts, nullptr);
  const Finding f{RuleId::DoubleCompletion, {}, "nbl#1 completed twice", "nbl#1"};
  std::vector<TraceStep> t = {step("Send", "", {{EventKind::GivesBelow, "nbl#1"}}),
                              step("Other", "", {})};
  Explanation e = s->ts->explain(f, t);
  EXPECT_EQ(e.racing_steps, (std::vector<uint32_t>{0, 1}));
  EXPECT_NE(e.headline.find("sent nbl#1 below"), std::string::npos) << e.headline;
}

TEST(Explain, AWaitForAMessageAfterAClosedConversationIsTheLostCancel) {
  auto s = make();
  ASSERT_NE(s->ts, nullptr);
  Finding f{RuleId::LostCancel, {}, "client waits forever", "client"};
  f.waits = true;
  std::vector<TraceStep> t = {step("canceller", "", {{EventKind::ClosesConversation, "conv"}}),
                              step("client", "")};
  Explanation e = s->ts->explain(f, t);
  EXPECT_EQ(e.racing_steps, (std::vector<uint32_t>{0, 1}));
  f.waits = false;  // a lost cancel about an object, not a waiting activity
  EXPECT_TRUE(s->ts->explain(f, t).racing_steps.empty());
}

}  // namespace
}  // namespace cc
