// The KMDF module: its static description, state regions, environment actors, and the hooks
// by which the engine starts, names and finishes KMDF callbacks (docs/semantics/kmdf.md).
#include "modules/kmdf/kmdf.h"

#include "modules/kmdf/kmdf_module.h"

namespace cc {
namespace kmdf {

std::string Kmdf::build() {
  // Requests: arrivals in environment order, then created requests.
  arrive_reqs_.resize(spec_.environment.size());
  cancel_queue_.assign(spec_.queues.size(), false);
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    const ast::EnvItem& it = spec_.environment[i];
    switch (it.kind) {
      case ast::EnvKind::Arrive:
        if (it.count_value < 0 || it.count_value > 200) {
          return fmt::format("arrive count {} is outside 0..200", it.count_value);
        }
        for (int64_t n = 0; n < it.count_value; ++n) {
          arrive_reqs_[i].push_back(static_cast<uint32_t>(reqs_.size()));
          reqs_.push_back({.queue = it.object,
                           .arrive_item = i,
                           .file = it.file,
                           .name = fmt::format("req#{}", reqs_.size() + 1)});
        }
        break;
      case ast::EnvKind::Cancel:
        for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
          if (it.any || it.object == q) cancel_queue_[q] = true;
        }
        break;
      case ast::EnvKind::Stop:
        stop_items_.push_back(i);
        break;
      default:
        break;
    }
  }
  file_device_.assign(spec_.files.size(), 0);
  for (auto it = spec_.environment.rbegin(); it != spec_.environment.rend(); ++it) {
    if (it->kind == ast::EnvKind::Arrive && it->file != ast::kNone)
      file_device_[it->file] = spec_.queues[it->object].device;
  }
  created_first_ = static_cast<uint32_t>(reqs_.size());
  for (const ast::CreatedRequestDecl& c : spec_.requests) {
    reqs_.push_back({.created = true, .target = c.target, .name = c.name});
  }
  if (std::string why = build_targets(); !why.empty()) return why;
  nreq_ = static_cast<uint32_t>(reqs_.size());
  if (nreq_ > 200) return "more than 200 requests";
  for (const std::vector<uint32_t>& cls : arrive_reqs_) symmetric_ = symmetric_ || cls.size() > 1;
  irq_line_of_.assign(spec_.environment.size(), UINT32_MAX);
  uint32_t lines = 0;
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind == ast::EnvKind::Interrupt) irq_line_of_[i] = lines++;
  }
  for (const ast::VarDecl& f : spec_.context) {
    if (is_list(f.type)) return "lists in the request context are not supported";
  }
  return {};
}

uint64_t Kmdf::activities() const {
  // Timers, up to four callbacks per request, and one more; then only what the spec binds:
  // per device one PnP callback at a time (the power path waits for each) and
  // EvtDeviceSurpriseRemoval; per file handle one file callback (EvtFileClose waits for the
  // cleanup); per manual queue one ready notification when the code registers one.
  // Timers, DPCs and work items two instances each (queued again while running), interrupts
  // an ISR, two EvtInterruptDpc instances and a WdfInterruptSynchronize callback.
  uint64_t n = 2 * spec_.timers.size() + 4 * spec_.interrupts.size() + 4ULL * nreq_ + 1;
  for (uint32_t t : reader_of_) n += t != ast::kNone ? 1 : 0;  // one reader callback at a time
  for (uint32_t d = 0; d < spec_.devices.size(); ++d) {
    for (const char* h : {"EvtDeviceSelfManagedIoSuspend", "EvtDeviceSelfManagedIoRestart",
                          "EvtDeviceSelfManagedIoFlush", "EvtDeviceSelfManagedIoCleanup",
                          "EvtDeviceD0Entry", "EvtDeviceD0Exit", "EvtDevicePrepareHardware"}) {
      if (device_handler(d, h) != ast::kNone) {
        ++n;
        break;
      }
    }
    if (device_handler(d, "EvtDeviceSurpriseRemoval") != ast::kNone) ++n;
  }
  for (uint32_t f = 0; f < spec_.files.size(); ++f) {
    if (device_handler(file_device_[f], "EvtFileCleanup") != ast::kNone ||
        device_handler(file_device_[f], "EvtFileClose") != ast::kNone) {
      ++n;
    }
  }
  bool ready = false;
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      ready = ready || (in.op == Op::Api && in.api() == ApiId::WdfIoQueueReadyNotify);
    }
  }
  if (ready) {
    for (const ast::QueueDecl& q : spec_.queues) n += q.dispatch == ast::Dispatch::Manual ? 1 : 0;
  }
  return n;
}

void Kmdf::layout(Layout& layout) {
  ext_at_ = kRCtx + 4 * static_cast<uint32_t>(spec_.context.size());
  requests_ = layout.add("kmdf.requests", ext_at_ + (ext_ ? uint32_t{kXSize} : 0U), nreq_);
  queues_ = layout.add("kmdf.queues", kQItems + nreq_, static_cast<uint32_t>(spec_.queues.size()));
  devices_ = layout.add("kmdf.devices", 2, static_cast<uint32_t>(spec_.devices.size()));
  timers_ = layout.add("kmdf.timers", 2, static_cast<uint32_t>(spec_.timers.size()));
  power_ = layout.add("kmdf.power", 4, 1);  // Power, stop lines started, purge, Stage
  files_ = layout.add("kmdf.files", 1, static_cast<uint32_t>(spec_.files.size()));  // FileState
  if (ext_)
    targets_ = layout.add("kmdf.targets", kTSize, static_cast<uint32_t>(spec_.targets.size()));
  layout_contexts(layout);
}

void Kmdf::env_actors(std::vector<EnvActor>& out) const {
  const auto add = [&out](EnvKind kind, uint32_t index) {
    out.push_back({0, static_cast<uint8_t>(kind), index});
  };
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind == ast::EnvKind::Arrive) add(EnvKind::Arrive, i);
  }
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    IoHandlers hs;
    if (spec_.queues[q].dispatch != ast::Dispatch::Manual &&
        io_handler_fns(q, ast::IoType::Unspecified, hs) > 0) {
      add(EnvKind::Dispatch, q);
    }
  }
  for (uint32_t r = 0; r < nreq_; ++r) {
    if (!reqs_[r].created && cancel_queue_[reqs_[r].queue]) add(EnvKind::Cancel, r);
  }
  for (uint32_t r = 0; r < nreq_; ++r) add(EnvKind::Target, r);
  bool d0entry = false;
  for (uint32_t d = 0; d < spec_.devices.size(); ++d) {
    d0entry = d0entry || device_handler(d, "EvtDeviceD0Entry") != ast::kNone ||
              device_handler(d, "EvtDevicePrepareHardware") != ast::kNone;
  }
  if (!stop_items_.empty()) add(EnvKind::Stop, 0);
  if (!stop_items_.empty() || d0entry) add(EnvKind::Power, 0);  // the first D0Entry's end
  for (uint32_t t = 0; t < spec_.timers.size(); ++t) add(EnvKind::Timer, t);
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) add(EnvKind::QueueDone, q);
  for (uint32_t f = 0; f < spec_.files.size(); ++f) add(EnvKind::Close, f);
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    if (spec_.queues[q].dispatch == ast::Dispatch::Manual) add(EnvKind::QueueReady, q);
  }
  for (uint32_t i = 0; i < spec_.environment.size(); ++i) {
    if (spec_.environment[i].kind == ast::EnvKind::Interrupt) add(EnvKind::Interrupt, i);
  }
  for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
    if (spec_.interrupts[i].dpc != ast::kNone) add(EnvKind::InterruptDpc, i);
  }
  for (uint32_t r = 0; r < nreq_ && timeouts_; ++r) add(EnvKind::Timeout, r);
  for (uint32_t t = 0; t < reader_of_.size(); ++t) {
    if (reader_of_[t] != ast::kNone) add(EnvKind::ReaderFailed, t);
  }
}

void Kmdf::bind() {
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op == Op::Api && in.api() == ApiId::WdfIoQueueReadyNotify) ready_notify_used_ = true;
    }
  }
  env_cancel_of_.assign(nreq_, UINT32_MAX);
  env_target_of_.assign(nreq_, UINT32_MAX);
  for (uint32_t r = 0; r < nreq_; ++r) {
    env_cancel_of_[r] = c_.env_actor_number(*this, static_cast<uint8_t>(EnvKind::Cancel), r);
    env_target_of_[r] = c_.env_actor_number(*this, static_cast<uint8_t>(EnvKind::Target), r);
  }
}

bool Kmdf::symbolic() const {
  for (const ast::TargetDecl& t : spec_.targets) {
    if (t.completes_symbolic) return true;
  }
  for (const ast::EnvItem& it : spec_.environment) {
    if (it.kind == ast::EnvKind::Stop && it.stop == ast::StopKind::Symbolic) return true;
  }
  return false;
}

int Kmdf::symbolic_param(ApiId api) const {
  // The status a request completes with may be a term.
  if (api != ApiId::WdfRequestComplete && api != ApiId::WdfRequestCompleteWithInformation) {
    return -1;
  }
  const ApiInfo& info = api_info(api);
  for (std::size_t i = 0; i < info.params.size(); ++i) {
    if (info.params[i] == TypeKind::Status) return static_cast<int>(i);
  }
  return -1;
}

void Kmdf::initial_state() {
  for (uint32_t r = 0; r < nreq_; ++r) {
    req(r)[kRSrcQueue] = kNoQueue;
    if (reqs_[r].created && !reqs_[r].pool) {  // pool slots exist once WdfRequestCreate runs
      set_place(r, Place::Driver);
      req(r)[kRRefs] = 1;
    }

    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      const ast::VarDecl& fd = spec_.context[f];
      auto init = static_cast<int32_t>(fd.init_value);
      set32(req(r) + kRCtx + 4 * f, init);
    }
  }
  for (std::size_t t = 0; t < spec_.timers.size(); ++t) {
    const ast::TimerDecl& td = spec_.timers[t];
    deferred(static_cast<uint32_t>(t))[kDState] =
        td.kind == ast::DeferredKind::Timer && !td.manual ? kDArmed : kDIdle;
  }
  for (uint32_t r : reader_of_) {
    if (r != ast::kNone) set_flag(r, kReader);  // a continuous reader's: the framework owns it
  }
  // The device starts with EvtDeviceD0Entry(WdfPowerDeviceD3Final); its power-managed queues
  // dispatch once it has returned (docs/semantics/kmdf.md "Power and removal").
  // EvtDevicePrepareHardware first, when bound (the D0Entry waits for it: env_power).
  if (spawn_device_callbacks(ActKind::Pnp, "EvtDevicePrepareHardware")) {
    set_phase(Power::Entering);
  } else if (spawn_device_callbacks(ActKind::Pnp, "EvtDeviceD0Entry", k::WdfPowerDeviceD3Final)) {
    set_phase(Power::Entering);
    power_byte(kPPurge) = 1;  // during Entering: EvtDeviceD0Entry was called
  }
}

uint32_t Kmdf::io_handler_fns(uint32_t q, ast::IoType type, IoHandlers& out) const {
  uint32_t n = 0;
  if (type != ast::IoType::Unspecified) {
    // FxIoQueue::DispatchRequestToDriver: the type's own callback, else EvtIoDefault.
    uint32_t fn = queue_handler(q, ast::io_type_handler(type));
    if (fn == ast::kNone) fn = queue_handler(q, "EvtIoDefault");
    if (fn == ast::kNone) return 0;
    out.fns[0] = fn;
    out.types[0] = type;
    return 1;
  }
  for (const auto& [h, t] : ast::kIoHandlers) {
    const uint32_t fn = queue_handler(q, h);
    if (fn == ast::kNone) continue;
    out.fns[n] = fn;
    out.types[n++] = t;
  }
  return n;
}

uint32_t Kmdf::queue_handler(uint32_t q, std::string_view h) const {
  for (const ast::HandlerBinding& b : spec_.queues[q].handlers) {
    if (b.handler == h) return b.fn;
  }
  return ast::kNone;
}

// ======================================================================= activities

uint32_t Kmdf::spawn(ActKind kind, uint32_t fn, uint32_t subject, int32_t arg1, bool has_arg1) {
  const uint32_t slot = c_.occupy(static_cast<uint8_t>(kind), fn, subject);
  uint8_t* p = act(slot);
  if (sync_lock(kind, subject) >= 0) p[kAFlags] |= kNeedsSync;
  const CodeUnit& u = c_.unit_of(slot);
  if (kind == ActKind::FileCallback) {
    c_.set_param(slot, 0, static_cast<int32_t>(subject + 1));
  } else if (subject != kNoSlot && u.param_count >= 1 && subject_is_request(kind)) {
    c_.set_param(slot, 0, handle(subject));
  }
  if (has_arg1) c_.set_param(slot, 1, arg1);
  if (recording()) note(fmt::format("starts {}", lane_of(slot)));
  return slot;
}

bool Kmdf::on_start(uint32_t a) {
  uint8_t* p = act(a);
  const auto kind = static_cast<ActKind>(p[kAKind]);
  if ((p[kAFlags] & (kNeedsSync | kInherited)) == kNeedsSync) {
    // Automatic serialization: the framework takes the device's (or the queue's) lock
    // before the callback.
    const int32_t l = sync_lock(kind, p[kASubject] ? p[kASubject] - 1u : kNoSlot);
    if (l >= 0) {
      uint8_t& holder = sync_holder(l);
      if (holder != 0) return false;
      holder = static_cast<uint8_t>(a + 1);
      p[kAFlags] |= kHoldsSync;
    }
  }
  if (kind == ActKind::Cancel && p[kASubject] != 0) {
    // EvtRequestCancel has been called: from now on the ownership protocol decides.
    set_flag(p[kASubject] - 1u, kCancelStarted);
    set_flag(p[kASubject] - 1u, kUnmarkCancelled, false);
  }
  return true;
}

Outcome Kmdf::on_finish(uint32_t a, const Instr& in) {
  const uint8_t* p = act(a);
  const auto kind = static_cast<ActKind>(p[kAKind]);
  const uint32_t subject = p[kASubject] ? p[kASubject] - 1u : kNoSlot;
  if ((p[kAFlags] & kHoldsSync) != 0) {
    for (std::size_t d = 0; d < spec_.devices.size(); ++d) {
      if (device(static_cast<uint32_t>(d))[1] == a + 1) device(static_cast<uint32_t>(d))[1] = 0;
    }
    for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
      if (queue(q)[kQSyncHolder] == a + 1) queue(q)[kQSyncHolder] = 0;
    }
  }
  release_interrupt_locks(a);
  if (kind == ActKind::Resume && subject != kNoSlot) drop_ref(subject);  // the framework's hold
  if (kind == ActKind::ReadComplete || kind == ActKind::ReadersFailed) {
    reader_callback_done(a, kind, subject, in);
  }
  if (kind != ActKind::Stop || subject == kNoSlot) return Outcome::Finished;
  const std::string lane = lane_of(a);
  bool handled = has(subject, kStopHandled);
  set_flag(subject, kInStop | kStopHandled, false);
  drop_ref(subject);  // the framework's hold across EvtIoStop
  // EvtIoStop may return without acting on a request that will complete soon (the power
  // transition waits for it); SDV's EvtIoStopCompleteOrStopAck read literally does not.
  if (!handled && spec_.sdv_strict) {
    violation(RuleId::StopNotAcknowledged, in.src,
              fmt::format("{} returned without completing, cancelling or acknowledging {}", lane,
                          reqs_[subject].name),
              reqs_[subject].name);
    return Outcome::Violation;
  }
  return Outcome::Finished;
}

std::string Kmdf::lane(uint32_t a, std::string_view unit) const {
  const uint8_t* p = act(a);
  const auto kind = static_cast<ActKind>(p[kAKind]);
  if (!is_kmdf_kind(kind)) return {};  // another module's
  if (p[kASubject] == 0) return std::string(unit);
  if (kind == ActKind::FileCallback)
    return fmt::format("{}[{}]", unit, spec_.files[p[kASubject] - 1]);
  if (kind == ActKind::QueueState) {
    return fmt::format("{}[{}]", unit, spec_.queues[p[kASubject] - 1].name);
  }
  if (subject_is_request(kind)) return fmt::format("{}[{}]", unit, reqs_[p[kASubject] - 1].name);
  return std::string(unit);
}

int32_t Kmdf::pin(int32_t h) const {
  uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
  if (h == 0 || ((static_cast<uint32_t>(h) >> 16) & 0xFF) != kCurrentEpoch || r >= nreq_) return h;
  return handle(r);
}

std::optional<int32_t> Kmdf::created_ref(int32_t imm) const {
  auto r = created_first_ + static_cast<uint32_t>(imm);
  return static_cast<int32_t>((r + 1) | (kCurrentEpoch << 16));
}

int32_t* Kmdf::field(int32_t h, uint32_t field, const Instr& in, const char* what, bool& owns) {
  owns = true;
  auto r = check_handle(h, what, in, true);
  if (!r) return nullptr;
  return reinterpret_cast<int32_t*>(req(*r) + kRCtx + 4 * field);
}

}  // namespace kmdf

std::unique_ptr<Module> make_kmdf_module(Core& core) {
  return std::make_unique<kmdf::Kmdf>(core);
}

uint32_t kmdf_list_elements(const ast::Spec& spec) {
  uint32_t n = static_cast<uint32_t>(spec.requests.size());
  for (const ast::EnvItem& it : spec.environment) {
    if (it.kind == ast::EnvKind::Arrive && it.count_value > 0) {
      n += static_cast<uint32_t>(std::min<int64_t>(it.count_value, 1000));
    }
  }
  return n;
}

}  // namespace cc
