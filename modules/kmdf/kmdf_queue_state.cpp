// KMDF queue state changes (docs/semantics/kmdf.md "Queue states"): WdfIoQueueStop, Start,
// Purge, StopAndPurge, Drain and their synchronous forms, WdfIoQueueFindRequest,
// WdfIoQueueRetrieveFoundRequest and WdfIoQueueGetState. Source: FxIoQueue::QueueIdle,
// QueuePurge, QueueStart, PeekRequest, GetRequest, GetState (fxioqueue.cpp).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

bool Kmdf::por_possible() const {
  // Completing any request of a queue can end its stop or purge: no request is independent.
  if (!stop_items_.empty()) return false;
  // Completing a request of a file handle can let its close happen.
  for (const ast::EnvItem& it : spec_.environment) {
    if (it.kind == ast::EnvKind::Close) return false;
  }
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op == Op::Api && stops_or_purges_queue(in.api())) return false;
    }
  }
  return true;
}

uint32_t Kmdf::driver_owned(uint32_t q) const {
  uint32_t n = 0;
  for (uint32_t r = 0; r < nreq_; ++r) n += req(r)[kRSrcQueue] == q && !has(r, kForget) && held(r);
  return n;
}

bool Kmdf::queue_wait_done(uint32_t q, QueueWait w) const {
  // FxIoQueue::DispatchEvents: m_Dispatching == 1 and m_DriverIoCount == 0 (and, for a purge,
  // nothing queued).
  if (queue_dispatching(q) || driver_owned(q) != 0) return false;
  return w != QueueWait::Purged || queue(q)[kQCount] == 0;
}

RunResult Kmdf::env_queue_done(uint32_t q) {
  uint8_t* qp = queue(q);
  if (qp[kQCbFn] == 0 || !queue_wait_done(q, static_cast<QueueWait>(qp[kQCbKind]))) {
    return RunResult::Disabled;
  }
  const uint32_t fn = qp[kQCbFn] - 1u;
  qp[kQCbFn] = 0;
  qp[kQCbKind] = 0;
  qp[kQState] &= static_cast<uint8_t>(~kQCancelDispatched);  // cleared by the callback
  if (rec_) {
    framework_step(fmt::format("queue {}", spec_.queues[q].name), spec_.queues[q].range,
                   fmt::format("queue {} is idle: calls {}", spec_.queues[q].name, fn_name(fn)));
  }
  spawn(ActKind::QueueState, fn, kNoSlot, 0, false);
  return RunResult::Done;
}

bool Kmdf::wait_over(uint32_t a) {
  if (target_wait_over(a)) return true;
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    uint8_t* qp = queue(q);
    if (qp[kQSyncWaiter] != a + 1) continue;
    if (!queue_wait_done(q, static_cast<QueueWait>(qp[kQCbKind]))) return false;
    qp[kQSyncWaiter] = 0;
    qp[kQCbKind] = 0;
    qp[kQState] &= static_cast<uint8_t>(~kQCancelDispatched);
    return true;
  }
  return false;
}

Outcome Kmdf::api_queue_state(ApiCall& call) {
  const Instr& in = *call.in;
  const ApiId id = in.api();
  const auto q = static_cast<uint32_t>(call.arg[0]);
  uint8_t* qp = queue(q);
  const std::string& qn = spec_.queues[q].name;
  if (id == ApiId::WdfIoQueueGetState) {
    // FxIoQueue::GetState: the accept and dispatch bits, the two "no requests" bits, and
    // PnpHeld for a power-managed queue that is not powered on.
    int32_t st = 0;
    if ((qp[kQState] & kQNotAccepting) == 0) st |= k::WdfIoQueueAcceptRequests;
    if ((qp[kQState] & kQNotDispatching) == 0) st |= k::WdfIoQueueDispatchRequests;
    if (qp[kQCount] == 0) st |= k::WdfIoQueueNoRequests;
    if (driver_owned(q) == 0) st |= k::WdfIoQueueDriverNoRequests;
    if (spec_.queues[q].power_managed && phase() != Power::On) st |= k::WdfIoQueuePnpHeld;
    result(call, st);
    return Outcome::Continue;
  }
  if (id == ApiId::WdfIoQueueStart) {
    qp[kQState] &= static_cast<uint8_t>(~(kQNotDispatching | kQCancelDispatched));
    if ((qp[kQState] & kQShutdown) == 0) qp[kQState] &= static_cast<uint8_t>(~kQNotAccepting);
    if (qp[kQCount] > 0) note_transition(q);  // FxIoQueue::QueueStart
    if (rec_) note(fmt::format("queue {} accepts and dispatches again", qn));
    return Outcome::Continue;
  }
  const bool sync =
      id == ApiId::WdfIoQueueStopSynchronously || id == ApiId::WdfIoQueuePurgeSynchronously ||
      id == ApiId::WdfIoQueueStopAndPurgeSynchronously || id == ApiId::WdfIoQueueDrainSynchronously;
  const int32_t fn = sync || in.nargs < 2 ? -1 : call.arg[1];
  if ((sync || fn >= 0) && (qp[kQCbFn] != 0 || qp[kQSyncWaiter] != 0)) {
    // A second Stop/Purge with a callback while one is pending: FxIoQueue::FatalError.
    return misuse(in, fmt::format("{} on queue {} while another stop or purge of it is still "
                                  "pending (SDV ChangeQueueState)",
                                  api_info(id).name, qn));
  }
  const ActKind caller = static_cast<ActKind>(act(call.act)[kAKind]);
  if (caller == ActKind::SurpriseRemoval) {
    return misuse(in, fmt::format("{} on queue {} from EvtDeviceSurpriseRemoval, which is not "
                                  "synchronised with the power-down path (SDV "
                                  "EvtSurpriseRemoveNoSuspendQueue, NoCancelFromEvtSurpriseRemove: "
                                  "use the self-managed I/O callbacks)",
                                  api_info(id).name, qn));
  }
  if (sync && caller == ActKind::IoHandler) {
    return misuse(in, fmt::format("{} from a request handler (SDV NoIoQueuePurgeSynchronously: "
                                  "not from EvtIoDefault, EvtIoRead, EvtIoWrite or "
                                  "EvtIoDeviceControl)",
                                  api_info(id).name));
  }
  if ((id == ApiId::WdfIoQueueDrain || id == ApiId::WdfIoQueueDrainSynchronously) &&
      (qp[kQState] & kQNotDispatching) != 0) {
    return misuse(in, fmt::format("{} on queue {} after WdfIoQueueStop without WdfIoQueueStart "
                                  "(SDV ChangeQueueState)",
                                  api_info(id).name, qn));
  }
  QueueWait wait = QueueWait::Idle;
  switch (id) {
    // FxIoQueue::QueueIdle: SetState(AcceptRequests | ClearDispatchRequests).
    case ApiId::WdfIoQueueStop:
    case ApiId::WdfIoQueueStopSynchronously:
      qp[kQState] |= kQNotDispatching;
      if ((qp[kQState] & kQShutdown) == 0) qp[kQState] &= static_cast<uint8_t>(~kQNotAccepting);
      break;
    case ApiId::WdfIoQueueStopAndPurge:
    case ApiId::WdfIoQueueStopAndPurgeSynchronously:
      qp[kQState] |= kQNotDispatching | kQCancelDispatched;
      if ((qp[kQState] & kQShutdown) == 0) qp[kQState] &= static_cast<uint8_t>(~kQNotAccepting);
      cancel_all_queued(q);
      cancel_driver_cancelable(q);
      break;
    case ApiId::WdfIoQueuePurge:
    case ApiId::WdfIoQueuePurgeSynchronously:
      qp[kQState] |= kQNotAccepting | kQCancelDispatched;
      cancel_all_queued(q);
      cancel_driver_cancelable(q);
      wait = QueueWait::Purged;
      break;
    default:  // Drain
      qp[kQState] |= kQNotAccepting;
      wait = QueueWait::Purged;
      break;
  }
  if (rec_) note(fmt::format("queue {}: {}", qn, api_info(id).name));
  if (sync) {
    qp[kQSyncWaiter] = static_cast<uint8_t>(call.act + 1);
    qp[kQCbKind] = static_cast<uint8_t>(wait);
    act(call.act)[kAFlags] |= kModuleWait;
  } else if (fn >= 0) {
    qp[kQCbFn] = static_cast<uint8_t>(fn + 1);
    qp[kQCbKind] = static_cast<uint8_t>(wait);
  }
  return Outcome::Continue;
}

Outcome Kmdf::api_find(ApiCall& call) {
  const Instr& in = *call.in;
  const ApiId id = in.api();
  const auto q = static_cast<uint32_t>(call.arg[0]);
  const std::string name(api_info(id).name);
  // The request found earlier (a reference the driver holds keeps its handle valid).
  std::optional<uint32_t> found;
  if (call.arg[1] != 0) {
    found = check_handle(call.arg[1], name, in, true);
    if (!found) return Outcome::Violation;
  } else if (id == ApiId::WdfIoQueueRetrieveFoundRequest) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on a NULL request handle", name));
    return Outcome::Violation;
  }
  const auto queued_at = [&](uint32_t r) {
    return place(r) == Place::Queued && req(r)[kRWhere] == q;
  };
  int32_t out = 0;
  const ast::Dispatch dispatch = spec_.queues[q].dispatch;
  if (id == ApiId::WdfIoQueueFindRequest) {
    // FxIoQueue::PeekRequest: manual queues only; skips requests whose IRP was cancelled;
    // the request found carries a reference the driver must drop.
    if (dispatch != ast::Dispatch::Manual) {
      result(call, k::STATUS_INVALID_DEVICE_REQUEST);
    } else if (found && !queued_at(*found)) {
      result(call, k::STATUS_NOT_FOUND);
    } else {
      const uint8_t* qp = queue(q);
      uint32_t i = 0;
      if (found) {
        while (i < qp[kQCount] && qp[kQItems + i] != *found) ++i;
        ++i;
      }
      while (i < qp[kQCount] && has(qp[kQItems + i], kCancelFlag)) ++i;
      if (i >= qp[kQCount]) {
        result(call, k::STATUS_NO_MORE_ENTRIES);
      } else {
        const uint32_t r = qp[kQItems + i];
        if (req(r)[kRRefs] < 250) ++req(r)[kRRefs];
        set_flag(r, kFoundRef);
        out = handle(r);
        if (rec_) note(fmt::format("finds {} (a reference taken)", reqs_[r].name));
        result(call, k::STATUS_SUCCESS);
      }
    }
  } else if (!has(*found, kFoundRef)) {
    return misuse(in,
                  fmt::format("{} of {}, which no successful WdfIoQueueFindRequest returned or "
                              "whose reference was dropped (SDV WdfIoQueueRetrieveFoundRequest)",
                              name, reqs_[*found].name),
                  reqs_[*found].name);
  } else if (dispatch == ast::Dispatch::Parallel) {
    result(call, k::STATUS_INVALID_DEVICE_STATE);
  } else if (powered_off(q) || (queue(q)[kQState] & kQNotDispatching) != 0) {
    result(call, k::STATUS_WDF_PAUSED);
  } else if (!queued_at(*found)) {
    result(call, k::STATUS_NOT_FOUND);
  } else {
    out = retrieve(q, *found);
    result(call, k::STATUS_SUCCESS);
  }
  bool bad = false;
  int32_t* p = c_.loc_ptr(call.act, in.loc, in, name.c_str(), bad);
  if (bad) return Outcome::Violation;
  std::memcpy(p, &out, 4);
  return Outcome::Continue;
}

}  // namespace cc::kmdf
