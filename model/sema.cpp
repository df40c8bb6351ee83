// Name and type checking: resolves every name, folds constants (with -D overrides), infers
// helper return types, checks API calls against model/api.def and callback signatures by
// role, and fills every "sema" field of the AST. Never trusts the AST to be complete: a
// spec with syntax errors is checked too (to report more), so null children are skipped.
// This file: declarations, constants and objects; the rest is in sema_env/stmt/expr.cpp.
#include <optional>

#include "model/sema_impl.h"

namespace cc::sema_detail {

using namespace ast;

SourceRange Sema::find_word(const SourceRange& r, std::string_view name, bool last) const {
  if (!r.begin.valid() || name.empty()) return r;
  std::string_view line = sm_.line_text(r.begin.file, r.begin.line);
  std::size_t from = r.begin.col == 0 ? 0 : r.begin.col - 1;
  if (from >= line.size()) return r;
  std::size_t to = std::min(line.size(), from + r.length);
  std::string_view text = line.substr(0, to);
  auto is_id = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::size_t found = std::string_view::npos;
  for (std::size_t at = text.find(name, from); at != std::string_view::npos;
       at = text.find(name, at + 1)) {
    bool left = at == 0 || !is_id(text[at - 1]);
    bool right = at + name.size() >= line.size() || !is_id(line[at + name.size()]);
    if (left && right) {
      found = at;
      if (!last) break;
    }
  }
  if (found == std::string_view::npos) return r;
  return SourceRange{SourceLoc{r.begin.file, r.begin.line, static_cast<uint32_t>(found + 1)},
                     static_cast<uint32_t>(name.size())};
}

bool Sema::reserved(const std::string& name, SourceRange r) {
  if (find_api(name)) {
    report(DiagId::ReservedName, r,
           fmt::format("'{}' is the name of an API and cannot be declared again", name));
    return true;
  }
  if (find_constant(name)) {
    report(DiagId::ReservedName, r,
           fmt::format("'{}' is a builtin constant and cannot be declared again", name));
    return true;
  }
  return false;
}

void Sema::declare(const std::string& name, Entry e) {
  if (name.empty()) return;
  if (reserved(name, e.range)) return;
  auto [it, inserted] = names_.emplace(name, e);
  if (!inserted) {
    report(DiagId::DuplicateDeclaration, e.range,
           fmt::format("'{}' is already declared as {} {}", name, a_or_an(what(it->second)),
                       what(it->second)));
    report(DiagId::NotePreviousDeclaration, it->second.range, "previous declaration is here");
  }
}

void Sema::declare_all() {
  auto sym = [&](SymbolKind k, uint32_t i, SourceRange r) { return Entry{Cat::Sym, k, i, r}; };
  for (uint32_t i = 0; i < spec_.consts.size(); ++i) {
    declare(spec_.consts[i].name, sym(SymbolKind::Const, i, spec_.consts[i].range));
  }
  for (uint32_t i = 0; i < spec_.devices.size(); ++i) {
    if (spec_.devices[i].implicit) continue;
    declare(spec_.devices[i].name,
            Entry{Cat::Device, SymbolKind::Unresolved, i, spec_.devices[i].range});
  }
  for (uint32_t i = 0; i < spec_.queues.size(); ++i) {
    declare(spec_.queues[i].name, sym(SymbolKind::Queue, i, spec_.queues[i].range));
  }
  for (uint32_t i = 0; i < spec_.targets.size(); ++i) {
    declare(spec_.targets[i].name, sym(SymbolKind::Target, i, spec_.targets[i].range));
  }
  for (uint32_t i = 0; i < spec_.requests.size(); ++i) {
    declare(spec_.requests[i].name, sym(SymbolKind::CreatedRequest, i, spec_.requests[i].range));
  }
  for (uint32_t i = 0; i < spec_.locks.size(); ++i) {
    declare(spec_.locks[i].name, sym(SymbolKind::Lock, i, spec_.locks[i].range));
  }
  for (uint32_t i = 0; i < spec_.events.size(); ++i) {
    declare(spec_.events[i].name, sym(SymbolKind::Event, i, spec_.events[i].range));
  }
  for (uint32_t i = 0; i < spec_.timers.size(); ++i) {
    constexpr std::array<SymbolKind, 3> kKinds = {SymbolKind::Timer, SymbolKind::Dpc,
                                                  SymbolKind::WorkItem};
    declare(spec_.timers[i].name, sym(kKinds.at(static_cast<std::size_t>(spec_.timers[i].kind)), i,
                                      spec_.timers[i].range));
  }
  for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
    declare(spec_.interrupts[i].name, sym(SymbolKind::Interrupt, i, spec_.interrupts[i].range));
  }
  for (uint32_t i = 0; i < spec_.globals.size(); ++i) {
    declare(spec_.globals[i].name, sym(SymbolKind::Global, i, spec_.globals[i].range));
  }
  for (uint32_t i = 0; i < spec_.fns.size(); ++i) {
    declare(spec_.fns[i].name, sym(SymbolKind::Fn, i, spec_.fns[i].range));
  }
  for (uint32_t i = 0; i < spec_.threads.size(); ++i) {
    declare(spec_.threads[i].name,
            Entry{Cat::Thread, SymbolKind::Unresolved, i, spec_.threads[i].range});
  }
  for (uint32_t i = 0; i < spec_.filters.size(); ++i) {
    declare(spec_.filters[i].name, sym(SymbolKind::Filter, i, spec_.filters[i].range));
  }
  for (uint32_t i = 0; i < spec_.miniports.size(); ++i) {
    declare(spec_.miniports[i].name, sym(SymbolKind::Miniport, i, spec_.miniports[i].range));
  }
  for (uint32_t i = 0; i < spec_.conversations.size(); ++i) {
    declare(spec_.conversations[i].name,
            sym(SymbolKind::Conversation, i, spec_.conversations[i].range));
  }
  for (uint32_t i = 0; i < spec_.context.size(); ++i) {
    const VarDecl& f = spec_.context[i];
    if (f.name.empty()) continue;
    if (f.type == TypeKind::Ptr) {
      report(DiagId::InvalidVariableType, f.range,
             fmt::format("context field '{}' cannot be 'uintptr': context fields are 32-bit words",
                         f.name),
             "keep the pointer-sized value in a global or a local");
    }
    auto [it, inserted] = fields_.emplace(f.name, i);
    if (!inserted) {
      report(DiagId::DuplicateDeclaration, f.range,
             fmt::format("context field '{}' is declared twice", f.name));
      report(DiagId::NotePreviousDeclaration, spec_.context[it->second].range,
             "previous declaration is here");
    }
  }
}

void Sema::check_defines() {
  for (const auto& [name, value] : defines_) {
    bool found = false;
    for (ConstDecl& c : spec_.consts) {
      if (c.name == name) {
        found = true;
        c.overridden = true;
        c.folded = value;
      }
    }
    if (!found) {
      Suggester s;
      for (const ConstDecl& c : spec_.consts) s.add(c.name);
      report(DiagId::UnknownDefine, file_range(),
             fmt::format("-D {}={}: this spec declares no 'const {}'", name, value, name),
             s.hint(name));
    }
  }
}

void Sema::resolve_const(uint32_t i) {
  if (const_state_[i] == 2) return;
  ConstDecl& c = spec_.consts[i];
  if (const_state_[i] == 1) {
    if (!const_cycle_reported_[i]) {
      std::string chain;
      auto at = std::find(const_stack_.begin(), const_stack_.end(), i);
      for (auto it = at; it != const_stack_.end(); ++it) {
        chain += fmt::format("'{}' -> ", spec_.consts[*it].name);
      }
      chain += fmt::format("'{}'", c.name);
      report(DiagId::RecursiveConstant, c.range,
             at + 1 == const_stack_.end()
                 ? fmt::format("constant '{}' is defined in terms of itself", c.name)
                 : fmt::format("constant '{}' is defined in terms of itself ({})", c.name, chain));
    }
    const_cycle_reported_[i] = true;
    return;
  }
  const_state_[i] = 1;
  const_stack_.push_back(i);
  if (++const_depth_ > kMaxNesting) {
    if (!const_depth_reported_) {
      report(DiagId::NestingTooDeep, c.range,
             fmt::format("constant '{}' is defined through more than {} other constants", c.name,
                         kMaxNesting));
    }
    const_depth_reported_ = true;
    --const_depth_;
    const_stack_.pop_back();
    const_state_[i] = 2;
    return;
  }
  FnState* saved = fs_;
  fs_ = nullptr;
  TypeKind t = TypeKind::Error;
  int64_t v = 0;
  if (c.value) {
    t = value_of(*c.value, check_expr(*c.value));
    if (t != TypeKind::Error && !is_num(t) && t != TypeKind::Verb) {
      report(DiagId::NotConstant, c.value->range,
             fmt::format("constant '{}' must be an integer, boolean, status or verb, not {}",
                         c.name, q(t)));
      t = TypeKind::Error;
    } else if (t != TypeKind::Error &&
               !fold(*c.value, v, fmt::format("the value of constant '{}'", c.name))) {
      t = TypeKind::Error;
    }
  }
  fs_ = saved;
  --const_depth_;
  const_stack_.pop_back();
  if (!c.overridden) c.folded = v;
  const_type_[i] = t;
  const_state_[i] = 2;
}

namespace {

/// Folds the operators that wrap alike at every width (+ - * & | ^) on unsigned words.
template <typename U>
std::optional<U> fold_wrapping(BinaryOp op, U x, U y) {
  switch (op) {
    case BinaryOp::Add:
      return x + y;
    case BinaryOp::Sub:
      return x - y;
    case BinaryOp::Mul:
      return x * y;
    case BinaryOp::BitAnd:
      return x & y;
    case BinaryOp::BitOr:
      return x | y;
    case BinaryOp::BitXor:
      return x ^ y;
    default:
      return std::nullopt;
  }
}

/// Folds a comparison or logical operator (0 or 1) in T's signedness.
template <typename T>
int64_t fold_truth(BinaryOp op, T x, T y) {
  switch (op) {
    case BinaryOp::Eq:
      return x == y;
    case BinaryOp::Ne:
      return x != y;
    case BinaryOp::Lt:
      return x < y;
    case BinaryOp::Le:
      return x <= y;
    case BinaryOp::Gt:
      return x > y;
    case BinaryOp::Ge:
      return x >= y;
    case BinaryOp::LogAnd:
      return x != 0 && y != 0;
    case BinaryOp::LogOr:
      return x != 0 || y != 0;
    default:
      return 0;
  }
}

}  // namespace

bool Sema::fold(const Expr& e, int64_t& out, const std::string& context) {
  switch (e.kind) {
    case ExprKind::IntLit:
      out = e.wide ? convert_number(e.int_value, TypeKind::Ptr, spec_.pointer_width) : e.int_value;
      return true;
    case ExprKind::BoolLit:
      out = e.int_value;
      return true;
    case ExprKind::Null:
      out = 0;
      return true;
    case ExprKind::Name:
      if (e.name.empty() || e.type == TypeKind::Error) return false;
      if (e.sym.kind == SymbolKind::Const || e.sym.kind == SymbolKind::BuiltinConst) {
        out = e.int_value;
        return true;
      }
      report(
          DiagId::NotConstant, e.range,
          fmt::format("{} must be a constant expression; '{}' is not a constant", context, e.name));
      return false;
    case ExprKind::Unary: {
      if (e.args.empty() || !e.args[0]) return false;
      int64_t a = 0;
      if (!fold(*e.args[0], a, context)) return false;
      switch (e.uop) {
        case UnaryOp::Not:
          out = a == 0 ? 1 : 0;
          break;
        case UnaryOp::Neg:
          out = convert_number(static_cast<int64_t>(0 - static_cast<uint64_t>(a)), e.type,
                               spec_.pointer_width);
          break;
        case UnaryOp::BitNot:
          out = convert_number(~a, e.type, spec_.pointer_width);
          break;
      }
      return true;
    }
    case ExprKind::Binary: {
      if (e.args.size() != 2 || !e.args[0] || !e.args[1]) return false;
      int64_t a = 0;
      int64_t b = 0;
      if (!fold(*e.args[0], a, context) || !fold(*e.args[1], b, context)) return false;
      if (e.args[0]->type == TypeKind::Ptr || e.args[1]->type == TypeKind::Ptr) {
        return fold_pointer_sized(e, a, b, out);
      }
      const auto ua = static_cast<uint32_t>(a);
      const auto ub = static_cast<uint32_t>(b);
      if (std::optional<uint32_t> r = fold_wrapping(e.bop, ua, ub)) {
        out = wrap32(*r);
        return true;
      }
      if (e.bop == BinaryOp::Shl || e.bop == BinaryOp::Shr) {
        if (b < 0 || b > 31) {
          report(DiagId::ConstantOutOfRange, e.args[1]->range,
                 fmt::format("shift count {} is out of range (0 to 31)", b));
          return false;
        }
        out = e.bop == BinaryOp::Shl ? wrap32(static_cast<int64_t>(ua << b))
                                     : static_cast<int64_t>(static_cast<int32_t>(ua) >> b);
        return true;
      }
      out = fold_truth(e.bop, a, b);
      return true;
    }
    case ExprKind::Call:
    case ExprKind::Member:
    case ExprKind::AddrOf:
    case ExprKind::Nondet:
      if (e.type == TypeKind::Error && e.kind != ExprKind::Nondet) return false;
      report(DiagId::NotConstant, e.range,
             fmt::format("{} must be a constant expression", context));
      return false;
  }
  return false;
}

// Pointer-sized folding (docs/spec-language.md, "Pointer-sized integers"): the operands
// converted to the operation's type, unsigned arithmetic at the pointer width.
bool Sema::fold_pointer_sized(const Expr& e, int64_t a, int64_t b, int64_t& out) {
  const unsigned w = spec_.pointer_width;
  const bool shift = e.bop == BinaryOp::Shl || e.bop == BinaryOp::Shr;
  const TypeKind op_type = shift ? e.args[0]->type : TypeKind::Ptr;
  const auto ua = static_cast<uint64_t>(convert_number(a, op_type, w));
  const auto ub = static_cast<uint64_t>(convert_number(b, shift ? TypeKind::Ptr : op_type, w));
  auto num = [&](uint64_t v) { return convert_number(static_cast<int64_t>(v), e.type, w); };
  if (std::optional<uint64_t> r = fold_wrapping(e.bop, ua, ub)) {
    out = num(*r);
    return true;
  }
  if (!shift) {
    out = fold_truth(e.bop, ua, ub);
    return true;
  }
  const unsigned bits = op_type == TypeKind::Ptr ? w : 32;
  if (ub >= bits) {
    report(DiagId::ConstantOutOfRange, e.args[1]->range,
           fmt::format("shift count {} is out of range (0 to {})", ub, bits - 1));
    return false;
  }
  if (op_type != TypeKind::Ptr) {  // an int shifted by a pointer-sized count
    const auto x = static_cast<uint32_t>(ua);
    out = e.bop == BinaryOp::Shl ? wrap32(static_cast<int64_t>(x << ub))
                                 : static_cast<int64_t>(static_cast<int32_t>(x) >> ub);
  } else {
    out = num(e.bop == BinaryOp::Shl ? ua << ub : ua >> ub);
  }
  return true;
}

bool Sema::const_number(Expr* e, int64_t& out, const std::string& context, TypeKind expected) {
  if (!e) return false;
  TypeKind t = value_of(*e, check_expr(*e, expected));
  if (t == TypeKind::Error) return false;
  if (!is_num(t)) {
    report(DiagId::TypeMismatch, e->range,
           fmt::format("{} must be a number, found {}", context, q(t)));
    return false;
  }
  return fold(*e, out, context);
}

void Sema::check_var_decl(VarDecl& v, std::string_view what_decl) {
  if (stop()) return;
  if (!v.init) return;
  if (is_list(v.type)) {
    report(DiagId::InvalidVariableType, v.init->range,
           fmt::format("{} '{}' is a list; lists start empty and cannot have an initializer",
                       what_decl, v.name));
    return;
  }
  TypeKind t = value_of(*v.init, check_expr(*v.init, v.type));
  if (!assignable(v.type, t)) {
    report(DiagId::TypeMismatch, v.init->range,
           fmt::format("cannot initialize {} '{}' of type {} with a value of type {}", what_decl,
                       v.name, q(v.type), q(t)));
    return;
  }
  if (t == TypeKind::Error) return;
  int64_t value = 0;
  if (fold(*v.init, value, fmt::format("the initializer of {} '{}'", what_decl, v.name))) {
    v.init_value = value;
  }
}

uint32_t Sema::resolve_object(const std::string& name, SourceRange r, SymbolKind kind,
                              std::string_view kind_word, std::string_view purpose) {
  if (name.empty()) return kNone;
  auto it = names_.find(name);
  if (it == names_.end()) {
    Suggester s;
    for (const auto& [n, e] : names_) {
      if (e.cat == Cat::Sym && e.kind == kind) s.add(n);
    }
    std::string hint = s.hint(name);
    if (hint.empty() && purpose == "'cancel'" && (name == "all" || name == "every")) {
      hint = "write 'cancel any;' to cancel requests of every queue";
    }
    report(DiagId::UnknownIdentifier, r, fmt::format("unknown {} '{}'", kind_word, name), hint);
    return kNone;
  }
  const Entry& e = it->second;
  if (e.cat != Cat::Sym || e.kind != kind) {
    report(DiagId::WrongKind, r,
           fmt::format("'{}' is {} {}, but {} needs {} {}", name, a_or_an(what(e)), what(e),
                       purpose, a_or_an(kind_word), kind_word));
    report(DiagId::NoteDeclaredHere, e.range, fmt::format("'{}' is declared here", name));
    return kNone;
  }
  if (kind == SymbolKind::Fn) referenced_.at(e.index) = true;
  return e.index;
}

void Sema::check_targets() {
  for (TargetDecl& t : spec_.targets) {
    t.completes_values.clear();
    for (ExprPtr& e : t.completes) {
      int64_t v = 0;
      if (const_number(e.get(), v, "a 'completes' status", TypeKind::Status)) {
        t.completes_values.push_back(v);
      }
    }
    if (t.completes.empty() && !t.completes_symbolic) {
      t.completes_values.push_back(0);  // STATUS_SUCCESS
    }
  }
}

void Sema::check_requests() {
  for (CreatedRequestDecl& r : spec_.requests) {
    r.target = resolve_object(r.target_name, r.target_range, SymbolKind::Target, "target",
                              "'WdfRequestCreate'");
  }
}

void Sema::check_timers() {
  constexpr std::array<std::string_view, 3> kWords = {"a timer", "a DPC object", "a work item"};
  for (TimerDecl& t : spec_.timers) {
    const std::string_view word = kWords.at(static_cast<std::size_t>(t.kind));
    t.fn = resolve_object(t.fn_name, t.fn_range, SymbolKind::Fn, "function", word);
    if (t.fn != kNone) roles_.push_back(RoleUse{t.fn, Role::Timer, t.fn_range});
    resolve_parent(t.parent, true);
    // The parent's execution level decides whether automatic serialization is possible
    // (WDF_TIMER_CONFIG, WDF_DPC_CONFIG, WDF_WORKITEM_CONFIG: "Remarks").
    if (!t.serialized || t.parent.device == kNone) continue;
    const DeviceDecl& d = spec_.devices[t.parent.device];
    if (!d.sync_device && !d.sync_queue) continue;  // no scope: AutomaticSerialization is moot
    const bool passive_cb = t.kind == DeferredKind::WorkItem || t.passive;
    if (passive_cb != d.passive) {
      report(DiagId::InvalidSerialization, t.range,
             fmt::format("{} '{}' is serialized with '{}', whose callbacks run at {}: the "
                         "framework cannot synchronize a {} callback with them, so its Create "
                         "method fails",
                         word, t.name, d.implicit ? std::string("the device") : d.name,
                         d.passive ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL",
                         passive_cb ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL"),
             d.passive ? "write 'unsynchronized' (AutomaticSerialization = FALSE)"
                       : "write 'unsynchronized', or give the device the option 'passive'");
    }
  }
  for (InterruptDecl& i : spec_.interrupts) {
    i.isr = resolve_object(i.isr_name, i.isr_range, SymbolKind::Fn, "function", "an interrupt");
    if (i.isr != kNone) roles_.push_back(RoleUse{i.isr, Role::Timer, i.isr_range});
    if (!i.dpc_name.empty()) {
      i.dpc = resolve_object(i.dpc_name, i.dpc_range, SymbolKind::Fn, "function", "an interrupt");
      if (i.dpc != kNone) roles_.push_back(RoleUse{i.dpc, Role::Timer, i.dpc_range});
    }
    resolve_parent(i.parent, false);
    if (i.serialized && i.parent.device != kNone && spec_.devices[i.parent.device].passive) {
      report(DiagId::InvalidSerialization, i.range,
             fmt::format("interrupt '{}' is synchronized with a device whose callbacks run at "
                         "PASSIVE_LEVEL: EvtInterruptDpc runs at DISPATCH_LEVEL",
                         i.name),
             "drop 'synchronized'");
    }
  }
}

void Sema::resolve_parent(ParentRef& p, bool queue_ok) {
  if (p.name.empty()) {
    // The default parent: the first device with a synchronization scope, else the first one.
    for (uint32_t d = 0; d < spec_.devices.size() && p.device == kNone; ++d) {
      if (spec_.devices[d].sync_device || spec_.devices[d].sync_queue) p.device = d;
    }
    if (p.device == kNone && !spec_.devices.empty()) p.device = 0;
    return;
  }
  auto it = names_.find(p.name);
  if (it != names_.end() && it->second.cat == Cat::Device) {
    p.device = it->second.index;
    return;
  }
  if (queue_ok && it != names_.end() && it->second.cat == Cat::Sym &&
      it->second.kind == SymbolKind::Queue) {
    p.queue = it->second.index;
    p.device = spec_.queues[p.queue].device;
    return;
  }
  if (it == names_.end()) {
    report(DiagId::UnknownIdentifier, p.range,
           fmt::format("unknown {} '{}'", queue_ok ? "device or queue" : "device", p.name));
    return;
  }
  report(DiagId::WrongKind, p.range,
         fmt::format("'{}' is {} {}, but a parent must be {}", p.name, a_or_an(what(it->second)),
                     what(it->second), queue_ok ? "a device or a queue" : "a device"));
}

void Sema::check_queues() {
  for (QueueDecl& q : spec_.queues) {
    check_bindings(q.handlers, kQueueHandlers, "queue", q.name);
    // KMDF's default (WdfUseDefault): power-managed unless the device is a filter.
    const bool filter = q.device < spec_.devices.size() && spec_.devices[q.device].filter;
    q.power_managed = q.power_managed_decl.value_or(!filter);
    if (q.dispatch == Dispatch::Manual) continue;
    bool has_request_handler = false;
    for (const HandlerBinding& b : q.handlers) {
      has_request_handler |= b.handler == "EvtIoDefault" || b.handler == "EvtIoRead" ||
                             b.handler == "EvtIoWrite" || b.handler == "EvtIoDeviceControl" ||
                             b.handler == "EvtIoInternalDeviceControl";
    }
    if (!has_request_handler) {
      report(DiagId::MissingHandler, q.range,
             fmt::format("{} queue '{}' has no request handler; bind EvtIoDefault, EvtIoRead, "
                         "EvtIoWrite, EvtIoDeviceControl or EvtIoInternalDeviceControl (or "
                         "make it 'manual')",
                         q.dispatch == Dispatch::Parallel ? "parallel" : "sequential", q.name));
    }
  }
}

void Sema::check_devices() {
  for (DeviceDecl& d : spec_.devices) check_bindings(d.handlers, kDeviceHandlers, "device", d.name);
}

void Sema::check_filters() {
  for (FilterDecl& f : spec_.filters) {
    switch (f.role) {
      case NdisRole::Filter:
        check_bindings(f.handlers, kFilterHandlers, "filter", f.name);
        break;
      case NdisRole::Protocol:
        check_bindings(f.handlers, kProtocolHandlers, "protocol", f.name);
        break;
      case NdisRole::Miniport:
        check_bindings(f.handlers, kMiniportHandlers, "miniport", f.name);
        break;
    }
  }
}

}  // namespace cc::sema_detail

namespace cc {

bool check_spec(ast::Spec& spec, const SourceManager& sm, const Defines& defines,
                Diagnostics& diags) {
  return sema_detail::Sema(spec, sm, defines, diags).run();
}

}  // namespace cc
