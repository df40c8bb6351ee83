// Printing of symbolic terms and path conditions as C expressions, and of models.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/sym.h"

namespace cc {

// ---------------------------------------------------------------- printing

namespace {

std::string format_const(uint64_t v, unsigned width) {
  if (width == 0) return v ? "TRUE" : "FALSE";
  if (v <= 0xFFFF) return fmt::format("{}", v);
  return fmt::format("0x{:X}", v);
}

// C precedence levels (higher binds tighter).
constexpr int kPrecTernary = 1;
constexpr int kPrecOr = 2;
constexpr int kPrecAnd = 3;
constexpr int kPrecBitOr = 4;
constexpr int kPrecBitXor = 5;
constexpr int kPrecBitAnd = 6;
constexpr int kPrecEq = 7;
constexpr int kPrecRel = 8;
constexpr int kPrecShift = 9;
constexpr int kPrecAdd = 10;
constexpr int kPrecMul = 11;
constexpr int kPrecUnary = 12;
constexpr int kPrecPrimary = 13;

struct PrintItem {
  bool is_text;
  std::string text;
  SymTermId id;
  int min_prec;
};

void print_term(const SymPool& pool, SymTermId root, int root_prec, std::size_t max_chars,
                std::string& out) {
  std::vector<PrintItem> stack;
  stack.push_back({false, {}, root, root_prec});
  std::vector<PrintItem> parts;
  while (!stack.empty()) {
    if (out.size() > max_chars) {
      out.resize(max_chars);
      out += "...";
      return;
    }
    PrintItem item = std::move(stack.back());
    stack.pop_back();
    if (item.is_text) {
      out += item.text;
      continue;
    }
    const SymNode& n = pool.node(item.id);
    auto text = [](std::string s) { return PrintItem{true, std::move(s), SymTermId{}, 0}; };
    auto sub = [](SymTermId id, int p) { return PrintItem{false, {}, id, p}; };
    parts.clear();
    int prec = kPrecPrimary;
    auto binary = [&](const char* op, int p, bool left_assoc) {
      prec = p;
      parts.push_back(sub(n.kids[0], left_assoc ? p : p + 1));
      parts.push_back(text(op));
      parts.push_back(sub(n.kids[1], p + 1));
    };
    switch (n.op) {
      case SymOp::BoolConst:
      case SymOp::Const:
        parts.push_back(text(format_const(n.value, n.width)));
        break;
      case SymOp::Var: {
        const SymVarInfo* info = pool.var_info(SymVarId{static_cast<uint32_t>(n.value)});
        parts.push_back(text(info ? info->name : fmt::format("#{}", n.value)));
        break;
      }
      case SymOp::Not: {
        const SymNode& k = pool.node(n.kids[0]);
        if (k.op == SymOp::Eq) {
          prec = kPrecEq;
          parts.push_back(sub(k.kids[0], kPrecEq + 1));
          parts.push_back(text(" != "));
          parts.push_back(sub(k.kids[1], kPrecEq + 1));
        } else {
          prec = kPrecUnary;
          parts.push_back(text("!"));
          parts.push_back(sub(n.kids[0], kPrecUnary));
        }
        break;
      }
      case SymOp::And:
        binary(" && ", kPrecAnd, true);
        break;
      case SymOp::Or:
        binary(" || ", kPrecOr, true);
        break;
      case SymOp::BvNot:
        prec = kPrecUnary;
        parts.push_back(text("~"));
        parts.push_back(sub(n.kids[0], kPrecUnary));
        break;
      case SymOp::BvNeg:
        prec = kPrecUnary;
        parts.push_back(text("-"));
        parts.push_back(sub(n.kids[0], kPrecUnary));
        break;
      case SymOp::BvAdd:
        binary(" + ", kPrecAdd, true);
        break;
      case SymOp::BvSub:
        binary(" - ", kPrecAdd, true);
        break;
      case SymOp::BvMul:
        binary(" * ", kPrecMul, true);
        break;
      case SymOp::BvAnd:
        binary(" & ", kPrecBitAnd, true);
        break;
      case SymOp::BvOr:
        binary(" | ", kPrecBitOr, true);
        break;
      case SymOp::BvXor:
        binary(" ^ ", kPrecBitXor, true);
        break;
      case SymOp::BvShl:
        binary(" << ", kPrecShift, true);
        break;
      case SymOp::BvLshr:
        binary(" >>> ", kPrecShift, true);
        break;
      case SymOp::BvAshr:
        binary(" >> ", kPrecShift, true);
        break;
      case SymOp::Eq:
        binary(" == ", kPrecEq, false);
        break;
      case SymOp::Ult:
        binary(" <u ", kPrecRel, false);
        break;
      case SymOp::Ule:
        binary(" <=u ", kPrecRel, false);
        break;
      case SymOp::Slt:
        binary(" < ", kPrecRel, false);
        break;
      case SymOp::Sle:
        binary(" <= ", kPrecRel, false);
        break;
      case SymOp::Ite:
        prec = kPrecTernary;
        parts.push_back(sub(n.kids[0], kPrecTernary + 1));
        parts.push_back(text(" ? "));
        parts.push_back(sub(n.kids[1], kPrecTernary + 1));
        parts.push_back(text(" : "));
        parts.push_back(sub(n.kids[2], kPrecTernary));
        break;
      case SymOp::ZeroExt:
        prec = -1;  // transparent: print the operand at the caller's precedence
        parts.push_back(sub(n.kids[0], item.min_prec));
        break;
      case SymOp::SignExt:
        parts.push_back(text(fmt::format("sext{}(", n.width)));
        parts.push_back(sub(n.kids[0], 0));
        parts.push_back(text(")"));
        break;
      case SymOp::Extract:
        parts.push_back(sub(n.kids[0], kPrecPrimary));
        parts.push_back(text(fmt::format("[{}:{}]", n.value + n.width - 1, n.value)));
        break;
    }
    const bool paren = prec >= 0 && prec < item.min_prec;
    if (paren) stack.push_back(text(")"));
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) stack.push_back(std::move(*it));
    if (paren) stack.push_back(text("("));
  }
  if (out.size() > max_chars) {
    out.resize(max_chars);
    out += "...";
  }
}

}  // namespace

std::string sym_to_string(const SymPool& pool, SymTermId t, std::size_t max_chars) {
  std::string out;
  print_term(pool, t, 0, max_chars, out);
  return out;
}

std::string sym_to_string(const SymPool& pool, const PathCondition& pc, std::size_t max_chars) {
  if (pc.is_true()) return "TRUE";
  std::string out;
  for (const SymTermId c : pc.conjuncts()) {
    if (!out.empty()) out += " && ";
    if (out.size() > max_chars) break;
    print_term(pool, c, kPrecAnd + 1, max_chars, out);
  }
  if (out.size() > max_chars) {
    out.resize(max_chars);
    out += "...";
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> sym_describe(const SymPool& pool,
                                                              const Assignment& a) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [id, value] : a.entries()) {
    const SymVarInfo* info = pool.var_info(id);
    out.emplace_back(info ? info->name : fmt::format("#{}", id.value),
                     format_const(value, info ? info->width : kIntWidth));
  }
  return out;
}

}  // namespace cc
