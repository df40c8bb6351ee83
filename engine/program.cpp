#include "engine/program.h"

#include <algorithm>

#include <fmt/format.h>

namespace cc {
namespace {

constexpr uint32_t kMaxInlineDepth = 32;
constexpr uint32_t kMaxRegs = 4096;

bool is_list(TypeKind t) {
  return t == TypeKind::ListRequest || t == TypeKind::ListNbl;
}
bool is_number(TypeKind t) {
  return t == TypeKind::Bool || t == TypeKind::Int || t == TypeKind::Status;
}
bool is_handle(TypeKind t) {
  return t == TypeKind::Request || t == TypeKind::Nbl || t == TypeKind::Task || t == TypeKind::Vcb;
}

/// Lowers one function (and the helpers it calls) into a CodeUnit.
class Lowerer {
 public:
  Lowerer(const ast::Spec& spec, uint32_t cap, CodeUnit& unit)
      : spec_(spec), cap_(cap), unit_(unit) {}

  std::string error;

  void lower_root(const ast::FnDecl& fn) {
    enter(fn);
    unit_.param_count = fn.param_count;
    if (fn.body) stmt(*fn.body);
    emit({.op = Op::Return, .src = fn.range});
    frames_.pop_back();
  }

 private:
  struct Frame {
    const ast::FnDecl* fn = nullptr;
    std::vector<Reg> locals;
    Reg ret;
    std::vector<uint32_t> ret_jumps;
    uint32_t atomic_depth = 0;
  };
  struct LoopCtx {
    std::vector<uint32_t> breaks;
    std::vector<uint32_t> continues;
    uint32_t atomic_depth = 0;
  };

  void fail(const std::string& why, SourceRange r) {
    if (error.empty()) error = fmt::format("line {}: {}", r.begin.line, why);
  }

  Reg new_reg(TypeKind t, std::string name = {}) {
    auto first = static_cast<uint32_t>(unit_.reg_types.size());
    uint32_t width = is_list(t) ? 1 + cap_ : t == TypeKind::Ptr ? 2 : 1;
    if (first + width > kMaxRegs) {
      fail("function needs too many registers", unit_.range);
      return Reg{0};
    }
    for (uint32_t i = 0; i < width; ++i) {
      unit_.reg_types.push_back(i == 0 ? t : TypeKind::Int);
      unit_.reg_names.push_back(i == 0 ? name : std::string());
    }
    return Reg{static_cast<uint16_t>(first)};
  }

  uint32_t emit(Instr in) {
    unit_.code.push_back(in);
    return static_cast<uint32_t>(unit_.code.size() - 1);
  }
  uint32_t here() const { return static_cast<uint32_t>(unit_.code.size()); }
  void patch(uint32_t at, uint32_t target) { unit_.code[at].target = target; }

  Reg constant(int64_t v, SourceRange r, TypeKind t = TypeKind::Int) {
    Reg d = new_reg(t);
    const bool wide = t == TypeKind::Ptr;
    emit({.op = Op::Const,
          .wide = wide,
          .a = d,
          .imm = wide ? convert_number(v, t, spec_.pointer_width) : v,
          .src = r});
    return d;
  }

  TypeKind type_of(Reg r) const { return unit_.reg_types.at(r.value); }

  /// The value of `v` converted to type `to` as C converts numbers (docs/spec-language.md,
  /// "Pointer-sized integers"): a register pair for a uintptr, one word otherwise.
  Reg convert(Reg v, TypeKind to, SourceRange r) {
    const TypeKind from = type_of(v);
    if ((from == TypeKind::Ptr) == (to == TypeKind::Ptr)) return v;
    if (to != TypeKind::Ptr && !is_number(to)) return v;
    if (from != TypeKind::Ptr && !is_number(from)) return v;
    Reg d = new_reg(to == TypeKind::Ptr ? TypeKind::Ptr : TypeKind::Int);
    emit({.op = Op::Convert,
          .sub = static_cast<uint8_t>(to == TypeKind::Ptr ? Conversion::Widen : Conversion::Narrow),
          .a = d,
          .b = v,
          .src = r});
    return d;
  }

  /// Moves `v` into register `d` (of its declared type), converting the number.
  void move_to(Reg d, Reg v, SourceRange r) {
    v = convert(v, type_of(d), r);
    emit({.op = Op::Move, .wide = type_of(d) == TypeKind::Ptr, .a = d, .b = v, .src = r});
  }

  void enter(const ast::FnDecl& fn) {
    Frame f;
    f.fn = &fn;
    for (const ast::LocalVar& lv : fn.locals) f.locals.push_back(new_reg(lv.type, lv.name));
    if (frames_.empty()) {
      for (uint32_t i = 0; i < fn.param_count && i < f.locals.size(); ++i) {
        unit_.param_regs.push_back(f.locals[i]);
      }
    }
    frames_.push_back(std::move(f));
  }

  Frame& frame() { return frames_.back(); }

  // ---- lvalues ----
  Loc lvalue(const ast::Expr& e) {
    if (e.kind == ast::ExprKind::Name) {
      if (e.sym.kind == ast::SymbolKind::Local) {
        return {.kind = LocKind::Reg, .index = frame().locals.at(e.sym.index).value};
      }
      if (e.sym.kind == ast::SymbolKind::Global) {
        return {.kind = LocKind::Global, .index = e.sym.index};
      }
    } else if (e.kind == ast::ExprKind::Member) {
      Reg base = expr(*e.args.at(0));
      return {.kind = LocKind::Field, .index = e.field, .base = base};
    } else if (e.kind == ast::ExprKind::AddrOf && !e.args.empty()) {
      return lvalue(*e.args[0]);
    }
    fail("expected a variable or a context field", e.range);
    return {};
  }

  // ---- expressions ----
  Reg to_bool(Reg v, SourceRange r) {
    const bool wide = type_of(v) == TypeKind::Ptr;
    Reg zero = constant(0, r, wide ? TypeKind::Ptr : TypeKind::Int);
    Reg d = new_reg(TypeKind::Bool);
    emit({.op = Op::Binary,
          .sub = static_cast<uint8_t>(ast::BinaryOp::Ne),
          .wide = wide,
          .a = d,
          .b = v,
          .c = zero,
          .src = r});
    return d;
  }

  Reg expr(const ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::IntLit:
      case ast::ExprKind::BoolLit:
        return constant(e.int_value, e.range, e.type);
      case ast::ExprKind::Null:  // a NULL function is -1: 0 is the first function
        return constant(e.type == TypeKind::Fn ? -1 : 0, e.range, e.type);
      case ast::ExprKind::Name:
        return name(e);
      case ast::ExprKind::Member: {
        Loc l = lvalue(e);
        Reg d = new_reg(e.type);
        emit({.op = Op::Load, .a = d, .loc = l, .src = e.range});
        return d;
      }
      case ast::ExprKind::Call:
        return call(e);
      case ast::ExprKind::Unary: {
        Reg v = expr(*e.args.at(0));
        const bool wide = type_of(v) == TypeKind::Ptr;
        if (wide && e.uop == ast::UnaryOp::Not) {  // !x of a uintptr: x == 0
          Reg nz = to_bool(v, e.range);
          Reg d = new_reg(TypeKind::Bool);
          emit({.op = Op::Unary,
                .sub = static_cast<uint8_t>(e.uop),
                .a = d,
                .b = nz,
                .src = e.range});
          return d;
        }
        Reg d = new_reg(e.type);
        emit({.op = Op::Unary,
              .sub = static_cast<uint8_t>(e.uop),
              .wide = wide,
              .a = d,
              .b = v,
              .src = e.range});
        return d;
      }
      case ast::ExprKind::Binary:
        return binary(e);
      case ast::ExprKind::AddrOf:
        fail("'&' is only allowed as an argument of an API that takes a reference", e.range);
        return constant(0, e.range);
      case ast::ExprKind::Nondet:
        fail("'*' is only allowed as the condition of if or while", e.range);
        return constant(0, e.range);
    }
    return constant(0, e.range);
  }

  Reg name(const ast::Expr& e) {
    switch (e.sym.kind) {
      case ast::SymbolKind::Local:
        return frame().locals.at(e.sym.index);
      case ast::SymbolKind::Global: {
        if (is_list(e.type)) {
          fail("a list can only be used through push, pop, remove, empty and for-in", e.range);
        }
        Reg d = new_reg(e.type);
        emit({.op = Op::Load,
              .wide = e.type == TypeKind::Ptr,
              .a = d,
              .loc = {.kind = LocKind::Global, .index = e.sym.index},
              .src = e.range});
        return d;
      }
      case ast::SymbolKind::CreatedRequest: {
        Reg d = new_reg(TypeKind::Request);
        emit({.op = Op::CreatedRef,
              .a = d,
              .imm = static_cast<int32_t>(e.sym.index),
              .src = e.range});
        return d;
      }
      case ast::SymbolKind::Const:
      case ast::SymbolKind::BuiltinConst:
        return constant(e.int_value, e.range, e.type);
      case ast::SymbolKind::Unresolved:
        fail(fmt::format("unresolved name '{}'", e.name), e.range);
        return constant(0, e.range);
      default:  // declared objects: their index
        return constant(e.sym.index, e.range, e.type);
    }
  }

  Reg binary(const ast::Expr& e) {
    if (e.bop == ast::BinaryOp::LogAnd || e.bop == ast::BinaryOp::LogOr) {
      Reg d = new_reg(TypeKind::Bool);
      Reg l = to_bool(expr(*e.args.at(0)), e.range);
      emit({.op = Op::Move, .a = d, .b = l, .src = e.range});
      uint32_t j = emit({.op = e.bop == ast::BinaryOp::LogAnd ? Op::JumpIfZero : Op::JumpIfNonZero,
                         .a = d,
                         .src = e.range});
      Reg r = to_bool(expr(*e.args.at(1)), e.range);
      emit({.op = Op::Move, .a = d, .b = r, .src = e.range});
      patch(j, here());
      return d;
    }
    Reg l = expr(*e.args.at(0));
    Reg r = expr(*e.args.at(1));
    // C's conversions: a shift is done in its left operand's type, anything else in uintptr
    // when either operand is one.
    const bool shift = e.bop == ast::BinaryOp::Shl || e.bop == ast::BinaryOp::Shr;
    const bool wide = shift ? type_of(l) == TypeKind::Ptr
                            : type_of(l) == TypeKind::Ptr || type_of(r) == TypeKind::Ptr;
    if (wide) {
      l = convert(l, TypeKind::Ptr, e.range);
      r = convert(r, TypeKind::Ptr, e.range);
    } else if (shift) {
      r = convert(r, TypeKind::Int, e.range);
    }
    Reg d = new_reg(e.type);
    // Handles compare by object identity (imm = 1), whatever epoch they were read at.
    bool handles = is_handle(e.args[0]->type) || is_handle(e.args[1]->type);
    emit({.op = Op::Binary,
          .sub = static_cast<uint8_t>(e.bop),
          .wide = wide,
          .a = d,
          .b = l,
          .c = r,
          .imm = handles ? 1 : 0,
          .src = e.range});
    return d;
  }

  Reg call(const ast::Expr& e) {
    if (e.fn != ast::kNone && !e.api) return inline_call(e);
    if (!e.api) {
      fail(fmt::format("call to unknown function '{}'", e.name), e.range);
      return constant(0, e.range);
    }
    ApiId api = *e.api;
    switch (api) {
      case ApiId::NT_SUCCESS: {
        Reg v = convert(expr(*e.args.at(0)), TypeKind::Int, e.range);
        Reg d = new_reg(TypeKind::Bool);
        emit({.op = Op::NtSuccess, .a = d, .b = v, .src = e.range});
        return d;
      }
      case ApiId::assert:
      case ApiId::assume: {
        Reg v = expr(*e.args.at(0));
        if (type_of(v) == TypeKind::Ptr) v = to_bool(v, e.range);
        emit({.op = api == ApiId::assert ? Op::Assert : Op::Assume, .a = v, .src = e.range});
        return constant(0, e.range, TypeKind::Void);
      }
      case ApiId::push: {
        Loc l = lvalue(*e.args.at(0));
        Reg v = expr(*e.args.at(1));
        emit({.op = Op::ListPush, .b = v, .loc = l, .src = e.range});
        return constant(0, e.range, TypeKind::Void);
      }
      case ApiId::pop:
      case ApiId::empty: {
        Loc l = lvalue(*e.args.at(0));
        Reg d = new_reg(e.type);
        emit({.op = api == ApiId::pop ? Op::ListPop : Op::ListEmpty,
              .a = d,
              .loc = l,
              .src = e.range});
        return d;
      }
      case ApiId::remove: {
        Loc l = lvalue(*e.args.at(0));
        Reg v = expr(*e.args.at(1));
        Reg d = new_reg(TypeKind::Bool);
        emit({.op = Op::ListRemove, .a = d, .b = v, .loc = l, .src = e.range});
        return d;
      }
      case ApiId::InterlockedIncrement:
      case ApiId::InterlockedDecrement:
      case ApiId::InterlockedOr:
      case ApiId::InterlockedCompareExchange: {
        Loc l = lvalue(*e.args.at(0));
        std::vector<Reg> args;
        for (std::size_t i = 1; i < e.args.size(); ++i) {
          args.push_back(convert(expr(*e.args[i]), TypeKind::Int, e.range));
        }
        Reg d = new_reg(TypeKind::Int);
        Instr in{.op = Op::Interlocked,
                 .sub = static_cast<uint8_t>(api),
                 .a = d,
                 .loc = l,
                 .src = e.range};
        put_args(in, args);
        emit(in);
        return d;
      }
      default:
        break;
    }
    const ApiInfo& info = api_info(api);
    std::vector<Reg> args;
    Loc out;
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      TypeKind pt = i < info.params.size() ? info.params[i] : TypeKind::Int;
      if (pt == TypeKind::RefRequest || pt == TypeKind::RefInt) {
        out = lvalue(*e.args[i]);
        args.push_back(constant(0, e.range));
      } else {
        args.push_back(convert(expr(*e.args[i]), pt, e.range));
      }
    }
    Reg d = new_reg(info.result == TypeKind::Void ? TypeKind::Void : info.result);
    Instr in{.op = Op::Api, .sub = static_cast<uint8_t>(api), .a = d, .loc = out, .src = e.range};
    put_args(in, args);
    emit(in);
    return d;
  }

  void put_args(Instr& in, const std::vector<Reg>& args) {
    in.args_begin = static_cast<uint32_t>(unit_.args.size());
    in.nargs = static_cast<uint8_t>(args.size());
    unit_.args.insert(unit_.args.end(), args.begin(), args.end());
  }

  Reg inline_call(const ast::Expr& e) {
    const ast::FnDecl& callee = spec_.fns.at(e.fn);
    if (frames_.size() > kMaxInlineDepth) {
      fail(fmt::format("helper calls nested deeper than {} (recursion?)", kMaxInlineDepth),
           e.range);
      return constant(0, e.range);
    }
    std::vector<Reg> args;
    for (const auto& a : e.args) args.push_back(expr(*a));
    enter(callee);
    for (std::size_t i = 0; i < args.size() && i < callee.param_count; ++i) {
      move_to(frame().locals[i], args[i], e.range);
    }
    for (std::size_t i = callee.param_count; i < callee.locals.size(); ++i) {
      clear_local(frame().locals[i], callee.locals[i].type, e.range);
    }
    Reg ret = new_reg(callee.return_type == TypeKind::Void ? TypeKind::Int : callee.return_type);
    emit({.op = Op::Const,
          .wide = type_of(ret) == TypeKind::Ptr,
          .a = ret,
          .imm = 0,
          .src = e.range});
    frame().ret = ret;
    std::vector<LoopCtx> saved_loops;
    saved_loops.swap(loops_);
    if (callee.body) stmt(*callee.body);
    loops_.swap(saved_loops);
    for (uint32_t j : frame().ret_jumps) patch(j, here());
    frames_.pop_back();
    return ret;
  }

  void clear_local(Reg r, TypeKind t, SourceRange src) {
    uint32_t width = is_list(t) ? 1 + cap_ : t == TypeKind::Ptr ? 2 : 1;
    for (uint32_t i = 0; i < width; ++i) {
      emit({.op = Op::Const, .a = Reg{static_cast<uint16_t>(r.value + i)}, .imm = 0, .src = src});
    }
  }

  // ---- statements ----
  void stmt(const ast::Stmt& s) {
    switch (s.kind) {
      case ast::StmtKind::Block:
        for (const auto& b : s.body) stmt(*b);
        break;
      case ast::StmtKind::Atomic:
        emit({.op = Op::AtomicBegin, .src = s.range});
        ++frame().atomic_depth;
        for (const auto& b : s.body) stmt(*b);
        --frame().atomic_depth;
        emit({.op = Op::AtomicEnd, .src = s.range});
        break;
      case ast::StmtKind::VarDecl: {
        Reg r = frame().locals.at(s.slot);
        if (s.value) {
          move_to(r, expr(*s.value), s.range);
        } else {
          clear_local(r, s.decl_type, s.range);
        }
        break;
      }
      case ast::StmtKind::SymbolicDecl:
        emit({.op = Op::Symbolic,
              .a = frame().locals.at(s.slot),
              .imm = static_cast<int32_t>(s.width),
              .src = s.range});
        break;
      case ast::StmtKind::Assign:
        assign(s);
        break;
      case ast::StmtKind::If: {
        uint32_t jelse = cond_jump(*s.cond, s.range);
        if (s.then_stmt) stmt(*s.then_stmt);
        if (s.else_stmt) {
          uint32_t jend = emit({.op = Op::Jump, .src = s.range});
          patch(jelse, here());
          stmt(*s.else_stmt);
          patch(jend, here());
        } else {
          patch(jelse, here());
        }
        break;
      }
      case ast::StmtKind::While: {
        uint32_t head = here();
        uint32_t jend = cond_jump(*s.cond, s.range);
        loops_.push_back({.atomic_depth = frame().atomic_depth});
        if (!s.body.empty()) stmt(*s.body[0]);
        emit({.op = Op::Jump, .target = head, .src = s.range});
        finish_loop(head, here());
        patch(jend, here());
        // finish_loop patched breaks to the loop end already
        break;
      }
      case ast::StmtKind::ForIn:
        for_in(s);
        break;
      case ast::StmtKind::Break:
      case ast::StmtKind::Continue: {
        if (loops_.empty()) {
          fail("break/continue outside a loop", s.range);
          break;
        }
        for (uint32_t i = loops_.back().atomic_depth; i < frame().atomic_depth; ++i) {
          emit({.op = Op::AtomicEnd, .src = s.range});
        }
        uint32_t j = emit({.op = Op::Jump, .src = s.range});
        (s.kind == ast::StmtKind::Break ? loops_.back().breaks : loops_.back().continues)
            .push_back(j);
        break;
      }
      case ast::StmtKind::Return: {
        if (frames_.size() == 1) {
          // A callback's value goes to the call that waits for it (an inline callback such
          // as EvtInterruptSynchronize); imm = 1 marks a Return that carries one in `a`.
          if (s.value) {
            Reg v = convert(expr(*s.value), TypeKind::Int, s.range);
            emit({.op = Op::Return, .a = v, .imm = 1, .src = s.range});
          } else {
            emit({.op = Op::Return, .src = s.range});
          }
          break;
        }
        if (s.value) move_to(frame().ret, expr(*s.value), s.range);
        for (uint32_t i = 0; i < frame().atomic_depth; ++i) {
          emit({.op = Op::AtomicEnd, .src = s.range});
        }
        frame().ret_jumps.push_back(emit({.op = Op::Jump, .src = s.range}));
        break;
      }
      case ast::StmtKind::ExprStmt:
        if (s.value) expr(*s.value);
        break;
    }
  }

  /// Emits the branch of an if/while condition; returns the jump taken when it is false.
  uint32_t cond_jump(const ast::Expr& c, SourceRange r) {
    if (c.kind == ast::ExprKind::Nondet) return emit({.op = Op::Nondet, .src = c.range});
    Reg v = expr(c);
    if (type_of(v) == TypeKind::Ptr) v = to_bool(v, r);
    return emit({.op = Op::JumpIfZero, .a = v, .src = r});
  }

  void finish_loop(uint32_t continue_target, uint32_t end) {
    for (uint32_t j : loops_.back().breaks) patch(j, end);
    for (uint32_t j : loops_.back().continues) patch(j, continue_target);
    loops_.pop_back();
  }

  void assign(const ast::Stmt& s) {
    const ast::Expr& t = *s.target;
    if (is_list(t.type)) {
      fail("lists cannot be assigned; use push, pop and remove", s.range);
      return;
    }
    Loc l = lvalue(t);
    Reg v = expr(*s.value);
    if (l.kind == LocKind::Reg) {
      move_to(Reg{static_cast<uint16_t>(l.index)}, v, s.range);
    } else if (l.kind != LocKind::None) {
      v = convert(v, t.type, s.range);
      emit({.op = Op::Store, .wide = t.type == TypeKind::Ptr, .b = v, .loc = l, .src = s.range});
    }
  }

  void for_in(const ast::Stmt& s) {
    Loc list = lvalue(*s.value);
    Reg var = frame().locals.at(s.slot);
    Reg idx = constant(0, s.range);
    Reg ok = new_reg(TypeKind::Bool);
    Reg one = constant(1, s.range);
    uint32_t head = here();
    emit({.op = Op::ListGet, .a = var, .b = idx, .c = ok, .loc = list, .src = s.value->range});
    uint32_t jend = emit({.op = Op::JumpIfZero, .a = ok, .src = s.range});
    loops_.push_back({.atomic_depth = frame().atomic_depth});
    if (!s.body.empty()) stmt(*s.body[0]);
    uint32_t cont = here();
    emit({.op = Op::Binary,
          .sub = static_cast<uint8_t>(ast::BinaryOp::Add),
          .a = idx,
          .b = idx,
          .c = one,
          .src = s.range});
    emit({.op = Op::Jump, .target = head, .src = s.range});
    finish_loop(cont, here());
    patch(jend, here());
  }

  const ast::Spec& spec_;
  uint32_t cap_;
  CodeUnit& unit_;
  std::vector<Frame> frames_;
  std::vector<LoopCtx> loops_;
};

/// Backward liveness over the unit's control-flow graph (dead registers are zeroed between
/// steps so that states differing only in dead values coincide).
void compute_liveness(CodeUnit& u, uint32_t cap) {
  const auto n = static_cast<uint32_t>(u.code.size());
  const auto words = static_cast<uint32_t>((u.reg_types.size() + 63) / 64);
  u.live_words = std::max<uint32_t>(words, 1);
  u.live.assign(static_cast<std::size_t>(n) * u.live_words, 0);
  std::vector<uint64_t> use(u.live_words), def(u.live_words), out(u.live_words);
  auto set = [](std::vector<uint64_t>& v, uint32_t r) { v[r / 64] |= uint64_t{1} << (r % 64); };
  auto set_range = [&](std::vector<uint64_t>& v, uint32_t r, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) set(v, r + i);
  };
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t pc = n; pc-- > 0;) {
      const Instr& in = u.code[pc];
      std::fill(use.begin(), use.end(), 0);
      std::fill(def.begin(), def.end(), 0);
      std::fill(out.begin(), out.end(), 0);
      auto succ = [&](uint32_t t) {
        if (t >= n) return;
        for (uint32_t w = 0; w < u.live_words; ++w) out[w] |= u.live[t * u.live_words + w];
      };
      auto use_loc = [&](const Loc& l, bool list) {
        if (l.kind == LocKind::Field) set(use, l.base.value);
        if (l.kind == LocKind::Reg) set_range(use, l.index, list ? 1 + cap : 1);
      };
      switch (in.op) {
        case Op::Jump:
          succ(in.target);
          break;
        case Op::JumpIfZero:
        case Op::JumpIfNonZero:
        case Op::Nondet:
          succ(pc + 1);
          succ(in.target);
          break;
        case Op::Return:
          break;
        default:
          succ(pc + 1);
          break;
      }
      switch (in.op) {
        case Op::Const:
        case Op::CreatedRef:
        case Op::Symbolic:
          set(def, in.a.value);
          break;
        case Op::Move:
        case Op::Unary:
        case Op::NtSuccess:
        case Op::Convert:
          set(use, in.b.value);
          set(def, in.a.value);
          break;
        case Op::Binary:
          set(use, in.b.value);
          set(use, in.c.value);
          set(def, in.a.value);
          break;
        case Op::JumpIfZero:
        case Op::JumpIfNonZero:
        case Op::Assert:
        case Op::Assume:
          set(use, in.a.value);
          break;
        case Op::Return:
          if (in.imm == 1) set(use, in.a.value);
          break;
        case Op::Load:
          use_loc(in.loc, false);
          set(def, in.a.value);
          break;
        case Op::Store:
          use_loc(in.loc, false);
          set(use, in.b.value);
          break;
        case Op::Api:
        case Op::Interlocked:
          for (uint8_t i = 0; i < in.nargs; ++i) set(use, u.args[in.args_begin + i].value);
          use_loc(in.loc, false);
          set(def, in.a.value);
          break;
        case Op::ListPush:
        case Op::ListRemove:
          set(use, in.b.value);
          use_loc(in.loc, true);
          if (in.op == Op::ListRemove) set(def, in.a.value);
          break;
        case Op::ListPop:
        case Op::ListEmpty:
          use_loc(in.loc, true);
          set(def, in.a.value);
          break;
        case Op::ListGet:
          set(use, in.b.value);
          use_loc(in.loc, true);
          set(def, in.a.value);
          set(def, in.c.value);
          break;
        default:
          break;
      }
      for (uint32_t w = 0; w < u.live_words; ++w) {
        uint64_t v = use[w] | (out[w] & ~def[w]);
        uint64_t& cur = u.live[pc * u.live_words + w];
        if (v != cur) {
          cur = v;
          changed = true;
        }
      }
    }
  }
  // A uintptr's second word lives and dies with its first.
  for (uint32_t r = 0; r + 1 < u.reg_types.size(); ++r) {
    if (u.reg_types[r] != TypeKind::Ptr) continue;
    for (uint32_t pc = 0; pc < n; ++pc) {
      uint64_t* row = &u.live[static_cast<std::size_t>(pc) * u.live_words];
      if (((row[r / 64] >> (r % 64)) & 1U) != 0) row[(r + 1) / 64] |= uint64_t{1} << ((r + 1) % 64);
    }
  }
}

}  // namespace

bool CodeUnit::visible(uint32_t pc) const {
  const Instr& in = code[pc];
  return in.op == Op::Api || (in.accesses_loc() && in.loc.shared());
}

std::string compile_program(const ast::Spec& spec, uint32_t list_capacity, Program& out) {
  out = Program{};
  out.list_capacity = list_capacity;
  auto lower = [&](const ast::FnDecl& fn, uint32_t fn_index, uint32_t thread_index) {
    CodeUnit unit;
    unit.name = fn.name;
    unit.fn = fn_index;
    unit.thread = thread_index;
    unit.range = fn.range;
    Lowerer l(spec, list_capacity, unit);
    l.lower_root(fn);
    if (l.error.empty()) compute_liveness(unit, list_capacity);
    out.max_regs = std::max(out.max_regs, static_cast<uint32_t>(unit.reg_types.size()));
    out.units.push_back(std::move(unit));
    return l.error;
  };
  for (uint32_t i = 0; i < spec.fns.size(); ++i) {
    out.unit_of_fn.push_back(static_cast<uint32_t>(out.units.size()));
    std::string err = lower(spec.fns[i], i, ast::kNone);
    if (!err.empty()) return fmt::format("fn {}: {}", spec.fns[i].name, err);
  }
  for (uint32_t i = 0; i < spec.threads.size(); ++i) {
    out.unit_of_thread.push_back(static_cast<uint32_t>(out.units.size()));
    std::string err = lower(spec.threads[i], ast::kNone, i);
    if (!err.empty()) return fmt::format("thread {}: {}", spec.threads[i].name, err);
  }
  return {};
}

}  // namespace cc
