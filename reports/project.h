// Where the project lives on the web: SARIF's informationUri and helpUri, and where an
// internal error asks to be reported. The home page is CMake's CANCELCHECK_HOMEPAGE.
#pragma once

#include <string>
#include <string_view>

#include "model/rules.h"

namespace cc::reports {

/// The project's home page, without a trailing '/'.
std::string_view project_home();

/// The page that documents `rule`: its section of docs/rules.md (written by
/// `cancelcheck rules --markdown` from the catalogue) on the home page.
std::string rule_help_uri(const RuleInfo& rule);

/// Where to report a bug (the home page's issue tracker).
std::string issue_tracker_uri();

}  // namespace cc::reports
