// The Z3 adapter: decides path conditions over SymPool terms. The only code that includes
// z3++.h (in z3_adapter.cpp); nothing Z3-typed crosses this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "checker/result.h"
#include "checker/sym_cache.h"
#include "engine/sym.h"
#include "engine/sym_decider.h"

namespace cc {

/// The linked Z3's version ("4.8.12"), for `cancelcheck --version` and bug reports.
std::string z3_version();

/// Solver limits and behaviour.
struct SolverOptions {
  uint32_t timeout_ms = 10'000;  ///< per Z3 call; 0 = none. Expiry gives SatKind::Unknown
  uint32_t rlimit = 0;           ///< Z3 resource limit per call (deterministic); 0 = none
  bool canonical_models = true;  ///< minimise models (see docs/symbolic.md)
};

/// Solver statistics.
struct SolverStats {
  uint64_t queries = 0;       ///< queries answered by Z3 (cache misses)
  uint64_t cached = 0;        ///< queries answered from the cache
  uint64_t trivial = 0;       ///< queries answered without Z3 (condition TRUE or FALSE)
  uint64_t solver_calls = 0;  ///< Z3 check() calls, including model minimisation
  double seconds = 0.0;       ///< wall time spent inside Z3
};

/// Feasibility of both sides of a branch on `c` under a path condition.
struct BranchAnswer {
  PathCondition then_pc;  ///< pc ∧ c
  PathCondition else_pc;  ///< pc ∧ !c
  SatAnswer then_answer;  ///< is then_pc satisfiable
  SatAnswer else_answer;  ///< is else_pc satisfiable
};

/// Whether an expression holds for every value the path condition allows.
enum class Validity : uint8_t { Valid, Invalid, Unknown };

/// Answer of SymSolver::check_valid.
struct ValidityAnswer {
  Validity kind = Validity::Unknown;
  std::string reason;                        ///< why Unknown
  std::optional<Assignment> counterexample;  ///< Invalid: values for which e is false
  bool counterexample_canonical = false;     ///< the counterexample was minimised
};

/// Answer of SymSolver::check_cancel_id_collision (CR012).
struct CollisionAnswer {
  SatKind kind = SatKind::Unknown;   ///< Sat: the id can collide; Unsat: it never does
  std::string reason;                ///< why Unknown
  std::optional<Assignment> model;   ///< Sat: values of every partial id and of the id's inputs
  std::optional<std::size_t> other;  ///< Sat: index (into `others`) of a driver it collides with
};

/// Decides path conditions with Z3. Each instance owns a Z3 context: use one per thread.
/// Answers are cached by canonical path condition (optionally in a cache shared by several
/// solvers). Z3 errors and timeouts become SatKind::Unknown with a reason; nothing throws
/// out of the query functions except SymError for ill-sorted arguments.
class SymSolver {
 public:
  /// A solver with its own cache, or with `cache` shared between solvers when given.
  explicit SymSolver(SolverOptions opts = {}, std::shared_ptr<SymCache> cache = nullptr);
  /// Releases the Z3 context.
  ~SymSolver();
  /// Not copyable: a solver owns a Z3 context.
  SymSolver(const SymSolver&) = delete;
  /// Not copyable: a solver owns a Z3 context.
  SymSolver& operator=(const SymSolver&) = delete;

  /// Is `pc` satisfiable? No model.
  SatAnswer check(const SymPool& pool, const PathCondition& pc);
  /// Is `pc` satisfiable? On Sat, a canonical model over the variables that occur in `pc`
  /// (others are unconstrained; their canonical value is 0).
  SatAnswer solve(const SymPool& pool, const PathCondition& pc);
  /// Is `pc` satisfiable? Shorthand for check(); Unknown is returned as Unknown, not false.
  SatAnswer is_feasible(const SymPool& pool, const PathCondition& pc) { return check(pool, pc); }
  /// Forks `pc` on a Bool term `c`: both successor conditions and their feasibility.
  BranchAnswer branch(SymPool& pool, const PathCondition& pc, SymTermId c);
  /// Can `e` (Bool) be false under `pc`, i.e. is pc ∧ !e satisfiable? On Sat, the model is the
  /// violating assignment (for `assert(e)`).
  SatAnswer find_violation(SymPool& pool, const PathCondition& pc, SymTermId e);
  /// Does `e` (Bool) hold for every assignment satisfying `pc`?
  ValidityAnswer check_valid(SymPool& pool, const PathCondition& pc, SymTermId e);
  /// CR012: can the high byte of `cancel_id` (a 64-bit uintptr term at pointer width `width`)
  /// equal another driver's partial id, given `pc` and that all partial ids (`own` of this
  /// driver, `others`; 8-bit) are distinct?
  CollisionAnswer check_cancel_id_collision(SymPool& pool, const PathCondition& pc,
                                            SymTermId cancel_id, unsigned width,
                                            std::span<const SymTermId> own,
                                            std::span<const SymTermId> others);
  /// Statistics so far.
  const SolverStats& stats() const { return stats_; }
  /// Adds the statistics to a run's Stats (z3_queries, z3_cached, z3_seconds).
  void add_to(Stats& s) const;
  /// The cache in use.
  const std::shared_ptr<SymCache>& cache() const { return cache_; }

 private:
  class Impl;
  SatAnswer query(const SymPool& pool, const PathCondition& pc, bool want_model);

  SolverOptions opts_;
  std::shared_ptr<SymCache> cache_;
  SolverStats stats_;
  std::unique_ptr<Impl> impl_;
};

/// The semantics' view of the Z3 adapter (engine/sym_decider.h): check() and solve() of
/// `solver`, whose answers become SymDecisions.
class SolverDecider final : public SymDecider {
 public:
  /// Decides with `solver`, which must outlive the decider.
  explicit SolverDecider(SymSolver& solver) : solver_(solver) {}
  SymDecision check(const SymPool& pool, const PathCondition& pc) override;
  SymDecision solve(const SymPool& pool, const PathCondition& pc) override;

 private:
  SymSolver& solver_;
};

}  // namespace cc
