// The NDIS filter module (docs/semantics/ndis.md): NET_BUFFER_LISTs sent by the protocol
// through the filter to the miniports, their cancel ids, NdisFCancelSendNetBufferLists, and
// the protocol and miniports around the filter.
#include "modules/ndis/ndis.h"

#include <algorithm>
#include <array>

#include "model/named_constants.h"

#include "engine/sym_cancel_id.h"

namespace cc {
namespace {

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
};

/// Activity kinds (numbered after KMDF's 1..6 so that slots sort as they always have; KMDF's
/// EvtIoResume took 10 later: the kinds of all modules share one number space).
constexpr uint8_t kFilterSend = 7;          ///< FilterSendNetBufferLists (subject: an NBL)
constexpr uint8_t kFilterSendComplete = 8;  ///< FilterSendNetBufferListsComplete (an NBL)
constexpr uint8_t kFilterCancel = 9;        ///< FilterCancelSendNetBufferLists (a cancel_send line)
/// Environment actor kinds.
constexpr uint8_t kProtocolSend = 0;    ///< index: send line
constexpr uint8_t kProtocolCancel = 1;  ///< index: cancel_send line
constexpr uint8_t kMiniport = 2;        ///< index: NBL

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
/// Reading (CR012): a spec that never calls NdisGeneratePartialCancelId has no partial id of
/// its own, so the high byte of any nonzero cancel id it sets may be another driver's.
constexpr bool kNoPartialIdCollidesAlways = true;
/// Reading: NdisFSendNetBufferLists on an NBL the filter already returned upward makes it
/// complete by two paths (it comes back from the miniport and goes up again): CR001.
constexpr bool kSendAfterReturnIsDoubleCompletion = true;

/// A cancel id as a driver writes it: small ids in decimal, ids with a high byte in hex.
std::string id_text(int32_t id) {
  if (id >= 0 && id < 0x10000) return std::to_string(id);
  return fmt::format("0x{:08X}", static_cast<uint32_t>(id));
}

class Ndis final : public ModuleBase {
 public:
  explicit Ndis(Core& core) : ModuleBase(core) {}
  std::string_view name() const override { return "ndis"; }
  ApiDomain domain() const override { return ApiDomain::Ndis; }
  std::string build() override;
  uint64_t activities() const override;
  void layout(Layout& layout) override;
  void env_actors(std::vector<EnvActor>& out) const override;
  bool symbolic() const override;
  void initial_state() override;
  Outcome exec_api(ApiCall& call) override;
  Outcome api_send(ApiCall& call);
  Outcome api_cancel_id(ApiCall& call);
  RunResult run_env(const EnvActor& e) override;
  std::optional<std::string> arg_text(ApiId api, uint32_t i, int32_t v) const override {
    if (api == ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID && i == 1) return id_text(v);
    return std::nullopt;
  }
  int symbolic_param(ApiId api) const override {
    // The cancel id may be a term (CR012).
    return api == ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID ? 1 : -1;
  }
  std::optional<Finding> end_state(EndPhase phase) override;
  std::optional<std::string> type_text(int32_t v, TypeKind t) const override;
  std::string lane(uint32_t a, std::string_view unit) const override;
  void objects(ViewPhase phase, std::vector<ObjectView>& out) const override;

 private:
  struct NblInfo {
    std::string name;
    bool from_protocol = false;
    uint32_t filter = 0;
    uint32_t send_item = ast::kNone;  ///< the send line that hands it over
    int32_t protocol_id = 0;          ///< the cancel id the protocol set
  };
  std::vector<NblInfo> nbls_;
  uint32_t nnbl_ = 0;
  Region env_flags_, nbl_region_;

  uint8_t* nbl(uint32_t n) const { return s_ + nbl_region_.at(n); }
  NblOwner owner(uint32_t n) const { return static_cast<NblOwner>(nbl(n)[kNOwner]); }
  void set_owner(uint32_t n, NblOwner o) { nbl(n)[kNOwner] = static_cast<uint8_t>(o); }
  uint32_t filter_handler(uint32_t f, std::string_view h) const;
  void spawn(uint8_t kind, uint32_t fn, uint32_t subject, int32_t arg0, int32_t arg1);
  bool send_enabled(uint32_t item) const;
  bool cancel_send_enabled(uint32_t item) const;
  std::string nbl_place(uint32_t n) const;
  std::optional<uint32_t> nbl_handle(int32_t h, std::string_view api, const Instr& in);
  /// Touching an NBL the filter does not own: below (given away) or already returned up.
  Outcome not_owned(const Instr& in, std::string_view api, uint32_t n) {
    violation(RuleId::UseAfterFree, in.src,
              fmt::format("{} on {} while it is {} (the filter gave up ownership)", api,
                          nbls_[n].name, nbl_place(n)),
              nbls_[n].name);
    return Outcome::Violation;
  }
  /// CR012: can `id`, set on NBL `n`, collide with another driver's cancel id?
  Outcome check_cancel_id_collision(uint32_t n, SymTermId id, const Instr& in);
  /// The cancel id of NBL `n` as traces show it (a term when symbolic).
  std::string nbl_id_text(uint32_t n) const;
};

std::string Ndis::build() {
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    const ast::EnvItem& it = spec_.environment[i];
    if (it.kind != ast::EnvKind::Send) continue;
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
  }
  // NBLs the filter may allocate: a fixed pool when the program allocates any.
  bool allocates = false;
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      allocates |= in.op == Op::Api && in.api() == ApiId::NdisAllocateNetBufferList;
    }
  }
  if (allocates) {
    for (uint32_t n = 0; n < kFilterNblPool; ++n) {
      nbls_.push_back({.name = fmt::format("nbl#{}", nbls_.size() + 1)});
    }
  }
  nnbl_ = static_cast<uint32_t>(nbls_.size());
  if (nnbl_ > 60) return "more than 60 NBLs";
  return {};
}

uint64_t Ndis::activities() const {
  // Per NBL a send and a send-complete callback; per cancel_send line a cancel callback.
  uint64_t acts = 2ULL * nnbl_;
  for (const ast::EnvItem& it : spec_.environment) acts += it.kind == ast::EnvKind::CancelSend;
  return acts;
}

void Ndis::layout(Layout& layout) {
  // Per environment line: cancel_send happened.
  env_flags_ = layout.add("ndis.cancel_sends", 1, static_cast<uint32_t>(spec_.environment.size()));
  nbl_region_ = layout.add("ndis.nbls", kNblStride, nnbl_, 4);
}

void Ndis::env_actors(std::vector<EnvActor>& out) const {
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind == ast::EnvKind::Send) out.push_back({0, kProtocolSend, i});
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
    if (!repeated) out.push_back({0, kProtocolCancel, i});
  }
  for (uint32_t n = 0; n < nnbl_; ++n) out.push_back({0, kMiniport, n});
}

bool Ndis::symbolic() const {
  // Partial cancel ids are symbolic (CR012).
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op == Op::Api && in.api() == ApiId::NdisGeneratePartialCancelId) return true;
    }
  }
  return false;
}

void Ndis::initial_state() {
  for (uint32_t n = 0; n < nnbl_; ++n) {
    set_owner(n, nbls_[n].from_protocol ? NblOwner::Above : NblOwner::Unallocated);
    set32(nbl(n) + kNCancelId, nbls_[n].protocol_id);
  }
}

uint32_t Ndis::filter_handler(uint32_t f, std::string_view h) const {
  if (f >= spec_.filters.size()) return ast::kNone;
  for (const ast::HandlerBinding& b : spec_.filters[f].handlers) {
    if (b.handler == h) return b.fn;
  }
  return ast::kNone;
}

void Ndis::spawn(uint8_t kind, uint32_t fn, uint32_t subject, int32_t arg0, int32_t arg1) {
  const uint32_t slot = c_.occupy(kind, fn, subject);
  const CodeUnit& u = c_.unit_of(slot);
  if (u.param_count >= 1) set_reg(slot, Reg{0}, arg0);
  if (u.param_count >= 2) set_reg(slot, Reg{1}, arg1);
  if (recording()) note(fmt::format("starts {}", lane_of(slot)));
}

std::string Ndis::lane(uint32_t a, std::string_view unit) const {
  const uint8_t* p = act(a);
  if (p[kAKind] == kFilterSend || p[kAKind] == kFilterSendComplete) {
    return fmt::format("{}[{}]", unit, nbls_[p[kASubject] - 1].name);
  }
  if (p[kAKind] == kFilterCancel) {
    return fmt::format("{}[cancel_id {}]", unit,
                       spec_.environment[p[kASubject] - 1u].cancel_id_value);
  }
  return {};
}

bool Ndis::send_enabled(uint32_t item) const {
  // Lines for one filter hand their NBLs over in line order.
  uint32_t f = spec_.environment[item].object;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (!ni.from_protocol || ni.filter != f || owner(n) != NblOwner::Above) continue;
    return ni.send_item == item;
  }
  return false;
}

/// Reading: the protocol cancels an id once it has issued the
/// send of every NBL it marked with that id (for this filter) — possibly while
/// FilterSendNetBufferLists of one of them is still running — and only while one of them has
/// not come back.
bool Ndis::cancel_send_enabled(uint32_t item) const {
  if (s_[env_flags_.at(item)] != 0) return false;
  const ast::EnvItem& it = spec_.environment[item];
  bool any = false, outstanding = false;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (!ni.from_protocol || ni.filter != it.object || ni.protocol_id != it.cancel_id_value) {
      continue;
    }
    any = true;
    if (owner(n) == NblOwner::Above) return false;
    if (owner(n) != NblOwner::ReturnedUp) outstanding = true;
  }
  return any && outstanding;
}

RunResult Ndis::run_env(const EnvActor& e) {
  switch (e.kind) {
    case kProtocolSend: {
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
      if (fn != ast::kNone) spawn(kFilterSend, fn, n, static_cast<int32_t>(n + 1), 0);
      return RunResult::Done;
    }
    case kProtocolCancel: {
      if (!cancel_send_enabled(e.index)) return RunResult::Disabled;
      const ast::EnvItem& it = spec_.environment[e.index];
      s_[env_flags_.at(e.index)] = 1;
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
          event(EventKind::Cancels, ni.name);
        }
      }
      uint32_t fn = filter_handler(it.object, "FilterCancelSendNetBufferLists");
      if (fn != ast::kNone) {
        spawn(kFilterCancel, fn, e.index, static_cast<int32_t>(it.cancel_id_value), 0);
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
      event(EventKind::Completes, nbls_[n].name);
      set_owner(n, NblOwner::Filter);
      p[kNFlags] &= static_cast<uint8_t>(~kNblAborted);
      ++p[kNEpoch];
      set32(p + kNStatus, st);
      if (rec_) note(fmt::format("returns {} to the filter", nbls_[n].name));
      uint32_t fn = filter_handler(nbls_[n].filter, "FilterSendNetBufferListsComplete");
      if (fn != ast::kNone) {
        spawn(kFilterSendComplete, fn, n, static_cast<int32_t>(n + 1), st);
      }
      return RunResult::Done;
    }
  }
}

std::string Ndis::nbl_place(uint32_t n) const {
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

std::optional<uint32_t> Ndis::nbl_handle(int32_t h, std::string_view api, const Instr& in) {
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

Outcome Ndis::exec_api(ApiCall& call) {
  switch (call.in->api()) {
    case ApiId::NdisFSendNetBufferLists:
    case ApiId::NdisFSendNetBufferListsComplete:
    case ApiId::NdisFCancelSendNetBufferLists:
      return api_send(call);
    default:
      return api_cancel_id(call);
  }
}

Outcome Ndis::api_send(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int32_t, 4>& arg = call.arg;
  std::string_view name = api_info(in.api()).name;
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
      if (owner(*n) != NblOwner::Filter) return not_owned(in, name, *n);
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
      event(EventKind::GivesBelow, nn);
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
        event(EventKind::Completes, nn);
        violation(RuleId::DoubleCompletion, in.src, why, nn);
        return Outcome::Violation;
      }
      ++p[kNCompletions];
      set_owner(*n, NblOwner::ReturnedUp);
      set32(p + kNStatus, arg[1]);
      if (rec_) note(fmt::format("completes {} with {}", nn, render(arg[1], TypeKind::Status)));
      event(EventKind::Completes, nn);
      return Outcome::Continue;
    }
    case ApiId::NdisFCancelSendNetBufferLists: {
      const ast::MiniportDecl& md = spec_.miniports[arg[0]];
      std::string hit;
      for (uint32_t n = 0; n < nnbl_; ++n) {
        if (sym() && owner(n) == NblOwner::Below && tagged(nbl(n) + kNCancelId)) {
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
    default:
      break;
  }
  throw std::logic_error(fmt::format("{} has no NDIS semantics", name));
}

Outcome Ndis::api_cancel_id(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int32_t, 4>& arg = call.arg;
  std::string_view name = api_info(in.api()).name;
  switch (in.api()) {
    case ApiId::NdisGeneratePartialCancelId: {
      // Always symbolic: a spec that calls it is a symbolic spec (build_symbolic).
      call.ret = static_cast<int32_t>(
          pool_.to_int(c_.raw_var(kOwnPartialIdName, kPartialCancelIdWidth)).value);
      c_.sym_result_ = true;
      if (rec_) {
        rec_->results[call.rec_at] = std::string(kOwnPartialIdName);
        rec_->calls.back() = fmt::format("{}=?", name);
      }
      return Outcome::Continue;
    }
    case ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID:
    case ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID: {
      auto n = nbl_handle(arg[0], name, in);
      if (!n) return Outcome::Violation;
      if (owner(*n) != NblOwner::Filter) return not_owned(in, name, *n);
      uint8_t* p = nbl(*n);
      if (in.api() == ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID) {
        if (sym() && tagged(p + kNCancelId)) {  // a symbolic id: the result is the term
          call.ret = get32(p + kNCancelId);
          c_.sym_result_ = true;
          if (rec_) {
            rec_->results[call.rec_at] = nbl_id_text(*n);
            rec_->calls.back() = fmt::format("{}=?", name);
          }
        } else {
          result(call, get32(p + kNCancelId));
        }
      } else if (sym()) {
        const SymTermId id = c_.sym_arg_.valid() ? c_.sym_arg_ : pool_.int_const(arg[1]);
        if (Outcome o = check_cancel_id_collision(*n, id, in); o != Outcome::Continue) return o;
        put_term(p + kNCancelId, id);
        p[kNIdEpoch] = p[kNEpoch];
        if (rec_)
          note(fmt::format("sets the cancel id of {} to {}", nbls_[*n].name, nbl_id_text(*n)));
      } else {
        if (arg[1] != 0 && kNoPartialIdCollidesAlways) {
          violation(RuleId::CancelIdCollision, in.src,
                    fmt::format("the cancel id {} set on {} can collide with another driver's: "
                                "this driver never obtained a partial cancel id "
                                "(NdisGeneratePartialCancelId), so no high byte is its own",
                                id_text(arg[1]), nbls_[*n].name),
                    nbls_[*n].name);
          return Outcome::Violation;
        }
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
      result(call, static_cast<int32_t>(n + 1));
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
      if (owner(*n) != NblOwner::Filter) return not_owned(in, name, *n);
      set_owner(*n, NblOwner::Freed);
      if (rec_) note(fmt::format("frees {}", nbls_[*n].name));
      event(EventKind::Frees, nbls_[*n].name);
      return Outcome::Continue;
    }
    default:
      break;
  }
  throw std::logic_error(fmt::format("{} has no NDIS semantics", name));
}

Outcome Ndis::check_cancel_id_collision(uint32_t n, SymTermId id, const Instr& in) {
  if (pool_.const_value(id) == 0) return Outcome::Continue;  // clearing the id
  const std::array<SymTermId, 1> own{c_.raw_var(kOwnPartialIdName, kPartialCancelIdWidth)};
  std::vector<SymTermId> others;
  for (uint32_t k = 1; k <= kOtherPartialIds; ++k) {
    others.push_back(c_.raw_var(fmt::format("partial_id(other#{})", k), kPartialCancelIdWidth));
  }
  const CancelIdCollisionTerms terms = cancel_id_collision_terms(pool_, id, own, others);
  PathCondition bad = path_condition();
  bad.add(pool_, terms.distinct);
  bad.add(pool_, terms.collision);
  if (bad.is_false()) return Outcome::Continue;
  if (c_.decider_ == nullptr)
    throw std::logic_error("a symbolic spec is explored without a solver");
  SymDecision d = c_.decider_->check(pool_, bad);
  if (d.kind == SymSat::Unknown) {
    if (c_.undecided_.empty()) c_.undecided_ = d.reason.empty() ? "the solver gave up" : d.reason;
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

std::string Ndis::nbl_id_text(uint32_t n) const {
  const uint8_t* p = nbl(n) + kNCancelId;
  if (sym() && tagged(p)) return sym_to_string(pool_, SymTermId{static_cast<uint32_t>(get32(p))});
  return id_text(get32(p));
}

// ======================================================================= end states, words

std::optional<Finding> Ndis::end_state(EndPhase phase) {
  if (phase != EndPhase::Late) return std::nullopt;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (!nbls_[n].from_protocol) continue;
    NblOwner o = owner(n);
    if (o != NblOwner::Filter && o != NblOwner::Below) continue;
    SourceLoc at = spec_.filters[nbls_[n].filter].range.begin;
    if ((nbl(n)[kNFlags] & kNblCancelAimed) != 0) {
      return Finding{RuleId::LostCancel, at,
                     fmt::format("{} is still {} at the end although the protocol cancelled its "
                                 "id {} ({})",
                                 nbls_[n].name, nbl_place(n), nbl_id_text(n),
                                 o == NblOwner::Below ? "the cancel was never passed down"
                                                      : "the filter never returned it"),
                     nbls_[n].name};
    }
    return Finding{
        RuleId::NeverCompleted, at,
        fmt::format("{} is never returned to the protocol ({})", nbls_[n].name, nbl_place(n)),
        nbls_[n].name};
  }
  return std::nullopt;
}

std::optional<std::string> Ndis::type_text(int32_t v, TypeKind t) const {
  switch (t) {
    case TypeKind::Nbl:
      if (v == 0) return "NULL";
      return v > 0 && static_cast<uint32_t>(v) <= nnbl_ ? nbls_[v - 1].name : "<bad NBL>";
    case TypeKind::Miniport:
      return static_cast<std::size_t>(v) < spec_.miniports.size() ? spec_.miniports[v].name : "?";
    case TypeKind::Filter:
      return static_cast<std::size_t>(v) < spec_.filters.size() ? spec_.filters[v].name : "?";
    default:
      return std::nullopt;
  }
}

void Ndis::objects(ViewPhase phase, std::vector<ObjectView>& out) const {
  if (phase != ViewPhase::Objects) return;
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
}

}  // namespace

std::unique_ptr<Module> make_ndis_module(Core& core) {
  return std::make_unique<Ndis>(core);
}

uint32_t ndis_list_elements(const ast::Spec& spec) {
  uint32_t n = spec.filters.empty() ? 0 : kFilterNblPool;
  for (const ast::EnvItem& it : spec.environment) {
    if (it.kind == ast::EnvKind::Send && it.count_value > 0) {
      n += static_cast<uint32_t>(std::min<int64_t>(it.count_value, 1000));
    }
  }
  return n;
}

}  // namespace cc
