// Symbolic data end to end (docs/symbolic.md, "Execution"): specs with `symbolic` values are
// explored with the Z3 adapter attached, traces carry the model, replay uses it, and specs
// without symbolic data never reach Z3.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "checker/check.h"
#include "checker/replay.h"
#include "model/frontend.h"
#include "modules/registry.h"
#include "tests/app/run_tool.h"

namespace cc {
namespace {

struct Checked {
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  SpecResult result;
};

std::unique_ptr<Checked> check_file(const std::string& path, CheckOptions opts = {}) {
  auto c = std::make_unique<Checked>();
  Diagnostics diags;
  c->spec = load_spec(c->sm, path, {}, diags);
  EXPECT_TRUE(c->spec != nullptr) << path;
  if (c->spec) c->result = check_spec(*c->spec, c->sm, opts);
  return c;
}

std::unique_ptr<Checked> check_text(const std::string& text, CheckOptions opts = {}) {
  return check_file(test::temp_file(text), opts);
}

std::string corpus(const std::string& rel) {
  return std::string(CC_SOURCE_DIR "/specs/") + rel;
}

/// The trace's model as "name = value" lines.
std::string model_text(const Violation& v) {
  std::string out;
  for (const TraceStep& s : v.trace) {
    for (const auto& [n, val] : s.symbolic_values) out += n + " = " + val + "\n";
  }
  return out;
}

TEST(Symbolic, SpecWithoutSymbolicValuesMakesNoZ3Call) {
  for (const char* rel :
       {"kmdf/fx2_evtiostop_suspend_or_purge.spec", "kmdf/cr001_double_completion.spec"}) {
    auto c = check_file(corpus(rel));
    EXPECT_EQ(c->result.stats.z3_queries, 0U) << rel;
    EXPECT_EQ(c->result.stats.z3_cached, 0U) << rel;
    EXPECT_EQ(c->result.stats.z3_seconds, 0.0) << rel;
  }
  std::string why;
  SourceManager sm;
  Diagnostics diags;
  auto spec = load_spec(sm, corpus("kmdf/fx2_evtiostop_suspend_or_purge.spec"), {}, diags);
  ASSERT_TRUE(spec);
  auto ts = make_transition_system(*spec, sm, why);
  ASSERT_TRUE(ts);
  EXPECT_FALSE(ts->symbolic()) << "no symbolic data: no solver, no extra state bytes";
}

TEST(Symbolic, StatusDependentBugNamesTheStatusAndReplays) {
  auto c = check_file(corpus("symbolic/status_timeout_double_completion.spec"));
  ASSERT_EQ(c->result.verdict, Verdict::Violation);
  ASSERT_EQ(c->result.violations.size(), 1U);
  const Violation& v = c->result.violations[0];
  EXPECT_EQ(v.rule, RuleId::DoubleCompletion);
  EXPECT_TRUE(v.replayed);
  EXPECT_EQ(model_text(v), "status(req#1) = 0xC00000B5 (STATUS_IO_TIMEOUT)\n");
  ASSERT_FALSE(v.trace.back().symbolic_values.empty()) << "the model is on the last step";
  EXPECT_GT(c->result.stats.z3_queries, 0U);

  // Replay substitutes the model's values: with another status the schedule does not reach
  // the double completion.
  Violation other = v;
  other.trace.back().symbolic_values = {{"status(req#1)", "0"}};
  EXPECT_NE(replay_violation(*c->spec, c->sm, other).status, ReplayStatus::Reproduced);
}

TEST(Symbolic, FixedStatusPathPassesForEveryStatus) {
  auto c = check_file(corpus("symbolic/status_timeout_fixed.spec"));
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << c->result.incomplete_reason;
  EXPECT_GT(c->result.stats.z3_queries, 0U);
}

TEST(Symbolic, AssertionHoldingForAllValuesPasses) {
  auto c = check_file(corpus("symbolic/assert_length_all_values.spec"));
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << c->result.incomplete_reason;
  EXPECT_GT(c->result.stats.z3_queries, 0U);
}

TEST(Symbolic, FailingAssertionCarriesTheModel) {
  auto c = check_file(corpus("symbolic/assert_length_one_value.spec"));
  ASSERT_EQ(c->result.verdict, Verdict::Violation);
  const Violation& v = c->result.violations.at(0);
  EXPECT_EQ(v.rule, RuleId::Assertion);
  EXPECT_TRUE(v.replayed);
  EXPECT_EQ(model_text(v), "records = 255\n");
}

TEST(Symbolic, SolverGivingUpIsIncompleteNeverPass) {
  CheckOptions opts;
  opts.z3_rlimit = 1;  // Z3 stops at once: every non-trivial query is Unknown
  auto c = check_file(corpus("symbolic/assert_length_all_values.spec"), opts);
  EXPECT_EQ(c->result.verdict, Verdict::Incomplete);
  EXPECT_NE(c->result.incomplete_reason.find("solver"), std::string::npos)
      << c->result.incomplete_reason;
}

TEST(Symbolic, InfeasibleBranchesArePruned) {
  // x > 10 and x < 5 cannot both hold: the inner completion is unreachable, and the
  // assertion below it is never checked.
  auto c = check_text(R"(
queue reads : parallel { EvtIoRead = OnRead; }
fn OnRead(request req) {
  symbolic int<8> x;
  if (x > 10) {
    if (x < 5) { assert(FALSE); }
  }
  assume(x != 3);
  assert(x != 3);
  WdfRequestComplete(req, STATUS_SUCCESS);
}
environment { arrive reads x 1; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << c->result.incomplete_reason;
}

// The fx2 EvtIoStop with `stop symbolic`: the flags are a term; both kinds of stop are
// explored, each driver branch under its path condition. Dropping either branch's handling
// is found, in the branch that lost it. SDV's reading (`option sdv_strict`): EvtIoStop must
// act on its request before it returns.
constexpr const char* kStopSpec = R"(
option sdv_strict;
device fx2 {
  queue reads : parallel power_managed {
    EvtIoRead = OnRead; EvtIoStop = OnStop; EvtIoResume = OnResume;
  }
}
target pipe : cancelable;
fn OnResume(request req) { }
fn OnRead(request req) {
  WdfRequestSetCompletionRoutine(req, OnReadComplete);
  if (!WdfRequestSend(req, pipe)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); }
}
fn OnReadComplete(request req, status st) { WdfRequestComplete(req, st); }
fn OnStop(request req, int flags) {
  if (flags & WdfRequestStopActionSuspend) {
    SUSPEND
  } else if (flags & WdfRequestStopActionPurge) {
    PURGE
  }
}
environment { arrive reads x 1; stop symbolic; }
)";

std::string stop_spec(const std::string& suspend, const std::string& purge) {
  std::string s = kStopSpec;
  s.replace(s.find("SUSPEND"), 7, suspend);
  s.replace(s.find("PURGE"), 5, purge);
  return s;
}

TEST(Symbolic, StopFlagsExploreBothBranches) {
  const std::string ack = "WdfRequestStopAcknowledge(req, FALSE);";
  const std::string cancel = "WdfRequestCancelSentRequest(req);";
  auto good = check_text(stop_spec(ack, cancel));
  EXPECT_EQ(good.get()->result.verdict, Verdict::Pass) << good->result.incomplete_reason;
  EXPECT_GT(good->result.stats.z3_queries + good->result.stats.z3_cached, 0U);

  for (bool lose_purge : {false, true}) {
    auto bad = check_text(lose_purge ? stop_spec(ack, "") : stop_spec("", cancel));
    ASSERT_EQ(bad->result.verdict, Verdict::Violation) << lose_purge;
    const Violation& v = bad->result.violations.at(0);
    EXPECT_EQ(v.rule, RuleId::StopNotAcknowledged);
    EXPECT_TRUE(v.replayed);
    // Removal powers down first (suspend flags), so a lost suspend branch shows in either.
    bool saw = false;
    for (const TraceStep& s : v.trace) {
      for (const std::string& t : s.choices) saw |= t == "stop:purge" || !lose_purge;
    }
    EXPECT_TRUE(saw) << "the violation is in the branch that lost its handling";
    EXPECT_NE(model_text(v).find(lose_purge ? "stop.purge.action = 2" : "stop.action = 1"),
              std::string::npos)
        << model_text(v);
  }
}

TEST(Symbolic, UnsupportedUseOfASymbolicValueIsIncomplete) {
  auto c = check_text(R"(
queue reads : parallel { EvtIoRead = OnRead; }
event e;
fn OnRead(request req) {
  symbolic int<8> x;
  WdfRequestCompleteWithInformation(req, STATUS_SUCCESS, x);
}
environment { arrive reads x 1; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Incomplete);
  EXPECT_NE(c->result.incomplete_reason.find("symbolic"), std::string::npos);
}

TEST(Symbolic, LocalLoopOverASymbolicBoundIsIncomplete) {
  // Every iteration forks (k == 0 exits): one step would fork 2^32 times.
  auto c = check_text(R"(
queue reads : parallel { EvtIoRead = OnRead; }
symbolic int<32> n;
fn OnRead(request req) {
  int k = n;
  while (k != 0) { k = k - 1; }
  WdfRequestComplete(req, STATUS_SUCCESS);
}
environment { arrive reads x 1; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Incomplete);
  EXPECT_NE(c->result.incomplete_reason.find("branched on symbolic values"), std::string::npos)
      << c->result.incomplete_reason;
}

TEST(Symbolic, GetStatusOfASymbolicStatusIsATermAndReplays) {
  // The completion routine reads the status back with WdfRequestGetStatus and forgets to
  // complete a cancelled read: the trace records the call as "WdfRequestGetStatus=?" and
  // replay takes the value from the model.
  auto c = check_text(R"(
queue reads : parallel { EvtIoRead = OnRead; }
target pipe : uncancelable completes {symbolic};
fn OnRead(request req) {
  WdfRequestSetCompletionRoutine(req, OnDone);
  if (!WdfRequestSend(req, pipe)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); }
}
fn OnDone(request req, status st) {
  status s = WdfRequestGetStatus(req);
  if (s == STATUS_CANCELLED) { return; }
  WdfRequestComplete(req, s);
}
environment { arrive reads x 1; }
)");
  ASSERT_EQ(c->result.verdict, Verdict::Violation) << c->result.incomplete_reason;
  const Violation& v = c->result.violations.at(0);
  EXPECT_EQ(v.rule, RuleId::NeverCompleted);
  EXPECT_TRUE(v.replayed);
  EXPECT_EQ(model_text(v), "status(req#1) = 0xC0000120 (STATUS_CANCELLED)\n");
  bool recorded = false;
  for (const TraceStep& s : v.trace) {
    for (const std::string& call : s.calls) recorded |= call == "WdfRequestGetStatus=?";
  }
  EXPECT_TRUE(recorded);
}

TEST(Symbolic, CancelIdCollisionNamesTheOtherDriversPartialIdAndReplays) {
  auto c = check_file(corpus("ndis/cr012_cancel_id_collision.spec"));
  ASSERT_EQ(c->result.verdict, Verdict::Violation);
  const Violation& v = c->result.violations.at(0);
  EXPECT_EQ(v.rule, RuleId::CancelIdCollision);
  EXPECT_TRUE(v.replayed);
  EXPECT_EQ(model_text(v), "partial_id = 0 (0x00)\npartial_id(other#1) = 90 (0x5A)\n");
  EXPECT_GT(c->result.stats.z3_queries, 0U);

  // Replay uses the model: if the other driver's partial id is not the id's high byte, the
  // executor finds no collision.
  Violation other = v;
  other.trace.back().symbolic_values = {{"partial_id", "0"}, {"partial_id(other#1)", "7"}};
  EXPECT_NE(replay_violation(*c->spec, c->sm, other).status, ReplayStatus::Reproduced);

  auto fixed = check_file(corpus("ndis/cr012_cancel_id_collision_fixed.spec"));
  EXPECT_EQ(fixed->result.verdict, Verdict::Pass) << fixed->result.incomplete_reason;
  EXPECT_GT(fixed->result.stats.z3_queries, 0U);
}

// NdisCancelSendNetBufferLists by a term id splits on the match (docs/semantics/ndis.md "Cancel
// by a symbolic id"): the trace assumes it, its model makes it so, and replay follows the model.
TEST(Symbolic, CancelBySymbolicIdSplitsOnTheMatchAndReplays) {
  auto c = check_file(CC_SOURCE_DIR "/tests/data/reliability/symbolic_cancel_by_id.spec");
  ASSERT_EQ(c->result.verdict, Verdict::Violation) << c->result.incomplete_reason;
  const Violation& v = c->result.violations.at(0);
  EXPECT_EQ(v.rule, RuleId::Assertion);
  EXPECT_TRUE(v.replayed);
  EXPECT_EQ(model_text(v), "which = 2\npartial_id = 0 (0x00)\n");
  bool assumed = false;
  for (const TraceStep& s : v.trace) {
    assumed |= s.note.find(
                   "assuming (sext64(partial_id) << 56 | 2) == (sext64(partial_id) << 56 "
                   "| sext64(which))") != std::string::npos;
  }
  EXPECT_TRUE(assumed);
  // With a model where the id names the first send, the executor aborts that one instead.
  Violation other = v;
  other.trace.back().symbolic_values = {{"which", "1"}, {"partial_id", "0"}};
  EXPECT_NE(replay_violation(*c->spec, c->sm, other).status, ReplayStatus::Reproduced);

  // The ndisprot pair now has the sample's cancel path and is still decided.
  auto bad = check_file(corpus("ndis/cr012_ndisprot_truncated_partial_id.spec"));
  EXPECT_EQ(bad->result.verdict, Verdict::Violation);
  auto fixed = check_file(corpus("ndis/cr012_ndisprot_truncated_partial_id_fixed.spec"));
  EXPECT_EQ(fixed->result.verdict, Verdict::Pass) << fixed->result.incomplete_reason;
}

TEST(Symbolic, NdisSpecsWithoutPartialCancelIdsMakeNoZ3Call) {
  for (const char* rel :
       {"ndis/cr001_unlink_without_lock.spec", "ndis/cr003_cancel_not_propagated.spec",
        "ndis/cr004_touch_after_send.spec"}) {
    auto c = check_file(corpus(rel));
    EXPECT_EQ(c->result.stats.z3_queries + c->result.stats.z3_cached, 0U) << rel;
    std::string why;
    auto ts = make_transition_system(*c->spec, c->sm, why);
    ASSERT_TRUE(ts) << why;
    EXPECT_FALSE(ts->symbolic()) << rel;
  }
}

}  // namespace
}  // namespace cc
