// KMDF power-down, power-up and removal through the whole checker (modules/kmdf/kmdf_power.cpp,
// docs/semantics/kmdf.md "Power and removal"). Each spec plants an assert on a path the
// semantics must (or must not) take, and the search keeps going (`all`), so the order in
// which the environment's events happen does not matter. Every finding is replayed by the
// reference executor.
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

// WdfRequestStopAcknowledge(FALSE): the driver keeps the request and the framework calls
// EvtIoResume for it after the power-up (the assert marks that the call happened).
TEST(KmdfPower, EvtIoResumeIsCalledForAnAcknowledgedRequest) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; EvtIoResume = OnResume; }
fn OnRead(request req) { }
fn OnStop(request req, int flags) { WdfRequestStopAcknowledge(req, FALSE); }
fn OnResume(request req) { assert(FALSE); }
environment { arrive q x 1; stop suspend; }
)");
  EXPECT_TRUE(found(*c, RuleId::Assertion, "OnResume")) << findings(*c);
}

// With requeue TRUE there is no EvtIoResume: the request is delivered again after the resume.
TEST(KmdfPower, AcknowledgedWithRequeueIsRedeliveredWithoutEvtIoResume) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; EvtIoResume = OnResume; }
global int delivered = 0;
fn OnRead(request req) { delivered = delivered + 1; assert(delivered < 2); }
fn OnStop(request req, int flags) { WdfRequestStopAcknowledge(req, TRUE); }
fn OnResume(request req) { assert(FALSE); }
environment { arrive q x 1; stop suspend; }
)");
  EXPECT_TRUE(found(*c, RuleId::Assertion, "OnRead")) << findings(*c);
  EXPECT_FALSE(found(*c, RuleId::Assertion, "OnResume")) << findings(*c);
}

// EvtIoStop is not called while the request's own EvtIoRead still runs
// (FxIoQueue::StartPowerTransitionOff waits until no callback is dispatching).
TEST(KmdfPower, EvtIoStopWaitsForTheDispatchingCallback) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; }
global int in_read = 0;
fn OnRead(request req) { in_read = 1; in_read = 0; }
fn OnStop(request req, int flags) { assert(in_read == 0); WdfRequestComplete(req, STATUS_CANCELLED); }
environment { arrive q x 1; stop any; }
)");
  // (A request delivered after the power-up is kept for ever: CR005, not the point here.)
  EXPECT_FALSE(found(*c, RuleId::Assertion, "OnStop")) << findings(*c);
}

// A request arriving in low power waits in its power-managed queue; a queue that is not
// power-managed keeps dispatching.
TEST(KmdfPower, LowPowerHoldsOnlyPowerManagedQueues) {
  auto c = check_all(R"(
device d {
  queue pm : parallel { EvtIoRead = OnPm; }
  queue other : parallel not_power_managed { EvtIoRead = OnOther; }
}
global int phase = 0;
fn OnPm(request req) { WdfRequestComplete(req, STATUS_SUCCESS); }
fn OnOther(request req) { WdfRequestComplete(req, STATUS_SUCCESS); }
environment { arrive pm x 1; arrive other x 1; stop suspend; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// The removal purge cancels a cancelable request the driver holds (its EvtRequestCancel
// runs) and the driver need not act on it in EvtIoStop(purge): it gets none.
TEST(KmdfPower, RemovalCancelsDriverCancelableRequests) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; }
fn OnRead(request req) {
  status s = WdfRequestMarkCancelableEx(req, OnCancel);
  if (s != STATUS_SUCCESS) { WdfRequestComplete(req, s); }
}
fn OnCancel(request req) { WdfRequestComplete(req, STATUS_CANCELLED); }
fn OnStop(request req, int flags) {
  assert(flags != WdfRequestStopActionPurge);
  if (flags & WdfRequestStopActionSuspend) { WdfRequestStopAcknowledge(req, FALSE); }
}
environment { arrive q x 1; stop purge; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// Removal also reaches queues that are not power-managed: EvtIoStop(purge) after the others.
TEST(KmdfPower, RemovalCallsEvtIoStopOnQueuesNotPowerManaged) {
  auto c = check_all(R"(
queue q : parallel not_power_managed { EvtIoRead = OnRead; EvtIoStop = OnStop; }
fn OnRead(request req) { }
fn OnStop(request req, int flags) { assert(flags != WdfRequestStopActionPurge); }
environment { arrive q x 1; stop purge; }
)");
  EXPECT_TRUE(found(*c, RuleId::Assertion, "OnStop")) << findings(*c);
}

// While EvtIoStop calls are being made the framework holds cancel routines back
// (FxIoQueue::ProcessCancelledRequests): OnCancel never runs while OnStop does.
TEST(KmdfPower, CancelRoutinesWaitWhileEvtIoStopIsCalled) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; }
global int in_stop = 0;
fn OnRead(request req) {
  status s = WdfRequestMarkCancelableEx(req, OnCancel);
  if (s != STATUS_SUCCESS) { WdfRequestComplete(req, s); }
}
fn OnCancel(request req) { assert(in_stop == 0); WdfRequestComplete(req, STATUS_CANCELLED); }
fn OnStop(request req, int flags) {
  in_stop = 1;
  if (WdfRequestUnmarkCancelable(req) == STATUS_CANCELLED) { in_stop = 0; return; }
  in_stop = 0;
  WdfRequestStopAcknowledge(req, FALSE);
  WdfRequestMarkCancelable(req, OnCancel);
}
environment { arrive q x 1; cancel any; stop suspend; }
)");
  EXPECT_FALSE(found(*c, RuleId::Assertion, "OnCancel")) << findings(*c);
}

// Several `stop` lines happen in order: two power cycles, then removal.
TEST(KmdfPower, StopLinesHappenInOrder) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; }
global int stops = 0;
fn OnRead(request req) { }
fn OnStop(request req, int flags) {
  stops = stops + 1;
  if (flags & WdfRequestStopActionPurge) { assert(stops < 4); WdfRequestComplete(req, STATUS_CANCELLED); }
  else { WdfRequestStopAcknowledge(req, FALSE); }
}
environment { arrive q x 1; stop suspend; stop suspend; stop purge; }
)");
  // Two power-downs, the removal's power-down, then its purge: the fourth EvtIoStop.
  EXPECT_TRUE(found(*c, RuleId::Assertion, "OnStop")) << findings(*c);
}

}  // namespace
}  // namespace cc
