// The name and type checker's private declarations (the Sema class, the callback role table),
// shared by model/sema*.cpp only: declarations and constants (sema.cpp), the environment and
// roles (sema_env.cpp), statements (sema_stmt.cpp), expressions and calls (sema_expr.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "model/ast.h"
#include "model/did_you_mean.h"
#include "model/frontend.h"
#include "model/lexer.h"

namespace cc::sema_detail {

using namespace ast;

inline bool is_num(TypeKind t) {
  return t == TypeKind::Bool || t == TypeKind::Int || t == TypeKind::Status || t == TypeKind::Ptr;
}
inline bool is_handle(TypeKind t) {
  return t == TypeKind::Request || t == TypeKind::Nbl || t == TypeKind::Task ||
         t == TypeKind::Vcb || t == TypeKind::File;
}
inline bool is_list(TypeKind t) {
  return t == TypeKind::ListRequest || t == TypeKind::ListNbl;
}
inline TypeKind list_elem(TypeKind t) {
  if (t == TypeKind::ListRequest) return TypeKind::Request;
  if (t == TypeKind::ListNbl) return TypeKind::Nbl;
  return TypeKind::Error;
}

/// Can a value of type `src` be stored where `dst` is expected? Error never mismatches.
inline bool assignable(TypeKind dst, TypeKind src) {
  if (dst == TypeKind::Error || src == TypeKind::Error) return true;
  if (is_num(dst) && is_num(src)) return true;
  if (is_handle(dst)) return dst == src;
  return false;
}

inline std::string q(TypeKind t) {
  return fmt::format("'{}'", type_name(t));
}

inline int64_t wrap32(int64_t v) {
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
  PowerCallback,   ///< EvtDeviceD0Entry, EvtDeviceD0Exit
  ReadComplete,    ///< EvtUsbTargetPipeReadComplete (a continuous reader)
  ReadersFailed,   ///< EvtUsbTargetPipeReadersFailed: returns TRUE to restart the reader
  InterruptSync,   ///< WdfInterruptSynchronize's EvtInterruptSynchronize (may return a bool)
};

enum class PClass : uint8_t { Request, Nbl, Number, File };

struct RoleInfo {
  std::string_view use;        ///< "EvtIoRead", "a completion routine", ...
  std::string_view signature;  ///< "(request [, int])"
  std::array<PClass, 3> params;
  uint8_t min_params;
  uint8_t max_params;
  bool returns_bool;  ///< the callback returns a BOOLEAN (EvtUsbTargetPipeReadersFailed)
};

inline const RoleInfo& role_info(Role r) {
  static const std::array<RoleInfo, 26> kRoles = {{
      {"EvtIoDefault",
       "(request [, int])",
       {PClass::Request, PClass::Number, PClass::Number},
       1,
       2,
       false},
      {"EvtIoRead",
       "(request [, int length])",
       {PClass::Request, PClass::Number, PClass::Number},
       1,
       2,
       false},
      {"EvtIoWrite",
       "(request [, int length])",
       {PClass::Request, PClass::Number, PClass::Number},
       1,
       2,
       false},
      {"EvtIoDeviceControl",
       "(request [, int code])",
       {PClass::Request, PClass::Number, PClass::Number},
       1,
       2,
       false},
      {"EvtIoInternalDeviceControl",
       "(request [, int code])",
       {PClass::Request, PClass::Number, PClass::Number},
       1,
       2,
       false},
      {"EvtIoStop",
       "(request, int flags)",
       {PClass::Request, PClass::Number, PClass::Number},
       2,
       2,
       false},
      {"EvtIoCanceledOnQueue",
       "(request)",
       {PClass::Request, PClass::Request, PClass::Number},
       1,
       1,
       false},
      {"EvtIoResume", "(request)", {PClass::Request, PClass::Request, PClass::Number}, 1, 1, false},
      {"a queue state callback",
       "()",
       {PClass::Number, PClass::Number, PClass::Number},
       0,
       0,
       false},
      {"a completion routine",
       "(request, status [, request context])",
       {PClass::Request, PClass::Number, PClass::Request},
       2,
       3,
       false},
      {"a cancel routine",
       "(request)",
       {PClass::Request, PClass::Request, PClass::Number},
       1,
       1,
       false},
      {"a timer, DPC, work item or interrupt callback",
       "()",
       {PClass::Number, PClass::Number, PClass::Number},
       0,
       0,
       false},
      {"FilterSendNetBufferLists",
       "(nbl)",
       {PClass::Nbl, PClass::Nbl, PClass::Number},
       1,
       1,
       false},
      {"FilterSendNetBufferListsComplete",
       "(nbl, status)",
       {PClass::Nbl, PClass::Number, PClass::Number},
       2,
       2,
       false},
      {"FilterCancelSendNetBufferLists",
       "(uintptr cancel_id)",
       {PClass::Number, PClass::Number, PClass::Number},
       1,
       1,
       false},
      {"FilterPause", "()", {PClass::Number, PClass::Number, PClass::Number}, 0, 0, false},
      {"FilterRestart", "()", {PClass::Number, PClass::Number, PClass::Number}, 0, 0, false},
      {"ProtocolSendNetBufferListsComplete",
       "(nbl, status)",
       {PClass::Nbl, PClass::Number, PClass::Number},
       2,
       2,
       false},
      {"MiniportSendNetBufferLists",
       "(nbl)",
       {PClass::Nbl, PClass::Nbl, PClass::Number},
       1,
       1,
       false},
      {"MiniportCancelSend",
       "(uintptr cancel_id)",
       {PClass::Number, PClass::Number, PClass::Number},
       1,
       1,
       false},
      {"a device callback", "()", {PClass::Number, PClass::Number, PClass::Number}, 0, 0, false},
      {"a file object callback",
       "(file)",
       {PClass::File, PClass::File, PClass::Number},
       1,
       1,
       false},
      {"EvtDeviceD0Entry / EvtDeviceD0Exit",
       "([int power_state])",
       {PClass::Number, PClass::Number, PClass::Number},
       0,
       1,
       false},
      {"EvtUsbTargetPipeReadComplete",
       "()",
       {PClass::Number, PClass::Number, PClass::Number},
       0,
       0,
       false},
      {"EvtUsbTargetPipeReadersFailed",
       "(status [, int usbd_status]) returning bool",
       {PClass::Number, PClass::Number, PClass::Number},
       1,
       2,
       true},
      {"EvtInterruptSynchronize",
       "()",
       {PClass::Number, PClass::Number, PClass::Number},
       0,
       0,
       false},
  }};
  return kRoles.at(static_cast<std::size_t>(r));
}

inline constexpr std::array<std::pair<std::string_view, Role>, 8> kQueueHandlers = {{
    {"EvtIoDefault", Role::EvtIoDefault},
    {"EvtIoRead", Role::EvtIoRead},
    {"EvtIoWrite", Role::EvtIoWrite},
    {"EvtIoDeviceControl", Role::EvtIoDeviceControl},
    {"EvtIoInternalDeviceControl", Role::EvtIoInternalDeviceControl},
    {"EvtIoStop", Role::EvtIoStop},
    {"EvtIoCanceledOnQueue", Role::EvtIoCanceledOnQueue},
    {"EvtIoResume", Role::EvtIoResume},
}};

inline constexpr std::array<std::pair<std::string_view, Role>, 5> kFilterHandlers = {{
    {"FilterSendNetBufferLists", Role::FilterSend},
    {"FilterSendNetBufferListsComplete", Role::FilterSendComplete},
    {"FilterCancelSendNetBufferLists", Role::FilterCancelSend},
    {"FilterPause", Role::FilterPause},
    {"FilterRestart", Role::FilterRestart},
}};

inline constexpr std::array<std::pair<std::string_view, Role>, 1> kProtocolHandlers = {{
    {"ProtocolSendNetBufferListsComplete", Role::ProtocolSendComplete},
}};

inline constexpr std::array<std::pair<std::string_view, Role>, 2> kMiniportHandlers = {{
    {"MiniportSendNetBufferLists", Role::MiniportSend},
    {"MiniportCancelSend", Role::MiniportCancelSend},
}};

inline constexpr std::array<std::pair<std::string_view, Role>, 10> kDeviceHandlers = {{
    {"EvtDeviceSurpriseRemoval", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoSuspend", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoRestart", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoFlush", Role::DeviceCallback},
    {"EvtDeviceSelfManagedIoCleanup", Role::DeviceCallback},
    {"EvtFileCleanup", Role::FileCallback},
    {"EvtFileClose", Role::FileCallback},
    {"EvtDevicePrepareHardware", Role::DeviceCallback},
    {"EvtDeviceD0Entry", Role::PowerCallback},
    {"EvtDeviceD0Exit", Role::PowerCallback},
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

inline std::string_view what(const Entry& e) {
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
    case SymbolKind::Dpc:
      return "DPC object";
    case SymbolKind::WorkItem:
      return "work item";
    case SymbolKind::Interrupt:
      return "interrupt";
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

inline std::string_view a_or_an(std::string_view word) {
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
  SourceRange find_word(const SourceRange& r, std::string_view name, bool last = false) const;

  // ---------------------------------------------------------------- declarations
  bool reserved(const std::string& name, SourceRange r);

  void declare(const std::string& name, Entry e);

  void declare_all();

  void check_defines();

  // ---------------------------------------------------------------- constants
  void resolve_const(uint32_t i);

  /// Folds a constant expression (already type-checked). Reports the first non-constant part.
  bool fold(const Expr& e, int64_t& out, const std::string& context);
  bool fold_pointer_sized(const Expr& e, int64_t a, int64_t b, int64_t& out);
  TypeKind check_sizeof(Expr& e);

  /// Checks an expression that must fold to a constant of a number type.
  bool const_number(Expr* e, int64_t& out, const std::string& context, TypeKind expected);

  void check_var_decl(VarDecl& v, std::string_view what_decl);

  // ---------------------------------------------------------------- top-level objects
  /// Resolves a declared object by name and kind. Reports unknown names and wrong kinds.
  uint32_t resolve_object(const std::string& name, SourceRange r, SymbolKind kind,
                          std::string_view kind_word, std::string_view purpose);

  void check_targets();

  void check_requests();

  void check_timers();
  /// Resolves `parent NAME` (a device, or a queue when `queue_ok`), or picks the default.
  void resolve_parent(ParentRef& p, bool queue_ok);

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

  void check_queues();

  void check_devices();

  void check_filters();

  /// The environment keyword of an NDIS line, quoted.
  static std::string_view env_word(EnvKind k);

  /// `send`/`cancel_send` name a filter or the spec's miniport (a protocol sends its own NBLs);
  /// `pause` names a filter.
  void check_env_role(const EnvItem& item);

  /// A typed arrival at a queue with neither the type's callback nor EvtIoDefault: KMDF
  /// fails those requests (FxIoQueue::DispatchRequestToDriver); likely not what was meant.
  void warn_unhandled_type(const EnvItem& item);

  /// The index of the item's file handle in Spec::files (handles are numbered in the order
  /// the `arrive ... from FILE` lines name them); kNone when no arrive line opens it.
  uint32_t file_index(const EnvItem& item);

  /// `close FILE;` names a file handle some `arrive ... from FILE` line opened, once.
  void check_close(EnvItem& item);

  void check_environment();

  // ---------------------------------------------------------------- call graph
  void collect_calls(const Expr* e, std::vector<std::pair<uint32_t, SourceRange>>& out);

  void collect_calls(const Stmt* s, std::vector<std::pair<uint32_t, SourceRange>>& out);

  /// Functions in callee-first order; reports recursion (direct or through other helpers).
  std::vector<uint32_t> call_graph_order();

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
                         uint32_t width);

  std::optional<uint32_t> lookup_local(std::string_view name) const;

  void check_fn(FnDecl& f, std::string_view kind);

  void finish_returns(FnDecl& f);

  static bool has_break(const Stmt* s);

  /// Can execution run off the end of `s`? (Conservative: loops may exit unless `while (TRUE)`.)
  static bool may_complete(const Stmt* s);

  void scoped(Stmt* s);

  void check_stmt(Stmt* s);

  void check_cond(Expr* c, std::string_view kw);

  std::string describe(const Expr& e) const;

  TypeKind check_lvalue(Expr& t);

  /// Rejects `void` where a value is needed.
  TypeKind value_of(Expr& e, TypeKind t);

  // ---------------------------------------------------------------- expressions
  TypeKind check_expr(Expr& e, TypeKind expected = TypeKind::Error);

  TypeKind check_expr_inner(Expr& e, TypeKind expected);

  TypeKind check_name(Expr& e);

  TypeKind check_member(Expr& e);

  TypeKind check_addr_of(Expr& e);

  TypeKind check_unary(Expr& e);

  TypeKind check_binary(Expr& e);

  /// Checks call arguments without a signature (unknown callee): annotations only.
  void check_args_loosely(Expr& e);

  TypeKind check_call(Expr& e);

  TypeKind check_helper_call(Expr& e, uint32_t index);

  /// WinAsyncAPPC without a conversation: only a transaction-program verb may omit it.
  void check_tp_verb(const Expr& verb);
  /// An NDIS call of one driver role (CC_API_CALLER in model/api.def) in a spec that declares
  /// no driver of that role: DiagId::WrongDriverRole.
  void check_driver_role(const Expr& e, const ApiInfo& info);

  TypeKind check_api_call(Expr& e, ApiId id);

  // ---------------------------------------------------------------- roles and warnings
  std::string actual_signature(const FnDecl& f) const;

  void check_roles();

  void warn_unused();

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

}  // namespace cc::sema_detail
