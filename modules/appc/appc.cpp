// The APPC module (docs/semantics/appc.md).
#include "modules/appc/appc.h"

#include <array>

#include "model/named_constants.h"

namespace cc {
namespace {

/// VCB and task record layouts (bytes).
enum VcbField : uint32_t { kVState = 0, kVTask = 1, kVRc = 4, kVcbStride = 8 };
enum class VcbState : uint8_t { Unallocated, Allocated, Freed };
enum TaskField : uint32_t {
  kTState = 0,
  kTVcb = 1,
  kTConv = 2,
  kTVerb = 3,
  kTFlags = 4,
  kTRc = 6,  ///< int16: AP_OK / AP_CANCELED
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
/// The module's one environment actor kind: the partner answers a verb (index: task).
constexpr uint8_t kPartner = 0;
/// A task's conversation byte for a transaction-program verb issued without one.
constexpr uint8_t kNoConv = 0xFF;

/// APPC return codes by name (WAPPCALREADY, AP_CANCELED, ...), else the number.
std::string appc_code_text(int32_t v) {
  for (std::string_view n : {"WAPPCALREADY", "WAPPCINVALID", "AP_OK", "AP_CANCELED", "AP_CONV_BUSY",
                             "AP_CONV_FAILURE_NO_RETRY"}) {
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

class Appc final : public ModuleBase {
 public:
  explicit Appc(Core& core) : ModuleBase(core) {}
  std::string_view name() const override { return "appc"; }
  ApiDomain domain() const override { return ApiDomain::Appc; }
  std::string build() override;
  void layout(Layout& layout) override;
  void env_actors(std::vector<EnvActor>& out) const override {
    for (uint32_t t = 0; t < ntask_; ++t) out.push_back({0, kPartner, t});
  }
  Outcome exec_api(ApiCall& call) override;
  Outcome api_vcb(ApiCall& call);
  Outcome api_verb(ApiCall& call);
  /// WinAsyncAPPC: a new verb (failed at once on a busy or closed conversation).
  Outcome api_issue(ApiCall& call);
  /// WinAPPCCancelAsyncRequest.
  Outcome api_cancel(ApiCall& call);
  /// Where a conversation is declared; the spec's title for a TP verb's kNoConv.
  SourceRange conv_range(uint32_t c) const {
    return c < spec_.conversations.size() ? spec_.conversations[c].range : spec_.title_range;
  }
  /// A conversation's name; "the transaction program" for a TP verb's kNoConv.
  std::string conv_name(uint32_t c) const {
    return c < spec_.conversations.size() ? spec_.conversations[c].name
                                          : std::string("the transaction program");
  }
  RunResult run_env(const EnvActor& e) override;
  std::optional<Finding> end_state(EndPhase phase) override;
  Fairness fairness(const EnvActor& e) const override;
  void pending(std::vector<Finding>& out) const override;
  std::optional<Finding> stuck(uint32_t a, const Instr& in, std::string& why) override;
  std::optional<std::string> type_text(int32_t v, TypeKind t) const override;
  void objects(ViewPhase phase, std::vector<ObjectView>& out) const override;

 private:
  uint32_t nvcb_ = 0, ntask_ = 0;
  bool sna_quirk_ = false;
  Region conv_, msg_, vcbs_, tasks_;

  uint8_t* vcb(uint32_t v) const { return s_ + vcbs_.at(v); }
  uint8_t* task(uint32_t t) const { return s_ + tasks_.at(t); }
  TaskState task_state(uint32_t t) const { return static_cast<TaskState>(task(t)[kTState]); }
  VcbState vcb_state(uint32_t v) const { return static_cast<VcbState>(vcb(v)[kVState]); }
  static std::string task_name(uint32_t t) { return fmt::format("task#{}", t + 1); }
  static std::string vcb_name(uint32_t v) { return fmt::format("vcb#{}", v + 1); }
  std::optional<uint32_t> vcb_handle(int32_t h, std::string_view api, const Instr& in);
  /// An APPC return code as the call's result, shown by name in the trace.
  void code_result(ApiCall& call, int32_t v) {
    result(call, v);
    if (rec_) rec_->results[call.rec_at] = appc_code_text(v);
  }
  void post_completion(uint32_t t, int32_t rc, const Instr* in);
};

std::string Appc::build() {
  bool verbs = false, vcbs = false;
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op != Op::Api) continue;
      verbs |= in.api() == ApiId::WinAsyncAPPC;
      vcbs |= in.api() == ApiId::vcb_alloc;
    }
  }
  ntask_ = verbs ? kTaskPool : 0;
  nvcb_ = vcbs ? kVcbPool : 0;
  for (const ast::ConstDecl& c : spec_.consts) {
    if (c.name == kSnaQuirkConst) sna_quirk_ = c.folded != 0;
  }
  return {};
}

void Appc::layout(Layout& layout) {
  // Per conversation: 1 = closed by a cancel. [count][task, ...]: the application's queue.
  conv_ = layout.add("appc.conversations", 1, static_cast<uint32_t>(spec_.conversations.size()));
  msg_ = layout.add("appc.messages", 1 + ntask_, 1);
  vcbs_ = layout.add("appc.vcbs", kVcbStride, nvcb_, 4);
  tasks_ = layout.add("appc.tasks", kTaskStride, ntask_, 4);
}

std::optional<uint32_t> Appc::vcb_handle(int32_t h, std::string_view api, const Instr& in) {
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

Outcome Appc::exec_api(ApiCall& call) {
  switch (call.in->api()) {
    case ApiId::vcb_alloc:
    case ApiId::vcb_free:
    case ApiId::vcb_primary_rc:
      return api_vcb(call);
    default:
      return api_verb(call);
  }
}

Outcome Appc::api_vcb(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  std::string_view name = api_info(in.api()).name;
  switch (in.api()) {
    case ApiId::vcb_alloc: {
      uint32_t v = 0;
      while (v < nvcb_ && vcb_state(v) != VcbState::Unallocated) ++v;
      if (v == nvcb_)
        throw ModelLimit(fmt::format("vcb_alloc called more than {} times", kVcbPool));
      vcb(v)[kVState] = static_cast<uint8_t>(VcbState::Allocated);
      if (rec_) note(fmt::format("allocates {}", vcb_name(v)));
      result(call, static_cast<int32_t>(v + 1));
      return Outcome::Continue;
    }
    case ApiId::vcb_free: {
      auto v = vcb_handle(arg[0], name, in);
      if (!v) return Outcome::Violation;
      vcb(*v)[kVState] = static_cast<uint8_t>(VcbState::Freed);
      if (rec_) note(fmt::format("frees {}", vcb_name(*v)));
      event(EventKind::Frees, vcb_name(*v));
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
        if (rec_) note(fmt::format("reads the result of {}", task_name(t)));
        event(EventKind::HandlesResult, task_name(t));
      }
      code_result(call, get32(vcb(*v) + kVRc));
      return Outcome::Continue;
    }
    default:
      break;
  }
  throw std::logic_error(fmt::format("{} has no APPC semantics", name));
}

Outcome Appc::api_verb(ApiCall& call) {
  const Instr& in = *call.in;
  std::string_view name = api_info(in.api()).name;
  switch (in.api()) {
    case ApiId::WinAsyncAPPC:
      return api_issue(call);
    case ApiId::WinAPPCCancelAsyncRequest:
      return api_cancel(call);
    case ApiId::GetMessage: {
      uint8_t* q = s_ + msg_.offset;
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
      result(call, static_cast<int32_t>(t + 1));
      return Outcome::Continue;
    }
    default:
      break;
  }
  throw std::logic_error(fmt::format("{} has no APPC semantics", name));
}

Outcome Appc::api_issue(ApiCall& call) {
  const Instr& in = *call.in;
  auto v = vcb_handle(call.arg[0], "WinAsyncAPPC", in);
  if (!v) return Outcome::Violation;
  const int32_t verb = call.arg[1];
  // Reading: a transaction-program verb (TP_STARTED, TP_ENDED, RECEIVE_ALLOCATE) relates to
  // the TP, not to a conversation, and may be issued without one; every other verb names one.
  const bool on_conv = in.nargs >= 3;
  if (!on_conv && !is_tp_verb(verb)) {
    violation(
        RuleId::ApiMisuse, in.src,
        fmt::format("WinAsyncAPPC with {} names no conversation", render(verb, TypeKind::Verb)));
    return Outcome::Violation;
  }
  const uint32_t c = on_conv ? static_cast<uint32_t>(call.arg[2]) : kNoConv;
  const std::string cn = conv_name(c);
  // Reading: a nonzero handle only means the library could attempt the verb; a verb on a
  // closed or busy conversation fails through its VCB and its completion message.
  int32_t fail = 0;
  std::string why;
  if (on_conv && s_[conv_.at(c)] != 0) {
    fail = k::AP_CONV_FAILURE_NO_RETRY;
    why = fmt::format("conversation {} was closed by a cancel", cn);
  }
  for (uint32_t t = 0; t < ntask_ && fail == 0 && on_conv; ++t) {
    uint8_t* tp = task(t);
    if (task_state(t) == TaskState::Outstanding && tp[kTConv] == c &&
        !(is_receive_verb(tp[kTVerb]) && verb_allowed_during_receive(verb))) {
      fail = k::AP_CONV_BUSY;
      why = fmt::format("{} is still outstanding on {}", task_name(t), cn);
    }
  }
  uint32_t t = 0;
  while (t < ntask_ && task_state(t) != TaskState::None) ++t;
  if (t == ntask_)
    throw ModelLimit(fmt::format("WinAsyncAPPC called more than {} times", kTaskPool));
  uint8_t* tp = task(t);
  tp[kTState] = static_cast<uint8_t>(TaskState::Outstanding);
  tp[kTVcb] = static_cast<uint8_t>(*v);
  tp[kTConv] = static_cast<uint8_t>(c);
  tp[kTVerb] = static_cast<uint8_t>(verb);
  vcb(*v)[kVTask] = static_cast<uint8_t>(t + 1);
  result(call, static_cast<int32_t>(t + 1));
  if (fail != 0) {
    if (rec_) note(fmt::format("{}: {} fails", why, task_name(t)));
    post_completion(t, fail, &in);
    return c_.finding_ ? Outcome::Violation : Outcome::Continue;
  }
  if (rec_) note(fmt::format("{} is outstanding on {} with {}", task_name(t), cn, vcb_name(*v)));
  return Outcome::Continue;
}

Outcome Appc::api_cancel(ApiCall& call) {
  const Instr& in = *call.in;
  int32_t h = call.arg[0];
  if (h <= 0 || static_cast<uint32_t>(h) > ntask_ ||
      task_state(static_cast<uint32_t>(h - 1)) == TaskState::None) {
    code_result(call, k::WAPPCINVALID);
    return Outcome::Continue;
  }
  auto t = static_cast<uint32_t>(h - 1);
  if (task_state(t) != TaskState::Outstanding) {
    bool invalid = sna_quirk_ && choose(2, [](uint16_t c) {
                                   return std::string(c == 1 ? "cancel:invalid" : "cancel:already");
                                 }) == 1;
    if (rec_)
      note(fmt::format("{} has already completed{}", task_name(t),
                       task_state(t) == TaskState::Completed
                           ? ": its completion message is still queued"
                           : " and its message was received"));
    code_result(call, invalid ? k::WAPPCINVALID : k::WAPPCALREADY);
    return Outcome::Continue;
  }
  // Conversation verb: purged, its conversation closed. TP verb: the TP ends, which closes
  // every conversation and purges every outstanding verb.
  const uint32_t c = task(t)[kTConv];
  task(t)[kTFlags] |= kTaskCancelled;
  for (uint32_t k = 0; k < spec_.conversations.size(); ++k) {
    if (c != kNoConv && k != c) continue;
    s_[conv_.at(k)] = 1;
    event(EventKind::ClosesConversation, spec_.conversations[k].name);
  }
  if (rec_) {
    note(c == kNoConv
             ? fmt::format("purges {} and ends the transaction program", task_name(t))
             : fmt::format("purges {} and closes conversation {}", task_name(t), conv_name(c)));
  }
  for (uint32_t o = 0; o < ntask_; ++o) {
    if (task_state(o) == TaskState::Outstanding && (c == kNoConv || task(o)[kTConv] == c)) {
      post_completion(o, k::AP_CANCELED, &in);
      if (c_.finding_) return Outcome::Violation;
    }
  }
  result(call, 0);
  if (rec_) rec_->results[call.rec_at] = "0 (cancelled)";
  return Outcome::Continue;
}

void Appc::post_completion(uint32_t t, int32_t rc, const Instr* in) {
  uint8_t* tp = task(t);
  uint32_t v = tp[kTVcb];
  tp[kTState] = static_cast<uint8_t>(TaskState::Completed);
  set16(tp + kTRc, static_cast<uint16_t>(rc));
  uint8_t* q = s_ + msg_.offset;
  q[1 + q[0]] = static_cast<uint8_t>(t);
  ++q[0];
  if (rec_)
    note(fmt::format("{} ends with {}: its completion message is queued", task_name(t),
                     appc_code_text(rc)));
  if (vcb_state(v) == VcbState::Freed) {
    std::string msg = fmt::format("the completion of {} writes {}, which was already freed",
                                  task_name(t), vcb_name(v));
    violation(RuleId::UseAfterFree, in ? in->src : conv_range(tp[kTConv]), msg, vcb_name(v));
    return;
  }
  set32(vcb(v) + kVRc, rc);
}

RunResult Appc::run_env(const EnvActor& e) {
  uint32_t t = e.index;
  uint8_t* tp = task(t);
  if (task_state(t) != TaskState::Outstanding || (tp[kTFlags] & kTaskSilent) != 0) {
    return RunResult::Disabled;
  }
  const uint32_t c = tp[kTConv];
  if (rec_) {
    rec_->lane = c == kNoConv ? std::string("partner") : fmt::format("partner {}", conv_name(c));
    rec_->event = fmt::format("partner {}", task_name(t));
    rec_->actor = ActorKind::Target;
    rec_->first_src(conv_range(c));
  }
  const bool may_not_answer = c != kNoConv && spec_.conversations[c].partner_may_not_answer;
  if (may_not_answer && choose(2, [](uint16_t k) {
                          return std::string(k == 1 ? "partner:silent" : "partner:answer");
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

// ======================================================================= end states, words

// Fairness of the environment actors (docs/liveness.md, docs/semantics/appc.md "Fairness"):
// the partner moves on every outstanding verb eventually (answering it, or, where the spec
// allows, deciding never to answer).
Fairness Appc::fairness(const EnvActor& e) const {
  (void)e;  // one kind of actor: the partner of a verb (index: the task)
  return Fairness::Weak;
}

void Appc::pending(std::vector<Finding>& out) const {
  for (uint32_t t = 0; t < ntask_; ++t) {
    if (task_state(t) != TaskState::Outstanding) continue;
    out.push_back(
        {RuleId::NeverCompleted, conv_range(task(t)[kTConv]).begin,
         fmt::format("{} is never completed: it stays outstanding for ever", task_name(t)),
         task_name(t)});
  }
}

std::optional<Finding> Appc::end_state(EndPhase phase) {
  if (phase != EndPhase::Late) return std::nullopt;
  for (uint32_t t = 0; t < ntask_; ++t) {
    if (task_state(t) != TaskState::Outstanding) continue;
    return Finding{RuleId::NeverCompleted, conv_range(task(t)[kTConv]).begin,
                   fmt::format("{} is never completed: the partner never answers and nothing "
                               "cancels it",
                               task_name(t)),
                   task_name(t)};
  }
  return std::nullopt;
}

std::optional<Finding> Appc::stuck(uint32_t a, const Instr& in, std::string& /*why*/) {
  if (in.op != Op::Api || in.api() != ApiId::GetMessage) return std::nullopt;
  // A client waiting for a completion message that will never come.
  std::string closed;
  for (std::size_t c = 0; c < spec_.conversations.size(); ++c) {
    if (s_[conv_.at(static_cast<uint32_t>(c))] != 0) closed = spec_.conversations[c].name;
  }
  if (!closed.empty()) {
    return Finding{RuleId::LostCancel, in.src.begin,
                   fmt::format("{} waits forever in GetMessage: the cancel closed conversation "
                               "{}, so no verb on it can complete",
                               lane_of(a), closed),
                   lane_of(a), true};
  }
  return Finding{
      RuleId::NeverCompleted, in.src.begin,
      fmt::format("{} waits forever in GetMessage: no verb is left to complete", lane_of(a)),
      lane_of(a), true};
}

std::optional<std::string> Appc::type_text(int32_t v, TypeKind t) const {
  switch (t) {
    case TypeKind::Task:
      return v == 0 ? "NULL" : task_name(static_cast<uint32_t>(v - 1));
    case TypeKind::Vcb:
      return v == 0 ? "NULL" : vcb_name(static_cast<uint32_t>(v - 1));
    case TypeKind::Conversation:
      return static_cast<std::size_t>(v) < spec_.conversations.size() ? spec_.conversations[v].name
                                                                      : "?";
    case TypeKind::Verb: {
      std::string_view n = constant_name(TypeKind::Verb, v);
      return n.empty() ? std::to_string(v) : std::string(n);
    }
    default:
      return std::nullopt;
  }
}

void Appc::objects(ViewPhase phase, std::vector<ObjectView>& out) const {
  if (phase != ViewPhase::Objects) return;
  for (uint32_t t = 0; t < ntask_; ++t) {
    if (task_state(t) == TaskState::None) continue;
    const uint8_t* p = task(t);
    static constexpr std::array<const char*, 4> kStates = {
        "none", "outstanding", "completed (message queued)", "message received"};
    ObjectView o{task_name(t), "task", {}};
    o.fields.emplace_back("state", kStates[p[kTState]]);
    o.fields.emplace_back("verb", render(p[kTVerb], TypeKind::Verb));
    o.fields.emplace_back("conversation", conv_name(p[kTConv]));
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
    out.push_back(
        {spec_.conversations[c].name,
         "conversation",
         {{"state", s_[conv_.at(static_cast<uint32_t>(c))] ? "closed by a cancel" : "open"}}});
  }
  if (ntask_ > 0) {
    const uint8_t* q = s_ + msg_.offset;
    std::string value = "[";
    for (uint32_t i = 0; i < q[0]; ++i) value += (i ? ", " : "") + task_name(q[1 + i]);
    out.push_back({"message queue", "queue", {{"messages", value + "]"}}});
  }
}

}  // namespace

std::unique_ptr<Module> make_appc_module(Core& core) {
  return std::make_unique<Appc>(core);
}

}  // namespace cc
