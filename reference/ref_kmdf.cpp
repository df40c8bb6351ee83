// The reference executor's KMDF semantics (docs/semantics/kmdf.md): requests and queues, the
// request life cycle, the KMDF calls (call_kmdf_api and its groups), the KMDF environment
// events (arrive, dispatch, cancel, target, stop) and the KMDF end-state checks. The spin
// locks, events and timers KMDF calls reach are the walker's (ref_walker.cpp).
#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/api.h"
#include "reference/ref_machine.h"

namespace cc {

namespace {

/// A queue callback that receives requests (EvtIoRead, EvtIoWrite, EvtIoDefault, ...).
bool is_evtio_handler(const std::string& h) {
  return h.rfind("EvtIo", 0) == 0 && h != "EvtIoStop" && h != "EvtIoCanceledOnQueue" &&
         h != "EvtIoResume";
}

}  // namespace

void RefMachine::init_kmdf(const ast::Spec& spec) {
  queues_.resize(spec.queues.size());
  for (const ast::QueueDecl& q : spec.queues) queue_device_.push_back(static_cast<int>(q.device));

  // Received requests: numbered by arrive line, then arrival order.
  arrived_.assign(spec.environment.size(), 0);
  first_req_.assign(spec.environment.size(), -1);
  for (std::size_t k = 0; k < spec.environment.size(); ++k) {
    const ast::EnvItem& item = spec.environment[k];
    if (item.kind != ast::EnvKind::Arrive) continue;
    first_req_[k] = static_cast<int>(reqs_.size());
    for (int64_t n = 0; n < item.count_value; ++n) {
      Req r;
      r.name = fmt::format("req#{}", reqs_.size() + 1);
      r.received = true;
      r.arrive_queue = static_cast<int>(item.object);
      r.file = item.file == ast::kNone ? -1 : static_cast<int>(item.file);
      reqs_.push_back(std::move(r));
    }
  }
  created_base_ = static_cast<int>(reqs_.size());
  for (const ast::CreatedRequestDecl& c : spec.requests) {
    Req r;
    r.name = c.name;
    r.received = false;
    r.place = Place::Driver;
    r.refs = 1;
    reqs_.push_back(std::move(r));
  }
  for (Req& r : reqs_) {
    r.ctx.resize(spec.context.size());
    r.ctx_lists.resize(spec.context.size());
    for (std::size_t f = 0; f < spec.context.size(); ++f) {
      if (spec.context[f].type != TypeKind::Request)
        r.ctx[f].i = static_cast<int32_t>(spec.context[f].init_value);
    }
  }
  list_capacity_ = reqs_.size();
  file_state_.assign(spec.files.size(), 0);
  // The device starts with EvtDeviceD0Entry(WdfPowerDeviceD3Final); power-managed queues wait.
  // EvtDevicePrepareHardware, when bound, comes before it.
  if (start_device_callbacks(Role::Pnp, "EvtDevicePrepareHardware")) {
    power_ = PowerPhase::Entering;
  } else if (start_device_callbacks(Role::Pnp, "EvtDeviceD0Entry",
                                    {Val{named("WdfPowerDeviceD3Final")}})) {
    power_ = PowerPhase::Entering;
    entry_called_ = true;
  }
}

int RefMachine::sync_device_of_queue(int q) const {
  int d = device_of_queue(q);
  if (d < 0 || static_cast<std::size_t>(d) >= spec_->devices.size()) return -1;
  const ast::DeviceDecl& dev = spec_->devices[static_cast<std::size_t>(d)];
  if (dev.sync_device) return d;
  // Queue scope: each queue has a lock of its own, numbered after the devices'.
  if (dev.sync_queue) return static_cast<int>(spec_->devices.size()) + q;
  return -1;
}

int RefMachine::sync_device_of_req(int r) const {
  const Req& q = reqs_[static_cast<std::size_t>(r)];
  if (!q.received) return -1;
  return sync_device_of_queue(q.queue >= 0 ? q.queue : q.arrive_queue);
}

int RefMachine::find_req(const std::string& name) const {
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    if (reqs_[k].name == name) return static_cast<int>(k);
  }
  return -1;
}

// ---- request life cycle ----

void RefMachine::release_ref(int r) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  --q.refs;
  bool gone = q.received ? q.place == Place::Completed : q.deleted;
  if (q.refs <= 0 && gone) {
    q.refs = 0;
    q.place = Place::Freed;
  }
}

void RefMachine::leave_sequential(int r) {
  for (QueueSt& q : queues_) {
    if (q.current == r) q.current = -1;
  }
}

void RefMachine::complete_request(int r, int32_t st) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  ++q.completions;
  q.status = st;
  leave_sequential(r);
  q.place = Place::Completed;
  q.target = -1;
  q.target_cancelable = false;
  if (q.stop_pending) q.stop_handled = true;
  release_ref(r);
}

void RefMachine::cancel_on_queue(int r) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  QueueSt& qs = queues_[static_cast<std::size_t>(q.queue)];
  qs.items.erase(std::remove(qs.items.begin(), qs.items.end(), r), qs.items.end());
  const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q.queue)];
  uint32_t handler = ast::kNone;
  for (const ast::HandlerBinding& h : decl.handlers) {
    if (h.handler == "EvtIoCanceledOnQueue") handler = h.fn;
  }
  q.fx_canceled = true;
  if (q.presented && handler != ast::kNone) {
    q.place = Place::Driver;
    if (decl.dispatch == ast::Dispatch::Sequential && qs.current < 0) qs.current = r;
    if ((power_ == PowerPhase::Notifying || power_ == PowerPhase::Resuming) && in_stage(q.queue)) {
      q.coq_held = true;
      return;
    }
    const ast::FnDecl& fn = spec_->fns[handler];
    start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::CanceledOnQueue, r,
                   {Val{0, r, q.epoch}}, sync_device_of_queue(q.queue));
    return;
  }
  q.place = Place::Driver;
  complete_request(r, K().cancelled);
}

Req& RefMachine::check_handle(const Val& h, ApiId api, bool needs_ownership) {
  const std::string name = api_name(api);
  if (h.req < 0) violation(RuleId::UseAfterFree, fmt::format("{} on a NULL request handle", name));
  Req& q = reqs_[static_cast<std::size_t>(h.req)];
  bool completing =
      api == ApiId::WdfRequestComplete || api == ApiId::WdfRequestCompleteWithInformation;
  if (completing && q.completions >= 1)
    violation(RuleId::DoubleCompletion, fmt::format("{} completed twice", q.name));
  if (q.place == Place::Freed)
    violation(RuleId::UseAfterFree, fmt::format("{} on {} after it was freed", name, q.name));
  if (stale(h)) {
    violation(
        RuleId::UseAfterReuse,
        fmt::format("{} acts on {} through a handle read before WdfRequestReuse", name, q.name));
  }
  bool exempt = api == ApiId::WdfRequestCancelSentRequest || api == ApiId::WdfRequestGetStatus ||
                api == ApiId::WdfObjectReference || api == ApiId::WdfObjectDereference ||
                api == ApiId::WdfRequestStopAcknowledge || api == ApiId::WdfIoQueueFindRequest ||
                api == ApiId::WdfIoQueueRetrieveFoundRequest;
  if ((q.place == Place::Completed || q.deleted) && !exempt) {
    violation(RuleId::UseAfterFree, fmt::format("{} on {} after it was completed", name, q.name));
  }
  if (needs_ownership && (q.place == Place::Queued || q.at_target())) {
    violation(RuleId::UseAfterFree,
              fmt::format("{} on {}, which the driver gave away ({})", name, q.name,
                          q.place == Place::Queued ? "queued" : "at its target"));
  }
  return q;
}

void RefMachine::stop_callback_returns(const Act& a) {
  Req& q = reqs_[static_cast<std::size_t>(a.req)];
  q.stop_pending = false;
  if (!q.stop_handled && spec_->sdv_strict) {
    violation(RuleId::StopNotAcknowledged,
              fmt::format("{} returned without completing, cancelling or acknowledging {}", a.key,
                          q.name));
  }
  release_ref(a.req);
}

// ---- KMDF calls ----

Val RefMachine::call_kmdf_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  check_irql(id, args);
  switch (id) {
    case ApiId::WdfSpinLockAcquire:
    case ApiId::WdfSpinLockRelease:
    case ApiId::KeSetEvent:
    case ApiId::KeClearEvent:
    case ApiId::KeWaitForSingleObject:
    case ApiId::WdfWaitLockAcquire:
    case ApiId::WdfWaitLockRelease:
      return call_sync_api(id, args);
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
      return call_context_api(e, id, args);
    case ApiId::WdfRequestSend:
    case ApiId::WdfRequestSendAndForget:
    case ApiId::WdfRequestCancelSentRequest:
    case ApiId::WdfRequestCreate:
    case ApiId::WdfIoTargetStart:
    case ApiId::WdfIoTargetStop:
    case ApiId::WdfIoTargetPurge:
    case ApiId::WdfIoTargetGetState:
    case ApiId::WdfUsbTargetPipeConfigContinuousReader:
      return kmdf_target_api(id, args);
    case ApiId::WdfRequestComplete:
    case ApiId::WdfRequestCompleteWithInformation:
    case ApiId::WdfRequestGetStatus:
    case ApiId::WdfRequestSetCompletionRoutine:
    case ApiId::WdfRequestGetIoQueue:
      return kmdf_completion_api(id, args);
    case ApiId::WdfRequestMarkCancelable:
    case ApiId::WdfRequestMarkCancelableEx:
    case ApiId::WdfRequestUnmarkCancelable:
    case ApiId::WdfRequestIsCanceled:
      return kmdf_cancel_api(id, args);
    case ApiId::WdfRequestForwardToIoQueue:
    case ApiId::WdfRequestRequeue:
    case ApiId::WdfIoQueueRetrieveNextRequest:
    case ApiId::WdfRequestStopAcknowledge:
      return kmdf_queue_api(e, id, args);
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
      return kmdf_queue_state_api(id, args);
    case ApiId::WdfIoQueueFindRequest:
    case ApiId::WdfIoQueueRetrieveFoundRequest:
      return kmdf_find_api(e, id, args);
    case ApiId::WdfRequestGetFileObject:
    case ApiId::WdfIoQueueRetrieveRequestByFileObject:
    case ApiId::WdfIoQueueReadyNotify:
      return kmdf_file_api(e, id, args);
    case ApiId::WdfRequestReuse:
    case ApiId::WdfObjectReference:
    case ApiId::WdfObjectDereference:
    case ApiId::WdfObjectDelete:
      return kmdf_object_api(id, args);
    default:
      break;
  }
  not_executed(id);
}

Val RefMachine::kmdf_completion_api(ApiId id, std::vector<Val>& args) {
  switch (id) {
    case ApiId::WdfRequestComplete:
    case ApiId::WdfRequestCompleteWithInformation: {
      visible();
      record(id);
      if (cur().role == Role::SurpriseRemoval)
        violation(RuleId::ApiMisuse,
                  fmt::format("{} completes a request from EvtDeviceSurpriseRemoval (SDV "
                              "EvtSurpriseRemoveNoRequestComplete)",
                              cur().key));
      Req& r = check_handle(args[0], id, true);
      if (!r.received)
        violation(
            RuleId::ApiMisuse,
            fmt::format("{} completes driver-created {} (delete it instead)", cur().key, r.name));
      if (r.cancel_fn >= 0)
        violation(RuleId::CompleteWhileCancelable,
                  fmt::format("{} completed while still marked cancelable", r.name));
      const Act* routine = find_act(r.cancel_routine_act);
      // A cancel routine held back by a power transition (cancel_held) has not run either.
      if (r.unmark_cancelled && cur_ != r.cancel_routine_act &&
          (!reading::kCr007OnlyBeforeCancelRoutineRuns || r.cancel_held ||
           (routine != nullptr && !routine->started))) {
        violation(
            RuleId::CompleteAfterUnmarkCancelled,
            fmt::format("{} completed after WdfRequestUnmarkCancelable returned STATUS_CANCELLED",
                        r.name));
      }
      complete_request(args[0].req, static_cast<int32_t>(args[1].i));
      return Val{};
    }
    case ApiId::WdfRequestGetStatus: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (r.at_target()) {  // undefined until the target completes it (RequestGetStatusValid)
        violation(RuleId::ApiMisuse,
                  fmt::format("{} reads the status of {} while its target still holds it",
                              cur().key, r.name));
      }
      return result(id, r.status);
    }
    case ApiId::WdfRequestGetIoQueue: {
      // The queue it was delivered from; none for a created request (KMDF returns NULL,
      // which no WDFQUEUE variable of a spec can hold).
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (!r.received || r.queue < 0) {
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestGetIoQueue on {}, a request created with "
                              "WdfRequestCreate: it belongs to no queue",
                              r.name));
      }
      return result(id, r.queue);
    }
    case ApiId::WdfRequestSetCompletionRoutine: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, true);
      r.completion_fn = static_cast<int>(args[1].i);  // -1 (NULL) clears it
      r.completion_ctx = args.size() > 2 && args[1].i >= 0 ? copy_of(args[2]) : Val{};
      return Val{};
    }
    default:
      break;
  }
  not_executed(id);
}

Val RefMachine::kmdf_cancel_api(ApiId id, std::vector<Val>& args) {
  switch (id) {
    case ApiId::WdfRequestMarkCancelable:
    case ApiId::WdfRequestMarkCancelableEx: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, true);
      const bool ex = id == ApiId::WdfRequestMarkCancelableEx;
      if (r.cancel_fn >= 0) {
        if (!ex)
          violation(RuleId::ApiMisuse,
                    fmt::format("{} marks {} cancelable twice", cur().key, r.name));
        return result(id, K().invalid_device_request);
      }
      bool purged = r.queue >= 0 && queues_[static_cast<std::size_t>(r.queue)].cancel_dispatched;
      if (r.cancel_flag || purged) {
        r.cancel_aimed = true;
        if (ex) {
          r.markex_cancelled = true;
          return result(id, K().cancelled);
        }
        // Called from a callback of the request's own queue, the routine runs from that
        // queue's dispatch loop after the callback; from anywhere else it runs before the
        // call returns, as its own activity, under the caller's locks; the caller waits.
        // A caller holding the queue's synchronization lock cannot dispatch either
        // (FxIoQueue::CanThreadDispatchEventsLocked: m_CallbackLockPtr->IsOwner()).
        const Role cr = cur().role;
        const bool own_queue = (cr == Role::EvtIo || cr == Role::CanceledOnQueue ||
                                cr == Role::Cancel || cr == Role::Stop || cr == Role::Resume) &&
                               cur().req >= 0 && r.queue >= 0 &&
                               reqs_[static_cast<std::size_t>(cur().req)].queue == r.queue;
        const bool holds_lock =
            r.queue >= 0 && cur().holds_device && cur().device == sync_device_of_queue(r.queue);
        if (own_queue || holds_lock) {
          start_cancel_routine(args[0].req, static_cast<int>(args[1].i));
          return Val{};
        }
        const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(args[1].i)];
        int me = cur_;
        int rid = args[0].req;
        int id2 = start_activity(fmt::format("{}[{}]", fn.name, r.name), fn, Role::Cancel, rid,
                                 {Val{0, rid, r.epoch}}, -1);
        acts_.back().inline_caller = me;
        r.fx_canceled = true;
        cur().waiting_inline = id2;
        r.cancel_routine_started = true;
        r.cancel_routine_act = id2;
        end_step_after_ = true;
        return Val{};
      }
      r.cancel_fn = static_cast<int>(args[1].i);
      r.cancel_routine_started = false;
      r.unmark_cancelled = false;
      return ex ? result(id, K().success) : Val{};
    }
    case ApiId::WdfRequestUnmarkCancelable: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, true);
      if (r.cancel_fn >= 0) {
        r.cancel_fn = -1;
        return result(id, K().success);
      }
      if (r.cancel_routine_started) {
        r.unmark_cancelled = true;
        return result(id, K().cancelled);
      }
      return result(id, K().invalid_parameter);
    }
    case ApiId::WdfRequestIsCanceled: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (r.place != Place::Driver) return result(id, 0);  // not owned: FALSE
      if (r.cancel_fn >= 0) {
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestIsCanceled on {} while it is marked cancelable", r.name));
      }
      return result(id, r.cancel_flag || r.fx_canceled ? 1 : 0);
    }
    default:
      break;
  }
  not_executed(id);
}

Val RefMachine::kmdf_queue_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  const std::string name = api_name(id);
  switch (id) {
    case ApiId::WdfRequestForwardToIoQueue:
    case ApiId::WdfRequestRequeue: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, true);
      if (r.cancel_fn >= 0) {
        violation(
            RuleId::ApiMisuse,
            fmt::format("{} of {} while it is marked cancelable (unmark it first)", name, r.name));
      }
      int target_q = id == ApiId::WdfRequestRequeue ? r.queue : static_cast<int>(args[1].i);
      if (id == ApiId::WdfRequestRequeue && cur().role == Role::CanceledOnQueue &&
          cur().req == args[0].req) {
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestRequeue of {} in EvtIoCanceledOnQueue: the driver cannot "
                              "requeue it",
                              r.name));
      }
      if (!r.received || r.queue < 0) return result(id, K().invalid_device_request);
      if (id == ApiId::WdfRequestForwardToIoQueue) {
        if (target_q == r.queue || device_of_queue(target_q) != device_of_queue(r.queue)) {
          return result(id, K().invalid_device_request);
        }
      } else if (spec_->queues[static_cast<std::size_t>(r.queue)].dispatch !=
                 ast::Dispatch::Manual) {
        return result(id, K().invalid_device_request);
      }
      QueueSt& qs = queues_[static_cast<std::size_t>(target_q)];
      if (!qs.accepting && id == ApiId::WdfRequestForwardToIoQueue) {
        return result(id, K().wdf_busy);
      }
      leave_sequential(args[0].req);
      r.place = Place::Queued;
      r.queue = target_q;
      r.forwarded = true;
      r.presented = true;
      const bool was_empty = qs.items.empty();
      if (id == ApiId::WdfRequestRequeue) {
        qs.items.push_front(args[0].req);
      } else {
        qs.items.push_back(args[0].req);
      }
      queue_added(target_q, was_empty);
      // The queue refuses a request whose IRP was cancelled: it is cancelled as it enters; a
      // requeue during a purge is cancelled too (FxIoQueue::Requeue).
      if (r.cancel_flag || (id == ApiId::WdfRequestRequeue && qs.cancel_dispatched))
        cancel_on_queue(args[0].req);
      return result(id, K().success);
    }
    case ApiId::WdfIoQueueRetrieveNextRequest: {
      const Expr& out_arg = *e.args[1];
      LRef out = lvalue(out_arg.kind == ExprKind::AddrOf ? *out_arg.args[0] : out_arg);
      visible();
      record(id);
      auto q = static_cast<std::size_t>(args[0].i);
      for (const Req& o : reqs_) {
        if (o.found_ref && o.place == Place::Queued && o.queue == static_cast<int>(q)) {
          violation(RuleId::ApiMisuse,
                    fmt::format("WdfIoQueueRetrieveNextRequest on queue {} after "
                                "WdfIoQueueFindRequest found {} there",
                                spec_->queues[q].name, o.name));
        }
      }
      if (out.kind == LRef::Context)
        check_context(out.handle, "WdfIoQueueRetrieveNextRequest output");
      // Documented: "If no request objects are in the queue, the location receives NULL".
      const auto fail = [&](int32_t st) {
        store(out, Val{});
        return result(id, st);
      };
      if (spec_->queues[q].dispatch == ast::Dispatch::Parallel)
        return fail(K().invalid_device_state);
      QueueSt& qs = queues_[q];
      if (powered_off(static_cast<int>(q)) || !qs.dispatching) return fail(K().wdf_paused);
      if (qs.items.empty()) return fail(K().no_more_entries);
      int r = qs.items.front();
      qs.items.pop_front();
      Req& rr = reqs_[static_cast<std::size_t>(r)];
      rr.place = Place::Driver;
      rr.queue = static_cast<int>(q);
      rr.presented = true;
      if (spec_->queues[q].dispatch == ast::Dispatch::Sequential && qs.current < 0) qs.current = r;
      store(out, Val{0, r, rr.epoch});
      return result(id, K().success);
    }
    case ApiId::WdfRequestStopAcknowledge: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (cur().role != Role::Stop) {
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestStopAcknowledge of {} outside EvtIoStop", r.name));
      }
      if (args[1].i == 0 && spec_->sdv_strict && r.queue >= 0) {
        bool resume = false;
        for (const ast::HandlerBinding& h :
             spec_->queues[static_cast<std::size_t>(r.queue)].handlers)
          resume = resume || h.handler == "EvtIoResume";
        if (!resume)
          violation(
              RuleId::ApiMisuse,
              fmt::format("WdfRequestStopAcknowledge({}, FALSE) without EvtIoResume", r.name));
      }
      if (args[1].i != 0) {
        // Requeueing hands the request back to its queue: only the owner can (a request that
        // is queued, at its target or completed was given away); then it must not be
        // cancelable.
        if (r.place != Place::Driver) {
          violation(RuleId::UseAfterFree,
                    fmt::format("WdfRequestStopAcknowledge(requeue) of {}, which the driver does "
                                "not own ({})",
                                r.name, r.at_target() ? "at its target" : "given away"));
        } else if (r.cancel_fn >= 0) {
          violation(RuleId::ApiMisuse,
                    fmt::format("WdfRequestStopAcknowledge(requeue) of {} while it is cancelable",
                                r.name));
        }
        leave_sequential(args[0].req);
        r.place = Place::Queued;
        r.presented = true;
        QueueSt& qs = queues_[static_cast<std::size_t>(r.queue)];
        const bool was_empty = qs.items.empty();
        qs.items.push_front(args[0].req);
        queue_added(r.queue, was_empty);
        // FxIoQueue::ProcessAcknowledgedRequests: during a purge it is cancelled instead.
        if (r.cancel_flag || qs.cancel_dispatched) cancel_on_queue(args[0].req);
      }
      if (r.stop_pending) r.stop_handled = true;
      r.stop_acked = true;
      return Val{};
    }
    default:
      break;
  }
  not_executed(id);
}

Val RefMachine::kmdf_object_api(ApiId id, std::vector<Val>& args) {
  switch (id) {
    case ApiId::WdfRequestReuse: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (r.at_target())
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfRequestReuse of {} while it is at its target", r.name));
      if (r.place == Place::Queued)
        violation(RuleId::UseAfterFree,
                  fmt::format("WdfRequestReuse of {}, which is queued", r.name));
      int32_t flags = args.size() > 1 ? static_cast<int32_t>(args[1].i) : 0;
      // Documented: STATUS_WDF_REQUEST_INVALID_STATE for an IRP supplied to a request not
      // from WdfRequestCreateFromIrp (a spec cannot supply one).
      if ((flags & K().reuse_new_irp) != 0) return result(id, K().invalid_state);
      const uint32_t old = r.epoch;  // the handle passed is current (stale ones failed above)
      if (r.cancel_flag || r.fx_canceled) r.wiped = true;
      ++r.epoch;
      r.cancel_flag = false;
      r.fx_canceled = false;
      r.completion_fn = -1;
      r.completion_ctx = Val{};
      r.target_cancelable = false;
      r.status = args.size() > 2 ? static_cast<int32_t>(args[2].i) : K().success;
      r.send_and_forget = false;
      r.cancel_routine_started = false;
      r.unmark_cancelled = false;
      // The calling activity knows about the reuse: its request variables follow.
      for (Frame& f : cur().frames) {
        for (std::size_t k = 0; k < f.locals.size() && k < f.fn->locals.size(); ++k) {
          Val& v = f.locals[k];
          if (f.fn->locals[k].type == TypeKind::Request && v.req == args[0].req && v.epoch == old)
            v.epoch = r.epoch;
        }
      }
      return result(id, K().success);
    }
    case ApiId::WdfObjectReference: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      ++r.refs;
      return Val{};
    }
    case ApiId::WdfObjectDereference: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      r.found_ref = false;
      bool framework_ref = r.received ? r.place != Place::Completed : !r.deleted;
      if (framework_ref && r.refs <= 1) {
        violation(
            RuleId::ApiMisuse,
            fmt::format("WdfObjectDereference of {} would drop the framework's reference", r.name));
      }
      release_ref(args[0].req);
      return Val{};
    }
    case ApiId::WdfObjectDelete: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (r.received)
        violation(RuleId::ApiMisuse, fmt::format("WdfObjectDelete of received {}", r.name));
      if (r.at_target())
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfObjectDelete of {} while it is at its target", r.name));
      r.deleted = true;
      release_ref(args[0].req);
      return Val{};
    }
    default:
      break;
  }
  not_executed(id);
}

// ---- KMDF environment events ----

bool RefMachine::run_kmdf_env(const std::string& key) {
  if (key == "stop") {
    env_stop();
  } else if (key == "power") {
    env_power();
  } else if (auto qd = key_rest(key, "queue ")) {
    env_queue_done(*qd);
  } else if (auto q = key_rest(key, "arrive ")) {
    env_arrive(*q);
  } else if (auto q2 = key_rest(key, "dispatch ")) {
    env_dispatch(*q2);
  } else if (auto r = key_rest(key, "cancel ")) {
    env_cancel(*r);
  } else if (auto r2 = key_rest(key, "target ")) {
    env_target(*r2);
  } else if (auto r3 = key_rest(key, "timeout ")) {
    env_timeout(*r3);
  } else if (auto t = key_rest(key, "reader ")) {
    env_reader(*t);
  } else if (auto f = key_rest(key, "close ")) {
    env_close(*f);
  } else if (auto q3 = key_rest(key, "ready ")) {
    env_ready(*q3);
  } else {
    return false;
  }
  return true;
}

void RefMachine::env_arrive(const std::string& qname) {
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& item = spec_->environment[k];
    if (item.kind != ast::EnvKind::Arrive || item.object_name != qname) continue;
    if (arrived_[k] >= item.count_value) continue;
    int r = first_req_[k] + arrived_[k]++;
    Req& q = reqs_[static_cast<std::size_t>(r)];
    q.refs = 1;
    q.status = K().success;
    q.queue = static_cast<int>(item.object);
    q.type = item.io_type;
    QueueSt& qs = queues_[item.object];
    const bool was_empty = qs.items.empty();
    if (!qs.accepting) {  // purged: completed at once
      q.place = Place::Driver;
      complete_request(r, K().invalid_device_state);
      return;
    }
    q.place = Place::Queued;
    qs.items.push_back(r);
    queue_added(static_cast<int>(item.object), was_empty);
    return;
  }
  throw BlockedSig{fmt::format("no request is left to arrive at queue {}", qname)};
}

void RefMachine::env_dispatch(const std::string& qname) {
  int qi = -1;
  for (std::size_t k = 0; k < spec_->queues.size(); ++k) {
    if (spec_->queues[k].name == qname) qi = static_cast<int>(k);
  }
  if (qi < 0) throw ReplayError{fmt::format("no queue named '{}'", qname)};
  const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(qi)];
  QueueSt& qs = queues_[static_cast<std::size_t>(qi)];
  bool any_handler = false;
  for (const ast::HandlerBinding& h : decl.handlers) {
    any_handler |= is_evtio_handler(h.handler) && h.fn != ast::kNone;
  }
  if (qs.items.empty()) throw BlockedSig{fmt::format("queue {} is empty", qname)};
  if (power_held(qi)) throw BlockedSig{fmt::format("queue {} is held for power", qname)};
  if (!qs.dispatching) throw BlockedSig{fmt::format("queue {} is stopped", qname)};
  if (decl.dispatch == ast::Dispatch::Manual)
    throw BlockedSig{fmt::format("queue {} is manual", qname)};
  if (!any_handler) throw BlockedSig{fmt::format("queue {} has no EvtIo callback", qname)};
  if (decl.dispatch == ast::Dispatch::Sequential) {
    int busy = qs.current;
    for (std::size_t k = 0; k < reqs_.size() && busy < 0; ++k) {
      const Req& o = reqs_[k];
      if (o.queue == qi && !o.send_and_forget && (o.place == Place::Driver || o.at_target()))
        busy = static_cast<int>(k);
    }
    if (busy >= 0) {
      throw BlockedSig{
          fmt::format("sequential queue {} is still busy with {}", qname, req_name(busy))};
    }
  }
  int r = qs.items.front();
  Req& q = reqs_[static_cast<std::size_t>(r)];
  // The callback for the request's type, else EvtIoDefault; a request of unknown type may be
  // any type the queue has a callback for (FxIoQueue::DispatchRequestToDriver).
  std::vector<std::pair<uint32_t, ast::IoType>> handlers;
  auto bound = [&](std::string_view name) {
    for (const ast::HandlerBinding& h : decl.handlers) {
      if (h.handler == name && h.fn != ast::kNone) return h.fn;
    }
    return ast::kNone;
  };
  if (q.type != ast::IoType::Unspecified) {
    uint32_t fn = bound(ast::io_type_handler(q.type));
    if (fn == ast::kNone) fn = bound("EvtIoDefault");
    if (fn != ast::kNone) handlers.emplace_back(fn, q.type);
  } else {
    for (const auto& [name, type] : ast::kIoHandlers) {
      if (uint32_t fn = bound(name); fn != ast::kNone) handlers.emplace_back(fn, type);
    }
  }
  qs.items.pop_front();
  if (handlers.empty()) {  // the framework fails it
    q.place = Place::Driver;
    q.queue = qi;
    complete_request(r, K().invalid_device_request);
    return;
  }
  std::vector<std::string> options;
  for (const auto& h : handlers) options.push_back("handler:" + spec_->fns[h.first].name);
  std::size_t pick = handlers.size() > 1 ? choose(options) : 0;
  q.type = handlers[pick].second;
  q.place = Place::Driver;
  q.queue = qi;
  q.presented = true;
  if (decl.dispatch == ast::Dispatch::Sequential) qs.current = r;
  const ast::FnDecl& fn = spec_->fns[handlers[pick].first];
  start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::EvtIo, r, {Val{0, r, q.epoch}},
                 sync_device_of_queue(qi));
}

void RefMachine::env_cancel(const std::string& rname) {
  int r = find_req(rname);
  if (r < 0) throw ReplayError{fmt::format("no request named '{}'", rname)};
  Req& q = reqs_[static_cast<std::size_t>(r)];
  bool covered = false;
  for (const ast::EnvItem& item : spec_->environment) {
    if (item.kind != ast::EnvKind::Cancel) continue;
    if (item.any || static_cast<int>(item.object) == q.arrive_queue) covered = true;
  }
  if (!q.received || !covered)
    throw BlockedSig{fmt::format("{} cannot be cancelled by its originator", rname)};
  if (!q.alive()) throw BlockedSig{fmt::format("{} is not pending", rname)};
  if (q.originator_cancelled) throw BlockedSig{fmt::format("{} was already cancelled", rname)};
  q.originator_cancelled = true;
  q.cancel_flag = true;  // IoCancelIrp sets the IRP's Cancel bit wherever the request is
  if (q.place == Place::Queued) {
    cancel_on_queue(r);
    return;
  }
  cancel_reaches(r, true);
}

void RefMachine::kmdf_candidate_events(std::set<std::string>& keys) const {
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& item = spec_->environment[k];
    if (item.kind == ast::EnvKind::Arrive && arrived_[k] < item.count_value)
      keys.insert("arrive " + item.object_name);
  }
  if (power_ == PowerPhase::On && stop_line_ < stop_lines().size()) keys.insert("stop");
  if (power_ != PowerPhase::On && power_ != PowerPhase::Removed) keys.insert("power");
  for (std::size_t q = 0; q < queues_.size(); ++q) {
    if (queues_[q].callback_fn >= 0) keys.insert("queue " + spec_->queues[q].name);
  }
  for (std::size_t q = 0; q < queues_.size(); ++q) {
    if (!queues_[q].items.empty()) keys.insert("dispatch " + spec_->queues[q].name);
    if (queues_[q].ready_fn >= 0 && queues_[q].transition)
      keys.insert("ready " + spec_->queues[q].name);
  }
  for (std::size_t f = 0; f < file_state_.size(); ++f) {
    if (file_state_[f] < 3) keys.insert("close " + spec_->files[f]);
  }
  for (const Req& r : reqs_) {
    if (r.received && r.alive() && !r.originator_cancelled) keys.insert("cancel " + r.name);
    if (r.at_target()) keys.insert("target " + r.name);
  }
  target_candidate_events(keys);
}

// ---- KMDF end states ----

namespace {
/// A request the end state still counts as pending (a created one only while at its target).
bool pending(const Req& r) {
  if (r.received) return r.alive();
  return r.at_target();
}
}  // namespace

std::optional<RefEndFinding> RefMachine::kmdf_end_lost_cancel() const {
  for (const Req& r : reqs_) {
    if (!pending(r)) continue;
    if (r.wiped)
      return RefEndFinding{
          RuleId::LostCancel,
          fmt::format("{} is still pending: its cancel was wiped by WdfRequestReuse", r.name)};
    if (r.markex_cancelled) {
      return RefEndFinding{RuleId::LostCancel,
                           fmt::format("{} is still pending: MarkCancelableEx returned "
                                       "STATUS_CANCELLED and it was not completed",
                                       r.name)};
    }
  }
  return std::nullopt;
}

std::optional<RefEndFinding> RefMachine::kmdf_end_pending() const {
  if (power_ == PowerPhase::Waiting && power_waiting()) {
    for (const Req& r : reqs_) {
      if (!r.stop_notified || r.stop_acked || r.fx_canceled || !pending(r)) continue;
      return RefEndFinding{RuleId::StopNotAcknowledged,
                           fmt::format("the power transition never finishes: {} is neither "
                                       "acknowledged nor completed",
                                       r.name)};
    }
  }
  for (const Req& r : reqs_) {
    if (pending(r) && (r.cancel_flag || r.cancel_aimed)) {
      return RefEndFinding{RuleId::LostCancel,
                           fmt::format("{} is still pending although it was cancelled", r.name)};
    }
  }
  for (const Req& r : reqs_) {
    if (r.received && pending(r))
      return RefEndFinding{RuleId::NeverCompleted, fmt::format("{} is never completed", r.name)};
  }
  return std::nullopt;
}

void RefMachine::describe_kmdf(std::ostringstream& o) const {
  static const char* places[] = {"not arrived",    "queued",    "driver", "pending at target",
                                 "held by target", "completed", "freed"};
  for (const Req& r : reqs_) {
    o << fmt::format(
        "  {}: {}{}{} cancelable={} flag={} tcancel={} croutine={} refs={} epoch={} status={} "
        "completions={}{}{}{}\n",
        r.name, places[static_cast<int>(r.place)],
        r.place == Place::Queued ? " at " + spec_->queues[static_cast<std::size_t>(r.queue)].name
                                 : "",
        r.at_target() ? " " + spec_->targets[static_cast<std::size_t>(r.target)].name : "",
        r.cancel_fn >= 0 ? spec_->fns[static_cast<std::size_t>(r.cancel_fn)].name : "no",
        r.cancel_flag, r.target_cancelable,
        r.completion_fn >= 0 ? spec_->fns[static_cast<std::size_t>(r.completion_fn)].name : "none",
        r.refs, r.epoch, status_text(r.status), r.completions, r.wiped ? " wiped" : "",
        r.markex_cancelled ? " markex-cancelled" : "",
        r.unmark_cancelled ? " unmark-cancelled" : "");
  }
}

}  // namespace cc
