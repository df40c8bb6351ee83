// KMDF's end-state rules, its words for traces and the state panel, and its symbolic parts
// (a symbolic completion status, a symbolic stop) (docs/semantics/kmdf.md, docs/symbolic.md).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

SourceLoc Kmdf::handler_loc(uint32_t r) const {
  if (reqs_[r].created) {
    if (r >= created_first_ && r - created_first_ < spec_.requests.size()) {
      return spec_.requests[r - created_first_].range.begin;
    }
    return reqs_[r].target != ast::kNone ? spec_.targets[reqs_[r].target].range.begin : SourceLoc{};
  }
  uint8_t q = req(r)[kRSrcQueue];
  if (q == kNoQueue)
    q = static_cast<uint8_t>(reqs_[r].queue == ast::kNone ? kNoQueue : reqs_[r].queue);
  if (q != kNoQueue) {
    IoHandlers hs;
    if (io_handler_fns(q, ast::IoType::Unspecified, hs) > 0) {
      return spec_.fns[hs.fns[0]].range.begin;
    }
    return spec_.queues[q].range.begin;
  }
  return SourceLoc{};
}

bool Kmdf::received_pending(uint32_t r) const {
  if (reqs_[r].created) return false;
  const Place p = place(r);
  return p == Place::Queued || p == Place::Driver || p == Place::TargetPending ||
         p == Place::TargetDelivered;
}

void Kmdf::pending(std::vector<Finding>& out) const {
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (!received_pending(r)) continue;
    if (has(r, kCancelAimed)) {
      out.push_back({RuleId::LostCancel, handler_loc(r),
                     fmt::format("{} stays pending for ever although it was cancelled ({}): the "
                                 "cancel is never honoured",
                                 reqs_[r].name, place_text(r)),
                     reqs_[r].name});
    } else {
      out.push_back({RuleId::NeverCompleted, handler_loc(r),
                     fmt::format("{} is never completed: it stays pending for ever ({})",
                                 reqs_[r].name, place_text(r)),
                     reqs_[r].name});
    }
  }
}

std::optional<Finding> Kmdf::end_state(EndPhase phase) {
  auto at_target = [&](uint32_t r) {
    return place(r) == Place::TargetPending || place(r) == Place::TargetDelivered;
  };
  if (phase == EndPhase::Early) {
    // A cancel that Reuse wiped or MarkCancelableEx reported and the driver ignored.
    for (uint32_t r = 0; r < nreq_; ++r) {
      if ((received_pending(r) || at_target(r)) && has(r, kCancelAimed) &&
          has(r, kWiped | kExIgnored)) {
        return Finding{
            RuleId::LostCancel, handler_loc(r),
            fmt::format("{} is still pending at the end: its cancel was lost ({})", reqs_[r].name,
                        has(r, kWiped) ? "wiped by WdfRequestReuse"
                                       : "MarkCancelableEx returned STATUS_CANCELLED and "
                                         "the driver did not complete it"),
            reqs_[r].name};
      }
    }
    return std::nullopt;
  }
  if (phase != EndPhase::Final) return std::nullopt;
  if (stuck_power()) {
    // The framework waits for ever for a request it notified (EvtIoStop "takes no action":
    // "the framework waits until the specified request is complete"; bugcheck 0x9F).
    // ("Using Power-Managed I/O Queues": without EvtIoStop the framework waits until the
    // driver completes every request it owns). A request the framework cancelled gets no
    // EvtIoStop; if it stays pending, its cancel was lost (below).
    for (uint32_t r = 0; r < nreq_; ++r) {
      if (!has(r, kStopNotified) || has(r, kStopAcked) || has(r, kFxCanceled) ||
          !received_pending(r))
        continue;
      const uint8_t q = req(r)[kRSrcQueue];
      const bool has_stop = q != kNoQueue && queue_handler(q, "EvtIoStop") != ast::kNone;
      return Finding{
          RuleId::StopNotAcknowledged, handler_loc(r),
          fmt::format("the {} never finishes: {}, and nothing completes it",
                      power_byte(kPPurge) != 0 ? "device removal" : "power-down",
                      has_stop ? fmt::format("EvtIoStop neither acknowledged nor completed {}",
                                             reqs_[r].name)
                               : fmt::format("the driver holds {} and its queue has no EvtIoStop",
                                             reqs_[r].name)),
          reqs_[r].name};
    }
  }
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (!received_pending(r)) continue;
    if (has(r, kCancelAimed)) {
      return Finding{RuleId::LostCancel, handler_loc(r),
                     fmt::format("{} is still pending at the end although it was cancelled (the "
                                 "cancel was never honoured)",
                                 reqs_[r].name),
                     reqs_[r].name};
    }
    return Finding{RuleId::NeverCompleted, handler_loc(r),
                   fmt::format("{} is never completed ({})", reqs_[r].name, place_text(r)),
                   reqs_[r].name};
  }
  return std::nullopt;
}

std::optional<Finding> Kmdf::stuck(uint32_t a, const Instr& in, std::string& why) {
  const uint8_t* p = act(a);
  if ((p[kAFlags] & (kStarted | kNeedsSync)) == kNeedsSync) {
    why = "waits for the device's automatic synchronization lock";
  }
  for (uint32_t t = 0; t < spec_.timers.size() && (p[kAFlags] & kModuleWait) != 0; ++t) {
    if (deferred(t)[kDWaiter] != a + 1) continue;
    why = spec_.timers[t].kind == ast::DeferredKind::WorkItem
              ? fmt::format("waits for work item {} to finish", spec_.timers[t].name)
              : fmt::format(
                    "waits for the queued and running DPCs (timer and DPC callbacks) "
                    "to return");
  }
  if (in.op == Op::Api &&
      (in.api() == ApiId::WdfInterruptAcquireLock || in.api() == ApiId::WdfInterruptSynchronize)) {
    const auto i = static_cast<uint32_t>(reg(a, c_.unit_of(a).args[in.args_begin]));
    if (i < spec_.interrupts.size() && interrupt(i)[kILock] != 0) {
      why = fmt::format("waits for the lock of interrupt {} held by {}", spec_.interrupts[i].name,
                        c_.owner_text(interrupt(i)[kILock]));
    }
  }
  if ((p[kAFlags] & kModuleWait) != 0) {
    if (std::string w = target_wait_text(a); !w.empty()) why = std::move(w);
  }
  for (uint32_t q = 0; q < spec_.queues.size() && (p[kAFlags] & kModuleWait) != 0; ++q) {
    if (queue(q)[kQSyncWaiter] != a + 1) continue;
    why = fmt::format(
        "waits for queue {} to {}: {} request(s) the driver owns from it{}", spec_.queues[q].name,
        static_cast<QueueWait>(queue(q)[kQCbKind]) == QueueWait::Purged ? "empty" : "go idle",
        driver_owned(q), queue_dispatching(q) ? ", a callback of it still runs" : "");
  }
  return std::nullopt;
}

std::optional<std::string> Kmdf::type_text(int32_t v, TypeKind t) const {
  switch (t) {
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
    case TypeKind::Timer:
    case TypeKind::Dpc:
    case TypeKind::WorkItem:
      return static_cast<std::size_t>(v) < spec_.timers.size() ? spec_.timers[v].name : "?";
    case TypeKind::Interrupt:
      return static_cast<std::size_t>(v) < spec_.interrupts.size() ? spec_.interrupts[v].name : "?";
    case TypeKind::WaitLock:
      return static_cast<std::size_t>(v) < spec_.locks.size() ? spec_.locks[v].name : "?";
    case TypeKind::File:
      if (v == 0) return "NULL";
      return v > 0 && static_cast<std::size_t>(v) <= spec_.files.size() ? spec_.files[v - 1] : "?";
    default:
      return std::nullopt;
  }
}

std::string Kmdf::place_text(uint32_t r) const {
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

void Kmdf::objects(ViewPhase phase, std::vector<ObjectView>& out) const {
  if (phase == ViewPhase::AfterSync) {
    constexpr std::array<const char*, 3> kKinds = {"timer", "dpc", "workitem"};
    for (uint32_t t = 0; t < spec_.timers.size(); ++t) {
      const ast::TimerDecl& td = spec_.timers[t];
      const uint8_t st = deferred(t)[kDState];
      const bool timer = td.kind == ast::DeferredKind::Timer;
      ObjectView o{td.name, kKinds.at(static_cast<std::size_t>(td.kind)), {}};
      o.fields.emplace_back("state", st == kDArmed   ? (timer ? "armed" : "queued")
                                     : st == kDFired ? "fired"
                                                     : "idle");
      if (deferred(t)[kDWaiter] != 0)
        o.fields.emplace_back("waiter", lane_of(deferred(t)[kDWaiter] - 1u));
      out.push_back(std::move(o));
    }
    for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
      ObjectView o{spec_.interrupts[i].name, "interrupt", {}};
      o.fields.emplace_back("lock", c_.owner_text(interrupt(i)[kILock]));
      o.fields.emplace_back("dpc", interrupt(i)[kIDpcQueued] != 0 ? "queued" : "idle");
      out.push_back(std::move(o));
    }
    return;
  }
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
  for (uint32_t t = 0; ext_ && t < spec_.targets.size(); ++t) {
    static constexpr std::array<const char*, 3> kStates = {"started", "stopped", "purged"};
    static constexpr std::array<const char*, 6> kReaders = {
        "none", "idle", "reading", "stopped", "failed (work item due)", "ReadersFailed runs"};
    ObjectView o{spec_.targets[t].name, "target", {{"state", kStates.at(target(t)[kTState])}}};
    if (reader(t) != Reader::None)
      o.fields.emplace_back("reader", kReaders.at(target(t)[kTReader]));
    out.push_back(std::move(o));
  }
}

void Kmdf::target_complete_symbolic(uint32_t r) {
  // One variable per request and epoch: a reused request completes with a fresh status.
  std::string name = fmt::format("status({}", reqs_[r].name);
  if (req(r)[kREpoch] != 0) name += fmt::format("@{}", req(r)[kREpoch]);
  name += ")";
  SymTermId st = sym_var(name, kIntWidth);
  if (rec_) {
    rec_->actions.push_back(fmt::format("completes {} with {}", reqs_[r].name, name));
    rec_->results.emplace_back();
  }
  event(EventKind::Completes, reqs_[r].name);
  sym_status_ = true;
  c_.sym_render_ = st;
  target_complete(r, static_cast<int32_t>(st.value));
  sym_status_ = false;
  c_.sym_render_ = SymTermId{};
}

SymTermId Kmdf::symbolic_stop_action(bool purge) {
  // The kind of stop is the variable stop.action ∈ {Suspend, Purge}. The framework's own
  // reaction (purging the queues) depends on it, so the stop event forks on it under the path
  // condition; the driver's tests of the flags are then decided by the solver.
  // Removal calls EvtIoStop twice (suspend, then purge): one variable per kind of call.
  SymTermId action = sym_var(purge ? "stop.purge.action" : "stop.action", kIntWidth);
  SymTermId suspend = pool_.int_const(k::WdfRequestStopActionSuspend);
  SymTermId purge_c = pool_.int_const(k::WdfRequestStopActionPurge);
  PathCondition npc = path_condition();
  npc.add(pool_, pool_.mk_or(pool_.mk_eq(action, suspend), pool_.mk_eq(action, purge_c)));
  npc.add(pool_, pool_.mk_eq(action, purge ? purge_c : suspend));
  if (!feasible(npc)) return SymTermId{};
  set_path_condition(npc);
  return action;
}

void Kmdf::symbolic_stop_flags(uint32_t slot, uint32_t r, SymTermId action) {
  const CodeUnit& u = prog_.units[act(slot)[kAUnit] - 1u];
  if (u.param_count < 2) return;
  // The cancelable bit is the framework's own knowledge of the request: concrete.
  int32_t bit = req(r)[kRCancelFn] != 0 ? k::WdfRequestStopRequestCancelable : 0;
  c_.set_param_term(slot, 1, pool_.bv_or(action, pool_.int_const(bit)));
}

}  // namespace cc::kmdf
