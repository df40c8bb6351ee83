#include "app/cli.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/check_command.h"
#include "app/replay_command.h"
#include "app/spec_files.h"
#include "model/frontend.h"
#include "model/rules.h"

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

  ReplayCommandOptions replay_opts;
  CLI::App* replay =
      app.add_subcommand("replay",
                         "Replay the violations of a --json document in the reference executor.\n"
                         "Exit codes: 1 a violation reproduces, 0 the schedule runs clean, 2 the "
                         "trace does not fit the\n"
                         "spec (or cannot be read), 3 the trace and the reference executor "
                         "disagree, 4 not replayable");
  add_replay_options(*replay, replay_opts);

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
    if (*replay) return run_replay(replay_opts);
    if (*rules) return print_rules(rule_key);
  } catch (const std::exception& e) {
    std::cerr << "cancelcheck: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
  return static_cast<int>(ExitCode::SpecError);
}

}  // namespace cc
