// The reference executor's machine (see ref_executor.h), private to reference/. Written from the
// semantics documents only: docs/semantics/ (kmdf.md, ndis.md, appc.md), decisions.md and
// replay.md. Every place where those documents leave a detail open and the executor had to pick
// one is a named constant in the "Readings" block below.
//
// Structure:
//   - plain objects: Req (one per request object), QueueSt, locks/events/timers, globals;
//   - activities (threads, callback instances) each hold a stack of Frames (the callback and
//     the inlined helpers it is in), each Frame a stack of Ctl cursors (statement lists,
//     loops, atomic blocks) and a memo of the expression nodes already evaluated in the
//     statement in progress. A step stops *before* a visible operation, possibly in the
//     middle of an expression; the next step re-walks the statement and takes every
//     already-evaluated node from the memo, so argument values computed before the stop are
//     the ones the call sees (three-address-code semantics);
//   - one step = run the activity until it has done one visible operation (or a whole
//     atomic block) and is about to do the next, or until it returns.
//   - nondeterminism goes through a Chooser: replay takes the trace's tokens in order, the
//     successor enumeration tries every outcome (depth-first over the choice points).
// Steps run on a copy of the machine that is committed only when the step can be taken.
//
// Files: ref_walker.cpp (the interpreter, scheduling, synchronisation objects, the end-state
// check's order), ref_kmdf.cpp, ref_ndis.cpp and ref_appc.cpp (each framework's API calls,
// environment events and end-state checks), ref_values.cpp (the arithmetic on int and uintptr
// values), ref_executor.cpp (the public API of ref_executor.h). RefMachine::call_api routes a call
// by the Domain column of model/api.def, so an API is added with one case in its framework's
// call_*_api.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/api.h"
#include "model/ast.h"
#include "reference/ref_executor.h"
#include "reference/ref_values.h"

namespace cc {
namespace refexec {

// ---------------------------------------------------------------------------------------------
// Readings the documents leave open (keep in step with docs/semantics/ and docs/decisions.md).
// ---------------------------------------------------------------------------------------------
namespace reading {
/// `==` on request handles compares the object and the epoch the handle was read at.
constexpr bool kHandleEqualityComparesEpoch = true;
/// decisions.md: after Unmark returned STATUS_CANCELLED, completing the request from anywhere
/// but its cancel routine is CR007 only before that routine has begun to run.
constexpr bool kCr007OnlyBeforeCancelRoutineRuns = true;
/// Sending a request that is still marked cancelable is api-misuse (ReqMarkCancelableSend).
constexpr bool kSendWhileCancelableIsMisuse = true;
/// A WdfRequestSend on a request whose cancel flag is set fails before the target's
/// may_fail outcome is chosen (no send:* token).
constexpr bool kCancelFlagCheckedBeforeMayFail = true;
/// WdfRequestSendAndForget is for requests received from a queue: the framework completes
/// them upward, which a driver-created request cannot be (api-misuse). Not in the design's
/// tables; the explorer's reading, adopted.
constexpr bool kSendAndForgetOnlyReceived = true;
/// Every cancel that reaches a request (originator, CancelSentRequest) sets its sticky
/// cancel flag, whatever else it does.
constexpr bool kEveryCancelSetsFlag = true;
/// NDIS (docs/semantics/ndis.md): the protocol may cancel an id once it has issued the send of
/// every NBL it marked with it — FilterSendNetBufferLists of one may still be running — and
/// only while one of them is still out (not returned up).
constexpr bool kCancelSendAfterAllSendsIssued = true;
/// CR012: a driver that has not called NdisGeneratePartialCancelId owns no high byte, so any
/// nonzero cancel id it sets may collide with another driver's.
constexpr bool kNoPartialIdCollidesAlways = true;
/// A cancel reaching a `cancelable` miniport aborts a send only if the miniport still has it
/// queued; one already on the wire completes normally ("miniport:queued" / "miniport:sent").
constexpr bool kCancelableMiniportAbortsQueuedOnly = true;
/// The miniport may return an NBL together with the NBLs its chain links to (below at the same
/// miniport, same completion status) in one call ("miniport:alone" / "miniport:chain").
constexpr bool kMiniportReturnsChains = true;
/// NdisFSendNetBufferLists of an NBL already returned upward: it completes by two paths
/// (double completion), not a plain use after the hand-over.
constexpr bool kSendAfterReturnIsDoubleCompletion = true;
/// NBLs NdisAllocateNetBufferList hands out per execution; VCBs and verbs likewise.
constexpr std::size_t kFilterNblPool = 3;
constexpr std::size_t kVcbPool = 4;
constexpr std::size_t kTaskPool = 4;
/// Requests WdfRequestCreate hands out in code per execution, unless the spec's constant of
/// that name says otherwise (docs/semantics/kmdf.md "I/O targets").
constexpr std::size_t kRequestPoolDefault = 4;
constexpr const char* kRequestPoolConst = "KMDF_REQUEST_POOL";
/// CR012: NdisGeneratePartialCancelId returns the model's value of "partial_id"; another
/// driver's partial id is the model's "partial_id(other#1)". A nonzero cancel id collides when
/// its high byte (bits pointer_width-1 .. pointer_width-8, partial_id_shift()) is that other id
/// and the two partial ids differ.
constexpr const char* kOwnPartialId = "partial_id";
constexpr const char* kOtherPartialId = "partial_id(other#1)";
constexpr uint32_t kPartialIdBits = 8;
/// Where a cancel id of a spec with pointer width `pointer_width` carries the partial id.
constexpr uint32_t partial_id_shift(unsigned pointer_width) {
  return pointer_width - kPartialIdBits;
}
/// APPC (docs/semantics/appc.md): WinAPPCCancelAsyncRequest on a verb that has completed returns
/// WAPPCALREADY whether or not its message was received; with the SNA quirk constant set it
/// may return WAPPCINVALID instead (both explored).
constexpr const char* kSnaQuirkConst = "SNA_WAPPCINVALID_QUIRK";
/// WinAsyncAPPC's nonzero handle only means the verb could be attempted: a verb on a busy
/// conversation (AP_CONV_BUSY) or one a cancel closed (AP_CONV_FAILURE_NO_RETRY) gets a handle
/// and fails through its VCB and its completion message.
constexpr bool kVerbFailsThroughItsMessage = true;
/// Upper bound on statements run in one step (a local loop that never reaches a visible
/// operation).
constexpr std::size_t kMaxStatementsPerStep = 200000;
}  // namespace reading

using ast::Expr;
using ast::ExprKind;
using ast::Stmt;
using ast::StmtKind;
using ast::SymbolKind;

/// The value of a constant of constants.def (a missing one is a logic error).
int32_t named(std::string_view name);

/// The constants the KMDF semantics uses, looked up once.
struct Consts {
  int32_t success = named("STATUS_SUCCESS");
  int32_t cancelled = named("STATUS_CANCELLED");
  int32_t invalid_device_state = named("STATUS_INVALID_DEVICE_STATE");
  int32_t invalid_device_request = named("STATUS_INVALID_DEVICE_REQUEST");
  int32_t invalid_parameter = named("STATUS_INVALID_PARAMETER");
  int32_t no_more_entries = named("STATUS_NO_MORE_ENTRIES");
  int32_t wdf_busy = named("STATUS_WDF_BUSY");
  int32_t invalid_state = named("STATUS_WDF_REQUEST_INVALID_STATE");
  int32_t wdf_paused = named("STATUS_WDF_PAUSED");
  int32_t timeout = named("STATUS_TIMEOUT");
  int32_t stop_suspend = named("WdfRequestStopActionSuspend");
  int32_t stop_purge = named("WdfRequestStopActionPurge");
  int32_t stop_cancelable = named("WdfRequestStopRequestCancelable");
  int32_t reuse_new_irp = named("WDF_REQUEST_REUSE_SET_NEW_IRP");
};

/// The shared Consts instance.
const Consts& K();

/// A status value by its constant name, or its number when it has none.
std::string status_text(int32_t v);

/// The rest of an event key after `prefix`, or nullopt when the key does not start with it
/// (or is nothing more than it).
inline std::optional<std::string> key_rest(const std::string& key, std::string_view prefix) {
  if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0)
    return key.substr(prefix.size());
  return std::nullopt;
}

// ---- control signals (thrown inside a step) ----
struct SuspendSig {};  ///< the step has done its visible operation; stop before the next
struct EndStepSig {};  ///< stop right after this operation (the caller now waits)
struct PushedSig {};   ///< a helper frame was pushed: run it
/// The event cannot move now; `why` says what it waits for.
struct BlockedSig {
  std::string why;
};
struct PrunedSig {};  ///< assume(false): this outcome does not exist
/// The step violates `rule`; the step ends there.
struct ViolationSig {
  RuleId rule;
  std::string message;
};
/// The trace names an event or a choice that does not exist here.
struct ReplayError {
  std::string message;
};

/// The epoch of a created request's declared name: always the object's current I/O
/// (docs/corpus.md "A created request's name is always current"). A copy of it stored in a
/// variable, field or list remembers the epoch it was copied at.
constexpr uint32_t kCurrentEpoch = UINT32_MAX;

/// A value: numbers (int, bool, status, uintptr) in `i`, normalized to their static type
/// (ref_values.h: 32-bit ones sign-extended, uintptr masked to the pointer width); request
/// handles as (req, epoch), req -1 = NULL; declared objects, fns, NBLs, tasks and VCBs as their
/// (small) index or number in `i`.
struct Val {
  int64_t i = 0;
  int32_t req = -1;
  uint32_t epoch = 0;
  friend bool operator==(const Val&, const Val&) = default;
};

/// Where a request is: who owns it now.
enum class Place : uint8_t {
  NotArrived,
  Queued,
  Driver,
  TargetPending,
  TargetHeld,
  Completed,
  Freed
};

/// One KMDF request object (received from a queue or created by the driver) and its history.
struct Req {
  std::string name;
  bool received = false;
  Place place = Place::NotArrived;
  int queue = -1;         ///< Queued: the queue it is in; else the queue it was delivered from
  int arrive_queue = -1;  ///< the queue of its arrive line
  int target = -1;        ///< target holding it (TargetPending / TargetHeld)
  int cancel_fn = -1;     ///< cancelable: the routine; -1 = not cancelable
  bool cancel_flag = false;
  bool cancel_aimed = false;  ///< a cancel of either kind was aimed at it (sticky)
  bool target_cancelable = false;
  int completion_fn = -1;
  int refs = 0;
  uint32_t epoch = 0;
  int32_t status = 0;
  int completions = 0;
  bool deleted = false;
  bool originator_cancelled = false;  ///< the originator's one cancel happened
  bool cancel_routine_started = false;
  int cancel_routine_act = -1;
  bool unmark_cancelled = false;  ///< Unmark returned STATUS_CANCELLED
  bool wiped = false;             ///< a Reuse wiped a set cancel flag
  bool markex_cancelled = false;  ///< MarkCancelableEx returned STATUS_CANCELLED
  bool forwarded = false;         ///< forwarded or requeued (EvtIoCanceledOnQueue)
  bool send_and_forget = false;
  bool stop_pending = false;    ///< its EvtIoStop is running
  bool stop_handled = false;    ///< completed / cancel-sent / acknowledged while it ran
  bool fx_canceled = false;     ///< the framework's cancelled state (m_Canceled)
  bool presented = false;       ///< delivered to the driver at least once (m_Presented)
  bool stop_notified = false;   ///< in the power transition's notified set
  bool stop_to_call = false;    ///< its EvtIoStop is still to be called
  bool stop_acked = false;      ///< WdfRequestStopAcknowledge was called
  bool cancel_held = false;     ///< its EvtRequestCancel waits for the notifying phase to end
  int held_cancel_fn = -1;      ///< that EvtRequestCancel
  bool coq_held = false;        ///< its EvtIoCanceledOnQueue waits likewise
  bool resume_to_call = false;  ///< its EvtIoResume is still to be called
  bool found_ref = false;       ///< WdfIoQueueFindRequest found it; that reference is held
  ast::IoType type = ast::IoType::Unspecified;  ///< its IRP major function, once known
  int file = -1;  ///< the file handle it was sent on (Spec::files index), -1 if none
  std::vector<Val> ctx;
  std::vector<std::vector<Val>> ctx_lists;
  Val completion_ctx;          ///< WdfRequestSetCompletionRoutine's context (a request handle)
  bool timeout_armed = false;  ///< sent with WDF_REQUEST_SEND_OPTION_TIMEOUT, deadline to come
  bool timed_out = false;      ///< the deadline cancelled it: STATUS_CANCELLED reads as a timeout
  bool target_queued = false;  ///< a stopped target holds it in the framework's queue
  bool ignore_state = false;   ///< sent with WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE
  bool reader = false;         ///< a continuous reader's request (the framework's)

  /// Held by a target (sent and not yet completed by it).
  bool at_target() const { return place == Place::TargetPending || place == Place::TargetHeld; }
  /// Arrived and not yet completed or freed.
  bool alive() const { return place == Place::Queued || place == Place::Driver || at_target(); }
  friend bool operator==(const Req&, const Req&) = default;
};

/// A continuous reader's states (docs/semantics/kmdf.md "I/O targets").
constexpr int kReaderNone = 0;
constexpr int kReaderIdle = 1;         ///< configured, not submitted: WdfIoTargetStart sends it
constexpr int kReaderActive = 2;       ///< out at the pipe, or EvtUsbTargetPipeReadComplete runs
constexpr int kReaderDead = 3;         ///< submitted but stopped until a stop and a start
constexpr int kReaderFailDue = 4;      ///< a read failed: EvtUsbTargetPipeReadersFailed is due
constexpr int kReaderFailRunning = 5;  ///< EvtUsbTargetPipeReadersFailed runs

/// One I/O target's state (0 started, 1 stopped, 2 purged) and its continuous reader.
struct TargetSt {
  int state = 0;
  int reader = kReaderNone;
  int read_fn = -1;     ///< EvtUsbTargetPipeReadComplete
  int failed_fn = -1;   ///< EvtUsbTargetPipeReadersFailed
  int reader_req = -1;  ///< the reader's request
  friend bool operator==(const TargetSt&, const TargetSt&) = default;
};

/// Who holds an NBL.
enum class NblOwner : uint8_t { Above, Filter, Below, ReturnedUp, Freed };

/// One NDIS net buffer list: sent down by the protocol or allocated by the filter.
struct Nbl {
  std::string name;
  bool from_protocol = true;
  int filter = 0;
  int send_item = -1;
  int64_t protocol_id = 0;  ///< its send line's cancel id (uintptr, masked to the width)
  NblOwner owner = NblOwner::Above;
  int64_t cancel_id = 0;        ///< uintptr, masked to the pointer width
  int uses = 0;                 ///< completions by the miniport so far
  int id_use = 0;               ///< `uses` when the cancel id was last set
  bool aborted = false;         ///< a cancel for its id reached the miniport while it was below
  bool cancelled = false;       ///< the protocol cancelled its id before it came back
  bool arrived_paused = false;  ///< handed to its filter while the filter was paused
  bool in_send = false;         ///< its Filter/MiniportSendNetBufferLists call has not returned yet
  bool in_complete = false;     ///< its ...SendNetBufferListsComplete call has not returned yet
  int next = -1;                ///< the next NBL of its chain (index), -1 none
  int send_head = -1;           ///< the head of the chain it was handed to the driver in
  int complete_head = -1;       ///< the head of the chain the miniport returned it in
  int miniport = -1;
  friend bool operator==(const Nbl&, const Nbl&) = default;
};

/// The state of an APPC verb control block.
enum class VcbSt : uint8_t { Allocated, Freed };
/// One APPC verb control block (vcb_alloc).
struct Vcb {
  VcbSt state = VcbSt::Allocated;
  int task = -1;  ///< the verb most recently issued with it
  int32_t rc = 0;
  friend bool operator==(const Vcb&, const Vcb&) = default;
};

/// The state of an APPC asynchronous verb.
enum class TaskSt : uint8_t { Outstanding, Completed, Reaped };
/// One asynchronous APPC verb (WinAsyncAPPC) and its completion.
struct Task {
  TaskSt state = TaskSt::Outstanding;
  int vcb = -1;
  int conv = -1;
  int32_t verb = 0;
  bool silent = false;
  int32_t rc = 0;
  friend bool operator==(const Task&, const Task&) = default;
};

/// One KMDF queue: the requests waiting in it.
struct QueueSt {
  std::deque<int> items;
  int current = -1;  ///< sequential: the request being processed
  bool accepting = true;
  bool dispatching = true;         ///< WdfIoQueueDispatchRequests
  bool cancel_dispatched = false;  ///< a purge is in progress (m_CancelDispatchedRequests)
  bool shutdown = false;           ///< removal purged it: it never accepts again
  int callback_fn = -1;            ///< the pending stop/purge callback
  int wait = 0;                    ///< what it waits for: 0 none, 1 idle, 2 idle and empty
  int sync_waiter = -1;            ///< the activity in a synchronous stop/purge of it
  int ready_fn = -1;               ///< the EvtIoQueueState of WdfIoQueueReadyNotify
  bool transition = false;         ///< went from empty to not empty: a notification is due
  friend bool operator==(const QueueSt&, const QueueSt&) = default;
};

/// The device's power and removal phase (docs/semantics/kmdf.md "Power and removal").
/// Purging: removal waits for EvtDeviceSelfManagedIoFlush before purging the other queues.
enum class PowerPhase : uint8_t {
  On,
  Starting,
  Notifying,
  Waiting,
  Off,
  Resuming,
  Removed,
  Purging,
  Entering  ///< the device's first EvtDeviceD0Entry runs
};

/// What an activity is: a thread, a timer or one of the callbacks the frameworks start.
enum class Role : uint8_t {
  Thread,
  Timer,
  EvtIo,
  Stop,
  CanceledOnQueue,
  Cancel,
  Completion,
  Resume,
  QueueState,
  FilterCallback,   ///< FilterSendNetBufferLists / ...Complete / FilterCancelSendNetBufferLists
  Pnp,              ///< EvtDeviceSelfManagedIo*: the power path waits for it
  SurpriseRemoval,  ///< EvtDeviceSurpriseRemoval: nothing waits for it
  FileCallback,     ///< EvtFileCleanup / EvtFileClose
  Dpc,              ///< EvtDpcFunc
  WorkItem,         ///< EvtWorkItem
  Isr,              ///< EvtInterruptIsr: at DIRQL, under the interrupt's lock
  InterruptDpc,     ///< EvtInterruptDpc
  InterruptSync,    ///< WdfInterruptSynchronize's callback: inline, at DIRQL, under the lock
  ReadComplete,     ///< EvtUsbTargetPipeReadComplete
  ReadersFailed,    ///< EvtUsbTargetPipeReadersFailed (its BOOLEAN restarts the reader)
};

/// A statement cursor: a statement list, an atomic block or a loop in progress.
struct Ctl {
  enum Kind : uint8_t { Seq, Atomic, While, ForIn };
  Kind kind = Seq;
  const ast::StmtPtr* stmts = nullptr;
  std::size_t n = 0;
  std::size_t idx = 0;
  const Stmt* loop = nullptr;
  int32_t for_index = 0;
  friend bool operator==(const Ctl&, const Ctl&) = default;
};

/// One function an activity is in (its callback or an inlined helper).
struct Frame {
  const ast::FnDecl* fn = nullptr;
  std::vector<Val> locals;
  std::vector<std::vector<Val>> lists;  ///< list-typed locals, by slot
  std::vector<Ctl> ctl;
  std::map<const Expr*, Val> memo;
  const Expr* call_site = nullptr;  ///< in the caller frame (inlined helpers)
  friend bool operator==(const Frame&, const Frame&) = default;
};

/// An activity: a thread or a callback instance, with its resumable cursor.
struct Act {
  int id = 0;
  std::string key;
  Role role = Role::Thread;
  int req = -1;
  int device = -1;  ///< sync device whose lock the callback takes, -1 none
  bool holds_device = false;
  bool started = false;
  bool done = false;
  int waiting_inline = -1;    ///< id of the inline cancel routine it waits for
  int inline_caller = -1;     ///< this is an inline cancel routine of that activity
  int waiting_queue = -1;     ///< in a synchronous stop/purge of this queue
  int restarts_filter = -1;   ///< FilterRestart of this filter: it runs again when this returns
  int sending_nbl = -1;       ///< FilterSendNetBufferLists: the NBL whose send call it is
  int completing_nbl = -1;    ///< ...SendNetBufferListsComplete: the NBL it completes
  int file = -1;              ///< EvtFileCleanup / EvtFileClose: its file handle
  int object = -1;            ///< timer / DPC / work item / interrupt callbacks: their object
  int waiting_deferred = -1;  ///< in WdfTimerStop(Wait) / WdfDpcCancel(Wait) / Flush of this
  const Expr* result_site = nullptr;  ///< inline callback: the caller's call it answers
  int waiting_send = -1;              ///< in a synchronous WdfRequestSend of this request
  int waiting_target = -1;  ///< in WdfIoTargetStop/Purge waiting for this target's sent I/O
  int reader_target = -1;   ///< a reader callback: its pipe's target
  Val returned;             ///< the value the callback returned
  std::vector<Frame> frames;
  friend bool operator==(const Act&, const Act&) = default;
};

/// What one step did: the calls made, the choices consumed and the violation, if any.
struct Outcome {
  std::vector<std::string> calls;
  std::vector<std::string> choices;
  std::optional<ViolationSig> violation;
};

/// Resolves nondeterminism.
class Chooser {
 public:
  virtual ~Chooser() = default;
  /// The index of the option taken among `options` (choice tokens).
  virtual std::size_t choose(const std::vector<std::string>& options) = 0;
};

/// Takes a trace's choice tokens in order (replay).
class ReplayChooser : public Chooser {
 public:
  explicit ReplayChooser(const std::vector<std::string>& tokens) : tokens_(tokens) {}
  std::size_t choose(const std::vector<std::string>& options) override {
    if (pos_ >= tokens_.size()) {
      throw ReplayError{fmt::format("the step needs a choice among {{{}}} but the trace gives none",
                                    fmt::join(options, ", "))};
    }
    const std::string& t = tokens_[pos_];
    for (std::size_t k = 0; k < options.size(); ++k) {
      if (options[k] == t) {
        ++pos_;
        return k;
      }
    }
    throw ReplayError{
        fmt::format("choice '{}' does not apply here (possible: {})", t, fmt::join(options, ", "))};
  }
  /// Every token was used.
  bool exhausted() const { return pos_ == tokens_.size(); }

 private:
  const std::vector<std::string>& tokens_;
  std::size_t pos_ = 0;
};

/// Follows a prefix of option indices, then takes option 0 and records the new choice points
/// (the successor enumeration's depth-first search).
class EnumChooser : public Chooser {
 public:
  explicit EnumChooser(std::vector<std::size_t> prefix) : taken_(std::move(prefix)) {}
  std::size_t choose(const std::vector<std::string>& options) override {
    std::size_t k = 0;
    if (pos_ < taken_.size()) {
      k = taken_[pos_];
    } else {
      taken_.push_back(0);
      counts_.emplace_back(pos_, options.size());
    }
    ++pos_;
    return k;
  }
  /// The option indices taken, in order.
  const std::vector<std::size_t>& taken() const { return taken_; }
  /// (position, option count) of the choice points beyond the prefix.
  const std::vector<std::pair<std::size_t, std::size_t>>& fresh_points() const { return counts_; }

 private:
  std::vector<std::size_t> taken_;
  std::vector<std::pair<std::size_t, std::size_t>> counts_;
  std::size_t pos_ = 0;
};

}  // namespace refexec

// The machine's plain types are the reference executor's own; only reference/ includes this.
using namespace refexec;

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------
class RefMachine {
 public:
  RefMachine(const ast::Spec& spec, const SourceManager& sm, const SymbolicValues& values);

  /// The keys of every activity and environment event that may move (a candidate may still
  /// turn out blocked when it is run).
  std::vector<std::string> candidate_events() const;
  /// Runs one event on *this. Throws BlockedSig / PrunedSig / ReplayError when it cannot move;
  /// returns normally (possibly with a violation) otherwise.
  Outcome run_event(const std::string& key, Chooser& ch, std::size_t instance = 0);
  /// How many activities answer to `key` (two can share one: see RefExecutor::instances).
  std::size_t instances(const std::string& key) const {
    std::size_t n = 0;
    for (const Act& a : acts_) n += (!a.done && a.key == key) ? 1 : 0;
    return n;
  }
  /// The end-state check (decisions.md order).
  std::optional<RefEndFinding> end_check() const;
  /// The objects and activities in words.
  std::string describe() const;
  /// True when the two states are equal up to the numbering of activities and the count of
  /// reuses (a lasso's cycle returns to the state where it began; ref_lasso.cpp).
  bool same_state(const RefMachine& other) const;
  /// The received requests, protocol NBLs and verbs that are pending now.
  std::vector<RefPending> pending_objects() const;

 private:
  // ---- static info ----
  const ast::Spec* spec_;      ///< the checked spec the machine runs
  SymbolicValues sym_values_;  ///< the trace's model, by variable name
  /// The concrete value of a symbolic variable (an unlisted one is 0, the canonical value of an
  /// unconstrained variable): int<N> below 32 bits zero-extends, int<32> is two's complement.
  int32_t symbolic_value(const std::string& name, uint32_t width) const {
    auto it = sym_values_.find(name);
    uint64_t v = it == sym_values_.end() ? 0 : it->second;
    if (width < 64) v &= (uint64_t{1} << width) - 1;
    return static_cast<int32_t>(static_cast<uint32_t>(v));
  }
  const SourceManager* sm_;        ///< the spec's sources
  std::vector<int> queue_device_;  ///< per queue: its device
  std::size_t list_capacity_ = 0;  ///< the most elements a list may hold
  int created_base_ = 0;           ///< index of the first created request in reqs_

  // ---- state ----
  std::vector<Req> reqs_;             ///< received requests, then created ones
  std::vector<QueueSt> queues_;       ///< per queue
  std::vector<int> lock_holder_;      ///< per spin lock: the holding activity, -1
  std::vector<bool> event_set_;       ///< per event
  std::vector<int> deferred_state_;   ///< per timer/DPC/work item: 0 idle, 1 armed/queued, 2 fired
  std::vector<int> int_lock_holder_;  ///< per interrupt: the activity holding its lock, -1
  std::vector<bool> int_dpc_queued_;  ///< per interrupt: its EvtInterruptDpc is queued
  std::vector<int> irq_raised_;       ///< per environment item: interrupts raised so far
  std::vector<Val> globals_;          ///< per global
  std::vector<std::vector<Val>> global_lists_;  ///< per global: its elements when it is a list
  std::vector<int> device_holder_;     ///< per device: the activity holding its sync lock, -1
  std::deque<Act> acts_;               ///< the live activities, in creation order
  int next_act_id_ = 1;                ///< the id the next activity gets
  std::vector<int> arrived_;           ///< per environment item: requests arrived so far
  std::vector<int> first_req_;         ///< per environment item: index of its first request
  PowerPhase power_ = PowerPhase::On;  ///< the device's power phase
  bool entry_called_ = false;          ///< Entering: the first EvtDeviceD0Entry was called
  std::size_t stop_line_ = 0;          ///< `stop` lines started so far
  bool purge_ = false;                 ///< the transition in progress is a removal
  int stage_ = 0;                ///< 0 power-down, 1 purge of power-managed queues, 2 of the others
  std::vector<int> file_state_;  ///< per file handle: 0 open, 1 cleanup, 2 flushed, 3 closed
  std::vector<TargetSt> targets_;  ///< per I/O target (grown on first use)
  std::size_t pool_used_ = 0;      ///< requests WdfRequestCreate made in code so far
  // NDIS / APPC
  std::vector<Nbl> nbls_;               ///< the protocol's NBLs, then the filter's
  std::vector<bool> cancel_send_done_;  ///< per environment item: its cancel_send or pause ran
  bool partial_id_generated_ = false;   ///< NdisGeneratePartialCancelId was called (CR012)
  /// Per driver declaration: 0 running, 1 pausing, 2 paused, 3 restarting.
  std::vector<int> pause_state_;
  std::vector<Vcb> vcbs_;          ///< allocated VCBs (vcb#N is vcbs_[N - 1])
  std::vector<Task> tasks_;        ///< issued verbs (task#N is tasks_[N - 1])
  std::vector<bool> conv_closed_;  ///< per conversation: a cancel closed it
  std::deque<int> messages_;       ///< queued completion messages (task indices)
  bool sna_quirk_ = false;         ///< the spec sets SNA_WAPPCINVALID_QUIRK

  // ---- per-step context ----
  Chooser* ch_ = nullptr;        ///< resolves the step's choices
  Outcome* out_ = nullptr;       ///< what the step did so far
  int cur_ = -1;                 ///< id of the activity moving
  int budget_ = 0;               ///< 1 until the step has done its visible operation
  std::size_t statements_ = 0;   ///< statements run in this step
  bool end_step_after_ = false;  ///< the operation just done ends the step (the caller waits)

  // ==== ref_walker.cpp: activities and scheduling ====
  /// The live activity with id `id`, or nullptr.
  Act* find_act(int id) {
    for (Act& a : acts_) {
      if (a.id == id && !a.done) return &a;
    }
    return nullptr;
  }
  /// As above, read-only.
  const Act* find_act(int id) const {
    for (const Act& a : acts_) {
      if (a.id == id && !a.done) return &a;
    }
    return nullptr;
  }
  /// The activity moving now.
  Act& cur() {
    Act* a = find_act(cur_);
    if (a == nullptr) throw std::logic_error("reference executor: current activity vanished");
    return *a;
  }
  /// Resolves one choice point through the step's chooser and records the token taken.
  std::size_t choose(const std::vector<std::string>& options) {
    std::size_t k = ch_->choose(options);
    out_->choices.push_back(options[k]);
    return k;
  }
  /// Ends the step with a violation of `r`.
  [[noreturn]] void violation(RuleId r, std::string msg) { throw ViolationSig{r, std::move(msg)}; }

  /// Creates an activity running `fn` with `args`; returns its id.
  int start_activity(const std::string& fn_or_thread_key, const ast::FnDecl& fn, Role role, int req,
                     std::vector<Val> args, int device);
  /// Runs activity `a` for one step (taking its device's synchronization lock first).
  void move_activity(Act& a);
  /// Runs the environment event `key`; false when no framework knows the key.
  bool run_env(const std::string& key);
  /// Keys of the live activities and of the armed timers.
  void walker_candidate_events(std::set<std::string>& keys) const;
  /// The end-state finding of an activity that can never move, if any.
  std::optional<RefEndFinding> stuck_activity() const;

  // ==== ref_walker.cpp: synchronisation objects (spin locks, events, timers) ====
  /// Spin locks (WDF and NDIS), KeSetEvent/KeClearEvent/KeWaitForSingleObject and timers.
  Val call_sync_api(ApiId id, std::vector<Val>& args);
  /// Environment events "timer|dpc|workitem <name>": the timer fires, the DPC or work item runs.
  void env_deferred(const std::string& word, const std::string& name);

  // ==== ref_walker.cpp: the interpreter ====
  /// Runs statements of the current activity until the step ends.
  void run_steps();
  /// Runs one statement (or loop test) under the cursor at index `ci` of the current frame.
  void exec_stmt(std::size_t ci);
  /// One iteration test of the while / for-in cursor `c`, at index `ci` of the current frame.
  void exec_loop(std::size_t ci, const Ctl& c);
  /// Pushes a cursor over `n` statements onto the current frame.
  void push_ctl(Ctl::Kind kind, const ast::StmtPtr* stmts, std::size_t n);
  /// Returns `v` from the current frame to its call site (or ends the activity).
  void do_return(Val v);
  /// The current activity has returned: release what it holds.
  void finish_activity();
  /// The frame the current activity is in.
  Frame& frame() { return cur().frames.back(); }
  /// Evaluates `e`, taking it from the statement's memo when already evaluated.
  Val eval(const Expr& e);
  /// Evaluates `e` without the memo.
  Val eval_uncached(const Expr& e);
  /// A call: an inlined helper, a builtin or an API.
  Val eval_call(const Expr& e);
  /// Routes an API call by its domain to call_kmdf_api / call_ndis_api / call_appc_api.
  Val call_api(const Expr& e, ApiId id, std::vector<Val>& args);
  /// The language builtins (lists, Interlocked*, NT_SUCCESS, assert, assume).
  Val call_builtin(const Expr& e, ApiId id);
  /// The truth of value `v` of expression `e` (handles: non-NULL).
  bool truthy(const Expr& e, const Val& v) const;
  /// A handle as stored in a variable: the declared name's "current" becomes an epoch.
  Val copy_of(Val v) const {
    if (v.req >= 0 && v.epoch == kCurrentEpoch)
      v.epoch = reqs_[static_cast<std::size_t>(v.req)].epoch;
    return v;
  }
  /// The handle was read before its request was reused.
  bool stale(const Val& h) const {
    return h.epoch != kCurrentEpoch && h.epoch < reqs_[static_cast<std::size_t>(h.req)].epoch;
  }
  /// The outermost atomic block the current activity is in, or nullptr.
  Ctl* outer_atomic();
  /// Before a visible operation: suspends the step when it has had its one already.
  void gate_prepare();
  /// A visible operation happens: it uses the step's budget.
  void gate_consume();
  /// A visible operation that cannot block.
  void visible() {
    gate_prepare();
    gate_consume();
  }
  /// Records an API call in the step's outcome.
  void record(ApiId id) { out_->calls.push_back(api_name(id)); }
  /// The call's result `v` converted to the API's result type, recorded as "Name=<v>" when the
  /// API returns a value (a uintptr result in unsigned decimal).
  Val result(ApiId id, int64_t v) {
    const TypeKind t = api_info(id).result;
    v = to_type(v, t, spec_->pointer_width);
    if (t != TypeKind::Void) out_->calls.back() += "=" + value_text(v, t);
    return Val{v};
  }
  /// `v` converted to type `t` as C converts numbers (assignments, arguments, returns);
  /// handles and objects unchanged.
  Val convert(Val v, TypeKind t) const {
    v.i = to_type(v.i, t, spec_->pointer_width);
    return v;
  }
  /// An API the reference executor does not execute.
  [[noreturn]] void not_executed(ApiId id) const {
    throw RefUnsupported(fmt::format("{} is not executed by the reference executor", api_name(id)));
  }
  // lvalues
  /// Where an lvalue lives (a local, a global or a request's context field).
  struct LRef {
    enum Kind : uint8_t { Local, Global, Context } kind = Local;
    uint32_t index = 0;
    int req = -1;
    Val handle;
  };
  /// The place `e` names (evaluates a context field's base).
  LRef lvalue(const Expr& e);
  /// Reads an lvalue.
  Val load(const LRef& r);
  /// Writes an lvalue.
  void store(const LRef& r, const Val& v);
  /// Where a list lives (a local, a global or a request's context list).
  struct ListLoc {
    enum Kind : uint8_t { Local, Global, Context } kind = Local;
    uint32_t index = 0;
    Val base;
  };
  /// Where a list expression lives (evaluates a context field's base; no visible operation).
  ListLoc list_loc(const Expr& e);
  /// The list itself; a context list checks its request handle first.
  std::vector<Val>& list_at(const ListLoc& l, const std::string& what);
  /// A context access through `h`: NULL, freed and stale handles are violations.
  void check_context(const Val& h, const std::string& what);
  /// The API's name as specs spell it.
  std::string api_name(ApiId id) const { return std::string(api_info(id).name); }

  // ==== ref_kmdf_contexts.cpp: timers, DPCs, work items, interrupts, IRQL ====
  /// Timer, DPC, work-item and interrupt state.
  void init_contexts(const ast::Spec& spec);
  /// The synchronization lock (a device d, or queue q as devices + q) a timer, DPC, work item
  /// or interrupt DPC callback takes, -1 for none.
  int deferred_sync_lock(int t) const;
  /// Keys of the contexts' environment events that may happen.
  void contexts_candidate_events(std::set<std::string>& keys) const;
  /// Runs "interrupt <I>" / "interrupt_dpc <I>"; false for another key.
  bool run_contexts_env(const std::string& key);
  /// Timer, DPC, work-item and interrupt calls.
  Val call_context_api(const Expr& e, ApiId id, std::vector<Val>& args);
  /// CR017: the call is made at an IRQL or under a lock its documentation forbids.
  void check_irql(ApiId id, const std::vector<Val>& args);
  /// Why the current activity runs at DISPATCH_LEVEL or above ("" when it may be PASSIVE).
  std::string raised_irql(const Act& a, bool& dirql) const;
  /// The spin lock (or interrupt lock) activity `a` holds, in words, or "".
  std::string spin_lock_of(const Act& a) const;
  /// Activity `a` is the callback of timer / DPC / work item `t`.
  bool own_callback(const Act& a, std::size_t t) const;
  /// A DPC-level callback other than `self` is queued or running (KeFlushQueuedDpcs).
  bool dpcs_pending(int self) const;
  /// Activity `a`'s WdfTimerStop/WdfDpcCancel(Wait)/WdfWorkItemFlush may return.
  bool deferred_wait_over(const Act& a) const;
  /// Releases the interrupt locks of the finishing activity.
  void release_interrupt_locks(const Act& a);

  // ==== ref_kmdf.cpp: KMDF (docs/semantics/kmdf.md) ====
  /// Queues, received and created requests, their context fields.
  void init_kmdf(const ast::Spec& spec);
  /// The device of queue `q`, -1 for none.
  int device_of_queue(int q) const {
    return q >= 0 ? queue_device_[static_cast<std::size_t>(q)] : -1;
  }
  /// The synchronized device of queue `q`, -1 when its device does not synchronize.
  int sync_device_of_queue(int q) const;
  /// The synchronized device of request `r`'s queue, -1 for none or a created request.
  int sync_device_of_req(int r) const;
  /// The name of request `r`.
  std::string req_name(int r) const { return reqs_[static_cast<std::size_t>(r)].name; }
  /// The request named `name`, -1 when there is none.
  int find_req(const std::string& name) const;
  // request life cycle
  /// Drops one reference; a completed or deleted request without references is freed.
  void release_ref(int r);
  /// The driver completes request `r` with status `st`.
  void complete_request(int r, int32_t st);
  /// Request `r` is no longer the one a sequential queue is processing.
  void leave_sequential(int r);
  /// The target completes request `r` with `st` (starts its completion routine).
  void target_completes(int r, int32_t st);
  /// A cancel reaches request `r`, from its originator or from CancelSentRequest.
  void cancel_reaches(int r, bool originator);
  /// Request `r` is cancelled while it waits in its queue.
  void cancel_on_queue(int r);
  /// The checks of a request handle passed to `api` (NULL, freed, stale, completed, given away).
  Req& check_handle(const Val& h, ApiId api, bool needs_ownership);
  /// An EvtIoStop callback returns: it must have handled its request.
  void stop_callback_returns(const Act& a);
  // KMDF calls
  /// Routes a KMDF call to its group.
  Val call_kmdf_api(const Expr& e, ApiId id, std::vector<Val>& args);
  /// WdfRequestSend, WdfRequestSendAndForget, WdfRequestCancelSentRequest, WdfRequestCreate
  /// and the target-state calls.
  Val kmdf_target_api(ApiId id, std::vector<Val>& args);
  // I/O targets (ref_kmdf_targets.cpp)
  /// WdfRequestSend with its options, WdfRequestSendAndForget.
  Val kmdf_send(ApiId id, std::vector<Val>& args);
  /// WdfIoTargetStart/Stop/Purge/GetState, WdfUsbTargetPipeConfigContinuousReader.
  Val kmdf_target_state_api(ApiId id, std::vector<Val>& args);
  /// The pool size of WdfRequestCreate in code.
  std::size_t pool_size() const;
  /// Target t's state record.
  TargetSt& target_st(int t);
  /// Sends target t's continuous reader.
  void send_reader(int t);
  /// The framework cancels the requests sent to target t.
  void cancel_target_io(int t);
  /// The current activity waits until target t's sent I/O has completed.
  void wait_for_target(int t);
  /// Activity a's synchronous send or target stop is over (it may move).
  bool target_wait_over(Act& a);
  /// Target t completed its reader request r with st.
  void reader_completes(int t, int r, int32_t st);
  /// A reader callback returned: resubmit or stop the reader.
  void reader_callback_returns(const Act& a);
  void env_timeout(const std::string& rname);  ///< "timeout <request>"
  void env_reader(const std::string& tname);   ///< "reader <target>"
  /// Keys of the timeouts and reader work items that may move.
  void target_candidate_events(std::set<std::string>& keys) const;
  /// WdfRequestComplete(WithInformation), WdfRequestGetStatus, WdfRequestSetCompletionRoutine.
  Val kmdf_completion_api(ApiId id, std::vector<Val>& args);
  /// WdfRequestMarkCancelable(Ex), WdfRequestUnmarkCancelable, WdfRequestIsCanceled.
  Val kmdf_cancel_api(ApiId id, std::vector<Val>& args);
  /// WdfRequestForwardToIoQueue, WdfRequestRequeue, WdfIoQueueRetrieveNextRequest,
  /// WdfRequestStopAcknowledge.
  Val kmdf_queue_api(const Expr& e, ApiId id, std::vector<Val>& args);
  /// WdfRequestReuse, WdfObjectReference, WdfObjectDereference, WdfObjectDelete.
  Val kmdf_object_api(ApiId id, std::vector<Val>& args);
  // queue states (ref_kmdf_queue.cpp)
  /// WdfIoQueueStop/Start/Purge/StopAndPurge/Drain (and synchronous forms), GetState.
  Val kmdf_queue_state_api(ApiId id, std::vector<Val>& args);
  /// WdfIoQueueFindRequest, WdfIoQueueRetrieveFoundRequest.
  Val kmdf_find_api(const Expr& e, ApiId id, std::vector<Val>& args);
  /// Requests the driver owns from queue q.
  int driver_owned(int q) const;
  /// The framework cancels queue q's cancelable requests the driver owns (a purge).
  void cancel_driver_cancelable(int q);
  /// A callback of queue q (EvtIo, EvtIoCanceledOnQueue, EvtRequestCancel) still runs.
  bool queue_dispatching(int q) const;
  /// Queue q's stop (wait 1) or purge (wait 2) has nothing left to wait for.
  bool queue_wait_done(int q, int wait) const;
  /// "queue <name>": the pending stop/purge callback of that queue runs.
  void env_queue_done(const std::string& qname);
  /// Activity a, in a synchronous stop/purge, may return from it.
  bool queue_wait_over(const Act& a);
  // KMDF environment
  /// Runs the KMDF environment event `key`; false when the key is not a KMDF one.
  bool run_kmdf_env(const std::string& key);
  void env_arrive(const std::string& qname);    ///< "arrive <queue>"
  void env_dispatch(const std::string& qname);  ///< "dispatch <queue>"
  void env_cancel(const std::string& rname);    ///< "cancel <request>" (its originator)
  void env_target(const std::string& rname);    ///< "target <request>"
  void env_stop();                              ///< "stop"
  void env_power();                             ///< "power": the next framework power step
  // power and removal (ref_kmdf_power.cpp)
  /// The `stop` lines of the environment, in order.
  std::vector<const ast::EnvItem*> stop_lines() const;
  /// The transition in progress acts on queue q.
  bool in_stage(int q) const;
  /// Queue q delivers nothing because of a power transition.
  bool power_held(int q) const;
  /// Queue q is powered off (RetrieveNextRequest: STATUS_WDF_PAUSED).
  bool powered_off(int q) const;
  /// The driver-owned requests of the transition's queues become the notified set.
  void power_snapshot();
  /// A notified request nothing has acknowledged or taken from the driver.
  bool power_waiting() const;
  /// Starts EvtRequestCancel for r, or holds it while EvtIoStop calls are being made.
  void start_cancel_routine(int r, int fn);
  /// Starts the cancel callbacks held back while EvtIoStop / EvtIoResume calls were made.
  void release_held_callbacks();
  /// Removal's purge of the next group of queues.
  void power_purge_stage();
  /// Starts device callback `handler` on every device that binds it; false when none does.
  bool start_device_callbacks(Role role, const char* handler, std::vector<Val> args = {});
  /// A device callback the power path waits for is running.
  bool pnp_busy() const;
  // file objects and ready notification (ref_kmdf_files.cpp)
  void env_close(const std::string& fname);  ///< "close <file>"
  void env_ready(const std::string& qname);  ///< "ready <queue>"
  /// WdfRequestGetFileObject, WdfIoQueueRetrieveRequestByFileObject, WdfIoQueueReadyNotify.
  Val kmdf_file_api(const Expr& e, ApiId id, std::vector<Val>& args);
  /// A request was put in queue q: an empty manual queue owes a ready notification.
  void queue_added(int q, bool was_empty);
  /// The device a file handle was opened on.
  int file_device(int f) const;
  /// Keys of the KMDF environment events that may move.
  void kmdf_candidate_events(std::set<std::string>& keys) const;
  /// End state, first: a pending request whose cancel was lost by Reuse or MarkCancelableEx.
  std::optional<RefEndFinding> kmdf_end_lost_cancel() const;
  /// End state, last: a pending request that was cancelled, then one never completed.
  std::optional<RefEndFinding> kmdf_end_pending() const;
  /// A copy without finished activities, the live ones numbered 1, 2, ... in order of their
  /// key and request, and request handles' epochs counted back from their request's.
  RefMachine normalized() const;
  /// The requests in words.
  void describe_kmdf(std::ostringstream& o) const;

  // ==== ref_ndis.cpp: NDIS (docs/semantics/ndis.md) ====
  /// The NBLs the protocol sends.
  void init_ndis(const ast::Spec& spec);
  /// Driver declaration `f`'s callback bound to `handler`, or nullptr.
  const ast::FnDecl* filter_fn(int f, const char* handler) const;
  /// The callback of declaration `f` for a job, by its role: "send", "complete" or "cancel".
  const ast::FnDecl* role_fn(int f, const std::string& job) const;
  /// The declaration that owns the NBLs the spec's driver allocates (first non-miniport one).
  int originator() const;
  /// CR008 when call `id` is not one of NBL `b`'s driver role.
  void check_role(ApiId id, const Nbl& b);
  /// The checks of sending NBL `b` below with call `id` (CR004, CR001, CR008, CR016, CR011).
  void check_send_below(const Nbl& b, ApiId id);
  /// The checks of completing NBL `b` upward with status `st` (CR004, CR001, CR008, CR016).
  void check_complete_up(const Nbl& b, ApiId id, int32_t st);
  /// The NBL a handle names (NULL and freed ones are violations).
  Nbl& nbl_arg(const Val& v, ApiId api);
  /// The NDIS calls.
  Val call_ndis_api(ApiId id, std::vector<Val>& args);
  /// Runs the NDIS environment event `key`; false when the key is not an NDIS one.
  bool run_ndis_env(const std::string& key);
  void env_send(const std::string& fname);                 ///< "send <filter>"
  void env_cancel_send(const std::string& rest);           ///< "cancel_send <filter> <id>"
  void env_miniport(const std::string& nname);             ///< "miniport <nbl>"
  void env_pause(const std::string& fname, bool restart);  ///< "pause <f>" / "restart <f>"
  /// NDIS restarts filter `f`: the sends that reached it while paused become ordinary ones.
  void ndis_restarting(int f, bool has_callback);
  /// The send callback of the chain headed by NBL `head` returned.
  void ndis_send_returned(int head);
  /// The NBLs of the chain that starts at `b` (a loop is CR008).
  std::vector<Nbl*> ndis_chain(Nbl& b, ApiId id);
  /// The first protocol NBL filter `f` still holds, or NBL it originated that is below.
  const Nbl* outstanding_nbl(int f) const;
  /// The protocol may cancel the id of environment item `item` now.
  bool cancel_send_ready(std::size_t item) const;
  /// Keys of the NDIS environment events that may move.
  void ndis_candidate_events(std::set<std::string>& keys) const;
  /// End state: an NBL that never returns to the protocol.
  std::optional<RefEndFinding> ndis_end_check() const;
  /// The NBLs in words.
  void describe_ndis(std::ostringstream& o) const;

  // ==== ref_appc.cpp: APPC (docs/semantics/appc.md) ====
  /// Conversations and the SNA quirk constant.
  void init_appc(const ast::Spec& spec);
  /// The VCB a handle names (NULL and freed ones are violations).
  Vcb& vcb_arg(const Val& v, ApiId api);
  /// The APPC calls.
  Val call_appc_api(ApiId id, std::vector<Val>& args);
  /// Verb `t` completes with `rc`: its message is queued and its VCB written.
  void post_completion(int t, int32_t rc);
  /// Runs the APPC environment event `key`; false when the key is not an APPC one.
  bool run_appc_env(const std::string& key);
  void env_partner(const std::string& tname);  ///< "partner <task>"
  /// Keys of the APPC environment events that may move.
  void appc_candidate_events(std::set<std::string>& keys) const;
  /// End state of activity `key` that waits forever for a completion message.
  RefEndFinding appc_message_wait_finding(const std::string& key) const;
  /// End state: a verb that never completes.
  std::optional<RefEndFinding> appc_end_check() const;
  /// The verbs and VCBs in words.
  void describe_appc(std::ostringstream& o) const;
};

}  // namespace cc
