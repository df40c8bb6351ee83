// Recursive-descent parser: tokens -> ast::Spec. Panic-mode recovery: after a syntax error
// the rest of the statement / item / declaration is skipped and parsing resumes, so one run
// reports several independent errors without cascades.
#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "model/ast.h"
#include "model/did_you_mean.h"
#include "model/frontend.h"
#include "model/lexer.h"
#include "model/parser_impl.h"
namespace cc {
namespace parser_detail {

std::unique_ptr<Spec> Parser::run() {
  auto spec = std::make_unique<Spec>();
  spec_ = spec.get();
  spec_->file = file_;
  while (!at(Tok::Eof) && !stop()) {
    std::size_t before = p_;
    top_level();
    if (panic_) {
      if (p_ == before && !at(Tok::Eof)) advance();  // the error was at the first token
      sync_top();
    }
    closing_ = false;
    if (p_ == before && !at(Tok::Eof)) advance();
  }
  return spec;
}

const Token& Parser::advance() {
  const Token& t = toks_[p_];
  if (p_ + 1 < toks_.size()) ++p_;
  return t;
}

bool Parser::accept(Tok k) {
  if (!at(k)) return false;
  advance();
  return true;
}

bool Parser::accept_word(std::string_view w) {
  if (!at_word(w)) return false;
  advance();
  return true;
}

bool Parser::at_decl_start(bool include_statement_like) const {
  const Token& t = cur();
  if (t.kind != Tok::Ident || !is_top_keyword(t.text)) return false;
  if (!include_statement_like && (t.text == "request" || t.text == "symbolic")) return false;
  const Token& n = peek();
  if (t.text == "context" || t.text == "environment") return n.kind == Tok::LBrace;
  if (t.text == "spec") return n.kind == Tok::String;
  if (t.text == "symbolic") return n.kind == Tok::Ident && n.text == "int";
  // `interrupt NAME = isr;` declares; `interrupt NAME x N;` is an environment event.
  if (t.text == "interrupt" && peek(2).kind == Tok::Ident && peek(2).text == "x") return false;
  return n.kind == Tok::Ident && !is_reserved_word(n.text);
}

void Parser::error(DiagId id, SourceRange r, std::string msg, std::string hint) {
  if (panic_ || stop()) {
    panic_ = true;
    return;
  }
  panic_ = true;
  diags_.report(id, r, std::move(msg), std::move(hint));
}

SourceRange Parser::after_prev() const {
  if (p_ == 0) return cur().range();
  const Token& t = prev();
  return SourceRange{SourceLoc{file_, t.loc.line, t.loc.col + t.length}, 1};
}

std::string Parser::found() const {
  const Token& t = cur();
  switch (t.kind) {
    case Tok::Eof:
      return "end of file";
    case Tok::Ident:
    case Tok::Int: {
      std::string_view s = t.text.substr(0, 40);
      return fmt::format("'{}'", s);
    }
    case Tok::String:
      return "a string";
    default:
      return std::string(token_spelling(t.kind));
  }
}

bool Parser::expect(Tok k, std::string_view context) {
  if (accept(k)) return true;
  bool after = k == Tok::Semi || k == Tok::RParen || k == Tok::RBrace || k == Tok::Comma;
  SourceRange r =
      after && p_ > 0 && prev().loc.line != cur().loc.line ? after_prev() : cur().range();
  if (after && at(Tok::Eof)) r = after_prev();
  error(DiagId::ExpectedToken, r,
        fmt::format("expected {} {}, found {}", token_spelling(k), context, found()));
  return false;
}

bool Parser::expect_word(std::string_view w, std::string_view context) {
  if (accept_word(w)) return true;
  error(DiagId::ExpectedToken, cur().range(),
        fmt::format("expected '{}' {}, found {}", w, context, found()));
  return false;
}

bool Parser::name(std::string& out, SourceRange& range, std::string_view what) {
  if (at(Tok::Ident) && !is_reserved_word(cur().text)) {
    out = std::string(cur().text);
    range = cur().range();
    advance();
    return true;
  }
  if (at(Tok::Ident)) {
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("'{}' is a reserved word and cannot be used as {}", cur().text, what));
  } else {
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("expected {}, found {}", what, found()));
  }
  return false;
}

SourceRange Parser::span_from(SourceLoc b) const {
  const Token& e = p_ == 0 ? cur() : prev();
  uint32_t length = 1;
  if (e.loc.line == b.line && e.loc.col + e.length > b.col) {
    length = e.loc.col + e.length - b.col;
  } else if (e.loc.line != b.line) {
    auto line = sm_.line_text(file_, b.line);
    if (line.size() + 1 > b.col) length = static_cast<uint32_t>(line.size() + 1 - b.col);
  }
  return SourceRange{b, std::max<uint32_t>(length, 1)};
}

void Parser::sync_top() {
  int depth = 0;
  while (!at(Tok::Eof)) {
    if (at_decl_start(true) && (depth == 0 || cur().loc.col == 1)) break;
    // A word at the start of a line may be a misspelled declaration keyword.
    if (depth == 0 && at(Tok::Ident) && cur().loc.col == 1 && !is_reserved_word(cur().text)) {
      break;
    }
    if (at(Tok::LBrace)) {
      ++depth;
    } else if (at(Tok::RBrace)) {
      if (depth <= 1) {
        advance();
        if (depth == 1) break;
        continue;
      }
      --depth;
    } else if (at(Tok::Semi) && depth == 0) {
      advance();
      break;
    }
    advance();
  }
  panic_ = false;
}

void Parser::sync_item(bool stop_at_lbrace) {
  while (!at(Tok::Eof)) {
    if (at(Tok::Semi)) {
      advance();
      break;
    }
    if (at(Tok::RBrace) || (stop_at_lbrace && at(Tok::LBrace)) || at_decl_start(false)) break;
    advance();
  }
  panic_ = false;
}

void Parser::close_block(SourceLoc open, std::string_view what) {
  if (accept(Tok::RBrace)) return;
  if (closing_) return;  // an inner block already reported the missing '}'
  closing_ = true;
  if (!panic_ && !stop()) {
    diags_.report(DiagId::ExpectedToken, at(Tok::Eof) ? after_prev() : cur().range(),
                  fmt::format("expected '}}' to close the {} opened at line {}, found {}", what,
                              open.line, found()));
  }
}

void Parser::too_deep(SourceRange r) {
  if (!fatal_ && !diags_saturated(diags_)) {
    diags_.report(DiagId::NestingTooDeep, r,
                  fmt::format("nesting too deep: more than {} levels of expressions or "
                              "statements",
                              kMaxNesting));
  }
  fatal_ = true;
  panic_ = true;
}

ExprPtr Parser::placeholder(SourceRange r) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Name;  // an empty name marks an already-diagnosed expression
  e->range = r;
  last_height_ = 1;
  return e;
}

bool Parser::type(TypeKind& out) {
  if (at_word("list") && peek().kind == Tok::Lt) {
    advance();
    advance();
    if (accept_word("request")) {
      out = TypeKind::ListRequest;
    } else if (accept_word("nbl")) {
      out = TypeKind::ListNbl;
    } else {
      error(DiagId::ExpectedType, cur().range(),
            fmt::format("list element type must be 'request' or 'nbl', found {}", found()));
      return false;
    }
    return expect(Tok::Gt, "to close 'list<'");
  }
  if (at(Tok::Ident)) {
    TypeKind t = scalar_type(cur().text);
    if (t != TypeKind::Error) {
      out = t;
      advance();
      return true;
    }
    Suggester s;
    for (auto w : kValueTypeWords) s.add(w);
    s.add("list");
    error(DiagId::ExpectedType, cur().range(), fmt::format("unknown type '{}'", cur().text),
          s.hint(cur().text));
    return false;
  }
  error(DiagId::ExpectedType, cur().range(), fmt::format("expected a type, found {}", found()));
  return false;
}

bool Parser::symbolic_type(uint32_t& width) {
  if (!expect_word("int", "after 'symbolic'")) return false;
  if (!expect(Tok::Lt, "after 'symbolic int' (write 'symbolic int<N>')")) return false;
  if (!at(Tok::Int)) {
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("expected a bit width, found {}", found()));
    return false;
  }
  const Token& w = advance();
  // Lexer gives 32-bit wrapped values; reject anything not in 1..64 by its text.
  int64_t v = w.value;
  if (v < 1 || v > 64 || w.text.size() > 3) {
    error(DiagId::InvalidWidth, w.range(),
          fmt::format("symbolic width must be between 1 and 64 bits, found {}",
                      w.text.substr(0, 20)));
    panic_ = false;  // keep parsing this declaration
    width = 32;
  } else {
    width = static_cast<uint32_t>(v);
  }
  return expect(Tok::Gt, "after the symbolic width");
}

void Parser::top_level() {
  if (!at(Tok::Ident)) {
    error(DiagId::ExpectedDeclaration, cur().range(),
          fmt::format("expected a declaration, found {}", found()));
    return;
  }
  std::string_view w = cur().text;
  if (w == "spec") return spec_title();
  if (w == "const") return const_decl();
  if (w == "device") return device_decl();
  if (w == "queue") return queue_decl(kNone);
  if (w == "target") return target_decl();
  if (w == "request") return request_decl();
  if (w == "lock" || w == "event") return simple_decl(w == "lock" ? spec_->locks : spec_->events);
  if (w == "waitlock") return simple_decl(spec_->locks, true);
  if (w == "timer") return timer_decl(DeferredKind::Timer);
  if (w == "dpc") return timer_decl(DeferredKind::Dpc);
  if (w == "workitem") return timer_decl(DeferredKind::WorkItem);
  if (w == "interrupt") return interrupt_decl();
  if (w == "global") return global_decl();
  if (w == "symbolic") return symbolic_global();
  if (w == "context") return context_decl();
  if (w == "fn") return fn_decl();
  if (w == "thread") return thread_decl();
  if (w == "filter") return filter_decl(NdisRole::Filter, "filter");
  if (w == "protocol") return filter_decl(NdisRole::Protocol, "protocol");
  if (w == "miniport") return miniport_decl();
  if (w == "conversation") return conversation_decl();
  if (w == "environment") return environment_decl();
  if (w == "option") return option_decl();
  Suggester s;
  for (auto k : kTopKeywords) s.add(k);
  std::string hint;
  const bool c_header = peek().kind == Tok::Ident && peek(2).kind == Tok::LParen;
  if (c_header) {
    // A C function header ("void OnTimer(...)", "NTSTATUS OnRead(...)").
    hint = fmt::format("spec functions have no return type: write 'fn {}(...)'",
                       peek().text.substr(0, 40));
  } else {
    hint = s.hint(w);
  }
  if (hint.empty() && (is_type_word(w) || peek().kind == Tok::LParen)) {
    hint = is_type_word(w) ? "globals are declared with 'global TYPE NAME;'"
                           : "functions are declared with 'fn NAME(...) { ... }'";
  }
  error(DiagId::ExpectedDeclaration, cur().range(),
        fmt::format("expected a declaration, found '{}'", w.substr(0, 40)), hint);
  if (c_header) skip_c_header();
}

void Parser::skip_c_header() {
  advance();
  advance();
  int depth = 0;
  while (!at(Tok::Eof)) {
    if (at(Tok::LParen)) ++depth;
    if (at(Tok::RParen) && --depth == 0) {
      advance();
      return;
    }
    advance();
  }
}

void Parser::spec_title() {
  const Token& kw = advance();
  if (!at(Tok::String)) {
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("expected a quoted title after 'spec', found {}", found()));
    return;
  }
  if (!spec_->title.empty() || title_seen_) {
    diags_.report(DiagId::DuplicateDeclaration, kw.range(), "duplicate 'spec' title");
    diags_.report(DiagId::NotePreviousDeclaration, spec_->title_range, "previous title is here");
  } else {
    spec_->title = string_value(cur());
    spec_->title_range = kw.range();
  }
  title_seen_ = true;
  advance();
  expect(Tok::Semi, "after the spec title");
}

void Parser::const_decl() {
  advance();
  ConstDecl c;
  if (!name(c.name, c.range, "a constant name")) return;
  if (!expect(Tok::Assign, "after the constant name")) return;
  c.value = expression();
  spec_->consts.push_back(std::move(c));
  expect(Tok::Semi, "after the constant");
}

void Parser::option_decl() {
  advance();
  if (accept_word("sdv_strict")) {
    spec_->sdv_strict = true;
  } else if (accept_word("pointer_width")) {
    if (!at(Tok::Int)) {
      error(DiagId::ExpectedToken, cur().range(),
            fmt::format("expected the pointer width in bits (32 or 64), found {}", found()));
      return;
    }
    const Token& w = advance();
    if (w.value != 32 && w.value != 64) {
      error(DiagId::InvalidWidth, w.range(),
            fmt::format("the pointer width must be 32 or 64 bits, found {}", w.text.substr(0, 20)));
      panic_ = false;
    } else {
      spec_->pointer_width = static_cast<unsigned>(w.value);
    }
  } else if (!unknown_keyword("option", {"sdv_strict", "pointer_width"})) {
    return;
  }
  expect(Tok::Semi, "after the option");
}

void Parser::device_decl() {
  advance();
  DeviceDecl d;
  if (!name(d.name, d.range, "a device name")) return;
  if (accept(Tok::Colon)) {
    do {
      if (accept_word("sync_device")) {
        d.sync_device = true;
      } else if (accept_word("sync_queue")) {
        d.sync_queue = true;
      } else if (accept_word("passive")) {
        d.passive = true;
      } else if (accept_word("filter")) {
        d.filter = true;
      } else if (!unknown_keyword("device option",
                                  {"sync_device", "sync_queue", "passive", "filter"})) {
        return;
      }
    } while (at(Tok::Ident));
  }
  uint32_t index = static_cast<uint32_t>(spec_->devices.size());
  spec_->devices.push_back(std::move(d));
  SourceLoc open = cur().loc;
  if (!expect(Tok::LBrace, "to open the device body")) return;
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !stop() && !closing_) {
    std::size_t before = p_;
    if (at_word("queue")) {
      queue_decl(index);
    } else if (at_decl_start(true)) {
      break;
    } else if (at(Tok::Ident) && peek().kind == Tok::Assign) {
      // A device or file-object callback: EvtDeviceSurpriseRemoval = fn;
      HandlerBinding b;
      if (name(b.handler, b.range, "a callback name") &&
          expect(Tok::Assign, "after the callback name") &&
          name(b.fn_name, b.fn_range, "a function name")) {
        spec_->devices[index].handlers.push_back(std::move(b));
        expect(Tok::Semi, "after the callback binding");
      }
    } else {
      error(DiagId::ExpectedDeclaration, cur().range(),
            fmt::format("expected a 'queue' or a device callback (EvtDeviceSurpriseRemoval = "
                        "fn;) inside the device, found {}",
                        found()));
    }
    if (panic_) sync_item(false);
    if (p_ == before) advance();
  }
  close_block(open, "device");
}

bool Parser::unknown_keyword(std::string_view what,
                             std::initializer_list<std::string_view> options) {
  Suggester s;
  std::string list;
  std::size_t i = 0;
  for (auto o : options) {
    s.add(o);
    if (i > 0) list += i + 1 == options.size() ? " or " : ", ";
    list += fmt::format("'{}'", o);
    ++i;
  }
  if (at(Tok::Ident) && !is_reserved_word(cur().text)) {
    error(DiagId::UnknownKeyword, cur().range(),
          fmt::format("unknown {} '{}' (expected {})", what, cur().text.substr(0, 40), list),
          s.hint(cur().text));
    advance();
    panic_ = false;
    return true;
  }
  error(DiagId::ExpectedToken, cur().range(),
        fmt::format("expected {} ({}), found {}", what, list, found()));
  return false;
}

void Parser::queue_decl(uint32_t device) {
  advance();
  QueueDecl q;
  if (!name(q.name, q.range, "a queue name")) return;
  if (device == kNone) {
    // Top-level queues share one implicit device.
    if (implicit_device_ == kNone) {
      DeviceDecl d;
      d.name = "<implicit>";
      d.range = q.range;
      d.implicit = true;
      implicit_device_ = static_cast<uint32_t>(spec_->devices.size());
      spec_->devices.push_back(std::move(d));
    }
    device = implicit_device_;
  }
  q.device = device;
  uint32_t index = static_cast<uint32_t>(spec_->queues.size());
  spec_->devices[device].queues.push_back(index);
  spec_->queues.push_back(std::move(q));
  QueueDecl& qd = spec_->queues.back();
  if (!expect(Tok::Colon,
              "after the queue name (write 'queue NAME : sequential|parallel|manual')")) {
    return;
  }
  if (accept_word("sequential")) {
    qd.dispatch = Dispatch::Sequential;
  } else if (accept_word("parallel")) {
    qd.dispatch = Dispatch::Parallel;
  } else if (accept_word("manual")) {
    qd.dispatch = Dispatch::Manual;
  } else if (!unknown_keyword("dispatch type", {"sequential", "parallel", "manual"})) {
    return;
  }
  while (at(Tok::Ident)) {
    if (accept_word("power_managed")) {
      spec_->queues[index].power_managed_decl = true;
    } else if (accept_word("not_power_managed")) {
      spec_->queues[index].power_managed_decl = false;
    } else if (!unknown_keyword("queue option", {"power_managed", "not_power_managed"})) {
      return;
    }
  }
  bindings(spec_->queues[index].handlers, "queue");
}

void Parser::bindings(std::vector<HandlerBinding>& out, std::string_view what) {
  SourceLoc open = cur().loc;
  if (!expect(Tok::LBrace, fmt::format("to open the {} body", what))) return;
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !stop() && !closing_) {
    std::size_t before = p_;
    if (at_decl_start(false)) break;
    HandlerBinding b;
    if (name(b.handler, b.range, "a callback name (e.g. EvtIoRead)") &&
        expect(Tok::Assign, "after the callback name") &&
        name(b.fn_name, b.fn_range, "a function name")) {
      out.push_back(std::move(b));
      expect(Tok::Semi, "after the callback binding");
    }
    if (panic_) sync_item(false);
    if (p_ == before) advance();
  }
  close_block(open, what);
}

void Parser::target_decl() {
  advance();
  TargetDecl t;
  if (!name(t.name, t.range, "a target name")) return;
  spec_->targets.push_back(std::move(t));
  TargetDecl& td = spec_->targets.back();
  if (!expect(
          Tok::Colon,
          "after the target name (write 'target NAME : cancelable|uncancelable|pending|late')")) {
    return;
  }
  if (accept_word("cancelable")) {
    td.behaviour = TargetBehaviour::Cancelable;
  } else if (accept_word("uncancelable")) {
    td.behaviour = TargetBehaviour::Uncancelable;
  } else if (accept_word("pending")) {
    td.behaviour = TargetBehaviour::Pending;
  } else if (accept_word("late")) {
    td.behaviour = TargetBehaviour::Late;
  } else if (!unknown_keyword("target behaviour",
                              {"cancelable", "uncancelable", "pending", "late"})) {
    return;
  }
  while (at(Tok::Ident)) {
    if (accept_word("may_fail")) {
      spec_->targets.back().may_fail = true;
    } else if (accept_word("completes")) {
      if (!expect(Tok::LBrace, "after 'completes'")) return;
      do {
        if (accept_word("symbolic")) {
          spec_->targets.back().completes_symbolic = true;
          continue;
        }
        spec_->targets.back().completes.push_back(expression());
        if (panic_) return;
      } while (accept(Tok::Comma));
      if (!expect(Tok::RBrace, "to close the 'completes' list")) return;
    } else if (!unknown_keyword("target option", {"may_fail", "completes"})) {
      return;
    }
  }
  expect(Tok::Semi, "after the target declaration");
}

void Parser::request_decl() {
  advance();
  CreatedRequestDecl r;
  if (!name(r.name, r.range, "a request name")) return;
  if (!expect(Tok::Assign,
              "after the request name (write 'request NAME = WdfRequestCreate(target);')")) {
    spec_->requests.push_back(std::move(r));
    return;
  }
  if (!at_word("WdfRequestCreate")) {
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("expected 'WdfRequestCreate(target)', found {}", found()));
    spec_->requests.push_back(std::move(r));
    return;
  }
  advance();
  if (expect(Tok::LParen, "after 'WdfRequestCreate'") &&
      name(r.target_name, r.target_range, "a target name") &&
      expect(Tok::RParen, "after the target name")) {
    expect(Tok::Semi, "after the request declaration");
  }
  spec_->requests.push_back(std::move(r));
}

void Parser::simple_decl(std::vector<SimpleDecl>& out, bool wait) {
  std::string_view kw = advance().text;
  SimpleDecl d;
  d.wait = wait;
  if (!name(d.name, d.range, fmt::format("a {} name", kw))) return;
  out.push_back(std::move(d));
  expect(Tok::Semi, fmt::format("after the {} declaration", kw));
}

void Parser::timer_decl(DeferredKind kind) {
  std::string_view kw = advance().text;
  TimerDecl t;
  t.kind = kind;
  if (!name(t.name, t.range, fmt::format("a {} name", kw))) return;
  if (!expect(Tok::Assign, fmt::format("after the {} name (write '{} NAME = fn;')", kw, kw)) ||
      !name(t.fn_name, t.fn_range, fmt::format("the {}'s function name", kw))) {
    spec_->timers.push_back(std::move(t));
    return;
  }
  const bool timer = kind == DeferredKind::Timer;
  while (at(Tok::Ident)) {
    if (timer && accept_word("manual")) {
      t.manual = true;
    } else if (timer && accept_word("periodic")) {
      t.periodic = true;
    } else if (timer && accept_word("passive")) {
      t.passive = true;
    } else if (accept_word("unsynchronized")) {
      t.serialized = false;
    } else if (accept_word("parent")) {
      if (!name(t.parent.name, t.parent.range, "a device or queue name")) break;
    } else {
      bool ok = timer ? unknown_keyword("timer option", {"manual", "periodic", "passive", "parent",
                                                         "unsynchronized"})
                      : unknown_keyword(fmt::format("{} option", kw), {"parent", "unsynchronized"});
      if (!ok) {
        spec_->timers.push_back(std::move(t));
        return;
      }
    }
  }
  spec_->timers.push_back(std::move(t));
  expect(Tok::Semi, fmt::format("after the {} declaration", kw));
}

void Parser::interrupt_decl() {
  advance();
  InterruptDecl d;
  if (!name(d.name, d.range, "an interrupt name")) return;
  if (expect(Tok::Assign, "after the interrupt name (write 'interrupt NAME = isr, dpc;')") &&
      name(d.isr_name, d.isr_range, "the EvtInterruptIsr function name")) {
    if (accept(Tok::Comma)) name(d.dpc_name, d.dpc_range, "the EvtInterruptDpc function name");
    while (at(Tok::Ident)) {
      if (accept_word("synchronized")) {
        d.serialized = true;
      } else if (accept_word("parent")) {
        if (!name(d.parent.name, d.parent.range, "a device name")) break;
      } else if (!unknown_keyword("interrupt option", {"parent", "synchronized"})) {
        spec_->interrupts.push_back(std::move(d));
        return;
      }
    }
    spec_->interrupts.push_back(std::move(d));
    expect(Tok::Semi, "after the interrupt declaration");
    return;
  }
  spec_->interrupts.push_back(std::move(d));
}

bool Parser::var_decl(VarDecl& v, std::string_view what) {
  if (!type(v.type)) return false;
  if (!name(v.name, v.range, what)) return false;
  if (accept(Tok::Assign)) v.init = expression();
  return true;
}

void Parser::global_decl() {
  advance();
  VarDecl v;
  if (!var_decl(v, "a variable name")) return;
  spec_->globals.push_back(std::move(v));
  expect(Tok::Semi, "after the global declaration");
}

void Parser::symbolic_global() {
  advance();
  VarDecl v;
  v.symbolic = true;
  v.type = TypeKind::Int;
  if (!symbolic_type(v.width)) return;
  if (!name(v.name, v.range, "a variable name")) return;
  spec_->globals.push_back(std::move(v));
  if (at(Tok::Assign)) {
    error(DiagId::ExpectedToken, cur().range(),
          "a symbolic value cannot have an initializer: nobody chooses it");
    return;
  }
  expect(Tok::Semi, "after the symbolic declaration");
}

void Parser::context_decl() {
  advance();
  SourceLoc open = cur().loc;
  if (!expect(Tok::LBrace, "after 'context'")) return;
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !stop() && !closing_) {
    std::size_t before = p_;
    if (at_decl_start(false)) break;
    VarDecl v;
    if (var_decl(v, "a field name")) {
      spec_->context.push_back(std::move(v));
      expect(Tok::Semi, "after the context field");
    }
    if (panic_) sync_item(false);
    if (p_ == before) advance();
  }
  close_block(open, "context block");
}

void Parser::fn_decl() {
  advance();
  FnDecl f;
  if (!name(f.name, f.range, "a function name")) return;
  spec_->fns.push_back(std::move(f));
  std::size_t index = spec_->fns.size() - 1;
  if (!expect(Tok::LParen, "after the function name")) return;
  if (!at(Tok::RParen)) {
    do {
      LocalVar p;
      if (!type(p.type)) return;
      if (!name(p.name, p.range, "a parameter name")) return;
      spec_->fns[index].locals.push_back(std::move(p));
      ++spec_->fns[index].param_count;
    } while (accept(Tok::Comma));
  }
  if (!expect(Tok::RParen, "after the parameters")) return;
  spec_->fns[index].body = block_stmt();
}

void Parser::thread_decl() {
  advance();
  FnDecl f;
  if (!name(f.name, f.range, "a thread name")) return;
  spec_->threads.push_back(std::move(f));
  std::size_t index = spec_->threads.size() - 1;
  if (at(Tok::LParen)) {
    error(DiagId::ExpectedToken, cur().range(),
          "a thread takes no parameters: write 'thread NAME { ... }'");
    return;
  }
  spec_->threads[index].body = block_stmt();
}

void Parser::filter_decl(NdisRole role, std::string_view what) {
  advance();
  FilterDecl f;
  f.role = role;
  if (!name(f.name, f.range, fmt::format("a {} name", what))) return;
  ndis_driver_body(std::move(f), what);
}

void Parser::ndis_driver_body(FilterDecl f, std::string_view what) {
  spec_->filters.push_back(std::move(f));
  std::size_t index = spec_->filters.size() - 1;
  std::vector<HandlerBinding> hs;
  bindings(hs, what);
  spec_->filters[index].handlers = std::move(hs);
}

void Parser::miniport_decl() {
  advance();
  MiniportDecl m;
  if (!name(m.name, m.range, "a miniport name")) return;
  if (at(Tok::LBrace)) {  // `miniport NAME { ... }`: the spec's own miniport driver
    FilterDecl f;
    f.name = m.name;
    f.range = m.range;
    f.role = NdisRole::Miniport;
    return ndis_driver_body(std::move(f), "miniport");
  }
  spec_->miniports.push_back(std::move(m));
  if (accept(Tok::Colon)) {
    if (accept_word("cancelable")) {
      spec_->miniports.back().cancelable = true;
    } else if (accept_word("uncancelable")) {
      spec_->miniports.back().cancelable = false;
    } else if (accept_word("pending")) {
      spec_->miniports.back().pending = true;
    } else if (!unknown_keyword("miniport behaviour", {"cancelable", "uncancelable", "pending"})) {
      return;
    }
  }
  expect(Tok::Semi, "after the miniport declaration");
}

void Parser::conversation_decl() {
  advance();
  ConversationDecl c;
  if (!name(c.name, c.range, "a conversation name")) return;
  spec_->conversations.push_back(std::move(c));
  if (accept(Tok::Colon)) {
    if (accept_word("partner_may_not_answer")) {
      spec_->conversations.back().partner_may_not_answer = true;
    } else if (!unknown_keyword("conversation option", {"partner_may_not_answer"})) {
      return;
    }
  }
  expect(Tok::Semi, "after the conversation declaration");
}

void Parser::environment_decl() {
  const Token& kw = advance();
  if (spec_->environment.empty() && !spec_->environment_range.begin.valid()) {
    spec_->environment_range = kw.range();
  }
  SourceLoc open = cur().loc;
  if (!expect(Tok::LBrace, "after 'environment'")) return;
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !stop() && !closing_) {
    std::size_t before = p_;
    if (at_decl_start(false)) break;
    env_item();
    if (panic_) sync_item(false);
    if (p_ == before) advance();
  }
  close_block(open, "environment block");
}

void Parser::env_item() {
  EnvItem item;
  SourceLoc begin = cur().loc;
  auto object = [&](std::string_view what) {
    return name(item.object_name, item.object_range, what);
  };
  if (accept_word("arrive")) {
    item.kind = EnvKind::Arrive;
    if (!object("a queue name")) return;
    if (!expect_word("x", "after the queue name (write 'arrive QUEUE x COUNT;')")) return;
    item.count = expression();
    if (panic_) return;
    if (accept_word("read")) {
      item.io_type = IoType::Read;
    } else if (accept_word("write")) {
      item.io_type = IoType::Write;
    } else if (accept_word("ioctl")) {
      item.io_type = IoType::Ioctl;
    } else if (accept_word("internal_ioctl")) {
      item.io_type = IoType::InternalIoctl;
    } else if (at(Tok::Ident) && !at_word("from")) {
      if (!unknown_keyword("request type", {"read", "write", "ioctl", "internal_ioctl", "from"}))
        return;
    }
    if (accept_word("from")) {
      if (!name(item.file_name, item.file_range, "a file handle name")) return;
    }
  } else if (accept_word("cancel")) {
    item.kind = EnvKind::Cancel;
    if (accept_word("any")) {
      item.any = true;
    } else if (!object("'any' or a queue name")) {
      return;
    }
  } else if (accept_word("stop")) {
    item.kind = EnvKind::Stop;
    if (accept_word("suspend")) {
      item.stop = StopKind::Suspend;
    } else if (accept_word("purge")) {
      item.stop = StopKind::Purge;
    } else if (accept_word("any")) {
      item.stop = StopKind::Any;
    } else if (accept_word("symbolic")) {
      item.stop = StopKind::Symbolic;
    } else if (accept_word("surprise")) {
      item.stop = StopKind::Surprise;
    } else if (!unknown_keyword("stop kind", {"suspend", "purge", "surprise", "any", "symbolic"})) {
      return;
    }
  } else if (accept_word("send")) {
    item.kind = EnvKind::Send;
    if (!object("a filter name")) return;
    if (!expect_word("x", "after the filter name (write 'send FILTER x COUNT cancel_id ID;')")) {
      return;
    }
    item.count = expression();
    if (panic_) return;
    if (accept_word("cancel_id")) item.cancel_id = expression();
    if (panic_) return;
    item.chain = accept_word("chain");
  } else if (accept_word("cancel_send")) {
    item.kind = EnvKind::CancelSend;
    if (!object("a filter name")) return;
    item.cancel_id = expression();
  } else if (accept_word("close")) {
    item.kind = EnvKind::Close;
    if (!name(item.file_name, item.file_range, "a file handle name")) return;
  } else if (accept_word("pause")) {
    item.kind = EnvKind::Pause;
    if (!object("a filter name")) return;
  } else if (accept_word("interrupt")) {
    item.kind = EnvKind::Interrupt;
    if (!object("an interrupt name")) return;
    if (!expect_word("x", "after the interrupt name (write 'interrupt NAME x COUNT;')")) return;
    item.count = expression();
  } else {
    unknown_keyword("environment event", {"arrive", "cancel", "stop", "send", "cancel_send",
                                          "pause", "close", "interrupt"});
    panic_ = true;  // skip the rest of the item
    return;
  }
  if (panic_) return;
  if (!expect(Tok::Semi, "after the environment event")) return;
  item.range = span_from(begin);
  spec_->environment.push_back(std::move(item));
}

}  // namespace parser_detail

std::unique_ptr<ast::Spec> parse_spec(const SourceManager& sm, FileId file, Diagnostics& diags) {
  if (!file.valid()) return nullptr;
  return parser_detail::Parser(sm, file, diags).run();
}

}  // namespace cc
