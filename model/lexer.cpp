#include "model/lexer.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace cc {
namespace {

bool is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(unsigned char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class Lexer {
 public:
  Lexer(const SourceManager& sm, FileId file, Diagnostics& diags)
      : file_(file), text_(sm.file(file).text), diags_(diags) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    out.reserve(text_.size() / 4 + 16);
    while (true) {
      skip_space_and_comments();
      if (pos_ >= text_.size()) break;
      if (diags_saturated(diags_)) break;
      Token t;
      if (next(t)) out.push_back(std::move(t));
    }
    Token eof;
    eof.kind = Tok::Eof;
    eof.loc = loc();
    out.push_back(eof);
    return out;
  }

 private:
  SourceLoc loc() const {
    return SourceLoc{file_, line_, static_cast<uint32_t>(pos_ - line_start_ + 1)};
  }

  unsigned char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? static_cast<unsigned char>(text_[pos_ + ahead]) : 0;
  }
  bool at_end(std::size_t ahead = 0) const { return pos_ + ahead >= text_.size(); }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  void report(DiagId id, SourceLoc at, uint32_t length, std::string msg) {
    diags_.report(id, SourceRange{at, length == 0 ? 1 : length}, std::move(msg));
  }

  void skip_space_and_comments() {
    while (!at_end()) {
      unsigned char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '/' && peek(1) == '/') {
        while (!at_end() && peek() != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        SourceLoc start = loc();
        advance();
        advance();
        bool closed = false;
        while (!at_end()) {
          if (peek() == '*' && peek(1) == '/') {
            advance();
            advance();
            closed = true;
            break;
          }
          advance();
        }
        if (!closed) {
          report(DiagId::UnterminatedComment, start, 2, "unterminated /* comment");
        }
      } else {
        return;
      }
    }
  }

  Token make(Tok kind, SourceLoc start, std::size_t begin) {
    Token t;
    t.kind = kind;
    t.loc = start;
    t.text = std::string_view(text_).substr(begin, pos_ - begin);
    t.length = static_cast<uint32_t>(pos_ - begin);
    return t;
  }

  /// Lexes one token at pos_. Returns false (after reporting) for skipped bytes.
  bool next(Token& t) {
    SourceLoc start = loc();
    std::size_t begin = pos_;
    unsigned char c = peek();
    if (is_ident_start(c)) {
      while (!at_end() && is_ident_char(peek())) advance();
      t = make(Tok::Ident, start, begin);
      return true;
    }
    if (is_digit(c)) return number(t, start, begin);
    if (c == '"') return string(t, start, begin);

    auto one = [&](Tok k) {
      advance();
      t = make(k, start, begin);
      return true;
    };
    auto two = [&](Tok k) {
      advance();
      advance();
      t = make(k, start, begin);
      return true;
    };
    switch (c) {
      case '{':
        return one(Tok::LBrace);
      case '}':
        return one(Tok::RBrace);
      case '(':
        return one(Tok::LParen);
      case ')':
        return one(Tok::RParen);
      case ';':
        return one(Tok::Semi);
      case ',':
        return one(Tok::Comma);
      case ':':
        return one(Tok::Colon);
      case '+':
        return one(Tok::Plus);
      case '*':
        return one(Tok::Star);
      case '~':
        return one(Tok::Tilde);
      case '^':
        return one(Tok::Caret);
      case '-':
        return peek(1) == '>' ? two(Tok::Arrow) : one(Tok::Minus);
      case '=':
        return peek(1) == '=' ? two(Tok::EqEq) : one(Tok::Assign);
      case '!':
        return peek(1) == '=' ? two(Tok::NotEq) : one(Tok::Bang);
      case '<':
        if (peek(1) == '<') return two(Tok::Shl);
        return peek(1) == '=' ? two(Tok::Le) : one(Tok::Lt);
      case '>':
        if (peek(1) == '>') return two(Tok::Shr);
        return peek(1) == '=' ? two(Tok::Ge) : one(Tok::Gt);
      case '&':
        return peek(1) == '&' ? two(Tok::AmpAmp) : one(Tok::Amp);
      case '|':
        return peek(1) == '|' ? two(Tok::PipePipe) : one(Tok::Pipe);
      default:
        break;
    }
    invalid_run(start);
    return false;
  }

  /// Reports a run of bytes that cannot start a token (one diagnostic per run).
  void invalid_run(SourceLoc start) {
    std::size_t begin = pos_;
    std::string what;
    uint32_t cp = 0;
    unsigned char c = peek();
    std::size_t n = c >= 0x80 ? utf8_sequence(text_, pos_, cp) : 0;
    if (c == 0) {
      what = "stray NUL byte in spec";
    } else if (c >= 0x80 && n == 0) {
      what = fmt::format("invalid UTF-8 byte 0x{:02X} in spec", c);
    } else if (c >= 0x80) {
      what = fmt::format("non-ASCII character U+{:04X} is not allowed outside comments and strings",
                         cp);
    } else if (c < 0x20 || c == 0x7F) {
      what = fmt::format("invalid control character 0x{:02X} in spec", c);
    } else {
      what = fmt::format("unexpected character '{}'", static_cast<char>(c));
    }
    // Swallow the whole run of bytes that cannot start a token, on this line.
    do {
      std::size_t len = 1;
      if (peek() >= 0x80) {
        uint32_t ignored = 0;
        len = std::max<std::size_t>(1, utf8_sequence(text_, pos_, ignored));
      }
      for (std::size_t k = 0; k < len; ++k) advance();
    } while (!at_end() && peek() != '\n' && !starts_token());
    report(DiagId::InvalidCharacter, start, static_cast<uint32_t>(pos_ - begin), what);
  }

  bool starts_token() const {
    unsigned char c = peek();
    if (is_ident_char(c) || c == '"' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      return true;
    }
    static constexpr std::string_view kPunct = "{}();,:+*~^-=!<>&|/";
    return c != 0 && kPunct.find(static_cast<char>(c)) != std::string_view::npos;
  }

  bool number(Token& t, SourceLoc start, std::size_t begin) {
    bool hex = peek() == '0' && (peek(1) == 'x' || peek(1) == 'X');
    uint64_t value = 0;
    bool overflow = false;
    bool ok = true;
    std::string problem;
    if (hex) {
      advance();
      advance();
      std::size_t digits = 0;
      while (!at_end() && is_hex(peek())) {
        unsigned char d = peek();
        uint64_t v = is_digit(d) ? d - '0' : (d | 0x20) - 'a' + 10;
        if (!overflow) {
          if (value > (~uint64_t{0} >> 4)) {
            overflow = true;
          } else {
            value = value * 16 + v;
          }
        }
        ++digits;
        advance();
      }
      if (digits == 0) {
        ok = false;
        problem = "hexadecimal literal has no digits";
      }
    } else {
      bool leading_zero = peek() == '0' && is_digit(peek(1));
      while (!at_end() && is_digit(peek())) {
        if (!overflow && (__builtin_mul_overflow(value, uint64_t{10}, &value) ||
                          __builtin_add_overflow(value, uint64_t(peek() - '0'), &value))) {
          overflow = true;
        }
        advance();
      }
      if (leading_zero) {
        ok = false;
        problem = "octal literals are not supported; write the value in decimal or 0x hex";
      }
    }
    // C suffixes u/U/l/L are accepted and ignored; anything else glued on is an error.
    std::size_t suffix_begin = pos_;
    while (!at_end() && (peek() == 'u' || peek() == 'U' || peek() == 'l' || peek() == 'L') &&
           pos_ - suffix_begin < 3) {
      advance();
    }
    if (!at_end() && is_ident_char(peek())) {
      while (!at_end() && is_ident_char(peek())) advance();
      if (ok) {
        ok = false;
        std::string_view suffix = std::string_view(text_).substr(suffix_begin, pos_ - suffix_begin);
        problem = fmt::format("invalid suffix '{}' on integer literal", suffix.substr(0, 40));
      }
    }
    t = make(Tok::Int, start, begin);
    if (!ok) {
      report(DiagId::InvalidNumber, start, t.length, problem);
    } else if (overflow) {
      std::string shown(t.text.substr(0, 40));
      if (t.text.size() > 40) shown += "...";
      report(DiagId::IntegerTooLarge, start, t.length,
             fmt::format("integer literal '{}' does not fit in 64 bits", shown));
    }
    // Up to 32 bits: the pattern as a signed int (0xFFFFFFFF is -1, like the NTSTATUS
    // constants). Wider: a pointer-sized literal (type uintptr), its 64-bit pattern.
    t.wide = ok && !overflow && value > 0xFFFFFFFFULL;
    t.value = overflow || !ok ? 0
              : t.wide        ? static_cast<int64_t>(value)
                       : static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(value)));
    return true;
  }

  bool string(Token& t, SourceLoc start, std::size_t begin) {
    advance();  // opening quote
    bool closed = false;
    while (!at_end() && peek() != '\n') {
      unsigned char c = peek();
      if (c == '"') {
        advance();
        closed = true;
        break;
      }
      if (c == '\\') {
        SourceLoc esc = loc();
        advance();
        if (at_end() || peek() == '\n') break;
        unsigned char e = peek();
        switch (e) {
          case 'n':
          case 't':
          case '\\':
          case '"':
            break;
          default:
            report(DiagId::InvalidEscape, esc, 2,
                   is_ident_char(e) || (e >= 0x20 && e < 0x7F)
                       ? fmt::format("unknown escape sequence '\\{}'", static_cast<char>(e))
                       : std::string("unknown escape sequence"));
            break;
        }
        advance();
        continue;
      }
      if (c < 0x20 && c != '\t') {
        report(DiagId::InvalidCharacter, loc(), 1,
               c == 0 ? std::string("stray NUL byte in string literal")
                      : fmt::format("invalid control character 0x{:02X} in string literal", c));
        advance();
        continue;
      }
      if (c >= 0x80) {
        uint32_t cp = 0;
        std::size_t n = utf8_sequence(text_, pos_, cp);
        if (n == 0) {
          report(DiagId::InvalidCharacter, loc(), 1,
                 fmt::format("invalid UTF-8 byte 0x{:02X} in string literal", c));
          advance();
          continue;
        }
        for (std::size_t k = 0; k < n; ++k) advance();
        continue;
      }
      advance();
    }
    t = make(Tok::String, start, begin);
    if (!closed) {
      report(DiagId::UnterminatedString, start, 1, "missing terminating '\"' character");
    }
    return true;
  }

  FileId file_;
  const std::string& text_;
  Diagnostics& diags_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  uint32_t line_ = 1;
};

}  // namespace

bool is_reserved_word(std::string_view word) {
  static constexpr std::array<std::string_view, 11> kReserved = {
      "if",     "else",   "while", "for",  "break", "continue",
      "return", "atomic", "NULL",  "TRUE", "FALSE"};
  for (std::string_view r : kReserved) {
    if (r == word) return true;
  }
  return false;
}

std::string_view token_spelling(Tok kind) {
  switch (kind) {
    case Tok::Eof:
      return "end of file";
    case Tok::Ident:
      return "identifier";
    case Tok::Int:
      return "integer";
    case Tok::String:
      return "string";
    case Tok::LBrace:
      return "'{'";
    case Tok::RBrace:
      return "'}'";
    case Tok::LParen:
      return "'('";
    case Tok::RParen:
      return "')'";
    case Tok::Semi:
      return "';'";
    case Tok::Comma:
      return "','";
    case Tok::Colon:
      return "':'";
    case Tok::Assign:
      return "'='";
    case Tok::EqEq:
      return "'=='";
    case Tok::NotEq:
      return "'!='";
    case Tok::Lt:
      return "'<'";
    case Tok::Le:
      return "'<='";
    case Tok::Gt:
      return "'>'";
    case Tok::Ge:
      return "'>='";
    case Tok::Shl:
      return "'<<'";
    case Tok::Shr:
      return "'>>'";
    case Tok::Plus:
      return "'+'";
    case Tok::Minus:
      return "'-'";
    case Tok::Star:
      return "'*'";
    case Tok::Bang:
      return "'!'";
    case Tok::Tilde:
      return "'~'";
    case Tok::Amp:
      return "'&'";
    case Tok::AmpAmp:
      return "'&&'";
    case Tok::Pipe:
      return "'|'";
    case Tok::PipePipe:
      return "'||'";
    case Tok::Caret:
      return "'^'";
    case Tok::Arrow:
      return "'->'";
  }
  return "token";
}

std::string string_value(const Token& t) {
  std::string out;
  std::string_view raw = t.text;
  if (!raw.empty() && raw.front() == '"') raw.remove_prefix(1);
  if (!raw.empty() && raw.back() == '"') raw.remove_suffix(1);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
      continue;
    }
    if (++i >= raw.size()) break;
    switch (raw[i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<Token> lex(const SourceManager& sm, FileId file, Diagnostics& diags) {
  return Lexer(sm, file, diags).run();
}

std::size_t utf8_sequence(std::string_view text, std::size_t i, uint32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = b(i);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace cc
