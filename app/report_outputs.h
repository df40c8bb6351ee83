// Where `check` writes its reports, and how violations gate the exit code.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "checker/result.h"
#include "model/rules.h"
#include "reports/baseline.h"
#include "reports/source_root.h"

namespace cc {

struct CheckCommandOptions;

/// Resolved output locations (empty = not written).
struct ReportPaths {
  std::string json;
  std::string sarif;
  std::string junit;
  std::string html_dir;
  std::string baseline;        ///< read: accepted violations
  std::string write_baseline;  ///< written: current violations
  reports::SourceRoot root;    ///< --source-root (or its default): SARIF URIs, fingerprints
};

/// What the run amounts to for CI.
struct GateSummary {
  std::size_t violations = 0;                 ///< all violations found
  std::size_t gating_violations = 0;          ///< selected by --fail-on and not in the baseline
  std::size_t baselined = 0;                  ///< accepted by the baseline
  std::size_t incomplete = 0;                 ///< specs without a complete verdict
  std::vector<reports::BaselineEntry> stale;  ///< baseline entries no violation matched
  bool internal_error = false;                ///< a report renderer failed
  std::string baseline_error;                 ///< a malformed --baseline: a usage error (exit 2)
  bool baseline_written = false;              ///< --write-baseline: no violation gates
  std::string output_error;                   ///< a report that could not be written
  std::vector<std::string> written;           ///< files written, for the summary
};

/// Applies --out defaults to the explicit report options and resolves --source-root.
ReportPaths resolve_report_paths(const CheckCommandOptions& opts);

/// Checks before the (possibly long) search that every output can be written: no output is
/// a folder, two options do not name one file, no output overwrites an input spec in `specs`
/// or the --baseline (--write-baseline may replace it), every output folder exists or is
/// created and accepts a new file. Returns an error message naming the option(s), or empty.
std::string prepare_report_outputs(const ReportPaths& paths, const CheckCommandOptions& opts,
                                   const std::vector<std::string>& specs);

/// Largest --baseline file read (16 MiB, tens of thousands of entries).
inline constexpr std::size_t kMaxBaselineBytes = std::size_t{16} << 20;

/// Prints one spec's verdict and traces to the terminal.
void print_spec_result(std::ostream& out, const SpecResult& result, bool color);

/// Reads the --baseline file before the search, so that each spec's result can be matched
/// (and printed as accepted) as soon as it is checked. Throws std::runtime_error naming the
/// file when it cannot be read (or is over kMaxBaselineBytes) or parsed.
reports::Baseline read_baseline(const std::string& path);

/// Matches one spec's violations against what is left of the baseline (each entry accepts
/// one violation) and removes the entries it used. Returns how many it accepted.
std::size_t apply_baseline_to_spec(SpecResult& spec, reports::Baseline& remaining,
                                   const std::string& tool_version,
                                   const reports::SourceRoot& root);

/// Applies the baseline (unless paths.baseline is empty) and --fail-on, writes every
/// requested report atomically. With --write-baseline no violation gates: the file written
/// accepts them all.
GateSummary write_reports_and_gate(RunResult& run, const ReportPaths& paths,
                                   const std::vector<RuleId>& fail_on,
                                   const CheckCommandOptions& opts);

/// Prints the closing summary line(s), and the stale baseline entries.
void print_run_summary(std::ostream& out, const RunResult& run, const GateSummary& gate,
                       bool color);

}  // namespace cc
