// The reference executor's KMDF I/O targets (docs/semantics/kmdf.md "I/O targets"): sends and
// their options (synchronous, timeout, ignore the target's state, send and forget), the
// lower driver (`target <request>`), the send timeout (`timeout <request>`), requests created
// in code from a bounded pool, the target's states (WdfIoTargetStart / Stop / Purge) and a USB
// pipe's continuous reader (`reader <target>` runs EvtUsbTargetPipeReadersFailed).
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/api.h"
#include "reference/ref_machine.h"

namespace cc {

namespace {
/// A handle of request r at its current epoch.
Val handle_of(const std::vector<Req>& reqs, int r) {
  return Val{0, r, reqs[static_cast<std::size_t>(r)].epoch};
}
}  // namespace

void RefMachine::target_completes(int r, int32_t st) {
  Req& q = reqs_[static_cast<std::size_t>(r)];
  const int t = q.target;
  // A request the send timeout cancelled completes with STATUS_IO_TIMEOUT, not
  // STATUS_CANCELLED (the documented timeout status).
  if (q.timed_out && st == K().cancelled) st = named("STATUS_IO_TIMEOUT");
  q.timeout_armed = q.timed_out = q.target_queued = q.ignore_state = false;
  q.place = Place::Driver;
  q.target = -1;
  q.target_cancelable = false;
  q.status = st;
  if (q.reader) {
    reader_completes(t, r, st);
    return;
  }
  if (q.send_and_forget) {
    complete_request(r, st);  // the framework completes it upward
    return;
  }
  if (q.completion_fn >= 0) {
    const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(q.completion_fn)];
    start_activity(fmt::format("{}[{}]", fn.name, q.name), fn, Role::Completion, r,
                   {Val{0, r, q.epoch}, Val{st}, q.completion_ctx}, -1);
  }
}

/// A cancel reaching a request the driver owns or has at a target: the originator's starts
/// the cancel routine of a cancelable request; at a target it completes the request when the
/// target can be cancelled (or when a stopped target still queues it); otherwise it only sets
/// the sticky cancel flag.
void RefMachine::cancel_reaches(int r, bool originator) {
  // The originator's IoCancelIrp sets the IRP's Cancel bit; WdfRequestCancelSentRequest sets
  // the framework's cancelled state and, while the request is out, cancels the IRP too.
  Req& q = reqs_[static_cast<std::size_t>(r)];
  q.cancel_aimed = true;
  if (!originator) q.fx_canceled = true;
  if (originator || q.at_target()) q.cancel_flag = true;
  if (q.at_target() && q.target_queued) {  // the framework's queue of a stopped target
    target_completes(r, K().cancelled);
    return;
  }
  switch (q.place) {
    case Place::Driver:
      if (originator && q.cancel_fn >= 0 && !q.cancel_held) start_cancel_routine(r, q.cancel_fn);
      break;
    case Place::TargetPending:
      break;  // the lower driver has set no cancel routine yet
    case Place::TargetHeld:
      if (q.target_cancelable) {
        target_completes(r, K().cancelled);
      } else {
        q.cancel_flag = true;
      }
      break;
    default:
      break;
  }
}

Val RefMachine::kmdf_target_api(ApiId id, std::vector<Val>& args) {
  switch (id) {
    case ApiId::WdfRequestSend:
    case ApiId::WdfRequestSendAndForget:
      return kmdf_send(id, args);
    case ApiId::WdfRequestCancelSentRequest: {
      visible();
      record(id);
      Req& r = check_handle(args[0], id, false);
      if (r.stop_pending) r.stop_handled = true;
      bool delivered = r.at_target() &&
                       (r.target_queued || (r.place == Place::TargetHeld && r.target_cancelable));
      if (r.place == Place::Driver || r.at_target()) cancel_reaches(args[0].req, false);
      return result(id, delivered ? 1 : 0);
    }
    case ApiId::WdfRequestCreate: {
      visible();
      record(id);
      if (pool_used_ >= pool_size()) {
        throw RefUnsupported(fmt::format("WdfRequestCreate beyond the pool of {}", pool_size()));
      }
      Req q;
      q.name = fmt::format("created#{}", ++pool_used_);
      q.place = Place::Driver;
      q.refs = 1;
      q.status = K().success;
      q.ctx.resize(spec_->context.size());
      q.ctx_lists.resize(spec_->context.size());
      for (std::size_t f = 0; f < spec_->context.size(); ++f) {
        if (spec_->context[f].type != TypeKind::Request)
          q.ctx[f].i = static_cast<int32_t>(spec_->context[f].init_value);
      }
      reqs_.push_back(std::move(q));
      const int r = static_cast<int>(reqs_.size()) - 1;
      out_->calls.back() += "=" + reqs_.back().name;
      return handle_of(reqs_, r);
    }
    default:
      break;
  }
  return kmdf_target_state_api(id, args);
}

std::size_t RefMachine::pool_size() const {
  for (const ast::ConstDecl& c : spec_->consts) {
    if (c.name == reading::kRequestPoolConst) return static_cast<std::size_t>(c.folded);
  }
  return reading::kRequestPoolDefault;
}

Val RefMachine::kmdf_send(ApiId id, std::vector<Val>& args) {
  visible();
  record(id);
  const int32_t kForget = named("WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET");
  const int32_t kSync = named("WDF_REQUEST_SEND_OPTION_SYNCHRONOUS");
  const int32_t kTimeout = named("WDF_REQUEST_SEND_OPTION_TIMEOUT");
  const int32_t kIgnore = named("WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE");
  const int32_t opts = id == ApiId::WdfRequestSendAndForget ? kForget
                       : args.size() > 2                    ? static_cast<int32_t>(args[2].i)
                                                            : 0;
  const bool forget = (opts & kForget) != 0;
  const bool sync = (opts & kSync) != 0;
  Req& r = check_handle(args[0], id, true);
  if ((opts & ~(kForget | kSync | kTimeout | kIgnore)) != 0 || (forget && opts != kForget)) {
    violation(RuleId::ApiMisuse, fmt::format("{} sends {} with invalid options {:#x}", cur().key,
                                             r.name, static_cast<uint32_t>(opts)));
  }
  if (forget && !r.received && reading::kSendAndForgetOnlyReceived) {
    violation(
        RuleId::ApiMisuse,
        fmt::format("send-and-forget of {}, a request created with WdfRequestCreate", r.name));
  }
  if (!forget && !sync && r.completion_fn < 0) {
    violation(RuleId::ApiMisuse,
              fmt::format("{} sends {} without a completion routine", cur().key, r.name));
  }
  if (reading::kSendWhileCancelableIsMisuse && r.cancel_fn >= 0) {
    violation(RuleId::ApiMisuse,
              fmt::format("{} sends {} while it is marked cancelable", cur().key, r.name));
  }
  const int t = static_cast<int>(args[1].i);
  const ast::TargetDecl& td = spec_->targets[static_cast<std::size_t>(t)];
  if (r.fx_canceled) {
    r.status = K().cancelled;
    return result(id, 0);
  }
  const bool ignore = forget || (opts & kIgnore) != 0;
  const int state = ignore ? 0 : target_st(t).state;
  if (state == 2) {  // purged: the framework fails the send
    r.status = K().invalid_device_state;
    return result(id, 0);
  }
  if (state == 0 && td.may_fail && choose({"send:ok", "send:fail"}) == 1) {
    r.status = K().invalid_device_state;
    return result(id, 0);
  }
  r.place = Place::TargetPending;
  r.target = t;
  r.target_cancelable = false;
  r.target_queued = state == 1;  // a stopped target queues it (STATUS_WDF_QUEUED)
  r.send_and_forget = forget;
  r.ignore_state = ignore && !forget;
  r.timeout_armed = (opts & kTimeout) != 0;
  r.timed_out = false;
  if (sync) {
    cur().waiting_send = args[0].req;
    end_step_after_ = true;
  }
  return result(id, 1);
}

bool RefMachine::target_wait_over(Act& a) {
  if (a.waiting_send >= 0) {
    const Req& q = reqs_[static_cast<std::size_t>(a.waiting_send)];
    if (q.at_target()) return false;
    for (const Act& b : acts_) {  // the completion routine runs before the caller wakes
      if (!b.done && b.role == Role::Completion && b.req == a.waiting_send) return false;
    }
    a.waiting_send = -1;
    return true;
  }
  if (a.waiting_target >= 0) {
    const int t = a.waiting_target;
    for (const Req& q : reqs_) {
      if (q.at_target() && q.target == t && !q.target_queued && !q.ignore_state &&
          !q.send_and_forget)
        return false;
    }
    TargetSt& ts = target_st(t);
    if (ts.reader == kReaderActive || ts.reader == kReaderFailDue ||
        ts.reader == kReaderFailRunning)
      return false;
    if (ts.reader == kReaderDead) ts.reader = kReaderIdle;
    a.waiting_target = -1;
    return true;
  }
  return true;
}

void RefMachine::env_target(const std::string& rname) {
  int r = find_req(rname);
  if (r < 0) throw ReplayError{fmt::format("no request named '{}'", rname)};
  Req& q = reqs_[static_cast<std::size_t>(r)];
  if (!q.at_target()) throw BlockedSig{fmt::format("{} is not at a target", rname)};
  if (q.target_queued) throw BlockedSig{fmt::format("{} waits in a stopped target's queue", rname)};
  const ast::TargetDecl& t = spec_->targets[static_cast<std::size_t>(q.target)];
  std::vector<std::string> options;
  std::vector<int32_t> statuses;
  if (q.place == Place::TargetPending) {
    options.emplace_back("target:take");
  } else {
    if (t.behaviour == ast::TargetBehaviour::Late && !q.target_cancelable)
      options.emplace_back("target:mark");
    if (t.behaviour != ast::TargetBehaviour::Pending) {
      if (t.completes_values.empty()) {
        statuses.push_back(K().success);
      } else {
        for (int64_t v : t.completes_values) statuses.push_back(static_cast<int32_t>(v));
      }
      for (int32_t s : statuses) options.push_back("target:complete:" + status_text(s));
      if (t.completes_symbolic) options.emplace_back("target:complete:symbolic");
    }
  }
  if (options.empty())
    throw BlockedSig{fmt::format("target {} holds {} until it is cancelled", t.name, rname)};
  const std::string& pick = options[choose(options)];
  if (pick == "target:take") {
    q.place = Place::TargetHeld;
    if (t.behaviour == ast::TargetBehaviour::Cancelable ||
        t.behaviour == ast::TargetBehaviour::Pending) {
      q.target_cancelable = true;
      if (q.cancel_flag) target_completes(r, K().cancelled);
    }
  } else if (pick == "target:mark") {
    q.target_cancelable = true;
    if (q.cancel_flag) target_completes(r, K().cancelled);
  } else if (pick == "target:complete:symbolic") {
    std::string var = fmt::format("status({}", q.name);
    if (q.epoch != 0) var += fmt::format("@{}", q.epoch);
    target_completes(r, symbolic_value(var + ")", 32));
  } else {
    std::size_t k = static_cast<std::size_t>(&pick - options.data()) -
                    (options.size() - statuses.size() - (t.completes_symbolic ? 1 : 0));
    target_completes(r, statuses[k]);
  }
}

void RefMachine::env_timeout(const std::string& rname) {
  int r = find_req(rname);
  if (r < 0) throw ReplayError{fmt::format("no request named '{}'", rname)};
  Req& q = reqs_[static_cast<std::size_t>(r)];
  if (!q.timeout_armed || !q.at_target())
    throw BlockedSig{fmt::format("{} has no send timeout running", rname)};
  // The framework cancels the request at the deadline; its status then reads as a timeout.
  q.timeout_armed = false;
  q.timed_out = true;
  cancel_reaches(r, false);
}

// ---- target states and the continuous reader ----

TargetSt& RefMachine::target_st(int t) {
  if (targets_.size() < spec_->targets.size()) targets_.resize(spec_->targets.size());
  return targets_[static_cast<std::size_t>(t)];
}

void RefMachine::send_reader(int t) {
  TargetSt& ts = target_st(t);
  Req& q = reqs_[static_cast<std::size_t>(ts.reader_req)];
  q.place = Place::TargetPending;
  q.target = t;
  q.target_cancelable = false;
  q.cancel_flag = q.fx_canceled = q.cancel_aimed = false;
  ts.reader = kReaderActive;
}

void RefMachine::cancel_target_io(int t) {
  for (std::size_t k = 0; k < reqs_.size(); ++k) {
    const Req& q = reqs_[k];
    if (!q.at_target() || q.target != t || q.target_queued || q.ignore_state || q.send_and_forget)
      continue;
    cancel_reaches(static_cast<int>(k), false);
  }
}

Val RefMachine::kmdf_target_state_api(ApiId id, std::vector<Val>& args) {
  visible();
  record(id);
  const int t = static_cast<int>(args[0].i);
  TargetSt& ts = target_st(t);
  const std::string& tn = spec_->targets[static_cast<std::size_t>(t)].name;
  switch (id) {
    case ApiId::WdfIoTargetGetState:
      return result(id, ts.state == 0   ? named("WdfIoTargetStarted")
                        : ts.state == 1 ? named("WdfIoTargetStopped")
                                        : named("WdfIoTargetPurged"));
    case ApiId::WdfUsbTargetPipeConfigContinuousReader: {
      if (ts.reader != kReaderNone) return result(id, K().invalid_device_state);
      ts.read_fn = static_cast<int>(args[1].i);
      ts.failed_fn = static_cast<int>(args[2].i);
      ts.reader = kReaderIdle;
      Req q;
      q.name = tn + "#reader";
      q.reader = true;
      q.place = Place::Driver;
      q.refs = 1;
      q.ctx.resize(spec_->context.size());
      q.ctx_lists.resize(spec_->context.size());
      reqs_.push_back(std::move(q));
      ts.reader_req = static_cast<int>(reqs_.size()) - 1;
      return result(id, K().success);
    }
    case ApiId::WdfIoTargetStart:
      ts.state = 0;
      for (Req& q : reqs_) {
        if (q.at_target() && q.target == t) q.target_queued = false;
      }
      if (ts.reader == kReaderIdle) send_reader(t);
      return result(id, K().success);
    case ApiId::WdfIoTargetPurge: {
      const auto action = static_cast<int32_t>(args[1].i);
      if (action != named("WdfIoTargetPurgeIoAndWait") && action != named("WdfIoTargetPurgeIo"))
        violation(RuleId::ApiMisuse,
                  fmt::format("WdfIoTargetPurge of {} with an unknown action", tn));
      ts.state = 2;
      for (std::size_t k = 0; k < reqs_.size(); ++k) {
        if (reqs_[k].at_target() && reqs_[k].target == t && reqs_[k].target_queued)
          target_completes(static_cast<int>(k), named("STATUS_WDF_DEVICE_REMOVED_NOT_SENT"));
      }
      cancel_target_io(t);
      if (ts.reader == kReaderDead) ts.reader = kReaderIdle;
      if (action == named("WdfIoTargetPurgeIoAndWait")) wait_for_target(t);
      return Val{};
    }
    default:
      break;
  }
  if (id != ApiId::WdfIoTargetStop) not_executed(id);
  const auto action = static_cast<int32_t>(args[1].i);
  const bool cancel_action = action == named("WdfIoTargetCancelSentIo");
  if (!cancel_action && action != named("WdfIoTargetLeaveSentIoPending") &&
      action != named("WdfIoTargetWaitForSentIoToComplete"))
    violation(RuleId::ApiMisuse, fmt::format("WdfIoTargetStop of {} with an unknown action", tn));
  if (cur().role == Role::ReadersFailed && cur().reader_target == t)
    violation(RuleId::Deadlock,
              fmt::format("WdfIoTargetStop of pipe {} from its EvtUsbTargetPipeReadersFailed", tn));
  const bool cancel = cancel_action || ts.reader != kReaderNone;
  if (ts.state != 1) ts.state = 1;
  if (cancel) cancel_target_io(t);
  if (ts.reader == kReaderDead) ts.reader = kReaderIdle;
  if (cancel || action == named("WdfIoTargetWaitForSentIoToComplete")) wait_for_target(t);
  return Val{};
}

void RefMachine::wait_for_target(int t) {
  cur().waiting_target = t;
  end_step_after_ = true;
}

void RefMachine::reader_completes(int t, int r, int32_t st) {
  TargetSt& ts = target_st(t);
  Req& q = reqs_[static_cast<std::size_t>(r)];
  q.cancel_flag = q.fx_canceled = false;
  if (st >= 0) {  // NT_SUCCESS: EvtUsbTargetPipeReadComplete, then the resubmit
    const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(ts.read_fn)];
    const int id = start_activity(fn.name, fn, Role::ReadComplete, -1, {}, -1);
    find_act(id)->reader_target = t;
    return;
  }
  if (st == K().cancelled) {
    ts.reader = ts.state == 0 ? kReaderDead : kReaderIdle;
    return;
  }
  ts.reader = kReaderFailDue;
}

void RefMachine::reader_callback_returns(const Act& a) {
  const int t = a.reader_target;
  TargetSt& ts = target_st(t);
  const bool restart = a.role == Role::ReadComplete || a.returned.i != 0;
  if (restart && ts.state == 0) {
    send_reader(t);
    return;
  }
  ts.reader = ts.state == 0 ? kReaderDead : kReaderIdle;
}

void RefMachine::env_reader(const std::string& tname) {
  int t = -1;
  for (std::size_t k = 0; k < spec_->targets.size(); ++k) {
    if (spec_->targets[k].name == tname) t = static_cast<int>(k);
  }
  if (t < 0) throw ReplayError{fmt::format("no target named '{}'", tname)};
  TargetSt& ts = target_st(t);
  if (ts.reader != kReaderFailDue)
    throw BlockedSig{fmt::format("the reader of {} has not failed", tname)};
  ts.reader = kReaderFailRunning;
  const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(ts.failed_fn)];
  const int32_t st = reqs_[static_cast<std::size_t>(ts.reader_req)].status;
  const int id = start_activity(fn.name, fn, Role::ReadersFailed, -1, {Val{st}}, -1);
  find_act(id)->reader_target = t;
}

void RefMachine::target_candidate_events(std::set<std::string>& keys) const {
  for (const Req& r : reqs_) {
    if (r.timeout_armed && r.at_target()) keys.insert("timeout " + r.name);
  }
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (targets_[t].reader == kReaderFailDue) keys.insert("reader " + spec_->targets[t].name);
  }
}

}  // namespace cc
