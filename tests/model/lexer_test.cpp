// Lexer: token kinds, positions, literals, comments, and hostile bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/lexer.h"

namespace cc {
namespace {

struct Lexed {
  SourceManager sm;
  Diagnostics diags;
  std::vector<Token> toks;
};

std::unique_ptr<Lexed> lex_text(const std::string& text) {
  auto l = std::make_unique<Lexed>();
  FileId f = l->sm.add("lex.spec", text);
  l->toks = lex(l->sm, f, l->diags);
  return l;
}

std::vector<Tok> kinds(const std::vector<Token>& toks) {
  std::vector<Tok> out;
  for (const Token& t : toks) out.push_back(t.kind);
  return out;
}

TEST(Lexer, EmptyInputIsJustEof) {
  auto l = lex_text("");
  ASSERT_EQ(l->toks.size(), 1U);
  EXPECT_EQ(l->toks[0].kind, Tok::Eof);
  EXPECT_EQ(l->toks[0].loc.line, 1U);
  EXPECT_EQ(l->toks[0].loc.col, 1U);
  EXPECT_TRUE(l->diags.all().empty());
  auto ws = lex_text("  \n\t\r\n  // only a comment\n/* and another */\n");
  ASSERT_EQ(ws->toks.size(), 1U);
  EXPECT_TRUE(ws->diags.all().empty());
}

TEST(Lexer, Punctuation) {
  auto l = lex_text("{ } ( ) ; , : = == != < <= > >= << >> + - * ! ~ & && | || ^ ->");
  EXPECT_EQ(
      kinds(l->toks),
      (std::vector<Tok>{
          Tok::LBrace, Tok::RBrace, Tok::LParen, Tok::RParen,   Tok::Semi,  Tok::Comma, Tok::Colon,
          Tok::Assign, Tok::EqEq,   Tok::NotEq,  Tok::Lt,       Tok::Le,    Tok::Gt,    Tok::Ge,
          Tok::Shl,    Tok::Shr,    Tok::Plus,   Tok::Minus,    Tok::Star,  Tok::Bang,  Tok::Tilde,
          Tok::Amp,    Tok::AmpAmp, Tok::Pipe,   Tok::PipePipe, Tok::Caret, Tok::Arrow, Tok::Eof}));
  EXPECT_TRUE(l->diags.all().empty());
  // Maximal munch: "a->b", "x&&y", "a<=b" without spaces.
  auto m = lex_text("a->b x&&y a<=b a-b");
  EXPECT_EQ(kinds(m->toks),
            (std::vector<Tok>{Tok::Ident, Tok::Arrow, Tok::Ident, Tok::Ident, Tok::AmpAmp,
                              Tok::Ident, Tok::Ident, Tok::Le, Tok::Ident, Tok::Ident, Tok::Minus,
                              Tok::Ident, Tok::Eof}));
}

TEST(Lexer, WordsAndPositions) {
  auto l = lex_text("fn OnRead(request req) {\n  if (x_1) return;\n}\n");
  ASSERT_GE(l->toks.size(), 5U);
  EXPECT_EQ(l->toks[0].text, "fn");
  EXPECT_EQ(l->toks[1].text, "OnRead");
  EXPECT_EQ(l->toks[1].loc.line, 1U);
  EXPECT_EQ(l->toks[1].loc.col, 4U);
  EXPECT_EQ(l->toks[1].length, 6U);
  const Token* if_tok = nullptr;
  for (const Token& t : l->toks) {
    if (t.text == "if") if_tok = &t;
  }
  ASSERT_NE(if_tok, nullptr);
  EXPECT_EQ(if_tok->loc.line, 2U);
  EXPECT_EQ(if_tok->loc.col, 3U);
  EXPECT_EQ(l->toks.back().kind, Tok::Eof);
  EXPECT_EQ(l->toks.back().loc.line, 4U);
}

TEST(Lexer, ReservedWords) {
  for (const char* w : {"if", "else", "while", "for", "break", "continue", "return", "atomic",
                        "NULL", "TRUE", "FALSE"}) {
    EXPECT_TRUE(is_reserved_word(w)) << w;
  }
  // Declaration keywords and type names are contextual.
  for (const char* w : {"status", "queue", "lock", "event", "request", "fn", "x", "any", "in"}) {
    EXPECT_FALSE(is_reserved_word(w)) << w;
  }
}

TEST(Lexer, IntegerLiterals) {
  auto l =
      lex_text("0 42 0x10 0XfF 2147483647 2147483648 4294967295 0xC0000120 0xFFFFFFFF 10U 7ul");
  std::vector<int64_t> values;
  for (const Token& t : l->toks) {
    if (t.kind == Tok::Int) values.push_back(t.value);
  }
  EXPECT_EQ(values, (std::vector<int64_t>{0, 42, 16, 255, 2147483647, -2147483648LL, -1,
                                          static_cast<int32_t>(0xC0000120u), -1, 10, 7}));
  EXPECT_TRUE(l->diags.all().empty());
}

TEST(Lexer, HugeIntegerIsAnErrorNotUndefinedBehaviour) {
  auto l = lex_text("x = 99999999999999999999999999999999999999999999;");
  ASSERT_EQ(l->diags.all().size(), 1U);
  const Diagnostic& d = l->diags.all()[0];
  EXPECT_EQ(d.id, DiagId::IntegerTooLarge);
  EXPECT_EQ(d.range.begin.col, 5U);
  EXPECT_NE(d.message.find("does not fit in 64 bits"), std::string::npos);
  auto h = lex_text("0x10000000000000000 18446744073709551616 0xFFFFFFFFFFFFFFFFFFFF");
  EXPECT_EQ(h->diags.error_count(), 3U);
  for (const Token& t : h->toks) {
    if (t.kind == Tok::Int) {
      EXPECT_EQ(t.value, 0);
      EXPECT_FALSE(t.wide);
    }
  }
}

// Beyond 32 bits a literal is pointer-sized (uintptr): its full 64-bit pattern, marked wide.
TEST(Lexer, WideIntegersKeepTheirSixtyFourBits) {
  auto l = lex_text("0xFFFFFFFF 0x100000000 0xFFFFFFFFFFFFFFFF 18446744073709551615 4294967296");
  EXPECT_TRUE(l->diags.all().empty());
  std::vector<std::pair<int64_t, bool>> got;
  for (const Token& t : l->toks) {
    if (t.kind == Tok::Int) got.emplace_back(t.value, t.wide);
  }
  EXPECT_EQ(
      got, (std::vector<std::pair<int64_t, bool>>{
               {-1, false}, {0x100000000LL, true}, {-1, true}, {-1, true}, {0x100000000LL, true}}));
}

TEST(Lexer, MalformedNumbers) {
  auto l = lex_text("0x 017 12abc 3_");
  ASSERT_EQ(l->diags.all().size(), 4U);
  for (const Diagnostic& d : l->diags.all()) EXPECT_EQ(d.id, DiagId::InvalidNumber);
  EXPECT_EQ(l->diags.all()[0].message, "hexadecimal literal has no digits");
  EXPECT_EQ(l->diags.all()[2].message, "invalid suffix 'abc' on integer literal");
  // Each malformed literal is still one token.
  EXPECT_EQ(kinds(l->toks), (std::vector<Tok>{Tok::Int, Tok::Int, Tok::Int, Tok::Int, Tok::Eof}));
}

TEST(Lexer, Strings) {
  auto l = lex_text(R"(spec "a \"quoted\" tab\t back\\slash";)");
  ASSERT_EQ(l->toks.size(), 4U);
  EXPECT_EQ(l->toks[1].kind, Tok::String);
  EXPECT_EQ(string_value(l->toks[1]), "a \"quoted\" tab\t back\\slash");
  EXPECT_TRUE(l->diags.all().empty());
  auto utf8 = lex_text("\"caf\xc3\xa9\"");
  EXPECT_EQ(string_value(utf8->toks[0]), "caf\xc3\xa9");
  EXPECT_TRUE(utf8->diags.all().empty());
}

TEST(Lexer, StringErrors) {
  auto u = lex_text("spec \"no end\nconst A = 1;");
  ASSERT_EQ(u->diags.all().size(), 1U);
  EXPECT_EQ(u->diags.all()[0].id, DiagId::UnterminatedString);
  EXPECT_EQ(u->diags.all()[0].range.begin.col, 6U);
  EXPECT_EQ(u->toks[2].text, "const");  // lexing resumes on the next line
  auto e = lex_text(R"("bad \q escape")");
  ASSERT_EQ(e->diags.all().size(), 1U);
  EXPECT_EQ(e->diags.all()[0].id, DiagId::InvalidEscape);
  EXPECT_EQ(e->diags.all()[0].message, "unknown escape sequence '\\q'");
  auto eof = lex_text("\"abc\\");
  EXPECT_EQ(eof->diags.all().size(), 1U);
  auto bytes = lex_text(std::string("\"a\0b\xff\"", 6));
  EXPECT_EQ(bytes->diags.error_count(), 2U);
  for (const Diagnostic& d : bytes->diags.all()) EXPECT_EQ(d.id, DiagId::InvalidCharacter);
}

TEST(Lexer, Comments) {
  auto l = lex_text("a // line comment\nb /* block\n comment */ c /**/ d /* a * b / c */ e");
  std::vector<std::string_view> words;
  for (const Token& t : l->toks) {
    if (t.kind == Tok::Ident) words.push_back(t.text);
  }
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(l->toks[2].loc.line, 3U);  // c is after a two-line comment
  EXPECT_TRUE(l->diags.all().empty());
}

TEST(Lexer, UnterminatedCommentIsReportedAtItsStart) {
  auto l = lex_text("a\n  /* never\nclosed");
  ASSERT_EQ(l->diags.all().size(), 1U);
  const Diagnostic& d = l->diags.all()[0];
  EXPECT_EQ(d.id, DiagId::UnterminatedComment);
  EXPECT_EQ(d.range.begin.line, 2U);
  EXPECT_EQ(d.range.begin.col, 3U);
  EXPECT_EQ(kinds(l->toks), (std::vector<Tok>{Tok::Ident, Tok::Eof}));
}

TEST(Lexer, HostileBytes) {
  static const char kBytes[] = "a\0\0b \xff\xfe c \xc3\xa9 d \x01 e @# f";
  std::string text(kBytes, sizeof(kBytes) - 1);
  auto l = lex_text(text);
  std::vector<std::string_view> words;
  for (const Token& t : l->toks) {
    if (t.kind == Tok::Ident) words.push_back(t.text);
  }
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "b", "c", "d", "e", "f"}));
  ASSERT_EQ(l->diags.all().size(), 5U);  // one per run of bad bytes
  EXPECT_EQ(l->diags.all()[0].message, "stray NUL byte in spec");
  EXPECT_EQ(l->diags.all()[0].range.length, 2U);
  EXPECT_EQ(l->diags.all()[1].message, "invalid UTF-8 byte 0xFF in spec");
  EXPECT_EQ(l->diags.all()[2].message,
            "non-ASCII character U+00E9 is not allowed outside comments and strings");
  EXPECT_EQ(l->diags.all()[3].message, "invalid control character 0x01 in spec");
  EXPECT_EQ(l->diags.all()[4].message, "unexpected character '@'");
  for (const Diagnostic& d : l->diags.all()) EXPECT_EQ(d.id, DiagId::InvalidCharacter);
}

TEST(Lexer, AllBytesNeverCrash) {
  std::string text;
  for (int i = 0; i < 256; ++i) {
    text += static_cast<char>(i);
    text += static_cast<char>(255 - i);
  }
  auto l = lex_text(text);
  EXPECT_EQ(l->toks.back().kind, Tok::Eof);
  EXPECT_TRUE(l->diags.has_errors());
}

TEST(Lexer, ManyErrorsStopAtTheCap) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "@ x ";
  auto l = lex_text(text);
  EXPECT_TRUE(diags_saturated(l->diags));
  EXPECT_EQ(l->toks.back().kind, Tok::Eof);
}

TEST(Lexer, TokenSpelling) {
  EXPECT_EQ(token_spelling(Tok::Semi), "';'");
  EXPECT_EQ(token_spelling(Tok::Eof), "end of file");
  EXPECT_EQ(token_spelling(Tok::Arrow), "'->'");
}

}  // namespace
}  // namespace cc
