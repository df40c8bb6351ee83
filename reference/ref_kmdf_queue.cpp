// The reference executor's KMDF queue state changes (docs/semantics/kmdf.md "Queue states"):
// WdfIoQueueStop, Start, Purge, StopAndPurge, Drain and their synchronous forms,
// WdfIoQueueGetState, WdfIoQueueFindRequest and WdfIoQueueRetrieveFoundRequest, and the
// `queue <name>` event that runs a pending stop/purge callback.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/api.h"
#include "reference/ref_machine.h"

namespace cc {

int RefMachine::driver_owned(int q) const {
  int n = 0;
  for (const Req& r : reqs_) {
    if (r.queue == q && !r.send_and_forget && (r.place == Place::Driver || r.at_target())) ++n;
  }
  return n;
}

void RefMachine::cancel_driver_cancelable(int q) {
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    Req& r = reqs_[k];
    if (r.place == Place::Driver && r.queue == q && r.cancel_fn >= 0 && !r.cancel_held)
      start_cancel_routine(static_cast<int>(k), r.cancel_fn);
  }
}

bool RefMachine::queue_dispatching(int q) const {
  for (const Act& a : acts_) {
    if (a.done || a.req < 0) continue;
    if (a.role != Role::EvtIo && a.role != Role::CanceledOnQueue && a.role != Role::Cancel)
      continue;
    if (reqs_[static_cast<std::size_t>(a.req)].queue == q) return true;
  }
  return false;
}

bool RefMachine::queue_wait_done(int q, int wait) const {
  if (queue_dispatching(q) || driver_owned(q) != 0) return false;
  return wait != 2 || queues_[static_cast<std::size_t>(q)].items.empty();
}

bool RefMachine::queue_wait_over(const Act& a) {
  QueueSt& qs = queues_[static_cast<std::size_t>(a.waiting_queue)];
  if (!queue_wait_done(a.waiting_queue, qs.wait)) return false;
  qs.sync_waiter = -1;
  qs.wait = 0;
  qs.cancel_dispatched = false;
  for (Act& b : acts_) {
    if (b.id == a.id) b.waiting_queue = -1;
  }
  return true;
}

void RefMachine::env_queue_done(const std::string& qname) {
  for (std::size_t q = 0; q < queues_.size(); ++q) {
    if (spec_->queues[q].name != qname) continue;
    QueueSt& qs = queues_[q];
    if (qs.callback_fn < 0)
      throw BlockedSig{fmt::format("queue {} has no pending callback", qname)};
    if (!queue_wait_done(static_cast<int>(q), qs.wait))
      throw BlockedSig{fmt::format("queue {} is not idle yet", qname)};
    const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(qs.callback_fn)];
    qs.callback_fn = -1;
    qs.wait = 0;
    qs.cancel_dispatched = false;
    start_activity(fn.name, fn, Role::QueueState, -1, {}, -1);
    return;
  }
  throw ReplayError{fmt::format("no queue named '{}'", qname)};
}

Val RefMachine::kmdf_queue_state_api(ApiId id, std::vector<Val>& args) {
  visible();
  record(id);
  const int q = static_cast<int>(args[0].i);
  QueueSt& qs = queues_[static_cast<std::size_t>(q)];
  const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q)];
  if (id == ApiId::WdfIoQueueGetState) {
    int32_t st = 0;
    if (qs.accepting) st |= named("WdfIoQueueAcceptRequests");
    if (qs.dispatching) st |= named("WdfIoQueueDispatchRequests");
    if (qs.items.empty()) st |= named("WdfIoQueueNoRequests");
    if (driver_owned(q) == 0) st |= named("WdfIoQueueDriverNoRequests");
    if (decl.power_managed && power_ != PowerPhase::On) st |= named("WdfIoQueuePnpHeld");
    return result(id, st);
  }
  if (id == ApiId::WdfIoQueueStart) {
    qs.dispatching = true;
    qs.cancel_dispatched = false;
    if (!qs.shutdown) qs.accepting = true;
    if (!qs.items.empty() && decl.dispatch == ast::Dispatch::Manual) qs.transition = true;
    return Val{};
  }
  if (cur().role == Role::SurpriseRemoval) {
    violation(RuleId::ApiMisuse, fmt::format("{} on queue {} from EvtDeviceSurpriseRemoval (SDV "
                                             "EvtSurpriseRemoveNoSuspendQueue)",
                                             api_name(id), decl.name));
  }
  const bool sync = waits_for_queue(id);
  const int fn = sync || args.size() < 2 ? -1 : static_cast<int>(args[1].i);
  if ((sync || fn >= 0) && (qs.callback_fn >= 0 || qs.sync_waiter >= 0)) {
    violation(RuleId::ApiMisuse,
              fmt::format("{} on queue {} while another stop or purge of it is pending",
                          api_name(id), decl.name));
  }
  if (sync && cur().role == Role::EvtIo) {
    violation(
        RuleId::ApiMisuse,
        fmt::format("{} from a request handler (SDV NoIoQueuePurgeSynchronously)", api_name(id)));
  }
  if ((id == ApiId::WdfIoQueueDrain || id == ApiId::WdfIoQueueDrainSynchronously) &&
      !qs.dispatching) {
    violation(RuleId::ApiMisuse,
              fmt::format("{} on queue {} after WdfIoQueueStop without WdfIoQueueStart",
                          api_name(id), decl.name));
  }
  int wait = 1;
  switch (id) {
    case ApiId::WdfIoQueueStop:  // FxIoQueue::QueueIdle: accept, do not dispatch
    case ApiId::WdfIoQueueStopSynchronously:
      qs.dispatching = false;
      if (!qs.shutdown) qs.accepting = true;
      break;
    case ApiId::WdfIoQueueStopAndPurge:
    case ApiId::WdfIoQueueStopAndPurgeSynchronously:
      qs.dispatching = false;
      if (!qs.shutdown) qs.accepting = true;
      qs.cancel_dispatched = true;
      while (!qs.items.empty()) cancel_on_queue(qs.items.front());
      cancel_driver_cancelable(q);
      break;
    case ApiId::WdfIoQueuePurge:
    case ApiId::WdfIoQueuePurgeSynchronously:
      qs.accepting = false;
      qs.cancel_dispatched = true;
      while (!qs.items.empty()) cancel_on_queue(qs.items.front());
      cancel_driver_cancelable(q);
      wait = 2;
      break;
    default:  // Drain
      qs.accepting = false;
      wait = 2;
      break;
  }
  if (sync) {
    qs.sync_waiter = cur().id;
    qs.wait = wait;
    cur().waiting_queue = q;
    end_step_after_ = true;  // the call returns when the queue is idle
  } else if (fn >= 0) {
    qs.callback_fn = fn;
    qs.wait = wait;
  }
  return Val{};
}

Val RefMachine::kmdf_find_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  const Expr& out_arg = *e.args[2];
  LRef out = lvalue(out_arg.kind == ExprKind::AddrOf ? *out_arg.args[0] : out_arg);
  visible();
  record(id);
  const int q = static_cast<int>(args[0].i);
  QueueSt& qs = queues_[static_cast<std::size_t>(q)];
  const ast::QueueDecl& decl = spec_->queues[static_cast<std::size_t>(q)];
  int found = -1;
  if (args[1].req >= 0) {
    check_handle(args[1], id, false);  // completed is fine while the driver holds a reference
    found = args[1].req;
  } else if (id == ApiId::WdfIoQueueRetrieveFoundRequest) {
    violation(RuleId::UseAfterFree, fmt::format("{} on a NULL request handle", api_name(id)));
  }
  const auto queued_here = [&](int r) {
    const Req& x = reqs_[static_cast<std::size_t>(r)];
    return x.place == Place::Queued && x.queue == q;
  };
  if (out.kind == LRef::Context) check_context(out.handle, api_name(id) + " output");
  Val got{};
  int32_t st = 0;
  if (id == ApiId::WdfIoQueueFindRequest) {
    if (decl.dispatch != ast::Dispatch::Manual) {
      st = K().invalid_device_request;
    } else if (found >= 0 && !queued_here(found)) {
      st = named("STATUS_NOT_FOUND");
    } else {
      std::size_t i = 0;
      if (found >= 0) {
        while (i < qs.items.size() && qs.items[i] != found) ++i;
        ++i;
      }
      while (i < qs.items.size() && reqs_[static_cast<std::size_t>(qs.items[i])].cancel_flag) ++i;
      if (i >= qs.items.size()) {
        st = K().no_more_entries;
      } else {
        Req& r = reqs_[static_cast<std::size_t>(qs.items[i])];
        ++r.refs;  // the driver must drop it with WdfObjectDereference
        r.found_ref = true;
        got = Val{0, qs.items[i], r.epoch};
        st = K().success;
      }
    }
  } else if (!reqs_[static_cast<std::size_t>(found)].found_ref) {
    violation(RuleId::ApiMisuse,
              fmt::format("{} of {}, which no successful WdfIoQueueFindRequest returned or whose "
                          "reference was dropped",
                          api_name(id), reqs_[static_cast<std::size_t>(found)].name));
  } else if (decl.dispatch == ast::Dispatch::Parallel) {
    st = K().invalid_device_state;
  } else if (powered_off(q) || !qs.dispatching) {
    st = K().wdf_paused;
  } else if (!queued_here(found)) {
    st = named("STATUS_NOT_FOUND");
  } else {
    qs.items.erase(std::find(qs.items.begin(), qs.items.end(), found));
    Req& r = reqs_[static_cast<std::size_t>(found)];
    r.place = Place::Driver;
    r.presented = true;
    got = Val{0, found, r.epoch};
    st = K().success;
  }
  store(out, got);
  return result(id, st);
}

}  // namespace cc
