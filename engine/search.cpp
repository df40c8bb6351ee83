// The search-facing half of the engine: successors, trace steps, end states, packing and the
// reductions' drivers (slot symmetry here; object symmetry and components are module hooks).
#include <algorithm>

#include "engine/core.h"

namespace cc {
namespace {

/// Forwards a persistent set's successors and notes whether one of them ends its execution:
/// a violating transition (the explorer does not continue past a checked finding, and an
/// unchecked one leaves a state the cycle proviso does not look at) or a discarded one
/// (assume() false). Such a set cannot stand for the other actors: they could still move
/// first, and whatever they reach would be lost (docs/decisions.md, "Reductions").
class EndsSink final : public SuccessorSink {
 public:
  EndsSink(SuccessorSink& out, std::size_t pruned_at) : out_(out), pruned_at_(pruned_at) {}
  void on_successor(Label label, std::span<const uint8_t> state, const Finding* finding) override {
    ends_ = ends_ || finding != nullptr || state[pruned_at_] != 0;
    out_.on_successor(label, state, finding);
  }
  bool ends() const { return ends_; }

 private:
  SuccessorSink& out_;
  std::size_t pruned_at_;
  bool ends_ = false;
};

}  // namespace

void Core::successors(std::span<const uint8_t> state, SuccessorSink& sink) {
  if (state[infeasible_at_] != 0) return;  // an assume() failed: this execution does not exist
  auto actors = static_cast<uint32_t>(nact_ + env_.size());
  for (uint32_t actor = 0; actor < actors; ++actor) successors_of(state, sink, actor);
}

uint32_t Core::successors_of(std::span<const uint8_t> state, SuccessorSink& sink, uint32_t actor) {
  // Empty slots and activities waiting for an inline cancel routine cannot move: skip them
  // before copying the state.
  if (actor < nact_ &&
      (state[acts_.at(actor) + kAUnit] == 0 || state[acts_.at(actor) + kAWait] != 0)) {
    return 0;
  }
  uint32_t delivered = 0;
  oracle_.clear();
  expansion_budget_ = kExpansionBudget;
  uint16_t branch = 0;
  do {
    oracle_.rewind();
    std::memcpy(scratch_.data(), state.data(), size_);
    s_ = scratch_.data();
    finding_.reset();
    RunResult r = run_actor(actor);
    oracle_.truncate();
    if (r == RunResult::Pruned) {
      // Keep the label numbering; the successor is a leaf that no check looks at.
      std::memcpy(scratch_.data(), state.data(), size_);
      scratch_[infeasible_at_] = 1;
      r = RunResult::Done;
    }
    if (r == RunResult::Done) {
      sink.on_successor(Label{static_cast<uint16_t>(actor), branch}, scratch_,
                        finding_ ? &*finding_ : nullptr);
      ++delivered;
    }
    ++branch;
  } while (oracle_.next());
  s_ = nullptr;
  return delivered;
}

RunResult Core::run_actor(uint32_t actor) {
  sym_forks_ = 0;
  RunResult r;
  if (actor < nact_) {
    r = run_activity(actor);
  } else {
    self_ = kNoSlot;
    const EnvActor& e = env_.at(actor - nact_);
    r = modules_[e.module]->run_env(e);
  }
  if (r == RunResult::Done) {
    if (symmetry_) {
      for (Module* m : symmetric_) m->canonicalize();
    }
    if (sort_slots_) canonicalize_slots();
  }
  return r;
}

void Core::canonicalize(std::span<uint8_t> state) {
  s_ = state.data();
  if (symmetry_) {
    for (Module* m : symmetric_) m->canonicalize();
  }
  if (sort_slots_) canonicalize_slots();
  s_ = nullptr;
}

bool Core::persistent_successors(std::span<const uint8_t> state, SuccessorSink& sink) {
  if (!por_ || state[infeasible_at_] != 0) return false;
  for (const std::unique_ptr<Module>& m : modules_) {
    const uint32_t n = m->components();
    for (uint32_t c = 0; c < n; ++c) {
      s_ = const_cast<uint8_t*>(state.data());  // read only: closed_component() inspects
      por_actors_.clear();
      const bool closed = m->closed_component(c, por_actors_);
      s_ = nullptr;
      if (!closed) continue;
      uint32_t delivered = 0;
      EndsSink guard(sink, infeasible_at_);
      for (const uint32_t actor : por_actors_) delivered += successors_of(state, guard, actor);
      if (guard.ends()) return false;  // expand fully: the caller discards what was delivered
      if (delivered != 0) return true;
    }
  }
  return false;
}

TraceStep Core::describe(std::span<const uint8_t> before, Label label,
                         std::vector<uint8_t>& after) {
  after.assign(before.begin(), before.end());
  oracle_.clear();
  expansion_budget_ = kExpansionBudget;
  uint16_t branch = 0;
  do {
    oracle_.rewind();
    std::memcpy(after.data(), before.data(), size_);
    s_ = after.data();
    finding_.reset();
    Record rec;
    rec_ = branch == label.choice ? &rec : nullptr;
    if (label.actor < nact_) rec.lane = rec.event = lane_of(label.actor);
    RunResult r = run_actor(label.actor);
    rec_ = nullptr;
    oracle_.truncate();
    if (branch == label.choice) {
      if (r == RunResult::Pruned) {
        std::memcpy(after.data(), before.data(), size_);
        after[infeasible_at_] = 1;
        rec.notes.emplace_back("assume() is false: this execution is discarded");
        r = RunResult::Done;
      }
      if (r != RunResult::Done) break;
      TraceStep step = to_step(rec, label);
      s_ = nullptr;
      return step;
    }
    ++branch;
  } while (oracle_.next());
  s_ = nullptr;
  throw std::logic_error(
      fmt::format("trace label (actor {}, choice {}) does not apply", label.actor, label.choice));
}

TraceStep Core::to_step(const Record& rec, Label label) {
  TraceStep step;
  step.activity = label.actor;
  step.activity_name = rec.lane;
  step.actor = rec.actor;
  step.choice = label.choice;
  step.event = rec.event;
  step.choices = rec.choices;
  step.calls = rec.calls;
  step.events = rec.events;
  for (std::size_t i = 0; i < rec.actions.size(); ++i) {
    if (i) step.action += "; ";
    step.action += rec.actions[i];
  }
  for (std::size_t i = 0; i < rec.results.size(); ++i) {
    if (rec.results[i].empty()) continue;
    if (!step.result.empty()) step.result += "; ";
    step.result += rec.results[i];
  }
  for (std::size_t i = 0; i < rec.notes.size(); ++i) {
    if (i) step.note += "; ";
    step.note += rec.notes[i];
  }
  if (rec.has_src) step.loc = result_loc(rec.src.begin);
  step.objects = objects();
  if (sym_) step.symbolic_values = symbolic_values();
  return step;
}

// ======================================================================= slot symmetry

void Core::canonicalize_slots() {
  const auto first = static_cast<uint32_t>(spec_.threads.size());
  if (nact_ < first + 2) return;
  const uint32_t stride = acts_.stride;
  // Only the occupied slots are sorted; they go first, the empty ones (all zero) after them.
  slot_order_.clear();
  for (uint32_t a = first; a < nact_; ++a) {
    if (act(a)[kAUnit] != 0) slot_order_.push_back(a);
  }
  const auto occupied = static_cast<uint32_t>(slot_order_.size());
  // The wait byte names another slot: compare only whether it is set.
  const auto less = [this, stride](uint32_t x, uint32_t y) {
    const uint8_t* a = act(x);
    const uint8_t* b = act(y);
    if ((a[kAUnit] == 0) != (b[kAUnit] == 0)) return b[kAUnit] == 0;
    if (int c = std::memcmp(a, b, kAWait); c != 0) return c < 0;
    if ((a[kAWait] != 0) != (b[kAWait] != 0)) return a[kAWait] == 0;
    return std::memcmp(a + kAWait + 1, b + kAWait + 1, stride - kAWait - 1) < 0;
  };
  const bool packed_front = occupied == 0 || slot_order_.back() == first + occupied - 1;
  if (packed_front && std::is_sorted(slot_order_.begin(), slot_order_.end(), less)) return;
  std::stable_sort(slot_order_.begin(), slot_order_.end(), less);
  // new_of[old slot] = new slot (threads keep theirs; only occupied slots are referred to).
  std::array<uint8_t, 256> new_of{};
  for (uint32_t a = 0; a < nact_; ++a) new_of[a] = static_cast<uint8_t>(a);
  slot_bytes_.resize(std::size_t(occupied) * stride);
  for (uint32_t i = 0; i < occupied; ++i) {
    new_of[slot_order_[i]] = static_cast<uint8_t>(first + i);
    std::memcpy(slot_bytes_.data() + std::size_t(i) * stride, act(slot_order_[i]), stride);
  }
  if (occupied != 0) std::memcpy(act(first), slot_bytes_.data(), slot_bytes_.size());
  std::memset(act(first + occupied), 0, std::size_t(nact_ - first - occupied) * stride);
  const auto rename = [&new_of](uint8_t& ref) {
    if (ref != 0 && ref != kOrphanOwner) ref = static_cast<uint8_t>(new_of[ref - 1u] + 1u);
  };
  for (uint32_t a = 0; a < nact_; ++a) rename(act(a)[kAWait]);
  for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
    rename(lock_owner(static_cast<uint32_t>(l)));
  }
  for (const std::unique_ptr<Module>& m : modules_) m->rename_slots(new_of);
}

// ======================================================================= packing

std::size_t Core::pack(std::span<const uint8_t> state, uint8_t* out) const {
  const uint8_t* s = state.data();
  const uint32_t base = acts_.offset;
  const uint32_t stride = acts_.stride;
  uint8_t* o = out;
  std::memcpy(o, s, base);
  o += base;
  uint8_t* bitmap = o;
  const uint32_t map_bytes = (nact_ + 7) / 8;
  std::memset(bitmap, 0, map_bytes);
  o += map_bytes;
  for (uint32_t a = 0; a < nact_; ++a) {
    const uint8_t* p = s + base + std::size_t(a) * stride;
    if (p[kAUnit] == 0) continue;  // an empty slot is all zero
    bitmap[a / 8] = static_cast<uint8_t>(bitmap[a / 8] | (1U << (a % 8)));
    // Registers past the function's own are never written, so they are zero.
    const std::size_t bytes = kARegs + 4 * reg_count_[p[kAUnit] - 1u];
    std::memcpy(o, p, bytes);
    o += bytes;
  }
  const std::size_t tail = base + std::size_t(nact_) * stride;
  std::memcpy(o, s + tail, size_ - tail);
  o += size_ - tail;
  return static_cast<std::size_t>(o - out);
}

void Core::unpack(std::span<const uint8_t> packed, std::span<uint8_t> state) const {
  const uint32_t base = acts_.offset;
  const uint32_t stride = acts_.stride;
  const uint8_t* in = packed.data();
  uint8_t* s = state.data();
  std::memcpy(s, in, base);
  in += base;
  const uint8_t* bitmap = in;
  in += (nact_ + 7) / 8;
  std::memset(s + base, 0, std::size_t(nact_) * stride);
  for (uint32_t a = 0; a < nact_; ++a) {
    if (((bitmap[a / 8] >> (a % 8)) & 1U) == 0) continue;
    uint8_t* p = s + base + std::size_t(a) * stride;
    const std::size_t bytes = kARegs + 4 * reg_count_[in[kAUnit] - 1u];
    std::memcpy(p, in, bytes);
    in += bytes;
  }
  const std::size_t tail = base + std::size_t(nact_) * stride;
  std::memcpy(s + tail, in, size_ - tail);
}

// ======================================================================= end states

const Instr& Core::stuck_at(uint32_t a) const {
  const uint8_t* p = act(a);
  const CodeUnit& u = prog_.units[p[kAUnit] - 1];
  // The visible instruction it is stuck at (a first step may start with local code); an
  // activity waiting for an inline cancel routine is stuck at the call that started it.
  uint32_t pc = get16(p + kAPc);
  if (p[kAWait] != 0 || (p[kAFlags] & kModuleWait) != 0) {
    while (pc > 0 && u.code[pc - 1].op != Op::Api) --pc;
    if (pc > 0) --pc;
  }
  for (int hops = 0; hops < 10000 && pc < u.code.size() && !u.visible(pc); ++hops) {
    const Instr& j = u.code[pc];
    if (j.op == Op::Return) break;
    pc = j.op == Op::Jump ? j.target : pc + 1;
  }
  return u.code[std::min<std::size_t>(pc, u.code.size() - 1)];
}

std::string Core::wait_text(uint32_t a, const Instr& in, bool for_ever) const {
  if (in.op != Op::Api) return {};
  const uint8_t* p = act(a);
  const CodeUnit& u = unit_of(a);
  const ApiId api = in.api();
  if (api == ApiId::WdfSpinLockAcquire || api == ApiId::NdisAcquireSpinLock ||
      api == ApiId::WdfWaitLockAcquire) {
    auto l = static_cast<uint32_t>(get32(p + kARegs + 4 * u.args[in.args_begin].value));
    return fmt::format("waits for lock {} held by {}", spec_.locks[l].name,
                       owner_text(lock_owner(l)));
  }
  if (api == ApiId::KeWaitForSingleObject) {
    auto ev = static_cast<uint32_t>(get32(p + kARegs + 4 * u.args[in.args_begin].value));
    return fmt::format("waits for event {} that is never set{}", spec_.events[ev].name,
                       for_ever ? " while it waits" : "");
  }
  return {};
}

std::optional<Finding> Core::end_state(std::span<const uint8_t> state) {
  if (state[infeasible_at_] != 0) return std::nullopt;
  std::memcpy(scratch_.data(), state.data(), size_);
  s_ = scratch_.data();
  std::optional<Finding> f;
  for (std::size_t i = 0; i < modules_.size() && !f; ++i)
    f = modules_[i]->end_state(EndPhase::Early);
  for (uint32_t a = 0; a < nact_ && !f; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const Instr& in = stuck_at(a);
    std::string why;
    if (p[kAWait] != 0) {
      why = fmt::format("waits for {} to return", lane_of(p[kAWait] - 1u));
    } else {
      for (std::size_t i = 0; i < modules_.size() && !f && why.empty(); ++i) {
        f = modules_[i]->stuck(a, in, why);
      }
      if (f) break;
    }
    if (why.empty()) why = wait_text(a, in, false);
    if (why.empty()) why = "is blocked";
    f = Finding{RuleId::Deadlock, in.src.begin, fmt::format("deadlock: {} {}", lane_of(a), why),
                lane_of(a), true};
  }
  for (std::size_t i = 0; i < modules_.size() && !f; ++i)
    f = modules_[i]->end_state(EndPhase::Late);
  for (std::size_t i = 0; i < modules_.size() && !f; ++i) {
    f = modules_[i]->end_state(EndPhase::Final);
  }
  s_ = nullptr;
  return f;
}

// ======================================================================= liveness

Fairness Core::fairness(std::span<const uint8_t> state, uint32_t actor) {
  if (actor >= nact_) {
    const EnvActor& e = env_.at(actor - nact_);
    return modules_[e.module]->fairness(e);
  }
  const uint8_t* p = state.data() + acts_.at(actor);
  if (p[kAUnit] == 0 || p[kAWait] != 0) return Fairness::Weak;
  // Waiting for the framework's synchronization lock, a spin lock or an event: strong.
  if ((p[kAFlags] & (kStarted | kNeedsSync)) == kNeedsSync) return Fairness::Strong;
  // A call that returns when its module says so (a synchronous stop, WdfTimerStop(Wait),
  // WdfWorkItemFlush, a synchronous send) waits like a lock: strong.
  if ((p[kAFlags] & kModuleWait) != 0) return Fairness::Strong;
  s_ = const_cast<uint8_t*>(state.data());  // read only
  const Instr& in = stuck_at(actor);
  s_ = nullptr;
  if (in.op != Op::Api) return Fairness::Weak;
  const ApiId api = in.api();
  return api == ApiId::WdfSpinLockAcquire || api == ApiId::NdisAcquireSpinLock ||
                 api == ApiId::KeWaitForSingleObject || api == ApiId::WdfWaitLockAcquire ||
                 api == ApiId::WdfInterruptAcquireLock || api == ApiId::WdfInterruptSynchronize
             ? Fairness::Strong
             : Fairness::Weak;
}

void Core::pending(std::span<const uint8_t> state, std::vector<Finding>& out) {
  if (state[infeasible_at_] != 0) return;
  s_ = const_cast<uint8_t*>(state.data());  // read only
  for (const std::unique_ptr<Module>& m : modules_) m->pending(out);
  s_ = nullptr;
}

std::optional<Finding> Core::starving(std::span<const uint8_t> state, uint32_t actor) {
  if (actor >= nact_ || state[acts_.at(actor) + kAUnit] == 0) return std::nullopt;
  std::memcpy(scratch_.data(), state.data(), size_);
  s_ = scratch_.data();
  const uint8_t* p = act(actor);
  const Instr& in = stuck_at(actor);
  std::string why;
  if (p[kAWait] != 0) {
    why = fmt::format("waits for {} to return", lane_of(p[kAWait] - 1u));
  } else {
    for (std::size_t i = 0; i < modules_.size() && why.empty(); ++i) {
      std::optional<Finding> f = modules_[i]->stuck(actor, in, why);
      if (f && why.empty()) why = "waits for a completion message";
    }
  }
  if (why.empty()) why = wait_text(actor, in, true);
  if (why.empty()) why = "is blocked";
  Finding f{RuleId::Starvation, in.src.begin,
            fmt::format("starvation: {} {}, while the rest of the system runs for ever",
                        lane_of(actor), why),
            lane_of(actor), true};
  s_ = nullptr;
  return f;
}

}  // namespace cc
