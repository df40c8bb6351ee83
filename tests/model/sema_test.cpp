// Sema: every "filled in by sema" field of the AST, the type rules, and -D overrides.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "model/frontend.h"

namespace cc {
namespace {

using namespace ast;

struct Checked {
  SourceManager sm;
  Diagnostics diags;
  std::unique_ptr<Spec> spec;
  bool ok = false;
  std::string printed() const {
    std::ostringstream out;
    diags.print(out, sm, false);
    return out.str();
  }
};

std::unique_ptr<Checked> check(const std::string& text, const Defines& defines = {}) {
  auto c = std::make_unique<Checked>();
  FileId f = c->sm.add("s.spec", text);
  c->spec = parse_spec(c->sm, f, c->diags);
  if (c->spec) c->ok = check_spec(*c->spec, c->sm, defines, c->diags);
  return c;
}

std::unique_ptr<Checked> check_ok(const std::string& text, const Defines& defines = {}) {
  auto c = check(text, defines);
  EXPECT_TRUE(c->ok) << c->printed();
  EXPECT_FALSE(c->diags.has_errors()) << c->printed();
  return c;
}

/// The one error of a spec that should have exactly one.
Diagnostic one_error(const std::string& text) {
  auto c = check(text);
  EXPECT_FALSE(c->ok);
  std::vector<Diagnostic> errors;
  for (const Diagnostic& d : c->diags.all()) {
    if (d.severity == Severity::Error) errors.push_back(d);
  }
  EXPECT_EQ(errors.size(), 1U) << c->printed();
  return errors.empty() ? Diagnostic{} : errors[0];
}

const FnDecl& fn(const Checked& c, const std::string& name) {
  for (const FnDecl& f : c.spec->fns) {
    if (f.name == name) return f;
  }
  for (const FnDecl& f : c.spec->threads) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no fn " + name);
}

/// The value expression of the i-th statement of a function.
const Expr& value_of(const Checked& c, const std::string& f, std::size_t i) {
  return *fn(c, f).body->body.at(i)->value;
}

TEST(Sema, LocalsGetOneSlotEachEvenWhenShadowing) {
  auto c = check_ok(
      "global list<request> held;\n"
      "thread t { f(NULL, 1); }\n"
      "fn f(request r, int n) {\n"
      "  int x = n;\n"  // slot 2
      "  if (n) {\n"
      "    int x = 2;\n"  // slot 3, shadows
      "    x = x + 1;\n"  // refers to slot 3
      "  }\n"
      "  symbolic int<8> s;\n"  // slot 4
      "  for (e in held) {\n"   // e: slot 5
      "    request x = e;\n"    // slot 6
      "  }\n"
      "  x = s;\n"  // slot 2 again
      "}\n");
  const FnDecl& f = fn(*c, "f");
  EXPECT_EQ(f.param_count, 2U);
  ASSERT_EQ(f.locals.size(), 7U);
  EXPECT_EQ(f.locals[0].name, "r");
  EXPECT_EQ(f.locals[2].name, "x");
  EXPECT_EQ(f.locals[2].type, TypeKind::Int);
  EXPECT_EQ(f.locals[3].name, "x");
  EXPECT_EQ(f.locals[4].name, "s");
  EXPECT_TRUE(f.locals[4].symbolic);
  EXPECT_EQ(f.locals[4].width, 8U);
  EXPECT_EQ(f.locals[5].name, "e");
  EXPECT_EQ(f.locals[5].type, TypeKind::Request);
  EXPECT_EQ(f.locals[6].type, TypeKind::Request);
  // Local ranges point at the names.
  EXPECT_EQ(f.locals[2].range.begin.line, 4U);
  EXPECT_EQ(f.locals[2].range.begin.col, 7U);
  EXPECT_EQ(f.locals[5].range.begin.col, 8U);
  const auto& b = f.body->body;
  EXPECT_EQ(b[0]->slot, 2U);
  EXPECT_EQ(b[0]->value->sym.kind, SymbolKind::Local);
  EXPECT_EQ(b[0]->value->sym.index, 1U);  // n
  const Stmt& inner = *b[1]->then_stmt;
  EXPECT_EQ(inner.body[0]->slot, 3U);
  EXPECT_EQ(inner.body[1]->target->sym.index, 3U);
  EXPECT_EQ(b[2]->kind, StmtKind::SymbolicDecl);
  EXPECT_EQ(b[2]->slot, 4U);
  EXPECT_EQ(b[2]->decl_type, TypeKind::Int);
  EXPECT_EQ(b[3]->kind, StmtKind::ForIn);
  EXPECT_EQ(b[3]->slot, 5U);
  EXPECT_EQ(b[3]->decl_type, TypeKind::Request);
  EXPECT_EQ(b[3]->value->sym.kind, SymbolKind::Global);
  EXPECT_EQ(b[3]->body[0]->body[0]->slot, 6U);
  EXPECT_EQ(b[4]->target->sym.index, 2U);
  EXPECT_TRUE(b[4]->value->symbolic);
  EXPECT_EQ(fn(*c, "t").locals.size(), 0U);
}

// KMDF's WdfUseDefault: power-managed unless the device is a filter (FxIoQueue::Initialize).
TEST(Sema, QueuesArePowerManagedByDefaultExceptOnFilters) {
  auto c = check_ok(
      "device fdo { queue a : manual { } queue b : manual not_power_managed { } }\n"
      "device flt : filter { queue c : manual { } queue d : manual power_managed { } }\n"
      "queue top : manual { }\n");
  const ast::Spec& s = *c->spec;
  EXPECT_TRUE(s.queues[0].power_managed);
  EXPECT_FALSE(s.queues[1].power_managed);
  EXPECT_FALSE(s.queues[2].power_managed);
  EXPECT_TRUE(s.queues[3].power_managed);
  EXPECT_TRUE(s.queues[4].power_managed);
}

TEST(Sema, CheckingTwiceGivesTheSameAnnotations) {
  auto c = check_ok("fn f(int a) { int b = a; } thread t { f(1); }");
  ASSERT_EQ(c->spec->fns[0].locals.size(), 2U);
  Diagnostics again;
  EXPECT_TRUE(check_spec(*c->spec, c->sm, {}, again));
  EXPECT_EQ(c->spec->fns[0].locals.size(), 2U);
  EXPECT_EQ(c->spec->fns[0].body->body[0]->slot, 1U);
}

TEST(Sema, EveryKindOfName) {
  auto c = check_ok(
      "const N = 4;\n"
      "global int g;\n"
      "queue q : manual { }\n"
      "target t : cancelable;\n"
      "lock L; event E;\n"
      "timer tm = OnTimer manual;\n"
      "request cr = WdfRequestCreate(t);\n"
      "miniport mp : cancelable;\n"
      "conversation cv;\n"
      "filter fl { }\n"
      "fn OnTimer() {\n"
      "  g = N + STATUS_CANCELLED;\n"                                  // 0
      "  WdfRequestForwardToIoQueue(cr, q);\n"                         // 1
      "  WdfRequestSend(cr, t);\n"                                     // 2
      "  WdfSpinLockAcquire(L);\n"                                     // 3
      "  KeSetEvent(E);\n"                                             // 4
      "  WdfTimerStart(tm);\n"                                         // 5
      "  WdfRequestSetCompletionRoutine(cr, Done);\n"                  // 6
      "  NdisFCancelSendNetBufferLists(mp, 1);\n"                      // 7
      "  task k = WinAsyncAPPC(vcb_alloc(), RECEIVE_AND_WAIT, cv);\n"  // 8
      "  WdfSpinLockRelease(L);\n"
      "}\n"
      "fn Done(request r, status s) { }\n");
  const Expr& sum = *fn(*c, "OnTimer").body->body[0]->value;
  EXPECT_EQ(sum.args[0]->sym.kind, SymbolKind::Const);
  EXPECT_EQ(sum.args[0]->sym.index, 0U);
  EXPECT_EQ(sum.args[0]->int_value, 4);
  EXPECT_EQ(sum.args[0]->type, TypeKind::Int);
  EXPECT_EQ(sum.args[1]->sym.kind, SymbolKind::BuiltinConst);
  EXPECT_EQ(sum.args[1]->int_value, static_cast<int32_t>(0xC0000120u));
  EXPECT_EQ(sum.args[1]->type, TypeKind::Status);
  EXPECT_EQ(all_constants()[sum.args[1]->sym.index].name, "STATUS_CANCELLED");
  EXPECT_EQ(sum.type, TypeKind::Int);
  EXPECT_EQ(fn(*c, "OnTimer").body->body[0]->target->sym.kind, SymbolKind::Global);
  auto arg = [&](std::size_t stmt, std::size_t i) -> const Expr& {
    return *value_of(*c, "OnTimer", stmt).args.at(i);
  };
  EXPECT_EQ(arg(1, 0).sym.kind, SymbolKind::CreatedRequest);
  EXPECT_EQ(arg(1, 0).type, TypeKind::Request);
  EXPECT_EQ(arg(1, 1).sym.kind, SymbolKind::Queue);
  EXPECT_EQ(arg(1, 1).type, TypeKind::Queue);
  EXPECT_EQ(arg(2, 1).sym.kind, SymbolKind::Target);
  EXPECT_EQ(arg(3, 0).sym.kind, SymbolKind::Lock);
  EXPECT_EQ(arg(4, 0).sym.kind, SymbolKind::Event);
  EXPECT_EQ(arg(5, 0).sym.kind, SymbolKind::Timer);
  EXPECT_EQ(arg(6, 1).sym.kind, SymbolKind::Fn);
  EXPECT_EQ(arg(6, 1).sym.index, 1U);
  EXPECT_EQ(arg(6, 1).type, TypeKind::Fn);
  EXPECT_EQ(arg(7, 0).sym.kind, SymbolKind::Miniport);
  EXPECT_EQ(arg(8, 1).sym.kind, SymbolKind::BuiltinConst);
  EXPECT_EQ(arg(8, 1).type, TypeKind::Verb);
  EXPECT_EQ(arg(8, 2).sym.kind, SymbolKind::Conversation);
  EXPECT_EQ(value_of(*c, "OnTimer", 8).type, TypeKind::Task);
  EXPECT_EQ(value_of(*c, "OnTimer", 8).api, ApiId::WinAsyncAPPC);
  EXPECT_EQ(c->spec->timers[0].fn, 0U);
  EXPECT_EQ(c->spec->requests[0].target, 0U);
}

TEST(Sema, ConstantsFoldInAnyOrderWithDefines) {
  auto c = check_ok(
      "const A = B * 2 + 1;\n"
      "const B = 0x10;\n"
      "const C = (1 << 4) | 3 ^ 1;\n"
      "const D = -1 & 0xFF;\n"
      "const E = 0xFFFFFFFF;\n"
      "const F = 0x7FFFFFFF + 1;\n"
      "const G = A > B && !FALSE;\n"
      "const H = STATUS_CANCELLED;\n"
      "const V = SEND_DATA;\n"
      "const S = -16 >> 2;\n"
      "const T = ~0;\n");
  const auto& k = c->spec->consts;
  EXPECT_EQ(k[0].folded, 33);
  EXPECT_EQ(k[1].folded, 16);
  EXPECT_EQ(k[2].folded, 16 | (3 ^ 1));
  EXPECT_EQ(k[3].folded, 255);
  EXPECT_EQ(k[4].folded, -1);
  EXPECT_EQ(k[5].folded, INT32_MIN);  // 32-bit wrap-around
  EXPECT_EQ(k[6].folded, 1);
  EXPECT_EQ(k[7].folded, static_cast<int32_t>(0xC0000120u));
  EXPECT_EQ(k[8].folded, 3);
  EXPECT_EQ(k[9].folded, -4);  // arithmetic shift
  EXPECT_EQ(k[10].folded, -1);
  for (const ConstDecl& d : k) EXPECT_FALSE(d.overridden);

  auto o = check_ok(
      "const READS = 2;\nconst TWICE = READS * 2;\n"
      "queue q : parallel { EvtIoRead = R; }\n"
      "fn R(request r) { WdfRequestComplete(r, STATUS_SUCCESS); }\n"
      "environment { arrive q x TWICE; }\n",
      Defines{{"READS", 5}});
  EXPECT_TRUE(o->spec->consts[0].overridden);
  EXPECT_EQ(o->spec->consts[0].folded, 5);
  EXPECT_FALSE(o->spec->consts[1].overridden);
  EXPECT_EQ(o->spec->consts[1].folded, 10);  // uses the overridden value
  EXPECT_EQ(o->spec->environment[0].count_value, 10);
}

TEST(Sema, UndeclaredDefineIsAnError) {
  auto c = check("const READS = 2;", Defines{{"REEDS", 3}});
  EXPECT_FALSE(c->ok);
  ASSERT_EQ(c->diags.all().size(), 1U);
  EXPECT_EQ(c->diags.all()[0].id, DiagId::UnknownDefine);
  EXPECT_EQ(c->diags.all()[0].message, "-D REEDS=3: this spec declares no 'const REEDS'");
  EXPECT_EQ(c->diags.all()[0].hint, "did you mean 'READS'?");
  EXPECT_EQ(c->printed(),
            "s.spec: error: -D REEDS=3: this spec declares no 'const REEDS'; did you mean "
            "'READS'?\n");
}

TEST(Sema, ConstTypesFollowTheirValues) {
  auto c = check_ok(
      "const S = STATUS_PENDING; const B = TRUE; const I = 3; const V = RECEIVE_AND_WAIT;\n"
      "fn f(int x) { status s = S; bool b = B; int i = I; }\n"
      "thread t { f(1); }\n");
  const auto& b = fn(*c, "f").body->body;
  EXPECT_EQ(b[0]->value->type, TypeKind::Status);
  EXPECT_EQ(b[1]->value->type, TypeKind::Bool);
  EXPECT_EQ(b[2]->value->type, TypeKind::Int);
}

TEST(Sema, GlobalAndContextInitializersAreFolded) {
  auto c = check_ok(
      "const N = 3;\n"
      "global int a = N * 2;\n"
      "global int b;\n"
      "global request r = NULL;\n"
      "global status st = STATUS_PENDING;\n"
      "global bool flag = TRUE;\n"
      "symbolic int<16> sym;\n"
      "context { int refs = 1; bool done = FALSE; list<request> kids; }\n");
  const auto& g = c->spec->globals;
  EXPECT_EQ(g[0].init_value, 6);
  EXPECT_EQ(g[1].init_value, 0);
  EXPECT_EQ(g[2].init_value, 0);
  EXPECT_EQ(g[2].init->type, TypeKind::Request);
  EXPECT_EQ(g[3].init_value, 0x103);
  EXPECT_EQ(g[4].init_value, 1);
  EXPECT_TRUE(g[5].symbolic);
  EXPECT_EQ(c->spec->context[0].init_value, 1);
}

TEST(Sema, TargetsEnvironmentAndBindings) {
  auto c = check_ok(
      "const ID = 0x0100;\n"
      "target a : cancelable;\n"
      "target b : late completes {STATUS_SUCCESS, STATUS_CANCELLED, 0};\n"
      "queue q : sequential { EvtIoDefault = R; EvtIoStop = S; EvtIoCanceledOnQueue = C; }\n"
      "filter f { FilterSendNetBufferLists = FS; FilterSendNetBufferListsComplete = FC;\n"
      "           FilterCancelSendNetBufferLists = FX; }\n"
      "fn R(request r, int len) { WdfRequestComplete(r, STATUS_SUCCESS); }\n"
      "fn S(request r, int flags) { WdfRequestStopAcknowledge(r, FALSE); }\n"
      "fn C(request r) { WdfRequestComplete(r, STATUS_CANCELLED); }\n"
      "fn FS(nbl n) { }\n"
      "fn FC(nbl n, status s) { }\n"
      "fn FX(int id) { }\n"
      "environment {\n"
      "  arrive q x 2; cancel q; cancel any; stop any;\n"
      "  send f x 1 cancel_id ID; cancel_send f ID + 1;\n"
      "}\n");
  const Spec& s = *c->spec;
  EXPECT_EQ(s.targets[0].completes_values, std::vector<int64_t>{0});  // default STATUS_SUCCESS
  EXPECT_EQ(s.targets[1].completes_values,
            (std::vector<int64_t>{0, static_cast<int32_t>(0xC0000120u), 0}));
  EXPECT_EQ(s.queues[0].handlers[0].fn, 0U);
  EXPECT_EQ(s.queues[0].handlers[1].fn, 1U);
  EXPECT_EQ(s.queues[0].handlers[2].fn, 2U);
  EXPECT_EQ(s.filters[0].handlers[2].fn, 5U);
  const auto& env = s.environment;
  EXPECT_EQ(env[0].object, 0U);
  EXPECT_EQ(env[0].count_value, 2);
  EXPECT_EQ(env[1].object, 0U);
  EXPECT_EQ(env[2].object, kNone);
  EXPECT_EQ(env[4].object, 0U);
  EXPECT_EQ(env[4].count_value, 1);
  EXPECT_EQ(env[4].cancel_id_value, 0x100);
  EXPECT_EQ(env[5].cancel_id_value, 0x101);
}

TEST(Sema, HelperCallsReturnTypesAndRecursionFreeOrder) {
  auto c = check_ok(
      "global list<request> held;\n"
      "fn Count(int a) { if (a) { return a + 1; } return FALSE; }\n"  // int/bool mix -> int
      "fn Pick() { return pop(held); }\n"                             // request
      "fn IsOk(status s) { return NT_SUCCESS(s); }\n"                 // bool
      "fn Maybe(request r) { if (r == NULL) { return NULL; } return r; }\n"
      "fn Forever() { while (TRUE) { return 1; } }\n"
      "fn Nothing() { return; }\n"
      "fn Uses() {\n"
      "  int n = Count(2);\n"
      "  request r = Pick();\n"
      "  bool b = IsOk(STATUS_SUCCESS);\n"
      "  r = Maybe(r);\n"
      "  Nothing();\n"
      "}\n"
      "thread t { Uses(); }\n");
  EXPECT_EQ(fn(*c, "Count").return_type, TypeKind::Int);
  EXPECT_EQ(fn(*c, "Pick").return_type, TypeKind::Request);
  EXPECT_EQ(fn(*c, "IsOk").return_type, TypeKind::Bool);
  EXPECT_EQ(fn(*c, "Maybe").return_type, TypeKind::Request);
  EXPECT_EQ(fn(*c, "Forever").return_type, TypeKind::Int);
  EXPECT_EQ(fn(*c, "Nothing").return_type, TypeKind::Void);
  EXPECT_EQ(fn(*c, "Uses").return_type, TypeKind::Void);
  // NULL returned from a request helper is typed request.
  const Stmt& ret = *fn(*c, "Maybe").body->body[0]->then_stmt->body[0];
  EXPECT_EQ(ret.value->kind, ExprKind::Null);
  EXPECT_EQ(ret.value->type, TypeKind::Request);
  const auto& b = fn(*c, "Uses").body->body;
  EXPECT_EQ(b[0]->value->fn, 0U);
  EXPECT_FALSE(b[0]->value->api.has_value());
  EXPECT_EQ(b[0]->value->type, TypeKind::Int);
  EXPECT_EQ(b[1]->value->fn, 1U);
  EXPECT_EQ(b[1]->value->type, TypeKind::Request);
  EXPECT_EQ(b[4]->value->fn, 5U);
  EXPECT_EQ(b[4]->value->type, TypeKind::Void);
}

TEST(Sema, RecursionIsAnError) {
  Diagnostic d = one_error("fn A(int n) { B(n); } fn B(int n) { A(n); } thread t { A(1); }");
  EXPECT_EQ(d.id, DiagId::RecursiveCall);
  EXPECT_EQ(d.message,
            "recursive call from 'B' to 'A' ('A' -> 'B' -> 'A'); helpers are inlined, so "
            "recursion is not allowed");
  Diagnostic self = one_error("fn A(int n) { if (n) { A(n - 1); } } thread t { A(1); }");
  EXPECT_EQ(self.id, DiagId::RecursiveCall);
  EXPECT_EQ(self.range.begin.col, 24U);
}

TEST(Sema, ExpressionTypes) {
  auto c = check_ok(
      "global list<request> held;\n"
      "global list<nbl> nbls;\n"
      "global int counter;\n"
      "context { int refs; request peer; }\n"
      "queue q : manual { }\n"
      "fn f(request r, status st, bool b) {\n"
      "  bool x1 = r == NULL;\n"
      "  bool x2 = NULL != r;\n"
      "  int x3 = st + b * 2;\n"
      "  bool x4 = st < 0 || !b;\n"
      "  request x5 = pop(held);\n"
      "  nbl x6 = pop(nbls);\n"
      "  bool x7 = empty(held) && remove(held, r);\n"
      "  int x8 = InterlockedIncrement(&counter);\n"
      "  int x9 = InterlockedCompareExchange(&r->refs, 1, 0);\n"
      "  request x10 = r->peer;\n"
      "  status x11 = WdfIoQueueRetrieveNextRequest(q, &x10);\n"
      "  bool x12 = r->peer == x10;\n"
      "  int x13 = ~counter - -1;\n"
      "  push(held, NULL);\n"
      "  WdfRequestSetCompletionRoutine(r, NULL);\n"
      "  if (*) { }\n"
      "}\n"
      "thread t { f(NULL, STATUS_SUCCESS, TRUE); }\n");
  const auto& b = fn(*c, "f").body->body;
  auto v = [&](std::size_t i) -> const Expr& { return *b.at(i)->value; };
  EXPECT_EQ(v(0).type, TypeKind::Bool);
  EXPECT_EQ(v(0).args[1]->type, TypeKind::Request);  // NULL typed by the other side
  EXPECT_EQ(v(1).args[0]->type, TypeKind::Request);
  EXPECT_EQ(v(2).type, TypeKind::Int);
  EXPECT_EQ(v(3).type, TypeKind::Bool);
  EXPECT_EQ(v(4).type, TypeKind::Request);  // ListElem of list<request>
  EXPECT_EQ(v(4).api, ApiId::pop);
  EXPECT_EQ(v(5).type, TypeKind::Nbl);
  EXPECT_EQ(v(6).type, TypeKind::Bool);
  EXPECT_EQ(v(7).type, TypeKind::Int);
  const Expr& addr = *v(7).args[0];
  EXPECT_EQ(addr.kind, ExprKind::AddrOf);
  EXPECT_EQ(addr.type, TypeKind::RefInt);
  EXPECT_EQ(addr.sym.kind, SymbolKind::Global);  // AddrOf of a Name copies its symbol
  const Expr& addr_member = *v(8).args[0];
  EXPECT_EQ(addr_member.type, TypeKind::RefInt);
  EXPECT_EQ(addr_member.sym.kind, SymbolKind::Unresolved);
  EXPECT_EQ(addr_member.args[0]->kind, ExprKind::Member);
  EXPECT_EQ(addr_member.args[0]->field, 0U);
  EXPECT_EQ(addr_member.args[0]->type, TypeKind::Int);
  EXPECT_EQ(addr_member.args[0]->args[0]->sym.kind, SymbolKind::Local);
  EXPECT_EQ(v(9).kind, ExprKind::Member);
  EXPECT_EQ(v(9).field, 1U);
  EXPECT_EQ(v(9).type, TypeKind::Request);
  EXPECT_EQ(v(10).type, TypeKind::Status);
  EXPECT_EQ(v(10).args[1]->type, TypeKind::RefRequest);
  EXPECT_EQ(v(10).args[1]->sym.kind, SymbolKind::Local);
  EXPECT_EQ(v(11).type, TypeKind::Bool);
  EXPECT_EQ(v(12).type, TypeKind::Int);
  EXPECT_EQ(v(13).args[1]->type, TypeKind::Request);  // NULL pushed onto list<request>
  EXPECT_EQ(v(14).args[1]->kind, ExprKind::Null);
  EXPECT_EQ(v(14).args[1]->type, TypeKind::Fn);  // clears the completion routine
  EXPECT_EQ(b.at(15)->cond->type, TypeKind::Bool);
  EXPECT_EQ(b.at(15)->cond->kind, ExprKind::Nondet);
  // NULL as a helper argument takes the parameter's type.
  EXPECT_EQ(fn(*c, "t").body->body[0]->value->args[0]->type, TypeKind::Request);
}

TEST(Sema, SymbolicFlags) {
  auto c = check_ok(
      "symbolic int<8> partial;\n"
      "global int plain;\n"
      "fn f() {\n"
      "  symbolic int<4> s;\n"
      "  int a = partial + 1;\n"
      "  int b = plain + 1;\n"
      "  int c = s << 2;\n"
      "  int d = NdisGeneratePartialCancelId();\n"
      "  assert(a != b);\n"
      "}\n"
      "thread t { f(); }\n");
  const auto& b = fn(*c, "f").body->body;
  EXPECT_TRUE(b[1]->value->symbolic);
  EXPECT_TRUE(b[1]->value->args[0]->symbolic);
  EXPECT_FALSE(b[1]->value->args[1]->symbolic);
  EXPECT_FALSE(b[2]->value->symbolic);
  EXPECT_TRUE(b[3]->value->symbolic);
  EXPECT_TRUE(b[4]->value->symbolic);
  EXPECT_FALSE(b[5]->value->symbolic);  // a is not declared symbolic: no data flow here
  EXPECT_TRUE(c->spec->globals[0].symbolic);
  EXPECT_EQ(c->spec->globals[0].width, 8U);
}

TEST(Sema, CPermissiveNumbersStrictHandles) {
  check_ok(
      "fn f(int i, status s, bool b) {\n"
      "  i = s; s = i; b = i; i = b; s = b;\n"
      "  if (i) { } if (s) { } if (b) { } while (i && s || b) { break; }\n"
      "  assert(i); assume(s == STATUS_SUCCESS);\n"
      "  WdfRequestStopAcknowledge(NULL, i);\n"
      "}\n"
      "thread t { f(1, 2, 3); }\n");
  EXPECT_EQ(one_error("fn f(request r, nbl n) { r = n; } thread t { f(NULL, NULL); }").id,
            DiagId::TypeMismatch);
  EXPECT_EQ(one_error("fn f(request r) { if (r) { } } thread t { f(NULL); }").id,
            DiagId::InvalidCondition);
  EXPECT_EQ(
      one_error("fn f(request r, task k) { bool x = r == k; } thread t { f(NULL, NULL); }").id,
      DiagId::InvalidOperands);
  EXPECT_EQ(one_error("queue q : manual { } fn f(request r) { WdfRequestSend(r, q); }"
                      " thread t { f(NULL); }")
                .id,
            DiagId::ArgumentType);
}

TEST(Sema, CallbackSignaturesByRole) {
  // Every role with its accepted signature.
  check_ok(
      "queue q : parallel { EvtIoDefault = D; EvtIoRead = R1; EvtIoWrite = R2;\n"
      "  EvtIoDeviceControl = R2; EvtIoStop = S; EvtIoCanceledOnQueue = C; }\n"
      "timer tm = T;\n"
      "fn D(request r) { WdfRequestSetCompletionRoutine(r, Done);\n"
      "  WdfRequestMarkCancelable(r, Cancel); WdfRequestMarkCancelableEx(r, Cancel); }\n"
      "fn R1(request r) { }\n"
      "fn R2(request r, int length) { }\n"
      "fn S(request r, int flags) { }\n"
      "fn C(request r) { }\n"
      "fn T() { }\n"
      "fn Done(request r, status st) { }\n"
      "fn Cancel(request r) { }\n");
  Diagnostic d = one_error("queue q : parallel { EvtIoRead = R; } fn R(int x) { }");
  EXPECT_EQ(d.id, DiagId::CallbackSignature);
  EXPECT_EQ(d.message,
            "'R' does not fit EvtIoRead, which takes (request [, int length]); 'R' takes (int x)");
  EXPECT_EQ(d.range.begin.col, 34U);
  Diagnostic ret = one_error("timer t = T; fn T() { return 1; }");
  EXPECT_EQ(ret.message,
            "'T' is used as a timer, DPC, work item or interrupt callback, so it must not return a "
            "value (it returns 'int')");
  Diagnostic comp = one_error(
      "queue q : parallel { EvtIoRead = R; }\n"
      "fn R(request r) { WdfRequestSetCompletionRoutine(r, R); }");
  EXPECT_EQ(
      comp.message,
      "'R' does not fit a completion routine, which takes (request, status [, request context]); "
      "'R' takes "
      "(request r)");
  EXPECT_EQ(comp.range.begin.line, 2U);
  EXPECT_EQ(comp.range.begin.col, 53U);  // EvtUsbTargetPipeReadersFailed answers TRUE (restart) or
                                         // FALSE: it must return a bool.
  Diagnostic failed = one_error(
      "target p : cancelable;\n"
      "thread T { WdfUsbTargetPipeConfigContinuousReader(p, C, F); }\n"
      "fn C() { }\nfn F(status s) { }");
  EXPECT_EQ(failed.message,
            "'F' is used as EvtUsbTargetPipeReadersFailed, so it must return a bool (TRUE "
            "restarts the reader)");
}

TEST(Sema, NdisRolesPauseLinesAndTpVerbs) {
  auto c = check_ok(
      "protocol p { ProtocolSendNetBufferListsComplete = Done; }\n"
      "miniport m { MiniportSendNetBufferLists = Send; MiniportCancelSend = Cancel; }\n"
      "filter f { FilterPause = Pause; FilterRestart = Restart; }\n"
      "miniport nic : pending;\n"
      "conversation cv;\n"
      "fn Done(nbl n, status st) { }\n"
      "fn Send(nbl n) { }\n"
      "fn Cancel(int id) { }\n"
      "fn Pause() { NdisFPauseComplete(f); }\n"
      "fn Restart() { }\n"
      "thread T { task t = WinAsyncAPPC(vcb_alloc(), TP_STARTED); }\n"
      "environment { send m x 1 cancel_id 1; cancel_send m 1; pause f; }\n");
  ASSERT_EQ(c->spec->filters.size(), 3U);
  EXPECT_EQ(c->spec->filters[0].role, NdisRole::Protocol);
  EXPECT_EQ(c->spec->filters[1].role, NdisRole::Miniport);
  EXPECT_EQ(c->spec->filters[2].role, NdisRole::Filter);
  ASSERT_EQ(c->spec->miniports.size(), 1U);  // `miniport m { ... }` is a driver, not below
  EXPECT_EQ(c->spec->environment[2].kind, EnvKind::Pause);
  EXPECT_EQ(c->spec->environment[2].object, 2U);
  // Each role has its own callbacks; `pause` names a filter; `send` never names a protocol.
  EXPECT_EQ(one_error("filter f { MiniportCancelSend = C; } fn C(int id) { }").id,
            DiagId::UnknownHandler);
  Diagnostic pause = one_error(
      "protocol p { ProtocolSendNetBufferListsComplete = D; } fn D(nbl n, status st) { }\n"
      "environment { pause p; }");
  EXPECT_EQ(pause.id, DiagId::WrongKind);
  EXPECT_EQ(pause.message, "'pause' names a filter, but 'p' is a protocol");
  Diagnostic send = one_error(
      "protocol p { ProtocolSendNetBufferListsComplete = D; } fn D(nbl n, status st) { }\n"
      "environment { send p x 1; }");
  EXPECT_EQ(send.message, "'send' names a filter or a miniport driver, but 'p' is a protocol");
  // Only a transaction-program verb may omit the conversation.
  Diagnostic verb = one_error("thread T { task t = WinAsyncAPPC(vcb_alloc(), SEND_DATA); }");
  EXPECT_EQ(verb.id, DiagId::ArgumentCount);
}

TEST(Sema, BreakContinueAndLoops) {
  check_ok(
      "global list<request> l; fn f() { while (*) { if (*) { break; } continue; }\n"
      "  for (r in l) { break; } }\nthread t { f(); }");
  EXPECT_EQ(one_error("fn f() { continue; } thread t { f(); }").id, DiagId::BreakOutsideLoop);
}

TEST(Sema, UnknownNamesSuggestCloseOnes) {
  Diagnostic d = one_error("fn f(int count) { int total = count; totl = 1; } thread t { f(1); }");
  EXPECT_EQ(d.id, DiagId::UnknownIdentifier);
  EXPECT_EQ(d.message, "unknown identifier 'totl'");
  EXPECT_EQ(d.hint, "did you mean 'total'?");
  auto c = check("fn f() { WdfRequestCompelte(NULL, 0); } fn Helperr() { }");
  ASSERT_FALSE(c->diags.all().empty());
  EXPECT_EQ(c->diags.all()[0].hint, "did you mean 'WdfRequestComplete'?");
  auto h = check("fn f() { Helper(); } fn Helperr() { } thread t { f(); }");
  EXPECT_EQ(h->diags.all()[0].hint, "did you mean 'Helperr'?");
}

TEST(Sema, WarningsOnlyWithoutErrors) {
  auto c = check("fn Unused() { } fn Used() { 1; } thread t { Used(); }");
  EXPECT_TRUE(c->ok);
  ASSERT_EQ(c->diags.all().size(), 2U) << c->printed();
  EXPECT_EQ(c->diags.all()[0].id, DiagId::UnusedValue);
  EXPECT_EQ(c->diags.all()[1].id, DiagId::UnusedFunction);
  auto e = check("fn Unused() { } thread t { x = 1; }");
  for (const Diagnostic& d : e->diags.all()) EXPECT_NE(d.id, DiagId::UnusedFunction);
}

TEST(Sema, ParseErrorPlaceholdersAreSilent) {
  // The expression after '=' failed to parse; sema must not add follow-on errors for it.
  auto c = check("global int g = ;\nfn f() { int x = (; g = x; }\nthread t { f(); }");
  EXPECT_EQ(c->diags.error_count(), 2U) << c->printed();
}

TEST(Sema, HostileSpecsDoNotCrashTheChecker) {
  // Long chains the parser accepts: constants through constants, calls through helpers.
  std::string consts;
  for (int i = 0; i < 5000; ++i)
    consts += "const C" + std::to_string(i) + " = C" + std::to_string(i + 1) + " + 1;\n";
  consts += "const C5000 = 0;\n";
  auto c = check(consts);
  bool deep = false;
  for (const Diagnostic& d : c->diags.all()) deep |= d.id == DiagId::NestingTooDeep;
  EXPECT_TRUE(deep) << c->printed().substr(0, 500);
  std::string fns;
  for (int i = 0; i < 5000; ++i)
    fns += "fn F" + std::to_string(i) + "() { F" + std::to_string(i + 1) + "(); }\n";
  fns += "fn F5000() { F0(); }\nthread t { F0(); }\n";
  auto r = check(fns);
  bool recursion = false;
  for (const Diagnostic& d : r->diags.all()) recursion |= d.id == DiagId::RecursiveCall;
  EXPECT_TRUE(recursion);
  std::string ok_chain;
  for (int i = 0; i < 3000; ++i)
    ok_chain += "fn G" + std::to_string(i) + "() { G" + std::to_string(i + 1) + "(); }\n";
  ok_chain += "fn G3000() { }\nthread t { G0(); }\n";
  check_ok(ok_chain);
}

}  // namespace
}  // namespace cc
