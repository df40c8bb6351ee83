#include "app/check_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/cli.h"
#include "app/report_outputs.h"
#include "app/spec_files.h"
#include "checker/mpi_comm.h"
#include "checker/process_memory.h"

namespace cc {
namespace {

std::atomic<bool> g_interrupted{false};

/// SIGINT (Ctrl-C), SIGTERM and SIGHUP (what a CI cancellation or a closed terminal sends):
/// the first one stops the search, which then reports "interrupted"; a second one kills.
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void on_stop_signal(int sig) {
  if (g_interrupted.exchange(true)) {
    // Second signal: give up immediately.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

/// Installs on_stop_signal for the run's lifetime (search and report writing) and restores
/// the previous handlers.
class StopSignalScope {
 public:
  StopSignalScope() {
    g_interrupted = false;
    for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
      previous_[i] = std::signal(kStopSignals[i], on_stop_signal);
      // A signal the caller ignores (e.g. SIGHUP under nohup) stays ignored.
      if (previous_[i] == SIG_IGN) std::signal(kStopSignals[i], SIG_IGN);
    }
  }
  ~StopSignalScope() {
    for (std::size_t i = 0; i < std::size(kStopSignals); ++i)
      std::signal(kStopSignals[i], previous_[i]);
  }
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;

 private:
  void (*previous_[std::size(kStopSignals)])(int) = {};
};

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

/// A whole number in [0, max] in decimal digits only: no sign (CLI11 would wrap "-5" to a
/// huge unsigned value, i.e. no limit), no overflow.
CLI::Validator whole_number(unsigned long long max, std::string what, std::string zero) {
  return CLI::Validator(
      [max, what, zero](std::string& text) -> std::string {
        unsigned long long value = 0;
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end || value > max) {
          return fmt::format("'{}' is not {}: expected a whole number from 0 to {} (0 = {})", text,
                             what, max, zero);
        }
        return {};
      },
      "UINT");
}

/// A finite number of seconds, 0 or more ("nan", "inf" and negative values are errors).
CLI::Validator seconds_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0) {
          return fmt::format(
              "'{}' is not a time limit: expected a finite number of seconds, 0 or more (0 = no "
              "limit)",
              text);
        }
        return {};
      },
      "SECONDS");
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
                 "Write the violations found to this baseline file (they then do not fail the "
                 "run: exit 0 unless a spec is incomplete or has an error)");
  cmd.add_flag("--fail-on-stale", o.fail_on_stale,
               "Exit 1 when a --baseline entry matched no violation (fixed or changed: prune it)");
  cmd.add_option("--source-root", o.source_root,
                 "Folder that SARIF URIs (uriBaseId SRCROOT), baseline paths and fingerprints are "
                 "relative to (default: the enclosing repository's root, else the current folder)")
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--search", o.search, "Search order")->check(CLI::IsMember({"bfs", "dfs"}));
  cmd.add_option("--threads", o.threads,
                 "Worker threads for the breadth-first search (level-synchronous; results never "
                 "depend on it)")
      ->check(CLI::Range(1U, 64U));
  cmd.add_flag("--hash-compaction", o.hash_compaction,
               "Keep an 8-byte hash per state instead of the state: far less memory, depth-first, "
               "and a pass is only probabilistic (the verdict says so)");
  cmd.add_option("--por", o.por,
                 "Partial-order reduction: while a request and its callbacks touch nothing another "
                 "activity can reach, run them alone (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option(
         "--symmetry", o.symmetry,
         "Symmetry reduction: states that differ only in which callback slot an activity occupies "
         "are one state")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--liveness", o.liveness,
                 "After a complete search, look for fair cycles in which a request, NBL or verb "
                 "stays pending or an activity stays blocked (CR003, CR005, CR014; default on)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--max-states", o.max_states, "Stop (incomplete) after this many states")
      ->check(whole_number(std::numeric_limits<uint64_t>::max(), "a state count", "the default"));
  cmd.add_option("--max-memory", o.max_memory_mb,
                 "Stop (incomplete) above this much memory (MB), reading the spec and writing "
                 "the reports included")
      ->check(whole_number(kMaxMemoryMb, "a memory limit in MB", "the default"));
  cmd.add_option("--time-limit", o.time_limit_s,
                 "Stop (incomplete) after this many seconds per spec, counted from reading it")
      ->check(seconds_value());
  cmd.add_option("--z3-timeout", o.z3_timeout_ms,
                 "Per Z3 query, in milliseconds (specs with symbolic data; 0 = none); a query "
                 "that runs out makes the verdict incomplete")
      ->check(
          whole_number(std::numeric_limits<uint32_t>::max(), "a timeout in milliseconds", "none"));
  cmd.add_flag("--all", o.all, "Keep going: one shortest trace per rule and location");
  cmd.add_flag("--progress", o.progress, "Show a progress line (default: on a terminal)");
  cmd.add_flag("--no-progress", o.no_progress, "Never show the progress line");
  cmd.add_flag("-q,--quiet", o.quiet, "Print only the summary");
  add_color_flags(cmd, o.color);
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
    auto [it, fresh] = out.try_emplace(name, value);
    if (!fresh && it->second != value) {
      std::cerr << fmt::format("cancelcheck: error: -D {} given twice ({} and {})\n", name,
                               it->second, value);
      return false;
    }
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

namespace {

using Clock = std::chrono::steady_clock;

/// The CheckOptions and --fail-on rules of the command line; false after printing an error.
bool make_check_options(const CheckCommandOptions& o, CheckOptions& copts,
                        std::vector<RuleId>& fail_on) {
  if (!parse_rule_list(o.rules, "--rules", copts.rules)) return false;
  if (!parse_rule_list(o.fail_on, "--fail-on", fail_on)) return false;
  copts.search = o.search == "dfs" ? SearchOrder::Dfs : SearchOrder::Bfs;
  copts.all = o.all;
  if (o.max_states) copts.max_states = o.max_states;
  if (o.max_memory_mb) copts.max_memory_mb = o.max_memory_mb;
  copts.time_limit_s = o.time_limit_s;
  copts.z3_timeout_ms = o.z3_timeout_ms;
  copts.threads = o.threads;
  copts.hash_compaction = o.hash_compaction;
  copts.por = on_off(o.por);
  copts.liveness = on_off(o.liveness);
  copts.symmetry = on_off(o.symmetry);
  copts.progress = !o.no_progress && (o.progress || isatty(STDERR_FILENO) != 0);
  copts.interrupt = &g_interrupted;
  return true;
}

/// A limit reached while the spec was read and parsed (before any search), or empty.
std::string limit_reached_while_loading(const CheckOptions& copts, Clock::time_point started) {
  constexpr const char* kWhile = "while reading/parsing the spec";
  if (g_interrupted) return fmt::format("interrupted {}", kWhile);
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  if (copts.time_limit_s > 0 && elapsed >= copts.time_limit_s) {
    return fmt::format("time limit {} s reached {} ({:.1f} s)", copts.time_limit_s, kWhile,
                       elapsed);
  }
  const uint64_t resident = process_resident_bytes();
  if (copts.max_memory_mb != 0 && resident > (copts.max_memory_mb << 20)) {
    return fmt::format("memory limit {} MB reached {} (resident set {} MB)", copts.max_memory_mb,
                       kWhile, resident >> 20);
  }
  return {};
}

/// Rank 0's `text` on every rank (collective): where ranks could decide differently (clocks,
/// signals), rank 0 decides for all, so that they run the same collectives.
std::string from_rank0(Comm& comm, const std::string& text) {
  std::vector<uint8_t> bytes(text.begin(), text.end());
  comm.broadcast(bytes, Rank{0});
  return {bytes.begin(), bytes.end()};
}

/// What one spec's check adds to the exit code.
struct SpecOutcome {
  bool spec_error = false;
  bool internal_error = false;
};

/// Loads and checks one spec. Every limit counts from the moment its reading starts.
SpecResult check_one(const std::string& path, const Defines& defines, CheckOptions copts,
                     bool diag_color, SpecOutcome& outcome) {
  SpecResult result;
  result.path = path;
  copts.started = Clock::now();
  SourceManager sm;
  Diagnostics diags;
  auto spec = load_spec(sm, path, defines, diags);
  if (!spec || diags.has_errors()) {
    std::ostringstream text;
    diags.print(text, sm, false);
    diags.print(std::cerr, sm, diag_color);
    result.verdict = Verdict::Error;
    result.error = text.str();
    outcome.spec_error = true;
    return result;
  }
  std::string limit = limit_reached_while_loading(copts, *copts.started);
  if (copts.comm != nullptr) limit = from_rank0(*copts.comm, limit);  // all ranks go on, or none
  if (!limit.empty()) {
    result.title = spec->title;
    result.verdict = Verdict::Incomplete;
    result.incomplete_reason = std::move(limit);
    return result;
  }
  try {
    result = check_spec(*spec, sm, copts);
    result.path = path;
    if (result.checked_rules.empty() && !copts.rules.empty()) {
      result.checked_rules = copts.rules;
      std::sort(result.checked_rules.begin(), result.checked_rules.end());
    }
  } catch (const std::exception& e) {
    result.verdict = Verdict::Error;
    result.error = std::string("internal error: ") + e.what();
    outcome.internal_error = true;
  }
  return result;
}

/// Each spec's -D overrides. One spec: a -D it does not declare is its diagnostic. Several:
/// each takes the defines it declares, and one that no spec declares is an error (false).
bool split_defines(const std::vector<std::string>& files, const Defines& defines,
                   std::vector<Defines>& out) {
  out.assign(files.size(), defines);
  if (files.size() <= 1 || defines.empty()) return true;
  std::set<std::string> used;
  for (std::size_t i = 0; i < files.size(); ++i) out[i] = defines_for(files[i], defines, used);
  bool unknown = false;
  for (const auto& [name, value] : defines) {
    if (used.count(name) == 0) {
      std::cerr << fmt::format(
          "cancelcheck: error: -D {}={}: none of the {} specs declares 'const {}'\n", name, value,
          files.size(), name);
      unknown = true;
    }
  }
  return !unknown;
}

}  // namespace

namespace {

/// The options of a distributed run's rank: rank 0 reports; the others write nothing (their
/// output goes to /dev/null) and show no progress. An option the distributed search does not
/// take is a usage error (false, printed by rank 0).
bool rank_options(const Comm& comm, CheckCommandOptions& o) {
  const bool root = comm.rank().value == 0;
  std::string refused;
  if (o.search == "dfs") refused = "--search dfs";
  if (o.hash_compaction) refused = "--hash-compaction";
  if (o.threads > 1) refused = "--threads " + std::to_string(o.threads);
  if (!refused.empty() && comm.size() > 1) {
    if (root) {
      std::cerr << fmt::format(
          "cancelcheck: error: {} does not run distributed: under mpirun every rank searches "
          "breadth-first on one thread with exact state storage (docs/distributed.md)\n",
          refused);
    }
    return false;
  }
  if (!root) {
    o.out_dir.clear();
    o.json_path.clear();
    o.sarif_path.clear();
    o.junit_path.clear();
    o.html_dir.clear();
    o.write_baseline_path.clear();
    o.quiet = true;
    o.progress = false;
    o.no_progress = true;
    std::fflush(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::close(null);
    }
  }
  return true;
}

int run_check_here(const CheckCommandOptions& o, Comm* comm);

}  // namespace

int run_check(const CheckCommandOptions& given) {
  if (!launched_as_rank()) return run_check_here(given, nullptr);
  const std::unique_ptr<Comm> comm = start_rank();
  CheckCommandOptions o = given;
  int code = static_cast<int>(ExitCode::SpecError);
  if (rank_options(*comm, o)) code = run_check_here(o, comm.get());
  // Every rank ends with rank 0's exit code (mpirun passes on the first non-zero one).
  std::vector<uint8_t> agreed{static_cast<uint8_t>(code)};
  comm->broadcast(agreed, Rank{0});
  return agreed[0];
}

namespace {

int run_check_here(const CheckCommandOptions& o, Comm* comm) {
  // Installed first: a CI cancellation at any point still ends in written reports.
  StopSignalScope signals;
  constexpr int kSpecError = static_cast<int>(ExitCode::SpecError);
  Defines defines;
  if (!parse_defines(o.defines, defines)) return kSpecError;
  CheckOptions copts;
  std::vector<RuleId> fail_on;
  if (!make_check_options(o, copts, fail_on)) return kSpecError;
  copts.comm = comm;

  // An unreadable folder or file is reported and skipped; the walk and the run go on, and
  // the exit code is 2 at the end.
  const SpecFileList list = collect_spec_files(o.paths);
  report_unwalkable(list);
  if (!list.missing.empty()) return kSpecError;
  if (list.files.empty() && list.unreadable.empty()) {
    std::cerr << "cancelcheck: error: no .spec files found\n";
    return kSpecError;
  }
  const std::vector<std::string>& files = list.files;

  // Every output is checked before the (possibly long) search.
  ReportPaths paths = resolve_report_paths(o);
  std::string problem = prepare_report_outputs(paths, o, files);
  if (comm != nullptr) problem = from_rank0(*comm, problem);  // rank 0 writes the reports
  if (!problem.empty()) {
    std::cerr << "cancelcheck: error: " << problem << "\n";
    return kSpecError;
  }
  // The baseline is read first and matched spec by spec, so the terminal shows accepted
  // violations as such while the run goes on. A malformed one is a usage error.
  std::optional<reports::Baseline> baseline;
  std::size_t baselined = 0;
  if (!paths.baseline.empty()) {
    try {
      baseline = read_baseline(paths.baseline);
    } catch (const std::exception& e) {
      std::cerr << "cancelcheck: error: " << e.what() << "\n";
      return kSpecError;
    }
  }
  std::vector<Defines> spec_defines;
  if (!split_defines(files, defines, spec_defines)) return kSpecError;

  const bool color = use_color(o.color, STDOUT_FILENO);
  const bool diag_color = use_color(o.color, STDERR_FILENO);

  RunResult run;
  run.tool_version = version_string();
  SpecOutcome outcome;
  for (const UnreadablePath& u : list.unreadable) {
    SpecResult result;
    result.path = u.path;
    result.verdict = Verdict::Error;
    result.error = fmt::format("'{}': {}\n", u.path, u.reason);
    outcome.spec_error = true;
    if (!o.quiet) print_spec_result(std::cout, result, color);
    run.specs.push_back(std::move(result));
  }
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    SpecResult result;
    bool interrupted = g_interrupted;
    if (comm != nullptr) interrupted = !from_rank0(*comm, interrupted ? "1" : "").empty();
    if (interrupted) {
      result.path = files[fi];
      result.verdict = Verdict::Incomplete;
      result.incomplete_reason = "interrupted before this spec was checked";
      run.specs.push_back(std::move(result));
      continue;
    }
    SpecOutcome one;
    result = check_one(files[fi], spec_defines[fi], copts, diag_color, one);
    outcome.spec_error = outcome.spec_error || one.spec_error;
    outcome.internal_error = outcome.internal_error || one.internal_error;
    if (!one.spec_error) {  // (the diagnostics of a spec error are on stderr already)
      if (baseline)
        baselined += apply_baseline_to_spec(result, *baseline, run.tool_version, paths.root);
      if (!o.quiet) print_spec_result(std::cout, result, color);
    }
    run.specs.push_back(std::move(result));
  }

  ReportPaths applied = paths;
  applied.baseline.clear();  // already matched, spec by spec
  GateSummary gate = write_reports_and_gate(run, applied, fail_on, o);
  gate.baselined = baselined;
  if (baseline) gate.stale = std::move(baseline->entries);  // what no violation matched
  print_run_summary(std::cout, run, gate, color);
  if (!gate.baseline_error.empty()) {
    std::cerr << "cancelcheck: error: " << gate.baseline_error << "\n";
    return kSpecError;
  }
  if (!gate.output_error.empty()) {
    std::cerr << "cancelcheck: error: " << gate.output_error << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
  if (outcome.internal_error)
    std::cerr << "cancelcheck: internal error\n" << internal_error_advice();
  if (outcome.internal_error || gate.internal_error) return static_cast<int>(ExitCode::Internal);
  if (outcome.spec_error) return kSpecError;
  if (gate.gating_violations > 0) return static_cast<int>(ExitCode::Violation);
  if (o.fail_on_stale && !gate.stale.empty()) return static_cast<int>(ExitCode::Violation);
  if (gate.incomplete > 0) return static_cast<int>(ExitCode::Incomplete);
  return static_cast<int>(ExitCode::Ok);
}

}  // namespace

}  // namespace cc
