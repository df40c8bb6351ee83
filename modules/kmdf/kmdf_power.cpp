// KMDF power-down, power-up and removal (docs/semantics/kmdf.md "Power and removal"): the
// device's power phases, EvtIoStop and EvtIoResume called one request at a time, the purge
// of removal, and the callbacks the framework holds back while it notifies the driver.
// Source: FxPkgIo::StopProcessingForPower / ResumeProcessingForPower and
// FxIoQueue::ProcessPowerEvents (fxpkgio.cpp, fxioqueue.cpp).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

namespace {
/// The stage's EvtIoStop action flag.
int32_t stage_action(Stage st) {
  return st == Stage::Hold ? k::WdfRequestStopActionSuspend : k::WdfRequestStopActionPurge;
}
}  // namespace

bool Kmdf::in_stage(uint32_t q) const {
  const Power ph = phase();
  if (ph == Power::On || ph == Power::Removed) return false;
  const auto st = static_cast<Stage>(power_byte(kPStage));
  const bool pm = spec_.queues[q].power_managed;
  if (ph == Power::Off || ph == Power::Resuming) return pm;
  return st == Stage::PurgeUnmanaged ? !pm : pm;
}

bool Kmdf::power_held(uint32_t q) const {
  const Power ph = phase();
  if (ph == Power::On) return false;
  if (ph == Power::Removed) return true;
  // Power-managed queues stop dispatching from the start of the power-down until the resume
  // has notified the driver; the others dispatch until the removal purges them.
  if (spec_.queues[q].power_managed) return true;
  return static_cast<Stage>(power_byte(kPStage)) == Stage::PurgeUnmanaged;
}

bool Kmdf::powered_off(uint32_t q) const {
  const Power ph = phase();
  if (ph == Power::Removed) return true;
  if (!spec_.queues[q].power_managed) return false;
  if (ph == Power::Off || ph == Power::Entering) return true;
  if (ph == Power::Purging) return static_cast<Stage>(power_byte(kPStage)) != Stage::Hold;
  // During removal the power-managed queues are off again once their purge finished.
  return static_cast<Stage>(power_byte(kPStage)) == Stage::PurgeUnmanaged;
}

bool Kmdf::queue_dispatching(uint32_t q) const {
  // A queue callback still runs for one of q's requests (FxIoQueue::m_Dispatching > 1).
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0 || p[kASubject] == 0) continue;
    const auto kind = static_cast<ActKind>(p[kAKind]);
    if (kind != ActKind::IoHandler && kind != ActKind::CanceledOnQueue && kind != ActKind::Cancel)
      continue;
    if (req(p[kASubject] - 1u)[kRSrcQueue] == q) return true;
  }
  return false;
}

void Kmdf::start_cancel_routine(uint32_t r, uint32_t fn) {
  req(r)[kRCancelFn] = 0;
  set_flag(r, kFired);
  set_flag(r, kFxCanceled);
  const uint8_t q = req(r)[kRSrcQueue];
  if ((phase() == Power::Notifying || phase() == Power::Resuming) && q != kNoQueue && in_stage(q)) {
    // ProcessCancelledRequests delivers nothing while EvtIoStop / EvtIoResume calls are made.
    req(r)[kRHeldFn] = static_cast<uint8_t>(fn + 1);
    set_flag(r, kCancelHeld);
    if (rec_) note(fmt::format("its cancel routine waits until EvtIoStop was called for all"));
    return;
  }
  spawn(ActKind::Cancel, fn, r, 0, false);
}

void Kmdf::cancel_driver_cancelable(uint32_t q) {
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (place(r) != Place::Driver || req(r)[kRSrcQueue] != q || req(r)[kRCancelFn] == 0) continue;
    if (has(r, kCancelHeld)) continue;
    if (rec_) note(fmt::format("the framework cancels {}, which the driver holds", reqs_[r].name));
    start_cancel_routine(r, req(r)[kRCancelFn] - 1u);
  }
}

void Kmdf::cancel_all_queued(uint32_t q) {
  while (queue(q)[kQCount] != 0) cancel_queued(queue(q)[kQItems]);
}

void Kmdf::framework_step(std::string event, const SourceRange& src, std::string action) {
  if (!rec_) return;
  rec_->lane = "framework";
  rec_->event = std::move(event);
  rec_->actor = ActorKind::Framework;
  rec_->first_src(src);
  rec_->actions.push_back(std::move(action));
  rec_->results.emplace_back();
}

void Kmdf::power_record(std::string action) {
  if (!rec_) return;
  rec_->lane = "framework";
  rec_->event = "power";
  rec_->actor = ActorKind::Framework;
  rec_->first_src(spec_.environment[stop_items_[power_byte(kPLine) - 1u]].range);
  rec_->actions.push_back(std::move(action));
  rec_->results.emplace_back();
}

void Kmdf::power_snapshot() {
  // FxIoQueue::ProcessPowerEvents: the driver-owned list becomes the notified list; EvtIoStop
  // is due for each request the framework has not cancelled (m_Canceled).
  for (uint32_t r = 0; r < nreq_; ++r) {
    set_flag(r, kStopNotified | kStopToCall | kStopAcked, false);
    if (reqs_[r].created || has(r, kForget)) continue;
    if (!held(r)) continue;
    const uint8_t q = req(r)[kRSrcQueue];
    if (q == kNoQueue || !in_stage(q)) continue;
    set_flag(r, kStopNotified);
    if (!has(r, kFxCanceled) && queue_handler(q, "EvtIoStop") != ast::kNone) {
      set_flag(r, kStopToCall);
    }
  }
}

RunResult Kmdf::power_notify_next() {
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] != 0 && static_cast<ActKind>(p[kAKind]) == ActKind::Stop) {
      return RunResult::Disabled;  // one call at a time, from the power thread
    }
  }
  const auto st = static_cast<Stage>(power_byte(kPStage));
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (!has(r, kStopToCall)) continue;
    set_flag(r, kStopToCall, false);
    if (!held(r)) continue;
    if (has(r, kFxCanceled)) continue;  // ProcessPowerEvents tests m_Canceled at the call
    const uint8_t q = req(r)[kRSrcQueue];
    const int32_t fl =
        stage_action(st) | (req(r)[kRCancelFn] != 0 ? k::WdfRequestStopRequestCancelable : 0);
    power_record(fmt::format("calls EvtIoStop for {}", reqs_[r].name));
    set_flag(r, kInStop);
    set_flag(r, kStopHandled, false);
    ++req(r)[kRRefs];  // the framework's hold across EvtIoStop
    const uint32_t slot = spawn(ActKind::Stop, queue_handler(q, "EvtIoStop"), r, fl, true);
    const ast::EnvItem& it = spec_.environment[stop_items_[power_byte(kPLine) - 1u]];
    if (it.stop == ast::StopKind::Symbolic) {
      const SymTermId action = symbolic_stop_action(st != Stage::Hold);
      if (!action.valid()) return RunResult::Disabled;
      symbolic_stop_flags(slot, r, action);
    }
    return RunResult::Done;
  }
  // Every call was made: the held cancel callbacks are delivered now.
  power_record("has called EvtIoStop for every request the driver holds");
  release_held_callbacks();
  set_phase(Power::Waiting);
  return RunResult::Done;
}

void Kmdf::release_held_callbacks() {
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (has(r, kCancelHeld)) {
      set_flag(r, kCancelHeld, false);
      const uint32_t fn = req(r)[kRHeldFn] - 1u;
      req(r)[kRHeldFn] = 0;
      spawn(ActKind::Cancel, fn, r, 0, false);
    }
    if (has(r, kCoqHeld)) {
      set_flag(r, kCoqHeld, false);
      spawn(ActKind::CanceledOnQueue, queue_handler(req(r)[kRSrcQueue], "EvtIoCanceledOnQueue"), r,
            0, false);
    }
  }
}

bool Kmdf::power_waiting() const {
  // The transition waits for every notified request to be acknowledged or to leave the driver.
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (!has(r, kStopNotified) || has(r, kStopAcked)) continue;
    if (held(r)) return true;
  }
  return false;
}

void Kmdf::power_done() {
  const auto st = static_cast<Stage>(power_byte(kPStage));
  for (uint32_t r = 0; r < nreq_; ++r) {
    set_flag(r, kStopNotified | kStopAcked, false);
  }
  // The queues are stopped: EvtDeviceD0Exit (FxPkgPnp's power-down, after the power-managed
  // queues; "EvtIoStop(Suspend) ... EvtDeviceD0Exit(WdfPowerDeviceD3Final) ... EvtIoStop(Purge)").
  const bool removal = power_byte(kPPurge) != 0;
  const bool d0exit = st == Stage::Hold && spawn_device_callbacks(ActKind::Pnp, "EvtDeviceD0Exit",
                                                                  removal ? k::WdfPowerDeviceD3Final
                                                                          : k::WdfPowerDeviceD3);
  if (d0exit) power_record("the queues are stopped: calls EvtDeviceD0Exit");
  if (!removal) {
    power_record("the device is in low power: power-managed queues hold new requests");
    set_phase(Power::Off);
    return;
  }
  if (d0exit) {  // the purge waits for EvtDeviceD0Exit
    set_phase(Power::Purging);
    return;
  }
  if (st == Stage::PurgeUnmanaged) {
    power_record("the device is removed");
    set_phase(Power::Removed);
    // PnpEventRemovedCommonCode: self-managed I/O cleanup after the last purge.
    spawn_device_callbacks(ActKind::Pnp, "EvtDeviceSelfManagedIoCleanup");
    return;
  }
  const Stage next = st == Stage::Hold ? Stage::PurgeManaged : Stage::PurgeUnmanaged;
  bool flush = false;
  for (uint32_t d = 0; d < spec_.devices.size(); ++d) {
    flush = flush || device_handler(d, "EvtDeviceSelfManagedIoFlush") != ast::kNone;
  }
  if (next == Stage::PurgeUnmanaged && flush) {
    // Between the two purges: EvtDeviceSelfManagedIoFlush, which the removal waits for.
    power_record("device removal: calls EvtDeviceSelfManagedIoFlush");
    spawn_device_callbacks(ActKind::Pnp, "EvtDeviceSelfManagedIoFlush");
    set_phase(Power::Purging);
    return;
  }
  start_purge_stage(next);
}

void Kmdf::start_purge_stage(Stage next) {
  // Removal: purge the power-managed queues, then the others (FxPkgPnp::PnpCleanupForRemove,
  // PnpEventRemovedCommonCode): each stops accepting for good, its queued requests and the
  // driver's cancelable ones are cancelled, then EvtIoStop(Purge) for the rest.
  power_byte(kPStage) = static_cast<uint8_t>(next);
  power_record(next == Stage::PurgeManaged ? "device removal: purges the power-managed queues"
                                           : "device removal: purges the other queues");
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    if (!in_stage(q)) continue;
    queue(q)[kQState] |= kQNotAccepting | kQShutdown | kQCancelDispatched;
    cancel_all_queued(q);
    cancel_driver_cancelable(q);
  }
  power_snapshot();
  set_phase(Power::Notifying);
}

uint32_t Kmdf::device_handler(uint32_t d, std::string_view h) const {
  for (const ast::HandlerBinding& b : spec_.devices[d].handlers) {
    if (b.handler == h) return b.fn;
  }
  return ast::kNone;
}

bool Kmdf::spawn_device_callbacks(ActKind kind, std::string_view h, int32_t state) {
  bool any = false;
  for (uint32_t d = 0; d < spec_.devices.size(); ++d) {
    const uint32_t fn = device_handler(d, h);
    if (fn == ast::kNone) continue;
    const uint32_t slot = spawn(kind, fn, kNoSlot, 0, false);
    if (state >= 0) c_.set_param(slot, 0, state);
    any = true;
  }
  return any;
}

bool Kmdf::pnp_busy() const {
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] != 0 && static_cast<ActKind>(p[kAKind]) == ActKind::Pnp) return true;
  }
  return false;
}

RunResult Kmdf::env_stop() {
  if (phase() != Power::On || power_byte(kPLine) >= stop_items_.size()) return RunResult::Disabled;
  if (pnp_busy()) return RunResult::Disabled;  // PnP and power callbacks are serialised
  const ast::EnvItem& it = spec_.environment[stop_items_[power_byte(kPLine)]];
  const bool surprise = it.stop == ast::StopKind::Surprise;
  bool purge = it.stop == ast::StopKind::Purge || surprise;
  if (it.stop == ast::StopKind::Any || it.stop == ast::StopKind::Symbolic) {
    purge = c_.oracle_.choose(2) == 1;
  }
  ++power_byte(kPLine);
  power_byte(kPPurge) = purge ? 1 : 0;
  power_byte(kPStage) = static_cast<uint8_t>(Stage::Hold);
  set_phase(Power::Starting);
  if (rec_) {
    rec_->choices.emplace_back(surprise ? "stop:surprise" : purge ? "stop:purge" : "stop:suspend");
    rec_->lane = "framework";
    rec_->event = "stop";
    rec_->actor = ActorKind::Framework;
    rec_->first_src(it.range);
    rec_->actions.push_back(surprise ? "surprise removal: powers the device down, then purges"
                            : purge  ? "device removal: powers the device down, then purges"
                                     : "device power-down: power-managed queues stop dispatching");
    rec_->results.emplace_back();
  }
  // IRP_MN_SURPRISE_REMOVAL: EvtDeviceSurpriseRemoval, which nothing waits for; then, as for
  // every power-down, EvtDeviceSelfManagedIoSuspend before the queues stop.
  if (surprise) spawn_device_callbacks(ActKind::SurpriseRemoval, "EvtDeviceSurpriseRemoval");
  spawn_device_callbacks(ActKind::Pnp, "EvtDeviceSelfManagedIoSuspend");
  return RunResult::Done;
}

RunResult Kmdf::env_power() {
  switch (phase()) {
    case Power::On:
    case Power::Removed:
      return RunResult::Disabled;
    case Power::Purging:
      if (pnp_busy()) return RunResult::Disabled;
      start_purge_stage(static_cast<Stage>(power_byte(kPStage)) == Stage::Hold
                            ? Stage::PurgeManaged
                            : Stage::PurgeUnmanaged);
      return RunResult::Done;
    case Power::Entering:
      if (pnp_busy()) return RunResult::Disabled;  // the first EvtDeviceD0Entry still runs
      if (power_byte(kPPurge) == 0) {  // EvtDevicePrepareHardware returned: EvtDeviceD0Entry
        power_byte(kPPurge) = 1;
        if (spawn_device_callbacks(ActKind::Pnp, "EvtDeviceD0Entry", k::WdfPowerDeviceD3Final)) {
          for (uint32_t d = 0; d < spec_.devices.size(); ++d) {
            if (device_handler(d, "EvtDeviceD0Entry") == ast::kNone) continue;
            framework_step("power", spec_.devices[d].range,
                           "EvtDevicePrepareHardware returned: calls EvtDeviceD0Entry");
            break;
          }
          return RunResult::Done;
        }
      }
      power_byte(kPPurge) = 0;
      set_phase(Power::On);
      for (uint32_t d = 0; d < spec_.devices.size(); ++d) {
        if (device_handler(d, "EvtDeviceD0Entry") == ast::kNone) continue;
        framework_step("power", spec_.devices[d].range,
                       "EvtDeviceD0Entry returned: the power-managed queues dispatch");
        break;
      }
      return RunResult::Done;
    case Power::Starting:
      if (pnp_busy()) return RunResult::Disabled;  // EvtDeviceSelfManagedIoSuspend runs first
      // FxIoQueue::StartPowerTransitionOff: wait until no callback of a power-managed queue
      // is being dispatched.
      for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
        if (in_stage(q) && queue_dispatching(q)) return RunResult::Disabled;
      }
      power_snapshot();
      set_phase(Power::Notifying);
      power_record("no queue callback runs: the power-managed queues stop");
      return RunResult::Done;
    case Power::Notifying:
      return power_notify_next();
    case Power::Waiting:
      if (power_waiting()) return RunResult::Disabled;
      power_done();
      return RunResult::Done;
    case Power::Off: {
      if (pnp_busy()) return RunResult::Disabled;  // EvtDeviceD0Exit still runs
      // Power-up (FxPkgIo::ResumeProcessingForPower): EvtDeviceD0Entry first, then EvtIoResume
      // for each request the driver still owns and the framework has not cancelled.
      set_phase(Power::Resuming);
      power_record("device power-up: EvtIoResume for the requests the driver kept");
      if (spawn_device_callbacks(ActKind::Pnp, "EvtDeviceD0Entry", k::WdfPowerDeviceD3)) {
        note("calls EvtDeviceD0Entry before the queues resume");
      }
      for (uint32_t r = 0; r < nreq_; ++r) {
        const uint8_t q = req(r)[kRSrcQueue];
        if (reqs_[r].created || has(r, kForget) || has(r, kFxCanceled) || q == kNoQueue) continue;
        if (!held(r)) continue;
        if (!spec_.queues[q].power_managed || queue_handler(q, "EvtIoResume") == ast::kNone)
          continue;
        set_flag(r, kResumeToCall);
      }
      return RunResult::Done;
    }
    case Power::Resuming: {
      if (pnp_busy()) return RunResult::Disabled;  // EvtDeviceD0Entry returns first
      for (uint32_t a = 0; a < c_.nact_; ++a) {
        const uint8_t* p = act(a);
        if (p[kAUnit] != 0 && static_cast<ActKind>(p[kAKind]) == ActKind::Resume) {
          return RunResult::Disabled;
        }
      }
      for (uint32_t r = 0; r < nreq_; ++r) {
        if (!has(r, kResumeToCall)) continue;
        set_flag(r, kResumeToCall, false);
        if (!held(r)) continue;
        if (has(r, kFxCanceled)) continue;
        power_record(fmt::format("calls EvtIoResume for {}", reqs_[r].name));
        ++req(r)[kRRefs];  // ProcessPowerEvents: ADDREF(FXREQUEST_HOLD_TAG) around the call
        spawn(ActKind::Resume, queue_handler(req(r)[kRSrcQueue], "EvtIoResume"), r, 0, false);
        return RunResult::Done;
      }
      power_record("the device is working again: the queues dispatch");
      set_phase(Power::On);
      release_held_callbacks();
      for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
        // FxIoQueue::ResumeProcessingForPower: a queue with requests owes a ready notification.
        if (spec_.queues[q].power_managed && queue(q)[kQCount] > 0) note_transition(q);
      }
      spawn_device_callbacks(ActKind::Pnp, "EvtDeviceSelfManagedIoRestart");
      return RunResult::Done;
    }
  }
  return RunResult::Disabled;
}

}  // namespace cc::kmdf
