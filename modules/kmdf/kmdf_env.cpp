// The world around a KMDF driver (docs/semantics/kmdf.md, "Environment"): the I/O manager's
// arrivals and cancels, the framework's dispatch, power-down and removal, timers, and the
// lower driver behind each I/O target.
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

RunResult Kmdf::run_env(const EnvActor& e) {
  switch (static_cast<EnvKind>(e.kind)) {
    case EnvKind::Arrive:
      return env_arrive(e.index);
    case EnvKind::Dispatch:
      return env_dispatch(e.index);
    case EnvKind::Cancel:
      return env_cancel(e.index);
    case EnvKind::Target:
      return env_target(e.index);
    case EnvKind::Stop:
      return env_stop();
    case EnvKind::Timer:
      return env_timer(e.index);
    case EnvKind::Power:
      return env_power();
    case EnvKind::QueueDone:
      return env_queue_done(e.index);
    case EnvKind::Close:
      return env_close(e.index);
    case EnvKind::QueueReady:
      return env_queue_ready(e.index);
    case EnvKind::Interrupt:
      return env_interrupt(e.index);
    case EnvKind::InterruptDpc:
      return env_interrupt_dpc(e.index);
    case EnvKind::Timeout:
      return env_timeout(e.index);
    case EnvKind::ReaderFailed:
      return env_reader_failed(e.index);
  }
  return RunResult::Disabled;
}

// Fairness of the environment actors (docs/liveness.md, docs/semantics/kmdf.md "Fairness"):
// what the framework, a lower driver or a timer does eventually is weakly fair; what the
// outside world may or may not do (an arrival, a cancel, a stop, a close) is not.
Fairness Kmdf::fairness(const EnvActor& e) const {
  switch (static_cast<EnvKind>(e.kind)) {
    case EnvKind::Arrive:
    case EnvKind::Cancel:
    case EnvKind::Stop:
    case EnvKind::Close:
    case EnvKind::Interrupt:  // the device need not interrupt
      return Fairness::None;
    case EnvKind::Dispatch:      // the framework presents a queued request
    case EnvKind::Target:        // the lower driver completes what it was sent
    case EnvKind::Timer:         // an armed timer fires, a queued DPC or work item runs
    case EnvKind::InterruptDpc:  // a queued EvtInterruptDpc runs
    case EnvKind::Timeout:       // a send's deadline passes
    case EnvKind::ReaderFailed:  // the reader's work item calls EvtUsbTargetPipeReadersFailed
    case EnvKind::Power:         // a started power-down or removal goes on
    case EnvKind::QueueDone:     // a queue's stop/purge/drain callback is called
    case EnvKind::QueueReady:    // a manual queue's ready-notify callback is called
      return Fairness::Weak;
  }
  return Fairness::Weak;
}

RunResult Kmdf::env_arrive(uint32_t item) {
  const ast::EnvItem& it = spec_.environment[item];
  for (uint32_t r : arrive_reqs_[item]) {
    if (place(r) != Place::NotArrived) continue;
    if (rec_) {
      rec_->lane = "I/O manager";
      rec_->event = fmt::format("arrive {}", spec_.queues[it.object].name);
      rec_->actor = ActorKind::Originator;
      rec_->first_src(it.range);
      rec_->actions.push_back(
          fmt::format("{} arrives at queue {}", reqs_[r].name, spec_.queues[it.object].name));
      rec_->results.emplace_back();
    }
    req(r)[kRRefs] = 1;
    req(r)[kRType] = static_cast<uint8_t>(it.io_type);
    if (!queue_accepting(it.object)) {
      set_place(r, Place::Driver);
      note("the queue is purged");
      complete(r, k::STATUS_INVALID_DEVICE_STATE, true);
    } else {
      queue_push(it.object, r, false);
    }
    return RunResult::Done;
  }
  return RunResult::Disabled;
}

RunResult Kmdf::env_dispatch(uint32_t q) {
  uint8_t* qp = queue(q);
  const ast::QueueDecl& qd = spec_.queues[q];
  if (qp[kQCount] == 0 || power_held(q) || (qp[kQState] & kQNotDispatching) != 0) {
    return RunResult::Disabled;
  }
  if (qd.dispatch == ast::Dispatch::Sequential) {
    // The next request waits while the driver owns one from this queue (m_DriverIoCount).
    if (qp[kQCurrent] != 0 || driver_owned(q) != 0) return RunResult::Disabled;
  }
  uint32_t r = qp[kQItems];
  IoHandlers hs;
  const uint32_t n = io_handler_fns(q, static_cast<ast::IoType>(req(r)[kRType]), hs);
  if (n == 0) {
    // No callback for the request's type and no EvtIoDefault: the framework fails it.
    queue_remove(q, r);
    set_place(r, Place::Driver);
    if (rec_) {
      rec_->lane = "framework";
      rec_->event = fmt::format("dispatch {}", qd.name);
      rec_->actor = ActorKind::Framework;
      rec_->actions.push_back(
          fmt::format("{} has no callback for {}: fails it", qd.name, reqs_[r].name));
      rec_->results.emplace_back();
      rec_->first_src(qd.range);
    }
    complete(r, k::STATUS_INVALID_DEVICE_REQUEST, true);
    return RunResult::Done;
  }
  const uint32_t c = n > 1 ? choose(static_cast<uint16_t>(n),
                                    [&](uint16_t i) { return "handler:" + fn_name(hs.fns[i]); })
                           : 0;
  const uint32_t fn = hs.fns[c];
  req(r)[kRType] = static_cast<uint8_t>(hs.types[c]);
  queue_remove(q, r);
  set_place(r, Place::Driver);
  set_flag(r, kForwarded);  // presented to the driver (m_Presented)
  req(r)[kRSrcQueue] = static_cast<uint8_t>(q);
  if (qd.dispatch == ast::Dispatch::Sequential) qp[kQCurrent] = static_cast<uint8_t>(r + 1);
  if (rec_) {
    rec_->lane = "framework";
    rec_->event = fmt::format("dispatch {}", qd.name);
    rec_->actor = ActorKind::Framework;
    rec_->actions.push_back(
        fmt::format("delivers {} from {} to {}", reqs_[r].name, qd.name, fn_name(fn)));
    rec_->results.emplace_back();
    rec_->first_src(qd.range);
  }
  spawn(ActKind::IoHandler, fn, r, 0, true);
  return RunResult::Done;
}

RunResult Kmdf::env_cancel(uint32_t r) {
  Place p = place(r);
  if (p == Place::NotArrived || p == Place::Completed || p == Place::Freed ||
      has(r, kOrigCancelled)) {
    return RunResult::Disabled;
  }
  if (rec_) {
    rec_->lane = "I/O manager";
    rec_->event = fmt::format("cancel {}", reqs_[r].name);
    rec_->actor = ActorKind::Originator;
    rec_->actions.push_back(fmt::format("cancels {}", reqs_[r].name));
    event(EventKind::Cancels, reqs_[r].name);
    rec_->results.emplace_back();
    for (const ast::EnvItem& it : spec_.environment) {
      if (it.kind == ast::EnvKind::Cancel) {
        rec_->first_src(it.range);
        break;
      }
    }
  }
  originator_cancel(r);
  return RunResult::Done;
}

RunResult Kmdf::env_target(uint32_t r) {
  Place p = place(r);
  if (p != Place::TargetPending && p != Place::TargetDelivered) return RunResult::Disabled;
  if (has(r, kTargetQueued)) return RunResult::Disabled;  // in a stopped target's queue
  uint32_t t = req(r)[kRWhere];
  const ast::TargetDecl& td = spec_.targets[t];
  if (rec_) {
    rec_->lane = fmt::format("target {}", td.name);
    rec_->event = fmt::format("target {}", reqs_[r].name);
    rec_->actor = ActorKind::Target;
    rec_->first_src(td.range);
  }
  if (p == Place::TargetPending) {
    if (rec_) rec_->choices.emplace_back("target:take");
    set_place(r, Place::TargetDelivered);
    bool marks = td.behaviour == ast::TargetBehaviour::Cancelable ||
                 td.behaviour == ast::TargetBehaviour::Pending;
    if (rec_) {
      rec_->actions.push_back(
          fmt::format("takes {}{}", reqs_[r].name, marks ? " and marks it cancelable" : ""));
      rec_->results.emplace_back();
    }
    if (marks) {
      set_flag(r, kTargetCancelable);
      if (has(r, kCancelFlag)) target_complete(r, k::STATUS_CANCELLED);
    }
    return RunResult::Done;
  }
  // Delivered: mark late, or complete.
  bool can_mark = td.behaviour == ast::TargetBehaviour::Late && !has(r, kTargetCancelable);
  bool can_complete = td.behaviour != ast::TargetBehaviour::Pending;
  std::vector<int32_t> statuses;
  for (int64_t v : td.completes_values) statuses.push_back(static_cast<int32_t>(v));
  if (statuses.empty() && !td.completes_symbolic) statuses.push_back(k::STATUS_SUCCESS);
  const std::size_t sym_option = td.completes_symbolic ? 1 : 0;  // last: `symbolic`
  uint16_t options =
      static_cast<uint16_t>((can_mark ? 1 : 0) + (can_complete ? statuses.size() + sym_option : 0));
  if (options == 0) return RunResult::Disabled;
  uint16_t c = choose(options, [&](uint16_t i) {
    if (can_mark && i == 0) return std::string("target:mark");
    if (i - (can_mark ? 1U : 0U) == statuses.size()) return std::string("target:complete:symbolic");
    return "target:complete:" + render(statuses[i - (can_mark ? 1 : 0)], TypeKind::Status);
  });
  if (can_mark && c == 0) {
    set_flag(r, kTargetCancelable);
    if (rec_) {
      rec_->actions.push_back(fmt::format("marks {} cancelable", reqs_[r].name));
      rec_->results.emplace_back();
    }
    if (has(r, kCancelFlag)) target_complete(r, k::STATUS_CANCELLED);
    return RunResult::Done;
  }
  if (c - (can_mark ? 1U : 0U) == statuses.size()) {
    target_complete_symbolic(r);
    return RunResult::Done;
  }
  int32_t st = statuses[c - (can_mark ? 1 : 0)];
  if (rec_) {
    rec_->actions.push_back(
        fmt::format("completes {} with {}", reqs_[r].name, render(st, TypeKind::Status)));
    rec_->results.emplace_back();
  }
  event(EventKind::Completes, reqs_[r].name);
  target_complete(r, st);
  return RunResult::Done;
}

}  // namespace cc::kmdf
