// The recursive-descent parser's class (model/parser.cpp: tokens, declarations;
// model/parser_stmt.cpp: statements and expressions) and the word tables both use. Internal to
// the front-end: parse_spec() in model/frontend.h is the interface.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/ast.h"
#include "model/diagnostics.h"
#include "model/lexer.h"
#include "model/source.h"

namespace cc::parser_detail {

using namespace ast;

constexpr std::array<std::string_view, 24> kTopKeywords = {
    "spec",   "const",    "device", "queue",    "target",       "request",
    "lock",   "event",    "timer",  "global",   "symbolic",     "context",
    "fn",     "thread",   "filter", "miniport", "conversation", "environment",
    "option", "protocol", "dpc",    "workitem", "interrupt",    "waitlock"};

constexpr std::array<std::string_view, 9> kValueTypeWords = {
    "bool", "int", "uintptr", "status", "request", "nbl", "task", "vcb", "file"};

inline bool is_top_keyword(std::string_view w) {
  return std::find(kTopKeywords.begin(), kTopKeywords.end(), w) != kTopKeywords.end();
}

inline bool is_type_word(std::string_view w) {
  return w == "list" ||
         std::find(kValueTypeWords.begin(), kValueTypeWords.end(), w) != kValueTypeWords.end();
}

inline TypeKind scalar_type(std::string_view w) {
  if (w == "bool") return TypeKind::Bool;
  if (w == "int") return TypeKind::Int;
  if (w == "uintptr") return TypeKind::Ptr;
  if (w == "status") return TypeKind::Status;
  if (w == "request") return TypeKind::Request;
  if (w == "nbl") return TypeKind::Nbl;
  if (w == "task") return TypeKind::Task;
  if (w == "vcb") return TypeKind::Vcb;
  if (w == "file") return TypeKind::File;
  return TypeKind::Error;
}

/// Tokens -> ast::Spec, with panic-mode recovery (one instance per file).
class Parser {
 public:
  Parser(const SourceManager& sm, FileId file, Diagnostics& diags)
      : sm_(sm), file_(file), diags_(diags), toks_(lex(sm, file, diags)) {}

  std::unique_ptr<Spec> run();

 private:
  // ---------------------------------------------------------------- tokens
  const Token& cur() const { return toks_[p_]; }
  const Token& peek(std::size_t n = 1) const { return toks_[std::min(p_ + n, toks_.size() - 1)]; }
  const Token& prev() const { return toks_[p_ == 0 ? 0 : p_ - 1]; }
  bool at(Tok k) const { return cur().kind == k; }
  bool at_word(std::string_view w) const { return cur().kind == Tok::Ident && cur().text == w; }
  const Token& advance();
  bool accept(Tok k);
  bool accept_word(std::string_view w);
  bool stop() const { return fatal_ || diags_saturated(diags_); }

  /// Is the current token the start of a top-level declaration that is never a statement?
  bool at_decl_start(bool include_statement_like) const;

  // ---------------------------------------------------------------- diagnostics
  void error(DiagId id, SourceRange r, std::string msg, std::string hint = {});

  /// Where a missing token is expected: just after the previous token.
  SourceRange after_prev() const;

  std::string found() const;

  bool expect(Tok k, std::string_view context);

  bool expect_word(std::string_view w, std::string_view context);

  /// Reads a name. On failure reports "expected a name for X".
  bool name(std::string& out, SourceRange& range, std::string_view what);

  SourceRange span_from(SourceLoc b) const;

  // ---------------------------------------------------------------- recovery
  void sync_top();

  /// Statement / block-item recovery: skip to ';' (consumed), '{' or '}' (kept), or a
  /// declaration keyword.
  void sync_item(bool stop_at_lbrace);

  /// Closes a `{ ... }` block: expects '}', or reports it missing before a declaration.
  void close_block(SourceLoc open, std::string_view what);

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

  void too_deep(SourceRange r);

  ExprPtr placeholder(SourceRange r);

  // ---------------------------------------------------------------- types
  /// Parses a type. `what` is used in messages.
  bool type(TypeKind& out);

  /// `int<N>` after `symbolic`; returns the width.
  bool symbolic_type(uint32_t& width);

  // ---------------------------------------------------------------- top level
  void top_level();

  /// After a C function header ("void OnTimer(...)") was reported: skips the return type, the
  /// name and the parameter list, so that recovery skips the body as one block.
  void skip_c_header();

  void spec_title();

  void const_decl();

  /// option sdv_strict;  (docs/spec-language.md "Options")
  void option_decl();

  void device_decl();

  /// Reports an unknown keyword in a keyword position. If it is a word, it is skipped and
  /// parsing continues (returns true); otherwise the declaration is abandoned.
  bool unknown_keyword(std::string_view what, std::initializer_list<std::string_view> options);

  void queue_decl(uint32_t device);

  void bindings(std::vector<HandlerBinding>& out, std::string_view what);

  void target_decl();

  void request_decl();

  void simple_decl(std::vector<SimpleDecl>& out, bool wait = false);

  /// `timer|dpc|workitem NAME = fn [options];` (docs/spec-language.md).
  void timer_decl(DeferredKind kind);

  /// `interrupt NAME = isr [, dpc] [parent DEVICE] [synchronized];`
  void interrupt_decl();

  /// TYPE NAME [= expr] ;  (globals and context fields)
  bool var_decl(VarDecl& v, std::string_view what);

  void global_decl();

  void symbolic_global();

  void context_decl();

  void fn_decl();

  void thread_decl();

  /// `filter NAME { ... }` or `protocol NAME { ... }`.
  void filter_decl(NdisRole role, std::string_view what);

  /// The callback bindings of an NDIS driver declaration whose name was read.
  void ndis_driver_body(FilterDecl f, std::string_view what);

  void miniport_decl();

  void conversation_decl();

  void environment_decl();

  void env_item();

  // ---------------------------------------------------------------- statements
  StmtPtr make_stmt(StmtKind k, SourceLoc begin);

  /// `{ stmts }` as a Block statement (never null).
  StmtPtr block_stmt();

  void statements(std::vector<StmtPtr>& out);

  StmtPtr statement();

  StmtPtr var_stmt();

  /// `( cond )` of if/while; `(*)` is a nondeterministic choice.
  ExprPtr condition(std::string_view kw);

  StmtPtr if_stmt();

  /// A statement nested under if/while/for/else (never null: an empty block on error).
  StmtPtr sub_statement();

  StmtPtr while_stmt();

  StmtPtr for_stmt();

  // ---------------------------------------------------------------- expressions
  ExprPtr expression();

  ExprPtr binary(int min_prec);

  ExprPtr unary();

  ExprPtr postfix();

  ExprPtr primary();
  ExprPtr sizeof_expr();

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

}  // namespace cc::parser_detail
