#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "checker/explorer.h"
#include "checker/process_memory.h"
#include "checker/progress.h"

namespace cc {
namespace {

// A test transition system over a state of N int32 words (no padding, so the bytes are the
// value). Subclasses list successors; describe() re-runs that list and picks the label.
template <std::size_t N>
class WordSystem : public TransitionSystem {
 public:
  using State = std::array<int32_t, N>;
  struct Succ {
    Label label;
    State next;
    std::optional<Finding> finding;
  };

  virtual State init() = 0;
  virtual void next(const State& s, std::vector<Succ>& out) = 0;
  virtual std::optional<Finding> end(const State&) { return std::nullopt; }

  std::size_t state_size() const override { return sizeof(State); }
  void initial_state(std::span<uint8_t> out) override {
    const State s = init();
    std::memcpy(out.data(), s.data(), sizeof s);
  }
  void successors(std::span<const uint8_t> state, SuccessorSink& sink) override {
    ++expansions;
    buf_.clear();
    next(load(state), buf_);
    for (const Succ& x : buf_) {
      sink.on_successor(x.label, {reinterpret_cast<const uint8_t*>(x.next.data()), sizeof(State)},
                        x.finding ? &*x.finding : nullptr);
    }
  }
  std::optional<Finding> end_state(std::span<const uint8_t> state) override {
    ++end_checks;
    return end(load(state));
  }
  TraceStep describe(std::span<const uint8_t> before, Label label,
                     std::vector<uint8_t>& after) override {
    std::vector<Succ> all;
    next(load(before), all);
    for (const Succ& x : all) {
      if (x.label == label) {
        after.resize(sizeof(State));
        std::memcpy(after.data(), x.next.data(), sizeof(State));
        TraceStep st;
        st.activity = label.actor;
        st.choice = label.choice;
        st.action = "a" + std::to_string(label.actor) + "c" + std::to_string(label.choice);
        for (std::size_t i = 0; i < N; ++i) st.note += std::to_string(x.next[i]) + " ";
        return st;
      }
    }
    throw std::logic_error("label does not leave the state");
  }
  Explanation explain(const Finding& f, std::span<const TraceStep> trace) override {
    Explanation e;
    e.headline = "race: " + f.message;
    if (!trace.empty()) e.racing_steps = {0, static_cast<uint32_t>(trace.size() - 1)};
    return e;
  }
  ResultLoc result_loc(SourceLoc loc) const override {
    return ResultLoc{"test.spec", loc.line, loc.col, "line " + std::to_string(loc.line)};
  }

  static State load(std::span<const uint8_t> bytes) {
    State s;
    std::memcpy(s.data(), bytes.data(), sizeof s);
    return s;
  }
  static State state_after(const TraceStep& step) {  // parses note
    State s{};
    std::size_t pos = 0;
    for (std::size_t i = 0; i < N; ++i) {
      std::size_t used = 0;
      s[i] = std::stoi(step.note.substr(pos), &used);
      pos += used + 1;
    }
    return s;
  }

  uint64_t expansions = 0;
  uint64_t end_checks = 0;

 private:
  std::vector<Succ> buf_;
};

Finding finding(RuleId rule, uint32_t line, std::string msg, uint32_t col = 1) {
  Finding f;
  f.rule = rule;
  f.loc = SourceLoc{FileId{0}, line, col};
  f.message = std::move(msg);
  return f;
}

// W x H grid, moves right (actor 0) and down (actor 1): W*H states, one end state.
class MonotoneGrid : public WordSystem<2> {
 public:
  MonotoneGrid(int w, int h) : w_(w), h_(h) {}
  State init() override { return {0, 0}; }
  void next(const State& s, std::vector<Succ>& out) override {
    if (s[0] + 1 < w_) out.push_back({Label{0, 0}, {s[0] + 1, s[1]}, std::nullopt});
    if (s[1] + 1 < h_) out.push_back({Label{1, 0}, {s[0], s[1] + 1}, std::nullopt});
  }

 private:
  int w_, h_;
};

// 4-neighbour grid; entering a goal cell is a violation of the goal's rule at its line.
class GoalGrid : public WordSystem<2> {
 public:
  struct Goal {
    int x, y;
    RuleId rule;
    uint32_t line;
  };
  GoalGrid(int w, int h, std::vector<Goal> goals) : w_(w), h_(h), goals_(std::move(goals)) {}
  State init() override { return {0, 0}; }
  void next(const State& s, std::vector<Succ>& out) override {
    static constexpr int dx[] = {1, 0, -1, 0};
    static constexpr int dy[] = {0, 1, 0, -1};
    for (uint16_t d = 0; d < 4; ++d) {
      const int x = s[0] + dx[d], y = s[1] + dy[d];
      if (x < 0 || y < 0 || x >= w_ || y >= h_) continue;
      Succ n{Label{d, 0}, {x, y}, std::nullopt};
      for (const Goal& g : goals_) {
        if (g.x == x && g.y == y) {
          n.finding = finding(g.rule, g.line,
                              "goal (" + std::to_string(x) + "," + std::to_string(y) +
                                  ") entered by move " + std::to_string(d));
        }
      }
      out.push_back(n);
    }
  }

 private:
  int w_, h_;
  std::vector<Goal> goals_;
};

// Two processes, non-atomic test-and-set lock: pc 0 idle, 1 saw lock free, 2 critical.
class BuggyMutex : public WordSystem<3> {
 public:
  State init() override { return {0, 0, 0}; }
  void next(const State& s, std::vector<Succ>& out) override {
    for (uint16_t p = 0; p < 2; ++p) {
      State n = s;
      std::optional<Finding> f;
      switch (s[p]) {
        case 0:
          if (s[2] != 0) continue;  // wait for the lock
          n[p] = 1;
          break;
        case 1:
          n[p] = 2;
          n[2] = 1;
          if (s[1 - p] == 2) f = finding(RuleId::DoubleCompletion, 7, "both in critical");
          break;
        default:
          n[p] = 0;
          n[2] = 0;
          break;
      }
      out.push_back({Label{p, 0}, n, f});
    }
  }
};

// 0 -> A (actor 0) and 0 -> B (actor 1); A has a violating transition (2 steps), B is a dead
// end whose end-state check fails (1 step). BFS expands A first.
class EndStateShorter : public WordSystem<1> {
 public:
  State init() override { return {0}; }
  void next(const State& s, std::vector<Succ>& out) override {
    if (s[0] == 0) {
      out.push_back({Label{0, 0}, {1}, std::nullopt});
      out.push_back({Label{1, 0}, {2}, std::nullopt});
    } else if (s[0] == 1) {
      out.push_back({Label{0, 1}, {3}, finding(RuleId::DoubleCompletion, 3, "twice")});
    }
  }
  std::optional<Finding> end(const State& s) override {
    if (s[0] == 2) return finding(RuleId::NeverCompleted, 9, "req#1 never completed");
    return std::nullopt;
  }
};

// Counts up to `n` and stops: a clean end state unless `bad_end`.
class Chain : public WordSystem<1> {
 public:
  explicit Chain(int n, bool bad_end = false) : n_(n), bad_end_(bad_end) {}
  State init() override { return {0}; }
  void next(const State& s, std::vector<Succ>& out) override {
    if (s[0] < n_) out.push_back({Label{0, 0}, {s[0] + 1}, std::nullopt});
  }
  std::optional<Finding> end(const State&) override {
    if (bad_end_) return finding(RuleId::Deadlock, 12, "deadlock");
    return std::nullopt;
  }

 private:
  int n_;
  bool bad_end_;
};

// An infinite binary tree over 64-bit values; optionally a violation on the way.
class Unbounded : public TransitionSystem {
 public:
  explicit Unbounded(std::optional<uint64_t> bad = std::nullopt) : bad_(bad) {}
  std::size_t state_size() const override { return 8; }
  void initial_state(std::span<uint8_t> out) override { std::memset(out.data(), 0, 8); }
  void successors(std::span<const uint8_t> state, SuccessorSink& sink) override {
    uint64_t v;
    std::memcpy(&v, state.data(), 8);
    for (uint16_t c = 0; c < 2; ++c) {
      const uint64_t n = 2 * v + 1 + c;
      const Finding f = finding(RuleId::Assertion, 4, "hit");
      sink.on_successor(Label{0, c}, {reinterpret_cast<const uint8_t*>(&n), 8},
                        bad_ && n == *bad_ ? &f : nullptr);
    }
  }
  std::optional<Finding> end_state(std::span<const uint8_t>) override { return std::nullopt; }
  TraceStep describe(std::span<const uint8_t> before, Label label,
                     std::vector<uint8_t>& after) override {
    uint64_t v;
    std::memcpy(&v, before.data(), 8);
    const uint64_t n = 2 * v + 1 + label.choice;
    after.resize(8);
    std::memcpy(after.data(), &n, 8);
    TraceStep st;
    st.action = std::to_string(n);
    return st;
  }
  Explanation explain(const Finding&, std::span<const TraceStep>) override { return {}; }
  ResultLoc result_loc(SourceLoc loc) const override {
    return ResultLoc{"u.spec", loc.line, 0, ""};
  }

 private:
  std::optional<uint64_t> bad_;
};

CheckOptions bfs() {
  return CheckOptions{};
}
CheckOptions dfs() {
  CheckOptions o;
  o.search = SearchOrder::Dfs;
  return o;
}

TEST(Explorer, CleanSystemPassesWithExactCounts) {
  for (const CheckOptions& o : {bfs(), dfs()}) {
    MonotoneGrid g(4, 3);
    const SpecResult r = explore(g, o);
    EXPECT_EQ(r.verdict, Verdict::Pass);
    EXPECT_TRUE(r.violations.empty());
    EXPECT_TRUE(r.incomplete_reason.empty());
    EXPECT_EQ(r.stats.states, 12U);
    EXPECT_EQ(r.stats.transitions, 3U * 3U + 4U * 2U);
    EXPECT_EQ(r.stats.max_depth, 5U);
    EXPECT_EQ(r.stats.state_bytes, 8U);
    EXPECT_GT(r.stats.peak_memory_bytes, 0U);
    EXPECT_EQ(g.expansions, 12U);  // every state expanded exactly once
    EXPECT_EQ(g.end_checks, 1U);   // only (3,2) has no successors
  }
}

TEST(Explorer, BfsFindsShortestTraceToGoal) {
  GoalGrid g(7, 7, {{5, 3, RuleId::Assertion, 10}});
  const SpecResult r = explore(g, bfs());
  ASSERT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.trace.size(), 8U);  // Manhattan distance
  ASSERT_TRUE(v.violating_step.has_value());
  EXPECT_EQ(v.violating_step->value, 7U);
  EXPECT_EQ(v.rule, RuleId::Assertion);
  EXPECT_EQ(v.loc.file, "test.spec");
  EXPECT_EQ(v.loc.line, 10U);
  EXPECT_EQ(v.message.rfind("goal (5,3)", 0), 0U);
  EXPECT_EQ(v.headline, "race: " + v.message);
  ASSERT_EQ(v.racing_steps.size(), 2U);
  EXPECT_EQ(v.racing_steps[1].value, 7U);
  EXPECT_EQ(GoalGrid::state_after(v.trace.back()), (GoalGrid::State{5, 3}));
  EXPECT_TRUE(r.incomplete_reason.empty());
}

TEST(Explorer, BfsFindsShortestMutexRace) {
  BuggyMutex m;
  const SpecResult r = explore(m, bfs());
  ASSERT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  ASSERT_EQ(v.trace.size(), 4U);
  EXPECT_EQ(v.violating_step->value, 3U);
  EXPECT_EQ(v.rule, RuleId::DoubleCompletion);
  EXPECT_EQ(v.loc.line, 7U);
  // Both saw the lock free before either took it.
  EXPECT_EQ(BuggyMutex::state_after(v.trace[1])[0] + BuggyMutex::state_after(v.trace[1])[1], 2);
}

TEST(Explorer, DfsFindsAValidTrace) {
  GoalGrid g(7, 7, {{5, 3, RuleId::Assertion, 10}});
  const SpecResult r = explore(g, dfs());
  ASSERT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  const Violation& v = r.violations[0];
  EXPECT_GE(v.trace.size(), 8U);
  EXPECT_EQ(v.violating_step->value, v.trace.size() - 1);
  EXPECT_EQ(GoalGrid::state_after(v.trace.back()), (GoalGrid::State{5, 3}));
  // Consecutive cells are neighbours.
  GoalGrid::State at{0, 0};
  for (const TraceStep& st : v.trace) {
    const GoalGrid::State n = GoalGrid::state_after(st);
    EXPECT_EQ(std::abs(n[0] - at[0]) + std::abs(n[1] - at[1]), 1);
    at = n;
  }

  BuggyMutex m;
  const SpecResult rm = explore(m, dfs());
  ASSERT_EQ(rm.verdict, Verdict::Violation);
  EXPECT_GE(rm.violations[0].trace.size(), 4U);
}

TEST(Explorer, DfsUsesNoRecursionOnLongChains) {
  Chain c(300'000);
  const SpecResult r = explore(c, dfs());
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.stats.states, 300'001U);
  EXPECT_EQ(r.stats.max_depth, 300'000U);
}

TEST(Explorer, EndStateViolationTraceEndsAtTheState) {
  Chain c(5, /*bad_end=*/true);
  const SpecResult r = explore(c, bfs());
  ASSERT_EQ(r.verdict, Verdict::Violation);
  const Violation& v = r.violations[0];
  EXPECT_FALSE(v.violating_step.has_value());
  EXPECT_EQ(v.trace.size(), 5U);
  EXPECT_EQ(Chain::state_after(v.trace.back())[0], 5);
  EXPECT_EQ(v.rule, RuleId::Deadlock);
  EXPECT_EQ(v.loc.line, 12U);

  Chain empty(0, true);  // the initial state is already the dead end
  const SpecResult r0 = explore(empty, bfs());
  ASSERT_EQ(r0.verdict, Verdict::Violation);
  EXPECT_TRUE(r0.violations[0].trace.empty());
  EXPECT_FALSE(r0.violations[0].violating_step.has_value());
}

TEST(Explorer, BfsPrefersShorterEndStateFoundLaterInTheSameLevel) {
  EndStateShorter s;
  const SpecResult r = explore(s, bfs());
  ASSERT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].rule, RuleId::NeverCompleted);
  EXPECT_EQ(r.violations[0].trace.size(), 1U);

  CheckOptions all = bfs();
  all.all = true;
  EndStateShorter s2;
  const SpecResult ra = explore(s2, all);
  ASSERT_EQ(ra.violations.size(), 2U);
  EXPECT_EQ(ra.violations[0].rule, RuleId::DoubleCompletion);  // discovery order
  EXPECT_EQ(ra.violations[0].trace.size(), 2U);
  EXPECT_EQ(ra.violations[1].rule, RuleId::NeverCompleted);
}

TEST(Explorer, StatesDeliveredBeforeTheStopAreCounted) {
  // 0 -> P (1), 0 -> D (2); P -> 3, 4; D is a dead end that fails. The search stops at D,
  // after P's successors were delivered: they are stored as if looked up one by one.
  class System : public WordSystem<1> {
    State init() override { return {0}; }
    void next(const State& s, std::vector<Succ>& out) override {
      if (s[0] == 0) {
        out.push_back({Label{0, 0}, {1}, std::nullopt});
        out.push_back({Label{1, 0}, {2}, std::nullopt});
      } else if (s[0] == 1) {
        out.push_back({Label{0, 0}, {3}, std::nullopt});
        out.push_back({Label{0, 1}, {4}, std::nullopt});
      }
    }
    std::optional<Finding> end(const State& s) override {
      if (s[0] == 2) return finding(RuleId::NeverCompleted, 5, "stuck");
      return std::nullopt;
    }
  };
  for (const CheckOptions& o : {bfs(), dfs()}) {
    System sys;
    const SpecResult r = explore(sys, o);
    ASSERT_EQ(r.violations.size(), 1U);
    EXPECT_EQ(r.violations[0].trace.size(), 1U);
    EXPECT_EQ(r.stats.transitions, 4U);
    EXPECT_EQ(r.stats.states, 5U);
  }
}

TEST(Explorer, AllKeepsOneShortestTracePerRuleAndLocation) {
  // (2,2) line 10 is reachable from two sides with different messages: one key.
  // (4,0) and (0,3) share line 20 but not the rule: two keys.
  const std::vector<GoalGrid::Goal> goals = {{2, 2, RuleId::Assertion, 10},
                                             {4, 0, RuleId::UseAfterFree, 20},
                                             {0, 3, RuleId::LostCancel, 20}};
  CheckOptions o = bfs();
  o.all = true;
  GoalGrid g(5, 5, goals);
  const SpecResult r = explore(g, o);
  ASSERT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 3U);
  EXPECT_EQ(r.violations[0].rule, RuleId::LostCancel);  // shortest, found first
  EXPECT_EQ(r.violations[0].trace.size(), 3U);
  for (const Violation& v : r.violations) {
    const std::size_t want = v.rule == RuleId::LostCancel ? 3 : 4;
    EXPECT_EQ(v.trace.size(), want) << v.message;
  }
  // The whole grid minus the three goal cells is explored.
  EXPECT_EQ(r.stats.states, 25U - 3U);

  // Same verdict and keys with DFS (traces may be longer).
  CheckOptions od = dfs();
  od.all = true;
  GoalGrid gd(5, 5, goals);
  const SpecResult rd = explore(gd, od);
  ASSERT_EQ(rd.violations.size(), 3U);
  std::set<RuleId> rules;
  for (const Violation& v : rd.violations) rules.insert(v.rule);
  EXPECT_EQ(rules.size(), 3U);
}

TEST(Explorer, DefaultStopsAtTheFirstViolation) {
  GoalGrid g(9, 9, {{1, 0, RuleId::Assertion, 10}});
  const SpecResult r = explore(g, bfs());
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_LT(r.stats.states, 10U);
}

TEST(Explorer, UncheckedRulesAreIgnored) {
  CheckOptions o = bfs();
  o.rules = {RuleId::LostCancel, RuleId::Deadlock};
  GoalGrid g(4, 4, {{2, 2, RuleId::Assertion, 10}});
  const SpecResult r = explore(g, o);
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_EQ(r.stats.states, 16U);  // the goal cell is an ordinary state

  Chain c(3, true);  // Deadlock end state: checked
  EXPECT_EQ(explore(c, o).verdict, Verdict::Violation);
  o.rules = {RuleId::LostCancel};
  Chain c2(3, true);
  EXPECT_EQ(explore(c2, o).verdict, Verdict::Pass);

  o.rules = {RuleId::Assertion};
  GoalGrid g2(4, 4, {{2, 2, RuleId::Assertion, 10}});
  EXPECT_EQ(explore(g2, o).verdict, Verdict::Violation);
}

TEST(Explorer, StateLimitGivesIncomplete) {
  CheckOptions o = bfs();
  o.max_states = 1000;
  Unbounded u;
  const SpecResult r = explore(u, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason, "state limit 1000 reached after 1000 states (depth 9)");
  EXPECT_EQ(r.stats.states, 1000U);

  // A system with exactly max_states states is complete.
  o.max_states = 12;
  MonotoneGrid g(4, 3);
  EXPECT_EQ(explore(g, o).verdict, Verdict::Pass);
  o.max_states = 11;
  MonotoneGrid g2(4, 3);
  EXPECT_EQ(explore(g2, o).verdict, Verdict::Incomplete);

  Unbounded ud;
  CheckOptions od = dfs();
  od.max_states = 500;
  const SpecResult rd = explore(ud, od);
  EXPECT_EQ(rd.verdict, Verdict::Incomplete);
  EXPECT_EQ(rd.stats.states, 500U);
}

TEST(Explorer, MemoryLimitGivesIncomplete) {
  for (const CheckOptions& base : {bfs(), dfs()}) {
    CheckOptions o = base;
    o.max_memory_mb = 1;
    o.max_states = 0;
    o.limit_process_memory = false;  // the structures alone
    Unbounded u;
    const SpecResult r = explore(u, o);
    EXPECT_EQ(r.verdict, Verdict::Incomplete);
    EXPECT_EQ(r.incomplete_reason.rfind("memory limit 1 MB reached after ", 0), 0U)
        << r.incomplete_reason;
    EXPECT_GT(r.stats.states, 1000U);
    EXPECT_LE(r.stats.peak_memory_bytes, uint64_t{1} << 20);
  }
}

// With process accounting (the default) what the process already holds counts: a limit
// below the test process's own resident set stops the search at its first state.
TEST(Explorer, MemoryLimitCountsTheWholeProcess) {
  const uint64_t resident_mb = process_resident_bytes() >> 20;
  ASSERT_GT(resident_mb, 2U) << "no resident-set figure on this platform";
  CheckOptions o = bfs();
  o.max_memory_mb = resident_mb;
  o.max_states = 0;
  Unbounded u;
  const SpecResult r = explore(u, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason.rfind("memory limit ", 0), 0U) << r.incomplete_reason;
  EXPECT_LE(r.stats.states, 1U);
  o.limit_process_memory = false;
  o.max_states = 5000;
  EXPECT_GT(explore(u, o).stats.states, 1000U) << "the structures alone fit";
}

TEST(Explorer, TimeLimitGivesIncomplete) {
  CheckOptions o = bfs();
  o.time_limit_s = 1e-9;
  o.max_states = 0;
  Unbounded u;
  const SpecResult r = explore(u, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason.rfind("time limit 1e-09 s reached after ", 0), 0U)
      << r.incomplete_reason;
}

TEST(Explorer, InterruptGivesIncomplete) {
  std::atomic<bool> flag{true};
  CheckOptions o = bfs();
  o.interrupt = &flag;
  Unbounded u;
  const SpecResult r = explore(u, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.incomplete_reason, "interrupted after 1 state (depth 0)");

  o.search = SearchOrder::Dfs;
  Unbounded ud;
  EXPECT_EQ(explore(ud, o).incomplete_reason, "interrupted after 1 state (depth 0)");
}

TEST(Explorer, LimitAfterAViolationKeepsTheViolation) {
  CheckOptions o = bfs();
  o.all = true;
  o.max_states = 5000;
  Unbounded u(/*bad=*/5);
  const SpecResult r = explore(u, o);
  EXPECT_EQ(r.verdict, Verdict::Violation);
  ASSERT_EQ(r.violations.size(), 1U);
  EXPECT_EQ(r.violations[0].trace.size(), 2U);  // 0 -> 2 -> 5
  EXPECT_EQ(r.incomplete_reason.rfind("state limit 5000 reached", 0), 0U);
}

TEST(Explorer, DescribeThrowingPropagates) {
  class Throwing : public BuggyMutex {
    TraceStep describe(std::span<const uint8_t>, Label, std::vector<uint8_t>&) override {
      throw std::logic_error("label not applicable");
    }
  } t;
  EXPECT_THROW(explore(t, bfs()), std::logic_error);

  // describe() reaching another state than successors() did is an internal error too.
  class Disagreeing : public BuggyMutex {
    TraceStep describe(std::span<const uint8_t> b, Label l, std::vector<uint8_t>& a) override {
      TraceStep st = BuggyMutex::describe(b, l, a);
      a[8] ^= 1;
      return st;
    }
  } d;
  EXPECT_THROW(explore(d, bfs()), std::logic_error);
}

// A pseudo-random graph: node v has 0-4 successors; some edges violate a rule, some dead
// ends fail the end-state check. Compared against a plain reference BFS.
class RandomGraph : public WordSystem<2> {
 public:
  explicit RandomGraph(uint32_t nodes) : nodes_(nodes) {}
  std::unique_ptr<TransitionSystem> clone() const override {
    ++clones;
    return std::make_unique<RandomGraph>(*this);
  }
  mutable int clones = 0;
  static uint32_t mix(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
  }
  State init() override { return {0, 77}; }
  void next(const State& s, std::vector<Succ>& out) override {
    const uint32_t v = static_cast<uint32_t>(s[0]);
    const uint32_t degree = v == 0 ? 4 : mix(v) % 5;
    for (uint16_t i = 0; i < degree; ++i) {
      const uint32_t w = mix(v * 8 + i + 1) % nodes_;
      Succ x{Label{i, static_cast<uint16_t>(w & 3)}, {static_cast<int32_t>(w), 77}, std::nullopt};
      if (mix(w ^ 0xABCD) % 97 == 0) {
        x.finding = finding(RuleId::UseAfterFree, 200 + w % 4, "edge to " + std::to_string(w));
      }
      out.push_back(x);
    }
  }
  std::optional<Finding> end(const State& s) override {
    if (s[0] % 3 == 0) return finding(RuleId::Deadlock, 100 + s[0] % 5, "stuck");
    return std::nullopt;
  }
  uint32_t nodes_;
};

TEST(Explorer, RandomGraphMatchesAReferenceBfs) {
  constexpr uint32_t kNodes = 20'000;
  RandomGraph ref(kNodes);
  // Reference: plain BFS over node ids, violating edges not followed.
  std::vector<int64_t> dist(kNodes, -1);
  std::vector<uint32_t> queue{0};
  dist[0] = 0;
  uint64_t transitions = 0;
  std::map<std::pair<RuleId, uint32_t>, int64_t> shortest;
  for (std::size_t h = 0; h < queue.size(); ++h) {
    const uint32_t v = queue[h];
    std::vector<RandomGraph::Succ> out;
    ref.next({static_cast<int32_t>(v), 77}, out);
    transitions += out.size();
    if (out.empty()) {
      if (auto f = ref.end({static_cast<int32_t>(v), 77})) {
        auto [it, fresh] = shortest.try_emplace({f->rule, f->loc.line}, dist[v]);
        if (!fresh) it->second = std::min(it->second, dist[v]);
      }
    }
    for (const RandomGraph::Succ& x : out) {
      if (x.finding) {
        auto [it, fresh] =
            shortest.try_emplace({x.finding->rule, x.finding->loc.line}, dist[v] + 1);
        if (!fresh) it->second = std::min(it->second, dist[v] + 1);
        continue;
      }
      const auto w = static_cast<uint32_t>(x.next[0]);
      if (dist[w] < 0) {
        dist[w] = dist[v] + 1;
        queue.push_back(w);
      }
    }
  }
  ASSERT_GT(queue.size(), 1000U);
  ASSERT_GT(shortest.size(), 3U);

  CheckOptions o = bfs();
  o.all = true;
  RandomGraph g(kNodes);
  const SpecResult r = explore(g, o);
  EXPECT_EQ(r.stats.states, queue.size());
  EXPECT_EQ(r.stats.transitions, transitions);
  EXPECT_EQ(int64_t{r.stats.max_depth}, dist[queue.back()]);
  ASSERT_EQ(r.violations.size(), shortest.size());
  for (const Violation& v : r.violations) {
    EXPECT_EQ(int64_t(v.trace.size()), (shortest[{v.rule, v.loc.line}])) << v.message;
  }

  // The default stops at one shortest violation; DFS reaches the same states.
  RandomGraph g1(kNodes);
  const SpecResult first = explore(g1, bfs());
  ASSERT_EQ(first.violations.size(), 1U);
  int64_t best = INT64_MAX;
  for (const auto& [key, len] : shortest) best = std::min(best, len);
  EXPECT_EQ(int64_t(first.violations[0].trace.size()), best);

  CheckOptions od = dfs();
  od.all = true;
  RandomGraph g2(kNodes);
  const SpecResult rd = explore(g2, od);
  EXPECT_EQ(rd.stats.states, queue.size());
  EXPECT_EQ(rd.stats.transitions, transitions);
  EXPECT_EQ(rd.violations.size(), shortest.size());
}

// Two threads (level-synchronous BFS) give the one-thread search's states, transitions,
// violations and traces, also when a limit or the first violation stops the search.
TEST(Explorer, TwoThreadsGiveTheOneThreadResults) {
  constexpr uint32_t kNodes = 60'000;
  for (const bool all : {false, true}) {
    for (const uint64_t max_states : {uint64_t{0}, uint64_t{7'777}}) {
      CheckOptions o = bfs();
      o.all = all;
      o.max_states = max_states;
      RandomGraph g1(kNodes);
      const SpecResult one = explore(g1, o);
      EXPECT_EQ(g1.clones, 0);
      o.threads = 2;
      RandomGraph g2(kNodes);
      const SpecResult two = explore(g2, o);
      EXPECT_EQ(g2.clones, 1) << "the parallel search was not used";
      SCOPED_TRACE(testing::Message() << "all=" << all << " max_states=" << max_states);
      EXPECT_EQ(one.verdict, two.verdict);
      EXPECT_EQ(one.stats.states, two.stats.states);
      EXPECT_EQ(one.stats.max_depth, two.stats.max_depth);
      // Under a state limit too: the search stops after the same state in both.
      EXPECT_EQ(one.stats.transitions, two.stats.transitions);
      EXPECT_EQ(one.stats.reduced, two.stats.reduced);
      EXPECT_EQ(one.incomplete_reason, two.incomplete_reason);
      ASSERT_EQ(one.violations.size(), two.violations.size());
      for (std::size_t i = 0; i < one.violations.size(); ++i) {
        const Violation& a = one.violations[i];
        const Violation& b = two.violations[i];
        EXPECT_EQ(a.message, b.message);
        ASSERT_EQ(a.trace.size(), b.trace.size());
        for (std::size_t k = 0; k < a.trace.size(); ++k) {
          EXPECT_EQ(a.trace[k].action, b.trace[k].action);
          EXPECT_EQ(a.trace[k].note, b.trace[k].note);
        }
      }
      if (all && max_states == 0) {
        EXPECT_GT(one.stats.states, 2 * 8192U) << "several slices";
      }
    }
  }
}

// Two independent processes: P cycles p = 0 -> 1 -> ... -> 0 for ever, Q takes one step and
// then violates. The system names {P} as a persistent set whenever P can move, which is
// true (P and Q touch different words), but P alone never stops: without the cycle proviso
// the search would go round P's cycle and never let Q move.
class CycleAndViolation : public WordSystem<2> {
 public:
  explicit CycleAndViolation(int cycle) : cycle_(cycle) {}
  State init() override { return {0, 0}; }
  void next(const State& s, std::vector<Succ>& out) override {
    p_moves(s, out);
    if (s[1] == 0) out.push_back({Label{1, 0}, {s[0], 1}, std::nullopt});
    if (s[1] == 1) {
      out.push_back({Label{1, 0}, {s[0], 2}, finding(RuleId::Assertion, 7, "Q violates")});
    }
  }
  bool persistent_successors(std::span<const uint8_t> state, SuccessorSink& sink) override {
    const State s = load(state);
    std::vector<Succ> ps;
    p_moves(s, ps);
    for (const Succ& x : ps) {
      sink.on_successor(x.label, {reinterpret_cast<const uint8_t*>(x.next.data()), sizeof(State)},
                        nullptr);
    }
    return !ps.empty();
  }
  std::unique_ptr<TransitionSystem> clone() const override {
    return std::make_unique<CycleAndViolation>(cycle_);
  }

 private:
  void p_moves(const State& s, std::vector<Succ>& out) const {
    out.push_back({Label{0, 0}, {(s[0] + 1) % cycle_, s[1]}, std::nullopt});
  }
  int cycle_;
};

TEST(Explorer, PartialOrderReductionKeepsTheCycleProviso) {
  CheckOptions two = bfs();
  two.threads = 2;
  CheckOptions compact = dfs();
  compact.hash_compaction = true;
  for (const CheckOptions& base : {bfs(), two, dfs(), compact}) {
    SCOPED_TRACE(testing::Message()
                 << "threads=" << base.threads << " dfs=" << (base.search == SearchOrder::Dfs)
                 << " hash_compaction=" << base.hash_compaction);
    for (const bool por : {false, true}) {
      CheckOptions o = base;
      o.por = por;
      o.all = true;
      CycleAndViolation sys(5);
      const SpecResult r = explore(sys, o);
      EXPECT_EQ(r.verdict, Verdict::Violation) << "por=" << por;
      ASSERT_EQ(r.violations.size(), 1U);
      EXPECT_EQ(r.violations[0].message, "Q violates");
      if (por) {
        EXPECT_GT(r.stats.reduced, 0U) << "the persistent set was never used";
      } else {
        EXPECT_EQ(r.stats.reduced, 0U);
      }
    }
  }
}

// Hash compaction keeps 8 bytes per state and searches depth-first: without a collision it
// visits what the exact DFS visits and finds the same violations, with replayable traces.
TEST(Explorer, HashCompactionMatchesTheExactDepthFirstSearch) {
  constexpr uint32_t kNodes = 40'000;
  for (const bool all : {false, true}) {
    CheckOptions o = dfs();
    o.all = all;
    RandomGraph g1(kNodes);
    const SpecResult exact = explore(g1, o);
    o.hash_compaction = true;
    o.search = SearchOrder::Bfs;  // hash compaction is depth-first whatever the order says
    RandomGraph g2(kNodes);
    const SpecResult compact = explore(g2, o);
    SCOPED_TRACE(testing::Message() << "all=" << all);
    EXPECT_FALSE(exact.stats.hash_compaction);
    EXPECT_TRUE(compact.stats.hash_compaction);
    EXPECT_EQ(exact.verdict, compact.verdict);
    EXPECT_EQ(exact.stats.states, compact.stats.states);
    EXPECT_EQ(exact.stats.transitions, compact.stats.transitions);
    EXPECT_EQ(exact.stats.max_depth, compact.stats.max_depth);
    ASSERT_EQ(exact.violations.size(), compact.violations.size());
    for (std::size_t i = 0; i < exact.violations.size(); ++i) {
      ASSERT_EQ(exact.violations[i].trace.size(), compact.violations[i].trace.size());
      for (std::size_t k = 0; k < exact.violations[i].trace.size(); ++k) {
        EXPECT_EQ(exact.violations[i].trace[k].note, compact.violations[i].trace[k].note);
      }
    }
    if (all) {
      EXPECT_GT(compact.stats.states, 10'000U);
    }
  }
  Stats st;
  st.states = 1'000'000;
  EXPECT_EQ(omission_probability(st), 0.0);
  st.hash_compaction = true;
  EXPECT_NEAR(omission_probability(st), 2.71e-8, 0.01e-8);
}

TEST(Explorer, HashCompactionHonoursTheStateLimit) {
  CheckOptions o = dfs();
  o.hash_compaction = true;
  o.max_states = 500;
  Unbounded u;
  const SpecResult r = explore(u, o);
  EXPECT_EQ(r.verdict, Verdict::Incomplete);
  EXPECT_EQ(r.stats.states, 500U);
  EXPECT_EQ(r.incomplete_reason.rfind("state limit 500 reached", 0), 0U) << r.incomplete_reason;
}

TEST(Explorer, DeterministicAcrossRuns) {
  auto run = [](SearchOrder order) {
    CheckOptions o;
    o.search = order;
    o.all = true;
    GoalGrid g(6, 6, {{3, 3, RuleId::Assertion, 10}, {5, 0, RuleId::LostCancel, 11}});
    return explore(g, o);
  };
  for (const SearchOrder order : {SearchOrder::Bfs, SearchOrder::Dfs}) {
    const SpecResult a = run(order);
    const SpecResult b = run(order);
    EXPECT_EQ(a.stats.states, b.stats.states);
    EXPECT_EQ(a.stats.transitions, b.stats.transitions);
    ASSERT_EQ(a.violations.size(), b.violations.size());
    for (std::size_t i = 0; i < a.violations.size(); ++i) {
      ASSERT_EQ(a.violations[i].trace.size(), b.violations[i].trace.size());
      EXPECT_EQ(a.violations[i].message, b.violations[i].message);
      for (std::size_t k = 0; k < a.violations[i].trace.size(); ++k) {
        EXPECT_EQ(a.violations[i].trace[k].action, b.violations[i].trace[k].action);
      }
    }
  }
}

TEST(Explorer, ProgressWritesOnlyToStderrAndClearsTheLine) {
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  CheckOptions o = bfs();
  o.progress = true;
  MonotoneGrid g(50, 50);
  const SpecResult r = explore(g, o);
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.verdict, Verdict::Pass);
  EXPECT_TRUE(out.empty());
  if (!err.empty()) {
    EXPECT_EQ(err.back(), '\r');
  }
}

TEST(ProgressLine, RedrawsInPlaceAndClears) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressLine p(f, 0.5);
    p.update({0.1, 10, 1, 5, 1 << 20});  // before the interval: nothing
    p.update({0.6, 1'500'000, 7, 12'345, 3 << 20});
    p.update({0.7, 1'600'000, 7, 12'345, 3 << 20});  // too soon: nothing
    p.update({1.2, 2'000'000, 8, 1, 4 << 20});
    p.finish();
    p.finish();  // idempotent
  }
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text.push_back(static_cast<char>(c));
  std::fclose(f);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 0);
  EXPECT_EQ(text.front(), '\r');
  EXPECT_EQ(text.back(), '\r');
  EXPECT_NE(text.find("1.50M states"), std::string::npos) << text;
  EXPECT_NE(text.find("depth 8"), std::string::npos) << text;
  EXPECT_EQ(text.find("1.60M"), std::string::npos) << text;
  // Two draws, then the clear's pair.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 4);
}

}  // namespace
}  // namespace cc
