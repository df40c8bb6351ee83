// The reference executor's KMDF file objects and ready notification (docs/semantics/kmdf.md
// "File objects" and "Ready notification"): `close <file>` (EvtFileCleanup, the flush of the
// queues by file object, EvtFileClose once the file's requests are finished), `ready <queue>`
// (a manual queue's EvtIoQueueState), and the calls that read a request's file object.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reference/ref_machine.h"

namespace cc {

int RefMachine::file_device(int f) const {
  for (const ast::EnvItem& item : spec_->environment) {
    if (item.kind == ast::EnvKind::Arrive && item.file == static_cast<uint32_t>(f))
      return static_cast<int>(spec_->queues[item.object].device);
  }
  return -1;
}

namespace {
/// The function bound to device callback `handler` on device d, ast::kNone when none.
uint32_t device_callback(const ast::Spec& spec, int d, const char* handler) {
  if (d < 0) return ast::kNone;
  for (const ast::HandlerBinding& h : spec.devices[static_cast<std::size_t>(d)].handlers) {
    if (h.handler == handler) return h.fn;
  }
  return ast::kNone;
}
}  // namespace

void RefMachine::env_close(const std::string& fname) {
  int f = -1;
  for (std::size_t k = 0; k < spec_->files.size(); ++k) {
    if (spec_->files[k] == fname) f = static_cast<int>(k);
  }
  if (f < 0) throw ReplayError{fmt::format("no file handle named '{}'", fname)};
  const int dev = file_device(f);
  const int sync = dev >= 0 && spec_->devices[static_cast<std::size_t>(dev)].sync_device ? dev : -1;
  int& st = file_state_[static_cast<std::size_t>(f)];
  auto start = [&](const char* handler) {
    const uint32_t fn = device_callback(*spec_, dev, handler);
    if (fn == ast::kNone) return;
    const ast::FnDecl& decl = spec_->fns[fn];
    const int id = start_activity(fmt::format("{}[{}]", decl.name, fname), decl, Role::FileCallback,
                                  -1, {Val{f + 1}}, sync);
    for (Act& a : acts_) {
      if (a.id == id) a.file = f;
    }
  };
  switch (st) {
    case 0:  // the application closes its last handle: IRP_MJ_CLEANUP
      for (const Req& q : reqs_) {
        if (q.file == f && q.place == Place::NotArrived)
          throw BlockedSig{fmt::format("{} is still to arrive on {}", q.name, fname)};
      }
      start("EvtFileCleanup");
      st = 1;
      return;
    case 1:  // FxPkgGeneral::OnCleanup: after the callback, flush the queues by file object
      for (const Act& a : acts_) {
        if (!a.done && a.role == Role::FileCallback && a.file == f)
          throw BlockedSig{fmt::format("{} still runs", a.key)};
      }
      for (std::size_t qi = 0; qi < queues_.size(); ++qi) {
        if (device_of_queue(static_cast<int>(qi)) != dev) continue;
        std::vector<int> mine;
        for (int r : queues_[qi].items) {
          if (reqs_[static_cast<std::size_t>(r)].file == f) mine.push_back(r);
        }
        for (int r : mine) cancel_on_queue(r);
      }
      st = 2;
      return;
    case 2:  // IRP_MJ_CLOSE once no request holds the file object
      for (const Req& q : reqs_) {
        if (q.file == f && (q.place == Place::Queued || q.place == Place::Driver || q.at_target()))
          throw BlockedSig{fmt::format("{} still holds {}", q.name, fname)};
      }
      start("EvtFileClose");
      st = 3;
      return;
    default:
      throw BlockedSig{fmt::format("{} is closed", fname)};
  }
}

void RefMachine::queue_added(int q, bool was_empty) {
  if (was_empty && spec_->queues[static_cast<std::size_t>(q)].dispatch == ast::Dispatch::Manual)
    queues_[static_cast<std::size_t>(q)].transition = true;
}

void RefMachine::env_ready(const std::string& qname) {
  int qi = -1;
  for (std::size_t k = 0; k < spec_->queues.size(); ++k) {
    if (spec_->queues[k].name == qname) qi = static_cast<int>(k);
  }
  if (qi < 0) throw ReplayError{fmt::format("no queue named '{}'", qname)};
  QueueSt& qs = queues_[static_cast<std::size_t>(qi)];
  if (qs.ready_fn < 0 || !qs.transition || qs.items.empty())
    throw BlockedSig{fmt::format("queue {} owes no ready notification", qname)};
  if (!qs.dispatching || power_held(qi))
    throw BlockedSig{fmt::format("queue {} is stopped or held for power", qname)};
  qs.transition = false;
  const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(qs.ready_fn)];
  start_activity(fmt::format("{}[{}]", fn.name, qname), fn, Role::QueueState, -1, {},
                 sync_device_of_queue(qi));
}

Val RefMachine::kmdf_file_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  visible();
  record(id);
  if (id == ApiId::WdfRequestGetFileObject) {
    Req& r = check_handle(args[0], id, false);
    return result(id, r.file + 1);
  }
  const auto q = static_cast<std::size_t>(args[0].i);
  QueueSt& qs = queues_[q];
  const ast::QueueDecl& decl = spec_->queues[q];
  const bool manual = decl.dispatch == ast::Dispatch::Manual;
  if (id == ApiId::WdfIoQueueReadyNotify) {
    const int fn = static_cast<int>(args[1].i);
    if (!manual) return result(id, K().invalid_device_request);
    if (fn >= 0) {
      if (qs.ready_fn >= 0) return result(id, K().invalid_device_request);
      qs.ready_fn = fn;
      return result(id, K().success);
    }
    if (qs.ready_fn < 0 || qs.dispatching) return result(id, K().invalid_device_request);
    qs.ready_fn = -1;
    return result(id, K().success);
  }
  // WdfIoQueueRetrieveRequestByFileObject
  const Expr& out_arg = *e.args[2];
  LRef out = lvalue(out_arg.kind == ExprKind::AddrOf ? *out_arg.args[0] : out_arg);
  if (out.kind == LRef::Context) check_context(out.handle, "WdfIoQueueRetrieveRequestByFileObject");
  const auto fail = [&](int32_t st) {
    store(out, Val{});
    return result(id, st);
  };
  if (decl.dispatch == ast::Dispatch::Parallel) return fail(K().invalid_device_state);
  if (powered_off(static_cast<int>(q)) || !qs.dispatching) return fail(K().wdf_paused);
  const int file = static_cast<int>(args[1].i);
  for (auto it = qs.items.begin(); it != qs.items.end(); ++it) {
    const int r = *it;
    Req& rr = reqs_[static_cast<std::size_t>(r)];
    if (file == 0 || rr.file + 1 != file) continue;
    qs.items.erase(it);
    rr.place = Place::Driver;
    rr.queue = static_cast<int>(q);
    rr.presented = true;
    if (decl.dispatch == ast::Dispatch::Sequential && qs.current < 0) qs.current = r;
    store(out, Val{0, r, rr.epoch});
    return result(id, K().success);
  }
  return fail(K().no_more_entries);
}

}  // namespace cc
