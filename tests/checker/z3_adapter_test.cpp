#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "checker/z3_adapter.h"
#include "engine/sym.h"

namespace cc {
namespace {

constexpr uint64_t kStatusCancelled = 0xC0000120;

struct Fixture {
  SymPool pool;
  SymTermId k(int64_t v) { return pool.int_const(v); }
  SymTermId var(uint32_t id, const char* name, unsigned width) {
    return pool.var(SymVarId{id}, name, width);
  }
  PathCondition pc(std::initializer_list<SymTermId> cs) {
    PathCondition out;
    for (const SymTermId c : cs) out.add(pool, c);
    return out;
  }
};

TEST(Z3Adapter, SatUnsatAndTrivialConditions) {
  Fixture f;
  SymSolver solver;
  const SymTermId x = f.var(1, "x", 32);
  EXPECT_EQ(solver.check(f.pool, f.pc({f.pool.slt(x, f.k(5))})).kind, SatKind::Sat);
  EXPECT_EQ(solver.check(f.pool, f.pc({f.pool.slt(x, f.k(5)), f.pool.sgt(x, f.k(10))})).kind,
            SatKind::Unsat);
  // Signed: no int is below INT_MIN; unsigned: nothing is below 0.
  EXPECT_EQ(solver.check(f.pool, f.pc({f.pool.slt(x, f.k(-5)), f.pool.ult(x, f.k(5))})).kind,
            SatKind::Unsat);
  EXPECT_EQ(solver.stats().queries, 3U);
  // TRUE and FALSE never reach Z3.
  const SolverStats before = solver.stats();
  const SatAnswer t = solver.solve(f.pool, PathCondition{});
  EXPECT_EQ(t.kind, SatKind::Sat);
  ASSERT_TRUE(t.model.has_value());
  EXPECT_EQ(t.model->size(), 0U);
  EXPECT_EQ(solver.check(f.pool, f.pc({f.pool.bool_const(false)})).kind, SatKind::Unsat);
  EXPECT_EQ(solver.stats().queries, before.queries);
  EXPECT_EQ(solver.stats().solver_calls, before.solver_calls);
  EXPECT_EQ(solver.stats().trivial, 2U);
}

TEST(Z3Adapter, AssertionViolationNamesTheOneFailingStatus) {
  Fixture f;
  SymSolver solver;
  // assert((st ^ 0x40000000) != 0x80000120) fails only for st == STATUS_CANCELLED.
  const SymTermId st = f.var(1, "st", 32);
  const SymTermId e = f.pool.mk_ne(f.pool.bv_xor(st, f.k(0x40000000)), f.k(0x80000120));
  const SatAnswer v = solver.find_violation(f.pool, PathCondition{}, e);
  ASSERT_EQ(v.kind, SatKind::Sat);
  ASSERT_TRUE(v.model.has_value());
  EXPECT_TRUE(v.model_canonical);
  EXPECT_EQ(v.model->get(SymVarId{1}), kStatusCancelled);
  EXPECT_EQ(sym_describe(f.pool, *v.model),
            (std::vector<std::pair<std::string, std::string>>{{"st", "0xC0000120"}}));
  // Under a path condition that excludes it, the assertion holds.
  const PathCondition pc = f.pc({f.pool.mk_ne(st, f.k(kStatusCancelled))});
  EXPECT_EQ(solver.find_violation(f.pool, pc, e).kind, SatKind::Unsat);
  EXPECT_EQ(solver.check_valid(f.pool, pc, e).kind, Validity::Valid);
  const ValidityAnswer inv = solver.check_valid(f.pool, PathCondition{}, e);
  EXPECT_EQ(inv.kind, Validity::Invalid);
  ASSERT_TRUE(inv.counterexample.has_value());
  EXPECT_EQ(inv.counterexample->get(SymVarId{1}), kStatusCancelled);
}

TEST(Z3Adapter, ConditionValidForAllValues) {
  Fixture f;
  SymSolver solver;
  const SymTermId flags = f.var(1, "flags", 32);
  const SymTermId len = f.var(2, "len", 8);
  // (flags & 1) <= 1 for every int; a zero-extended int<8> is never negative and below 256.
  EXPECT_EQ(solver.check_valid(f.pool, {}, f.pool.sle(f.pool.bv_and(flags, f.k(1)), f.k(1))).kind,
            Validity::Valid);
  const SymTermId wide = f.pool.to_int(len);
  EXPECT_EQ(solver.check_valid(f.pool, {}, f.pool.sge(wide, f.k(0))).kind, Validity::Valid);
  EXPECT_EQ(solver.check_valid(f.pool, {}, f.pool.slt(wide, f.k(256))).kind, Validity::Valid);
  // Sign-extended, it can be negative: the smallest counterexample is 0x80.
  const ValidityAnswer s = solver.check_valid(f.pool, {}, f.pool.sge(f.pool.sext(len, 32), f.k(0)));
  ASSERT_EQ(s.kind, Validity::Invalid);
  EXPECT_TRUE(s.counterexample_canonical);
  EXPECT_EQ(s.counterexample->get(SymVarId{2}), 0x80U);
}

TEST(Z3Adapter, ModelsAreCanonicalAndDeterministic) {
  Fixture f;
  const SymTermId x = f.var(1, "x", 32);
  const SymTermId y = f.var(2, "y", 8);
  const SymTermId z = f.var(3, "z", 8);
  const PathCondition pc = f.pc({f.pool.sgt(x, f.k(10)), f.pool.slt(x, f.k(20)),
                                 f.pool.mk_eq(f.pool.bv_add(y, z), f.pool.bv_const(10, 8)),
                                 f.pool.ult(f.pool.bv_const(3, 8), y)});
  SymSolver a;
  SymSolver b;
  const SatAnswer ma = a.solve(f.pool, pc);
  const SatAnswer mb = b.solve(f.pool, pc);
  ASSERT_EQ(ma.kind, SatKind::Sat) << ma.reason;
  ASSERT_TRUE(ma.model && mb.model);
  EXPECT_TRUE(ma.model_canonical);
  EXPECT_EQ(*ma.model, *mb.model);
  // Lexicographic minimum in variable-id order: x first, then y, then z.
  EXPECT_EQ(ma.model->get(SymVarId{1}), 11U);
  EXPECT_EQ(ma.model->get(SymVarId{2}), 4U);
  EXPECT_EQ(ma.model->get(SymVarId{3}), 6U);
  EXPECT_TRUE(sym_satisfies(f.pool, pc, *ma.model));
  // check() never returns a model, even when a cached answer has one.
  EXPECT_FALSE(a.check(f.pool, pc).model.has_value());
  EXPECT_EQ(a.stats().cached, 1U);
}

TEST(Z3Adapter, ModelDoesNotDependOnConstructionOrder) {
  // The same condition built in opposite orders reaches Z3 as differently ordered assertions;
  // the canonical model is the same.
  auto build = [](SymPool& p, bool reverse) {
    std::vector<SymTermId> cs;
    const SymTermId s = p.var(SymVarId{7}, "status", 32);
    const SymTermId l = p.var(SymVarId{8}, "length", 16);
    cs.push_back(p.mk_ne(s, p.int_const(0)));
    cs.push_back(p.sle(p.int_const(512), p.to_int(l)));
    cs.push_back(p.mk_eq(p.bv_and(s, p.int_const(0xC0000000)), p.int_const(0xC0000000)));
    cs.push_back(p.to_bool(p.bv_and(p.to_int(l), p.int_const(0x10))));
    PathCondition pc;
    if (reverse) std::reverse(cs.begin(), cs.end());
    for (const SymTermId c : cs) pc.add(p, c);
    return pc;
  };
  SymPool p1;
  SymPool p2;
  const PathCondition a = build(p1, false);
  const PathCondition b = build(p2, true);
  SymSolver s1;
  SymSolver s2;
  const SatAnswer ma = s1.solve(p1, a);
  const SatAnswer mb = s2.solve(p2, b);
  ASSERT_TRUE(ma.model && mb.model);
  EXPECT_EQ(*ma.model, *mb.model);
  EXPECT_EQ(ma.model->get(SymVarId{7}), 0xC0000000U);
  EXPECT_EQ(ma.model->get(SymVarId{8}), 528U);  // the smallest length >= 512 with bit 4 set
  EXPECT_EQ(sym_describe(p1, *ma.model), sym_describe(p2, *mb.model));
}

TEST(Z3Adapter, BranchForksAndPrunes) {
  Fixture f;
  SymSolver solver;
  const SymTermId st = f.var(1, "st", 32);
  const PathCondition pc = f.pc({f.pool.mk_eq(st, f.k(0))});
  const BranchAnswer b = solver.branch(f.pool, pc, f.pool.mk_eq(st, f.k(0)));
  EXPECT_EQ(b.then_answer.kind, SatKind::Sat);
  EXPECT_EQ(b.else_answer.kind, SatKind::Unsat);
  EXPECT_TRUE(b.then_pc == pc);
  const BranchAnswer free = solver.branch(f.pool, {}, f.pool.slt(st, f.k(0)));
  EXPECT_EQ(free.then_answer.kind, SatKind::Sat);
  EXPECT_EQ(free.else_answer.kind, SatKind::Sat);
  EXPECT_NE(free.then_pc.hash(), free.else_pc.hash());
}

TEST(Z3Adapter, SecondIdenticalQueryIsCached) {
  auto cache = std::make_shared<SymCache>();
  SymSolver solver({}, cache);
  SymPool p1;
  SymPool p2;
  const SymTermId x1 = p1.var(SymVarId{1}, "x", 32);
  const SymTermId y1 = p1.var(SymVarId{2}, "y", 32);
  PathCondition a;
  a.add(p1, p1.slt(x1, p1.int_const(5)));
  a.add(p1, p1.mk_eq(p1.bv_add(x1, y1), p1.int_const(9)));
  EXPECT_EQ(solver.check(p1, a).kind, SatKind::Sat);
  EXPECT_EQ(solver.stats().queries, 1U);
  EXPECT_EQ(solver.stats().cached, 0U);
  const uint64_t calls = solver.stats().solver_calls;
  EXPECT_EQ(solver.check(p1, a).kind, SatKind::Sat);
  EXPECT_EQ(solver.stats().queries, 1U);
  EXPECT_EQ(solver.stats().cached, 1U);
  EXPECT_EQ(solver.stats().solver_calls, calls);
  // The same condition built in another order, in another pool, by another solver: a hit.
  const SymTermId y2 = p2.var(SymVarId{2}, "y", 32);
  const SymTermId x2 = p2.var(SymVarId{1}, "x", 32);
  PathCondition b;
  b.add(p2, p2.mk_eq(p2.bv_add(y2, x2), p2.int_const(9)));
  b.add(p2, p2.slt(x2, p2.int_const(5)));
  SymSolver other({}, cache);
  EXPECT_EQ(other.check(p2, b).kind, SatKind::Sat);
  EXPECT_EQ(other.stats().cached, 1U);
  EXPECT_EQ(other.stats().queries, 0U);
  // A model request after a model-less answer is a real query, then cached too.
  EXPECT_TRUE(solver.solve(p1, a).model.has_value());
  EXPECT_EQ(solver.stats().queries, 2U);
  EXPECT_TRUE(other.solve(p2, b).model.has_value());
  EXPECT_EQ(other.stats().cached, 2U);
  Stats s;
  solver.add_to(s);
  other.add_to(s);
  EXPECT_EQ(s.z3_queries, 2U);
  EXPECT_EQ(s.z3_cached, 3U);
  EXPECT_GE(s.z3_seconds, 0.0);
}

TEST(Z3Adapter, CacheComparesKeysNotJustHashes) {
  SymCache cache;
  SatAnswer sat;
  sat.kind = SatKind::Sat;
  cache.store(42, "condition-a", sat);
  EXPECT_FALSE(cache.find(42, "condition-b").has_value());
  ASSERT_TRUE(cache.find(42, "condition-a").has_value());
  SatAnswer unsat;
  unsat.kind = SatKind::Unsat;
  cache.store(42, "condition-b", unsat);
  EXPECT_EQ(cache.find(42, "condition-a")->kind, SatKind::Sat);
  EXPECT_EQ(cache.find(42, "condition-b")->kind, SatKind::Unsat);
  EXPECT_EQ(cache.size(), 2U);
  SymCache bounded(1);
  bounded.store(1, "a", sat);
  bounded.store(2, "b", sat);
  EXPECT_EQ(bounded.size(), 1U);
  EXPECT_FALSE(bounded.find(2, "b").has_value());
  cache.clear();
  EXPECT_EQ(cache.size(), 0U);
}

// x * y == N for a 62-bit semiprime N with 1 < x, y < 2^31: factoring by bit-blasting.
PathCondition factoring(SymPool& p) {
  const SymTermId x = p.var(SymVarId{1}, "x", 64);
  const SymTermId y = p.var(SymVarId{2}, "y", 64);
  const uint64_t n = 2147483647ULL * 2147483629ULL;
  PathCondition pc;
  pc.add(p, p.mk_eq(p.bv_mul(x, y), p.bv_const(n, 64)));
  pc.add(p, p.ult(p.bv_const(1, 64), x));
  pc.add(p, p.ult(p.bv_const(1, 64), y));
  pc.add(p, p.ult(x, p.bv_const(1ULL << 31, 64)));
  pc.add(p, p.ult(y, p.bv_const(1ULL << 31, 64)));
  return pc;
}

TEST(Z3Adapter, TimeoutGivesUnknownNotACrash) {
  // A 1 ms budget on a hard factoring query: Z3 almost always gives up. Whether it does is a
  // matter of timing, so the assertions are about what an Unknown must look like, and that a
  // definite answer is never invented (the deterministic variant is ResourceLimitGivesUnknown).
  SymPool p;
  const PathCondition pc = factoring(p);
  SymSolver solver(SolverOptions{.timeout_ms = 1});
  const SatAnswer a = solver.solve(p, pc);
  EXPECT_NE(a.kind, SatKind::Unsat);  // the product has a factorisation
  if (a.kind == SatKind::Unknown) {
    EXPECT_FALSE(a.reason.empty());
    EXPECT_FALSE(a.model.has_value());
  }
  const ValidityAnswer v =
      solver.check_valid(p, pc, p.mk_ne(p.var(SymVarId{1}, "x", 64), p.bv_const(7, 64)));
  if (v.kind == Validity::Unknown) {
    EXPECT_FALSE(v.reason.empty());
  }
  // Neither side of a branch is pruned on Unknown.
  const BranchAnswer b =
      solver.branch(p, pc, p.ult(p.var(SymVarId{1}, "x", 64), p.var(SymVarId{2}, "y", 64)));
  for (const SatAnswer* side : {&b.then_answer, &b.else_answer}) {
    if (side->kind == SatKind::Unknown) {
      EXPECT_FALSE(side->reason.empty());
    }
  }
}

TEST(Z3Adapter, ResourceLimitGivesUnknown) {
  SymPool p;
  SymSolver solver(SolverOptions{.timeout_ms = 0, .rlimit = 1000});
  const SatAnswer a = solver.check(p, factoring(p));
  EXPECT_EQ(a.kind, SatKind::Unknown);
  EXPECT_FALSE(a.reason.empty());
}

}  // namespace
}  // namespace cc
