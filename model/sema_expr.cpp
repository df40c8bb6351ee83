// Name and type checking of expressions and calls: names, members, operators, helper and API
// calls against model/api.def (model/sema_impl.h).
#include "model/sema_impl.h"

namespace cc::sema_detail {

using namespace ast;

TypeKind Sema::check_expr(Expr& e, TypeKind expected) {
  TypeKind t = check_expr_inner(e, expected);
  e.type = t;
  return t;
}

TypeKind Sema::check_expr_inner(Expr& e, TypeKind expected) {
  switch (e.kind) {
    case ExprKind::IntLit:
      return e.wide ? TypeKind::Ptr : TypeKind::Int;
    case ExprKind::BoolLit:
      return TypeKind::Bool;
    case ExprKind::Nondet:
      return TypeKind::Bool;
    case ExprKind::Null:
      if (is_handle(expected)) return expected;
      if (expected == TypeKind::Error) {
        report(DiagId::TypeMismatch, e.range,
               "NULL can only be used where a request, nbl, task or vcb handle is expected");
      } else {
        report(DiagId::TypeMismatch, e.range,
               fmt::format("NULL is not a value of type {}; it is only for handles", q(expected)));
      }
      return TypeKind::Error;
    case ExprKind::Name:
      return check_name(e);
    case ExprKind::Member:
      return check_member(e);
    case ExprKind::Call:
      return check_call(e);
    case ExprKind::Unary:
      return check_unary(e);
    case ExprKind::Binary:
      return check_binary(e);
    case ExprKind::AddrOf:
      return check_addr_of(e);
  }
  return TypeKind::Error;
}

TypeKind Sema::check_name(Expr& e) {
  if (e.name.empty()) return TypeKind::Error;  // parse-error placeholder
  if (auto slot = lookup_local(e.name)) {
    e.sym = SymbolRef{SymbolKind::Local, *slot};
    const LocalVar& lv = fs_->fn->locals[*slot];
    e.symbolic = lv.symbolic;
    return lv.type;
  }
  auto it = names_.find(e.name);
  if (it != names_.end()) {
    const Entry& en = it->second;
    if (en.cat != Cat::Sym) {
      report(DiagId::WrongKind, e.range,
             fmt::format("'{}' is {} {} and cannot be used in an expression", e.name,
                         a_or_an(what(en)), what(en)));
      return TypeKind::Error;
    }
    e.sym = SymbolRef{en.kind, en.index};
    switch (en.kind) {
      case SymbolKind::Const:
        resolve_const(en.index);
        e.int_value = spec_.consts[en.index].folded;
        return const_type_[en.index];
      case SymbolKind::Global:
        e.symbolic = spec_.globals[en.index].symbolic;
        return spec_.globals[en.index].type;
      case SymbolKind::Queue:
        return TypeKind::Queue;
      case SymbolKind::Target:
        return TypeKind::Target;
      case SymbolKind::Lock:
        return spec_.locks[en.index].wait ? TypeKind::WaitLock : TypeKind::Lock;
      case SymbolKind::Event:
        return TypeKind::Event;
      case SymbolKind::Timer:
        return TypeKind::Timer;
      case SymbolKind::Dpc:
        return TypeKind::Dpc;
      case SymbolKind::WorkItem:
        return TypeKind::WorkItem;
      case SymbolKind::Interrupt:
        return TypeKind::Interrupt;
      case SymbolKind::Fn:
        referenced_.at(en.index) = true;
        return TypeKind::Fn;
      case SymbolKind::CreatedRequest:
        return TypeKind::Request;
      case SymbolKind::Miniport:
        return TypeKind::Miniport;
      case SymbolKind::Conversation:
        return TypeKind::Conversation;
      case SymbolKind::Filter:
        return TypeKind::Filter;
      default:
        return TypeKind::Error;
    }
  }
  if (const ConstantInfo* c = find_constant(e.name)) {
    e.sym = SymbolRef{SymbolKind::BuiltinConst, static_cast<uint32_t>(c - all_constants().data())};
    e.int_value = c->value;
    return c->type;
  }
  if (find_api(e.name)) {
    report(DiagId::WrongKind, e.range,
           fmt::format("'{}' is an API; call it with arguments: '{}(...)'", e.name, e.name));
    return TypeKind::Error;
  }
  Suggester s;
  if (fs_) {
    for (const auto& scope : fs_->scopes) {
      for (const auto& [n, slot] : scope) s.add(n);
    }
  }
  for (const auto& [n, en] : names_) {
    if (en.cat == Cat::Sym) s.add(n);
  }
  for (const ConstantInfo& c : all_constants()) s.add(c.name);
  report(DiagId::UnknownIdentifier, e.range, fmt::format("unknown identifier '{}'", e.name),
         s.hint(e.name));
  return TypeKind::Error;
}

TypeKind Sema::check_member(Expr& e) {
  if (e.args.empty() || !e.args[0]) return TypeKind::Error;
  Expr& base = *e.args[0];
  TypeKind bt = value_of(base, check_expr(base));
  SourceRange fr = find_word(e.range, e.name, true);
  if (bt != TypeKind::Error && bt != TypeKind::Request) {
    report(DiagId::InvalidOperands, base.range,
           fmt::format("'->' reads a request's context field, but {} has type {}", describe(base),
                       q(bt)));
    return TypeKind::Error;
  }
  auto it = fields_.find(e.name);
  if (it == fields_.end()) {
    if (spec_.context.empty()) {
      report(DiagId::UnknownField, fr,
             fmt::format("unknown field '{}': this spec has no 'context {{ ... }}' block", e.name));
    } else {
      Suggester s;
      for (const VarDecl& f : spec_.context) s.add(f.name);
      report(DiagId::UnknownField, fr,
             fmt::format("unknown field '{}' in the request context", e.name), s.hint(e.name));
    }
    return TypeKind::Error;
  }
  e.field = it->second;
  return bt == TypeKind::Error ? TypeKind::Error : spec_.context[it->second].type;
}

TypeKind Sema::check_addr_of(Expr& e) {
  if (e.args.empty() || !e.args[0]) return TypeKind::Error;
  Expr& a = *e.args[0];
  TypeKind t = check_expr(a);
  e.symbolic = a.symbolic;
  if (t == TypeKind::Error) return t;
  if (a.kind == ExprKind::Name) {
    e.sym = a.sym;
    if (a.sym.kind != SymbolKind::Local && a.sym.kind != SymbolKind::Global) {
      auto it = names_.find(a.name);
      std::string_view w = a.sym.kind == SymbolKind::BuiltinConst ? "constant"
                           : it != names_.end()                   ? what(it->second)
                                                                  : "name";
      report(DiagId::InvalidAddressOf, e.range,
             fmt::format("'&' needs a variable, but '{}' is {} {}", a.name, a_or_an(w), w));
      return TypeKind::Error;
    }
  } else if (a.kind != ExprKind::Member) {
    report(DiagId::InvalidAddressOf, e.range,
           "'&' needs a variable or a request context field ('&x' or '&req->field')");
    return TypeKind::Error;
  }
  if (t == TypeKind::Int) return TypeKind::RefInt;
  if (t == TypeKind::Request) return TypeKind::RefRequest;
  report(DiagId::InvalidAddressOf, e.range,
         fmt::format("cannot take the address of {} of type {}; '&' applies to int and request "
                     "variables",
                     describe(a), q(t)));
  return TypeKind::Error;
}

TypeKind Sema::check_unary(Expr& e) {
  if (e.args.empty() || !e.args[0]) return TypeKind::Error;
  Expr& a = *e.args[0];
  TypeKind t = value_of(a, check_expr(a));
  e.symbolic = a.symbolic;
  if (t == TypeKind::Error) return t;
  std::string_view op = e.uop == UnaryOp::Not ? "!" : e.uop == UnaryOp::Neg ? "-" : "~";
  if (!is_num(t)) {
    report(DiagId::InvalidOperands, e.range, fmt::format("invalid operand to '{}': {}", op, q(t)),
           is_handle(t) && e.uop == UnaryOp::Not ? std::string("compare the handle with NULL")
                                                 : std::string());
    return TypeKind::Error;
  }
  if (e.uop == UnaryOp::Not) return TypeKind::Bool;
  return t == TypeKind::Ptr ? TypeKind::Ptr : TypeKind::Int;
}

TypeKind Sema::check_binary(Expr& e) {
  if (e.args.size() != 2 || !e.args[0] || !e.args[1]) return TypeKind::Error;
  Expr& l = *e.args[0];
  Expr& r = *e.args[1];
  bool equality = e.bop == BinaryOp::Eq || e.bop == BinaryOp::Ne;
  TypeKind lt;
  TypeKind rt;
  if (equality && (l.kind == ExprKind::Null || r.kind == ExprKind::Null)) {
    if (l.kind == ExprKind::Null && r.kind == ExprKind::Null) {
      report(DiagId::InvalidOperands, e.range, "comparing NULL with NULL");
      return TypeKind::Error;
    }
    Expr& other = l.kind == ExprKind::Null ? r : l;
    Expr& null = l.kind == ExprKind::Null ? l : r;
    TypeKind ot = value_of(other, check_expr(other));
    e.symbolic = other.symbolic;
    if (ot == TypeKind::Error) return TypeKind::Error;
    if (!is_handle(ot)) {
      report(DiagId::InvalidOperands, e.range,
             fmt::format("cannot compare {} with NULL; NULL is only for request, nbl, task and "
                         "vcb handles",
                         q(ot)));
      return TypeKind::Error;
    }
    null.type = ot;
    return TypeKind::Bool;
  }
  lt = value_of(l, check_expr(l));
  rt = value_of(r, check_expr(r));
  e.symbolic = l.symbolic || r.symbolic;
  if (lt == TypeKind::Error || rt == TypeKind::Error) return TypeKind::Error;
  if (equality) {
    if ((is_num(lt) && is_num(rt)) || (lt == rt && (is_handle(lt) || lt == TypeKind::Verb))) {
      return TypeKind::Bool;
    }
    report(DiagId::InvalidOperands, e.range,
           fmt::format("cannot compare {} with {}", q(lt), q(rt)));
    return TypeKind::Error;
  }
  if (!is_num(lt) || !is_num(rt)) {
    TypeKind bad = !is_num(lt) ? lt : rt;
    bool logical = e.bop == BinaryOp::LogAnd || e.bop == BinaryOp::LogOr;
    report(DiagId::InvalidOperands, e.range,
           fmt::format("invalid operands to '{}': {} and {}", binary_op_text(e.bop), q(lt), q(rt)),
           logical && is_handle(bad) ? std::string("compare the handle with NULL") : std::string());
    return TypeKind::Error;
  }
  switch (e.bop) {
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
    case BinaryOp::LogAnd:
    case BinaryOp::LogOr:
      return TypeKind::Bool;
    case BinaryOp::Shl:
    case BinaryOp::Shr:  // C: the type of the (promoted) left operand
      return lt == TypeKind::Ptr ? TypeKind::Ptr : TypeKind::Int;
    default:  // C's usual arithmetic conversions: an int meets a uintptr as a uintptr
      return lt == TypeKind::Ptr || rt == TypeKind::Ptr ? TypeKind::Ptr : TypeKind::Int;
  }
}

void Sema::check_args_loosely(Expr& e) {
  for (ExprPtr& a : e.args) {
    if (a && a->kind != ExprKind::Null) check_expr(*a);
  }
}

TypeKind Sema::check_sizeof(Expr& e) {
  const Expr* arg = e.args.empty() ? nullptr : e.args[0].get();
  const bool pointer_sized =
      arg != nullptr && (arg->name == "PVOID" || arg->name == "ULONG_PTR" ||
                         arg->name == "uintptr" || arg->name == "SIZE_T" || arg->name == "HANDLE");
  if (!pointer_sized) {
    report(DiagId::InvalidOperands, arg != nullptr ? arg->range : e.range,
           fmt::format("sizeof({}): only pointer-sized types have a size here (PVOID, ULONG_PTR, "
                       "SIZE_T, HANDLE, uintptr)",
                       arg != nullptr ? arg->name.substr(0, 40) : std::string()));
    return TypeKind::Error;
  }
  // Folded here: the call becomes the literal of the pointer width in bytes.
  e.kind = ExprKind::IntLit;
  e.int_value = spec_.pointer_width / 8;
  e.args.clear();
  e.name.clear();
  return TypeKind::Int;
}

TypeKind Sema::check_call(Expr& e) {
  if (e.name == "sizeof") return check_sizeof(e);
  SourceRange callee{e.range.begin, static_cast<uint32_t>(std::max<std::size_t>(e.name.size(), 1))};
  if (lookup_local(e.name)) {
    report(DiagId::NotCallable, callee,
           fmt::format("'{}' is a local variable, not a function", e.name));
    check_args_loosely(e);
    return TypeKind::Error;
  }
  auto it = names_.find(e.name);
  if (it != names_.end()) {
    const Entry& en = it->second;
    if (en.cat == Cat::Sym && en.kind == SymbolKind::Fn) return check_helper_call(e, en.index);
    report(DiagId::NotCallable, callee,
           en.cat == Cat::Thread
               ? fmt::format("'{}' is a thread; threads start on their own and cannot be called",
                             e.name)
               : fmt::format("'{}' is {} {}, not a function", e.name, a_or_an(what(en)), what(en)));
    report(DiagId::NoteDeclaredHere, en.range, fmt::format("'{}' is declared here", e.name));
    check_args_loosely(e);
    return TypeKind::Error;
  }
  if (auto api = find_api(e.name)) return check_api_call(e, *api);
  Suggester s;
  for (const ApiInfo& a : all_apis()) s.add(a.name);
  for (const FnDecl& f : spec_.fns) s.add(f.name);
  report(DiagId::UnknownApi, callee, fmt::format("unknown API '{}'", e.name), s.hint(e.name));
  check_args_loosely(e);
  return TypeKind::Error;
}

TypeKind Sema::check_helper_call(Expr& e, uint32_t index) {
  FnDecl& f = spec_.fns[index];
  referenced_.at(index) = true;
  e.fn = index;
  if (e.args.size() != f.param_count) {
    report(DiagId::ArgumentCount, e.range,
           fmt::format("'{}' takes {} argument{}, but {} {} given", f.name, f.param_count,
                       f.param_count == 1 ? "" : "s", e.args.size(),
                       e.args.size() == 1 ? "was" : "were"));
    report(DiagId::NoteDeclaredHere, f.range, fmt::format("'{}' is declared here", f.name));
    check_args_loosely(e);
  } else {
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      if (!e.args[i]) continue;
      Expr& a = *e.args[i];
      TypeKind pt = f.locals.size() > i ? f.locals[i].type : TypeKind::Error;
      TypeKind at = value_of(a, check_expr(a, pt));
      e.symbolic |= a.symbolic;
      if (!assignable(pt, at)) {
        report(
            DiagId::ArgumentType, a.range,
            fmt::format("argument {} of '{}' must be {}, found {}", i + 1, f.name, q(pt), q(at)));
      }
    }
  }
  bool done = index < fn_done_.size() && fn_done_[index];
  return done ? f.return_type : TypeKind::Error;
}

void Sema::check_tp_verb(const Expr& verb) {
  if (verb.kind != ExprKind::Name || verb.sym.kind != SymbolKind::BuiltinConst) return;
  if (is_tp_verb(verb.int_value)) return;
  report(DiagId::ArgumentCount, verb.range,
         fmt::format("WinAsyncAPPC with {} must name a conversation: only the "
                     "transaction-program verbs TP_STARTED, TP_ENDED and RECEIVE_ALLOCATE "
                     "have none",
                     verb.name));
}

TypeKind Sema::check_api_call(Expr& e, ApiId id) {
  const ApiInfo& info = api_info(id);
  e.api = id;
  std::size_t n = e.args.size();
  std::size_t max = info.params.size();
  if (n < info.min_args || n > max) {
    std::string count = info.min_args == max
                            ? fmt::format("{}", max)
                            : fmt::format("{} to {}", static_cast<int>(info.min_args), max);
    report(DiagId::ArgumentCount, e.range,
           fmt::format("'{}' takes {} argument{}, but {} {} given", info.name, count,
                       max == 1 && info.min_args == 1 ? "" : "s", n, n == 1 ? "was" : "were"));
    check_args_loosely(e);
    return info.result == TypeKind::ListElem ? TypeKind::Error : info.result;
  }
  TypeKind elem = TypeKind::Error;
  bool elem_known = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!e.args[i]) continue;
    Expr& a = *e.args[i];
    TypeKind p = info.params[i];
    auto mismatch = [&](TypeKind found, std::string_view expected, std::string hint = {}) {
      report(DiagId::ArgumentType, a.range,
             fmt::format("argument {} of '{}' must be {}, found {}", i + 1, info.name, expected,
                         q(found)),
             std::move(hint));
    };
    switch (p) {
      case TypeKind::Request:
      case TypeKind::Nbl:
      case TypeKind::Task:
      case TypeKind::Vcb: {
        TypeKind at = value_of(a, check_expr(a, p));
        if (at != TypeKind::Error && at != p) mismatch(at, q(p));
        break;
      }
      case TypeKind::Bool:
      case TypeKind::Int:
      case TypeKind::Ptr:
      case TypeKind::Status: {
        TypeKind at = value_of(a, check_expr(a, p));
        if (at != TypeKind::Error && !is_num(at)) {
          mismatch(at, q(p),
                   is_handle(at) && p == TypeKind::Bool
                       ? std::string("compare the handle with NULL")
                       : std::string());
        }
        break;
      }
      case TypeKind::Fn: {
        const bool queue_callback = (stops_or_purges_queue(id) && !waits_for_queue(id)) ||
                                    id == ApiId::WdfIoQueueReadyNotify;
        if (a.kind == ExprKind::Null &&
            (id == ApiId::WdfRequestSetCompletionRoutine || queue_callback)) {
          a.type = TypeKind::Fn;  // clears the completion routine / no callback
          break;
        }
        TypeKind at = value_of(a, check_expr(a, p));
        if (at == TypeKind::Error) break;
        if (at != TypeKind::Fn || a.kind != ExprKind::Name) {
          mismatch(at, "a function name");
          break;
        }
        if (id == ApiId::WdfRequestSetCompletionRoutine) {
          roles_.push_back(RoleUse{a.sym.index, Role::Completion, a.range});
        } else if (id == ApiId::WdfUsbTargetPipeConfigContinuousReader) {
          roles_.push_back(
              RoleUse{a.sym.index, i == 1 ? Role::ReadComplete : Role::ReadersFailed, a.range});
        } else if (id == ApiId::WdfRequestMarkCancelable ||
                   id == ApiId::WdfRequestMarkCancelableEx) {
          roles_.push_back(RoleUse{a.sym.index, Role::Cancel, a.range});
        } else if (queue_callback) {
          roles_.push_back(RoleUse{a.sym.index, Role::QueueState, a.range});
        } else if (id == ApiId::WdfInterruptSynchronize) {
          roles_.push_back(RoleUse{a.sym.index, Role::InterruptSync, a.range});
        }
        break;
      }
      case TypeKind::RefInt:
      case TypeKind::RefRequest: {
        TypeKind at = value_of(a, check_expr(a, p));
        if (at == TypeKind::Error || at == p) break;
        TypeKind base = p == TypeKind::RefInt ? TypeKind::Int : TypeKind::Request;
        std::string hint;
        if (at == base && (a.kind == ExprKind::Name || a.kind == ExprKind::Member)) {
          hint = a.kind == ExprKind::Name ? fmt::format("write '&{}'", a.name)
                                          : std::string("take its address with '&'");
        }
        mismatch(at,
                 fmt::format("'&{}' (the address of {} {} variable)", type_name(base),
                             a_or_an(type_name(base)), type_name(base)),
                 hint);
        break;
      }
      case TypeKind::AnyList: {
        TypeKind at = value_of(a, check_expr(a));
        if (at == TypeKind::Error) break;
        if (!is_list(at)) {
          mismatch(at, "a list");
          break;
        }
        elem = list_elem(at);
        elem_known = true;
        break;
      }
      case TypeKind::ListElem: {
        if (!elem_known) {
          if (a.kind != ExprKind::Null) check_expr(a);
          break;
        }
        TypeKind at = value_of(a, check_expr(a, elem));
        if (at != TypeKind::Error && at != elem) {
          mismatch(at, fmt::format("{} (the list's element type)", q(elem)));
        }
        break;
      }
      default: {
        // Object kinds and verbs: the argument must name one.
        TypeKind at = value_of(a, check_expr(a, p));
        if (at != TypeKind::Error && at != p)
          mismatch(at, fmt::format("{} {}", a_or_an(type_name(p)), q(p)));
        break;
      }
    }
    e.symbolic |= a.symbolic;
  }
  if (id == ApiId::NdisGeneratePartialCancelId) e.symbolic = true;
  if (id == ApiId::WinAsyncAPPC && n == 2 && e.args[1]) check_tp_verb(*e.args[1]);
  check_driver_role(e, info);
  if (info.result == TypeKind::ListElem) return elem_known ? elem : TypeKind::Error;
  return info.result;
}

namespace {
ast::NdisRole role_of(ApiCaller c) {
  switch (c) {
    case ApiCaller::Protocol:
      return ast::NdisRole::Protocol;
    case ApiCaller::Miniport:
      return ast::NdisRole::Miniport;
    default:
      return ast::NdisRole::Filter;
  }
}

std::string_view role_name(ast::NdisRole r) {
  switch (r) {
    case ast::NdisRole::Protocol:
      return "protocol";
    case ast::NdisRole::Miniport:
      return "miniport";
    case ast::NdisRole::Filter:
      break;
  }
  return "filter";
}
}  // namespace

void Sema::check_driver_role(const Expr& e, const ApiInfo& info) {
  const ApiCaller caller = api_caller(info.id);
  if (caller == ApiCaller::Any) return;
  const ast::NdisRole needed = role_of(caller);
  std::vector<ast::NdisRole> declared;
  for (const ast::FilterDecl& f : spec_.filters) {
    if (f.role == needed) return;
    if (std::find(declared.begin(), declared.end(), f.role) == declared.end())
      declared.push_back(f.role);
  }
  // The hint: the call of the same signature that a declared role makes (from the catalogue).
  std::string hint;
  for (const ApiInfo& other : all_apis()) {
    const ApiCaller oc = api_caller(other.id);
    if (oc == ApiCaller::Any || other.params.size() != info.params.size() ||
        !std::equal(other.params.begin(), other.params.end(), info.params.begin()) ||
        std::find(declared.begin(), declared.end(), role_of(oc)) == declared.end()) {
      continue;
    }
    hint = fmt::format("a {} driver calls '{}'", role_name(role_of(oc)), other.name);
    break;
  }
  std::string have = "no NDIS driver";
  if (!declared.empty()) {
    have.clear();
    for (std::size_t i = 0; i < declared.size(); ++i) {
      have += fmt::format("{}{} {}", i == 0 ? "" : (i + 1 == declared.size() ? " and " : ", "),
                          a_or_an(role_name(declared[i])), role_name(declared[i]));
    }
    have += declared.size() == 1 ? " driver" : " drivers";
  }
  report(DiagId::WrongDriverRole, e.range,
         fmt::format("'{}' is called only by a {} driver, but this spec declares {}", info.name,
                     role_name(needed), have),
         std::move(hint));
}

}  // namespace cc::sema_detail
