// Name and type checking: resolves every name, folds constants (with -D overrides), infers
// helper return types, checks API calls against model/api.def and callback signatures by
// role, and fills every "sema" field of the AST. Never trusts the AST to be complete: a
// spec with syntax errors is checked too (to report more), so null children are skipped.
#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "model/ast.h"
#include "model/did_you_mean.h"
#include "model/frontend.h"
#include "model/lexer.h"

namespace cc {
namespace {

using namespace ast;

bool is_num(TypeKind t) {
  return t == TypeKind::Bool || t == TypeKind::Int || t == TypeKind::Status;
}
bool is_handle(TypeKind t) {
  return t == TypeKind::Request || t == TypeKind::Nbl || t == TypeKind::Task ||
         t == TypeKind::Vcb || t == TypeKind::File;
}
bool is_list(TypeKind t) {
  return t == TypeKind::ListRequest || t == TypeKind::ListNbl;
}
TypeKind list_elem(TypeKind t) {
  if (t == TypeKind::ListRequest) return TypeKind::Request;
  if (t == TypeKind::ListNbl) return TypeKind::Nbl;
  return TypeKind::Error;
}

/// Can a value of type `src` be stored where `dst` is expected? Error never mismatches.
bool assignable(TypeKind dst, TypeKind src) {
  if (dst == TypeKind::Error || src == TypeKind::Error) return true;
  if (is_num(dst) && is_num(src)) return true;
  if (is_handle(dst)) return dst == src;
  return false;
}

std::string q(TypeKind t) {
  return fmt::format("'{}'", type_name(t));
}

int64_t wrap32(int64_t v) {
  return static_cast<int64_t>(
      static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))));
}

// ---------------------------------------------------------------- callback roles
enum class Role : uint8_t {
  EvtIoDefault,
  EvtIoRead,
  EvtIoWrite,
  EvtIoDeviceControl,
  EvtIoInternalDeviceControl,
  EvtIoStop,
  EvtIoCanceledOnQueue,
  EvtIoResume,
  QueueState,
  Completion,
  Cancel,
  Timer,
  FilterSend,
  FilterSendComplete,
  FilterCancelSend,
  FilterPause,
  FilterRestart,
  ProtocolSendComplete,
  MiniportSend,
  MiniportCancelSend,
  DeviceCallback,  ///< EvtDeviceSurpriseRemoval, EvtDeviceSelfManagedIo*
  FileCallback,    ///< EvtFileCleanup, EvtFileClose
};

enum class PClass : uint8_t { Request, Nbl, Number, File };

struct RoleInfo {
  std::string_view use;        ///< "EvtIoRead", "a completion routine", ...
  std::string_view signature;  ///< "(request [, int])"
  std::array<PClass, 2> params;
  uint8_t min_params;
  uint8_t max_params;
};

const RoleInfo& role_info(Role r) {
  static const std::array<RoleInfo, 22> kRoles = {{
      {"EvtIoDefault", "(request [, int])", {PClass::Request, PClass::Number}, 1, 2},
      {"EvtIoRead", "(request [, int length])", {PClass::Request, PClass::Number}, 1, 2},
      {"EvtIoWrite", "(request [, int length])", {PClass::Request, PClass::Number}, 1, 2},
      {"EvtIoDeviceControl", "(request [, int code])", {PClass::Request, PClass::Number}, 1, 2},
      {"EvtIoInternalDeviceControl",
       "(request [, int code])",
       {PClass::Request, PClass::Number},
       1,
       2},
      {"EvtIoStop", "(request, int flags)", {PClass::Request, PClass::Number}, 2, 2},
      {"EvtIoCanceledOnQueue", "(request)", {PClass::Request, PClass::Request}, 1, 1},
      {"EvtIoResume", "(request)", {PClass::Request, PClass::Request}, 1, 1},
      {"a queue state callback", "()", {PClass::Number, PClass::Number}, 0, 0},
      {"a completion routine", "(request, status)", {PClass::Request, PClass::Number}, 2, 2},
      {"a cancel routine", "(request)", {PClass::Request, PClass::Request}, 1, 1},
      {"a timer function", "()", {PClass::Number, PClass::Number}, 0, 0},
      {"FilterSendNetBufferLists", "(nbl)", {PClass::Nbl, PClass::Nbl}, 1, 1},
      {"FilterSendNetBufferListsComplete", "(nbl, status)", {PClass::Nbl, PClass::Number}, 2, 2},
      {"FilterCancelSendNetBufferLists", "(int cancel_id)", {PClass::Number, PClass::Number}, 1, 1},
      {"FilterPause", "()", {PClass::Number, PClass::Number}, 0, 0},
      {"FilterRestart", "()", {PClass::Number, PClass::Number}, 0, 0},
      {"ProtocolSendNetBufferListsComplete", "(nbl, status)", {PClass::Nbl, PClass::Number}, 2, 2},
      {"MiniportSendNetBufferLists", "(nbl)", {PClass::Nbl, PClass::Nbl}, 1, 1},
      {"MiniportCancelSend", "(int cancel_id)", {PClass::Number, PClass::Number}, 1, 1},
      {"a device callback", "()", {PClass::Number, PClass::Number}, 0, 0},
      {"a file object callback", "(file)", {PClass::File, PClass::File}, 1, 1},
  }};
  return kRoles.at(static_cast<std::size_t>(r));
}

constexpr std::array<std::pair<std::string_view, Role>, 8> kQueueHandlers = {{
    {"EvtIoDefault", Role::EvtIoDefault},
    {"EvtIoRead", Role::EvtIoRead},
    {"EvtIoWrite", Role::EvtIoWrite},
    {"EvtIoDeviceControl", Role::EvtIoDeviceControl},
    {"EvtIoInternalDeviceControl", Role::EvtIoInternalDeviceControl},
    {"EvtIoStop", Role::EvtIoStop},
    {"EvtIoCanceledOnQueue", Role::EvtIoCanceledOnQueue},
    {"EvtIoResume", Role::EvtIoResume},
}};

constexpr std::array<std::pair<std::string_view, Role>, 5> kFilterHandlers = {{
    {"FilterSendNetBufferLists", Role::FilterSend},
    {"FilterSendNetBufferListsComplete", Role::FilterSendComplete},
    {"FilterCancelSendNetBufferLists", Role::FilterCancelSend},
    {"FilterPause", Role::FilterPause},
    {"FilterRestart", Role::FilterRestart},
}};

constexpr std::array<std::pair<std::string_view, Role>, 1> kProtocolHandlers = {{
    {"ProtocolSendNetBufferListsComplete", Role::ProtocolSendComplete},
}};

constexpr std::array<std::pair<std::string_view, Role>, 2> kMiniportHandlers = {{
    {"MiniportSendNetBufferLists", Role::MiniportSend},
    {"MiniportCancelSend", Role::MiniportCancelSend},
}};

constexpr std::array<std::pair<std::string_view, Role>, 7> kDeviceHandlers = {{
    {"EvtDeviceSurpriseRemoval", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoSuspend", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoRestart", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoFlush", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoCleanup", Role::DeviceCallback},
    {"EvtFileCleanup", Role::FileCallback},
    {"EvtFileClose", Role::FileCallback},
}};

struct RoleUse {
  uint32_t fn;
  Role role;
  SourceRange at;
};

// ---------------------------------------------------------------- the checker
enum class Cat : uint8_t { Sym, Device, Thread };

struct Entry {
  Cat cat = Cat::Sym;
  SymbolKind kind = SymbolKind::Unresolved;
  uint32_t index = kNone;
  SourceRange range;
};

std::string_view what(const Entry& e) {
  if (e.cat == Cat::Device) return "device";
  if (e.cat == Cat::Thread) return "thread";
  switch (e.kind) {
    case SymbolKind::Const:
      return "constant";
    case SymbolKind::Global:
      return "global variable";
    case SymbolKind::Queue:
      return "queue";
    case SymbolKind::Target:
      return "target";
    case SymbolKind::Lock:
      return "lock";
    case SymbolKind::Event:
      return "event";
    case SymbolKind::Timer:
      return "timer";
    case SymbolKind::Fn:
      return "function";
    case SymbolKind::CreatedRequest:
      return "request";
    case SymbolKind::Miniport:
      return "miniport";
    case SymbolKind::Conversation:
      return "conversation";
    case SymbolKind::Filter:
      return "filter";
    default:
      return "name";
  }
}

std::string_view a_or_an(std::string_view word) {
  return !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos ? "an"
                                                                                            : "a";
}

struct FnState {
  FnDecl* fn = nullptr;
  std::string_view kind = "function";
  std::vector<std::vector<std::pair<std::string, uint32_t>>> scopes;
  int loops = 0;
  std::vector<Stmt*> returns;
};

class Sema {
 public:
  Sema(Spec& spec, const SourceManager& sm, const Defines& defines, Diagnostics& diags)
      : spec_(spec), sm_(sm), defines_(defines), diags_(diags) {}

  bool run() {
    std::size_t errors_before = diags_.error_count();
    declare_all();
    check_defines();
    const_state_.assign(spec_.consts.size(), 0);
    const_type_.assign(spec_.consts.size(), TypeKind::Error);
    const_cycle_reported_.assign(spec_.consts.size(), false);
    for (uint32_t i = 0; i < spec_.consts.size() && !stop(); ++i) resolve_const(i);
    for (VarDecl& g : spec_.globals) check_var_decl(g, "global");
    for (VarDecl& f : spec_.context) check_var_decl(f, "context field");
    check_targets();
    check_requests();
    check_timers();
    check_queues();
    check_filters();
    check_devices();
    std::vector<uint32_t> order = call_graph_order();
    fn_done_.assign(spec_.fns.size(), false);
    for (uint32_t i : order) {
      if (stop()) break;
      check_fn(spec_.fns[i], "function");
      fn_done_[i] = true;
    }
    for (FnDecl& t : spec_.threads) {
      if (stop()) break;
      check_fn(t, "thread");
    }
    check_environment();
    check_roles();
    bool ok = diags_.error_count() == errors_before;
    if (!diags_.has_errors()) warn_unused();
    return ok;
  }

 private:
  bool stop() const { return diags_saturated(diags_); }

  void report(DiagId id, SourceRange r, std::string msg, std::string hint = {}) {
    diags_.report(id, r, std::move(msg), std::move(hint));
  }

  SourceRange file_range() const { return SourceRange{SourceLoc{spec_.file, 0, 0}, 1}; }

  /// The range of `name` as a whole word inside `r` (searching the start line), else `r`.
  SourceRange find_word(const SourceRange& r, std::string_view name, bool last = false) const {
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

  // ---------------------------------------------------------------- declarations
  bool reserved(const std::string& name, SourceRange r) {
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

  void declare(const std::string& name, Entry e) {
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

  void declare_all() {
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
      declare(spec_.timers[i].name, sym(SymbolKind::Timer, i, spec_.timers[i].range));
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
      auto [it, inserted] = fields_.emplace(f.name, i);
      if (!inserted) {
        report(DiagId::DuplicateDeclaration, f.range,
               fmt::format("context field '{}' is declared twice", f.name));
        report(DiagId::NotePreviousDeclaration, spec_.context[it->second].range,
               "previous declaration is here");
      }
    }
  }

  void check_defines() {
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

  // ---------------------------------------------------------------- constants
  void resolve_const(uint32_t i) {
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
        report(
            DiagId::RecursiveConstant, c.range,
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

  /// Folds a constant expression (already type-checked). Reports the first non-constant part.
  bool fold(const Expr& e, int64_t& out, const std::string& context) {
    switch (e.kind) {
      case ExprKind::IntLit:
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
        report(DiagId::NotConstant, e.range,
               fmt::format("{} must be a constant expression; '{}' is not a constant", context,
                           e.name));
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
            out = wrap32(-a);
            break;
          case UnaryOp::BitNot:
            out = wrap32(~a);
            break;
        }
        return true;
      }
      case ExprKind::Binary: {
        if (e.args.size() != 2 || !e.args[0] || !e.args[1]) return false;
        int64_t a = 0;
        int64_t b = 0;
        if (!fold(*e.args[0], a, context) || !fold(*e.args[1], b, context)) return false;
        uint32_t ua = static_cast<uint32_t>(a);
        uint32_t ub = static_cast<uint32_t>(b);
        switch (e.bop) {
          case BinaryOp::Add:
            out = wrap32(static_cast<int64_t>(ua + ub));
            break;
          case BinaryOp::Sub:
            out = wrap32(static_cast<int64_t>(ua - ub));
            break;
          case BinaryOp::Mul:
            out = wrap32(static_cast<int64_t>(ua * ub));
            break;
          case BinaryOp::BitAnd:
            out = wrap32(ua & ub);
            break;
          case BinaryOp::BitOr:
            out = wrap32(ua | ub);
            break;
          case BinaryOp::BitXor:
            out = wrap32(ua ^ ub);
            break;
          case BinaryOp::Shl:
          case BinaryOp::Shr:
            if (b < 0 || b > 31) {
              report(DiagId::ConstantOutOfRange, e.args[1]->range,
                     fmt::format("shift count {} is out of range (0 to 31)", b));
              return false;
            }
            out = e.bop == BinaryOp::Shl ? wrap32(static_cast<int64_t>(ua << b))
                                         : static_cast<int64_t>(static_cast<int32_t>(ua) >> b);
            break;
          case BinaryOp::Eq:
            out = a == b;
            break;
          case BinaryOp::Ne:
            out = a != b;
            break;
          case BinaryOp::Lt:
            out = a < b;
            break;
          case BinaryOp::Le:
            out = a <= b;
            break;
          case BinaryOp::Gt:
            out = a > b;
            break;
          case BinaryOp::Ge:
            out = a >= b;
            break;
          case BinaryOp::LogAnd:
            out = (a != 0) && (b != 0);
            break;
          case BinaryOp::LogOr:
            out = (a != 0) || (b != 0);
            break;
        }
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

  /// Checks an expression that must fold to a constant of a number type.
  bool const_number(Expr* e, int64_t& out, const std::string& context, TypeKind expected) {
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

  void check_var_decl(VarDecl& v, std::string_view what_decl) {
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

  // ---------------------------------------------------------------- top-level objects
  /// Resolves a declared object by name and kind. Reports unknown names and wrong kinds.
  uint32_t resolve_object(const std::string& name, SourceRange r, SymbolKind kind,
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

  void check_targets() {
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

  void check_requests() {
    for (CreatedRequestDecl& r : spec_.requests) {
      r.target = resolve_object(r.target_name, r.target_range, SymbolKind::Target, "target",
                                "'WdfRequestCreate'");
    }
  }

  void check_timers() {
    for (TimerDecl& t : spec_.timers) {
      t.fn = resolve_object(t.fn_name, t.fn_range, SymbolKind::Fn, "function", "a timer");
      if (t.fn != kNone) roles_.push_back(RoleUse{t.fn, Role::Timer, t.fn_range});
    }
  }

  template <std::size_t N>
  void check_bindings(std::vector<HandlerBinding>& bindings,
                      const std::array<std::pair<std::string_view, Role>, N>& allowed,
                      std::string_view owner_kind, const std::string& owner) {
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      HandlerBinding& b = bindings[i];
      const Role* role = nullptr;
      for (const auto& [n, r] : allowed) {
        if (n == b.handler) role = &r;
      }
      if (!role) {
        std::string list;
        Suggester s;
        for (const auto& [n, r] : allowed) {
          s.add(n);
          if (!list.empty()) list += ", ";
          list += n;
        }
        bool other = false;
        for (const auto& [n, r] : kQueueHandlers) other |= n == b.handler;
        for (const auto& [n, r] : kFilterHandlers) other |= n == b.handler;
        for (const auto& [n, r] : kDeviceHandlers) other |= n == b.handler;
        for (const auto& [n, r] : kProtocolHandlers) other |= n == b.handler;
        for (const auto& [n, r] : kMiniportHandlers) other |= n == b.handler;
        if (other) {
          report(DiagId::UnknownHandler, b.range,
                 fmt::format("'{}' is not {} {} callback ({} callbacks: {})", b.handler,
                             a_or_an(owner_kind), owner_kind, owner_kind, list));
        } else {
          report(DiagId::UnknownHandler, b.range,
                 fmt::format("unknown {} callback '{}'", owner_kind, b.handler), s.hint(b.handler));
        }
        continue;
      }
      bool duplicate = false;
      for (std::size_t j = 0; j < i; ++j) {
        if (bindings[j].handler == b.handler) {
          report(DiagId::DuplicateHandler, b.range,
                 fmt::format("'{}' is bound twice in {} '{}'", b.handler, owner_kind, owner));
          report(DiagId::NotePreviousDeclaration, bindings[j].range, "previous binding is here");
          duplicate = true;
          break;
        }
      }
      b.fn = resolve_object(b.fn_name, b.fn_range, SymbolKind::Fn, "function",
                            fmt::format("'{}'", b.handler));
      if (b.fn != kNone && !duplicate) roles_.push_back(RoleUse{b.fn, *role, b.fn_range});
    }
  }

  void check_queues() {
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

  void check_devices() {
    for (DeviceDecl& d : spec_.devices)
      check_bindings(d.handlers, kDeviceHandlers, "device", d.name);
  }

  void check_filters() {
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

  /// The environment keyword of an NDIS line, quoted.
  static std::string_view env_word(EnvKind k) {
    switch (k) {
      case EnvKind::Send:
        return "'send'";
      case EnvKind::CancelSend:
        return "'cancel_send'";
      default:
        return "'pause'";
    }
  }

  /// `send`/`cancel_send` name a filter or the spec's miniport (a protocol sends its own NBLs);
  /// `pause` names a filter.
  void check_env_role(const EnvItem& item) {
    if (item.object == kNone) return;
    const FilterDecl& f = spec_.filters[item.object];
    const bool ok =
        item.kind == EnvKind::Pause ? f.role == NdisRole::Filter : f.role != NdisRole::Protocol;
    if (ok) return;
    report(DiagId::WrongKind, item.object_range,
           fmt::format("{} names a {}, but '{}' is a {}", env_word(item.kind),
                       item.kind == EnvKind::Pause ? "filter" : "filter or a miniport driver",
                       f.name, f.role == NdisRole::Protocol ? "protocol" : "miniport driver"));
  }

  /// A typed arrival at a queue with neither the type's callback nor EvtIoDefault: KMDF
  /// fails those requests (FxIoQueue::DispatchRequestToDriver); likely not what was meant.
  void warn_unhandled_type(const EnvItem& item) {
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

  /// The index of the item's file handle in Spec::files (handles are numbered in the order
  /// the `arrive ... from FILE` lines name them); kNone when no arrive line opens it.
  uint32_t file_index(const EnvItem& item) {
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

  /// `close FILE;` names a file handle some `arrive ... from FILE` line opened, once.
  void check_close(EnvItem& item) {
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

  void check_environment() {
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
          item.cancel_id_value = v;
        }
      }
    }
  }

  // ---------------------------------------------------------------- call graph
  void collect_calls(const Expr* e, std::vector<std::pair<uint32_t, SourceRange>>& out) {
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

  void collect_calls(const Stmt* s, std::vector<std::pair<uint32_t, SourceRange>>& out) {
    if (!s) return;
    collect_calls(s->cond.get(), out);
    collect_calls(s->target.get(), out);
    collect_calls(s->value.get(), out);
    for (const StmtPtr& b : s->body) collect_calls(b.get(), out);
    collect_calls(s->then_stmt.get(), out);
    collect_calls(s->else_stmt.get(), out);
  }

  /// Functions in callee-first order; reports recursion (direct or through other helpers).
  std::vector<uint32_t> call_graph_order() {
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

  template <typename Stack>
  void report_recursion(const Stack& stack, uint32_t v, SourceRange at) {
    const std::string& callee = spec_.fns[v].name;
    const std::string& caller = spec_.fns[stack.back().fn].name;
    std::size_t start = 0;
    while (start < stack.size() && stack[start].fn != v) ++start;
    if (v == stack.back().fn) {
      report(DiagId::RecursiveCall, at,
             fmt::format("'{}' calls itself; helpers are inlined, so recursion is not allowed",
                         callee));
      return;
    }
    std::string chain;
    for (std::size_t i = start; i < stack.size(); ++i) {
      chain += fmt::format("'{}' -> ", spec_.fns[stack[i].fn].name);
    }
    chain += fmt::format("'{}'", callee);
    report(DiagId::RecursiveCall, at,
           fmt::format("recursive call from '{}' to '{}' ({}); helpers are inlined, so recursion "
                       "is not allowed",
                       caller, callee, chain));
    std::size_t shown = 0;
    for (std::size_t i = start + 1; i < stack.size() && shown < 8; ++i, ++shown) {
      report(DiagId::NoteCallChain, stack[i].via,
             fmt::format("'{}' calls '{}' here", spec_.fns[stack[i - 1].fn].name,
                         spec_.fns[stack[i].fn].name));
    }
  }

  // ---------------------------------------------------------------- functions
  bool reserved_local(const std::string& name, SourceRange r) { return reserved(name, r); }

  uint32_t declare_local(const std::string& name, TypeKind type, SourceRange range, bool symbolic,
                         uint32_t width) {
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

  std::optional<uint32_t> lookup_local(std::string_view name) const {
    if (!fs_) return std::nullopt;
    for (auto s = fs_->scopes.rbegin(); s != fs_->scopes.rend(); ++s) {
      for (auto it = s->rbegin(); it != s->rend(); ++it) {
        if (it->first == name) return it->second;
      }
    }
    return std::nullopt;
  }

  void check_fn(FnDecl& f, std::string_view kind) {
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
          report(DiagId::NotePreviousDeclaration, f.locals[s].range,
                 "previous declaration is here");
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

  void finish_returns(FnDecl& f) {
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

  static bool has_break(const Stmt* s) {
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

  /// Can execution run off the end of `s`? (Conservative: loops may exit unless `while (TRUE)`.)
  static bool may_complete(const Stmt* s) {
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

  void scoped(Stmt* s) {
    fs_->scopes.emplace_back();
    check_stmt(s);
    fs_->scopes.pop_back();
  }

  void check_stmt(Stmt* s) {
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
        s->slot =
            declare_local(s->name, TypeKind::Int, find_word(s->range, s->name), true, s->width);
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
        if (s->value && s->value->kind != ExprKind::Null)
          value_of(*s->value, check_expr(*s->value));
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

  void check_cond(Expr* c, std::string_view kw) {
    if (!c) return;
    if (c->kind == ExprKind::Nondet) {
      c->type = TypeKind::Bool;
      return;
    }
    TypeKind t = value_of(*c, check_expr(*c));
    if (t == TypeKind::Error || is_num(t)) return;
    if (is_handle(t)) {
      report(
          DiagId::InvalidCondition, c->range,
          fmt::format("'{}' condition has type {}; compare the handle with NULL", kw, q(t)),
          c->kind == ExprKind::Name ? fmt::format("write '{} != NULL'", c->name) : std::string());
      return;
    }
    report(DiagId::InvalidCondition, c->range,
           fmt::format("'{}' condition has type {}; conditions are bool, int or status", kw, q(t)));
  }

  std::string describe(const Expr& e) const {
    if (e.kind == ExprKind::Name) return fmt::format("'{}'", e.name);
    if (e.kind == ExprKind::Member) return fmt::format("field '{}'", e.name);
    return "expression";
  }

  TypeKind check_lvalue(Expr& t) {
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
    report(
        DiagId::NotAssignable, t.range,
        fmt::format("{} is a list and cannot be assigned; use push, pop and remove", describe(t)));
    return TypeKind::Error;
  }

  /// Rejects `void` where a value is needed.
  TypeKind value_of(Expr& e, TypeKind t) {
    if (t != TypeKind::Void) return t;
    report(DiagId::VoidValue, e.range,
           e.kind == ExprKind::Call
               ? fmt::format("'{}' returns no value; its result cannot be used", e.name)
               : std::string("this expression has no value"));
    e.type = TypeKind::Error;
    return TypeKind::Error;
  }

  // ---------------------------------------------------------------- expressions
  TypeKind check_expr(Expr& e, TypeKind expected = TypeKind::Error) {
    TypeKind t = check_expr_inner(e, expected);
    e.type = t;
    return t;
  }

  TypeKind check_expr_inner(Expr& e, TypeKind expected) {
    switch (e.kind) {
      case ExprKind::IntLit:
        return TypeKind::Int;
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
          report(
              DiagId::TypeMismatch, e.range,
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

  TypeKind check_name(Expr& e) {
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
          return TypeKind::Lock;
        case SymbolKind::Event:
          return TypeKind::Event;
        case SymbolKind::Timer:
          return TypeKind::Timer;
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
      e.sym =
          SymbolRef{SymbolKind::BuiltinConst, static_cast<uint32_t>(c - all_constants().data())};
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

  TypeKind check_member(Expr& e) {
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
        report(
            DiagId::UnknownField, fr,
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

  TypeKind check_addr_of(Expr& e) {
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

  TypeKind check_unary(Expr& e) {
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
    return e.uop == UnaryOp::Not ? TypeKind::Bool : TypeKind::Int;
  }

  TypeKind check_binary(Expr& e) {
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
      report(
          DiagId::InvalidOperands, e.range,
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
      default:
        return TypeKind::Int;
    }
  }

  /// Checks call arguments without a signature (unknown callee): annotations only.
  void check_args_loosely(Expr& e) {
    for (ExprPtr& a : e.args) {
      if (a && a->kind != ExprKind::Null) check_expr(*a);
    }
  }

  TypeKind check_call(Expr& e) {
    SourceRange callee{e.range.begin,
                       static_cast<uint32_t>(std::max<std::size_t>(e.name.size(), 1))};
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
      report(
          DiagId::NotCallable, callee,
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

  TypeKind check_helper_call(Expr& e, uint32_t index) {
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

  /// WinAsyncAPPC without a conversation: only a transaction-program verb may omit it.
  void check_tp_verb(const Expr& verb) {
    if (verb.kind != ExprKind::Name || verb.sym.kind != SymbolKind::BuiltinConst) return;
    if (is_tp_verb(verb.int_value)) return;
    report(DiagId::ArgumentCount, verb.range,
           fmt::format("WinAsyncAPPC with {} must name a conversation: only the "
                       "transaction-program verbs TP_STARTED, TP_ENDED and RECEIVE_ALLOCATE "
                       "have none",
                       verb.name));
  }

  TypeKind check_api_call(Expr& e, ApiId id) {
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
          } else if (id == ApiId::WdfRequestMarkCancelable ||
                     id == ApiId::WdfRequestMarkCancelableEx) {
            roles_.push_back(RoleUse{a.sym.index, Role::Cancel, a.range});
          } else if (queue_callback) {
            roles_.push_back(RoleUse{a.sym.index, Role::QueueState, a.range});
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
    if (info.result == TypeKind::ListElem) return elem_known ? elem : TypeKind::Error;
    return info.result;
  }

  // ---------------------------------------------------------------- roles and warnings
  std::string actual_signature(const FnDecl& f) const {
    std::string s = "(";
    for (uint32_t i = 0; i < f.param_count && i < f.locals.size(); ++i) {
      if (i) s += ", ";
      s += fmt::format("{} {}", type_name(f.locals[i].type), f.locals[i].name);
    }
    return s + ")";
  }

  void check_roles() {
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
      } else if (f.return_type != TypeKind::Void && f.return_type != TypeKind::Error) {
        report(DiagId::CallbackSignature, u.at,
               fmt::format("'{}' is used as {}, so it must not return a value (it returns {})",
                           f.name, ri.use, q(f.return_type)));
        report(DiagId::NoteDeclaredHere, f.range, fmt::format("'{}' is declared here", f.name));
      }
    }
  }

  void warn_unused() {
    for (uint32_t i = 0; i < spec_.fns.size(); ++i) {
      if (referenced_.at(i)) continue;
      report(DiagId::UnusedFunction, spec_.fns[i].range,
             fmt::format("function '{}' is never used (not bound as a callback, passed to an API "
                         "or called)",
                         spec_.fns[i].name));
    }
  }

  static constexpr int64_t kMaxEnvCount = 255;

  Spec& spec_;
  const SourceManager& sm_;
  const Defines& defines_;
  Diagnostics& diags_;
  std::map<std::string, Entry, std::less<>> names_;
  std::map<std::string, uint32_t, std::less<>> fields_;
  std::vector<uint8_t> const_state_;
  std::vector<TypeKind> const_type_;
  uint32_t const_depth_ = 0;
  std::vector<bool> const_cycle_reported_;
  std::vector<uint32_t> const_stack_;
  bool const_depth_reported_ = false;
  std::vector<bool> referenced_ = std::vector<bool>(spec_.fns.size(), false);
  std::vector<bool> fn_done_;
  std::vector<RoleUse> roles_;
  FnState* fs_ = nullptr;
};

}  // namespace

bool check_spec(ast::Spec& spec, const SourceManager& sm, const Defines& defines,
                Diagnostics& diags) {
  return Sema(spec, sm, defines, diags).run();
}

}  // namespace cc
