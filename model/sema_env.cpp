// Name and type checking of the environment block, the call graph (recursion) and callback
// roles (model/sema_impl.h).
#include "model/sema_impl.h"

namespace cc::sema_detail {

using namespace ast;

std::string_view Sema::env_word(EnvKind k) {
  switch (k) {
    case EnvKind::Send:
      return "'send'";
    case EnvKind::CancelSend:
      return "'cancel_send'";
    default:
      return "'pause'";
  }
}

void Sema::check_env_role(const EnvItem& item) {
  if (item.object == kNone) return;
  const FilterDecl& f = spec_.filters[item.object];
  const bool ok =
      item.kind == EnvKind::Pause ? f.role == NdisRole::Filter : f.role != NdisRole::Protocol;
  if (ok) return;
  report(DiagId::WrongKind, item.object_range,
         fmt::format("{} names a {}, but '{}' is a {}", env_word(item.kind),
                     item.kind == EnvKind::Pause ? "filter" : "filter or a miniport driver", f.name,
                     f.role == NdisRole::Protocol ? "protocol" : "miniport driver"));
}

void Sema::warn_unhandled_type(const EnvItem& item) {
  if (item.io_type == IoType::Unspecified || item.object >= spec_.queues.size()) return;
  const QueueDecl& q = spec_.queues[item.object];
  if (q.dispatch == Dispatch::Manual) return;
  for (const HandlerBinding& b : q.handlers) {
    if (b.handler == io_type_handler(item.io_type) || b.handler == "EvtIoDefault") return;
  }
  report(DiagId::UnhandledRequestType, item.range,
         fmt::format("queue '{}' has neither {} nor EvtIoDefault: the framework fails these "
                     "requests with STATUS_INVALID_DEVICE_REQUEST",
                     q.name, io_type_handler(item.io_type)));
}

uint32_t Sema::file_index(const EnvItem& item) {
  if (spec_.files.empty()) {
    for (const EnvItem& a : spec_.environment) {
      if (a.kind != EnvKind::Arrive || a.file_name.empty()) continue;
      if (std::find(spec_.files.begin(), spec_.files.end(), a.file_name) == spec_.files.end())
        spec_.files.push_back(a.file_name);
    }
  }
  auto it = std::find(spec_.files.begin(), spec_.files.end(), item.file_name);
  return it == spec_.files.end() ? kNone : static_cast<uint32_t>(it - spec_.files.begin());
}

void Sema::check_close(EnvItem& item) {
  item.file = file_index(item);
  if (item.file == kNone) {
    Suggester s;
    for (const EnvItem& a : spec_.environment) {
      if (a.kind == EnvKind::Arrive && !a.file_name.empty()) s.add(a.file_name);
    }
    report(DiagId::UnknownIdentifier, item.file_range,
           fmt::format("unknown file handle '{}': no 'arrive ... from {}' line opens it",
                       item.file_name, item.file_name),
           s.hint(item.file_name));
    return;
  }
  for (const EnvItem& other : spec_.environment) {
    if (&other == &item) break;
    if (other.kind == EnvKind::Close && other.file_name == item.file_name) {
      report(DiagId::DuplicateDeclaration, item.range,
             fmt::format("file handle '{}' is closed twice", item.file_name));
      report(DiagId::NotePreviousDeclaration, other.range, "first closed here");
      return;
    }
  }
}

void Sema::check_environment() {
  for (EnvItem& item : spec_.environment) {
    if (stop()) return;
    switch (item.kind) {
      case EnvKind::Arrive:
      case EnvKind::Cancel:
        if (!item.any) {
          item.object =
              resolve_object(item.object_name, item.object_range, SymbolKind::Queue, "queue",
                             item.kind == EnvKind::Arrive ? "'arrive'" : "'cancel'");
        }
        break;
      case EnvKind::Send:
      case EnvKind::CancelSend:
      case EnvKind::Pause:
        item.object = resolve_object(item.object_name, item.object_range, SymbolKind::Filter,
                                     "filter", env_word(item.kind));
        check_env_role(item);
        break;
      case EnvKind::Stop:
        break;
      case EnvKind::Interrupt:
        item.object = resolve_object(item.object_name, item.object_range, SymbolKind::Interrupt,
                                     "interrupt", "'interrupt'");
        break;
      case EnvKind::Close:
        check_close(item);
        break;
    }
    if (item.kind == EnvKind::Arrive && !item.file_name.empty()) item.file = file_index(item);
    if (item.kind == EnvKind::Arrive) warn_unhandled_type(item);
    if (item.count) {
      int64_t v = 0;
      if (const_number(item.count.get(), v, "the count", TypeKind::Int)) {
        if (v < 0 || v > kMaxEnvCount) {
          report(DiagId::ConstantOutOfRange, item.count->range,
                 fmt::format("the count must be between 0 and {}, found {}", kMaxEnvCount, v));
        } else {
          item.count_value = v;
        }
      }
    }
    if (item.cancel_id) {
      int64_t v = 0;
      if (const_number(item.cancel_id.get(), v, "the cancel id", TypeKind::Int)) {
        item.cancel_id_value = convert_number(v, TypeKind::Ptr, spec_.pointer_width);
      }
    }
  }
}

void Sema::collect_calls(const Expr* e, std::vector<std::pair<uint32_t, SourceRange>>& out) {
  if (!e) return;
  if (e->kind == ExprKind::Call) {
    auto it = names_.find(e->name);
    if (it != names_.end() && it->second.cat == Cat::Sym && it->second.kind == SymbolKind::Fn) {
      out.emplace_back(it->second.index,
                       SourceRange{e->range.begin, static_cast<uint32_t>(e->name.size())});
    }
  }
  for (const ExprPtr& a : e->args) collect_calls(a.get(), out);
}

void Sema::collect_calls(const Stmt* s, std::vector<std::pair<uint32_t, SourceRange>>& out) {
  if (!s) return;
  collect_calls(s->cond.get(), out);
  collect_calls(s->target.get(), out);
  collect_calls(s->value.get(), out);
  for (const StmtPtr& b : s->body) collect_calls(b.get(), out);
  collect_calls(s->then_stmt.get(), out);
  collect_calls(s->else_stmt.get(), out);
}

std::vector<uint32_t> Sema::call_graph_order() {
  std::size_t n = spec_.fns.size();
  std::vector<std::vector<std::pair<uint32_t, SourceRange>>> edges(n);
  for (std::size_t i = 0; i < n; ++i) collect_calls(spec_.fns[i].body.get(), edges[i]);
  std::vector<uint8_t> color(n, 0);
  std::vector<uint32_t> order;
  struct Frame {
    uint32_t fn;
    std::size_t next;
    SourceRange via;  ///< the call that entered this frame
  };
  for (uint32_t root = 0; root < n; ++root) {
    if (color[root] != 0) continue;
    std::vector<Frame> stack{{root, 0, {}}};
    color[root] = 1;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < edges[f.fn].size()) {
        auto [v, at] = edges[f.fn][f.next++];
        if (color[v] == 0) {
          color[v] = 1;
          stack.push_back(Frame{v, 0, at});
        } else if (color[v] == 1) {
          report_recursion(stack, v, at);
        }
      } else {
        color[f.fn] = 2;
        order.push_back(f.fn);
        stack.pop_back();
      }
    }
  }
  return order;
}

std::string Sema::actual_signature(const FnDecl& f) const {
  std::string s = "(";
  for (uint32_t i = 0; i < f.param_count && i < f.locals.size(); ++i) {
    if (i) s += ", ";
    s += fmt::format("{} {}", type_name(f.locals[i].type), f.locals[i].name);
  }
  return s + ")";
}

void Sema::check_roles() {
  for (const RoleUse& u : roles_) {
    if (stop()) return;
    if (u.fn >= spec_.fns.size()) continue;
    const FnDecl& f = spec_.fns[u.fn];
    const RoleInfo& ri = role_info(u.role);
    bool ok = f.param_count >= ri.min_params && f.param_count <= ri.max_params;
    for (uint32_t i = 0; ok && i < f.param_count && i < f.locals.size(); ++i) {
      TypeKind t = f.locals[i].type;
      if (t == TypeKind::Error) continue;
      switch (ri.params[i]) {
        case PClass::Request:
          ok = t == TypeKind::Request;
          break;
        case PClass::Nbl:
          ok = t == TypeKind::Nbl;
          break;
        case PClass::Number:
          ok = is_num(t);
          break;
        case PClass::File:
          ok = t == TypeKind::File;
          break;
      }
    }
    if (!ok) {
      report(DiagId::CallbackSignature, u.at,
             fmt::format("'{}' does not fit {}, which takes {}; '{}' takes {}", f.name, ri.use,
                         ri.signature, f.name, actual_signature(f)));
      report(DiagId::NoteDeclaredHere, f.range, fmt::format("'{}' is declared here", f.name));
    } else if (ri.returns_bool) {
      if (f.return_type == TypeKind::Void ||
          (f.return_type != TypeKind::Error && !is_num(f.return_type))) {
        report(DiagId::CallbackSignature, u.at,
               fmt::format("'{}' is used as {}, so it must return a bool (TRUE restarts the "
                           "reader)",
                           f.name, ri.use));
        report(DiagId::NoteDeclaredHere, f.range, fmt::format("'{}' is declared here", f.name));
      }
    } else if (f.return_type != TypeKind::Void && f.return_type != TypeKind::Error &&
               (u.role != Role::InterruptSync || !is_num(f.return_type))) {
      report(DiagId::CallbackSignature, u.at,
             fmt::format("'{}' is used as {}, so it must not return a value (it returns {})",
                         f.name, ri.use, q(f.return_type)));
      report(DiagId::NoteDeclaredHere, f.range, fmt::format("'{}' is declared here", f.name));
    }
  }
}

void Sema::warn_unused() {
  for (uint32_t i = 0; i < spec_.fns.size(); ++i) {
    if (referenced_.at(i)) continue;
    report(DiagId::UnusedFunction, spec_.fns[i].range,
           fmt::format("function '{}' is never used (not bound as a callback, passed to an API "
                       "or called)",
                       spec_.fns[i].name));
  }
}

}  // namespace cc::sema_detail
