// Recursive-descent parser, second half: statements and expressions (model/parser_impl.h).
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "model/did_you_mean.h"
#include "model/parser_impl.h"

namespace cc::parser_detail {

namespace {

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

}  // namespace

StmtPtr Parser::make_stmt(StmtKind k, SourceLoc begin) {
  auto s = std::make_unique<Stmt>();
  s->kind = k;
  s->range = SourceRange{begin, 1};
  return s;
}

StmtPtr Parser::block_stmt() {
  auto s = make_stmt(StmtKind::Block, cur().loc);
  SourceLoc open = cur().loc;
  if (!expect(Tok::LBrace, "to open the body")) return s;
  statements(s->body);
  close_block(open, "block");
  s->range = span_from(open);
  return s;
}

void Parser::statements(std::vector<StmtPtr>& out) {
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !stop() && !closing_) {
    if (at_decl_start(false)) break;  // a declaration: the '}' is missing
    std::size_t before = p_;
    StmtPtr st = statement();
    if (st) out.push_back(std::move(st));
    if (panic_ && !fatal_) sync_item(true);
    if (p_ == before && !at(Tok::RBrace) && !at(Tok::Eof) && !at_decl_start(false)) advance();
  }
}

StmtPtr Parser::statement() {
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

StmtPtr Parser::var_stmt() {
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

ExprPtr Parser::condition(std::string_view kw) {
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

StmtPtr Parser::if_stmt() {
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

StmtPtr Parser::sub_statement() {
  SourceLoc begin = cur().loc;
  StmtPtr st = panic_ || stop() ? nullptr : statement();
  if (!st) st = make_stmt(StmtKind::Block, begin);
  return st;
}

StmtPtr Parser::while_stmt() {
  SourceLoc begin = cur().loc;
  advance();
  auto s = make_stmt(StmtKind::While, begin);
  s->cond = condition("while");
  if (panic_) return s;
  s->range = span_from(begin);
  s->body.push_back(sub_statement());
  return s;
}

StmtPtr Parser::for_stmt() {
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

ExprPtr Parser::expression() {
  if (stop()) return placeholder(cur().range());
  return binary(1);
}

ExprPtr Parser::binary(int min_prec) {
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

ExprPtr Parser::unary() {
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

ExprPtr Parser::postfix() {
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

// `sizeof(T)`: a call of the builtin `sizeof` whose one argument names the type (a type word
// such as `uintptr` included); sema folds it (only the pointer-sized types have a size here).
ExprPtr Parser::sizeof_expr() {
  SourceLoc begin = cur().loc;
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::Call;
  e->name = "sizeof";
  advance();  // sizeof
  advance();  // (
  if (!at(Tok::Ident)) {
    error(DiagId::ExpectedToken, cur().range(),
          fmt::format("expected a type name after 'sizeof(', found {}", found()));
    return e;
  }
  auto arg = std::make_unique<Expr>();
  arg->kind = ExprKind::Name;
  arg->name = std::string(cur().text);
  arg->range = cur().range();
  advance();
  e->args.push_back(std::move(arg));
  if (!expect(Tok::RParen, "after the type name of 'sizeof'")) return e;
  e->range = span_from(begin);
  last_height_ = 2;
  return e;
}

ExprPtr Parser::primary() {
  const Token& t = cur();
  SourceLoc begin = t.loc;
  last_height_ = 1;
  switch (t.kind) {
    case Tok::Int: {
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::IntLit;
      e->int_value = t.value;
      e->range = t.range();
      e->wide = t.wide;
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
      if (t.text == "sizeof" && peek().kind == Tok::LParen) return sizeof_expr();
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

}  // namespace cc::parser_detail
