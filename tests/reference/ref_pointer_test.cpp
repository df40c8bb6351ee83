// Unit tests of the reference executor's pointer-sized integers (docs/spec-language.md,
// "Pointer-sized integers"): the arithmetic functions of ref_values.h, C's conversions at
// stores, arguments and returns, and the NDIS cancel ids (uintptr, CR012's partial id in bits
// pointer_width-1 .. pointer_width-8).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "model/frontend.h"
#include "reference/ref_executor.h"
#include "reference/ref_values.h"
#include "tests/loaded_spec.h"

namespace cc {
namespace {

using refexec::binary_value;
using refexec::to_type;
using refexec::unary_value;
using refexec::value_text;

using testing::Loaded;

std::unique_ptr<Loaded> load(const std::string& text) {
  return testing::load(text, "cc_refptr");
}

/// What running one event key to its end (or to a violation) did.
struct ThreadRun {
  std::vector<std::string> calls;
  std::optional<RuleId> violation;
  std::string message;
};

/// Steps `key` until it no longer moves or a step violates a rule.
ThreadRun run(RefExecutor& ex, const std::string& key) {
  ThreadRun r;
  for (int n = 0; n < 100; ++n) {
    RefStep s = ex.step(key, {});
    if (!s.ok) break;
    r.calls.insert(r.calls.end(), s.calls.begin(), s.calls.end());
    if (s.violation) {
      r.violation = s.violation;
      r.message = s.violation_message;
      break;
    }
  }
  return r;
}

constexpr TypeKind kInt = TypeKind::Int;
constexpr TypeKind kPtr = TypeKind::Ptr;
constexpr TypeKind kBool = TypeKind::Bool;
constexpr int64_t kAllOnes = -1;  // a uintptr of width 64 with every bit set (0xFFFF...FFFF)

TEST(RefValues, ConversionsAreCs) {
  // int -> uintptr sign-extends, then keeps the width's bits.
  EXPECT_EQ(to_type(-1, kPtr, 64), kAllOnes);
  EXPECT_EQ(to_type(-1, kPtr, 32), 0xFFFFFFFFLL);
  // uintptr -> int keeps the low 32 bits.
  EXPECT_EQ(to_type(0x1234567890LL, kInt, 64), 0x34567890LL);
  EXPECT_EQ(to_type(0xFFFFFFFF80000000LL, kInt, 64), INT32_MIN);
  // Handles and objects are left alone.
  EXPECT_EQ(to_type(0x100000003LL, TypeKind::Nbl, 64), 0x100000003LL);
}

TEST(RefValues, UintptrArithmeticWrapsAtThePointerWidth) {
  using ast::BinaryOp;
  EXPECT_EQ(binary_value(BinaryOp::Add, 0xFFFFFFFF, kPtr, 1, kInt, kPtr, 32), 0);
  EXPECT_EQ(binary_value(BinaryOp::Add, 0xFFFFFFFF, kPtr, 1, kInt, kPtr, 64), 0x100000000LL);
  EXPECT_EQ(binary_value(BinaryOp::Add, kAllOnes, kPtr, 1, kInt, kPtr, 64), 0);
  EXPECT_EQ(binary_value(BinaryOp::Sub, 0, kPtr, 1, kInt, kPtr, 32), 0xFFFFFFFFLL);
  EXPECT_EQ(binary_value(BinaryOp::Mul, 0x100000000LL, kPtr, 0x100000000LL, kPtr, kPtr, 64), 0);
  // An int operand is sign-extended before an operation with a uintptr.
  EXPECT_EQ(binary_value(BinaryOp::BitAnd, 0x123456789LL, kPtr, -1, kInt, kPtr, 64), 0x123456789LL);
  EXPECT_EQ(binary_value(BinaryOp::BitOr, 0, kPtr, INT32_MIN, kInt, kPtr, 64),
            static_cast<int64_t>(0xFFFFFFFF80000000ULL));
  // Int arithmetic is unchanged: 32-bit wrap.
  EXPECT_EQ(binary_value(BinaryOp::Add, INT32_MAX, kInt, 1, kInt, kInt, 64), INT32_MIN);
  EXPECT_EQ(binary_value(BinaryOp::Mul, 0x10000, kInt, 0x10000, kInt, kInt, 64), 0);
}

TEST(RefValues, ComparisonsWithAUintptrAreUnsigned) {
  using ast::BinaryOp;
  EXPECT_EQ(binary_value(BinaryOp::Lt, kAllOnes, kPtr, 0, kInt, kBool, 64), 0);
  EXPECT_EQ(binary_value(BinaryOp::Gt, kAllOnes, kPtr, 0, kInt, kBool, 64), 1);
  // -1 meets a uintptr as all ones.
  EXPECT_EQ(binary_value(BinaryOp::Eq, -1, kInt, kAllOnes, kPtr, kBool, 64), 1);
  EXPECT_EQ(binary_value(BinaryOp::Eq, -1, kInt, 0xFFFFFFFF, kPtr, kBool, 32), 1);
  EXPECT_EQ(binary_value(BinaryOp::Eq, -1, kInt, 0xFFFFFFFF, kPtr, kBool, 64), 0);
  EXPECT_EQ(binary_value(BinaryOp::Lt, -1, kInt, 1, kPtr, kBool, 64), 0);
  // Two ints compare signed as before.
  EXPECT_EQ(binary_value(BinaryOp::Lt, -1, kInt, 1, kInt, kBool, 64), 1);
}

TEST(RefValues, ShiftsHaveTheLeftOperandsType) {
  using ast::BinaryOp;
  // uintptr: logical >>, counts of the width or more give 0.
  EXPECT_EQ(binary_value(BinaryOp::Shr, kAllOnes, kPtr, 60, kInt, kPtr, 64), 15);
  EXPECT_EQ(binary_value(BinaryOp::Shr, 0xFFFFFFFF, kPtr, 31, kInt, kPtr, 32), 1);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 0x5A, kPtr, 56, kInt, kPtr, 64),
            static_cast<int64_t>(0x5A00000000000000ULL));
  EXPECT_EQ(binary_value(BinaryOp::Shl, 0x5A, kPtr, 56, kInt, kPtr, 32), 0);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 1, kPtr, 32, kInt, kPtr, 64), 0x100000000LL);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 1, kPtr, 32, kInt, kPtr, 32), 0);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 1, kPtr, 64, kInt, kPtr, 64), 0);
  EXPECT_EQ(binary_value(BinaryOp::Shr, kAllOnes, kPtr, 64, kInt, kPtr, 64), 0);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 1, kPtr, -1, kInt, kPtr, 64), 0);  // a huge count
  // int: the 32-bit shift, the count's low 32 bits read unsigned.
  EXPECT_EQ(binary_value(BinaryOp::Shl, 0x5A, kInt, 24, kInt, kInt, 64), 0x5A000000LL);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 0x5A, kInt, 56, kInt, kInt, 64), 0);
  EXPECT_EQ(binary_value(BinaryOp::Shr, INT32_MIN, kInt, 31, kInt, kInt, 64), -1);
  EXPECT_EQ(binary_value(BinaryOp::Shr, INT32_MIN, kInt, 40, kInt, kInt, 64), -1);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 1, kInt, 0x100000001LL, kPtr, kInt, 64), 2);
  EXPECT_EQ(binary_value(BinaryOp::Shl, 1, kInt, 31, kInt, kInt, 64), INT32_MIN);
}

TEST(RefValues, UnaryAndTraceText) {
  EXPECT_EQ(unary_value(ast::UnaryOp::Neg, 1, kPtr, 64), kAllOnes);
  EXPECT_EQ(unary_value(ast::UnaryOp::Neg, 1, kPtr, 32), 0xFFFFFFFFLL);
  EXPECT_EQ(unary_value(ast::UnaryOp::BitNot, 0, kPtr, 32), 0xFFFFFFFFLL);
  EXPECT_EQ(unary_value(ast::UnaryOp::Neg, INT32_MIN, kInt, 64), INT32_MIN);
  EXPECT_EQ(unary_value(ast::UnaryOp::BitNot, 0, kInt, 64), -1);
  EXPECT_EQ(value_text(kAllOnes, kPtr), "18446744073709551615");
  EXPECT_EQ(value_text(-1, kInt), "-1");
  EXPECT_EQ(value_text(-1073741536, TypeKind::Status), "-1073741536");
}

// ---- specs ----

constexpr const char* kArith64 = R"(
option pointer_width 64;
fn widen(uintptr v) { return v << 40; }
fn narrow(int v) { return v; }
thread T {
  int m1 = -1;
  uintptr a = m1;                        // sign extension: all ones
  assert(a == 0xFFFFFFFFFFFFFFFF);
  assert(a > 0);                         // unsigned
  assert(m1 < 0);                        // the int is still signed
  assert(m1 == a);                       // -1 meets a uintptr as all ones
  assert(a + 1 == 0);                    // wraps at 64 bits
  assert((a >> 60) == 15);               // logical
  int n = 64;
  assert((a << n) == 0);
  assert((a >> n) == 0);
  uintptr b = 0x100000000;
  assert(b - 1 > 0x7FFFFFFF);
  assert((b >> 32) == 1);
  assert(-b == 0xFFFFFFFF00000000);
  assert(~b == 0xFFFFFFFEFFFFFFFF);
  int t = b + 5;                         // keeps the low 32 bits
  assert(t == 5);
  int u = a;
  assert(u == -1);
  int big = 0x7FFFFFFF;
  assert(big + 1 < 0);                   // int arithmetic still wraps at 32 bits
  assert((m1 >> n) == -1);               // an int shift: the sign fill
  uintptr w = widen(1);
  assert(w == 0x10000000000);
  int k = narrow(w | 7);
  assert(k == 7);
  assert(sizeof(PVOID) == 8);
  WIDTH_CHECK
}
environment { }
)";

std::string arith64(const std::string& last) {
  std::string s = kArith64;
  s.replace(s.find("WIDTH_CHECK"), 11, last);
  return s;
}

TEST(RefPointer, UintptrArithmeticAtWidth64) {
  auto l = load(arith64(""));
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm);
  ThreadRun r = run(ex, "T");
  EXPECT_FALSE(r.violation) << r.message;
  EXPECT_TRUE(ex.at_end());
  // The asserts do check: a false one is reported.
  auto bad = load(arith64("assert(a < 0);"));
  ASSERT_TRUE(bad->spec);
  RefExecutor ex2(*bad->spec, bad->sm);
  ThreadRun r2 = run(ex2, "T");
  ASSERT_TRUE(r2.violation);
  EXPECT_EQ(*r2.violation, RuleId::Assertion);
}

TEST(RefPointer, UintptrArithmeticAtWidth32) {
  auto l = load(R"(
option pointer_width 32;
global uintptr g = 0;
thread T {
  int m1 = -1;
  uintptr a = m1;
  assert(a == 0xFFFFFFFF);
  assert(a > 0);
  assert(a + 1 == 0);                    // wraps at 32 bits
  assert((a >> 31) == 1);                // logical
  int n = 32;
  assert((a << n) == 0);
  assert((a >> n) == 0);
  uintptr b = 0x100000000;               // masked to the width
  assert(b == 0);
  uintptr c = 1;
  c = c << 31;
  assert(c > 0);
  int ci = c;
  assert(ci < 0);
  assert(sizeof(PVOID) == 4);
  g = a;
}
environment { }
)");
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm);
  ThreadRun r = run(ex, "T");
  EXPECT_FALSE(r.violation) << r.message;
  EXPECT_TRUE(ex.at_end());
  EXPECT_NE(ex.describe_state().find("g = 4294967295\n"), std::string::npos) << ex.describe_state();
}

TEST(RefPointer, UintptrGlobalPrintsUnsigned) {
  auto l = load(R"(
global uintptr g = 0;
thread T { g = -1; }
environment { }
)");
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm);
  run(ex, "T");
  EXPECT_NE(ex.describe_state().find("g = 18446744073709551615\n"), std::string::npos)
      << ex.describe_state();
}

// A filter tags an NBL it allocated with an id built from its partial cancel id: ID_DECL is
// how it builds the id.
constexpr const char* kTagger = R"(
option pointer_width WIDTH;
filter prober { FilterSendNetBufferListsComplete = OnDone; }
miniport nic : cancelable;
fn OnDone(nbl n, status st) { }
thread Probe {
  int partial = NdisGeneratePartialCancelId();
  nbl n = NdisAllocateNetBufferList();
  ID_DECL
  NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(n, id);
  uintptr back = NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(n);
  assert(back == id);
  NdisFreeNetBufferList(n);
}
environment { }
)";

std::string tagger(const std::string& width, const std::string& id_decl) {
  std::string s = kTagger;
  s.replace(s.find("WIDTH"), 5, width);
  s.replace(s.find("ID_DECL"), 7, id_decl);
  return s;
}

constexpr const char* kUintptrId = "uintptr id = partial; id = (id << 56) | 5;";
constexpr const char* kIntId = "int id = (partial << 24) | 5;";

TEST(RefPointer, PartialIdInTheHighByteAtWidth64) {
  auto l = load(tagger("64", kUintptrId));
  ASSERT_TRUE(l->spec);
  // Bit 63 set: the id prints unsigned.
  RefExecutor ex(*l->spec, l->sm, {{"partial_id", 0xAB}, {"partial_id(other#1)", 0x12}});
  ThreadRun r = run(ex, "Probe");
  EXPECT_FALSE(r.violation) << r.message;
  EXPECT_EQ(r.calls,
            (std::vector<std::string>{
                "NdisGeneratePartialCancelId=171", "NdisAllocateNetBufferList=1",
                "NDIS_SET_NET_BUFFER_LIST_CANCEL_ID",
                "NDIS_GET_NET_BUFFER_LIST_CANCEL_ID=" + std::to_string(0xAB00000000000005ULL),
                "NdisFreeNetBufferList"}));
  EXPECT_TRUE(ex.at_end());
}

TEST(RefPointer, PartialIdAtBit24CollidesAtWidth64Only) {
  // At width 64 the int id 0x5A000005 has high byte 0: another driver's partial id 0 collides.
  const SymbolicValues values{{"partial_id", 0x5A}, {"partial_id(other#1)", 0}};
  auto l64 = load(tagger("64", kIntId));
  ASSERT_TRUE(l64->spec);
  RefExecutor ex64(*l64->spec, l64->sm, values);
  ThreadRun r64 = run(ex64, "Probe");
  ASSERT_TRUE(r64.violation);
  EXPECT_EQ(*r64.violation, RuleId::CancelIdCollision);
  EXPECT_NE(r64.message.find("0x5a000005"), std::string::npos) << r64.message;
  // At width 32 the same driver's high byte is its partial id.
  auto l32 = load(tagger("32", kIntId));
  ASSERT_TRUE(l32->spec);
  RefExecutor ex32(*l32->spec, l32->sm, values);
  ThreadRun r32 = run(ex32, "Probe");
  EXPECT_FALSE(r32.violation) << r32.message;
  EXPECT_EQ(r32.calls.back(), "NdisFreeNetBufferList");
  EXPECT_EQ(r32.calls.at(3), "NDIS_GET_NET_BUFFER_LIST_CANCEL_ID=" + std::to_string(0x5A000005));
  // And the uintptr id at width 64 carries it in bits 63..56: no collision.
  auto lp = load(tagger("64", kUintptrId));
  ASSERT_TRUE(lp->spec);
  RefExecutor exp(*lp->spec, lp->sm, values);
  ThreadRun rp = run(exp, "Probe");
  EXPECT_FALSE(rp.violation) << rp.message;
}

TEST(RefPointer, NegativeIntIdSignExtendsIntoTheHighByte) {
  // partial 0xAB << 24 is a negative int: as a uintptr it is 0xFFFFFFFFAB000005 (high byte FF).
  auto l = load(tagger("64", kIntId));
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm, {{"partial_id", 0xAB}, {"partial_id(other#1)", 0xFF}});
  ThreadRun r = run(ex, "Probe");
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(*r.violation, RuleId::CancelIdCollision);
  EXPECT_NE(r.message.find("0xffffffffab000005"), std::string::npos) << r.message;
}

// The protocol cancels a 33-bit id; the filter's cancel callback takes it as CANCEL_TYPE.
constexpr const char* kWideCancel = R"(
miniport m : pending;
filter f { FilterSendNetBufferLists = OnSend; FilterSendNetBufferListsComplete = OnDone;
           FilterCancelSendNetBufferLists = OnCancel; }
fn OnSend(nbl n) { NdisFSendNetBufferLists(n, m); }
fn OnDone(nbl n, status st) { NdisFSendNetBufferListsComplete(n, st); }
fn OnCancel(CANCEL_TYPE id) { NdisFCancelSendNetBufferLists(m, id); }
environment { send f x 1 cancel_id 0x100000007; cancel_send f 0x100000007; }
)";

std::unique_ptr<Loaded> wide_cancel(const std::string& type) {
  std::string s = kWideCancel;
  s.replace(s.find("CANCEL_TYPE"), 11, type);
  return load(s);
}

void send_and_cancel(RefExecutor& ex) {
  EXPECT_TRUE(ex.step("send f", {}).ok);
  EXPECT_TRUE(ex.step("OnSend[nbl#1]", {}).ok);
  RefStep c = ex.step("cancel_send f 4294967303", {});
  EXPECT_TRUE(c.ok) << c.error;
  RefStep k = ex.step("OnCancel[cancel_id 4294967303]", {});
  EXPECT_TRUE(k.ok) << k.error;
  EXPECT_EQ(k.calls, std::vector<std::string>{"NdisFCancelSendNetBufferLists"});
}

TEST(RefPointer, CancelMatchesTheWholeUintptrId) {
  auto l = wide_cancel("uintptr");
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm);
  send_and_cancel(ex);
  // The cancel reached the pending miniport: it returns the NBL.
  EXPECT_TRUE(ex.step("miniport nbl#1", {}).ok);
  EXPECT_TRUE(ex.step("OnDone[nbl#1]", {}).ok);
  EXPECT_TRUE(ex.at_end());
  EXPECT_FALSE(ex.end_state_violation());
}

TEST(RefPointer, CancelIdKeptInAnIntLosesItsHighBits) {
  auto l = wide_cancel("int");
  ASSERT_TRUE(l->spec);
  RefExecutor ex(*l->spec, l->sm);
  send_and_cancel(ex);
  // The callback cancelled id 7: the miniport still holds the NBL whose id was cancelled.
  EXPECT_FALSE(ex.step("miniport nbl#1", {}).ok);
  EXPECT_TRUE(ex.at_end());
  auto f = ex.end_state_violation();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, RuleId::LostCancel);
}

}  // namespace
}  // namespace cc
