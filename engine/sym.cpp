#include "engine/sym.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

namespace cc {
namespace {

uint64_t mask_of(unsigned width) {
  return width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
}

int64_t signed_of(uint64_t v, unsigned width) {
  if (width == 0 || width >= 64) return static_cast<int64_t>(v);
  const unsigned shift = 64 - width;
  return static_cast<int64_t>(v << shift) >> shift;
}

bool is_commutative(SymOp op) {
  switch (op) {
    case SymOp::And:
    case SymOp::Or:
    case SymOp::BvAdd:
    case SymOp::BvMul:
    case SymOp::BvAnd:
    case SymOp::BvOr:
    case SymOp::BvXor:
    case SymOp::Eq:
      return true;
    default:
      return false;
  }
}

// Value of a node whose kids have values k[]; `kw` is the width of the operand that decides
// comparisons and extensions (kids[0], or kids[1] for Ite).
uint64_t apply_op(const SymNode& n, const uint64_t* k, unsigned kw) {
  const unsigned w = n.width;
  const uint64_t m = mask_of(w);
  switch (n.op) {
    case SymOp::BoolConst:
    case SymOp::Const:
      return n.value;
    case SymOp::Var:
      throw SymError("apply_op on a variable");
    case SymOp::Not:
      return k[0] ? 0 : 1;
    case SymOp::And:
      return (k[0] && k[1]) ? 1 : 0;
    case SymOp::Or:
      return (k[0] || k[1]) ? 1 : 0;
    case SymOp::BvNot:
      return ~k[0] & m;
    case SymOp::BvNeg:
      return (uint64_t{0} - k[0]) & m;
    case SymOp::BvAdd:
      return (k[0] + k[1]) & m;
    case SymOp::BvSub:
      return (k[0] - k[1]) & m;
    case SymOp::BvMul:
      return (k[0] * k[1]) & m;
    case SymOp::BvAnd:
      return k[0] & k[1];
    case SymOp::BvOr:
      return k[0] | k[1];
    case SymOp::BvXor:
      return k[0] ^ k[1];
    case SymOp::BvShl:
      return k[1] >= w ? 0 : (k[0] << k[1]) & m;
    case SymOp::BvLshr:
      return k[1] >= w ? 0 : k[0] >> k[1];
    case SymOp::BvAshr: {
      const int64_t s = signed_of(k[0], w);
      if (k[1] >= w) return s < 0 ? m : 0;
      return static_cast<uint64_t>(s >> k[1]) & m;
    }
    case SymOp::Eq:
      return k[0] == k[1] ? 1 : 0;
    case SymOp::Ult:
      return k[0] < k[1] ? 1 : 0;
    case SymOp::Ule:
      return k[0] <= k[1] ? 1 : 0;
    case SymOp::Slt:
      return signed_of(k[0], kw) < signed_of(k[1], kw) ? 1 : 0;
    case SymOp::Sle:
      return signed_of(k[0], kw) <= signed_of(k[1], kw) ? 1 : 0;
    case SymOp::Ite:
      return k[0] ? k[1] : k[2];
    case SymOp::ZeroExt:
      return k[0];
    case SymOp::SignExt:
      return static_cast<uint64_t>(signed_of(k[0], kw)) & m;
    case SymOp::Extract:
      return (k[0] >> n.value) & m;
  }
  throw SymError("unknown operator");
}

}  // namespace

// ---------------------------------------------------------------- Assignment

void Assignment::set(SymVarId var, uint64_t value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), var,
                             [](const auto& e, SymVarId v) { return e.first < v; });
  if (it != entries_.end() && it->first == var) {
    it->second = value;
  } else {
    entries_.insert(it, {var, value});
  }
}

std::optional<uint64_t> Assignment::get(SymVarId var) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), var,
                             [](const auto& e, SymVarId v) { return e.first < v; });
  if (it != entries_.end() && it->first == var) return it->second;
  return std::nullopt;
}

// ---------------------------------------------------------------- SymPool

std::size_t SymPool::NodeKeyHash::operator()(const NodeKey& k) const {
  uint64_t buf[4] = {
      static_cast<uint64_t>(k.op) | (uint64_t{k.width} << 8) | (uint64_t{k.k0} << 32),
      uint64_t{k.k1} | (uint64_t{k.k2} << 32), k.value, 0};
  return static_cast<std::size_t>(XXH3_64bits(buf, 3 * sizeof(uint64_t)));
}

SymPool::SymPool() = default;

SymTermId SymPool::intern(SymNode n) {
  NodeKey key{n.op,
              n.width,
              n.arity > 0 ? n.kids[0].value : UINT32_MAX,
              n.arity > 1 ? n.kids[1].value : UINT32_MAX,
              n.arity > 2 ? n.kids[2].value : UINT32_MAX,
              n.value};
  auto it = index_.find(key);
  if (it != index_.end()) return SymTermId{it->second};
  // Structural hash: operator, width, payload and the kids' structural hashes (never ids).
  uint64_t buf[6] = {
      static_cast<uint64_t>(n.op) | (uint64_t{n.width} << 8) | (uint64_t{n.arity} << 16),
      n.value,
      0,
      0,
      0,
      0};
  std::size_t len = 2;
  for (unsigned i = 0; i < n.arity; ++i) buf[len++] = nodes_[n.kids[i].value].shash;
  if (n.op == SymOp::Var) {
    const SymVarInfo& info = vars_[var_index_.at(static_cast<uint32_t>(n.value))];
    buf[len++] = XXH3_64bits(info.name.data(), info.name.size());
  }
  n.shash = XXH3_64bits(buf, len * sizeof(uint64_t));
  if (nodes_.size() >= UINT32_MAX - 1) throw SymError("symbolic term pool is full");
  const auto id = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(n);
  index_.emplace(key, id);
  return SymTermId{id};
}

void SymPool::require_bv(SymTermId a, const char* what) const {
  if (node(a).width == 0) throw SymError(fmt::format("{}: expected a bit-vector operand", what));
}

void SymPool::require_bool(SymTermId a, const char* what) const {
  if (node(a).width != 0) throw SymError(fmt::format("{}: expected a Bool operand", what));
}

void SymPool::require_same_width(SymTermId a, SymTermId b, const char* what) const {
  if (node(a).width != node(b).width) {
    throw SymError(
        fmt::format("{}: operand widths differ ({} vs {})", what, node(a).width, node(b).width));
  }
}

std::optional<uint64_t> SymPool::const_value(SymTermId id) const {
  const SymNode& n = node(id);
  if (n.op == SymOp::Const || n.op == SymOp::BoolConst) return n.value;
  return std::nullopt;
}

const SymVarInfo* SymPool::var_info(SymVarId id) const {
  auto it = var_index_.find(id.value);
  return it == var_index_.end() ? nullptr : &vars_[it->second];
}

std::vector<const SymVarInfo*> SymPool::variables() const {
  std::vector<const SymVarInfo*> out;
  out.reserve(vars_.size());
  for (const SymVarInfo& v : vars_) out.push_back(&v);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

std::vector<SymVarId> SymPool::vars_of(SymTermId t) const {
  std::vector<SymVarId> out;
  std::unordered_set<uint32_t> seen;
  std::vector<SymTermId> stack{t};
  while (!stack.empty()) {
    const SymTermId x = stack.back();
    stack.pop_back();
    if (!seen.insert(x.value).second) continue;
    const SymNode& n = node(x);
    if (n.op == SymOp::Var) out.push_back(SymVarId{static_cast<uint32_t>(n.value)});
    for (unsigned i = 0; i < n.arity; ++i) stack.push_back(n.kids[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int SymPool::structural_compare(SymTermId a, SymTermId b) const {
  std::vector<std::pair<SymTermId, SymTermId>> stack{{a, b}};
  while (!stack.empty()) {
    auto [x, y] = stack.back();
    stack.pop_back();
    if (x == y) continue;
    const SymNode& nx = node(x);
    const SymNode& ny = node(y);
    if (nx.shash != ny.shash) return nx.shash < ny.shash ? -1 : 1;
    if (nx.op != ny.op) return nx.op < ny.op ? -1 : 1;
    if (nx.width != ny.width) return nx.width < ny.width ? -1 : 1;
    if (nx.arity != ny.arity) return nx.arity < ny.arity ? -1 : 1;
    if (nx.value != ny.value) return nx.value < ny.value ? -1 : 1;
    for (unsigned i = nx.arity; i-- > 0;) stack.emplace_back(nx.kids[i], ny.kids[i]);
  }
  return 0;
}

bool SymPool::structural_less(SymTermId a, SymTermId b) const {
  if (a == b) return false;
  return structural_compare(a, b) < 0;
}

SymTermId SymPool::bool_const(bool b) {
  SymNode n;
  n.op = SymOp::BoolConst;
  n.value = b ? 1 : 0;
  return intern(n);
}

SymTermId SymPool::bv_const(uint64_t value, unsigned width) {
  if (width == 0 || width > kMaxSymWidth) {
    throw SymError(fmt::format("bit-vector width {} out of range 1..{}", width, kMaxSymWidth));
  }
  SymNode n;
  n.op = SymOp::Const;
  n.width = static_cast<uint8_t>(width);
  n.value = value & mask_of(width);
  return intern(n);
}

SymTermId SymPool::var(SymVarId id, std::string_view name, unsigned width) {
  if (width == 0 || width > kMaxSymWidth) {
    throw SymError(
        fmt::format("variable '{}': width {} out of range 1..{}", name, width, kMaxSymWidth));
  }
  auto it = var_index_.find(id.value);
  if (it != var_index_.end()) {
    const SymVarInfo& info = vars_[it->second];
    if (info.name != name || info.width != width) {
      throw SymError(fmt::format("variable #{} redeclared as '{}' int<{}> (was '{}' int<{}>)",
                                 id.value, name, width, info.name, info.width));
    }
    return info.term;
  }
  var_index_.emplace(id.value, static_cast<uint32_t>(vars_.size()));
  vars_.push_back(SymVarInfo{id, std::string(name), width, SymTermId{}});
  SymNode n;
  n.op = SymOp::Var;
  n.width = static_cast<uint8_t>(width);
  n.value = id.value;
  const SymTermId t = intern(n);
  vars_.back().term = t;
  return t;
}

SymTermId SymPool::order_commutative(SymOp op, SymTermId a, SymTermId b, unsigned width) {
  const bool ca = const_value(a).has_value();
  const bool cb = const_value(b).has_value();
  // Constants go right; otherwise operands are in structural order.
  if ((ca && !cb) || (ca == cb && structural_less(b, a))) std::swap(a, b);
  SymNode n;
  n.op = op;
  n.width = static_cast<uint8_t>(width);
  n.arity = 2;
  n.kids[0] = a;
  n.kids[1] = b;
  return intern(n);
}

SymTermId SymPool::mk_not(SymTermId a) {
  require_bool(a, "!");
  const SymNode& n = node(a);
  switch (n.op) {
    case SymOp::BoolConst:
      return bool_const(n.value == 0);
    case SymOp::Not:
      return n.kids[0];
    case SymOp::Ult:
      return ule(n.kids[1], n.kids[0]);
    case SymOp::Ule:
      return ult(n.kids[1], n.kids[0]);
    case SymOp::Slt:
      return sle(n.kids[1], n.kids[0]);
    case SymOp::Sle:
      return slt(n.kids[1], n.kids[0]);
    default:
      break;
  }
  SymNode m;
  m.op = SymOp::Not;
  m.arity = 1;
  m.kids[0] = a;
  return intern(m);
}

SymTermId SymPool::mk_and(SymTermId a, SymTermId b) {
  require_bool(a, "&&");
  require_bool(b, "&&");
  if (auto v = const_value(a)) return *v ? b : a;
  if (auto v = const_value(b)) return *v ? a : b;
  if (a == b) return a;
  const SymNode& na = node(a);
  const SymNode& nb = node(b);
  if ((na.op == SymOp::Not && na.kids[0] == b) || (nb.op == SymOp::Not && nb.kids[0] == a)) {
    return bool_const(false);
  }
  return order_commutative(SymOp::And, a, b, 0);
}

SymTermId SymPool::mk_or(SymTermId a, SymTermId b) {
  require_bool(a, "||");
  require_bool(b, "||");
  if (auto v = const_value(a)) return *v ? a : b;
  if (auto v = const_value(b)) return *v ? b : a;
  if (a == b) return a;
  const SymNode& na = node(a);
  const SymNode& nb = node(b);
  if ((na.op == SymOp::Not && na.kids[0] == b) || (nb.op == SymOp::Not && nb.kids[0] == a)) {
    return bool_const(true);
  }
  return order_commutative(SymOp::Or, a, b, 0);
}

SymTermId SymPool::mk_ite(SymTermId c, SymTermId t, SymTermId e) {
  require_bool(c, "?:");
  if (node(t).width != node(e).width) {
    throw SymError("?: branches have different sorts or widths");
  }
  if (auto v = const_value(c)) return *v ? t : e;
  if (t == e) return t;
  if (node(c).op == SymOp::Not) return mk_ite(node(c).kids[0], e, t);
  if (node(t).width == 0) {
    const auto vt = const_value(t);
    const auto ve = const_value(e);
    if (vt && ve) return *vt ? c : mk_not(c);  // t != e, so this is c or !c
    if (vt) return *vt ? mk_or(c, e) : mk_and(mk_not(c), e);
    if (ve) return *ve ? mk_or(mk_not(c), t) : mk_and(c, t);
  }
  SymNode n;
  n.op = SymOp::Ite;
  n.width = node(t).width;
  n.arity = 3;
  n.kids[0] = c;
  n.kids[1] = t;
  n.kids[2] = e;
  return intern(n);
}

SymTermId SymPool::bv_not(SymTermId a) {
  require_bv(a, "~");
  const SymNode& n = node(a);
  if (n.op == SymOp::Const) return bv_const(~n.value, n.width);
  if (n.op == SymOp::BvNot) return n.kids[0];
  SymNode m;
  m.op = SymOp::BvNot;
  m.width = n.width;
  m.arity = 1;
  m.kids[0] = a;
  return intern(m);
}

SymTermId SymPool::bv_neg(SymTermId a) {
  require_bv(a, "unary -");
  const SymNode& n = node(a);
  if (n.op == SymOp::Const) return bv_const(uint64_t{0} - n.value, n.width);
  if (n.op == SymOp::BvNeg) return n.kids[0];
  SymNode m;
  m.op = SymOp::BvNeg;
  m.width = n.width;
  m.arity = 1;
  m.kids[0] = a;
  return intern(m);
}

SymTermId SymPool::binary_bv(SymOp op, SymTermId a, SymTermId b) {
  static constexpr const char* kNames[kSymOpCount] = {
      "", "", "", "", "", "", "", "", "+", "-", "*", "&", "|", "^", "<<", ">>>", ">>"};
  const char* what = kNames[static_cast<std::size_t>(op)];
  require_bv(a, what);
  require_bv(b, what);
  require_same_width(a, b, what);
  const unsigned w = node(a).width;
  const uint64_t ones = mask_of(w);
  const auto ca = const_value(a);
  const auto cb = const_value(b);
  SymNode n;
  n.op = op;
  n.width = static_cast<uint8_t>(w);
  n.arity = 2;
  n.kids[0] = a;
  n.kids[1] = b;
  if (ca && cb) {
    const uint64_t k[2] = {*ca, *cb};
    return bv_const(apply_op(n, k, w), w);
  }
  switch (op) {
    case SymOp::BvAdd:
      if (cb == 0u) return a;
      if (ca == 0u) return b;
      break;
    case SymOp::BvSub:
      if (cb == 0u) return a;
      if (a == b) return bv_const(0, w);
      break;
    case SymOp::BvMul:
      if (ca == 0u || cb == 0u) return bv_const(0, w);
      if (cb == 1u) return a;
      if (ca == 1u) return b;
      break;
    case SymOp::BvAnd:
      if (ca == 0u || cb == 0u) return bv_const(0, w);
      if (cb == ones) return a;
      if (ca == ones) return b;
      if (a == b) return a;
      break;
    case SymOp::BvOr:
      if (ca == ones || cb == ones) return bv_const(ones, w);
      if (cb == 0u) return a;
      if (ca == 0u) return b;
      if (a == b) return a;
      break;
    case SymOp::BvXor:
      if (cb == 0u) return a;
      if (ca == 0u) return b;
      if (a == b) return bv_const(0, w);
      break;
    case SymOp::BvShl:
    case SymOp::BvLshr:
      if (cb == 0u) return a;
      if (ca == 0u || (cb && *cb >= w)) return bv_const(0, w);
      break;
    case SymOp::BvAshr:
      if (cb == 0u) return a;
      if (ca == 0u) return a;
      break;
    default:
      throw SymError("not a binary bit-vector operator");
  }
  if (is_commutative(op)) return order_commutative(op, a, b, w);
  return intern(n);
}

SymTermId SymPool::bv_add(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvAdd, a, b);
}
SymTermId SymPool::bv_sub(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvSub, a, b);
}
SymTermId SymPool::bv_mul(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvMul, a, b);
}
SymTermId SymPool::bv_and(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvAnd, a, b);
}
SymTermId SymPool::bv_or(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvOr, a, b);
}
SymTermId SymPool::bv_xor(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvXor, a, b);
}
SymTermId SymPool::bv_shl(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvShl, a, b);
}
SymTermId SymPool::bv_lshr(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvLshr, a, b);
}
SymTermId SymPool::bv_ashr(SymTermId a, SymTermId b) {
  return binary_bv(SymOp::BvAshr, a, b);
}

SymTermId SymPool::compare(SymOp op, SymTermId a, SymTermId b) {
  const char* what = op == SymOp::Eq ? "==" : "comparison";
  if (op != SymOp::Eq) {
    require_bv(a, what);
    require_bv(b, what);
  }
  require_same_width(a, b, what);
  const unsigned w = node(a).width;
  const auto ca = const_value(a);
  const auto cb = const_value(b);
  SymNode n;
  n.op = op;
  n.arity = 2;
  n.kids[0] = a;
  n.kids[1] = b;
  if (ca && cb) {
    const uint64_t k[2] = {*ca, *cb};
    return bool_const(apply_op(n, k, w) != 0);
  }
  if (a == b) return bool_const(op == SymOp::Eq || op == SymOp::Ule || op == SymOp::Sle);
  const uint64_t umax = mask_of(w);
  const uint64_t smin = w == 0 ? 0 : uint64_t{1} << (w - 1);
  const uint64_t smax = smin - 1;
  switch (op) {
    case SymOp::Eq:
      if (w == 0) {
        if (ca) return *ca ? b : mk_not(b);
        if (cb) return *cb ? a : mk_not(a);
      }
      return order_commutative(SymOp::Eq, a, b, 0);
    case SymOp::Ult:
      if (cb == 0u || ca == umax) return bool_const(false);
      break;
    case SymOp::Ule:
      if (ca == 0u || cb == umax) return bool_const(true);
      break;
    case SymOp::Slt:
      if (cb == smin || ca == smax) return bool_const(false);
      break;
    case SymOp::Sle:
      if (ca == smin || cb == smax) return bool_const(true);
      break;
    default:
      throw SymError("not a comparison");
  }
  return intern(n);
}

SymTermId SymPool::mk_eq(SymTermId a, SymTermId b) {
  return compare(SymOp::Eq, a, b);
}
SymTermId SymPool::ult(SymTermId a, SymTermId b) {
  return compare(SymOp::Ult, a, b);
}
SymTermId SymPool::ule(SymTermId a, SymTermId b) {
  return compare(SymOp::Ule, a, b);
}
SymTermId SymPool::slt(SymTermId a, SymTermId b) {
  return compare(SymOp::Slt, a, b);
}
SymTermId SymPool::sle(SymTermId a, SymTermId b) {
  return compare(SymOp::Sle, a, b);
}

SymTermId SymPool::zext(SymTermId a, unsigned width) {
  require_bv(a, "zext");
  const SymNode& n = node(a);
  if (width < n.width || width > kMaxSymWidth) {
    throw SymError(fmt::format("zext from {} to {} bits", n.width, width));
  }
  if (width == n.width) return a;
  if (n.op == SymOp::Const) return bv_const(n.value, width);
  if (n.op == SymOp::ZeroExt) return zext(n.kids[0], width);
  SymNode m;
  m.op = SymOp::ZeroExt;
  m.width = static_cast<uint8_t>(width);
  m.arity = 1;
  m.kids[0] = a;
  return intern(m);
}

SymTermId SymPool::sext(SymTermId a, unsigned width) {
  require_bv(a, "sext");
  const SymNode& n = node(a);
  if (width < n.width || width > kMaxSymWidth) {
    throw SymError(fmt::format("sext from {} to {} bits", n.width, width));
  }
  if (width == n.width) return a;
  if (n.op == SymOp::Const) {
    return bv_const(static_cast<uint64_t>(signed_of(n.value, n.width)), width);
  }
  if (n.op == SymOp::SignExt) return sext(n.kids[0], width);
  SymNode m;
  m.op = SymOp::SignExt;
  m.width = static_cast<uint8_t>(width);
  m.arity = 1;
  m.kids[0] = a;
  return intern(m);
}

SymTermId SymPool::extract(SymTermId a, unsigned hi, unsigned lo) {
  require_bv(a, "extract");
  const SymNode& n = node(a);
  if (hi < lo || hi >= n.width) {
    throw SymError(fmt::format("extract [{}:{}] of a {}-bit term", hi, lo, n.width));
  }
  const unsigned w = hi - lo + 1;
  if (w == n.width) return a;
  if (n.op == SymOp::Const) return bv_const(n.value >> lo, w);
  if (n.op == SymOp::ZeroExt) {
    const SymTermId inner = n.kids[0];
    const unsigned iw = node(inner).width;
    if (lo >= iw) return bv_const(0, w);
    if (hi < iw) return extract(inner, hi, lo);
  }
  if (n.op == SymOp::Extract) {
    return extract(n.kids[0], hi + static_cast<unsigned>(n.value),
                   lo + static_cast<unsigned>(n.value));
  }
  SymNode m;
  m.op = SymOp::Extract;
  m.width = static_cast<uint8_t>(w);
  m.arity = 1;
  m.kids[0] = a;
  m.value = lo;
  return intern(m);
}

SymTermId SymPool::to_int(SymTermId a) {
  if (is_bool(a)) return bool_to_int(a);
  const unsigned w = width(a);
  if (w > kIntWidth) throw SymError(fmt::format("a {}-bit value does not fit int", w));
  return zext(a, kIntWidth);
}

SymTermId SymPool::to_bool(SymTermId a) {
  if (is_bool(a)) return a;
  return mk_ne(a, bv_const(0, width(a)));
}

SymTermId SymPool::bool_to_int(SymTermId c) {
  if (!is_bool(c)) return c;
  return mk_ite(c, int_const(1), int_const(0));
}

// ---------------------------------------------------------------- PathCondition

PathCondition::PathCondition() {
  static const uint64_t empty_hash = [] {
    const std::string bytes = sym_serialize(SymPool{}, {});
    return XXH3_64bits(bytes.data(), bytes.size());
  }();
  hash_ = empty_hash;
}

void PathCondition::add(SymPool& pool, SymTermId c) {
  if (is_false_) return;
  if (!pool.is_bool(c)) throw SymError("path condition conjunct is not a Bool");
  std::vector<SymTermId> work{c};
  while (!work.empty()) {
    const SymTermId x = work.back();
    work.pop_back();
    const SymNode& n = pool.node(x);
    if (n.op == SymOp::BoolConst) {
      if (n.value != 0) continue;
      conjuncts_.assign(1, x);
      is_false_ = true;
      break;
    }
    if (n.op == SymOp::And) {
      work.push_back(n.kids[1]);
      work.push_back(n.kids[0]);
      continue;
    }
    if (n.op == SymOp::Not && pool.node(n.kids[0]).op == SymOp::Or) {
      const SymTermId a = pool.node(n.kids[0]).kids[0];
      const SymTermId b = pool.node(n.kids[0]).kids[1];
      work.push_back(pool.mk_not(b));
      work.push_back(pool.mk_not(a));
      continue;
    }
    auto it =
        std::lower_bound(conjuncts_.begin(), conjuncts_.end(), x,
                         [&](SymTermId p, SymTermId q) { return pool.structural_less(p, q); });
    if (it != conjuncts_.end() && *it == x) continue;
    conjuncts_.insert(it, x);
  }
  rehash(pool);
}

void PathCondition::rehash(const SymPool& pool) {
  const std::string bytes = canonical_bytes(pool);
  hash_ = XXH3_64bits(bytes.data(), bytes.size());
}

std::string PathCondition::canonical_bytes(const SymPool& pool) const {
  return sym_serialize(pool, conjuncts_);
}

// ---------------------------------------------------------------- serialisation

namespace {

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

std::string sym_serialize(const SymPool& pool, std::span<const SymTermId> roots) {
  std::string out = "ccsym1";
  std::unordered_map<uint32_t, uint32_t> local;  // pool id -> post-order number
  struct Frame {
    SymTermId id;
    bool expanded;
  };
  std::vector<Frame> stack;
  for (const SymTermId root : roots) {
    stack.push_back({root, false});
    while (!stack.empty()) {
      Frame f = stack.back();
      stack.pop_back();
      if (local.contains(f.id.value)) continue;
      const SymNode& n = pool.node(f.id);
      if (!f.expanded) {
        stack.push_back({f.id, true});
        for (unsigned i = n.arity; i-- > 0;) stack.push_back({n.kids[i], false});
        continue;
      }
      const auto num = static_cast<uint32_t>(local.size());
      local.emplace(f.id.value, num);
      put_u8(out, static_cast<uint8_t>(n.op));
      put_u8(out, n.width);
      put_u8(out, n.arity);
      put_u64(out, n.value);
      for (unsigned i = 0; i < n.arity; ++i) put_u32(out, local.at(n.kids[i].value));
      if (n.op == SymOp::Var) {
        const SymVarInfo* info = pool.var_info(SymVarId{static_cast<uint32_t>(n.value)});
        const std::string& name = info->name;
        put_u32(out, static_cast<uint32_t>(name.size()));
        out += name;
      }
    }
  }
  put_u8(out, 0xFF);
  put_u32(out, static_cast<uint32_t>(roots.size()));
  for (const SymTermId root : roots) put_u32(out, local.at(root.value));
  return out;
}

// ---------------------------------------------------------------- evaluation

uint64_t sym_evaluate(const SymPool& pool, SymTermId t, const Assignment& a) {
  std::unordered_map<uint32_t, uint64_t> memo;
  struct Frame {
    SymTermId id;
    bool expanded;
  };
  std::vector<Frame> stack{{t, false}};
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    if (memo.contains(f.id.value)) continue;
    const SymNode& n = pool.node(f.id);
    if (n.op == SymOp::Var) {
      const SymVarId v{static_cast<uint32_t>(n.value)};
      const auto val = a.get(v);
      if (!val) {
        const SymVarInfo* info = pool.var_info(v);
        throw SymError(fmt::format("symbolic variable '{}' has no value",
                                   info ? info->name : fmt::format("#{}", v.value)));
      }
      memo.emplace(f.id.value, *val & mask_of(n.width));
      continue;
    }
    if (!f.expanded && n.arity > 0) {
      stack.push_back({f.id, true});
      for (unsigned i = n.arity; i-- > 0;) stack.push_back({n.kids[i], false});
      continue;
    }
    uint64_t k[3] = {0, 0, 0};
    for (unsigned i = 0; i < n.arity; ++i) k[i] = memo.at(n.kids[i].value);
    const unsigned kw = n.op == SymOp::Ite ? n.width
                        : n.arity > 0      ? pool.node(n.kids[0]).width
                                           : n.width;
    memo.emplace(f.id.value, apply_op(n, k, kw));
  }
  return memo.at(t.value);
}

bool sym_satisfies(const SymPool& pool, const PathCondition& pc, const Assignment& a) {
  for (const SymTermId c : pc.conjuncts()) {
    if (sym_evaluate(pool, c, a) == 0) return false;
  }
  return true;
}

}  // namespace cc
