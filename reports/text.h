// The terminal report: verdict lines, compiler-diagnostic-like violation blocks with the
// numbered race trace, a summary line and search statistics.
#pragma once

#include <string>

#include "checker/result.h"

namespace cc::reports {

/// What the text report shows.
struct TextOptions {
  bool color = false;   ///< ANSI colours (only for terminals)
  bool timings = true;  ///< include time and states/s (off for byte-identical output)
  bool traces = true;   ///< print each violation's trace, not just its diagnostic line
};

/// The whole report: per spec a verdict line and its violations, then the summary.
std::string render_text(const RunResult& run, const TextOptions& options = {});

/// One spec: the verdict line with statistics, then each violation block (or the error text).
std::string render_text_spec(const SpecResult& spec, const TextOptions& options = {});

/// One violation: "path:line:col: error: [CRnnn name] message", the source line with a caret,
/// the race headline, the numbered trace and the rule's one-line explanation.
std::string render_text_violation(const Violation& violation, const TextOptions& options = {});

/// The final summary line ("3 specs: 1 pass, 2 violation (3 violations) ...") and totals.
std::string render_text_summary(const RunResult& run, const TextOptions& options = {});

/// Statistics as one line: states, transitions, states/s, depth, time, Z3 queries if any.
std::string render_text_stats(const Stats& stats, const TextOptions& options = {});

}  // namespace cc::reports
