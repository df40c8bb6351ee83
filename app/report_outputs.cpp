#include "app/report_outputs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "app/check_command.h"
#include "model/source.h"
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

/// One output and the option that names it.
struct NamedOutput {
  std::string option;   ///< "--json", or "--out (results.json)" for a default
  std::string path;     ///< the file written (for --html: its index.html)
  bool folder = false;  ///< --html: `path` is index.html inside the folder given
};

std::vector<NamedOutput> named_outputs(const ReportPaths& p, const CheckCommandOptions& o) {
  std::vector<NamedOutput> out;
  auto add = [&](const std::string& path, const std::string& given, const char* option,
                 const char* default_name, bool folder) {
    if (path.empty()) return;
    std::string label =
        given.empty() ? fmt::format("--out ({})", default_name) : std::string(option);
    out.push_back({label, folder ? (fs::path(path) / "index.html").string() : path, folder});
  };
  add(p.json, o.json_path, "--json", "results.json", false);
  add(p.sarif, o.sarif_path, "--sarif", "results.sarif", false);
  add(p.junit, o.junit_path, "--junit", "results.xml", false);
  add(p.html_dir, o.html_dir, "--html", "html", true);
  add(p.write_baseline, p.write_baseline, "--write-baseline", "", false);
  return out;
}

fs::path canonical_or_self(const std::string& path) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path(path).lexically_normal() : c;
}

/// Two options naming one file, or an output over an input: nothing is created yet.
std::string check_conflicts(const std::vector<NamedOutput>& outputs, const ReportPaths& p,
                            const std::vector<std::string>& specs) {
  std::vector<fs::path> canon;
  for (const NamedOutput& n : outputs) canon.push_back(canonical_or_self(n.path));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = i + 1; j < outputs.size(); ++j) {
      if (canon[i] == canon[j]) {
        return fmt::format("{} and {} both write '{}'", outputs[i].option, outputs[j].option,
                           outputs[i].path);
      }
    }
  }
  const fs::path baseline = p.baseline.empty() ? fs::path() : canonical_or_self(p.baseline);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    // Updating a baseline in place is fine: it is read before the search.
    if (!baseline.empty() && canon[i] == baseline && outputs[i].option != "--write-baseline") {
      return fmt::format("{} '{}' would overwrite the --baseline file", outputs[i].option,
                         outputs[i].path);
    }
    for (const std::string& spec : specs) {
      if (canon[i] == canonical_or_self(spec)) {
        return fmt::format("{} '{}' would overwrite the input spec '{}'", outputs[i].option,
                           outputs[i].path, spec);
      }
    }
  }
  return {};
}

/// The folder `file` goes into exists (or is created) and takes a new file: a probe file is
/// created and removed again. `file` itself must not be a folder.
std::string check_writable(const NamedOutput& n) {
  std::error_code ec;
  const fs::path file(n.path);
  if (!n.folder && fs::is_directory(file, ec)) {
    return fmt::format("{} '{}' is a folder, expected a file path", n.option, n.path);
  }
  fs::path folder = file.parent_path();
  if (folder.empty()) folder = ".";
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec)) {
    return fmt::format("{}: '{}' is not a folder", n.option, folder.string());
  }
  fs::create_directories(folder, ec);
  if (ec) {
    return fmt::format("{}: cannot create folder '{}': {}", n.option, folder.string(),
                       ec.message());
  }
  const fs::path probe = folder / fmt::format(".cancelcheck-probe-{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fmt::format("{}: cannot write into folder '{}': {}", n.option, folder.string(),
                       std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

/// The HTML options: the text of every spec with a trace page, read again now and kept only
/// when its content hash is the one the checker saw (an edited spec gets no source view).
reports::HtmlOptions html_options(const RunResult& run) {
  reports::HtmlOptions options;
  for (const SpecResult& s : run.specs) {
    if (s.violations.empty() || s.spec_hash.empty()) continue;
    std::string text;
    std::string error;
    if (read_file_capped(s.path, kMaxSpecFileBytes, text, error) &&
        spec_content_hash(text) == s.spec_hash) {
      options.sources[s.path] = std::move(text);
    }
  }
  return options;
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
  p.root = o.source_root.empty() ? reports::default_source_root()
                                 : reports::SourceRoot(fs::path(o.source_root));
  return p;
}

std::string prepare_report_outputs(const ReportPaths& p, const CheckCommandOptions& o,
                                   const std::vector<std::string>& specs) {
  const std::vector<NamedOutput> outputs = named_outputs(p, o);
  std::string problem = check_conflicts(outputs, p, specs);
  if (!problem.empty()) return problem;
  for (const NamedOutput& n : outputs) {
    problem = check_writable(n);
    if (!problem.empty()) return problem;
  }
  std::error_code ec;
  if (!p.baseline.empty() && !fs::exists(p.baseline, ec)) {
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
  std::string text;
  std::string error;
  if (!read_file_capped(path, kMaxBaselineBytes, text, error)) {
    throw std::runtime_error(fmt::format("baseline: {}", error));
  }
  try {
    return reports::parse_baseline(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("baseline '{}': {}", path, e.what()));
  }
}

std::size_t apply_baseline_to_spec(SpecResult& spec, reports::Baseline& remaining,
                                   const std::string& tool_version,
                                   const reports::SourceRoot& root) {
  RunResult one;
  one.tool_version = tool_version;
  one.specs.push_back(std::move(spec));
  reports::BaselineOutcome outcome =
      reports::apply_baseline(one, remaining, reports::BaselineMode::Mark, root);
  remaining.entries = std::move(outcome.stale);
  spec = std::move(one.specs.front());
  return outcome.accepted;
}

GateSummary write_reports_and_gate(RunResult& run, const ReportPaths& p,
                                   const std::vector<RuleId>& fail_on,
                                   const CheckCommandOptions& /*opts*/) {
  GateSummary g;
  g.baseline_written = !p.write_baseline.empty();
  if (!p.write_baseline.empty()) {
    std::string err = reports::write_file_atomic(
        p.write_baseline, reports::render_baseline(reports::make_baseline(run, p.root)));
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
      reports::BaselineOutcome outcome = reports::apply_baseline(
          run, reports::parse_baseline(text.str()), reports::BaselineMode::Mark, p.root);
      g.baselined = outcome.accepted;
    } catch (const std::exception& e) {
      g.baseline_error = fmt::format("baseline '{}': {}", p.baseline, e.what());
    }
  }
  const RunTotals t = totals(run);
  g.incomplete = t.incomplete;
  g.violations = t.violations;
  for (const SpecResult& s : run.specs) {
    for (const Violation& v : s.violations) {
      // A run that writes a baseline accepts what it found.
      if (!v.accepted && gates(fail_on, v.rule) && p.write_baseline.empty()) ++g.gating_violations;
    }
  }
  auto write = [&](const std::string& path, const std::string& content) {
    if (path.empty()) return;
    std::string err = reports::write_file_atomic(path, content);
    if (!err.empty() && g.output_error.empty()) g.output_error = err;
    if (err.empty()) g.written.push_back(path);
  };
  write(p.json, reports::render_json(run));
  write(p.sarif, reports::render_sarif(run, reports::SarifOptions{.source_root = p.root}));
  write(p.junit, reports::render_junit(run));
  if (!p.html_dir.empty()) {
    std::string err = reports::write_html_reports(run, p.html_dir, html_options(run));
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
    out << fmt::format("{} violation(s) do not gate the exit code ({})\n",
                       g.violations - g.gating_violations - g.baselined,
                       g.baseline_written ? "--write-baseline accepts them" : "--fail-on");
  }
  if (!g.stale.empty()) {
    out << fmt::format(
        "{} baseline entr{} matched no violation (fixed, or the statement changed; prune them "
        "with --write-baseline):\n",
        g.stale.size(), g.stale.size() == 1 ? "y" : "ies");
    for (const reports::BaselineEntry& e : g.stale) {
      out << fmt::format("  stale: {} {}:{} {} [{}]\n", e.rule, e.spec, e.line, e.message,
                         e.fingerprint);
    }
  }
  for (const std::string& w : g.written) out << "wrote " << w << "\n";
}

}  // namespace cc
