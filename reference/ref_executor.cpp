// The reference executor (see ref_executor.h). Written from the semantics documents only:
// docs/semantics/ (kmdf.md, ndis.md, appc.md), decisions.md and replay.md. Every
// place where those documents leave a detail open and this file had to pick one is a named constant
// in the "Readings" block below.
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
#include "reference/ref_executor.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "model/api.h"

namespace cc {

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
/// WdfRequestRequeue puts the request back even on a purged queue (only forwarding returns
/// STATUS_WDF_BUSY there, docs/semantics/kmdf.md). The explorer's reading, adopted.
constexpr bool kRequeueIgnoresPurge = true;
/// Every cancel that reaches a request (originator, CancelSentRequest) sets its sticky
/// cancel flag, whatever else it does.
constexpr bool kEveryCancelSetsFlag = true;
/// NDIS (docs/semantics/ndis.md): the protocol may cancel an id once it has handed over every
/// NBL it marked with it, and only while one of them is still out (not returned up).
constexpr bool kCancelSendAfterAllHandedOver = true;
/// NdisFSendNetBufferLists of an NBL already returned upward: it completes by two paths
/// (double completion), not a plain use after the hand-over.
constexpr bool kSendAfterReturnIsDoubleCompletion = true;
/// NBLs NdisAllocateNetBufferList hands out per execution; VCBs and verbs likewise.
constexpr std::size_t kFilterNblPool = 3;
constexpr std::size_t kVcbPool = 4;
constexpr std::size_t kTaskPool = 4;
/// CR012: NdisGeneratePartialCancelId returns the model's value of "partial_id"; another
/// driver's partial id is the model's "partial_id(other#1)". A nonzero cancel id collides when
/// its high byte (bits 31..24) is that other id and the two partial ids differ.
constexpr const char* kOwnPartialId = "partial_id";
constexpr const char* kOtherPartialId = "partial_id(other#1)";
constexpr uint32_t kPartialIdBits = 8;
constexpr uint32_t kPartialIdShift = 24;
/// APPC (docs/semantics/appc.md): WinAPPCCancelAsyncRequest on a verb that has completed returns
/// WAPPCALREADY whether or not its message was received; with the SNA quirk constant set it
/// may return WAPPCINVALID instead (both explored).
constexpr const char* kSnaQuirkConst = "SNA_WAPPCINVALID_QUIRK";
/// A verb's result is "handled" when code reads its VCB's return code after it ended; two
/// different functions handling it is a completion by two paths (CR001).
constexpr bool kResultReadByTwoFunctionsIsDoubleCompletion = true;
/// Upper bound on statements run in one step (a local loop that never reaches a visible
/// operation).
constexpr std::size_t kMaxStatementsPerStep = 200000;
}  // namespace reading

namespace {

using ast::Expr;
using ast::ExprKind;
using ast::Stmt;
using ast::StmtKind;
using ast::SymbolKind;

int32_t named(std::string_view name) {
  const ConstantInfo* c = find_constant(name);
  if (c == nullptr)
    throw std::logic_error(fmt::format("constant {} missing from constants.def", name));
  return static_cast<int32_t>(static_cast<uint32_t>(c->value));
}

struct Consts {
  int32_t success = named("STATUS_SUCCESS");
  int32_t cancelled = named("STATUS_CANCELLED");
  int32_t invalid_device_state = named("STATUS_INVALID_DEVICE_STATE");
  int32_t invalid_device_request = named("STATUS_INVALID_DEVICE_REQUEST");
  int32_t invalid_parameter = named("STATUS_INVALID_PARAMETER");
  int32_t no_more_entries = named("STATUS_NO_MORE_ENTRIES");
  int32_t wdf_busy = named("STATUS_WDF_BUSY");
  int32_t invalid_state = named("STATUS_WDF_REQUEST_INVALID_STATE");
  int32_t stop_suspend = named("WdfRequestStopActionSuspend");
  int32_t stop_purge = named("WdfRequestStopActionPurge");
  int32_t stop_cancelable = named("WdfRequestStopRequestCancelable");
  int32_t reuse_new_irp = named("WDF_REQUEST_REUSE_SET_NEW_IRP");
};

const Consts& K() {
  static const Consts k;
  return k;
}

std::string status_text(int32_t v) {
  std::string_view n = constant_name(TypeKind::Status, v);
  if (!n.empty()) return std::string(n);
  return std::to_string(v);
}

// ---- control signals (thrown inside a step) ----
struct SuspendSig {};  ///< the step has done its visible operation; stop before the next
struct EndStepSig {};  ///< stop right after this operation (the caller now waits)
struct PushedSig {};   ///< a helper frame was pushed: run it
struct BlockedSig {
  std::string why;
};
struct PrunedSig {};  ///< assume(false): this outcome does not exist
struct ViolationSig {
  RuleId rule;
  std::string message;
};
struct ReplayError {
  std::string message;
};

/// The epoch of a created request's declared name: always the object's current I/O
/// (docs/corpus.md "A created request's name is always current"). A copy of it stored in a
/// variable, field or list remembers the epoch it was copied at.
constexpr uint32_t kCurrentEpoch = UINT32_MAX;

/// A value: integers, booleans and statuses in `i`; request handles as (req, epoch), req -1 =
/// NULL; declared objects and fns as their index in `i`.
struct Val {
  int32_t i = 0;
  int32_t req = -1;
  uint32_t epoch = 0;
};

enum class Place : uint8_t {
  NotArrived,
  Queued,
  Driver,
  TargetPending,
  TargetHeld,
  Completed,
  Freed
};

struct Req {
  std::string name;
  bool received = false;
  Place place = Place::NotArrived;
  int queue = -1;         ///< Queued: the queue it is in; else the queue it was delivered from
  int arrive_queue = -1;  ///< the queue of its arrive line
  int target = -1;        ///< target holding it (TargetPending / TargetHeld)
  int cancel_fn = -1;     ///< cancelable: the routine; -1 = not cancelable
  bool cancel_flag = false;
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
  bool stop_pending = false;  ///< its EvtIoStop is running
  bool stop_handled = false;  ///< completed / cancel-sent / acknowledged while it ran
  std::vector<Val> ctx;
  std::vector<std::vector<Val>> ctx_lists;

  bool at_target() const { return place == Place::TargetPending || place == Place::TargetHeld; }
  bool alive() const { return place == Place::Queued || place == Place::Driver || at_target(); }
};

enum class NblOwner : uint8_t { Above, Filter, Below, ReturnedUp, Freed };

struct Nbl {
  std::string name;
  bool from_protocol = true;
  int filter = 0;
  int send_item = -1;
  int32_t protocol_id = 0;
  NblOwner owner = NblOwner::Above;
  int32_t cancel_id = 0;
  int uses = 0;            ///< completions by the miniport so far
  int id_use = 0;          ///< `uses` when the cancel id was last set
  bool aborted = false;    ///< a cancel for its id reached the miniport while it was below
  bool in_send = false;    ///< the protocol's send call (FilterSendNetBufferLists) runs
  bool cancelled = false;  ///< the protocol cancelled its id before it came back
  int miniport = -1;
};

enum class VcbSt : uint8_t { Allocated, Freed };
struct Vcb {
  VcbSt state = VcbSt::Allocated;
  int task = -1;  ///< the verb most recently issued with it
  int32_t rc = 0;
};

enum class TaskSt : uint8_t { Outstanding, Completed, Reaped };
struct Task {
  TaskSt state = TaskSt::Outstanding;
  int vcb = -1;
  int conv = -1;
  int32_t verb = 0;
  bool silent = false;
  int32_t rc = 0;
  const ast::FnDecl* handler = nullptr;  ///< the function that first read its result
};

struct QueueSt {
  std::deque<int> items;
  int current = -1;  ///< sequential: the request being processed
  bool accepting = true;
};

enum class Role : uint8_t {
  Thread,
  Timer,
  EvtIo,
  Stop,
  CanceledOnQueue,
  Cancel,
  Completion,
  FilterCallback  ///< FilterSendNetBufferLists / ...Complete / FilterCancelSendNetBufferLists
};

struct Ctl {
  enum Kind : uint8_t { Seq, Atomic, While, ForIn };
  Kind kind = Seq;
  const ast::StmtPtr* stmts = nullptr;
  std::size_t n = 0;
  std::size_t idx = 0;
  const Stmt* loop = nullptr;
  int32_t for_index = 0;
};

struct Frame {
  const ast::FnDecl* fn = nullptr;
  std::vector<Val> locals;
  std::vector<std::vector<Val>> lists;  ///< list-typed locals, by slot
  std::vector<Ctl> ctl;
  std::map<const Expr*, Val> memo;
  const Expr* call_site = nullptr;  ///< in the caller frame (inlined helpers)
};

struct Act {
  int id = 0;
  std::string key;
  Role role = Role::Thread;
  int req = -1;
  int device = -1;  ///< sync device whose lock the callback takes, -1 none
  bool holds_device = false;
  bool started = false;
  bool done = false;
  int waiting_inline = -1;  ///< id of the inline cancel routine it waits for
  int sending_nbl = -1;     ///< FilterSendNetBufferLists: the NBL whose send call it is
  int inline_caller = -1;   ///< this is an inline cancel routine of that activity
  std::vector<Frame> frames;
};

struct Outcome {
  std::vector<std::string> calls;
  std::vector<std::string> choices;
  std::optional<ViolationSig> violation;
};

/// Resolves nondeterminism.
class Chooser {
 public:
  virtual ~Chooser() = default;
  virtual std::size_t choose(const std::vector<std::string>& options) = 0;
};

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
  bool exhausted() const { return pos_ == tokens_.size(); }

 private:
  const std::vector<std::string>& tokens_;
  std::size_t pos_ = 0;
};

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
  const std::vector<std::size_t>& taken() const { return taken_; }
  /// (position, option count) of the choice points beyond the prefix.
  const std::vector<std::pair<std::size_t, std::size_t>>& fresh_points() const { return counts_; }

 private:
  std::vector<std::size_t> taken_;
  std::vector<std::pair<std::size_t, std::size_t>> counts_;
  std::size_t pos_ = 0;
};

bool is_evtio_handler(const std::string& h) {
  return h.rfind("EvtIo", 0) == 0 && h != "EvtIoStop" && h != "EvtIoCanceledOnQueue" &&
         h != "EvtIoResume";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------
class RefMachine {
 public:
  RefMachine(const ast::Spec& spec, const SourceManager& sm, const SymbolicValues& values);

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
  std::optional<RefEndFinding> end_check() const;
  std::string describe() const;

 private:
  // ---- static info ----
  const ast::Spec* spec_;
  SymbolicValues sym_values_;  ///< the trace's model, by variable name
  /// The concrete value of a symbolic variable (an unlisted one is 0, the canonical value of an
  /// unconstrained variable): int<N> below 32 bits zero-extends, int<32> is two's complement.
  int32_t symbolic_value(const std::string& name, uint32_t width) const {
    auto it = sym_values_.find(name);
    uint64_t v = it == sym_values_.end() ? 0 : it->second;
    if (width < 64) v &= (uint64_t{1} << width) - 1;
    return static_cast<int32_t>(static_cast<uint32_t>(v));
  }
  const SourceManager* sm_;
  std::vector<int> queue_device_;
  std::vector<int> timer_device_;
  std::size_t list_capacity_ = 0;
  int created_base_ = 0;  ///< index of the first created request in reqs_

  // ---- state ----
  std::vector<Req> reqs_;
  std::vector<QueueSt> queues_;
  std::vector<int> lock_holder_;
  std::vector<bool> event_set_;
  std::vector<bool> timer_armed_;
  std::vector<Val> globals_;
  std::vector<std::vector<Val>> global_lists_;
  std::vector<int> device_holder_;
  std::deque<Act> acts_;
  int next_act_id_ = 1;
  std::vector<int> arrived_;    ///< per environment item: requests arrived so far
  std::vector<int> first_req_;  ///< per environment item: index of its first request
  bool stopped_ = false;
  // NDIS / APPC
  std::vector<Nbl> nbls_;
  std::vector<bool> cancel_send_done_;  ///< per environment item
  std::vector<Vcb> vcbs_;
  std::vector<Task> tasks_;
  std::vector<bool> conv_closed_;
  std::deque<int> messages_;  ///< queued completion messages (task indices)
  bool sna_quirk_ = false;

  // ---- per-step context ----
  Chooser* ch_ = nullptr;
  Outcome* out_ = nullptr;
  int cur_ = -1;  ///< id of the activity moving
  int budget_ = 0;
  std::size_t statements_ = 0;
  bool end_step_after_ = false;  ///< the operation just done ends the step (the caller waits)

  // helpers
  Act* find_act(int id) {
    for (Act& a : acts_) {
      if (a.id == id && !a.done) return &a;
    }
    return nullptr;
  }
  const Act* find_act(int id) const {
    for (const Act& a : acts_) {
      if (a.id == id && !a.done) return &a;
    }
    return nullptr;
  }
  Act& cur() {
    Act* a = find_act(cur_);
    if (a == nullptr) throw std::logic_error("reference executor: current activity vanished");
    return *a;
  }
  std::size_t choose(const std::vector<std::string>& options) {
    std::size_t k = ch_->choose(options);
    out_->choices.push_back(options[k]);
    return k;
  }
  [[noreturn]] void violation(RuleId r, std::string msg) { throw ViolationSig{r, std::move(msg)}; }

  int start_activity(const std::string& fn_or_thread_key, const ast::FnDecl& fn, Role role, int req,
                     std::vector<Val> args, int device);
  int device_of_queue(int q) const {
    return q >= 0 ? queue_device_[static_cast<std::size_t>(q)] : -1;
  }
  int sync_device_of_queue(int q) const;
  int sync_device_of_req(int r) const;
  std::string req_name(int r) const { return reqs_[static_cast<std::size_t>(r)].name; }

  // request life cycle
  void release_ref(int r);
  void complete_request(int r, int32_t st);
  void leave_sequential(int r);
  void target_completes(int r, int32_t st);
  void cancel_reaches(int r, bool originator);
  void cancel_on_queue(int r);

  // environment
  void env_arrive(const std::string& qname);
  void env_dispatch(const std::string& qname);
  void env_cancel(const std::string& rname);
  void env_target(const std::string& rname);
  void env_stop();
  void env_timer(const std::string& tname);
  void env_send(const std::string& fname);
  void env_cancel_send(const std::string& rest);
  void env_miniport(const std::string& nname);
  void env_partner(const std::string& tname);
  bool cancel_send_ready(std::size_t item) const;
  void post_completion(int t, int32_t rc);
  const ast::FnDecl* filter_fn(int f, const char* handler) const;
  Nbl& nbl_arg(const Val& v, ApiId api);
  Vcb& vcb_arg(const Val& v, ApiId api);
  Val call_ndis(ApiId id, std::vector<Val>& args);
  Val call_appc(ApiId id, std::vector<Val>& args);
  void move_activity(Act& a);
  int find_req(const std::string& name) const;

  // interpreter
  void run_steps();
  void exec_stmt(std::size_t ctl_index);
  void do_return(Val v);
  void finish_activity();
  Frame& frame() { return cur().frames.back(); }
  Val eval(const Expr& e);
  Val eval_uncached(const Expr& e);
  Val eval_call(const Expr& e);
  Val call_api(const Expr& e, ApiId id, std::vector<Val>& args);
  Val call_builtin(const Expr& e, ApiId id);
  bool truthy(const Expr& e, const Val& v) const;
  /// A handle as stored in a variable: the declared name's "current" becomes an epoch.
  Val copy_of(Val v) const {
    if (v.req >= 0 && v.epoch == kCurrentEpoch)
      v.epoch = reqs_[static_cast<std::size_t>(v.req)].epoch;
    return v;
  }
  bool stale(const Val& h) const {
    return h.epoch != kCurrentEpoch && h.epoch < reqs_[static_cast<std::size_t>(h.req)].epoch;
  }
  Ctl* outer_atomic();
  void gate_prepare();
  void gate_consume();
  void visible() {
    gate_prepare();
    gate_consume();
  }
  // lvalues
  struct LRef {
    enum Kind : uint8_t { Local, Global, Context } kind = Local;
    uint32_t index = 0;
    int req = -1;
    Val handle;
  };
  LRef lvalue(const Expr& e);
  Val load(const LRef& r);
  void store(const LRef& r, const Val& v);
  struct ListLoc {
    enum Kind : uint8_t { Local, Global, Context } kind = Local;
    uint32_t index = 0;
    Val base;
  };
  /// Where a list expression lives (evaluates a context field's base; no visible operation).
  ListLoc list_loc(const Expr& e);
  /// The list itself; a context list checks its request handle first.
  std::vector<Val>& list_at(const ListLoc& l, const std::string& what);
  void check_context(const Val& h, const std::string& what);
  Req& check_handle(const Val& h, ApiId api, bool needs_ownership);
  std::string api_name(ApiId id) const { return std::string(api_info(id).name); }
};

RefMachine::RefMachine(const ast::Spec& spec, const SourceManager& sm, const SymbolicValues& values)
    : spec_(&spec), sym_values_(values), sm_(&sm) {
  queues_.resize(spec.queues.size());
  for (const ast::QueueDecl& q : spec.queues) queue_device_.push_back(static_cast<int>(q.device));
  lock_holder_.assign(spec.locks.size(), -1);
  event_set_.assign(spec.events.size(), false);
  timer_armed_.resize(spec.timers.size());
  for (std::size_t t = 0; t < spec.timers.size(); ++t) timer_armed_[t] = !spec.timers[t].manual;
  device_holder_.assign(spec.devices.size(), -1);
  // Timers belong to the spec's device when there is one; with several, to the first
  // synchronized one (a timer declaration names no device).
  int timer_dev = -1;
  if (spec.devices.size() == 1) {
    timer_dev = 0;
  } else {
    for (std::size_t d = 0; d < spec.devices.size(); ++d) {
      if (spec.devices[d].sync_device) {
        timer_dev = static_cast<int>(d);
        break;
      }
    }
  }
  timer_device_.assign(spec.timers.size(), timer_dev);

  globals_.resize(spec.globals.size());
  global_lists_.resize(spec.globals.size());
  for (std::size_t g = 0; g < spec.globals.size(); ++g) {
    const ast::VarDecl& v = spec.globals[g];
    if (v.symbolic) {
      globals_[g].i = symbolic_value(v.name, v.width);
    } else if (v.type != TypeKind::Request) {
      globals_[g].i = static_cast<int32_t>(v.init_value);
    }
  }

  // Received requests: numbered by arrive line, then arrival order.
  arrived_.assign(spec.environment.size(), 0);
  first_req_.assign(spec.environment.size(), -1);
  for (std::size_t k = 0; k < spec.environment.size(); ++k) {
    const ast::EnvItem& item = spec.environment[k];
    if (item.kind != ast::EnvKind::Arrive) continue;
    first_req_[k] = static_cast<int>(reqs_.size());
    for (int64_t n = 0; n < item.count_value; ++n) {
      Req r;
      r.name = fmt::format("req#{}", reqs_.size() + 1);
      r.received = true;
      r.arrive_queue = static_cast<int>(item.object);
      reqs_.push_back(std::move(r));
    }
  }
  created_base_ = static_cast<int>(reqs_.size());
  for (const ast::CreatedRequestDecl& c : spec.requests) {
    Req r;
    r.name = c.name;
    r.received = false;
    r.place = Place::Driver;
    r.refs = 1;
    reqs_.push_back(std::move(r));
  }
  for (Req& r : reqs_) {
    r.ctx.resize(spec.context.size());
    r.ctx_lists.resize(spec.context.size());
    for (std::size_t f = 0; f < spec.context.size(); ++f) {
      if (spec.context[f].type != TypeKind::Request)
        r.ctx[f].i = static_cast<int32_t>(spec.context[f].init_value);
    }
  }
  list_capacity_ = reqs_.size();

  // NBLs the protocol sends: numbered after the send lines, in line order.
  cancel_send_done_.assign(spec.environment.size(), false);
  for (std::size_t k = 0; k < spec.environment.size(); ++k) {
    const ast::EnvItem& item = spec.environment[k];
    if (item.kind != ast::EnvKind::Send) continue;
    for (int64_t n = 0; n < item.count_value; ++n) {
      Nbl b;
      b.name = fmt::format("nbl#{}", nbls_.size() + 1);
      b.filter = static_cast<int>(item.object);
      b.send_item = static_cast<int>(k);
      b.protocol_id = static_cast<int32_t>(item.cancel_id_value);
      b.cancel_id = b.protocol_id;
      nbls_.push_back(std::move(b));
    }
  }
  list_capacity_ += nbls_.size() + (spec.filters.empty() ? 0 : reading::kFilterNblPool);
  conv_closed_.assign(spec.conversations.size(), false);
  for (const ast::ConstDecl& c : spec.consts) {
    if (c.name == reading::kSnaQuirkConst) sna_quirk_ = c.folded != 0;
  }

  // Threads start at time zero.
  for (const ast::FnDecl& t : spec.threads) start_activity(t.name, t, Role::Thread, -1, {}, -1);
}

int RefMachine::start_activity(const std::string& key, const ast::FnDecl& fn, Role role, int req,
                               std::vector<Val> args, int device) {
  Act a;
  a.id = next_act_id_++;
  a.key = key;
  a.role = role;
  a.req = req;
  a.device = device;
  Frame f;
  f.fn = &fn;
  f.locals.resize(fn.locals.size());
  f.lists.resize(fn.locals.size());
  for (std::size_t k = 0; k < args.size() && k < fn.param_count && k < f.locals.size(); ++k) {
    f.locals[k] = args[k];
  }
  Ctl c;
  if (fn.body) {
    c.stmts = fn.body->body.data();
    c.n = fn.body->body.size();
  }
  f.ctl.push_back(c);
  a.frames.push_back(std::move(f));
  acts_.push_back(std::move(a));
  return acts_.back().id;
}

int RefMachine::sync_device_of_queue(int q) const {
  int d = device_of_queue(q);
  if (d < 0 || static_cast<std::size_t>(d) >= spec_->devices.size()) return -1;
  return spec_->devices[static_cast<std::size_t>(d)].sync_device ? d : -1;
}

int RefMachine::sync_device_of_req(int r) const {
  const Req& q = reqs_[static_cast<std::size_t>(r)];
  if (!q.received) return -1;
  return sync_device_of_queue(q.queue >= 0 ? q.queue : q.arrive_queue);
}

int RefMachine::find_req(const std::string& name) const {
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    if (reqs_[k].name == name) return static_cast<int>(k);
  }
  return -1;
}

// ---- request life cycle ----

void RefMachine::release_ref(int r) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  --q.refs;
  bool gone = q.received ? q.place == Place::Completed : q.deleted;
  if (q.refs <= 0 && gone) {
    q.refs = 0;
    q.place = Place::Freed;
  }
}

void RefMachine::leave_sequential(int r) {
  for (QueueSt& q : queues_) {
    if (q.current == r) q.current = -1;
  }
}

void RefMachine::complete_request(int r, int32_t st) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  ++q.completions;
  q.status = st;
  leave_sequential(r);
  q.place = Place::Completed;
  q.target = -1;
  q.target_cancelable = false;
  if (q.stop_pending) q.stop_handled = true;
  release_ref(r);
}

void RefMachine::target_completes(int r, int32_t st) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  q.place = Place::Driver;
  q.target = -1;
  q.target_cancelable = false;
  q.status = st;
  if (q.send_and_forget) {
    complete_request(r, st);  // the framework completes it upward
    return;
  }
  if (q.completion_fn >= 0) {
    const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(q.completion_fn)];
    start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::Completion, r,
                   {Val{0, r, q.epoch}, Val{st}}, -1);
  }
}

/// A cancel reaching a request the driver owns or has at a target: the originator's starts
/// the cancel routine of a cancelable request; at a target it completes the request when the
/// target can be cancelled; otherwise it only sets the sticky cancel flag.
void RefMachine::cancel_reaches(int r, bool originator) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  if (reading::kEveryCancelSetsFlag) q.cancel_flag = true;
  switch (q.place) {
    case Place::Driver:
      if (originator && q.cancel_fn >= 0) {
        const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(q.cancel_fn)];
        q.cancel_fn = -1;
        q.cancel_routine_started = true;
        q.cancel_routine_act =
            start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::Cancel, r,
                           {Val{0, r, q.epoch}}, sync_device_of_req(r));
      } else {
        q.cancel_flag = true;
      }
      break;
    case Place::TargetPending:
      target_completes(r, K().cancelled);
      break;
    case Place::TargetHeld:
      if (q.target_cancelable) {
        target_completes(r, K().cancelled);
      } else {
        q.cancel_flag = true;
      }
      break;
    default:
      break;
  }
}

void RefMachine::cancel_on_queue(int r) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  QueueSt& qs = queues_[static_cast<std::size_t>(q.queue)];
  qs.items.erase(std::remove(qs.items.begin(), qs.items.end(), r), qs.items.end());
  const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
  uint32_t handler = ast::kNone;
  for (const ast::HandlerBinding& h : decl.handlers) {
    if (h.handler == "EvtIoCanceledOnQueue") handler = h.fn;
  }
  if (q.forwarded && handler != ast::kNone) {
    q.place = Place::Driver;
    q.cancel_flag = true;
    const ast::FnDecl& fn = spec_->fns[handler];
    start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::CanceledOnQueue, r,
                   {Val{0, r, q.epoch}}, sync_device_of_queue(q.queue));
    return;
  }
  q.place = Place::Driver;
  complete_request(r, K().cancelled);
}

// ---- environment events ----

void RefMachine::env_arrive(const std::string& qname) {
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& item = spec_->environment[k];
    if (item.kind != ast::EnvKind::Arrive || item.object_name != qname) continue;
    if (arrived_[k] >= item.count_value) continue;
    int r = first_req_[k] + arrived_[k]++;
    Req& q = reqs_[static_cast<std::size_t>(r)];
    q.refs = 1;
    q.status = K().success;
    q.queue = static_cast<int>(item.object);
    QueueSt& qs = queues_[item.object];
    if (!qs.accepting) {  // purged: completed at once
      q.place = Place::Driver;
      complete_request(r, K().invalid_device_state);
      return;
    }
    q.place = Place::Queued;
    qs.items.push_back(r);
    return;
  }
  throw BlockedSig{fmt::format("no request is left to arrive at queue {}", qname)};
}

void RefMachine::env_dispatch(const std::string& qname) {
  int qi = -1;
  for (std::size_t k = 0; k < spec_->queues.size(); ++k) {
    if (spec_->queues[k].name == qname) qi = static_cast<int>(k);
  }
  if (qi < 0) throw ReplayError{fmt::format("no queue named '{}'", qname)};
  const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(qi)];
  QueueSt& qs = queues_[static_cast<std::size_t>(qi)];
  std::vector<uint32_t> handlers;
  std::vector<std::string> options;
  for (const ast::HandlerBinding& h : decl.handlers) {
    if (is_evtio_handler(h.handler) && h.fn != ast::kNone) {
      handlers.push_back(h.fn);
      options.push_back("handler:" + spec_->fns[h.fn].name);
    }
  }
  if (qs.items.empty()) throw BlockedSig{fmt::format("queue {} is empty", qname)};
  if (decl.dispatch == ast::Dispatch::Manual)
    throw BlockedSig{fmt::format("queue {} is manual", qname)};
  if (handlers.empty()) throw BlockedSig{fmt::format("queue {} has no EvtIo callback", qname)};
  if (decl.dispatch == ast::Dispatch::Sequential && qs.current >= 0) {
    throw BlockedSig{
        fmt::format("sequential queue {} is still busy with {}", qname, req_name(qs.current))};
  }
  std::size_t pick = handlers.size() > 1 ? choose(options) : 0;
  int r = qs.items.front();
  qs.items.pop_front();
  Req& q = reqs_[static_cast<std::size_t>(r)];
  q.place = Place::Driver;
  q.queue = qi;
  if (decl.dispatch == ast::Dispatch::Sequential) qs.current = r;
  const ast::FnDecl& fn = spec_->fns[handlers[pick]];
  start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::EvtIo, r, {Val{0, r, q.epoch}},
                 sync_device_of_queue(qi));
}

void RefMachine::env_cancel(const std::string& rname) {
  int r = find_req(rname);
  if (r < 0) throw ReplayError{fmt::format("no request named '{}'", rname)};
  Req& q = reqs_[static_cast<std::size_t>(r)];
  bool covered = false;
  for (const ast::EnvItem& item : spec_->environment) {
    if (item.kind != ast::EnvKind::Cancel) continue;
    if (item.any || static_cast<int>(item.object) == q.arrive_queue) covered = true;
  }
  if (!q.received || !covered)
    throw BlockedSig{fmt::format("{} cannot be cancelled by its originator", rname)};
  if (!q.alive()) throw BlockedSig{fmt::format("{} is not pending", rname)};
  if (q.originator_cancelled) throw BlockedSig{fmt::format("{} was already cancelled", rname)};
  q.originator_cancelled = true;
  if (q.place == Place::Queued) {
    cancel_on_queue(r);
    return;
  }
  cancel_reaches(r, true);
}

void RefMachine::env_target(const std::string& rname) {
  int r = find_req(rname);
  if (r < 0) throw ReplayError{fmt::format("no request named '{}'", rname)};
  Req& q = reqs_[static_cast<std::size_t>(r)];
  if (!q.at_target()) throw BlockedSig{fmt::format("{} is not at a target", rname)};
  const ast::TargetDecl& t = spec_->targets[static_cast<std::size_t>(q.target)];
  std::vector<std::string> options;
  std::vector<int32_t> statuses;
  if (q.place == Place::TargetPending) {
    options.emplace_back("target:take");
  } else {
    if (t.behaviour == ast::TargetBehaviour::Late && !q.target_cancelable)
      options.emplace_back("target:mark");
    if (t.behaviour != ast::TargetBehaviour::Pending) {
      if (t.completes_values.empty()) {
        statuses.push_back(K().success);
      } else {
        for (int64_t v : t.completes_values) statuses.push_back(static_cast<int32_t>(v));
      }
      for (int32_t s : statuses) options.push_back("target:complete:" + status_text(s));
      if (t.completes_symbolic) options.emplace_back("target:complete:symbolic");
    }
  }
  if (options.empty())
    throw BlockedSig{fmt::format("target {} holds {} until it is cancelled", t.name, rname)};
  const std::string& pick = options[choose(options)];
  if (pick == "target:take") {
    q.place = Place::TargetHeld;
    if (t.behaviour == ast::TargetBehaviour::Cancelable ||
        t.behaviour == ast::TargetBehaviour::Pending) {
      q.target_cancelable = true;
      if (q.cancel_flag) target_completes(r, K().cancelled);
    }
  } else if (pick == "target:mark") {
    q.target_cancelable = true;
    if (q.cancel_flag) target_completes(r, K().cancelled);
  } else if (pick == "target:complete:symbolic") {
    std::string var = fmt::format("status({}", q.name);
    if (q.epoch != 0) var += fmt::format("@{}", q.epoch);
    target_completes(r, symbolic_value(var + ")", 32));
  } else {
    std::size_t k = static_cast<std::size_t>(&pick - options.data()) -
                    (options.size() - statuses.size() - (t.completes_symbolic ? 1 : 0));
    target_completes(r, statuses[k]);
  }
}

void RefMachine::env_stop() {
  const ast::EnvItem* line = nullptr;
  for (const ast::EnvItem& item : spec_->environment) {
    if (item.kind == ast::EnvKind::Stop && line == nullptr) line = &item;
  }
  if (line == nullptr) throw ReplayError{"the spec has no stop event"};
  if (stopped_) throw BlockedSig{"the device stopped already"};
  std::vector<std::string> options;
  // `stop symbolic` replays like `stop any`: the token names the kind, and the flags the
  // driver sees are the model's value of stop.action with the cancelable bit.
  if (line->stop != ast::StopKind::Purge) options.emplace_back("stop:suspend");
  if (line->stop != ast::StopKind::Suspend) options.emplace_back("stop:purge");
  bool purge = options[choose(options)] == "stop:purge";
  stopped_ = true;
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    Req& q = reqs_[k];
    if (!q.received || !(q.place == Place::Driver || q.at_target())) continue;
    if (q.queue < 0 || q.send_and_forget || q.cancel_flag) continue;
    const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
    if (!decl.power_managed) continue;
    uint32_t handler = ast::kNone;
    for (const ast::HandlerBinding& h : decl.handlers) {
      if (h.handler == "EvtIoStop") handler = h.fn;
    }
    if (handler == ast::kNone) continue;
    int32_t flags = purge ? K().stop_purge : K().stop_suspend;
    if (q.cancel_fn >= 0) flags |= K().stop_cancelable;
    ++q.refs;  // the framework holds a reference across the call
    q.stop_pending = true;
    q.stop_handled = false;
    const ast::FnDecl& fn = spec_->fns[handler];
    int r = static_cast<int>(k);
    start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::Stop, r,
                   {Val{0, r, q.epoch}, Val{flags}}, sync_device_of_queue(q.queue));
  }
  if (purge) {
    for (QueueSt& qs : queues_) qs.accepting = false;
    for (std::size_t qi = 0; qi < queues_.size(); ++qi) {
      std::deque<int> items = queues_[qi].items;
      for (int r : items) cancel_on_queue(r);
    }
  }
}

void RefMachine::env_timer(const std::string& tname) {
  for (std::size_t t = 0; t < spec_->timers.size(); ++t) {
    if (spec_->timers[t].name != tname) continue;
    if (!timer_armed_[t]) throw BlockedSig{fmt::format("timer {} is not armed", tname)};
    timer_armed_[t] = false;
    const ast::FnDecl& fn = spec_->fns[spec_->timers[t].fn];
    int d = timer_device_[t];
    if (d >= 0 && !spec_->devices[static_cast<std::size_t>(d)].sync_device) d = -1;
    start_activity(fn.name, fn, Role::Timer, -1, {}, d);
    return;
  }
  throw ReplayError{fmt::format("no timer named '{}'", tname)};
}

// ---- NDIS environment (docs/semantics/ndis.md) ----

const ast::FnDecl* RefMachine::filter_fn(int f, const char* handler) const {
  if (f < 0 || static_cast<std::size_t>(f) >= spec_->filters.size()) return nullptr;
  for (const ast::HandlerBinding& h : spec_->filters[static_cast<std::size_t>(f)].handlers) {
    if (h.handler == handler && h.fn != ast::kNone) return &spec_->fns[h.fn];
  }
  return nullptr;
}

void RefMachine::env_send(const std::string& fname) {
  for (std::size_t k = 0; k < nbls_.size(); ++k) {
    Nbl& b = nbls_[k];
    if (!b.from_protocol || b.owner != NblOwner::Above) continue;
    if (spec_->filters[static_cast<std::size_t>(b.filter)].name != fname) continue;
    b.owner = NblOwner::Filter;
    if (const ast::FnDecl* fn = filter_fn(b.filter, "FilterSendNetBufferLists")) {
      int id = start_activity(fmt::format("{}[{}]", fn->name, b.name), *fn, Role::FilterCallback,
                              -1, {Val{static_cast<int32_t>(k + 1)}}, -1);
      acts_.back().sending_nbl = static_cast<int>(k);
      b.in_send = id > 0;
    }
    return;
  }
  throw BlockedSig{fmt::format("the protocol has nothing left to send to {}", fname)};
}

bool RefMachine::cancel_send_ready(std::size_t item) const {
  const ast::EnvItem& it = spec_->environment[item];
  if (cancel_send_done_[item]) return false;
  for (std::size_t k = 0; k < item; ++k) {  // the protocol cancels an id once
    const ast::EnvItem& o = spec_->environment[k];
    if (o.kind == ast::EnvKind::CancelSend && o.object == it.object &&
        o.cancel_id_value == it.cancel_id_value) {
      return false;
    }
  }
  bool some = false;
  bool out = false;
  for (const Nbl& b : nbls_) {
    if (!b.from_protocol || b.filter != static_cast<int>(it.object) ||
        b.protocol_id != it.cancel_id_value) {
      continue;
    }
    some = true;
    if ((b.owner == NblOwner::Above || b.in_send) && reading::kCancelSendAfterAllHandedOver)
      return false;
    if (b.owner != NblOwner::ReturnedUp && b.owner != NblOwner::Above) out = true;
  }
  return some && out;
}

void RefMachine::env_cancel_send(const std::string& rest) {
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& it = spec_->environment[k];
    if (it.kind != ast::EnvKind::CancelSend) continue;
    std::string key = fmt::format("{} {}", spec_->filters[it.object].name, it.cancel_id_value);
    if (key != rest) continue;
    if (!cancel_send_ready(k)) continue;
    cancel_send_done_[k] = true;
    for (Nbl& b : nbls_) {
      if (b.from_protocol && b.filter == static_cast<int>(it.object) &&
          b.protocol_id == it.cancel_id_value && b.owner != NblOwner::ReturnedUp) {
        b.cancelled = true;
      }
    }
    if (const ast::FnDecl* fn =
            filter_fn(static_cast<int>(it.object), "FilterCancelSendNetBufferLists")) {
      start_activity(fmt::format("{}[cancel_id {}]", fn->name, it.cancel_id_value), *fn,
                     Role::FilterCallback, -1, {Val{static_cast<int32_t>(it.cancel_id_value)}}, -1);
    }
    return;
  }
  throw BlockedSig{fmt::format("the protocol cannot cancel '{}' now", rest)};
}

void RefMachine::env_miniport(const std::string& nname) {
  for (std::size_t k = 0; k < nbls_.size(); ++k) {
    Nbl& b = nbls_[k];
    if (b.name != nname) continue;
    if (b.owner != NblOwner::Below) throw BlockedSig{fmt::format("{} is not below", nname)};
    const ast::MiniportDecl& m = spec_->miniports[static_cast<std::size_t>(b.miniport)];
    if (m.pending && !b.aborted)
      throw BlockedSig{fmt::format("miniport {} holds {} until it is cancelled", m.name, nname)};
    int32_t st = named(b.aborted ? "NDIS_STATUS_SEND_ABORTED" : "NDIS_STATUS_SUCCESS");
    b.owner = NblOwner::Filter;
    b.aborted = false;
    ++b.uses;
    if (const ast::FnDecl* fn = filter_fn(b.filter, "FilterSendNetBufferListsComplete")) {
      start_activity(fmt::format("{}[{}]", fn->name, b.name), *fn, Role::FilterCallback, -1,
                     {Val{static_cast<int32_t>(k + 1)}, Val{st}}, -1);
    }
    return;
  }
  throw ReplayError{fmt::format("no NBL named '{}'", nname)};
}

// ---- APPC environment (docs/semantics/appc.md) ----

void RefMachine::post_completion(int t, int32_t rc) {
  Task& tk = tasks_[static_cast<std::size_t>(t)];
  tk.state = TaskSt::Completed;
  tk.rc = rc;
  messages_.push_back(t);
  Vcb& v = vcbs_[static_cast<std::size_t>(tk.vcb)];
  if (v.state == VcbSt::Freed) {
    violation(RuleId::UseAfterFree,
              fmt::format("the completion of task#{} writes vcb#{} after it was freed", t + 1,
                          tk.vcb + 1));
  }
  v.rc = rc;
}

void RefMachine::env_partner(const std::string& tname) {
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (fmt::format("task#{}", k + 1) != tname) continue;
    Task& tk = tasks_[k];
    if (tk.state != TaskSt::Outstanding || tk.silent)
      throw BlockedSig{fmt::format("{} is not waiting for its partner", tname)};
    if (spec_->conversations[static_cast<std::size_t>(tk.conv)].partner_may_not_answer &&
        choose({"partner:answer", "partner:silent"}) == 1) {
      tk.silent = true;
      return;
    }
    post_completion(static_cast<int>(k), named("AP_OK"));
    return;
  }
  throw ReplayError{fmt::format("no verb named '{}'", tname)};
}

void RefMachine::move_activity(Act& a) {
  if (a.waiting_inline >= 0 && find_act(a.waiting_inline) != nullptr) {
    throw BlockedSig{fmt::format("{} waits for its inline cancel routine to return", a.key)};
  }
  if (!a.started) {
    if (a.device >= 0) {
      int holder = device_holder_[static_cast<std::size_t>(a.device)];
      if (holder != -1 && holder != a.id) {
        throw BlockedSig{fmt::format("{} waits for the device's synchronization lock", a.key)};
      }
      device_holder_[static_cast<std::size_t>(a.device)] = a.id;
      a.holds_device = true;
    }
    a.started = true;
  }
  cur_ = a.id;
  budget_ = 1;
  statements_ = 0;
  run_steps();
}

std::vector<std::string> RefMachine::candidate_events() const {
  std::set<std::string> keys;
  for (const Act& a : acts_) {
    if (!a.done) keys.insert(a.key);
  }
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& item = spec_->environment[k];
    if (item.kind == ast::EnvKind::Arrive && arrived_[k] < item.count_value)
      keys.insert("arrive " + item.object_name);
    if (item.kind == ast::EnvKind::Stop && !stopped_) keys.insert("stop");
  }
  for (std::size_t q = 0; q < queues_.size(); ++q) {
    if (!queues_[q].items.empty()) keys.insert("dispatch " + spec_->queues[q].name);
  }
  for (const Req& r : reqs_) {
    if (r.received && r.alive() && !r.originator_cancelled) keys.insert("cancel " + r.name);
    if (r.at_target()) keys.insert("target " + r.name);
  }
  for (std::size_t t = 0; t < timer_armed_.size(); ++t) {
    if (timer_armed_[t]) keys.insert("timer " + spec_->timers[t].name);
  }
  for (const Nbl& b : nbls_) {
    if (b.from_protocol && b.owner == NblOwner::Above)
      keys.insert("send " + spec_->filters[static_cast<std::size_t>(b.filter)].name);
    if (b.owner == NblOwner::Below) keys.insert("miniport " + b.name);
  }
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& it = spec_->environment[k];
    if (it.kind == ast::EnvKind::CancelSend && cancel_send_ready(k))
      keys.insert(
          fmt::format("cancel_send {} {}", spec_->filters[it.object].name, it.cancel_id_value));
  }
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (tasks_[k].state == TaskSt::Outstanding && !tasks_[k].silent)
      keys.insert(fmt::format("partner task#{}", k + 1));
  }
  return {keys.begin(), keys.end()};
}

Outcome RefMachine::run_event(const std::string& key, Chooser& ch, std::size_t instance) {
  Outcome o;
  ch_ = &ch;
  out_ = &o;
  auto rest = [&](std::string_view prefix) -> std::optional<std::string> {
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0)
      return key.substr(prefix.size());
    return std::nullopt;
  };
  try {
    Act* a = nullptr;
    std::size_t seen = 0;
    for (Act& x : acts_) {
      if (!x.done && x.key == key && seen++ == instance) {
        a = &x;
        break;
      }
    }
    if (a != nullptr) {
      move_activity(*a);
    } else if (key == "stop") {
      env_stop();
    } else if (auto q = rest("arrive ")) {
      env_arrive(*q);
    } else if (auto q2 = rest("dispatch ")) {
      env_dispatch(*q2);
    } else if (auto r = rest("cancel ")) {
      env_cancel(*r);
    } else if (auto r2 = rest("target ")) {
      env_target(*r2);
    } else if (auto t = rest("timer ")) {
      env_timer(*t);
    } else if (auto f = rest("send ")) {
      env_send(*f);
    } else if (auto c = rest("cancel_send ")) {
      env_cancel_send(*c);
    } else if (auto n = rest("miniport ")) {
      env_miniport(*n);
    } else if (auto p = rest("partner ")) {
      env_partner(*p);
    } else {
      throw BlockedSig{
          fmt::format("no activity or environment event '{}' exists at this point", key)};
    }
  } catch (ViolationSig& v) {
    o.violation = std::move(v);
  }
  acts_.erase(std::remove_if(acts_.begin(), acts_.end(), [](const Act& a) { return a.done; }),
              acts_.end());
  ch_ = nullptr;
  out_ = nullptr;
  return o;
}

// ---- the interpreter ----

Ctl* RefMachine::outer_atomic() {
  for (Frame& f : cur().frames) {
    for (Ctl& c : f.ctl) {
      if (c.kind == Ctl::Atomic) return &c;
    }
  }
  return nullptr;
}

// replay.md: "Inside atomic { } visible operations do not end the step." An operation in an
// atomic block never stops the step (even one that has done its visible operation already);
// it does count as the step's visible operation, so the step stops before the next one
// outside the block.
void RefMachine::gate_prepare() {
  if (outer_atomic() != nullptr) return;
  if (budget_ == 0) throw SuspendSig{};
}

void RefMachine::gate_consume() {
  budget_ = 0;
}

void RefMachine::run_steps() {
  const int me = cur_;
  while (true) {
    if (++statements_ > reading::kMaxStatementsPerStep) {
      throw RefUnsupported(
          fmt::format("{}: a local loop never reaches a visible operation", cur().key));
    }
    Act* a = find_act(me);
    if (a == nullptr) return;  // finished in this step
    if (a->frames.empty()) {
      finish_activity();
      return;
    }
    if (a->frames.back().ctl.empty()) {
      do_return(Val{});
      continue;
    }
    try {
      exec_stmt(a->frames.back().ctl.size() - 1);
    } catch (const PushedSig&) {
    } catch (const SuspendSig&) {
      return;
    } catch (const EndStepSig&) {
      return;
    }
  }
}

void RefMachine::exec_stmt(std::size_t ci) {
  Ctl c = frame().ctl[ci];  // a copy: evaluation may push frames or cursors
  auto advance = [&]() {
    Frame& f = frame();
    ++f.ctl[ci].idx;
    f.memo.clear();
  };
  auto push_seq = [&](Ctl::Kind kind, const ast::StmtPtr* stmts, std::size_t n) {
    Ctl nc;
    nc.kind = kind;
    nc.stmts = stmts;
    nc.n = n;
    frame().ctl.push_back(nc);
  };
  switch (c.kind) {
    case Ctl::Seq:
    case Ctl::Atomic:
      break;
    case Ctl::While: {
      const Stmt& s = *c.loop;
      Val v = eval(*s.cond);
      bool t = truthy(*s.cond, v);
      frame().memo.clear();
      if (t) {
        push_seq(Ctl::Seq, s.body.data(), s.body.size());
      } else {
        frame().ctl.pop_back();
      }
      return;
    }
    case Ctl::ForIn: {
      const Stmt& s = *c.loop;
      ListLoc loc = list_loc(*s.value);
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>* list = &list_at(loc, "for-in");
      Frame& f = frame();
      Ctl& cc = f.ctl[ci];
      f.memo.clear();
      if (static_cast<std::size_t>(cc.for_index) < list->size()) {
        f.locals[s.slot] = (*list)[static_cast<std::size_t>(cc.for_index)];
        ++cc.for_index;
        push_seq(Ctl::Seq, s.body.data(), s.body.size());
      } else {
        f.ctl.pop_back();
      }
      return;
    }
  }
  if (c.idx >= c.n) {
    frame().ctl.pop_back();
    return;
  }
  const Stmt& s = *c.stmts[c.idx];
  switch (s.kind) {
    case StmtKind::Block:
      advance();
      push_seq(Ctl::Seq, s.body.data(), s.body.size());
      return;
    case StmtKind::Atomic:
      advance();
      push_seq(Ctl::Atomic, s.body.data(), s.body.size());
      return;
    case StmtKind::VarDecl: {
      Val v = s.value ? copy_of(eval(*s.value)) : Val{};
      advance();
      frame().locals[s.slot] = v;
      frame().lists[s.slot].clear();
      return;
    }
    case StmtKind::SymbolicDecl: {
      // Named as the explorer names it: "<activity key>.<local>".
      Val v{symbolic_value(fmt::format("{}.{}", cur().key, s.name), s.width)};
      advance();
      frame().locals[s.slot] = v;
      return;
    }
    case StmtKind::Assign: {
      const Expr& t = *s.target;
      Val v = copy_of(eval(*s.value));
      if (t.kind == ExprKind::Name && t.sym.kind == SymbolKind::Local) {
        advance();
        frame().locals[t.sym.index] = v;
        return;
      }
      if (t.kind == ExprKind::Name && t.sym.kind == SymbolKind::Global) {
        visible();
        globals_[t.sym.index] = v;
        advance();
        return;
      }
      if (t.kind == ExprKind::Member) {
        Val base = eval(*t.args[0]);
        visible();
        check_context(base, fmt::format("write of ->{}", t.name));
        reqs_[static_cast<std::size_t>(base.req)].ctx[t.field] = v;
        advance();
        return;
      }
      throw RefUnsupported("assignment to an unsupported target");
    }
    case StmtKind::If: {
      Val v = eval(*s.cond);
      bool t = truthy(*s.cond, v);
      advance();
      if (t) {
        push_seq(Ctl::Seq, &s.then_stmt, 1);
      } else if (s.else_stmt) {
        push_seq(Ctl::Seq, &s.else_stmt, 1);
      }
      return;
    }
    case StmtKind::While: {
      advance();
      Ctl nc;
      nc.kind = Ctl::While;
      nc.loop = &s;
      frame().ctl.push_back(nc);
      return;
    }
    case StmtKind::ForIn: {
      advance();
      Ctl nc;
      nc.kind = Ctl::ForIn;
      nc.loop = &s;
      frame().ctl.push_back(nc);
      return;
    }
    case StmtKind::Break:
    case StmtKind::Continue: {
      Frame& f = frame();
      f.memo.clear();
      while (!f.ctl.empty()) {
        Ctl::Kind k = f.ctl.back().kind;
        if (k == Ctl::While || k == Ctl::ForIn) {
          if (s.kind == StmtKind::Break) f.ctl.pop_back();
          return;
        }
        f.ctl.pop_back();
      }
      throw RefUnsupported("break/continue outside a loop");
    }
    case StmtKind::Return: {
      Val v = s.value ? eval(*s.value) : Val{};
      do_return(v);
      return;
    }
    case StmtKind::ExprStmt:
      eval(*s.value);
      advance();
      return;
  }
}

void RefMachine::do_return(Val v) {
  Act& a = cur();
  const Expr* site = a.frames.back().call_site;
  a.frames.pop_back();
  if (a.frames.empty()) {
    finish_activity();
    return;
  }
  a.frames.back().memo[site] = v;
}

void RefMachine::finish_activity() {
  Act& a = cur();
  a.frames.clear();
  if (a.role == Role::Stop && a.req >= 0) {
    Req& q = reqs_[static_cast<std::size_t>(a.req)];
    q.stop_pending = false;
    if (!q.stop_handled) {
      violation(RuleId::StopNotAcknowledged,
                fmt::format("{} returned without completing, cancelling or acknowledging {}", a.key,
                            q.name));
    }
    release_ref(a.req);
  }
  if (a.sending_nbl >= 0) nbls_[static_cast<std::size_t>(a.sending_nbl)].in_send = false;
  if (a.holds_device) {
    device_holder_[static_cast<std::size_t>(a.device)] = -1;
    a.holds_device = false;
  }
  if (a.inline_caller >= 0) {
    if (Act* c = find_act(a.inline_caller)) c->waiting_inline = -1;
  }
  a.done = true;
}

bool RefMachine::truthy(const Expr& e, const Val& v) const {
  if (e.type == TypeKind::Request || e.kind == ExprKind::Null) return v.req >= 0;
  return v.i != 0;
}

Val RefMachine::eval(const Expr& e) {
  {
    Frame& f = frame();
    auto it = f.memo.find(&e);
    if (it != f.memo.end()) return it->second;
  }
  Val v = eval_uncached(e);
  frame().memo[&e] = v;
  if (end_step_after_) {
    end_step_after_ = false;
    throw EndStepSig{};
  }
  return v;
}

namespace {
int32_t wrap(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
}
bool is_handle_expr(const Expr& e) {
  return e.type == TypeKind::Request;
}
}  // namespace

Val RefMachine::eval_uncached(const Expr& e) {
  switch (e.kind) {
    case ExprKind::IntLit:
    case ExprKind::BoolLit:
      return Val{wrap(e.int_value)};
    case ExprKind::Null:
      return Val{};
    case ExprKind::Nondet: {
      std::size_t k = choose({"nondet:0", "nondet:1"});
      return Val{k == 0 ? 1 : 0};
    }
    case ExprKind::Name:
      switch (e.sym.kind) {
        case SymbolKind::Local:
          return frame().locals[e.sym.index];
        case SymbolKind::Global:
          if (e.type == TypeKind::ListRequest || e.type == TypeKind::ListNbl) {
            throw RefUnsupported("a list used as a value");
          }
          visible();
          return globals_[e.sym.index];
        case SymbolKind::Const:
        case SymbolKind::BuiltinConst:
          return Val{wrap(e.int_value)};
        case SymbolKind::CreatedRequest: {
          int r = created_base_ + static_cast<int>(e.sym.index);
          return Val{0, r, kCurrentEpoch};
        }
        case SymbolKind::Unresolved:
          throw RefUnsupported(fmt::format("unresolved name '{}'", e.name));
        default:
          return Val{static_cast<int32_t>(e.sym.index)};
      }
    case ExprKind::Member: {
      Val base = eval(*e.args[0]);
      visible();
      check_context(base, fmt::format("read of ->{}", e.name));
      return reqs_[static_cast<std::size_t>(base.req)].ctx[e.field];
    }
    case ExprKind::Call:
      return eval_call(e);
    case ExprKind::Unary: {
      Val v = eval(*e.args[0]);
      switch (e.uop) {
        case ast::UnaryOp::Not:
          return Val{truthy(*e.args[0], v) ? 0 : 1};
        case ast::UnaryOp::Neg:
          return Val{wrap(-static_cast<int64_t>(v.i))};
        case ast::UnaryOp::BitNot:
          return Val{~v.i};
      }
      return v;
    }
    case ExprKind::Binary: {
      const Expr& l = *e.args[0];
      const Expr& r = *e.args[1];
      if (e.bop == ast::BinaryOp::LogAnd || e.bop == ast::BinaryOp::LogOr) {
        bool a = truthy(l, eval(l));
        if (e.bop == ast::BinaryOp::LogAnd && !a) return Val{0};
        if (e.bop == ast::BinaryOp::LogOr && a) return Val{1};
        return Val{truthy(r, eval(r)) ? 1 : 0};
      }
      Val a = copy_of(eval(l));
      Val b = copy_of(eval(r));
      if ((e.bop == ast::BinaryOp::Eq || e.bop == ast::BinaryOp::Ne) &&
          (is_handle_expr(l) || is_handle_expr(r))) {
        bool eq = a.req == b.req &&
                  (!reading::kHandleEqualityComparesEpoch || a.req < 0 || a.epoch == b.epoch);
        return Val{(e.bop == ast::BinaryOp::Eq) == eq ? 1 : 0};
      }
      int64_t x = a.i;
      int64_t y = b.i;
      switch (e.bop) {
        case ast::BinaryOp::Add:
          return Val{wrap(x + y)};
        case ast::BinaryOp::Sub:
          return Val{wrap(x - y)};
        case ast::BinaryOp::Mul:
          return Val{wrap(x * y)};
        case ast::BinaryOp::BitAnd:
          return Val{a.i & b.i};
        case ast::BinaryOp::BitOr:
          return Val{a.i | b.i};
        case ast::BinaryOp::BitXor:
          return Val{a.i ^ b.i};
        case ast::BinaryOp::Shl:  // the count is unsigned; 32 or more shifts everything out
          return Val{static_cast<uint32_t>(b.i) >= 32
                         ? 0
                         : wrap(static_cast<int64_t>(static_cast<uint32_t>(a.i) << b.i))};
        case ast::BinaryOp::Shr:  // arithmetic; 32 or more leaves the sign fill
          return Val{static_cast<uint32_t>(b.i) >= 32 ? (a.i < 0 ? -1 : 0) : a.i >> b.i};
        case ast::BinaryOp::Eq:
          return Val{x == y ? 1 : 0};
        case ast::BinaryOp::Ne:
          return Val{x != y ? 1 : 0};
        case ast::BinaryOp::Lt:
          return Val{x < y ? 1 : 0};
        case ast::BinaryOp::Le:
          return Val{x <= y ? 1 : 0};
        case ast::BinaryOp::Gt:
          return Val{x > y ? 1 : 0};
        case ast::BinaryOp::Ge:
          return Val{x >= y ? 1 : 0};
        default:
          break;
      }
      throw RefUnsupported("unknown binary operator");
    }
    case ExprKind::AddrOf:
      throw RefUnsupported("'&' outside an API argument");
  }
  throw RefUnsupported("unknown expression");
}

RefMachine::LRef RefMachine::lvalue(const Expr& e) {
  LRef r;
  if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Local) {
    r.kind = LRef::Local;
    r.index = e.sym.index;
    return r;
  }
  if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Global) {
    r.kind = LRef::Global;
    r.index = e.sym.index;
    return r;
  }
  if (e.kind == ExprKind::Member) {
    r.kind = LRef::Context;
    r.index = e.field;
    r.handle = eval(*e.args[0]);
    r.req = r.handle.req;
    return r;
  }
  throw RefUnsupported("'&' of something that is not a variable or a context field");
}

Val RefMachine::load(const LRef& r) {
  switch (r.kind) {
    case LRef::Local:
      return frame().locals[r.index];
    case LRef::Global:
      return globals_[r.index];
    case LRef::Context:
      return reqs_[static_cast<std::size_t>(r.req)].ctx[r.index];
  }
  return Val{};
}

void RefMachine::store(const LRef& r, const Val& v) {
  switch (r.kind) {
    case LRef::Local:
      frame().locals[r.index] = v;
      break;
    case LRef::Global:
      globals_[r.index] = v;
      break;
    case LRef::Context:
      reqs_[static_cast<std::size_t>(r.req)].ctx[r.index] = v;
      break;
  }
}

RefMachine::ListLoc RefMachine::list_loc(const Expr& e) {
  ListLoc l;
  if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Local) {
    l.kind = ListLoc::Local;
    l.index = e.sym.index;
  } else if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Global) {
    l.kind = ListLoc::Global;
    l.index = e.sym.index;
  } else if (e.kind == ExprKind::Member) {
    l.kind = ListLoc::Context;
    l.index = e.field;
    l.base = eval(*e.args[0]);
  } else {
    throw RefUnsupported("a list that is not a variable or a context field");
  }
  return l;
}

std::vector<Val>& RefMachine::list_at(const ListLoc& l, const std::string& what) {
  switch (l.kind) {
    case ListLoc::Local:
      return frame().lists[l.index];
    case ListLoc::Global:
      return global_lists_[l.index];
    case ListLoc::Context:
      break;
  }
  check_context(l.base, what + " on a context list");
  return reqs_[static_cast<std::size_t>(l.base.req)].ctx_lists[l.index];
}

void RefMachine::check_context(const Val& h, const std::string& what) {
  if (h.req < 0)
    violation(RuleId::UseAfterFree, fmt::format("{} through a NULL request handle", what));
  const Req& q = reqs_[static_cast<std::size_t>(h.req)];
  if (q.place == Place::Freed)
    violation(RuleId::UseAfterFree, fmt::format("{} of {} after it was freed", what, q.name));
  if (stale(h)) {
    violation(RuleId::UseAfterReuse,
              fmt::format("{} of {} through a handle read before WdfRequestReuse", what, q.name));
  }
}

Req& RefMachine::check_handle(const Val& h, ApiId api, bool needs_ownership) {
  const std::string name = api_name(api);
  if (h.req < 0) violation(RuleId::UseAfterFree, fmt::format("{} on a NULL request handle", name));
  Req& q = reqs_[static_cast<std::size_t>(h.req)];
  bool completing =
      api == ApiId::WdfRequestComplete || api == ApiId::WdfRequestCompleteWithInformation;
  if (completing && q.completions >= 1)
    violation(RuleId::DoubleCompletion, fmt::format("{} completed twice", q.name));
  if (q.place == Place::Freed)
    violation(RuleId::UseAfterFree, fmt::format("{} on {} after it was freed", name, q.name));
  if (stale(h)) {
    violation(
        RuleId::UseAfterReuse,
        fmt::format("{} acts on {} through a handle read before WdfRequestReuse", name, q.name));
  }
  bool exempt = api == ApiId::WdfRequestCancelSentRequest || api == ApiId::WdfRequestGetStatus ||
                api == ApiId::WdfObjectReference || api == ApiId::WdfObjectDereference ||
                api == ApiId::WdfRequestStopAcknowledge;
  if ((q.place == Place::Completed || q.deleted) && !exempt) {
    violation(RuleId::UseAfterFree, fmt::format("{} on {} after it was completed", name, q.name));
  }
  if (needs_ownership && (q.place == Place::Queued || q.at_target())) {
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {}, which the driver gave away ({})", name, q.name,
                          q.place == Place::Queued ? "queued" : "at its target"));
  }
  return q;
}

Val RefMachine::eval_call(const Expr& e) {
  if (e.fn != ast::kNone) {  // an inlined helper: push its frame
    std::vector<Val> args;
    for (const ast::ExprPtr& a : e.args) args.push_back(copy_of(eval(*a)));
    const ast::FnDecl& fn = spec_->fns[e.fn];
    Frame f;
    f.fn = &fn;
    f.locals.resize(fn.locals.size());
    f.lists.resize(fn.locals.size());
    for (std::size_t k = 0; k < args.size() && k < f.locals.size(); ++k) f.locals[k] = args[k];
    Ctl c;
    if (fn.body) {
      c.stmts = fn.body->body.data();
      c.n = fn.body->body.size();
    }
    f.ctl.push_back(c);
    f.call_site = &e;
    cur().frames.push_back(std::move(f));
    throw PushedSig{};
  }
  if (!e.api) throw RefUnsupported(fmt::format("call of '{}' without a resolved API", e.name));
  const ApiInfo& info = api_info(*e.api);
  if (info.domain == ApiDomain::Builtin) return call_builtin(e, *e.api);
  std::vector<Val> args;
  for (const ast::ExprPtr& a : e.args)
    args.push_back(a->kind == ExprKind::AddrOf ? Val{} : eval(*a));
  if (info.domain == ApiDomain::Ndis && *e.api != ApiId::NdisAcquireSpinLock &&
      *e.api != ApiId::NdisReleaseSpinLock) {
    return call_ndis(*e.api, args);
  }
  if (info.domain == ApiDomain::Appc) return call_appc(*e.api, args);
  return call_api(e, *e.api, args);
}

Val RefMachine::call_builtin(const Expr& e, ApiId id) {
  auto same = [this](Val a, Val b) {
    a = copy_of(a);
    b = copy_of(b);
    if (a.req < 0 && b.req < 0) return a.i == b.i;  // NBLs, tasks, VCBs: plain numbers
    return a.req == b.req &&
           (!reading::kHandleEqualityComparesEpoch || a.req < 0 || a.epoch == b.epoch);
  };
  switch (id) {
    case ApiId::push: {
      ListLoc loc = list_loc(*e.args[0]);
      Val x = copy_of(eval(*e.args[1]));
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>& list = list_at(loc, "push");
      if (list.size() >= list_capacity_) throw RefUnsupported("list capacity exceeded");
      list.push_back(x);
      return Val{};
    }
    case ApiId::pop: {
      ListLoc loc = list_loc(*e.args[0]);
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>& list = list_at(loc, "pop");
      if (list.empty()) return Val{};
      Val v = list.front();
      list.erase(list.begin());
      return v;
    }
    case ApiId::remove: {
      ListLoc loc = list_loc(*e.args[0]);
      Val x = eval(*e.args[1]);
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>& list = list_at(loc, "remove");
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (same(*it, x)) {
          list.erase(it);
          return Val{1};
        }
      }
      return Val{0};
    }
    case ApiId::empty: {
      ListLoc loc = list_loc(*e.args[0]);
      if (loc.kind != ListLoc::Local) visible();
      return Val{list_at(loc, "empty").empty() ? 1 : 0};
    }
    case ApiId::InterlockedIncrement:
    case ApiId::InterlockedDecrement:
    case ApiId::InterlockedOr:
    case ApiId::InterlockedCompareExchange: {
      const Expr& target = *e.args[0];
      const Expr& var = target.kind == ExprKind::AddrOf ? *target.args[0] : target;
      LRef ref = lvalue(var);
      std::vector<Val> rest;
      for (std::size_t k = 1; k < e.args.size(); ++k) rest.push_back(eval(*e.args[k]));
      if (ref.kind != LRef::Local) visible();
      if (ref.kind == LRef::Context)
        check_context(ref.handle, fmt::format("{} on ->{}", api_name(id), var.name));
      int32_t old = load(ref).i;
      int32_t nv = old;
      int32_t result = old;
      if (id == ApiId::InterlockedIncrement) {
        nv = wrap(static_cast<int64_t>(old) + 1);
        result = nv;
      } else if (id == ApiId::InterlockedDecrement) {
        nv = wrap(static_cast<int64_t>(old) - 1);
        result = nv;
      } else if (id == ApiId::InterlockedOr) {
        nv = old | rest.at(0).i;
      } else if (old == rest.at(1).i) {
        nv = rest.at(0).i;
      }
      store(ref, Val{nv});
      return Val{result};
    }
    case ApiId::NT_SUCCESS:
      return Val{eval(*e.args[0]).i >= 0 ? 1 : 0};
    case ApiId::assert: {
      Val v = eval(*e.args[0]);
      if (!truthy(*e.args[0], v))
        violation(RuleId::Assertion, fmt::format("assertion failed in {}", cur().key));
      return Val{};
    }
    case ApiId::assume: {
      Val v = eval(*e.args[0]);
      if (!truthy(*e.args[0], v)) throw PrunedSig{};
      return Val{};
    }
    default:
      break;
  }
  throw RefUnsupported(fmt::format("builtin {} is not executed", api_name(id)));
}

Val RefMachine::call_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  const std::string name = api_name(id);
  const bool has_result = api_info(id).result != TypeKind::Void;
  auto record = [&]() { out_->calls.push_back(name); };
  auto result = [&](int32_t v) {
    if (has_result) out_->calls.back() += "=" + std::to_string(v);
    return Val{v};
  };
  auto done = [&]() { return Val{}; };
  auto rq = [&](const Val& h) { return h.req; };
  switch (id) {
    case ApiId::WdfSpinLockAcquire:
    case ApiId::NdisAcquireSpinLock: {
      auto L = static_cast<std::size_t>(args[0].i);
      gate_prepare();
      int holder = lock_holder_[L];
      if (holder != -1 && holder != cur_) {
        throw BlockedSig{fmt::format("lock {} is held", spec_->locks[L].name)};
      }
      gate_consume();
      record();
      if (holder == cur_) {
        violation(RuleId::Deadlock, fmt::format("{} acquires lock {} it already holds", cur().key,
                                                spec_->locks[L].name));
      }
      lock_holder_[L] = cur_;
      return done();
    }
    case ApiId::WdfSpinLockRelease:
    case ApiId::NdisReleaseSpinLock: {
      auto L = static_cast<std::size_t>(args[0].i);
      visible();
      record();
      if (lock_holder_[L] != cur_) {
        violation(RuleId::ApiMisuse, fmt::format("{} releases lock {} it does not hold", cur().key,
                                                 spec_->locks[L].name));
      }
      lock_holder_[L] = -1;
      return done();
    }
    case ApiId::KeSetEvent:
    case ApiId::KeClearEvent:
      visible();
      record();
      event_set_[static_cast<std::size_t>(args[0].i)] = id == ApiId::KeSetEvent;
      return done();
    case ApiId::KeWaitForSingleObject:
      gate_prepare();
      if (!event_set_[static_cast<std::size_t>(args[0].i)]) {
        throw BlockedSig{fmt::format("event {} is not set",
                                     spec_->events[static_cast<std::size_t>(args[0].i)].name)};
      }
      gate_consume();
      record();
      return done();
    case ApiId::WdfTimerStart:
    case ApiId::WdfTimerStop: {
      visible();
      record();
      auto t = static_cast<std::size_t>(args[0].i);
      bool was = timer_armed_[t];
      timer_armed_[t] = id == ApiId::WdfTimerStart;
      return result(was ? 1 : 0);
    }
    case ApiId::WdfRequestSend:
    case ApiId::WdfRequestSendAndForget: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      if (id == ApiId::WdfRequestSendAndForget && !r.received &&
          reading::kSendAndForgetOnlyReceived) {
        violation(
            RuleId::ApiMisuse,
            fmt::format("WdfRequestSendAndForget on {}, a request created with WdfRequestCreate",
                        r.name));
      }
      if (id == ApiId::WdfRequestSend && r.completion_fn < 0) {
        violation(RuleId::ApiMisuse,
                  fmt::format("{} sends {} without a completion routine", cur().key, r.name));
      }
      if (reading::kSendWhileCancelableIsMisuse && r.cancel_fn >= 0) {
        violation(RuleId::ApiMisuse,
                  fmt::format("{} sends {} while it is marked cancelable", cur().key, r.name));
      }
      const ast::TargetDecl& t = spec_->targets[static_cast<std::size_t>(args[1].i)];
      if (reading::kCancelFlagCheckedBeforeMayFail && r.cancel_flag) {
        r.status = K().cancelled;
        return result(0);
      }
      if (t.may_fail && choose({"send:ok", "send:fail"}) == 1) {
        r.status = K().invalid_device_state;
        return result(0);
      }
      if (!reading::kCancelFlagCheckedBeforeMayFail && r.cancel_flag) {
        r.status = K().cancelled;
        return result(0);
      }
      r.place = Place::TargetPending;
      r.target = args[1].i;
      r.target_cancelable = false;
      r.send_and_forget = id == ApiId::WdfRequestSendAndForget;
      return result(1);
    }
    case ApiId::WdfRequestCancelSentRequest: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      if (r.stop_pending) r.stop_handled = true;
      bool delivered = false;
      if (r.place == Place::TargetPending || (r.place == Place::TargetHeld && r.target_cancelable))
        delivered = true;
      if (r.place == Place::Driver || r.at_target()) cancel_reaches(rq(args[0]), false);
      return result(delivered ? 1 : 0);
    }
    case ApiId::WdfRequestComplete:
    case ApiId::WdfRequestCompleteWithInformation: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      if (!r.received)
        violation(
            RuleId::ApiMisuse,
            fmt::format("{} completes driver-created {} (delete it instead)", cur().key, r.name));
      if (r.cancel_fn >= 0)
        violation(RuleId::CompleteWhileCancelable,
                  fmt::format("{} completed while still marked cancelable", r.name));
      const Act* routine = find_act(r.cancel_routine_act);
      if (r.unmark_cancelled && cur_ != r.cancel_routine_act &&
          (!reading::kCr007OnlyBeforeCancelRoutineRuns ||
           (routine != nullptr && !routine->started))) {
        violation(
            RuleId::CompleteAfterUnmarkCancelled,
            fmt::format("{} completed after WdfRequestUnmarkCancelable returned STATUS_CANCELLED",
                        r.name));
      }
      complete_request(rq(args[0]), args[1].i);
      return done();
    }
    case ApiId::WdfRequestGetStatus: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      if (r.at_target()) {  // undefined until the target completes it (RequestGetStatusValid)
        violation(RuleId::ApiMisuse,
                  fmt::format("{} reads the status of {} while its target still holds it",
                              cur().key, r.name));
      }
      return result(r.status);
    }
    case ApiId::WdfRequestSetCompletionRoutine: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      r.completion_fn = args[1].i;
      return done();
    }
    case ApiId::WdfRequestMarkCancelable:
    case ApiId::WdfRequestMarkCancelableEx: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      const bool ex = id == ApiId::WdfRequestMarkCancelableEx;
      if (r.cancel_fn >= 0) {
        if (!ex)
          violation(RuleId::ApiMisuse,
                    fmt::format("{} marks {} cancelable twice", cur().key, r.name));
        return result(K().invalid_device_request);
      }
      bool purged = r.queue >= 0 && !queues_[static_cast<std::size_t>(r.queue)].accepting;
      if (r.cancel_flag || purged) {
        if (ex) {
          r.markex_cancelled = true;
          return result(K().cancelled);
        }
        // The cancel routine runs before the call returns, as its own activity, under the
        // caller's locks; the caller waits for it.
        const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(args[1].i)];
        int me = cur_;
        int rid = rq(args[0]);
        int id2 = start_activity(fmt::format("{}[{}]", fn.name, r.name), fn, Role::Cancel, rid,
                                 {Val{0, rid, r.epoch}}, -1);
        acts_.back().inline_caller = me;
        cur().waiting_inline = id2;
        r.cancel_routine_started = true;
        r.cancel_routine_act = id2;
        end_step_after_ = true;
        return done();
      }
      r.cancel_fn = args[1].i;
      r.cancel_routine_started = false;
      r.unmark_cancelled = false;
      return ex ? result(K().success) : done();
    }
    case ApiId::WdfRequestUnmarkCancelable: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      if (r.cancel_fn >= 0) {
        r.cancel_fn = -1;
        return result(K().success);
      }
      if (r.cancel_routine_started) {
        r.unmark_cancelled = true;
        return result(K().cancelled);
      }
      return result(K().invalid_parameter);
    }
    case ApiId::WdfRequestIsCanceled: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      if (r.cancel_fn >= 0) {
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestIsCanceled on {} while it is marked cancelable", r.name));
      }
      return result(r.cancel_flag ? 1 : 0);
    }
    case ApiId::WdfRequestReuse: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      if (r.at_target())
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestReuse of {} while it is at its target", r.name));
      if (r.place == Place::Queued)
        violation(RuleId::UseAfterFree,
                  fmt::format("WdfRequestReuse of {}, which is queued", r.name));
      int32_t flags = args.size() > 1 ? args[1].i : 0;
      if (r.received && (flags & K().reuse_new_irp) != 0) return result(K().invalid_state);
      const uint32_t old = r.epoch;  // the handle passed is current (stale ones failed above)
      if (r.cancel_flag) r.wiped = true;
      ++r.epoch;
      r.cancel_flag = false;
      r.completion_fn = -1;
      r.target_cancelable = false;
      r.status = K().success;
      r.send_and_forget = false;
      r.cancel_routine_started = false;
      r.unmark_cancelled = false;
      // The calling activity knows about the reuse: its request variables follow.
      for (Frame& f : cur().frames) {
        for (std::size_t k = 0; k < f.locals.size() && k < f.fn->locals.size(); ++k) {
          Val& v = f.locals[k];
          if (f.fn->locals[k].type == TypeKind::Request && v.req == args[0].req && v.epoch == old)
            v.epoch = r.epoch;
        }
      }
      return result(K().success);
    }
    case ApiId::WdfRequestForwardToIoQueue:
    case ApiId::WdfRequestRequeue: {
      visible();
      record();
      Req& r = check_handle(args[0], id, true);
      if (r.cancel_fn >= 0) {
        violation(
            RuleId::ApiMisuse,
            fmt::format("{} of {} while it is marked cancelable (unmark it first)", name, r.name));
      }
      int target_q = id == ApiId::WdfRequestRequeue ? r.queue : args[1].i;
      if (!r.received || r.queue < 0) return result(K().invalid_device_request);
      if (id == ApiId::WdfRequestForwardToIoQueue) {
        if (target_q == r.queue || device_of_queue(target_q) != device_of_queue(r.queue)) {
          return result(K().invalid_device_request);
        }
      } else if (spec_->queues[static_cast<std::size_t>(r.queue)].dispatch !=
                 ast::Dispatch::Manual) {
        return result(K().invalid_device_request);
      }
      QueueSt& qs = queues_[static_cast<std::size_t>(target_q)];
      if (!qs.accepting &&
          (id == ApiId::WdfRequestForwardToIoQueue || !reading::kRequeueIgnoresPurge)) {
        return result(K().wdf_busy);
      }
      leave_sequential(rq(args[0]));
      r.place = Place::Queued;
      r.queue = target_q;
      r.forwarded = true;
      if (id == ApiId::WdfRequestRequeue) {
        qs.items.push_front(rq(args[0]));
      } else {
        qs.items.push_back(rq(args[0]));
      }
      // The queue refuses a request whose cancel flag is set: it is cancelled as it enters.
      if (r.cancel_flag) cancel_on_queue(rq(args[0]));
      return result(K().success);
    }
    case ApiId::WdfIoQueueRetrieveNextRequest: {
      const Expr& out_arg = *e.args[1];
      LRef out = lvalue(out_arg.kind == ExprKind::AddrOf ? *out_arg.args[0] : out_arg);
      visible();
      record();
      auto q = static_cast<std::size_t>(args[0].i);
      if (spec_->queues[q].dispatch != ast::Dispatch::Manual)
        return result(K().invalid_device_request);
      QueueSt& qs = queues_[q];
      if (qs.items.empty()) return result(K().no_more_entries);
      if (out.kind == LRef::Context)
        check_context(out.handle, "WdfIoQueueRetrieveNextRequest output");
      int r = qs.items.front();
      qs.items.pop_front();
      Req& rr = reqs_[static_cast<std::size_t>(r)];
      rr.place = Place::Driver;
      rr.queue = static_cast<int>(q);
      store(out, Val{0, r, rr.epoch});
      return result(K().success);
    }
    case ApiId::WdfRequestStopAcknowledge: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      if (cur().role != Role::Stop) {
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestStopAcknowledge of {} outside EvtIoStop", r.name));
      }
      if (args[1].i != 0) {
        // Requeueing hands the request back to its queue: only the owner can (a request that
        // is queued, at its target or completed was given away); then it must not be
        // cancelable.
        if (r.place != Place::Driver) {
          violation(RuleId::UseAfterFree,
                    fmt::format("WdfRequestStopAcknowledge(requeue) of {}, which the driver does "
                                "not own ({})",
                                r.name, r.at_target() ? "at its target" : "given away"));
        } else if (r.cancel_fn >= 0) {
          violation(RuleId::ApiMisuse,
                    fmt::format("WdfRequestStopAcknowledge(requeue) of {} while it is cancelable",
                                r.name));
        }
        leave_sequential(rq(args[0]));
        r.place = Place::Queued;
        queues_[static_cast<std::size_t>(r.queue)].items.push_front(rq(args[0]));
      }
      if (r.stop_pending) r.stop_handled = true;
      return done();
    }
    case ApiId::WdfObjectReference: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      ++r.refs;
      return done();
    }
    case ApiId::WdfObjectDereference: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      bool framework_ref = r.received ? r.place != Place::Completed : !r.deleted;
      if (framework_ref && r.refs <= 1) {
        violation(
            RuleId::ApiMisuse,
            fmt::format("WdfObjectDereference of {} would drop the framework's reference", r.name));
      }
      release_ref(rq(args[0]));
      return done();
    }
    case ApiId::WdfObjectDelete: {
      visible();
      record();
      Req& r = check_handle(args[0], id, false);
      if (r.received)
        violation(RuleId::ApiMisuse, fmt::format("WdfObjectDelete of received {}", r.name));
      if (r.at_target())
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfObjectDelete of {} while it is at its target", r.name));
      r.deleted = true;
      release_ref(rq(args[0]));
      return done();
    }
    default:
      break;
  }
  throw RefUnsupported(fmt::format("{} is not executed by the reference executor", name));
}

// ---- NDIS calls (docs/semantics/ndis.md) ----

Nbl& RefMachine::nbl_arg(const Val& v, ApiId api) {
  if (v.i <= 0 || static_cast<std::size_t>(v.i) > nbls_.size())
    violation(RuleId::UseAfterFree, fmt::format("{} on a NULL NBL", api_name(api)));
  Nbl& b = nbls_[static_cast<std::size_t>(v.i - 1)];
  if (b.owner == NblOwner::Freed)
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {} after it was freed", api_name(api), b.name));
  return b;
}

Val RefMachine::call_ndis(ApiId id, std::vector<Val>& args) {
  const std::string name = api_name(id);
  visible();
  out_->calls.push_back(name);
  auto result = [&](int32_t v) {
    out_->calls.back() += "=" + std::to_string(v);
    return Val{v};
  };
  auto not_owned = [&](const Nbl& b) {
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {}, which the filter does not own", name, b.name));
  };
  switch (id) {
    case ApiId::NdisFSendNetBufferLists: {
      Nbl& b = nbl_arg(args[0], id);
      if (b.owner == NblOwner::ReturnedUp && reading::kSendAfterReturnIsDoubleCompletion)
        violation(RuleId::DoubleCompletion,
                  fmt::format("{} sent below after it was completed upward", b.name));
      if (b.owner != NblOwner::Filter) not_owned(b);
      if (!b.from_protocol && b.cancel_id != 0 && b.id_use != b.uses) {
        violation(
            RuleId::StaleCancelId,
            fmt::format("{} re-sent with cancel id {} from an earlier use", b.name, b.cancel_id));
      }
      b.owner = NblOwner::Below;
      b.miniport = args[1].i;
      b.aborted = false;
      return Val{};
    }
    case ApiId::NdisFSendNetBufferListsComplete: {
      Nbl& b = nbl_arg(args[0], id);
      if (!b.from_protocol)
        violation(RuleId::DoubleCompletion, fmt::format("filter-allocated {} passed up", b.name));
      if (b.owner == NblOwner::ReturnedUp)
        violation(RuleId::DoubleCompletion, fmt::format("{} completed twice", b.name));
      if (b.owner == NblOwner::Below)
        violation(RuleId::DoubleCompletion,
                  fmt::format("{} completed upward while the miniport has it", b.name));
      b.owner = NblOwner::ReturnedUp;
      return Val{};
    }
    case ApiId::NdisFCancelSendNetBufferLists: {
      const ast::MiniportDecl& m = spec_->miniports[static_cast<std::size_t>(args[0].i)];
      if (m.cancelable || m.pending) {
        for (Nbl& b : nbls_) {
          if (b.owner == NblOwner::Below && b.miniport == args[0].i && b.cancel_id == args[1].i)
            b.aborted = true;
        }
      }
      return Val{};
    }
    case ApiId::NdisGeneratePartialCancelId:
      return result(symbolic_value(reading::kOwnPartialId, reading::kPartialIdBits));
    case ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID:
    case ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID: {
      Nbl& b = nbl_arg(args[0], id);
      if (b.owner != NblOwner::Filter) not_owned(b);
      if (id == ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID) return result(b.cancel_id);
      const int32_t own = symbolic_value(reading::kOwnPartialId, reading::kPartialIdBits);
      const int32_t other = symbolic_value(reading::kOtherPartialId, reading::kPartialIdBits);
      const auto high =
          static_cast<int32_t>(static_cast<uint32_t>(args[1].i) >> reading::kPartialIdShift);
      if (args[1].i != 0 && own != other && high == other) {
        violation(RuleId::CancelIdCollision,
                  fmt::format("{} gets cancel id {:#x}, whose high byte is another driver's "
                              "partial id {:#x}",
                              b.name, static_cast<uint32_t>(args[1].i), other));
      }
      b.cancel_id = args[1].i;
      b.id_use = b.uses;
      return Val{};
    }
    case ApiId::NdisAllocateNetBufferList: {
      std::size_t allocated = 0;
      for (const Nbl& b : nbls_) allocated += b.from_protocol ? 0 : 1;
      if (allocated >= reading::kFilterNblPool)
        throw RefUnsupported("NdisAllocateNetBufferList beyond the NBL pool");
      Nbl b;
      b.name = fmt::format("nbl#{}", nbls_.size() + 1);
      b.from_protocol = false;
      b.owner = NblOwner::Filter;
      nbls_.push_back(std::move(b));
      return result(static_cast<int32_t>(nbls_.size()));
    }
    case ApiId::NdisFreeNetBufferList: {
      Nbl& b = nbl_arg(args[0], id);
      if (b.from_protocol)
        violation(RuleId::ApiMisuse, fmt::format("NdisFreeNetBufferList of protocol {}", b.name));
      if (b.owner != NblOwner::Filter) not_owned(b);
      b.owner = NblOwner::Freed;
      return Val{};
    }
    default:
      break;
  }
  throw RefUnsupported(fmt::format("{} is not executed by the reference executor", name));
}

// ---- APPC calls (docs/semantics/appc.md) ----

Vcb& RefMachine::vcb_arg(const Val& v, ApiId api) {
  if (v.i <= 0 || static_cast<std::size_t>(v.i) > vcbs_.size())
    violation(RuleId::UseAfterFree, fmt::format("{} on a NULL VCB", api_name(api)));
  Vcb& b = vcbs_[static_cast<std::size_t>(v.i - 1)];
  if (b.state == VcbSt::Freed)
    violation(RuleId::UseAfterFree,
              fmt::format("{} on vcb#{} after it was freed", api_name(api), v.i));
  return b;
}

Val RefMachine::call_appc(ApiId id, std::vector<Val>& args) {
  const std::string name = api_name(id);
  if (id == ApiId::GetMessage) {
    gate_prepare();
    if (messages_.empty()) throw BlockedSig{"GetMessage: no completion message is queued"};
    gate_consume();
  } else {
    visible();
  }
  out_->calls.push_back(name);
  auto result = [&](int32_t v) {
    out_->calls.back() += "=" + std::to_string(v);
    return Val{v};
  };
  switch (id) {
    case ApiId::vcb_alloc:
      if (vcbs_.size() >= reading::kVcbPool) throw RefUnsupported("vcb_alloc beyond the VCB pool");
      vcbs_.emplace_back();
      return result(static_cast<int32_t>(vcbs_.size()));
    case ApiId::vcb_free:
      vcb_arg(args[0], id).state = VcbSt::Freed;
      return Val{};
    case ApiId::vcb_primary_rc: {
      Vcb& v = vcb_arg(args[0], id);
      if (v.task >= 0) {
        Task& tk = tasks_[static_cast<std::size_t>(v.task)];
        if (tk.state == TaskSt::Outstanding) {
          violation(RuleId::UseAfterReuse,
                    fmt::format("return code of vcb#{} read while task#{} is outstanding",
                                args[0].i, v.task + 1));
        }
        const ast::FnDecl* me = cur().frames.front().fn;
        if (tk.handler != nullptr && tk.handler != me &&
            reading::kResultReadByTwoFunctionsIsDoubleCompletion) {
          violation(RuleId::DoubleCompletion, fmt::format("task#{} handled by {} and {}",
                                                          v.task + 1, tk.handler->name, me->name));
        }
        tk.handler = me;
      }
      return result(v.rc);
    }
    case ApiId::WinAsyncAPPC: {
      Vcb& v = vcb_arg(args[0], id);
      int conv = args[2].i;
      if (conv_closed_[static_cast<std::size_t>(conv)]) return result(0);
      int32_t verb = args[1].i;
      auto named_is = [&](int32_t x, std::initializer_list<const char*> names) {
        for (const char* n : names) {
          if (named(n) == x) return true;
        }
        return false;
      };
      for (const Task& tk : tasks_) {
        if (tk.state != TaskSt::Outstanding || tk.conv != conv) continue;
        bool receive =
            named_is(tk.verb, {"RECEIVE_AND_WAIT", "RECEIVE_AND_POST", "MC_RECEIVE_AND_WAIT"});
        bool allowed = named_is(verb, {"DEALLOCATE", "GET_ATTRIBUTES", "GET_TYPE",
                                       "REQUEST_TO_SEND", "SEND_ERROR", "TEST_RTS", "TP_ENDED"});
        if (!(receive && allowed)) return result(0);  // AP_CONV_BUSY
      }
      if (tasks_.size() >= reading::kTaskPool)
        throw RefUnsupported("WinAsyncAPPC beyond the verb pool");
      Task tk;
      tk.vcb = args[0].i - 1;
      tk.conv = conv;
      tk.verb = verb;
      tasks_.push_back(tk);
      v.task = static_cast<int>(tasks_.size() - 1);
      return result(static_cast<int32_t>(tasks_.size()));
    }
    case ApiId::WinAPPCCancelAsyncRequest: {
      int32_t t = args[0].i;
      if (t <= 0 || static_cast<std::size_t>(t) > tasks_.size())
        return result(named("WAPPCINVALID"));
      Task& tk = tasks_[static_cast<std::size_t>(t - 1)];
      if (tk.state != TaskSt::Outstanding) {
        if (sna_quirk_ && choose({"cancel:already", "cancel:invalid"}) == 1)
          return result(named("WAPPCINVALID"));
        return result(named("WAPPCALREADY"));
      }
      int conv = tk.conv;
      conv_closed_[static_cast<std::size_t>(conv)] = true;
      for (std::size_t k = 0; k < tasks_.size(); ++k) {
        if (tasks_[k].state == TaskSt::Outstanding && tasks_[k].conv == conv)
          post_completion(static_cast<int>(k), named("AP_CANCELED"));
      }
      return result(0);
    }
    case ApiId::GetMessage: {
      int t = messages_.front();
      messages_.pop_front();
      Task& tk = tasks_[static_cast<std::size_t>(t)];
      tk.state = TaskSt::Reaped;
      if (vcbs_[static_cast<std::size_t>(tk.vcb)].state == VcbSt::Freed) {
        violation(
            RuleId::UseAfterFree,
            fmt::format("message of task#{} handled after vcb#{} was freed", t + 1, tk.vcb + 1));
      }
      return result(t + 1);
    }
    default:
      break;
  }
  throw RefUnsupported(fmt::format("{} is not executed by the reference executor", name));
}

// ---- end states ----

std::optional<RefEndFinding> RefMachine::end_check() const {
  auto pending = [](const Req& r) {
    if (r.received) return r.alive();
    return r.at_target();
  };
  for (const Req& r : reqs_) {
    if (!pending(r)) continue;
    if (r.wiped)
      return RefEndFinding{
          RuleId::LostCancel,
          fmt::format("{} is still pending: its cancel was wiped by WdfRequestReuse", r.name)};
    if (r.markex_cancelled) {
      return RefEndFinding{RuleId::LostCancel,
                           fmt::format("{} is still pending: MarkCancelableEx returned "
                                       "STATUS_CANCELLED and it was not completed",
                                       r.name)};
    }
  }
  std::map<std::string, std::size_t> seen;
  for (const Act& a : acts_) {
    if (a.done) continue;
    // Try the activity: one waiting for a completion message is not a lock deadlock.
    std::size_t inst = seen[a.key]++;
    RefMachine trial = *this;
    EnumChooser ch({});
    std::string why;
    try {
      trial.run_event(a.key, ch, inst);
    } catch (const BlockedSig& b) {
      why = b.why;
    } catch (...) {
    }
    // Waiting for a message as the step's first visible operation; an atomic block that a
    // step enters after its visible operation and that blocks in GetMessage can never run at
    // all (its own step would have to issue the verb first): that is a deadlock.
    if (why.rfind("GetMessage", 0) == 0 && trial.budget_ != 0) {
      bool closed = std::find(conv_closed_.begin(), conv_closed_.end(), true) != conv_closed_.end();
      if (closed) {
        return RefEndFinding{
            RuleId::LostCancel,
            fmt::format("{} waits forever: a cancel closed its conversation", a.key)};
      }
      return RefEndFinding{RuleId::NeverCompleted,
                           fmt::format("{} waits forever for a completion message", a.key)};
    }
    return RefEndFinding{RuleId::Deadlock, fmt::format("deadlock: {} can never move", a.key)};
  }
  for (const Nbl& b : nbls_) {
    if (!b.from_protocol || (b.owner != NblOwner::Filter && b.owner != NblOwner::Below)) continue;
    if (b.cancelled)
      return RefEndFinding{RuleId::LostCancel,
                           fmt::format("{} is still out although its id was cancelled", b.name)};
    return RefEndFinding{RuleId::NeverCompleted,
                         fmt::format("{} never returns to the protocol", b.name)};
  }
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (tasks_[k].state == TaskSt::Outstanding)
      return RefEndFinding{RuleId::NeverCompleted, fmt::format("task#{} never completes", k + 1)};
  }
  for (const Req& r : reqs_) {
    if (pending(r) && r.cancel_flag) {
      return RefEndFinding{RuleId::LostCancel,
                           fmt::format("{} is still pending although it was cancelled", r.name)};
    }
  }
  for (const Req& r : reqs_) {
    if (r.received && pending(r))
      return RefEndFinding{RuleId::NeverCompleted, fmt::format("{} is never completed", r.name)};
  }
  return std::nullopt;
}

std::string RefMachine::describe() const {
  static const char* places[] = {"not arrived",    "queued",    "driver", "pending at target",
                                 "held by target", "completed", "freed"};
  std::ostringstream o;
  for (const Req& r : reqs_) {
    o << fmt::format(
        "  {}: {}{}{} cancelable={} flag={} tcancel={} croutine={} refs={} epoch={} status={} "
        "completions={}{}{}{}\n",
        r.name, places[static_cast<int>(r.place)],
        r.place == Place::Queued ? " at " + spec_->queues[static_cast<std::size_t>(r.queue)].name
                                 : "",
        r.at_target() ? " " + spec_->targets[static_cast<std::size_t>(r.target)].name : "",
        r.cancel_fn >= 0 ? spec_->fns[static_cast<std::size_t>(r.cancel_fn)].name : "no",
        r.cancel_flag, r.target_cancelable,
        r.completion_fn >= 0 ? spec_->fns[static_cast<std::size_t>(r.completion_fn)].name : "none",
        r.refs, r.epoch, status_text(r.status), r.completions, r.wiped ? " wiped" : "",
        r.markex_cancelled ? " markex-cancelled" : "",
        r.unmark_cancelled ? " unmark-cancelled" : "");
  }
  for (std::size_t g = 0; g < globals_.size(); ++g) {
    const ast::VarDecl& v = spec_->globals[g];
    if (v.type == TypeKind::Request) {
      const Val& h = globals_[g];
      o << fmt::format(
          "  {} = {}\n", v.name,
          h.req < 0 ? std::string("NULL")
                    : fmt::format("{}@{}", reqs_[static_cast<std::size_t>(h.req)].name, h.epoch));
    } else if (v.type == TypeKind::ListRequest) {
      o << fmt::format("  {} = list of {}\n", v.name, global_lists_[g].size());
    } else {
      o << fmt::format("  {} = {}\n", v.name, globals_[g].i);
    }
  }
  static const char* owners[] = {"above", "filter", "below", "returned up", "freed"};
  for (const Nbl& b : nbls_) {
    o << fmt::format("  {}: {} id={} uses={} id_use={}{}{}\n", b.name,
                     owners[static_cast<int>(b.owner)], b.cancel_id, b.uses, b.id_use,
                     b.aborted ? " aborted" : "", b.cancelled ? " cancelled" : "");
  }
  static const char* tstates[] = {"outstanding", "completed", "reaped"};
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    const Task& t = tasks_[k];
    o << fmt::format("  task#{}: {} vcb#{} conv={} rc={}{}\n", k + 1,
                     tstates[static_cast<int>(t.state)], t.vcb + 1, t.conv, t.rc,
                     t.silent ? " silent" : "");
  }
  for (std::size_t k = 0; k < vcbs_.size(); ++k) {
    o << fmt::format("  vcb#{}: {} rc={}\n", k + 1,
                     vcbs_[k].state == VcbSt::Freed ? "freed" : "allocated", vcbs_[k].rc);
  }
  for (std::size_t l = 0; l < lock_holder_.size(); ++l) {
    if (lock_holder_[l] >= 0)
      o << fmt::format("  lock {} held by activity #{}\n", spec_->locks[l].name, lock_holder_[l]);
  }
  for (const Act& a : acts_) {
    if (a.done) continue;
    o << fmt::format("  activity #{} {}{}{}\n", a.id, a.key, a.started ? "" : " (not started)",
                     a.waiting_inline >= 0 ? " (waits for its inline cancel routine)" : "");
  }
  return o.str();
}

// ---------------------------------------------------------------------------------------------
// RefExecutor
// ---------------------------------------------------------------------------------------------

std::string RefExecutor::unsupported_reason(const ast::Spec& /*spec*/) {
  // KMDF, NDIS, APPC and symbolic values are all executed; bounds are RefUnsupported.
  return "";
}

RefExecutor::RefExecutor(const ast::Spec& spec, const SourceManager& sm)
    : RefExecutor(spec, sm, SymbolicValues{}) {}

RefExecutor::RefExecutor(const ast::Spec& spec, const SourceManager& sm,
                         const SymbolicValues& values) {
  std::string why = unsupported_reason(spec);
  if (!why.empty()) throw RefUnsupported(why);
  m_ = std::make_unique<RefMachine>(spec, sm, values);
}

RefExecutor::RefExecutor(const RefExecutor& other) : m_(std::make_unique<RefMachine>(*other.m_)) {}
RefExecutor& RefExecutor::operator=(const RefExecutor& other) {
  if (this != &other) m_ = std::make_unique<RefMachine>(*other.m_);
  return *this;
}
RefExecutor::RefExecutor(RefExecutor&&) noexcept = default;
RefExecutor& RefExecutor::operator=(RefExecutor&&) noexcept = default;
RefExecutor::~RefExecutor() = default;

std::vector<RefSuccessor> RefExecutor::successors() const {
  std::vector<RefSuccessor> out;
  for (const std::string& key : m_->candidate_events()) {
    for (std::size_t inst = 0; inst < std::max<std::size_t>(1, m_->instances(key)); ++inst) {
      std::vector<std::vector<std::size_t>> work{{}};
      while (!work.empty()) {
        std::vector<std::size_t> prefix = std::move(work.back());
        work.pop_back();
        RefMachine copy = *m_;
        EnumChooser ch(prefix);
        try {
          Outcome o = copy.run_event(key, ch, inst);
          RefSuccessor s;
          s.event = key;
          s.instance = inst;
          s.choices = std::move(o.choices);
          s.calls = std::move(o.calls);
          if (o.violation) {
            s.violation = o.violation->rule;
            s.violation_message = o.violation->message;
          }
          out.push_back(std::move(s));
        } catch (const BlockedSig&) {
        } catch (const PrunedSig&) {
        }
        for (const auto& [pos, count] : ch.fresh_points()) {
          for (std::size_t alt = 1; alt < count; ++alt) {
            std::vector<std::size_t> p(ch.taken().begin(),
                                       ch.taken().begin() + static_cast<std::ptrdiff_t>(pos));
            p.push_back(alt);
            work.push_back(std::move(p));
          }
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const RefSuccessor& a, const RefSuccessor& b) {
    return std::tie(a.event, a.choices, a.instance) < std::tie(b.event, b.choices, b.instance);
  });
  return out;
}

std::vector<std::string> RefExecutor::enabled_events() const {
  std::set<std::string> keys;
  for (const RefSuccessor& s : successors()) keys.insert(s.event);
  return {keys.begin(), keys.end()};
}

std::size_t RefExecutor::instances(const std::string& event) const {
  return std::max<std::size_t>(1, m_->instances(event));
}

RefStep RefExecutor::step(const std::string& event, const std::vector<std::string>& choices,
                          std::size_t instance) {
  RefStep st;
  RefMachine copy = *m_;
  ReplayChooser ch(choices);
  try {
    Outcome o = copy.run_event(event, ch, instance);
    st.calls = std::move(o.calls);
    st.choices = std::move(o.choices);
    if (o.violation) {
      st.violation = o.violation->rule;
      st.violation_message = o.violation->message;
    }
  } catch (const ReplayError& e) {
    st.error = fmt::format("'{}': {}", event, e.message);
    return st;
  } catch (const BlockedSig& b) {
    st.error = fmt::format("'{}' cannot move: {}", event, b.why);
    return st;
  } catch (const PrunedSig&) {
    st.error = fmt::format("'{}' cannot move with these choices: an assume() fails", event);
    return st;
  }
  if (!ch.exhausted()) {
    st.error = fmt::format("'{}' does not use all the choices of the trace ({} given, {} used)",
                           event, choices.size(), st.choices.size());
    st.calls.clear();
    st.violation.reset();
    return st;
  }
  st.ok = true;
  *m_ = std::move(copy);
  return st;
}

bool RefExecutor::at_end() const {
  return successors().empty();
}

std::optional<RefEndFinding> RefExecutor::end_state_violation() const {
  return m_->end_check();
}

std::string RefExecutor::describe_state() const {
  return m_->describe();
}

}  // namespace cc
