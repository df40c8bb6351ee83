// The narrow interface between the engine and a framework (KMDF, NDIS, APPC): its objects'
// layout, its environment actors, its API handlers, its end-state predicates, how its objects
// are rendered and explained. The engine calls these hooks and knows nothing else of the
// framework; modules/registry.cpp registers the modules in one place
// (docs/adding-a-framework.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/layout.h"
#include "engine/program.h"
#include "engine/sym.h"
#include "engine/transition.h"
#include "model/api.h"

namespace cc {

/// What one executed instruction or event did to the search.
/// Infeasible: a symbolic branch side whose path condition is unsatisfiable (no successor).
enum class Outcome : uint8_t { Continue, Blocked, Violation, Finished, Pruned, Infeasible };
/// Whether an actor could move: Disabled (no successor), Pruned (assume false), Done.
enum class RunResult : uint8_t { Disabled, Pruned, Done };

/// An environment actor: a module's event source (an arrival, a cancel, a lower driver).
struct EnvActor {
  uint8_t module = 0;  ///< index of the module that owns it (set by the engine)
  uint8_t kind = 0;    ///< the module's own event kind
  uint32_t index = 0;  ///< which object or spec line it is about
};

/// One API call as a module handler sees it: the arguments, where the result goes, and the
/// call's slot in the trace record.
struct ApiCall {
  uint32_t act = 0;                ///< the calling activity's slot
  const CodeUnit* unit = nullptr;  ///< its code
  const Instr* in = nullptr;       ///< the Api instruction
  std::array<int64_t, 4> arg{};    ///< argument values (handles, numbers; a uintptr in full)
  int64_t ret = 0;                 ///< the result the handler sets (see Core::api_result)
  std::size_t rec_at = 0;          ///< index of the call in the step's actions (recording)
};

/// End-state checks run in three phases so that findings keep one priority order: early
/// module checks, then the engine's stuck activities, then late module checks.
enum class EndPhase : uint8_t { Early, Late, Final };

/// Where a module's objects go in the state panel: before the engine's locks and events, or
/// after them (before the globals).
enum class ViewPhase : uint8_t { Objects, AfterSync };

/// A framework module. Every hook has a neutral default, so a module implements only what
/// its framework has.
class Module {
 public:
  virtual ~Module() = default;
  /// The module's name ("kmdf", "ndis", "appc").
  virtual std::string_view name() const = 0;
  /// The API domain whose calls this module executes.
  virtual ApiDomain domain() const = 0;

  // ---- construction ----
  /// Reads the spec into the module's static description; returns why the spec cannot be
  /// executed, or "".
  virtual std::string build() { return {}; }
  /// Activity slots the module may need at once (callbacks it can start concurrently).
  virtual uint64_t activities() const { return 0; }
  /// Declares the module's regions of the state.
  virtual void layout(Layout& layout) { (void)layout; }
  /// Appends the module's environment actors, in their fixed order.
  virtual void env_actors(std::vector<EnvActor>& out) const { (void)out; }
  /// True when the spec makes states symbolic through this module (a symbolic completion
  /// status, a partial cancel id).
  virtual bool symbolic() const { return false; }
  /// True unless the module's objects make request components unsound (docs/decisions.md).
  virtual bool por_possible() const { return true; }
  /// Called once the engine has numbered every actor (Core::env_actor_number works).
  virtual void bind() {}
  /// Writes the module's part of the initial state (the state is zero-filled).
  virtual void initial_state() {}

  // ---- transitions ----
  /// Checks a call of any domain before it runs (KMDF: the IRQL and locks it is made under);
  /// an outcome stops the call with it. Default: nothing to check.
  virtual std::optional<Outcome> check_call(ApiCall& call) {
    (void)call;
    return std::nullopt;
  }
  /// Executes a call of the module's domain. Sets `call.ret` for valued calls.
  virtual Outcome exec_api(ApiCall& call) = 0;
  /// Moves one of the module's environment actors.
  virtual RunResult run_env(const EnvActor& e) = 0;
  /// The argument text a trace shows for parameter `i` of `api`, when the module writes it
  /// differently from the type's rendering; nullopt otherwise.
  virtual std::optional<std::string> arg_text(ApiId api, uint32_t i, int64_t v) const {
    (void)api, (void)i, (void)v;
    return std::nullopt;
  }
  /// Which parameter of `api` may hold a symbolic value (-1: none).
  virtual int symbolic_param(ApiId api) const {
    (void)api;
    return -1;
  }
  /// An activity of one of the module's kinds is about to run its first instruction: false
  /// when it cannot start yet (it waits for a lock the framework takes for it).
  virtual bool on_start(uint32_t a) {
    (void)a;
    return true;
  }
  /// An activity returns (before its slot is cleared): Violation when returning breaks a rule.
  virtual Outcome on_finish(uint32_t a, const Instr& in) {
    (void)a, (void)in;
    return Outcome::Finished;
  }
  /// The handle stored for `v` when the program copies it (a handle that denotes "the current
  /// I/O" is pinned to the I/O of this moment); identity by default.
  virtual int32_t pin(int32_t v) const { return v; }
  /// The value of a reference to a spec-declared object (Op::CreatedRef, `imm`).
  virtual std::optional<int32_t> created_ref(int32_t imm) const {
    (void)imm;
    return std::nullopt;
  }
  /// The word of context field `field` of the object whose handle is `h` (LocKind::Field),
  /// or nullptr after reporting a violation; `owns` is false when the module has no context.
  virtual int32_t* field(int32_t h, uint32_t field, const Instr& in, const char* what, bool& owns) {
    (void)h, (void)field, (void)in, (void)what;
    owns = false;
    return nullptr;
  }

  // ---- reductions ----
  /// Renames the state so that interchangeable objects are in canonical order (symmetry).
  virtual void canonicalize() {}
  /// True when the module has interchangeable objects to canonicalize (asked once, after
  /// build(): canonicalize() is called only on such modules).
  virtual bool has_symmetry() const { return false; }
  /// Activity slots were renumbered: `new_of[old]` is each slot's new number. Renames every
  /// slot reference the module keeps in the state.
  virtual void rename_slots(const std::array<uint8_t, 256>& new_of) { (void)new_of; }
  /// Partial-order reduction: the number of candidate components (usually objects).
  virtual uint32_t components() const { return 0; }
  /// True when component `c` is closed now (docs/decisions.md, "Reductions"); fills `actors`
  /// with the actors that may move it.
  virtual bool closed_component(uint32_t c, std::vector<uint32_t>& actors) {
    (void)c, (void)actors;
    return false;
  }

  // ---- liveness (docs/liveness.md) ----
  /// How environment actor `e` must be scheduled in an infinite execution: Weak for what the
  /// model says happens eventually (the default), None for what need not happen.
  virtual Fairness fairness(const EnvActor& e) const {
    (void)e;
    return Fairness::Weak;
  }
  /// Appends a finding (CR005, or CR003 when a cancel was aimed at it) for every object of the
  /// module that is pending now and must not stay so for ever (a received request, an NBL, a
  /// verb).
  virtual void pending(std::vector<Finding>& out) const { (void)out; }

  // ---- end states and words ----
  /// The module's end-state check for `phase`, or nullopt.
  virtual std::optional<Finding> end_state(EndPhase phase) {
    (void)phase;
    return std::nullopt;
  }
  /// Activity `a`, which a call of this module left waiting (kModuleWait), may go on: its call
  /// returns. Modules that never set the flag keep the default.
  virtual bool wait_over(uint32_t a) {
    (void)a;
    return false;
  }
  /// Why activity `a`, stuck at `in` in an end state, waits: a finding of its own, or nullopt
  /// to let the engine report a deadlock. `why` may be set to the words of the deadlock.
  virtual std::optional<Finding> stuck(uint32_t a, const Instr& in, std::string& why) {
    (void)a, (void)in, (void)why;
    return std::nullopt;
  }
  /// The trace words for value `v` of type `t`, when the type is the module's.
  virtual std::optional<std::string> type_text(int32_t v, TypeKind t) const {
    (void)v, (void)t;
    return std::nullopt;
  }
  /// The lane of activity `a` of one of the module's kinds ("OnRead[req#1]"), or "".
  virtual std::string lane(uint32_t a, std::string_view unit) const {
    (void)a, (void)unit;
    return {};
  }
  /// Appends the module's objects for the state panel in `phase`.
  virtual void objects(ViewPhase phase, std::vector<ObjectView>& out) const {
    (void)phase, (void)out;
  }
};

}  // namespace cc
