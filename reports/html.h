// HTML race traces: one self-contained page per violation (swimlanes per activity, racing
// steps highlighted, object-state side panel, keyboard navigation) and an index per run.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "checker/result.h"

namespace cc::reports {

/// HTML switches.
struct HtmlOptions {
  bool timings = true;  ///< show times and states/s on the index (off = byte-stable output)
  /// Spec path -> the spec's text, shown beside its traces with every step linked to its line
  /// (a spec without an entry gets no source view).
  std::map<std::string, std::string> sources;
};

/// The page of one violation and its deterministic file name.
struct HtmlTraceFile {
  std::size_t spec_index = 0;       ///< index into RunResult::specs
  std::size_t violation_index = 0;  ///< index into SpecResult::violations
  std::string file_name;            ///< "<spec-stem>-CR001-1.html" (unique within the run)
};

/// File names for every violation of the run, in spec and violation order; spec stems that
/// repeat (same file name in two folders) get "-2", "-3", ... in order of appearance.
std::vector<HtmlTraceFile> html_trace_files(const RunResult& run);

/// The self-contained page (inline CSS and JS, no network) for one violation of the run.
std::string render_html_trace(const RunResult& run, std::size_t spec_index,
                              std::size_t violation_index, const HtmlOptions& options = {});

/// The run's index page: specs, verdicts, statistics and links to every trace page.
std::string render_html_index(const RunResult& run, const HtmlOptions& options = {});

/// Writes index.html and every trace page into `dir` (created if missing) atomically.
/// Returns "" on success, otherwise the first error message.
std::string write_html_reports(const RunResult& run, const std::filesystem::path& dir,
                               const HtmlOptions& options = {});

}  // namespace cc::reports
