// KMDF request types, device callbacks, file objects and ready notification through the whole
// checker (modules/kmdf/kmdf_files.cpp, kmdf_power.cpp, kmdf_env.cpp; docs/semantics/kmdf.md
// "Request types", "Device callbacks", "File objects", "Ready notification"). Each spec plants
// an assert on a path the semantics must (or must not) take; the search keeps going (`all`).
// Every finding is replayed by the reference executor.
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

// An untyped request on a queue with two typed callbacks may be either type: both run.
TEST(KmdfTypes, AnUntypedRequestMayReachEitherTypedCallback) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; EvtIoWrite = OnWrite; }
fn OnRead(request r) { assert(0 == 1); WdfRequestComplete(r, STATUS_SUCCESS); }
fn OnWrite(request r) { assert(0 == 2); WdfRequestComplete(r, STATUS_SUCCESS); }
environment { arrive q x 1; }
)");
  EXPECT_EQ(c->result.violations.size(), 2U) << findings(*c);
  EXPECT_TRUE(only(*c, RuleId::Assertion));
}

// A requeued request keeps the type the first callback fixed: a read requeued into a queue
// of reads and writes comes back to EvtIoRead only.
TEST(KmdfTypes, TheFirstCallbackFixesTheTypeForLaterDeliveries) {
  auto c = check_all(R"(
device d {
  queue front : parallel { EvtIoRead = OnFront; }
  queue back : parallel { EvtIoRead = OnRead; EvtIoWrite = OnWrite; }
}
fn OnFront(request r) {
  status s = WdfRequestForwardToIoQueue(r, back);
  if (!NT_SUCCESS(s)) { WdfRequestComplete(r, s); }
}
fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }
fn OnWrite(request r) { assert(0 == 1); WdfRequestComplete(r, STATUS_SUCCESS); }
environment { arrive front x 1; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// The framework fails a request no callback takes: it is completed, so nothing is pending.
TEST(KmdfTypes, TheFrameworkFailsATypeWithoutCallback) {
  auto c = check_all(R"(
queue q : parallel { EvtIoRead = OnRead; }
fn OnRead(request r) { assert(0 == 1); }
environment { arrive q x 1 write; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// EvtDeviceSurpriseRemoval runs on `stop surprise` only, not on an orderly removal.
TEST(KmdfDeviceCallbacks, SurpriseRemovalRunsOnlyOnASurpriseRemoval) {
  const std::string body = R"(
device d {
  EvtDeviceSurpriseRemoval = OnSurprise;
  queue q : parallel { EvtIoRead = OnRead; }
}
fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }
fn OnSurprise() { assert(0 == 1); }
)";
  auto orderly = check_all(body + "environment { arrive q x 1; stop purge; }\n");
  EXPECT_EQ(orderly->result.verdict, Verdict::Pass) << findings(*orderly);
  auto surprise = check_all(body + "environment { arrive q x 1; stop surprise; }\n");
  EXPECT_TRUE(only(*surprise, RuleId::Assertion)) << findings(*surprise);
}

// The removal waits for EvtDeviceSelfManagedIoFlush before purging the queues that are not
// power-managed: a flush that never returns hangs it (a stuck activity, not a pass).
TEST(KmdfDeviceCallbacks, TheRemovalWaitsForTheFlushCallback) {
  auto c = check_all(R"(
device d {
  EvtDeviceSelfManagedIoFlush = OnFlush;
  queue q : parallel not_power_managed { EvtIoRead = OnRead; }
}
event never;
fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }
fn OnFlush() { KeWaitForSingleObject(never); }
environment { arrive q x 1; stop purge; }
)");
  EXPECT_NE(c->result.verdict, Verdict::Pass) << findings(*c);
}

// Queue state changes from EvtDeviceSurpriseRemoval are SDV EvtSurpriseRemoveNoSuspendQueue.
TEST(KmdfDeviceCallbacks, QueueStopFromSurpriseRemovalIsMisuse) {
  auto c = check_all(R"(
device d {
  EvtDeviceSurpriseRemoval = OnSurprise;
  queue q : parallel { EvtIoRead = OnRead; }
}
fn OnRead(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }
fn OnSurprise() { WdfIoQueueStop(q, NULL); }
environment { arrive q x 1; stop surprise; }
)");
  EXPECT_TRUE(only(*c, RuleId::ApiMisuse)) << findings(*c);
}

// EvtFileCleanup runs only after every request of the handle arrived, and EvtFileClose only
// once none is queued or held.
TEST(KmdfFiles, CleanupAfterArrivalsCloseAfterCompletion) {
  auto c = check_all(R"(
device d {
  EvtFileCleanup = OnCleanup;
  EvtFileClose = OnClose;
  queue q : parallel { EvtIoRead = OnRead; }
}
global int inflight = 0;
fn OnRead(request r) {
  atomic { inflight = inflight + 1; }
  atomic { inflight = inflight - 1; }
  WdfRequestComplete(r, STATUS_SUCCESS);
}
fn OnCleanup(file f) { }
fn OnClose(file f) { assert(inflight == 0); }
environment { arrive q x 2 read from h; close h; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// The flush cancels only the closed handle's queued requests: EvtIoCanceledOnQueue runs for
// h's request (req#1), never for g's (req#2), which stays parked.
TEST(KmdfFiles, TheFlushCancelsOnlyTheClosedHandlesRequests) {
  auto c = check_all(R"(
device d {
  queue front : parallel { EvtIoRead = OnRead; }
  queue park : manual { EvtIoCanceledOnQueue = OnCanceled; }
}
fn OnRead(request r) {
  status s = WdfRequestForwardToIoQueue(r, park);
  if (!NT_SUCCESS(s)) { WdfRequestComplete(r, s); }
}
fn OnCanceled(request r) { assert(0 == 1); WdfRequestComplete(r, STATUS_CANCELLED); }
environment { arrive front x 1 read from h; arrive front x 1 read from g; close h; }
)");
  EXPECT_TRUE(found(*c, RuleId::Assertion, "OnCanceled[req#1]")) << findings(*c);
  EXPECT_FALSE(found(*c, RuleId::Assertion, "OnCanceled[req#2]")) << findings(*c);
}

// WdfIoQueueRetrieveRequestByFileObject takes only the given handle's requests.
TEST(KmdfFiles, RetrieveByFileObjectSkipsOtherHandles) {
  auto c = check_all(R"(
device d {
  EvtFileCleanup = OnCleanup;
  queue park : manual { }
}
fn OnCleanup(file f) {
  request r = NULL;
  status s = WdfIoQueueRetrieveRequestByFileObject(park, f, &r);
  while (NT_SUCCESS(s)) {
    assert(WdfRequestGetFileObject(r) == f);
    WdfRequestComplete(r, STATUS_CANCELLED);
    s = WdfIoQueueRetrieveRequestByFileObject(park, f, &r);
  }
  assert(s == STATUS_NO_MORE_ENTRIES);
}
environment { arrive park x 1 from h; arrive park x 1 from g; close h; close g; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

// A ready notification is owed when a request enters the empty manual queue; registering
// after the arrival still gets it (the transition was recorded).
TEST(KmdfReadyNotify, ARegistrationAfterTheArrivalIsStillNotified) {
  auto c = check_all(R"(
device d { queue m : manual { } }
global int told = 0;
fn OnReady() {
  told = 1;
  request r = NULL;
  status s = WdfIoQueueRetrieveNextRequest(m, &r);
  if (NT_SUCCESS(s)) { WdfRequestComplete(r, STATUS_SUCCESS); }
}
thread Later { WdfIoQueueReadyNotify(m, OnReady); }
environment { arrive m x 1; }
)");
  EXPECT_EQ(c->result.verdict, Verdict::Pass) << findings(*c);
}

}  // namespace
}  // namespace cc
