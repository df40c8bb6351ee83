// The reference executor's NDIS semantics (docs/semantics/ndis.md), filter drivers only: the
// NBLs, the NDIS calls (call_ndis_api), the NDIS environment events (send, cancel_send,
// miniport) and the NDIS end-state check. NdisAcquireSpinLock / NdisReleaseSpinLock are the
// walker's spin locks (ref_walker.cpp).
#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/api.h"
#include "reference/ref_machine.h"

namespace cc {

void RefMachine::init_ndis(const ast::Spec& spec) {
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
      b.protocol_id = item.cancel_id_value;  // a uintptr, masked to the width by sema
      b.cancel_id = b.protocol_id;
      nbls_.push_back(std::move(b));
    }
  }
  list_capacity_ += nbls_.size() + (spec.filters.empty() ? 0 : reading::kFilterNblPool);
  pause_state_.assign(spec.filters.size(), 0);
}

int RefMachine::originator() const {
  for (std::size_t f = 0; f < spec_->filters.size(); ++f) {
    if (spec_->filters[f].role != ast::NdisRole::Miniport) return static_cast<int>(f);
  }
  return 0;
}

// ---- NDIS environment (docs/semantics/ndis.md) ----

const ast::FnDecl* RefMachine::filter_fn(int f, const char* handler) const {
  if (f < 0 || static_cast<std::size_t>(f) >= spec_->filters.size()) return nullptr;
  for (const ast::HandlerBinding& h : spec_->filters[static_cast<std::size_t>(f)].handlers) {
    if (h.handler == handler && h.fn != ast::kNone) return &spec_->fns[h.fn];
  }
  return nullptr;
}

const ast::FnDecl* RefMachine::role_fn(int f, const std::string& job) const {
  if (f < 0 || static_cast<std::size_t>(f) >= spec_->filters.size()) return nullptr;
  const ast::NdisRole r = spec_->filters[static_cast<std::size_t>(f)].role;
  const bool mp = r == ast::NdisRole::Miniport;
  if (job == "send")
    return filter_fn(f, mp ? "MiniportSendNetBufferLists" : "FilterSendNetBufferLists");
  if (job == "cancel")
    return filter_fn(f, mp ? "MiniportCancelSend" : "FilterCancelSendNetBufferLists");
  return filter_fn(f, r == ast::NdisRole::Protocol ? "ProtocolSendNetBufferListsComplete"
                                                   : "FilterSendNetBufferListsComplete");
}

void RefMachine::env_send(const std::string& fname) {
  for (std::size_t k = 0; k < nbls_.size(); ++k) {
    if (!nbls_[k].from_protocol || nbls_[k].owner != NblOwner::Above) continue;
    if (spec_->filters[static_cast<std::size_t>(nbls_[k].filter)].name != fname) continue;
    // One NBL, or with `chain` every NBL of its line still above, linked in line order.
    const ast::EnvItem& line = spec_->environment[static_cast<std::size_t>(nbls_[k].send_item)];
    std::vector<std::size_t> handed;
    for (std::size_t j = k; j < nbls_.size(); ++j) {
      if (nbls_[j].send_item != nbls_[k].send_item || nbls_[j].owner != NblOwner::Above) continue;
      handed.push_back(j);
      if (!line.chain) break;
    }
    const ast::FnDecl* fn = role_fn(nbls_[k].filter, "send");
    for (std::size_t i = 0; i < handed.size(); ++i) {
      Nbl& b = nbls_[handed[i]];
      b.owner = NblOwner::Filter;
      b.next = i + 1 < handed.size() ? static_cast<int>(handed[i + 1]) : -1;
      b.send_head = static_cast<int>(k);
      b.arrived_paused = pause_state_[static_cast<std::size_t>(b.filter)] == 2;  // paused
      b.in_send = fn != nullptr;
    }
    if (fn) {
      start_activity(fmt::format("{}[{}]", fn->name, nbls_[k].name), *fn, Role::FilterCallback, -1,
                     {Val{static_cast<int32_t>(k + 1)}}, -1);
      acts_.back().sending_nbl = static_cast<int>(k);
    }
    return;
  }
  throw BlockedSig{fmt::format("the protocol has nothing left to send to {}", fname)};
}

void RefMachine::ndis_send_returned(int head) {
  for (Nbl& b : nbls_) {
    if (b.send_head == head) b.in_send = false;
  }
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
    if (b.owner == NblOwner::Above && reading::kCancelSendAfterAllSendsIssued) return false;
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
    if (const ast::FnDecl* fn = role_fn(static_cast<int>(it.object), "cancel")) {
      // The id converts to the callback's parameter: a uintptr, or an int that keeps its low
      // 32 bits when the spec declares it so.
      start_activity(fmt::format("{}[cancel_id {}]", fn->name, it.cancel_id_value), *fn,
                     Role::FilterCallback, -1, {Val{it.cancel_id_value}}, -1);
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
    const bool aborted = b.aborted;
    int32_t st = named(aborted ? "NDIS_STATUS_SEND_ABORTED" : "NDIS_STATUS_SUCCESS");
    // The rest of its chain that the miniport may return with it.
    std::vector<std::size_t> chain{k};
    for (int nx = b.next; reading::kMiniportReturnsChains && nx >= 0;) {
      const auto i = static_cast<std::size_t>(nx);
      const Nbl& c = nbls_[i];
      if (std::find(chain.begin(), chain.end(), i) != chain.end() || c.owner != NblOwner::Below ||
          c.miniport != b.miniport || c.aborted != aborted)
        break;
      chain.push_back(i);
      nx = c.next;
    }
    if (chain.size() > 1 && choose({"miniport:alone", "miniport:chain"}) == 0) chain.resize(1);
    const ast::FnDecl* fn = role_fn(b.filter, "complete");
    for (std::size_t i : chain) {
      Nbl& c = nbls_[i];
      c.owner = NblOwner::Filter;
      c.aborted = false;
      if (i == chain.back()) c.next = -1;  // the chain it comes back in ends here
      ++c.uses;
      c.complete_head = static_cast<int>(k);
      c.in_complete = fn != nullptr;
    }
    if (fn != nullptr) {
      const int id =
          start_activity(fmt::format("{}[{}]", fn->name, b.name), *fn, Role::FilterCallback, -1,
                         {Val{static_cast<int32_t>(k + 1)}, Val{st}}, -1);
      acts_.back().completing_nbl = static_cast<int>(k);
      if (id <= 0) {
        for (std::size_t i : chain) nbls_[i].in_complete = false;
      }
    }
    return;
  }
  throw ReplayError{fmt::format("no NBL named '{}'", nname)};
}

void RefMachine::env_pause(const std::string& fname, bool restart) {
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& it = spec_->environment[k];
    if (it.kind != ast::EnvKind::Pause || spec_->filters[it.object].name != fname) continue;
    int& st = pause_state_[it.object];
    if (restart ? !(cancel_send_done_[k] && st == 2) : (cancel_send_done_[k] || st != 0)) continue;
    cancel_send_done_[k] = true;
    const ast::FnDecl* fn =
        filter_fn(static_cast<int>(it.object), restart ? "FilterRestart" : "FilterPause");
    st = 1;
    if (restart) ndis_restarting(static_cast<int>(it.object), fn != nullptr);
    if (fn) {
      start_activity(fn->name, *fn, Role::FilterCallback, -1, {}, -1);
      if (restart) acts_.back().restarts_filter = static_cast<int>(it.object);
    }
    return;
  }
  throw BlockedSig{fmt::format("NDIS cannot {} '{}' now", restart ? "restart" : "pause", fname)};
}

void RefMachine::ndis_restarting(int f, bool has_callback) {
  pause_state_[static_cast<std::size_t>(f)] = has_callback ? 3 : 0;
  for (Nbl& b : nbls_) {
    if (b.filter == f) b.arrived_paused = false;  // an ordinary send from now on
  }
}

const Nbl* RefMachine::outstanding_nbl(int f) const {
  for (const Nbl& b : nbls_) {
    if (b.filter != f) continue;
    const bool held = b.owner == NblOwner::Filter && !b.in_send && !b.in_complete;
    if (b.from_protocol ? held : b.owner == NblOwner::Below) return &b;
  }
  return nullptr;
}

bool RefMachine::run_ndis_env(const std::string& key) {
  if (auto p = key_rest(key, "pause ")) {
    env_pause(*p, false);
  } else if (auto r = key_rest(key, "restart ")) {
    env_pause(*r, true);
  } else if (auto f = key_rest(key, "send ")) {
    env_send(*f);
  } else if (auto c = key_rest(key, "cancel_send ")) {
    env_cancel_send(*c);
  } else if (auto n = key_rest(key, "miniport ")) {
    env_miniport(*n);
  } else {
    return false;
  }
  return true;
}

void RefMachine::ndis_candidate_events(std::set<std::string>& keys) const {
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
    if (it.kind == ast::EnvKind::Pause) {
      const int st = pause_state_[it.object];
      const std::string& f = spec_->filters[it.object].name;
      if (!cancel_send_done_[k] && st == 0) keys.insert("pause " + f);
      if (cancel_send_done_[k] && st == 2) keys.insert("restart " + f);
    }
  }
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

void RefMachine::check_role(ApiId id, const Nbl& b) {
  ast::NdisRole want = ast::NdisRole::Filter;
  if (id == ApiId::NdisSendNetBufferLists) want = ast::NdisRole::Protocol;
  if (id == ApiId::NdisMSendNetBufferListsComplete) want = ast::NdisRole::Miniport;
  if (static_cast<std::size_t>(b.filter) >= spec_->filters.size()) return;
  if (spec_->filters[static_cast<std::size_t>(b.filter)].role != want)
    violation(RuleId::ApiMisuse, fmt::format("{} on {}, which belongs to a driver of another role",
                                             api_name(id), b.name));
}

std::vector<Nbl*> RefMachine::ndis_chain(Nbl& b, ApiId id) {
  std::vector<Nbl*> out{&b};
  for (int k = b.next; k >= 0; k = nbls_[static_cast<std::size_t>(k)].next) {
    Nbl* m = &nbls_[static_cast<std::size_t>(k)];
    if (std::find(out.begin(), out.end(), m) != out.end())
      violation(RuleId::ApiMisuse, fmt::format("{} on a chain that loops", api_name(id)));
    out.push_back(m);
  }
  return out;
}

void RefMachine::check_send_below(const Nbl& b, ApiId id) {
  if (b.owner == NblOwner::Freed)
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {} after it was freed", api_name(id), b.name));
  if (b.owner == NblOwner::ReturnedUp && reading::kSendAfterReturnIsDoubleCompletion)
    violation(RuleId::DoubleCompletion,
              fmt::format("{} sent below after it was completed upward", b.name));
  if (b.owner != NblOwner::Filter)
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {}, which the driver does not own", api_name(id), b.name));
  check_role(id, b);
  const auto bf = static_cast<std::size_t>(b.filter);
  const int st = bf < pause_state_.size() ? pause_state_[bf] : 0;
  if (st == 2 || (st == 1 && !b.from_protocol) || b.arrived_paused)
    violation(RuleId::SendWhilePaused,
              fmt::format("{} sent below while its filter is paused", b.name));
  if (!b.from_protocol && b.cancel_id != 0 && b.id_use != b.uses) {
    violation(RuleId::StaleCancelId, fmt::format("{} re-sent with cancel id {} from an earlier use",
                                                 b.name, static_cast<uint64_t>(b.cancel_id)));
  }
}

void RefMachine::check_complete_up(const Nbl& b, ApiId id, int32_t st) {
  if (b.owner == NblOwner::Freed)
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {} after it was freed", api_name(id), b.name));
  if (!b.from_protocol)
    violation(RuleId::DoubleCompletion, fmt::format("driver-allocated {} passed up", b.name));
  if (b.owner == NblOwner::ReturnedUp)
    violation(RuleId::DoubleCompletion, fmt::format("{} completed twice", b.name));
  if (b.owner == NblOwner::Below)
    violation(RuleId::DoubleCompletion,
              fmt::format("{} completed upward while the miniport has it", b.name));
  check_role(id, b);
  if (b.arrived_paused && st != named("NDIS_STATUS_PAUSED"))
    violation(RuleId::SendWhilePaused,
              fmt::format("{} arrived while its filter was paused and is returned without "
                          "NDIS_STATUS_PAUSED",
                          b.name));
}

Val RefMachine::call_ndis_api(ApiId id, std::vector<Val>& args) {
  if (id == ApiId::NdisAcquireSpinLock || id == ApiId::NdisReleaseSpinLock)
    return call_sync_api(id, args);
  const std::string name = api_name(id);
  visible();
  record(id);
  auto not_owned = [&](const Nbl& b) {
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {}, which the driver does not own", name, b.name));
  };
  switch (id) {
    case ApiId::NdisFSendNetBufferLists:
    case ApiId::NdisSendNetBufferLists:
      for (Nbl* b : ndis_chain(nbl_arg(args[0], id), id)) check_send_below(*b, id);
      for (Nbl* b : ndis_chain(nbl_arg(args[0], id), id)) {
        b->owner = NblOwner::Below;
        b->miniport = static_cast<int>(args[1].i);
        b->aborted = false;
      }
      return Val{};
    case ApiId::NdisFSendNetBufferListsComplete:
    case ApiId::NdisMSendNetBufferListsComplete:
      for (Nbl* b : ndis_chain(nbl_arg(args[0], id), id))
        check_complete_up(*b, id, static_cast<int32_t>(args[1].i));
      for (Nbl* b : ndis_chain(nbl_arg(args[0], id), id)) {
        b->owner = NblOwner::ReturnedUp;
        b->next = -1;
      }
      return Val{};
    case ApiId::NET_BUFFER_LIST_NEXT_NBL:
    case ApiId::NET_BUFFER_LIST_SET_NEXT_NBL: {
      Nbl& b = nbl_arg(args[0], id);
      if (b.owner != NblOwner::Filter) not_owned(b);
      if (id == ApiId::NET_BUFFER_LIST_NEXT_NBL) return result(id, b.next + 1);
      int link = -1;
      if (args[1].i != 0) {
        Nbl& m = nbl_arg(args[1], id);
        if (m.owner != NblOwner::Filter) not_owned(m);
        link = static_cast<int>(args[1].i) - 1;
        for (int k = link, steps = 0; k >= 0 && steps <= static_cast<int>(nbls_.size()); ++steps) {
          if (&nbls_[static_cast<std::size_t>(k)] == &b)
            violation(RuleId::ApiMisuse, fmt::format("linking {} makes its chain loop", b.name));
          k = nbls_[static_cast<std::size_t>(k)].next;
        }
      }
      b.next = link;
      return Val{};
    }
    case ApiId::NdisFCancelSendNetBufferLists:
    case ApiId::NdisCancelSendNetBufferLists: {
      const ast::MiniportDecl& m = spec_->miniports[static_cast<std::size_t>(args[0].i)];
      if (m.cancelable || m.pending) {
        for (Nbl& b : nbls_) {
          // The whole pointer-sized id is compared (args[1] is a uintptr: call_api converted it).
          if (b.owner != NblOwner::Below || b.miniport != args[0].i || b.cancel_id != args[1].i)
            continue;
          if (!m.pending && reading::kCancelableMiniportAbortsQueuedOnly &&
              choose({"miniport:queued", "miniport:sent"}) == 1)
            continue;  // already on the wire: it completes normally
          b.aborted = true;
        }
      }
      return Val{};
    }
    case ApiId::NdisFPauseComplete: {
      const auto f = static_cast<std::size_t>(args[0].i);
      if (pause_state_[f] != 1)
        violation(RuleId::PauseCompletion,
                  fmt::format("NdisFPauseComplete({}) with no pause in progress",
                              spec_->filters[f].name));
      if (const Nbl* b = outstanding_nbl(static_cast<int>(f)))
        violation(RuleId::PauseCompletion, fmt::format("the pause of {} completes while {} is out",
                                                       spec_->filters[f].name, b->name));
      pause_state_[f] = 2;
      return Val{};
    }
    case ApiId::NdisGeneratePartialCancelId:
      partial_id_generated_ = true;
      return result(id, symbolic_value(reading::kOwnPartialId, reading::kPartialIdBits));
    case ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID:
    case ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID: {
      Nbl& b = nbl_arg(args[0], id);
      if (b.owner != NblOwner::Filter) not_owned(b);
      if (id == ApiId::NDIS_GET_NET_BUFFER_LIST_CANCEL_ID) return result(id, b.cancel_id);
      const int64_t own = symbolic_value(reading::kOwnPartialId, reading::kPartialIdBits);
      const int64_t other = symbolic_value(reading::kOtherPartialId, reading::kPartialIdBits);
      // The id is a uintptr (masked to the pointer width); its high byte carries a partial id.
      const auto cid = static_cast<uint64_t>(args[1].i);
      const auto high =
          static_cast<int64_t>(cid >> reading::partial_id_shift(spec_->pointer_width));
      if (cid != 0 && !partial_id_generated_ && reading::kNoPartialIdCollidesAlways) {
        violation(RuleId::CancelIdCollision,
                  fmt::format("{} gets cancel id {:#x}, but the driver has no partial cancel id "
                              "(NdisGeneratePartialCancelId was not called)",
                              b.name, cid));
      }
      if (cid != 0 && own != other && high == other) {
        violation(RuleId::CancelIdCollision,
                  fmt::format("{} gets cancel id {:#x}, whose high byte is another driver's "
                              "partial id {:#x}",
                              b.name, cid, other));
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
      b.filter = originator();
      b.owner = NblOwner::Filter;
      nbls_.push_back(std::move(b));
      return result(id, static_cast<int32_t>(nbls_.size()));
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
  not_executed(id);
}

// ---- NDIS end state ----

std::optional<RefEndFinding> RefMachine::ndis_end_check() const {
  for (const Nbl& b : nbls_) {
    if (!b.from_protocol || (b.owner != NblOwner::Filter && b.owner != NblOwner::Below)) continue;
    if (b.cancelled)
      return RefEndFinding{RuleId::LostCancel,
                           fmt::format("{} is still out although its id was cancelled", b.name)};
    return RefEndFinding{RuleId::NeverCompleted,
                         fmt::format("{} never returns to the protocol", b.name)};
  }
  for (std::size_t f = 0; f < pause_state_.size(); ++f) {
    if (pause_state_[f] == 1)
      return RefEndFinding{RuleId::PauseCompletion,
                           fmt::format("the pause of {} never completes", spec_->filters[f].name)};
  }
  return std::nullopt;
}

void RefMachine::describe_ndis(std::ostringstream& o) const {
  static const char* owners[] = {"above", "filter", "below", "returned up", "freed"};
  for (const Nbl& b : nbls_) {
    o << fmt::format("  {}: {} id={} uses={} id_use={}{}{}\n", b.name,
                     owners[static_cast<int>(b.owner)], static_cast<uint64_t>(b.cancel_id), b.uses,
                     b.id_use, b.aborted ? " aborted" : "", b.cancelled ? " cancelled" : "");
  }
}

}  // namespace cc
