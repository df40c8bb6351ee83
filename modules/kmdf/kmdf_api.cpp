// KMDF API calls (docs/semantics/kmdf.md, one section per call): each handler group checks
// the caller's ownership of the request and carries the call out.
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

Outcome Kmdf::exec_api(ApiCall& call) {
  switch (call.in->api()) {
    case ApiId::WdfRequestSend:
    case ApiId::WdfRequestSendAndForget:
      return api_send_options(call);
    case ApiId::WdfRequestCancelSentRequest:
      return api_send(call);
    case ApiId::WdfRequestCreate:
      return api_create(call);
    case ApiId::WdfIoTargetStart:
    case ApiId::WdfIoTargetStop:
    case ApiId::WdfIoTargetPurge:
    case ApiId::WdfIoTargetGetState:
    case ApiId::WdfUsbTargetPipeConfigContinuousReader:
      return api_target_state(call);
    case ApiId::WdfRequestComplete:
    case ApiId::WdfRequestCompleteWithInformation:
    case ApiId::WdfRequestGetStatus:
    case ApiId::WdfRequestSetCompletionRoutine:
      return api_complete(call);
    case ApiId::WdfRequestGetIoQueue:
      return api_get_io_queue(call);
    case ApiId::WdfRequestMarkCancelable:
    case ApiId::WdfRequestMarkCancelableEx:
    case ApiId::WdfRequestUnmarkCancelable:
    case ApiId::WdfRequestIsCanceled:
      return api_cancelable(call);
    case ApiId::WdfRequestReuse:
      return api_reuse(call);
    case ApiId::WdfIoQueueStop:
    case ApiId::WdfIoQueueStopSynchronously:
    case ApiId::WdfIoQueueStart:
    case ApiId::WdfIoQueuePurge:
    case ApiId::WdfIoQueuePurgeSynchronously:
    case ApiId::WdfIoQueueStopAndPurge:
    case ApiId::WdfIoQueueStopAndPurgeSynchronously:
    case ApiId::WdfIoQueueDrain:
    case ApiId::WdfIoQueueDrainSynchronously:
    case ApiId::WdfIoQueueGetState:
      return api_queue_state(call);
    case ApiId::WdfIoQueueFindRequest:
    case ApiId::WdfIoQueueRetrieveFoundRequest:
      return api_find(call);
    case ApiId::WdfTimerStart:
    case ApiId::WdfTimerStop:
    case ApiId::WdfDpcEnqueue:
    case ApiId::WdfDpcCancel:
    case ApiId::WdfWorkItemEnqueue:
    case ApiId::WdfWorkItemFlush:
    case ApiId::WdfInterruptQueueDpcForIsr:
    case ApiId::WdfInterruptAcquireLock:
    case ApiId::WdfInterruptReleaseLock:
    case ApiId::WdfInterruptSynchronize:
      return api_contexts(call);
    case ApiId::WdfIoQueueRetrieveRequestByFileObject:
    case ApiId::WdfIoQueueReadyNotify:
    case ApiId::WdfRequestGetFileObject:
      return api_files(call);
    case ApiId::WdfRequestForwardToIoQueue:
    case ApiId::WdfRequestRequeue:
    case ApiId::WdfIoQueueRetrieveNextRequest:
    case ApiId::WdfRequestStopAcknowledge:
      return api_queue(call);
    default:
      return api_object(call);
  }
}

/// WdfRequestGetIoQueue: the queue the request was delivered from (docs/semantics/kmdf.md).
/// After completion the handle may not be used (InvalidReqAccess: CR004); a created request
/// has no queue, and the NULL KMDF returns is not a WDFQUEUE value a spec can hold (CR008).
Outcome Kmdf::api_get_io_queue(ApiCall& call) {
  const Instr& in = *call.in;
  const std::string name(api_info(in.api()).name);
  auto r = check_handle(call.arg[0], name, in, false);
  if (!r) return Outcome::Violation;
  const uint8_t q = req(*r)[kRSrcQueue];
  if (reqs_[*r].created || q == kNoQueue) {
    return misuse(in,
                  fmt::format("{} on {}, a request created with WdfRequestCreate: it belongs to "
                              "no queue (KMDF returns NULL)",
                              name, reqs_[*r].name),
                  reqs_[*r].name);
  }
  ModuleBase::result(call, q);
  return Outcome::Continue;
}

Outcome Kmdf::api_send(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  switch (in.api()) {
    case ApiId::WdfRequestCancelSentRequest: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      Place p = place(*r);
      bool delivered = false;
      if (has(*r, kInStop)) set_flag(*r, kStopHandled);
      // FxRequestBase::Cancel: m_Canceled first; IoCancelIrp only while the request is out.
      if (p == Place::TargetPending || p == Place::TargetDelivered) {
        set_flag(*r, kFxCanceled);
        if (rec_) note(fmt::format("cancel sent for {}", reqs_[*r].name));
        event(EventKind::CancelSent, reqs_[*r].name);
        delivered = cancel_at_target(*r);
      } else if (p == Place::Driver) {
        set_flag(*r, kFxCanceled);
        set_flag(*r, kCancelAimed);
        if (rec_) note(fmt::format("cancel sent for {}: sets its cancel flag", reqs_[*r].name));
        event(EventKind::CancelSent, reqs_[*r].name);
      }
      result(call, delivered ? 1 : 0);
      break;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", name));
  }
  return Outcome::Continue;
}

Outcome Kmdf::api_complete(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  const auto act_kind = static_cast<ActKind>(act(call.act)[kAKind]);
  const uint32_t act_subject = act(call.act)[kASubject] ? act(call.act)[kASubject] - 1u : kNoSlot;
  switch (in.api()) {
    case ApiId::WdfRequestComplete:
    case ApiId::WdfRequestCompleteWithInformation: {
      int32_t h = arg[0];
      if (act_kind == ActKind::SurpriseRemoval) {
        return misuse(in, fmt::format("{} from EvtDeviceSurpriseRemoval, which is not "
                                      "synchronised with the power-down path (SDV "
                                      "EvtSurpriseRemoveNoRequestComplete, "
                                      "NoCancelFromEvtSurpriseRemove: complete requests in the "
                                      "self-managed I/O callbacks)",
                                      name));
      }
      uint32_t r0 = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
      if (h != 0 && r0 < nreq_ && req(r0)[kRCompletions] > 0 &&
          (place(r0) == Place::Completed || place(r0) == Place::Freed)) {
        ++req(r0)[kRCompletions];  // shown in the trace's state panel; never explored further
        if (rec_) note(fmt::format("completes {} again", reqs_[r0].name));
        event(EventKind::Completes, reqs_[r0].name);
        violation(RuleId::DoubleCompletion, in.src,
                  fmt::format("{} completed twice", reqs_[r0].name), reqs_[r0].name);
        return Outcome::Violation;
      }
      auto r = check_handle(h, name, in, false);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (reqs_[*r].created) {
        return misuse(in,
                      fmt::format("{} on {}, a request created with WdfRequestCreate (delete it "
                                  "with WdfObjectDelete)",
                                  name, rn),
                      rn);
      }
      if (!require_owned(*r, name, in)) return Outcome::Violation;
      if (req(*r)[kRCancelFn] != 0) {
        violation(RuleId::CompleteWhileCancelable, in.src,
                  fmt::format("{} completed while still marked cancelable", rn), rn);
        return Outcome::Violation;
      }
      if (has(*r, kUnmarkCancelled) && !(act_kind == ActKind::Cancel && act_subject == *r)) {
        violation(RuleId::CompleteAfterUnmarkCancelled, in.src,
                  fmt::format("{} completed after WdfRequestUnmarkCancelable returned "
                              "STATUS_CANCELLED (its cancel routine will complete it)",
                              rn),
                  rn);
        return Outcome::Violation;
      }
      complete(*r, arg[1], false);
      break;
    }
    case ApiId::WdfRequestGetStatus: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      if (place(*r) == Place::TargetPending || place(*r) == Place::TargetDelivered) {
        // docs/semantics: the status is defined once WdfRequestSend failed or the target
        // completed the request (SDV RequestGetStatusValid).
        return misuse(in,
                      fmt::format("{} on {} while target {} still holds it: the status is "
                                  "defined only after the target completes it or the send fails",
                                  name, reqs_[*r].name, spec_.targets[req(*r)[kRWhere]].name),
                      reqs_[*r].name);
      }
      if (tagged(req(*r) + kRStatus)) {  // a symbolic status: the result is the term
        call.ret = get32(req(*r) + kRStatus);
        c_.sym_result_ = true;
        if (rec_) {
          rec_->results[call.rec_at] = slot_text(req(*r) + kRStatus, TypeKind::Status);
          rec_->calls.back() = name + "=?";
        }
        break;
      }
      result(call, get32(req(*r) + kRStatus));
      break;
    }
    case ApiId::WdfRequestSetCompletionRoutine: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      req(*r)[kRComplFn] = arg[1] < 0 ? 0 : static_cast<uint8_t>(arg[1] + 1);  // NULL clears
      if (ext_) set32(rext(*r) + kXComplCtx, in.nargs > 2 && arg[1] >= 0 ? pin(arg[2]) : 0);
      break;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", name));
  }
  return Outcome::Continue;
}

Outcome Kmdf::api_cancelable(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  const uint32_t a = call.act;
  switch (in.api()) {
    case ApiId::WdfRequestMarkCancelable:
    case ApiId::WdfRequestMarkCancelableEx: {
      bool ex = in.api() == ApiId::WdfRequestMarkCancelableEx;
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (req(*r)[kRCancelFn] != 0) {
        if (!ex) {
          return misuse(in,
                        fmt::format("WdfRequestMarkCancelable on {}, which is already "
                                    "cancelable",
                                    rn),
                        rn);
        }
        result(call, k::STATUS_INVALID_DEVICE_REQUEST);
        break;
      }
      const uint8_t src = req(*r)[kRSrcQueue];
      bool purging = src != kNoQueue && (queue(src)[kQState] & kQCancelDispatched) != 0;
      if (has(*r, kCancelFlag) || purging) {
        set_flag(*r, kCancelAimed);
        if (ex) {
          set_flag(*r, kExIgnored);
          if (rec_) note(fmt::format("{} was already cancelled: the driver must complete it", rn));
          event(EventKind::CancelIgnored, rn);
          result(call, k::STATUS_CANCELLED);
          break;
        }
        // FxIoQueue::RequestCancelable: CancelForDriver. Called from a callback of the
        // request's own queue (its dispatch loop is busy), the routine runs from that loop
        // once the callback returns; called from anywhere else, before the call returns.
        // A caller holding the queue's synchronization lock cannot dispatch either
        // (FxIoQueue::CanThreadDispatchEventsLocked: m_CallbackLockPtr->IsOwner()).
        const auto ck = static_cast<ActKind>(act(a)[kAKind]);
        const uint8_t caller_subject = act(a)[kASubject];
        const bool own_queue =
            (ck == ActKind::IoHandler || ck == ActKind::CanceledOnQueue || ck == ActKind::Cancel ||
             ck == ActKind::Stop || ck == ActKind::Resume) &&
            caller_subject != 0 && src != kNoQueue && req(caller_subject - 1u)[kRSrcQueue] == src;
        const bool holds_lock = src != kNoQueue && (act(a)[kAFlags] & kHoldsSync) != 0 &&
                                queue_sync_lock(src) >= 0 &&
                                sync_holder(queue_sync_lock(src)) == a + 1;
        if (own_queue || holds_lock) {
          if (rec_) note(fmt::format("{} was already cancelled: its cancel routine runs next", rn));
          start_cancel_routine(*r, static_cast<uint32_t>(arg[1]));
          break;
        }
        set_flag(*r, kFired);
        set_flag(*r, kFxCanceled);
        if (rec_) {
          note(fmt::format(
              "{} was already cancelled: its cancel routine runs before the call returns", rn));
        }
        uint32_t child = spawn(ActKind::Cancel, static_cast<uint32_t>(arg[1]), *r, 0, false);
        act(child)[kAFlags] |= kInherited;
        act(a)[kAWait] = static_cast<uint8_t>(child + 1);
        break;
      }
      req(*r)[kRCancelFn] = static_cast<uint8_t>(arg[1] + 1);
      set_flag(*r, kFired | kCancelStarted, false);
      if (ex) result(call, k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfRequestUnmarkCancelable: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      if (req(*r)[kRCancelFn] != 0) {
        req(*r)[kRCancelFn] = 0;
        result(call, k::STATUS_SUCCESS);
      } else if (has(*r, kFired)) {
        if (!has(*r, kCancelStarted)) set_flag(*r, kUnmarkCancelled);
        if (rec_) note(fmt::format("Unmark returned STATUS_CANCELLED for {}", reqs_[*r].name));
        event(EventKind::UnmarkCancelled, reqs_[*r].name);
        result(call, k::STATUS_CANCELLED);
      } else {
        result(call, k::STATUS_INVALID_PARAMETER);
      }
      break;
    }
    case ApiId::WdfRequestIsCanceled: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r) return Outcome::Violation;
      if (place(*r) != Place::Driver) {  // documented: FALSE when the caller does not own it
        result(call, 0);
        break;
      }
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(in,
                      fmt::format("WdfRequestIsCanceled on {} while it is marked cancelable "
                                  "(unmark it first)",
                                  reqs_[*r].name),
                      reqs_[*r].name);
      }
      result(call, has(*r, kCancelFlag | kFxCanceled) ? 1 : 0);  // FxRequest::IsCancelled
      break;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", name));
  }
  return Outcome::Continue;
}

Outcome Kmdf::api_reuse(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  const uint32_t a = call.act;
  const CodeUnit& u = *call.unit;
  switch (in.api()) {
    case ApiId::WdfRequestReuse: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      Place p = place(*r);
      if (p == Place::TargetPending || p == Place::TargetDelivered) {
        return misuse(in,
                      fmt::format("WdfRequestReuse of {} while it is still active at target {}", rn,
                                  spec_.targets[req(*r)[kRWhere]].name),
                      rn);
      }
      if (!require_owned(*r, name, in)) return Outcome::Violation;
      if (in.nargs > 1 && (arg[1] & k::WDF_REQUEST_REUSE_SET_NEW_IRP) != 0) {
        result(call, k::STATUS_WDF_REQUEST_INVALID_STATE);
        break;
      }
      int32_t old = handle(*r);
      ++req(*r)[kREpoch];
      if (has(*r, kCancelFlag | kFxCanceled)) {
        set_flag(*r, kWiped);
        if (rec_) note(fmt::format("wipes the pending cancel of {}", rn));
        event(EventKind::WipesCancel, rn);
      }
      set_flag(*r, kCancelFlag | kFxCanceled, false);
      set_flag(*r, kTargetCancelable | kFired | kUnmarkCancelled, false);
      req(*r)[kRComplFn] = 0;
      if (ext_) set32(rext(*r) + kXComplCtx, 0);
      set_status(*r, in.nargs > 2 ? arg[2] : k::STATUS_SUCCESS);  // ReuseParams->Status
      if (rec_) note(fmt::format("reuses {}", rn));
      event(EventKind::Reuses, rn);
      // The reusing code knows about the reuse: its own registers follow the new epoch.
      int32_t fresh = handle(*r);
      for (std::size_t i = 0; i < u.reg_types.size(); ++i) {
        if (u.reg_types[i] == TypeKind::Request && reg(a, Reg{static_cast<uint16_t>(i)}) == old) {
          set_reg(a, Reg{static_cast<uint16_t>(i)}, fresh);
        }
      }
      result(call, k::STATUS_SUCCESS);
      break;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", name));
  }
  return Outcome::Continue;
}

}  // namespace cc::kmdf
