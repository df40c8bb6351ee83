#include "app/report_outputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "app/check_command.h"
#include "reports/atomic_file.h"
#include "reports/baseline.h"
#include "reports/html.h"
#include "reports/json.h"
#include "reports/junit.h"
#include "reports/sarif.h"
#include "reports/text.h"

namespace cc {
namespace {

namespace fs = std::filesystem;

std::string or_default(const std::string& explicit_path, const std::string& out_dir,
                       const char* name) {
  if (!explicit_path.empty() || out_dir.empty()) return explicit_path;
  return (fs::path(out_dir) / name).string();
}

/// The directory a report file will be written into must exist or be creatable.
std::string check_parent(const std::string& file) {
  if (file.empty()) return {};
  fs::path parent = fs::path(file).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return fmt::format("cannot create directory '{}': {}", parent.string(), ec.message());
  if (fs::exists(file, ec) && fs::is_directory(file, ec)) {
    return fmt::format("'{}' is a directory, expected a file path", file);
  }
  return {};
}

bool gates(const std::vector<RuleId>& fail_on, RuleId rule) {
  return fail_on.empty() || std::find(fail_on.begin(), fail_on.end(), rule) != fail_on.end();
}

}  // namespace

ReportPaths resolve_report_paths(const CheckCommandOptions& o) {
  ReportPaths p;
  p.json = or_default(o.json_path, o.out_dir, "results.json");
  p.sarif = or_default(o.sarif_path, o.out_dir, "results.sarif");
  p.junit = or_default(o.junit_path, o.out_dir, "results.xml");
  p.html_dir = or_default(o.html_dir, o.out_dir, "html");
  p.baseline = o.baseline_path;
  p.write_baseline = o.write_baseline_path;
  return p;
}

std::string prepare_report_outputs(const ReportPaths& p) {
  for (const std::string* f : {&p.json, &p.sarif, &p.junit, &p.write_baseline}) {
    std::string problem = check_parent(*f);
    if (!problem.empty()) return problem;
  }
  if (!p.html_dir.empty()) {
    std::error_code ec;
    fs::create_directories(p.html_dir, ec);
    if (ec) return fmt::format("cannot create directory '{}': {}", p.html_dir, ec.message());
  }
  if (!p.baseline.empty() && !fs::exists(p.baseline)) {
    return fmt::format("baseline file '{}' does not exist", p.baseline);
  }
  return {};
}

void print_spec_result(std::ostream& out, const SpecResult& result, bool color) {
  reports::TextOptions t;
  t.color = color;
  out << reports::render_text_spec(result, t);
  out.flush();
}

reports::Baseline read_baseline(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("baseline '{}': cannot be read", path));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return reports::parse_baseline(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("baseline '{}': {}", path, e.what()));
  }
}

std::size_t apply_baseline_to_spec(SpecResult& spec, reports::Baseline& remaining,
                                   const std::string& tool_version) {
  RunResult one;
  one.tool_version = tool_version;
  one.specs.push_back(std::move(spec));
  reports::BaselineOutcome outcome = reports::apply_baseline(one, remaining);
  remaining.entries = std::move(outcome.stale);
  spec = std::move(one.specs.front());
  return outcome.accepted;
}

GateSummary write_reports_and_gate(RunResult& run, const ReportPaths& p,
                                   const std::vector<RuleId>& fail_on,
                                   const CheckCommandOptions& /*opts*/) {
  GateSummary g;
  if (!p.write_baseline.empty()) {
    std::string err = reports::write_file_atomic(
        p.write_baseline, reports::render_baseline(reports::make_baseline(run)));
    if (!err.empty())
      g.output_error = err;
    else
      g.written.push_back(p.write_baseline);
  }
  if (!p.baseline.empty()) {
    std::ifstream in(p.baseline);
    std::stringstream text;
    text << in.rdbuf();
    try {
      reports::BaselineOutcome outcome =
          reports::apply_baseline(run, reports::parse_baseline(text.str()));
      g.baselined = outcome.accepted;
    } catch (const std::exception& e) {
      g.output_error = fmt::format("baseline '{}': {}", p.baseline, e.what());
      g.internal_error = true;
    }
  }
  for (const SpecResult& s : run.specs) {
    if (s.verdict == Verdict::Incomplete) ++g.incomplete;
    for (const Violation& v : s.violations) {
      ++g.violations;
      if (!v.accepted && gates(fail_on, v.rule)) ++g.gating_violations;
    }
  }
  auto write = [&](const std::string& path, const std::string& content) {
    if (path.empty()) return;
    std::string err = reports::write_file_atomic(path, content);
    if (!err.empty() && g.output_error.empty()) g.output_error = err;
    if (err.empty()) g.written.push_back(path);
  };
  write(p.json, reports::render_json(run));
  write(p.sarif, reports::render_sarif(run));
  write(p.junit, reports::render_junit(run));
  if (!p.html_dir.empty()) {
    std::string err = reports::write_html_reports(run, p.html_dir);
    if (!err.empty() && g.output_error.empty()) g.output_error = err;
    if (err.empty()) g.written.push_back((fs::path(p.html_dir) / "index.html").string());
  }
  return g;
}

void print_run_summary(std::ostream& out, const RunResult& run, const GateSummary& g, bool color) {
  reports::TextOptions t;
  t.color = color;
  out << reports::render_text_summary(run, t);
  if (g.violations != g.gating_violations + g.baselined) {
    out << fmt::format("{} violation(s) do not gate the exit code (--fail-on)\n",
                       g.violations - g.gating_violations - g.baselined);
  }
  for (const std::string& w : g.written) out << "wrote " << w << "\n";
}

}  // namespace cc
