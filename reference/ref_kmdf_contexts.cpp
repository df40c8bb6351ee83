// The reference executor's KMDF execution contexts (docs/semantics/kmdf.md, "Execution
// contexts"): timers, DPC objects, work items, interrupts and the IRQL rule CR017, written
// from the semantics document independently of the explorer's module.
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "reference/ref_machine.h"

namespace cc {

namespace {

constexpr std::array<const char*, 3> kWord = {"timer", "dpc", "workitem"};

Role role_of(ast::DeferredKind k) {
  switch (k) {
    case ast::DeferredKind::Dpc:
      return Role::Dpc;
    case ast::DeferredKind::WorkItem:
      return Role::WorkItem;
    default:
      return Role::Timer;
  }
}

}  // namespace

bool RefMachine::own_callback(const Act& a, std::size_t t) const {
  return a.role == role_of(spec_->timers[t].kind) && a.object == static_cast<int>(t);
}

void RefMachine::init_contexts(const ast::Spec& spec) {
  deferred_state_.assign(spec.timers.size(), 0);
  for (std::size_t t = 0; t < spec.timers.size(); ++t) {
    const ast::TimerDecl& td = spec.timers[t];
    if (td.kind == ast::DeferredKind::Timer && !td.manual) deferred_state_[t] = 1;
  }
  int_lock_holder_.assign(spec.interrupts.size(), -1);
  int_dpc_queued_.assign(spec.interrupts.size(), false);
  irq_raised_.assign(spec.environment.size(), 0);
}

int RefMachine::deferred_sync_lock(int t) const {
  const ast::TimerDecl& td = spec_->timers[static_cast<std::size_t>(t)];
  if (!td.serialized || td.parent.device == ast::kNone) return -1;
  if (td.parent.queue != ast::kNone) return sync_device_of_queue(static_cast<int>(td.parent.queue));
  // A device's own lock exists only under device scope.
  return spec_->devices[td.parent.device].sync_device ? static_cast<int>(td.parent.device) : -1;
}

// ---- environment ----

void RefMachine::contexts_candidate_events(std::set<std::string>& keys) const {
  for (std::size_t t = 0; t < deferred_state_.size(); ++t) {
    if (deferred_state_[t] == 1) {
      const ast::TimerDecl& td = spec_->timers[t];
      keys.insert(fmt::format("{} {}", kWord.at(static_cast<std::size_t>(td.kind)), td.name));
    }
  }
  for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
    const ast::EnvItem& it = spec_->environment[k];
    if (it.kind == ast::EnvKind::Interrupt && irq_raised_[k] < it.count_value)
      keys.insert("interrupt " + it.object_name);
  }
  for (std::size_t i = 0; i < int_dpc_queued_.size(); ++i) {
    if (int_dpc_queued_[i]) keys.insert("interrupt_dpc " + spec_->interrupts[i].name);
  }
}

void RefMachine::env_deferred(const std::string& word, const std::string& name) {
  for (std::size_t t = 0; t < spec_->timers.size(); ++t) {
    const ast::TimerDecl& td = spec_->timers[t];
    if (td.name != name || word != kWord.at(static_cast<std::size_t>(td.kind))) continue;
    if (deferred_state_[t] != 1) throw BlockedSig{fmt::format("{} {} is not armed", word, name)};
    const Role role = role_of(td.kind);
    if (td.kind == ast::DeferredKind::Timer) {
      if (td.periodic) {
        // A periodic timer fires again only after its callback has returned.
        for (const Act& a : acts_) {
          if (!a.done && a.role == Role::Timer && a.object == static_cast<int>(t))
            throw BlockedSig{fmt::format("the callback of timer {} still runs", name)};
        }
      } else {
        deferred_state_[t] = 2;
      }
    } else {
      deferred_state_[t] = 0;
    }
    const ast::FnDecl& fn = spec_->fns[td.fn];
    start_activity(fn.name, fn, role, -1, {}, deferred_sync_lock(static_cast<int>(t)));
    acts_.back().object = static_cast<int>(t);
    return;
  }
  throw ReplayError{fmt::format("no {} named '{}'", word, name)};
}

bool RefMachine::run_contexts_env(const std::string& key) {
  for (const char* w : kWord) {
    if (auto n = key_rest(key, std::string(w) + " ")) {
      env_deferred(w, *n);
      return true;
    }
  }
  if (auto i = key_rest(key, "interrupt_dpc ")) {
    for (std::size_t k = 0; k < spec_->interrupts.size(); ++k) {
      const ast::InterruptDecl& id = spec_->interrupts[k];
      if (id.name != *i) continue;
      if (!int_dpc_queued_[k]) throw BlockedSig{"the interrupt's DPC is not queued"};
      int_dpc_queued_[k] = false;
      int lock = -1;
      if (id.serialized && id.parent.device != ast::kNone &&
          spec_->devices[id.parent.device].sync_device)
        lock = static_cast<int>(id.parent.device);
      const ast::FnDecl& fn = spec_->fns[id.dpc];
      start_activity(fn.name, fn, Role::InterruptDpc, -1, {}, lock);
      acts_.back().object = static_cast<int>(k);
      return true;
    }
    throw ReplayError{fmt::format("no interrupt named '{}'", *i)};
  }
  if (auto i = key_rest(key, "interrupt ")) {
    for (std::size_t k = 0; k < spec_->environment.size(); ++k) {
      const ast::EnvItem& it = spec_->environment[k];
      if (it.kind != ast::EnvKind::Interrupt || it.object_name != *i ||
          irq_raised_[k] >= it.count_value)
        continue;
      // Connected in D0 only; the ISR needs the interrupt's lock.
      if (power_ == PowerPhase::Off || power_ == PowerPhase::Removed ||
          power_ == PowerPhase::Purging)
        throw BlockedSig{"the device's interrupts are disconnected"};
      const auto obj = static_cast<std::size_t>(it.object);
      if (int_lock_holder_[obj] != -1) throw BlockedSig{"the interrupt's lock is held"};
      ++irq_raised_[k];
      const ast::FnDecl& fn = spec_->fns[spec_->interrupts[obj].isr];
      int id = start_activity(fn.name, fn, Role::Isr, -1, {}, -1);
      acts_.back().object = static_cast<int>(obj);
      int_lock_holder_[obj] = id;
      return true;
    }
    throw BlockedSig{fmt::format("interrupt {} is raised no more", *i)};
  }
  return false;
}

// ---- calls ----

bool RefMachine::dpcs_pending(int self) const {
  for (std::size_t t = 0; t < spec_->timers.size(); ++t) {
    if (spec_->timers[t].kind == ast::DeferredKind::Dpc && deferred_state_[t] == 1) return true;
  }
  for (bool q : int_dpc_queued_) {
    if (q) return true;
  }
  for (const Act& a : acts_) {
    if (a.done || a.id == self) continue;
    if (a.role == Role::Dpc || a.role == Role::InterruptDpc) return true;
    if (a.role == Role::Timer && a.object >= 0 &&
        !spec_->timers[static_cast<std::size_t>(a.object)].passive)
      return true;
  }
  return false;
}

bool RefMachine::deferred_wait_over(const Act& w) const {
  const auto t = static_cast<std::size_t>(w.waiting_deferred);
  const ast::TimerDecl& td = spec_->timers[t];
  const auto runs = [&](Role r) {
    for (const Act& a : acts_) {
      if (!a.done && a.role == r && a.object == static_cast<int>(t)) return true;
    }
    return false;
  };
  if (td.kind == ast::DeferredKind::WorkItem)
    return deferred_state_[t] == 0 && !runs(Role::WorkItem);
  if (td.passive && runs(Role::Timer)) return false;
  return !dpcs_pending(w.id);
}

Val RefMachine::call_context_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  const auto x = static_cast<std::size_t>(args[0].i);
  const bool wait = args.size() >= 2 && args[1].i != 0;
  const auto wait_for = [&]() {
    if (own_callback(cur(), x)) {
      violation(RuleId::Deadlock, fmt::format("{} waits in {} for its own callback to return",
                                              cur().key, api_name(id)));
    }
    cur().waiting_deferred = static_cast<int>(x);
    if (deferred_wait_over(cur())) {
      cur().waiting_deferred = -1;
    } else {
      end_step_after_ = true;  // the call returns once the callbacks have
    }
  };
  switch (id) {
    case ApiId::WdfTimerStart: {
      visible();
      record(id);
      const int was = deferred_state_[x];
      deferred_state_[x] = 1;
      return result(id, was == 1 ? 1 : 0);
    }
    case ApiId::WdfTimerStop:
    case ApiId::WdfDpcCancel: {
      visible();
      record(id);
      const int was = deferred_state_[x];
      if (was == 1) deferred_state_[x] = 0;
      Val v = result(id, was == 1 ? 1 : 0);
      if (wait) wait_for();
      return v;
    }
    case ApiId::WdfDpcEnqueue: {
      visible();
      record(id);
      const int was = deferred_state_[x];
      deferred_state_[x] = 1;
      return result(id, was == 0 ? 1 : 0);
    }
    case ApiId::WdfWorkItemEnqueue:
      visible();
      record(id);
      deferred_state_[x] = 1;
      return Val{};
    case ApiId::WdfWorkItemFlush:
      visible();
      record(id);
      wait_for();
      return Val{};
    case ApiId::WdfInterruptQueueDpcForIsr: {
      visible();
      record(id);
      if (spec_->interrupts[x].dpc == ast::kNone) {
        violation(RuleId::ApiMisuse,
                  fmt::format("interrupt {} has no EvtInterruptDpc", spec_->interrupts[x].name));
      }
      const bool was = int_dpc_queued_[x];
      int_dpc_queued_[x] = true;
      return result(id, was ? 0 : 1);
    }
    case ApiId::WdfInterruptAcquireLock:
    case ApiId::WdfInterruptSynchronize: {
      gate_prepare();
      const int holder = int_lock_holder_[x];
      if (holder != -1 && holder != cur_) {
        throw BlockedSig{
            fmt::format("the lock of interrupt {} is held", spec_->interrupts[x].name)};
      }
      gate_consume();
      record(id);
      if (holder == cur_) {
        violation(RuleId::Deadlock, fmt::format("{} takes the lock of interrupt {} it holds",
                                                cur().key, spec_->interrupts[x].name));
      }
      if (id == ApiId::WdfInterruptAcquireLock) {
        int_lock_holder_[x] = cur_;
        return Val{};
      }
      const ast::FnDecl& fn = spec_->fns[static_cast<std::size_t>(args[1].i)];
      const int me = cur_;
      const int child = start_activity(fn.name, fn, Role::InterruptSync, -1, {}, -1);
      acts_.back().object = static_cast<int>(x);
      acts_.back().inline_caller = me;
      acts_.back().result_site = &e;
      int_lock_holder_[x] = child;
      cur().waiting_inline = child;
      end_step_after_ = true;
      return result(id, 0);
    }
    case ApiId::WdfInterruptReleaseLock:
      visible();
      record(id);
      if (int_lock_holder_[x] != cur_) {
        violation(RuleId::ApiMisuse, fmt::format("{} releases the lock of interrupt {} it does "
                                                 "not hold",
                                                 cur().key, spec_->interrupts[x].name));
      }
      int_lock_holder_[x] = -1;
      return Val{};
    default:
      break;
  }
  not_executed(id);
}

void RefMachine::release_interrupt_locks(const Act& a) {
  for (int& h : int_lock_holder_) {
    if (h != a.id) continue;
    h = (a.role == Role::Isr || a.role == Role::InterruptSync) ? -1 : -2;  // -2: never released
  }
}

// ---- IRQL (CR017) ----

std::string RefMachine::spin_lock_of(const Act& a) const {
  for (std::size_t l = 0; l < spec_->locks.size(); ++l) {
    if (!spec_->locks[l].wait && lock_holder_[l] == a.id)
      return "spin lock " + spec_->locks[l].name;
  }
  for (std::size_t i = 0; i < int_lock_holder_.size(); ++i) {
    if (int_lock_holder_[i] == a.id) return "the lock of interrupt " + spec_->interrupts[i].name;
  }
  return {};
}

std::string RefMachine::raised_irql(const Act& start, bool& dirql) const {
  dirql = false;
  const Act* a = &start;
  for (int hops = 0; hops < 8 && a != nullptr; ++hops) {
    if (a->role == Role::Isr || a->role == Role::InterruptSync) {
      dirql = true;
      return "runs at DIRQL";
    }
    for (int h : int_lock_holder_) {
      if (h == a->id) {
        dirql = true;
        return "holds an interrupt lock";
      }
    }
    if (a->role == Role::Dpc || a->role == Role::InterruptDpc ||
        (a->role == Role::Timer && a->object >= 0 &&
         !spec_->timers[static_cast<std::size_t>(a->object)].passive))
      return "is a DPC-level callback";
    if (!spin_lock_of(*a).empty()) return "holds a spin lock";
    if (a->holds_device && a->device >= 0) {
      const auto nd = static_cast<int>(spec_->devices.size());
      const int dev = a->device < nd ? a->device : device_of_queue(a->device - nd);
      if (dev >= 0 && !spec_->devices[static_cast<std::size_t>(dev)].passive)
        return "runs under a dispatch-level synchronization lock";
    }
    a = a->inline_caller >= 0 ? find_act(a->inline_caller) : nullptr;
  }
  return {};
}

void RefMachine::check_irql(ApiId id, const std::vector<Val>& args) {
  if (cur_ < 0) return;
  bool dirql = false;
  const std::string why = raised_irql(cur(), dirql);
  if (why.empty()) return;
  const auto wrong = [&]() {
    visible();
    record(id);
    violation(RuleId::WrongIrql,
              fmt::format("{} is called where {} {}", api_name(id), cur().key, why));
  };
  if (dirql) {
    if (!allowed_at_dirql(id)) wrong();
    return;
  }
  if (id == ApiId::WdfRequestSend) {
    if (!spin_lock_of(cur()).empty()) wrong();
    return;
  }
  if (!call_may_wait(id, args.size(), args.size() >= 2 ? args[1].i : 0)) return;
  if (id == ApiId::WdfTimerStop || id == ApiId::WdfDpcCancel || id == ApiId::WdfWorkItemFlush) {
    if (own_callback(cur(), static_cast<std::size_t>(args[0].i)))
      return;  // its own callback: the call reports the deadlock
  }
  wrong();
}

}  // namespace cc
