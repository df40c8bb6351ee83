// The reference executor: a second, deliberately simple implementation of the KMDF, NDIS and
// APPC semantics (docs/semantics/kmdf.md, ndis.md, appc.md; docs/decisions.md; docs/replay.md).
//
// It shares nothing with the explorer's transition code (engine/, modules/):
// it walks the checked AST directly with plain objects (requests, queues, activities with a
// resumable statement cursor) and moves one step at a time, named the way traces name them
// (event keys and choice tokens of docs/replay.md). `replay` (checker/replay.h) uses it to
// confirm every counterexample; tests/checker/differential_test.cpp compares it with the
// explorer's TransitionSystem on random schedules.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/ast.h"
#include "model/rules.h"
#include "model/source.h"

namespace cc {

/// Thrown when a spec exceeds one of the reference executor's bounds (list capacity, a local
/// loop that never
/// reaches a visible operation). Replay reports such a violation as "not replayed".
class RefUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The outcome of one step.
struct RefStep {
  bool ok = false;                   ///< false: the step cannot be taken (see `error`)
  std::string error;                 ///< why the event cannot move / a choice does not apply
  std::vector<std::string> calls;    ///< "Name" / "Name=<int>" (docs/replay.md; uintptr unsigned)
  std::vector<std::string> choices;  ///< the choice tokens the step consumed
  std::optional<RuleId> violation;   ///< the rule the step violates, if any
  std::string violation_message;
};

/// One way the current state can move: an event with the choices of one outcome.
struct RefSuccessor {
  std::string event;
  std::size_t instance = 0;  ///< which of the activities answering to `event` (see instances())
  std::vector<std::string> choices;
  std::vector<std::string> calls;
  std::optional<RuleId> violation;
  std::string violation_message;
};

/// An end-state finding.
struct RefEndFinding {
  RuleId rule = RuleId::NeverCompleted;
  std::string message;
};

/// An object that is pending: a received request, an NBL the protocol sent, a verb.
struct RefPending {
  std::string name;        ///< "req#1", "nbl#2", "task#1"
  bool cancelled = false;  ///< a cancel was aimed at it
};

class RefMachine;  // the state and the interpreter (ref_executor.cpp)

/// Concrete values of symbolic variables by name (a trace's model, docs/symbolic.md).
using SymbolicValues = std::map<std::string, uint64_t, std::less<>>;

/// Executes a checked spec one step at a time. Copyable: a copy is an independent
/// snapshot of the state.
class RefExecutor {
 public:
  /// Throws RefUnsupported when the spec uses something the executor does not run.
  RefExecutor(const ast::Spec& spec, const SourceManager& sm);
  /// As above, with the values that symbolic declarations and symbolic target statuses take
  /// (an unlisted variable is 0).
  RefExecutor(const ast::Spec& spec, const SourceManager& sm, const SymbolicValues& values);
  RefExecutor(const RefExecutor& other);
  RefExecutor& operator=(const RefExecutor& other);
  RefExecutor(RefExecutor&&) noexcept;
  RefExecutor& operator=(RefExecutor&&) noexcept;
  ~RefExecutor();

  /// Why the executor cannot run `spec`, or "" when it can.
  static std::string unsupported_reason(const ast::Spec& spec);

  /// Sorted, distinct event keys that can move now (a violating step counts as a move).
  std::vector<std::string> enabled_events() const;
  /// Every outcome of every enabled event (event, choices), sorted.
  std::vector<RefSuccessor> successors() const;
  /// Takes the step named by `event`, resolving its nondeterminism with `choices` in order.
  /// On failure (`ok == false`) the state is unchanged. After a violating step the state is
  /// the one reached at the violation; a trace ends there.
  /// `instance` picks among several activities answering to the same key (see instances()).
  RefStep step(const std::string& event, const std::vector<std::string>& choices,
               std::size_t instance = 0);
  /// How many activities answer to `event` now (1 for environment events). The replay
  /// protocol names an activity by callback and request only, so two instances of one
  /// callback for one request (an originator's cancel routine and one started inline by a
  /// second WdfRequestMarkCancelable) share a key; replay then tries each.
  std::size_t instances(const std::string& event) const;
  /// True when nothing can move (no activity step, no environment event).
  bool at_end() const;
  /// The end-state check (decisions.md order); meaningful when at_end().
  std::optional<RefEndFinding> end_state_violation() const;
  /// The objects and activities in words, for divergence reports.
  std::string describe_state() const;
  /// True when this state equals `other`'s up to the numbering of activities and the count
  /// of request reuses: a lasso's cycle returned to the state where it began.
  bool same_state(const RefExecutor& other) const;
  /// The received requests, protocol NBLs and verbs pending now (a lasso's predicate).
  std::vector<RefPending> pending_objects() const;

 private:
  std::unique_ptr<RefMachine> m_;
};

}  // namespace cc
