// Name and type checking of functions and statements: scopes, locals, returns
// (model/sema_impl.h).
#include "model/sema_impl.h"

namespace cc::sema_detail {

using namespace ast;

uint32_t Sema::declare_local(const std::string& name, TypeKind type, SourceRange range,
                             bool symbolic, uint32_t width) {
  FnDecl& f = *fs_->fn;
  uint32_t slot = static_cast<uint32_t>(f.locals.size());
  LocalVar lv;
  lv.name = name;
  lv.type = type;
  lv.range = range;
  lv.symbolic = symbolic;
  lv.width = width;
  f.locals.push_back(std::move(lv));
  if (name.empty()) return slot;
  reserved_local(name, range);
  auto& scope = fs_->scopes.back();
  for (const auto& [n, s] : scope) {
    if (n == name) {
      report(DiagId::DuplicateDeclaration, range,
             fmt::format("'{}' is already declared in this scope", name));
      report(DiagId::NotePreviousDeclaration, f.locals[s].range, "previous declaration is here");
      return slot;
    }
  }
  scope.emplace_back(name, slot);
  return slot;
}

std::optional<uint32_t> Sema::lookup_local(std::string_view name) const {
  if (!fs_) return std::nullopt;
  for (auto s = fs_->scopes.rbegin(); s != fs_->scopes.rend(); ++s) {
    for (auto it = s->rbegin(); it != s->rend(); ++it) {
      if (it->first == name) return it->second;
    }
  }
  return std::nullopt;
}

void Sema::check_fn(FnDecl& f, std::string_view kind) {
  FnState st;
  st.fn = &f;
  st.kind = kind;
  st.scopes.emplace_back();
  fs_ = &st;
  if (f.locals.size() > f.param_count) f.locals.resize(f.param_count);
  for (uint32_t i = 0; i < f.param_count; ++i) {
    LocalVar& p = f.locals[i];
    if (is_list(p.type)) {
      report(DiagId::InvalidVariableType, p.range,
             fmt::format("parameter '{}' cannot be a list; lists are not passed to functions "
                         "(use a global, a context field or a local list)",
                         p.name));
      p.type = TypeKind::Error;
    }
    if (p.name.empty()) continue;
    reserved_local(p.name, p.range);
    bool dup = false;
    for (const auto& [n, s] : st.scopes.back()) {
      if (n == p.name) {
        report(DiagId::DuplicateDeclaration, p.range,
               fmt::format("parameter '{}' is declared twice", p.name));
        report(DiagId::NotePreviousDeclaration, f.locals[s].range, "previous declaration is here");
        dup = true;
      }
    }
    if (!dup) st.scopes.back().emplace_back(p.name, i);
  }
  if (f.body) {
    for (StmtPtr& s : f.body->body) {
      if (stop()) break;
      check_stmt(s.get());
    }
  }
  finish_returns(f);
  fs_ = nullptr;
}

void Sema::finish_returns(FnDecl& f) {
  Stmt* first_value = nullptr;
  Stmt* first_empty = nullptr;
  Stmt* first_typed = nullptr;
  TypeKind rt = TypeKind::Void;
  bool bad = false;
  for (Stmt* r : fs_->returns) {
    if (!r->value) {
      if (!first_empty) first_empty = r;
      continue;
    }
    if (!first_value) first_value = r;
    if (r->value->kind == ExprKind::Null) continue;
    TypeKind t = r->value->type;
    if (t == TypeKind::Error || t == TypeKind::Void) {
      bad = true;
      continue;
    }
    if (!first_typed) {
      first_typed = r;
      rt = t;
    } else if (t != rt) {
      if (is_num(t) && is_num(rt)) {
        rt = TypeKind::Int;
      } else {
        report(DiagId::InconsistentReturn, r->value->range,
               fmt::format("'{}' returns {} here but {} elsewhere", f.name, q(t), q(rt)));
        report(DiagId::NoteUsedHere, first_typed->value->range,
               fmt::format("{} is returned here", q(rt)));
        bad = true;
      }
    }
  }
  if (fs_->kind == "thread") {
    if (first_value) {
      report(DiagId::CallbackSignature, first_value->value->range,
             fmt::format("thread '{}' cannot return a value", f.name));
    }
    f.return_type = TypeKind::Void;
    return;
  }
  if (!first_value) {
    f.return_type = TypeKind::Void;
    return;
  }
  if (first_empty) {
    report(DiagId::InconsistentReturn, first_empty->range,
           fmt::format("'{}' returns a value elsewhere, so this 'return' needs one", f.name));
    report(DiagId::NoteUsedHere, first_value->value->range, "a value is returned here");
    bad = true;
  }
  if (!first_typed && !bad) {
    report(DiagId::InconsistentReturn, first_value->value->range,
           fmt::format("cannot infer the return type of '{}': it only returns NULL", f.name));
    bad = true;
  }
  for (Stmt* r : fs_->returns) {
    if (!r->value || r->value->kind != ExprKind::Null) continue;
    if (bad) {
      r->value->type = TypeKind::Error;
    } else if (is_handle(rt)) {
      r->value->type = rt;
    } else {
      report(DiagId::TypeMismatch, r->value->range,
             fmt::format("'{}' returns {}; NULL is only a value for handles", f.name, q(rt)));
      bad = true;
    }
  }
  if (!bad && f.body && may_complete(f.body.get())) {
    report(DiagId::InconsistentReturn, f.range,
           fmt::format("control can reach the end of '{}' without returning a value", f.name));
    bad = true;
  }
  f.return_type = bad ? TypeKind::Error : rt;
}

bool Sema::has_break(const Stmt* s) {
  if (!s) return false;
  switch (s->kind) {
    case StmtKind::Break:
      return true;
    case StmtKind::While:
    case StmtKind::ForIn:
      return false;  // a nested loop's break is its own
    case StmtKind::If:
      return has_break(s->then_stmt.get()) || has_break(s->else_stmt.get());
    default:
      for (const StmtPtr& b : s->body) {
        if (has_break(b.get())) return true;
      }
      return false;
  }
}

bool Sema::may_complete(const Stmt* s) {
  if (!s) return true;
  switch (s->kind) {
    case StmtKind::Return:
      return false;
    case StmtKind::Block:
    case StmtKind::Atomic:
      for (const StmtPtr& b : s->body) {
        if (!may_complete(b.get())) return false;
      }
      return true;
    case StmtKind::If:
      if (!s->else_stmt) return true;
      return may_complete(s->then_stmt.get()) || may_complete(s->else_stmt.get());
    case StmtKind::While: {
      const Expr* c = s->cond.get();
      bool forever =
          c && (c->kind == ExprKind::BoolLit || c->kind == ExprKind::IntLit) && c->int_value != 0;
      return !forever || (!s->body.empty() && has_break(s->body[0].get()));
    }
    default:
      return true;
  }
}

void Sema::scoped(Stmt* s) {
  fs_->scopes.emplace_back();
  check_stmt(s);
  fs_->scopes.pop_back();
}

void Sema::check_stmt(Stmt* s) {
  if (!s || stop()) return;
  switch (s->kind) {
    case StmtKind::Block:
    case StmtKind::Atomic:
      fs_->scopes.emplace_back();
      for (StmtPtr& b : s->body) check_stmt(b.get());
      fs_->scopes.pop_back();
      break;
    case StmtKind::VarDecl: {
      TypeKind t = s->decl_type;
      SourceRange nr = find_word(s->range, s->name);
      if (is_list(t) && s->value) {
        report(DiagId::InvalidVariableType, s->value->range,
               fmt::format("local variable '{}' is a list; lists start empty and cannot have "
                           "an initializer",
                           s->name));
      } else if (s->value) {
        TypeKind vt = value_of(*s->value, check_expr(*s->value, t));
        if (!assignable(t, vt)) {
          report(DiagId::TypeMismatch, s->value->range,
                 fmt::format("cannot initialize '{}' of type {} with a value of type {}", s->name,
                             q(t), q(vt)));
        }
      }
      s->slot = declare_local(s->name, t, nr, false, 32);
      break;
    }
    case StmtKind::SymbolicDecl:
      s->decl_type = TypeKind::Int;
      s->slot = declare_local(s->name, TypeKind::Int, find_word(s->range, s->name), true, s->width);
      break;
    case StmtKind::Assign: {
      if (!s->target) break;
      TypeKind tt = check_lvalue(*s->target);
      if (!s->value) break;
      TypeKind vt = value_of(*s->value, check_expr(*s->value, tt));
      if (!assignable(tt, vt)) {
        report(DiagId::TypeMismatch, s->value->range,
               fmt::format("cannot assign a value of type {} to {} of type {}", q(vt),
                           describe(*s->target), q(tt)));
      }
      break;
    }
    case StmtKind::If:
      check_cond(s->cond.get(), "if");
      scoped(s->then_stmt.get());
      scoped(s->else_stmt.get());
      break;
    case StmtKind::While:
      check_cond(s->cond.get(), "while");
      ++fs_->loops;
      for (StmtPtr& b : s->body) scoped(b.get());
      --fs_->loops;
      break;
    case StmtKind::ForIn: {
      TypeKind elem = TypeKind::Error;
      if (s->value) {
        TypeKind lt = value_of(*s->value, check_expr(*s->value));
        elem = list_elem(lt);
        if (lt != TypeKind::Error && elem == TypeKind::Error) {
          report(DiagId::TypeMismatch, s->value->range,
                 fmt::format("'for (x in ...)' iterates over a list, found {}", q(lt)));
        }
      }
      SourceRange nr = find_word(s->range, s->name);
      if (s->decl_type != TypeKind::Error && elem != TypeKind::Error && s->decl_type != elem) {
        report(DiagId::TypeMismatch, nr,
               fmt::format("loop variable '{}' is declared {} but the list holds {}", s->name,
                           q(s->decl_type), q(elem)));
      }
      if (elem != TypeKind::Error) s->decl_type = elem;
      fs_->scopes.emplace_back();
      s->slot = declare_local(s->name, s->decl_type, nr, false, 32);
      ++fs_->loops;
      for (StmtPtr& b : s->body) scoped(b.get());
      --fs_->loops;
      fs_->scopes.pop_back();
      break;
    }
    case StmtKind::Break:
    case StmtKind::Continue:
      if (fs_->loops == 0) {
        report(DiagId::BreakOutsideLoop, s->range,
               fmt::format("'{}' is not inside a loop",
                           s->kind == StmtKind::Break ? "break" : "continue"));
      }
      break;
    case StmtKind::Return:
      if (s->value && s->value->kind != ExprKind::Null) value_of(*s->value, check_expr(*s->value));
      fs_->returns.push_back(s);
      break;
    case StmtKind::ExprStmt:
      if (s->value) {
        TypeKind t = check_expr(*s->value);
        if (s->value->kind != ExprKind::Call && t != TypeKind::Error) {
          report(DiagId::UnusedValue, s->value->range, "expression result unused");
        }
      }
      break;
  }
}

void Sema::check_cond(Expr* c, std::string_view kw) {
  if (!c) return;
  if (c->kind == ExprKind::Nondet) {
    c->type = TypeKind::Bool;
    return;
  }
  TypeKind t = value_of(*c, check_expr(*c));
  if (t == TypeKind::Error || is_num(t)) return;
  if (is_handle(t)) {
    report(DiagId::InvalidCondition, c->range,
           fmt::format("'{}' condition has type {}; compare the handle with NULL", kw, q(t)),
           c->kind == ExprKind::Name ? fmt::format("write '{} != NULL'", c->name) : std::string());
    return;
  }
  report(DiagId::InvalidCondition, c->range,
         fmt::format("'{}' condition has type {}; conditions are bool, int or status", kw, q(t)));
}

std::string Sema::describe(const Expr& e) const {
  if (e.kind == ExprKind::Name) return fmt::format("'{}'", e.name);
  if (e.kind == ExprKind::Member) return fmt::format("field '{}'", e.name);
  return "expression";
}

TypeKind Sema::check_lvalue(Expr& t) {
  if (t.kind != ExprKind::Name && t.kind != ExprKind::Member) {
    if (t.kind != ExprKind::Null) check_expr(t);
    report(DiagId::NotAssignable, t.range,
           "the left side of '=' must be a variable or a request context field");
    return TypeKind::Error;
  }
  TypeKind tt = check_expr(t);
  if (tt == TypeKind::Error) return tt;
  if (t.kind == ExprKind::Name) {
    switch (t.sym.kind) {
      case SymbolKind::Local:
        return tt;
      case SymbolKind::Global:
        if (is_list(tt)) break;
        return tt;
      case SymbolKind::Const:
      case SymbolKind::BuiltinConst:
        report(DiagId::NotAssignable, t.range,
               fmt::format("cannot assign to constant '{}'", t.name));
        return TypeKind::Error;
      default: {
        auto it = names_.find(t.name);
        report(DiagId::NotAssignable, t.range,
               fmt::format("cannot assign to {} '{}'",
                           it != names_.end() ? what(it->second) : "object", t.name));
        return TypeKind::Error;
      }
    }
  } else if (!is_list(tt)) {
    return tt;
  }
  report(DiagId::NotAssignable, t.range,
         fmt::format("{} is a list and cannot be assigned; use push, pop and remove", describe(t)));
  return TypeKind::Error;
}

TypeKind Sema::value_of(Expr& e, TypeKind t) {
  if (t != TypeKind::Void) return t;
  report(DiagId::VoidValue, e.range,
         e.kind == ExprKind::Call
             ? fmt::format("'{}' returns no value; its result cannot be used", e.name)
             : std::string("this expression has no value"));
  e.type = TypeKind::Error;
  return TypeKind::Error;
}

}  // namespace cc::sema_detail
