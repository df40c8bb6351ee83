// checker/liveness.h through explore(): fair cycles become lassos, unfair ones do not, the
// stem is a shortest one, the cycle closes; and replay (checker/replay.h) accepts a lasso of
// a real spec and rejects a tampered one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "checker/check.h"
#include "checker/explorer.h"
#include "checker/replay.h"
#include "model/frontend.h"
#include "tests/loaded_spec.h"

namespace cc {
namespace {

// A graph as a transition system: the state is the node number (one int32). Edges carry an
// actor; node sets say where an object is pending or actor 0 is an occupied activity slot.
class GraphSystem : public TransitionSystem {
 public:
  struct Edge {
    int32_t from;
    uint16_t actor;
    int32_t to;
  };
  std::vector<Edge> edges;
  std::set<int32_t> pending_at;       ///< nodes where "obj" is pending (CR005)
  std::set<int32_t> blocked_at;       ///< nodes where actor 0 is an activity waiting (CR014)
  std::map<uint16_t, Fairness> fair;  ///< per actor (default Weak)
  uint16_t nactors = 4;

  std::size_t state_size() const override { return 4; }
  void initial_state(std::span<uint8_t> out) override { std::memset(out.data(), 0, 4); }
  void successors(std::span<const uint8_t> state, SuccessorSink& sink) override {
    const int32_t s = load(state);
    uint16_t choice = 0;
    for (const Edge& e : edges) {
      if (e.from != s) continue;
      sink.on_successor(Label{e.actor, choice++}, bytes(e.to), nullptr);
    }
  }
  std::optional<Finding> end_state(std::span<const uint8_t>) override { return std::nullopt; }
  TraceStep describe(std::span<const uint8_t> before, Label label,
                     std::vector<uint8_t>& after) override {
    const int32_t s = load(before);
    uint16_t choice = 0;
    for (const Edge& e : edges) {
      if (e.from != s) continue;
      if (Label{e.actor, choice++} == label) {
        after.assign(4, 0);
        std::memcpy(after.data(), &e.to, 4);
        TraceStep st;
        st.activity = e.actor;
        st.action = std::to_string(e.from) + "->" + std::to_string(e.to);
        return st;
      }
    }
    throw std::logic_error("label does not leave the state");
  }
  Explanation explain(const Finding& f, std::span<const TraceStep>) override {
    return Explanation{f.message, {}};
  }
  ResultLoc result_loc(SourceLoc loc) const override { return ResultLoc{"g", loc.line, 1, ""}; }
  uint32_t actors() const override { return nactors; }
  Fairness fairness(std::span<const uint8_t>, uint32_t actor) override {
    auto it = fair.find(static_cast<uint16_t>(actor));
    return it == fair.end() ? Fairness::Weak : it->second;
  }
  void pending(std::span<const uint8_t> state, std::vector<Finding>& out) override {
    if (pending_at.contains(load(state))) {
      out.push_back(
          Finding{RuleId::NeverCompleted, SourceLoc{FileId{0}, 7, 1}, "obj pending", "obj"});
    }
  }
  std::optional<Finding> starving(std::span<const uint8_t> state, uint32_t actor) override {
    if (actor != 0 || !blocked_at.contains(load(state))) return std::nullopt;
    return Finding{RuleId::Starvation, SourceLoc{FileId{0}, 9, 1}, "waiter starves", "waiter",
                   true};
  }

  static int32_t load(std::span<const uint8_t> b) {
    int32_t v;
    std::memcpy(&v, b.data(), 4);
    return v;
  }
  std::span<const uint8_t> bytes(int32_t v) {
    std::memcpy(buf_, &v, 4);
    return {buf_, 4};
  }

 private:
  uint8_t buf_[4]{};
};

CheckOptions options() {
  CheckOptions o;
  o.por = false;
  o.symmetry = false;
  o.limit_process_memory = false;
  return o;
}

/// The node each step of a trace reaches.
std::vector<int32_t> nodes_of(const Violation& v) {
  std::vector<int32_t> out;
  for (const TraceStep& s : v.trace)
    out.push_back(std::stoi(s.action.substr(s.action.find('>') + 1)));
  return out;
}

// 0 -arrive(3)-> 1; at 1 a timer (actor 1) loops; the completer (actor 2) could run at 1 and
// leads to 2, where nothing is pending. Node 1's only cycle never runs the completer.
GraphSystem completer_graph(Fairness completer) {
  GraphSystem g;
  g.edges = {{0, 3, 1}, {1, 1, 1}, {1, 2, 2}, {2, 1, 2}};
  g.pending_at = {1};
  g.fair = {{3, Fairness::None}, {2, completer}};
  return g;
}

TEST(Liveness, AnUnfairCycleIsNoViolation) {
  GraphSystem weak = completer_graph(Fairness::Weak);
  const SpecResult r = explore(weak, options());
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.liveness, LivenessRun::Checked);
  EXPECT_GT(r.stats.cyclic_states, 0U);
}

TEST(Liveness, WithoutFairnessTheSameCycleViolates) {
  GraphSystem none = completer_graph(Fairness::None);
  const SpecResult r = explore(none, options());
  ASSERT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.rule, RuleId::NeverCompleted);
  ASSERT_TRUE(v.loop_start.has_value());
  EXPECT_EQ(v.stays, "obj");
  EXPECT_EQ(nodes_of(v), (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(v.loop_start->value, 1U);
}

TEST(Liveness, LivenessOffSkipsThePass) {
  GraphSystem none = completer_graph(Fairness::None);
  CheckOptions o = options();
  o.liveness = false;
  const SpecResult r = explore(none, o);
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.liveness, LivenessRun::Off);
}

// Two stems to the cycle {3, 4}: 0-1-2-3 and 0-5-3. The lasso takes the shorter one.
TEST(Liveness, TheStemIsAShortestOne) {
  GraphSystem g;
  g.edges = {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {0, 2, 5}, {5, 2, 3}, {3, 1, 4}, {4, 1, 3}};
  g.pending_at = {3, 4};
  const SpecResult r = explore(g, options());
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  ASSERT_TRUE(v.loop_start.has_value());
  EXPECT_EQ(v.loop_start->value, 2U);
  EXPECT_EQ(nodes_of(v), (std::vector<int32_t>{5, 3, 4, 3}));
}

// --max-states bounds the stored states and the cycle analysis's together: a limit reached in
// the analysis is an incomplete verdict, never a pass.
TEST(Liveness, ALimitInTheCycleAnalysisIsIncomplete) {
  GraphSystem g;
  g.edges = {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {0, 2, 5}, {5, 2, 3}, {3, 1, 4}, {4, 1, 3}};
  g.pending_at = {3, 4};
  CheckOptions o = options();
  o.max_states = 6;  // exactly the stored states: no room for the cycle's concrete states
  const SpecResult r = explore(g, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason.rfind("liveness: state limit", 0), 0U) << r.incomplete_reason;
  o.max_states = 8;
  EXPECT_EQ(explore(g, o).verdict, Verdict::Violation);
}

// The cycle closes: the state after its last step is the one before its first.
TEST(Liveness, TheCycleReturnsToWhereItBegan) {
  GraphSystem g;
  g.edges = {{0, 1, 1}, {1, 1, 2}, {2, 2, 3}, {3, 1, 1}};
  g.pending_at = {1, 2, 3};
  const SpecResult r = explore(g, options());
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  ASSERT_TRUE(v.loop_start.has_value());
  const std::vector<int32_t> at = nodes_of(v);
  const int32_t before_loop = v.loop_start->value == 0 ? 0 : at[v.loop_start->value - 1];
  EXPECT_EQ(at.back(), before_loop);
  EXPECT_EQ(at.size() - v.loop_start->value, 3U);  // 1 -> 2 -> 3 -> 1
}

// {1, 2}: actor 0 moves between them; actor 2 can leave the cycle (to 3, nothing pending) and
// is enabled only at 2. Weakly fair, it may be ignored (not enabled throughout); strongly
// fair, it must be taken: no fair cycle.
GraphSystem strong_graph(Fairness leave) {
  GraphSystem g;
  g.edges = {{0, 1, 1}, {1, 1, 2}, {2, 1, 1}, {2, 2, 3}, {3, 1, 3}};
  g.pending_at = {1, 2};
  g.fair = {{2, leave}};
  return g;
}

TEST(Liveness, StrongFairnessRemovesTheStatesWhereTheActorIsEnabled) {
  GraphSystem strong = strong_graph(Fairness::Strong);
  EXPECT_EQ(explore(strong, options()).verdict, Verdict::Pass);
  GraphSystem weak = strong_graph(Fairness::Weak);
  const SpecResult r = explore(weak, options());
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].rule, RuleId::NeverCompleted);
}

// Actor 0 is a waiting activity at 1 and 2 (never moves there); actor 1 loops 1 <-> 2.
TEST(Liveness, AnActivityThatNeverMovesInAFairCycleStarves) {
  GraphSystem g;
  g.edges = {{0, 1, 1}, {1, 1, 2}, {2, 1, 1}};
  g.blocked_at = {1, 2};
  g.fair = {{0, Fairness::Strong}};  // waits for an event: never enabled here
  const SpecResult r = explore(g, options());
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].rule, RuleId::Starvation);
  EXPECT_TRUE(r.violations[0].stays_blocked);
  EXPECT_EQ(r.violations[0].stays, "waiter");
  // Once the waiter can move at 2 (its event is set there), strong fairness makes it move.
  g.edges.push_back({2, 0, 3});
  EXPECT_EQ(explore(g, options()).verdict, Verdict::Pass);
}

TEST(Liveness, HashCompactionSaysLivenessWasNotChecked) {
  GraphSystem none = completer_graph(Fairness::None);
  CheckOptions o = options();
  o.hash_compaction = true;
  const SpecResult r = explore(none, o);
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.liveness, LivenessRun::NotChecked);
  EXPECT_FALSE(r.liveness_note.empty());
}

// ---- replay of a real spec's lasso ----

using testing::Loaded;

std::unique_ptr<Loaded> load(const std::string& text) {
  return testing::load(text, "cc_live");
}

constexpr const char* kTimerStarves = R"(spec "periodic timer, stop path waits for ever";
global bool stopping = FALSE;
event timerStopped;
timer tick = OnTick;
fn OnTick() {
  WdfTimerStart(tick);
}
thread StopDevice {
  stopping = TRUE;
  KeWaitForSingleObject(timerStopped);
}
environment {
}
)";

TEST(LivenessReplay, ALassoReplaysAndATamperedOneDoesNot) {
  auto l = load(kTimerStarves);
  ASSERT_TRUE(l->spec);
  const SpecResult r = check_spec(*l->spec, l->sm, CheckOptions{});
  ASSERT_EQ(r.verdict, Verdict::Violation) << r.error;
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.rule, RuleId::Starvation);
  ASSERT_TRUE(v.loop_start.has_value());
  EXPECT_TRUE(v.replayed);
  EXPECT_EQ(confirm(*l->spec, l->sm, v), "");

  Violation open = v;  // the cycle's last step dropped: it no longer closes
  open.trace.pop_back();
  EXPECT_EQ(replay_violation(*l->spec, l->sm, open).status, ReplayStatus::Mismatch);

  Violation moved = v;  // the cycle starts one step early: it does not return there
  moved.loop_start = StepIndex{v.loop_start->value - 1};
  EXPECT_NE(replay_violation(*l->spec, l->sm, moved).status, ReplayStatus::Reproduced);

  Violation wrong = v;  // the waiter named is not the one that waits
  wrong.stays = "OnTick";
  EXPECT_EQ(replay_violation(*l->spec, l->sm, wrong).status, ReplayStatus::Mismatch);
}

}  // namespace
}  // namespace cc
