// SARIF 2.1.0 output for code-scanning tools: the rule catalogue as tool.driver.rules, one
// result per violation with its location and the whole race trace as a code flow.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "checker/result.h"

namespace cc::reports {

/// The SARIF log (version 2.1.0) of a run; deterministic (no timestamps, no absolute paths
/// unless the spec paths were absolute).
nlohmann::json to_sarif(const RunResult& run);

/// to_sarif serialized with two-space indentation and a final newline.
std::string render_sarif(const RunResult& run);

}  // namespace cc::reports
