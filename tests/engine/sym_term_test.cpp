#include <gtest/gtest.h>

#include <string>

#include "engine/sym.h"
#include "engine/sym_cancel_id.h"

namespace cc {
namespace {

struct Vars {
  SymPool pool;
  SymTermId x = pool.var(SymVarId{1}, "x", 32);
  SymTermId y = pool.var(SymVarId{2}, "y", 32);
  SymTermId b = pool.var(SymVarId{3}, "b", 8);
  SymTermId k(int64_t v) { return pool.int_const(v); }
};

TEST(SymTerm, HashConsingAndCommutativeOrder) {
  Vars v;
  SymPool& p = v.pool;
  EXPECT_EQ(p.bv_add(v.x, v.y), p.bv_add(v.y, v.x));
  EXPECT_EQ(p.bv_mul(v.x, v.y), p.bv_mul(v.y, v.x));
  EXPECT_EQ(p.mk_eq(v.x, v.y), p.mk_eq(v.y, v.x));
  EXPECT_EQ(p.bv_and(v.k(0xFF), v.x), p.bv_and(v.x, v.k(0xFF)));
  const SymNode& n = p.node(p.bv_add(v.k(3), v.x));
  EXPECT_EQ(n.kids[0], v.x);  // the constant goes right
  EXPECT_NE(p.bv_sub(v.x, v.y), p.bv_sub(v.y, v.x));
  const std::size_t before = p.size();
  p.bv_add(v.x, v.y);
  EXPECT_EQ(p.size(), before);
}

TEST(SymTerm, BooleanSimplification) {
  Vars v;
  SymPool& p = v.pool;
  const SymTermId c = p.slt(v.x, v.k(5));
  const SymTermId d = p.mk_eq(v.y, v.k(0));
  EXPECT_EQ(p.mk_not(p.mk_not(d)), d);
  EXPECT_EQ(p.mk_not(c), p.sle(v.k(5), v.x));  // !(x < 5) is 5 <= x
  EXPECT_EQ(p.mk_not(c), p.sge(v.x, v.k(5)));
  EXPECT_EQ(p.mk_eq(v.x, v.x), p.bool_const(true));
  EXPECT_EQ(p.mk_ne(v.x, v.x), p.bool_const(false));
  EXPECT_EQ(p.slt(v.x, v.x), p.bool_const(false));
  EXPECT_EQ(p.mk_and(d, p.bool_const(true)), d);
  EXPECT_EQ(p.mk_and(d, p.bool_const(false)), p.bool_const(false));
  EXPECT_EQ(p.mk_or(d, p.bool_const(true)), p.bool_const(true));
  EXPECT_EQ(p.mk_or(p.bool_const(false), d), d);
  EXPECT_EQ(p.mk_and(d, p.mk_not(d)), p.bool_const(false));
  EXPECT_EQ(p.mk_or(p.mk_not(d), d), p.bool_const(true));
  EXPECT_EQ(p.mk_and(d, d), d);
  EXPECT_EQ(p.mk_ite(p.bool_const(true), v.x, v.y), v.x);
  EXPECT_EQ(p.mk_ite(d, v.x, v.x), v.x);
  EXPECT_EQ(p.mk_ite(p.mk_not(d), v.x, v.y), p.mk_ite(d, v.y, v.x));
  EXPECT_EQ(p.mk_ite(d, p.bool_const(true), p.bool_const(false)), d);
  EXPECT_EQ(p.to_bool(v.x), p.mk_ne(v.x, v.k(0)));
  EXPECT_EQ(p.to_bool(d), d);
}

TEST(SymTerm, ConstantFoldingUsesBitVectorSemantics) {
  Vars v;
  SymPool& p = v.pool;
  EXPECT_EQ(p.const_value(p.bv_add(v.k(3), v.k(4))), 7U);
  EXPECT_EQ(p.const_value(p.bv_add(v.k(0xFFFFFFFF), v.k(1))), 0U);
  EXPECT_EQ(p.const_value(p.bv_neg(v.k(1))), 0xFFFFFFFFU);
  EXPECT_EQ(p.const_value(p.bv_shl(v.k(1), v.k(31))), 0x80000000U);
  EXPECT_EQ(p.const_value(p.bv_shl(v.k(1), v.k(32))), 0U);
  EXPECT_EQ(p.const_value(p.bv_ashr(v.k(-8), v.k(1))), 0xFFFFFFFCU);
  EXPECT_EQ(p.const_value(p.bv_ashr(v.k(-8), v.k(40))), 0xFFFFFFFFU);
  EXPECT_EQ(p.const_value(p.bv_lshr(v.k(-8), v.k(1))), 0x7FFFFFFCU);
  EXPECT_EQ(p.const_value(p.slt(v.k(-1), v.k(0))), 1U);
  EXPECT_EQ(p.const_value(p.ult(v.k(-1), v.k(0))), 0U);
  EXPECT_EQ(p.const_value(p.sext(p.bv_const(0x80, 8), 32)), 0xFFFFFF80U);
  EXPECT_EQ(p.const_value(p.zext(p.bv_const(0x80, 8), 32)), 0x80U);
  EXPECT_EQ(p.const_value(p.extract(v.k(0x7F000005), 31, 24)), 0x7FU);
  EXPECT_EQ(p.bv_sub(v.x, v.x), v.k(0));
  EXPECT_EQ(p.bv_xor(v.x, v.x), v.k(0));
  EXPECT_EQ(p.bv_mul(v.x, v.k(1)), v.x);
  EXPECT_EQ(p.bv_and(v.x, v.k(0)), v.k(0));
  EXPECT_EQ(p.bv_or(v.x, v.k(-1)), v.k(-1));
  EXPECT_EQ(p.bv_shl(v.x, v.k(32)), v.k(0));
  EXPECT_EQ(p.bv_not(p.bv_not(v.x)), v.x);
  // The high byte of a zero-extended 8-bit value is 0; its low byte is the value.
  EXPECT_EQ(p.extract(p.to_int(v.b), 31, 24), p.bv_const(0, 8));
  EXPECT_EQ(p.extract(p.to_int(v.b), 7, 0), v.b);
}

TEST(SymTerm, IllFormedTermsThrow) {
  Vars v;
  SymPool& p = v.pool;
  EXPECT_THROW(p.bv_add(v.x, v.b), SymError);
  EXPECT_THROW(p.mk_and(v.x, p.bool_const(true)), SymError);
  EXPECT_THROW(p.bv_add(p.bool_const(true), p.bool_const(true)), SymError);
  EXPECT_THROW(p.var(SymVarId{1}, "x", 8), SymError);
  EXPECT_THROW(p.var(SymVarId{1}, "z", 32), SymError);
  EXPECT_THROW(p.bv_const(1, 0), SymError);
  EXPECT_THROW(p.bv_const(1, 65), SymError);
  EXPECT_THROW(p.extract(v.b, 8, 0), SymError);
  EXPECT_THROW(p.zext(v.x, 16), SymError);
  EXPECT_EQ(p.var(SymVarId{1}, "x", 32), v.x);
}

TEST(SymTerm, IntNConversionZeroExtends) {
  Vars v;
  SymPool& p = v.pool;
  const SymTermId wide = p.to_int(v.b);
  EXPECT_EQ(p.width(wide), kIntWidth);
  Assignment a;
  a.set(SymVarId{3}, 0xFF);
  EXPECT_EQ(sym_evaluate(p, wide, a), 255U);
  EXPECT_EQ(sym_evaluate(p, p.slt(wide, v.k(0)), a), 0U);
  EXPECT_EQ(sym_evaluate(p, p.slt(p.sext(v.b, 32), v.k(0)), a), 1U);
  EXPECT_EQ(sym_evaluate(p, p.bool_to_int(p.mk_eq(wide, v.k(255))), a), 1U);
}

TEST(SymTerm, Evaluation) {
  Vars v;
  SymPool& p = v.pool;
  const SymTermId e = p.mk_eq(p.bv_add(v.x, v.k(3)), v.k(5));
  Assignment a;
  a.set(SymVarId{1}, 2);
  EXPECT_EQ(sym_evaluate(p, e, a), 1U);
  a.set(SymVarId{1}, 3);
  EXPECT_EQ(sym_evaluate(p, e, a), 0U);
  a.set(SymVarId{1}, 0xFFFFFFFFFFULL);  // masked to 32 bits
  EXPECT_EQ(sym_evaluate(p, v.x, a), 0xFFFFFFFFU);
  EXPECT_THROW(sym_evaluate(p, p.bv_add(v.x, v.y), a), SymError);
  EXPECT_EQ(sym_evaluate(p, p.mk_ite(p.slt(v.x, v.k(0)), v.k(7), v.k(9)), a), 7U);
}

TEST(SymTerm, AssignmentIsOrderedById) {
  Assignment a;
  a.set(SymVarId{5}, 50);
  a.set(SymVarId{1}, 10);
  a.set(SymVarId{3}, 30);
  a.set(SymVarId{1}, 11);
  ASSERT_EQ(a.size(), 3U);
  EXPECT_EQ(a.entries()[0].first, SymVarId{1});
  EXPECT_EQ(a.entries()[0].second, 11U);
  EXPECT_EQ(a.entries()[2].first, SymVarId{5});
  EXPECT_EQ(a.get(SymVarId{3}), 30U);
  EXPECT_FALSE(a.get(SymVarId{4}).has_value());
}

TEST(SymTerm, Printer) {
  Vars v;
  SymPool& p = v.pool;
  EXPECT_EQ(sym_to_string(p, p.mk_eq(p.bv_add(v.x, v.k(3)), v.k(5))), "x + 3 == 5");
  EXPECT_EQ(sym_to_string(p, p.bv_mul(p.bv_sub(v.x, v.k(1)), v.k(2))), "(x - 1) * 2");
  EXPECT_EQ(sym_to_string(p, p.bv_sub(v.x, p.bv_sub(v.y, v.k(1)))), "x - (y - 1)");
  EXPECT_EQ(sym_to_string(p, p.to_bool(p.bv_and(v.x, v.k(1)))), "(x & 1) != 0");
  EXPECT_EQ(sym_to_string(p, p.mk_ne(v.x, v.k(0xC0000120))), "x != 0xC0000120");
  EXPECT_EQ(sym_to_string(p, p.slt(p.to_int(v.b), v.k(7))), "b < 7");
  EXPECT_EQ(
      sym_to_string(p, p.mk_not(p.mk_and(p.mk_eq(v.x, v.k(1)), p.mk_eq(v.y, v.k(2))))).front(),
      '!');
  EXPECT_EQ(sym_to_string(p, p.extract(v.x, 31, 24)), "x[31:24]");
  EXPECT_EQ(sym_to_string(p, p.sext(v.b, 32)), "sext32(b)");
  EXPECT_EQ(sym_to_string(p, p.bool_const(true)), "TRUE");
  EXPECT_EQ(sym_to_string(p, PathCondition{}), "TRUE");
  PathCondition pc;
  pc.add(p, p.mk_or(p.mk_eq(v.x, v.k(1)), p.mk_eq(v.y, v.k(2))));
  pc.add(p, p.slt(v.x, v.k(9)));
  const std::string text = sym_to_string(p, pc);
  EXPECT_TRUE(text == "(x == 1 || y == 2) && x < 9" || text == "x < 9 && (x == 1 || y == 2)" ||
              text == "(y == 2 || x == 1) && x < 9" || text == "x < 9 && (y == 2 || x == 1)")
      << text;
  EXPECT_EQ(sym_describe(p,
                         [] {
                           Assignment a;
                           a.set(SymVarId{3}, 200);
                           a.set(SymVarId{1}, 0xC0000120);
                           return a;
                         }()),
            (std::vector<std::pair<std::string, std::string>>{{"x", "0xC0000120"}, {"b", "200"}}));
}

// Builds x < 5, y != 0, b == 3 and x + y == 7 in `order`, after `noise` unrelated terms.
PathCondition build_pc(SymPool& p, const std::vector<int>& order, int noise) {
  for (int i = 0; i < noise; ++i) p.bv_const(static_cast<uint64_t>(1000 + i), 32);
  std::vector<SymTermId> vars(3);
  PathCondition pc;
  for (const int i : order) {
    // Variables are declared lazily, in the order the conjuncts need them.
    const SymTermId x = p.var(SymVarId{1}, "x", 32);
    switch (i) {
      case 0:
        pc.add(p, p.slt(x, p.int_const(5)));
        break;
      case 1:
        pc.add(p, p.mk_ne(p.var(SymVarId{2}, "y", 32), p.int_const(0)));
        break;
      case 2:
        pc.add(p, p.mk_eq(p.var(SymVarId{3}, "b", 8), p.bv_const(3, 8)));
        break;
      case 3:
        pc.add(p, p.mk_eq(p.bv_add(p.var(SymVarId{2}, "y", 32), x), p.int_const(7)));
        break;
    }
  }
  return pc;
}

TEST(SymPathCondition, HashIsIndependentOfOrderAndPool) {
  SymPool p1;
  SymPool p2;
  SymPool p3;
  const PathCondition a = build_pc(p1, {0, 1, 2, 3}, 0);
  const PathCondition b = build_pc(p2, {3, 2, 1, 0}, 17);
  const PathCondition c = build_pc(p3, {2, 0, 3, 1, 0, 2}, 5);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.hash(), c.hash());
  EXPECT_EQ(a.canonical_bytes(p1), b.canonical_bytes(p2));
  EXPECT_EQ(sym_to_string(p1, a), sym_to_string(p2, b));
  EXPECT_EQ(a.conjuncts().size(), 4U);
  EXPECT_EQ(c.conjuncts().size(), 4U);
  const PathCondition d = build_pc(p1, {0, 1, 2}, 0);
  EXPECT_NE(a.hash(), d.hash());
  EXPECT_FALSE(a == d);
  EXPECT_TRUE(a == build_pc(p1, {1, 3, 0, 2}, 0));
  EXPECT_NE(PathCondition{}.hash(), d.hash());
}

TEST(SymPathCondition, SplitsConjunctionsAndNegatedDisjunctions) {
  Vars v;
  SymPool& p = v.pool;
  const SymTermId c1 = p.mk_eq(v.x, v.k(1));
  const SymTermId c2 = p.slt(v.y, v.k(2));
  PathCondition a;
  a.add(p, p.mk_and(c1, c2));
  PathCondition b;
  b.add(p, c2);
  b.add(p, c1);
  b.add(p, c1);
  EXPECT_TRUE(a == b);
  PathCondition n1;
  n1.add(p, p.mk_not(p.mk_or(c1, c2)));
  PathCondition n2;
  n2.add(p, p.mk_and(p.mk_not(c2), p.mk_not(c1)));
  EXPECT_TRUE(n1 == n2);
  PathCondition t;
  t.add(p, p.bool_const(true));
  EXPECT_TRUE(t.is_true());
  EXPECT_TRUE(t == PathCondition{});
  PathCondition f = a;
  f.add(p, p.bool_const(false));
  EXPECT_TRUE(f.is_false());
  EXPECT_EQ(f.conjuncts().size(), 1U);
  f.add(p, c1);
  EXPECT_EQ(f.conjuncts().size(), 1U);
  EXPECT_THROW(a.add(p, v.x), SymError);
  Assignment s;
  s.set(SymVarId{1}, 1);
  s.set(SymVarId{2}, 0xFFFFFFFF);  // -1 < 2
  EXPECT_TRUE(sym_satisfies(p, a, s));
  s.set(SymVarId{2}, 2);
  EXPECT_FALSE(sym_satisfies(p, a, s));
}

TEST(SymTerm, DeepAndSharedTermsDoNotRecurse) {
  Vars v;
  SymPool& p = v.pool;
  SymTermId chain = v.x;
  constexpr int kDepth = 100'000;
  for (int i = 0; i < kDepth; ++i) chain = p.bv_add(p.bv_mul(chain, v.k(3)), v.y);
  Assignment a;
  a.set(SymVarId{1}, 1);
  a.set(SymVarId{2}, 0);
  uint64_t expect = 1;
  for (int i = 0; i < kDepth; ++i) expect = (expect * 3) & 0xFFFFFFFF;
  EXPECT_EQ(sym_evaluate(p, chain, a), expect);
  EXPECT_EQ(p.vars_of(chain), (std::vector<SymVarId>{SymVarId{1}, SymVarId{2}}));
  const std::string s = sym_to_string(p, chain, 1000);
  EXPECT_EQ(s.size(), 1003U);
  EXPECT_EQ(s.substr(1000), "...");
  PathCondition pc;
  pc.add(p, p.mk_eq(chain, v.k(5)));
  EXPECT_EQ(pc.conjuncts().size(), 1U);
  // A DAG with 2^60 paths prints (capped) and hashes in linear time.
  SymTermId shared = v.x;
  for (int i = 0; i < 60; ++i) shared = p.bv_add(shared, p.bv_mul(shared, v.k(2)));
  EXPECT_LE(sym_to_string(p, shared, 500).size(), 503U);
  PathCondition q;
  q.add(p, p.mk_eq(shared, v.y));
  EXPECT_LT(q.canonical_bytes(p).size(), 10'000U);
  // Structural order of two deep, equal-hash-free terms is decided without recursion.
  EXPECT_NE(p.structural_less(chain, shared), p.structural_less(shared, chain));
}

TEST(SymCancelId, CollisionTermsShape) {
  SymPool p;
  const SymTermId own = p.var(SymVarId{1}, "partial", 8);
  const SymTermId o1 = p.var(SymVarId{2}, "other0", 8);
  const SymTermId o2 = p.var(SymVarId{3}, "other1", 8);
  const SymTermId id = p.bv_or(p.bv_shl(p.to_int(own), p.int_const(24)), p.int_const(5));
  const std::vector<SymTermId> own_ids{own};
  const std::vector<SymTermId> others{o1, o2};
  const CancelIdCollisionTerms t =
      cancel_id_collision_terms(p, p.zext(id, kPtrTermWidth), 32, own_ids, others);
  EXPECT_EQ(t.per_driver.size(), 2U);
  Assignment a;
  a.set(SymVarId{1}, 1);
  a.set(SymVarId{2}, 2);
  a.set(SymVarId{3}, 1);
  EXPECT_EQ(sym_evaluate(p, t.distinct, a), 0U);   // other1 == partial
  EXPECT_EQ(sym_evaluate(p, t.collision, a), 1U);  // id's high byte 1 == other1
  a.set(SymVarId{3}, 3);
  EXPECT_EQ(sym_evaluate(p, t.distinct, a), 1U);
  EXPECT_EQ(sym_evaluate(p, t.collision, a), 0U);
  const std::vector<SymTermId> bad{p.int_const(1)};
  EXPECT_THROW(cancel_id_collision_terms(p, p.zext(id, kPtrTermWidth), 32, own_ids, bad), SymError);
  EXPECT_THROW(cancel_id_high_byte(p, own, 64), SymError);
  EXPECT_THROW(cancel_id_high_byte(p, id, 64), SymError);  // a 32-bit term is no uintptr
  EXPECT_THROW(cancel_id_high_byte(p, p.zext(id, kPtrTermWidth), 48), SymError);
  // The high byte sits at the top of the pointer width.
  const SymTermId wide = p.bv_const(0x1200000034000000ULL, kPtrTermWidth);
  EXPECT_EQ(p.const_value(cancel_id_high_byte(p, wide, 64)), 0x12U);
  EXPECT_EQ(p.const_value(cancel_id_high_byte(p, wide, 32)), 0x34U);
}

}  // namespace
}  // namespace cc
