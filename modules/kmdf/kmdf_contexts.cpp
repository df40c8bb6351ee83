// KMDF execution contexts (docs/semantics/kmdf.md, "Execution contexts"): timers, DPC objects,
// work items, interrupts (EvtInterruptIsr, EvtInterruptDpc, the interrupt lock,
// WdfInterruptSynchronize), the synchronization scopes (device, queue) that serialise them
// with the I/O callbacks, and the IRQL each callback runs at (rule CR017).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

namespace {

/// The activity kinds that run as DPCs (KeFlushQueuedDpcs waits for them).
bool dpc_level_kind(ActKind k) {
  return k == ActKind::Timer || k == ActKind::Dpc || k == ActKind::InterruptDpc;
}

/// The activity kind a timer, DPC object or work item starts.
ActKind deferred_kind(ast::DeferredKind k) {
  switch (k) {
    case ast::DeferredKind::Dpc:
      return ActKind::Dpc;
    case ast::DeferredKind::WorkItem:
      return ActKind::WorkItem;
    default:
      return ActKind::Timer;
  }
}

constexpr std::array<std::string_view, 3> kDeferredWord = {"timer", "dpc", "workitem"};

}  // namespace

void Kmdf::layout_contexts(Layout& layout) {
  interrupts_ = layout.add("kmdf.interrupts", 2, static_cast<uint32_t>(spec_.interrupts.size()));
  uint32_t lines = 0;
  for (uint32_t l : irq_line_of_) lines += l != UINT32_MAX ? 1 : 0;
  irq_lines_ = layout.add("kmdf.irq_lines", 1, lines);  // interrupts raised so far
}

// ======================================================================= synchronization

int32_t Kmdf::queue_sync_lock(uint32_t q) const {
  const uint32_t d = spec_.queues[q].device;
  if (d >= spec_.devices.size()) return -1;
  if (spec_.devices[d].sync_queue) return static_cast<int32_t>(spec_.devices.size() + q);
  return device_sync_lock(d);
}

int32_t Kmdf::device_sync_lock(uint32_t d) const {
  return d < spec_.devices.size() && spec_.devices[d].sync_device ? static_cast<int32_t>(d) : -1;
}

int32_t Kmdf::sync_lock(ActKind kind, uint32_t subject) const {
  if (subject == kNoSlot) return -1;
  switch (kind) {
    case ActKind::Timer:
    case ActKind::Dpc:
    case ActKind::WorkItem: {
      // AutomaticSerialization with the parent: a queue's lock under either scope; a device's
      // lock only under device scope (a device with queue scope has no lock of its own).
      const ast::TimerDecl& t = spec_.timers[subject];
      if (!t.serialized) return -1;
      return t.parent.queue != ast::kNone ? queue_sync_lock(t.parent.queue)
                                          : device_sync_lock(t.parent.device);
    }
    case ActKind::InterruptDpc:
      return spec_.interrupts[subject].serialized
                 ? device_sync_lock(spec_.interrupts[subject].parent.device)
                 : -1;
    case ActKind::QueueState:  // a queue's stop/purge/drain or ready notification
      return queue_sync_lock(subject);
    case ActKind::FileCallback:
      return device_sync_lock(file_device_[subject]);
    case ActKind::Completion:  // completion routines are never serialized
      return -1;
    default:
      break;
  }
  // Request callbacks take the lock of the queue the request came from; PnP callbacks, ISRs,
  // reader callbacks and threads none.
  if (!subject_is_request(kind)) return -1;
  const uint8_t q = req(subject)[kRSrcQueue];
  return q != kNoQueue ? queue_sync_lock(q) : -1;
}

uint8_t& Kmdf::sync_holder(int32_t l) const {
  const auto nd = static_cast<int32_t>(spec_.devices.size());
  if (l < nd) return device(static_cast<uint32_t>(l))[1];
  return queue(static_cast<uint32_t>(l - nd))[kQSyncHolder];
}

// ======================================================================= environment

RunResult Kmdf::env_timer(uint32_t t) {
  uint8_t* d = deferred(t);
  if (d[kDState] != kDArmed) return RunResult::Disabled;
  const ast::TimerDecl& td = spec_.timers[t];
  const ActKind kind = deferred_kind(td.kind);
  if (td.kind == ast::DeferredKind::Timer) {
    // A periodic timer stays in the timer queue; it fires again once its callback has
    // returned (the model's reading: the period is longer than the callback).
    if (td.periodic && running(kind, t)) return RunResult::Disabled;
    d[kDState] = td.periodic ? kDArmed : kDFired;
  } else {
    d[kDState] = kDIdle;  // dequeued: it may be queued again while its callback runs
  }
  if (rec_) {
    const std::string_view word = kDeferredWord.at(static_cast<std::size_t>(td.kind));
    rec_->lane = "framework";
    rec_->event = fmt::format("{} {}", word, td.name);
    rec_->actor = ActorKind::Framework;
    rec_->first_src(td.range);
    rec_->actions.push_back(td.kind == ast::DeferredKind::Timer
                                ? fmt::format("timer {} fires", td.name)
                                : fmt::format("{} {} runs", word, td.name));
    rec_->results.emplace_back();
  }
  spawn(kind, td.fn, t, 0, false);
  return RunResult::Done;
}

RunResult Kmdf::env_interrupt(uint32_t item) {
  const ast::EnvItem& it = spec_.environment[item];
  uint8_t& raised = s_[irq_lines_.at(irq_line_of_[item])];
  if (raised >= it.count_value || it.object == ast::kNone) return RunResult::Disabled;
  // Interrupts are connected while the device is in D0 (EvtInterruptDisable runs after
  // EvtDeviceD0Exit); the ISR runs only when nobody holds the interrupt's lock.
  const Power ph = phase();
  if (ph == Power::Off || ph == Power::Removed || ph == Power::Purging) return RunResult::Disabled;
  uint8_t* ip = interrupt(it.object);
  if (ip[kILock] != 0) return RunResult::Disabled;
  const ast::InterruptDecl& id = spec_.interrupts[it.object];
  ++raised;
  if (rec_) {
    rec_->lane = "device";
    rec_->event = fmt::format("interrupt {}", id.name);
    rec_->actor = ActorKind::Framework;
    rec_->first_src(it.range);
    rec_->actions.push_back(fmt::format("the device raises interrupt {}", id.name));
    rec_->results.emplace_back();
  }
  const uint32_t slot = spawn(ActKind::Isr, id.isr, it.object, 0, false);
  ip[kILock] = static_cast<uint8_t>(slot + 1);
  return RunResult::Done;
}

RunResult Kmdf::env_interrupt_dpc(uint32_t i) {
  uint8_t* ip = interrupt(i);
  if (ip[kIDpcQueued] == 0) return RunResult::Disabled;
  ip[kIDpcQueued] = 0;
  const ast::InterruptDecl& id = spec_.interrupts[i];
  if (rec_) {
    rec_->lane = "framework";
    rec_->event = fmt::format("interrupt_dpc {}", id.name);
    rec_->actor = ActorKind::Framework;
    rec_->first_src(id.range);
    rec_->actions.push_back(fmt::format("the DPC of interrupt {} runs", id.name));
    rec_->results.emplace_back();
  }
  spawn(ActKind::InterruptDpc, id.dpc, i, 0, false);
  return RunResult::Done;
}

// ======================================================================= API calls

bool Kmdf::dpcs_running(uint32_t self) const {
  // KeFlushQueuedDpcs: the DPCs queued and not yet run count as well.
  for (uint32_t t = 0; t < spec_.timers.size(); ++t) {
    if (spec_.timers[t].kind == ast::DeferredKind::Dpc && deferred(t)[kDState] == kDArmed)
      return true;
  }
  for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
    if (interrupt(i)[kIDpcQueued] != 0) return true;
  }
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (a == self || p[kAUnit] == 0) continue;
    const auto k = static_cast<ActKind>(p[kAKind]);
    if (!dpc_level_kind(k)) continue;
    if (k == ActKind::Timer && spec_.timers[p[kASubject] - 1u].passive) continue;
    return true;
  }
  return false;
}

bool Kmdf::deferred_wait_over(uint32_t t) const {
  const ast::TimerDecl& td = spec_.timers[t];
  if (td.kind == ast::DeferredKind::WorkItem) {
    // FxWorkItem::WaitForSignal: neither queued nor running.
    return deferred(t)[kDState] == kDIdle && !running(ActKind::WorkItem, t);
  }
  const uint32_t waiter = deferred(t)[kDWaiter] - 1u;
  if (td.passive && running(ActKind::Timer, t)) return false;
  return !dpcs_running(waiter);
}

bool Kmdf::own_callback(uint32_t a, uint32_t t) const {
  const uint8_t* p = act(a);
  return static_cast<ActKind>(p[kAKind]) == deferred_kind(spec_.timers[t].kind) &&
         p[kASubject] == t + 1;
}

Outcome Kmdf::wait_for_dpcs(ApiCall& call, uint32_t t) {
  const ast::TimerDecl& td = spec_.timers[t];
  if (own_callback(call.act, t)) {
    violation(RuleId::Deadlock, call.in->src,
              fmt::format("{} waits in {} for its own callback to return", lane_of(call.act),
                          api_info(call.in->api()).name),
              td.name);
    return Outcome::Violation;
  }
  uint8_t* d = deferred(t);
  if (d[kDWaiter] != 0)
    throw ModelLimit(fmt::format("two activities wait for {} at once", td.name));
  d[kDWaiter] = static_cast<uint8_t>(call.act + 1);
  if (deferred_wait_over(t)) {
    d[kDWaiter] = 0;  // nothing to wait for
  } else {
    act(call.act)[kAFlags] |= kModuleWait;
  }
  return Outcome::Continue;
}

Outcome Kmdf::api_contexts(ApiCall& call) {
  const Instr& in = *call.in;
  const ApiId id = in.api();
  const auto x = static_cast<uint32_t>(call.arg[0]);
  const bool wait = in.nargs >= 2 && call.arg[1] != 0;
  switch (id) {
    case ApiId::WdfTimerStart: {
      uint8_t& st = deferred(x)[kDState];
      result(call, st == kDArmed ? 1 : 0);
      st = kDArmed;
      return Outcome::Continue;
    }
    case ApiId::WdfTimerStop:
    case ApiId::WdfDpcCancel: {
      uint8_t& st = deferred(x)[kDState];
      result(call, st == kDArmed ? 1 : 0);
      if (st == kDArmed) st = kDIdle;
      return wait ? wait_for_dpcs(call, x) : Outcome::Continue;
    }
    case ApiId::WdfDpcEnqueue: {
      uint8_t& st = deferred(x)[kDState];
      result(call, st == kDIdle ? 1 : 0);
      st = kDArmed;
      return Outcome::Continue;
    }
    case ApiId::WdfWorkItemEnqueue:
      deferred(x)[kDState] = kDArmed;  // FxWorkItem::Enqueue: already queued → nothing
      return Outcome::Continue;
    case ApiId::WdfWorkItemFlush:
      return wait_for_dpcs(call, x);
    case ApiId::WdfInterruptQueueDpcForIsr: {
      if (spec_.interrupts[x].dpc == ast::kNone) {
        return misuse(in, fmt::format("interrupt {} has no EvtInterruptDpc to queue",
                                      spec_.interrupts[x].name));
      }
      uint8_t& q = interrupt(x)[kIDpcQueued];
      result(call, q == 0 ? 1 : 0);
      q = 1;
      return Outcome::Continue;
    }
    case ApiId::WdfInterruptAcquireLock:
    case ApiId::WdfInterruptSynchronize: {
      uint8_t& holder = interrupt(x)[kILock];
      const std::string& iname = spec_.interrupts[x].name;
      if (holder == call.act + 1) {
        violation(RuleId::Deadlock, in.src,
                  fmt::format("{} takes the lock of interrupt {} it already holds",
                              lane_of(call.act), iname),
                  iname);
        return Outcome::Violation;
      }
      if (holder != 0) return Outcome::Blocked;
      if (id == ApiId::WdfInterruptAcquireLock) {
        holder = static_cast<uint8_t>(call.act + 1);
        return Outcome::Continue;
      }
      result(call, 0);  // the callback's value replaces it when it returns
      const uint32_t child =
          spawn(ActKind::InterruptSync, static_cast<uint32_t>(call.arg[1]), x, 0, false);
      holder = static_cast<uint8_t>(child + 1);
      act(child)[kAFlags] |= kInherited;
      act(call.act)[kAWait] = static_cast<uint8_t>(child + 1);
      return Outcome::Continue;
    }
    case ApiId::WdfInterruptReleaseLock: {
      uint8_t& holder = interrupt(x)[kILock];
      if (holder != call.act + 1) {
        return misuse(in, fmt::format("{} releases the lock of interrupt {} it does not hold",
                                      lane_of(call.act), spec_.interrupts[x].name));
      }
      holder = 0;
      return Outcome::Continue;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", api_info(id).name));
  }
}

void Kmdf::release_interrupt_locks(uint32_t a) {
  const auto kind = static_cast<ActKind>(act(a)[kAKind]);
  for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
    uint8_t& holder = interrupt(i)[kILock];
    if (holder != a + 1) continue;
    // The ISR's and WdfInterruptSynchronize's lock is the framework's; another callback that
    // returns holding it leaves it held for ever.
    if (kind == ActKind::Isr || kind == ActKind::InterruptSync) {
      holder = 0;
    } else {
      holder = kOrphanOwner;
      note(fmt::format("returns holding the lock of interrupt {}", spec_.interrupts[i].name));
    }
  }
}

bool Kmdf::wait_over(uint32_t a) {
  for (uint32_t t = 0; t < spec_.timers.size(); ++t) {
    uint8_t* d = deferred(t);
    if (d[kDWaiter] != a + 1) continue;
    if (!deferred_wait_over(t)) return false;
    d[kDWaiter] = 0;
    return true;
  }
  if (target_wait_over(a)) return true;  // a synchronous send, a target stop or purge
  return queue_wait_over(a);
}

// ======================================================================= IRQL (CR017)

std::string Kmdf::spin_lock_held(uint32_t a) const {
  for (uint32_t l = 0; l < spec_.locks.size(); ++l) {
    if (!spec_.locks[l].wait && c_.lock_owner(l) == a + 1)
      return fmt::format("spin lock {}", spec_.locks[l].name);
  }
  for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
    if (interrupt(i)[kILock] == a + 1)
      return fmt::format("the lock of interrupt {}", spec_.interrupts[i].name);
  }
  return {};
}

std::string Kmdf::raised_irql(uint32_t a, bool& dirql) const {
  dirql = false;
  // An inline callback runs at its caller's IRQL, under its caller's locks.
  for (int hops = 0; hops < 8; ++hops) {
    const uint8_t* p = act(a);
    const auto kind = static_cast<ActKind>(p[kAKind]);
    if (kind == ActKind::Isr || kind == ActKind::InterruptSync) {
      dirql = true;
      return fmt::format("{} runs at DIRQL", lane_of(a));
    }
    for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
      if (interrupt(i)[kILock] == a + 1) {
        dirql = true;
        return fmt::format("{} holds the lock of interrupt {} (DIRQL)", lane_of(a),
                           spec_.interrupts[i].name);
      }
    }
    if (kind == ActKind::Dpc || kind == ActKind::InterruptDpc ||
        (kind == ActKind::Timer && p[kASubject] != 0 && !spec_.timers[p[kASubject] - 1u].passive)) {
      return fmt::format("{} is a DPC-level callback (DISPATCH_LEVEL)", lane_of(a));
    }
    if (std::string l = spin_lock_held(a); !l.empty()) {
      return fmt::format("{} holds {} (DISPATCH_LEVEL)", lane_of(a), l);
    }
    if ((p[kAFlags] & kHoldsSync) != 0) {
      for (std::size_t d = 0; d < spec_.devices.size(); ++d) {
        if (device(static_cast<uint32_t>(d))[1] == a + 1 && !spec_.devices[d].passive)
          return fmt::format("{} runs under the device's synchronization lock (DISPATCH_LEVEL)",
                             lane_of(a));
      }
      for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
        const uint32_t d = spec_.queues[q].device;
        if (queue(q)[kQSyncHolder] == a + 1 && d < spec_.devices.size() &&
            !spec_.devices[d].passive)
          return fmt::format("{} runs under queue {}'s synchronization lock (DISPATCH_LEVEL)",
                             lane_of(a), spec_.queues[q].name);
      }
    }
    if ((p[kAFlags] & kInherited) == 0) return {};
    uint32_t caller = kNoSlot;
    for (uint32_t b = 0; b < c_.nact_ && caller == kNoSlot; ++b) {
      if (act(b)[kAWait] == a + 1) caller = b;
    }
    if (caller == kNoSlot) return {};
    a = caller;
  }
  return {};
}

std::optional<Outcome> Kmdf::check_call(ApiCall& call) {
  const Instr& in = *call.in;
  const ApiId id = in.api();
  const ApiInfo& info = api_info(id);
  if (info.domain != ApiDomain::Kmdf) return std::nullopt;
  const uint32_t a = call.act;
  bool dirql = false;
  const std::string why = raised_irql(a, dirql);
  if (why.empty()) return std::nullopt;
  const auto wrong = [&](std::string what) {
    violation(RuleId::WrongIrql, in.src, std::move(what));
    return Outcome::Violation;
  };
  if (dirql) {
    // At DIRQL only the interrupt object's own calls are allowed.
    if (!allowed_at_dirql(id))
      return wrong(fmt::format("{} is called at DIRQL: {}", info.name, why));
    return std::nullopt;
  }
  if (id == ApiId::WdfRequestSend) {
    if (std::string l = spin_lock_held(a); !l.empty()) {
      return wrong(
          fmt::format("WdfRequestSend is called while {} holds {} "
                      "(SDV ReqSendWhileSpinlock)",
                      lane_of(a), l));
    }
    return std::nullopt;
  }
  if (!call_may_wait(id, in.nargs, call.arg[1])) return std::nullopt;
  // WdfTimerStop(Wait) from the timer's own callback is a deadlock before it is an IRQL error.
  if (id == ApiId::WdfTimerStop || id == ApiId::WdfDpcCancel || id == ApiId::WdfWorkItemFlush) {
    if (own_callback(a, static_cast<uint32_t>(call.arg[0]))) {
      return std::nullopt;  // wait_for_dpcs reports the deadlock
    }
  }
  return wrong(
      fmt::format("{} may wait, which is allowed only at PASSIVE_LEVEL: {}", info.name, why));
}

}  // namespace cc::kmdf
