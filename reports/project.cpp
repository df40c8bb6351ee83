#include "reports/project.h"

#include <cctype>

#ifndef CANCELCHECK_HOMEPAGE
#error "CANCELCHECK_HOMEPAGE is set by reports/CMakeLists.txt"
#endif

namespace cc::reports {

std::string_view project_home() {
  std::string_view home = CANCELCHECK_HOMEPAGE;
  while (!home.empty() && home.back() == '/') home.remove_suffix(1);
  return home;
}

std::string rule_help_uri(const RuleInfo& rule) {
  std::string anchor;
  for (char c : rule.id) anchor += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::string(project_home()) + "/blob/main/docs/rules.md#" + anchor;
}

std::string issue_tracker_uri() {
  return std::string(project_home()) + "/issues";
}

}  // namespace cc::reports
