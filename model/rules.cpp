#include "model/rules.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace cc {
namespace {

constexpr std::array<RuleInfo, kRuleCount> kRules = {{
#define CC_RULE(e, id, name, brief, full, aliases) {RuleId::e, id, name, brief, full, aliases},
#include "model/rules.def"
#undef CC_RULE
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::span<const RuleInfo> all_rules() {
  return kRules;
}

const RuleInfo& rule_info(RuleId rule) {
  return kRules.at(static_cast<std::size_t>(rule));
}

std::optional<RuleId> find_rule(std::string_view key) {
  key = trim(key);
  for (const RuleInfo& r : kRules) {
    if (iequals(r.id, key) || iequals(r.name, key)) return r.rule;
    std::string_view rest = r.aliases;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view alias = trim(rest.substr(0, comma));
      if (!alias.empty() && iequals(alias, key)) return r.rule;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return std::nullopt;
}

}  // namespace cc
