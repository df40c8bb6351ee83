// The engine: the interpreter of the spec language over flat byte states. It owns the
// activities (callback instances and threads, their registers and program counters), the
// spec's locks, events and globals, the oracle for nondeterministic choices, symbolic data,
// the trace recorder and the search-facing TransitionSystem. Everything a framework does is
// behind engine/module.h; the engine knows no framework (docs/architecture.md).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/layout.h"
#include "engine/module.h"
#include "engine/program.h"
#include "engine/semantics.h"
#include "engine/sym.h"
#include "engine/transition.h"
#include "model/ast.h"
#include "model/source.h"

namespace cc {

/// Reads a 4-byte word of a state.
inline int32_t get32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
/// Writes a 4-byte word of a state.
inline void set32(uint8_t* p, int32_t v) {
  std::memcpy(p, &v, 4);
}
/// Reads a 2-byte word of a state.
inline uint16_t get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
/// Writes a 2-byte word of a state.
inline void set16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}
/// True for the list types (a count word, then the elements).
inline bool is_list(TypeKind t) {
  return t == TypeKind::ListRequest || t == TypeKind::ListNbl;
}

/// Activity record layout (bytes): the header, then 4-byte registers.
enum ActField : uint32_t {
  kAUnit = 0,     ///< code unit + 1; 0 = empty slot
  kAKind = 1,     ///< who started it (a module's activity kind; 0 = a spec thread)
  kASubject = 2,  ///< the object it works on + 1 (a module's numbering); 0 = none
  kAWait = 3,     ///< slot + 1 of an activity it waits for (an inline callback)
  kAFlags = 4,
  kAAtomic = 5,  ///< nesting depth of `atomic { }`
  kAPc = 6,      ///< uint16 program counter
  kARegs = 8,
};
/// Activity flag bits. NeedsSync/HoldsSync/Inherited belong to a framework lock a module
/// takes on the activity's behalf before it starts (KMDF's automatic serialization);
/// ModuleWait: a call of the activity returns only when its module says so (Module::wait_over;
/// KMDF's WdfIoQueueStopSynchronously).
enum ActFlag : uint8_t {
  kStarted = 1,
  kNeedsSync = 2,
  kHoldsSync = 4,
  kInherited = 8,
  kModuleWait = 16,
};
/// Activity kind of a spec thread (module kinds are numbered from 1).
constexpr uint8_t kThreadKind = 0;

/// Local instructions one expansion of one actor may run over all its nondeterministic
/// branches together (`while (*) { if (*) { break; } }` has unboundedly many branches, each
/// short): past it the spec is a model limit, so an expansion ends in bounded time.
constexpr uint32_t kExpansionBudget = 8'000'000;
constexpr uint8_t kOrphanOwner = 0xFF;  ///< lock owner: a callback that returned holding it
constexpr uint32_t kNoSlot = UINT32_MAX;

/// Nondeterministic choices of one transition, enumerated like an odometer.
class Oracle {
 public:
  /// The next choice among n outcomes (the first time: 0).
  uint16_t choose(uint16_t n) {
    if (pos_ < path_.size()) return path_[pos_++].first;
    path_.emplace_back(0, n);
    ++pos_;
    return 0;
  }
  /// Replays the current path from its start.
  void rewind() { pos_ = 0; }
  /// Forgets every choice.
  void clear() {
    path_.clear();
    pos_ = 0;
  }
  /// Drops the choices the last run did not reach.
  void truncate() { path_.resize(pos_); }
  /// Advances to the next path; false when every path was taken.
  bool next() {
    while (!path_.empty()) {
      auto& b = path_.back();
      if (b.first + 1 < b.second) {
        ++b.first;
        return true;
      }
      path_.pop_back();
    }
    return false;
  }

 private:
  std::vector<std::pair<uint16_t, uint16_t>> path_;
  std::size_t pos_ = 0;
};

/// What one transition said, for traces.
struct Record {
  std::string lane;
  std::string event;                 ///< replay key of the actor
  std::vector<std::string> choices;  ///< nondeterministic outcomes, in order
  std::vector<std::string> calls;    ///< API calls with their integer results
  ActorKind actor = ActorKind::Driver;
  std::vector<std::string> actions;
  std::vector<std::string> results;
  std::vector<std::string> notes;
  std::vector<StepEvent> events;  ///< typed: what the step did to which object (explain())
  SourceRange src;
  bool has_src = false;
  /// Records the step's spec location unless one is recorded already.
  void first_src(SourceRange r) {
    if (!has_src) {
      src = r;
      has_src = true;
    }
  }
};

/// The engine's state and interpreter, shared with the modules it runs.
class Core final : public TransitionSystem {
 public:
  Core(const ast::Spec& spec, const SourceManager& sm, Program prog);
  ~Core() override;
  /// Registers a framework module (modules/registry.cpp), in the fixed module order.
  void add_module(std::unique_ptr<Module> m);
  /// Builds the static description and the layout; returns why the spec cannot run, or "".
  std::string build();
  /// Builds a fresh engine with its modules for a spec (modules/registry.cpp); clone() uses it.
  using Factory = std::unique_ptr<Core> (*)(const ast::Spec&, const SourceManager&, std::string&);
  /// Sets the factory clone() rebuilds with.
  void set_factory(Factory f) { factory_ = f; }
  /// The module that executes `domain`'s calls, or nullptr.
  Module* module_for(ApiDomain domain) const;

  // ---- TransitionSystem ----
  std::size_t state_size() const override { return size_; }
  void initial_state(std::span<uint8_t> out) override;
  void successors(std::span<const uint8_t> state, SuccessorSink& sink) override;
  std::optional<Finding> end_state(std::span<const uint8_t> state) override;
  bool discarded(std::span<const uint8_t> state) const override {
    return state[infeasible_at_] != 0;
  }
  TraceStep describe(std::span<const uint8_t> before, Label label,
                     std::vector<uint8_t>& after) override;
  Explanation explain(const Finding& finding, std::span<const TraceStep> trace) override;
  ResultLoc result_loc(SourceLoc loc) const override;
  std::unique_ptr<TransitionSystem> clone() const override;
  /// Symbolic states keep a tag bit per word, which renumbering would scramble: no symmetry.
  /// Partial-order reduction needs the canonical slot order (two spawns commute only up to
  /// slot numbering), so it sorts the slots even when symmetry is off.
  void set_reductions(bool por, bool symmetry) override {
    symmetry_ = symmetry && !sym_;
    por_ = por && por_possible_;
    sort_slots_ = symmetry_ || por_;
  }
  bool persistent_successors(std::span<const uint8_t> state, SuccessorSink& sink) override;
  /// Packed form: the bytes before the callback slots, a bitmap of the occupied slots, each
  /// occupied slot's header and the registers of its function only, the bytes after.
  std::size_t pack(std::span<const uint8_t> state, uint8_t* out) const override;
  void unpack(std::span<const uint8_t> packed, std::span<uint8_t> state) const override;
  void canonicalize(std::span<uint8_t> state) override;
  bool symbolic() const override { return sym_; }
  void set_decider(SymDecider* decider) override { decider_ = decider; }
  std::string undecided() const override { return undecided_; }
  uint32_t actors() const override { return static_cast<uint32_t>(nact_ + env_.size()); }
  Fairness fairness(std::span<const uint8_t> state, uint32_t actor) override;
  void pending(std::span<const uint8_t> state, std::vector<Finding>& out) override;
  std::optional<Finding> starving(std::span<const uint8_t> state, uint32_t actor) override;

  // ---- the static description (read by modules) ----
  const ast::Spec& spec_;
  const SourceManager& sm_;
  Program prog_;
  uint32_t nact_ = 0;  ///< activity slots (threads first)
  /// The function a CodeUnit-typed `Fn` register value names ("?" when out of range).
  std::string fn_name(uint32_t fn) const {
    return fn < spec_.fns.size() ? spec_.fns[fn].name : "?";
  }

  // ---- the current state (during one transition) ----
  uint8_t* s_ = nullptr;
  Record* rec_ = nullptr;  ///< non-null while describe() records a step
  Oracle oracle_;
  std::optional<Finding> finding_;
  uint32_t self_ = kNoSlot;  ///< the activity that runs (kNoSlot for an environment actor)

  // ---- activities ----
  uint8_t* act(uint32_t a) const { return s_ + acts_.at(a); }
  int32_t reg(uint32_t a, Reg r) const { return get32(act(a) + kARegs + 4U * r.value); }
  void set_reg(uint32_t a, Reg r, int32_t v) {
    set32(act(a) + kARegs + 4U * r.value, v);
    if (sym_) set_tag(act(a) + kARegs + 4U * r.value, false);
  }
  uint8_t* reg_ptr(uint32_t a, Reg r) const { return act(a) + kARegs + 4U * r.value; }
  /// The uintptr in the register pair at `r` (its low word first).
  uint64_t wide(uint32_t a, Reg r) const {
    uint64_t v;
    std::memcpy(&v, reg_ptr(a, r), 8);
    return v;
  }
  /// Sets the register pair at `r` to uintptr `v`, keeping its low `pointer_width` bits.
  void set_wide(uint32_t a, Reg r, uint64_t v) {
    v &= ptr_mask_;
    std::memcpy(reg_ptr(a, r), &v, 8);
    if (sym_) {
      set_tag(reg_ptr(a, r), false);
      set_tag(reg_ptr(a, r) + 4, false);
    }
  }
  /// Sets parameter `i` of activity `a`'s function, if it has one, to the number `v`
  /// converted to the parameter's type (a uintptr or one word).
  void set_param(uint32_t a, uint32_t i, int64_t v);
  /// Sets parameter `i`, if any, to a symbolic int term (sign-extended for a uintptr).
  void set_param_term(uint32_t a, uint32_t i, SymTermId t);
  /// Bits a uintptr keeps: the spec's pointer width.
  uint64_t ptr_mask_ = ~uint64_t{0};
  const CodeUnit& unit_of(uint32_t a) const { return prog_.units[act(a)[kAUnit] - 1u]; }
  /// Takes a free slot for `fn` as an activity of `kind` about `subject` (kNoSlot = none).
  uint32_t occupy(uint8_t kind, uint32_t fn, uint32_t subject);
  /// The lane of an activity as traces name it ("OnRead[req#1]", "worker").
  std::string lane_of(uint32_t a) const;
  /// Who holds a lock, in words.
  std::string owner_text(uint8_t owner) const;
  uint8_t* global(uint32_t g) const { return s_ + globals_.offset + global_off_[g]; }
  uint8_t& lock_owner(uint32_t l) const { return s_[locks_.at(l)]; }
  uint8_t& event_state(uint32_t e) const { return s_[events_.at(e)]; }

  // ---- recording ----
  bool recording() const { return rec_ != nullptr; }
  void note(std::string text) {
    if (rec_) rec_->notes.push_back(std::move(text));
  }
  /// Records a typed event of the step (explain() reads these, never the notes).
  void event(EventKind kind, const std::string& object) {
    if (rec_) rec_->events.push_back({kind, object});
  }
  /// Takes a nondeterministic choice among n outcomes; `token(i)` names outcome i in traces.
  template <typename F>
  uint16_t choose(uint16_t n, F token) {
    uint16_t c = n > 1 ? oracle_.choose(n) : 0;
    if (rec_) rec_->choices.push_back(token(c));
    return c;
  }
  void violation(RuleId rule, SourceRange src, std::string msg, std::string object = {}) {
    if (!finding_) finding_ = Finding{rule, src.begin, std::move(msg), std::move(object)};
  }
  /// Sets an API call's result and, when recording, its text and `calls` entry.
  void api_result(ApiCall& call, int64_t v);
  /// The trace words for value `v` of type `t` (the modules' types through their hooks).
  std::string render(int64_t v, TypeKind t) const;
  /// The words of a state word of type `t` (a term when it is symbolic).
  std::string slot_text(const uint8_t* p, TypeKind t) const;

  // ---- symbolic data (docs/symbolic.md, "Execution"). A 4-byte word of the state holds a
  // SymTermId instead of a value when its tag bit is set; the tag bitmap and the interned
  // path-condition id follow the rest of the state (only for specs with symbolic data).
  bool sym_ = false;
  SymPool pool_;
  SymDecider* decider_ = nullptr;
  std::string undecided_;
  SymTermId sym_render_;     ///< render() shows this term for its id (during one API call)
  SymTermId sym_arg_;        ///< the symbolic argument of the API call being executed, if any
  bool sym_result_ = false;  ///< exec_api's result is a term id (WdfRequestGetStatus)
  bool tagged(const uint8_t* p) const {
    if (!sym_) return false;
    auto w = static_cast<uint32_t>(p - s_) / 4;
    return ((s_[sym_base_ + 4 + w / 8] >> (w % 8)) & 1U) != 0;
  }
  void set_tag(const uint8_t* p, bool on) {
    auto w = static_cast<uint32_t>(p - s_) / 4;
    uint8_t& b = s_[sym_base_ + 4 + w / 8];
    b = static_cast<uint8_t>(on ? (b | (1U << (w % 8))) : (b & ~(1U << (w % 8))));
  }
  SymTermId term_at(const uint8_t* p);
  void put_term(uint8_t* p, SymTermId t);
  /// The 64-bit term of a uintptr word pair (its value as a constant when concrete).
  SymTermId wide_term_at(const uint8_t* p);
  /// Stores a 64-bit term into a uintptr word pair (masked to the pointer width).
  void put_wide_term(uint8_t* p, SymTermId t);
  SymTermId sym_var(const std::string& name, unsigned width);
  /// The boolean a symbolic int word stands for (a branch's condition).
  SymTermId cond_of(SymTermId t);
  /// A variable of exactly `width` bits (not widened to an int).
  SymTermId raw_var(std::string_view name, unsigned width);
  const PathCondition& path_condition() const { return pcs_[get32(s_ + sym_base_)]; }
  void set_path_condition(const PathCondition& pc);
  bool feasible(const PathCondition& pc);
  /// Splits the step on a symbolic condition as a branch does: oracle choice 1 takes
  /// `on_one`, 0 takes `on_zero` (its negation). Returns whether choice 1 was taken, with the
  /// path condition updated, or nullopt when that side is infeasible (the execution is dropped).
  std::optional<bool> sym_split(SymTermId on_one, SymTermId on_zero);

 private:
  std::vector<std::unique_ptr<Module>> modules_;
  std::array<Module*, 4> by_domain_{};  ///< the module of each ApiDomain (module_for)
  std::vector<Module*> symmetric_;      ///< the modules with objects to canonicalize
  Factory factory_ = nullptr;
  std::vector<EnvActor> env_;
  Region locks_, events_, flags_, globals_, acts_;
  std::vector<uint32_t> global_off_;
  uint32_t infeasible_at_ = 0;  ///< byte set when an assume() failed
  std::size_t size_ = 0;
  uint32_t sym_base_ = 0;  ///< [u32 path-condition id][1 tag bit per 4-byte word before it]
  std::vector<PathCondition> pcs_;                              ///< interned; 0 = TRUE
  std::unordered_map<uint64_t, std::vector<uint32_t>> pc_ids_;  ///< hash -> ids
  std::unordered_map<std::string, uint32_t> var_ids_;           ///< variable name -> SymVarId
  uint32_t sym_forks_ = 0;  ///< symbolic forks in the current step (bounded: kMaxSymForks)

  bool symmetry_ = true;    ///< interchangeable objects renumbered (Module::canonicalize)
  bool sort_slots_ = true;  ///< callback slots kept in canonical order (canonicalize_slots)
  bool por_ = false;        ///< partial-order reduction (docs/decisions.md, "Reductions")
  bool por_possible_ = false;
  /// Local instructions left for the current expansion over all its branches.
  uint32_t expansion_budget_ = 0;
  std::vector<uint32_t> por_actors_;  ///< persistent_successors: the component's actors
  std::vector<uint32_t> reg_count_;   ///< per unit: registers of its frame (pack/unpack)
  std::vector<uint32_t> slot_order_;  ///< canonicalize_slots: old slot of each new one
  std::vector<uint8_t> slot_bytes_;   ///< canonicalize_slots: the records in their new order
  std::vector<uint8_t> scratch_;

  // ---- search (engine/search.cpp) ----
  uint32_t successors_of(std::span<const uint8_t> state, SuccessorSink& sink, uint32_t actor);
  RunResult run_actor(uint32_t actor);
  /// Symmetry of activities: which callback slot an activity occupies means nothing, so
  /// after every transition the occupied slots are sorted by their bytes (empty ones last)
  /// and every slot reference (lock owners, waits, module references) is renamed.
  void canonicalize_slots();
  TraceStep to_step(const Record& rec, Label label);
  /// The visible instruction activity `a` of the current state is at (or waits in).
  const Instr& stuck_at(uint32_t a) const;
  /// What activity `a`, at `in`, waits for in words ("waits for lock l held by ..."), or ""
  /// when `in` is no lock or event wait; `for_ever`: worded for a cycle, not an end state.
  std::string wait_text(uint32_t a, const Instr& in, bool for_ever) const;
  std::vector<ObjectView> objects() const;

  // ---- interpreter (engine/interp.cpp, engine/exec.cpp) ----
  RunResult run_activity(uint32_t a);
  Outcome exec(uint32_t a, const CodeUnit& u, const Instr& in);
  Outcome exec_memory(uint32_t a, const CodeUnit& u, const Instr& in);
  Outcome exec_list(uint32_t a, const CodeUnit& u, const Instr& in);
  Outcome exec_interlocked(uint32_t a, const CodeUnit& u, const Instr& in);
  Outcome exec_api(uint32_t a, const CodeUnit& u, const Instr& in);
  /// The engine's own calls: spin locks and kernel events.
  std::optional<Outcome> exec_sync(ApiCall& call);
  Outcome finish(uint32_t a, const Instr& in);
  /// "g" for a global, "req#1->field" for a context field (as the trace shows the lvalue).
  std::string shared_loc_text(uint32_t a, const Loc& l) const;
  int32_t pin(int32_t v) const;

  // ---- symbolic execution (engine/sym_exec.cpp) ----
  std::string build_symbolic();
  /// The API parameters the modules accept symbolic values for, in words (a model limit).
  std::string symbolic_params_text() const;
  std::optional<Outcome> exec_symbolic(uint32_t a, const CodeUnit& u, const Instr& in);
  /// The term of `x op y` (a comparison gives a boolean term).
  SymTermId sym_binary(ast::BinaryOp op, SymTermId x, SymTermId y);
  /// The term of `x op y` on uintptr terms (unsigned comparisons, logical shift).
  SymTermId sym_binary_wide(ast::BinaryOp op, SymTermId x, SymTermId y);
  /// Runs a wide instruction or a conversion with a symbolic operand; false when none is.
  bool exec_symbolic_wide(uint32_t a, const Instr& in);
  std::vector<std::pair<std::string, std::string>> symbolic_values();

  // ---- partial-order reduction (engine/por.cpp) ----
  /// Per unit, per pc: every instruction reachable from pc touches only the object whose
  /// handle the activity holds (request_local()).
  std::vector<std::vector<bool>> local_from_;
  std::vector<bool> fn_local_;  ///< per fn: its unit is local from its entry
  void build_por();

 public:
  /// The word an operand location denotes for activity `a`; `bad` after a reported violation.
  int32_t* loc_ptr(uint32_t a, const Loc& l, const Instr& in, const char* what, bool& bad);
  /// True when activity `a` is at a pc from which it touches nothing shared (POR).
  bool local_now(uint32_t a) const {
    const uint8_t* p = act(a);
    return local_from_[p[kAUnit] - 1u][get16(p + kAPc)];
  }
  /// True when function `fn` touches nothing shared from its entry (POR).
  bool fn_local(uint32_t fn) const { return fn_local_[fn]; }
  /// The actor number of the module's environment actor `e` (modules address their own).
  uint32_t env_actor_number(const Module& m, uint8_t kind, uint32_t index) const;
};

}  // namespace cc
