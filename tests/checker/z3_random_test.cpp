// Differential test: the concrete evaluator (sym_evaluate) and Z3 agree on random terms.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "checker/z3_adapter.h"
#include "engine/sym.h"

namespace cc {
namespace {

constexpr uint64_t kEdgeValues[] = {
    0,  1,  2,    7,    8,    15,         16,         24,         31,         32,
    33, 63, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000, 0xC0000120, 0xFFFFFFFE, 0xFFFFFFFF};

class TermGen {
 public:
  TermGen(SymPool& pool, uint64_t seed) : pool_(pool), rng_(seed) {
    vars_ = {pool.var(SymVarId{1}, "a", 8), pool.var(SymVarId{2}, "b", 16),
             pool.var(SymVarId{3}, "c", 32), pool.var(SymVarId{4}, "d", 32)};
  }

  /// Random values for the four variables.
  Assignment assignment() {
    Assignment a;
    for (uint32_t i = 1; i <= 4; ++i) a.set(SymVarId{i}, value());
    return a;
  }

  /// A random 32-bit term of at most `depth` levels.
  SymTermId int_term(int depth) {
    if (depth == 0 || pick(4) == 0) return leaf();
    const SymTermId l = int_term(depth - 1);
    switch (pick(14)) {
      case 0:
        return pool_.bv_add(l, int_term(depth - 1));
      case 1:
        return pool_.bv_sub(l, int_term(depth - 1));
      case 2:
        return pool_.bv_mul(l, int_term(depth - 1));
      case 3:
        return pool_.bv_and(l, int_term(depth - 1));
      case 4:
        return pool_.bv_or(l, int_term(depth - 1));
      case 5:
        return pool_.bv_xor(l, int_term(depth - 1));
      case 6:
        return pool_.bv_shl(l, int_term(depth - 1));
      case 7:
        return pool_.bv_lshr(l, int_term(depth - 1));
      case 8:
        return pool_.bv_ashr(l, int_term(depth - 1));
      case 9:
        return pool_.bv_not(l);
      case 10:
        return pool_.bv_neg(l);
      case 11:
        return pool_.mk_ite(bool_term(depth - 1), l, int_term(depth - 1));
      case 12: {
        const unsigned lo = static_cast<unsigned>(pick(32));
        const unsigned hi = lo + static_cast<unsigned>(pick(32 - lo));
        return pool_.zext(pool_.extract(l, hi, lo), 32);
      }
      default:
        return pool_.bool_to_int(bool_term(depth - 1));
    }
  }

  /// A random Bool term of at most `depth` levels.
  SymTermId bool_term(int depth) {
    const SymTermId l = int_term(depth);
    const SymTermId r = int_term(depth);
    switch (pick(11)) {
      case 9:  // signed comparison at a narrow width
        return pool_.slt(pool_.extract(l, 7, 0), pool_.extract(r, 7, 0));
      case 10:
        return pool_.sle(pool_.extract(l, 15, 0), pool_.extract(r, 15, 0));
      case 0:
        return pool_.mk_eq(l, r);
      case 1:
        return pool_.mk_ne(l, r);
      case 2:
        return pool_.slt(l, r);
      case 3:
        return pool_.sle(l, r);
      case 4:
        return pool_.ult(l, r);
      case 5:
        return pool_.ule(l, r);
      case 6:
        return pool_.to_bool(l);
      case 7:
        return pool_.mk_and(pool_.slt(l, r), pool_.to_bool(int_term(depth)));
      default:
        return pool_.mk_or(pool_.mk_not(pool_.ule(l, r)), pool_.to_bool(int_term(depth)));
    }
  }

 private:
  uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  uint64_t value() {
    if (pick(2) == 0) return kEdgeValues[pick(std::size(kEdgeValues))];
    return std::uniform_int_distribution<uint64_t>(0, UINT32_MAX)(rng_);
  }
  SymTermId leaf() {
    switch (pick(6)) {
      case 0:
        return pool_.to_int(vars_[0]);
      case 1:
        return pool_.sext(vars_[0], 32);
      case 2:
        return pool_.to_int(vars_[1]);
      case 3:
        return vars_[2];
      case 4:
        return vars_[3];
      default:
        return pool_.int_const(static_cast<int64_t>(value()));
    }
  }

  SymPool& pool_;
  std::mt19937_64 rng_;
  std::vector<SymTermId> vars_;
};

// Fixes every variable to its value in `a`.
PathCondition pin(SymPool& pool, const Assignment& a) {
  PathCondition pc;
  for (const auto& [id, value] : a.entries()) {
    const SymVarInfo* info = pool.var_info(id);
    pc.add(pool, pool.mk_eq(info->term, pool.bv_const(value, info->width)));
  }
  return pc;
}

TEST(Z3Random, EvaluatorAgreesWithZ3) {
  constexpr uint64_t kSeed = 20261123;
  constexpr int kRounds = 120;
  SymPool pool;
  TermGen gen(pool, kSeed);
  SymSolver solver;
  for (int round = 0; round < kRounds; ++round) {
    const Assignment a = gen.assignment();
    const SymTermId t = gen.int_term(4);
    const uint64_t v = sym_evaluate(pool, t, a);
    SCOPED_TRACE("seed " + std::to_string(kSeed) + " round " + std::to_string(round) + ": " +
                 sym_to_string(pool, t, 400) + " = " + std::to_string(v));
    // Under the pinned assignment, t != v is unsatisfiable and t == v satisfiable.
    PathCondition differs = pin(pool, a);
    differs.add(pool, pool.mk_ne(t, pool.int_const(static_cast<int64_t>(v))));
    EXPECT_EQ(solver.check(pool, differs).kind, SatKind::Unsat);
    const SymTermId c = gen.bool_term(3);
    const bool holds = sym_evaluate(pool, c, a) != 0;
    PathCondition with_c = pin(pool, a);
    with_c.add(pool, c);
    EXPECT_EQ(solver.check(pool, with_c).kind, holds ? SatKind::Sat : SatKind::Unsat)
        << sym_to_string(pool, c, 400);
  }
}

TEST(Z3Random, ModelsSatisfyTheConditionUnderTheEvaluator) {
  constexpr uint64_t kSeed = 77;
  constexpr int kRounds = 40;
  SymPool pool;
  TermGen gen(pool, kSeed);
  SymSolver solver;
  int sat = 0;
  for (int round = 0; round < kRounds; ++round) {
    PathCondition pc;
    pc.add(pool, gen.bool_term(2));
    pc.add(pool, gen.bool_term(2));
    SCOPED_TRACE("seed " + std::to_string(kSeed) + " round " + std::to_string(round) + ": " +
                 sym_to_string(pool, pc, 600));
    const SatAnswer ans = solver.solve(pool, pc);
    ASSERT_NE(ans.kind, SatKind::Unknown) << ans.reason;
    if (ans.kind != SatKind::Sat) continue;
    ++sat;
    ASSERT_TRUE(ans.model.has_value());
    Assignment full = *ans.model;
    for (uint32_t i = 1; i <= 4; ++i) {
      if (!full.get(SymVarId{i})) full.set(SymVarId{i}, 0);
    }
    EXPECT_TRUE(sym_satisfies(pool, pc, full));
  }
  EXPECT_GT(sat, 0);
}

}  // namespace
}  // namespace cc
