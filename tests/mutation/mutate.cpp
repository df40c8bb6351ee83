#include "tests/mutation/mutate.h"

#include <cctype>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace cc::mutation {
namespace {

/// A token of the spec text: its byte range and line:col (for descriptions).
struct Tok {
  std::size_t begin = 0;
  std::size_t end = 0;
  uint32_t line = 1;
  uint32_t col = 1;
  std::string_view text;
};

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

/// Splits text into words, numbers, strings and punctuation (two-character operators kept
/// whole); comments and white space are skipped.
std::vector<Tok> tokenize(std::string_view s) {
  std::vector<Tok> out;
  uint32_t line = 1;
  std::size_t line_start = 0;
  std::size_t i = 0;
  auto newline = [&](std::size_t at) {
    ++line;
    line_start = at + 1;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\n') {
      newline(i);
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
      continue;
    }
    if (s.substr(i, 2) == "//") {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (s.substr(i, 2) == "/*") {
      i += 2;
      while (i < s.size() && s.substr(i, 2) != "*/") {
        if (s[i] == '\n') newline(i);
        ++i;
      }
      i = std::min(s.size(), i + 2);
      continue;
    }
    Tok t;
    t.begin = i;
    t.line = line;
    t.col = static_cast<uint32_t>(i - line_start + 1);
    if (word_char(c)) {
      while (i < s.size() && word_char(s[i])) ++i;
    } else if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"' && s[i] != '\n') i += s[i] == '\\' ? 2 : 1;
      i = std::min(s.size(), i + 1);
    } else {
      static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&",
                                                  "||", "<<", ">>", "->"};
      std::size_t len = 1;
      for (std::string_view two : kTwo) {
        if (s.substr(i, 2) == two) len = 2;
      }
      i += len;
    }
    t.end = i;
    t.text = s.substr(t.begin, t.end - t.begin);
    out.push_back(t);
  }
  return out;
}

/// A `;`-terminated statement inside braces: token indices [first, last].
struct Stmt {
  std::size_t first = 0;
  std::size_t last = 0;
};

std::vector<Stmt> statements(const std::vector<Tok>& toks) {
  std::vector<Stmt> out;
  constexpr std::size_t kNone = SIZE_MAX;
  int depth = 0;
  std::size_t start = kNone;
  for (std::size_t k = 0; k < toks.size(); ++k) {
    const std::string_view t = toks[k].text;
    if (t == "{" || t == "}") {
      depth += t == "{" ? 1 : -1;
      start = kNone;
      continue;
    }
    if (start == kNone) start = k;
    if (t == ";") {
      if (depth >= 1 && start < k) out.push_back({start, k});
      start = kNone;
    }
  }
  return out;
}

struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string with;
};

std::string apply(const std::string& text, const std::vector<Edit>& edits) {
  // Edits are disjoint and given in increasing order.
  std::string out;
  std::size_t at = 0;
  for (const Edit& e : edits) {
    out.append(text, at, e.begin - at);
    out += e.with;
    at = e.end;
  }
  out.append(text, at, std::string::npos);
  return out;
}

class Mutator {
 public:
  Mutator(const std::string& name, const std::string& text, Rng& rng)
      : name_(name), text_(text), rng_(rng), toks_(tokenize(text)), stmts_(statements(toks_)) {}

  bool run(uint32_t op, Mutant& out) {
    switch (op) {
      case 0:
        return swap_token(
            out, {{"==", "!="}, {"!=", "=="}, {"<", ">="}, {">=", "<"}, {">", "<="}, {"<=", ">"}});
      case 1:
        return swap_token(out, {{"&&", "||"}, {"||", "&&"}});
      case 2:
        return swap_token(out, {{"TRUE", "FALSE"}, {"FALSE", "TRUE"}});
      case 3:
        return status_swap(out);
      case 4:
        return int_tweak(out);
      case 5:
        return stmt_edit(out, "delete");
      case 6:
        return stmt_edit(out, "duplicate");
      case 7:
        return stmt_swap(out);
      case 8:
        return cond_edit(out, true);
      case 9:
        return swap_token(out, {{"WdfRequestMarkCancelable", "WdfRequestMarkCancelableEx"},
                                {"WdfRequestMarkCancelableEx", "WdfRequestMarkCancelable"},
                                {"WdfRequestUnmarkCancelable", "WdfRequestIsCanceled"},
                                {"WdfRequestIsCanceled", "WdfRequestUnmarkCancelable"},
                                {"WdfRequestSend", "WdfRequestSendAndForget"},
                                {"WdfRequestSendAndForget", "WdfRequestSend"},
                                {"WdfRequestComplete", "WdfRequestRequeue"},
                                {"WdfSpinLockAcquire", "WdfSpinLockRelease"},
                                {"WdfSpinLockRelease", "WdfSpinLockAcquire"},
                                {"KeSetEvent", "KeClearEvent"},
                                {"WdfObjectReference", "WdfObjectDereference"},
                                {"WdfObjectDereference", "WdfObjectReference"},
                                {"NdisFSendNetBufferLists", "NdisFSendNetBufferListsComplete"},
                                {"NdisFSendNetBufferListsComplete", "NdisFSendNetBufferLists"},
                                {"vcb_free", "vcb_alloc"},
                                {"WdfTimerStart", "WdfTimerStop"}});
      case 10:
        return swap_token(
            out, {{"parallel", "sequential"}, {"sequential", "parallel"}, {"manual", "parallel"}});
      case 11:
        return stmt_edit(out, "wrap");
      default:
        return cond_edit(out, false);
    }
  }

 private:
  const std::string& name_;
  const std::string& text_;
  Rng& rng_;
  std::vector<Tok> toks_;
  std::vector<Stmt> stmts_;

  std::string at(const Tok& t) const { return fmt::format("{}:{}:{}", name_, t.line, t.col); }

  template <typename Pred>
  std::optional<std::size_t> pick(Pred&& pred) {
    std::vector<std::size_t> cands;
    for (std::size_t k = 0; k < toks_.size(); ++k) {
      if (pred(k)) cands.push_back(k);
    }
    if (cands.empty()) return std::nullopt;
    return cands[rng_.below(static_cast<uint32_t>(cands.size()))];
  }

  bool swap_token(Mutant& out,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> table) {
    auto k = pick([&](std::size_t i) {
      for (const auto& [from, to] : table) {
        if (toks_[i].text == from) return true;
      }
      return false;
    });
    if (!k) return false;
    const Tok& t = toks_[*k];
    for (const auto& [from, to] : table) {
      if (t.text != from) continue;
      out.text = apply(text_, {{t.begin, t.end, std::string(to)}});
      out.what = fmt::format("{} -> {} at {}", from, to, at(t));
      return true;
    }
    return false;
  }

  bool status_swap(Mutant& out) {
    static constexpr std::string_view kStatuses[] = {"STATUS_SUCCESS", "STATUS_CANCELLED",
                                                     "STATUS_UNSUCCESSFUL", "STATUS_PENDING"};
    auto k = pick([&](std::size_t i) { return toks_[i].text.starts_with("STATUS_"); });
    if (!k) return false;
    const Tok& t = toks_[*k];
    std::string_view to = kStatuses[rng_.below(4)];
    if (to == t.text) to = kStatuses[(rng_.below(3) + 1) % 4];
    out.text = apply(text_, {{t.begin, t.end, std::string(to)}});
    out.what = fmt::format("{} -> {} at {}", t.text, to, at(t));
    return true;
  }

  bool int_tweak(Mutant& out) {
    auto k = pick([&](std::size_t i) {
      return std::isdigit(static_cast<unsigned char>(toks_[i].text[0])) != 0 &&
             toks_[i].text.size() <= 6;
    });
    if (!k) return false;
    const Tok& t = toks_[*k];
    long long v = 0;
    try {
      v = std::stoll(std::string(t.text), nullptr, 0);
    } catch (const std::exception&) {
      return false;
    }
    const long long choices[] = {v + 1, v > 0 ? v - 1 : 2, 0};
    const long long nv = choices[rng_.below(3)];
    if (nv == v) return false;
    out.text = apply(text_, {{t.begin, t.end, std::to_string(nv)}});
    out.what = fmt::format("{} -> {} at {}", t.text, nv, at(t));
    return true;
  }

  bool stmt_edit(Mutant& out, std::string_view how) {
    if (stmts_.empty()) return false;
    const Stmt& s = stmts_[rng_.below(static_cast<uint32_t>(stmts_.size()))];
    const Tok& a = toks_[s.first];
    const Tok& b = toks_[s.last];
    const std::string body = text_.substr(a.begin, b.end - a.begin);
    std::string with;
    if (how == "delete") {
      with = "";
    } else if (how == "duplicate") {
      with = body + " " + body;
    } else {
      with = "if (*) { " + body + " }";
    }
    out.text = apply(text_, {{a.begin, b.end, with}});
    out.what = fmt::format("{} statement at {}", how, at(a));
    return true;
  }

  bool stmt_swap(Mutant& out) {
    std::vector<std::size_t> pairs;
    for (std::size_t i = 0; i + 1 < stmts_.size(); ++i) {
      if (stmts_[i + 1].first == stmts_[i].last + 1) pairs.push_back(i);
    }
    if (pairs.empty()) return false;
    const std::size_t i = pairs[rng_.below(static_cast<uint32_t>(pairs.size()))];
    const Tok& a0 = toks_[stmts_[i].first];
    const Tok& a1 = toks_[stmts_[i].last];
    const Tok& b0 = toks_[stmts_[i + 1].first];
    const Tok& b1 = toks_[stmts_[i + 1].last];
    const std::string first = text_.substr(a0.begin, a1.end - a0.begin);
    const std::string second = text_.substr(b0.begin, b1.end - b0.begin);
    out.text = apply(text_, {{a0.begin, a1.end, second}, {b0.begin, b1.end, first}});
    out.what = fmt::format("swap statements at {} and {}", at(a0), at(b0));
    return true;
  }

  /// `if (` / `while (` conditions: made nondeterministic (`*`) or negated.
  bool cond_edit(Mutant& out, bool nondet) {
    auto k = pick([&](std::size_t i) {
      return (toks_[i].text == "if" || toks_[i].text == "while") && i + 1 < toks_.size() &&
             toks_[i + 1].text == "(" && i + 2 < toks_.size() && toks_[i + 2].text != "*";
    });
    if (!k) return false;
    int depth = 0;
    std::size_t close = *k + 1;
    for (; close < toks_.size(); ++close) {
      if (toks_[close].text == "(") ++depth;
      if (toks_[close].text == ")" && --depth == 0) break;
    }
    if (close >= toks_.size()) return false;
    const Tok& open = toks_[*k + 1];
    const Tok& shut = toks_[close];
    const std::string cond = text_.substr(open.end, shut.begin - open.end);
    const std::string with = nondet ? "*" : "!(" + cond + ")";
    out.text = apply(text_, {{open.end, shut.begin, with}});
    out.what = fmt::format("{} condition of '{}' at {}", nondet ? "nondeterministic" : "negated",
                           toks_[*k].text, at(toks_[*k]));
    return true;
  }
};

}  // namespace

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

const std::vector<std::string>& operator_names() {
  static const std::vector<std::string> names = {
      "relational-flip",  "logical-flip",     "boolean-flip",        "status-swap",
      "integer-tweak",    "statement-delete", "statement-duplicate", "statement-swap",
      "nondet-condition", "api-swap",         "queue-kind",          "wrap-nondet",
      "negate-condition"};
  return names;
}

bool mutate(const std::string& name, const std::string& text, Rng& rng, Mutant& out) {
  Mutator m(name, text, rng);
  const auto op = rng.below(static_cast<uint32_t>(operator_names().size()));
  if (!m.run(op, out)) return false;
  out.what = operator_names()[op] + ": " + out.what;
  return out.text != text;
}

}  // namespace cc::mutation
