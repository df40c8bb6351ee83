// KMDF file objects and ready notification (docs/semantics/kmdf.md "File objects" and
// "Ready notification"): the application closing its handle (EvtFileCleanup, the flush of the
// queues by file object, EvtFileClose once the file's requests are finished), the calls that
// read a request's file object, and a manual queue's EvtIoQueueState.
// Source: FxPkgGeneral::OnCleanup / OnClose, FxPkgIo::FlushAllQueuesByFileObject,
// FxIoQueue::FlushByFileObject, FxIoQueue::ReadyNotify / ProcessReadyNotify (KMDF).
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

bool Kmdf::running(ActKind kind, uint32_t subject) const {
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] != 0 && static_cast<ActKind>(p[kAKind]) == kind && p[kASubject] == subject + 1)
      return true;
  }
  return false;
}

RunResult Kmdf::env_close(uint32_t f) {
  uint8_t& st = file_state(f);
  const uint32_t dev = file_device_[f];
  const std::string& fname = spec_.files[f];
  auto record = [&](std::string action) {
    if (!rec_) return;
    const bool app = static_cast<FileState>(st) == FileState::Open;
    rec_->lane = app ? "I/O manager" : "framework";
    rec_->event = fmt::format("close {}", fname);
    rec_->actor = app ? ActorKind::Originator : ActorKind::Framework;
    for (const ast::EnvItem& it : spec_.environment) {
      if (it.kind == ast::EnvKind::Close && it.file == f) rec_->first_src(it.range);
    }
    rec_->actions.push_back(std::move(action));
    rec_->results.emplace_back();
  };
  switch (static_cast<FileState>(st)) {
    case FileState::Open: {
      // The application closes its last handle once its requests were sent (IRP_MJ_CLEANUP).
      for (uint32_t r = 0; r < nreq_; ++r) {
        if (reqs_[r].file == f && place(r) == Place::NotArrived) return RunResult::Disabled;
      }
      record(fmt::format("the application closes {}: cleanup", fname));
      const uint32_t fn = device_handler(dev, "EvtFileCleanup");
      if (fn != ast::kNone) spawn(ActKind::FileCallback, fn, f, 0, false);
      st = static_cast<uint8_t>(FileState::Cleanup);
      return RunResult::Done;
    }
    case FileState::Cleanup: {
      // After EvtFileCleanup returns, the framework cancels the file's requests that are still
      // in a queue; those the driver holds are the driver's to complete.
      if (running(ActKind::FileCallback, f)) return RunResult::Disabled;
      record(fmt::format("the framework flushes the queues of {}'s requests", fname));
      for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
        if (spec_.queues[q].device != dev) continue;
        for (uint32_t i = 0; i < queue(q)[kQCount];) {
          const uint32_t r = queue(q)[kQItems + i];
          if (reqs_[r].file != f) {
            ++i;
            continue;
          }
          cancel_queued(r);  // removes it from the queue
        }
      }
      st = static_cast<uint8_t>(FileState::Flushed);
      return RunResult::Done;
    }
    case FileState::Flushed: {
      // IRP_MJ_CLOSE comes once no request holds the file object.
      for (uint32_t r = 0; r < nreq_; ++r) {
        if (reqs_[r].file == f && (held(r) || place(r) == Place::Queued)) {
          return RunResult::Disabled;
        }
      }
      record(fmt::format("no request holds {}: it is closed", fname));
      const uint32_t fn = device_handler(dev, "EvtFileClose");
      if (fn != ast::kNone) spawn(ActKind::FileCallback, fn, f, 0, false);
      st = static_cast<uint8_t>(FileState::Closed);
      return RunResult::Done;
    }
    case FileState::Closed:
      break;
  }
  return RunResult::Disabled;
}

void Kmdf::note_transition(uint32_t q) {
  // Tracked only when some code registers a ready notification (no state to tell apart else).
  if (ready_notify_used_ && spec_.queues[q].dispatch == ast::Dispatch::Manual) {
    queue(q)[kQState] |= kQTransition;
  }
}

RunResult Kmdf::env_queue_ready(uint32_t q) {
  // FxIoQueue::DispatchEvents: a manual queue that went from empty to not empty calls its
  // EvtIoQueueState, unless it is stopped or held for power.
  uint8_t* qp = queue(q);
  if (qp[kQReadyFn] == 0 || (qp[kQState] & kQTransition) == 0 || qp[kQCount] == 0 ||
      (qp[kQState] & kQNotDispatching) != 0 || power_held(q)) {
    return RunResult::Disabled;
  }
  qp[kQState] &= static_cast<uint8_t>(~kQTransition);
  const uint32_t fn = qp[kQReadyFn] - 1u;
  if (rec_) {
    framework_step(
        fmt::format("ready {}", spec_.queues[q].name), spec_.queues[q].range,
        fmt::format("queue {} has requests: calls {}", spec_.queues[q].name, fn_name(fn)));
  }
  spawn(ActKind::QueueState, fn, q, 0, false);
  return RunResult::Done;
}

Outcome Kmdf::api_files(ApiCall& call) {
  const Instr& in = *call.in;
  const ApiId id = in.api();
  const std::string name(api_info(id).name);
  if (id == ApiId::WdfRequestGetFileObject) {
    auto r = check_handle(call.arg[0], name, in, false);
    if (!r) return Outcome::Violation;
    result(call, reqs_[*r].file == ast::kNone ? 0 : static_cast<int32_t>(reqs_[*r].file + 1));
    return Outcome::Continue;
  }
  const auto q = static_cast<uint32_t>(call.arg[0]);
  uint8_t* qp = queue(q);
  const bool manual = spec_.queues[q].dispatch == ast::Dispatch::Manual;
  if (id == ApiId::WdfIoQueueReadyNotify) {
    // FxIoQueue::ReadyNotify: manual queues only; one registration; removing it needs a
    // registration and a stopped queue.
    const int32_t fn = call.arg[1];
    if (!manual) {
      result(call, k::STATUS_INVALID_DEVICE_REQUEST);
    } else if (fn >= 0) {
      if (qp[kQReadyFn] != 0) {
        result(call, k::STATUS_INVALID_DEVICE_REQUEST);
      } else {
        qp[kQReadyFn] = static_cast<uint8_t>(fn + 1);
        if (rec_)
          note(fmt::format("{} will be told when queue {} has requests", fn_name(fn),
                           spec_.queues[q].name));
        result(call, k::STATUS_SUCCESS);
      }
    } else if (qp[kQReadyFn] == 0 || (qp[kQState] & kQNotDispatching) == 0) {
      result(call, k::STATUS_INVALID_DEVICE_REQUEST);
    } else {
      qp[kQReadyFn] = 0;
      result(call, k::STATUS_SUCCESS);
    }
    return Outcome::Continue;
  }
  // WdfIoQueueRetrieveRequestByFileObject: as WdfIoQueueRetrieveNextRequest, restricted to
  // the requests of one file object (FxIoQueue::GetRequest with a FileObject).
  const int32_t file = call.arg[1];
  int32_t out = 0;
  if (spec_.queues[q].dispatch == ast::Dispatch::Parallel) {
    result(call, k::STATUS_INVALID_DEVICE_STATE);
  } else if (powered_off(q) || (qp[kQState] & kQNotDispatching) != 0) {
    result(call, k::STATUS_WDF_PAUSED);
  } else {
    uint32_t found = kNoSlot;
    for (uint32_t i = 0; i < qp[kQCount] && found == kNoSlot; ++i) {
      const uint32_t r = qp[kQItems + i];
      if (file != 0 && reqs_[r].file + 1 == static_cast<uint32_t>(file)) found = r;
    }
    if (found == kNoSlot) {
      result(call, k::STATUS_NO_MORE_ENTRIES);
    } else {
      out = retrieve(q, found);
      result(call, k::STATUS_SUCCESS);
    }
  }
  bool bad = false;
  int32_t* p = c_.loc_ptr(call.act, in.loc, in, name.c_str(), bad);
  if (bad) return Outcome::Violation;
  std::memcpy(p, &out, 4);
  return Outcome::Continue;
}

}  // namespace cc::kmdf
