// KMDF execution contexts through the whole checker (modules/kmdf/kmdf_contexts.cpp;
// docs/semantics/kmdf.md "Execution contexts"): timers, DPCs, work items, wait locks,
// interrupts, synchronization scopes and the IRQL rule CR017. Each spec plants a violation on
// a path the semantics must (or must not) allow; every finding is replayed by the reference
// executor.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/modules/kmdf/check_all.h"

namespace cc {
namespace {

using test::check_all;
using test::Checked;
using test::findings;
using test::found;
using test::only;

constexpr const char* kTimerStop = R"(
device d { queue q : parallel { EvtIoRead = OnRead; } }
timer tk = OnTick manual PERIODIC;
global request cur = NULL;
fn OnRead(request req) {
  cur = req;
  WdfTimerStart(tk);
  WdfTimerStop(tk, WAIT);
  cur = NULL;
  WdfRequestComplete(req, STATUS_SUCCESS);
}
fn OnTick() { request r = cur; if (r != NULL) { WdfRequestGetStatus(r); } }
environment { arrive q x 1; }
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

// WdfTimerStop(T, TRUE) returns only after a running callback returned; with FALSE the
// callback can still read the completed request (one-shot and periodic alike).
TEST(KmdfTimers, StopWithWaitWaitsForTheRunningCallback) {
  for (const char* periodic : {"", "periodic"}) {
    std::string spec = with(kTimerStop, "PERIODIC", periodic);
    EXPECT_EQ(check_all(with(spec, "WAIT", "TRUE"))->result.verdict, Verdict::Pass) << periodic;
    auto c = check_all(with(spec, "WAIT", "FALSE"));
    EXPECT_TRUE(only(*c, RuleId::UseAfterFree)) << periodic << findings(*c);
  }
}

// A periodic timer stays armed after it fires: its callback runs again.
TEST(KmdfTimers, APeriodicTimerFiresAgain) {
  auto c = check_all(R"(
timer tk = OnTick periodic;
global int n = 0;
fn OnTick() { n = n + 1; assert(n < 3); }
environment { }
)");
  EXPECT_TRUE(only(*c, RuleId::Assertion)) << findings(*c);
  auto once = check_all(R"(
timer tk = OnTick;
global int n = 0;
fn OnTick() { n = n + 1; assert(n < 2); }
environment { }
)");
  EXPECT_EQ(once->result.verdict, Verdict::Pass) << findings(*once);
}

// Waiting for the timer from its own callback deadlocks; from a DPC it is an IRQL error.
TEST(KmdfTimers, StopWithWaitFromItsOwnCallbackOrADpc) {
  auto own = check_all(R"(
timer tk = OnTick passive;
fn OnTick() { WdfTimerStop(tk, TRUE); }
environment { }
)");
  EXPECT_TRUE(found(*own, RuleId::Deadlock, "its own callback")) << findings(*own);
  auto dpc = check_all(R"(
timer tk = OnTick manual;
dpc D = OnDpc;
thread t { WdfDpcEnqueue(D); }
fn OnTick() { }
fn OnDpc() { WdfTimerStop(tk, TRUE); }
environment { }
)");
  EXPECT_TRUE(only(*dpc, RuleId::WrongIrql)) << findings(*dpc);
}

// WdfDpcEnqueue reports whether the callback was queued already (the DPC may run between two
// calls, so only an atomic pair is sure to see it queued).
TEST(KmdfDpcs, EnqueueReturnsFalseWhenAlreadyQueued) {
  auto c = check_all(R"(
dpc D = OnDpc;
fn OnDpc() { }
thread t { bool a = FALSE; bool b = FALSE; atomic { a = WdfDpcEnqueue(D); b = WdfDpcEnqueue(D); } assert(a); assert(!b); }
environment { }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// A work item queued again while its callback runs runs twice; Flush waits for both.
TEST(KmdfWorkItems, FlushWaitsAndReenqueueRunsAgain) {
  auto c = check_all(R"(
workitem w = OnWork;
global int runs = 0;
global int seen = 0;
fn OnWork() { runs = runs + 1; if (runs == 1) { WdfWorkItemEnqueue(w); } }
thread t { WdfWorkItemEnqueue(w); WdfWorkItemFlush(w); seen = runs; assert(seen == 2); }
environment { }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
  auto own = check_all(R"(
workitem w = OnWork;
fn OnWork() { WdfWorkItemFlush(w); }
thread t { WdfWorkItemEnqueue(w); }
environment { }
)");
  EXPECT_TRUE(found(*own, RuleId::Deadlock, "its own callback")) << findings(*own);
}

// A wait lock excludes; with a timeout a held lock gives STATUS_TIMEOUT; in a DPC it is CR017.
TEST(KmdfWaitLocks, ExclusionTimeoutAndIrql) {
  auto c = check_all(R"(
waitlock L;
global int inside = 0;
fn body() { WdfWaitLockAcquire(L); inside = inside + 1; assert(inside == 1); inside = inside - 1; WdfWaitLockRelease(L); }
thread a { body(); }
thread b { body(); }
environment { }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
  auto t = check_all(R"(
waitlock L;
thread a { WdfWaitLockAcquire(L); WdfWaitLockRelease(L); }
thread b { status s = WdfWaitLockAcquire(L, 0); assert(s != STATUS_TIMEOUT); if (s == STATUS_SUCCESS) { WdfWaitLockRelease(L); } }
environment { }
)");
  EXPECT_TRUE(only(*t, RuleId::Assertion)) << findings(*t);
  auto d = check_all(R"(
waitlock L;
dpc D = OnDpc;
fn OnDpc() { WdfWaitLockAcquire(L); WdfWaitLockRelease(L); }
thread a { WdfDpcEnqueue(D); }
environment { }
)");
  EXPECT_TRUE(only(*d, RuleId::WrongIrql)) << findings(*d);
}

constexpr const char* kInterrupt = R"(
device d { queue q : parallel { EvtIoRead = OnRead; } }
interrupt irq = OnIsr, OnDpc;
global request pending = NULL;
fn OnRead(request req) { WdfInterruptAcquireLock(irq); pending = req; WdfInterruptReleaseLock(irq); }
fn OnIsr() { assume(pending != NULL); ISR }
fn OnDpc() {
  request r = NULL;
  WdfInterruptAcquireLock(irq); r = pending; pending = NULL; WdfInterruptReleaseLock(irq);
  if (r != NULL) { WdfRequestComplete(r, STATUS_SUCCESS); }
}
environment { arrive q x 1; interrupt irq x 1; }
)";

// The ISR defers to its DPC; completing at DIRQL is CR017.
TEST(KmdfInterrupts, TheIsrQueuesItsDpcAndMustNotComplete) {
  auto good = check_all(with(kInterrupt, "ISR", "WdfInterruptQueueDpcForIsr(irq);"));
  EXPECT_EQ(good->result.verdict, Verdict::Pass) << findings(*good);
  auto bad = check_all(with(kInterrupt, "ISR",
                            "request r = pending; pending = NULL; "
                            "WdfRequestComplete(r, STATUS_SUCCESS);"));
  EXPECT_TRUE(found(*bad, RuleId::WrongIrql, "DIRQL")) << findings(*bad);
}

// WdfInterruptSynchronize runs its callback under the interrupt's lock (never beside the ISR)
// and returns the callback's value.
TEST(KmdfInterrupts, SynchronizeExcludesTheIsrAndReturnsTheValue) {
  auto c = check_all(R"(
interrupt irq = OnIsr;
global int inside = 0;
fn OnIsr() { inside = inside + 1; assert(inside == 1); inside = inside - 1; }
fn Probe() { inside = inside + 1; assert(inside == 1); inside = inside - 1; return TRUE; }
thread t { bool v = WdfInterruptSynchronize(irq, Probe); assert(v); }
environment { interrupt irq x 2; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// A timer serialized with its device cannot interleave with the device's EvtIo callback;
// `unsynchronized` lifts that, and so does a queue scope across two queues.
TEST(KmdfScopes, DeviceAndQueueScopesSerialize) {
  const std::string spec = R"(
device d : SCOPE { queue a : parallel { EvtIoRead = OnRead; } queue b : parallel { EvtIoRead = OnRead; } }
timer tk = OnTick PARENT;
global int inside = 0;
fn enter() { inside = inside + 1; assert(inside == 1); inside = inside - 1; }
fn OnRead(request req) { enter(); WdfRequestComplete(req, STATUS_SUCCESS); }
fn OnTick() { enter(); }
environment { arrive a x ARRIVE_A; arrive b x ARRIVE_B; }
)";
  const auto run = [&](const char* scope, const char* parent, const char* na, const char* nb) {
    return check_all(with(with(with(with(spec, "SCOPE", scope), "PARENT", parent), "ARRIVE_A", na),
                          "ARRIVE_B", nb));
  };
  EXPECT_EQ(run("sync_device", "", "1", "1")->result.verdict, Verdict::Pass);
  EXPECT_TRUE(only(*run("sync_device", "unsynchronized", "1", "0"), RuleId::Assertion));
  // Queue scope: two requests of one queue never overlap, requests of two queues may.
  EXPECT_EQ(run("sync_queue", "unsynchronized", "2", "0")->result.verdict, Verdict::Violation);
  EXPECT_EQ(run("sync_queue", "parent a", "2", "0")->result.verdict, Verdict::Pass);
  EXPECT_TRUE(only(*run("sync_queue", "parent a", "1", "1"), RuleId::Assertion));
}

// Under a dispatch-level device scope a callback may not wait; under `passive` it may.
TEST(KmdfScopes, ExecutionLevelDecidesWhetherACallbackMayWait) {
  const std::string spec = R"(
device d : sync_device LEVEL { queue q : parallel { EvtIoRead = OnRead; } }
event e;
thread t { KeSetEvent(e); }
fn OnRead(request req) { KeWaitForSingleObject(e); WdfRequestComplete(req, STATUS_SUCCESS); }
environment { arrive q x 1; }
)";
  auto dispatch = check_all(with(spec, "LEVEL", ""));
  EXPECT_TRUE(only(*dispatch, RuleId::WrongIrql)) << findings(*dispatch);
  auto passive = check_all(with(spec, "LEVEL", "passive"));
  EXPECT_EQ(passive->result.verdict, Verdict::Pass) << findings(*passive);
}

// SDV ReqSendWhileSpinlock: sending while holding a spin lock is CR017; after releasing, fine.
TEST(KmdfIrql, SendWhileHoldingASpinLock) {
  const std::string spec = R"(
device d { queue q : parallel { EvtIoRead = OnRead; } }
target lower : cancelable;
lock L;
fn OnRead(request req) {
  WdfRequestSetCompletionRoutine(req, OnDone);
  WdfSpinLockAcquire(L);
  BEFORE
  bool ok = WdfRequestSend(req, lower);
  AFTER
  if (!ok) { WdfRequestComplete(req, WdfRequestGetStatus(req)); }
}
fn OnDone(request req, status st) { WdfRequestComplete(req, st); }
environment { arrive q x 1; }
)";
  auto bad = check_all(with(with(spec, "BEFORE", ""), "AFTER", "WdfSpinLockRelease(L);"));
  EXPECT_TRUE(found(*bad, RuleId::WrongIrql, "ReqSendWhileSpinlock")) << findings(*bad);
  auto good = check_all(with(with(spec, "BEFORE", "WdfSpinLockRelease(L);"), "AFTER", ""));
  EXPECT_EQ(good->result.verdict, Verdict::Pass) << findings(*good);
}

}  // namespace
}  // namespace cc
