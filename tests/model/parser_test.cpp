// Parser: every construct to the expected AST, ranges, error recovery, hostile inputs, and
// the spec corpus (specs/**/*.spec) loading without errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model/frontend.h"
#include "model/lexer.h"

namespace cc {
namespace {

using namespace ast;

struct Parsed {
  SourceManager sm;
  Diagnostics diags;
  std::unique_ptr<Spec> spec;
  std::string printed() const {
    std::ostringstream out;
    diags.print(out, sm, false);
    return out.str();
  }
};

std::unique_ptr<Parsed> parse(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  FileId f = p->sm.add("p.spec", text);
  p->spec = parse_spec(p->sm, f, p->diags);
  return p;
}

/// Parses and expects no syntax errors.
std::unique_ptr<Parsed> parse_ok(const std::string& text) {
  auto p = parse(text);
  EXPECT_FALSE(p->diags.has_errors()) << p->printed();
  EXPECT_NE(p->spec, nullptr);
  return p;
}

/// S-expression of an expression tree, for structure checks.
std::string sexp(const Expr* e) {
  if (!e) return "<null>";
  switch (e->kind) {
    case ExprKind::IntLit:
      return std::to_string(e->int_value);
    case ExprKind::BoolLit:
      return e->int_value ? "TRUE" : "FALSE";
    case ExprKind::Null:
      return "NULL";
    case ExprKind::Nondet:
      return "*";
    case ExprKind::Name:
      return e->name.empty() ? "<error>" : e->name;
    case ExprKind::Member:
      return "(-> " + sexp(e->args[0].get()) + " " + e->name + ")";
    case ExprKind::AddrOf:
      return "(& " + sexp(e->args[0].get()) + ")";
    case ExprKind::Unary: {
      std::string op = e->uop == UnaryOp::Not ? "!" : e->uop == UnaryOp::Neg ? "neg" : "~";
      return "(" + op + " " + sexp(e->args[0].get()) + ")";
    }
    case ExprKind::Binary:
      return "(" + std::string(binary_op_text(e->bop)) + " " + sexp(e->args[0].get()) + " " +
             sexp(e->args[1].get()) + ")";
    case ExprKind::Call: {
      std::string s = "(call " + e->name;
      for (const ExprPtr& a : e->args) s += " " + sexp(a.get());
      return s + ")";
    }
  }
  return "?";
}

/// The expression of `const X = <text>;`.
std::string expr_of(const std::string& text) {
  auto p = parse_ok("const X = " + text + ";");
  if (!p->spec || p->spec->consts.empty()) return "<none>";
  return sexp(p->spec->consts[0].value.get());
}

/// The statements of `fn f() { <body> }`.
const std::vector<StmtPtr>& body_of(const Parsed& p) {
  return p.spec->fns.at(0).body->body;
}

const char* kDesignExample = R"(// kmdf_fx2 bulk read: EvtIoStop cancels the request it sent down.
spec "kmdf_fx2 read path with EvtIoStop purge";

const READS = 2;                       // overridable: cancelcheck check -D READS=3

device fx2 {
  queue reads : parallel {             // sequential | parallel | manual
    EvtIoRead = OnRead;
    EvtIoStop = OnStop;
  }
}

target pipe : cancelable;              // how the lower driver behaves (semantics.md §2)

fn OnRead(request req) {
  WdfRequestSetCompletionRoutine(req, OnReadComplete);
  if (!WdfRequestSend(req, pipe)) {
    WdfRequestComplete(req, WdfRequestGetStatus(req));
  }
}

fn OnReadComplete(request req, status st) {
  WdfRequestComplete(req, st);
}

fn OnStop(request req, int flags) {
  if (flags & WdfRequestStopActionSuspend) {
    WdfRequestStopAcknowledge(req, FALSE);
  } else if (flags & WdfRequestStopActionPurge) {
    WdfRequestCancelSentRequest(req);
  }
}

environment {
  arrive reads x READS;                // READS requests arrive at `reads`
  cancel any;                          // the originator may cancel any of them at any moment
  stop purge;                          // the device may be removed once
}
)";

TEST(Parser, DesignDocumentExample) {
  auto p = parse_ok(kDesignExample);
  const Spec& s = *p->spec;
  EXPECT_EQ(s.title, "kmdf_fx2 read path with EvtIoStop purge");
  EXPECT_EQ(s.title_range.begin.line, 2U);
  ASSERT_EQ(s.consts.size(), 1U);
  EXPECT_EQ(s.consts[0].name, "READS");
  ASSERT_EQ(s.devices.size(), 1U);
  EXPECT_EQ(s.devices[0].name, "fx2");
  EXPECT_FALSE(s.devices[0].implicit);
  ASSERT_EQ(s.queues.size(), 1U);
  EXPECT_EQ(s.queues[0].name, "reads");
  EXPECT_EQ(s.queues[0].dispatch, Dispatch::Parallel);
  EXPECT_EQ(s.queues[0].device, 0U);
  EXPECT_EQ(s.devices[0].queues, std::vector<uint32_t>{0});
  ASSERT_EQ(s.queues[0].handlers.size(), 2U);
  EXPECT_EQ(s.queues[0].handlers[0].handler, "EvtIoRead");
  EXPECT_EQ(s.queues[0].handlers[0].fn_name, "OnRead");
  EXPECT_EQ(s.queues[0].handlers[0].range.begin.line, 8U);
  EXPECT_EQ(s.queues[0].handlers[0].range.begin.col, 5U);
  EXPECT_EQ(s.queues[0].handlers[0].fn_range.begin.col, 17U);
  ASSERT_EQ(s.targets.size(), 1U);
  EXPECT_EQ(s.targets[0].behaviour, TargetBehaviour::Cancelable);
  ASSERT_EQ(s.fns.size(), 3U);
  EXPECT_EQ(s.fns[2].name, "OnStop");
  EXPECT_EQ(s.fns[2].param_count, 2U);
  ASSERT_EQ(s.environment.size(), 3U);
  EXPECT_EQ(s.environment[0].kind, EnvKind::Arrive);
  EXPECT_EQ(s.environment[0].object_name, "reads");
  EXPECT_EQ(sexp(s.environment[0].count.get()), "READS");
  EXPECT_EQ(s.environment[1].kind, EnvKind::Cancel);
  EXPECT_TRUE(s.environment[1].any);
  EXPECT_EQ(s.environment[2].kind, EnvKind::Stop);
  EXPECT_EQ(s.environment[2].stop, StopKind::Purge);
  EXPECT_EQ(s.environment_range.begin.line, 34U);
  // The else-if chain: If with an If in else_stmt.
  const Stmt& outer = *s.fns[2].body->body.at(0);
  EXPECT_EQ(outer.kind, StmtKind::If);
  EXPECT_EQ(sexp(outer.cond.get()), "(& flags WdfRequestStopActionSuspend)");
  ASSERT_NE(outer.else_stmt, nullptr);
  EXPECT_EQ(outer.else_stmt->kind, StmtKind::If);
  EXPECT_EQ(outer.else_stmt->else_stmt, nullptr);
}

TEST(Parser, EmptyFileGivesAnEmptySpec) {
  auto p = parse_ok("");
  EXPECT_TRUE(p->spec->fns.empty());
  EXPECT_TRUE(p->spec->title.empty());
  auto c = parse_ok("// nothing but a comment\n/* and a block */\n");
  EXPECT_TRUE(c->spec->consts.empty());
}

TEST(Parser, DevicesAndQueues) {
  auto p = parse_ok(
      "device d1 : sync_device { queue a : sequential { EvtIoDefault = f; } queue b : manual { } "
      "}\n"
      "queue top1 : parallel power_managed { EvtIoWrite = f; EvtIoDeviceControl = g; }\n"
      "queue top2 : manual not_power_managed { EvtIoCanceledOnQueue = h; }\n"
      "device f : filter sync_device { queue c : manual { } }\n"
      "option sdv_strict;\n");
  const Spec& s = *p->spec;
  ASSERT_EQ(s.devices.size(), 3U);
  EXPECT_TRUE(s.devices[2].filter);
  EXPECT_TRUE(s.devices[2].sync_device);
  EXPECT_FALSE(s.devices[0].filter);
  EXPECT_TRUE(s.sdv_strict);
  EXPECT_TRUE(s.devices[0].sync_device);
  EXPECT_EQ(s.devices[0].queues, (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(s.devices[1].implicit);
  EXPECT_EQ(s.devices[1].queues, (std::vector<uint32_t>{2, 3}));  // one implicit device
  ASSERT_EQ(s.queues.size(), 5U);
  EXPECT_EQ(s.queues[0].dispatch, Dispatch::Sequential);
  EXPECT_EQ(s.queues[1].dispatch, Dispatch::Manual);
  // As written; sema resolves the default (tests/model/sema_test.cpp).
  EXPECT_FALSE(s.queues[0].power_managed_decl.has_value());
  EXPECT_EQ(s.queues[2].power_managed_decl, std::optional<bool>(true));
  EXPECT_EQ(s.queues[3].power_managed_decl, std::optional<bool>(false));
  EXPECT_EQ(s.queues[2].device, 1U);
  EXPECT_EQ(s.queues[3].device, 1U);
  EXPECT_EQ(s.queues[2].handlers.size(), 2U);
  EXPECT_EQ(s.queues[3].handlers[0].handler, "EvtIoCanceledOnQueue");
}

TEST(Parser, TargetsRequestsAndSimpleObjects) {
  auto p = parse_ok(
      "target a : cancelable;\n"
      "target b : uncancelable may_fail;\n"
      "target c : pending completes {STATUS_SUCCESS, STATUS_CANCELLED};\n"
      "target d : late completes {STATUS_IO_TIMEOUT} may_fail;\n"
      "request r = WdfRequestCreate(a);\n"
      "lock L; event E;\n"
      "timer t1 = OnTimer;\n"
      "timer t2 = OnTimer manual;\n"
      "miniport m1 : cancelable; miniport m2 : uncancelable; miniport m3;\n"
      "conversation c1; conversation c2 : partner_may_not_answer;\n");
  const Spec& s = *p->spec;
  ASSERT_EQ(s.targets.size(), 4U);
  EXPECT_EQ(s.targets[1].behaviour, TargetBehaviour::Uncancelable);
  EXPECT_TRUE(s.targets[1].may_fail);
  EXPECT_FALSE(s.targets[0].may_fail);
  EXPECT_EQ(s.targets[2].behaviour, TargetBehaviour::Pending);
  EXPECT_EQ(s.targets[2].completes.size(), 2U);
  EXPECT_EQ(s.targets[3].behaviour, TargetBehaviour::Late);
  EXPECT_TRUE(s.targets[3].may_fail);
  ASSERT_EQ(s.requests.size(), 1U);
  EXPECT_EQ(s.requests[0].target_name, "a");
  EXPECT_EQ(s.requests[0].target_range.begin.col, 30U);
  EXPECT_EQ(s.locks.size(), 1U);
  EXPECT_EQ(s.events[0].name, "E");
  ASSERT_EQ(s.timers.size(), 2U);
  EXPECT_EQ(s.timers[0].fn_name, "OnTimer");
  EXPECT_FALSE(s.timers[0].manual);
  EXPECT_TRUE(s.timers[1].manual);
  ASSERT_EQ(s.miniports.size(), 3U);
  EXPECT_TRUE(s.miniports[0].cancelable);
  EXPECT_FALSE(s.miniports[1].cancelable);
  EXPECT_TRUE(s.miniports[2].cancelable);
  EXPECT_FALSE(s.conversations[0].partner_may_not_answer);
  EXPECT_TRUE(s.conversations[1].partner_may_not_answer);
}

TEST(Parser, GlobalsSymbolicsAndContext) {
  auto p = parse_ok(
      "global int n = 3;\n"
      "global bool stopping;\n"
      "global request cur = NULL;\n"
      "global list<request> held;\n"
      "global list<nbl> nbls;\n"
      "global status st = STATUS_PENDING;\n"
      "global task tk; global vcb v; global nbl one;\n"
      "symbolic int<8> partial;\n"
      "context { int refs = 1; bool done; list<request> children; }\n"
      "context { status last; }\n");
  const Spec& s = *p->spec;
  ASSERT_EQ(s.globals.size(), 10U);
  EXPECT_EQ(s.globals[0].type, TypeKind::Int);
  EXPECT_EQ(sexp(s.globals[0].init.get()), "3");
  EXPECT_EQ(s.globals[1].init, nullptr);
  EXPECT_EQ(s.globals[2].type, TypeKind::Request);
  EXPECT_EQ(s.globals[3].type, TypeKind::ListRequest);
  EXPECT_EQ(s.globals[4].type, TypeKind::ListNbl);
  EXPECT_EQ(s.globals[5].type, TypeKind::Status);
  EXPECT_EQ(s.globals[6].type, TypeKind::Task);
  EXPECT_EQ(s.globals[7].type, TypeKind::Vcb);
  EXPECT_EQ(s.globals[8].type, TypeKind::Nbl);
  EXPECT_TRUE(s.globals[9].symbolic);
  EXPECT_EQ(s.globals[9].width, 8U);
  EXPECT_EQ(s.globals[9].type, TypeKind::Int);
  EXPECT_EQ(s.globals[9].name, "partial");
  ASSERT_EQ(s.context.size(), 4U);  // several context blocks merge
  EXPECT_EQ(s.context[0].name, "refs");
  EXPECT_EQ(s.context[2].type, TypeKind::ListRequest);
  EXPECT_EQ(s.context[3].type, TypeKind::Status);
}

TEST(Parser, FunctionsThreadsAndFilters) {
  auto p = parse_ok(
      "fn NoParams() { }\n"
      "fn Two(request r, status st) { }\n"
      "thread worker { int x = 1; }\n"
      "filter flt { FilterSendNetBufferLists = S; FilterSendNetBufferListsComplete = C;\n"
      "             FilterCancelSendNetBufferLists = X; }\n");
  const Spec& s = *p->spec;
  ASSERT_EQ(s.fns.size(), 2U);
  EXPECT_EQ(s.fns[0].param_count, 0U);
  EXPECT_EQ(s.fns[1].param_count, 2U);
  ASSERT_EQ(s.fns[1].locals.size(), 2U);
  EXPECT_EQ(s.fns[1].locals[0].name, "r");
  EXPECT_EQ(s.fns[1].locals[0].type, TypeKind::Request);
  EXPECT_EQ(s.fns[1].locals[1].type, TypeKind::Status);
  EXPECT_EQ(s.fns[1].locals[1].range.begin.col, 26U);
  EXPECT_EQ(s.fns[1].range.begin.col, 4U);
  EXPECT_EQ(s.fns[1].range.length, 3U);
  ASSERT_EQ(s.threads.size(), 1U);
  EXPECT_EQ(s.threads[0].name, "worker");
  EXPECT_EQ(s.threads[0].param_count, 0U);
  EXPECT_EQ(s.threads[0].body->body.size(), 1U);
  ASSERT_EQ(s.filters.size(), 1U);
  ASSERT_EQ(s.filters[0].handlers.size(), 3U);
  EXPECT_EQ(s.filters[0].handlers[2].handler, "FilterCancelSendNetBufferLists");
  EXPECT_EQ(s.filters[0].handlers[2].fn_name, "X");
}

TEST(Parser, Environment) {
  auto p = parse_ok(
      "environment {\n"
      "  arrive q x 3;\n"
      "  cancel any;\n"
      "  cancel q;\n"
      "  stop suspend; stop purge; stop any;\n"
      "  send f x N cancel_id 0x0100;\n"
      "  send f x 1;\n"
      "  cancel_send f 0x0100;\n"
      "  send f x 2 chain;\n"
      "  pause f;\n"
      "}\n");
  const auto& env = p->spec->environment;
  ASSERT_EQ(env.size(), 11U);
  EXPECT_FALSE(env[6].chain);
  EXPECT_TRUE(env[9].chain);
  EXPECT_EQ(env[10].kind, EnvKind::Pause);
  EXPECT_EQ(env[10].object_name, "f");
  EXPECT_EQ(env[0].kind, EnvKind::Arrive);
  EXPECT_EQ(env[0].object_range.begin.col, 10U);
  EXPECT_EQ(env[0].range.begin.col, 3U);
  EXPECT_EQ(env[0].range.length, 13U);
  EXPECT_EQ(env[2].kind, EnvKind::Cancel);
  EXPECT_FALSE(env[2].any);
  EXPECT_EQ(env[2].object_name, "q");
  EXPECT_EQ(env[3].stop, StopKind::Suspend);
  EXPECT_EQ(env[4].stop, StopKind::Purge);
  EXPECT_EQ(env[5].stop, StopKind::Any);
  EXPECT_EQ(env[6].kind, EnvKind::Send);
  EXPECT_EQ(sexp(env[6].count.get()), "N");
  EXPECT_EQ(sexp(env[6].cancel_id.get()), "256");
  EXPECT_EQ(env[7].cancel_id, nullptr);
  EXPECT_EQ(env[8].kind, EnvKind::CancelSend);
  EXPECT_EQ(env[8].object_name, "f");
  EXPECT_EQ(sexp(env[8].cancel_id.get()), "256");
}

TEST(Parser, Statements) {
  auto p = parse_ok(
      "fn f(request req) {\n"
      "  int x = 1;\n"                                // 0 VarDecl
      "  request r;\n"                                // 1 VarDecl, no init
      "  symbolic int<4> s;\n"                        // 2 SymbolicDecl
      "  x = x + 1;\n"                                // 3 Assign
      "  req->count = 2;\n"                           // 4 Assign to Member
      "  if (x) { } else { }\n"                       // 5 If/else
      "  if (*) x = 2;\n"                             // 6 If(*)
      "  while (x < 3) { x = x + 1; }\n"              // 7 While
      "  while (*) { break; continue; }\n"            // 8 While(*)
      "  for (e in l) { }\n"                          // 9 ForIn
      "  for (request e2 in l) { }\n"                 // 10 ForIn typed
      "  atomic { x = 1; x = 2; }\n"                  // 11 Atomic
      "  { int y; }\n"                                // 12 Block
      "  ;\n"                                         // 13 empty statement
      "  WdfRequestComplete(req, STATUS_SUCCESS);\n"  // 14 ExprStmt
      "  assert(x == 2);\n"                           // 15 ExprStmt
      "  return;\n"                                   // 16 Return
      "  return x;\n"                                 // 17 Return value
      "  list<request> mine;\n"                       // 18 VarDecl list
      "  status status = STATUS_SUCCESS;\n"           // 19 type names are contextual
      "}\n");
  const auto& b = body_of(*p);
  ASSERT_EQ(b.size(), 20U);
  EXPECT_EQ(b[0]->kind, StmtKind::VarDecl);
  EXPECT_EQ(b[0]->name, "x");
  EXPECT_EQ(b[0]->decl_type, TypeKind::Int);
  EXPECT_EQ(sexp(b[0]->value.get()), "1");
  EXPECT_EQ(b[0]->range.begin.line, 2U);
  EXPECT_EQ(b[0]->range.begin.col, 3U);
  EXPECT_EQ(b[0]->range.length, 10U);
  EXPECT_EQ(b[1]->value, nullptr);
  EXPECT_EQ(b[1]->decl_type, TypeKind::Request);
  EXPECT_EQ(b[2]->kind, StmtKind::SymbolicDecl);
  EXPECT_EQ(b[2]->width, 4U);
  EXPECT_EQ(b[2]->name, "s");
  EXPECT_EQ(b[3]->kind, StmtKind::Assign);
  EXPECT_EQ(sexp(b[3]->target.get()), "x");
  EXPECT_EQ(sexp(b[3]->value.get()), "(+ x 1)");
  EXPECT_EQ(sexp(b[4]->target.get()), "(-> req count)");
  EXPECT_EQ(b[5]->kind, StmtKind::If);
  EXPECT_NE(b[5]->else_stmt, nullptr);
  EXPECT_EQ(b[6]->cond->kind, ExprKind::Nondet);
  EXPECT_EQ(b[6]->then_stmt->kind, StmtKind::Assign);
  EXPECT_EQ(b[6]->else_stmt, nullptr);
  EXPECT_EQ(b[7]->kind, StmtKind::While);
  ASSERT_EQ(b[7]->body.size(), 1U);
  EXPECT_EQ(b[7]->body[0]->kind, StmtKind::Block);
  EXPECT_EQ(b[8]->cond->kind, ExprKind::Nondet);
  EXPECT_EQ(b[8]->body[0]->body[0]->kind, StmtKind::Break);
  EXPECT_EQ(b[8]->body[0]->body[1]->kind, StmtKind::Continue);
  EXPECT_EQ(b[9]->kind, StmtKind::ForIn);
  EXPECT_EQ(b[9]->name, "e");
  EXPECT_EQ(b[9]->decl_type, TypeKind::Error);  // untyped: sema fills the element type
  EXPECT_EQ(sexp(b[9]->value.get()), "l");
  EXPECT_EQ(b[10]->decl_type, TypeKind::Request);
  EXPECT_EQ(b[11]->kind, StmtKind::Atomic);
  EXPECT_EQ(b[11]->body.size(), 2U);
  EXPECT_EQ(b[12]->kind, StmtKind::Block);
  EXPECT_EQ(b[13]->kind, StmtKind::Block);
  EXPECT_TRUE(b[13]->body.empty());
  EXPECT_EQ(b[14]->kind, StmtKind::ExprStmt);
  EXPECT_EQ(sexp(b[14]->value.get()), "(call WdfRequestComplete req STATUS_SUCCESS)");
  EXPECT_EQ(sexp(b[15]->value.get()), "(call assert (== x 2))");
  EXPECT_EQ(b[16]->kind, StmtKind::Return);
  EXPECT_EQ(b[16]->value, nullptr);
  EXPECT_EQ(sexp(b[17]->value.get()), "x");
  EXPECT_EQ(b[18]->decl_type, TypeKind::ListRequest);
  EXPECT_EQ(b[19]->name, "status");
  EXPECT_EQ(b[19]->decl_type, TypeKind::Status);
}

TEST(Parser, PrecedenceFollowsC) {
  EXPECT_EQ(expr_of("1 + 2 * 3"), "(+ 1 (* 2 3))");
  EXPECT_EQ(expr_of("1 - 2 - 3"), "(- (- 1 2) 3)");
  EXPECT_EQ(expr_of("a || b && c"), "(|| a (&& b c))");
  EXPECT_EQ(expr_of("a && b || c"), "(|| (&& a b) c)");
  EXPECT_EQ(expr_of("a | b ^ c & d"), "(| a (^ b (& c d)))");
  EXPECT_EQ(expr_of("a & b == c"), "(& a (== b c))");
  EXPECT_EQ(expr_of("a == b < c"), "(== a (< b c))");
  EXPECT_EQ(expr_of("a < b << c"), "(< a (<< b c))");
  EXPECT_EQ(expr_of("a << b + c"), "(<< a (+ b c))");
  EXPECT_EQ(expr_of("a >> 1 >= b != c"), "(!= (>= (>> a 1) b) c)");
  EXPECT_EQ(expr_of("a <= b"), "(<= a b)");
  EXPECT_EQ(expr_of("a > b"), "(> a b)");
  EXPECT_EQ(expr_of("(1 + 2) * 3"), "(* (+ 1 2) 3)");
  EXPECT_EQ(expr_of("!a && -b == ~c"), "(&& (! a) (== (neg b) (~ c)))");
  EXPECT_EQ(expr_of("- - 1"), "(neg (neg 1))");
  EXPECT_EQ(expr_of("!f(1, g(2)) + x->y->z"), "(+ (! (call f 1 (call g 2))) (-> (-> x y) z))");
  EXPECT_EQ(expr_of("&x"), "(& x)");
  EXPECT_EQ(expr_of("&r->refs"), "(& (-> r refs))");
  EXPECT_EQ(expr_of("NULL"), "NULL");
  EXPECT_EQ(expr_of("TRUE != FALSE"), "(!= TRUE FALSE)");
  EXPECT_EQ(expr_of("0x10 + 0xFFFFFFFF"), "(+ 16 -1)");
  EXPECT_EQ(expr_of("f()"), "(call f)");
}

TEST(Parser, ExpressionRanges) {
  auto p = parse_ok("fn f() {\n  x = foo(a, b) + c->d;\n  y = a +\n    b;\n}\n");
  const auto& b = body_of(*p);
  const Expr& sum = *b[0]->value;
  EXPECT_EQ(sum.range.begin.col, 7U);
  EXPECT_EQ(sum.range.length, 16U);          // "foo(a, b) + c->d"
  EXPECT_EQ(sum.args[0]->range.length, 9U);  // "foo(a, b)"
  EXPECT_EQ(sum.args[1]->range.begin.col, 19U);
  EXPECT_EQ(sum.args[1]->range.length, 4U);  // "c->d"
  // A multi-line expression's range runs to the end of its first line.
  const Expr& split = *b[1]->value;
  EXPECT_EQ(split.range.begin.line, 3U);
  EXPECT_EQ(split.range.begin.col, 7U);
  EXPECT_EQ(split.range.length, 3U);
  EXPECT_EQ(b[0]->range.length, 21U);  // the whole statement
}

TEST(Parser, KeywordsAreContextual) {
  auto p = parse_ok(
      "global int status;\n"
      "global int x;\n"
      "fn f(int lock, int any) { int queue = lock + any; status = queue; }\n"
      "environment { arrive x x 1; }\n");
  EXPECT_EQ(p->spec->globals[0].name, "status");
  EXPECT_EQ(p->spec->environment[0].object_name, "x");
}

TEST(Parser, RecoversAndReportsSeveralErrors) {
  auto p = parse(
      "const A = ;\n"
      "fn f() {\n"
      "  x = (1 + ;\n"
      "  y = 2;\n"
      "  z = ) ;\n"
      "}\n"
      "lock L\n"
      "fn g() { }\n");
  EXPECT_EQ(p->diags.error_count(), 4U) << p->printed();
  // Declarations after the errors still parse.
  ASSERT_EQ(p->spec->fns.size(), 2U);
  EXPECT_EQ(p->spec->fns[1].name, "g");
  EXPECT_EQ(p->spec->locks.size(), 1U);
  // The statement between the errors is kept.
  bool found_y = false;
  for (const StmtPtr& s : p->spec->fns[0].body->body) {
    if (s && s->kind == StmtKind::Assign && s->target && s->target->name == "y") found_y = true;
  }
  EXPECT_TRUE(found_y);
  const auto& all = p->diags.all();
  EXPECT_EQ(all[0].range.begin.line, 1U);
  EXPECT_EQ(all[0].range.begin.col, 11U);
  EXPECT_EQ(all[1].range.begin.line, 3U);
  EXPECT_EQ(all[2].range.begin.line, 5U);
  EXPECT_EQ(all[3].message, "expected ';' after the lock declaration, found 'fn'");
  EXPECT_EQ(all[3].range.begin.line, 7U);
  EXPECT_EQ(all[3].range.begin.col, 7U);
}

TEST(Parser, MissingCloseBraceBeforeNextDeclaration) {
  auto p = parse("fn f() {\n  if (TRUE) {\n    x = 1;\n\nfn g() { y = 2; }\n");
  ASSERT_EQ(p->diags.error_count(), 1U) << p->printed();
  EXPECT_EQ(p->diags.all()[0].message,
            "expected '}' to close the block opened at line 2, found 'fn'");
  ASSERT_EQ(p->spec->fns.size(), 2U);
  EXPECT_EQ(p->spec->fns[1].body->body.size(), 1U);
}

TEST(Parser, StrayTopLevelTokens) {
  auto p = parse("} )\nquene q : parallel { }\nqueue r : parallel { EvtIoRead = f; }\n");
  EXPECT_TRUE(p->diags.has_errors());
  EXPECT_EQ(p->diags.all()[0].message, "expected a declaration, found '}'");
  bool suggested = false;
  for (const Diagnostic& d : p->diags.all()) suggested |= d.hint == "did you mean 'queue'?";
  EXPECT_TRUE(suggested) << p->printed();
  ASSERT_EQ(p->spec->queues.size(), 1U);
  EXPECT_EQ(p->spec->queues[0].name, "r");
}

// ---------------------------------------------------------------- hostile inputs

void expect_diag(const Parsed& p, DiagId id) {
  bool found = false;
  for (const Diagnostic& d : p.diags.all()) found |= d.id == id;
  EXPECT_TRUE(found) << "expected " << diag_name(id) << ", got:\n" << p.printed().substr(0, 2000);
}

TEST(Parser, TenThousandOpenParens) {
  auto p = parse("const X = " + std::string(10000, '(') + "1" + std::string(10000, ')') + ";");
  expect_diag(*p, DiagId::NestingTooDeep);
  EXPECT_EQ(p->diags.error_count(), 1U);
  auto unclosed = parse("fn f() { x = " + std::string(10000, '(') + "\n");
  expect_diag(*unclosed, DiagId::NestingTooDeep);
}

TEST(Parser, DeepStatementsUnaryMembersAndCalls) {
  expect_diag(*parse("fn f() {" + std::string(10000, '{') + std::string(10000, '}') + "}"),
              DiagId::NestingTooDeep);
  std::string chain = "fn f(int x) {";
  for (int i = 0; i < 5000; ++i) chain += "if (x) x = 1; else ";
  expect_diag(*parse(chain + "x = 2; }"), DiagId::NestingTooDeep);
  expect_diag(*parse("const X = " + std::string(10000, '!') + "1;"), DiagId::NestingTooDeep);
  std::string member = "fn f(request r) { x = r";
  for (int i = 0; i < 5000; ++i) member += "->a";
  expect_diag(*parse(member + "; }"), DiagId::NestingTooDeep);
  std::string calls = "const X = ";
  for (int i = 0; i < 5000; ++i) calls += "f(";
  expect_diag(*parse(calls + "1" + std::string(5000, ')') + ";"), DiagId::NestingTooDeep);
  std::string sum = "const X = 1";
  for (int i = 0; i < 50000; ++i) sum += "+1";
  expect_diag(*parse(sum + ";"), DiagId::NestingTooDeep);
  std::string whiles = "fn f() {";
  for (int i = 0; i < 5000; ++i) whiles += "while (*) ";
  expect_diag(*parse(whiles + "; }"), DiagId::NestingTooDeep);
}

TEST(Parser, NestingJustUnderTheLimitIsFine) {
  auto p = parse_ok("const X = " + std::string(90, '(') + "1" + std::string(90, ')') + ";");
  auto b = parse_ok("fn f() {" + std::string(150, '{') + std::string(150, '}') + "}");
  EXPECT_EQ(b->spec->fns.size(), 1U);
}

TEST(Parser, HundredThousandTokens) {
  std::string text = "global int x;\nfn f() {\n";
  for (int i = 0; i < 25000; ++i) text += "x = 1;\n";  // 4 tokens each
  text += "}\n";
  auto p = parse_ok(text);
  EXPECT_EQ(p->spec->fns[0].body->body.size(), 25000U);
  // And 100,000 tokens of garbage: errors, capped, no crash.
  std::string junk;
  for (int i = 0; i < 25000; ++i) junk += "} ( ; 1 ";
  auto j = parse(junk);
  expect_diag(*j, DiagId::TooManyErrors);
  EXPECT_LE(j->diags.all().size(), 51U);
}

TEST(Parser, NulBytesUnterminatedCommentHugeLiteral) {
  auto nul = parse(std::string("const A = 1;\0\0\0 const B = 2;\n", 27));
  expect_diag(*nul, DiagId::InvalidCharacter);
  ASSERT_EQ(nul->spec->consts.size(), 2U);  // parsing continues after the bad bytes
  auto comment = parse("const A = 1;\n/* no end");
  expect_diag(*comment, DiagId::UnterminatedComment);
  EXPECT_EQ(comment->spec->consts.size(), 1U);
  auto huge = parse("const A = 123456789012345678901234567890;");
  expect_diag(*huge, DiagId::IntegerTooLarge);
  EXPECT_EQ(huge->diags.all()[0].range.begin.col, 11U);
  auto string = parse("spec \"unterminated");
  expect_diag(*string, DiagId::UnterminatedString);
}

TEST(Parser, TruncatedInputsNeverCrash) {
  // Every prefix of a valid spec: errors or not, never a crash, always a Spec.
  std::string text = kDesignExample;
  for (std::size_t n = 0; n <= text.size(); n += 7) {
    auto p = parse(text.substr(0, n));
    ASSERT_NE(p->spec, nullptr);
    Diagnostics d2;
    check_spec(*p->spec, p->sm, {}, d2);
  }
}

TEST(Parser, SymbolicWidthChecks) {
  auto p = parse_ok("symbolic int<1> a; symbolic int<64> b; fn f() { symbolic int<32> c; }");
  EXPECT_EQ(p->spec->globals[0].width, 1U);
  EXPECT_EQ(p->spec->globals[1].width, 64U);
  auto bad = parse("symbolic int<0> a; symbolic int<65> b; symbolic int<99999999999> c;");
  int widths = 0;
  for (const Diagnostic& d : bad->diags.all()) widths += d.id == DiagId::InvalidWidth;
  EXPECT_EQ(widths, 3) << bad->printed();
}

// ---------------------------------------------------------------- the corpus

TEST(Parser, CorpusSpecsLoadWithoutErrors) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(CC_SOURCE_DIR) / "specs";
  ASSERT_TRUE(fs::exists(root)) << "the spec corpus is missing";
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".spec") continue;
    ++n;
    SourceManager sm;
    Diagnostics d;
    auto spec = load_spec(sm, e.path().string(), {}, d);
    std::ostringstream out;
    d.print(out, sm, false);
    EXPECT_NE(spec, nullptr) << out.str();
    EXPECT_FALSE(d.has_errors()) << out.str();
  }
  EXPECT_GT(n, 0U);
}

}  // namespace
}  // namespace cc
