// SARIF 2.1.0 output for code-scanning tools: the rule catalogue as tool.driver.rules, one
// result per violation with its location and the whole race trace as a code flow.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "checker/result.h"
#include "reports/source_root.h"

namespace cc::reports {

/// The id of the URI base that artifact locations under the source root are relative to.
inline constexpr std::string_view kSourceRootBaseId = "SRCROOT";

/// SARIF switches.
struct SarifOptions {
  /// Artifact URIs are relative to this folder (uriBaseId SRCROOT) and fingerprints use paths
  /// relative to it; empty: URIs are the paths as given.
  SourceRoot source_root;
  /// automationDetails.id is "<category>/": code scanning keeps one alert set per category.
  std::string category = "cancelcheck";
};

/// The SARIF log (version 2.1.0) of a run; deterministic (no timestamps; an absolute path only
/// in originalUriBaseIds and for specs outside the source root).
nlohmann::json to_sarif(const RunResult& run, const SarifOptions& options = {});

/// to_sarif serialized with two-space indentation and a final newline.
std::string render_sarif(const RunResult& run, const SarifOptions& options = {});

}  // namespace cc::reports
