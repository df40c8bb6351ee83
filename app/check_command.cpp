#include "app/check_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/cli.h"
#include "app/report_outputs.h"
#include "app/spec_files.h"

namespace cc {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int /*sig*/) {
  if (g_interrupted.exchange(true)) {
    // Second Ctrl-C: give up immediately.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

/// Parses a comma-separated list of rule keys; prints an error on an unknown one.
bool parse_rule_list(const std::string& text, const char* option, std::vector<RuleId>& out) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    auto rule = find_rule(item);
    if (!rule) {
      std::cerr << fmt::format(
          "cancelcheck: error: {}: unknown rule '{}' (see 'cancelcheck rules')\n", option, item);
      return false;
    }
    if (std::find(out.begin(), out.end(), *rule) == out.end()) out.push_back(*rule);
  }
  return true;
}

bool on_off(const std::string& v) {
  return v == "on";
}

}  // namespace

void add_check_options(CLI::App& cmd, CheckCommandOptions& o) {
  cmd.add_option("paths", o.paths, "Spec files or directories (searched for *.spec)")->required();
  cmd.add_option("-D,--define", o.defines, "Override a const: NAME=VALUE");
  cmd.add_option("--rules", o.rules,
                 "Only check these rules (comma-separated ids, names or aliases)");
  cmd.add_option("--fail-on", o.fail_on,
                 "Only violations of these rules make the exit code 1 (default: all)");
  cmd.add_option("--out", o.out_dir,
                 "Directory for reports not given explicitly (html/, results.json, "
                 "results.sarif, results.xml)");
  cmd.add_option("--json", o.json_path, "Write results as JSON (versioned schema)");
  cmd.add_option("--sarif", o.sarif_path, "Write SARIF 2.1.0");
  cmd.add_option("--junit", o.junit_path, "Write JUnit XML");
  cmd.add_option("--html", o.html_dir, "Write HTML race traces and index.html into this directory");
  cmd.add_option("--baseline", o.baseline_path,
                 "Baseline file of accepted violations: they are reported but do not fail the run");
  cmd.add_option("--write-baseline", o.write_baseline_path,
                 "Write the violations found to this baseline file");
  cmd.add_option("--search", o.search, "Search order")->check(CLI::IsMember({"bfs", "dfs"}));
  cmd.add_option(
         "--threads", o.threads,
         "Worker threads for the breadth-first search (level-synchronous; results never depend on it)")
      ->check(CLI::Range(1U, 64U));
  cmd.add_flag("--hash-compaction", o.hash_compaction,
               "Keep an 8-byte hash per state instead of the state: far less memory, depth-first, "
               "and a pass is only probabilistic (the verdict says so)");
  cmd.add_option("--por", o.por,
                 "Partial-order reduction: while a request and its callbacks touch nothing another "
                 "activity can reach, run them alone (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--symmetry", o.symmetry,
                 "Symmetry reduction: states that differ only in which callback slot an activity occupies "
                 "are one state")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--max-states", o.max_states, "Stop (incomplete) after this many states");
  cmd.add_option("--max-memory", o.max_memory_mb, "Stop (incomplete) above this much memory (MB)");
  cmd.add_option("--time-limit", o.time_limit_s, "Stop (incomplete) after this many seconds")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--z3-timeout", o.z3_timeout_ms,
                 "Per Z3 query, in milliseconds (specs with symbolic data; 0 = none); a query "
                 "that runs out makes the verdict incomplete");
  cmd.add_flag("--all", o.all, "Keep going: one shortest trace per rule and location");
  cmd.add_flag("--progress", o.progress, "Show a progress line (default: on a terminal)");
  cmd.add_flag("--no-progress", o.no_progress, "Never show the progress line");
  cmd.add_flag("-q,--quiet", o.quiet, "Print only the summary");
  cmd.add_flag("--color", o.color, "Colour the terminal report");
  cmd.add_flag("--no-color", o.no_color, "Never colour the terminal report");
}

bool parse_defines(const std::vector<std::string>& texts, Defines& out) {
  for (const std::string& t : texts) {
    std::string name;
    long long value = 0;
    if (!parse_define(t, name, value)) {
      std::cerr << fmt::format(
          "cancelcheck: error: -D '{}': expected NAME=VALUE with a 32-bit integer value\n", t);
      return false;
    }
    out[name] = value;
  }
  return true;
}

/// With several specs a -D applies to those that declare the const: the defines `path`
/// declares (found by a silent parse of its own; a spec that does not parse keeps them all,
/// and its real load reports the errors).
Defines defines_for(const std::string& path, const Defines& all, std::set<std::string>& used) {
  SourceManager sm;
  Diagnostics quiet;
  const std::unique_ptr<ast::Spec> spec = load_spec(sm, path, Defines{}, quiet);
  if (!spec) return all;
  Defines mine;
  for (const auto& [name, value] : all) {
    for (const ast::ConstDecl& c : spec->consts) {
      if (c.name == name) {
        mine[name] = value;
        used.insert(name);
        break;
      }
    }
  }
  return mine;
}

int run_check(const CheckCommandOptions& o) {
  Defines defines;
  if (!parse_defines(o.defines, defines)) return static_cast<int>(ExitCode::SpecError);

  CheckOptions copts;
  if (!parse_rule_list(o.rules, "--rules", copts.rules))
    return static_cast<int>(ExitCode::SpecError);
  std::vector<RuleId> fail_on;
  if (!parse_rule_list(o.fail_on, "--fail-on", fail_on))
    return static_cast<int>(ExitCode::SpecError);
  copts.search = o.search == "dfs" ? SearchOrder::Dfs : SearchOrder::Bfs;
  copts.all = o.all;
  if (o.max_states) copts.max_states = o.max_states;
  if (o.max_memory_mb) copts.max_memory_mb = o.max_memory_mb;
  copts.time_limit_s = o.time_limit_s;
  copts.z3_timeout_ms = o.z3_timeout_ms;
  copts.threads = o.threads;
  copts.hash_compaction = o.hash_compaction;
  copts.por = on_off(o.por);
  copts.symmetry = on_off(o.symmetry);
  copts.progress = !o.no_progress && (o.progress || isatty(STDERR_FILENO) != 0);
  copts.interrupt = &g_interrupted;

  ReportPaths paths = resolve_report_paths(o);
  std::string problem = prepare_report_outputs(paths);
  if (!problem.empty()) {
    std::cerr << "cancelcheck: error: " << problem << "\n";
    return static_cast<int>(ExitCode::SpecError);
  }
  // The baseline is read first and matched spec by spec, so the terminal shows accepted
  // violations as such while the run goes on.
  std::optional<reports::Baseline> baseline;
  std::size_t baselined = 0;
  if (!paths.baseline.empty()) {
    try {
      baseline = read_baseline(paths.baseline);
    } catch (const std::exception& e) {
      std::cerr << "cancelcheck: error: " << e.what() << "\n";
      return static_cast<int>(ExitCode::Internal);
    }
  }

  std::vector<std::string> missing;
  std::vector<std::string> files = collect_spec_files(o.paths, missing);
  for (const std::string& m : missing) {
    std::cerr << fmt::format("cancelcheck: error: no such file or directory: '{}'\n", m);
  }
  if (!missing.empty()) return static_cast<int>(ExitCode::SpecError);
  if (files.empty()) {
    std::cerr << "cancelcheck: error: no .spec files found\n";
    return static_cast<int>(ExitCode::SpecError);
  }

  // One spec: a -D it does not declare is its diagnostic. Several: each takes the defines it
  // declares, and one that no spec declares is an error before anything is checked.
  std::vector<Defines> spec_defines(files.size(), defines);
  if (files.size() > 1 && !defines.empty()) {
    std::set<std::string> used;
    for (std::size_t i = 0; i < files.size(); ++i) {
      spec_defines[i] = defines_for(files[i], defines, used);
    }
    bool unknown = false;
    for (const auto& [name, value] : defines) {
      if (used.count(name) == 0) {
        std::cerr << fmt::format("cancelcheck: error: -D {}={}: none of the {} specs declares "
                                 "'const {}'\n",
                                 name, value, files.size(), name);
        unknown = true;
      }
    }
    if (unknown) return static_cast<int>(ExitCode::SpecError);
  }

  bool color = !o.no_color && (o.color || isatty(STDOUT_FILENO) != 0);
  bool diag_color = !o.no_color && (o.color || isatty(STDERR_FILENO) != 0);

  g_interrupted = false;
  auto previous = std::signal(SIGINT, on_sigint);

  RunResult run;
  run.tool_version = version_string();
  bool spec_error = false;
  bool internal_error = false;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const std::string& f = files[fi];
    SpecResult result;
    result.path = f;
    if (g_interrupted) {
      result.verdict = Verdict::Incomplete;
      result.incomplete_reason = "interrupted before this spec was checked";
      run.specs.push_back(std::move(result));
      continue;
    }
    SourceManager sm;
    Diagnostics diags;
    auto spec = load_spec(sm, f, spec_defines[fi], diags);
    if (!spec || diags.has_errors()) {
      std::ostringstream text;
      diags.print(text, sm, false);
      diags.print(std::cerr, sm, diag_color);
      result.verdict = Verdict::Error;
      result.error = text.str();
      spec_error = true;
      run.specs.push_back(std::move(result));
      continue;
    }
    try {
      result = check_spec(*spec, sm, copts);
      result.path = f;
      if (result.checked_rules.empty() && !copts.rules.empty()) {
        result.checked_rules = copts.rules;
        std::sort(result.checked_rules.begin(), result.checked_rules.end());
      }
    } catch (const std::exception& e) {
      result.verdict = Verdict::Error;
      result.error = std::string("internal error: ") + e.what();
      internal_error = true;
    }
    if (baseline) baselined += apply_baseline_to_spec(result, *baseline, run.tool_version);
    if (!o.quiet) print_spec_result(std::cout, result, color);
    run.specs.push_back(std::move(result));
  }
  std::signal(SIGINT, previous);

  ReportPaths applied = paths;
  applied.baseline.clear();  // already matched, spec by spec
  GateSummary gate = write_reports_and_gate(run, applied, fail_on, o);
  gate.baselined = baselined;
  print_run_summary(std::cout, run, gate, color);
  if (!gate.output_error.empty()) {
    std::cerr << "cancelcheck: error: " << gate.output_error << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
  if (internal_error || gate.internal_error) return static_cast<int>(ExitCode::Internal);
  if (spec_error) return static_cast<int>(ExitCode::SpecError);
  if (gate.gating_violations > 0) return static_cast<int>(ExitCode::Violation);
  if (gate.incomplete > 0) return static_cast<int>(ExitCode::Incomplete);
  return static_cast<int>(ExitCode::Ok);
}

}  // namespace cc
