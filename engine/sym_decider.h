// The solver as the semantics see it: an abstract decision procedure for path conditions over
// SymPool terms. model/ never depends on Z3; checker/ implements this with SymSolver and
// attaches it to a TransitionSystem whose spec has symbolic data (docs/symbolic.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/sym.h"

namespace cc {

/// Outcome of a decision (mirrors checker's SatKind without depending on it).
enum class SymSat : uint8_t {
  Sat,      ///< satisfiable
  Unsat,    ///< unsatisfiable
  Unknown,  ///< undecided (timeout, solver error): the search becomes incomplete
};

/// A decision with, on request, a canonical model.
struct SymDecision {
  SymSat kind = SymSat::Unknown;
  std::string reason;               ///< why Unknown
  std::optional<Assignment> model;  ///< Sat and a model was asked for
};

/// Decides path conditions. Implementations cache by canonical path condition, so asking the
/// same question twice is cheap. Not thread-safe: one per transition system.
class SymDecider {
 public:
  virtual ~SymDecider() = default;
  /// Is `pc` satisfiable? (no model)
  virtual SymDecision check(const SymPool& pool, const PathCondition& pc) = 0;
  /// Is `pc` satisfiable? On Sat, with a canonical model of its variables.
  virtual SymDecision solve(const SymPool& pool, const PathCondition& pc) = 0;
};

}  // namespace cc
