// The reference executor's number arithmetic (see ref_values.h): written from
// docs/spec-language.md ("Expressions", "Pointer-sized integers"). `int` operations wrap at 32
// bits, `>>` on an int is arithmetic and a count read as an unsigned 32-bit number of 32 or more
// shifts everything out; an operation with a `uintptr` operand converts both operands to
// `uintptr` and is unsigned at the pointer width; a shift has its left operand's type.
#include "reference/ref_values.h"

#include <stdexcept>

namespace cc::refexec {

bool is_number_type(TypeKind t) {
  return t == TypeKind::Bool || t == TypeKind::Int || t == TypeKind::Status || t == TypeKind::Ptr;
}

int64_t to_type(int64_t v, TypeKind t, unsigned pointer_width) {
  return is_number_type(t) ? convert_number(v, t, pointer_width) : v;
}

namespace {

/// `x << n` or `x >> n` with `x` of the left operand's type `lt`.
int64_t shift_value(bool left, int64_t a, TypeKind lt, int64_t b, unsigned w) {
  if (lt == TypeKind::Ptr) {
    // Within the pointer width; the count converts to uintptr (a negative one is huge).
    const auto x = static_cast<uint64_t>(convert_number(a, TypeKind::Ptr, w));
    const auto n = static_cast<uint64_t>(convert_number(b, TypeKind::Ptr, w));
    if (n >= w) return 0;
    return convert_number(static_cast<int64_t>(left ? x << n : x >> n), TypeKind::Ptr, w);
  }
  // The 32-bit int shift: the count is its low 32 bits read unsigned.
  const auto x = static_cast<int32_t>(convert_number(a, TypeKind::Int, w));
  const auto n = static_cast<uint32_t>(static_cast<uint64_t>(b));
  if (left) {
    if (n >= 32) return 0;
    const uint32_t shifted = static_cast<uint32_t>(x) << n;
    return convert_number(shifted, TypeKind::Int, w);
  }
  if (n >= 32) return x < 0 ? -1 : 0;  // the sign fill
  return x >> n;
}

}  // namespace

int64_t binary_value(ast::BinaryOp op, int64_t a, TypeKind lt, int64_t b, TypeKind rt,
                     TypeKind type, unsigned pointer_width) {
  using ast::BinaryOp;
  const unsigned w = pointer_width;
  if (op == BinaryOp::Shl || op == BinaryOp::Shr)
    return shift_value(op == BinaryOp::Shl, a, lt, b, w);
  // C's usual arithmetic conversions: an int meeting a uintptr becomes a uintptr.
  const bool ptr = lt == TypeKind::Ptr || rt == TypeKind::Ptr;
  const TypeKind lop = ptr ? TypeKind::Ptr : lt;
  const TypeKind rop = ptr ? TypeKind::Ptr : rt;
  const auto x = static_cast<uint64_t>(to_type(a, lop, w));
  const auto y = static_cast<uint64_t>(to_type(b, rop, w));
  const auto sx = static_cast<int64_t>(x);
  const auto sy = static_cast<int64_t>(y);
  auto result = [&](uint64_t r) { return to_type(static_cast<int64_t>(r), type, w); };
  switch (op) {
    case BinaryOp::Add:
      return result(x + y);
    case BinaryOp::Sub:
      return result(x - y);
    case BinaryOp::Mul:
      return result(x * y);
    case BinaryOp::BitAnd:
      return result(x & y);
    case BinaryOp::BitOr:
      return result(x | y);
    case BinaryOp::BitXor:
      return result(x ^ y);
    case BinaryOp::Eq:
      return x == y ? 1 : 0;
    case BinaryOp::Ne:
      return x != y ? 1 : 0;
    case BinaryOp::Lt:
      return (ptr ? x < y : sx < sy) ? 1 : 0;
    case BinaryOp::Le:
      return (ptr ? x <= y : sx <= sy) ? 1 : 0;
    case BinaryOp::Gt:
      return (ptr ? x > y : sx > sy) ? 1 : 0;
    case BinaryOp::Ge:
      return (ptr ? x >= y : sx >= sy) ? 1 : 0;
    default:
      break;
  }
  throw std::logic_error("binary_value: a logical operator has no number value");
}

int64_t unary_value(ast::UnaryOp op, int64_t v, TypeKind type, unsigned pointer_width) {
  switch (op) {
    case ast::UnaryOp::Neg:
      return to_type(static_cast<int64_t>(uint64_t{0} - static_cast<uint64_t>(v)), type,
                     pointer_width);
    case ast::UnaryOp::BitNot:
      return to_type(~v, type, pointer_width);
    case ast::UnaryOp::Not:
      break;
  }
  return v == 0 ? 1 : 0;
}

std::string value_text(int64_t v, TypeKind t) {
  if (t == TypeKind::Ptr) return std::to_string(static_cast<uint64_t>(v));
  return std::to_string(v);
}

}  // namespace cc::refexec
