// The interpreter of the spec language: one activity runs from its program counter to its
// next visible step (docs/spec-language.md, "Granularity").
#include <optional>

#include "engine/core.h"

namespace cc {
namespace {

constexpr uint32_t kLocalBudget = 1'000'000;

/// The operators that wrap the same way at every width (+ - * & | ^), on unsigned words.
template <typename U>
std::optional<U> wrapping(ast::BinaryOp op, U x, U y) {
  switch (op) {
    case ast::BinaryOp::Add:
      return x + y;
    case ast::BinaryOp::Sub:
      return x - y;
    case ast::BinaryOp::Mul:
      return x * y;
    case ast::BinaryOp::BitAnd:
      return x & y;
    case ast::BinaryOp::BitOr:
      return x | y;
    case ast::BinaryOp::BitXor:
      return x ^ y;
    default:
      return std::nullopt;
  }
}

/// The comparisons and logical operators (0 or 1), in T's signedness.
template <typename T>
uint32_t truth(ast::BinaryOp op, T x, T y) {
  switch (op) {
    case ast::BinaryOp::Eq:
      return x == y;
    case ast::BinaryOp::Ne:
      return x != y;
    case ast::BinaryOp::Lt:
      return x < y;
    case ast::BinaryOp::Le:
      return x <= y;
    case ast::BinaryOp::Gt:
      return x > y;
    case ast::BinaryOp::Ge:
      return x >= y;
    case ast::BinaryOp::LogAnd:
      return x != 0 && y != 0;
    case ast::BinaryOp::LogOr:
      return x != 0 || y != 0;
    default:
      return 0;
  }
}

/// r = x op y on 32-bit words (shifts as SMT-LIB does them: a count >= 32 gives 0 or the
/// sign fill). `handles`: == and != compare object identity, whatever the epoch.
uint32_t binary(ast::BinaryOp op, int32_t x, int32_t y, bool handles) {
  const auto ux = static_cast<uint32_t>(x);
  const auto uy = static_cast<uint32_t>(y);
  if (std::optional<uint32_t> r = wrapping(op, ux, uy)) return *r;
  if (op == ast::BinaryOp::Shl) return uy >= 32 ? 0 : ux << uy;
  if (op == ast::BinaryOp::Shr) {
    return uy >= 32 ? (x < 0 ? ~0U : 0U) : static_cast<uint32_t>(x >> uy);
  }
  if (handles && (op == ast::BinaryOp::Eq || op == ast::BinaryOp::Ne)) {
    x &= 0xFFFF;  // handles: the same object whatever the epoch it was read at
    y &= 0xFFFF;
  }
  return truth(op, x, y);
}

/// r = x op y on uintptr values (docs/spec-language.md, "Pointer-sized integers"): unsigned,
/// shifts within the pointer width; the caller masks the result. Comparisons give 0 or 1.
uint64_t binary_wide(ast::BinaryOp op, uint64_t x, uint64_t y, unsigned width) {
  if (std::optional<uint64_t> r = wrapping(op, x, y)) return *r;
  if (op == ast::BinaryOp::Shl) return y >= width ? 0 : x << y;
  if (op == ast::BinaryOp::Shr) return y >= width ? 0 : x >> y;
  return truth(op, x, y);
}

/// True for the operators whose result is a truth value (one word, never wide).
bool is_comparison(ast::BinaryOp op) {
  return op >= ast::BinaryOp::Eq;
}

uint32_t unary(ast::UnaryOp op, uint32_t v) {
  switch (op) {
    case ast::UnaryOp::Not:
      return v == 0 ? 1 : 0;
    case ast::UnaryOp::Neg:
      return 0U - v;
    case ast::UnaryOp::BitNot:
      return ~v;
  }
  return 0;
}

}  // namespace

RunResult Core::run_activity(uint32_t a) {
  uint8_t* p = act(a);
  if (p[kAUnit] == 0 || p[kAWait] != 0) return RunResult::Disabled;
  if ((p[kAFlags] & kModuleWait) != 0) {
    bool over = false;
    for (const std::unique_ptr<Module>& m : modules_) over = over || m->wait_over(a);
    if (!over) return RunResult::Disabled;
    p[kAFlags] &= static_cast<uint8_t>(~kModuleWait);
  }
  const CodeUnit& u = prog_.units[p[kAUnit] - 1];
  self_ = a;
  if (rec_) rec_->actor = ActorKind::Driver;
  if ((p[kAFlags] & kStarted) == 0) {
    if (p[kAKind] != kThreadKind) {
      for (const std::unique_ptr<Module>& m : modules_) {
        if (!m->on_start(a)) return RunResult::Disabled;
      }
    }
    p[kAFlags] |= kStarted;
  }
  bool visible_done = false;
  uint32_t budget = kLocalBudget;
  while (true) {
    uint16_t pc = get16(act(a) + kAPc);
    if (pc >= u.code.size()) throw std::logic_error("activity pc out of range");
    bool vis = u.visible(pc);
    if (vis && visible_done && act(a)[kAAtomic] == 0) break;
    const Instr& in = u.code[pc];
    if (vis && rec_) rec_->first_src(in.src);
    Outcome o = exec(a, u, in);
    switch (o) {
      case Outcome::Blocked:
        return RunResult::Disabled;
      case Outcome::Pruned:
        return RunResult::Pruned;
      case Outcome::Infeasible:
        return RunResult::Disabled;
      case Outcome::Violation:
        if (rec_) rec_->first_src(in.src);
        return RunResult::Done;
      case Outcome::Finished:
        if (finding_ && rec_) rec_->first_src(in.src);
        return RunResult::Done;
      case Outcome::Continue:
        break;
    }
    if (vis) visible_done = true;
    // Waits for an inline cancel routine, or for its module to let the call return.
    if (act(a)[kAWait] != 0 || (act(a)[kAFlags] & kModuleWait) != 0) break;
    if (--budget == 0) {
      throw ModelLimit(fmt::format(
          "{} ran {} local instructions without reaching a visible step (an endless loop?)",
          lane_of(a), kLocalBudget));
    }
    if (--expansion_budget_ == 0) {
      throw ModelLimit(fmt::format(
          "{} ran {} local instructions over its nondeterministic choices without every branch "
          "reaching a visible step (a local loop around 'if (*)' or 'while (*)' with no "
          "visible step?)",
          lane_of(a), kExpansionBudget));
    }
  }
  // The activity rests: forget what it will never read again.
  uint16_t rest = get16(act(a) + kAPc);
  for (uint32_t r = 0; r < u.reg_types.size(); ++r) {
    if (!u.live_at(rest, r)) set_reg(a, Reg{static_cast<uint16_t>(r)}, 0);
  }
  return RunResult::Done;
}

int32_t Core::pin(int32_t v) const {
  for (const std::unique_ptr<Module>& m : modules_) v = m->pin(v);
  return v;
}

int32_t* Core::loc_ptr(uint32_t a, const Loc& l, const Instr& in, const char* what, bool& bad) {
  bad = false;
  switch (l.kind) {
    case LocKind::Reg:
      return reinterpret_cast<int32_t*>(act(a) + kARegs + 4 * l.index);
    case LocKind::Global:
      return reinterpret_cast<int32_t*>(global(l.index));
    case LocKind::Field:
      for (const std::unique_ptr<Module>& m : modules_) {
        bool owns = false;
        int32_t* p = m->field(reg(a, l.base), l.index, in, what, owns);
        if (!owns) continue;
        bad = p == nullptr;
        return p;
      }
      throw std::logic_error("a context field without a module that keeps contexts");
    case LocKind::None:
      break;
  }
  throw std::logic_error("instruction without an operand location");
}

std::string Core::shared_loc_text(uint32_t a, const Loc& l) const {
  if (l.kind == LocKind::Global) return spec_.globals[l.index].name;
  return fmt::format("{}->{}", render(reg(a, l.base), TypeKind::Request),
                     spec_.context[l.index].name);
}

// int32 values are accessed through memcpy-free pointers above only on 4-byte aligned
// offsets: registers, globals and context fields all start at multiples of 4.

Outcome Core::exec(uint32_t a, const CodeUnit& u, const Instr& in) {
  uint16_t pc = get16(act(a) + kAPc);
  auto next = [&] { set16(act(a) + kAPc, static_cast<uint16_t>(pc + 1)); };
  auto jump = [&](uint32_t t) { set16(act(a) + kAPc, static_cast<uint16_t>(t)); };
  if (sym_) {
    if (std::optional<Outcome> o = exec_symbolic(a, u, in)) return *o;
  }
  switch (in.op) {
    case Op::Symbolic:  // handled by exec_symbolic (the spec is symbolic)
      throw std::logic_error("symbolic declaration in a concrete system");
    case Op::Const:
      if (in.wide) {
        set_wide(a, in.a, static_cast<uint64_t>(in.imm));
      } else {
        set_reg(a, in.a, static_cast<int32_t>(in.imm));
      }
      break;
    case Op::Convert:
      if (static_cast<Conversion>(in.sub) == Conversion::Widen) {
        set_wide(a, in.a, static_cast<uint64_t>(static_cast<int64_t>(reg(a, in.b))));
      } else {
        set_reg(a, in.a, static_cast<int32_t>(static_cast<uint32_t>(wide(a, in.b))));
      }
      break;
    case Op::Move: {
      if (in.wide) {
        set_wide(a, in.a, wide(a, in.b));
        break;
      }
      int32_t v = reg(a, in.b);
      if (u.reg_types[in.a.value] == TypeKind::Request && !u.reg_names[in.a.value].empty()) {
        v = pin(v);
      }
      set_reg(a, in.a, v);
      break;
    }
    case Op::NtSuccess:
      set_reg(a, in.a, reg(a, in.b) >= 0 ? 1 : 0);
      break;
    case Op::CreatedRef: {
      std::optional<int32_t> v;
      for (std::size_t i = 0; i < modules_.size() && !v; ++i) {
        v = modules_[i]->created_ref(static_cast<int32_t>(in.imm));
      }
      if (!v) throw std::logic_error("a reference to a declared object no module keeps");
      set_reg(a, in.a, *v);
      break;
    }
    case Op::Unary:
      if (in.wide) {  // - and ~ of a uintptr (! is lowered to a comparison)
        const uint64_t x = wide(a, in.b);
        set_wide(a, in.a, static_cast<ast::UnaryOp>(in.sub) == ast::UnaryOp::Neg ? 0 - x : ~x);
        break;
      }
      set_reg(a, in.a,
              static_cast<int32_t>(
                  unary(static_cast<ast::UnaryOp>(in.sub), static_cast<uint32_t>(reg(a, in.b)))));
      break;
    case Op::Binary:
      if (in.wide) {
        const auto op = static_cast<ast::BinaryOp>(in.sub);
        const uint64_t r = binary_wide(op, wide(a, in.b), wide(a, in.c), spec_.pointer_width);
        if (is_comparison(op)) {
          set_reg(a, in.a, static_cast<int32_t>(r));
        } else {
          set_wide(a, in.a, r);
        }
        break;
      }
      set_reg(a, in.a,
              static_cast<int32_t>(binary(static_cast<ast::BinaryOp>(in.sub), reg(a, in.b),
                                          reg(a, in.c), in.imm == 1)));
      break;
    case Op::Jump:
      jump(in.target);
      return Outcome::Continue;
    case Op::JumpIfZero:
      if (reg(a, in.a) == 0) {
        jump(in.target);
        return Outcome::Continue;
      }
      break;
    case Op::JumpIfNonZero:
      if (reg(a, in.a) != 0) {
        jump(in.target);
        return Outcome::Continue;
      }
      break;
    case Op::Nondet:
      if (choose(2, [](uint16_t c) { return fmt::format("nondet:{}", c); }) == 1) {
        jump(in.target);
        return Outcome::Continue;
      }
      break;
    case Op::Assert:
      if (reg(a, in.a) == 0) {
        violation(RuleId::Assertion, in.src, fmt::format("assertion failed in {}", lane_of(a)));
        return Outcome::Violation;
      }
      break;
    case Op::Assume:
      if (reg(a, in.a) == 0) return Outcome::Pruned;
      break;
    case Op::AtomicBegin:
      ++act(a)[kAAtomic];
      break;
    case Op::AtomicEnd:
      if (act(a)[kAAtomic] > 0) --act(a)[kAAtomic];
      break;
    case Op::Load:
    case Op::Store:
      if (exec_memory(a, u, in) == Outcome::Violation) return Outcome::Violation;
      break;
    case Op::Interlocked:
      if (exec_interlocked(a, u, in) == Outcome::Violation) return Outcome::Violation;
      break;
    case Op::ListPush:
    case Op::ListPop:
    case Op::ListRemove:
    case Op::ListEmpty:
    case Op::ListGet:
      if (exec_list(a, u, in) == Outcome::Violation) return Outcome::Violation;
      break;
    case Op::Api: {
      Outcome o = exec_api(a, u, in);
      if (o != Outcome::Continue) return o;
      if (act(a)[kAUnit] == 0) return Outcome::Finished;
      break;
    }
    case Op::Return:
      return finish(a, in);
  }
  next();
  return Outcome::Continue;
}

Outcome Core::exec_memory(uint32_t a, const CodeUnit& /*u*/, const Instr& in) {
  bool bad = false;
  int32_t* p =
      loc_ptr(a, in.loc, in,
              in.op == Op::Load ? "read of a context field" : "write of a context field", bad);
  if (bad) return Outcome::Violation;
  std::string what = rec_ ? shared_loc_text(a, in.loc) : std::string();
  TypeKind t = in.loc.kind == LocKind::Global  ? spec_.globals[in.loc.index].type
               : in.loc.kind == LocKind::Field ? spec_.context[in.loc.index].type
                                               : TypeKind::Int;
  if (in.wide) {  // a uintptr global: two words, a symbolic one keeps its term in the first
    auto* bytes = reinterpret_cast<uint8_t*>(p);
    uint8_t* from = in.op == Op::Load ? bytes : reg_ptr(a, in.b);
    uint8_t* to = in.op == Op::Load ? reg_ptr(a, in.a) : bytes;
    std::memcpy(to, from, 8);
    if (sym_) {
      set_tag(to, tagged(from));
      set_tag(to + 4, false);
    }
    if (rec_ && in.loc.shared()) {
      if (in.op == Op::Load) {
        rec_->actions.push_back(fmt::format("read {}", what));
        rec_->results.push_back(slot_text(bytes, TypeKind::Ptr));
      } else {
        rec_->actions.push_back(fmt::format("{} = {}", what, slot_text(bytes, TypeKind::Ptr)));
        rec_->results.emplace_back();
      }
    }
    return Outcome::Continue;
  }
  if (in.op == Op::Load) {
    int32_t v;
    std::memcpy(&v, p, 4);
    set_reg(a, in.a, v);
    if (tagged(reinterpret_cast<const uint8_t*>(p))) set_tag(reg_ptr(a, in.a), true);
    if (rec_ && in.loc.shared()) {
      rec_->actions.push_back(fmt::format("read {}", what));
      rec_->results.push_back(slot_text(reinterpret_cast<const uint8_t*>(p), t));
    }
  } else {
    int32_t v = reg(a, in.b);
    if (t == TypeKind::Request) v = pin(v);
    std::memcpy(p, &v, 4);
    if (sym_) set_tag(reinterpret_cast<const uint8_t*>(p), tagged(reg_ptr(a, in.b)));
    if (rec_ && in.loc.shared()) {
      rec_->actions.push_back(
          fmt::format("{} = {}", what, slot_text(reinterpret_cast<const uint8_t*>(p), t)));
      rec_->results.emplace_back();
    }
  }
  return Outcome::Continue;
}

Outcome Core::exec_interlocked(uint32_t a, const CodeUnit& u, const Instr& in) {
  bool bad = false;
  int32_t* p = loc_ptr(a, in.loc, in, api_info(in.api()).name.data(), bad);
  if (bad) return Outcome::Violation;
  int32_t old;
  std::memcpy(&old, p, 4);
  const Reg* args = u.args.data() + in.args_begin;
  int32_t nv = old;
  int32_t ret = 0;
  switch (in.api()) {
    case ApiId::InterlockedIncrement:
      nv = static_cast<int32_t>(static_cast<uint32_t>(old) + 1);
      ret = nv;
      break;
    case ApiId::InterlockedDecrement:
      nv = static_cast<int32_t>(static_cast<uint32_t>(old) - 1);
      ret = nv;
      break;
    case ApiId::InterlockedOr:
      nv = old | reg(a, args[0]);
      ret = old;
      break;
    default:  // InterlockedCompareExchange(&x, new, cmp)
      if (old == reg(a, args[1])) nv = reg(a, args[0]);
      ret = old;
      break;
  }
  std::memcpy(p, &nv, 4);
  set_reg(a, in.a, ret);
  if (rec_ && in.loc.shared()) {
    std::string what = shared_loc_text(a, in.loc);
    std::string extra;
    for (uint8_t i = 0; i < in.nargs; ++i) extra += fmt::format(", {}", reg(a, args[i]));
    rec_->actions.push_back(fmt::format("{}(&{}{})", api_info(in.api()).name, what, extra));
    rec_->results.push_back(std::to_string(ret));
    if (rec_) note(fmt::format("{}: {} -> {}", what, old, nv));
  }
  return Outcome::Continue;
}

Outcome Core::finish(uint32_t a, const Instr& in) {
  uint8_t* p = act(a);
  if (rec_) {
    if (rec_->actions.empty()) {
      rec_->actions.emplace_back("returns");
      rec_->results.emplace_back();
    } else {
      note("returns");
    }
    rec_->first_src(in.src);
  }
  for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
    uint8_t& owner = lock_owner(static_cast<uint32_t>(l));
    if (owner == a + 1) {
      owner = kOrphanOwner;  // nobody can release it any more
      if (rec_) note(fmt::format("returns holding lock {}", spec_.locks[l].name));
    }
  }
  // An inline callback's value is the result of the call that waits for it.
  const bool has_value = in.op == Op::Return && in.imm == 1;
  const int32_t value = has_value ? reg(a, in.a) : 0;
  Outcome result = Outcome::Finished;
  if (p[kAKind] != kThreadKind) {
    for (const std::unique_ptr<Module>& m : modules_) {
      if (m->on_finish(a, in) == Outcome::Violation) result = Outcome::Violation;
    }
  }
  std::memset(p, 0, acts_.stride);
  for (uint32_t w = 0; sym_ && w < acts_.stride; w += 4) set_tag(p + w, false);
  for (uint32_t b = 0; b < nact_; ++b) {
    if (act(b)[kAWait] != a + 1) continue;
    act(b)[kAWait] = 0;
    const CodeUnit& bu = unit_of(b);
    const uint16_t pc = get16(act(b) + kAPc);
    if (!has_value || pc == 0) continue;
    const Instr& call = bu.code[pc - 1u];
    if (call.op == Op::Api && api_info(call.api()).result != TypeKind::Void &&
        call.a.value < bu.reg_types.size()) {
      set_reg(b, call.a, value);
      if (rec_)
        note(fmt::format("{} returns {} to {}", api_info(call.api()).name, value, lane_of(b)));
    }
  }
  return result;
}

}  // namespace cc
