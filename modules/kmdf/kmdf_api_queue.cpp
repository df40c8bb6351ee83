// KMDF calls that move requests between queues and the driver, and object lifetime and
// timer calls (docs/semantics/kmdf.md).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

Outcome Kmdf::api_queue(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  const uint32_t a = call.act;
  const auto act_kind = static_cast<ActKind>(act(call.act)[kAKind]);
  switch (in.api()) {
    case ApiId::WdfRequestForwardToIoQueue: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      auto q2 = static_cast<uint32_t>(arg[1]);
      uint8_t src = req(*r)[kRSrcQueue];
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(in,
                      fmt::format("WdfRequestForwardToIoQueue of {} while it is marked "
                                  "cancelable (unmark it first)",
                                  rn),
                      rn);
      }
      if (reqs_[*r].created || src == kNoQueue || src == q2 ||
          device_of_queue(src) != device_of_queue(q2)) {
        result(call, k::STATUS_INVALID_DEVICE_REQUEST);
        break;
      }
      if (!queue_accepting(q2)) {
        result(call, k::STATUS_WDF_BUSY);
        break;
      }
      release_current(*r);
      queue_push(q2, *r, false);
      req(*r)[kRSrcQueue] = static_cast<uint8_t>(q2);
      set_flag(*r, kForwarded);
      if (rec_) note(fmt::format("gives {} to queue {}", rn, spec_.queues[q2].name));
      event(EventKind::Gives, rn);
      if (has(*r, kCancelFlag)) cancel_queued(*r);
      result(call, k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfRequestRequeue: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      uint8_t src = req(*r)[kRSrcQueue];
      if (req(*r)[kRCancelFn] != 0) {
        return misuse(in, fmt::format("WdfRequestRequeue of {} while it is marked cancelable", rn),
                      rn);
      }
      if (act_kind == ActKind::CanceledOnQueue && act(a)[kASubject] == *r + 1) {
        return misuse(in,
                      fmt::format("WdfRequestRequeue of {} in EvtIoCanceledOnQueue: the driver "
                                  "cannot requeue it (the framework cancels it again)",
                                  rn),
                      rn);
      }
      if (src == kNoQueue || spec_.queues[src].dispatch != ast::Dispatch::Manual) {
        result(call, k::STATUS_INVALID_DEVICE_REQUEST);
        break;
      }
      release_current(*r);
      queue_push(src, *r, true);
      set_flag(*r, kForwarded);
      if (rec_) note(fmt::format("gives {} back to queue {}", rn, spec_.queues[src].name));
      event(EventKind::Gives, rn);
      // FxIoQueue::Requeue: a purge in progress or a cancelled IRP cancels it instead.
      if (has(*r, kCancelFlag) || (queue(src)[kQState] & kQCancelDispatched) != 0) {
        cancel_queued(*r);
      }
      result(call, k::STATUS_SUCCESS);
      break;
    }
    case ApiId::WdfIoQueueRetrieveNextRequest: {
      auto q = static_cast<uint32_t>(arg[0]);
      int32_t out = 0;
      for (uint32_t o = 0; o < nreq_; ++o) {
        if (has(o, kFoundRef) && place(o) == Place::Queued && req(o)[kRWhere] == q) {
          return misuse(in,
                        fmt::format("WdfIoQueueRetrieveNextRequest on queue {} after "
                                    "WdfIoQueueFindRequest found {} there: retrieve it with "
                                    "WdfIoQueueRetrieveFoundRequest (SDV "
                                    "WdfIoQueueRetrieveNextRequest)",
                                    spec_.queues[q].name, reqs_[o].name),
                        reqs_[o].name);
        }
      }
      // FxIoQueue::GetRequest: not on parallel queues; paused while powered off or stopped.
      if (spec_.queues[q].dispatch == ast::Dispatch::Parallel) {
        result(call, k::STATUS_INVALID_DEVICE_STATE);
      } else if (powered_off(q) || (queue(q)[kQState] & kQNotDispatching) != 0) {
        result(call, k::STATUS_WDF_PAUSED);
      } else if (queue(q)[kQCount] == 0) {
        result(call, k::STATUS_NO_MORE_ENTRIES);
      } else {
        out = retrieve(q, queue(q)[kQItems]);
        result(call, k::STATUS_SUCCESS);
      }
      bool bad = false;
      int32_t* p = c_.loc_ptr(a, in.loc, in, "WdfIoQueueRetrieveNextRequest", bad);
      if (bad) return Outcome::Violation;
      std::memcpy(p, &out, 4);
      break;
    }
    case ApiId::WdfRequestStopAcknowledge: {
      // The framework's hold across EvtIoStop keeps the handle valid even if another
      // activity completed the request meanwhile.
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (act_kind != ActKind::Stop) {
        return misuse(in, fmt::format("WdfRequestStopAcknowledge on {} outside EvtIoStop", rn), rn);
      }
      bool requeue = arg[1] != 0;
      const uint8_t sq = req(*r)[kRSrcQueue];
      if (!requeue && spec_.sdv_strict && sq != kNoQueue &&
          queue_handler(sq, "EvtIoResume") == ast::kNone) {
        return misuse(in,
                      fmt::format("WdfRequestStopAcknowledge({}, FALSE) on queue {}, which has no "
                                  "EvtIoResume (SDV EvtIoStopResume)",
                                  rn, spec_.queues[sq].name),
                      rn);
      }
      if (requeue) {
        if (!require_owned(*r, name, in)) return Outcome::Violation;
        if (req(*r)[kRCancelFn] != 0) {
          return misuse(in,
                        fmt::format("WdfRequestStopAcknowledge(TRUE) on {} while it is marked "
                                    "cancelable",
                                    rn),
                        rn);
        }
        uint8_t src = req(*r)[kRSrcQueue];
        release_current(*r);
        if (src != kNoQueue) queue_push(src, *r, true);
        set_flag(*r, kForwarded);
        if (rec_)
          note(fmt::format("gives {} back to queue {}", rn,
                           src != kNoQueue ? spec_.queues[src].name : "?"));
        event(EventKind::Gives, rn);
        // FxIoQueue::ProcessAcknowledgedRequests: during a purge it is cancelled instead.
        if (src != kNoQueue &&
            (has(*r, kCancelFlag) || (queue(src)[kQState] & kQCancelDispatched) != 0)) {
          cancel_queued(*r);
        }
      }
      set_flag(*r, kStopHandled);
      set_flag(*r, kStopAcked);
      break;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", name));
  }
  return Outcome::Continue;
}

Outcome Kmdf::api_object(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  switch (in.api()) {
    case ApiId::WdfObjectReference: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      if (req(*r)[kRRefs] < 250) ++req(*r)[kRRefs];
      break;
    }
    case ApiId::WdfObjectDereference: {
      auto r = check_handle(arg[0], name, in, true);
      if (!r) return Outcome::Violation;
      if (req(*r)[kRRefs] <= (place(*r) == Place::Completed ? 0 : 1)) {
        return misuse(in,
                      fmt::format("WdfObjectDereference of {} drops a reference it does not hold",
                                  reqs_[*r].name),
                      reqs_[*r].name);
      }
      set_flag(*r, kFoundRef, false);  // SDV WdfIoQueueRetrieveFoundRequest
      drop_ref(*r);
      break;
    }
    case ApiId::WdfObjectDelete: {
      auto r = check_handle(arg[0], name, in, false);
      if (!r) return Outcome::Violation;
      const std::string& rn = reqs_[*r].name;
      if (!reqs_[*r].created) {
        return misuse(in,
                      fmt::format("WdfObjectDelete on {}, a request the driver received (complete "
                                  "it instead)",
                                  rn),
                      rn);
      }
      if (place(*r) != Place::Driver) {
        return misuse(
            in, fmt::format("WdfObjectDelete on {} while it is still active at a target", rn), rn);
      }
      set_flag(*r, kDeleted);
      set_place(*r, Place::Completed);
      if (rec_) note(fmt::format("deletes {}", rn));
      drop_ref(*r);
      break;
    }
    default:
      throw std::logic_error(fmt::format("{} is not handled here", name));
  }
  return Outcome::Continue;
}

}  // namespace cc::kmdf
