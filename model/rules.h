// Rule identifiers and the catalogue (model/rules.def) that every output format reads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace cc {

/// A checked rule (CR001..CR016).
enum class RuleId : uint8_t {
#define CC_RULE(e, id, name, brief, full, aliases) e,
#include "model/rules.def"
#undef CC_RULE
};

/// Number of rules in the catalogue.
inline constexpr std::size_t kRuleCount = 0
#define CC_RULE(e, id, name, brief, full, aliases) +1
#include "model/rules.def"
#undef CC_RULE
    ;

/// One catalogue row.
struct RuleInfo {
  RuleId rule;
  std::string_view id;       ///< "CR001"
  std::string_view name;     ///< "double-completion"
  std::string_view brief;    ///< one sentence
  std::string_view full;     ///< a paragraph
  std::string_view aliases;  ///< comma-separated SDV-style rule names, may be empty
};

/// All rules in id order.
std::span<const RuleInfo> all_rules();
/// The catalogue row of a rule.
const RuleInfo& rule_info(RuleId rule);
/// Looks a rule up by "CR001", "double-completion" or an SDV alias (case-insensitive).
std::optional<RuleId> find_rule(std::string_view key);

}  // namespace cc
