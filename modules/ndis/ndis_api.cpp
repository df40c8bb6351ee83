// The NDIS calls (docs/semantics/ndis.md, "API table"): sends, completions, cancels and cancel
// ids for the filter, protocol and miniport-driver roles, the driver's NBL pool, and the
// completion of a filter's pause.
#include <algorithm>
#include <array>

#include "engine/sym_cancel_id.h"
#include "model/named_constants.h"
#include "modules/ndis/ndis_module.h"

namespace cc::ndis {

namespace {
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
/// Reading: a `cancelable` miniport aborts only the sends it still has queued when the cancel
/// reaches it; one it already handed to its hardware completes normally (both explored).
constexpr bool kCancelableMiniportAbortsQueuedOnly = true;
/// Reading: a cancel compared with an NBL whose id (or whose cancel id argument) is symbolic
/// splits on `id == cancel id` like a branch: both sides are explored where the path condition
/// allows them (Z3 decides), each side conjoined to it.
constexpr bool kSymbolicCancelIdSplits = true;

/// The role whose call `api` is, for the NBL calls that differ by role (CC_API_CALLER in
/// model/api.def).
std::optional<ast::NdisRole> role_of_call(ApiId api) {
  switch (api_caller(api)) {
    case ApiCaller::Filter:
      return ast::NdisRole::Filter;
    case ApiCaller::Protocol:
      return ast::NdisRole::Protocol;
    case ApiCaller::Miniport:
      return ast::NdisRole::Miniport;
    case ApiCaller::Any:
      break;
  }
  return std::nullopt;
}
}  // namespace

Outcome Ndis::exec_api(ApiCall& call) {
  switch (call.in->api()) {
    case ApiId::NdisFSendNetBufferLists:
    case ApiId::NdisSendNetBufferLists:
      return api_send(call);
    case ApiId::NdisFSendNetBufferListsComplete:
    case ApiId::NdisMSendNetBufferListsComplete:
      return api_complete(call);
    case ApiId::NdisFCancelSendNetBufferLists:
    case ApiId::NdisCancelSendNetBufferLists:
      return api_cancel(call);
    case ApiId::NdisAllocateNetBufferList:
    case ApiId::NdisFreeNetBufferList:
      return api_pool(call);
    case ApiId::NdisFPauseComplete:
      return api_pause_complete(call);
    case ApiId::NET_BUFFER_LIST_NEXT_NBL:
    case ApiId::NET_BUFFER_LIST_SET_NEXT_NBL:
      return api_chain(call);
    default:
      return api_cancel_id(call);
  }
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

Outcome Ndis::not_owned(const Instr& in, std::string_view api, uint32_t n) {
  violation(RuleId::UseAfterFree, in.src,
            fmt::format("{} on {} while it is {} (the {} gave up ownership)", api, nbls_[n].name,
                        nbl_place(n), role_noun(spec_.filters[nbls_[n].filter].role)),
            nbls_[n].name);
  return Outcome::Violation;
}

bool Ndis::wrong_role(const Instr& in, std::string_view api, uint32_t n) {
  const std::optional<ast::NdisRole> want = role_of_call(in.api());
  if (!want || nbls_[n].filter >= spec_.filters.size()) return false;
  const ast::NdisRole have = spec_.filters[nbls_[n].filter].role;
  // A protocol completes nothing upward; a filter's calls are its own.
  if (have == *want) return false;
  violation(RuleId::ApiMisuse, in.src,
            fmt::format("{} is not a call of a {}: {} belongs to {} {}", api, role_noun(have),
                        nbls_[n].name, role_noun(have), spec_.filters[nbls_[n].filter].name),
            nbls_[n].name);
  return true;
}

std::optional<std::vector<uint32_t>> Ndis::chain_of(uint32_t n, std::string_view api,
                                                    const Instr& in) {
  std::vector<uint32_t> out{n};
  for (uint32_t next = nbl(n)[kNNext]; next != 0; next = nbl(next - 1u)[kNNext]) {
    if (std::find(out.begin(), out.end(), next - 1u) != out.end()) {
      violation(RuleId::ApiMisuse, in.src,
                fmt::format("{} on a chain that loops back to {}", api, nbls_[next - 1u].name),
                nbls_[n].name);
      return std::nullopt;
    }
    out.push_back(next - 1u);
  }
  return out;
}

Outcome Ndis::check_send(uint32_t n, std::string_view api, const Instr& in) {
  uint8_t* p = nbl(n);
  const std::string& nn = nbls_[n].name;
  if (owner(n) == NblOwner::Freed) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on {} after it was freed", api, nn),
              nn);
    return Outcome::Violation;
  }
  if (owner(n) == NblOwner::ReturnedUp && kSendAfterReturnIsDoubleCompletion) {
    violation(RuleId::DoubleCompletion, in.src,
              fmt::format(
                  "{} is sent below after it was completed upward: it completes by two paths", nn),
              nn);
    return Outcome::Violation;
  }
  if (owner(n) != NblOwner::Filter) return not_owned(in, api, n);
  if (wrong_role(in, api, n)) return Outcome::Violation;
  const uint32_t f = nbls_[n].filter;
  const PauseState ps = f < spec_.filters.size() ? pause_state(f) : PauseState::Running;
  // Reading: Paused sends nothing; Pausing originates nothing new (sends it already held may
  // still go below); a send that arrived while paused goes back with NDIS_STATUS_PAUSED.
  if (ps == PauseState::Paused || (ps == PauseState::Pausing && !nbls_[n].from_protocol) ||
      (p[kNFlags] & kNblArrivedPaused) != 0) {
    violation(RuleId::SendWhilePaused, in.src,
              (p[kNFlags] & kNblArrivedPaused) != 0
                  ? fmt::format("{} reached {} while it was paused and is sent below "
                                "instead of being returned with NDIS_STATUS_PAUSED",
                                nn, spec_.filters[f].name)
                  : fmt::format("{} is sent below while filter {} is {}", nn, spec_.filters[f].name,
                                ps == PauseState::Pausing ? "pausing" : "paused"),
              nn);
    return Outcome::Violation;
  }
  bool id_set = cancel_id(n) != 0;
  if (id_set && tagged(p + kNCancelId) && !nbls_[n].from_protocol && p[kNIdEpoch] != p[kNEpoch]) {
    // A symbolic id is set only where it is nonzero: the trace's model must say so too.
    const SymTermId id = c_.wide_term_at(p + kNCancelId);
    const SymTermId set = pool_.mk_ne(id, pool_.bv_const(0, kPtrTermWidth));
    const std::optional<bool> nonzero = sym_split(set, pool_.mk_not(set));
    if (!nonzero) return Outcome::Infeasible;
    id_set = *nonzero;
  }
  if (!nbls_[n].from_protocol && id_set && p[kNIdEpoch] != p[kNEpoch]) {
    violation(RuleId::StaleCancelId, in.src,
              fmt::format("{} is sent again with cancel id {} set before its last completion "
                          "(clear or reset it on reuse)",
                          nn, nbl_id_text(n)),
              nn);
    return Outcome::Violation;
  }
  return Outcome::Continue;
}

/// NdisFSendNetBufferLists / NdisSendNetBufferLists: the chain that starts at the NBL goes
/// below, every NBL of it checked in chain order.
Outcome Ndis::api_send(ApiCall& call) {
  const Instr& in = *call.in;
  std::string_view name = api_info(in.api()).name;
  auto head = nbl_handle(call.arg[0], name, in);
  if (!head) return Outcome::Violation;
  auto chain = chain_of(*head, name, in);
  if (!chain) return Outcome::Violation;
  for (uint32_t n : *chain) {
    if (Outcome o = check_send(n, name, in); o != Outcome::Continue) return o;
  }
  for (uint32_t n : *chain) {
    uint8_t* p = nbl(n);
    set_owner(n, NblOwner::Below);
    p[kNMiniport] = static_cast<uint8_t>(call.arg[1]);
    p[kNFlags] &= static_cast<uint8_t>(~kNblAborted);
    if (rec_) {
      note(
          fmt::format("gives {} to miniport {}", nbls_[n].name, spec_.miniports[call.arg[1]].name));
    }
    event(EventKind::GivesBelow, nbls_[n].name);
  }
  return Outcome::Continue;
}

Outcome Ndis::check_complete(uint32_t n, int32_t st, std::string_view api, const Instr& in) {
  uint8_t* p = nbl(n);
  const std::string& nn = nbls_[n].name;
  if (owner(n) == NblOwner::Freed) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on {} after it was freed", api, nn),
              nn);
    return Outcome::Violation;
  }
  std::string why;
  if (!nbls_[n].from_protocol) {
    why = fmt::format("{} was allocated by the {}: it must not be passed up", nn,
                      role_noun(spec_.filters[nbls_[n].filter].role));
  } else if (owner(n) == NblOwner::ReturnedUp) {
    why = fmt::format("{} completed twice", nn);
  } else if (owner(n) == NblOwner::Below) {
    why = fmt::format("{} completed upward while it is {}", nn, nbl_place(n));
  }
  if (!why.empty()) {
    ++p[kNCompletions];
    if (rec_) note(fmt::format("completes {} again", nn));
    event(EventKind::Completes, nn);
    violation(RuleId::DoubleCompletion, in.src, why, nn);
    return Outcome::Violation;
  }
  if (wrong_role(in, api, n)) return Outcome::Violation;
  if ((p[kNFlags] & kNblArrivedPaused) != 0 && st != k::NDIS_STATUS_PAUSED) {
    violation(RuleId::SendWhilePaused, in.src,
              fmt::format("{} reached {} while it was paused and is returned with {} "
                          "instead of NDIS_STATUS_PAUSED",
                          nn, spec_.filters[nbls_[n].filter].name, render(st, TypeKind::Status)),
              nn);
    return Outcome::Violation;
  }
  return Outcome::Continue;
}

/// NdisFSendNetBufferListsComplete / NdisMSendNetBufferListsComplete: the chain that starts at
/// the NBL goes back up with the status.
Outcome Ndis::api_complete(ApiCall& call) {
  const Instr& in = *call.in;
  std::string_view name = api_info(in.api()).name;
  auto head = nbl_handle(call.arg[0], name, in);
  if (!head) return Outcome::Violation;
  auto chain = chain_of(*head, name, in);
  if (!chain) return Outcome::Violation;
  for (uint32_t n : *chain) {
    if (Outcome o = check_complete(n, call.arg[1], name, in); o != Outcome::Continue) return o;
  }
  for (uint32_t n : *chain) {
    uint8_t* p = nbl(n);
    ++p[kNCompletions];
    set_owner(n, NblOwner::ReturnedUp);
    p[kNNext] = 0;
    set32(p + kNStatus, call.arg[1]);
    if (rec_) {
      note(fmt::format("completes {} with {}", nbls_[n].name,
                       render(call.arg[1], TypeKind::Status)));
    }
    event(EventKind::Completes, nbls_[n].name);
  }
  return Outcome::Continue;
}

/// NET_BUFFER_LIST_NEXT_NBL / NET_BUFFER_LIST_SET_NEXT_NBL on a driver-owned NBL.
Outcome Ndis::api_chain(ApiCall& call) {
  const Instr& in = *call.in;
  std::string_view name = api_info(in.api()).name;
  auto n = nbl_handle(call.arg[0], name, in);
  if (!n) return Outcome::Violation;
  if (owner(*n) != NblOwner::Filter) return not_owned(in, name, *n);
  if (in.api() == ApiId::NET_BUFFER_LIST_NEXT_NBL) {
    result(call, nbl(*n)[kNNext]);
    return Outcome::Continue;
  }
  uint8_t link = 0;
  if (call.arg[1] != 0) {
    auto m = nbl_handle(call.arg[1], name, in);
    if (!m) return Outcome::Violation;
    if (owner(*m) != NblOwner::Filter) return not_owned(in, name, *m);
    for (uint32_t k = *m + 1, steps = 0; k != 0 && steps <= nnbl_; k = nbl(k - 1u)[kNNext]) {
      ++steps;
      if (k - 1u == *n) {
        violation(
            RuleId::ApiMisuse, in.src,
            fmt::format("{}({}, {}) makes the chain loop", name, nbls_[*n].name, nbls_[*m].name),
            nbls_[*n].name);
        return Outcome::Violation;
      }
    }
    link = static_cast<uint8_t>(*m + 1);
  }
  nbl(*n)[kNNext] = link;
  if (rec_) {
    note(link == 0 ? fmt::format("ends the chain at {}", nbls_[*n].name)
                   : fmt::format("links {} to {}", nbls_[*n].name, nbls_[link - 1u].name));
  }
  return Outcome::Continue;
}

/// NdisFCancelSendNetBufferLists / NdisCancelSendNetBufferLists: aborts the NBLs with that
/// id the miniport still has queued. A symbolic id (the cancel's or an NBL's) splits the step
/// on `id == cancel id` like a branch (kSymbolicCancelIdSplits).
Outcome Ndis::api_cancel(ApiCall& call) {
  const Instr& in = *call.in;
  const ast::MiniportDecl& md = spec_.miniports[call.arg[0]];
  const bool sym_cancel = c_.sym_arg_.valid();
  const SymTermId sym_id = sym_cancel ? c_.sym_arg_ : SymTermId{};
  const auto concrete_id = static_cast<uint64_t>(call.arg[1]);
  const std::string id_shown =
      sym_cancel ? sym_to_string(pool_, sym_id, 200) : shown_id(concrete_id);
  std::string hit;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (owner(n) != NblOwner::Below || nbl(n)[kNMiniport] != call.arg[0] ||
        !(md.cancelable || md.pending)) {
      continue;
    }
    const bool sym_nbl = sym() && tagged(nbl(n) + kNCancelId);
    if (sym_cancel || sym_nbl) {
      if (!kSymbolicCancelIdSplits) {
        throw ModelLimit(fmt::format("{} compared with a symbolic cancel id of {}",
                                     api_info(in.api()).name, nbls_[n].name));
      }
      const SymTermId own = c_.wide_term_at(nbl(n) + kNCancelId);
      const SymTermId same =
          pool_.mk_eq(own, sym_cancel ? sym_id : pool_.bv_const(concrete_id, kPtrTermWidth));
      std::optional<bool> match;
      if (std::optional<uint64_t> v = pool_.const_value(same)) {
        match = *v != 0;
      } else {
        match = sym_split(same, pool_.mk_not(same));
        if (!match) return Outcome::Infeasible;
      }
      if (!*match) continue;
    } else if (cancel_id(n) != concrete_id) {
      continue;
    }
    // A pending miniport holds every send queued; a cancelable one may have sent it already.
    const bool queued = md.pending || !kCancelableMiniportAbortsQueuedOnly ||
                        choose(2, [](uint16_t c) {
                          return std::string(c == 1 ? "miniport:sent" : "miniport:queued");
                        }) == 0;
    if (!queued) {
      if (rec_) note(fmt::format("{} is already on the wire at {}", nbls_[n].name, md.name));
      continue;
    }
    nbl(n)[kNFlags] |= kNblAborted;
    hit += (hit.empty() ? "" : ", ") + nbls_[n].name;
  }
  if (rec_)
    note(fmt::format(
        "passes the cancel of id {} down to {}{}", id_shown, md.name,
        hit.empty() ? std::string(": nothing pending with that id") : ": it aborts " + hit));
  return Outcome::Continue;
}

Outcome Ndis::api_cancel_id(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  std::string_view name = api_info(in.api()).name;
  if (in.api() == ApiId::NdisGeneratePartialCancelId) {
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
  auto n = nbl_handle(arg[0], name, in);
  if (!n) return Outcome::Violation;
  if (owner(*n) != NblOwner::Filter) return not_owned(in, name, *n);
  uint8_t* p = nbl(*n);
  if (in.api() == ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID) {
    if (sym() && tagged(p + kNCancelId)) {  // a symbolic id: the result is the term
      call.ret = get32(p + kNCancelId);     // its term id (the second word is 0)
      c_.sym_result_ = true;
      if (rec_) {
        rec_->results[call.rec_at] = nbl_id_text(*n);
        rec_->calls.back() = fmt::format("{}=?", name);
      }
    } else {
      result(call, static_cast<int64_t>(cancel_id(*n)));
    }
    return Outcome::Continue;
  }
  if (sym()) {
    const SymTermId id = c_.sym_arg_.valid()
                             ? c_.sym_arg_
                             : pool_.bv_const(static_cast<uint64_t>(arg[1]), kPtrTermWidth);
    if (Outcome o = check_cancel_id_collision(*n, id, in); o != Outcome::Continue) return o;
    c_.put_wide_term(p + kNCancelId, id);
  } else {
    if (arg[1] != 0 && kNoPartialIdCollidesAlways) {
      violation(RuleId::CancelIdCollision, in.src,
                fmt::format("the cancel id {} set on {} can collide with another driver's: this "
                            "driver never obtained a partial cancel id "
                            "(NdisGeneratePartialCancelId), so no high byte is its own",
                            shown_id(static_cast<uint64_t>(arg[1])), nbls_[*n].name),
                nbls_[*n].name);
      return Outcome::Violation;
    }
    set_cancel_id(*n, static_cast<uint64_t>(arg[1]));
  }
  p[kNIdEpoch] = p[kNEpoch];
  if (rec_) note(fmt::format("sets the cancel id of {} to {}", nbls_[*n].name, nbl_id_text(*n)));
  return Outcome::Continue;
}

Outcome Ndis::api_pool(ApiCall& call) {
  const Instr& in = *call.in;
  std::string_view name = api_info(in.api()).name;
  if (in.api() == ApiId::NdisAllocateNetBufferList) {
    uint32_t n = 0;
    while (n < nnbl_ && owner(n) != NblOwner::Unallocated) ++n;
    if (n == nnbl_) {
      throw ModelLimit(
          fmt::format("NdisAllocateNetBufferList called more than {} times", kDriverNblPool));
    }
    set_owner(n, NblOwner::Filter);
    if (rec_) note(fmt::format("allocates {}", nbls_[n].name));
    result(call, static_cast<int32_t>(n + 1));
    return Outcome::Continue;
  }
  auto n = nbl_handle(call.arg[0], name, in);
  if (!n) return Outcome::Violation;
  if (nbls_[*n].from_protocol) {
    violation(RuleId::ApiMisuse, in.src,
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

/// Reading: the pause completes (NdisFPauseComplete, or FilterPause's own success written as
/// that call) only once every send the filter was handed or originated has come back; a
/// second completion, or one with no pause in progress, is CR015 too.
Outcome Ndis::api_pause_complete(ApiCall& call) {
  const Instr& in = *call.in;
  const auto f = static_cast<uint32_t>(call.arg[0]);
  const std::string& fname = spec_.filters[f].name;
  if (pause_state(f) != PauseState::Pausing) {
    violation(RuleId::PauseCompletion, in.src,
              fmt::format("NdisFPauseComplete({}) while no pause of it is in progress (the pause "
                          "completes twice, or was never started)",
                          fname),
              fname);
    return Outcome::Violation;
  }
  if (const uint32_t n = outstanding_nbl(f); n < nnbl_) {
    violation(RuleId::PauseCompletion, in.src,
              fmt::format("the pause of filter {} completes while {} is still {}", fname,
                          nbls_[n].name, nbl_place(n)),
              nbls_[n].name);
    return Outcome::Violation;
  }
  set_pause_state(f, PauseState::Paused);
  if (rec_) note(fmt::format("filter {} is paused", fname));
  return Outcome::Continue;
}

Outcome Ndis::check_cancel_id_collision(uint32_t n, SymTermId id, const Instr& in) {
  if (pool_.const_value(id) == 0) return Outcome::Continue;  // clearing the id
  const std::array<SymTermId, 1> own{c_.raw_var(kOwnPartialIdName, kPartialCancelIdWidth)};
  std::vector<SymTermId> others;
  for (uint32_t k = 1; k <= kOtherPartialIds; ++k) {
    others.push_back(c_.raw_var(fmt::format("partial_id(other#{})", k), kPartialCancelIdWidth));
  }
  const CancelIdCollisionTerms terms =
      cancel_id_collision_terms(pool_, id, spec_.pointer_width, own, others);
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
                        v ? shown_id(*v) : sym_to_string(pool_, id, 200), nbls_[n].name),
            nbls_[n].name);
  return Outcome::Violation;
}

std::string Ndis::nbl_id_text(uint32_t n) const {
  const uint8_t* p = nbl(n) + kNCancelId;
  if (sym() && tagged(p)) return sym_to_string(pool_, SymTermId{static_cast<uint32_t>(get32(p))});
  return shown_id(cancel_id(n));
}

}  // namespace cc::ndis
