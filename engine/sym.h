// Symbolic terms for `symbolic int<N>` data: a hash-consed bit-vector term DAG with no solver
// dependency, path conditions with a stable structural hash, concrete evaluation and a printer.
// The Z3 adapter (checker/z3_adapter.h) decides path conditions built from these terms.
// See docs/symbolic.md for the term language, widths, signedness and canonical form.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cc {

/// A term in a SymPool. Ids are only meaningful within the pool that made them.
struct SymTermId {
  uint32_t value = UINT32_MAX;
  /// True when the id names a term.
  bool valid() const { return value != UINT32_MAX; }
  friend auto operator<=>(SymTermId, SymTermId) = default;
};

/// A symbolic variable's stable identity, chosen by the caller (the semantics) so that the
/// same variable gets the same id in every pool, thread and run.
struct SymVarId {
  uint32_t value = 0;
  friend auto operator<=>(SymVarId, SymVarId) = default;
};

/// Thrown on ill-formed term construction (width mismatch, wrong sort, unknown variable).
class SymError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Term operators. Bit-vector operators follow SMT-LIB QF_BV semantics (wrap-around
/// arithmetic; shifts by at least the width give 0, or the sign fill for BvAshr).
enum class SymOp : uint8_t {
  BoolConst,  ///< true/false (value 1/0), sort Bool
  Const,      ///< bit-vector constant (value, masked to width)
  Var,        ///< symbolic variable (value = SymVarId)
  Not,        ///< boolean negation
  And,        ///< boolean conjunction
  Or,         ///< boolean disjunction
  BvNot,      ///< bitwise complement (`~`)
  BvNeg,      ///< two's complement negation (unary `-`)
  BvAdd,      ///< `+`
  BvSub,      ///< `-`
  BvMul,      ///< `*`
  BvAnd,      ///< `&`
  BvOr,       ///< `|`
  BvXor,      ///< `^`
  BvShl,      ///< `<<`
  BvLshr,     ///< logical right shift
  BvAshr,     ///< arithmetic right shift (the spec's `>>` on int)
  Eq,         ///< equality of two terms of the same sort
  Ult,        ///< unsigned less-than
  Ule,        ///< unsigned less-or-equal
  Slt,        ///< signed less-than (the spec's `<` on int)
  Sle,        ///< signed less-or-equal
  Ite,        ///< if-then-else; kids[0] is Bool, kids[1] and kids[2] share a sort
  ZeroExt,    ///< zero extension to `width`
  SignExt,    ///< sign extension to `width`
  Extract,    ///< bits [value + width - 1 : value] of kids[0]
};

/// Number of SymOp values (for tables).
inline constexpr std::size_t kSymOpCount = static_cast<std::size_t>(SymOp::Extract) + 1;

/// Width of the spec language's `int` (and `status`).
inline constexpr unsigned kIntWidth = 32;
/// Width of a `uintptr` term (at pointer width 32 its high half is kept 0).
inline constexpr unsigned kPtrTermWidth = 64;
/// Largest bit-vector width a term may have.
inline constexpr unsigned kMaxSymWidth = 64;

/// One node of the DAG. `width` is 0 for Bool-sorted terms, 1..64 for bit-vectors.
struct SymNode {
  SymOp op = SymOp::Const;        ///< the operator
  uint8_t width = 0;              ///< 0 = Bool, else bit-vector width
  uint8_t arity = 0;              ///< number of kids in use
  std::array<SymTermId, 3> kids;  ///< operands, canonically ordered for commutative ops
  uint64_t value = 0;             ///< Const/BoolConst value, Var id, Extract low bit
  uint64_t shash = 0;             ///< structural hash (independent of ids and pool history)
};

/// A declared symbolic variable.
struct SymVarInfo {
  SymVarId id;         ///< stable identity
  std::string name;    ///< spec name, for printing and traces
  unsigned width = 0;  ///< N of `int<N>`
  SymTermId term;      ///< the Var term in this pool
};

/// Concrete values for symbolic variables (each masked to the variable's width), ordered by
/// variable id so that iteration and printing are deterministic.
class Assignment {
 public:
  /// Sets (or replaces) the value of a variable.
  void set(SymVarId var, uint64_t value);
  /// The value of a variable, if assigned.
  std::optional<uint64_t> get(SymVarId var) const;
  /// All (variable, value) pairs in variable-id order.
  std::span<const std::pair<SymVarId, uint64_t>> entries() const { return entries_; }
  /// Number of assigned variables.
  std::size_t size() const { return entries_.size(); }
  friend bool operator==(const Assignment&, const Assignment&) = default;

 private:
  std::vector<std::pair<SymVarId, uint64_t>> entries_;
};

/// Owns terms. Structurally equal terms built in one pool get the same id (hash-consing), and
/// builders canonicalise (constant folding, operand ordering, simple identities), so equal
/// conditions usually get equal ids. Not thread-safe: use one pool per thread, or lock.
class SymPool {
 public:
  /// An empty pool.
  SymPool();

  // ---- leaves ----
  /// The Bool constant.
  SymTermId bool_const(bool b);
  /// A bit-vector constant of `width` bits (value is masked).
  SymTermId bv_const(uint64_t value, unsigned width);
  /// A 32-bit `int` constant (two's complement).
  SymTermId int_const(int64_t value) { return bv_const(static_cast<uint64_t>(value), kIntWidth); }
  /// The variable `id` of `width` bits; the first call declares it, later calls must agree on
  /// name and width (else SymError).
  SymTermId var(SymVarId id, std::string_view name, unsigned width);

  // ---- boolean ----
  /// `!a` (a Bool).
  SymTermId mk_not(SymTermId a);
  /// `a && b` (Bool operands).
  SymTermId mk_and(SymTermId a, SymTermId b);
  /// `a || b` (Bool operands).
  SymTermId mk_or(SymTermId a, SymTermId b);
  /// `c ? t : e`; t and e share a sort.
  SymTermId mk_ite(SymTermId c, SymTermId t, SymTermId e);

  // ---- bit-vector arithmetic (operands of equal width) ----
  /// `~a`.
  SymTermId bv_not(SymTermId a);
  /// `-a`.
  SymTermId bv_neg(SymTermId a);
  /// `a + b`.
  SymTermId bv_add(SymTermId a, SymTermId b);
  /// `a - b`.
  SymTermId bv_sub(SymTermId a, SymTermId b);
  /// `a * b`.
  SymTermId bv_mul(SymTermId a, SymTermId b);
  /// `a & b`.
  SymTermId bv_and(SymTermId a, SymTermId b);
  /// `a | b`.
  SymTermId bv_or(SymTermId a, SymTermId b);
  /// `a ^ b`.
  SymTermId bv_xor(SymTermId a, SymTermId b);
  /// `a << b`.
  SymTermId bv_shl(SymTermId a, SymTermId b);
  /// Logical right shift.
  SymTermId bv_lshr(SymTermId a, SymTermId b);
  /// Arithmetic right shift.
  SymTermId bv_ashr(SymTermId a, SymTermId b);

  // ---- comparisons (Bool result) ----
  /// `a == b` (same sort).
  SymTermId mk_eq(SymTermId a, SymTermId b);
  /// `a != b`, i.e. `!(a == b)`.
  SymTermId mk_ne(SymTermId a, SymTermId b) { return mk_not(mk_eq(a, b)); }
  /// Unsigned `a < b`.
  SymTermId ult(SymTermId a, SymTermId b);
  /// Unsigned `a <= b`.
  SymTermId ule(SymTermId a, SymTermId b);
  /// Signed `a < b`.
  SymTermId slt(SymTermId a, SymTermId b);
  /// Signed `a <= b`.
  SymTermId sle(SymTermId a, SymTermId b);
  /// Signed `a > b`, built as `b < a`.
  SymTermId sgt(SymTermId a, SymTermId b) { return slt(b, a); }
  /// Signed `a >= b`, built as `b <= a`.
  SymTermId sge(SymTermId a, SymTermId b) { return sle(b, a); }

  // ---- width changes ----
  /// Zero-extends a to `width` bits (width >= a's width).
  SymTermId zext(SymTermId a, unsigned width);
  /// Sign-extends a to `width` bits (width >= a's width).
  SymTermId sext(SymTermId a, unsigned width);
  /// Bits [hi:lo] of a.
  SymTermId extract(SymTermId a, unsigned hi, unsigned lo);

  // ---- spec-language conveniences (int is 32-bit signed) ----
  /// A symbolic `int<N>` widened for 32-bit arithmetic: zero-extended (the value range is
  /// 0..2^N-1; see docs/symbolic.md). A 32-bit term is returned unchanged.
  SymTermId to_int(SymTermId a);
  /// C truth value: a Bool stays, a bit-vector becomes `a != 0`.
  SymTermId to_bool(SymTermId a);
  /// C integer value of a condition: `c ? 1 : 0` as a 32-bit int (a bit-vector stays).
  SymTermId bool_to_int(SymTermId c);

  // ---- inspection ----
  /// The node behind an id.
  const SymNode& node(SymTermId id) const { return nodes_.at(id.value); }
  /// Number of terms in the pool.
  std::size_t size() const { return nodes_.size(); }
  /// True for Bool-sorted terms.
  bool is_bool(SymTermId id) const { return node(id).width == 0; }
  /// Bit-vector width (0 for Bool).
  unsigned width(SymTermId id) const { return node(id).width; }
  /// The constant value if the term is a Const or BoolConst.
  std::optional<uint64_t> const_value(SymTermId id) const;
  /// The declaration of a variable, if it was declared in this pool.
  const SymVarInfo* var_info(SymVarId id) const;
  /// All variables declared in this pool, in id order.
  std::vector<const SymVarInfo*> variables() const;
  /// The variables a term depends on, in id order.
  std::vector<SymVarId> vars_of(SymTermId t) const;
  /// Total structural order (independent of ids): by structural hash, then by structure.
  bool structural_less(SymTermId a, SymTermId b) const;

 private:
  SymTermId intern(SymNode n);
  SymTermId binary_bv(SymOp op, SymTermId a, SymTermId b);
  SymTermId compare(SymOp op, SymTermId a, SymTermId b);
  SymTermId order_commutative(SymOp op, SymTermId a, SymTermId b, unsigned width);
  void require_bv(SymTermId a, const char* what) const;
  void require_bool(SymTermId a, const char* what) const;
  void require_same_width(SymTermId a, SymTermId b, const char* what) const;
  int structural_compare(SymTermId a, SymTermId b) const;

  struct NodeKey {
    SymOp op;
    uint8_t width;
    uint32_t k0, k1, k2;
    uint64_t value;
    friend bool operator==(const NodeKey&, const NodeKey&) = default;
  };
  struct NodeKeyHash {
    std::size_t operator()(const NodeKey& k) const;
  };

  std::vector<SymNode> nodes_;
  std::unordered_map<NodeKey, uint32_t, NodeKeyHash> index_;
  std::vector<SymVarInfo> vars_;                      ///< declaration order
  std::unordered_map<uint32_t, uint32_t> var_index_;  ///< var id -> vars_ index
};

/// A conjunction of Bool terms: a set of conjuncts, split on top-level `&&` (and `!(a || b)`),
/// de-duplicated and sorted by SymPool::structural_less, with a 64-bit hash of its canonical
/// serialisation. The hash does not depend on ids, insertion order or pool history, so equal
/// conditions hash equal across pools, threads and runs. A pool's ids are stored: use a PC only
/// with the pool that built it.
class PathCondition {
 public:
  /// The empty condition (true).
  PathCondition();
  /// Adds a conjunct (a Bool term). Adding `true` changes nothing; adding `false` makes the
  /// condition exactly {false}.
  void add(SymPool& pool, SymTermId c);
  /// The conjuncts in canonical order.
  std::span<const SymTermId> conjuncts() const { return conjuncts_; }
  /// True for the empty condition.
  bool is_true() const { return conjuncts_.empty(); }
  /// True when a conjunct is the constant false.
  bool is_false() const { return is_false_; }
  /// Stable hash of canonical_bytes().
  uint64_t hash() const { return hash_; }
  /// The canonical serialisation: a post-order DAG encoding with local node numbers and full
  /// structure (operators, widths, constants, variable ids and names).
  std::string canonical_bytes(const SymPool& pool) const;
  /// Same conjuncts (meaningful for conditions built in the same pool).
  friend bool operator==(const PathCondition& a, const PathCondition& b) {
    return a.hash_ == b.hash_ && a.conjuncts_ == b.conjuncts_;
  }

 private:
  void rehash(const SymPool& pool);
  std::vector<SymTermId> conjuncts_;
  uint64_t hash_ = 0;
  bool is_false_ = false;
};

/// Canonical serialisation of a list of roots (see PathCondition::canonical_bytes).
std::string sym_serialize(const SymPool& pool, std::span<const SymTermId> roots);

/// Evaluates a term under an assignment: a bit-vector's value masked to its width, a Bool as
/// 0/1. Throws SymError if a variable the term needs is unassigned.
uint64_t sym_evaluate(const SymPool& pool, SymTermId t, const Assignment& a);

/// True when every conjunct of `pc` evaluates to true under `a`.
bool sym_satisfies(const SymPool& pool, const PathCondition& pc, const Assignment& a);

/// Infix rendering in spec-language syntax (`x + 3 == 5`). Variables print by name, constants in
/// decimal up to 0xFFFF and in hex above; zero extension is invisible. Output is capped at
/// `max_chars` (then ends in "..."), so shared DAGs cannot blow it up.
std::string sym_to_string(const SymPool& pool, SymTermId t, std::size_t max_chars = 4096);

/// Renders a path condition as its conjuncts joined by " && " ("TRUE" when empty).
std::string sym_to_string(const SymPool& pool, const PathCondition& pc,
                          std::size_t max_chars = 4096);

/// (name, value) pairs of an assignment for traces, in variable-id order; values print as
/// sym_to_string prints constants.
std::vector<std::pair<std::string, std::string>> sym_describe(const SymPool& pool,
                                                              const Assignment& a);

}  // namespace cc

template <>
struct std::hash<cc::SymTermId> {
  std::size_t operator()(cc::SymTermId id) const noexcept { return id.value; }
};
