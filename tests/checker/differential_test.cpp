// Differential test: the explorer's TransitionSystem (engine/ with modules/) against the
// reference executor (reference/), which share nothing but the AST. For every
// spec of the corpus that both execute, plus the feature specs below, the two must agree on
// every way to move from a state (event keys and choice tokens, as a multiset), on each
// taken step's API calls and violation, and at an end state on the end-state finding.
//   - random schedules from the initial state (seed CC_DIFF_SEED, printed on failure;
//     CC_DIFF_SCHEDULES schedules per spec, ten times as many for the feature specs);
//   - breadth-first over the explorer's states, up to CC_DIFF_STATES states per spec.
// A symbolic feature spec (tests/data/differential/) runs random schedules only: the explorer
// forks on path conditions where the executor runs one model, so each schedule is replayed in
// an executor given the model of its last path condition (it implies every earlier one), step
// by step (calls and violations) and at its end state.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/spec_files.h"
#include "engine/transition.h"
#include "model/frontend.h"
#include "modules/registry.h"
#include "reference/ref_executor.h"
#include "tests/checker/differential_symbolic.h"

namespace cc {
namespace {

using difftest::calls_agree;
using difftest::model_of;
using difftest::TestDecider;

constexpr uint32_t kDefaultSeed = 20261123;
constexpr int kDefaultSchedulesPerSpec = 150;
constexpr int kMaxDepth = 400;
constexpr std::size_t kDefaultStatesPerSpec = 20000;

/// Specs the two implementations are known to disagree on, with the disagreement.
const std::map<std::string, std::string, std::less<>> kSkip = {};

/// Feature specs: the corpus is written to show races, so random schedules mostly end at its
/// bugs. These exercise the rest of the semantics (forward/requeue/retrieve, queue cancels,
/// stop with suspend and purge, late / pending / may_fail targets, send-and-forget, reuse of
/// a created request, lists, helpers, atomic blocks, events, sync devices, inline cancel
/// routines, StopAcknowledge with requeue), and the NDIS and APPC events and calls; the NDIS
/// driver roles and filter pause are files in tests/data/differential/ (kFeatureDir).
const char* const kFeatureSpecs[] = {
    R"SPEC(spec "feature: forward, requeue, retrieve, canceled-on-queue, stop";
const N = 2;
device d {
  queue io : sequential power_managed {
    EvtIoRead = OnRead;
    EvtIoWrite = OnWrite;
    EvtIoStop = OnStop;
  }
  queue parked : manual {
    EvtIoCanceledOnQueue = OnParkedCancel;
  }
}
global int count = 0;
timer drain = OnDrain;
fn OnRead(request req) {
  status s = WdfRequestForwardToIoQueue(req, parked);
  if (!NT_SUCCESS(s)) {
    WdfRequestComplete(req, s);
  }
}
fn OnWrite(request req) {
  if (*) {
    WdfRequestComplete(req, STATUS_SUCCESS);
  } else {
    status s = WdfRequestForwardToIoQueue(req, parked);
    if (s != STATUS_SUCCESS) {
      WdfRequestComplete(req, s);
    }
  }
}
fn OnStop(request req, int flags) {
  if (flags & WdfRequestStopActionPurge) {
    WdfRequestComplete(req, STATUS_CANCELLED);
  } else {
    WdfRequestStopAcknowledge(req, FALSE);
  }
}
fn OnParkedCancel(request req) {
  count = count + 1;
  WdfRequestComplete(req, STATUS_CANCELLED);
}
fn OnDrain() {
  request r = NULL;
  while (WdfIoQueueRetrieveNextRequest(parked, &r) == STATUS_SUCCESS) {
    if (*) {
      WdfRequestRequeue(r);
      break;
    }
    WdfRequestComplete(r, STATUS_SUCCESS);
  }
}
environment {
  arrive io x N;
  cancel any;
  stop any;
}
)SPEC",
    R"SPEC(spec "feature: targets, send-and-forget, reuse, lists, context, helpers, atomic, events";
target slow : late may_fail completes {STATUS_SUCCESS, STATUS_IO_TIMEOUT};
target hw : uncancelable;
target irq : pending;
request poll = WdfRequestCreate(slow);
context {
  int tries = 0;
}
lock L;
event done;
global list<request> inflight;
global int n = 0;
global list<request> seen;
timer wd = OnWd manual;
device d {
  queue q : parallel {
    EvtIoDeviceControl = OnIoctl;
  }
}
fn Bump() {
  int v = 0;
  atomic {
    n = n + 1;
    v = n;
  }
  return v;
}
fn OnIoctl(request req) {
  req->tries = InterlockedIncrement(&req->tries);
  push(seen, req);
  WdfRequestSetCompletionRoutine(req, OnDone);
  WdfSpinLockAcquire(L);
  push(inflight, req);
  WdfSpinLockRelease(L);
  if (*) {
    if (!WdfRequestSend(req, slow)) {
      WdfSpinLockAcquire(L);
      remove(inflight, req);
      WdfSpinLockRelease(L);
      WdfRequestComplete(req, WdfRequestGetStatus(req));
    }
  } else if (*) {
    WdfSpinLockAcquire(L);
    remove(inflight, req);
    WdfSpinLockRelease(L);
    if (!WdfRequestSendAndForget(req, hw)) {
      WdfRequestComplete(req, STATUS_UNSUCCESSFUL);
    }
  } else {
    if (!WdfRequestSend(req, irq)) {
      WdfSpinLockAcquire(L);
      remove(inflight, req);
      WdfSpinLockRelease(L);
      WdfRequestComplete(req, WdfRequestGetStatus(req));
    }
  }
  WdfTimerStart(wd);
}
fn OnDone(request req, status st) {
  WdfSpinLockAcquire(L);
  remove(inflight, req);
  WdfSpinLockRelease(L);
  if (Bump() > 1 && !empty(seen)) {
    request p = pop(seen);
  }
  WdfRequestComplete(req, st);
}
fn OnWd() {
  WdfSpinLockAcquire(L);
  for (r in inflight) {
    WdfObjectReference(r);
    WdfRequestCancelSentRequest(r);
    WdfObjectDereference(r);
  }
  WdfSpinLockRelease(L);
  if (!WdfTimerStop(wd)) {
    KeSetEvent(done);
  }
}
thread Poller {
  int i = 0;
  while (i < 2) {
    WdfRequestReuse(poll);
    WdfRequestSetCompletionRoutine(poll, OnPoll);
    if (!WdfRequestSend(poll, slow)) {
      break;
    }
    KeWaitForSingleObject(done);
    KeClearEvent(done);
    i = i + 1;
  }
  WdfObjectDelete(poll);
}
fn OnPoll(request r, status st) {
  KeSetEvent(done);
}
environment {
  arrive q x 2;
  cancel any;
}
)SPEC",
    R"SPEC(spec "feature: mark/unmark variants, sync device, inline cancel routine, stop acknowledge requeue";
device d : sync_device {
  queue q : parallel power_managed {
    EvtIoDefault = OnIo;
    EvtIoStop = OnStop;
  }
}
lock L;
global request cur = NULL;
timer t = OnT;
fn OnIo(request req) {
  if (*) {
    WdfSpinLockAcquire(L);
    WdfRequestMarkCancelable(req, OnCancel);
    cur = req;
    WdfSpinLockRelease(L);
  } else {
    status s = WdfRequestMarkCancelableEx(req, OnCancel);
    if (s == STATUS_SUCCESS) {
      cur = req;
    } else {
      WdfRequestComplete(req, s);
    }
  }
}
fn OnCancel(request req) {
  WdfSpinLockAcquire(L);
  if (cur == req) {
    cur = NULL;
  }
  WdfSpinLockRelease(L);
  WdfRequestComplete(req, STATUS_CANCELLED);
}
fn OnT() {
  request r = cur;
  if (r != NULL) {
    status s = WdfRequestUnmarkCancelable(r);
    if (s == STATUS_SUCCESS) {
      cur = NULL;
      if (WdfRequestIsCanceled(r)) {
        WdfRequestComplete(r, STATUS_CANCELLED);
      } else {
        WdfRequestComplete(r, STATUS_SUCCESS);
      }
    }
  }
}
fn OnStop(request req, int flags) {
  if (flags & WdfRequestStopRequestCancelable) {
    if (WdfRequestUnmarkCancelable(req) == STATUS_SUCCESS) {
      cur = NULL;
      WdfRequestStopAcknowledge(req, TRUE);
    } else {
      WdfRequestStopAcknowledge(req, FALSE);
    }
  } else {
    WdfRequestStopAcknowledge(req, FALSE);
  }
}
environment {
  arrive q x 2;
  cancel any;
  stop any;
}
)SPEC",
    R"SPEC(spec "feature: status results of mark/unmark/reuse/cancel-sent, late target, suspend";
target t : late completes {STATUS_SUCCESS, STATUS_UNSUCCESSFUL};
target u : uncancelable;
device d {
  queue q : sequential power_managed {
    EvtIoRead = OnRead;
    EvtIoStop = OnStop;
  }
}
global int seen = 0;
fn OnRead(request req) {
  WdfObjectReference(req);
  status s = WdfRequestMarkCancelableEx(req, OnCancel);
  if (s == STATUS_SUCCESS) {
    status s2 = WdfRequestMarkCancelableEx(req, OnCancel);
    seen = s2;
    s = WdfRequestUnmarkCancelable(req);
    if (s == STATUS_CANCELLED) {
      WdfObjectDereference(req);
      return;
    }
  }
  s = WdfRequestUnmarkCancelable(req);
  seen = s;
  if (s == STATUS_CANCELLED) {
    WdfObjectDereference(req);
    return;
  }
  if (WdfRequestIsCanceled(req)) {
    WdfRequestComplete(req, STATUS_CANCELLED);
    WdfObjectDereference(req);
    return;
  }
  status r = WdfRequestReuse(req, WDF_REQUEST_REUSE_SET_NEW_IRP);
  seen = r;
  if (*) {
    WdfRequestCancelSentRequest(req);
  }
  WdfRequestSetCompletionRoutine(req, OnDone);
  if (*) {
    if (!WdfRequestSend(req, t)) {
      WdfRequestComplete(req, WdfRequestGetStatus(req));
    }
  } else {
    if (!WdfRequestSend(req, u)) {
      WdfRequestComplete(req, WdfRequestGetStatus(req));
    }
  }
  WdfObjectDereference(req);
}
fn OnCancel(request req) {
  WdfRequestComplete(req, STATUS_CANCELLED);
}
fn OnDone(request req, status st) {
  seen = WdfRequestGetStatus(req);
  WdfRequestComplete(req, st);
}
fn OnStop(request req, int flags) {
  if (*) {
    WdfRequestCancelSentRequest(req);
  } else {
    WdfRequestStopAcknowledge(req, FALSE);
  }
}
environment {
  arrive q x 2;
  cancel any;
  stop suspend;
}
)SPEC",
    R"SPEC(spec "feature: the language: helpers, loops, lists, interlocked, arithmetic, events, locks";
global int a = 0;
global int b = 0x7fffffff;
global list<request> l;
lock L1;
lock L2;
event e;
target t : cancelable;
request c1 = WdfRequestCreate(t);
request c2 = WdfRequestCreate(t);
fn Get() {
  return a;
}
fn Add(int x, int y) {
  int z = x + y;
  return z;
}
fn Twice(int x) {
  return Add(x, x);
}
thread A {
  push(l, c1);
  push(l, c2);
  int i = 0;
  while (*) {
    i = i + 1;
    if (i > 2) {
      break;
    }
    if (i == 1) {
      continue;
    }
    a = Twice(Get()) + 1;
  }
  for (r in l) {
    if (r == c2) {
      remove(l, r);
    }
  }
  InterlockedCompareExchange(&a, 7, 3);
  InterlockedOr(&b, 1 << 4);
  b = b + 1;
  a = -a >> 1;
  a = ~a ^ (b & 255);
  KeSetEvent(e);
}
thread B {
  KeWaitForSingleObject(e);
  WdfSpinLockAcquire(L1);
  WdfSpinLockAcquire(L2);
  assert(a != 12345);
  request r = pop(l);
  WdfSpinLockRelease(L2);
  WdfSpinLockRelease(L1);
  if (r != NULL && empty(l)) {
    WdfObjectDelete(r);
  }
}
thread C {
  WdfSpinLockAcquire(L2);
  if (b < 0) {
    WdfSpinLockAcquire(L1);
    WdfSpinLockRelease(L1);
  }
  WdfSpinLockRelease(L2);
}
environment {
}
)SPEC",
    R"SPEC(spec "feature: NDIS send lines, cancels, miniport kinds, filter-allocated NBLs";
filter f {
  FilterSendNetBufferLists = OnSend;
  FilterSendNetBufferListsComplete = OnDone;
  FilterCancelSendNetBufferLists = OnCancel;
}
miniport fast : cancelable;
miniport slow : pending;
miniport dumb : uncancelable;
lock L;
global list<nbl> held;
global nbl own = NULL;
global int resent = 0;
fn OnSend(nbl n) {
  int id = NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n);
  if (*) {
    NdisAcquireSpinLock(L);
    push(held, n);
    NdisReleaseSpinLock(L);
  } else if (id == 2) {
    NdisFSendNetBufferLists(n, slow);
  } else if (*) {
    NdisFSendNetBufferLists(n, dumb);
  } else {
    NdisFSendNetBufferLists(n, fast);
  }
}
fn OnDone(nbl n, status st) {
  if (n == own) {
    if (resent == 0) {
      resent = 1;
      if (*) {
        NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, 0);
      }
      NdisFSendNetBufferLists(n, fast);
    } else {
      NdisFreeNetBufferList(n);
    }
    return;
  }
  NdisFSendNetBufferListsComplete(n, st);
}
fn OnCancel(int id) {
  NdisAcquireSpinLock(L);
  nbl n = pop(held);
  NdisReleaseSpinLock(L);
  if (n != NULL) {
    NdisFSendNetBufferListsComplete(n, NDIS_STATUS_SEND_ABORTED);
  }
  NdisFCancelSendNetBufferLists(slow, id);
  NdisFCancelSendNetBufferLists(fast, id);
  NdisFCancelSendNetBufferLists(dumb, id);
}
thread Probe {
  nbl x = NdisAllocateNetBufferList();
  own = x;
  // No id: NdisGeneratePartialCancelId would make the spec symbolic (compared through replay
  // instead), and a nonzero id without it is CR012 at once (the third feature spec has it).
  NdisFSendNetBufferLists(x, fast);
}
environment {
  send f x 1 cancel_id 1;
  send f x 1 cancel_id 2;
  cancel_send f 1;
  cancel_send f 2;
}
)SPEC",
    R"SPEC(spec "feature: APPC verbs, cancels, silent partner, busy conversation, SNA quirk";
const SNA_WAPPCINVALID_QUIRK = 1;
conversation c : partner_may_not_answer;
conversation d;
global task pending = NULL;
thread Client {
  vcb v = vcb_alloc();
  vcb w = vcb_alloc();
  task t = WinAsyncAPPC(v, RECEIVE_AND_WAIT, c);
  pending = t;
  task x = WinAsyncAPPC(w, TEST_RTS, c);
  task y = WinAsyncAPPC(w, SEND_DATA, d);
  task m = GetMessage();
  int rc = vcb_primary_rc(v);
  if (x != NULL || y != NULL) {
    task m2 = GetMessage();
  }
  if (x != NULL && y != NULL) {
    task m3 = GetMessage();
  }
  vcb_free(w);
}
thread Button {
  task t = pending;
  int r = WinAPPCCancelAsyncRequest(t);
  if (r == 0) {
    assert(t != NULL);
  }
}
environment {
}
)SPEC",
};

std::string test_file(const std::string& text) {
  static int counter = 0;
  const std::filesystem::path p = std::filesystem::temp_directory_path() /
                                  fmt::format("cc_diff_{}_{}.spec", ::getpid(), counter++);
  std::ofstream(p) << text;
  return p.string();
}

uint32_t seed() {
  if (const char* s = std::getenv("CC_DIFF_SEED"))
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 0));
  return kDefaultSeed;
}

int schedules_per_spec() {
  if (const char* s = std::getenv("CC_DIFF_SCHEDULES")) return std::max(1, std::atoi(s));
  return kDefaultSchedulesPerSpec;
}

struct Move {
  Label label;
  std::optional<Finding> finding;
  bool discarded = false;  ///< the step ends a discarded execution (an assume() is false)
};

class Collect : public SuccessorSink {
 public:
  explicit Collect(const TransitionSystem* ts = nullptr) : ts_(ts) {}
  std::vector<Move> moves;
  void on_successor(Label label, std::span<const uint8_t> after, const Finding* f) override {
    moves.push_back(Move{label, f ? std::optional<Finding>(*f) : std::nullopt,
                         ts_ != nullptr && ts_->discarded(after)});
  }

 private:
  const TransitionSystem* ts_;
};

std::string rule_text(std::optional<RuleId> r) {
  return r ? std::string(rule_info(*r).id) : std::string("none");
}

std::string key_of(const std::string& event, const std::vector<std::string>& choices) {
  return choices.empty() ? event : fmt::format("{} {}", event, fmt::join(choices, ","));
}

std::multiset<std::string> ref_moves(const RefExecutor& ref, std::set<std::string>* events) {
  std::multiset<std::string> keys;
  for (const RefSuccessor& s : ref.successors()) {
    keys.insert(key_of(s.event, s.choices));
    if (events != nullptr) events->insert(s.event);
  }
  return keys;
}

struct Totals {
  int specs = 0;
  long schedules = 0;
  long steps = 0;
  long states = 0;  ///< exhaustive mode: explorer states compared
  long end_states = 0;
  long violations = 0;
  long ambiguous = 0;  ///< steps whose key named two activities
};

/// A loaded spec that both implementations execute.
struct Subject {
  SourceManager sm;
  std::unique_ptr<ast::Spec> spec;
  std::unique_ptr<TransitionSystem> ts;
  std::unique_ptr<TestDecider> decider;  ///< a symbolic feature spec's (else null)
};

/// Loads `path`; nullptr when one of the implementations does not execute it (or, with
/// must_load, an error text in `error`).
std::unique_ptr<Subject> load_subject(const std::string& path, bool must_load, std::string& error) {
  auto s = std::make_unique<Subject>();
  Diagnostics diags;
  s->spec = load_spec(s->sm, path, {}, diags);
  if (!s->spec || diags.has_errors()) {
    if (must_load) {
      std::ostringstream d;
      diags.print(d, s->sm);
      error = path + ": does not load:\n" + d.str();
    }
    return nullptr;
  }
  std::string unsupported;
  try {
    s->ts = make_transition_system(*s->spec, s->sm, unsupported);
  } catch (const ModelLimit&) {
    s->ts = nullptr;
  }
  // Symbolic specs fork on path conditions where the reference executor runs one concrete
  // model: corpus ones are compared through the replay of their counterexamples instead,
  // feature ones schedule by schedule with each schedule's model (run_random_symbolic).
  if (s->ts && s->ts->symbolic() && must_load) {
    s->decider = std::make_unique<TestDecider>();
    s->ts->set_decider(s->decider.get());
  }
  if (!s->ts || (s->ts->symbolic() && !s->decider) ||
      !RefExecutor::unsupported_reason(*s->spec).empty()) {
    if (must_load) error = path + " is not executed by both implementations";
    return nullptr;
  }
  s->ts->set_reductions(false, false);  // concrete executions, step by step: no renumbering
  return s;
}

/// The explorer's moves from one state, described the replay way.
struct Moves {
  std::vector<Move> moves;
  std::vector<TraceStep> steps;
  std::vector<std::vector<uint8_t>> afters;
  std::multiset<std::string> keys;
};

Moves explorer_moves(TransitionSystem& ts, const std::vector<uint8_t>& state) {
  Moves m;
  Collect c(&ts);
  ts.successors(state, c);
  m.moves = std::move(c.moves);
  // A step into a discarded execution (an assume() is false) is not a move the reference
  // executor lists: it drops the execution at the step.
  std::erase_if(m.moves, [](const Move& mv) { return mv.discarded; });
  for (const Move& mv : m.moves) {
    std::vector<uint8_t> after;
    m.steps.push_back(ts.describe(state, mv.label, after));
    m.afters.push_back(std::move(after));
    m.keys.insert(key_of(m.steps.back().event, m.steps.back().choices));
  }
  return m;
}

/// Compares the moves (and, at an end state, the end-state finding); "" when they agree.
std::string compare_state(TransitionSystem& ts, const std::vector<uint8_t>& state, const Moves& m,
                          const RefExecutor& ref, Totals& totals) {
  std::multiset<std::string> rk;
  std::set<std::string> ref_events;
  try {
    rk = ref_moves(ref, &ref_events);
  } catch (const RefUnsupported& e) {
    return std::string("reference executor: unsupported: ") + e.what();
  }
  if (m.keys != rk) {
    return fmt::format("enabled moves differ:\n  explorer:  {}\n  reference: {}",
                       fmt::join(m.keys, " | "), fmt::join(rk, " | "));
  }
  if (!m.moves.empty()) return "";
  ++totals.end_states;
  std::optional<Finding> f = ts.end_state(state);
  std::optional<RefEndFinding> r = ref.end_state_violation();
  std::optional<RuleId> fr = f ? std::optional<RuleId>(f->rule) : std::nullopt;
  std::optional<RuleId> rr = r ? std::optional<RuleId>(r->rule) : std::nullopt;
  if (fr != rr) {
    return fmt::format("end state differs:\n  explorer:  {} {}\n  reference: {} {}", rule_text(fr),
                       f ? f->message : "", rule_text(rr), r ? r->message : "");
  }
  if (fr) ++totals.violations;
  return "";
}

/// Takes the explorer's move `k` in every candidate executor and keeps each continuation that
/// agrees (calls and violation); "" when one does. Two activities can answer to one key
/// (replay.md names an activity by callback and request), and which of them the explorer moved
/// may only show steps later, so every agreeing instance stays a candidate (at most
/// kMaxCandidates).
std::string follow(const Moves& m, std::size_t k, std::vector<RefExecutor>& refs, Totals& totals) {
  constexpr std::size_t kMaxCandidates = 16;
  const TraceStep& step = m.steps[k];
  const std::optional<RuleId> er =
      m.moves[k].finding ? std::optional<RuleId>(m.moves[k].finding->rule) : std::nullopt;
  std::vector<RefExecutor> next;
  std::string first_error;
  try {
    for (const RefExecutor& ref : refs) {
      const std::size_t instances = ref.instances(step.event);
      if (instances > 1) ++totals.ambiguous;
      for (std::size_t n = std::max<std::size_t>(instances, 1); n-- > 0;) {
        RefExecutor trial = ref;
        RefStep r = instances > 1 ? trial.step(step.event, step.choices, n)
                                  : trial.step(step.event, step.choices);
        if (!r.ok) {
          if (first_error.empty())
            first_error = "the reference executor cannot take the explorer's step: " + r.error;
          continue;
        }
        if (!calls_agree(step.calls, r.calls) || r.violation != er) {
          if (first_error.empty()) {
            first_error = fmt::format(
                "the step differs:\n  explorer:  calls [{}] violation {} {}\n  reference: calls "
                "[{}] violation {} {}",
                fmt::join(step.calls, " "), rule_text(er), er ? m.moves[k].finding->message : "",
                fmt::join(r.calls, " "), rule_text(r.violation), r.violation_message);
          }
          continue;
        }
        if (next.size() < kMaxCandidates) next.push_back(std::move(trial));
      }
    }
  } catch (const RefUnsupported& e) {
    return std::string("reference executor: unsupported: ") + e.what();
  }
  ++totals.steps;
  if (next.empty()) return first_error;
  refs = std::move(next);
  if (er) ++totals.violations;
  return "";
}

/// compare_state over the candidates: keeps those that agree; "" when one does.
std::string compare_any(TransitionSystem& ts, const std::vector<uint8_t>& state, const Moves& m,
                        std::vector<RefExecutor>& refs, Totals& totals) {
  std::string first;
  std::vector<RefExecutor> kept;
  for (RefExecutor& ref : refs) {
    Totals t = totals;
    std::string d = compare_state(ts, state, m, ref, t);
    if (d.empty()) {
      if (kept.empty()) totals = t;
      kept.push_back(std::move(ref));
    } else if (first.empty()) {
      first = std::move(d);
    }
  }
  if (kept.empty()) return first;
  refs = std::move(kept);
  return "";
}

std::string step_text(const TraceStep& step) {
  return fmt::format("{} [{}] {} | {}", key_of(step.event, step.choices),
                     fmt::join(step.calls, " "), step.action, step.note);
}

std::string failure(const std::string& path, const std::string& where,
                    const std::vector<std::string>& schedule, const std::string& what,
                    const RefExecutor& ref) {
  std::ostringstream o;
  o << path << ": " << where << " after " << schedule.size() << " steps:\n";
  for (std::size_t k = 0; k < schedule.size(); ++k)
    o << fmt::format("  {:3} {}\n", k + 1, schedule[k]);
  o << what << "\nreference executor state:\n" << ref.describe_state();
  return o.str();
}

/// Random schedules of a symbolic spec: each is chosen in the explorer, then replayed in an
/// executor given the model of its last step; "" or the first disagreement.
std::string run_random_symbolic(Subject& sub, const std::string& path, std::mt19937& rng,
                                int schedules, Totals& totals) {
  TransitionSystem& ts = *sub.ts;
  for (int n = 0; n < schedules; ++n) {
    ++totals.schedules;
    std::vector<uint8_t> state(ts.state_size());
    ts.initial_state(state);
    std::vector<std::pair<Moves, std::size_t>> taken;
    std::vector<std::string> schedule;
    SymbolicValues values;
    Moves last;
    bool at_end = false;  ///< the schedule reached a state without moves
    for (int depth = 0; depth < kMaxDepth; ++depth) {
      last = explorer_moves(ts, state);
      if (last.moves.empty()) {
        at_end = true;
        break;
      }
      const std::size_t pick =
          std::uniform_int_distribution<std::size_t>(0, last.moves.size() - 1)(rng);
      schedule.push_back(step_text(last.steps[pick]));
      if (!last.steps[pick].symbolic_values.empty()) values = model_of(last.steps[pick]);
      const bool found = last.moves[pick].finding.has_value();
      if (!found) state = last.afters[pick];
      taken.emplace_back(std::move(last), pick);
      last = Moves{};
      if (found) break;
    }
    std::vector<RefExecutor> refs{RefExecutor(*sub.spec, sub.sm, values)};
    const std::string where = fmt::format("schedule {} (model {})", n, fmt::join(values, ", "));
    for (std::size_t k = 0; k < taken.size(); ++k) {
      std::vector<RefExecutor> before = refs;
      if (std::string d = follow(taken[k].first, taken[k].second, refs, totals); !d.empty()) {
        schedule.resize(k + 1);
        return failure(path, where, schedule, d, before.front());
      }
    }
    if (at_end) {
      if (std::string d = compare_any(ts, state, last, refs, totals); !d.empty())
        return failure(path, where, schedule, d, refs.front());
    }
  }
  return "";
}

/// Random schedules of one spec; "" or the first disagreement.
std::string run_random(Subject& sub, const std::string& path, std::mt19937& rng, int schedules,
                       Totals& totals) {
  if (sub.decider) return run_random_symbolic(sub, path, rng, schedules, totals);
  TransitionSystem& ts = *sub.ts;
  const RefExecutor fresh(*sub.spec, sub.sm);
  for (int n = 0; n < schedules; ++n) {
    ++totals.schedules;
    std::vector<uint8_t> state(ts.state_size());
    ts.initial_state(state);
    std::vector<RefExecutor> refs{fresh};
    std::vector<std::string> schedule;
    const std::string where = fmt::format("schedule {}", n);
    for (int depth = 0; depth < kMaxDepth; ++depth) {
      Moves m = explorer_moves(ts, state);
      if (std::string d = compare_any(ts, state, m, refs, totals); !d.empty())
        return failure(path, where, schedule, d, refs.front());
      if (m.moves.empty()) break;
      const std::size_t pick =
          std::uniform_int_distribution<std::size_t>(0, m.moves.size() - 1)(rng);
      schedule.push_back(step_text(m.steps[pick]));
      std::vector<RefExecutor> before = refs;
      if (std::string d = follow(m, pick, refs, totals); !d.empty())
        return failure(path, where, schedule, d, before.front());
      if (m.moves[pick].finding) break;
      state = std::move(m.afters[pick]);
    }
  }
  return "";
}

/// Every explorer state reachable within `cap` states, breadth first; "" or the first
/// disagreement. (A state reached by several paths is compared with the executor's state of
/// the first path.)
std::string run_exhaustive(Subject& sub, const std::string& path, std::size_t cap, Totals& totals,
                           bool& complete) {
  TransitionSystem& ts = *sub.ts;
  struct Node {
    std::vector<uint8_t> state;
    std::vector<RefExecutor> refs;  ///< candidates (see follow)
    std::vector<std::string> schedule;
  };
  std::deque<Node> queue;
  std::set<std::vector<uint8_t>> seen;
  std::vector<uint8_t> init(ts.state_size());
  ts.initial_state(init);
  seen.insert(init);
  queue.push_back(Node{init, {RefExecutor(*sub.spec, sub.sm)}, {}});
  std::size_t expanded = 0;
  while (!queue.empty() && expanded < cap) {
    Node node = std::move(queue.front());
    queue.pop_front();
    ++expanded;
    ++totals.states;
    Moves m = explorer_moves(ts, node.state);
    if (std::string d = compare_any(ts, node.state, m, node.refs, totals); !d.empty()) {
      return failure(path, "breadth-first state", node.schedule, d, node.refs.front());
    }
    for (std::size_t k = 0; k < m.moves.size(); ++k) {
      std::vector<RefExecutor> next = node.refs;
      std::vector<std::string> schedule = node.schedule;
      schedule.push_back(step_text(m.steps[k]));
      if (std::string d = follow(m, k, next, totals); !d.empty()) {
        return failure(path, "breadth-first step", schedule, d, node.refs.front());
      }
      if (m.moves[k].finding || !seen.insert(m.afters[k]).second) continue;
      queue.push_back(Node{m.afters[k], std::move(next), std::move(schedule)});
    }
  }
  complete = queue.empty();
  return "";
}

/// Feature specs kept as files (the NDIS roles and filter pause).
constexpr const char* kFeatureDir = CC_SOURCE_DIR "/tests/data/differential";

std::vector<std::string> all_subjects(std::vector<std::string>& temp_files) {
  std::vector<std::string> missing;
  std::vector<std::string> paths =
      collect_spec_files({CC_SOURCE_DIR "/specs", kFeatureDir}, missing);
  for (const char* text : kFeatureSpecs) {
    temp_files.push_back(test_file(text));
    paths.push_back(temp_files.back());
  }
  return paths;
}

bool is_feature(const std::string& path, const std::vector<std::string>& temp_files) {
  return path.rfind(kFeatureDir, 0) == 0 ||
         std::find(temp_files.begin(), temp_files.end(), path) != temp_files.end();
}

TEST(Differential, ExplorerAgreesWithReferenceExecutorOnRandomSchedules) {
  const uint32_t s = seed();
  std::mt19937 rng(s);
  std::vector<std::string> temp_files;
  const std::vector<std::string> paths = all_subjects(temp_files);
  const auto start = std::chrono::steady_clock::now();
  Totals totals;
  int skipped = 0;
  int known = 0;
  for (const std::string& path : paths) {
    if (kSkip.count(std::filesystem::path(path).filename().string()) != 0) {
      ++known;
      continue;
    }
    const bool feature = is_feature(path, temp_files);
    std::string error;
    auto sub = load_subject(path, feature, error);
    EXPECT_EQ(error, "");
    if (!sub) {
      ++skipped;
      continue;
    }
    ++totals.specs;
    const int schedules = feature ? 10 * schedules_per_spec() : schedules_per_spec();
    EXPECT_EQ(run_random(*sub, path, rng, schedules, totals), "")
        << "seed " << s << " (CC_DIFF_SEED=" << s << ")";
  }
  for (const std::string& t : temp_files) std::filesystem::remove(t);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format(
      "differential (random): seed {}; {} specs compared ({} not executed by both, {} on the "
      "known-disagreement "
      "list); {} schedules, {} steps ({} with a key naming two activities), {} end states, {} "
      "violations; {:.1f} s\n",
      s, totals.specs, skipped, known, totals.schedules, totals.steps, totals.ambiguous,
      totals.end_states, totals.violations, secs);
  EXPECT_GT(totals.specs, 0);
}

TEST(Differential, ExplorerAgreesWithReferenceExecutorOnEveryStateOfSmallSpaces) {
  std::size_t cap = kDefaultStatesPerSpec;
  if (const char* c = std::getenv("CC_DIFF_STATES")) cap = std::strtoul(c, nullptr, 0);
  std::vector<std::string> temp_files;
  const std::vector<std::string> paths = all_subjects(temp_files);
  const auto start = std::chrono::steady_clock::now();
  Totals totals;
  int complete_count = 0;
  for (const std::string& path : paths) {
    if (kSkip.count(std::filesystem::path(path).filename().string()) != 0) continue;
    std::string error;
    auto sub = load_subject(path, is_feature(path, temp_files), error);
    EXPECT_EQ(error, "");
    if (!sub || sub->decider) continue;  // symbolic: random schedules only
    ++totals.specs;
    bool complete = false;
    EXPECT_EQ(run_exhaustive(*sub, path, cap, totals, complete), "");
    if (complete) ++complete_count;
  }
  for (const std::string& t : temp_files) std::filesystem::remove(t);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format(
      "differential (breadth-first): {} specs, {} of them exhausted within {} states each; {} "
      "states, {} steps, "
      "{} end states, {} violations; {:.1f} s\n",
      totals.specs, complete_count, cap, totals.states, totals.steps, totals.end_states,
      totals.violations, secs);
  EXPECT_GT(totals.specs, 0);
}

}  // namespace
}  // namespace cc
