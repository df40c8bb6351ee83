// The reference executor's KMDF power-down, power-up and removal (docs/semantics/kmdf.md
// "Power and removal"): the `stop` event that begins a transition and the `power` event that
// takes the framework's next step in it (EvtIoStop and EvtIoResume one request at a time, the
// removal purges, the held cancel callbacks).
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reference/ref_machine.h"

namespace cc {

namespace {
/// The function bound to `handler` on queue declaration `decl`, ast::kNone when none.
uint32_t handler_of(const ast::QueueDecl& decl, const char* handler) {
  for (const ast::HandlerBinding& h : decl.handlers) {
    if (h.handler == handler) return h.fn;
  }
  return ast::kNone;
}
/// The driver still holds it (owned, or at a target it sent it to).
bool held_by_driver(const Req& q) {
  return q.place == Place::Driver || q.at_target();
}
}  // namespace

std::vector<const ast::EnvItem*> RefMachine::stop_lines() const {
  std::vector<const ast::EnvItem*> out;
  for (const ast::EnvItem& item : spec_->environment) {
    if (item.kind == ast::EnvKind::Stop) out.push_back(&item);
  }
  return out;
}

bool RefMachine::in_stage(int q) const {
  if (power_ == PowerPhase::On || power_ == PowerPhase::Removed) return false;
  const bool pm = spec_->queues[static_cast<std::size_t>(q)].power_managed;
  if (power_ == PowerPhase::Off || power_ == PowerPhase::Resuming) return pm;
  return stage_ == 2 ? !pm : pm;
}

bool RefMachine::power_held(int q) const {
  if (power_ == PowerPhase::On) return false;
  if (power_ == PowerPhase::Removed) return true;
  if (spec_->queues[static_cast<std::size_t>(q)].power_managed) return true;
  return stage_ == 2;
}

bool RefMachine::powered_off(int q) const {
  if (power_ == PowerPhase::Removed) return true;
  if (!spec_->queues[static_cast<std::size_t>(q)].power_managed) return false;
  if (power_ == PowerPhase::Purging && stage_ == 0) return false;  // waiting for EvtDeviceD0Exit
  return power_ == PowerPhase::Off || power_ == PowerPhase::Purging ||
         power_ == PowerPhase::Entering || stage_ == 2;
}

bool RefMachine::start_device_callbacks(Role role, const char* handler, std::vector<Val> args) {
  bool any = false;
  for (std::size_t d = 0; d < spec_->devices.size(); ++d) {
    for (const ast::HandlerBinding& h : spec_->devices[d].handlers) {
      if (h.handler != handler || h.fn == ast::kNone) continue;
      const ast::FnDecl& fn = spec_->fns[h.fn];
      start_activity(fn.name, fn, role, -1, args, -1);
      any = true;
    }
  }
  return any;
}

bool RefMachine::pnp_busy() const {
  for (const Act& a : acts_) {
    if (!a.done && a.role == Role::Pnp) return true;
  }
  return false;
}

void RefMachine::start_cancel_routine(int r, int fn) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  q.cancel_fn = -1;
  q.cancel_routine_started = true;
  q.fx_canceled = true;
  if ((power_ == PowerPhase::Notifying || power_ == PowerPhase::Resuming) && q.queue >= 0 &&
      in_stage(q.queue)) {
    q.held_cancel_fn = fn;  // delivered when every EvtIoStop call has been made
    q.cancel_held = true;
    return;
  }
  const ast::FnDecl& f = spec_->fns[static_cast<std::size_t>(fn)];
  q.cancel_routine_act = start_activity(fmt::format("{}[{}]", f.name, q.name), f, Role::Cancel, r,
                                        {Val{0, r, q.epoch}}, sync_device_of_req(r));
}

void RefMachine::power_snapshot() {
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    Req& q = reqs_[k];
    q.stop_notified = q.stop_to_call = q.stop_acked = false;
    if (!q.received || q.send_and_forget || !held_by_driver(q) || q.queue < 0) continue;
    if (!in_stage(q.queue)) continue;
    q.stop_notified = true;
    const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
    q.stop_to_call = !q.fx_canceled && handler_of(decl, "EvtIoStop") != ast::kNone;
  }
}

bool RefMachine::power_waiting() const {
  for (const Req& q : reqs_) {
    if (q.stop_notified && !q.stop_acked && held_by_driver(q)) return true;
  }
  return false;
}

void RefMachine::power_purge_stage() {
  stage_ = stage_ == 0 ? 1 : 2;
  for (std::size_t qi = 0; qi < queues_.size(); ++qi) {
    if (!in_stage(static_cast<int>(qi))) continue;
    QueueSt& qs = queues_[qi];
    qs.accepting = false;
    qs.shutdown = true;
    qs.cancel_dispatched = true;
    while (!qs.items.empty()) cancel_on_queue(qs.items.front());
    cancel_driver_cancelable(static_cast<int>(qi));
  }
  power_snapshot();
  power_ = PowerPhase::Notifying;
}

void RefMachine::env_stop() {
  const std::vector<const ast::EnvItem*> lines = stop_lines();
  if (lines.empty()) throw ReplayError{"the spec has no stop event"};
  if (power_ != PowerPhase::On || stop_line_ >= lines.size())
    throw BlockedSig{"no power transition can begin now"};
  if (pnp_busy()) throw BlockedSig{"a device callback of the last transition still runs"};
  const ast::EnvItem* line = lines[stop_line_];
  std::vector<std::string> options;
  // `stop symbolic` replays like `stop any`: the token names the kind, and the flags the
  // driver sees are the model's value of the stop action with the cancelable bit.
  const bool surprise = line->stop == ast::StopKind::Surprise;
  if (surprise) {
    options.emplace_back("stop:surprise");
  } else {
    if (line->stop != ast::StopKind::Purge) options.emplace_back("stop:suspend");
    if (line->stop != ast::StopKind::Suspend) options.emplace_back("stop:purge");
  }
  purge_ = options[choose(options)] != "stop:suspend";
  ++stop_line_;
  stage_ = 0;
  power_ = PowerPhase::Starting;
  if (surprise) start_device_callbacks(Role::SurpriseRemoval, "EvtDeviceSurpriseRemoval");
  start_device_callbacks(Role::Pnp, "EvtDeviceSelfManagedIoSuspend");
}

void RefMachine::env_power() {
  switch (power_) {
    case PowerPhase::On:
    case PowerPhase::Removed:
      throw BlockedSig{"no power transition is in progress"};
    case PowerPhase::Purging:
      if (pnp_busy())
        throw BlockedSig{"the removal waits for EvtDeviceSelfManagedIoFlush / EvtDeviceD0Exit"};
      power_purge_stage();
      return;
    case PowerPhase::Entering:
      if (pnp_busy()) throw BlockedSig{"the queues wait for EvtDeviceD0Entry to return"};
      if (!entry_called_) {
        entry_called_ = true;
        if (start_device_callbacks(Role::Pnp, "EvtDeviceD0Entry",
                                   {Val{named("WdfPowerDeviceD3Final")}}))
          return;
      }
      power_ = PowerPhase::On;
      return;
    case PowerPhase::Starting:
      if (pnp_busy()) throw BlockedSig{"the power-down waits for EvtDeviceSelfManagedIoSuspend"};
      for (const Act& a : acts_) {
        if (a.done || a.req < 0) continue;
        if (a.role != Role::EvtIo && a.role != Role::CanceledOnQueue && a.role != Role::Cancel)
          continue;
        const int q = reqs_[static_cast<std::size_t>(a.req)].queue;
        if (q >= 0 && in_stage(q))
          throw BlockedSig{fmt::format("the power-down waits for {} to return", a.key)};
      }
      power_snapshot();
      power_ = PowerPhase::Notifying;
      return;
    case PowerPhase::Notifying: {
      for (const Act& a : acts_) {
        if (!a.done && a.role == Role::Stop)
          throw BlockedSig{fmt::format("the framework waits for {} to return", a.key)};
      }
      const int32_t action = stage_ == 0 ? K().stop_suspend : K().stop_purge;
      for (std::size_t k = 0; k < reqs_.size(); ++k) {
        Req& q = reqs_[k];
        if (!q.stop_to_call) continue;
        q.stop_to_call = false;
        if (!held_by_driver(q)) continue;  // completed meanwhile: off the driver-owned list
        if (q.fx_canceled) continue;       // ProcessPowerEvents tests m_Canceled at the call
        const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
        int32_t flags = action | (q.cancel_fn >= 0 ? K().stop_cancelable : 0);
        ++q.refs;  // the framework holds a reference across the call
        q.stop_pending = true;
        q.stop_handled = false;
        const ast::FnDecl& fn = spec_->fns[handler_of(decl, "EvtIoStop")];
        int r = static_cast<int>(k);
        start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::Stop, r,
                       {Val{0, r, q.epoch}, Val{flags}}, sync_device_of_queue(q.queue));
        return;
      }
      release_held_callbacks();
      power_ = PowerPhase::Waiting;
      return;
    }
    case PowerPhase::Waiting:
      if (power_waiting()) throw BlockedSig{"the power transition waits for a notified request"};
      for (Req& q : reqs_) q.stop_notified = q.stop_acked = false;
      // After the power-down's EvtIoStop round: EvtDeviceD0Exit, which the next step awaits.
      if (stage_ == 0 &&
          start_device_callbacks(
              Role::Pnp, "EvtDeviceD0Exit",
              {Val{named(purge_ ? "WdfPowerDeviceD3Final" : "WdfPowerDeviceD3")}}) &&
          purge_) {
        power_ = PowerPhase::Purging;
        return;
      }
      if (!purge_) {
        power_ = PowerPhase::Off;
      } else if (stage_ == 2) {
        power_ = PowerPhase::Removed;
        start_device_callbacks(Role::Pnp, "EvtDeviceSelfManagedIoCleanup");
      } else if (stage_ == 1 && start_device_callbacks(Role::Pnp, "EvtDeviceSelfManagedIoFlush")) {
        power_ = PowerPhase::Purging;
      } else {
        power_purge_stage();
      }
      return;
    case PowerPhase::Off:
      if (pnp_busy()) throw BlockedSig{"the power-up waits for EvtDeviceD0Exit to return"};
      power_ = PowerPhase::Resuming;
      start_device_callbacks(Role::Pnp, "EvtDeviceD0Entry", {Val{named("WdfPowerDeviceD3")}});
      for (Req& q : reqs_) {
        if (!q.received || q.send_and_forget || q.fx_canceled || q.queue < 0) continue;
        if (!held_by_driver(q)) continue;
        const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
        q.resume_to_call = decl.power_managed && handler_of(decl, "EvtIoResume") != ast::kNone;
      }
      return;
    case PowerPhase::Resuming:
      if (pnp_busy()) throw BlockedSig{"the queues wait for EvtDeviceD0Entry to return"};
      for (const Act& a : acts_) {
        if (!a.done && a.role == Role::Resume)
          throw BlockedSig{fmt::format("the framework waits for {} to return", a.key)};
      }
      for (std::size_t k = 0; k < reqs_.size(); ++k) {
        Req& q = reqs_[k];
        if (!q.resume_to_call) continue;
        q.resume_to_call = false;
        if (!held_by_driver(q) || q.fx_canceled) continue;
        const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
        const ast::FnDecl& fn = spec_->fns[handler_of(decl, "EvtIoResume")];
        int r = static_cast<int>(k);
        ++q.refs;  // ProcessPowerEvents: ADDREF(FXREQUEST_HOLD_TAG) around EvtIoResume
        start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::Resume, r,
                       {Val{0, r, q.epoch}}, sync_device_of_queue(q.queue));
        return;
      }
      power_ = PowerPhase::On;
      release_held_callbacks();
      for (std::size_t q = 0; q < queues_.size(); ++q) {
        if (spec_->queues[q].power_managed && spec_->queues[q].dispatch == ast::Dispatch::Manual &&
            !queues_[q].items.empty())
          queues_[q].transition = true;
      }
      start_device_callbacks(Role::Pnp, "EvtDeviceSelfManagedIoRestart");
      return;
  }
}

void RefMachine::release_held_callbacks() {
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    Req& q = reqs_[k];
    const int r = static_cast<int>(k);
    if (q.cancel_held) {
      q.cancel_held = false;
      const int fn = q.held_cancel_fn;
      q.held_cancel_fn = -1;
      const ast::FnDecl& f = spec_->fns[static_cast<std::size_t>(fn)];
      q.cancel_routine_act = start_activity(fmt::format("{}[{}]", f.name, q.name), f, Role::Cancel,
                                            r, {Val{0, r, q.epoch}}, sync_device_of_req(r));
    }
    if (q.coq_held) {
      q.coq_held = false;
      const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
      const ast::FnDecl& f = spec_->fns[handler_of(decl, "EvtIoCanceledOnQueue")];
      start_activity(fmt::format("{}[{}]", f.name, q.name), f, Role::CanceledOnQueue, r,
                     {Val{0, r, q.epoch}}, sync_device_of_queue(q.queue));
    }
  }
}

}  // namespace cc
