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

namespace cc {
namespace {

using namespace ast;

constexpr std::array<std::string_view, 24> kTopKeywords = {
    "spec",   "const",    "device", "queue",    "target",       "request",
    "lock",   "event",    "timer",  "global",   "symbolic",     "context",
    "fn",     "thread",   "filter", "miniport", "conversation", "environment",
    "option", "protocol", "dpc",    "workitem", "interrupt",    "waitlock"};

constexpr std::array<std::string_view, 8> kValueTypeWords = {"bool", "int",  "status", "request",
                                                             "nbl",  "task", "vcb",    "file"};

bool is_top_keyword(std::string_view w) {
  return std::find(kTopKeywords.begin(), kTopKeywords.end(), w) != kTopKeywords.end();
}

bool is_type_word(std::string_view w) {
  return w == "list" ||
         std::find(kValueTypeWords.begin(), kValueTypeWords.end(), w) != kValueTypeWords.end();
}

TypeKind scalar_type(std::string_view w) {
  if (w == "bool") return TypeKind::Bool;
  if (w == "int") return TypeKind::Int;
  if (w == "status") return TypeKind::Status;
  if (w == "request") return TypeKind::Request;
  if (w == "nbl") return TypeKind::Nbl;
  if (w == "task") return TypeKind::Task;
  if (w == "vcb") return TypeKind::Vcb;
  if (w == "file") return TypeKind::File;
  return TypeKind::Error;
}

/// Binary operator precedence (C); 0 = not a binary operator.
int precedence(Tok k) {
  switch (k) {
    case Tok::PipePipe:
      return 1;
    case Tok::AmpAmp:
      return 2;
    case Tok::Pipe:
      return 3;
    case Tok::Caret:
      return 4;
    case Tok::Amp:
      return 5;
    case Tok::EqEq:
    case Tok::NotEq:
      return 6;
    case Tok::Lt:
    case Tok::Le:
    case Tok::Gt:
    case Tok::Ge:
      return 7;
    case Tok::Shl:
    case Tok::Shr:
      return 8;
    case Tok::Plus:
    case Tok::Minus:
      return 9;
    case Tok::Star:
      return 10;
    default:
      return 0;
  }
}

BinaryOp binary_op(Tok k) {
  switch (k) {
    case Tok::PipePipe:
      return BinaryOp::LogOr;
    case Tok::AmpAmp:
      return BinaryOp::LogAnd;
    case Tok::Pipe:
      return BinaryOp::BitOr;
    case Tok::Caret:
      return BinaryOp::BitXor;
    case Tok::Amp:
      return BinaryOp::BitAnd;
    case Tok::EqEq:
      return BinaryOp::Eq;
    case Tok::NotEq:
      return BinaryOp::Ne;
    case Tok::Lt:
      return BinaryOp::Lt;
    case Tok::Le:
      return BinaryOp::Le;
    case Tok::Gt:
      return BinaryOp::Gt;
    case Tok::Ge:
      return BinaryOp::Ge;
    case Tok::Shl:
      return BinaryOp::Shl;
    case Tok::Shr:
      return BinaryOp::Shr;
    case Tok::Plus:
      return BinaryOp::Add;
    case Tok::Minus:
      return BinaryOp::Sub;
    default:
      return BinaryOp::Mul;
  }
}

class Parser {
 public:
  Parser(const SourceManager& sm, FileId file, Diagnostics& diags)
      : sm_(sm), file_(file), diags_(diags), toks_(lex(sm, file, diags)) {}

  std::unique_ptr<Spec> run() {
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

 private:
  // ---------------------------------------------------------------- tokens
  const Token& cur() const { return toks_[p_]; }
  const Token& peek(std::size_t n = 1) const { return toks_[std::min(p_ + n, toks_.size() - 1)]; }
  const Token& prev() const { return toks_[p_ == 0 ? 0 : p_ - 1]; }
  bool at(Tok k) const { return cur().kind == k; }
  bool at_word(std::string_view w) const { return cur().kind == Tok::Ident && cur().text == w; }
  const Token& advance() {
    const Token& t = toks_[p_];
    if (p_ + 1 < toks_.size()) ++p_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k)) return false;
    advance();
    return true;
  }
  bool accept_word(std::string_view w) {
    if (!at_word(w)) return false;
    advance();
    return true;
  }
  bool stop() const { return fatal_ || diags_saturated(diags_); }

  /// Is the current token the start of a top-level declaration that is never a statement?
  bool at_decl_start(bool include_statement_like) const {
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

  // ---------------------------------------------------------------- diagnostics
  void error(DiagId id, SourceRange r, std::string msg, std::string hint = {}) {
    if (panic_ || stop()) {
      panic_ = true;
      return;
    }
    panic_ = true;
    diags_.report(id, r, std::move(msg), std::move(hint));
  }

  /// Where a missing token is expected: just after the previous token.
  SourceRange after_prev() const {
    if (p_ == 0) return cur().range();
    const Token& t = prev();
    return SourceRange{SourceLoc{file_, t.loc.line, t.loc.col + t.length}, 1};
  }

  std::string found() const {
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

  bool expect(Tok k, std::string_view context) {
    if (accept(k)) return true;
    bool after = k == Tok::Semi || k == Tok::RParen || k == Tok::RBrace || k == Tok::Comma;
    SourceRange r =
        after && p_ > 0 && prev().loc.line != cur().loc.line ? after_prev() : cur().range();
    if (after && at(Tok::Eof)) r = after_prev();
    error(DiagId::ExpectedToken, r,
          fmt::format("expected {} {}, found {}", token_spelling(k), context, found()));
    return false;
  }

  bool expect_word(std::string_view w, std::string_view context) {
    if (accept_word(w)) return true;
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("expected '{}' {}, found {}", w, context, found()));
    return false;
  }

  /// Reads a name. On failure reports "expected a name for X".
  bool name(std::string& out, SourceRange& range, std::string_view what) {
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

  SourceRange span_from(SourceLoc b) const {
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

  // ---------------------------------------------------------------- recovery
  void sync_top() {
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

  /// Statement / block-item recovery: skip to ';' (consumed), '{' or '}' (kept), or a
  /// declaration keyword.
  void sync_item(bool stop_at_lbrace) {
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

  /// Closes a `{ ... }` block: expects '}', or reports it missing before a declaration.
  void close_block(SourceLoc open, std::string_view what) {
    if (accept(Tok::RBrace)) return;
    if (closing_) return;  // an inner block already reported the missing '}'
    closing_ = true;
    if (!panic_ && !stop()) {
      diags_.report(DiagId::ExpectedToken, at(Tok::Eof) ? after_prev() : cur().range(),
                    fmt::format("expected '}}' to close the {} opened at line {}, found {}", what,
                                open.line, found()));
    }
  }

  // ---------------------------------------------------------------- nesting
  struct DepthGuard {
    Parser& p;
    bool ok;
    explicit DepthGuard(Parser& parser) : p(parser), ok(true) {
      if (++p.depth_ > kMaxNesting) {
        ok = false;
        p.too_deep(p.cur().range());
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  void too_deep(SourceRange r) {
    if (!fatal_ && !diags_saturated(diags_)) {
      diags_.report(DiagId::NestingTooDeep, r,
                    fmt::format("nesting too deep: more than {} levels of expressions or "
                                "statements",
                                kMaxNesting));
    }
    fatal_ = true;
    panic_ = true;
  }

  ExprPtr placeholder(SourceRange r) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::Name;  // an empty name marks an already-diagnosed expression
    e->range = r;
    last_height_ = 1;
    return e;
  }

  // ---------------------------------------------------------------- types
  /// Parses a type. `what` is used in messages.
  bool type(TypeKind& out) {
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

  /// `int<N>` after `symbolic`; returns the width.
  bool symbolic_type(uint32_t& width) {
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

  // ---------------------------------------------------------------- top level
  void top_level() {
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

  /// After a C function header ("void OnTimer(...)") was reported: skips the return type, the
  /// name and the parameter list, so that recovery skips the body as one block.
  void skip_c_header() {
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

  void spec_title() {
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

  void const_decl() {
    advance();
    ConstDecl c;
    if (!name(c.name, c.range, "a constant name")) return;
    if (!expect(Tok::Assign, "after the constant name")) return;
    c.value = expression();
    spec_->consts.push_back(std::move(c));
    expect(Tok::Semi, "after the constant");
  }

  /// option sdv_strict;  (docs/spec-language.md "Options")
  void option_decl() {
    advance();
    if (accept_word("sdv_strict")) {
      spec_->sdv_strict = true;
    } else if (!unknown_keyword("option", {"sdv_strict"})) {
      return;
    }
    expect(Tok::Semi, "after the option");
  }

  void device_decl() {
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

  /// Reports an unknown keyword in a keyword position. If it is a word, it is skipped and
  /// parsing continues (returns true); otherwise the declaration is abandoned.
  bool unknown_keyword(std::string_view what, std::initializer_list<std::string_view> options) {
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

  void queue_decl(uint32_t device) {
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

  void bindings(std::vector<HandlerBinding>& out, std::string_view what) {
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

  void target_decl() {
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

  void request_decl() {
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

  void simple_decl(std::vector<SimpleDecl>& out, bool wait = false) {
    std::string_view kw = advance().text;
    SimpleDecl d;
    d.wait = wait;
    if (!name(d.name, d.range, fmt::format("a {} name", kw))) return;
    out.push_back(std::move(d));
    expect(Tok::Semi, fmt::format("after the {} declaration", kw));
  }

  /// `timer|dpc|workitem NAME = fn [options];` (docs/spec-language.md).
  void timer_decl(DeferredKind kind) {
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
        bool ok =
            timer ? unknown_keyword("timer option",
                                    {"manual", "periodic", "passive", "parent", "unsynchronized"})
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

  /// `interrupt NAME = isr [, dpc] [parent DEVICE] [synchronized];`
  void interrupt_decl() {
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

  /// TYPE NAME [= expr] ;  (globals and context fields)
  bool var_decl(VarDecl& v, std::string_view what) {
    if (!type(v.type)) return false;
    if (!name(v.name, v.range, what)) return false;
    if (accept(Tok::Assign)) v.init = expression();
    return true;
  }

  void global_decl() {
    advance();
    VarDecl v;
    if (!var_decl(v, "a variable name")) return;
    spec_->globals.push_back(std::move(v));
    expect(Tok::Semi, "after the global declaration");
  }

  void symbolic_global() {
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

  void context_decl() {
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

  void fn_decl() {
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

  void thread_decl() {
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

  /// `filter NAME { ... }` or `protocol NAME { ... }`.
  void filter_decl(NdisRole role, std::string_view what) {
    advance();
    FilterDecl f;
    f.role = role;
    if (!name(f.name, f.range, fmt::format("a {} name", what))) return;
    ndis_driver_body(std::move(f), what);
  }

  /// The callback bindings of an NDIS driver declaration whose name was read.
  void ndis_driver_body(FilterDecl f, std::string_view what) {
    spec_->filters.push_back(std::move(f));
    std::size_t index = spec_->filters.size() - 1;
    std::vector<HandlerBinding> hs;
    bindings(hs, what);
    spec_->filters[index].handlers = std::move(hs);
  }

  void miniport_decl() {
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
      } else if (!unknown_keyword("miniport behaviour",
                                  {"cancelable", "uncancelable", "pending"})) {
        return;
      }
    }
    expect(Tok::Semi, "after the miniport declaration");
  }

  void conversation_decl() {
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

  void environment_decl() {
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

  void env_item() {
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
      } else if (!unknown_keyword("stop kind",
                                  {"suspend", "purge", "surprise", "any", "symbolic"})) {
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

  // ---------------------------------------------------------------- statements
  StmtPtr make_stmt(StmtKind k, SourceLoc begin) {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->range = SourceRange{begin, 1};
    return s;
  }

  /// `{ stmts }` as a Block statement (never null).
  StmtPtr block_stmt() {
    auto s = make_stmt(StmtKind::Block, cur().loc);
    SourceLoc open = cur().loc;
    if (!expect(Tok::LBrace, "to open the body")) return s;
    statements(s->body);
    close_block(open, "block");
    s->range = span_from(open);
    return s;
  }

  void statements(std::vector<StmtPtr>& out) {
    while (!at(Tok::RBrace) && !at(Tok::Eof) && !stop() && !closing_) {
      if (at_decl_start(false)) break;  // a declaration: the '}' is missing
      std::size_t before = p_;
      StmtPtr st = statement();
      if (st) out.push_back(std::move(st));
      if (panic_ && !fatal_) sync_item(true);
      if (p_ == before && !at(Tok::RBrace) && !at(Tok::Eof) && !at_decl_start(false)) advance();
    }
  }

  StmtPtr statement() {
    DepthGuard guard(*this);
    if (!guard.ok) return nullptr;
    SourceLoc begin = cur().loc;
    if (at(Tok::LBrace)) return block_stmt();
    if (at(Tok::Semi)) {
      advance();
      auto s = make_stmt(StmtKind::Block, begin);
      s->range = span_from(begin);
      return s;
    }
    if (at(Tok::Ident)) {
      std::string_view w = cur().text;
      if (w == "if") return if_stmt();
      if (w == "while") return while_stmt();
      if (w == "for") return for_stmt();
      if (w == "break" || w == "continue") {
        advance();
        auto s = make_stmt(w == "break" ? StmtKind::Break : StmtKind::Continue, begin);
        expect(Tok::Semi, fmt::format("after '{}'", w));
        s->range = span_from(begin);
        return s;
      }
      if (w == "return") {
        advance();
        auto s = make_stmt(StmtKind::Return, begin);
        if (!at(Tok::Semi)) s->value = expression();
        if (!panic_) expect(Tok::Semi, "after the return statement");
        s->range = span_from(begin);
        return s;
      }
      if (w == "atomic") {
        advance();
        auto s = make_stmt(StmtKind::Atomic, begin);
        SourceLoc open = cur().loc;
        if (!expect(Tok::LBrace, "after 'atomic'")) return s;
        statements(s->body);
        close_block(open, "atomic block");
        s->range = span_from(begin);
        return s;
      }
      if (w == "symbolic" && peek().kind == Tok::Ident) {
        advance();
        auto s = make_stmt(StmtKind::SymbolicDecl, begin);
        s->decl_type = TypeKind::Int;
        SourceRange r;
        if (!symbolic_type(s->width) || !name(s->name, r, "a variable name")) return s;
        if (at(Tok::Assign)) {
          error(DiagId::ExpectedToken, cur().range(),
                "a symbolic value cannot have an initializer: nobody chooses it");
          return s;
        }
        expect(Tok::Semi, "after the symbolic declaration");
        s->range = span_from(begin);
        return s;
      }
      bool decl = (is_type_word(w) && w != "list" && peek().kind == Tok::Ident) ||
                  (w == "list" && peek().kind == Tok::Lt && peek(2).kind == Tok::Ident &&
                   (peek(2).text == "request" || peek(2).text == "nbl") && peek(3).kind == Tok::Gt);
      if (decl) return var_stmt();
      if (!is_reserved_word(w) && peek().kind == Tok::Ident && !is_reserved_word(peek().text)) {
        // `reqest r;`: an unknown type name.
        TypeKind ignored;
        type(ignored);
        return nullptr;
      }
    }
    // Expression statement or assignment.
    ExprPtr e = expression();
    if (panic_) return nullptr;
    if (accept(Tok::Assign)) {
      auto s = make_stmt(StmtKind::Assign, begin);
      s->target = std::move(e);
      s->value = expression();
      if (!panic_) expect(Tok::Semi, "after the assignment");
      s->range = span_from(begin);
      return s;
    }
    auto s = make_stmt(StmtKind::ExprStmt, begin);
    s->value = std::move(e);
    expect(Tok::Semi, "after the expression");
    s->range = span_from(begin);
    return s;
  }

  StmtPtr var_stmt() {
    SourceLoc begin = cur().loc;
    auto s = make_stmt(StmtKind::VarDecl, begin);
    if (!type(s->decl_type)) return nullptr;
    SourceRange r;
    if (!name(s->name, r, "a variable name")) return nullptr;
    if (accept(Tok::Assign)) s->value = expression();
    if (!panic_) expect(Tok::Semi, "after the declaration");
    s->range = span_from(begin);
    return s;
  }

  /// `( cond )` of if/while; `(*)` is a nondeterministic choice.
  ExprPtr condition(std::string_view kw) {
    if (!expect(Tok::LParen, fmt::format("after '{}'", kw))) return placeholder(cur().range());
    ExprPtr c;
    if (at(Tok::Star) && peek().kind == Tok::RParen) {
      c = std::make_unique<Expr>();
      c->kind = ExprKind::Nondet;
      c->range = cur().range();
      advance();
    } else {
      c = expression();
    }
    if (!panic_) expect(Tok::RParen, fmt::format("after the '{}' condition", kw));
    return c;
  }

  StmtPtr if_stmt() {
    SourceLoc begin = cur().loc;
    advance();
    auto s = make_stmt(StmtKind::If, begin);
    s->cond = condition("if");
    if (panic_) return s;
    s->range = span_from(begin);
    s->then_stmt = sub_statement();
    if (accept_word("else")) s->else_stmt = sub_statement();
    return s;
  }

  /// A statement nested under if/while/for/else (never null: an empty block on error).
  StmtPtr sub_statement() {
    SourceLoc begin = cur().loc;
    StmtPtr st = panic_ || stop() ? nullptr : statement();
    if (!st) st = make_stmt(StmtKind::Block, begin);
    return st;
  }

  StmtPtr while_stmt() {
    SourceLoc begin = cur().loc;
    advance();
    auto s = make_stmt(StmtKind::While, begin);
    s->cond = condition("while");
    if (panic_) return s;
    s->range = span_from(begin);
    s->body.push_back(sub_statement());
    return s;
  }

  StmtPtr for_stmt() {
    SourceLoc begin = cur().loc;
    advance();
    auto s = make_stmt(StmtKind::ForIn, begin);
    if (!expect(Tok::LParen, "after 'for' (write 'for (x in list)')")) return s;
    if (at(Tok::Ident) && peek().kind == Tok::Ident && peek().text != "in") {
      if (!type(s->decl_type)) return s;
    }
    SourceRange r;
    if (!name(s->name, r, "a loop variable name")) return s;
    if (!expect_word("in", "after the loop variable (write 'for (x in list)')")) return s;
    s->value = expression();
    if (panic_) return s;
    if (!expect(Tok::RParen, "after the 'for' list")) return s;
    s->range = span_from(begin);
    s->body.push_back(sub_statement());
    return s;
  }

  // ---------------------------------------------------------------- expressions
  ExprPtr expression() {
    if (stop()) return placeholder(cur().range());
    return binary(1);
  }

  ExprPtr binary(int min_prec) {
    SourceLoc begin = cur().loc;
    ExprPtr lhs = unary();
    uint32_t lh = last_height_;
    while (!panic_) {
      int prec = precedence(cur().kind);
      if (prec == 0 || prec < min_prec) break;
      Tok op = advance().kind;
      ExprPtr rhs = binary(prec + 1);
      uint32_t rh = last_height_;
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::Binary;
      e->bop = op == Tok::Star ? BinaryOp::Mul : binary_op(op);
      e->args.push_back(std::move(lhs));
      e->args.push_back(std::move(rhs));
      e->range = span_from(begin);
      lhs = std::move(e);
      lh = std::max(lh, rh) + 1;
      if (lh + depth_ > kMaxNesting) {
        too_deep(lhs->range);
        break;
      }
    }
    last_height_ = lh;
    return lhs;
  }

  ExprPtr unary() {
    DepthGuard guard(*this);
    if (!guard.ok) return placeholder(cur().range());
    SourceLoc begin = cur().loc;
    auto wrap = [&](ExprKind k, UnaryOp op) {
      advance();
      ExprPtr operand = unary();
      auto e = std::make_unique<Expr>();
      e->kind = k;
      e->uop = op;
      e->args.push_back(std::move(operand));
      e->range = span_from(begin);
      ++last_height_;
      return e;
    };
    switch (cur().kind) {
      case Tok::Bang:
        return wrap(ExprKind::Unary, UnaryOp::Not);
      case Tok::Minus:
        return wrap(ExprKind::Unary, UnaryOp::Neg);
      case Tok::Tilde:
        return wrap(ExprKind::Unary, UnaryOp::BitNot);
      case Tok::Amp:
        return wrap(ExprKind::AddrOf, UnaryOp::Not);
      default:
        return postfix();
    }
  }

  ExprPtr postfix() {
    SourceLoc begin = cur().loc;
    ExprPtr e = primary();
    uint32_t h = last_height_;
    while (!panic_ && at(Tok::Arrow)) {
      advance();
      auto m = std::make_unique<Expr>();
      m->kind = ExprKind::Member;
      SourceRange r;
      if (!name(m->name, r, "a field name after '->'")) return placeholder(cur().range());
      m->args.push_back(std::move(e));
      m->range = span_from(begin);
      e = std::move(m);
      if (++h + depth_ > kMaxNesting) {
        too_deep(e->range);
        break;
      }
    }
    last_height_ = h;
    return e;
  }

  ExprPtr primary() {
    const Token& t = cur();
    SourceLoc begin = t.loc;
    last_height_ = 1;
    switch (t.kind) {
      case Tok::Int: {
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::IntLit;
        e->int_value = t.value;
        e->range = t.range();
        advance();
        return e;
      }
      case Tok::LParen: {
        advance();
        ExprPtr inner = expression();
        if (!panic_) expect(Tok::RParen, "to close the parenthesis");
        return inner;
      }
      case Tok::Ident: {
        if (t.text == "TRUE" || t.text == "FALSE") {
          auto e = std::make_unique<Expr>();
          e->kind = ExprKind::BoolLit;
          e->int_value = t.text == "TRUE" ? 1 : 0;
          e->range = t.range();
          advance();
          return e;
        }
        if (t.text == "NULL") {
          auto e = std::make_unique<Expr>();
          e->kind = ExprKind::Null;
          e->range = t.range();
          advance();
          return e;
        }
        if (is_reserved_word(t.text)) {
          error(DiagId::ExpectedExpression, t.range(),
                fmt::format("expected an expression, found '{}'", t.text));
          return placeholder(t.range());
        }
        auto e = std::make_unique<Expr>();
        e->name = std::string(t.text);
        e->range = t.range();
        advance();
        if (at(Tok::LParen)) {
          e->kind = ExprKind::Call;
          advance();
          uint32_t h = 0;
          if (!at(Tok::RParen)) {
            do {
              e->args.push_back(expression());
              h = std::max(h, last_height_);
              if (panic_) return e;
            } while (accept(Tok::Comma));
          }
          if (!expect(Tok::RParen, "after the call arguments")) return e;
          e->range = span_from(begin);
          last_height_ = h + 1;
          return e;
        }
        e->kind = ExprKind::Name;
        return e;
      }
      case Tok::String:
        error(DiagId::ExpectedExpression, t.range(),
              "string literals are only allowed in 'spec \"title\";'");
        return placeholder(t.range());
      case Tok::Star:
        error(DiagId::ExpectedExpression, t.range(),
              "'*' (nondeterministic choice) is only allowed as the whole condition: "
              "'if (*)' or 'while (*)'");
        return placeholder(t.range());
      default:
        error(DiagId::ExpectedExpression, t.range(),
              fmt::format("expected an expression, found {}", found()));
        return placeholder(t.range());
    }
  }

  const SourceManager& sm_;
  FileId file_;
  Diagnostics& diags_;
  std::vector<Token> toks_;
  std::size_t p_ = 0;
  Spec* spec_ = nullptr;
  uint32_t depth_ = 0;
  uint32_t last_height_ = 0;
  uint32_t implicit_device_ = kNone;
  bool panic_ = false;
  bool fatal_ = false;
  bool closing_ = false;
  bool title_seen_ = false;
};

}  // namespace

std::unique_ptr<ast::Spec> parse_spec(const SourceManager& sm, FileId file, Diagnostics& diags) {
  if (!file.valid()) return nullptr;
  return Parser(sm, file, diags).run();
}

}  // namespace cc
