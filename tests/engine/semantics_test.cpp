// The KMDF transition system, one behaviour at a time: small specs, searched breadth-first by
// a tiny reference search in this file (no dependency on the explorer), with the first
// finding's rule and message checked. API results are checked from inside the specs with
// assert(), which fails as CR013.
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <set>
#include <sstream>

#include "model/frontend.h"
#include "modules/registry.h"
#include "tests/app/run_tool.h"
#include "tests/engine/collect_sink.h"

namespace cc {
namespace {

struct Outcome {
  std::optional<Finding> finding;
  std::size_t states = 0;
  std::string error;            ///< front-end diagnostics or unsupported construct
  std::size_t pack_errors = 0;  ///< successors that pack() / unpack() did not give back
};

using test::Collect;

/// BFS to the first finding (transition or end state). The cases pin the raw semantics, so
/// symmetry is off unless asked for (it may reorder findings of equal depth).
Outcome run(const std::string& text, bool symmetry = false) {
  Outcome o;
  SourceManager sm;
  Diagnostics diags;
  std::string path = test::temp_file(text);
  auto spec = load_spec(sm, path, {}, diags);
  if (!spec) {
    std::ostringstream s;
    diags.print(s, sm);
    o.error = s.str();
    return o;
  }
  std::string why;
  auto ts = make_transition_system(*spec, sm, why);
  if (!ts) {
    o.error = why;
    return o;
  }
  ts->set_reductions(false, symmetry);
  std::vector<uint8_t> init(ts->state_size());
  ts->initial_state(init);
  std::set<std::vector<uint8_t>> seen{init};
  std::deque<std::vector<uint8_t>> queue{init};
  while (!queue.empty() && seen.size() < 200000) {
    std::vector<uint8_t> s = std::move(queue.front());
    queue.pop_front();
    Collect c;
    ts->successors(s, c);
    if (c.out.empty()) {
      if (auto f = ts->end_state(s)) {
        o.finding = f;
        break;
      }
    }
    for (auto& [next, f] : c.out) {
      // The store keeps packed states: packing must lose nothing and never grow a state.
      std::vector<uint8_t> packed(ts->state_size()), back(ts->state_size());
      const std::size_t n = ts->pack(next, packed.data());
      ts->unpack(std::span<const uint8_t>(packed.data(), n), back);
      if (n > next.size() || back != next) ++o.pack_errors;
      if (f) {
        o.finding = f;
        o.states = seen.size();
        return o;
      }
      if (seen.insert(next).second) queue.push_back(next);
    }
  }
  o.states = seen.size();
  return o;
}

std::string rule_of(const Outcome& o) {
  if (!o.error.empty()) return "error: " + o.error;
  return o.finding ? std::string(rule_info(o.finding->rule).id) : "pass";
}

// A queue with one request delivered to OnRead; BODY is OnRead's body; EXTRA more decls.
std::string one_request(const std::string& body, const std::string& extra = "",
                        const std::string& env = "") {
  return "queue q : parallel power_managed { EvtIoRead = OnRead; }\n" + extra +
         "\nfn OnRead(request req) {\n" + body + "\n}\nenvironment { arrive q x 1; " + env + " }\n";
}

struct Case {
  const char* name;
  std::string spec;
  const char* rule;     ///< "pass" or "CRnnn"
  const char* message;  ///< substring of the finding's message ("" = any)
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class SemanticsCase : public ::testing::TestWithParam<Case> {};

TEST_P(SemanticsCase, FirstFinding) {
  const Case& c = GetParam();
  Outcome o = run(c.spec);
  EXPECT_EQ(rule_of(o), c.rule) << (o.finding ? o.finding->message : o.error);
  EXPECT_EQ(o.pack_errors, 0U) << "pack() / unpack() lost bytes";
  if (o.finding && *c.message != 0) {
    EXPECT_NE(o.finding->message.find(c.message), std::string::npos) << o.finding->message;
  }
}

const std::string kTarget = "target t : cancelable;\n";
const std::string kDone = "fn Done(request r, status st) { WdfRequestComplete(r, st); }\n";

std::vector<Case> cases() {
  return {
      {"CompleteOnce", one_request("WdfRequestComplete(req, STATUS_SUCCESS);"), "pass", ""},
      {"CompleteTwice",
       one_request(
           "WdfRequestComplete(req, STATUS_SUCCESS); WdfRequestComplete(req, STATUS_SUCCESS);"),
       "CR001", "completed twice"},
      {"NeverCompleted", one_request("int x = 1;"), "CR005", "never completed"},
      {"ContextAfterFree",
       one_request("WdfRequestComplete(req, STATUS_SUCCESS); req->n = 1;", "context { int n; }"),
       "CR004", "after it was freed"},
      {"ReferenceKeepsContextAlive",
       one_request("WdfObjectReference(req); WdfRequestComplete(req, STATUS_SUCCESS); req->n = 1; "
                   "WdfObjectDereference(req);",
                   "context { int n; }"),
       "pass", ""},
      {"CompletedButReferencedIsNotOwned",
       one_request("WdfObjectReference(req); WdfRequestComplete(req, STATUS_SUCCESS); "
                   "WdfRequestSetCompletionRoutine(req, Done);",
                   kDone),
       "CR004", "after it was completed"},
      {"DereferenceBelowTheFrameworkReference",
       one_request("WdfObjectDereference(req); WdfRequestComplete(req, STATUS_SUCCESS);"), "CR008",
       "does not hold"},
      {"SendWithoutCompletionRoutine", one_request("WdfRequestSend(req, t);", kTarget), "CR008",
       "without a completion routine"},
      {"SendAndCompleteInRoutine",
       one_request("WdfRequestSetCompletionRoutine(req, Done); if (!WdfRequestSend(req, t)) { "
                   "WdfRequestComplete(req, WdfRequestGetStatus(req)); }",
                   kTarget + kDone, "cancel any;"),
       "pass", ""},
      {"TouchAfterSend",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfRequestSend(req, t); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);",
                   kTarget + kDone),
       "CR004", "ownership was given away"},
      {"SendFailureIgnored",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfRequestSend(req, t);",
                   "target t : cancelable may_fail;\n" + kDone),
       "CR005", ""},
      {"SendOfCancelledRequestFails",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfRequestCancelSentRequest(req); "
                   "assert(!WdfRequestSend(req, t)); "
                   "assert(WdfRequestGetStatus(req) == STATUS_CANCELLED); "
                   "WdfRequestComplete(req, STATUS_CANCELLED);",
                   kTarget + kDone),
       "pass", ""},
      {"CompleteWhileCancelable",
       one_request(
           "WdfRequestMarkCancelableEx(req, OnCancel); WdfRequestComplete(req, STATUS_SUCCESS);",
           "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }"),
       "CR006", "still marked cancelable"},
      {"MarkTwice",
       one_request(
           "WdfRequestMarkCancelable(req, OnCancel); WdfRequestMarkCancelable(req, OnCancel);",
           "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }"),
       "CR008", "already cancelable"},
      {"MarkExTwiceReturnsInvalidDeviceRequest",
       one_request(
           "WdfRequestMarkCancelableEx(req, OnCancel); "
           "assert(WdfRequestMarkCancelableEx(req, OnCancel) == STATUS_INVALID_DEVICE_REQUEST); "
           "assert(WdfRequestUnmarkCancelable(req) == STATUS_SUCCESS); "
           "assert(WdfRequestUnmarkCancelable(req) == STATUS_INVALID_PARAMETER); "
           "WdfRequestComplete(req, STATUS_SUCCESS);",
           "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }"),
       "pass", ""},
      {"IsCanceledWhileCancelable",
       one_request("WdfRequestMarkCancelableEx(req, OnCancel); WdfRequestIsCanceled(req);",
                   "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }"),
       "CR008", "IsCanceled"},
      {"UnmarkCancelledThenComplete",
       one_request("WdfRequestMarkCancelableEx(req, OnCancel); "
                   "if (WdfRequestUnmarkCancelable(req) == STATUS_CANCELLED) { "
                   "WdfRequestComplete(req, STATUS_CANCELLED); } else { "
                   "WdfRequestComplete(req, STATUS_SUCCESS); }",
                   "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }",
                   "cancel any;"),
       "CR007", "UnmarkCancelable returned STATUS_CANCELLED"},
      // The originator's cancel sets the IRP's Cancel bit, which MarkCancelableEx reads.
      {"MarkExOnCancelledIgnored",
       one_request("WdfRequestMarkCancelableEx(req, OnCancel);",
                   "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }",
                   "cancel any;"),
       "CR003", "MarkCancelableEx"},
      // CancelSentRequest on a request never sent sets only the framework's cancelled state
      // (FxRequestBase::Cancel): MarkCancelableEx still succeeds, the send fails.
      {"CancelSentBeforeSendFailsTheSendNotTheMark",
       one_request(
           "WdfRequestCancelSentRequest(req); "
           "assert(WdfRequestMarkCancelableEx(req, OnCancel) == STATUS_SUCCESS); "
           "if (WdfRequestUnmarkCancelable(req) == STATUS_SUCCESS) { "
           "WdfRequestSetCompletionRoutine(req, Done); "
           "assert(!WdfRequestSend(req, t)); assert(WdfRequestIsCanceled(req)); "
           "WdfRequestComplete(req, STATUS_CANCELLED); }",
           kTarget + kDone + "fn OnCancel(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }"),
       "pass", ""},
      // The originator's cancel of a request that is not cancelable sets only the IRP's bit:
      // the send goes out (p14).
      {"OriginatorCancelDoesNotStopTheSend",
       one_request("WdfRequestSetCompletionRoutine(req, Done); "
                   "if (!WdfRequestSend(req, t)) { assert(FALSE); }",
                   "target t : uncancelable;\n" + kDone, "cancel any;"),
       "pass", ""},
      {"IsCanceledOnARequestNotOwnedIsFalse",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfObjectReference(req); "
                   "if (WdfRequestSend(req, t)) { assert(!WdfRequestIsCanceled(req)); "
                   "WdfRequestCancelSentRequest(req); } "
                   "else { WdfRequestComplete(req, WdfRequestGetStatus(req)); } "
                   "WdfObjectDereference(req);",
                   "target t : pending;\n" + kDone),
       "pass", ""},
      {"CancelSentBeforeTheTargetMarksReturnsFalse",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfObjectReference(req); "
                   "if (WdfRequestSend(req, t)) { assert(!WdfRequestCancelSentRequest(req)); } "
                   "else { WdfRequestComplete(req, WdfRequestGetStatus(req)); } "
                   "WdfObjectDereference(req);",
                   "target t : uncancelable;\n" + kDone),
       "pass", ""},
      {"RetrieveOnAParallelQueue",
       one_request("request n = NULL; "
                   "assert(WdfIoQueueRetrieveNextRequest(q, &n) == STATUS_INVALID_DEVICE_STATE); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);"),
       "pass", ""},
      {"ReuseWithANewIrpIsInvalidState",
       "target t : cancelable;\nrequest rq = WdfRequestCreate(t);\n"
       "thread T { assert(WdfRequestReuse(rq, WDF_REQUEST_REUSE_SET_NEW_IRP) == "
       "STATUS_WDF_REQUEST_INVALID_STATE); }\nenvironment { }\n",
       "pass", ""},
      {"ReuseSetsTheStatusOfItsParams",
       "target t : cancelable;\nrequest rq = WdfRequestCreate(t);\n"
       "thread T { WdfRequestReuse(rq, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_PENDING); "
       "assert(WdfRequestGetStatus(rq) == STATUS_PENDING); }\nenvironment { }\n",
       "pass", ""},
      {"RequeueInEvtIoCanceledOnQueue",
       "queue q : parallel { EvtIoRead = OnRead; }\nqueue m : manual { EvtIoCanceledOnQueue = Coq; "
       "}\nfn OnRead(request req) { if (!NT_SUCCESS(WdfRequestForwardToIoQueue(req, m))) { "
       "WdfRequestComplete(req, STATUS_CANCELLED); } }\n"
       "fn Coq(request req) { WdfRequestRequeue(req); }\n"
       "environment { arrive q x 1; cancel any; }\n",
       "CR008", "cannot requeue"},
      // From EvtIoRead the routine is deferred until the callback returns (the queue's
      // dispatch loop is busy): no deadlock. From a timer (a DPC) it runs inline: deadlock.
      {"MarkUnderTheLockItsCancelRoutineTakes",
       one_request("WdfSpinLockAcquire(L); WdfRequestMarkCancelable(req, OnCancel); "
                   "WdfSpinLockRelease(L);",
                   "lock L;\nfn OnCancel(request r) { WdfSpinLockAcquire(L); "
                   "WdfRequestComplete(r, STATUS_CANCELLED); WdfSpinLockRelease(L); }",
                   "cancel any;"),
       "pass", ""},
      {"MarkFromADpcUnderTheLockItsCancelRoutineTakes",
       one_request("cur = req; WdfTimerStart(tk);",
                   "lock L;\nglobal request cur = NULL;\ntimer tk = OnTk manual;\n"
                   "fn OnTk() { request r = cur; WdfSpinLockAcquire(L); "
                   "WdfRequestMarkCancelable(r, OnCancel); WdfSpinLockRelease(L); }\n"
                   "fn OnCancel(request r) { WdfSpinLockAcquire(L); "
                   "WdfRequestComplete(r, STATUS_CANCELLED); WdfSpinLockRelease(L); }",
                   "cancel any;"),
       "CR010", "deadlock"},
      {"LockTwice", one_request("WdfSpinLockAcquire(L); WdfSpinLockAcquire(L);", "lock L;"),
       "CR010", "already holds"},
      {"ReturnHoldingALock",  // found by the reference executor: a reused slot is not the holder
       "queue q : parallel { EvtIoRead = OnRead; }\nlock L;\n"
       "fn OnRead(request req) { WdfSpinLockAcquire(L); WdfRequestComplete(req, STATUS_SUCCESS); "
       "}\n"
       "environment { arrive q x 2; }\n",
       "CR010", "returned without releasing"},
      {"ReleaseUnheld", one_request("WdfSpinLockRelease(L);", "lock L;"), "CR008", "does not hold"},
      {"WaitForever", one_request("KeWaitForSingleObject(E);", "event E;"), "CR010", "never set"},
      {"StopAckOutsideEvtIoStop", one_request("WdfRequestStopAcknowledge(req, FALSE);"), "CR008",
       "outside EvtIoStop"},
      {"ReuseWhileAtTarget",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfRequestSend(req, t); "
                   "WdfRequestReuse(req);",
                   kTarget + kDone),
       "CR008", "still active"},
      {"ReuseOfReceivedWithNewIrp",
       one_request("assert(WdfRequestReuse(req, WDF_REQUEST_REUSE_SET_NEW_IRP) == "
                   "STATUS_WDF_REQUEST_INVALID_STATE); WdfRequestComplete(req, STATUS_SUCCESS);"),
       "pass", ""},
      {"StaleHandleAfterReuse",
       one_request("saved = req; WdfRequestReuse(req); request old = saved; "
                   "WdfRequestComplete(old, STATUS_SUCCESS);",
                   "global request saved = NULL;"),
       "CR002", "before WdfRequestReuse"},
      {"OwnHandleFollowsReuse",
       one_request("WdfRequestReuse(req); WdfRequestComplete(req, STATUS_SUCCESS);"), "pass", ""},
      {"DeleteReceived", one_request("WdfObjectDelete(req);"), "CR008", "received"},
      {"RetrieveFromEmptyManualQueue",
       one_request("request r = NULL; assert(WdfIoQueueRetrieveNextRequest(m, &r) == "
                   "STATUS_NO_MORE_ENTRIES); assert(r == NULL); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);",
                   "queue m : manual { }"),
       "pass", ""},
      {"ForwardThenRetrieve",
       one_request(
           "assert(WdfRequestForwardToIoQueue(req, m) == STATUS_SUCCESS); request r = NULL; "
           "assert(WdfIoQueueRetrieveNextRequest(m, &r) == STATUS_SUCCESS); "
           "assert(r == req); WdfRequestComplete(r, STATUS_SUCCESS);",
           "queue m : manual { }"),
       "pass", ""},
      {"ForwardToItsOwnQueue",
       one_request("assert(WdfRequestForwardToIoQueue(req, q) == STATUS_INVALID_DEVICE_REQUEST); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);"),
       "pass", ""},
      {"ForwardWhileCancelable",
       one_request("WdfRequestMarkCancelableEx(req, OnCancel); WdfRequestForwardToIoQueue(req, m);",
                   "queue m : manual { }\nfn OnCancel(request r) { WdfRequestComplete(r, "
                   "STATUS_CANCELLED); }"),
       "CR008", "cancelable"},
      {"TimerStartStop",
       one_request("assert(!WdfTimerStop(T)); assert(!WdfTimerStart(T)); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);",
                   "timer T = OnTick manual;\nfn OnTick() { }"),
       "pass", ""},
      {"Interlocked",
       one_request(
           "assert(InterlockedIncrement(&n) == 1); assert(InterlockedDecrement(&n) == 0); "
           "assert(InterlockedOr(&n, 6) == 0); assert(InterlockedCompareExchange(&n, 9, 6) == 6); "
           "assert(n == 9); WdfRequestComplete(req, STATUS_SUCCESS);",
           "global int n = 0;"),
       "pass", ""},
      {"ListsAreFifo",
       one_request("push(l, req); assert(!empty(l)); request a = pop(l); assert(a == req); "
                   "assert(empty(l)); assert(pop(l) == NULL); assert(!remove(l, req)); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);",
                   "global list<request> l;"),
       "pass", ""},
      {"AssertionFails",
       one_request("assert(1 + 1 == 3); WdfRequestComplete(req, STATUS_SUCCESS);"), "CR013",
       "assertion failed"},
      {"AssumeFalsePrunes",
       one_request("assume(FALSE); WdfRequestComplete(req, STATUS_SUCCESS); "
                   "WdfRequestComplete(req, STATUS_SUCCESS);"),
       "pass", ""},
      {"NondetExploresBothBranches",
       one_request("if (*) { WdfRequestComplete(req, STATUS_SUCCESS); } else { int x = 0; }"),
       "CR005", ""},
      {"LostUpdateWithoutSynchronization",
       "queue q : parallel { EvtIoRead = OnRead; }\nglobal int n = 0;\nglobal int done = 0;\n"
       "fn OnRead(request req) { int v = n; n = v + 1; done = done + 1; "
       "WdfRequestComplete(req, STATUS_SUCCESS); }\n"
       "thread Check { while (done < 2) { } assert(n == 2); }\n"
       "environment { arrive q x 2; }\n",
       "CR013", ""},
      {"SyncDeviceSerializesCallbacks",
       "device d : sync_device { queue q : parallel { EvtIoRead = OnRead; } }\nglobal int n = 0;\n"
       "global int done = 0;\n"
       "fn OnRead(request req) { int v = n; n = v + 1; done = done + 1; "
       "WdfRequestComplete(req, STATUS_SUCCESS); }\n"
       "thread Check { while (done < 2) { } assert(n == 2); }\n"
       "environment { arrive q x 2; }\n",
       "pass", ""},
      // Doing nothing in EvtIoStop is allowed for a request that completes; one that waits
      // at a `pending` target for a cancel that never comes blocks the removal.
      {"EvtIoStopMustAcknowledge",
       "queue q : parallel power_managed { EvtIoRead = OnRead; EvtIoStop = OnStop; }\n"
       "target t : pending;\n" +
           kDone +
           "fn OnRead(request req) { WdfRequestSetCompletionRoutine(req, Done); "
           "WdfRequestSend(req, t); }\nfn OnStop(request req, int flags) { }\n"
           "environment { arrive q x 1; stop purge; }\n",
       "CR009", "never finishes"},
      {"EvtIoStopMayTakeNoAction",
       "queue q : parallel power_managed { EvtIoRead = OnRead; EvtIoStop = OnStop; }\n" + kTarget +
           kDone +
           "fn OnRead(request req) { WdfRequestSetCompletionRoutine(req, Done); "
           "if (!WdfRequestSend(req, t)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); } }\n"
           "fn OnStop(request req, int flags) { }\n"
           "environment { arrive q x 1; stop any; }\n",
       "pass", ""},
      {"EvtIoStopStrictSdv",
       "option sdv_strict;\n"
       "queue q : parallel power_managed { EvtIoRead = OnRead; EvtIoStop = OnStop; }\n" +
           kTarget + kDone +
           "fn OnRead(request req) { WdfRequestSetCompletionRoutine(req, Done); "
           "if (!WdfRequestSend(req, t)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); } }\n"
           "fn OnStop(request req, int flags) { }\n"
           "environment { arrive q x 1; stop suspend; }\n",
       "CR009", "without completing"},
      // Removal's purge cancels a cancelable request the driver holds (FxIoQueue::QueuePurge).
      {"PurgeCancelsDriverCancelable",
       "queue q : parallel { EvtIoRead = OnRead; EvtIoStop = OnStop; }\n"
       "fn OnRead(request req) { status s = WdfRequestMarkCancelableEx(req, OnCancel); "
       "if (s != STATUS_SUCCESS) { WdfRequestComplete(req, s); } }\n"
       "fn OnCancel(request req) { WdfRequestComplete(req, STATUS_CANCELLED); }\n"
       "fn OnStop(request req, int flags) { if (flags & WdfRequestStopActionSuspend) { "
       "WdfRequestStopAcknowledge(req, FALSE); } else { assert(FALSE); } }\n"
       "environment { arrive q x 1; stop purge; }\n",
       "pass", ""},
      // A request that arrives while the device is in low power waits for the resume.
      {"ArrivalInLowPowerWaitsForTheResume",
       "queue q : parallel { EvtIoRead = OnRead; }\nglobal int resumed = 0;\n"
       "fn OnRead(request req) { WdfRequestComplete(req, STATUS_SUCCESS); }\n"
       "environment { arrive q x 1; stop suspend; }\n",
       "pass", ""},
      {"EvtIoStopPurgeCancelsSent",
       "queue q : parallel power_managed { EvtIoRead = OnRead; EvtIoStop = OnStop; }\n" + kTarget +
           kDone +
           "fn OnRead(request req) { WdfRequestSetCompletionRoutine(req, Done); "
           "if (!WdfRequestSend(req, t)) { WdfRequestComplete(req, WdfRequestGetStatus(req)); } }\n"
           "fn OnStop(request req, int flags) { if (flags & WdfRequestStopActionSuspend) { "
           "WdfRequestStopAcknowledge(req, FALSE); return; } "
           "assert(flags == WdfRequestStopActionPurge); WdfRequestCancelSentRequest(req); }\n"
           "environment { arrive q x 1; stop purge; }\n",
       "pass", ""},
      {"PendingTargetNeedsACancel",
       one_request("WdfRequestSetCompletionRoutine(req, Done); WdfRequestSend(req, t);",
                   "target t : pending;\n" + kDone),
       "CR005", ""},
      {"CreatedRequestCompleted",
       "target t : cancelable;\nrequest rq = WdfRequestCreate(t);\n"
       "thread T { WdfRequestComplete(rq, STATUS_SUCCESS); }\nenvironment { }\n",
       "CR008", "WdfRequestCreate"},
  };
}

// ---- NDIS (docs/semantics/ndis.md) and APPC (docs/semantics/appc.md) ----

// A filter f over miniport m (BEHAVIOUR) whose send, completion and cancel handlers have the
// given bodies (parameters n; n, st; id); the protocol sends SENDS NBLs with cancel id 1.
std::string filter_spec(const std::string& send, const std::string& complete,
                        const std::string& cancel = "", const std::string& extra = "",
                        const std::string& env = "send f x 1 cancel_id 1;",
                        const std::string& behaviour = "cancelable") {
  return "filter f { FilterSendNetBufferLists = OnSend; FilterSendNetBufferListsComplete = "
         "OnComplete; FilterCancelSendNetBufferLists = OnCancel; }\nminiport m : " +
         behaviour + ";\n" + extra + "\nfn OnSend(nbl n) {\n" + send +
         "\n}\nfn OnComplete(nbl n, status st) {\n" + complete + "\n}\nfn OnCancel(int id) {\n" +
         cancel + "\n}\nenvironment { " + env + " }\n";
}

const std::string kPassUp = "NdisFSendNetBufferListsComplete(n, st);";
const std::string kDown = "NdisFSendNetBufferLists(n, m);";

// An APPC client thread with BODY over conversation c (OPTION) and extra declarations.
std::string appc_spec(const std::string& body, const std::string& option = "",
                      const std::string& extra = "") {
  return "conversation c" + option + ";\n" + extra + "\nthread Client {\n" + body +
         "\n}\nenvironment { }\n";
}

std::vector<Case> ndis_appc_cases() {
  return {
      {"NblPassThroughPasses", filter_spec(kDown, kPassUp), "pass", ""},
      {"NblCompletedTwice", filter_spec(kDown, kPassUp + kPassUp), "CR001",
       "nbl#1 completed twice"},
      {"NblCompletedWhileBelow",
       filter_spec(kDown + "NdisFSendNetBufferListsComplete(n, NDIS_STATUS_SUCCESS);", kPassUp),
       "CR001", "while it is sent below to miniport m"},
      {"NblTouchedAfterSend",
       filter_spec(kDown + "int id = NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n);", kPassUp), "CR004",
       "NDIS_GET_NET_BUFFER_LIST_CANCEL_ID on nbl#1 while it is sent below"},
      {"ProtocolCancelIdIsSet",
       filter_spec("assert(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n) == 1); " + kDown, kPassUp), "pass",
       ""},
      {"FilterNblMustNotGoUp",
       filter_spec(kDown, kPassUp, "",
                   "thread T { nbl x = NdisAllocateNetBufferList(); "
                   "NdisFSendNetBufferListsComplete(x, NDIS_STATUS_SUCCESS); }"),
       "CR001", "allocated by the filter"},
      // The pending miniport aborts what the cancel reaches (no CR013); a cancel that runs
      // before the send call passed the NBL down misses it, which is lost (probe p15).
      {"PendingMiniportAbortsOnlyOnCancel",
       filter_spec(kDown, "assert(st == NDIS_STATUS_SEND_ABORTED); " + kPassUp,
                   "NdisFCancelSendNetBufferLists(m, id);", "",
                   "send f x 1 cancel_id 1; cancel_send f 1;", "pending"),
       "CR003", "the cancel was never passed down"},
      {"PendingMiniportWithoutCancelNeverReturns",
       filter_spec(kDown, kPassUp, "", "", "send f x 1 cancel_id 1;", "pending"), "CR005",
       "nbl#1 is never returned to the protocol"},
      {"CancelNotPassedDownIsLost",
       filter_spec(kDown, kPassUp, "", "", "send f x 1 cancel_id 1; cancel_send f 1;", "pending"),
       "CR003", "the cancel was never passed down"},
      {"UncancelableMiniportCompletesWithSuccess",
       filter_spec(kDown, "assert(st == NDIS_STATUS_SUCCESS); " + kPassUp,
                   "NdisFCancelSendNetBufferLists(m, id);", "",
                   "send f x 1 cancel_id 1; cancel_send f 1;", "uncancelable"),
       "pass", ""},
      // The protocol's cancel may run while FilterSendNetBufferLists of its id still runs.
      {"CancelMayComeDuringTheSendCall",
       filter_spec("sent = 1; " + kDown, kPassUp, "assert(sent == 1);", "global int sent = 0;",
                   "send f x 1 cancel_id 1; cancel_send f 1;"),
       "CR013", ""},
      // One cancel for the id (no CR013 from the second line); a cancel that overtakes a
      // send call misses that NBL, which is lost at the pending miniport (probe p15).
      {"ProtocolCancelsAnIdOnce",
       filter_spec(kDown, kPassUp,
                   "cancels = cancels + 1; assert(cancels == 1); "
                   "NdisFCancelSendNetBufferLists(m, id);",
                   "global int cancels = 0;",
                   "send f x 2 cancel_id 3; cancel_send f 3; cancel_send f 3;", "pending"),
       "CR003", "the cancel was never passed down"},
      {"OwnNblCancelIdAndFree",
       filter_spec(kDown, kPassUp, "",
                   "thread T { nbl x = NdisAllocateNetBufferList(); "
                   // Id 0: partial cancel ids are symbolic (semantics_symbolic_test), and a
                   // nonzero id without one collides (next case).
                   "NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(x, 0); "
                   "assert(NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(x) == 0); "
                   "NdisFreeNetBufferList(x); }"),
       "pass", ""},
      {"OwnIdWithoutPartialIdCollides",
       filter_spec(kDown, kPassUp, "",
                   "thread T { nbl x = NdisAllocateNetBufferList(); "
                   "NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(x, 0x5A000000); }"),
       "CR012", "never obtained a partial cancel id"},
      {"OwnNblFreedTwice",
       filter_spec(kDown, kPassUp, "",
                   "thread T { nbl x = NdisAllocateNetBufferList(); NdisFreeNetBufferList(x); "
                   "NdisFreeNetBufferList(x); }"),
       "CR004", "after it was freed"},
      {"AppcCancelOutstandingOrAlready",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "int r = WinAPPCCancelAsyncRequest(t); assert(r == 0 || r == WAPPCALREADY); "
                 "assert(GetMessage() == t); int rc = vcb_primary_rc(v); "
                 "assert((r == 0 && rc == AP_CANCELED) || (r == WAPPCALREADY && rc == AP_OK)); "
                 "vcb_free(v);"),
       "pass", ""},
      {"AppcCancelAfterMessageIsAlready",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "task m = GetMessage(); assert(WinAPPCCancelAsyncRequest(t) == WAPPCALREADY); "
                 "vcb_free(v);"),
       "pass", ""},
      {"AppcSnaQuirkMayAnswerInvalid",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "task m = GetMessage(); assert(WinAPPCCancelAsyncRequest(t) == WAPPCALREADY); "
                 "vcb_free(v);",
                 "", "const SNA_WAPPCINVALID_QUIRK = 1;"),
       "CR013", ""},
      {"AppcCancelOfUnknownTaskIsInvalid",
       appc_spec("assert(WinAPPCCancelAsyncRequest(NULL) == WAPPCINVALID);"), "pass", ""},
      // A verb on a closed or busy conversation gets a handle and fails through its message.
      {"AppcCancelClosesTheConversation",
       appc_spec("vcb v = vcb_alloc(); vcb w = vcb_alloc(); "
                 "task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "if (WinAPPCCancelAsyncRequest(t) == 0) { "
                 "task u = WinAsyncAPPC(w, SEND_DATA, c); assert(u != NULL); "
                 "task m = GetMessage(); task m2 = GetMessage(); "
                 "assert(vcb_primary_rc(w) == AP_CONV_FAILURE_NO_RETRY); } "
                 "else { task m = GetMessage(); }"),
       "pass", ""},
      {"AppcOneVerbPerConversation",
       appc_spec("vcb v = vcb_alloc(); vcb w = vcb_alloc(); task t = NULL; task u = NULL; "
                 "atomic { t = WinAsyncAPPC(v, SEND_DATA, c); "
                 "u = WinAsyncAPPC(w, TEST_RTS, c); } assert(u != NULL); "
                 "task m = GetMessage(); assert(m == u && vcb_primary_rc(w) == AP_CONV_BUSY); "
                 "task m2 = GetMessage(); assert(m2 == t);"),
       "pass", ""},
      {"AppcTwoReadersOfACompletedVerb",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, SEND_DATA, c); "
                 "task m = GetMessage(); shared = v; KeSetEvent(e);",
                 "",
                 "global vcb shared = NULL; event e; "
                 "thread Reader { KeWaitForSingleObject(e); int rc = vcb_primary_rc(shared); }"),
       "pass", ""},
      {"AppcTpVerbNeedsNoConversation",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, TP_STARTED); "
                 "task m = GetMessage(); assert(m == t && vcb_primary_rc(v) == AP_OK);"),
       "pass", ""},
      {"AppcTestRtsAllowedDuringReceive",
       appc_spec("vcb v = vcb_alloc(); vcb w = vcb_alloc(); atomic { "
                 "task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "assert(WinAsyncAPPC(w, TEST_RTS, c) != NULL); } task m = GetMessage(); "
                 "task m2 = GetMessage();"),
       "pass", ""},
      {"AppcGetMessageWithNothingOutstanding", appc_spec("task m = GetMessage();"), "CR005",
       "waits forever in GetMessage"},
      {"AppcSilentPartnerNeverCompletes",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c);",
                 " : partner_may_not_answer"),
       "CR005", "task#1 is never completed"},
      {"AppcCompletionWritesFreedVcb",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "vcb_free(v);"),
       "CR004", "writes vcb#1, which was already freed"},
      {"AppcResultReadWhileOutstanding",
       appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                 "int rc = vcb_primary_rc(v);"),
       "CR002", "task#1 is still outstanding"},
  };
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// Symmetry of callback slots: every case keeps its verdict (a finding or none) and never
// needs more states; a case whose first finding has a rival of the same depth may name it.
TEST_P(SemanticsCase, SymmetryKeepsTheVerdict) {
  const Case& c = GetParam();
  const Outcome raw = run(c.spec, false);
  const Outcome sym = run(c.spec, true);
  EXPECT_EQ(raw.finding.has_value(), sym.finding.has_value())
      << rule_of(raw) << " / " << rule_of(sym);
  if (!raw.finding) {
    EXPECT_LE(sym.states, raw.states);
  }
}

INSTANTIATE_TEST_SUITE_P(Kmdf, SemanticsCase, ::testing::ValuesIn(cases()), case_name);
INSTANTIATE_TEST_SUITE_P(NdisAppc, SemanticsCase, ::testing::ValuesIn(ndis_appc_cases()),
                         case_name);

/// Follows the first successor of each state for up to `steps` steps and describes each.
std::vector<TraceStep> first_path(const std::string& text, int steps) {
  SourceManager sm;
  Diagnostics diags;
  std::string path = test::temp_file(text);
  auto spec = load_spec(sm, path, {}, diags);
  EXPECT_TRUE(spec);
  if (!spec) return {};
  std::string why;
  auto ts = make_transition_system(*spec, sm, why);
  EXPECT_TRUE(ts) << why;
  if (!ts) return {};
  std::vector<uint8_t> s(ts->state_size());
  ts->initial_state(s);
  std::vector<TraceStep> out;
  for (int depth = 0; depth < steps; ++depth) {
    struct First : SuccessorSink {
      std::optional<Label> label;
      void on_successor(Label l, std::span<const uint8_t>, const Finding*) override {
        if (!label) label = l;
      }
    } first;
    ts->successors(s, first);
    if (!first.label) break;
    std::vector<uint8_t> after;
    out.push_back(ts->describe(s, *first.label, after));
    s = after;
  }
  return out;
}

std::string field(const TraceStep& st, const std::string& object, const std::string& name) {
  for (const ObjectView& o : st.objects) {
    if (o.name != object) continue;
    for (const auto& [k, v] : o.fields) {
      if (k == name) return v;
    }
  }
  return "<none>";
}

TEST(Semantics, NdisStepsNameNblsAndShowOwnerAndCancelId) {
  auto steps =
      first_path(filter_spec(kDown, kPassUp, "", "", "send f x 1 cancel_id 0x5A000001;"), 4);
  ASSERT_EQ(steps.size(), 4U);
  EXPECT_EQ(steps[0].event, "send f");
  // A cancel id shows every digit of the pointer width (64 bits here): its high byte is 0.
  EXPECT_EQ(steps[0].action, "sends nbl#1 (cancel id 0x000000005A000001) to filter f");
  EXPECT_EQ(field(steps[0], "nbl#1", "owner"), "owned by the filter");
  EXPECT_EQ(field(steps[0], "nbl#1", "cancel id"), "0x000000005A000001");
  EXPECT_EQ(steps[1].event, "OnSend[nbl#1]");
  EXPECT_EQ(steps[1].calls, std::vector<std::string>{"NdisFSendNetBufferLists"});
  EXPECT_EQ(field(steps[1], "nbl#1", "owner"), "sent below to miniport m");
  EXPECT_EQ(steps[2].event, "miniport nbl#1");
  EXPECT_EQ(steps[3].event, "OnComplete[nbl#1]");
  EXPECT_EQ(field(steps[3], "nbl#1", "owner"), "returned to the protocol");
  EXPECT_EQ(field(steps[3], "nbl#1", "completions"), "1");
}

TEST(Semantics, AppcStepsShowTasksVcbsAndReturnCodesByName) {
  auto steps = first_path(
      appc_spec("vcb v = vcb_alloc(); task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c); "
                "task m = GetMessage(); int r = WinAPPCCancelAsyncRequest(t); vcb_free(v);"),
      8);
  ASSERT_GE(steps.size(), 5U);
  EXPECT_EQ(steps[1].action, "WinAsyncAPPC(vcb#1, RECEIVE_AND_WAIT, c)");
  EXPECT_EQ(steps[1].result, "task#1");
  EXPECT_EQ(field(steps[1], "task#1", "state"), "outstanding");
  EXPECT_EQ(steps[2].event, "partner task#1");
  EXPECT_EQ(field(steps[2], "task#1", "state"), "completed (message queued)");
  EXPECT_EQ(field(steps[2], "message queue", "messages"), "[task#1]");
  EXPECT_EQ(steps[3].calls, std::vector<std::string>{"GetMessage=1"});
  EXPECT_EQ(steps[4].result, "WAPPCALREADY");
  EXPECT_EQ(field(steps[4], "vcb#1", "primary rc"), "AP_OK");
}

// Two callbacks that finish in either order reach one state with symmetry (their slots are
// sorted), two without; the lock a returned callback kept stays owned by "a callback that
// returned" under renaming.
TEST(Semantics, SymmetryMergesStatesThatDifferOnlyInSlotOrder) {
  const std::string spec =
      "queue q : parallel { EvtIoRead = OnRead; }\nlock L;\nglobal int n = 0;\n"
      "fn OnRead(request req) { WdfSpinLockAcquire(L); n = n + 1; WdfSpinLockRelease(L); "
      "WdfRequestComplete(req, STATUS_SUCCESS); }\n"
      "environment { arrive q x 3; }\n";
  const Outcome raw = run(spec, false);
  const Outcome sym = run(spec, true);
  EXPECT_FALSE(raw.finding);
  EXPECT_FALSE(sym.finding);
  EXPECT_LT(sym.states, raw.states);
}

TEST(Semantics, DescribeReplaysEveryLabelAndNamesTheStep) {
  SourceManager sm;
  Diagnostics diags;
  std::string path = test::temp_file(one_request("WdfRequestComplete(req, STATUS_SUCCESS);"));
  auto spec = load_spec(sm, path, {}, diags);
  ASSERT_TRUE(spec);
  std::string why;
  auto ts = make_transition_system(*spec, sm, why);
  ASSERT_TRUE(ts) << why;
  std::vector<uint8_t> s(ts->state_size());
  ts->initial_state(s);
  std::vector<std::string> events;
  for (int depth = 0; depth < 10; ++depth) {
    struct First : SuccessorSink {
      std::optional<Label> label;
      std::vector<uint8_t> state;
      void on_successor(Label l, std::span<const uint8_t> st, const Finding*) override {
        if (!label) {
          label = l;
          state.assign(st.begin(), st.end());
        }
      }
    } first;
    ts->successors(s, first);
    if (!first.label) break;
    std::vector<uint8_t> after;
    TraceStep step = ts->describe(s, *first.label, after);
    EXPECT_EQ(after, first.state) << "describe must reproduce the successor";
    events.push_back(step.event);
    s = after;
  }
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0], "arrive q");
  EXPECT_EQ(events[1], "dispatch q");
  EXPECT_EQ(events[2], "OnRead[req#1]");
  std::vector<uint8_t> after;
  EXPECT_THROW(ts->describe(s, Label{0, 7}, after), std::logic_error);
}

}  // namespace
}  // namespace cc
