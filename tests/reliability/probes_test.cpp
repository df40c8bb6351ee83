// The reliability reproducers (tests/data/reliability/): each once gave a false pass, a hang,
// a crash or an executor disagreement. Checked in-process in every search and reduction mode;
// every counterexample is replayed by the reference executor inside check_spec (a
// disagreement throws). docs/reliability.md.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "checker/check.h"
#include "model/frontend.h"
#include "tests/reliability/child.h"

namespace cc {
namespace {

struct Mode {
  const char* name;
  SearchOrder search;
  bool por;
  bool symmetry;
  unsigned threads;
  bool hash_compaction;
};

constexpr Mode kModes[] = {
    {"bfs", SearchOrder::Bfs, true, true, 1, false},
    {"bfs-por-only", SearchOrder::Bfs, true, false, 1, false},
    {"bfs-symmetry-only", SearchOrder::Bfs, false, true, 1, false},
    {"bfs-no-reductions", SearchOrder::Bfs, false, false, 1, false},
    {"dfs", SearchOrder::Dfs, true, true, 1, false},
    {"bfs-2-threads", SearchOrder::Bfs, true, true, 2, false},
    {"hash-compaction", SearchOrder::Dfs, true, true, 1, true},
};

std::string data(const std::string& name) {
  return std::string(CC_SOURCE_DIR) + "/tests/data/reliability/" + name;
}

SpecResult check_file(const std::string& path, const Mode& m, bool all,
                      std::vector<RuleId> rules = {}) {
  SourceManager sm;
  Diagnostics diags;
  auto spec = load_spec(sm, path, Defines{}, diags);
  if (!spec) {
    ADD_FAILURE() << path << " does not load";
    return {};
  }
  CheckOptions o;
  o.search = m.search;
  o.por = m.por;
  o.symmetry = m.symmetry;
  o.threads = m.threads;
  o.hash_compaction = m.hash_compaction;
  o.all = all;
  o.rules = std::move(rules);
  o.max_states = 1'000'000;
  return check_spec(*spec, sm, o);
}

/// "CR001@40:3" for a transition's violation, "CR010@end" for an end state's.
std::set<std::string> keys(const SpecResult& r) {
  std::set<std::string> out;
  for (const Violation& v : r.violations) {
    out.insert(v.violating_step ? std::string(rule_info(v.rule).id) + "@" +
                                      std::to_string(v.loc.line) + ":" + std::to_string(v.loc.col)
                                : std::string(rule_info(v.rule).id) + "@end");
  }
  return out;
}

bool has_rule(const SpecResult& r, RuleId rule) {
  for (const Violation& v : r.violations) {
    if (v.rule == rule && v.replayed) return true;
  }
  return false;
}

// Partial-order reduction once took a persistent set whose only transition violated a rule:
// the watcher thread was never run from that state and its assert was hidden.
TEST(ReliabilityProbes, ReductionsNeverHideTheAssertBehindAViolatingComponent) {
  for (const char* f : {"por_min.spec", "por989.spec"}) {
    for (const Mode& m : kModes) {
      SCOPED_TRACE(testing::Message() << f << " " << m.name);
      const SpecResult only = check_file(data(f), m, false, {RuleId::Assertion});
      EXPECT_EQ(only.verdict, Verdict::Violation);
      EXPECT_TRUE(has_rule(only, RuleId::Assertion));
      const SpecResult all = check_file(data(f), m, true);
      EXPECT_TRUE(has_rule(all, RuleId::Assertion));
    }
  }
}

// A violation found from one state by two activities: the trace shown is the one the search
// found, so every mode reports the same rules at the same places.
TEST(ReliabilityProbes, EveryModeReportsTheSameViolations) {
  for (const char* f : {"symmetric_violation_location.spec", "por_min.spec"}) {
    const std::set<std::string> want = keys(check_file(data(f), kModes[3], true));
    EXPECT_FALSE(want.empty());
    for (const Mode& m : kModes) {
      SCOPED_TRACE(testing::Message() << f << " " << m.name);
      EXPECT_EQ(keys(check_file(data(f), m, true)), want);
    }
  }
}

// One branching local loop is a model limit, not an expansion without end.
TEST(ReliabilityProbes, NondeterministicLocalLoopIsAModelLimit) {
  for (const Mode& m : kModes) {
    SCOPED_TRACE(m.name);
    const SpecResult r = check_file(data("nondet_loop2.spec"), m, false);
    EXPECT_EQ(r.verdict, Verdict::Incomplete);
    EXPECT_NE(r.incomplete_reason.find("nondeterministic choices"), std::string::npos)
        << r.incomplete_reason;
  }
}

// Through the binary: --time-limit 1 ends it as incomplete (exit 4), and so does Ctrl-C.
TEST(ReliabilityProbes, NondeterministicLocalLoopHonoursTheLimitsAndSigint) {
  const std::string spec = data("nondet_loop2.spec");
  test::ChildRun r =
      test::run_child({"check", spec, "--time-limit", "1", "--no-progress"}, {.deadline_s = 60});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  r = test::run_child({"check", spec, "--no-progress"},
                      {.deadline_s = 60, .signal = SIGINT, .signal_after_s = 0.5});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
}

// A model limit inside the two-thread search: the same incomplete verdict as one thread, no
// exception escaping a worker thread (which terminated the process).
TEST(ReliabilityProbes, ModelLimitInTheParallelSearch) {
  const SpecResult one = check_file(data("parallel_model_limit.spec"), kModes[0], true);
  const SpecResult two = check_file(data("parallel_model_limit.spec"), kModes[5], true);
  EXPECT_EQ(one.verdict, Verdict::Incomplete);
  EXPECT_EQ(two.verdict, one.verdict);
  EXPECT_EQ(two.incomplete_reason, one.incomplete_reason);
}

// The explorer and the reference executor read these alike (each used to disagree, exit 3).
TEST(ReliabilityProbes, ExecutorsAgreeOnGetStatusShiftsAtomicWaitsAndRequeue) {
  struct Case {
    const char* file;
    RuleId rule;
  };
  const Case cases[] = {
      {"getstatus.spec", RuleId::ApiMisuse},   // RequestGetStatusValid
      {"shift2.spec", RuleId::Assertion},      // 1 << 33 == 0, not 2
      {"shift_sign.spec", RuleId::Assertion},  // -8 >> 40 == -1
      {"appc_dl.spec", RuleId::Deadlock},      // atomic GetMessage after its own verb
      {"stopack_requeue_at_target.spec", RuleId::UseAfterFree},  // requeue of a sent request
      {"symbolic_stale_cancel_id.spec", RuleId::StaleCancelId},  // id nonzero in the model
      {"symbolic_cancel_by_id.spec", RuleId::Assertion},         // the cancel's id names nbl#2
  };
  for (const Case& c : cases) {
    for (const Mode& m : {kModes[0], kModes[3]}) {
      SCOPED_TRACE(testing::Message() << c.file << " " << m.name);
      const SpecResult r = check_file(data(c.file), m, true);
      EXPECT_EQ(r.verdict, Verdict::Violation) << r.error << r.incomplete_reason;
      EXPECT_TRUE(has_rule(r, c.rule));
    }
  }
}

}  // namespace
}  // namespace cc
