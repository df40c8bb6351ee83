// The KMDF module's private declarations (docs/semantics/kmdf.md): requests and their
// ownership, queues and their dispatch, I/O targets, devices' automatic serialization,
// power-down and removal (EvtIoStop), timers. Shared by the modules/kmdf/*.cpp files only.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "engine/module_base.h"
#include "model/named_constants.h"

namespace cc::kmdf {

/// Where a request is and who owns it (docs/semantics/kmdf.md "Objects and state").
enum class Place : uint8_t {
  NotArrived,
  Queued,           ///< framework owns it (where = queue)
  Driver,           ///< the driver owns it
  TargetPending,    ///< sent, not yet taken by the target (where = target)
  TargetDelivered,  ///< the target holds it (where = target)
  Completed,        ///< completed (or deleted), still referenced
  Freed,
};

/// Request flag bits.
enum ReqFlag : uint32_t {
  kCancelFlag = 1U << 0,        ///< the IRP's Cancel bit (IoCancelIrp)
  kTargetCancelable = 1U << 1,  ///< the lower driver marked it cancelable
  kCancelAimed = 1U << 2,       ///< a cancel (originator or CancelSentRequest) was aimed at it
  kOrigCancelled = 1U << 3,     ///< the originator's one cancel happened
  kUnmarkCancelled = 1U << 4,   ///< Unmark returned STATUS_CANCELLED; cancel routine pending
  kFired = 1U << 5,             ///< its cancel routine was started
  kInStop = 1U << 6,            ///< EvtIoStop is running for it
  kStopHandled = 1U << 7,       ///< completed / cancel-sent / acknowledged during EvtIoStop
  kForwarded = 1U << 8,         ///< forwarded or requeued (EvtIoCanceledOnQueue applies)
  kDeleted = 1U << 9,           ///< WdfObjectDelete was called (created requests)
  kWiped = 1U << 10,            ///< WdfRequestReuse wiped a pending cancel
  kExIgnored = 1U << 11,        ///< MarkCancelableEx returned STATUS_CANCELLED
  kForget = 1U << 12,           ///< sent with WdfRequestSendAndForget
  kCancelStarted = 1U << 13,    ///< its cancel routine has begun to run
  kFxCanceled = 1U << 14,       ///< the framework's cancelled state (FxRequestBase::m_Canceled)
  kStopNotified = 1U << 15,     ///< in the power transition's notified set (m_PowerDriverNotified)
  kStopToCall = 1U << 16,       ///< its EvtIoStop is still to be called in this transition
  kStopAcked = 1U << 17,        ///< WdfRequestStopAcknowledge was called for it
  kCancelHeld = 1U << 18,       ///< its EvtRequestCancel waits for the notifying phase to end
  kCoqHeld = 1U << 19,          ///< its EvtIoCanceledOnQueue waits for that phase to end
  kResumeToCall = 1U << 20,     ///< its EvtIoResume is still to be called
  kFoundRef = 1U << 21,         ///< WdfIoQueueFindRequest found it; the driver holds that reference
  // I/O targets (kmdf_targets.cpp)
  kTimeoutArmed = 1U << 22,  ///< sent with WDF_REQUEST_SEND_OPTION_TIMEOUT; the deadline may come
  kTimedOut = 1U << 23,      ///< the framework cancelled it at its deadline (STATUS_IO_TIMEOUT)
  kTargetQueued = 1U << 24,  ///< pended in a stopped target's queue (STATUS_WDF_QUEUED)
  kIgnoreState = 1U << 25,   ///< sent with WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE
  kReader = 1U << 26,        ///< a continuous reader's request (the framework owns it)
};

/// Queue record layout (bytes): count, current request + 1 (sequential), state, the pending
/// stop/purge callback (fn + 1) and what it waits for, the activity waiting in a synchronous
/// stop/purge (slot + 1), the FIFO.
enum QueueField : uint32_t {
  kQCount = 0,
  kQCurrent = 1,
  kQState = 2,
  kQCbFn = 3,
  kQCbKind = 4,
  kQSyncWaiter = 5,
  kQReadyFn = 6,     ///< the EvtIoQueueState registered with WdfIoQueueReadyNotify (fn + 1)
  kQSyncHolder = 7,  ///< the activity holding the queue's synchronization lock (slot + 1)
  kQItems = 8,
};

/// What a queue's stop or purge waits for before its callback runs or its synchronous call
/// returns (FxIoQueue::DispatchEvents, m_IdleComplete / m_PurgeComplete).
enum class QueueWait : uint8_t {
  None,
  Idle,    ///< WdfIoQueueStop / StopAndPurge: no request the driver owns from the queue
  Purged,  ///< WdfIoQueuePurge / Drain: none owned and none queued
};

/// Queue state bits (WDF_IO_QUEUE_STATE and FxIoQueue's own flags, inverted so 0 = started).
enum QueueState : uint8_t {
  kQNotAccepting = 1U << 0,      ///< WdfIoQueueAcceptRequests clear
  kQNotDispatching = 1U << 1,    ///< WdfIoQueueDispatchRequests clear (WdfIoQueueStop)
  kQCancelDispatched = 1U << 2,  ///< m_CancelDispatchedRequests: a purge is in progress
  kQShutdown = 1U << 3,          ///< removal: WdfIoQueueStart cannot accept again
  kQTransition = 1U << 4,        ///< m_TransitionFromEmpty: a ready notification is due
};

/// A file handle's life (docs/semantics/kmdf.md "File objects"): open, EvtFileCleanup
/// running, flushed (waiting for its requests to finish), closed (EvtFileClose called).
enum class FileState : uint8_t { Open, Cleanup, Flushed, Closed };

/// The device's power and removal state (docs/semantics/kmdf.md "Power and removal").
enum class Power : uint8_t {
  On,         ///< D0: queues dispatch
  Starting,   ///< the power-down began: waiting until no queue callback is dispatching
  Notifying,  ///< EvtIoStop is being called, one request at a time
  Waiting,    ///< every notified request must be acknowledged or completed
  Off,        ///< low power: power-managed queues hold new requests
  Resuming,   ///< EvtIoResume is being called, one request at a time
  Removed,    ///< after the removal purge: nothing more happens
  Purging,    ///< removal: the next purge waits for EvtDeviceSelfManagedIoFlush / EvtDeviceD0Exit
  Entering,   ///< the device's first EvtDeviceD0Entry runs: power-managed queues wait for it
};

/// Which queues a power transition acts on, in removal order.
enum class Stage : uint8_t {
  Hold,            ///< power-down of the power-managed queues (suspend)
  PurgeManaged,    ///< removal: purge of the power-managed queues
  PurgeUnmanaged,  ///< removal: purge of the other queues
};

/// Power region layout (bytes).
enum PowerField : uint32_t { kPPhase = 0, kPLine = 1, kPPurge = 2, kPStage = 3 };

/// Request record layout (bytes).
enum ReqField : uint32_t {
  kRPlace = 0,
  kRWhere = 1,
  kRSrcQueue = 2,
  kRCancelFn = 3,
  kRComplFn = 4,
  kRRefs = 5,
  kREpoch = 6,
  kRCompletions = 7,
  kRFlags = 8,
  kRStatus = 12,
  kRHeldFn = 16,  ///< the cancel routine held back while EvtIoStop calls are made (fn + 1)
  kRType = 17,    ///< its ast::IoType (Unspecified until a typed handler was presented it)
  kRCtx = 20,     ///< the spec's context fields, then (I/O target features only) the extension
};

/// The request record's extension, after the context fields, present only when the spec uses
/// the I/O-target features (kmdf_targets.cpp), so that other specs keep their state size.
enum ReqExtField : uint32_t {
  kXComplCtx = 0,    ///< the completion routine's context (a request handle, 0 = NULL)
  kXSyncWaiter = 4,  ///< the activity blocked in its synchronous WdfRequestSend (slot + 1)
  kXSize = 8,
};

/// An I/O target's state (WDF_IO_TARGET_STATE, FxIoTarget::m_State).
enum class TargetState : uint8_t { Started, Stopped, Purged };

/// A USB pipe's continuous reader (FxUsbPipeContinuousReader), one request per pipe.
enum class Reader : uint8_t {
  None,         ///< no reader configured
  Idle,         ///< configured, not submitted (m_ReadersSubmitted FALSE): WdfIoTargetStart sends it
  Active,       ///< its request is at the target or EvtUsbTargetPipeReadComplete runs
  Dead,         ///< submitted but stopped (cancelled, resubmit failed, ReadersFailed FALSE)
  FailDue,      ///< a read failed: the work item that calls EvtUsbTargetPipeReadersFailed is due
  FailRunning,  ///< EvtUsbTargetPipeReadersFailed runs
};

/// I/O target record layout (bytes).
enum TargetField : uint32_t {
  kTState = 0,     ///< TargetState
  kTWaiter = 1,    ///< the activity in WdfIoTargetStop/Purge waiting for the sent I/O (slot + 1)
  kTReadFn = 2,    ///< EvtUsbTargetPipeReadComplete (fn + 1)
  kTFailedFn = 3,  ///< EvtUsbTargetPipeReadersFailed (fn + 1)
  kTReader = 4,    ///< Reader
  kTSize = 5,
};

/// Activity kinds (who started it); 0 is the engine's spec thread.
enum class ActKind : uint8_t {
  Thread,
  IoHandler,
  Stop,
  CanceledOnQueue,
  Cancel,
  Completion,
  Timer,
  /// Numbered after NDIS's kinds (7..9): activity kinds are one number space for all modules.
  Resume = 10,
  QueueState = 11,       ///< a queue's stop/purge/drain or ready-notify callback (EvtIoQueueState)
  Pnp = 16,              ///< a device callback the power path waits for (EvtDeviceSelfManagedIo*)
  SurpriseRemoval = 17,  ///< EvtDeviceSurpriseRemoval: not synchronised with the power path
  FileCallback = 18,     ///< EvtFileCleanup / EvtFileClose (subject: the file handle index)
  Dpc = 12,              ///< EvtDpcFunc (subject: the `dpc` object, a Spec::timers index)
  WorkItem = 13,         ///< EvtWorkItem (subject: the `workitem` object)
  Isr = 14,              ///< EvtInterruptIsr (subject: the interrupt); holds the interrupt lock
  InterruptDpc = 15,     ///< EvtInterruptDpc (subject: the interrupt)
  InterruptSync = 24,    ///< WdfInterruptSynchronize's callback (subject: the interrupt), inline
  ReadComplete = 19,     ///< EvtUsbTargetPipeReadComplete (subject: the pipe's target index)
  ReadersFailed = 22,    ///< EvtUsbTargetPipeReadersFailed (subject: the pipe's target index)
};

/// True for the activity kinds of this module.
constexpr bool is_kmdf_kind(ActKind k) {
  return k <= ActKind::Timer || k == ActKind::Resume || k == ActKind::QueueState ||
         k == ActKind::Pnp || k == ActKind::SurpriseRemoval || k == ActKind::FileCallback ||
         k == ActKind::Dpc || k == ActKind::WorkItem || k == ActKind::Isr ||
         k == ActKind::InterruptDpc || k == ActKind::InterruptSync || k == ActKind::ReadComplete ||
         k == ActKind::ReadersFailed;
}

/// True when an activity of this kind works on a request (its subject is a request index).
constexpr bool subject_is_request(ActKind k) {
  return k == ActKind::IoHandler || k == ActKind::Stop || k == ActKind::CanceledOnQueue ||
         k == ActKind::Cancel || k == ActKind::Completion || k == ActKind::Resume;
}

/// Environment actor kinds.
enum class EnvKind : uint8_t {
  Arrive,
  Dispatch,
  Cancel,
  Target,
  Stop,
  Timer,
  Power,
  QueueDone,
  Close,       ///< the application closes a file handle: cleanup, flush, close (index: file)
  QueueReady,  ///< a manual queue's ready-notify callback is due (index: queue)
  // Execution contexts (kmdf_contexts.cpp)
  Interrupt,     ///< the device raises an interrupt (index: the `interrupt` env line)
  InterruptDpc,  ///< a queued EvtInterruptDpc runs (index: interrupt)
  // I/O targets
  Timeout,       ///< the deadline of a send with WDF_REQUEST_SEND_OPTION_TIMEOUT (index: request)
  ReaderFailed,  ///< a continuous reader's work item calls EvtUsbTargetPipeReadersFailed (target)
};

/// Timer, DPC and work-item record layout (bytes): its state, and the activity waiting in
/// WdfTimerStop(Wait) / WdfDpcCancel(Wait) / WdfWorkItemFlush for it (slot + 1).
enum DeferredField : uint32_t { kDState = 0, kDWaiter = 1 };
/// kDState values: a timer disarmed, armed or fired (one-shot); a DPC or work item idle or queued.
enum DeferredState : uint8_t { kDIdle = 0, kDArmed = 1, kDFired = 2 };
/// Interrupt record layout (bytes): the activity holding its spin lock (slot + 1), whether its
/// EvtInterruptDpc is queued.
enum InterruptField : uint32_t { kILock = 0, kIDpcQueued = 1 };

constexpr uint8_t kNoQueue = 0xFF;

/// Request handlers a request may be presented to (fn index and the type it fixes).
struct IoHandlers {
  std::array<uint32_t, 5> fns{};
  std::array<ast::IoType, 5> types{};
};

/// The KMDF module.
class Kmdf final : public ModuleBase {
 public:
  explicit Kmdf(Core& core) : ModuleBase(core) {}
  std::string_view name() const override { return "kmdf"; }
  ApiDomain domain() const override { return ApiDomain::Kmdf; }
  std::string build() override;
  uint64_t activities() const override;
  void layout(Layout& layout) override;
  void env_actors(std::vector<EnvActor>& out) const override;
  void bind() override;
  bool symbolic() const override;
  bool por_possible() const override;
  void initial_state() override;
  Outcome exec_api(ApiCall& call) override;
  RunResult run_env(const EnvActor& e) override;
  int symbolic_param(ApiId api) const override;
  bool on_start(uint32_t a) override;
  Outcome on_finish(uint32_t a, const Instr& in) override;
  int32_t pin(int32_t h) const override;
  std::optional<int32_t> created_ref(int32_t imm) const override;
  int32_t* field(int32_t h, uint32_t field, const Instr& in, const char* what, bool& owns) override;
  void canonicalize() override;
  bool has_symmetry() const override;
  void rename_slots(const std::array<uint8_t, 256>& new_of) override;
  uint32_t components() const override { return nreq_; }
  bool closed_component(uint32_t r, std::vector<uint32_t>& actors) override;
  std::optional<Finding> end_state(EndPhase phase) override;
  Fairness fairness(const EnvActor& e) const override;
  void pending(std::vector<Finding>& out) const override;
  std::optional<Finding> stuck(uint32_t a, const Instr& in, std::string& why) override;
  bool wait_over(uint32_t a) override;
  std::optional<Outcome> check_call(ApiCall& call) override;
  std::optional<std::string> type_text(int32_t v, TypeKind t) const override;
  std::string lane(uint32_t a, std::string_view unit) const override;
  void objects(ViewPhase phase, std::vector<ObjectView>& out) const override;

 private:
  struct ReqInfo {
    bool created = false;
    bool pool = false;             ///< a slot of the pool WdfRequestCreate takes from at run time
    uint32_t queue = ast::kNone;   ///< arrival queue (received)
    uint32_t target = ast::kNone;  ///< created requests: their target
    uint32_t arrive_item = ast::kNone;
    uint32_t file = ast::kNone;  ///< the file handle it is sent on (Spec::files index)
    std::string name;
  };

  // ---- static description ----
  std::vector<ReqInfo> reqs_;
  std::vector<std::vector<uint32_t>> arrive_reqs_;  ///< per env item: its requests
  std::vector<uint32_t> stop_items_;                ///< env items that are `stop`, in order
  std::vector<bool> cancel_queue_;                  ///< per queue: originator may cancel
  uint32_t nreq_ = 0;
  bool symmetric_ = false;  ///< some `arrive` line brings two or more requests
  Region requests_, queues_, devices_, timers_, power_, files_, interrupts_, irq_lines_, targets_;
  std::vector<uint32_t> irq_line_of_;  ///< per env item: its index in irq_lines_ (interrupts)
  // ---- I/O targets (kmdf_targets.cpp) ----
  bool ext_ = false;     ///< the spec uses the I/O-target features: records have the extension
  uint32_t ext_at_ = 0;  ///< offset of the request record's extension
  uint32_t created_first_ = 0;         ///< index of the first declared created request
  uint32_t pool_first_ = 0;            ///< index of the first pool slot (WdfRequestCreate in code)
  uint32_t pool_size_ = 0;             ///< pool slots (KMDF_REQUEST_POOL, default kDefaultPool)
  std::vector<uint32_t> reader_of_;    ///< per target: its continuous reader's request, or kNone
  bool timeouts_ = false;              ///< some code sends with options (timeout actors exist)
  bool targets_dynamic_ = false;       ///< some code changes a target's state (no POR components)
  std::vector<uint32_t> file_device_;  ///< per file handle: the device it was opened on
  bool ready_notify_used_ = false;     ///< some code calls WdfIoQueueReadyNotify
  std::vector<uint32_t> env_cancel_of_;  ///< per request: actor number of its originator cancel
  std::vector<uint32_t> env_target_of_;  ///< per request: actor number of its lower driver
  bool sym_status_ = false;  ///< the status being completed is a term (a symbolic target)

  // ---- symmetry scratch (kept to avoid allocating per successor) ----
  std::vector<uint32_t> req_order_;    ///< canonicalize: old request of each new one
  std::vector<uint8_t> req_new_of_;    ///< canonicalize: new index of each request
  std::vector<std::string> req_keys_;  ///< canonicalize: sort key of each request
  /// Per request the descriptions of the callbacks referring to it, one description, one
  /// callback's requests.
  std::vector<std::vector<std::string>> req_views_;
  std::string req_view_;
  std::vector<uint32_t> view_count_;  ///< descriptions per request
  std::vector<uint32_t> req_refs_;
  std::vector<uint8_t> buf_;

  // ---- layout access ----
  uint8_t* req(uint32_t r) const { return s_ + requests_.at(r); }
  Place place(uint32_t r) const { return static_cast<Place>(req(r)[kRPlace]); }
  void set_place(uint32_t r, Place p) { req(r)[kRPlace] = static_cast<uint8_t>(p); }
  uint32_t flags(uint32_t r) const { return static_cast<uint32_t>(get32(req(r) + kRFlags)); }
  bool has(uint32_t r, uint32_t f) const { return (flags(r) & f) != 0; }
  /// The driver holds r: it owns it or has sent it to a target.
  bool held(uint32_t r) const {
    const Place p = place(r);
    return p == Place::Driver || p == Place::TargetPending || p == Place::TargetDelivered;
  }
  void set_flag(uint32_t r, uint32_t f, bool on = true) {
    uint32_t v = flags(r);
    set32(req(r) + kRFlags, static_cast<int32_t>(on ? (v | f) : (v & ~f)));
  }
  uint8_t* queue(uint32_t q) const { return s_ + queues_.at(q); }
  uint8_t* device(uint32_t d) const { return s_ + devices_.at(d); }
  void set_status(uint32_t r, int32_t v) {
    set32(req(r) + kRStatus, v);
    if (sym()) set_tag(req(r) + kRStatus, false);
  }
  /// The status being completed is a term: a symbolic completion status or target.
  bool status_symbolic() const { return sym_status_ || c_.sym_arg_.valid(); }

  /// A handle: request number + 1, and the epoch it was read at.
  int32_t handle(uint32_t r) const {
    return static_cast<int32_t>((r + 1) | (static_cast<uint32_t>(req(r)[kREpoch]) << 16));
  }
  /// The spec name of a created request denotes its current I/O: a handle with this epoch
  /// never goes stale; copying it into a variable pins the epoch of that moment.
  static constexpr uint32_t kCurrentEpoch = 0xFF;

  // ---- activities ----
  uint32_t spawn(ActKind kind, uint32_t fn, uint32_t subject, int32_t arg1, bool has_arg1);
  /// The lock of device d when its scope is the device (`sync_device`), else -1.
  int32_t device_sync_lock(uint32_t d) const;
  /// The synchronization lock a callback of `kind` on `subject` takes before it runs: a device
  /// d (0..D-1), a queue q (D + q), or -1 (kmdf_contexts.cpp).
  int32_t sync_lock(ActKind kind, uint32_t subject) const;
  /// The lock of a queue's callbacks under its device's scope (device or queue), or -1.
  int32_t queue_sync_lock(uint32_t q) const;
  /// The byte holding the owner (slot + 1) of synchronization lock `l`.
  uint8_t& sync_holder(int32_t l) const;
  /// Takes request r out of queue q for the driver (a retrieve call); returns its handle.
  int32_t retrieve(uint32_t q, uint32_t r);
  int32_t device_of_queue(uint32_t q) const { return static_cast<int32_t>(spec_.queues[q].device); }
  /// The request handlers of queue q a request of `type` may be presented to, with the type
  /// each fixes (an Unspecified request: every bound handler; a typed one: its own handler,
  /// else EvtIoDefault, else none).
  uint32_t io_handler_fns(uint32_t q, ast::IoType type, IoHandlers& out) const;
  uint32_t queue_handler(uint32_t q, std::string_view h) const;
  std::string place_text(uint32_t r) const;
  /// Where a request's rule findings point: its handler, else its queue (created: its line).
  SourceLoc handler_loc(uint32_t r) const;
  /// True for a received request not completed yet (queued, with the driver, at a target).
  bool received_pending(uint32_t r) const;

  // ---- requests (kmdf_requests.cpp) ----
  std::optional<uint32_t> check_handle(int32_t h, std::string_view api, const Instr& in,
                                       bool allow_completed);
  bool require_owned(uint32_t r, std::string_view api, const Instr& in);
  void complete(uint32_t r, int32_t status, bool by_framework);
  void drop_ref(uint32_t r);
  void free_request(uint32_t r);
  void release_current(uint32_t r);
  void queue_remove(uint32_t q, uint32_t r);
  void queue_push(uint32_t q, uint32_t r, bool at_head);
  void cancel_queued(uint32_t r);
  void originator_cancel(uint32_t r);
  void target_complete(uint32_t r, int32_t status);
  bool cancel_at_target(uint32_t r);
  bool queue_accepting(uint32_t q) const;
  /// The queue's callbacks are held by a power transition (no dispatch).
  bool power_held(uint32_t q) const;
  /// The queue is powered off (WdfIoQueueRetrieveNextRequest: STATUS_WDF_PAUSED).
  bool powered_off(uint32_t q) const;
  /// The power transition in progress acts on queue q.
  bool in_stage(uint32_t q) const;
  Power phase() const { return static_cast<Power>(s_[power_.offset + kPPhase]); }
  void set_phase(Power p) { s_[power_.offset + kPPhase] = static_cast<uint8_t>(p); }
  uint8_t& power_byte(PowerField f) const { return s_[power_.offset + f]; }
  /// Starts EvtRequestCancel for r, or holds it while EvtIoStop calls are being made.
  void start_cancel_routine(uint32_t r, uint32_t fn);
  /// The framework cancels driver-owned cancelable requests of queue q (a purge).
  void cancel_driver_cancelable(uint32_t q);
  /// The framework cancels every queued request of queue q.
  void cancel_all_queued(uint32_t q);
  Outcome misuse(const Instr& in, std::string msg, std::string obj = {}) {
    violation(RuleId::ApiMisuse, in.src, std::move(msg), std::move(obj));
    return Outcome::Violation;
  }

  // ---- API handlers (kmdf_api.cpp, kmdf_api_queue.cpp) ----
  Outcome api_send(ApiCall& call);
  Outcome api_complete(ApiCall& call);
  Outcome api_get_io_queue(ApiCall& call);
  Outcome api_cancelable(ApiCall& call);
  Outcome api_reuse(ApiCall& call);
  Outcome api_queue(ApiCall& call);
  Outcome api_object(ApiCall& call);
  Outcome api_queue_state(ApiCall& call);
  Outcome api_find(ApiCall& call);

  // ---- queue states (kmdf_queue_state.cpp) ----
  /// Requests the driver owns from queue q (FxIoQueue::m_DriverIoCount).
  uint32_t driver_owned(uint32_t q) const;
  /// The stop/purge of queue q has nothing left to wait for.
  bool queue_wait_done(uint32_t q, QueueWait w) const;
  RunResult env_queue_done(uint32_t q);
  /// A synchronous stop/purge/drain that `a` waits in is over (Module::wait_over for queues).
  bool queue_wait_over(uint32_t a);

  // ---- environment (kmdf_env.cpp) ----
  RunResult env_arrive(uint32_t item);
  RunResult env_dispatch(uint32_t q);
  RunResult env_cancel(uint32_t r);
  RunResult env_target(uint32_t r);
  RunResult env_stop();
  RunResult env_timer(uint32_t t);
  RunResult env_power();

  // ---- power and removal (kmdf_power.cpp) ----
  bool queue_dispatching(uint32_t q) const;
  void power_snapshot();
  RunResult power_notify_next();
  bool power_waiting() const;
  /// A power transition waits for a notified request that nothing will complete.
  bool stuck_power() const { return phase() == Power::Waiting && power_waiting(); }
  void power_done();
  void release_held_callbacks();
  void power_record(std::string action);
  /// Records a framework step of the trace: its event key, source and the one action.
  void framework_step(std::string event, const SourceRange& src, std::string action);
  /// The removal's purge of the queues of `next` (cancels, then EvtIoStop(Purge) calls).
  void start_purge_stage(Stage next);
  /// The function bound to device callback `h` on device d, ast::kNone when none.
  uint32_t device_handler(uint32_t d, std::string_view h) const;
  /// Starts device callback `h` on every device that binds it, with `state` (a
  /// WDF_POWER_DEVICE_STATE, EvtDeviceD0Entry/D0Exit) as its parameter when >= 0; false when
  /// no device binds it.
  bool spawn_device_callbacks(ActKind kind, std::string_view h, int32_t state = -1);
  /// A device callback the power path waits for is running.
  bool pnp_busy() const;

  // ---- I/O targets (kmdf_targets.cpp) ----
  /// The pool size when the spec sets no KMDF_REQUEST_POOL constant.
  static constexpr uint32_t kDefaultPool = 4;
  /// Reads the I/O-target features the program uses: pool slots and readers (build()).
  std::string build_targets();
  uint8_t* target(uint32_t t) const { return s_ + targets_.at(t); }
  TargetState target_state(uint32_t t) const {
    return static_cast<TargetState>(target(t)[kTState]);
  }
  Reader reader(uint32_t t) const { return static_cast<Reader>(target(t)[kTReader]); }
  void set_reader(uint32_t t, Reader v) { target(t)[kTReader] = static_cast<uint8_t>(v); }
  /// The request record's extension (ext_ only).
  uint8_t* rext(uint32_t r) const { return req(r) + ext_at_; }
  /// WdfRequestCreate in code: the next pool slot.
  Outcome api_create(ApiCall& call);
  /// WdfRequestSend (with its options) and WdfRequestSendAndForget.
  Outcome api_send_options(ApiCall& call);
  /// WdfIoTargetStart / Stop / Purge / GetState, WdfUsbTargetPipeConfigContinuousReader.
  Outcome api_target_state(ApiCall& call);
  /// Request r goes to target t (sent, or queued while t is stopped).
  void give_to_target(uint32_t r, uint32_t t, bool queued);
  /// The target's framework cancels every request sent to t (FxIoTarget::_CancelSentRequests).
  void cancel_sent_io(uint32_t t);
  /// Sends the continuous reader of target t (GotoStartState / ResubmitRepeater).
  void submit_reader(uint32_t t);
  /// The target completed reader request r with `status` (_FxUsbPipeRequestComplete).
  void reader_completed(uint32_t r, int32_t status);
  /// A reader callback of target t returned (resubmit, or the ReadersFailed answer).
  void reader_callback_done(uint32_t a, ActKind kind, uint32_t t, const Instr& in);
  /// Activity a waits in a synchronous send or a target stop/purge that is now over.
  bool target_wait_over(uint32_t a);
  RunResult env_timeout(uint32_t r);
  RunResult env_reader_failed(uint32_t t);
  /// What activity a waits for in a target call, for the deadlock message ("" if none).
  std::string target_wait_text(uint32_t a) const;

  // ---- file objects and ready notification (kmdf_files.cpp) ----
  RunResult env_close(uint32_t f);
  RunResult env_queue_ready(uint32_t q);
  Outcome api_files(ApiCall& call);
  /// A request was put in queue q: an empty manual queue owes a ready notification.
  void note_transition(uint32_t q);
  /// A callback of kind `kind` working on `subject` is running.
  bool running(ActKind kind, uint32_t subject) const;
  uint8_t& file_state(uint32_t f) const { return s_[files_.at(f)]; }

  // ---- execution contexts (kmdf_contexts.cpp) ----
  uint8_t* deferred(uint32_t t) const { return s_ + timers_.at(t); }
  uint8_t* interrupt(uint32_t i) const { return s_ + interrupts_.at(i); }
  void layout_contexts(Layout& layout);
  RunResult env_interrupt(uint32_t item);
  RunResult env_interrupt_dpc(uint32_t i);
  Outcome api_contexts(ApiCall& call);
  /// Activity `a` is the callback of timer / DPC / work item `t` (waiting for it deadlocks).
  bool own_callback(uint32_t a, uint32_t t) const;
  /// WdfTimerStop / WdfDpcCancel with Wait = TRUE: waits for the DPC-level callbacks.
  Outcome wait_for_dpcs(ApiCall& call, uint32_t t);
  /// A DPC-level callback (timer, DPC, EvtInterruptDpc) other than `self` is running.
  bool dpcs_running(uint32_t self) const;
  /// An activity waiting for timer/DPC/work item `t` may go on.
  bool deferred_wait_over(uint32_t t) const;
  /// The activity that runs at DISPATCH_LEVEL or above, and why ("" when it may be PASSIVE).
  std::string raised_irql(uint32_t a, bool& dirql) const;
  /// The activity holds a spin lock (a `lock` or an interrupt's); its name, else "".
  std::string spin_lock_held(uint32_t a) const;
  /// Releases the interrupt locks the finishing activity holds.
  void release_interrupt_locks(uint32_t a);

  // ---- reductions (kmdf_reduce.cpp) ----
  int32_t rename_handle(int32_t h, const std::vector<uint8_t>& new_of) const;
  void request_keys();
  void callback_views();
  void rename_requests();
  bool handle_escapes(uint32_t r) const;

  // ---- symbolic data (kmdf_view.cpp) ----
  void target_complete_symbolic(uint32_t r);
  SymTermId symbolic_stop_action(bool purge);
  void symbolic_stop_flags(uint32_t slot, uint32_t r, SymTermId action);
};

}  // namespace cc::kmdf
