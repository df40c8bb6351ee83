// Symbolic execution (docs/symbolic.md, "Execution"): symbolic words of the state, the
// interned path conditions, branches and assertions decided by the solver, and a trace's model.
#include "engine/core.h"
#include "engine/sym_cancel_id.h"

namespace cc {
namespace {

constexpr uint32_t kMaxSymForks = 256;  ///< symbolic branches one step may take
/// Variables of kPartialCancelIdWidth bits named so are cancel-id high bytes (CR012): a
/// trace's model shows them in hex too.
constexpr std::string_view kPartialIdPrefix = "partial_id";

}  // namespace

std::string Core::symbolic_params_text() const {
  std::string text;
  for (const ApiInfo& info : all_apis()) {
    const Module* m = module_for(info.domain);
    const int p = m != nullptr ? m->symbolic_param(info.id) : -1;
    if (p < 0) continue;
    if (!text.empty()) text += ", ";
    text += fmt::format("argument {} of {}", p + 1, info.name);
  }
  return text.empty() ? "nothing" : text;
}

SymTermId Core::raw_var(std::string_view name, unsigned width) {
  auto [it, fresh] =
      var_ids_.try_emplace(std::string(name), static_cast<uint32_t>(var_ids_.size() + 1));
  return pool_.var(SymVarId{it->second}, name, width);
}

std::string Core::build_symbolic() {
  auto too_wide = [](uint32_t w) {
    return fmt::format("symbolic int<{}>: values wider than 32 bits are not executed yet", w);
  };
  for (const ast::VarDecl& g : spec_.globals) {
    if (!g.symbolic) continue;
    if (g.width > kIntWidth) return too_wide(g.width);
    sym_ = true;
  }
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op != Op::Symbolic) continue;
      if (static_cast<uint32_t>(in.imm) > kIntWidth) return too_wide(static_cast<uint32_t>(in.imm));
      sym_ = true;
    }
  }
  for (const std::unique_ptr<Module>& m : modules_) sym_ = sym_ || m->symbolic();
  if (!sym_) return {};
  size_ = (size_ + 3) & ~std::size_t{3};
  sym_base_ = static_cast<uint32_t>(size_);
  size_ += 4 + (sym_base_ / 4 + 7) / 8;
  pcs_.assign(1, PathCondition{});
  pc_ids_[pcs_[0].hash()].push_back(0);
  return {};
}

std::optional<bool> Core::sym_split(SymTermId on_one, SymTermId on_zero) {
  if (++sym_forks_ > kMaxSymForks) {
    throw ModelLimit(fmt::format(
        "{} branched on symbolic values more than {} times in one step (a local loop over "
        "a symbolic bound?)",
        lane_of(self_), kMaxSymForks));
  }
  const bool one = oracle_.choose(2) == 1;
  const SymTermId side = one ? on_one : on_zero;
  PathCondition npc = path_condition();
  npc.add(pool_, side);
  if (!feasible(npc)) return std::nullopt;
  // When the other side is infeasible the condition is implied: the path condition stays as
  // it is, so states that differ only by implied conjuncts coincide.
  PathCondition other = path_condition();
  other.add(pool_, one ? on_zero : on_one);
  if (feasible(other)) {
    set_path_condition(npc);
    if (rec_) note(fmt::format("assuming {}", sym_to_string(pool_, side)));
  }
  return one;
}

SymTermId Core::term_at(const uint8_t* p) {
  if (tagged(p)) return SymTermId{static_cast<uint32_t>(get32(p))};
  return pool_.int_const(get32(p));
}

void Core::put_term(uint8_t* p, SymTermId t) {
  if (pool_.is_bool(t)) t = pool_.bool_to_int(t);
  if (std::optional<uint64_t> v = pool_.const_value(t)) {
    set32(p, static_cast<int32_t>(static_cast<uint32_t>(*v)));
    set_tag(p, false);
    return;
  }
  set32(p, static_cast<int32_t>(t.value));
  set_tag(p, true);
}

SymTermId Core::sym_var(const std::string& name, unsigned width) {
  auto [it, fresh] = var_ids_.try_emplace(name, static_cast<uint32_t>(var_ids_.size() + 1));
  return pool_.to_int(pool_.var(SymVarId{it->second}, name, width));
}

void Core::set_path_condition(const PathCondition& pc) {
  std::vector<uint32_t>& ids = pc_ids_[pc.hash()];
  for (uint32_t id : ids) {
    if (pcs_[id] == pc) {
      set32(s_ + sym_base_, static_cast<int32_t>(id));
      return;
    }
  }
  ids.push_back(static_cast<uint32_t>(pcs_.size()));
  set32(s_ + sym_base_, static_cast<int32_t>(pcs_.size()));
  pcs_.push_back(pc);
}

bool Core::feasible(const PathCondition& pc) {
  if (pc.is_false()) return false;
  if (pc.is_true()) return true;
  if (decider_ == nullptr) throw std::logic_error("a symbolic spec is explored without a solver");
  SymDecision d = decider_->check(pool_, pc);
  if (d.kind == SymSat::Unknown) {
    // Kept, never pruned silently: the verdict becomes incomplete (docs/symbolic.md).
    if (undecided_.empty()) undecided_ = d.reason.empty() ? "the solver gave up" : d.reason;
    return true;
  }
  return d.kind == SymSat::Sat;
}

SymTermId Core::cond_of(SymTermId t) {
  const SymNode& n = pool_.node(t);
  if (n.op == SymOp::Ite && pool_.const_value(n.kids[1]) == 1 &&
      pool_.const_value(n.kids[2]) == 0) {
    return n.kids[0];
  }
  return pool_.to_bool(t);
}

SymTermId Core::sym_binary(ast::BinaryOp op, SymTermId x, SymTermId y) {
  SymTermId r = x;
  switch (op) {
    case ast::BinaryOp::Add:
      r = pool_.bv_add(x, y);
      break;
    case ast::BinaryOp::Sub:
      r = pool_.bv_sub(x, y);
      break;
    case ast::BinaryOp::Mul:
      r = pool_.bv_mul(x, y);
      break;
    case ast::BinaryOp::BitAnd:
      r = pool_.bv_and(x, y);
      break;
    case ast::BinaryOp::BitOr:
      r = pool_.bv_or(x, y);
      break;
    case ast::BinaryOp::BitXor:
      r = pool_.bv_xor(x, y);
      break;
    case ast::BinaryOp::Shl:
      r = pool_.bv_shl(x, y);
      break;
    case ast::BinaryOp::Shr:
      r = pool_.bv_ashr(x, y);
      break;
    case ast::BinaryOp::Eq:
      r = pool_.mk_eq(x, y);
      break;
    case ast::BinaryOp::Ne:
      r = pool_.mk_ne(x, y);
      break;
    case ast::BinaryOp::Lt:
      r = pool_.slt(x, y);
      break;
    case ast::BinaryOp::Le:
      r = pool_.sle(x, y);
      break;
    case ast::BinaryOp::Gt:
      r = pool_.sgt(x, y);
      break;
    case ast::BinaryOp::Ge:
      r = pool_.sge(x, y);
      break;
    case ast::BinaryOp::LogAnd:
      r = pool_.mk_and(cond_of(x), cond_of(y));
      break;
    case ast::BinaryOp::LogOr:
      r = pool_.mk_or(cond_of(x), cond_of(y));
      break;
  }
  return r;
}

void Core::set_param_term(uint32_t a, uint32_t i, SymTermId t) {
  const CodeUnit& u = unit_of(a);
  if (i >= u.param_count || i >= u.param_regs.size()) return;
  const Reg r = u.param_regs[i];
  if (u.reg_types[r.value] == TypeKind::Ptr) {
    put_wide_term(reg_ptr(a, r),
                  pool_.sext(pool_.is_bool(t) ? pool_.bool_to_int(t) : t, kPtrTermWidth));
  } else {
    put_term(reg_ptr(a, r), t);
  }
}

SymTermId Core::wide_term_at(const uint8_t* p) {
  if (tagged(p)) return SymTermId{static_cast<uint32_t>(get32(p))};
  uint64_t v;
  std::memcpy(&v, p, 8);
  return pool_.bv_const(v, kPtrTermWidth);
}

void Core::put_wide_term(uint8_t* p, SymTermId t) {
  if (spec_.pointer_width < kPtrTermWidth) {  // keep the low pointer_width bits
    t = pool_.zext(pool_.extract(t, spec_.pointer_width - 1, 0), kPtrTermWidth);
  }
  if (std::optional<uint64_t> v = pool_.const_value(t)) {
    std::memcpy(p, &*v, 8);
    set_tag(p, false);
  } else {
    set32(p, static_cast<int32_t>(t.value));
    set32(p + 4, 0);
    set_tag(p, true);
  }
  set_tag(p + 4, false);
}

SymTermId Core::sym_binary_wide(ast::BinaryOp op, SymTermId x, SymTermId y) {
  switch (op) {  // unsigned where it differs from int (docs/spec-language.md)
    case ast::BinaryOp::Shr:
      return pool_.bv_lshr(x, y);
    case ast::BinaryOp::Lt:
      return pool_.ult(x, y);
    case ast::BinaryOp::Le:
      return pool_.ule(x, y);
    case ast::BinaryOp::Gt:
      return pool_.ult(y, x);
    case ast::BinaryOp::Ge:
      return pool_.ule(y, x);
    default:
      return sym_binary(op, x, y);
  }
}

bool Core::exec_symbolic_wide(uint32_t a, const Instr& in) {
  auto is_sym = [&](Reg r) { return tagged(reg_ptr(a, r)); };
  auto wterm = [&](Reg r) { return wide_term_at(reg_ptr(a, r)); };
  switch (in.op) {
    case Op::Convert:
      if (!is_sym(in.b)) return false;
      if (static_cast<Conversion>(in.sub) == Conversion::Widen) {
        put_wide_term(reg_ptr(a, in.a), pool_.sext(term_at(reg_ptr(a, in.b)), kPtrTermWidth));
      } else {
        put_term(reg_ptr(a, in.a), pool_.extract(wterm(in.b), kIntWidth - 1, 0));
      }
      return true;
    case Op::Move:
      if (!is_sym(in.b)) return false;
      put_wide_term(reg_ptr(a, in.a), wterm(in.b));
      return true;
    case Op::Unary: {
      if (!is_sym(in.b)) return false;
      const SymTermId x = wterm(in.b);
      put_wide_term(reg_ptr(a, in.a), static_cast<ast::UnaryOp>(in.sub) == ast::UnaryOp::Neg
                                          ? pool_.bv_neg(x)
                                          : pool_.bv_not(x));
      return true;
    }
    case Op::Binary: {
      if (!is_sym(in.b) && !is_sym(in.c)) return false;
      const SymTermId r =
          sym_binary_wide(static_cast<ast::BinaryOp>(in.sub), wterm(in.b), wterm(in.c));
      if (pool_.is_bool(r)) {
        put_term(reg_ptr(a, in.a), r);
      } else {
        put_wide_term(reg_ptr(a, in.a), r);
      }
      return true;
    }
    default:
      return false;
  }
}

std::optional<Outcome> Core::exec_symbolic(uint32_t a, const CodeUnit& u, const Instr& in) {
  const uint16_t pc = get16(act(a) + kAPc);
  auto next = [&] {
    set16(act(a) + kAPc, static_cast<uint16_t>(pc + 1));
    return Outcome::Continue;
  };
  auto is_sym = [&](Reg r) { return tagged(reg_ptr(a, r)); };
  auto term = [&](Reg r) { return term_at(reg_ptr(a, r)); };
  if (in.wide || in.op == Op::Convert) {
    if (exec_symbolic_wide(a, in)) return next();
    return std::nullopt;
  }
  switch (in.op) {
    case Op::Symbolic: {
      std::string name = fmt::format("{}.{}", lane_of(a), u.reg_names[in.a.value]);
      put_term(reg_ptr(a, in.a), sym_var(name, static_cast<unsigned>(in.imm)));
      if (rec_) note(fmt::format("{} is symbolic (int<{}>)", name, in.imm));
      return next();
    }
    case Op::Move:
      if (!is_sym(in.b)) return std::nullopt;
      put_term(reg_ptr(a, in.a), term(in.b));
      return next();
    case Op::NtSuccess:
      if (!is_sym(in.b)) return std::nullopt;
      put_term(reg_ptr(a, in.a), pool_.sge(term(in.b), pool_.int_const(0)));
      return next();
    case Op::Unary: {
      if (!is_sym(in.b)) return std::nullopt;
      SymTermId x = term(in.b);
      SymTermId r = x;
      switch (static_cast<ast::UnaryOp>(in.sub)) {
        case ast::UnaryOp::Not:
          r = pool_.mk_not(cond_of(x));
          break;
        case ast::UnaryOp::Neg:
          r = pool_.bv_neg(x);
          break;
        case ast::UnaryOp::BitNot:
          r = pool_.bv_not(x);
          break;
      }
      put_term(reg_ptr(a, in.a), r);
      return next();
    }
    case Op::Binary: {
      if (!is_sym(in.b) && !is_sym(in.c)) return std::nullopt;
      put_term(reg_ptr(a, in.a),
               sym_binary(static_cast<ast::BinaryOp>(in.sub), term(in.b), term(in.c)));
      return next();
    }
    case Op::JumpIfZero:
    case Op::JumpIfNonZero: {
      if (!is_sym(in.a)) return std::nullopt;
      // Fork: choice 0 falls through, choice 1 jumps; each side adds its condition to the
      // path condition and is dropped when the solver finds that unsatisfiable.
      const SymTermId c = cond_of(term(in.a));
      const SymTermId zero = pool_.mk_not(c);
      const std::optional<bool> jumps =
          in.op == Op::JumpIfNonZero ? sym_split(c, zero) : sym_split(zero, c);
      if (!jumps) return Outcome::Infeasible;
      if (!*jumps) return next();
      set16(act(a) + kAPc, static_cast<uint16_t>(in.target));
      return Outcome::Continue;
    }
    case Op::Assume: {
      if (!is_sym(in.a)) return std::nullopt;
      PathCondition npc = path_condition();
      npc.add(pool_, cond_of(term(in.a)));
      if (!feasible(npc)) return Outcome::Pruned;
      set_path_condition(npc);
      return next();
    }
    case Op::Assert: {
      if (!is_sym(in.a)) return std::nullopt;
      const SymTermId c = cond_of(term(in.a));
      PathCondition bad = path_condition();
      bad.add(pool_, pool_.mk_not(c));
      if (bad.is_false()) return next();
      if (decider_ == nullptr)
        throw std::logic_error("a symbolic spec is explored without a solver");
      SymDecision d = decider_->check(pool_, bad);
      if (d.kind == SymSat::Unknown) {
        if (undecided_.empty()) undecided_ = d.reason.empty() ? "the solver gave up" : d.reason;
        return next();
      }
      if (d.kind == SymSat::Unsat) return next();
      // The successor carries pc ∧ !c, so the trace's model is a violating assignment.
      set_path_condition(bad);
      violation(RuleId::Assertion, in.src,
                fmt::format("assertion failed in {}: {} can be false", lane_of(a),
                            sym_to_string(pool_, c, 200)));
      return Outcome::Violation;
    }
    case Op::Interlocked: {
      bool sym = in.loc.kind == LocKind::Global && tagged(global(in.loc.index));
      sym = sym || (in.loc.kind == LocKind::Reg && tagged(act(a) + kARegs + 4 * in.loc.index));
      for (uint8_t i = 0; i < in.nargs; ++i) sym = sym || is_sym(u.args[in.args_begin + i]);
      if (!sym) return std::nullopt;
      throw ModelLimit(fmt::format("{}: {} on a symbolic value is not executed yet", lane_of(a),
                                   api_info(in.api()).name));
    }
    case Op::Api: {
      const ApiInfo& info = api_info(in.api());
      const Module* m = module_for(info.domain);
      const int allowed = m != nullptr ? m->symbolic_param(in.api()) : -1;
      int sym_arg = -1;
      for (uint8_t i = 0; i < in.nargs; ++i) {
        if (!is_sym(u.args[in.args_begin + i])) continue;
        if (i != allowed || sym_arg >= 0) {
          throw ModelLimit(
              fmt::format("{}: a symbolic value passed to {} (only {} may be symbolic)", lane_of(a),
                          info.name, symbolic_params_text()));
        }
        sym_arg = i;
      }
      if (sym_arg < 0) return std::nullopt;
      // The module keeps the term (a request's status, an NBL's cancel id); the trace prints it.
      sym_arg_ = sym_render_ = term(u.args[in.args_begin + static_cast<uint32_t>(sym_arg)]);
      Outcome o = Outcome::Continue;
      try {
        o = exec_api(a, u, in);
      } catch (...) {
        sym_arg_ = sym_render_ = SymTermId{};
        throw;
      }
      sym_arg_ = sym_render_ = SymTermId{};
      if (o != Outcome::Continue) return o;
      if (act(a)[kAUnit] == 0) return Outcome::Finished;
      return next();
    }
    default:
      return std::nullopt;
  }
}

std::vector<std::pair<std::string, std::string>> Core::symbolic_values() {
  const PathCondition& pc = path_condition();
  if (pc.is_true() || pc.is_false() || decider_ == nullptr) return {};
  SymDecision d = decider_->solve(pool_, pc);
  if (d.kind == SymSat::Unknown && undecided_.empty()) {
    undecided_ = d.reason.empty() ? "the solver gave up on a trace's model" : d.reason;
  }
  if (d.kind != SymSat::Sat || !d.model) return {};
  std::vector<std::pair<std::string, std::string>> out = sym_describe(pool_, *d.model);
  const auto entries = d.model->entries();
  for (std::size_t i = 0; i < out.size() && i < entries.size(); ++i) {
    const SymVarInfo* v = pool_.var_info(entries[i].first);
    if (v != nullptr && v->width == kPartialCancelIdWidth &&
        v->name.starts_with(kPartialIdPrefix)) {
      out[i].second += fmt::format(" (0x{:02X})", entries[i].second);  // a cancel id's high byte
      continue;
    }
    if (v == nullptr || v->width != kIntWidth) continue;
    std::string_view n = constant_name(TypeKind::Status, static_cast<int32_t>(entries[i].second));
    if (!n.empty()) out[i].second += fmt::format(" ({})", n);
  }
  return out;
}

}  // namespace cc
