#include "engine/semantics.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "engine/program.h"
#include "engine/sym.h"
#include "engine/sym_cancel_id.h"
#include "model/api.h"

namespace cc {
namespace {

/// Named constants from model/constants.def (k::STATUS_CANCELLED, ...).
namespace k {
#define CC_CONST(name, type, value) constexpr int32_t name = static_cast<int32_t>(value##U);
#include "model/constants.def"
#undef CC_CONST
}  // namespace k

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
enum ReqFlag : uint16_t {
  kCancelFlag = 1U << 0,        ///< sticky IRP cancel flag
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
};

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
  kRCtx = 16,
};

/// Activity kinds (who started it).
enum class ActKind : uint8_t {
  Thread,
  IoHandler,
  Stop,
  CanceledOnQueue,
  Cancel,
  Completion,
  Timer,
  FilterSend,          ///< FilterSendNetBufferLists (subject: an NBL)
  FilterSendComplete,  ///< FilterSendNetBufferListsComplete (subject: an NBL)
  FilterCancel,        ///< FilterCancelSendNetBufferLists (subject: a cancel_send line)
};

// ---- NDIS (docs/semantics/ndis.md) ----

/// Who owns a NET_BUFFER_LIST.
enum class NblOwner : uint8_t {
  Unallocated,  ///< a pool slot NdisAllocateNetBufferList has not handed out yet
  Above,        ///< the protocol has not sent it yet
  Filter,
  Below,  ///< sent to the miniport: the filter relinquished ownership
  ReturnedUp,
  Freed,  ///< NdisFreeNetBufferList (filter-allocated NBLs)
};

/// NBL record layout (bytes).
enum NblField : uint32_t {
  kNOwner = 0,
  kNFlags = 1,
  kNEpoch = 2,        ///< uses completed by the miniport (a reused NBL starts a new use)
  kNIdEpoch = 3,      ///< kNEpoch when its cancel id was last set
  kNCompletions = 4,  ///< NdisFSendNetBufferListsComplete calls on it
  kNMiniport = 5,     ///< Below: the miniport holding it
  kNCancelId = 8,
  kNStatus = 12,
  kNblStride = 16,
};
enum NblFlag : uint8_t {
  kNblAborted = 1,      ///< a cancel for its id reached the miniport while it was Below
  kNblCancelAimed = 2,  ///< the protocol cancelled its id before it was returned
  kNblInSend = 4,       ///< its FilterSendNetBufferLists call has not returned yet
};

/// Reading: how many NBLs NdisAllocateNetBufferList can hand out in one execution (the
/// state stays finite). The reference executor uses the same bound.
constexpr uint32_t kFilterNblPool = 3;
/// Reading (CR012): NdisGeneratePartialCancelId returns the 8-bit variable of this name (the
/// spec is one driver); the other drivers' partial ids are kOtherPartialIds 8-bit variables
/// "partial_id(other#K)", distinct from ours and from each other (docs/symbolic.md).
constexpr std::string_view kOwnPartialIdName = "partial_id";
/// One other driver suffices: a single id collides with one of K distinct other ids iff it
/// collides with one other id that differs from ours.
constexpr uint32_t kOtherPartialIds = 1;
/// Reading: NdisFSendNetBufferLists on an NBL the filter already returned upward makes it
/// complete by two paths (it comes back from the miniport and goes up again): CR001.
constexpr bool kSendAfterReturnIsDoubleCompletion = true;

// ---- APPC (docs/semantics/appc.md) ----

/// VCB and task record layouts (bytes).
enum VcbField : uint32_t { kVState = 0, kVTask = 1, kVRc = 4, kVcbStride = 8 };
enum class VcbState : uint8_t { Unallocated, Allocated, Freed };
enum TaskField : uint32_t {
  kTState = 0,
  kTVcb = 1,
  kTConv = 2,
  kTVerb = 3,
  kTFlags = 4,
  kTHandler = 5,  ///< code unit + 1 that first read its result (vcb_primary_rc)
  kTRc = 6,       ///< int16: AP_OK / AP_CANCELED
  kTaskStride = 8,
};
enum class TaskState : uint8_t { None, Outstanding, Completed, Reaped };
enum TaskFlag : uint8_t {
  kTaskSilent = 1,     ///< the partner will never answer (partner_may_not_answer)
  kTaskCancelled = 2,  ///< WinAPPCCancelAsyncRequest returned 0 for it
};
/// Reading: at most this many VCBs / verbs in one execution (both executors).
constexpr uint32_t kVcbPool = 4;
constexpr uint32_t kTaskPool = 4;
/// The spec constant that turns on the SNA Server 2.0-2.11 quirk (KB Q108071): a cancel of a
/// completed verb may return WAPPCINVALID instead of WAPPCALREADY (both outcomes explored).
constexpr std::string_view kSnaQuirkConst = "SNA_WAPPCINVALID_QUIRK";

/// True when an activity of this kind works on a request (its subject is a request index).
constexpr bool subject_is_request(ActKind k) {
  return k == ActKind::IoHandler || k == ActKind::Stop || k == ActKind::CanceledOnQueue ||
         k == ActKind::Cancel || k == ActKind::Completion;
}

/// Activity record layout (bytes).
enum ActField : uint32_t {
  kAUnit = 0,
  kAKind = 1,
  kASubject = 2,
  kAWait = 3,
  kAFlags = 4,
  kAAtomic = 5,
  kAPc = 6,
  kARegs = 8,
};
enum ActFlag : uint8_t { kStarted = 1, kNeedsSync = 2, kHoldsSync = 4, kInherited = 8 };

/// Environment actors.
enum class EnvKind : uint8_t {
  Arrive,
  Dispatch,
  Cancel,
  Target,
  Stop,
  Timer,
  ProtocolSend,    ///< index: send line
  ProtocolCancel,  ///< index: cancel_send line
  Miniport,        ///< index: NBL
  Partner,         ///< index: task (the APPC partner answers a verb)
};

struct EnvActor {
  EnvKind kind;
  uint32_t index;  ///< arrive item / queue / request / timer
};

constexpr uint8_t kNoQueue = 0xFF;
constexpr uint8_t kOrphanOwner = 0xFF;  ///< lock owner: a callback that returned holding it
constexpr uint32_t kNoSlot = UINT32_MAX;
constexpr uint32_t kLocalBudget = 1'000'000;
/// Local instructions one expansion of one actor may run over all its nondeterministic
/// branches together (`while (*) { if (*) { break; } }` has unboundedly many branches, each
/// short): past it the spec is a model limit, so an expansion ends in bounded time.
constexpr uint32_t kExpansionBudget = 8'000'000;
constexpr uint32_t kMaxSymForks = 256;  ///< symbolic branches one step may take

/// Nondeterministic choices of one transition, enumerated like an odometer.
class Oracle {
 public:
  uint16_t choose(uint16_t n) {
    if (pos_ < path_.size()) return path_[pos_++].first;
    path_.emplace_back(0, n);
    ++pos_;
    return 0;
  }
  void rewind() { pos_ = 0; }
  void clear() {
    path_.clear();
    pos_ = 0;
  }
  void truncate() { path_.resize(pos_); }
  bool next() {
    while (!path_.empty()) {
      auto& b = path_.back();
      if (b.first + 1 < b.second) {
        ++b.first;
        return true;
      }
      path_.pop_back();
    }
    return false;
  }

 private:
  std::vector<std::pair<uint16_t, uint16_t>> path_;
  std::size_t pos_ = 0;
};

/// What one transition said, for traces.
struct Record {
  std::string lane;
  std::string event;                 ///< replay key of the actor
  std::vector<std::string> choices;  ///< nondeterministic outcomes, in order
  std::vector<std::string> calls;    ///< API calls with their integer results
  ActorKind actor = ActorKind::Driver;
  std::vector<std::string> actions;
  std::vector<std::string> results;
  std::vector<std::string> notes;
  SourceRange src;
  bool has_src = false;
  /// Records the step's spec location unless one is recorded already.
  void first_src(SourceRange r) {
    if (!has_src) {
      src = r;
      has_src = true;
    }
  }
};

/// Infeasible: a symbolic branch side whose path condition is unsatisfiable (no successor).
enum class Outcome : uint8_t { Continue, Blocked, Violation, Finished, Pruned, Infeasible };
enum class RunResult : uint8_t { Disabled, Pruned, Done };

int32_t get32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void set32(uint8_t* p, int32_t v) {
  std::memcpy(p, &v, 4);
}
uint16_t get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void set16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}

bool is_list(TypeKind t) {
  return t == TypeKind::ListRequest || t == TypeKind::ListNbl;
}

/// A cancel id as a driver writes it: small ids in decimal, ids with a high byte in hex.
std::string id_text(int32_t id) {
  if (id >= 0 && id < 0x10000) return std::to_string(id);
  return fmt::format("0x{:08X}", static_cast<uint32_t>(id));
}

/// APPC return codes by name (WAPPCALREADY, AP_CANCELED, ...), else the number.
std::string appc_code_text(int32_t v) {
  for (std::string_view n : {"WAPPCALREADY", "WAPPCINVALID", "AP_OK", "AP_CANCELED"}) {
    const ConstantInfo* c = find_constant(n);
    if (c != nullptr && static_cast<int32_t>(c->value) == v) return std::string(n);
  }
  return std::to_string(v);
}

/// Verbs that may be issued while a receive is outstanding on the conversation
/// (docs/semantics/appc.md, WinAsyncAPPC).
bool verb_allowed_during_receive(int32_t verb) {
  for (int32_t v : {k::DEALLOCATE, k::GET_ATTRIBUTES, k::GET_TYPE, k::REQUEST_TO_SEND,
                    k::SEND_ERROR, k::TEST_RTS, k::TP_ENDED}) {
    if (v == verb) return true;
  }
  return false;
}
bool is_receive_verb(int32_t verb) {
  return verb == k::RECEIVE_AND_WAIT || verb == k::RECEIVE_AND_POST ||
         verb == k::MC_RECEIVE_AND_WAIT;
}

class KmdfSystem final : public TransitionSystem {
 public:
  KmdfSystem(const ast::Spec& spec, const SourceManager& sm, Program prog)
      : spec_(spec), sm_(sm), prog_(std::move(prog)) {}

  std::string build();

  std::size_t state_size() const override { return size_; }
  void initial_state(std::span<uint8_t> out) override;
  void successors(std::span<const uint8_t> state, SuccessorSink& sink) override;
  std::optional<Finding> end_state(std::span<const uint8_t> state) override;
  TraceStep describe(std::span<const uint8_t> before, Label label,
                     std::vector<uint8_t>& after) override;
  Explanation explain(const Finding& finding, std::span<const TraceStep> trace) override;
  ResultLoc result_loc(SourceLoc loc) const override;
  std::unique_ptr<TransitionSystem> clone() const override {
    // A copy would have its own term pool: symbolic systems stay on one thread.
    if (sym_) return nullptr;
    return std::make_unique<KmdfSystem>(*this);
  }
  /// Symbolic states keep a tag bit per word, which renumbering would scramble: no symmetry.
  /// Partial-order reduction needs the canonical slot order (two spawns commute only up to
  /// slot numbering), so it sorts the slots even when symmetry is off.
  void set_reductions(bool por, bool symmetry) override {
    symmetry_ = symmetry && !sym_;
    por_ = por && por_possible_;
    sort_slots_ = symmetry_ || por_;
  }
  bool persistent_successors(std::span<const uint8_t> state, SuccessorSink& sink) override;
  /// Packed form: the bytes before the callback slots, a bitmap of the occupied slots, each
  /// occupied slot's header and the registers of its function only, the bytes after.
  std::size_t pack(std::span<const uint8_t> state, uint8_t* out) const override;
  void unpack(std::span<const uint8_t> packed, std::span<uint8_t> state) const override;
  void canonicalize(std::span<uint8_t> state) override {
    s_ = state.data();
    if (symmetry_) canonicalize_requests();
    if (sort_slots_) canonicalize_slots();
    s_ = nullptr;
  }
  bool symbolic() const override { return sym_; }
  void set_decider(SymDecider* decider) override { decider_ = decider; }
  std::string undecided() const override { return undecided_; }

 private:
  // ---- static description ----
  struct NblInfo {
    std::string name;
    bool from_protocol = false;
    uint32_t filter = 0;
    uint32_t send_item = ast::kNone;  ///< the send line that hands it over
    int32_t protocol_id = 0;          ///< the cancel id the protocol set
  };
  struct ReqInfo {
    bool created = false;
    uint32_t queue = ast::kNone;   ///< arrival queue (received)
    uint32_t target = ast::kNone;  ///< created requests: their target
    uint32_t arrive_item = ast::kNone;
    std::string name;
  };

  const ast::Spec& spec_;
  const SourceManager& sm_;
  Program prog_;
  std::vector<ReqInfo> reqs_;
  std::vector<EnvActor> env_;
  std::vector<std::vector<uint32_t>> arrive_reqs_;  ///< per env item: its requests
  std::vector<uint32_t> stop_items_;                ///< env items that are `stop`
  std::vector<bool> cancel_queue_;                  ///< per queue: originator may cancel
  int32_t timer_device_ = -1;                       ///< sync device timers belong to
  uint32_t nreq_ = 0, nact_ = 0;
  uint32_t req_base_ = 0, req_stride_ = 0, queue_base_ = 0, queue_stride_ = 0;
  uint32_t device_base_ = 0, lock_base_ = 0, event_base_ = 0, timer_base_ = 0;
  uint32_t global_base_ = 0, env_base_ = 0, act_base_ = 0, act_stride_ = 0;
  std::vector<uint32_t> global_off_;
  std::size_t size_ = 0;
  // NDIS / APPC
  std::vector<NblInfo> nbls_;
  uint32_t nnbl_ = 0, nbl_base_ = 0, ndis_env_base_ = 0;
  uint32_t nvcb_ = 0, ntask_ = 0, vcb_base_ = 0, task_base_ = 0, conv_base_ = 0, msg_base_ = 0;
  bool sna_quirk_ = false;

  bool symmetry_ = true;    ///< interchangeable requests renumbered (canonicalize_requests)
  bool sort_slots_ = true;  ///< callback slots kept in canonical order (canonicalize_slots)
  // Partial-order reduction (docs/decisions.md, "Reductions").
  bool por_ = false;
  /// Local instructions left for the current expansion over all its branches (kExpansionBudget).
  uint32_t expansion_budget_ = 0;
  bool por_possible_ = false;  ///< the spec allows request components at all (no `stop`)
  /// Per unit, per pc: every instruction reachable from pc touches only the request whose
  /// handle the activity holds (request_local()).
  std::vector<std::vector<bool>> local_from_;
  std::vector<bool> fn_local_;           ///< per fn: its unit is local from its entry
  std::vector<uint32_t> env_cancel_of_;  ///< per request: actor number of its originator cancel
  std::vector<uint32_t> env_target_of_;  ///< per request: actor number of its lower driver
  std::vector<uint32_t> por_actors_;     ///< persistent_successors: the component's actors
  std::vector<uint32_t> reg_count_;      ///< per unit: registers of its frame (pack/unpack)

  // ---- per-transition scratch ----
  uint8_t* s_ = nullptr;
  std::vector<uint32_t> slot_order_;   ///< canonicalize_slots: old slot of each new one
  std::vector<uint32_t> req_order_;    ///< canonicalize_requests: old request of each new one
  std::vector<uint8_t> req_new_of_;    ///< canonicalize_requests: new index of each request
  std::vector<std::string> req_keys_;  ///< canonicalize_requests: sort key of each request
  /// canonicalize_requests scratch (kept to avoid allocating per successor): per request the
  /// descriptions of the callbacks referring to it, one description, one callback's requests.
  std::vector<std::vector<std::string>> req_views_;
  std::string req_view_;
  std::vector<uint32_t> view_count_;  ///< canonicalize_requests: descriptions per request
  std::vector<uint32_t> req_refs_;
  std::vector<uint8_t> slot_bytes_;  ///< canonicalize_slots: the records in their new order
  Oracle oracle_;
  std::optional<Finding> finding_;
  Record* rec_ = nullptr;
  uint32_t self_ = kNoSlot;
  std::vector<uint8_t> scratch_;

  // ---- layout access ----
  uint8_t* req(uint32_t r) const { return s_ + req_base_ + r * req_stride_; }
  Place place(uint32_t r) const { return static_cast<Place>(req(r)[kRPlace]); }
  void set_place(uint32_t r, Place p) { req(r)[kRPlace] = static_cast<uint8_t>(p); }
  uint16_t flags(uint32_t r) const { return get16(req(r) + kRFlags); }
  bool has(uint32_t r, uint16_t f) const { return (flags(r) & f) != 0; }
  void set_flag(uint32_t r, uint16_t f, bool on = true) {
    uint16_t v = flags(r);
    set16(req(r) + kRFlags, on ? (v | f) : (v & ~f));
  }
  uint8_t* queue(uint32_t q) const { return s_ + queue_base_ + q * queue_stride_; }
  uint8_t* device(uint32_t d) const { return s_ + device_base_ + d * 2; }
  uint8_t* act(uint32_t a) const { return s_ + act_base_ + a * act_stride_; }
  int32_t reg(uint32_t a, Reg r) const { return get32(act(a) + kARegs + 4U * r.value); }
  void set_reg(uint32_t a, Reg r, int32_t v) {
    set32(act(a) + kARegs + 4U * r.value, v);
    if (sym_) set_tag(act(a) + kARegs + 4U * r.value, false);
  }
  uint8_t* global(uint32_t g) const { return s_ + global_base_ + global_off_[g]; }
  uint8_t* nbl(uint32_t n) const { return s_ + nbl_base_ + n * kNblStride; }
  NblOwner owner(uint32_t n) const { return static_cast<NblOwner>(nbl(n)[kNOwner]); }
  void set_owner(uint32_t n, NblOwner o) { nbl(n)[kNOwner] = static_cast<uint8_t>(o); }
  uint8_t* vcb(uint32_t v) const { return s_ + vcb_base_ + v * kVcbStride; }
  uint8_t* task(uint32_t t) const { return s_ + task_base_ + t * kTaskStride; }
  TaskState task_state(uint32_t t) const { return static_cast<TaskState>(task(t)[kTState]); }
  VcbState vcb_state(uint32_t v) const { return static_cast<VcbState>(vcb(v)[kVState]); }
  std::string task_name(uint32_t t) const { return fmt::format("task#{}", t + 1); }
  std::string vcb_name(uint32_t v) const { return fmt::format("vcb#{}", v + 1); }

  /// A handle: request number + 1, and the epoch it was read at.
  int32_t handle(uint32_t r) const {
    return static_cast<int32_t>((r + 1) | (static_cast<uint32_t>(req(r)[kREpoch]) << 16));
  }
  /// The spec name of a created request denotes its current I/O: a handle with this epoch
  /// never goes stale; copying it into a variable pins the epoch of that moment.
  static constexpr uint32_t kCurrentEpoch = 0xFF;
  int32_t pin(int32_t h) const {
    uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
    if (h == 0 || ((static_cast<uint32_t>(h) >> 16) & 0xFF) != kCurrentEpoch || r >= nreq_)
      return h;
    return handle(r);
  }

  // ---- naming ----
  std::string fn_name(uint32_t fn) const {
    return fn < spec_.fns.size() ? spec_.fns[fn].name : "?";
  }
  std::string lane_of(uint32_t a) const;
  std::string render(int32_t v, TypeKind t) const;
  std::string place_text(uint32_t r) const;
  /// "g" for a global, "req#1->field" for a context field (as the trace shows the lvalue).
  std::string shared_loc_text(uint32_t a, const Loc& l) const {
    if (l.kind == LocKind::Global) return spec_.globals[l.index].name;
    return fmt::format("{}->{}", render(reg(a, l.base), TypeKind::Request),
                       spec_.context[l.index].name);
  }
  std::string owner_text(uint8_t owner) const {
    if (owner == 0) return "nobody";
    if (owner == kOrphanOwner) return "a callback that returned without releasing it";
    return lane_of(owner - 1u);
  }
  std::vector<ObjectView> objects() const;

  // ---- recording ----
  bool recording() const { return rec_ != nullptr; }
  void note(std::string text) {
    if (rec_) rec_->notes.push_back(std::move(text));
  }
  /// Takes a nondeterministic choice among n outcomes; `token(i)` names outcome i in traces.
  template <typename F>
  uint16_t choose(uint16_t n, F token) {
    uint16_t c = n > 1 ? oracle_.choose(n) : 0;
    if (rec_) rec_->choices.push_back(token(c));
    return c;
  }
  void violation(RuleId rule, SourceRange src, std::string msg, std::string object = {}) {
    if (!finding_) finding_ = Finding{rule, src.begin, std::move(msg), std::move(object)};
  }

  // ---- partial-order reduction ----
  /// True when `in` touches nothing shared but the request whose handle the activity holds
  /// (registers, that request's record, context and lower-driver I/O); `callbacks_local`
  /// says whether every function a request API may start is itself local.
  static bool request_local(const Instr& in, bool callbacks_local);
  /// Computes local_from_, fn_local_ and the per-request environment actors.
  void build_por();
  /// True when request r and the activities working on it form a component no other actor
  /// can touch from now on, and that touches nothing else; fills por_actors_ with its actors.
  bool closed_component(uint32_t r);
  /// True when some register, global or context field outside r's component holds r.
  bool handle_escapes(uint32_t r) const;
  /// Runs one actor on `state`, delivering its successors; returns how many.
  uint32_t successors_of(std::span<const uint8_t> state, SuccessorSink& sink, uint32_t actor);

  // ---- transitions ----
  RunResult run_actor(uint32_t actor);
  /// Symmetry of activities: which callback slot an activity occupies means nothing, so
  /// after every transition the occupied slots are sorted by their bytes (empty ones last)
  /// and every slot reference (lock owners, device sync owners, waits) is renamed.
  void canonicalize_slots();
  /// Symmetry of requests: the requests of one `arrive` line are interchangeable, so after
  /// every transition they are sorted by their records (and the callbacks working on them)
  /// and every request reference is renamed: handles in registers, globals, lists and
  /// context fields, queue entries and callback subjects.
  void canonicalize_requests();
  /// Renames the request in handle `h` (epoch kept; NULL stays NULL).
  int32_t rename_handle(int32_t h, const std::vector<uint8_t>& new_of) const;
  RunResult run_activity(uint32_t a);
  RunResult run_env(const EnvActor& e);
  Outcome exec(uint32_t a, const CodeUnit& u, const Instr& in);
  Outcome exec_api(uint32_t a, const CodeUnit& u, const Instr& in);
  Outcome finish(uint32_t a, const Instr& in);
  uint32_t spawn(ActKind kind, uint32_t fn, uint32_t subject, int32_t arg1, bool has_arg1);
  int32_t* loc_ptr(uint32_t a, const Loc& l, const Instr& in, const char* what, bool& bad);

  // request helpers
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
  int32_t device_of_queue(uint32_t q) const { return static_cast<int32_t>(spec_.queues[q].device); }
  uint32_t io_handler_fns(uint32_t q, std::array<uint32_t, 4>& out) const;
  uint32_t queue_handler(uint32_t q, std::string_view h) const;

  // NDIS / APPC helpers
  uint32_t free_slot() const;
  /// Takes a free slot for `fn` as an activity of `kind` about `subject` (kNoSlot = none).
  uint32_t occupy(ActKind kind, uint32_t fn, uint32_t subject);
  uint32_t filter_handler(uint32_t f, std::string_view h) const;
  void spawn_ndis(ActKind kind, uint32_t fn, uint32_t subject, int32_t arg0, int32_t arg1);
  RunResult run_ndis_env(const EnvActor& e);
  RunResult run_appc_env(const EnvActor& e);
  /// NDIS / APPC calls: `ret` receives the result; `rec_at` is the call's trace slot.
  Outcome exec_ndis(const Instr& in, const std::array<int32_t, 4>& arg, int32_t& ret,
                    std::size_t rec_at);
  Outcome exec_appc(uint32_t a, const CodeUnit& u, const Instr& in,
                    const std::array<int32_t, 4>& arg, int32_t& ret, std::size_t rec_at);
  /// Sets an API call's result and, when recording, its text and `calls` entry.
  void api_result(const Instr& in, std::size_t rec_at, int32_t v, int32_t& ret) {
    ret = v;
    if (rec_) {
      const ApiInfo& info = api_info(in.api());
      rec_->results[rec_at] = render(v, info.result);
      rec_->calls.back() = fmt::format("{}={}", info.name, v);
    }
  }
  std::optional<uint32_t> nbl_handle(int32_t h, std::string_view api, const Instr& in);
  std::optional<uint32_t> vcb_handle(int32_t h, std::string_view api, const Instr& in);
  bool cancel_send_enabled(uint32_t item) const;
  bool send_enabled(uint32_t item) const;
  void post_completion(uint32_t t, int32_t rc, const Instr* in);
  std::string nbl_place(uint32_t n) const;
  // ---- symbolic data (docs/symbolic.md, "Execution"). A 4-byte word of the state holds a
  // SymTermId instead of a value when its tag bit is set; the tag bitmap and the interned
  // path-condition id follow the rest of the state (only for specs with symbolic data).
  bool sym_ = false;
  uint32_t sym_base_ = 0;  ///< [u32 path-condition id][1 tag bit per 4-byte word before it]
  SymPool pool_;
  std::vector<PathCondition> pcs_;                              ///< interned; 0 = TRUE
  std::unordered_map<uint64_t, std::vector<uint32_t>> pc_ids_;  ///< hash -> ids
  std::unordered_map<std::string, uint32_t> var_ids_;           ///< variable name -> SymVarId
  SymDecider* decider_ = nullptr;
  std::string undecided_;
  bool sym_status_ = false;  ///< the status being completed/returned is a term (complete())
  SymTermId sym_render_;     ///< render() shows this term for its id (during one API call)
  uint32_t sym_forks_ = 0;   ///< symbolic forks in the current step (bounded: kMaxSymForks)
  bool sym_result_ = false;  ///< exec_api's result is a term id (WdfRequestGetStatus)
  /// The symbolic cancel id passed to NDIS_SET_NET_BUFFER_LIST_CANCEL_ID (during that call).
  SymTermId sym_cancel_id_;

  bool tagged(const uint8_t* p) const {
    if (!sym_) return false;
    auto w = static_cast<uint32_t>(p - s_) / 4;
    return ((s_[sym_base_ + 4 + w / 8] >> (w % 8)) & 1U) != 0;
  }
  void set_tag(const uint8_t* p, bool on) {
    auto w = static_cast<uint32_t>(p - s_) / 4;
    uint8_t& b = s_[sym_base_ + 4 + w / 8];
    b = static_cast<uint8_t>(on ? (b | (1U << (w % 8))) : (b & ~(1U << (w % 8))));
  }
  void set_status(uint32_t r, int32_t v) {
    set32(req(r) + kRStatus, v);
    if (sym_) set_tag(req(r) + kRStatus, false);
  }
  uint8_t* reg_ptr(uint32_t a, Reg r) const { return act(a) + kARegs + 4U * r.value; }
  SymTermId term_at(const uint8_t* p);
  void put_term(uint8_t* p, SymTermId t);
  SymTermId sym_var(const std::string& name, unsigned width);
  const PathCondition& path_condition() const { return pcs_[get32(s_ + sym_base_)]; }
  void set_path_condition(const PathCondition& pc);
  bool feasible(const PathCondition& pc);
  SymTermId cond_of(SymTermId t);
  /// Splits the step on a symbolic condition as a branch does: oracle choice 1 takes
  /// `on_one`, 0 takes `on_zero` (its negation). Returns whether choice 1 was taken, with the
  /// path condition updated, or nullopt when that side is infeasible (the execution is dropped).
  std::optional<bool> sym_split(SymTermId on_one, SymTermId on_zero);
  std::string slot_text(const uint8_t* p, TypeKind t) const;
  std::optional<Outcome> exec_symbolic(uint32_t a, const CodeUnit& u, const Instr& in);
  std::vector<std::pair<std::string, std::string>> symbolic_values();
  std::string build_symbolic();
  /// An 8-bit partial cancel id variable (NdisGeneratePartialCancelId's or another driver's).
  SymTermId partial_id_var(std::string_view name);
  /// CR012: can `id`, set on NBL `n`, collide with another driver's cancel id?
  Outcome check_cancel_id_collision(uint32_t n, SymTermId id, const Instr& in);
  /// The cancel id of NBL `n` as traces show it (a term when symbolic).
  std::string nbl_id_text(uint32_t n) const;
  void target_complete_symbolic(uint32_t r);
  SymTermId symbolic_stop_action(bool purge);
  void symbolic_stop_flags(uint32_t slot, uint32_t r, SymTermId action);
};

// ======================================================================= construction

std::string KmdfSystem::build() {
  // Requests: arrivals in environment order, then created requests.
  arrive_reqs_.resize(spec_.environment.size());
  cancel_queue_.assign(spec_.queues.size(), false);
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    const ast::EnvItem& it = spec_.environment[i];
    switch (it.kind) {
      case ast::EnvKind::Arrive:
        if (it.count_value < 0 || it.count_value > 200) {
          return fmt::format("arrive count {} is outside 0..200", it.count_value);
        }
        for (int64_t n = 0; n < it.count_value; ++n) {
          arrive_reqs_[i].push_back(static_cast<uint32_t>(reqs_.size()));
          reqs_.push_back({.queue = it.object,
                           .arrive_item = i,
                           .name = fmt::format("req#{}", reqs_.size() + 1)});
        }
        break;
      case ast::EnvKind::Cancel:
        for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
          if (it.any || it.object == q) cancel_queue_[q] = true;
        }
        break;
      case ast::EnvKind::Stop:
        stop_items_.push_back(i);
        break;
      case ast::EnvKind::Send:
        if (it.count_value < 0 || it.count_value > 60) {
          return fmt::format("send count {} is outside 0..60", it.count_value);
        }
        for (int64_t n = 0; n < it.count_value; ++n) {
          nbls_.push_back({.name = fmt::format("nbl#{}", nbls_.size() + 1),
                           .from_protocol = true,
                           .filter = it.object,
                           .send_item = i,
                           .protocol_id = static_cast<int32_t>(it.cancel_id_value)});
        }
        break;
      case ast::EnvKind::CancelSend:
        break;
    }
  }
  // NBLs the filter may allocate, tasks and VCBs: fixed pools when the program uses them.
  bool allocates = false, verbs = false, vcbs = false;
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op != Op::Api) continue;
      allocates |= in.api() == ApiId::NdisAllocateNetBufferList;
      verbs |= in.api() == ApiId::WinAsyncAPPC;
      vcbs |= in.api() == ApiId::vcb_alloc;
    }
  }
  if (allocates) {
    for (uint32_t n = 0; n < kFilterNblPool; ++n) {
      nbls_.push_back({.name = fmt::format("nbl#{}", nbls_.size() + 1)});
    }
  }
  nnbl_ = static_cast<uint32_t>(nbls_.size());
  if (nnbl_ > 60) return "more than 60 NBLs";
  ntask_ = verbs ? kTaskPool : 0;
  nvcb_ = vcbs ? kVcbPool : 0;
  for (const ast::ConstDecl& c : spec_.consts) {
    if (c.name == kSnaQuirkConst) sna_quirk_ = c.folded != 0;
  }
  for (const ast::CreatedRequestDecl& c : spec_.requests) {
    reqs_.push_back({.created = true, .target = c.target, .name = c.name});
  }
  nreq_ = static_cast<uint32_t>(reqs_.size());
  if (nreq_ > 200) return "more than 200 requests";

  for (std::size_t d = 0; d < spec_.devices.size(); ++d) {
    if (spec_.devices[d].sync_device) {
      timer_device_ = static_cast<int32_t>(d);
      break;
    }
  }
  for (const ast::VarDecl& f : spec_.context) {
    if (is_list(f.type)) return "lists in the request context are not supported";
  }

  // Activities: threads + timers + up to four callbacks per request.
  uint64_t acts = spec_.threads.size() + spec_.timers.size() + 4ULL * nreq_ + 1 + 2ULL * nnbl_;
  for (const ast::EnvItem& it : spec_.environment) acts += it.kind == ast::EnvKind::CancelSend;
  if (acts > 250) return "too many concurrent activities (more than 250)";
  nact_ = static_cast<uint32_t>(acts);

  // Layout.
  std::size_t off = 0;
  req_base_ = 0;
  req_stride_ = kRCtx + 4 * static_cast<uint32_t>(spec_.context.size());
  off += static_cast<std::size_t>(req_stride_) * nreq_;
  queue_base_ = static_cast<uint32_t>(off);
  queue_stride_ = 2 + nreq_;
  off += static_cast<std::size_t>(queue_stride_) * spec_.queues.size();
  device_base_ = static_cast<uint32_t>(off);
  off += 2 * spec_.devices.size();
  lock_base_ = static_cast<uint32_t>(off);
  off += spec_.locks.size();
  event_base_ = static_cast<uint32_t>(off);
  off += spec_.events.size();
  timer_base_ = static_cast<uint32_t>(off);
  off += spec_.timers.size();
  env_base_ = static_cast<uint32_t>(off);  // [stop happened][execution infeasible]
  off += 2;
  ndis_env_base_ = static_cast<uint32_t>(off);  // per environment line: cancel_send happened
  off += spec_.environment.size();
  conv_base_ = static_cast<uint32_t>(off);  // per conversation: 1 = closed by a cancel
  off += spec_.conversations.size();
  msg_base_ = static_cast<uint32_t>(off);  // [count][task, ...]: the application's queue
  off += 1 + ntask_;
  off = (off + 3) & ~std::size_t{3};
  nbl_base_ = static_cast<uint32_t>(off);
  off += static_cast<std::size_t>(kNblStride) * nnbl_;
  vcb_base_ = static_cast<uint32_t>(off);
  off += static_cast<std::size_t>(kVcbStride) * nvcb_;
  task_base_ = static_cast<uint32_t>(off);
  off += static_cast<std::size_t>(kTaskStride) * ntask_;
  global_base_ = static_cast<uint32_t>(off);
  uint32_t goff = 0;
  for (const ast::VarDecl& g : spec_.globals) {
    global_off_.push_back(goff);
    goff += 4 * (is_list(g.type) ? 1 + prog_.list_capacity : 1);
  }
  off += goff;
  act_base_ = static_cast<uint32_t>(off);
  act_stride_ = kARegs + 4 * prog_.max_regs;
  off += static_cast<std::size_t>(act_stride_) * nact_;
  size_ = off;
  if (std::string why = build_symbolic(); !why.empty()) return why;
  if (size_ > (1U << 20)) return "the state of this spec would exceed 1 MiB";

  // Environment actors in a fixed order.
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind == ast::EnvKind::Arrive) env_.push_back({EnvKind::Arrive, i});
  }
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    std::array<uint32_t, 4> fns{};
    if (spec_.queues[q].dispatch != ast::Dispatch::Manual && io_handler_fns(q, fns) > 0) {
      env_.push_back({EnvKind::Dispatch, q});
    }
  }
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (!reqs_[r].created && cancel_queue_[reqs_[r].queue]) env_.push_back({EnvKind::Cancel, r});
  }
  for (uint32_t r = 0; r < nreq_; ++r) env_.push_back({EnvKind::Target, r});
  if (!stop_items_.empty()) env_.push_back({EnvKind::Stop, 0});
  for (uint32_t t = 0; t < spec_.timers.size(); ++t) env_.push_back({EnvKind::Timer, t});
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind == ast::EnvKind::Send) env_.push_back({EnvKind::ProtocolSend, i});
  }
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    const ast::EnvItem& it = spec_.environment[i];
    if (it.kind != ast::EnvKind::CancelSend) continue;
    bool repeated = false;  // a second line for the same filter and id adds nothing
    for (uint32_t j = 0; j < i; ++j) {
      const ast::EnvItem& o = spec_.environment[j];
      repeated |= o.kind == ast::EnvKind::CancelSend && o.object == it.object &&
                  o.cancel_id_value == it.cancel_id_value;
    }
    if (!repeated) env_.push_back({EnvKind::ProtocolCancel, i});
  }
  for (uint32_t n = 0; n < nnbl_; ++n) env_.push_back({EnvKind::Miniport, n});
  for (uint32_t t = 0; t < ntask_; ++t) env_.push_back({EnvKind::Partner, t});
  if (nact_ + env_.size() > UINT16_MAX) return "too many actors";
  static_assert(kOrphanOwner > 250, "activity numbers must not reach the orphan marker");
  build_por();
  por_ = por_possible_;
  for (const CodeUnit& u : prog_.units)
    reg_count_.push_back(static_cast<uint32_t>(u.reg_types.size()));
  scratch_.resize(size_);
  return {};
}

uint32_t KmdfSystem::io_handler_fns(uint32_t q, std::array<uint32_t, 4>& out) const {
  uint32_t n = 0;
  for (const char* h : {"EvtIoDefault", "EvtIoRead", "EvtIoWrite", "EvtIoDeviceControl"}) {
    uint32_t fn = queue_handler(q, h);
    if (fn != ast::kNone) out[n++] = fn;
  }
  return n;
}

uint32_t KmdfSystem::queue_handler(uint32_t q, std::string_view h) const {
  for (const ast::HandlerBinding& b : spec_.queues[q].handlers) {
    if (b.handler == h) return b.fn;
  }
  return ast::kNone;
}

void KmdfSystem::initial_state(std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  s_ = out.data();
  for (uint32_t r = 0; r < nreq_; ++r) {
    req(r)[kRSrcQueue] = kNoQueue;
    if (reqs_[r].created) {
      set_place(r, Place::Driver);
      req(r)[kRRefs] = 1;
    }
    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      const ast::VarDecl& fd = spec_.context[f];
      auto init = static_cast<int32_t>(fd.init_value);
      set32(req(r) + kRCtx + 4 * f, init);
    }
  }
  for (std::size_t t = 0; t < spec_.timers.size(); ++t) {
    s_[timer_base_ + t] = spec_.timers[t].manual ? 0 : 1;
  }
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const ast::VarDecl& gd = spec_.globals[g];
    if (gd.symbolic) {
      put_term(global(static_cast<uint32_t>(g)), sym_var(gd.name, gd.width));
    } else if (!is_list(gd.type)) {
      set32(global(static_cast<uint32_t>(g)), static_cast<int32_t>(gd.init_value));
    }
  }
  for (uint32_t n = 0; n < nnbl_; ++n) {
    set_owner(n, nbls_[n].from_protocol ? NblOwner::Above : NblOwner::Unallocated);
    set32(nbl(n) + kNCancelId, nbls_[n].protocol_id);
  }
  for (uint32_t t = 0; t < spec_.threads.size(); ++t) {
    uint8_t* a = act(t);
    a[kAUnit] = static_cast<uint8_t>(prog_.unit_of_thread[t] + 1);
    a[kAKind] = static_cast<uint8_t>(ActKind::Thread);
  }
  s_ = nullptr;
}

// ======================================================================= successors

void KmdfSystem::successors(std::span<const uint8_t> state, SuccessorSink& sink) {
  if (state[env_base_ + 1] != 0) return;  // an assume() failed: this execution does not exist
  auto actors = static_cast<uint32_t>(nact_ + env_.size());
  for (uint32_t actor = 0; actor < actors; ++actor) successors_of(state, sink, actor);
}

uint32_t KmdfSystem::successors_of(std::span<const uint8_t> state, SuccessorSink& sink,
                                   uint32_t actor) {
  // Empty slots and activities waiting for an inline cancel routine cannot move: skip them
  // before copying the state.
  if (actor < nact_ && (state[act_base_ + actor * act_stride_ + kAUnit] == 0 ||
                        state[act_base_ + actor * act_stride_ + kAWait] != 0)) {
    return 0;
  }
  uint32_t delivered = 0;
  oracle_.clear();
  expansion_budget_ = kExpansionBudget;
  uint16_t branch = 0;
  do {
    oracle_.rewind();
    std::memcpy(scratch_.data(), state.data(), size_);
    s_ = scratch_.data();
    finding_.reset();
    RunResult r = run_actor(actor);
    oracle_.truncate();
    if (r == RunResult::Pruned) {
      // Keep the label numbering; the successor is a leaf that no check looks at.
      std::memcpy(scratch_.data(), state.data(), size_);
      scratch_[env_base_ + 1] = 1;
      r = RunResult::Done;
    }
    if (r == RunResult::Done) {
      sink.on_successor(Label{static_cast<uint16_t>(actor), branch}, scratch_,
                        finding_ ? &*finding_ : nullptr);
      ++delivered;
    }
    ++branch;
  } while (oracle_.next());
  s_ = nullptr;
  return delivered;
}

// ======================================================================= packing

std::size_t KmdfSystem::pack(std::span<const uint8_t> state, uint8_t* out) const {
  const uint8_t* s = state.data();
  uint8_t* o = out;
  std::memcpy(o, s, act_base_);
  o += act_base_;
  uint8_t* bitmap = o;
  const uint32_t map_bytes = (nact_ + 7) / 8;
  std::memset(bitmap, 0, map_bytes);
  o += map_bytes;
  for (uint32_t a = 0; a < nact_; ++a) {
    const uint8_t* p = s + act_base_ + std::size_t(a) * act_stride_;
    if (p[kAUnit] == 0) continue;  // an empty slot is all zero
    bitmap[a / 8] = static_cast<uint8_t>(bitmap[a / 8] | (1U << (a % 8)));
    // Registers past the function's own are never written, so they are zero.
    const std::size_t bytes = kARegs + 4 * reg_count_[p[kAUnit] - 1u];
    std::memcpy(o, p, bytes);
    o += bytes;
  }
  const std::size_t tail = act_base_ + std::size_t(nact_) * act_stride_;
  std::memcpy(o, s + tail, size_ - tail);
  o += size_ - tail;
  return static_cast<std::size_t>(o - out);
}

void KmdfSystem::unpack(std::span<const uint8_t> packed, std::span<uint8_t> state) const {
  const uint8_t* in = packed.data();
  uint8_t* s = state.data();
  std::memcpy(s, in, act_base_);
  in += act_base_;
  const uint8_t* bitmap = in;
  in += (nact_ + 7) / 8;
  std::memset(s + act_base_, 0, std::size_t(nact_) * act_stride_);
  for (uint32_t a = 0; a < nact_; ++a) {
    if (((bitmap[a / 8] >> (a % 8)) & 1U) == 0) continue;
    uint8_t* p = s + act_base_ + std::size_t(a) * act_stride_;
    const std::size_t bytes = kARegs + 4 * reg_count_[in[kAUnit] - 1u];
    std::memcpy(p, in, bytes);
    in += bytes;
  }
  const std::size_t tail = act_base_ + std::size_t(nact_) * act_stride_;
  std::memcpy(s + tail, in, size_ - tail);
}

// ======================================================================= partial order

bool KmdfSystem::request_local(const Instr& in, bool callbacks_local) {
  if (in.accesses_loc()) return in.loc.kind != LocKind::Global;
  switch (in.op) {
    case Op::CreatedRef:  // a created request is everybody's
    case Op::Symbolic:
      return false;
    case Op::Api:
      if (in.loc.kind == LocKind::Global) return false;
      switch (api_info(in.api()).footprint) {  // declared in model/api.def
        case ApiFootprint::OwnRequest:
          return true;
        case ApiFootprint::OwnRequestCallback:
          return callbacks_local;
        case ApiFootprint::Shared:
          return false;
      }
      return false;
    default:  // register computation, control flow, assert/assume, atomic, return
      return true;
  }
}

void KmdfSystem::build_por() {
  por_possible_ = stop_items_.empty() && !sym_;
  const std::size_t nunits = prog_.units.size();
  // Functions a request API may start: every function name used as a value.
  std::vector<bool> callback_unit(nunits, false);
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op == Op::Const && in.a.value < u.reg_types.size() &&
          u.reg_types[in.a.value] == TypeKind::Fn && in.imm >= 0 &&
          static_cast<std::size_t>(in.imm) < prog_.unit_of_fn.size() &&
          prog_.unit_of_fn[static_cast<std::size_t>(in.imm)] != ast::kNone) {
        callback_unit[prog_.unit_of_fn[static_cast<std::size_t>(in.imm)]] = true;
      }
    }
  }
  // Two passes: first assume the callbacks are local, then require it.
  bool callbacks_local = true;
  for (int pass = 0; pass < 2; ++pass) {
    local_from_.assign(nunits, {});
    for (std::size_t ui = 0; ui < nunits; ++ui) {
      const CodeUnit& u = prog_.units[ui];
      std::vector<bool>& lf = local_from_[ui];
      lf.assign(u.code.size(), true);
      // local_from[pc] = local(pc) && local_from[every successor of pc]: iterate to the
      // greatest fixpoint (bodies are small; loops converge in a few sweeps).
      for (std::size_t pc = 0; pc < u.code.size(); ++pc) {
        lf[pc] = request_local(u.code[pc], callbacks_local);
      }
      for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t pc = u.code.size(); pc-- > 0;) {
          if (!lf[pc]) continue;
          const Instr& in = u.code[pc];
          bool ok = true;
          const bool falls = in.op != Op::Jump && in.op != Op::Return;
          const bool jumps = in.op == Op::Jump || in.op == Op::JumpIfZero ||
                             in.op == Op::JumpIfNonZero || in.op == Op::Nondet;
          if (falls && pc + 1 < u.code.size()) ok = ok && lf[pc + 1];
          if (jumps && in.target < u.code.size()) ok = ok && lf[in.target];
          if (!ok) {
            lf[pc] = false;
            changed = true;
          }
        }
      }
    }
    bool all = true;
    for (std::size_t ui = 0; ui < nunits; ++ui) {
      if (callback_unit[ui] && (local_from_[ui].empty() || !local_from_[ui][0])) all = false;
    }
    if (pass == 0 && all) break;  // consistent: the assumption holds
    callbacks_local = false;
  }
  fn_local_.assign(spec_.fns.size(), false);
  for (std::size_t f = 0; f < spec_.fns.size(); ++f) {
    const uint32_t ui = f < prog_.unit_of_fn.size() ? prog_.unit_of_fn[f] : ast::kNone;
    fn_local_[f] = ui != ast::kNone && !local_from_[ui].empty() && local_from_[ui][0];
  }
  env_cancel_of_.assign(nreq_, UINT32_MAX);
  env_target_of_.assign(nreq_, UINT32_MAX);
  for (std::size_t i = 0; i < env_.size(); ++i) {
    const auto actor = static_cast<uint32_t>(nact_ + i);
    if (env_[i].kind == EnvKind::Cancel) env_cancel_of_[env_[i].index] = actor;
    if (env_[i].kind == EnvKind::Target) env_target_of_[env_[i].index] = actor;
  }
}

bool KmdfSystem::handle_escapes(uint32_t r) const {
  const auto holds = [r](int32_t v) {
    return v != 0 && (static_cast<uint32_t>(v) & 0xFFFF) == r + 1;
  };
  // Globals and other requests' context fields of request type.
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const TypeKind t = spec_.globals[g].type;
    if (t != TypeKind::Request && t != TypeKind::ListRequest) continue;
    const uint32_t words = t == TypeKind::ListRequest ? 1 + prog_.list_capacity : 1;
    for (uint32_t w = 0; w < words; ++w) {
      if (holds(get32(global(static_cast<uint32_t>(g)) + 4 * w))) return true;
    }
  }
  for (std::size_t f = 0; f < spec_.context.size(); ++f) {
    if (spec_.context[f].type != TypeKind::Request) continue;
    for (uint32_t o = 0; o < nreq_; ++o) {
      const int32_t v = get32(req(o) + kRCtx + 4 * f);
      // Its own context may name only itself: the component never sees another request.
      if (o == r ? (v != 0 && !holds(v)) : holds(v)) return true;
    }
  }
  // Registers: activities outside the component must not hold it, those inside must hold
  // nothing else.
  for (uint32_t a = 0; a < nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const bool inside =
        subject_is_request(static_cast<ActKind>(p[kAKind])) && p[kASubject] == r + 1;
    const CodeUnit& u = prog_.units[p[kAUnit] - 1u];
    for (std::size_t i = 0; i < u.reg_types.size(); ++i) {
      const TypeKind t = u.reg_types[i];
      if (t != TypeKind::Request && t != TypeKind::ListRequest) continue;
      const std::size_t words = t == TypeKind::ListRequest ? 1 + prog_.list_capacity : 1;
      for (std::size_t w = 0; w < words && i + w < u.reg_types.size(); ++w) {
        const int32_t v = get32(p + kARegs + 4 * (i + w));
        if (inside ? (v != 0 && !holds(v) && !(t == TypeKind::ListRequest && w == 0)) : holds(v)) {
          return true;
        }
      }
    }
  }
  return false;
}

bool KmdfSystem::closed_component(uint32_t r) {
  por_actors_.clear();
  if (reqs_[r].created) return false;
  const Place pl = place(r);
  if (pl == Place::NotArrived || pl == Place::Queued) return false;  // the queue is shared
  // Completing the current request of a sequential queue lets the next one be dispatched.
  const uint8_t q = req(r)[kRSrcQueue];
  if (q != kNoQueue && queue(q)[1] == r + 1) return false;
  for (const uint8_t fn : {req(r)[kRCancelFn], req(r)[kRComplFn]}) {
    if (fn != 0 && !fn_local_[fn - 1u]) return false;
  }
  for (uint32_t a = 0; a < nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const bool inside =
        subject_is_request(static_cast<ActKind>(p[kAKind])) && p[kASubject] == r + 1;
    const uint8_t waits = p[kAWait];
    if (!inside) {
      // Nobody outside may be waiting for a callback of the component.
      if (waits != 0 && act(waits - 1u)[kASubject] == r + 1 &&
          subject_is_request(static_cast<ActKind>(act(waits - 1u)[kAKind]))) {
        return false;
      }
      continue;
    }
    if ((p[kAFlags] & (kNeedsSync | kHoldsSync)) != 0) return false;
    if (!local_from_[p[kAUnit] - 1u][get16(p + kAPc)]) return false;
    for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
      if (s_[lock_base_ + l] == a + 1) return false;
    }
    por_actors_.push_back(a);
  }
  if (handle_escapes(r)) return false;
  if (env_cancel_of_[r] != UINT32_MAX) por_actors_.push_back(env_cancel_of_[r]);
  if (env_target_of_[r] != UINT32_MAX) por_actors_.push_back(env_target_of_[r]);
  return true;
}

namespace {

/// Forwards a persistent set's successors and notes whether one of them ends its execution:
/// a violating transition (the explorer does not continue past a checked finding, and an
/// unchecked one leaves a state the cycle proviso does not look at) or a discarded one
/// (assume() false). Such a set cannot stand for the other actors: they could still move
/// first, and whatever they reach would be lost (docs/decisions.md, "Reductions").
class EndsSink final : public SuccessorSink {
 public:
  EndsSink(SuccessorSink& out, std::size_t pruned_at) : out_(out), pruned_at_(pruned_at) {}
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override {
    ends_ = ends_ || finding != nullptr || state[pruned_at_] != 0;
    out_.on_successor(label, state, finding);
  }
  bool ends() const { return ends_; }

 private:
  SuccessorSink& out_;
  std::size_t pruned_at_;
  bool ends_ = false;
};

}  // namespace

bool KmdfSystem::persistent_successors(std::span<const uint8_t> state, SuccessorSink& sink) {
  if (!por_ || state[env_base_ + 1] != 0) return false;
  for (uint32_t r = 0; r < nreq_; ++r) {
    s_ = const_cast<uint8_t*>(state.data());  // read only: closed_component() inspects
    const bool closed = closed_component(r);
    s_ = nullptr;
    if (!closed) continue;
    uint32_t delivered = 0;
    EndsSink guard(sink, env_base_ + 1);
    for (const uint32_t actor : por_actors_) delivered += successors_of(state, guard, actor);
    if (guard.ends()) return false;  // expand fully: the caller discards what was delivered
    if (delivered != 0) return true;
  }
  return false;
}

TraceStep KmdfSystem::describe(std::span<const uint8_t> before, Label label,
                               std::vector<uint8_t>& after) {
  after.assign(before.begin(), before.end());
  oracle_.clear();
  expansion_budget_ = kExpansionBudget;
  uint16_t branch = 0;
  do {
    oracle_.rewind();
    std::memcpy(after.data(), before.data(), size_);
    s_ = after.data();
    finding_.reset();
    Record rec;
    rec_ = branch == label.choice ? &rec : nullptr;
    if (label.actor < nact_) rec.lane = rec.event = lane_of(label.actor);
    RunResult r = run_actor(label.actor);
    rec_ = nullptr;
    oracle_.truncate();
    if (branch == label.choice) {
      if (r == RunResult::Pruned) {
        std::memcpy(after.data(), before.data(), size_);
        after[env_base_ + 1] = 1;
        rec.notes.emplace_back("assume() is false: this execution is discarded");
        r = RunResult::Done;
      }
      if (r != RunResult::Done) break;
      TraceStep step;
      step.activity = label.actor;
      step.activity_name = rec.lane;
      step.actor = rec.actor;
      step.choice = label.choice;
      step.event = rec.event;
      step.choices = rec.choices;
      step.calls = rec.calls;
      for (std::size_t i = 0; i < rec.actions.size(); ++i) {
        if (i) step.action += "; ";
        step.action += rec.actions[i];
      }
      for (std::size_t i = 0; i < rec.results.size(); ++i) {
        if (rec.results[i].empty()) continue;
        if (!step.result.empty()) step.result += "; ";
        step.result += rec.results[i];
      }
      for (std::size_t i = 0; i < rec.notes.size(); ++i) {
        if (i) step.note += "; ";
        step.note += rec.notes[i];
      }
      if (rec.has_src) step.loc = result_loc(rec.src.begin);
      step.objects = objects();
      if (sym_) step.symbolic_values = symbolic_values();
      s_ = nullptr;
      return step;
    }
    ++branch;
  } while (oracle_.next());
  s_ = nullptr;
  throw std::logic_error(
      fmt::format("trace label (actor {}, choice {}) does not apply", label.actor, label.choice));
}

RunResult KmdfSystem::run_actor(uint32_t actor) {
  sym_forks_ = 0;
  const RunResult r = actor < nact_ ? run_activity(actor) : run_env(env_.at(actor - nact_));
  if (r == RunResult::Done) {
    if (symmetry_) canonicalize_requests();
    if (sort_slots_) canonicalize_slots();
  }
  return r;
}

int32_t KmdfSystem::rename_handle(int32_t h, const std::vector<uint8_t>& new_of) const {
  const auto u = static_cast<uint32_t>(h);
  const uint32_t r = (u & 0xFFFF) - 1;
  if (h == 0 || r >= nreq_) return h;
  return static_cast<int32_t>((u & ~0xFFFFU) | (new_of[r] + 1U));
}

void KmdfSystem::canonicalize_requests() {
  bool any = false;
  for (const std::vector<uint32_t>& cls : arrive_reqs_) any = any || cls.size() > 1;
  if (!any) return;
  // Sort key of a request, invariant under renumbering: its record, where it stands in each
  // queue, which globals hold it, and what each callback referring to it is doing (the
  // callback's bytes with every request handle reduced to "this one", "another" or NULL),
  // those descriptions sorted.
  req_keys_.resize(nreq_);
  for (uint32_t r = 0; r < nreq_; ++r) {
    req_keys_[r].assign(reinterpret_cast<const char*>(req(r)), req_stride_);
    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      if (spec_.context[f].type == TypeKind::Request) {
        std::memset(req_keys_[r].data() + kRCtx + 4 * f, 0, 4);
      }
    }
  }
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    const uint8_t* p = queue(q);
    for (uint32_t i = 0; i < p[0]; ++i) {
      std::string& key = req_keys_[p[2 + i]];
      key += 'Q';
      key.push_back(static_cast<char>(q));
      key.push_back(static_cast<char>(i));
    }
    if (p[1] != 0) (req_keys_[p[1] - 1u] += 'S').push_back(static_cast<char>(q));
  }
  const auto mark = [](int32_t h, uint32_t self) -> char {
    if (h == 0) return 'n';
    return ((static_cast<uint32_t>(h) & 0xFFFF) - 1 == self) ? 's' : 'o';
  };
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const TypeKind t = spec_.globals[g].type;
    const uint8_t* w = global(static_cast<uint32_t>(g));
    if (t == TypeKind::Request) {
      const int32_t h = get32(w);
      const uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
      if (h != 0 && r < nreq_) {
        std::string& key = req_keys_[r];
        key += 'G';
        key.append(reinterpret_cast<const char*>(&g), sizeof g);
        key.push_back(static_cast<char>(static_cast<uint32_t>(h) >> 16));
      }
    } else if (t == TypeKind::ListRequest) {
      const auto n = static_cast<uint32_t>(get32(w));
      for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
        const int32_t h = get32(w + 4 * k);
        const uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
        if (h != 0 && r < nreq_) {
          std::string& key = req_keys_[r];
          key += 'L';
          key.append(reinterpret_cast<const char*>(&g), sizeof g);
          key.push_back(static_cast<char>(k));
        }
      }
    }
  }
  // Per request, the first view_count_[r] strings of views[r] are this state's descriptions
  // (the strings are reused from one call to the next, so no allocation once warm).
  std::vector<std::vector<std::string>>& views = req_views_;
  views.resize(nreq_);
  view_count_.assign(nreq_, 0);
  std::string& view = req_view_;
  for (uint32_t a = 0; a < nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const CodeUnit& u = prog_.units[p[kAUnit] - 1u];
    const auto kind = static_cast<ActKind>(p[kAKind]);
    const bool subject = p[kASubject] != 0 && subject_is_request(kind);
    // The requests this callback refers to.
    std::vector<uint32_t>& refs = req_refs_;
    refs.clear();
    if (subject) refs.push_back(p[kASubject] - 1u);
    for (uint32_t i = 0; i < u.reg_types.size(); ++i) {
      const auto add = [&](int32_t h) {
        const uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
        if (h != 0 && r < nreq_) refs.push_back(r);
      };
      if (u.reg_types[i] == TypeKind::Request) add(reg(a, Reg{static_cast<uint16_t>(i)}));
      if (u.reg_types[i] == TypeKind::ListRequest) {
        const auto n = static_cast<uint32_t>(reg(a, Reg{static_cast<uint16_t>(i)}));
        for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
          add(reg(a, Reg{static_cast<uint16_t>(i + k)}));
        }
      }
    }
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    for (const uint32_t self : refs) {
      view.assign(reinterpret_cast<const char*>(p), kARegs);
      view[kAWait] = p[kAWait] != 0 ? 1 : 0;
      view[kASubject] = subject ? mark(static_cast<int32_t>(p[kASubject]), self) : 0;
      for (uint32_t i = 0; i < u.reg_types.size(); ++i) {
        const int32_t v = reg(a, Reg{static_cast<uint16_t>(i)});
        if (u.reg_types[i] == TypeKind::Request) {
          view.push_back(mark(v, self));
          view.push_back(static_cast<char>(static_cast<uint32_t>(v) >> 16));
        } else if (u.reg_types[i] == TypeKind::ListRequest) {
          const auto n = static_cast<uint32_t>(v);
          view.push_back(static_cast<char>(n));
          for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
            view.push_back(mark(reg(a, Reg{static_cast<uint16_t>(i + k)}), self));
          }
          i += prog_.list_capacity;
        } else {
          view.append(reinterpret_cast<const char*>(act(a) + kARegs + 4 * i), 4);
        }
      }
      std::vector<std::string>& mine = views[self];
      if (view_count_[self] == mine.size()) mine.emplace_back();
      mine[view_count_[self]++].assign(view);
    }
  }
  for (uint32_t r = 0; r < nreq_; ++r) {
    const auto end = views[r].begin() + static_cast<std::ptrdiff_t>(view_count_[r]);
    std::sort(views[r].begin(), end);
    for (auto v = views[r].begin(); v != end; ++v) (req_keys_[r] += 'A').append(*v);
  }
  req_new_of_.resize(nreq_);
  for (uint32_t r = 0; r < nreq_; ++r) req_new_of_[r] = static_cast<uint8_t>(r);
  bool moved = false;
  for (const std::vector<uint32_t>& cls : arrive_reqs_) {
    if (cls.size() < 2) continue;
    req_order_.assign(cls.begin(), cls.end());
    std::stable_sort(req_order_.begin(), req_order_.end(),
                     [this](uint32_t x, uint32_t y) { return req_keys_[x] < req_keys_[y]; });
    for (std::size_t i = 0; i < cls.size(); ++i) {
      req_new_of_[req_order_[i]] = static_cast<uint8_t>(cls[i]);
      moved = moved || req_order_[i] != cls[i];
    }
  }
  if (!moved) return;

  // Records.
  std::vector<uint8_t>& buf = slot_bytes_;
  buf.assign(s_ + req_base_, s_ + req_base_ + std::size_t(nreq_) * req_stride_);
  for (uint32_t r = 0; r < nreq_; ++r) {
    std::memcpy(req(req_new_of_[r]), buf.data() + std::size_t(r) * req_stride_, req_stride_);
  }
  // Context fields holding requests.
  for (uint32_t r = 0; r < nreq_; ++r) {
    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      if (spec_.context[f].type != TypeKind::Request) continue;
      uint8_t* w = req(r) + kRCtx + 4 * f;
      set32(w, rename_handle(get32(w), req_new_of_));
    }
  }
  // Queue entries (their order is kept) and a sequential queue's current request.
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    uint8_t* p = queue(q);
    for (uint32_t i = 0; i < p[0]; ++i) p[2 + i] = req_new_of_[p[2 + i]];
    if (p[1] != 0) p[1] = static_cast<uint8_t>(req_new_of_[p[1] - 1u] + 1u);
  }
  // Callback subjects and request registers.
  for (uint32_t a = 0; a < nact_; ++a) {
    uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const auto kind = static_cast<ActKind>(p[kAKind]);
    if (p[kASubject] != 0 && subject_is_request(kind)) {
      p[kASubject] = static_cast<uint8_t>(req_new_of_[p[kASubject] - 1u] + 1u);
    }
    const CodeUnit& u = prog_.units[p[kAUnit] - 1u];
    for (uint32_t i = 0; i < u.reg_types.size(); ++i) {
      const Reg r{static_cast<uint16_t>(i)};
      if (u.reg_types[i] == TypeKind::Request) {
        set_reg(a, r, rename_handle(reg(a, r), req_new_of_));
      } else if (u.reg_types[i] == TypeKind::ListRequest) {
        const auto n = static_cast<uint32_t>(reg(a, r));
        for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
          const Reg e{static_cast<uint16_t>(i + k)};
          set_reg(a, e, rename_handle(reg(a, e), req_new_of_));
        }
      }
    }
  }
  // Globals.
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const TypeKind t = spec_.globals[g].type;
    uint8_t* w = global(static_cast<uint32_t>(g));
    if (t == TypeKind::Request) {
      set32(w, rename_handle(get32(w), req_new_of_));
    } else if (t == TypeKind::ListRequest) {
      const auto n = static_cast<uint32_t>(get32(w));
      for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
        set32(w + 4 * k, rename_handle(get32(w + 4 * k), req_new_of_));
      }
    }
  }
}

void KmdfSystem::canonicalize_slots() {
  const auto first = static_cast<uint32_t>(spec_.threads.size());
  if (nact_ < first + 2) return;
  // Only the occupied slots are sorted; they go first, the empty ones (all zero) after them.
  slot_order_.clear();
  for (uint32_t a = first; a < nact_; ++a) {
    if (act(a)[kAUnit] != 0) slot_order_.push_back(a);
  }
  const auto occupied = static_cast<uint32_t>(slot_order_.size());
  // The wait byte names another slot: compare only whether it is set.
  const auto less = [this](uint32_t x, uint32_t y) {
    const uint8_t* a = act(x);
    const uint8_t* b = act(y);
    if ((a[kAUnit] == 0) != (b[kAUnit] == 0)) return b[kAUnit] == 0;
    if (int c = std::memcmp(a, b, kAWait); c != 0) return c < 0;
    if ((a[kAWait] != 0) != (b[kAWait] != 0)) return a[kAWait] == 0;
    return std::memcmp(a + kAWait + 1, b + kAWait + 1, act_stride_ - kAWait - 1) < 0;
  };
  const bool packed_front = occupied == 0 || slot_order_.back() == first + occupied - 1;
  if (packed_front && std::is_sorted(slot_order_.begin(), slot_order_.end(), less)) return;
  std::stable_sort(slot_order_.begin(), slot_order_.end(), less);
  // new_of[old slot] = new slot (threads keep theirs; only occupied slots are referred to).
  std::array<uint8_t, 256> new_of{};
  for (uint32_t a = 0; a < nact_; ++a) new_of[a] = static_cast<uint8_t>(a);
  slot_bytes_.resize(std::size_t(occupied) * act_stride_);
  for (uint32_t i = 0; i < occupied; ++i) {
    new_of[slot_order_[i]] = static_cast<uint8_t>(first + i);
    std::memcpy(slot_bytes_.data() + std::size_t(i) * act_stride_, act(slot_order_[i]),
                act_stride_);
  }
  if (occupied != 0) std::memcpy(act(first), slot_bytes_.data(), slot_bytes_.size());
  std::memset(act(first + occupied), 0, std::size_t(nact_ - first - occupied) * act_stride_);
  const auto rename = [&new_of](uint8_t& ref) {
    if (ref != 0 && ref != kOrphanOwner) ref = static_cast<uint8_t>(new_of[ref - 1u] + 1u);
  };
  for (uint32_t a = 0; a < nact_; ++a) rename(act(a)[kAWait]);
  for (std::size_t l = 0; l < spec_.locks.size(); ++l) rename(s_[lock_base_ + l]);
  for (std::size_t d = 0; d < spec_.devices.size(); ++d)
    rename(device(static_cast<uint32_t>(d))[1]);
}

// ======================================================================= activities

std::string KmdfSystem::lane_of(uint32_t a) const {
  const uint8_t* p = act(a);
  if (p[kAUnit] == 0) return "?";
  const CodeUnit& u = prog_.units[p[kAUnit] - 1];
  auto kind = static_cast<ActKind>(p[kAKind]);
  if (kind == ActKind::FilterSend || kind == ActKind::FilterSendComplete) {
    return fmt::format("{}[{}]", u.name, nbls_[p[kASubject] - 1].name);
  }
  if (kind == ActKind::FilterCancel) {
    return fmt::format("{}[cancel_id {}]", u.name,
                       spec_.environment[p[kASubject] - 1u].cancel_id_value);
  }
  if (p[kASubject] != 0 && kind != ActKind::Timer && kind != ActKind::Thread) {
    return fmt::format("{}[{}]", u.name, reqs_[p[kASubject] - 1].name);
  }
  return u.name;
}

uint32_t KmdfSystem::occupy(ActKind kind, uint32_t fn, uint32_t subject) {
  const uint32_t slot = free_slot();
  uint8_t* p = act(slot);
  p[kAUnit] = static_cast<uint8_t>(prog_.unit_of_fn.at(fn) + 1);
  p[kAKind] = static_cast<uint8_t>(kind);
  p[kASubject] = static_cast<uint8_t>(subject == kNoSlot ? 0 : subject + 1);
  return slot;
}

uint32_t KmdfSystem::free_slot() const {
  for (uint32_t a = static_cast<uint32_t>(spec_.threads.size()); a < nact_; ++a) {
    if (act(a)[kAUnit] == 0) return a;
  }
  throw ModelLimit(fmt::format("more than {} activities at once", nact_));
}

void KmdfSystem::spawn_ndis(ActKind kind, uint32_t fn, uint32_t subject, int32_t arg0,
                            int32_t arg1) {
  const uint32_t slot = occupy(kind, fn, subject);
  const CodeUnit& u = prog_.units[act(slot)[kAUnit] - 1u];
  if (u.param_count >= 1) set_reg(slot, Reg{0}, arg0);
  if (u.param_count >= 2) set_reg(slot, Reg{1}, arg1);
  if (recording()) note(fmt::format("starts {}", lane_of(slot)));
}

uint32_t KmdfSystem::filter_handler(uint32_t f, std::string_view h) const {
  if (f >= spec_.filters.size()) return ast::kNone;
  for (const ast::HandlerBinding& b : spec_.filters[f].handlers) {
    if (b.handler == h) return b.fn;
  }
  return ast::kNone;
}

uint32_t KmdfSystem::spawn(ActKind kind, uint32_t fn, uint32_t subject, int32_t arg1,
                           bool has_arg1) {
  const uint32_t slot = occupy(kind, fn, subject);
  uint8_t* p = act(slot);
  const uint32_t unit = p[kAUnit] - 1u;
  int32_t dev = -1;
  if (kind == ActKind::Timer) {
    dev = timer_device_;
  } else if (kind != ActKind::Completion && kind != ActKind::Thread && subject != kNoSlot) {
    uint8_t q = req(subject)[kRSrcQueue];
    if (q != kNoQueue) dev = device_of_queue(q);
  }
  if (dev >= 0 && spec_.devices[static_cast<std::size_t>(dev)].sync_device) {
    p[kAFlags] |= kNeedsSync;
  }
  const CodeUnit& u = prog_.units[unit];
  if (subject != kNoSlot && u.param_count >= 1) set_reg(slot, Reg{0}, handle(subject));
  if (has_arg1 && u.param_count >= 2) set_reg(slot, Reg{1}, arg1);
  if (recording()) {
    std::string lane = lane_of(slot);
    if (rec_) note(fmt::format("starts {}", lane));
  }
  return slot;
}

RunResult KmdfSystem::run_activity(uint32_t a) {
  uint8_t* p = act(a);
  if (p[kAUnit] == 0 || p[kAWait] != 0) return RunResult::Disabled;
  const CodeUnit& u = prog_.units[p[kAUnit] - 1];
  self_ = a;
  if (rec_) rec_->actor = ActorKind::Driver;
  if ((p[kAFlags] & kStarted) == 0) {
    if ((p[kAFlags] & (kNeedsSync | kInherited)) == kNeedsSync) {
      uint8_t q = p[kASubject] ? req(p[kASubject] - 1u)[kRSrcQueue] : kNoQueue;
      int32_t dev = static_cast<ActKind>(p[kAKind]) == ActKind::Timer
                        ? timer_device_
                        : (q != kNoQueue ? device_of_queue(q) : -1);
      if (dev >= 0) {
        uint8_t* d = device(static_cast<uint32_t>(dev));
        if (d[1] != 0) return RunResult::Disabled;
        d[1] = static_cast<uint8_t>(a + 1);
        p[kAFlags] |= kHoldsSync;
      }
    }
    p[kAFlags] |= kStarted;
    if (static_cast<ActKind>(p[kAKind]) == ActKind::Cancel && p[kASubject] != 0) {
      // EvtRequestCancel has been called: from now on the ownership protocol decides.
      set_flag(p[kASubject] - 1u, kCancelStarted);
      set_flag(p[kASubject] - 1u, kUnmarkCancelled, false);
    }
  }
  bool visible_done = false;
  uint32_t budget = kLocalBudget;
  while (true) {
    uint16_t pc = get16(act(a) + kAPc);
    if (pc >= u.code.size()) throw std::logic_error("activity pc out of range");
    bool vis = u.visible(pc);
    if (vis && visible_done && act(a)[kAAtomic] == 0) break;
    const Instr& in = u.code[pc];
    if (vis && rec_) rec_->first_src(in.src);
    Outcome o = exec(a, u, in);
    switch (o) {
      case Outcome::Blocked:
        return RunResult::Disabled;
      case Outcome::Pruned:
        return RunResult::Pruned;
      case Outcome::Infeasible:
        return RunResult::Disabled;
      case Outcome::Violation:
        if (rec_) rec_->first_src(in.src);
        return RunResult::Done;
      case Outcome::Finished:
        if (finding_ && rec_) rec_->first_src(in.src);
        return RunResult::Done;
      case Outcome::Continue:
        break;
    }
    if (vis) visible_done = true;
    if (act(a)[kAWait] != 0) break;  // waits for an inline cancel routine
    if (--budget == 0) {
      throw ModelLimit(fmt::format(
          "{} ran {} local instructions without reaching a visible step (an endless loop?)",
          lane_of(a), kLocalBudget));
    }
    if (--expansion_budget_ == 0) {
      throw ModelLimit(fmt::format(
          "{} ran {} local instructions over its nondeterministic choices without every branch "
          "reaching a visible step (a local loop around 'if (*)' or 'while (*)' with no "
          "visible step?)",
          lane_of(a), kExpansionBudget));
    }
  }
  // The activity rests: forget what it will never read again.
  uint16_t rest = get16(act(a) + kAPc);
  for (uint32_t r = 0; r < u.reg_types.size(); ++r) {
    if (!u.live_at(rest, r)) set_reg(a, Reg{static_cast<uint16_t>(r)}, 0);
  }
  return RunResult::Done;
}

int32_t* KmdfSystem::loc_ptr(uint32_t a, const Loc& l, const Instr& in, const char* what,
                             bool& bad) {
  bad = false;
  switch (l.kind) {
    case LocKind::Reg:
      return reinterpret_cast<int32_t*>(act(a) + kARegs + 4 * l.index);
    case LocKind::Global:
      return reinterpret_cast<int32_t*>(global(l.index));
    case LocKind::Field: {
      auto r = check_handle(reg(a, l.base), what, in, true);
      if (!r) {
        bad = true;
        return nullptr;
      }
      return reinterpret_cast<int32_t*>(req(*r) + kRCtx + 4 * l.index);
    }
    case LocKind::None:
      break;
  }
  throw std::logic_error("instruction without an operand location");
}

// int32 values are accessed through memcpy-free pointers above only on 4-byte aligned
// offsets: registers, globals and context fields all start at multiples of 4.

Outcome KmdfSystem::exec(uint32_t a, const CodeUnit& u, const Instr& in) {
  uint16_t pc = get16(act(a) + kAPc);
  auto next = [&] { set16(act(a) + kAPc, static_cast<uint16_t>(pc + 1)); };
  auto jump = [&](uint32_t t) { set16(act(a) + kAPc, static_cast<uint16_t>(t)); };
  if (sym_) {
    if (std::optional<Outcome> o = exec_symbolic(a, u, in)) return *o;
  }
  switch (in.op) {
    case Op::Symbolic:  // handled by exec_symbolic (the spec is symbolic)
      throw std::logic_error("symbolic declaration in a concrete system");
    case Op::Const:
      set_reg(a, in.a, in.imm);
      break;
    case Op::Move: {
      int32_t v = reg(a, in.b);
      if (u.reg_types[in.a.value] == TypeKind::Request && !u.reg_names[in.a.value].empty()) {
        v = pin(v);
      }
      set_reg(a, in.a, v);
      break;
    }
    case Op::NtSuccess:
      set_reg(a, in.a, reg(a, in.b) >= 0 ? 1 : 0);
      break;
    case Op::CreatedRef: {
      auto r = static_cast<uint32_t>(nreq_ - spec_.requests.size()) + static_cast<uint32_t>(in.imm);
      set_reg(a, in.a, static_cast<int32_t>((r + 1) | (kCurrentEpoch << 16)));
      break;
    }
    case Op::Unary: {
      auto v = static_cast<uint32_t>(reg(a, in.b));
      uint32_t r = 0;
      switch (static_cast<ast::UnaryOp>(in.sub)) {
        case ast::UnaryOp::Not:
          r = v == 0 ? 1 : 0;
          break;
        case ast::UnaryOp::Neg:
          r = 0U - v;
          break;
        case ast::UnaryOp::BitNot:
          r = ~v;
          break;
      }
      set_reg(a, in.a, static_cast<int32_t>(r));
      break;
    }
    case Op::Binary: {
      int32_t x = reg(a, in.b);
      int32_t y = reg(a, in.c);
      auto ux = static_cast<uint32_t>(x);
      auto uy = static_cast<uint32_t>(y);
      uint32_t r = 0;
      switch (static_cast<ast::BinaryOp>(in.sub)) {
        case ast::BinaryOp::Add:
          r = ux + uy;
          break;
        case ast::BinaryOp::Sub:
          r = ux - uy;
          break;
        case ast::BinaryOp::Mul:
          r = ux * uy;
          break;
        case ast::BinaryOp::BitAnd:
          r = ux & uy;
          break;
        case ast::BinaryOp::BitOr:
          r = ux | uy;
          break;
        case ast::BinaryOp::BitXor:
          r = ux ^ uy;
          break;
        case ast::BinaryOp::Shl:
          r = uy >= 32 ? 0 : ux << uy;
          break;
        case ast::BinaryOp::Shr:
          r = uy >= 32 ? (x < 0 ? ~0U : 0U) : static_cast<uint32_t>(x >> uy);
          break;
        case ast::BinaryOp::Eq:
        case ast::BinaryOp::Ne:
          if (in.imm == 1) {  // handles: the same object whatever the epoch it was read at
            x &= 0xFFFF;
            y &= 0xFFFF;
          }
          r = (x == y) == (static_cast<ast::BinaryOp>(in.sub) == ast::BinaryOp::Eq);
          break;
        case ast::BinaryOp::Lt:
          r = x < y;
          break;
        case ast::BinaryOp::Le:
          r = x <= y;
          break;
        case ast::BinaryOp::Gt:
          r = x > y;
          break;
        case ast::BinaryOp::Ge:
          r = x >= y;
          break;
        case ast::BinaryOp::LogAnd:
          r = x != 0 && y != 0;
          break;
        case ast::BinaryOp::LogOr:
          r = x != 0 || y != 0;
          break;
      }
      set_reg(a, in.a, static_cast<int32_t>(r));
      break;
    }
    case Op::Jump:
      jump(in.target);
      return Outcome::Continue;
    case Op::JumpIfZero:
      if (reg(a, in.a) == 0) {
        jump(in.target);
        return Outcome::Continue;
      }
      break;
    case Op::JumpIfNonZero:
      if (reg(a, in.a) != 0) {
        jump(in.target);
        return Outcome::Continue;
      }
      break;
    case Op::Nondet:
      if (choose(2, [](uint16_t c) { return fmt::format("nondet:{}", c); }) == 1) {
        jump(in.target);
        return Outcome::Continue;
      }
      break;
    case Op::Assert:
      if (reg(a, in.a) == 0) {
        violation(RuleId::Assertion, in.src, fmt::format("assertion failed in {}", lane_of(a)));
        return Outcome::Violation;
      }
      break;
    case Op::Assume:
      if (reg(a, in.a) == 0) return Outcome::Pruned;
      break;
    case Op::AtomicBegin:
      ++act(a)[kAAtomic];
      break;
    case Op::AtomicEnd:
      if (act(a)[kAAtomic] > 0) --act(a)[kAAtomic];
      break;
    case Op::Load:
    case Op::Store: {
      bool bad = false;
      int32_t* p =
          loc_ptr(a, in.loc, in,
                  in.op == Op::Load ? "read of a context field" : "write of a context field", bad);
      if (bad) return Outcome::Violation;
      std::string what = rec_ ? shared_loc_text(a, in.loc) : std::string();
      TypeKind t = in.loc.kind == LocKind::Global  ? spec_.globals[in.loc.index].type
                   : in.loc.kind == LocKind::Field ? spec_.context[in.loc.index].type
                                                   : TypeKind::Int;
      if (in.op == Op::Load) {
        int32_t v;
        std::memcpy(&v, p, 4);
        set_reg(a, in.a, v);
        if (tagged(reinterpret_cast<const uint8_t*>(p))) set_tag(reg_ptr(a, in.a), true);
        if (rec_ && in.loc.shared()) {
          rec_->actions.push_back(fmt::format("read {}", what));
          rec_->results.push_back(slot_text(reinterpret_cast<const uint8_t*>(p), t));
        }
      } else {
        int32_t v = reg(a, in.b);
        if (t == TypeKind::Request) v = pin(v);
        std::memcpy(p, &v, 4);
        if (sym_) set_tag(reinterpret_cast<const uint8_t*>(p), tagged(reg_ptr(a, in.b)));
        if (rec_ && in.loc.shared()) {
          rec_->actions.push_back(
              fmt::format("{} = {}", what, slot_text(reinterpret_cast<const uint8_t*>(p), t)));
          rec_->results.emplace_back();
        }
      }
      break;
    }
    case Op::Interlocked: {
      bool bad = false;
      int32_t* p = loc_ptr(a, in.loc, in, api_info(in.api()).name.data(), bad);
      if (bad) return Outcome::Violation;
      int32_t old;
      std::memcpy(&old, p, 4);
      const Reg* args = u.args.data() + in.args_begin;
      int32_t nv = old;
      int32_t ret = 0;
      switch (in.api()) {
        case ApiId::InterlockedIncrement:
          nv = static_cast<int32_t>(static_cast<uint32_t>(old) + 1);
          ret = nv;
          break;
        case ApiId::InterlockedDecrement:
          nv = static_cast<int32_t>(static_cast<uint32_t>(old) - 1);
          ret = nv;
          break;
        case ApiId::InterlockedOr:
          nv = old | reg(a, args[0]);
          ret = old;
          break;
        default:  // InterlockedCompareExchange(&x, new, cmp)
          if (old == reg(a, args[1])) nv = reg(a, args[0]);
          ret = old;
          break;
      }
      std::memcpy(p, &nv, 4);
      set_reg(a, in.a, ret);
      if (rec_ && in.loc.shared()) {
        std::string what = shared_loc_text(a, in.loc);
        std::string extra;
        for (uint8_t i = 0; i < in.nargs; ++i) extra += fmt::format(", {}", reg(a, args[i]));
        rec_->actions.push_back(fmt::format("{}(&{}{})", api_info(in.api()).name, what, extra));
        rec_->results.push_back(std::to_string(ret));
        if (rec_) note(fmt::format("{}: {} -> {}", what, old, nv));
      }
      break;
    }
    case Op::ListPush:
    case Op::ListPop:
    case Op::ListRemove:
    case Op::ListEmpty:
    case Op::ListGet: {
      bool bad = false;
      int32_t* p = loc_ptr(a, in.loc, in, "list access", bad);
      if (bad) return Outcome::Violation;
      int32_t count;
      std::memcpy(&count, p, 4);
      int32_t* items = p + 1;
      auto cap = static_cast<int32_t>(prog_.list_capacity);
      std::string lname = in.loc.kind == LocKind::Global ? spec_.globals[in.loc.index].name
                                                         : u.reg_names[in.loc.index];
      TypeKind lt = in.loc.kind == LocKind::Global ? spec_.globals[in.loc.index].type
                                                   : u.reg_types[in.loc.index];
      TypeKind et = lt == TypeKind::ListNbl ? TypeKind::Nbl : TypeKind::Request;
      auto get_item = [&](int32_t i) {
        int32_t v;
        std::memcpy(&v, items + i, 4);
        return v;
      };
      auto put_item = [&](int32_t i, int32_t v) { std::memcpy(items + i, &v, 4); };
      auto set_count = [&](int32_t c) { std::memcpy(p, &c, 4); };
      std::string action;
      std::string result;
      switch (in.op) {
        case Op::ListPush: {
          if (count >= cap) {
            throw ModelLimit(fmt::format("list '{}' holds more than {} elements", lname, cap));
          }
          put_item(count, pin(reg(a, in.b)));
          set_count(count + 1);
          if (rec_) action = fmt::format("push({}, {})", lname, render(reg(a, in.b), et));
          break;
        }
        case Op::ListPop: {
          int32_t v = 0;
          if (count > 0) {
            v = get_item(0);
            for (int32_t i = 1; i < count; ++i) put_item(i - 1, get_item(i));
            put_item(count - 1, 0);
            set_count(count - 1);
          }
          set_reg(a, in.a, v);
          if (rec_) {
            action = fmt::format("pop({})", lname);
            result = render(v, et);
          }
          break;
        }
        case Op::ListRemove: {
          int32_t v = reg(a, in.b);
          int32_t found = 0;
          for (int32_t i = 0; i < count; ++i) {
            if (get_item(i) == v) {
              for (int32_t j = i + 1; j < count; ++j) put_item(j - 1, get_item(j));
              put_item(count - 1, 0);
              set_count(count - 1);
              found = 1;
              break;
            }
          }
          set_reg(a, in.a, found);
          if (rec_) {
            action = fmt::format("remove({}, {})", lname, render(v, et));
            result = found ? "TRUE" : "FALSE";
          }
          break;
        }
        case Op::ListEmpty:
          set_reg(a, in.a, count == 0 ? 1 : 0);
          if (rec_) {
            action = fmt::format("empty({})", lname);
            result = count == 0 ? "TRUE" : "FALSE";
          }
          break;
        default: {  // ListGet
          int32_t i = reg(a, in.b);
          bool ok = i >= 0 && i < count;
          set_reg(a, in.a, ok ? get_item(i) : 0);
          set_reg(a, in.c, ok ? 1 : 0);
          if (rec_) {
            action = fmt::format("{}[{}]", lname, i);
            result = ok ? render(get_item(i), et) : "end";
          }
          break;
        }
      }
      if (rec_ && in.loc.shared()) {
        rec_->actions.push_back(action);
        rec_->results.push_back(result);
      }
      break;
    }
    case Op::Api: {
      Outcome o = exec_api(a, u, in);
      if (o != Outcome::Continue) return o;
      if (act(a)[kAUnit] == 0) return Outcome::Finished;
      break;
    }
    case Op::Return:
      return finish(a, in);
  }
  next();
  return Outcome::Continue;
}

Outcome KmdfSystem::finish(uint32_t a, const Instr& in) {
  uint8_t* p = act(a);
  auto kind = static_cast<ActKind>(p[kAKind]);
  uint32_t subject = p[kASubject] ? p[kASubject] - 1u : kNoSlot;
  std::string lane = recording() || kind == ActKind::Stop ? lane_of(a) : std::string();
  if (rec_) {
    if (rec_->actions.empty()) {
      rec_->actions.emplace_back("returns");
      rec_->results.emplace_back();
    } else {
      note("returns");
    }
    rec_->first_src(in.src);
  }
  if ((p[kAFlags] & kHoldsSync) != 0) {
    for (std::size_t d = 0; d < spec_.devices.size(); ++d) {
      if (device(static_cast<uint32_t>(d))[1] == a + 1) device(static_cast<uint32_t>(d))[1] = 0;
    }
  }
  for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
    uint8_t& owner = s_[lock_base_ + l];
    if (owner == a + 1) {
      owner = kOrphanOwner;  // nobody can release it any more
      if (rec_) note(fmt::format("returns holding lock {}", spec_.locks[l].name));
    }
  }
  if (kind == ActKind::FilterSend && subject != kNoSlot) {
    nbl(subject)[kNFlags] &= static_cast<uint8_t>(~kNblInSend);  // the send call returned
  }
  std::memset(p, 0, act_stride_);
  for (uint32_t w = 0; sym_ && w < act_stride_; w += 4) set_tag(p + w, false);
  for (uint32_t b = 0; b < nact_; ++b) {
    if (act(b)[kAWait] == a + 1) act(b)[kAWait] = 0;
  }
  if (kind == ActKind::Stop && subject != kNoSlot) {
    bool handled = has(subject, kStopHandled);
    set_flag(subject, static_cast<uint16_t>(kInStop | kStopHandled), false);
    drop_ref(subject);  // the framework's hold across EvtIoStop
    if (!handled) {
      violation(RuleId::StopNotAcknowledged, in.src,
                fmt::format("{} returned without completing, cancelling or acknowledging {}", lane,
                            reqs_[subject].name),
                reqs_[subject].name);
      return Outcome::Violation;
    }
  }
  return Outcome::Finished;
}

// ======================================================================= requests

std::optional<uint32_t> KmdfSystem::check_handle(int32_t h, std::string_view api, const Instr& in,
                                                 bool allow_completed) {
  if (h == 0) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on a NULL request handle", api));
    return std::nullopt;
  }
  uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
  if (r >= nreq_) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on an invalid request handle", api));
    return std::nullopt;
  }
  const std::string& name = reqs_[r].name;
  if (place(r) == Place::Freed) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on {} after it was freed", api, name),
              name);
    return std::nullopt;
  }
  uint32_t epoch = (static_cast<uint32_t>(h) >> 16) & 0xFF;
  if (epoch != kCurrentEpoch && epoch != req(r)[kREpoch]) {
    violation(RuleId::UseAfterReuse, in.src,
              fmt::format("{} acts on {} through a handle read before WdfRequestReuse", api, name),
              name);
    return std::nullopt;
  }
  if (!allow_completed && place(r) == Place::Completed) {
    violation(RuleId::UseAfterFree, in.src,
              fmt::format("{} on {} after it was completed", api, name), name);
    return std::nullopt;
  }
  return r;
}

bool KmdfSystem::require_owned(uint32_t r, std::string_view api, const Instr& in) {
  Place p = place(r);
  if (p == Place::Driver) return true;
  const std::string& name = reqs_[r].name;
  std::string where;
  switch (p) {
    case Place::Queued:
      where =
          fmt::format("queued at {} (the framework owns it)", spec_.queues[req(r)[kRWhere]].name);
      break;
    case Place::TargetPending:
    case Place::TargetDelivered:
      where = fmt::format("at target {} (ownership was given away)",
                          spec_.targets[req(r)[kRWhere]].name);
      break;
    default:
      where = "completed";
      break;
  }
  violation(RuleId::UseAfterFree, in.src, fmt::format("{} on {} while it is {}", api, name, where),
            name);
  return false;
}

void KmdfSystem::free_request(uint32_t r) {
  set_place(r, Place::Freed);
  if (rec_) note(fmt::format("frees {}", reqs_[r].name));
}

void KmdfSystem::drop_ref(uint32_t r) {
  uint8_t& refs = req(r)[kRRefs];
  if (refs > 0) --refs;
  bool gone = place(r) == Place::Completed;
  if (refs == 0 && gone) free_request(r);
}

void KmdfSystem::release_current(uint32_t r) {
  uint8_t q = req(r)[kRSrcQueue];
  if (q != kNoQueue && queue(q)[1] == r + 1) queue(q)[1] = 0;
}

void KmdfSystem::complete(uint32_t r, int32_t status, bool by_framework) {
  uint8_t* p = req(r);
  ++p[kRCompletions];
  set32(p + kRStatus, status);
  if (sym_) set_tag(p + kRStatus, sym_status_);
  set_place(r, Place::Completed);
  p[kRCancelFn] = 0;
  release_current(r);
  if (has(r, kInStop)) set_flag(r, kStopHandled);
  set_flag(r, kUnmarkCancelled, false);
  if (rec_)
    note(fmt::format("{}completes {} with {}", by_framework ? "the framework " : "", reqs_[r].name,
                     render(status, TypeKind::Status)));
  drop_ref(r);
}

void KmdfSystem::queue_remove(uint32_t q, uint32_t r) {
  uint8_t* p = queue(q);
  uint8_t n = p[0];
  for (uint8_t i = 0; i < n; ++i) {
    if (p[2 + i] == r) {
      std::memmove(p + 2 + i, p + 3 + i, n - i - 1);
      p[2 + n - 1] = 0;
      p[0] = static_cast<uint8_t>(n - 1);
      return;
    }
  }
}

void KmdfSystem::queue_push(uint32_t q, uint32_t r, bool at_head) {
  uint8_t* p = queue(q);
  uint8_t n = p[0];
  if (at_head) {
    std::memmove(p + 3, p + 2, n);
    p[2] = static_cast<uint8_t>(r);
  } else {
    p[2 + n] = static_cast<uint8_t>(r);
  }
  p[0] = static_cast<uint8_t>(n + 1);
  set_place(r, Place::Queued);
  req(r)[kRWhere] = static_cast<uint8_t>(q);
}

bool KmdfSystem::queue_accepting(uint32_t q) const {
  return (device(static_cast<uint32_t>(device_of_queue(q)))[0] & 1) == 0;
}

void KmdfSystem::cancel_queued(uint32_t r) {
  uint32_t q = req(r)[kRWhere];
  queue_remove(q, r);
  uint32_t fn = queue_handler(q, "EvtIoCanceledOnQueue");
  if (fn != ast::kNone && has(r, kForwarded)) {
    set_place(r, Place::Driver);
    req(r)[kRSrcQueue] = static_cast<uint8_t>(q);
    if (rec_)
      note(fmt::format("the framework removes {} from {} and tells the driver", reqs_[r].name,
                       spec_.queues[q].name));
    spawn(ActKind::CanceledOnQueue, fn, r, 0, false);
  } else {
    if (rec_) note(fmt::format("cancelled while queued at {}", spec_.queues[q].name));
    complete(r, k::STATUS_CANCELLED, true);
  }
}

void KmdfSystem::target_complete(uint32_t r, int32_t status) {
  uint8_t* p = req(r);
  set_flag(r, kTargetCancelable, false);
  set32(p + kRStatus, status);
  if (sym_) set_tag(p + kRStatus, sym_status_);
  const std::string& tname = spec_.targets[p[kRWhere]].name;
  if (has(r, kForget)) {
    set_flag(r, kForget, false);
    set_place(r, Place::Driver);
    if (rec_) note(fmt::format("target {} finishes {} (sent and forgotten)", tname, reqs_[r].name));
    complete(r, status, true);
    return;
  }
  set_place(r, Place::Driver);
  if (rec_)
    note(fmt::format("target {} returns {} with {}", tname, reqs_[r].name,
                     render(status, TypeKind::Status)));
  if (p[kRComplFn] != 0) {
    uint32_t slot = spawn(ActKind::Completion, p[kRComplFn] - 1u, r, status, true);
    if (sym_status_ && prog_.units[act(slot)[kAUnit] - 1u].param_count >= 2) {
      set_tag(reg_ptr(slot, Reg{1}), true);
    }
  }
}

/// A cancel reaches a request at a target: returns true if it was cancelled at once.
bool KmdfSystem::cancel_at_target(uint32_t r) {
  set_flag(r, kCancelFlag);
  set_flag(r, kCancelAimed);
  if (place(r) == Place::TargetPending ||
      (place(r) == Place::TargetDelivered && has(r, kTargetCancelable))) {
    target_complete(r, k::STATUS_CANCELLED);
    return true;
  }
  return false;
}

void KmdfSystem::originator_cancel(uint32_t r) {
  set_flag(r, kOrigCancelled);
  set_flag(r, kCancelAimed);
  switch (place(r)) {
    case Place::Queued:
      cancel_queued(r);
      break;
    case Place::Driver: {
      set_flag(r, kCancelFlag);
      uint8_t fn = req(r)[kRCancelFn];
      if (fn != 0) {
        req(r)[kRCancelFn] = 0;
        set_flag(r, kFired);
        spawn(ActKind::Cancel, fn - 1u, r, 0, false);
      }
      break;
    }
    case Place::TargetPending:
    case Place::TargetDelivered:
      cancel_at_target(r);
      break;
    default:
      break;
  }
}

// ======================================================================= environment

RunResult KmdfSystem::run_env(const EnvActor& e) {
  self_ = kNoSlot;
  switch (e.kind) {
    case EnvKind::Arrive: {
      const ast::EnvItem& it = spec_.environment[e.index];
      for (uint32_t r : arrive_reqs_[e.index]) {
        if (place(r) != Place::NotArrived) continue;
        if (rec_) {
          rec_->lane = "I/O manager";
          rec_->event = fmt::format("arrive {}", spec_.queues[it.object].name);
          rec_->actor = ActorKind::Originator;
          rec_->first_src(it.range);
          rec_->actions.push_back(
              fmt::format("{} arrives at queue {}", reqs_[r].name, spec_.queues[it.object].name));
          rec_->results.emplace_back();
        }
        req(r)[kRRefs] = 1;
        if (!queue_accepting(it.object)) {
          set_place(r, Place::Driver);
          note("the queue is purged");
          complete(r, k::STATUS_INVALID_DEVICE_STATE, true);
        } else {
          queue_push(it.object, r, false);
        }
        return RunResult::Done;
      }
      return RunResult::Disabled;
    }
    case EnvKind::Dispatch: {
      uint8_t* qp = queue(e.index);
      const ast::QueueDecl& qd = spec_.queues[e.index];
      if (qp[0] == 0) return RunResult::Disabled;
      if (qd.dispatch == ast::Dispatch::Sequential && qp[1] != 0) return RunResult::Disabled;
      uint32_t r = qp[2];
      std::array<uint32_t, 4> fns{};
      uint32_t n = io_handler_fns(e.index, fns);
      uint32_t fn = fns[n > 1 ? choose(static_cast<uint16_t>(n),
                                       [&](uint16_t c) { return "handler:" + fn_name(fns[c]); })
                              : 0];
      queue_remove(e.index, r);
      set_place(r, Place::Driver);
      req(r)[kRSrcQueue] = static_cast<uint8_t>(e.index);
      if (qd.dispatch == ast::Dispatch::Sequential) qp[1] = static_cast<uint8_t>(r + 1);
      if (rec_) {
        rec_->lane = "framework";
        rec_->event = fmt::format("dispatch {}", qd.name);
        rec_->actor = ActorKind::Framework;
        rec_->actions.push_back(
            fmt::format("delivers {} from {} to {}", reqs_[r].name, qd.name, fn_name(fn)));
        rec_->results.emplace_back();
        rec_->first_src(qd.range);
      }
      spawn(ActKind::IoHandler, fn, r, 0, true);
      return RunResult::Done;
    }
    case EnvKind::Cancel: {
      uint32_t r = e.index;
      Place p = place(r);
      if (p == Place::NotArrived || p == Place::Completed || p == Place::Freed ||
          has(r, kOrigCancelled)) {
        return RunResult::Disabled;
      }
      if (rec_) {
        rec_->lane = "I/O manager";
        rec_->event = fmt::format("cancel {}", reqs_[r].name);
        rec_->actor = ActorKind::Originator;
        rec_->actions.push_back(fmt::format("cancels {}", reqs_[r].name));
        rec_->results.emplace_back();
        for (const ast::EnvItem& it : spec_.environment) {
          if (it.kind == ast::EnvKind::Cancel) {
            rec_->first_src(it.range);
            break;
          }
        }
      }
      originator_cancel(r);
      return RunResult::Done;
    }
    case EnvKind::Target: {
      uint32_t r = e.index;
      Place p = place(r);
      if (p != Place::TargetPending && p != Place::TargetDelivered) return RunResult::Disabled;
      uint32_t t = req(r)[kRWhere];
      const ast::TargetDecl& td = spec_.targets[t];
      if (rec_) {
        rec_->lane = fmt::format("target {}", td.name);
        rec_->event = fmt::format("target {}", reqs_[r].name);
        rec_->actor = ActorKind::Target;
        rec_->first_src(td.range);
      }
      if (p == Place::TargetPending) {
        if (rec_) rec_->choices.emplace_back("target:take");
        set_place(r, Place::TargetDelivered);
        bool marks = td.behaviour == ast::TargetBehaviour::Cancelable ||
                     td.behaviour == ast::TargetBehaviour::Pending;
        if (rec_) {
          rec_->actions.push_back(
              fmt::format("takes {}{}", reqs_[r].name, marks ? " and marks it cancelable" : ""));
          rec_->results.emplace_back();
        }
        if (marks) {
          set_flag(r, kTargetCancelable);
          if (has(r, kCancelFlag)) target_complete(r, k::STATUS_CANCELLED);
        }
        return RunResult::Done;
      }
      // Delivered: mark late, or complete.
      bool can_mark = td.behaviour == ast::TargetBehaviour::Late && !has(r, kTargetCancelable);
      bool can_complete = td.behaviour != ast::TargetBehaviour::Pending;
      std::vector<int32_t> statuses;
      for (int64_t v : td.completes_values) statuses.push_back(static_cast<int32_t>(v));
      if (statuses.empty() && !td.completes_symbolic) statuses.push_back(k::STATUS_SUCCESS);
      const std::size_t sym_option = td.completes_symbolic ? 1 : 0;  // last: `symbolic`
      uint16_t options = static_cast<uint16_t>((can_mark ? 1 : 0) +
                                               (can_complete ? statuses.size() + sym_option : 0));
      if (options == 0) return RunResult::Disabled;
      uint16_t c = choose(options, [&](uint16_t i) {
        if (can_mark && i == 0) return std::string("target:mark");
        if (i - (can_mark ? 1U : 0U) == statuses.size())
          return std::string("target:complete:symbolic");
        return "target:complete:" + render(statuses[i - (can_mark ? 1 : 0)], TypeKind::Status);
      });
      if (can_mark && c == 0) {
        set_flag(r, kTargetCancelable);
        if (rec_) {
          rec_->actions.push_back(fmt::format("marks {} cancelable", reqs_[r].name));
          rec_->results.emplace_back();
        }
        if (has(r, kCancelFlag)) target_complete(r, k::STATUS_CANCELLED);
        return RunResult::Done;
      }
      if (c - (can_mark ? 1U : 0U) == statuses.size()) {
        target_complete_symbolic(r);
        return RunResult::Done;
      }
      int32_t st = statuses[c - (can_mark ? 1 : 0)];
      if (rec_) {
        rec_->actions.push_back(
            fmt::format("completes {} with {}", reqs_[r].name, render(st, TypeKind::Status)));
        rec_->results.emplace_back();
      }
      target_complete(r, st);
      return RunResult::Done;
    }
    case EnvKind::Stop: {
      if (s_[env_base_] != 0) return RunResult::Disabled;
      s_[env_base_] = 1;
      const ast::EnvItem& it = spec_.environment[stop_items_[0]];
      bool purge = it.stop == ast::StopKind::Purge;
      if (it.stop == ast::StopKind::Any) purge = oracle_.choose(2) == 1;
      SymTermId stop_action;  // `stop symbolic`: the flags EvtIoStop sees are a term
      if (it.stop == ast::StopKind::Symbolic) {
        purge = oracle_.choose(2) == 1;
        stop_action = symbolic_stop_action(purge);
        if (!stop_action.valid()) return RunResult::Disabled;
      }
      if (rec_) rec_->choices.emplace_back(purge ? "stop:purge" : "stop:suspend");
      if (rec_) {
        rec_->lane = "framework";
        rec_->event = "stop";
        rec_->actor = ActorKind::Framework;
        rec_->first_src(it.range);
        rec_->actions.push_back(purge ? "device removal: stops the queues (purge)"
                                      : "device power-down: stops the queues (suspend)");
        rec_->results.emplace_back();
      }
      for (uint32_t r = 0; r < nreq_; ++r) {
        Place p = place(r);
        if (reqs_[r].created || has(r, kForget) || has(r, kCancelFlag)) continue;
        if (p != Place::Driver && p != Place::TargetPending && p != Place::TargetDelivered)
          continue;
        uint8_t q = req(r)[kRSrcQueue];
        if (q == kNoQueue || !spec_.queues[q].power_managed) continue;
        uint32_t fn = queue_handler(q, "EvtIoStop");
        if (fn == ast::kNone) continue;
        int32_t fl = (purge ? k::WdfRequestStopActionPurge : k::WdfRequestStopActionSuspend) |
                     (req(r)[kRCancelFn] != 0 ? k::WdfRequestStopRequestCancelable : 0);
        set_flag(r, kInStop);
        set_flag(r, kStopHandled, false);
        ++req(r)[kRRefs];
        uint32_t slot = spawn(ActKind::Stop, fn, r, fl, true);
        if (stop_action.valid()) symbolic_stop_flags(slot, r, stop_action);
      }
      if (purge) {
        for (std::size_t d = 0; d < spec_.devices.size(); ++d) {
          device(static_cast<uint32_t>(d))[0] |= 1;
        }
        for (uint32_t r = 0; r < nreq_; ++r) {
          if (place(r) == Place::Queued) cancel_queued(r);
        }
      }
      return RunResult::Done;
    }
    case EnvKind::Timer: {
      uint8_t& st = s_[timer_base_ + e.index];
      if (st != 1) return RunResult::Disabled;
      st = 2;
      const ast::TimerDecl& td = spec_.timers[e.index];
      if (rec_) {
        rec_->lane = "framework";
        rec_->event = fmt::format("timer {}", td.name);
        rec_->actor = ActorKind::Framework;
        rec_->first_src(td.range);
        rec_->actions.push_back(fmt::format("timer {} fires", td.name));
        rec_->results.emplace_back();
      }
      spawn(ActKind::Timer, td.fn, kNoSlot, 0, false);
      return RunResult::Done;
    }
    case EnvKind::ProtocolSend:
    case EnvKind::ProtocolCancel:
    case EnvKind::Miniport:
      return run_ndis_env(e);
    case EnvKind::Partner:
      return run_appc_env(e);
  }
  return RunResult::Disabled;
}

// ======================================================================= NDIS environment

bool KmdfSystem::send_enabled(uint32_t item) const {
  // Lines for one filter hand their NBLs over in line order.
  uint32_t f = spec_.environment[item].object;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (!ni.from_protocol || ni.filter != f || owner(n) != NblOwner::Above) continue;
    return ni.send_item == item;
  }
  return false;
}

/// Reading: the protocol cancels an id once every NBL it marked with that id (for this
/// filter) has been handed over — its FilterSendNetBufferLists call has returned, as the
/// protocol's send call runs it — and only while one of them has not come back.
bool KmdfSystem::cancel_send_enabled(uint32_t item) const {
  if (s_[ndis_env_base_ + item] != 0) return false;
  const ast::EnvItem& it = spec_.environment[item];
  bool any = false, outstanding = false;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (!ni.from_protocol || ni.filter != it.object || ni.protocol_id != it.cancel_id_value) {
      continue;
    }
    any = true;
    if (owner(n) == NblOwner::Above || (nbl(n)[kNFlags] & kNblInSend) != 0) return false;
    if (owner(n) != NblOwner::ReturnedUp) outstanding = true;
  }
  return any && outstanding;
}

RunResult KmdfSystem::run_ndis_env(const EnvActor& e) {
  switch (e.kind) {
    case EnvKind::ProtocolSend: {
      if (!send_enabled(e.index)) return RunResult::Disabled;
      const ast::EnvItem& it = spec_.environment[e.index];
      uint32_t n = 0;
      while (n < nnbl_ && !(nbls_[n].send_item == e.index && owner(n) == NblOwner::Above)) ++n;
      const std::string& fname = spec_.filters[it.object].name;
      if (rec_) {
        rec_->lane = "protocol";
        rec_->event = fmt::format("send {}", fname);
        rec_->actor = ActorKind::Originator;
        rec_->first_src(it.range);
        rec_->actions.push_back(fmt::format("sends {} (cancel id {}) to filter {}", nbls_[n].name,
                                            id_text(nbls_[n].protocol_id), fname));
        rec_->results.emplace_back();
      }
      set_owner(n, NblOwner::Filter);
      uint32_t fn = filter_handler(it.object, "FilterSendNetBufferLists");
      if (fn != ast::kNone) {
        nbl(n)[kNFlags] |= kNblInSend;
        spawn_ndis(ActKind::FilterSend, fn, n, static_cast<int32_t>(n + 1), 0);
      }
      return RunResult::Done;
    }
    case EnvKind::ProtocolCancel: {
      if (!cancel_send_enabled(e.index)) return RunResult::Disabled;
      const ast::EnvItem& it = spec_.environment[e.index];
      s_[ndis_env_base_ + e.index] = 1;
      const std::string& fname = spec_.filters[it.object].name;
      if (rec_) {
        rec_->lane = "protocol";
        rec_->event = fmt::format("cancel_send {} {}", fname, it.cancel_id_value);
        rec_->actor = ActorKind::Originator;
        rec_->first_src(it.range);
        rec_->actions.push_back(fmt::format("cancels the sends with cancel id {} at filter {}",
                                            id_text(static_cast<int32_t>(it.cancel_id_value)),
                                            fname));
        rec_->results.emplace_back();
      }
      for (uint32_t n = 0; n < nnbl_; ++n) {
        const NblInfo& ni = nbls_[n];
        if (ni.from_protocol && ni.filter == it.object && ni.protocol_id == it.cancel_id_value &&
            owner(n) != NblOwner::ReturnedUp) {
          nbl(n)[kNFlags] |= kNblCancelAimed;
          if (rec_) note(fmt::format("cancels {}", ni.name));
        }
      }
      uint32_t fn = filter_handler(it.object, "FilterCancelSendNetBufferLists");
      if (fn != ast::kNone) {
        spawn_ndis(ActKind::FilterCancel, fn, e.index, static_cast<int32_t>(it.cancel_id_value), 0);
      }
      return RunResult::Done;
    }
    default: {  // Miniport
      uint32_t n = e.index;
      if (owner(n) != NblOwner::Below) return RunResult::Disabled;
      uint8_t* p = nbl(n);
      const ast::MiniportDecl& md = spec_.miniports[p[kNMiniport]];
      bool aborted = (p[kNFlags] & kNblAborted) != 0;
      if (md.pending && !aborted) return RunResult::Disabled;  // held until cancelled
      int32_t st = aborted ? k::NDIS_STATUS_SEND_ABORTED : k::NDIS_STATUS_SUCCESS;
      if (rec_) {
        rec_->lane = fmt::format("miniport {}", md.name);
        rec_->event = fmt::format("miniport {}", nbls_[n].name);
        rec_->actor = ActorKind::Target;
        rec_->first_src(md.range);
        rec_->actions.push_back(
            fmt::format("completes {} with {}", nbls_[n].name, render(st, TypeKind::Status)));
        rec_->results.emplace_back();
      }
      set_owner(n, NblOwner::Filter);
      p[kNFlags] &= static_cast<uint8_t>(~kNblAborted);
      ++p[kNEpoch];
      set32(p + kNStatus, st);
      if (rec_) note(fmt::format("returns {} to the filter", nbls_[n].name));
      uint32_t fn = filter_handler(nbls_[n].filter, "FilterSendNetBufferListsComplete");
      if (fn != ast::kNone) {
        spawn_ndis(ActKind::FilterSendComplete, fn, n, static_cast<int32_t>(n + 1), st);
      }
      return RunResult::Done;
    }
  }
}

// ======================================================================= APPC environment

void KmdfSystem::post_completion(uint32_t t, int32_t rc, const Instr* in) {
  uint8_t* tp = task(t);
  uint32_t v = tp[kTVcb];
  tp[kTState] = static_cast<uint8_t>(TaskState::Completed);
  set16(tp + kTRc, static_cast<uint16_t>(rc));
  uint8_t* q = s_ + msg_base_;
  q[1 + q[0]] = static_cast<uint8_t>(t);
  ++q[0];
  if (rec_)
    note(fmt::format("{} ends with {}: its completion message is queued", task_name(t),
                     appc_code_text(rc)));
  if (vcb_state(v) == VcbState::Freed) {
    std::string msg = fmt::format("the completion of {} writes {}, which was already freed",
                                  task_name(t), vcb_name(v));
    violation(RuleId::UseAfterFree, in ? in->src : spec_.conversations[tp[kTConv]].range, msg,
              vcb_name(v));
    return;
  }
  set32(vcb(v) + kVRc, rc);
}

RunResult KmdfSystem::run_appc_env(const EnvActor& e) {
  uint32_t t = e.index;
  uint8_t* tp = task(t);
  if (task_state(t) != TaskState::Outstanding || (tp[kTFlags] & kTaskSilent) != 0) {
    return RunResult::Disabled;
  }
  const ast::ConversationDecl& cd = spec_.conversations[tp[kTConv]];
  if (rec_) {
    rec_->lane = fmt::format("partner {}", cd.name);
    rec_->event = fmt::format("partner {}", task_name(t));
    rec_->actor = ActorKind::Target;
    rec_->first_src(cd.range);
  }
  if (cd.partner_may_not_answer && choose(2, [](uint16_t c) {
                                     return std::string(c == 1 ? "partner:silent"
                                                               : "partner:answer");
                                   }) == 1) {
    tp[kTFlags] |= kTaskSilent;
    if (rec_) {
      rec_->actions.push_back(fmt::format("never answers {}", task_name(t)));
      rec_->results.emplace_back();
    }
    return RunResult::Done;
  }
  if (rec_) {
    rec_->actions.push_back(fmt::format("answers {} ({} on {})", task_name(t),
                                        std::string(constant_name(TypeKind::Verb, tp[kTVerb])),
                                        vcb_name(tp[kTVcb])));
    rec_->results.emplace_back();
  }
  post_completion(t, k::AP_OK, nullptr);
  return RunResult::Done;
}

// ======================================================================= KMDF API

Outcome KmdfSystem::exec_api(uint32_t a, const CodeUnit& u, const Instr& in) {
  const ApiInfo& info = api_info(in.api());
  const Reg* argr = u.args.data() + in.args_begin;
  std::array<int32_t, 4> arg{};
  for (uint8_t i = 0; i < in.nargs && i < arg.size(); ++i) arg[i] = reg(a, argr[i]);
  std::string name(info.name);
  int32_t ret = 0;
  std::size_t rec_at = 0;
  if (rec_) {
    std::string text = name + "(";
    for (uint8_t i = 0; i < in.nargs; ++i) {
      TypeKind pt = i < info.params.size() ? info.params[i] : TypeKind::Int;
      if (i) text += ", ";
      if (pt == TypeKind::RefRequest || pt == TypeKind::RefInt) {
        text += "&" + (in.loc.kind == LocKind::Global ? spec_.globals[in.loc.index].name
                       : in.loc.kind == LocKind::Reg  ? u.reg_names[in.loc.index]
                                                      : std::string("field"));
      } else if (in.api() == ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID && i == 1 &&
                 !sym_cancel_id_.valid()) {
        text += id_text(arg[i]);  // a concrete cancel id, in hex like the notes show it
      } else {
        text += render(arg[i], pt);
      }
    }
    text += ")";
    rec_at = rec_->actions.size();
    rec_->actions.push_back(text);
    rec_->results.emplace_back();
    rec_->calls.push_back(name);
  }
  auto result = [&](int32_t v) {
    ret = v;
    if (rec_) {
      rec_->results[rec_at] = render(v, info.result);
      rec_->calls.back() = fmt::format("{}={}", name, v);
    }
  };
  auto misuse = [&](std::string msg, std::string obj = {}) {
    violation(RuleId::ApiMisuse, in.src, std::move(msg), std::move(obj));
    return Outcome::Violation;
  };
  auto act_kind = static_cast<ActKind>(act(a)[kAKind]);
  uint32_t act_subject = act(a)[kASubject] ? act(a)[kASubject] - 1u : kNoSlot;

  switch (in.api()) {
    case ApiId::WdfRequestSend:
    case ApiId::WdfRequestSendAndForget: {
      bool forget = in.api() == ApiId::WdfRequestSendAndForget;
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (forget && reqs_[*r].created) {
        return misuse(fmt::format("{} on {}, a request created with WdfRequestCreate", name, rn),
                      rn);
      }
      if (!forget && req(*r)[kRComplFn] == 0) {
        return misuse(fmt::format("WdfRequestSend of {} without a completion routine (set it "
                                  "again after WdfRequestReuse)",
                                  rn),
                      rn);
      }
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(fmt::format("{} of {} while it is marked cancelable", name, rn), rn);
      }
      auto t = static_cast<uint32_t>(arg[1]);
      const ast::TargetDecl& td = spec_.targets.at(t);
      if (has(*r, kCancelFlag)) {
        set_status(*r, k::STATUS_CANCELLED);
        if (rec_) note(fmt::format("{} is already cancelled: not sent", rn));
        result(0);
        break;
      }
      if (td.may_fail && choose(2, [](uint16_t c) {
                           return std::string(c == 1 ? "send:fail" : "send:ok");
                         }) == 1) {
        set_status(*r, k::STATUS_INVALID_DEVICE_STATE);
        if (rec_) note(fmt::format("target {} fails the send", td.name));
        result(0);
        break;
      }
      set_place(*r, Place::TargetPending);
      req(*r)[kRWhere] = static_cast<uint8_t>(t);
      set_flag(*r, kTargetCancelable, false);
      set_flag(*r, kForget, forget);
      set_status(*r, k::STATUS_PENDING);
      if (rec_) note(fmt::format("gives {} to target {}", rn, td.name));
      result(1);
      break;
    }
    case ApiId::WdfRequestCancelSentRequest: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      Place p = place(*r);
      bool delivered = false;
      if (has(*r, kInStop)) set_flag(*r, kStopHandled);
      if (p == Place::TargetPending || p == Place::TargetDelivered) {
        if (rec_) note(fmt::format("cancel sent for {}", reqs_[*r].name));
        delivered = cancel_at_target(*r);
      } else if (p == Place::Driver) {
        set_flag(*r, kCancelFlag);
        set_flag(*r, kCancelAimed);
        if (rec_) note(fmt::format("cancel sent for {}: sets its cancel flag", reqs_[*r].name));
      }
      result(delivered ? 1 : 0);
      break;
    }
    case ApiId::WdfRequestComplete:
    case ApiId::WdfRequestCompleteWithInformation: {
      int32_t h = arg[0];
      uint32_t r0 = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
      if (h != 0 && r0 < nreq_ && req(r0)[kRCompletions] > 0 &&
          (place(r0) == Place::Completed || place(r0) == Place::Freed)) {
        ++req(r0)[kRCompletions];  // shown in the trace's state panel; never explored further
        if (rec_) note(fmt::format("completes {} again", reqs_[r0].name));
        violation(RuleId::DoubleCompletion, in.src,
                  fmt::format("{} completed twice", reqs_[r0].name), reqs_[r0].name);
        return Outcome::Violation;
      }
      auto r = check_handle(h, name, in, false);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (reqs_[*r].created) {
        return misuse(fmt::format("{} on {}, a request created with WdfRequestCreate (delete it "
                                  "with WdfObjectDelete)",
                                  name, rn),
                      rn);
      }
      if (!require_owned(*r, name, in)) return Outcome::Violation;
      if (req(*r)[kRCancelFn] != 0) {
        violation(RuleId::CompleteWhileCancelable, in.src,
                  fmt::format("{} completed while still marked cancelable", rn), rn);
        return Outcome::Violation;
      }
      if (has(*r, kUnmarkCancelled) && !(act_kind == ActKind::Cancel && act_subject == *r)) {
        violation(RuleId::CompleteAfterUnmarkCancelled, in.src,
                  fmt::format("{} completed after WdfRequestUnmarkCancelable returned "
                              "STATUS_CANCELLED (its cancel routine will complete it)",
                              rn),
                  rn);
        return Outcome::Violation;
      }
      complete(*r, arg[1], false);
      break;
    }
    case ApiId::WdfRequestGetStatus: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      if (place(*r) == Place::TargetPending || place(*r) == Place::TargetDelivered) {
        // docs/semantics: the status is defined once WdfRequestSend failed or the target
        // completed the request (SDV RequestGetStatusValid).
        return misuse(fmt::format("{} on {} while target {} still holds it: the status is "
                                  "defined only after the target completes it or the send fails",
                                  name, reqs_[*r].name, spec_.targets[req(*r)[kRWhere]].name),
                      reqs_[*r].name);
      }
      if (tagged(req(*r) + kRStatus)) {  // a symbolic status: the result is the term
        ret = get32(req(*r) + kRStatus);
        sym_result_ = true;
        if (rec_) {
          rec_->results[rec_at] = slot_text(req(*r) + kRStatus, TypeKind::Status);
          rec_->calls.back() = name + "=?";
        }
        break;
      }
      result(get32(req(*r) + kRStatus));
      break;
    }
    case ApiId::WdfRequestSetCompletionRoutine: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      req(*r)[kRComplFn] = static_cast<uint8_t>(arg[1] + 1);
      break;
    }
    case ApiId::WdfRequestMarkCancelable:
    case ApiId::WdfRequestMarkCancelableEx: {
      bool ex = in.api() == ApiId::WdfRequestMarkCancelableEx;
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (req(*r)[kRCancelFn] != 0) {
        if (!ex) {
          return misuse(fmt::format("WdfRequestMarkCancelable on {}, which is already "
                                    "cancelable",
                                    rn),
                        rn);
        }
        result(k::STATUS_INVALID_DEVICE_REQUEST);
        break;
      }
      bool purging = req(*r)[kRSrcQueue] != kNoQueue && !queue_accepting(req(*r)[kRSrcQueue]);
      if (has(*r, kCancelFlag) || purging) {
        set_flag(*r, kCancelAimed);
        if (ex) {
          set_flag(*r, kExIgnored);
          if (rec_) note(fmt::format("{} was already cancelled: the driver must complete it", rn));
          result(k::STATUS_CANCELLED);
          break;
        }
        set_flag(*r, kFired);
        if (rec_) {
          note(fmt::format(
              "{} was already cancelled: its cancel routine runs before the call returns", rn));
        }
        uint32_t child = spawn(ActKind::Cancel, static_cast<uint32_t>(arg[1]), *r, 0, false);
        act(child)[kAFlags] |= kInherited;
        act(a)[kAWait] = static_cast<uint8_t>(child + 1);
        break;
      }
      req(*r)[kRCancelFn] = static_cast<uint8_t>(arg[1] + 1);
      set_flag(*r, static_cast<uint16_t>(kFired | kCancelStarted), false);
      if (ex) result(k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfRequestUnmarkCancelable: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      if (req(*r)[kRCancelFn] != 0) {
        req(*r)[kRCancelFn] = 0;
        result(k::STATUS_SUCCESS);
      } else if (has(*r, kFired)) {
        if (!has(*r, kCancelStarted)) set_flag(*r, kUnmarkCancelled);
        if (rec_) note(fmt::format("Unmark returned STATUS_CANCELLED for {}", reqs_[*r].name));
        result(k::STATUS_CANCELLED);
      } else {
        result(k::STATUS_INVALID_PARAMETER);
      }
      break;
    }
    case ApiId::WdfRequestIsCanceled: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(fmt::format("WdfRequestIsCanceled on {} while it is marked cancelable "
                                  "(unmark it first)",
                                  reqs_[*r].name),
                      reqs_[*r].name);
      }
      result(has(*r, kCancelFlag) ? 1 : 0);
      break;
    }
    case ApiId::WdfRequestReuse: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      Place p = place(*r);
      if (p == Place::TargetPending || p == Place::TargetDelivered) {
        return misuse(fmt::format("WdfRequestReuse of {} while it is still active at target {}", rn,
                                  spec_.targets[req(*r)[kRWhere]].name),
                      rn);
      }
      if (!require_owned(*r, name, in)) return Outcome::Violation;
      if (!reqs_[*r].created && in.nargs > 1 && (arg[1] & k::WDF_REQUEST_REUSE_SET_NEW_IRP) != 0) {
        result(k::STATUS_WDF_REQUEST_INVALID_STATE);
        break;
      }
      int32_t old = handle(*r);
      ++req(*r)[kREpoch];
      if (has(*r, kCancelFlag)) {
        set_flag(*r, kWiped);
        if (rec_) note(fmt::format("wipes the pending cancel of {}", rn));
      }
      set_flag(*r, kCancelFlag, false);
      set_flag(*r, static_cast<uint16_t>(kTargetCancelable | kFired | kUnmarkCancelled), false);
      req(*r)[kRComplFn] = 0;
      set_status(*r, k::STATUS_SUCCESS);
      if (rec_) note(fmt::format("reuses {}", rn));
      // The reusing code knows about the reuse: its own registers follow the new epoch.
      int32_t fresh = handle(*r);
      for (std::size_t i = 0; i < u.reg_types.size(); ++i) {
        if (u.reg_types[i] == TypeKind::Request && reg(a, Reg{static_cast<uint16_t>(i)}) == old) {
          set_reg(a, Reg{static_cast<uint16_t>(i)}, fresh);
        }
      }
      result(k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfRequestForwardToIoQueue: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      auto q2 = static_cast<uint32_t>(arg[1]);
      uint8_t src = req(*r)[kRSrcQueue];
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(fmt::format("WdfRequestForwardToIoQueue of {} while it is marked "
                                  "cancelable (unmark it first)",
                                  rn),
                      rn);
      }
      if (reqs_[*r].created || src == kNoQueue || src == q2 ||
          device_of_queue(src) != device_of_queue(q2)) {
        result(k::STATUS_INVALID_DEVICE_REQUEST);
        break;
      }
      if (!queue_accepting(q2)) {
        result(k::STATUS_WDF_BUSY);
        break;
      }
      release_current(*r);
      queue_push(q2, *r, false);
      req(*r)[kRSrcQueue] = static_cast<uint8_t>(q2);
      set_flag(*r, kForwarded);
      if (rec_) note(fmt::format("gives {} to queue {}", rn, spec_.queues[q2].name));
      if (has(*r, kCancelFlag)) cancel_queued(*r);
      result(k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfRequestRequeue: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      uint8_t src = req(*r)[kRSrcQueue];
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(fmt::format("WdfRequestRequeue of {} while it is marked cancelable", rn), rn);
      }
      if (src == kNoQueue || spec_.queues[src].dispatch != ast::Dispatch::Manual) {
        result(k::STATUS_INVALID_DEVICE_REQUEST);
        break;
      }
      release_current(*r);
      queue_push(src, *r, true);
      set_flag(*r, kForwarded);
      if (rec_) note(fmt::format("gives {} back to queue {}", rn, spec_.queues[src].name));
      if (has(*r, kCancelFlag)) cancel_queued(*r);
      result(k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfIoQueueRetrieveNextRequest: {
      auto q = static_cast<uint32_t>(arg[0]);
      int32_t out = 0;
      if (spec_.queues[q].dispatch != ast::Dispatch::Manual) {
        result(k::STATUS_INVALID_DEVICE_REQUEST);
      } else if (queue(q)[0] == 0) {
        result(k::STATUS_NO_MORE_ENTRIES);
      } else {
        uint32_t r = queue(q)[2];
        queue_remove(q, r);
        set_place(r, Place::Driver);
        req(r)[kRSrcQueue] = static_cast<uint8_t>(q);
        out = handle(r);
        if (rec_) note(fmt::format("retrieves {}", reqs_[r].name));
        result(k::STATUS_SUCCESS);
      }
      bool bad = false;
      int32_t* p = loc_ptr(a, in.loc, in, "WdfIoQueueRetrieveNextRequest", bad);
      if (bad) return Outcome::Violation;
      std::memcpy(p, &out, 4);
      break;
    }
    case ApiId::WdfRequestStopAcknowledge: {
      // The framework's hold across EvtIoStop keeps the handle valid even if another
      // activity completed the request meanwhile.
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (act_kind != ActKind::Stop) {
        return misuse(fmt::format("WdfRequestStopAcknowledge on {} outside EvtIoStop", rn), rn);
      }
      bool requeue = arg[1] != 0;
      if (requeue) {
        if (!require_owned(*r, name, in)) return Outcome::Violation;
        if (req(*r)[kRCancelFn] != 0) {
          return misuse(fmt::format("WdfRequestStopAcknowledge(TRUE) on {} while it is marked "
                                    "cancelable",
                                    rn),
                        rn);
        }
        uint8_t src = req(*r)[kRSrcQueue];
        release_current(*r);
        if (src != kNoQueue) queue_push(src, *r, true);
        if (rec_)
          note(fmt::format("gives {} back to queue {}", rn,
                           src != kNoQueue ? spec_.queues[src].name : "?"));
      }
      set_flag(*r, kStopHandled);
      break;
    }
    case ApiId::WdfObjectReference: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      if (req(*r)[kRRefs] < 250) ++req(*r)[kRRefs];
      break;
    }
    case ApiId::WdfObjectDereference: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      if (req(*r)[kRRefs] <= (place(*r) == Place::Completed ? 0 : 1)) {
        return misuse(fmt::format("WdfObjectDereference of {} drops a reference it does not hold",
                                  reqs_[*r].name),
                      reqs_[*r].name);
      }
      drop_ref(*r);
      break;
    }
    case ApiId::WdfObjectDelete: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (!reqs_[*r].created) {
        return misuse(fmt::format("WdfObjectDelete on {}, a request the driver received (complete "
                                  "it instead)",
                                  rn),
                      rn);
      }
      if (place(*r) != Place::Driver) {
        return misuse(fmt::format("WdfObjectDelete on {} while it is still active at a target", rn),
                      rn);
      }
      set_flag(*r, kDeleted);
      set_place(*r, Place::Completed);
      if (rec_) note(fmt::format("deletes {}", rn));
      drop_ref(*r);
      break;
    }
    case ApiId::WdfSpinLockAcquire:
    case ApiId::NdisAcquireSpinLock: {
      auto l = static_cast<uint32_t>(arg[0]);
      uint8_t& owner = s_[lock_base_ + l];
      if (owner == a + 1) {
        violation(
            RuleId::Deadlock, in.src,
            fmt::format("{} acquires lock {} it already holds", lane_of(a), spec_.locks[l].name));
        return Outcome::Violation;
      }
      if (owner != 0) return Outcome::Blocked;
      owner = static_cast<uint8_t>(a + 1);
      break;
    }
    case ApiId::WdfSpinLockRelease:
    case ApiId::NdisReleaseSpinLock: {
      auto l = static_cast<uint32_t>(arg[0]);
      uint8_t& owner = s_[lock_base_ + l];
      if (owner != a + 1) {
        return misuse(
            fmt::format("{} releases lock {} it does not hold", lane_of(a), spec_.locks[l].name));
      }
      owner = 0;
      break;
    }
    case ApiId::KeSetEvent:
      s_[event_base_ + arg[0]] = 1;
      break;
    case ApiId::KeClearEvent:
      s_[event_base_ + arg[0]] = 0;
      break;
    case ApiId::KeWaitForSingleObject:
      if (s_[event_base_ + arg[0]] == 0) return Outcome::Blocked;
      break;
    case ApiId::WdfTimerStart: {
      uint8_t& st = s_[timer_base_ + arg[0]];
      result(st == 1 ? 1 : 0);
      st = 1;
      break;
    }
    case ApiId::WdfTimerStop: {
      uint8_t& st = s_[timer_base_ + arg[0]];
      result(st == 1 ? 1 : 0);
      if (st == 1) st = 0;
      break;
    }
    default: {
      Outcome o = Outcome::Continue;
      if (info.domain == ApiDomain::Ndis) {
        o = exec_ndis(in, arg, ret, rec_at);
      } else if (info.domain == ApiDomain::Appc) {
        o = exec_appc(a, u, in, arg, ret, rec_at);
      } else {
        throw std::logic_error(fmt::format("{} has no semantics", name));
      }
      if (o != Outcome::Continue) return o;
      break;
    }
  }
  if (in.a.value < u.reg_types.size() && info.result != TypeKind::Void) set_reg(a, in.a, ret);
  if (sym_result_) set_tag(reg_ptr(a, in.a), std::exchange(sym_result_, false));
  return Outcome::Continue;
}

// ======================================================================= NDIS API

std::string KmdfSystem::nbl_place(uint32_t n) const {
  switch (owner(n)) {
    case NblOwner::Unallocated:
      return "not allocated";
    case NblOwner::Above:
      return "held by the protocol";
    case NblOwner::Filter:
      return "owned by the filter";
    case NblOwner::Below:
      return fmt::format("sent below to miniport {}", spec_.miniports[nbl(n)[kNMiniport]].name);
    case NblOwner::ReturnedUp:
      return "returned to the protocol";
    case NblOwner::Freed:
      return "freed";
  }
  return "?";
}

std::optional<uint32_t> KmdfSystem::nbl_handle(int32_t h, std::string_view api, const Instr& in) {
  if (h <= 0 || static_cast<uint32_t>(h) > nnbl_) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on a NULL NBL", api));
    return std::nullopt;
  }
  auto n = static_cast<uint32_t>(h - 1);
  if (owner(n) == NblOwner::Freed) {
    violation(RuleId::UseAfterFree, in.src,
              fmt::format("{} on {} after it was freed", api, nbls_[n].name), nbls_[n].name);
    return std::nullopt;
  }
  return n;
}

Outcome KmdfSystem::exec_ndis(const Instr& in, const std::array<int32_t, 4>& arg, int32_t& ret,
                              std::size_t rec_at) {
  std::string_view name = api_info(in.api()).name;
  auto result = [&](int32_t v) { api_result(in, rec_at, v, ret); };
  // Touching an NBL the filter does not own: below (given away) or already returned up.
  auto not_owned = [&](uint32_t n) {
    violation(RuleId::UseAfterFree, in.src,
              fmt::format("{} on {} while it is {} (the filter gave up ownership)", name,
                          nbls_[n].name, nbl_place(n)),
              nbls_[n].name);
    return Outcome::Violation;
  };
  switch (in.api()) {
    case ApiId::NdisFSendNetBufferLists: {
      auto n = nbl_handle(arg[0], name, in);
      if (!n) return Outcome::Violation;
      uint8_t* p = nbl(*n);
      const std::string& nn = nbls_[*n].name;
      if (owner(*n) == NblOwner::ReturnedUp && kSendAfterReturnIsDoubleCompletion) {
        violation(RuleId::DoubleCompletion, in.src,
                  fmt::format("{} is sent below after it was completed upward: it completes by "
                              "two paths",
                              nn),
                  nn);
        return Outcome::Violation;
      }
      if (owner(*n) != NblOwner::Filter) return not_owned(*n);
      bool id_set = get32(p + kNCancelId) != 0;
      if (id_set && tagged(p + kNCancelId) && !nbls_[*n].from_protocol &&
          p[kNIdEpoch] != p[kNEpoch]) {
        // A symbolic id is set only where it is nonzero: the trace's model must say so too.
        const SymTermId set = cond_of(term_at(p + kNCancelId));
        const std::optional<bool> nonzero = sym_split(set, pool_.mk_not(set));
        if (!nonzero) return Outcome::Infeasible;
        id_set = *nonzero;
      }
      if (!nbls_[*n].from_protocol && id_set && p[kNIdEpoch] != p[kNEpoch]) {
        violation(RuleId::StaleCancelId, in.src,
                  fmt::format("{} is sent again with cancel id {} set before its last "
                              "completion (clear or reset it on reuse)",
                              nn, nbl_id_text(*n)),
                  nn);
        return Outcome::Violation;
      }
      set_owner(*n, NblOwner::Below);
      p[kNMiniport] = static_cast<uint8_t>(arg[1]);
      p[kNFlags] &= static_cast<uint8_t>(~kNblAborted);
      if (rec_) note(fmt::format("gives {} to miniport {}", nn, spec_.miniports[arg[1]].name));
      return Outcome::Continue;
    }
    case ApiId::NdisFSendNetBufferListsComplete: {
      auto n = nbl_handle(arg[0], name, in);
      if (!n) return Outcome::Violation;
      uint8_t* p = nbl(*n);
      const std::string& nn = nbls_[*n].name;
      std::string why;
      if (!nbls_[*n].from_protocol) {
        why = fmt::format("{} was allocated by the filter: it must not be passed up", nn);
      } else if (owner(*n) == NblOwner::ReturnedUp) {
        why = fmt::format("{} completed twice", nn);
      } else if (owner(*n) == NblOwner::Below) {
        why = fmt::format("{} completed upward while it is {}", nn, nbl_place(*n));
      }
      if (!why.empty()) {
        ++p[kNCompletions];
        if (rec_) note(fmt::format("completes {} again", nn));
        violation(RuleId::DoubleCompletion, in.src, why, nn);
        return Outcome::Violation;
      }
      ++p[kNCompletions];
      set_owner(*n, NblOwner::ReturnedUp);
      set32(p + kNStatus, arg[1]);
      if (rec_) note(fmt::format("completes {} with {}", nn, render(arg[1], TypeKind::Status)));
      return Outcome::Continue;
    }
    case ApiId::NdisFCancelSendNetBufferLists: {
      const ast::MiniportDecl& md = spec_.miniports[arg[0]];
      std::string hit;
      for (uint32_t n = 0; n < nnbl_; ++n) {
        if (sym_ && owner(n) == NblOwner::Below && tagged(nbl(n) + kNCancelId)) {
          throw ModelLimit(
              fmt::format("{} compared with the symbolic cancel id of {}", name, nbls_[n].name));
        }
        if (owner(n) == NblOwner::Below && nbl(n)[kNMiniport] == arg[0] &&
            get32(nbl(n) + kNCancelId) == arg[1] && (md.cancelable || md.pending)) {
          nbl(n)[kNFlags] |= kNblAborted;
          hit += (hit.empty() ? "" : ", ") + nbls_[n].name;
        }
      }
      if (rec_)
        note(fmt::format(
            "passes the cancel of id {} down to {}{}", arg[1], md.name,
            hit.empty() ? std::string(": nothing pending with that id") : ": it aborts " + hit));
      return Outcome::Continue;
    }
    case ApiId::NdisGeneratePartialCancelId: {
      // Always symbolic: a spec that calls it is a symbolic spec (build_symbolic).
      ret = static_cast<int32_t>(pool_.to_int(partial_id_var(kOwnPartialIdName)).value);
      sym_result_ = true;
      if (rec_) {
        rec_->results[rec_at] = std::string(kOwnPartialIdName);
        rec_->calls.back() = fmt::format("{}=?", name);
      }
      return Outcome::Continue;
    }
    case ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID:
    case ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID: {
      auto n = nbl_handle(arg[0], name, in);
      if (!n) return Outcome::Violation;
      if (owner(*n) != NblOwner::Filter) return not_owned(*n);
      uint8_t* p = nbl(*n);
      if (in.api() == ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID) {
        if (sym_ && tagged(p + kNCancelId)) {  // a symbolic id: the result is the term
          ret = get32(p + kNCancelId);
          sym_result_ = true;
          if (rec_) {
            rec_->results[rec_at] = nbl_id_text(*n);
            rec_->calls.back() = fmt::format("{}=?", name);
          }
        } else {
          result(get32(p + kNCancelId));
        }
      } else if (sym_) {
        const SymTermId id = sym_cancel_id_.valid() ? sym_cancel_id_ : pool_.int_const(arg[1]);
        if (Outcome o = check_cancel_id_collision(*n, id, in); o != Outcome::Continue) return o;
        put_term(p + kNCancelId, id);
        p[kNIdEpoch] = p[kNEpoch];
        if (rec_)
          note(fmt::format("sets the cancel id of {} to {}", nbls_[*n].name, nbl_id_text(*n)));
      } else {
        set32(p + kNCancelId, arg[1]);
        p[kNIdEpoch] = p[kNEpoch];
        if (rec_)
          note(fmt::format("sets the cancel id of {} to {}", nbls_[*n].name, id_text(arg[1])));
      }
      return Outcome::Continue;
    }
    case ApiId::NdisAllocateNetBufferList: {
      uint32_t n = 0;
      while (n < nnbl_ && owner(n) != NblOwner::Unallocated) ++n;
      if (n == nnbl_) {
        throw ModelLimit(
            fmt::format("NdisAllocateNetBufferList called more than {} times", kFilterNblPool));
      }
      set_owner(n, NblOwner::Filter);
      if (rec_) note(fmt::format("allocates {}", nbls_[n].name));
      result(static_cast<int32_t>(n + 1));
      return Outcome::Continue;
    }
    case ApiId::NdisFreeNetBufferList: {
      auto n = nbl_handle(arg[0], name, in);
      if (!n) return Outcome::Violation;
      if (nbls_[*n].from_protocol) {
        violation(
            RuleId::ApiMisuse, in.src,
            fmt::format("NdisFreeNetBufferList of {}, which the protocol owns", nbls_[*n].name),
            nbls_[*n].name);
        return Outcome::Violation;
      }
      if (owner(*n) != NblOwner::Filter) return not_owned(*n);
      set_owner(*n, NblOwner::Freed);
      if (rec_) note(fmt::format("frees {}", nbls_[*n].name));
      return Outcome::Continue;
    }
    default:
      break;
  }
  throw std::logic_error(fmt::format("{} has no NDIS semantics", name));
}

// ======================================================================= APPC API

std::optional<uint32_t> KmdfSystem::vcb_handle(int32_t h, std::string_view api, const Instr& in) {
  if (h <= 0 || static_cast<uint32_t>(h) > nvcb_ ||
      vcb_state(static_cast<uint32_t>(h - 1)) == VcbState::Unallocated) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on a NULL VCB", api));
    return std::nullopt;
  }
  auto v = static_cast<uint32_t>(h - 1);
  if (vcb_state(v) == VcbState::Freed) {
    violation(RuleId::UseAfterFree, in.src,
              fmt::format("{} on {} after it was freed", api, vcb_name(v)), vcb_name(v));
    return std::nullopt;
  }
  return v;
}

Outcome KmdfSystem::exec_appc(uint32_t a, const CodeUnit& u, const Instr& in,
                              const std::array<int32_t, 4>& arg, int32_t& ret, std::size_t rec_at) {
  std::string_view name = api_info(in.api()).name;
  auto result = [&](int32_t v) { api_result(in, rec_at, v, ret); };
  auto code_result = [&](int32_t v) {
    result(v);
    if (rec_) rec_->results[rec_at] = appc_code_text(v);
  };
  switch (in.api()) {
    case ApiId::vcb_alloc: {
      uint32_t v = 0;
      while (v < nvcb_ && vcb_state(v) != VcbState::Unallocated) ++v;
      if (v == nvcb_)
        throw ModelLimit(fmt::format("vcb_alloc called more than {} times", kVcbPool));
      vcb(v)[kVState] = static_cast<uint8_t>(VcbState::Allocated);
      if (rec_) note(fmt::format("allocates {}", vcb_name(v)));
      result(static_cast<int32_t>(v + 1));
      return Outcome::Continue;
    }
    case ApiId::vcb_free: {
      auto v = vcb_handle(arg[0], name, in);
      if (!v) return Outcome::Violation;
      vcb(*v)[kVState] = static_cast<uint8_t>(VcbState::Freed);
      if (rec_) note(fmt::format("frees {}", vcb_name(*v)));
      return Outcome::Continue;
    }
    case ApiId::vcb_primary_rc: {
      auto v = vcb_handle(arg[0], name, in);
      if (!v) return Outcome::Violation;
      uint8_t cur = vcb(*v)[kVTask];
      if (cur != 0) {
        uint32_t t = cur - 1u;
        if (task_state(t) == TaskState::Outstanding) {
          violation(RuleId::UseAfterReuse, in.src,
                    fmt::format("reads the return code of {} while its verb {} is still "
                                "outstanding: the message handled was another verb's",
                                vcb_name(*v), task_name(t)),
                    task_name(t));
          return Outcome::Violation;
        }
        uint8_t me = static_cast<uint8_t>(act(a)[kAUnit]);
        uint8_t& h = task(t)[kTHandler];
        if (h != 0 && h != me) {
          violation(RuleId::DoubleCompletion, in.src,
                    fmt::format("the completion of {} is handled by two paths ({} and {})",
                                task_name(t), prog_.units[h - 1u].name, u.name),
                    task_name(t));
          return Outcome::Violation;
        }
        h = me;
        if (rec_) note(fmt::format("handles the result of {}", task_name(t)));
      }
      code_result(get32(vcb(*v) + kVRc));
      return Outcome::Continue;
    }
    case ApiId::WinAsyncAPPC: {
      auto v = vcb_handle(arg[0], name, in);
      if (!v) return Outcome::Violation;
      int32_t verb = arg[1];
      auto c = static_cast<uint32_t>(arg[2]);
      const std::string& cn = spec_.conversations[c].name;
      if (s_[conv_base_ + c] != 0) {
        if (rec_) note(fmt::format("conversation {} was closed by a cancel: the verb fails", cn));
        result(0);
        return Outcome::Continue;
      }
      for (uint32_t t = 0; t < ntask_; ++t) {
        uint8_t* tp = task(t);
        if (task_state(t) == TaskState::Outstanding && tp[kTConv] == c &&
            !(is_receive_verb(tp[kTVerb]) && verb_allowed_during_receive(verb))) {
          if (rec_)
            note(fmt::format("{} is still outstanding on {}: AP_CONV_BUSY", task_name(t), cn));
          result(0);
          return Outcome::Continue;
        }
      }
      uint32_t t = 0;
      while (t < ntask_ && task_state(t) != TaskState::None) ++t;
      if (t == ntask_) {
        throw ModelLimit(fmt::format("WinAsyncAPPC called more than {} times", kTaskPool));
      }
      uint8_t* tp = task(t);
      tp[kTState] = static_cast<uint8_t>(TaskState::Outstanding);
      tp[kTVcb] = static_cast<uint8_t>(*v);
      tp[kTConv] = static_cast<uint8_t>(c);
      tp[kTVerb] = static_cast<uint8_t>(verb);
      vcb(*v)[kVTask] = static_cast<uint8_t>(t + 1);
      if (rec_)
        note(fmt::format("{} is outstanding on {} with {}", task_name(t), cn, vcb_name(*v)));
      result(static_cast<int32_t>(t + 1));
      return Outcome::Continue;
    }
    case ApiId::WinAPPCCancelAsyncRequest: {
      int32_t h = arg[0];
      if (h <= 0 || static_cast<uint32_t>(h) > ntask_ ||
          task_state(static_cast<uint32_t>(h - 1)) == TaskState::None) {
        code_result(k::WAPPCINVALID);
        return Outcome::Continue;
      }
      auto t = static_cast<uint32_t>(h - 1);
      if (task_state(t) != TaskState::Outstanding) {
        bool invalid =
            sna_quirk_ && choose(2, [](uint16_t c) {
                            return std::string(c == 1 ? "cancel:invalid" : "cancel:already");
                          }) == 1;
        if (rec_)
          note(fmt::format("{} has already completed{}", task_name(t),
                           task_state(t) == TaskState::Completed
                               ? ": its completion message is still queued"
                               : " and its message was received"));
        code_result(invalid ? k::WAPPCINVALID : k::WAPPCALREADY);
        return Outcome::Continue;
      }
      uint32_t c = task(t)[kTConv];
      s_[conv_base_ + c] = 1;
      task(t)[kTFlags] |= kTaskCancelled;
      if (rec_)
        note(fmt::format("purges {} and closes conversation {}", task_name(t),
                         spec_.conversations[c].name));
      for (uint32_t o = 0; o < ntask_; ++o) {
        if (task_state(o) == TaskState::Outstanding && task(o)[kTConv] == c) {
          post_completion(o, k::AP_CANCELED, &in);
          if (finding_) return Outcome::Violation;
        }
      }
      result(0);
      if (rec_) rec_->results[rec_at] = "0 (cancelled)";
      return Outcome::Continue;
    }
    case ApiId::GetMessage: {
      uint8_t* q = s_ + msg_base_;
      if (q[0] == 0) return Outcome::Blocked;
      uint32_t t = q[1];
      std::memmove(q + 1, q + 2, q[0] - 1u);
      q[q[0]] = 0;
      --q[0];
      task(t)[kTState] = static_cast<uint8_t>(TaskState::Reaped);
      uint32_t v = task(t)[kTVcb];
      if (rec_)
        note(fmt::format("receives the completion message of {} ({})", task_name(t),
                         appc_code_text(static_cast<int16_t>(get16(task(t) + kTRc)))));
      if (vcb_state(v) == VcbState::Freed) {
        violation(RuleId::UseAfterFree, in.src,
                  fmt::format("the completion message of {} refers to {}, which was freed",
                              task_name(t), vcb_name(v)),
                  vcb_name(v));
        return Outcome::Violation;
      }
      result(static_cast<int32_t>(t + 1));
      return Outcome::Continue;
    }
    default:
      break;
  }
  throw std::logic_error(fmt::format("{} has no APPC semantics", name));
}

// ======================================================================= end states

std::optional<Finding> KmdfSystem::end_state(std::span<const uint8_t> state) {
  if (state[env_base_ + 1] != 0) return std::nullopt;
  std::memcpy(scratch_.data(), state.data(), size_);
  s_ = scratch_.data();
  std::optional<Finding> f;
  auto handler_loc = [&](uint32_t r) {
    if (reqs_[r].created) {
      return spec_.requests[r - (nreq_ - spec_.requests.size())].range.begin;
    }
    uint8_t q = req(r)[kRSrcQueue];
    if (q == kNoQueue)
      q = static_cast<uint8_t>(reqs_[r].queue == ast::kNone ? kNoQueue : reqs_[r].queue);
    if (q != kNoQueue) {
      std::array<uint32_t, 4> fns{};
      if (io_handler_fns(q, fns) > 0) return spec_.fns[fns[0]].range.begin;
      return spec_.queues[q].range.begin;
    }
    return SourceLoc{};
  };
  auto pending = [&](uint32_t r) {
    if (reqs_[r].created) return false;
    Place p = place(r);
    return p == Place::Queued || p == Place::Driver || p == Place::TargetPending ||
           p == Place::TargetDelivered;
  };
  auto at_target = [&](uint32_t r) {
    return place(r) == Place::TargetPending || place(r) == Place::TargetDelivered;
  };
  // A cancel that Reuse wiped or MarkCancelableEx reported and the driver ignored.
  for (uint32_t r = 0; r < nreq_ && !f; ++r) {
    if ((pending(r) || at_target(r)) && has(r, kCancelAimed) &&
        has(r, static_cast<uint16_t>(kWiped | kExIgnored))) {
      f = Finding{
          RuleId::LostCancel, handler_loc(r),
          fmt::format("{} is still pending at the end: its cancel was lost ({})", reqs_[r].name,
                      has(r, kWiped) ? "wiped by WdfRequestReuse"
                                     : "MarkCancelableEx returned STATUS_CANCELLED and "
                                       "the driver did not complete it"),
          reqs_[r].name};
    }
  }
  for (uint32_t a = 0; a < nact_ && !f; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const CodeUnit& u = prog_.units[p[kAUnit] - 1];
    // The visible instruction it is stuck at (a first step may start with local code); an
    // activity waiting for an inline cancel routine is stuck at the call that started it.
    uint32_t pc = get16(p + kAPc);
    if (p[kAWait] != 0) {
      while (pc > 0 && u.code[pc - 1].op != Op::Api) --pc;
      if (pc > 0) --pc;
    }
    for (int hops = 0; hops < 10000 && pc < u.code.size() && !u.visible(pc); ++hops) {
      const Instr& j = u.code[pc];
      if (j.op == Op::Return) break;
      pc = j.op == Op::Jump ? j.target : pc + 1;
    }
    const Instr& in = u.code[std::min<std::size_t>(pc, u.code.size() - 1)];
    if (p[kAWait] == 0 && in.op == Op::Api && in.api() == ApiId::GetMessage) {
      // A client waiting for a completion message that will never come.
      std::string closed;
      for (std::size_t c = 0; c < spec_.conversations.size(); ++c) {
        if (s_[conv_base_ + c] != 0) closed = spec_.conversations[c].name;
      }
      if (!closed.empty()) {
        f = Finding{RuleId::LostCancel, in.src.begin,
                    fmt::format("{} waits forever in GetMessage: the cancel closed conversation "
                                "{}, so no verb on it can complete",
                                lane_of(a), closed),
                    lane_of(a)};
      } else {
        f = Finding{
            RuleId::NeverCompleted, in.src.begin,
            fmt::format("{} waits forever in GetMessage: no verb is left to complete", lane_of(a)),
            lane_of(a)};
      }
      continue;
    }
    std::string why = "is blocked";
    if (p[kAWait] != 0) {
      why = fmt::format("waits for {} to return", lane_of(p[kAWait] - 1u));
    } else if ((p[kAFlags] & (kStarted | kNeedsSync)) == kNeedsSync) {
      why = "waits for the device's automatic synchronization lock";
    } else if (in.op == Op::Api) {
      ApiId api = in.api();
      if (api == ApiId::WdfSpinLockAcquire || api == ApiId::NdisAcquireSpinLock) {
        uint32_t l = static_cast<uint32_t>(get32(p + kARegs + 4 * u.args[in.args_begin].value));
        uint8_t owner = s_[lock_base_ + l];
        why = fmt::format("waits for lock {} held by {}", spec_.locks[l].name, owner_text(owner));
      } else if (api == ApiId::KeWaitForSingleObject) {
        uint32_t ev = static_cast<uint32_t>(get32(p + kARegs + 4 * u.args[in.args_begin].value));
        why = fmt::format("waits for event {} that is never set", spec_.events[ev].name);
      }
    }
    f = Finding{RuleId::Deadlock, in.src.begin, fmt::format("deadlock: {} {}", lane_of(a), why),
                lane_of(a)};
  }
  for (uint32_t n = 0; n < nnbl_ && !f; ++n) {
    if (!nbls_[n].from_protocol) continue;
    NblOwner o = owner(n);
    if (o != NblOwner::Filter && o != NblOwner::Below) continue;
    SourceLoc at = spec_.filters[nbls_[n].filter].range.begin;
    if ((nbl(n)[kNFlags] & kNblCancelAimed) != 0) {
      f = Finding{RuleId::LostCancel, at,
                  fmt::format("{} is still {} at the end although the protocol cancelled its "
                              "id {} ({})",
                              nbls_[n].name, nbl_place(n), nbl_id_text(n),
                              o == NblOwner::Below ? "the cancel was never passed down"
                                                   : "the filter never returned it"),
                  nbls_[n].name};
    } else {
      f = Finding{
          RuleId::NeverCompleted, at,
          fmt::format("{} is never returned to the protocol ({})", nbls_[n].name, nbl_place(n)),
          nbls_[n].name};
    }
  }
  for (uint32_t t = 0; t < ntask_ && !f; ++t) {
    if (task_state(t) != TaskState::Outstanding) continue;
    f = Finding{RuleId::NeverCompleted, spec_.conversations[task(t)[kTConv]].range.begin,
                fmt::format("{} is never completed: the partner never answers and nothing "
                            "cancels it",
                            task_name(t)),
                task_name(t)};
  }
  for (uint32_t r = 0; r < nreq_ && !f; ++r) {
    if (!pending(r)) continue;
    if (has(r, kCancelAimed)) {
      f = Finding{RuleId::LostCancel, handler_loc(r),
                  fmt::format("{} is still pending at the end although it was cancelled (the "
                              "cancel was never honoured)",
                              reqs_[r].name),
                  reqs_[r].name};
    } else {
      f = Finding{RuleId::NeverCompleted, handler_loc(r),
                  fmt::format("{} is never completed ({})", reqs_[r].name, place_text(r)),
                  reqs_[r].name};
    }
  }
  s_ = nullptr;
  return f;
}

// ======================================================================= words

std::string KmdfSystem::render(int32_t v, TypeKind t) const {
  if (sym_render_.valid() && static_cast<uint32_t>(v) == sym_render_.value &&
      (t == TypeKind::Status || t == TypeKind::Int)) {
    return sym_to_string(pool_, sym_render_);
  }
  switch (t) {
    case TypeKind::Bool:
      return v ? "TRUE" : "FALSE";
    case TypeKind::Status: {
      std::string_view n = constant_name(TypeKind::Status, v);
      if (!n.empty()) return std::string(n);
      return fmt::format("0x{:08X}", static_cast<uint32_t>(v));
    }
    case TypeKind::Request: {
      if (v == 0) return "NULL";
      uint32_t r = (static_cast<uint32_t>(v) & 0xFFFF) - 1;
      if (r >= nreq_) return "<bad handle>";
      uint32_t epoch = (static_cast<uint32_t>(v) >> 16) & 0xFF;
      if (s_ && epoch != kCurrentEpoch && epoch != req(r)[kREpoch])
        return fmt::format("{} (before reuse)", reqs_[r].name);
      return reqs_[r].name;
    }
    case TypeKind::Queue:
      return static_cast<std::size_t>(v) < spec_.queues.size() ? spec_.queues[v].name : "?";
    case TypeKind::Target:
      return static_cast<std::size_t>(v) < spec_.targets.size() ? spec_.targets[v].name : "?";
    case TypeKind::Lock:
      return static_cast<std::size_t>(v) < spec_.locks.size() ? spec_.locks[v].name : "?";
    case TypeKind::Event:
      return static_cast<std::size_t>(v) < spec_.events.size() ? spec_.events[v].name : "?";
    case TypeKind::Timer:
      return static_cast<std::size_t>(v) < spec_.timers.size() ? spec_.timers[v].name : "?";
    case TypeKind::Fn:
      return fn_name(static_cast<uint32_t>(v));
    case TypeKind::Nbl:
      if (v == 0) return "NULL";
      return v > 0 && static_cast<uint32_t>(v) <= nnbl_ ? nbls_[v - 1].name : "<bad NBL>";
    case TypeKind::Task:
      return v == 0 ? "NULL" : task_name(static_cast<uint32_t>(v - 1));
    case TypeKind::Vcb:
      return v == 0 ? "NULL" : vcb_name(static_cast<uint32_t>(v - 1));
    case TypeKind::Miniport:
      return static_cast<std::size_t>(v) < spec_.miniports.size() ? spec_.miniports[v].name : "?";
    case TypeKind::Conversation:
      return static_cast<std::size_t>(v) < spec_.conversations.size() ? spec_.conversations[v].name
                                                                      : "?";
    case TypeKind::Filter:
      return static_cast<std::size_t>(v) < spec_.filters.size() ? spec_.filters[v].name : "?";
    case TypeKind::Verb: {
      std::string_view n = constant_name(TypeKind::Verb, v);
      return n.empty() ? std::to_string(v) : std::string(n);
    }
    case TypeKind::Void:
      return "";
    default:
      return std::to_string(v);
  }
}

std::string KmdfSystem::place_text(uint32_t r) const {
  switch (place(r)) {
    case Place::NotArrived:
      return "not arrived";
    case Place::Queued:
      return fmt::format("queued at {}", spec_.queues[req(r)[kRWhere]].name);
    case Place::Driver:
      return "owned by the driver";
    case Place::TargetPending:
      return fmt::format("sent to {}", spec_.targets[req(r)[kRWhere]].name);
    case Place::TargetDelivered:
      return fmt::format("held by target {}", spec_.targets[req(r)[kRWhere]].name);
    case Place::Completed:
      return has(r, kDeleted) ? "deleted" : "completed";
    case Place::Freed:
      return "freed";
  }
  return "?";
}

std::vector<ObjectView> KmdfSystem::objects() const {
  std::vector<ObjectView> out;
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (place(r) == Place::NotArrived) continue;
    ObjectView o;
    o.name = reqs_[r].name;
    o.kind = "request";
    const uint8_t* p = req(r);
    o.fields.emplace_back("place", place_text(r));
    o.fields.emplace_back("cancelable", p[kRCancelFn] ? fn_name(p[kRCancelFn] - 1u) : "no");
    o.fields.emplace_back("cancel flag", has(r, kCancelFlag) ? "set" : "clear");
    o.fields.emplace_back("refs", std::to_string(p[kRRefs]));
    o.fields.emplace_back("epoch", std::to_string(p[kREpoch]));
    o.fields.emplace_back("completions", std::to_string(p[kRCompletions]));
    o.fields.emplace_back("status", slot_text(p + kRStatus, TypeKind::Status));
    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      o.fields.emplace_back(spec_.context[f].name,
                            slot_text(p + kRCtx + 4 * f, spec_.context[f].type));
    }
    out.push_back(std::move(o));
  }
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (owner(n) == NblOwner::Unallocated) continue;
    const uint8_t* p = nbl(n);
    ObjectView o{nbls_[n].name, "nbl", {}};
    o.fields.emplace_back("owner", nbl_place(n));
    o.fields.emplace_back("origin", nbls_[n].from_protocol ? "protocol" : "filter");
    o.fields.emplace_back("cancel id", nbl_id_text(n));
    if ((p[kNFlags] & kNblCancelAimed) != 0) o.fields.emplace_back("cancelled", "yes");
    if ((p[kNFlags] & kNblAborted) != 0) o.fields.emplace_back("aborted below", "yes");
    o.fields.emplace_back("completions", std::to_string(p[kNCompletions]));
    if (!nbls_[n].from_protocol) o.fields.emplace_back("uses", std::to_string(p[kNEpoch]));
    out.push_back(std::move(o));
  }
  for (uint32_t t = 0; t < ntask_; ++t) {
    if (task_state(t) == TaskState::None) continue;
    const uint8_t* p = task(t);
    static constexpr std::array<const char*, 4> kStates = {
        "none", "outstanding", "completed (message queued)", "message received"};
    ObjectView o{task_name(t), "task", {}};
    o.fields.emplace_back("state", kStates[p[kTState]]);
    o.fields.emplace_back("verb", render(p[kTVerb], TypeKind::Verb));
    o.fields.emplace_back("conversation", spec_.conversations[p[kTConv]].name);
    o.fields.emplace_back("vcb", vcb_name(p[kTVcb]));
    if (task_state(t) != TaskState::Outstanding) {
      o.fields.emplace_back("result", appc_code_text(static_cast<int16_t>(get16(p + kTRc))));
    }
    if ((p[kTFlags] & kTaskSilent) != 0) o.fields.emplace_back("partner", "never answers");
    out.push_back(std::move(o));
  }
  for (uint32_t v = 0; v < nvcb_; ++v) {
    if (vcb_state(v) == VcbState::Unallocated) continue;
    const uint8_t* p = vcb(v);
    ObjectView o{vcb_name(v), "vcb", {}};
    o.fields.emplace_back("state", vcb_state(v) == VcbState::Freed ? "freed" : "allocated");
    o.fields.emplace_back("verb", p[kVTask] ? task_name(p[kVTask] - 1u) : "none");
    o.fields.emplace_back("primary rc", appc_code_text(get32(p + kVRc)));
    out.push_back(std::move(o));
  }
  for (std::size_t c = 0; c < spec_.conversations.size(); ++c) {
    out.push_back({spec_.conversations[c].name,
                   "conversation",
                   {{"state", s_[conv_base_ + c] ? "closed by a cancel" : "open"}}});
  }
  if (ntask_ > 0) {
    const uint8_t* q = s_ + msg_base_;
    std::string value = "[";
    for (uint32_t i = 0; i < q[0]; ++i) value += (i ? ", " : "") + task_name(q[1 + i]);
    out.push_back({"message queue", "queue", {{"messages", value + "]"}}});
  }
  for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
    uint8_t owner = s_[lock_base_ + l];
    out.push_back({spec_.locks[l].name, "lock", {{"held by", owner_text(owner)}}});
  }
  for (std::size_t e = 0; e < spec_.events.size(); ++e) {
    out.push_back({spec_.events[e].name,
                   "event",
                   {{"state", s_[event_base_ + e] ? "signalled" : "not signalled"}}});
  }
  for (std::size_t t = 0; t < spec_.timers.size(); ++t) {
    uint8_t st = s_[timer_base_ + t];
    out.push_back({spec_.timers[t].name,
                   "timer",
                   {{"state", st == 1   ? "armed"
                              : st == 2 ? "fired"
                                        : "idle"}}});
  }
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const ast::VarDecl& gd = spec_.globals[g];
    std::string value;
    const uint8_t* p = global(static_cast<uint32_t>(g));
    if (is_list(gd.type)) {
      int32_t n = get32(p);
      value = "[";
      for (int32_t i = 0; i < n; ++i) {
        if (i) value += ", ";
        value += render(get32(p + 4 + 4 * i),
                        gd.type == TypeKind::ListNbl ? TypeKind::Nbl : TypeKind::Request);
      }
      value += "]";
    } else {
      value = slot_text(p, gd.type);
    }
    out.push_back({gd.name, "global", {{"value", value}}});
  }
  return out;
}

ResultLoc KmdfSystem::result_loc(SourceLoc loc) const {
  ResultLoc r;
  if (!loc.valid()) return r;
  r.file = sm_.file(loc.file).path;
  r.line = loc.line;
  r.col = loc.col;
  r.source = std::string(sm_.line_text(loc.file, loc.line));
  return r;
}

Explanation KmdfSystem::explain(const Finding& finding, std::span<const TraceStep> trace) {
  Explanation e;
  if (trace.empty()) return e;
  auto last = static_cast<uint32_t>(trace.size() - 1);
  const std::string& obj = finding.object;
  auto find_back = [&](uint32_t from,
                       const std::vector<std::string>& keys) -> std::optional<uint32_t> {
    for (uint32_t i = from + 1; i-- > 0;) {
      for (const std::string& k : keys) {
        if (trace[i].note.find(k) != std::string::npos ||
            trace[i].action.find(k) != std::string::npos) {
          return i;
        }
      }
    }
    return std::nullopt;
  };
  auto step_words = [&](uint32_t i) {
    return fmt::format("{} at step {}", trace[i].activity_name, i + 1);
  };
  bool at_step = finding.rule != RuleId::NeverCompleted && finding.rule != RuleId::LostCancel &&
                 !(finding.rule == RuleId::Deadlock && finding.message.starts_with("deadlock:"));
  switch (finding.rule) {
    case RuleId::DoubleCompletion: {
      // An NBL sent below, or a verb's result already handled on another path.
      auto other =
          find_back(last - 1, {"gives " + obj + " to miniport", "handles the result of " + obj});
      if (other && trace[*other].activity_name != trace[last].activity_name) {
        e.racing_steps = {*other, last};
        bool sent = trace[*other].note.find("gives") != std::string::npos;
        e.headline = fmt::format("{} {}; {} {} it again", step_words(*other),
                                 sent ? "sent " + obj + " below" : "handled the result of " + obj,
                                 step_words(last), sent ? "completed" : "handled");
        return e;
      }
      auto first = find_back(last - 1, {"completes " + obj + " "});
      if (first) {
        e.racing_steps = {*first, last};
        e.headline = fmt::format("{} completed {}; {} completed it again", step_words(*first), obj,
                                 step_words(last));
        return e;
      }
      break;
    }
    case RuleId::UseAfterFree: {
      auto gone =
          find_back(last - 1, {"frees " + obj, "gives " + obj + " ", "completes " + obj + " "});
      if (gone) {
        e.racing_steps = {*gone, last};
        e.headline = fmt::format("{} let go of {} ({}); {} still used it", step_words(*gone), obj,
                                 trace[*gone].note, step_words(last));
        return e;
      }
      break;
    }
    case RuleId::UseAfterReuse: {
      auto reuse = find_back(last - 1, {"reuses " + obj});
      if (reuse) {
        e.racing_steps = {*reuse, last};
        e.headline = fmt::format("{} reused {}; {} acted on it through an old handle",
                                 step_words(*reuse), obj, step_words(last));
        return e;
      }
      break;
    }
    case RuleId::CompleteAfterUnmarkCancelled: {
      auto unmark = find_back(last - 1, {"Unmark returned STATUS_CANCELLED for " + obj});
      if (unmark) {
        e.racing_steps = {*unmark, last};
        e.headline = fmt::format(
            "{} saw WdfRequestUnmarkCancelable return STATUS_CANCELLED for "
            "{}; {} completed it anyway",
            step_words(*unmark), obj, step_words(last));
        return e;
      }
      break;
    }
    case RuleId::LostCancel: {
      auto closed = find_back(last, {"closes conversation"});
      if (closed && finding.message.find("GetMessage") != std::string::npos) {
        e.racing_steps = {*closed, last};
        e.headline = fmt::format(
            "{} cancelled a verb and closed its conversation; {} then waits forever in "
            "GetMessage (after step {})",
            step_words(*closed), obj, last + 1);
        return e;
      }
      auto cancel = find_back(last, {"cancels " + obj, "cancel sent for " + obj});
      auto lost = find_back(last, {"wipes the pending cancel of " + obj,
                                   obj + " was already cancelled: the driver must complete it"});
      if (cancel && lost && *lost > *cancel) {
        e.racing_steps = {*cancel, *lost};
        e.headline =
            fmt::format("{} cancelled {}; {} lost the cancel ({}), so {} stays pending",
                        step_words(*cancel), obj, step_words(*lost), trace[*lost].note, obj);
        return e;
      }
      if (cancel) {
        e.racing_steps = {*cancel};
        e.headline = fmt::format("{} cancelled {}, but nothing honoured the cancel: {}",
                                 step_words(*cancel), obj, finding.message);
        return e;
      }
      break;
    }
    default:
      break;
  }
  if (at_step) {
    e.racing_steps = {last};
    e.headline = fmt::format("{}: {}", step_words(last), finding.message);
  } else {
    e.headline = finding.message;
  }
  return e;
}

// ======================================================================= symbolic data

std::string KmdfSystem::build_symbolic() {
  auto too_wide = [](uint32_t w) {
    return fmt::format("symbolic int<{}>: values wider than 32 bits are not executed yet", w);
  };
  for (const ast::VarDecl& g : spec_.globals) {
    if (!g.symbolic) continue;
    if (g.width > kIntWidth) return too_wide(g.width);
    sym_ = true;
  }
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op != Op::Symbolic) continue;
      if (static_cast<uint32_t>(in.imm) > kIntWidth) return too_wide(static_cast<uint32_t>(in.imm));
      sym_ = true;
    }
    // Partial cancel ids are symbolic (CR012).
    for (const Instr& in : u.code) {
      sym_ = sym_ || (in.op == Op::Api && in.api() == ApiId::NdisGeneratePartialCancelId);
    }
  }
  for (const ast::TargetDecl& t : spec_.targets) sym_ = sym_ || t.completes_symbolic;
  for (const ast::EnvItem& it : spec_.environment) {
    sym_ = sym_ || (it.kind == ast::EnvKind::Stop && it.stop == ast::StopKind::Symbolic);
  }
  if (!sym_) return {};
  size_ = (size_ + 3) & ~std::size_t{3};
  sym_base_ = static_cast<uint32_t>(size_);
  size_ += 4 + (sym_base_ / 4 + 7) / 8;
  pcs_.assign(1, PathCondition{});
  pc_ids_[pcs_[0].hash()].push_back(0);
  return {};
}

std::optional<bool> KmdfSystem::sym_split(SymTermId on_one, SymTermId on_zero) {
  if (++sym_forks_ > kMaxSymForks) {
    throw ModelLimit(fmt::format(
        "{} branched on symbolic values more than {} times in one step (a local loop over "
        "a symbolic bound?)",
        lane_of(self_), kMaxSymForks));
  }
  const bool one = oracle_.choose(2) == 1;
  const SymTermId side = one ? on_one : on_zero;
  PathCondition npc = path_condition();
  npc.add(pool_, side);
  if (!feasible(npc)) return std::nullopt;
  // When the other side is infeasible the condition is implied: the path condition stays as
  // it is, so states that differ only by implied conjuncts coincide.
  PathCondition other = path_condition();
  other.add(pool_, one ? on_zero : on_one);
  if (feasible(other)) {
    set_path_condition(npc);
    if (rec_) note(fmt::format("assuming {}", sym_to_string(pool_, side)));
  }
  return one;
}

SymTermId KmdfSystem::term_at(const uint8_t* p) {
  if (tagged(p)) return SymTermId{static_cast<uint32_t>(get32(p))};
  return pool_.int_const(get32(p));
}

void KmdfSystem::put_term(uint8_t* p, SymTermId t) {
  if (pool_.is_bool(t)) t = pool_.bool_to_int(t);
  if (std::optional<uint64_t> v = pool_.const_value(t)) {
    set32(p, static_cast<int32_t>(static_cast<uint32_t>(*v)));
    set_tag(p, false);
    return;
  }
  set32(p, static_cast<int32_t>(t.value));
  set_tag(p, true);
}

SymTermId KmdfSystem::partial_id_var(std::string_view name) {
  auto [it, fresh] =
      var_ids_.try_emplace(std::string(name), static_cast<uint32_t>(var_ids_.size() + 1));
  return pool_.var(SymVarId{it->second}, name, kPartialCancelIdWidth);
}

Outcome KmdfSystem::check_cancel_id_collision(uint32_t n, SymTermId id, const Instr& in) {
  if (pool_.const_value(id) == 0) return Outcome::Continue;  // clearing the id
  const std::array<SymTermId, 1> own{partial_id_var(kOwnPartialIdName)};
  std::vector<SymTermId> others;
  for (uint32_t k = 1; k <= kOtherPartialIds; ++k) {
    others.push_back(partial_id_var(fmt::format("partial_id(other#{})", k)));
  }
  const CancelIdCollisionTerms terms = cancel_id_collision_terms(pool_, id, own, others);
  PathCondition bad = path_condition();
  bad.add(pool_, terms.distinct);
  bad.add(pool_, terms.collision);
  if (bad.is_false()) return Outcome::Continue;
  if (decider_ == nullptr) throw std::logic_error("a symbolic spec is explored without a solver");
  SymDecision d = decider_->check(pool_, bad);
  if (d.kind == SymSat::Unknown) {
    if (undecided_.empty()) undecided_ = d.reason.empty() ? "the solver gave up" : d.reason;
    return Outcome::Continue;
  }
  if (d.kind == SymSat::Unsat) return Outcome::Continue;
  // The successor carries the collision, so the trace's model names the colliding driver.
  set_path_condition(bad);
  std::optional<uint64_t> v = pool_.const_value(id);
  violation(RuleId::CancelIdCollision, in.src,
            fmt::format("the cancel id {} set on {} can collide with another driver's: its high "
                        "byte need not be this driver's partial cancel id "
                        "(NdisGeneratePartialCancelId)",
                        v ? id_text(static_cast<int32_t>(static_cast<uint32_t>(*v)))
                          : sym_to_string(pool_, id, 200),
                        nbls_[n].name),
            nbls_[n].name);
  return Outcome::Violation;
}

std::string KmdfSystem::nbl_id_text(uint32_t n) const {
  const uint8_t* p = nbl(n) + kNCancelId;
  if (sym_ && tagged(p)) return sym_to_string(pool_, SymTermId{static_cast<uint32_t>(get32(p))});
  return id_text(get32(p));
}

SymTermId KmdfSystem::sym_var(const std::string& name, unsigned width) {
  auto [it, fresh] = var_ids_.try_emplace(name, static_cast<uint32_t>(var_ids_.size() + 1));
  return pool_.to_int(pool_.var(SymVarId{it->second}, name, width));
}

void KmdfSystem::set_path_condition(const PathCondition& pc) {
  std::vector<uint32_t>& ids = pc_ids_[pc.hash()];
  for (uint32_t id : ids) {
    if (pcs_[id] == pc) {
      set32(s_ + sym_base_, static_cast<int32_t>(id));
      return;
    }
  }
  ids.push_back(static_cast<uint32_t>(pcs_.size()));
  set32(s_ + sym_base_, static_cast<int32_t>(pcs_.size()));
  pcs_.push_back(pc);
}

bool KmdfSystem::feasible(const PathCondition& pc) {
  if (pc.is_false()) return false;
  if (pc.is_true()) return true;
  if (decider_ == nullptr) throw std::logic_error("a symbolic spec is explored without a solver");
  SymDecision d = decider_->check(pool_, pc);
  if (d.kind == SymSat::Unknown) {
    // Kept, never pruned silently: the verdict becomes incomplete (docs/symbolic.md).
    if (undecided_.empty()) undecided_ = d.reason.empty() ? "the solver gave up" : d.reason;
    return true;
  }
  return d.kind == SymSat::Sat;
}

SymTermId KmdfSystem::cond_of(SymTermId t) {
  const SymNode& n = pool_.node(t);
  if (n.op == SymOp::Ite && pool_.const_value(n.kids[1]) == 1 &&
      pool_.const_value(n.kids[2]) == 0) {
    return n.kids[0];
  }
  return pool_.to_bool(t);
}

std::string KmdfSystem::slot_text(const uint8_t* p, TypeKind t) const {
  if (tagged(p)) return sym_to_string(pool_, SymTermId{static_cast<uint32_t>(get32(p))});
  return render(get32(p), t);
}

std::optional<Outcome> KmdfSystem::exec_symbolic(uint32_t a, const CodeUnit& u, const Instr& in) {
  const uint16_t pc = get16(act(a) + kAPc);
  auto next = [&] {
    set16(act(a) + kAPc, static_cast<uint16_t>(pc + 1));
    return Outcome::Continue;
  };
  auto is_sym = [&](Reg r) { return tagged(reg_ptr(a, r)); };
  auto term = [&](Reg r) { return term_at(reg_ptr(a, r)); };
  switch (in.op) {
    case Op::Symbolic: {
      std::string name = fmt::format("{}.{}", lane_of(a), u.reg_names[in.a.value]);
      put_term(reg_ptr(a, in.a), sym_var(name, static_cast<unsigned>(in.imm)));
      if (rec_) note(fmt::format("{} is symbolic (int<{}>)", name, in.imm));
      return next();
    }
    case Op::Move:
      if (!is_sym(in.b)) return std::nullopt;
      put_term(reg_ptr(a, in.a), term(in.b));
      return next();
    case Op::NtSuccess:
      if (!is_sym(in.b)) return std::nullopt;
      put_term(reg_ptr(a, in.a), pool_.sge(term(in.b), pool_.int_const(0)));
      return next();
    case Op::Unary: {
      if (!is_sym(in.b)) return std::nullopt;
      SymTermId x = term(in.b);
      SymTermId r = x;
      switch (static_cast<ast::UnaryOp>(in.sub)) {
        case ast::UnaryOp::Not:
          r = pool_.mk_not(cond_of(x));
          break;
        case ast::UnaryOp::Neg:
          r = pool_.bv_neg(x);
          break;
        case ast::UnaryOp::BitNot:
          r = pool_.bv_not(x);
          break;
      }
      put_term(reg_ptr(a, in.a), r);
      return next();
    }
    case Op::Binary: {
      if (!is_sym(in.b) && !is_sym(in.c)) return std::nullopt;
      SymTermId x = term(in.b);
      SymTermId y = term(in.c);
      SymTermId r = x;
      switch (static_cast<ast::BinaryOp>(in.sub)) {
        case ast::BinaryOp::Add:
          r = pool_.bv_add(x, y);
          break;
        case ast::BinaryOp::Sub:
          r = pool_.bv_sub(x, y);
          break;
        case ast::BinaryOp::Mul:
          r = pool_.bv_mul(x, y);
          break;
        case ast::BinaryOp::BitAnd:
          r = pool_.bv_and(x, y);
          break;
        case ast::BinaryOp::BitOr:
          r = pool_.bv_or(x, y);
          break;
        case ast::BinaryOp::BitXor:
          r = pool_.bv_xor(x, y);
          break;
        case ast::BinaryOp::Shl:
          r = pool_.bv_shl(x, y);
          break;
        case ast::BinaryOp::Shr:
          r = pool_.bv_ashr(x, y);
          break;
        case ast::BinaryOp::Eq:
          r = pool_.mk_eq(x, y);
          break;
        case ast::BinaryOp::Ne:
          r = pool_.mk_ne(x, y);
          break;
        case ast::BinaryOp::Lt:
          r = pool_.slt(x, y);
          break;
        case ast::BinaryOp::Le:
          r = pool_.sle(x, y);
          break;
        case ast::BinaryOp::Gt:
          r = pool_.sgt(x, y);
          break;
        case ast::BinaryOp::Ge:
          r = pool_.sge(x, y);
          break;
        case ast::BinaryOp::LogAnd:
          r = pool_.mk_and(cond_of(x), cond_of(y));
          break;
        case ast::BinaryOp::LogOr:
          r = pool_.mk_or(cond_of(x), cond_of(y));
          break;
      }
      put_term(reg_ptr(a, in.a), r);
      return next();
    }
    case Op::JumpIfZero:
    case Op::JumpIfNonZero: {
      if (!is_sym(in.a)) return std::nullopt;
      // Fork: choice 0 falls through, choice 1 jumps; each side adds its condition to the
      // path condition and is dropped when the solver finds that unsatisfiable.
      const SymTermId c = cond_of(term(in.a));
      const SymTermId zero = pool_.mk_not(c);
      const std::optional<bool> jumps =
          in.op == Op::JumpIfNonZero ? sym_split(c, zero) : sym_split(zero, c);
      if (!jumps) return Outcome::Infeasible;
      if (!*jumps) return next();
      set16(act(a) + kAPc, static_cast<uint16_t>(in.target));
      return Outcome::Continue;
    }
    case Op::Assume: {
      if (!is_sym(in.a)) return std::nullopt;
      PathCondition npc = path_condition();
      npc.add(pool_, cond_of(term(in.a)));
      if (!feasible(npc)) return Outcome::Pruned;
      set_path_condition(npc);
      return next();
    }
    case Op::Assert: {
      if (!is_sym(in.a)) return std::nullopt;
      const SymTermId c = cond_of(term(in.a));
      PathCondition bad = path_condition();
      bad.add(pool_, pool_.mk_not(c));
      if (bad.is_false()) return next();
      if (decider_ == nullptr)
        throw std::logic_error("a symbolic spec is explored without a solver");
      SymDecision d = decider_->check(pool_, bad);
      if (d.kind == SymSat::Unknown) {
        if (undecided_.empty()) undecided_ = d.reason.empty() ? "the solver gave up" : d.reason;
        return next();
      }
      if (d.kind == SymSat::Unsat) return next();
      // The successor carries pc ∧ !c, so the trace's model is a violating assignment.
      set_path_condition(bad);
      violation(RuleId::Assertion, in.src,
                fmt::format("assertion failed in {}: {} can be false", lane_of(a),
                            sym_to_string(pool_, c, 200)));
      return Outcome::Violation;
    }
    case Op::Interlocked: {
      bool sym = in.loc.kind == LocKind::Global && tagged(global(in.loc.index));
      sym = sym || (in.loc.kind == LocKind::Reg && tagged(act(a) + kARegs + 4 * in.loc.index));
      for (uint8_t i = 0; i < in.nargs; ++i) sym = sym || is_sym(u.args[in.args_begin + i]);
      if (!sym) return std::nullopt;
      throw ModelLimit(fmt::format("{}: {} on a symbolic value is not executed yet", lane_of(a),
                                   api_info(in.api()).name));
    }
    case Op::Api: {
      const ApiInfo& info = api_info(in.api());
      int sym_arg = -1;
      for (uint8_t i = 0; i < in.nargs; ++i) {
        if (!is_sym(u.args[in.args_begin + i])) continue;
        const bool status_of_complete = (in.api() == ApiId::WdfRequestComplete ||
                                         in.api() == ApiId::WdfRequestCompleteWithInformation) &&
                                        i < info.params.size() &&
                                        info.params[i] == TypeKind::Status;
        // The cancel id of NDIS_SET_NET_BUFFER_LIST_CANCEL_ID may be a term too (CR012).
        const bool cancel_id = in.api() == ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID && i == 1;
        if (!(status_of_complete || cancel_id) || sym_arg >= 0) {
          throw ModelLimit(fmt::format(
              "{}: a symbolic value passed to {} (only the status of WdfRequestComplete and "
              "WdfRequestCompleteWithInformation and the id of "
              "NDIS_SET_NET_BUFFER_LIST_CANCEL_ID may be symbolic)",
              lane_of(a), info.name));
        }
        sym_arg = i;
      }
      if (sym_arg < 0) return std::nullopt;
      if (in.api() == ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID) {
        sym_cancel_id_ = term(u.args[in.args_begin + static_cast<uint32_t>(sym_arg)]);
        sym_render_ = sym_cancel_id_;
        Outcome o = Outcome::Continue;
        try {
          o = exec_api(a, u, in);
        } catch (...) {
          sym_cancel_id_ = sym_render_ = SymTermId{};
          throw;
        }
        sym_cancel_id_ = sym_render_ = SymTermId{};
        if (o != Outcome::Continue) return o;
        if (act(a)[kAUnit] == 0) return Outcome::Finished;
        return next();
      }
      // The request keeps the status term (see complete()); the trace prints the term.
      sym_status_ = true;
      sym_render_ = term(u.args[in.args_begin + static_cast<uint32_t>(sym_arg)]);
      Outcome o = Outcome::Continue;
      try {
        o = exec_api(a, u, in);
      } catch (...) {
        sym_status_ = false;
        sym_render_ = SymTermId{};
        throw;
      }
      sym_status_ = false;
      sym_render_ = SymTermId{};
      if (o != Outcome::Continue) return o;
      if (act(a)[kAUnit] == 0) return Outcome::Finished;
      return next();
    }
    default:
      return std::nullopt;
  }
}

void KmdfSystem::target_complete_symbolic(uint32_t r) {
  // One variable per request and epoch: a reused request completes with a fresh status.
  std::string name = fmt::format("status({}", reqs_[r].name);
  if (req(r)[kREpoch] != 0) name += fmt::format("@{}", req(r)[kREpoch]);
  name += ")";
  SymTermId st = sym_var(name, kIntWidth);
  if (rec_) {
    rec_->actions.push_back(fmt::format("completes {} with {}", reqs_[r].name, name));
    rec_->results.emplace_back();
  }
  sym_status_ = true;
  sym_render_ = st;
  target_complete(r, static_cast<int32_t>(st.value));
  sym_status_ = false;
  sym_render_ = SymTermId{};
}

SymTermId KmdfSystem::symbolic_stop_action(bool purge) {
  // The kind of stop is the variable stop.action ∈ {Suspend, Purge}. The framework's own
  // reaction (purging the queues) depends on it, so the stop event forks on it under the path
  // condition; the driver's tests of the flags are then decided by the solver.
  SymTermId action = sym_var("stop.action", kIntWidth);
  SymTermId suspend = pool_.int_const(k::WdfRequestStopActionSuspend);
  SymTermId purge_c = pool_.int_const(k::WdfRequestStopActionPurge);
  PathCondition npc = path_condition();
  npc.add(pool_, pool_.mk_or(pool_.mk_eq(action, suspend), pool_.mk_eq(action, purge_c)));
  npc.add(pool_, pool_.mk_eq(action, purge ? purge_c : suspend));
  if (!feasible(npc)) return SymTermId{};
  set_path_condition(npc);
  return action;
}

void KmdfSystem::symbolic_stop_flags(uint32_t slot, uint32_t r, SymTermId action) {
  const CodeUnit& u = prog_.units[act(slot)[kAUnit] - 1u];
  if (u.param_count < 2) return;
  // The cancelable bit is the framework's own knowledge of the request: concrete.
  int32_t bit = req(r)[kRCancelFn] != 0 ? k::WdfRequestStopRequestCancelable : 0;
  put_term(reg_ptr(slot, Reg{1}), pool_.bv_or(action, pool_.int_const(bit)));
}

std::vector<std::pair<std::string, std::string>> KmdfSystem::symbolic_values() {
  const PathCondition& pc = path_condition();
  if (pc.is_true() || pc.is_false() || decider_ == nullptr) return {};
  SymDecision d = decider_->solve(pool_, pc);
  if (d.kind == SymSat::Unknown && undecided_.empty()) {
    undecided_ = d.reason.empty() ? "the solver gave up on a trace's model" : d.reason;
  }
  if (d.kind != SymSat::Sat || !d.model) return {};
  std::vector<std::pair<std::string, std::string>> out = sym_describe(pool_, *d.model);
  const auto entries = d.model->entries();
  for (std::size_t i = 0; i < out.size() && i < entries.size(); ++i) {
    const SymVarInfo* v = pool_.var_info(entries[i].first);
    if (v != nullptr && v->width == kPartialCancelIdWidth && v->name.starts_with("partial_id")) {
      out[i].second += fmt::format(" (0x{:02X})", entries[i].second);  // a cancel id's high byte
      continue;
    }
    if (v == nullptr || v->width != kIntWidth) continue;
    std::string_view n = constant_name(TypeKind::Status, static_cast<int32_t>(entries[i].second));
    if (!n.empty()) out[i].second += fmt::format(" ({})", n);
  }
  return out;
}

}  // namespace

std::unique_ptr<TransitionSystem> make_transition_system(const ast::Spec& spec,
                                                         const SourceManager& sm,
                                                         std::string& unsupported) {
  // A list holds at most every request and NBL that can exist (plus the pools).
  uint32_t cap = 0;
  for (const ast::EnvItem& it : spec.environment) {
    if ((it.kind == ast::EnvKind::Arrive || it.kind == ast::EnvKind::Send) && it.count_value > 0) {
      cap += static_cast<uint32_t>(std::min<int64_t>(it.count_value, 1000));
    }
  }
  if (!spec.filters.empty()) cap += kFilterNblPool;
  cap += static_cast<uint32_t>(spec.requests.size());
  Program prog;
  unsupported = compile_program(spec, std::max<uint32_t>(cap, 1), prog);
  if (!unsupported.empty()) return nullptr;
  for (const CodeUnit& u : prog.units) {
    if (u.code.size() > UINT16_MAX) {
      unsupported = fmt::format("{} is too long", u.name);
      return nullptr;
    }
  }
  if (prog.max_regs > 1024) {
    unsupported = "a function needs more than 1024 registers";
    return nullptr;
  }
  auto sys = std::make_unique<KmdfSystem>(spec, sm, std::move(prog));
  unsupported = sys->build();
  if (!unsupported.empty()) return nullptr;
  return sys;
}

}  // namespace cc
