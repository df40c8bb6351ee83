// KMDF I/O targets (docs/semantics/kmdf.md "I/O targets"): requests created at run time from
// a bounded pool, the send options (synchronous, timeout, ignore the target's state, send and
// forget), the target's states (WdfIoTargetStart / Stop / Purge) and a USB pipe's continuous
// reader. Source: FxIoTarget::SubmitLocked, SubmitSync, GotoStopState, GotoPurgeState,
// GotoStartState, TimerCallback (fxiotarget.cpp), WdfRequestSend (fxrequestapi.cpp),
// FxUsbPipeContinuousReader (fxusbpipe.cpp).
#include "engine/semantics.h"
#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

namespace {
/// The spec constant that sets the pool of requests WdfRequestCreate takes from in code.
constexpr std::string_view kPoolConst = "KMDF_REQUEST_POOL";
/// The send options a spec may pass (WDF_REQUEST_SEND_OPTIONS_VALID_FLAGS, kernel mode).
constexpr int32_t kValidSendFlags =
    k::WDF_REQUEST_SEND_OPTION_TIMEOUT | k::WDF_REQUEST_SEND_OPTION_SYNCHRONOUS |
    k::WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE | k::WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET;
}  // namespace

std::string Kmdf::build_targets() {
  bool creates = false;
  bool readers = false;
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op != Op::Api) continue;
      switch (in.api()) {
        case ApiId::WdfRequestCreate:
          creates = true;
          break;
        case ApiId::WdfRequestSend:
          timeouts_ = timeouts_ || in.nargs > 2;
          break;
        case ApiId::WdfRequestSetCompletionRoutine:
          ext_ = ext_ || in.nargs > 2;
          break;
        case ApiId::WdfIoTargetStart:
        case ApiId::WdfIoTargetStop:
        case ApiId::WdfIoTargetPurge:
        case ApiId::WdfIoTargetGetState:
          targets_dynamic_ = true;
          break;
        case ApiId::WdfUsbTargetPipeConfigContinuousReader:
          readers = true;
          targets_dynamic_ = true;
          break;
        default:
          break;
      }
    }
  }
  ext_ = ext_ || creates || timeouts_ || targets_dynamic_;
  pool_first_ = static_cast<uint32_t>(reqs_.size());
  if (creates) {
    int64_t n = kDefaultPool;
    for (const ast::ConstDecl& c : spec_.consts) {
      if (c.name == kPoolConst) n = c.folded;
    }
    if (n < 1 || n > 64) return fmt::format("{} = {} is outside 1..64", kPoolConst, n);
    pool_size_ = static_cast<uint32_t>(n);
    for (uint32_t i = 0; i < pool_size_; ++i) {
      reqs_.push_back({.created = true, .pool = true, .name = fmt::format("created#{}", i + 1)});
    }
  }
  reader_of_.assign(spec_.targets.size(), ast::kNone);
  for (uint32_t t = 0; readers && t < spec_.targets.size(); ++t) {
    reader_of_[t] = static_cast<uint32_t>(reqs_.size());
    reqs_.push_back(
        {.created = true, .target = t, .name = fmt::format("{}#reader", spec_.targets[t].name)});
  }
  return {};
}

Outcome Kmdf::api_create(ApiCall& call) {
  for (uint32_t r = pool_first_; r < pool_first_ + pool_size_; ++r) {
    if (place(r) != Place::NotArrived) continue;
    set_place(r, Place::Driver);
    req(r)[kRRefs] = 1;  // the driver's reference until WdfObjectDelete
    req(r)[kRSrcQueue] = kNoQueue;
    reqs_[r].target = static_cast<uint32_t>(call.arg[0]);
    if (rec_) note(fmt::format("creates {}", reqs_[r].name));
    result(call, handle(r));
    if (rec_) rec_->calls.back() = fmt::format("WdfRequestCreate={}", reqs_[r].name);
    return Outcome::Continue;
  }
  throw ModelLimit(fmt::format(
      "WdfRequestCreate was called more than {} times in one execution (the pool of requests "
      "created at run time; raise it with `const {} = N;` and -D {}=N)",
      pool_size_, kPoolConst, kPoolConst));
}

void Kmdf::give_to_target(uint32_t r, uint32_t t, bool queued) {
  set_place(r, Place::TargetPending);
  req(r)[kRWhere] = static_cast<uint8_t>(t);
  set_flag(r, kTargetCancelable, false);
  set_flag(r, kTargetQueued, queued);
  set_status(r, k::STATUS_PENDING);
}

Outcome Kmdf::api_send_options(ApiCall& call) {
  const Instr& in = *call.in;
  const std::array<int64_t, 4>& arg = call.arg;
  const std::string name(api_info(in.api()).name);
  const bool forget_api = in.api() == ApiId::WdfRequestSendAndForget;
  const int32_t opts = forget_api     ? k::WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET
                       : in.nargs > 2 ? arg[2]
                                      : 0;
  const bool forget = (opts & k::WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET) != 0;
  const bool sync = (opts & k::WDF_REQUEST_SEND_OPTION_SYNCHRONOUS) != 0;
  auto r = check_handle(arg[0], name, in, false);
  if (!r || !require_owned(*r, name, in)) return Outcome::Violation;
  const std::string& rn = reqs_[*r].name;
  // FxValidateRequestOptions: unknown bits, or SEND_AND_FORGET with another flag, are
  // STATUS_INVALID_PARAMETER and a verifier break.
  if ((opts & ~kValidSendFlags) != 0 ||
      (forget && opts != k::WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET)) {
    return misuse(
        in,
        fmt::format("{} of {} with options {:#x}: WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET "
                    "takes no other flag, and only the four WDF_REQUEST_SEND_OPTION_* "
                    "flags exist",
                    name, rn, static_cast<uint32_t>(opts)),
        rn);
  }
  if (forget && reqs_[*r].created) {
    return misuse(in, fmt::format("{} on {}, a request created with WdfRequestCreate", name, rn),
                  rn);
  }
  if (!forget && !sync && req(*r)[kRComplFn] == 0) {
    return misuse(in,
                  fmt::format("WdfRequestSend of {} without a completion routine (set it "
                              "again after WdfRequestReuse)",
                              rn),
                  rn);
  }
  if (req(*r)[kRCancelFn] != 0) {
    return misuse(in, fmt::format("{} of {} while it is marked cancelable", name, rn), rn);
  }
  auto t = static_cast<uint32_t>(arg[1]);
  const ast::TargetDecl& td = spec_.targets.at(t);
  if (has(*r, kFxCanceled)) {  // FxIoTarget::SubmitLocked reads m_Canceled only
    set_status(*r, k::STATUS_CANCELLED);
    if (rec_) note(fmt::format("{} is already cancelled: not sent", rn));
    result(call, 0);
    return Outcome::Continue;
  }
  // SubmitLocked: a stopped target queues the request, a purged one fails it, unless the
  // send ignores the target's state (send-and-forget goes straight to IoCallDriver).
  const bool ignore = forget || (opts & k::WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE) != 0;
  const TargetState st = ext_ && !ignore ? target_state(t) : TargetState::Started;
  if (st == TargetState::Purged) {
    set_status(*r, k::STATUS_INVALID_DEVICE_STATE);
    if (rec_) note(fmt::format("target {} is purged: fails the send", td.name));
    result(call, 0);
    return Outcome::Continue;
  }
  if (st == TargetState::Started && td.may_fail &&
      choose(2, [](uint16_t c) { return std::string(c == 1 ? "send:fail" : "send:ok"); }) == 1) {
    set_status(*r, k::STATUS_INVALID_DEVICE_STATE);
    if (rec_) note(fmt::format("target {} fails the send", td.name));
    result(call, 0);
    return Outcome::Continue;
  }
  give_to_target(*r, t, st == TargetState::Stopped);
  set_flag(*r, kForget, forget);
  set_flag(*r, kIgnoreState, ignore && !forget);
  set_flag(*r, kTimeoutArmed, (opts & k::WDF_REQUEST_SEND_OPTION_TIMEOUT) != 0);
  set_flag(*r, kTimedOut, false);
  if (rec_) {
    note(st == TargetState::Stopped
             ? fmt::format("target {} is stopped: queues {} (STATUS_WDF_QUEUED)", td.name, rn)
             : fmt::format("gives {} to target {}", rn, td.name));
  }
  event(EventKind::Gives, rn);
  result(call, 1);
  if (sync) {  // FxIoTarget::SubmitSync: the caller waits for the completion
    rext(*r)[kXSyncWaiter] = static_cast<uint8_t>(call.act + 1);
    act(call.act)[kAFlags] |= kModuleWait;
    if (rec_) note(fmt::format("waits until {} completes", rn));
  }
  return Outcome::Continue;
}

void Kmdf::cancel_sent_io(uint32_t t) {
  // FxIoTarget::GetSentRequestsListLocked + _CancelSentRequests: FxRequestBase::Cancel on
  // each request of m_SentIoListHead (not the queued ones, not those that ignored the state).
  for (uint32_t r = 0; r < nreq_; ++r) {
    const Place p = place(r);
    if ((p != Place::TargetPending && p != Place::TargetDelivered) || req(r)[kRWhere] != t)
      continue;
    if (has(r, kTargetQueued) || has(r, kIgnoreState) || has(r, kForget)) continue;
    set_flag(r, kFxCanceled);
    if (rec_) note(fmt::format("the framework cancels {}", reqs_[r].name));
    event(EventKind::CancelSent, reqs_[r].name);
    cancel_at_target(r);
  }
}

void Kmdf::submit_reader(uint32_t t) {
  const uint32_t r = reader_of_[t];
  set_flag(r, kFxCanceled | kCancelFlag | kCancelAimed, false);
  req(r)[kRRefs] = 1;
  give_to_target(r, t, false);
  set_reader(t, Reader::Active);
  if (rec_) note(fmt::format("sends the continuous reader {}", reqs_[r].name));
}

Outcome Kmdf::api_target_state(ApiCall& call) {
  const Instr& in = *call.in;
  const auto t = static_cast<uint32_t>(call.arg[0]);
  const std::string& tn = spec_.targets[t].name;
  uint8_t* tp = target(t);
  switch (in.api()) {
    case ApiId::WdfIoTargetGetState:
      result(call, target_state(t) == TargetState::Started   ? k::WdfIoTargetStarted
                   : target_state(t) == TargetState::Stopped ? k::WdfIoTargetStopped
                                                             : k::WdfIoTargetPurged);
      return Outcome::Continue;
    case ApiId::WdfUsbTargetPipeConfigContinuousReader:
      if (reader(t) != Reader::None) {  // one reader per pipe (FxUsbPipe::m_Reader)
        result(call, k::STATUS_INVALID_DEVICE_STATE);
        return Outcome::Continue;
      }
      tp[kTReadFn] = static_cast<uint8_t>(call.arg[1] + 1);
      tp[kTFailedFn] = static_cast<uint8_t>(call.arg[2] + 1);
      set_reader(t, Reader::Idle);
      if (rec_) note(fmt::format("pipe {} has a continuous reader", tn));
      result(call, k::STATUS_SUCCESS);
      return Outcome::Continue;
    case ApiId::WdfIoTargetStart: {
      // GotoStartState: the queued requests are submitted again, the reader is sent.
      tp[kTState] = static_cast<uint8_t>(TargetState::Started);
      if (rec_) note(fmt::format("starts target {}", tn));
      for (uint32_t r = 0; r < nreq_; ++r) {
        if (place(r) == Place::TargetPending && req(r)[kRWhere] == t && has(r, kTargetQueued)) {
          set_flag(r, kTargetQueued, false);
          if (rec_) note(fmt::format("sends the queued {}", reqs_[r].name));
        }
      }
      if (reader(t) == Reader::Idle) submit_reader(t);
      result(call, k::STATUS_SUCCESS);
      return Outcome::Continue;
    }
    default:
      break;
  }
  // Stop / Purge.
  const bool purge = in.api() == ApiId::WdfIoTargetPurge;
  const int32_t action = call.arg[1];
  bool wait = false;
  if (purge) {
    if (action != k::WdfIoTargetPurgeIoAndWait && action != k::WdfIoTargetPurgeIo) {
      return misuse(in, fmt::format("WdfIoTargetPurge of {} with action {}: use "
                                    "WdfIoTargetPurgeIoAndWait or WdfIoTargetPurgeIo",
                                    tn, action));
    }
    tp[kTState] = static_cast<uint8_t>(TargetState::Purged);
    if (rec_) note(fmt::format("purges target {}", tn));
    // GotoPurgeState: the queued requests fail (STATUS_WDF_DEVICE_REMOVED_NOT_SENT, their
    // completion routines run); the sent ones are cancelled.
    for (uint32_t r = 0; r < nreq_; ++r) {
      if (place(r) == Place::TargetPending && req(r)[kRWhere] == t && has(r, kTargetQueued)) {
        target_complete(r, k::STATUS_WDF_DEVICE_REMOVED_NOT_SENT);
      }
    }
    cancel_sent_io(t);
    wait = action == k::WdfIoTargetPurgeIoAndWait;
  } else {
    if (action != k::WdfIoTargetCancelSentIo && action != k::WdfIoTargetLeaveSentIoPending &&
        action != k::WdfIoTargetWaitForSentIoToComplete) {
      return misuse(in, fmt::format("WdfIoTargetStop of {} with action {}: use "
                                    "WdfIoTargetCancelSentIo, WdfIoTargetWaitForSentIoToComplete "
                                    "or WdfIoTargetLeaveSentIoPending",
                                    tn, action));
    }
    if (act(call.act)[kAKind] == static_cast<uint8_t>(ActKind::ReadersFailed) &&
        act(call.act)[kASubject] == t + 1) {
      // FxUsbPipe::GotoStopState waits for the reader's work item, which is this callback.
      violation(RuleId::Deadlock, in.src,
                fmt::format("WdfIoTargetStop of pipe {} from its EvtUsbTargetPipeReadersFailed: "
                            "the stop waits for this callback to return",
                            tn));
      return Outcome::Violation;
    }
    // A continuous reader's pipe always cancels its sent I/O (FxUsbPipe::GotoStopState).
    const bool cancel = action == k::WdfIoTargetCancelSentIo || reader(t) != Reader::None;
    if (target_state(t) == TargetState::Started || target_state(t) == TargetState::Purged) {
      tp[kTState] = static_cast<uint8_t>(TargetState::Stopped);
    }
    if (rec_) note(fmt::format("stops target {}", tn));
    if (cancel) cancel_sent_io(t);
    wait = cancel || action == k::WdfIoTargetWaitForSentIoToComplete;
  }
  if (reader(t) == Reader::Dead) set_reader(t, Reader::Idle);  // m_ReadersSubmitted = FALSE
  if (wait) {
    tp[kTWaiter] = static_cast<uint8_t>(call.act + 1);
    act(call.act)[kAFlags] |= kModuleWait;
  }
  return Outcome::Continue;
}

bool Kmdf::target_wait_over(uint32_t a) {
  if (!ext_) return false;
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (rext(r)[kXSyncWaiter] != a + 1) continue;
    // _SyncCompletionRoutine sets the event after the driver's completion routine returned.
    const Place p = place(r);
    if (p == Place::TargetPending || p == Place::TargetDelivered) return false;
    if (running(ActKind::Completion, r)) return false;
    rext(r)[kXSyncWaiter] = 0;
    return true;
  }
  for (uint32_t t = 0; t < spec_.targets.size(); ++t) {
    if (target(t)[kTWaiter] != a + 1) continue;
    // WaitForSentIoToComplete: m_SentIoListHead empty (and the reader wound down).
    for (uint32_t r = 0; r < nreq_; ++r) {
      const Place p = place(r);
      if ((p == Place::TargetPending || p == Place::TargetDelivered) && req(r)[kRWhere] == t &&
          !has(r, kTargetQueued) && !has(r, kIgnoreState) && !has(r, kForget)) {
        return false;
      }
    }
    const Reader rd = reader(t);
    if (rd == Reader::Active || rd == Reader::FailDue || rd == Reader::FailRunning) return false;
    if (rd == Reader::Dead) set_reader(t, Reader::Idle);
    target(t)[kTWaiter] = 0;
    return true;
  }
  return false;
}

std::string Kmdf::target_wait_text(uint32_t a) const {
  if (!ext_) return {};
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (rext(r)[kXSyncWaiter] == a + 1) {
      return fmt::format("waits in a synchronous WdfRequestSend for {} ({})", reqs_[r].name,
                         place_text(r));
    }
  }
  for (uint32_t t = 0; t < spec_.targets.size(); ++t) {
    if (target(t)[kTWaiter] == a + 1) {
      return fmt::format("waits for the I/O sent to target {} to complete", spec_.targets[t].name);
    }
  }
  return {};
}

RunResult Kmdf::env_timeout(uint32_t r) {
  const Place p = place(r);
  if (!has(r, kTimeoutArmed) || (p != Place::TargetPending && p != Place::TargetDelivered)) {
    return RunResult::Disabled;
  }
  // FxIoTarget::TimerCallback: FX_REQUEST_CANCELLED_FROM_TIMER, then FxRequestBase::Cancel.
  framework_step(
      fmt::format("timeout {}", reqs_[r].name), spec_.targets[req(r)[kRWhere]].range,
      fmt::format("the send timeout of {} expires: the framework cancels it", reqs_[r].name));
  set_flag(r, kTimeoutArmed, false);
  set_flag(r, kTimedOut);
  set_flag(r, kFxCanceled);
  event(EventKind::CancelSent, reqs_[r].name);
  cancel_at_target(r);
  return RunResult::Done;
}

void Kmdf::reader_completed(uint32_t r, int32_t status) {
  // FxUsbPipeContinuousReader::_FxUsbPipeRequestComplete.
  const uint32_t t = reqs_[r].target;
  set_place(r, Place::Driver);
  set_flag(r, kFxCanceled | kCancelFlag, false);
  if (status >= 0 && !status_symbolic()) {
    if (rec_)
      note(fmt::format("reader {} read data: calls EvtUsbTargetPipeReadComplete", reqs_[r].name));
    spawn(ActKind::ReadComplete, target(t)[kTReadFn] - 1u, t, 0, false);
    return;
  }
  if (status == k::STATUS_CANCELLED) {  // cancelled internally: nothing more
    set_reader(t, target_state(t) == TargetState::Started ? Reader::Dead : Reader::Idle);
    if (rec_) note(fmt::format("reader {} was cancelled", reqs_[r].name));
    return;
  }
  set_reader(t, Reader::FailDue);  // QueueWorkItemLocked
  if (rec_)
    note(fmt::format("reader {} failed: the framework queues its work item", reqs_[r].name));
}

void Kmdf::reader_callback_done(uint32_t a, ActKind kind, uint32_t t, const Instr& in) {
  bool resubmit = true;
  if (kind == ActKind::ReadersFailed) {
    resubmit = in.op == Op::Return && in.imm == 1 && reg(a, in.a) != 0;  // TRUE: restart
  }
  // ResubmitRepeater: SubmitLocked with FAIL_ON_PEND, so only a started target takes it.
  if (resubmit && target_state(t) == TargetState::Started) {
    submit_reader(t);
    return;
  }
  set_reader(t, target_state(t) == TargetState::Started ? Reader::Dead : Reader::Idle);
  if (rec_) note(fmt::format("the continuous reader of {} stops", spec_.targets[t].name));
}

RunResult Kmdf::env_reader_failed(uint32_t t) {
  if (reader(t) != Reader::FailDue) return RunResult::Disabled;
  const uint32_t r = reader_of_[t];
  framework_step(fmt::format("reader {}", spec_.targets[t].name), spec_.targets[t].range,
                 fmt::format("the reader's work item calls EvtUsbTargetPipeReadersFailed"));
  set_reader(t, Reader::FailRunning);
  const uint32_t slot = spawn(ActKind::ReadersFailed, target(t)[kTFailedFn] - 1u, t, 0, false);
  c_.set_param(slot, 0, get32(req(r) + kRStatus));
  return RunResult::Done;
}

}  // namespace cc::kmdf
