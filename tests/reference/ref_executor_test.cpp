// Unit tests of the reference executor on small specs: the rule and the step of each
// violation, the step granularity of docs/replay.md, choice tokens and replay errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/frontend.h"
#include "reference/ref_executor.h"
#include "tests/loaded_spec.h"

namespace cc {
namespace {

using testing::Loaded;

std::unique_ptr<Loaded> load(const std::string& text) {
  return testing::load(text, "cc_ref");
}

/// Takes one step that must be possible and returns it.
RefStep take(RefExecutor& ex, const std::string& event,
             const std::vector<std::string>& choices = {}) {
  RefStep s = ex.step(event, choices);
  EXPECT_TRUE(s.ok) << event << ": " << s.error << "\n" << ex.describe_state();
  return s;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

const char* const kEcho = R"(
device d { queue q : parallel { EvtIoRead = OnRead; } }
fn OnRead(request req) {
  WdfRequestComplete(req, STATUS_SUCCESS);
  WdfRequestComplete(req, STATUS_SUCCESS);
}
environment { arrive q x 1; }
)";

TEST(RefExecutor, DoubleCompletionAtTheSecondComplete) {
  auto l = load(kEcho);
  RefExecutor ex(*l->spec, l->sm);
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"arrive q"});
  take(ex, "arrive q");
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"dispatch q"});
  take(ex, "dispatch q");
  RefStep first = take(ex, "OnRead[req#1]");
  EXPECT_EQ(first.calls, std::vector<std::string>{"WdfRequestComplete"});
  EXPECT_FALSE(first.violation);
  RefStep second = take(ex, "OnRead[req#1]");
  EXPECT_EQ(second.calls, std::vector<std::string>{"WdfRequestComplete"});
  ASSERT_TRUE(second.violation);
  EXPECT_EQ(*second.violation, RuleId::DoubleCompletion);
}

TEST(RefExecutor, GlobalReadAndWriteAreSeparateSteps) {
  auto l = load(R"(
global int g = 0;
thread T { g = g + 1; int x = 2; g = x; }
environment { }
)");
  RefExecutor ex(*l->spec, l->sm);
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"T"});
  take(ex, "T");  // read g
  take(ex, "T");  // g = 1, then the local x = 2
  take(ex, "T");  // g = 2 and the end of the thread
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefExecutor, AtomicBlockIsOneStep) {
  auto l = load(R"(
global int g = 0;
global int h = 0;
thread T { atomic { g = g + 1; h = g; } h = 3; }
environment { }
)");
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "T");  // the whole atomic block
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"T"});
  take(ex, "T");  // h = 3
  EXPECT_TRUE(ex.at_end());
}

TEST(RefExecutor, LostCancelWhenReuseWipesIt) {
  auto l = load(R"(
target pipe : pending;
request rd = WdfRequestCreate(pipe);
timer reset = OnReset;
thread Reader {
  WdfRequestSetCompletionRoutine(rd, OnDone);
  WdfRequestSend(rd, pipe);
}
fn OnDone(request req, status st) {
  WdfRequestReuse(req);
  WdfRequestSetCompletionRoutine(req, OnDone);
  WdfRequestSend(req, pipe);
}
fn OnReset() { WdfRequestCancelSentRequest(rd); }
environment { }
)");
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "Reader");
  EXPECT_EQ(take(ex, "Reader").calls, std::vector<std::string>{"WdfRequestSend=1"});
  take(ex, "timer reset");
  // The lower driver has not taken the request yet, so it has set no cancel routine:
  // IoCancelIrp only sets the IRP's Cancel bit and returns FALSE.
  RefStep cancel = take(ex, "OnReset");
  EXPECT_EQ(cancel.calls, std::vector<std::string>{"WdfRequestCancelSentRequest=0"});
  EXPECT_FALSE(has(ex.enabled_events(), "OnDone[rd]"));
  // The pending target takes it, marks it cancelable, sees the Cancel bit and completes it.
  take(ex, "target rd", {"target:take"});
  EXPECT_TRUE(has(ex.enabled_events(), "OnDone[rd]"));
  EXPECT_EQ(take(ex, "OnDone[rd]").calls, std::vector<std::string>{"WdfRequestReuse=0"});
  take(ex, "OnDone[rd]");
  take(ex, "OnDone[rd]");
  EXPECT_EQ(take(ex, "target rd", {"target:take"}).choices,
            std::vector<std::string>{"target:take"});
  EXPECT_TRUE(ex.at_end());
  auto f = ex.end_state_violation();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, RuleId::LostCancel);
  EXPECT_NE(f->message.find("wiped by WdfRequestReuse"), std::string::npos) << f->message;
}

/// Takes the framework's power steps while there are any.
void run_power(RefExecutor& ex) {
  while (has(ex.enabled_events(), "power")) take(ex, "power");
}

TEST(RefExecutor, ForwardAfterPurgeFailsAndTheRequestIsNeverCompleted) {
  // The source queue is not power-managed: removal purges the power-managed queue `pending`
  // first, while OnWrite may still run (a power-managed source would be waited for).
  auto l = load(R"(
device nic {
  queue writes : parallel not_power_managed { EvtIoWrite = OnWrite; }
  queue pending : manual { }
}
fn OnWrite(request req) {
  WdfRequestForwardToIoQueue(req, pending);
}
environment { arrive writes x 1; stop purge; }
)");
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "arrive writes");
  take(ex, "dispatch writes");
  RefStep stop = take(ex, "stop", {"stop:purge"});
  EXPECT_EQ(stop.choices, std::vector<std::string>{"stop:purge"});
  for (int k = 0; k < 3; ++k) take(ex, "power");  // power-down, then the managed purge
  RefStep fwd = take(ex, "OnWrite[req#1]");
  EXPECT_EQ(fwd.calls,
            std::vector<std::string>{"WdfRequestForwardToIoQueue=-1071644156"});  // STATUS_WDF_BUSY
  run_power(ex);
  EXPECT_TRUE(ex.at_end());
  auto f = ex.end_state_violation();
  ASSERT_TRUE(f);
  // The removal waits for ever for the request the driver holds ("Using Power-Managed I/O
  // Queues": without EvtIoStop the framework waits until the driver completes it).
  EXPECT_EQ(f->rule, RuleId::StopNotAcknowledged);
}

constexpr const char* kStopSuspendOnly = R"(
device fx2 {
  queue reads : parallel power_managed {
    EvtIoRead = OnRead; EvtIoStop = OnStop; EvtIoResume = OnResume;
  }
}
target pipe : TARGET;
fn OnResume(request req) { }
fn OnRead(request req) {
  WdfRequestSetCompletionRoutine(req, OnDone);
  if (!WdfRequestSend(req, pipe)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); }
}
fn OnDone(request req, status st) { WdfRequestComplete(req, st); }
fn OnStop(request req, int flags) {
  if (flags & WdfRequestStopActionSuspend) { WdfRequestStopAcknowledge(req, FALSE); }
}
environment { arrive reads x 1; stop any; }
)";

std::string stop_suspend_only(const std::string& target, bool strict) {
  std::string s = kStopSuspendOnly;
  s.replace(s.find("TARGET"), 6, target);
  return strict ? "option sdv_strict;\n" + s : s;
}

/// Arrival, dispatch, the send, a removal, and the power steps up to the purge's EvtIoStop.
void remove_with_read_out(RefExecutor& ex) {
  take(ex, "arrive reads");
  take(ex, "dispatch reads");
  take(ex, "OnRead[req#1]");
  take(ex, "OnRead[req#1]");
  // Both kinds of stop are possible.
  int stops = 0;
  for (const RefSuccessor& m : ex.successors()) stops += m.event == "stop" ? 1 : 0;
  EXPECT_EQ(stops, 2);
  take(ex, "stop", {"stop:purge"});
  take(ex, "power");          // no callback runs: the power-managed queues stop
  take(ex, "power");          // EvtIoStop(suspend)
  take(ex, "OnStop[req#1]");  // acknowledged (and returns)
  take(ex, "power");          // every call made
  take(ex, "power");          // powered down; the removal purges
  take(ex, "power");          // EvtIoStop(purge)
}

TEST(RefExecutor, EvtIoStopMayLeaveARequestThatCompletesToTheFramework) {
  // Documented (EvtIoStop): taking no action is allowed; the transition waits for the request.
  auto l = load(stop_suspend_only("cancelable", false));
  RefExecutor ex(*l->spec, l->sm);
  remove_with_read_out(ex);
  RefStep ret = take(ex, "OnStop[req#1]");
  EXPECT_FALSE(ret.violation);
  take(ex, "power");  // every call made: waiting for the read
  EXPECT_FALSE(has(ex.enabled_events(), "power"));
  take(ex, "target req#1", {"target:take"});
  take(ex, "target req#1", {"target:complete:STATUS_SUCCESS"});
  take(ex, "OnDone[req#1]");
  run_power(ex);
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefExecutor, EvtIoStopThatLeavesAReadWaitingForDataBlocksTheRemoval) {
  auto l = load(stop_suspend_only("pending", false));
  RefExecutor ex(*l->spec, l->sm);
  remove_with_read_out(ex);
  take(ex, "OnStop[req#1]");
  take(ex, "power");
  take(ex, "target req#1", {"target:take"});
  EXPECT_TRUE(ex.at_end());
  auto f = ex.end_state_violation();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, RuleId::StopNotAcknowledged);
}

TEST(RefExecutor, StrictSdvReadingReportsEvtIoStopThatDoesNotAct) {
  auto l = load(stop_suspend_only("cancelable", true));
  RefExecutor ex(*l->spec, l->sm);
  remove_with_read_out(ex);
  RefStep ret = take(ex, "OnStop[req#1]");
  ASSERT_TRUE(ret.violation);
  EXPECT_EQ(*ret.violation, RuleId::StopNotAcknowledged);
}

constexpr const char* kMarkUnderLock = R"(
lock L;
global request cur = NULL;
timer tick = OnTick manual;
device d { queue q : parallel { EvtIoRead = OnRead; } }
fn OnRead(request req) { MARK }
fn OnTick() { request r = cur; WdfSpinLockAcquire(L); WdfRequestMarkCancelable(r, OnCancel); WdfSpinLockRelease(L); }
fn OnCancel(request req) {
  WdfSpinLockAcquire(L);
  WdfSpinLockRelease(L);
  WdfRequestComplete(req, STATUS_CANCELLED);
}
environment { arrive q x 1; cancel any; }
)";

// Outside the queue's dispatch loop (a DPC, here a timer) the cancel routine of an already
// cancelled request runs before WdfRequestMarkCancelable returns, on the same thread: under a
// lock it takes, that is a deadlock (the WdfRequestMarkCancelable page).
TEST(RefExecutor, MarkCancelableOnACancelledRequestUnderTheRoutinesLockDeadlocks) {
  std::string text = kMarkUnderLock;
  text.replace(text.find("MARK"), 4, "cur = req; WdfTimerStart(tick);");
  auto l = load(text);
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "arrive q");
  take(ex, "dispatch q");
  take(ex, "OnRead[req#1]");  // cur = req
  take(ex, "OnRead[req#1]");  // starts the timer, returns
  take(ex, "cancel req#1");   // not cancelable yet: only the IRP's Cancel bit
  take(ex, "timer tick");
  take(ex, "OnTick");  // reads cur
  take(ex, "OnTick");  // acquires L
  take(ex, "OnTick");  // MarkCancelable runs OnCancel inline and waits for it; OnCancel
                       // blocks on L, which OnTick holds
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{});
  auto f = ex.end_state_violation();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, RuleId::Deadlock);
}

// Inside an EvtIo callback the queue's dispatch loop is busy (FxIoQueue::DispatchInternalEvents
// does not re-enter it): the cancel routine runs after the callback, which released the lock.
TEST(RefExecutor, MarkCancelableInsideEvtIoReadDefersTheCancelRoutine) {
  std::string text = kMarkUnderLock;
  text.replace(text.find("MARK"), 4,
               "WdfSpinLockAcquire(L); WdfRequestMarkCancelable(req, OnCancel); "
               "WdfSpinLockRelease(L);");
  auto l = load(text);
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "arrive q");
  take(ex, "dispatch q");
  take(ex, "OnRead[req#1]");  // acquires L
  take(ex, "cancel req#1");
  take(ex, "OnRead[req#1]");  // MarkCancelable: the routine is started, not run inline
  EXPECT_TRUE(has(ex.enabled_events(), "OnRead[req#1]"));
  take(ex, "OnRead[req#1]");  // releases L and returns
  while (has(ex.enabled_events(), "OnCancel[req#1]")) take(ex, "OnCancel[req#1]");
  while (has(ex.enabled_events(), "timer tick")) take(ex, "timer tick");
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefExecutor, CancelRoutineOfACancelableRequest) {
  auto l = load(R"(
device d { queue q : parallel { EvtIoRead = OnRead; } }
global request cur = NULL;
timer tick = OnTick;
fn OnRead(request req) {
  WdfRequestMarkCancelable(req, OnCancel);
  cur = req;
}
fn OnCancel(request req) { WdfRequestComplete(req, STATUS_CANCELLED); }
fn OnTick() {
  request r = cur;
  if (r != NULL) {
    if (WdfRequestUnmarkCancelable(r) != STATUS_CANCELLED) { WdfRequestComplete(r, STATUS_SUCCESS); }
  }
}
environment { arrive q x 1; cancel any; }
)");
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "arrive q");
  take(ex, "dispatch q");
  take(ex, "OnRead[req#1]");
  take(ex, "OnRead[req#1]");
  take(ex, "cancel req#1");  // cancelable: the routine starts as its own activity
  EXPECT_TRUE(has(ex.enabled_events(), "OnCancel[req#1]"));
  take(ex, "timer tick");
  take(ex, "OnTick");  // read cur
  RefStep unmark = take(ex, "OnTick");
  EXPECT_EQ(unmark.calls, std::vector<std::string>{
                              "WdfRequestUnmarkCancelable=-1073741536"});  // STATUS_CANCELLED
  take(ex, "OnCancel[req#1]");
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefExecutor, CompleteAfterUnmarkCancelledBeforeTheRoutineRuns) {
  auto l = load(R"(
device d { queue q : parallel { EvtIoRead = OnRead; } }
global request cur = NULL;
timer tick = OnTick;
fn OnRead(request req) {
  WdfRequestMarkCancelable(req, OnCancel);
  cur = req;
}
fn OnCancel(request req) { WdfRequestComplete(req, STATUS_CANCELLED); }
fn OnTick() {
  request r = cur;
  if (r != NULL) {
    WdfRequestUnmarkCancelable(r);
    WdfRequestComplete(r, STATUS_SUCCESS);
  }
}
environment { arrive q x 1; cancel any; }
)");
  RefExecutor ex(*l->spec, l->sm);
  for (const char* e : {"arrive q", "dispatch q", "OnRead[req#1]", "OnRead[req#1]", "cancel req#1",
                        "timer tick", "OnTick", "OnTick"}) {
    take(ex, e);
  }
  RefStep complete = take(ex, "OnTick");
  ASSERT_TRUE(complete.violation);
  EXPECT_EQ(*complete.violation, RuleId::CompleteAfterUnmarkCancelled);
}

TEST(RefExecutor, UseAfterReuseThroughAStoredHandle) {
  auto l = load(R"(
target sensor : cancelable;
request poll = WdfRequestCreate(sensor);
global request saved = NULL;
thread A {
  saved = poll;
  WdfRequestReuse(poll);
}
thread B {
  request r = saved;
  if (r != NULL) { WdfRequestGetStatus(r); }
}
environment { }
)");
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "A");  // saved = poll (a copy remembers the epoch)
  take(ex, "B");  // read saved
  take(ex, "A");  // WdfRequestReuse(poll): the declared name is always current
  RefStep use = take(ex, "B");
  ASSERT_TRUE(use.violation);
  EXPECT_EQ(*use.violation, RuleId::UseAfterReuse);
}

TEST(RefExecutor, ChoicesAreTakenFromTheTraceInOrder) {
  auto l = load(R"(
global int g = 0;
target pipe : cancelable may_fail completes {STATUS_SUCCESS, STATUS_IO_TIMEOUT};
device d { queue q : parallel { EvtIoRead = OnRead; } }
fn OnRead(request req) {
  if (*) { g = 1; } else { g = 2; }
  WdfRequestSetCompletionRoutine(req, OnDone);
  if (!WdfRequestSend(req, pipe)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); }
}
fn OnDone(request req, status st) { WdfRequestComplete(req, st); }
environment { arrive q x 1; }
)");
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "arrive q");
  take(ex, "dispatch q");
  // The first step resolves the `if (*)`; without a token it is rejected, naming the options.
  RefStep missing = ex.step("OnRead[req#1]", {});
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.error.find("nondet:0"), std::string::npos) << missing.error;
  RefStep wrong = ex.step("OnRead[req#1]", {"send:ok"});
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(wrong.error.find("'send:ok' does not apply"), std::string::npos) << wrong.error;
  RefStep extra = ex.step("OnRead[req#1]", {"nondet:1", "nondet:0"});
  EXPECT_FALSE(extra.ok);
  EXPECT_EQ(take(ex, "OnRead[req#1]", {"nondet:1"}).choices, std::vector<std::string>{"nondet:1"});
  take(ex, "OnRead[req#1]");
  RefStep send = take(ex, "OnRead[req#1]", {"send:ok"});
  EXPECT_EQ(send.calls, std::vector<std::string>{"WdfRequestSend=1"});
  take(ex, "target req#1", {"target:take"});
  std::vector<RefSuccessor> moves = ex.successors();
  std::vector<std::string> target;
  for (const RefSuccessor& m : moves) {
    if (m.event == "target req#1") target.push_back(m.choices.at(0));
  }
  EXPECT_EQ(target, (std::vector<std::string>{"target:complete:STATUS_IO_TIMEOUT",
                                              "target:complete:STATUS_SUCCESS"}));
  take(ex, "target req#1", {"target:complete:STATUS_IO_TIMEOUT"});
  take(ex, "OnDone[req#1]");
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefExecutor, EventsThatCannotMoveAreRejectedWithoutChangingTheState) {
  auto l = load(kEcho);
  RefExecutor ex(*l->spec, l->sm);
  RefStep early = ex.step("dispatch q", {});
  EXPECT_FALSE(early.ok);
  EXPECT_NE(early.error.find("'dispatch q' cannot move"), std::string::npos) << early.error;
  RefStep nobody = ex.step("OnRead[req#1]", {});
  EXPECT_FALSE(nobody.ok);
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"arrive q"});
}

TEST(RefExecutor, CopiesAreIndependentSnapshots) {
  auto l = load(kEcho);
  RefExecutor ex(*l->spec, l->sm);
  take(ex, "arrive q");
  RefExecutor snapshot = ex;
  take(ex, "dispatch q");
  EXPECT_EQ(snapshot.enabled_events(), std::vector<std::string>{"dispatch q"});
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"OnRead[req#1]"});
}

TEST(RefExecutor, NeverCompletedAndAssertion) {
  auto l = load(R"(
global int g = 0;
device d { queue q : parallel { EvtIoRead = OnRead; } }
fn OnRead(request req) { g = 1; }
thread T { if (g == 1) { assert(FALSE); } }
environment { arrive q x 1; }
)");
  RefExecutor ex(*l->spec, l->sm);
  RefExecutor other = ex;
  take(ex, "T");  // reads g == 0 and finishes
  take(ex, "arrive q");
  take(ex, "dispatch q");
  take(ex, "OnRead[req#1]");
  EXPECT_TRUE(ex.at_end());
  auto f = ex.end_state_violation();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, RuleId::NeverCompleted);

  take(other, "arrive q");
  take(other, "dispatch q");
  take(other, "OnRead[req#1]");
  RefStep t = take(other, "T");
  ASSERT_TRUE(t.violation);
  EXPECT_EQ(*t.violation, RuleId::Assertion);
}

TEST(RefExecutor, NdisSendCancelAndMiniportCompletion) {
  auto l = load(R"(
miniport m : pending;
filter f { FilterSendNetBufferLists = OnSend; FilterSendNetBufferListsComplete = OnDone;
           FilterCancelSendNetBufferLists = OnCancel; }
fn OnSend(nbl n) { NdisFSendNetBufferLists(n, m); }
fn OnDone(nbl n, status st) { NdisFSendNetBufferListsComplete(n, st); }
fn OnCancel(int id) { NdisFCancelSendNetBufferLists(m, id); }
environment { send f x 1 cancel_id 7; cancel_send f 7; }
)");
  ASSERT_TRUE(l->spec);
  EXPECT_EQ(RefExecutor::unsupported_reason(*l->spec), "");
  RefExecutor ex(*l->spec, l->sm);
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"send f"});
  take(ex, "send f");
  // The protocol may cancel while its send call (OnSend) still runs.
  EXPECT_EQ(ex.enabled_events(), (std::vector<std::string>{"OnSend[nbl#1]", "cancel_send f 7"}));
  EXPECT_EQ(take(ex, "OnSend[nbl#1]").calls, std::vector<std::string>{"NdisFSendNetBufferLists"});
  // A pending miniport holds the NBL until the cancel reaches it.
  EXPECT_EQ(ex.enabled_events(), std::vector<std::string>{"cancel_send f 7"});
  take(ex, "cancel_send f 7");
  take(ex, "OnCancel[cancel_id 7]");
  take(ex, "miniport nbl#1");
  take(ex, "OnDone[nbl#1]");
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefExecutor, AppcCancelReturnCodesAndMessages) {
  auto l = load(R"(
conversation c;
thread Client {
  vcb v = vcb_alloc();
  task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c);
  int r = WinAPPCCancelAsyncRequest(t);
  task m = GetMessage();
  int again = WinAPPCCancelAsyncRequest(t);
  task t2 = WinAsyncAPPC(v, SEND_DATA, c);
  task stuck = GetMessage();
}
environment { }
)");
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm);
  EXPECT_EQ(take(ex, "Client").calls, std::vector<std::string>{"vcb_alloc=1"});
  EXPECT_EQ(take(ex, "Client").calls, std::vector<std::string>{"WinAsyncAPPC=1"});
  // Outstanding: the cancel succeeds (0) and closes the conversation.
  EXPECT_EQ(take(ex, "Client").calls, std::vector<std::string>{"WinAPPCCancelAsyncRequest=0"});
  EXPECT_EQ(take(ex, "Client").calls, std::vector<std::string>{"GetMessage=1"});
  EXPECT_EQ(take(ex, "Client").calls,
            std::vector<std::string>{"WinAPPCCancelAsyncRequest=" + std::to_string(0xF000)});
  // On the conversation the cancel closed the verb gets a handle and fails through its
  // message (AP_CONV_FAILURE_NO_RETRY).
  EXPECT_EQ(take(ex, "Client").calls, std::vector<std::string>{"WinAsyncAPPC=2"});
  EXPECT_EQ(take(ex, "Client").calls, std::vector<std::string>{"GetMessage=2"});
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

}  // namespace
}  // namespace cc
