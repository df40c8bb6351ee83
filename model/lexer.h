// Spec lexer: bytes -> tokens. Front-end internal (used by the parser, tests and the fuzzer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/diagnostics.h"
#include "model/source.h"

namespace cc {

/// Length of the valid UTF-8 sequence at text[i] (and its code point in `cp`); 0 if invalid.
std::size_t utf8_sequence(std::string_view text, std::size_t i, uint32_t& cp);

/// Token kinds. Words (keywords included) are all `Ident`, except the reserved words below,
/// which the parser recognises by text; declaration and attribute keywords are contextual.
enum class Tok : uint8_t {
  Eof,
  Ident,   ///< identifier or keyword
  Int,     ///< integer literal (value in Token::value)
  String,  ///< "..." (unescaped text in Token::str)
  LBrace,
  RBrace,
  LParen,
  RParen,
  Semi,
  Comma,
  Colon,
  Assign,  ///< =
  EqEq,
  NotEq,
  Lt,
  Le,
  Gt,
  Ge,
  Shl,
  Shr,
  Plus,
  Minus,
  Star,
  Bang,
  Tilde,
  Amp,
  AmpAmp,
  Pipe,
  PipePipe,
  Caret,
  Arrow,  ///< ->
};

/// One token. `text` views the file text (valid while the SourceManager lives).
struct Token {
  Tok kind = Tok::Eof;
  std::string_view text;
  SourceLoc loc;
  uint32_t length = 0;  ///< bytes (0 for Eof)
  int64_t value = 0;    ///< Int: the value as a 32-bit two's-complement int, sign-extended
  bool wide = false;    ///< Int: wider than 32 bits; `value` is its 64-bit pattern (uintptr)
  /// The token's source range.
  SourceRange range() const { return SourceRange{loc, length == 0 ? 1 : length}; }
};

/// The contents of a String token after escapes (invalid escapes were reported and dropped).
std::string string_value(const Token& t);

/// Reserved words: they can never be identifiers.
bool is_reserved_word(std::string_view word);

/// Printable spelling of a token kind for "expected X" messages ("';'", "identifier").
std::string_view token_spelling(Tok kind);

/// Lexes a whole file. Always ends with an Eof token. Lexical errors are reported and the
/// offending bytes skipped; the token stream stays usable.
std::vector<Token> lex(const SourceManager& sm, FileId file, Diagnostics& diags);

/// True once the Diagnostics stopped keeping errors: phases then give up early.
inline bool diags_saturated(const Diagnostics& diags) {
  return !diags.all().empty() && diags.all().back().id == DiagId::TooManyErrors;
}

/// Nesting limit for expressions and statements (parser recursion and AST height).
inline constexpr uint32_t kMaxNesting = 200;

}  // namespace cc
