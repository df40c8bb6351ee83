// The narrow interface between the semantics (model/) and the search (checker/): an initial
// state, the successors of a state, the end-state checks, and what a transition means in
// words. States are flat, fixed-size byte vectors; the explorer never looks inside them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/sym_decider.h"
#include "engine/trace.h"
#include "model/rules.h"
#include "model/source.h"

namespace cc {

/// Which transition leaves a state: the actor that moved (an activity slot or an environment
/// event, numbered by the semantics) and which of its nondeterministic outcomes was taken.
/// Re-applying a label to the same state gives the same successor.
struct Label {
  uint16_t actor = 0;
  uint16_t choice = 0;
  friend bool operator==(Label, Label) = default;
};

/// A rule violation detected on a transition or in an end state.
struct Finding {
  RuleId rule = RuleId::Assertion;
  SourceLoc loc;        ///< spec location of the violation; invalid when there is none
  std::string message;  ///< one line naming the objects ("req#1 completed twice")
  std::string object;   ///< the object it is about ("req#1"), for explain(); may be empty
  /// True for an end-state finding about an activity that waits forever (`object` is its
  /// lane): a deadlock or a wait for a message that never comes.
  bool waits = false;
};

/// How an actor must be scheduled in an infinite execution (docs/liveness.md): None (it
/// need not ever move: an arrival, a cancel, a stop), Weak (continuously able to move ⇒ it
/// moves) or Strong (able to move again and again ⇒ it moves: lock and event waits).
enum class Fairness : uint8_t { None, Weak, Strong };

/// The race in words, computed from a whole trace.
struct Explanation {
  std::string headline;                ///< names the racing steps
  std::vector<uint32_t> racing_steps;  ///< 0-based step indices to highlight
};

/// Receives the successors of a state.
class SuccessorSink {
 public:
  virtual ~SuccessorSink() = default;
  /// One successor. `state` is valid only during the call. `finding` is non-null when the
  /// transition itself violates a rule (the successor should then not be expanded).
  virtual void on_successor(Label label, std::span<const uint8_t> state,
                            const Finding* finding) = 0;
};

/// A finite transition system over fixed-size byte states.
class TransitionSystem {
 public:
  virtual ~TransitionSystem() = default;
  /// Bytes per state (fixed for the spec).
  virtual std::size_t state_size() const = 0;
  /// Writes the initial state (state_size() bytes).
  virtual void initial_state(std::span<uint8_t> out) = 0;
  /// Calls sink once per successor of `state`, in a deterministic order.
  virtual void successors(std::span<const uint8_t> state, SuccessorSink& sink) = 0;
  /// Checks a state without successors: deadlock, never-completed, lost-cancel.
  virtual std::optional<Finding> end_state(std::span<const uint8_t> state) = 0;
  /// True for the leaf a discarded execution ends in (an assume() was false): the step that
  /// led to it exists, the execution does not. Default: no such states.
  virtual bool discarded(std::span<const uint8_t> state) const {
    (void)state;
    return false;
  }
  /// Re-applies `label` to `before`, writes the successor to `after` (resized to
  /// state_size()) and describes the step for a trace. Throws std::logic_error when the
  /// label does not leave `before`.
  virtual TraceStep describe(std::span<const uint8_t> before, Label label,
                             std::vector<uint8_t>& after) = 0;
  /// Names the racing steps of a finished trace ending in `finding`.
  virtual Explanation explain(const Finding& finding, std::span<const TraceStep> trace) = 0;
  /// The spec location as a self-contained result location (path, line, source text).
  virtual ResultLoc result_loc(SourceLoc loc) const = 0;
  /// Turns the reductions the system implements on or off (on by default): `symmetry`
  /// identifies states that differ only in the numbering of interchangeable parts.
  virtual void set_reductions(bool por, bool symmetry) {
    (void)por;
    (void)symmetry;
  }
  /// Writes the packed form of `state` to `out` (room for state_size() bytes) and returns its
  /// length. Equal states pack to equal bytes and different states to different bytes; the
  /// store keeps packed states. Default: the bytes themselves.
  virtual std::size_t pack(std::span<const uint8_t> state, uint8_t* out) const {
    if (!state.empty()) std::memcpy(out, state.data(), state.size());
    return state.size();
  }
  /// Rebuilds a state (state_size() bytes) from its packed form.
  virtual void unpack(std::span<const uint8_t> packed, std::span<uint8_t> state) const {
    if (!packed.empty()) std::memcpy(state.data(), packed.data(), packed.size());
  }
  /// Partial-order reduction (docs/decisions.md, "Reductions"): when the system knows a persistent
  /// set of the transitions enabled in `state` (no transition outside it can interfere with it
  /// before one of its own is taken), delivers just that set's successors and returns true;
  /// otherwise returns false, and whatever it delivered is to be discarded (a set whose
  /// transition violates a rule or discards the execution is never used). The caller applies
  /// the cycle proviso.
  virtual bool persistent_successors(std::span<const uint8_t> state, SuccessorSink& sink) {
    (void)state;
    (void)sink;
    return false;
  }
  /// Rewrites `state` into the form successors take under the reductions now set (identity
  /// by default). The explorer uses it to turn a path of
  /// canonical states back into a concrete execution whose object names stay stable.
  virtual void canonicalize(std::span<uint8_t> state) { (void)state; }
  /// An independent copy that another search thread may use concurrently with this one
  /// (same states, same successors); nullptr = the search stays on one thread.
  virtual std::unique_ptr<TransitionSystem> clone() const { return nullptr; }

  // ---- liveness (docs/liveness.md); defaults: no actors, nothing pending ----
  /// Number of actors (Label::actor values run from 0 to actors() - 1).
  virtual uint32_t actors() const { return 0; }
  /// The fairness actor `actor` has in `state`.
  virtual Fairness fairness(std::span<const uint8_t> state, uint32_t actor) {
    (void)state, (void)actor;
    return Fairness::Weak;
  }
  /// Appends one finding (CR005, or CR003 when a cancel was aimed at it) for every object
  /// pending in `state` that would violate its rule if it stayed pending for ever.
  virtual void pending(std::span<const uint8_t> state, std::vector<Finding>& out) {
    (void)state, (void)out;
  }
  /// The CR014 finding for `actor` if it never moved again while `state` repeats for ever:
  /// its lane and what it waits for; nullopt when `actor` is no activity of `state`.
  virtual std::optional<Finding> starving(std::span<const uint8_t> state, uint32_t actor) {
    (void)state, (void)actor;
    return std::nullopt;
  }

  // ---- symbolic data (docs/symbolic.md, "Execution"); defaults for concrete systems ----
  /// True when states carry symbolic data: the caller must attach a decider before exploring.
  virtual bool symbolic() const { return false; }
  /// Attaches the decider used for branches, assume and assert on symbolic values.
  virtual void set_decider(SymDecider* /*decider*/) {}
  /// Why part of the search was left undecided by the decider (an Unknown answer), or "".
  /// A non-empty reason turns a pass into an incomplete verdict.
  virtual std::string undecided() const { return {}; }
};

}  // namespace cc
