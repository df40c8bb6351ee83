// The spec AST. Built by the parser, annotated in place by sema (types, resolved symbols),
// then read (never modified) by the semantics compiler and the reference executor.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/api.h"
#include "model/source.h"
#include "model/types.h"

namespace cc::ast {

/// "no index" marker for resolved references.
inline constexpr uint32_t kNone = UINT32_MAX;

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;

/// Expression forms.
enum class ExprKind : uint8_t {
  IntLit,   ///< 42, 0x10
  BoolLit,  ///< TRUE / FALSE (int_value 1 / 0)
  Null,     ///< NULL
  Name,     ///< identifier: variable, constant or declared object
  Member,   ///< base->field (per-request context field); args[0] = base
  Call,     ///< name(args); API, builtin or user helper
  Unary,    ///< uop args[0]
  Binary,   ///< args[0] bop args[1]
  AddrOf,   ///< &name; args[0] is a Name
  Nondet,   ///< `*` in `if (*)` / `while (*)`: nondeterministic choice
};

/// Unary operators.
enum class UnaryOp : uint8_t { Not, Neg, BitNot };

/// Binary operators.
enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  BitAnd,
  BitOr,
  BitXor,
  Shl,
  Shr,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogAnd,
  LogOr,
};

/// The spec spelling of a binary operator ("+", "<<", "&&", ...).
constexpr std::string_view binary_op_text(BinaryOp op) {
  constexpr std::string_view kText[] = {"+",  "-",  "*", "&",  "|", "^",  "<<", ">>",
                                        "==", "!=", "<", "<=", ">", ">=", "&&", "||"};
  return kText[static_cast<std::size_t>(op)];
}

/// What a resolved name refers to. `index` is into the Spec vector of that kind, or the
/// enclosing FnDecl's `locals` for Local.
enum class SymbolKind : uint8_t {
  Unresolved,
  Local,           ///< parameter or local variable (slot in FnDecl::locals)
  Global,          ///< Spec::globals
  Const,           ///< Spec::consts (value folded by sema into Expr::int_value)
  BuiltinConst,    ///< model/constants.def (value folded into Expr::int_value)
  Queue,           ///< Spec::queues
  Target,          ///< Spec::targets
  Lock,            ///< Spec::locks
  Event,           ///< Spec::events
  Timer,           ///< Spec::timers
  Fn,              ///< Spec::fns
  CreatedRequest,  ///< Spec::requests
  Miniport,        ///< Spec::miniports
  Conversation,    ///< Spec::conversations
  Filter,          ///< Spec::filters
  Dpc,             ///< Spec::timers (a `dpc` declaration)
  WorkItem,        ///< Spec::timers (a `workitem` declaration)
  Interrupt,       ///< Spec::interrupts
};

/// A resolved name.
struct SymbolRef {
  SymbolKind kind = SymbolKind::Unresolved;
  uint32_t index = kNone;
};

/// An expression node. Fields not used by a kind stay at their defaults.
struct Expr {
  ExprKind kind = ExprKind::IntLit;
  SourceRange range;
  int64_t int_value = 0;  ///< IntLit/BoolLit; folded value of Const/BuiltinConst names
  std::string name;       ///< Name, Call callee, Member field name
  UnaryOp uop = UnaryOp::Not;
  BinaryOp bop = BinaryOp::Add;
  std::vector<ExprPtr> args;  ///< operands / call arguments / member base
  bool wide = false;          ///< IntLit wider than 32 bits: a `uintptr` literal

  // ---- filled in by sema ----
  TypeKind type = TypeKind::Error;  ///< the expression's type
  SymbolRef sym;                    ///< Name and AddrOf: what the name denotes
  std::optional<ApiId> api;         ///< Call: the API or builtin called
  uint32_t fn = kNone;              ///< Call: a user helper (Spec::fns index), inlined
  uint32_t field = kNone;           ///< Member: index into Spec::context
  bool symbolic = false;            ///< depends on a `symbolic` value
};

/// Statement forms.
enum class StmtKind : uint8_t {
  Block,         ///< { body... }
  VarDecl,       ///< TYPE name [= value];  (slot = local)
  SymbolicDecl,  ///< symbolic int<width> name;  (slot = local)
  Assign,        ///< target = value;
  If,            ///< if (cond) then_stmt [else else_stmt]; cond may be Nondet
  While,         ///< while (cond) body[0]
  ForIn,         ///< for (name in value) body[0]; name is a local slot
  Break,
  Continue,
  Return,    ///< return [value];
  ExprStmt,  ///< value; (calls)
  Atomic,    ///< atomic { body... }: runs without interleaving
};

/// A statement node.
struct Stmt {
  StmtKind kind = StmtKind::Block;
  SourceRange range;
  std::vector<StmtPtr> body;  ///< Block/Atomic statements; While/ForIn: exactly one body
  ExprPtr cond;               ///< If/While condition
  ExprPtr target;             ///< Assign lvalue (Name or Member)
  ExprPtr value;              ///< VarDecl init, Assign rhs, Return value, ExprStmt, ForIn list
  StmtPtr then_stmt;          ///< If
  StmtPtr else_stmt;          ///< If (may be null)
  std::string name;           ///< VarDecl/SymbolicDecl/ForIn variable
  TypeKind decl_type = TypeKind::Error;  ///< VarDecl type (Int for SymbolicDecl)
  uint32_t width = 32;                   ///< SymbolicDecl bit width
  uint32_t slot = kNone;                 ///< sema: local slot for VarDecl/SymbolicDecl/ForIn
};

/// A local variable or parameter of a function (params come first).
struct LocalVar {
  std::string name;
  TypeKind type = TypeKind::Error;
  SourceRange range;
  bool symbolic = false;
  uint32_t width = 32;
};

/// fn NAME(params) { body } — a callback or an inlined helper; also `thread NAME { }`.
struct FnDecl {
  std::string name;
  SourceRange range;                      ///< the name
  uint32_t param_count = 0;               ///< the first param_count entries of locals
  std::vector<LocalVar> locals;           ///< params then locals (sema fills locals)
  StmtPtr body;                           ///< a Block
  TypeKind return_type = TypeKind::Void;  ///< sema: inferred from `return` statements
};

/// const NAME = value;  (value folded by sema after -D overrides)
struct ConstDecl {
  std::string name;
  SourceRange range;
  ExprPtr value;
  int64_t folded = 0;       ///< sema
  bool overridden = false;  ///< sema: set from -D
};

/// `Handler = fn;` inside a queue or filter.
struct HandlerBinding {
  std::string handler;  ///< EvtIoRead, EvtIoStop, FilterSendNetBufferLists, ...
  std::string fn_name;
  SourceRange range;     ///< the handler name
  SourceRange fn_range;  ///< the fn name
  uint32_t fn = kNone;   ///< sema: Spec::fns index
};

/// Queue dispatch types.
enum class Dispatch : uint8_t { Sequential, Parallel, Manual };

/// queue NAME : dispatch [power_managed|not_power_managed] { bindings }
struct QueueDecl {
  std::string name;
  SourceRange range;
  Dispatch dispatch = Dispatch::Sequential;
  std::optional<bool> power_managed_decl;  ///< as written; absent = KMDF's default
  /// sema: power_managed_decl, else KMDF's default (power-managed unless the device is a filter)
  bool power_managed = false;
  std::vector<HandlerBinding> handlers;
  uint32_t device =
      kNone;  ///< Spec::devices index (parser; a top-level queue gets an implicit device)
};

/// device NAME [: sync_device] [filter] { queues }
struct DeviceDecl {
  std::string name;
  SourceRange range;
  bool sync_device = false;      ///< WdfSynchronizationScopeDevice
  bool sync_queue = false;       ///< WdfSynchronizationScopeQueue: each queue on its own
  bool passive = false;          ///< WdfExecutionLevelPassive: callbacks at PASSIVE_LEVEL
  bool filter = false;           ///< WdfFdoInitSetFilter: its queues default to not power-managed
  std::vector<uint32_t> queues;  ///< Spec::queues indices
  bool implicit = false;         ///< created for top-level queues
  /// Device and file-object callbacks (EvtDeviceSurpriseRemoval, EvtFileCleanup, ...).
  std::vector<HandlerBinding> handlers;
};

/// How a lower driver behaves (docs/semantics/kmdf.md "Readings", Targets).
enum class TargetBehaviour : uint8_t { Cancelable, Uncancelable, Pending, Late };

/// target NAME : behaviour [may_fail] [completes {S, ...}];
struct TargetDecl {
  std::string name;
  SourceRange range;
  TargetBehaviour behaviour = TargetBehaviour::Cancelable;
  bool may_fail = false;
  std::vector<ExprPtr> completes;         ///< status expressions; empty = {STATUS_SUCCESS}
  std::vector<int64_t> completes_values;  ///< sema: folded
  bool completes_symbolic = false;        ///< `completes {..., symbolic}`: also any status (a term)
};

/// request NAME = WdfRequestCreate(target);
struct CreatedRequestDecl {
  std::string name;
  SourceRange range;
  std::string target_name;
  SourceRange target_range;
  uint32_t target = kNone;  ///< sema
};

/// lock NAME; / event NAME; / waitlock NAME;
struct SimpleDecl {
  std::string name;
  SourceRange range;
  bool wait = false;  ///< `waitlock`: a KMDF wait lock (WdfWaitLockCreate), else a spin lock
};

/// What a `timer`, `dpc` or `workitem` declaration creates.
enum class DeferredKind : uint8_t { Timer, Dpc, WorkItem };

/// The object whose synchronization scope a timer, DPC, work item or interrupt takes
/// (its WDF_OBJECT_ATTRIBUTES ParentObject): a device or a queue.
struct ParentRef {
  std::string name;  ///< `parent NAME`; empty = the default device (docs/spec-language.md)
  SourceRange range;
  uint32_t device = kNone;  ///< sema: the parent device, or the device of the parent queue
  uint32_t queue = kNone;   ///< sema: the parent queue, if the parent is a queue
};

/// timer NAME = fn [manual] [periodic] [passive] [parent P] [unsynchronized];
/// dpc NAME = fn [parent P] [unsynchronized]; workitem NAME = fn [parent P] [unsynchronized];
struct TimerDecl {
  std::string name;
  SourceRange range;
  std::string fn_name;
  SourceRange fn_range;
  DeferredKind kind = DeferredKind::Timer;
  bool manual = false;     ///< timers: not started at time zero
  bool periodic = false;   ///< timers: stays armed when it fires (Period > 0)
  bool passive = false;    ///< timers: WDF_OBJECT_ATTRIBUTES ExecutionLevel passive
  bool serialized = true;  ///< AutomaticSerialization (TRUE by the CONFIG_INIT macros)
  ParentRef parent;
  uint32_t fn = kNone;  ///< sema
};

/// interrupt NAME = isr [, dpc] [parent DEVICE] [synchronized];
struct InterruptDecl {
  std::string name;
  SourceRange range;
  std::string isr_name, dpc_name;
  SourceRange isr_range, dpc_range;
  bool serialized = false;  ///< AutomaticSerialization of EvtInterruptDpc (FALSE by default)
  ParentRef parent;
  uint32_t isr = kNone;  ///< sema
  uint32_t dpc = kNone;  ///< sema (kNone: no EvtInterruptDpc)
};

/// global TYPE NAME [= init]; or top-level `symbolic int<N> NAME;`; also a context field.
struct VarDecl {
  std::string name;
  SourceRange range;
  TypeKind type = TypeKind::Error;
  ExprPtr init;  ///< may be null (zero / NULL / FALSE)
  bool symbolic = false;
  uint32_t width = 32;
  int64_t init_value = 0;  ///< sema: folded `init` (0 = zero / NULL / FALSE when absent)
};

/// Which NDIS driver a `filter`, `protocol` or `miniport NAME { ... }` declaration describes.
enum class NdisRole : uint8_t { Filter, Protocol, Miniport };

/// filter NAME { FilterSendNetBufferLists = fn; ... }, protocol NAME { ... } (its own sends'
/// completions) or miniport NAME { MiniportSendNetBufferLists = fn; ... } (the spec's miniport).
struct FilterDecl {
  std::string name;
  SourceRange range;
  std::vector<HandlerBinding> handlers;
  NdisRole role = NdisRole::Filter;
};

/// miniport NAME : cancelable|uncancelable|pending;
struct MiniportDecl {
  std::string name;
  SourceRange range;
  bool cancelable = true;
  bool pending = false;  ///< holds sent NBLs until a cancel for their id reaches it
};

/// conversation NAME [: partner_may_not_answer];
struct ConversationDecl {
  std::string name;
  SourceRange range;
  bool partner_may_not_answer = false;
};

/// Environment item kinds.
enum class EnvKind : uint8_t {
  Arrive,      ///< arrive QUEUE x COUNT [TYPE] [from FILE];
  Cancel,      ///< cancel any; / cancel QUEUE;
  Stop,        ///< stop suspend|purge|surprise|any|symbolic;
  Send,        ///< send FILTER x COUNT [cancel_id ID] [chain];
  CancelSend,  ///< cancel_send FILTER ID;
  Close,       ///< close FILE; (the application closes its last handle)
  Pause,       ///< pause FILTER; (NDIS pauses the filter module once, then restarts it)
  Interrupt,   ///< interrupt NAME x COUNT; (the device raises the interrupt COUNT times)
};

/// The I/O request type a received request carries from its arrival (its IRP major function).
/// Unspecified: fixed by the first request handler it is presented to (docs/spec-language.md).
enum class IoType : uint8_t { Unspecified, Read, Write, Ioctl, InternalIoctl };

/// The request handler KMDF presents a request of this type to, if the queue binds it
/// (FxIoQueue::DispatchRequestToDriver); empty for Unspecified.
constexpr std::string_view io_type_handler(IoType t) {
  switch (t) {
    case IoType::Read:
      return "EvtIoRead";
    case IoType::Write:
      return "EvtIoWrite";
    case IoType::Ioctl:
      return "EvtIoDeviceControl";
    case IoType::InternalIoctl:
      return "EvtIoInternalDeviceControl";
    case IoType::Unspecified:
      break;
  }
  return {};
}

/// The request handlers in the order an unspecified request may be presented to them.
constexpr std::array<std::pair<std::string_view, IoType>, 5> kIoHandlers = {{
    {"EvtIoDefault", IoType::Unspecified},
    {"EvtIoRead", IoType::Read},
    {"EvtIoWrite", IoType::Write},
    {"EvtIoDeviceControl", IoType::Ioctl},
    {"EvtIoInternalDeviceControl", IoType::InternalIoctl},
}};

/// stop flavours.
/// Symbolic: like Any, but EvtIoStop receives its flags as a symbolic value (docs/symbolic.md).
/// Surprise: a surprise removal (EvtDeviceSurpriseRemoval, then the removal sequence).
enum class StopKind : uint8_t { Suspend, Purge, Any, Symbolic, Surprise };

/// One line of the environment block.
struct EnvItem {
  EnvKind kind = EnvKind::Arrive;
  SourceRange range;
  std::string object_name;  ///< queue or filter name; empty for `cancel any` / stop
  SourceRange object_range;
  bool any = false;  ///< cancel any
  StopKind stop = StopKind::Any;
  ExprPtr count;                ///< Arrive/Send
  ExprPtr cancel_id;            ///< Send/CancelSend
  uint32_t object = kNone;      ///< sema: queue (Arrive/Cancel) or filter (Send/CancelSend) index
  int64_t count_value = 0;      ///< sema: folded count
  int64_t cancel_id_value = 0;  ///< sema: folded id
  IoType io_type = IoType::Unspecified;  ///< Arrive: the requests' type
  std::string file_name;                 ///< Arrive `from FILE` / Close: the file handle
  SourceRange file_range;
  uint32_t file = kNone;  ///< sema: index into Spec::files
  bool chain = false;     ///< Send: `... chain;`: the NBLs are handed over in one call, as a chain
};

/// A whole spec file.
struct Spec {
  FileId file;
  std::string title;  ///< from `spec "...";` (empty if absent)
  /// `option sdv_strict;`: SDV rules read literally (EvtIoStop must act on its request before
  /// it returns), stricter than the documentation (docs/semantics/kmdf.md).
  bool sdv_strict = false;
  /// `option pointer_width N;` (32 or 64): the width of `uintptr` values and NDIS cancel ids.
  unsigned pointer_width = kDefaultPointerWidth;
  SourceRange title_range;
  std::vector<ConstDecl> consts;
  std::vector<DeviceDecl> devices;
  std::vector<QueueDecl> queues;
  std::vector<TargetDecl> targets;
  std::vector<CreatedRequestDecl> requests;
  std::vector<SimpleDecl> locks;
  std::vector<SimpleDecl> events;
  std::vector<TimerDecl> timers;  ///< timers, DPC objects and work items
  std::vector<InterruptDecl> interrupts;
  std::vector<VarDecl> globals;  ///< includes top-level symbolic declarations
  std::vector<VarDecl> context;  ///< per-request context fields
  std::vector<FnDecl> fns;
  std::vector<FnDecl> threads;  ///< thread NAME { ... } (no params)
  std::vector<FilterDecl> filters;
  std::vector<MiniportDecl> miniports;
  std::vector<ConversationDecl> conversations;
  std::vector<EnvItem> environment;
  std::vector<std::string> files;  ///< sema: file handles named by `arrive ... from FILE`
  SourceRange environment_range;
};

}  // namespace cc::ast
