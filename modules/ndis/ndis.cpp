// The NDIS module (docs/semantics/ndis.md): the NBLs and the world around the spec's NDIS
// driver — the protocol above a filter or miniport driver, the miniports below, NDIS's pause
// and restart of a filter — its end states and its words. The calls are in ndis_api.cpp.
#include <algorithm>
#include <array>

#include "model/named_constants.h"
#include "modules/ndis/ndis.h"
#include "modules/ndis/ndis_module.h"

namespace cc {
namespace ndis {

namespace {
/// Reading: a miniport may return several NBLs of a chain it was sent in one
/// NdisMSendNetBufferListsComplete call, linked as they were sent ("a pointer to a linked list
/// of NET_BUFFER_LIST structures"); both that and returning the NBL alone are explored.
constexpr bool kMiniportCompletesChains = true;
}  // namespace

std::string_view role_noun(ast::NdisRole r) {
  switch (r) {
    case ast::NdisRole::Filter:
      return "filter";
    case ast::NdisRole::Protocol:
      return "protocol driver";
    case ast::NdisRole::Miniport:
      return "miniport driver";
  }
  return "driver";
}

std::string id_text(uint64_t id, unsigned width) {
  if (id < 0x10000) return std::to_string(id);
  return fmt::format("0x{:0{}X}", id, width / 4);
}

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
                       .protocol_id = static_cast<uint64_t>(it.cancel_id_value)});
    }
  }
  // NBLs the driver may allocate: a fixed pool when the program allocates any.
  bool allocates = false;
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      allocates |= in.op == Op::Api && in.api() == ApiId::NdisAllocateNetBufferList;
    }
  }
  if (allocates) {
    for (uint32_t n = 0; n < kDriverNblPool; ++n) {
      nbls_.push_back({.name = fmt::format("nbl#{}", nbls_.size() + 1), .filter = originator()});
    }
  }
  nnbl_ = static_cast<uint32_t>(nbls_.size());
  if (nnbl_ > 60) return "more than 60 NBLs";
  return {};
}

uint32_t Ndis::originator() const {
  for (uint32_t f = 0; f < spec_.filters.size(); ++f) {
    if (spec_.filters[f].role != ast::NdisRole::Miniport) return f;
  }
  return 0;
}

uint64_t Ndis::activities() const {
  // Per NBL a send and a send-complete callback; per cancel_send line a cancel callback; per
  // pause line FilterPause and FilterRestart.
  uint64_t acts = 2ULL * nnbl_;
  for (const ast::EnvItem& it : spec_.environment) {
    acts += it.kind == ast::EnvKind::CancelSend;
    acts += it.kind == ast::EnvKind::Pause ? 2 : 0;
  }
  return acts;
}

void Ndis::layout(Layout& layout) {
  // Per environment line: cancel_send / pause happened.
  env_flags_ = layout.add("ndis.env_lines", 1, static_cast<uint32_t>(spec_.environment.size()));
  pause_region_ = layout.add("ndis.pause", 1, static_cast<uint32_t>(spec_.filters.size()));
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
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind != ast::EnvKind::Pause) continue;
    out.push_back({0, kPause, i});
    out.push_back({0, kRestart, i});
  }
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
    set_cancel_id(n, nbls_[n].protocol_id);
  }
}

uint32_t Ndis::handler(uint32_t f, Callback cb) const {
  if (f >= spec_.filters.size()) return ast::kNone;
  const ast::FilterDecl& d = spec_.filters[f];
  std::string_view h;
  switch (cb) {
    case Callback::Send:
      h = d.role == ast::NdisRole::Miniport ? "MiniportSendNetBufferLists"
                                            : "FilterSendNetBufferLists";
      break;
    case Callback::SendComplete:
      h = d.role == ast::NdisRole::Protocol ? "ProtocolSendNetBufferListsComplete"
                                            : "FilterSendNetBufferListsComplete";
      break;
    case Callback::Cancel:
      h = d.role == ast::NdisRole::Miniport ? "MiniportCancelSend"
                                            : "FilterCancelSendNetBufferLists";
      break;
    case Callback::Pause:
      h = "FilterPause";
      break;
    case Callback::Restart:
      h = "FilterRestart";
      break;
  }
  for (const ast::HandlerBinding& b : d.handlers) {
    if (b.handler == h) return b.fn;
  }
  return ast::kNone;
}

void Ndis::spawn(uint8_t kind, uint32_t fn, uint32_t subject, int64_t arg0, int64_t arg1) {
  const uint32_t slot = c_.occupy(kind, fn, subject);
  c_.set_param(slot, 0, arg0);
  c_.set_param(slot, 1, arg1);
  if (recording()) note(fmt::format("starts {}", lane_of(slot)));
}

Outcome Ndis::on_finish(uint32_t a, const Instr& /*in*/) {
  const uint8_t* p = act(a);
  if (p[kAKind] == kFilterSend && p[kASubject] != 0) {  // the send call returned
    for (uint32_t n = 0; n < nnbl_; ++n) {
      if (nbl(n)[kNSendHead] == p[kASubject]) {
        nbl(n)[kNFlags] &= static_cast<uint8_t>(~kNblInSend);
      }
    }
  }
  if (p[kAKind] == kFilterSendComplete && p[kASubject] != 0) {  // the whole chain is back
    for (uint32_t n = 0; n < nnbl_; ++n) {
      if (nbl(n)[kNCompleteHead] == p[kASubject]) {
        nbl(n)[kNFlags] &= static_cast<uint8_t>(~kNblInComplete);
      }
    }
  }
  if (p[kAKind] == kFilterRestart) {  // FilterRestart returned: the module runs
    const uint32_t f = spec_.environment[p[kASubject] - 1u].object;
    set_pause_state(f, PauseState::Running);
    if (rec_) note(fmt::format("filter {} is running again", spec_.filters[f].name));
  }
  return Outcome::Finished;
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

// ======================================================================= environment

bool Ndis::send_enabled(uint32_t item) const {
  // Lines for one driver hand their NBLs over in line order.
  uint32_t f = spec_.environment[item].object;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (!ni.from_protocol || ni.filter != f || owner(n) != NblOwner::Above) continue;
    return ni.send_item == item;
  }
  return false;
}

/// Reading: the protocol cancels an id once it has issued the send of every NBL it marked with
/// that id (for this driver) — possibly while FilterSendNetBufferLists of one of them is still
/// running — and only while one of them has not come back.
bool Ndis::cancel_send_enabled(uint32_t item) const {
  if (s_[env_flags_.at(item)] != 0) return false;
  const ast::EnvItem& it = spec_.environment[item];
  bool any = false, outstanding = false;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (!ni.from_protocol || ni.filter != it.object ||
        ni.protocol_id != static_cast<uint64_t>(it.cancel_id_value)) {
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
    case kProtocolSend:
      return env_send(e.index);
    case kProtocolCancel:
      return env_cancel_send(e.index);
    case kMiniport:
      return env_miniport(e.index);
    case kPause:
      return env_pause(e.index, false);
    default:
      return env_pause(e.index, true);
  }
}

RunResult Ndis::env_send(uint32_t item) {
  if (!send_enabled(item)) return RunResult::Disabled;
  const ast::EnvItem& it = spec_.environment[item];
  // One NBL per call, or (`chain`) every NBL of the line still above, linked in order.
  std::vector<uint32_t> handed;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (nbls_[n].send_item != item || owner(n) != NblOwner::Above) continue;
    handed.push_back(n);
    if (!it.chain) break;
  }
  const uint32_t head = handed.front();
  const std::string& fname = spec_.filters[it.object].name;
  if (rec_) {
    std::string names;
    for (uint32_t n : handed) names += (names.empty() ? "" : ", ") + nbls_[n].name;
    rec_->lane = "protocol";
    rec_->event = fmt::format("send {}", fname);
    rec_->actor = ActorKind::Originator;
    rec_->first_src(it.range);
    rec_->actions.push_back(fmt::format(
        "sends {}{} (cancel id {}) to {} {}", handed.size() > 1 ? "the chain " : "", names,
        shown_id(nbls_[head].protocol_id), role_noun(spec_.filters[it.object].role), fname));
    rec_->results.emplace_back();
  }
  const uint32_t fn = handler(it.object, Callback::Send);
  for (std::size_t k = 0; k < handed.size(); ++k) {
    uint8_t* p = nbl(handed[k]);
    set_owner(handed[k], NblOwner::Filter);
    p[kNNext] = static_cast<uint8_t>(k + 1 < handed.size() ? handed[k + 1] + 1 : 0);
    p[kNSendHead] = static_cast<uint8_t>(head + 1);
    // Reading: a send that reaches a Paused filter must come back NDIS_STATUS_PAUSED. While
    // it is Pausing the filter learns of the pause only when its FilterPause code runs, so a
    // send then is judged by what the filter does with it when the pause completes (CR015).
    if (pause_state(it.object) == PauseState::Paused) p[kNFlags] |= kNblArrivedPaused;
    if (fn != ast::kNone) p[kNFlags] |= kNblInSend;
  }
  if (rec_ && pause_state(it.object) == PauseState::Paused) {
    note(fmt::format("{} is paused: what it was handed must come back NDIS_STATUS_PAUSED", fname));
  }
  if (fn != ast::kNone) spawn(kFilterSend, fn, head, static_cast<int32_t>(head + 1), 0);
  return RunResult::Done;
}

RunResult Ndis::env_cancel_send(uint32_t item) {
  if (!cancel_send_enabled(item)) return RunResult::Disabled;
  const ast::EnvItem& it = spec_.environment[item];
  s_[env_flags_.at(item)] = 1;
  const std::string& fname = spec_.filters[it.object].name;
  if (rec_) {
    rec_->lane = "protocol";
    rec_->event = fmt::format("cancel_send {} {}", fname, it.cancel_id_value);
    rec_->actor = ActorKind::Originator;
    rec_->first_src(it.range);
    rec_->actions.push_back(fmt::format("cancels the sends with cancel id {} at {} {}",
                                        shown_id(static_cast<uint64_t>(it.cancel_id_value)),
                                        role_noun(spec_.filters[it.object].role), fname));
    rec_->results.emplace_back();
  }
  for (uint32_t n = 0; n < nnbl_; ++n) {
    const NblInfo& ni = nbls_[n];
    if (ni.from_protocol && ni.filter == it.object &&
        ni.protocol_id == static_cast<uint64_t>(it.cancel_id_value) &&
        owner(n) != NblOwner::ReturnedUp) {
      nbl(n)[kNFlags] |= kNblCancelAimed;
      if (rec_) note(fmt::format("cancels {}", ni.name));
      event(EventKind::Cancels, ni.name);
    }
  }
  uint32_t fn = handler(it.object, Callback::Cancel);
  if (fn != ast::kNone) {
    spawn(kFilterCancel, fn, item, it.cancel_id_value, 0);
  }
  return RunResult::Done;
}

std::vector<uint32_t> Ndis::completion_chain(uint32_t n, bool aborted) const {
  std::vector<uint32_t> out{n};
  if (!kMiniportCompletesChains) return out;
  const uint8_t mp = nbl(n)[kNMiniport];
  for (uint32_t next = nbl(n)[kNNext]; next != 0; next = nbl(next - 1u)[kNNext]) {
    const uint32_t m = next - 1u;
    if (std::find(out.begin(), out.end(), m) != out.end() || owner(m) != NblOwner::Below ||
        nbl(m)[kNMiniport] != mp || ((nbl(m)[kNFlags] & kNblAborted) != 0) != aborted) {
      break;
    }
    out.push_back(m);
  }
  return out;
}

RunResult Ndis::env_miniport(uint32_t n) {
  if (owner(n) != NblOwner::Below) return RunResult::Disabled;
  const ast::MiniportDecl& md = spec_.miniports[nbl(n)[kNMiniport]];
  bool aborted = (nbl(n)[kNFlags] & kNblAborted) != 0;
  if (md.pending && !aborted) return RunResult::Disabled;  // held until cancelled
  int32_t st = aborted ? k::NDIS_STATUS_SEND_ABORTED : k::NDIS_STATUS_SUCCESS;
  // The miniport returns it alone, or with the rest of its chain in one call.
  std::vector<uint32_t> batch = completion_chain(n, aborted);
  if (batch.size() > 1 && choose(2, [](uint16_t c) {
                            return std::string(c == 1 ? "miniport:chain" : "miniport:alone");
                          }) == 0) {
    batch.resize(1);
  }
  std::string names;
  for (uint32_t m : batch) names += (names.empty() ? "" : ", ") + nbls_[m].name;
  if (rec_) {
    rec_->lane = fmt::format("miniport {}", md.name);
    rec_->event = fmt::format("miniport {}", nbls_[n].name);
    rec_->actor = ActorKind::Target;
    rec_->first_src(md.range);
    rec_->actions.push_back(
        fmt::format("completes {} with {}", names, render(st, TypeKind::Status)));
    rec_->results.emplace_back();
  }
  const uint32_t fn = handler(nbls_[n].filter, Callback::SendComplete);
  for (uint32_t m : batch) {
    uint8_t* p = nbl(m);
    event(EventKind::Completes, nbls_[m].name);
    set_owner(m, NblOwner::Filter);
    p[kNFlags] &= static_cast<uint8_t>(~kNblAborted);
    if (m == batch.back()) p[kNNext] = 0;  // the chain it comes back in ends here
    ++p[kNEpoch];
    set32(p + kNStatus, st);
    p[kNCompleteHead] = static_cast<uint8_t>(n + 1);
    if (fn != ast::kNone) p[kNFlags] |= kNblInComplete;
  }
  if (rec_) {
    note(
        fmt::format("returns {} to the {}", names, role_noun(spec_.filters[nbls_[n].filter].role)));
  }
  if (fn != ast::kNone) spawn(kFilterSendComplete, fn, n, static_cast<int32_t>(n + 1), st);
  return RunResult::Done;
}

/// Reading: NDIS pauses the filter of a `pause` line once, while it runs, at any moment; once
/// the pause is complete it restarts it (FilterRestart, when bound). The filter module is
/// Pausing from the start of FilterPause (docs: "The filter module enters the Pausing state at
/// the start of execution in the FilterPause function").
RunResult Ndis::env_pause(uint32_t item, bool restart) {
  const ast::EnvItem& it = spec_.environment[item];
  const uint32_t f = it.object;
  const std::string& fname = spec_.filters[f].name;
  const bool done = s_[env_flags_.at(item)] != 0;
  if (restart ? !(done && pause_state(f) == PauseState::Paused)
              : (done || pause_state(f) != PauseState::Running)) {
    return RunResult::Disabled;
  }
  if (rec_) {
    rec_->lane = "NDIS";
    rec_->event = fmt::format("{} {}", restart ? "restart" : "pause", fname);
    rec_->actor = ActorKind::Originator;
    rec_->first_src(it.range);
    rec_->actions.push_back(fmt::format("{} filter {}", restart ? "restarts" : "pauses", fname));
    rec_->results.emplace_back();
  }
  s_[env_flags_.at(item)] = 1;
  const uint32_t fn = handler(f, restart ? Callback::Restart : Callback::Pause);
  if (restart) {
    restarting(f, fn != ast::kNone);
  } else {
    set_pause_state(f, PauseState::Pausing);
  }
  if (fn != ast::kNone) spawn(restart ? kFilterRestart : kFilterPause, fn, item, 0, 0);
  return RunResult::Done;
}

/// Reading: once NDIS restarts the filter, a send that reached it while it was paused and that
/// it still holds is an ordinary send (its FilterSendNetBufferLists call decides by the state
/// it sees).
void Ndis::restarting(uint32_t f, bool has_callback) {
  set_pause_state(f, has_callback ? PauseState::Restarting : PauseState::Running);
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (nbls_[n].filter == f) nbl(n)[kNFlags] &= static_cast<uint8_t>(~kNblArrivedPaused);
  }
}

std::string Ndis::nbl_place(uint32_t n) const {
  switch (owner(n)) {
    case NblOwner::Unallocated:
      return "not allocated";
    case NblOwner::Above:
      return "held by the protocol";
    case NblOwner::Filter:
      return fmt::format("owned by the {}", role_noun(spec_.filters[nbls_[n].filter].role));
    case NblOwner::Below:
      return fmt::format("sent below to miniport {}", spec_.miniports[nbl(n)[kNMiniport]].name);
    case NblOwner::ReturnedUp:
      return "returned to the protocol";
    case NblOwner::Freed:
      return "freed";
  }
  return "?";
}

uint32_t Ndis::outstanding_nbl(uint32_t f) const {
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (nbls_[n].filter != f) continue;
    const NblOwner o = owner(n);
    // Sends an overlying driver handed it that it still holds, and its own sends below.
    const bool held =
        o == NblOwner::Filter && (nbl(n)[kNFlags] & (kNblInSend | kNblInComplete)) == 0;
    if (nbls_[n].from_protocol ? held : o == NblOwner::Below) return n;
  }
  return nnbl_;
}

// ======================================================================= end states, words

// Fairness of the environment actors (docs/liveness.md, docs/semantics/ndis.md "Fairness"):
// a miniport completes what it was sent eventually; the protocol's sends and cancels and the
// pauses and restarts of a filter need not happen.
Fairness Ndis::fairness(const EnvActor& e) const {
  switch (e.kind) {
    case kMiniport:
      return Fairness::Weak;
    case kProtocolSend:
    case kProtocolCancel:
    case kPause:
    case kRestart:
      return Fairness::None;
    default:
      return Fairness::Weak;
  }
}

bool Ndis::held_below_or_by_filter(uint32_t n) const {
  if (!nbls_[n].from_protocol) return false;
  const NblOwner o = owner(n);
  return o == NblOwner::Filter || o == NblOwner::Below;
}

void Ndis::pending(std::vector<Finding>& out) const {
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (!held_below_or_by_filter(n)) continue;
    const SourceLoc at = spec_.filters[nbls_[n].filter].range.begin;
    if ((nbl(n)[kNFlags] & kNblCancelAimed) != 0) {
      out.push_back({RuleId::LostCancel, at,
                     fmt::format("{} stays {} for ever although the protocol cancelled its id {}",
                                 nbls_[n].name, nbl_place(n), nbl_id_text(n)),
                     nbls_[n].name});
    } else {
      out.push_back({RuleId::NeverCompleted, at,
                     fmt::format("{} is never returned to the protocol: it stays {} for ever",
                                 nbls_[n].name, nbl_place(n)),
                     nbls_[n].name});
    }
  }
}

std::optional<Finding> Ndis::end_state(EndPhase phase) {
  if (phase != EndPhase::Late) return std::nullopt;
  for (uint32_t n = 0; n < nnbl_; ++n) {
    if (!held_below_or_by_filter(n)) continue;
    const NblOwner o = owner(n);
    SourceLoc at = spec_.filters[nbls_[n].filter].range.begin;
    if ((nbl(n)[kNFlags] & kNblCancelAimed) != 0) {
      return Finding{RuleId::LostCancel, at,
                     fmt::format("{} is still {} at the end although the protocol cancelled its "
                                 "id {} ({})",
                                 nbls_[n].name, nbl_place(n), nbl_id_text(n),
                                 o == NblOwner::Below
                                     ? std::string("the cancel was never passed down")
                                     : fmt::format("the {} never returned it",
                                                   role_noun(spec_.filters[nbls_[n].filter].role))),
                     nbls_[n].name};
    }
    return Finding{
        RuleId::NeverCompleted, at,
        fmt::format("{} is never returned to the protocol ({})", nbls_[n].name, nbl_place(n)),
        nbls_[n].name};
  }
  for (uint32_t f = 0; f < spec_.filters.size(); ++f) {
    if (pause_state(f) != PauseState::Pausing) continue;
    return Finding{RuleId::PauseCompletion, spec_.filters[f].range.begin,
                   fmt::format("the pause of filter {} never completes (NdisFPauseComplete is "
                               "never called)",
                               spec_.filters[f].name),
                   spec_.filters[f].name};
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
    o.fields.emplace_back("origin", nbls_[n].from_protocol ? "protocol" : "driver");
    o.fields.emplace_back("cancel id", nbl_id_text(n));
    if ((p[kNFlags] & kNblCancelAimed) != 0) o.fields.emplace_back("cancelled", "yes");
    if ((p[kNFlags] & kNblAborted) != 0) o.fields.emplace_back("aborted below", "yes");
    if ((p[kNFlags] & kNblArrivedPaused) != 0) o.fields.emplace_back("arrived paused", "yes");
    o.fields.emplace_back("completions", std::to_string(p[kNCompletions]));
    if (!nbls_[n].from_protocol) o.fields.emplace_back("uses", std::to_string(p[kNEpoch]));
    out.push_back(std::move(o));
  }
  static constexpr std::array<const char*, 4> kPause = {"running", "pausing", "paused",
                                                        "restarting"};
  for (const ast::EnvItem& it : spec_.environment) {
    if (it.kind != ast::EnvKind::Pause) continue;
    out.push_back({spec_.filters[it.object].name,
                   "filter",
                   {{"state", kPause[static_cast<uint8_t>(pause_state(it.object))]}}});
  }
}

}  // namespace ndis

std::unique_ptr<Module> make_ndis_module(Core& core) {
  return std::make_unique<ndis::Ndis>(core);
}

uint32_t ndis_list_elements(const ast::Spec& spec) {
  uint32_t n = spec.filters.empty() ? 0 : ndis::kDriverNblPool;
  for (const ast::EnvItem& it : spec.environment) {
    if (it.kind == ast::EnvKind::Send && it.count_value > 0) {
      n += static_cast<uint32_t>(std::min<int64_t>(it.count_value, 1000));
    }
  }
  return n;
}

}  // namespace cc
