// CR012 (cancel-id-collision) decided over symbolic partial cancel ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "checker/z3_adapter.h"
#include "engine/sym.h"
#include "engine/sym_cancel_id.h"

namespace cc {
namespace {

struct Drivers {
  SymPool pool;
  // This filter's NdisGeneratePartialCancelId() and two other drivers' partial ids.
  SymTermId own = pool.var(SymVarId{1}, "partial_id", kPartialCancelIdWidth);
  SymTermId other0 = pool.var(SymVarId{2}, "other_partial_id0", kPartialCancelIdWidth);
  SymTermId other1 = pool.var(SymVarId{3}, "other_partial_id1", kPartialCancelIdWidth);
  std::vector<SymTermId> own_ids{own};
  std::vector<SymTermId> others{other0, other1};
  SymTermId shl24(SymTermId high) { return pool.bv_shl(pool.to_int(high), pool.int_const(24)); }
};

TEST(Z3CancelId, IdFromPartialCancelIdNeverCollides) {
  Drivers d;
  SymSolver solver;
  SymPool& p = d.pool;
  // (NdisGeneratePartialCancelId() << 24) | 5
  const SymTermId id = p.bv_or(d.shl24(d.own), p.int_const(5));
  const CollisionAnswer a =
      solver.check_cancel_id_collision(p, {}, p.zext(id, kPtrTermWidth), 32, d.own_ids, d.others);
  EXPECT_EQ(a.kind, SatKind::Unsat) << a.reason;
  EXPECT_FALSE(a.model.has_value());
  // (NdisGeneratePartialCancelId() << 24) | n with a symbolic 24-bit counter n.
  const SymTermId n = p.var(SymVarId{4}, "n", 24);
  const SymTermId id_n = p.bv_or(d.shl24(d.own), p.to_int(n));
  EXPECT_EQ(
      solver.check_cancel_id_collision(p, {}, p.zext(id_n, kPtrTermWidth), 32, d.own_ids, d.others)
          .kind,
      SatKind::Unsat);
}

TEST(Z3CancelId, ConstantHighByteCanCollide) {
  Drivers d;
  SymSolver solver;
  SymPool& p = d.pool;
  const SymTermId n = p.var(SymVarId{4}, "n", 24);
  // 0x7F << 24 | n
  const SymTermId id = p.bv_or(p.bv_shl(p.int_const(0x7F), p.int_const(24)), p.to_int(n));
  const CollisionAnswer a =
      solver.check_cancel_id_collision(p, {}, p.zext(id, kPtrTermWidth), 32, d.own_ids, d.others);
  ASSERT_EQ(a.kind, SatKind::Sat) << a.reason;
  ASSERT_TRUE(a.model.has_value());
  ASSERT_TRUE(a.other.has_value());
  EXPECT_EQ(a.model->get(SymVarId{static_cast<uint32_t>(2 + *a.other)}), 0x7FU);
  EXPECT_NE(a.model->get(SymVarId{1}), 0x7FU);
  // Canonical model: own id 0, first other 1 (distinct from 0), second other 0x7F.
  EXPECT_EQ(a.model->get(SymVarId{1}), 0U);
  EXPECT_EQ(a.model->get(SymVarId{2}), 1U);
  EXPECT_EQ(a.other, 1U);
  EXPECT_EQ(a.model->get(SymVarId{4}), 0U);
  const auto named = sym_describe(p, *a.model);
  EXPECT_NE(std::find(named.begin(), named.end(),
                      std::pair<std::string, std::string>{"other_partial_id1", "127"}),
            named.end());
  // When the path condition says this driver's partial id is 0x7F, no other driver has it.
  PathCondition mine;
  mine.add(p, p.mk_eq(d.own, p.bv_const(0x7F, 8)));
  EXPECT_EQ(
      solver.check_cancel_id_collision(p, mine, p.zext(id, kPtrTermWidth), 32, d.own_ids, d.others)
          .kind,
      SatKind::Unsat);
}

TEST(Z3CancelId, LowBitsThatReachTheHighByteCanCollide) {
  Drivers d;
  SymSolver solver;
  SymPool& p = d.pool;
  // (partial << 24) | n with an unconstrained 32-bit n: n's high byte can change the id's.
  const SymTermId n = p.var(SymVarId{4}, "n", 32);
  const SymTermId id = p.bv_or(d.shl24(d.own), n);
  const CollisionAnswer a =
      solver.check_cancel_id_collision(p, {}, p.zext(id, kPtrTermWidth), 32, d.own_ids, d.others);
  ASSERT_EQ(a.kind, SatKind::Sat);
  ASSERT_TRUE(a.model && a.other);
  const uint64_t high = (sym_evaluate(p, id, *a.model) >> 24) & 0xFF;
  EXPECT_EQ(a.model->get(SymVarId{static_cast<uint32_t>(2 + *a.other)}), high);
  // With no other drivers there is nothing to collide with.
  EXPECT_EQ(
      solver.check_cancel_id_collision(p, {}, p.zext(id, kPtrTermWidth), 32, d.own_ids, {}).kind,
      SatKind::Unsat);
}

TEST(Z3CancelId, PointerWidth64TakesTheTopByte) {
  Drivers d;
  SymSolver solver;
  SymPool& p = d.pool;
  auto id_at = [&](unsigned shift) {  // ((uintptr)partial << shift) | 5
    return p.bv_or(p.bv_shl(p.zext(d.own, kPtrTermWidth), p.bv_const(shift, kPtrTermWidth)),
                   p.bv_const(5, kPtrTermWidth));
  };
  // At 64 bits the partial id belongs in bits 63..56: there it never collides.
  EXPECT_EQ(solver.check_cancel_id_collision(p, {}, id_at(56), 64, d.own_ids, d.others).kind,
            SatKind::Unsat);
  // Shifted by 24 as on a 32-bit system, the top byte is 0: another driver's id may be 0.
  const CollisionAnswer a =
      solver.check_cancel_id_collision(p, {}, id_at(24), 64, d.own_ids, d.others);
  ASSERT_EQ(a.kind, SatKind::Sat) << a.reason;
  ASSERT_TRUE(a.model && a.other);
  EXPECT_EQ(a.model->get(SymVarId{static_cast<uint32_t>(2 + *a.other)}), 0U);
  // The same id at pointer width 32 is fine.
  EXPECT_EQ(solver.check_cancel_id_collision(p, {}, id_at(24), 32, d.own_ids, d.others).kind,
            SatKind::Unsat);
}

}  // namespace
}  // namespace cc
