// KMDF requests: handles, ownership, completion, queues, and cancellation as the framework
// carries it out (docs/semantics/kmdf.md).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

std::optional<uint32_t> Kmdf::check_handle(int32_t h, std::string_view api, const Instr& in,
                                           bool allow_completed) {
  if (h == 0) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on a NULL request handle", api));
    return std::nullopt;
  }
  uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
  if (r >= nreq_) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on an invalid request handle", api));
    return std::nullopt;
  }
  const std::string& name = reqs_[r].name;
  if (place(r) == Place::Freed) {
    violation(RuleId::UseAfterFree, in.src, fmt::format("{} on {} after it was freed", api, name),
              name);
    return std::nullopt;
  }
  uint32_t epoch = (static_cast<uint32_t>(h) >> 16) & 0xFF;
  if (epoch != kCurrentEpoch && epoch != req(r)[kREpoch]) {
    violation(RuleId::UseAfterReuse, in.src,
              fmt::format("{} acts on {} through a handle read before WdfRequestReuse", api, name),
              name);
    return std::nullopt;
  }
  if (!allow_completed && place(r) == Place::Completed) {
    violation(RuleId::UseAfterFree, in.src,
              fmt::format("{} on {} after it was completed", api, name), name);
    return std::nullopt;
  }
  return r;
}

bool Kmdf::require_owned(uint32_t r, std::string_view api, const Instr& in) {
  Place p = place(r);
  if (p == Place::Driver) return true;
  const std::string& name = reqs_[r].name;
  std::string where;
  switch (p) {
    case Place::Queued:
      where =
          fmt::format("queued at {} (the framework owns it)", spec_.queues[req(r)[kRWhere]].name);
      break;
    case Place::TargetPending:
    case Place::TargetDelivered:
      where = fmt::format("at target {} (ownership was given away)",
                          spec_.targets[req(r)[kRWhere]].name);
      break;
    default:
      where = "completed";
      break;
  }
  violation(RuleId::UseAfterFree, in.src, fmt::format("{} on {} while it is {}", api, name, where),
            name);
  return false;
}

void Kmdf::free_request(uint32_t r) {
  set_place(r, Place::Freed);
  if (rec_) note(fmt::format("frees {}", reqs_[r].name));
  event(EventKind::Frees, reqs_[r].name);
}

void Kmdf::drop_ref(uint32_t r) {
  uint8_t& refs = req(r)[kRRefs];
  if (refs > 0) --refs;
  bool gone = place(r) == Place::Completed;
  if (refs == 0 && gone) free_request(r);
}

void Kmdf::release_current(uint32_t r) {
  uint8_t q = req(r)[kRSrcQueue];
  if (q != kNoQueue && queue(q)[kQCurrent] == r + 1) queue(q)[kQCurrent] = 0;
}

void Kmdf::complete(uint32_t r, int32_t status, bool by_framework) {
  uint8_t* p = req(r);
  ++p[kRCompletions];
  set32(p + kRStatus, status);
  if (sym()) set_tag(p + kRStatus, status_symbolic());
  set_place(r, Place::Completed);
  p[kRCancelFn] = 0;
  release_current(r);
  if (has(r, kInStop)) set_flag(r, kStopHandled);
  set_flag(r, kUnmarkCancelled, false);
  if (rec_)
    note(fmt::format("{}completes {} with {}", by_framework ? "the framework " : "", reqs_[r].name,
                     render(status, TypeKind::Status)));
  event(EventKind::Completes, reqs_[r].name);
  drop_ref(r);
}

void Kmdf::queue_remove(uint32_t q, uint32_t r) {
  uint8_t* p = queue(q);
  uint8_t n = p[kQCount];
  for (uint8_t i = 0; i < n; ++i) {
    if (p[kQItems + i] == r) {
      std::memmove(p + kQItems + i, p + kQItems + 1 + i, n - i - 1);
      p[kQItems + n - 1] = 0;
      p[kQCount] = static_cast<uint8_t>(n - 1);
      return;
    }
  }
}

void Kmdf::queue_push(uint32_t q, uint32_t r, bool at_head) {
  uint8_t* p = queue(q);
  uint8_t n = p[kQCount];
  if (at_head) {
    std::memmove(p + kQItems + 1, p + kQItems, n);
    p[kQItems] = static_cast<uint8_t>(r);
  } else {
    p[kQItems + n] = static_cast<uint8_t>(r);
  }
  p[kQCount] = static_cast<uint8_t>(n + 1);
  set_place(r, Place::Queued);
  req(r)[kRWhere] = static_cast<uint8_t>(q);
  if (n == 0) note_transition(q);
}

int32_t Kmdf::retrieve(uint32_t q, uint32_t r) {
  queue_remove(q, r);
  set_place(r, Place::Driver);
  set_flag(r, kForwarded);  // presented
  req(r)[kRSrcQueue] = static_cast<uint8_t>(q);
  // A sequential queue's next request waits until the driver is done with this one (a
  // manual queue has no current request).
  if (spec_.queues[q].dispatch == ast::Dispatch::Sequential && queue(q)[kQCurrent] == 0) {
    queue(q)[kQCurrent] = static_cast<uint8_t>(r + 1);
  }
  if (rec_) note(fmt::format("retrieves {}", reqs_[r].name));
  return handle(r);
}

bool Kmdf::queue_accepting(uint32_t q) const {
  return (queue(q)[kQState] & kQNotAccepting) == 0;
}

void Kmdf::cancel_queued(uint32_t r) {
  // FxIoQueue::CancelForQueue: the framework cancels it (m_Canceled); a request the driver
  // has seen before goes to EvtIoCanceledOnQueue, any other is completed STATUS_CANCELLED.
  uint32_t q = req(r)[kRWhere];
  queue_remove(q, r);
  set_flag(r, kFxCanceled);
  uint32_t fn = queue_handler(q, "EvtIoCanceledOnQueue");
  if (fn != ast::kNone && has(r, kForwarded)) {
    set_place(r, Place::Driver);
    req(r)[kRSrcQueue] = static_cast<uint8_t>(q);
    if (spec_.queues[q].dispatch == ast::Dispatch::Sequential && queue(q)[kQCurrent] == 0) {
      queue(q)[kQCurrent] = static_cast<uint8_t>(r + 1);
    }
    if (rec_)
      note(fmt::format("the framework removes {} from {} and tells the driver", reqs_[r].name,
                       spec_.queues[q].name));
    if ((phase() == Power::Notifying || phase() == Power::Resuming) && in_stage(q)) {
      set_flag(r, kCoqHeld);
      if (rec_) note("EvtIoCanceledOnQueue waits until EvtIoStop was called for all");
      return;
    }
    spawn(ActKind::CanceledOnQueue, fn, r, 0, false);
  } else {
    if (rec_) note(fmt::format("cancelled while queued at {}", spec_.queues[q].name));
    complete(r, k::STATUS_CANCELLED, true);
  }
}

void Kmdf::target_complete(uint32_t r, int32_t status) {
  uint8_t* p = req(r);
  set_flag(r, kTargetCancelable, false);
  // FxIoTarget::RequestCompletionRoutine: a request the timer cancelled completes with
  // STATUS_IO_TIMEOUT instead of STATUS_CANCELLED.
  if (has(r, kTimedOut) && status == k::STATUS_CANCELLED && !status_symbolic()) {
    status = k::STATUS_IO_TIMEOUT;
  }
  set_flag(r, kTimeoutArmed | kTimedOut | kTargetQueued | kIgnoreState, false);
  if (has(r, kReader)) {
    set32(p + kRStatus, status);
    reader_completed(r, status);
    return;
  }
  set32(p + kRStatus, status);
  if (sym()) set_tag(p + kRStatus, status_symbolic());
  const std::string& tname = spec_.targets[p[kRWhere]].name;
  if (has(r, kForget)) {
    set_flag(r, kForget, false);
    set_place(r, Place::Driver);
    if (rec_) note(fmt::format("target {} finishes {} (sent and forgotten)", tname, reqs_[r].name));
    complete(r, status, true);
    return;
  }
  set_place(r, Place::Driver);
  if (rec_)
    note(fmt::format("target {} returns {} with {}", tname, reqs_[r].name,
                     render(status, TypeKind::Status)));
  if (p[kRComplFn] != 0) {
    uint32_t slot = spawn(ActKind::Completion, p[kRComplFn] - 1u, r, status, true);
    if (status_symbolic()) c_.set_param_term(slot, 1, SymTermId{static_cast<uint32_t>(status)});
    // WdfRequestSetCompletionRoutine's context reaches the routine's third parameter.
    if (ext_) c_.set_param(slot, 2, get32(rext(r) + kXComplCtx));
  }
}

/// A cancel (IoCancelIrp) reaches a request at a target: returns true if it was cancelled at
/// once, which needs the lower driver's cancel routine (it marked the request cancelable).
bool Kmdf::cancel_at_target(uint32_t r) {
  set_flag(r, kCancelFlag);
  set_flag(r, kCancelAimed);
  // A request a stopped target queued sits in the framework's cancel-safe queue: the cancel
  // completes it at once (FxIoTarget::_RequestCancelled, STATUS_CANCELLED).
  if ((place(r) == Place::TargetDelivered && has(r, kTargetCancelable)) || has(r, kTargetQueued)) {
    target_complete(r, k::STATUS_CANCELLED);
    return true;
  }
  return false;
}

void Kmdf::originator_cancel(uint32_t r) {
  set_flag(r, kOrigCancelled);
  set_flag(r, kCancelAimed);
  set_flag(r, kCancelFlag);  // IoCancelIrp sets the IRP's Cancel bit wherever the request is
  switch (place(r)) {
    case Place::Queued:
      cancel_queued(r);
      break;
    case Place::Driver: {
      // IoCancelIrp sets the IRP's Cancel bit; only a cancelable request reaches the
      // framework (_IrpCancelForDriver), which cancels it and calls EvtRequestCancel.
      set_flag(r, kCancelFlag);
      uint8_t fn = req(r)[kRCancelFn];
      if (fn != 0 && !has(r, kCancelHeld)) start_cancel_routine(r, fn - 1u);
      break;
    }
    case Place::TargetPending:
    case Place::TargetDelivered:
      cancel_at_target(r);
      break;
    default:
      break;
  }
}

}  // namespace cc::kmdf
