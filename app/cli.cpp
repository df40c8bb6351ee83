#include "app/cli.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/check_command.h"
#include "app/spec_files.h"
#include "checker/replay.h"
#include "model/frontend.h"
#include "model/rules.h"
#include "reports/json.h"

#ifndef CANCELCHECK_VERSION
#define CANCELCHECK_VERSION "0.0.0"
#endif

namespace cc {
namespace {

int print_rules(const std::string& key) {
  if (!key.empty()) {
    auto rule = find_rule(key);
    if (!rule) {
      std::cerr << fmt::format("cancelcheck: unknown rule '{}' (see 'cancelcheck rules')\n", key);
      return static_cast<int>(ExitCode::SpecError);
    }
    const RuleInfo& r = rule_info(*rule);
    std::cout << fmt::format("{} {}\n  {}\n\n  {}\n", r.id, r.name, r.brief, r.full);
    if (!r.aliases.empty()) std::cout << fmt::format("\n  SDV-style aliases: {}\n", r.aliases);
    return 0;
  }
  for (const RuleInfo& r : all_rules()) {
    std::cout << fmt::format("{}  {:<32} {}\n", r.id, r.name, r.brief);
    if (!r.aliases.empty()) std::cout << fmt::format("       {:<32} aliases: {}\n", "", r.aliases);
  }
  return 0;
}

int run_parse(const std::vector<std::string>& paths, const std::vector<std::string>& defines_text) {
  Defines defines;
  if (!parse_defines(defines_text, defines)) return static_cast<int>(ExitCode::SpecError);
  const SpecFileList list = collect_spec_files(paths);
  std::size_t bad = report_unwalkable(list);
  if (list.files.empty() && bad == 0) {
    std::cerr << "cancelcheck: error: no .spec files found\n";
    return static_cast<int>(ExitCode::SpecError);
  }
  bool color = isatty(STDERR_FILENO) != 0;
  for (const std::string& f : list.files) {
    SourceManager sm;
    Diagnostics diags;
    auto spec = load_spec(sm, f, defines, diags);
    diags.print(std::cerr, sm, color);
    if (!spec || diags.has_errors()) ++bad;
  }
  std::cout << fmt::format("{} spec(s) parsed, {} with errors\n", list.files.size(), bad);
  return bad ? static_cast<int>(ExitCode::SpecError) : 0;
}

// ---- `cancelcheck replay` (checker/replay.h) ----

/// Exit-code precedence as for check: internal (3) > spec error (2) > violation (1) >
/// incomplete (4) > ok (0).
int exit_rank(ExitCode c) {
  switch (c) {
    case ExitCode::Internal:
      return 4;
    case ExitCode::SpecError:
      return 3;
    case ExitCode::Violation:
      return 2;
    case ExitCode::Incomplete:
      return 1;
    case ExitCode::Ok:
      return 0;
  }
  return 0;
}

int run_replay(const std::string& trace_path, const std::string& spec_override,
               const std::vector<std::string>& defines_text) {
  Defines defines;
  if (!parse_defines(defines_text, defines)) return static_cast<int>(ExitCode::SpecError);
  std::ifstream in(trace_path, std::ios::binary);
  if (!in) {
    std::cerr << fmt::format("cancelcheck: error: cannot read '{}'\n", trace_path);
    return static_cast<int>(ExitCode::SpecError);
  }
  std::ostringstream text;
  text << in.rdbuf();
  RunResult run;
  try {
    run = reports::parse_run_result(text.str());
  } catch (const reports::JsonSchemaError& e) {
    std::cerr << fmt::format("cancelcheck: error: {}: not a cancelcheck --json document: {}\n",
                             trace_path, e.what());
    return static_cast<int>(ExitCode::SpecError);
  }
  ExitCode worst = ExitCode::Ok;
  auto note = [&](ExitCode c) {
    if (exit_rank(c) > exit_rank(worst)) worst = c;
  };
  std::size_t replayed = 0;
  for (const SpecResult& sr : run.specs) {
    if (sr.violations.empty()) continue;
    std::string path = spec_override.empty() ? sr.path : spec_override;
    if (spec_override.empty() && !std::filesystem::exists(path)) {
      // A relative path written by a check run elsewhere: try next to the JSON document.
      std::filesystem::path alt = std::filesystem::path(trace_path).parent_path() / path;
      if (std::filesystem::exists(alt)) path = alt.string();
    }
    SourceManager sm;
    Diagnostics diags;
    auto spec = load_spec(sm, path, defines, diags);
    diags.print(std::cerr, sm, isatty(STDERR_FILENO) != 0);
    if (!spec || diags.has_errors()) {
      std::cerr << fmt::format("cancelcheck: error: cannot load spec '{}' to replay its trace\n",
                               path);
      note(ExitCode::SpecError);
      continue;
    }
    for (std::size_t k = 0; k < sr.violations.size(); ++k) {
      const Violation& v = sr.violations[k];
      ++replayed;
      const std::string what =
          fmt::format("{}: violation {} of {} [{} {}]", path, k + 1, sr.violations.size(),
                      rule_info(v.rule).id, rule_info(v.rule).name);
      const ReplayResult r = replay_violation(*spec, sm, v, sr.checked_rules);
      switch (r.status) {
        case ReplayStatus::Reproduced:
          std::cout << fmt::format("{}: {}\n", what, r.message);
          note(ExitCode::Violation);
          break;
        case ReplayStatus::Clean:
          std::cout << fmt::format("{}: {}\n", what, r.message);
          note(ExitCode::Ok);
          break;
        case ReplayStatus::Misfit:
          std::cerr << fmt::format("cancelcheck: error: {}: the trace does not fit the spec at {}",
                                   what, r.message);
          note(ExitCode::SpecError);
          break;
        case ReplayStatus::Mismatch:
          std::cerr << fmt::format(
              "cancelcheck: internal error: {}: the trace and the reference executor disagree at "
              "{}",
              what, r.message);
          note(ExitCode::Internal);
          break;
        case ReplayStatus::Unsupported:
          std::cerr << fmt::format("cancelcheck: {}: not replayed: {}\n", what, r.message);
          note(ExitCode::Incomplete);
          break;
      }
    }
  }
  if (replayed == 0) std::cout << fmt::format("{}: no violation to replay\n", trace_path);
  return static_cast<int>(worst);
}

// ---- end of `cancelcheck replay` ----

}  // namespace

const char* version_string() {
  return CANCELCHECK_VERSION;
}

int run_cli(int argc, char** argv) {
  CLI::App app{
      "cancelcheck: a model checker for request-cancellation races in Windows driver code.\n"
      "Exit codes: 0 no violation (complete search), 1 violation, 2 spec or usage error,\n"
      "3 internal error, 4 incomplete (a limit stopped the search)."};
  app.set_version_flag("--version", std::string("cancelcheck ") + version_string());
  app.require_subcommand(1);

  CheckCommandOptions check_opts;
  CLI::App* check = app.add_subcommand("check", "Check specs and report violations");
  add_check_options(*check, check_opts);

  std::vector<std::string> parse_paths;
  std::vector<std::string> parse_defines_text;
  CLI::App* parse =
      app.add_subcommand("parse", "Front-end only: print diagnostics (exit 2 on errors)");
  parse->add_option("paths", parse_paths, "Spec files or directories")->required();
  parse->add_option("-D,--define", parse_defines_text, "Override a const: NAME=VALUE");

  std::string replay_trace;
  std::string replay_spec;
  std::vector<std::string> replay_defines_text;
  CLI::App* replay =
      app.add_subcommand("replay",
                         "Replay the violations of a --json document in the reference executor.\n"
                         "Exit codes: 1 a violation reproduces, 0 the schedule runs clean, 2 the "
                         "trace does not fit the\n"
                         "spec (or cannot be read), 3 the trace and the reference executor "
                         "disagree, 4 not replayable");
  replay->add_option("trace", replay_trace, "JSON document written by 'cancelcheck check --json'")
      ->required();
  replay->add_option("spec", replay_spec,
                     "Spec file to replay against (default: each result's path)");
  replay->add_option("-D,--define", replay_defines_text,
                     "Override a const: NAME=VALUE (as given to check)");

  std::string rule_key;
  CLI::App* rules = app.add_subcommand("rules", "List the rule catalogue, or show one rule");
  rules->add_option("id", rule_key, "Rule id, name or SDV-style alias (e.g. CR001)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::SpecError);
  }

  try {
    if (*check) return run_check(check_opts);
    if (*parse) return run_parse(parse_paths, parse_defines_text);
    if (*replay) return run_replay(replay_trace, replay_spec, replay_defines_text);
    if (*rules) return print_rules(rule_key);
  } catch (const std::exception& e) {
    std::cerr << "cancelcheck: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
  return static_cast<int>(ExitCode::SpecError);
}

}  // namespace cc
