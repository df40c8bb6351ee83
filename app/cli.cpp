#include "app/cli.h"

#include <unistd.h>

#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/catalogue_commands.h"
#include "app/lsp.h"
#include "app/spec_files.h"
#include "checker/z3_adapter.h"
#include "model/api.h"
#include "model/did_you_mean.h"
#include "model/frontend.h"
#include "model/rules.h"
#include "reports/project.h"

#ifndef CANCELCHECK_VERSION
#define CANCELCHECK_VERSION "0.0.0"
#endif
#ifndef CANCELCHECK_BUILD_TYPE
#define CANCELCHECK_BUILD_TYPE "unknown"
#endif

namespace cc {
namespace {

int run_parse(const std::vector<std::string>& paths, const std::vector<std::string>& defines_text,
              bool color) {
  Defines defines;
  if (!parse_defines(defines_text, defines)) return static_cast<int>(ExitCode::SpecError);
  const SpecFileList list = collect_spec_files(paths);
  std::size_t bad = report_unwalkable(list);
  if (list.files.empty() && bad == 0) {
    std::cerr << "cancelcheck: error: no .spec files found\n";
    return static_cast<int>(ExitCode::SpecError);
  }
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

/// A first argument that is neither an option nor a subcommand: "unknown command", with the
/// nearest subcommand. Returns true after printing.
bool reject_unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view word = argv[1];
  if (word.empty() || word.front() == '-') return false;
  Suggester s;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) return false;
    s.add(sub->get_name());
  }
  const std::string hint = s.hint(word);
  std::cerr << fmt::format("cancelcheck: error: unknown command '{}'{}\n", word.substr(0, 60),
                           hint.empty() ? "" : "; " + hint);
  std::cerr << "Run 'cancelcheck --help' for the list of commands.\n";
  return true;
}

}  // namespace

const char* version_string() {
  return CANCELCHECK_VERSION;
}

std::string long_version() {
  return fmt::format("cancelcheck {} ({} build, Z3 {})", version_string(), CANCELCHECK_BUILD_TYPE,
                     z3_version());
}

std::string internal_error_advice() {
  return fmt::format(
      "This is a bug in cancelcheck, not a problem in your spec.\n"
      "  workaround: check this spec with '--por off --symmetry off --threads 1'; if the error "
      "goes away,\n"
      "              keep those options for it (the search is slower but its verdict sound)\n"
      "  please report it at {} with the spec, the command line, the\n"
      "  message above and the version: {}\n",
      reports::issue_tracker_uri(), long_version());
}

void define_cli(CLI::App& app, CliState& st) {
  app.description(
      "cancelcheck: a model checker for request-cancellation races in Windows driver code.\n"
      "Exit codes: 0 no violation (complete search), 1 violation, 2 spec or usage error,\n"
      "3 internal error, 4 incomplete (a limit stopped the search).");
  app.name("cancelcheck");
  app.set_version_flag("--version", long_version());
  app.require_subcommand(1);

  CLI::App* check = app.add_subcommand("check", "Check specs and report violations");
  add_check_options(*check, st.check);

  CLI::App* parse =
      app.add_subcommand("parse", "Front-end only: print diagnostics (exit 2 on errors)");
  parse->add_option("paths", st.parse_paths, "Spec files or directories")->required();
  parse->add_option("-D,--define", st.parse_defines, "Override a const: NAME=VALUE");
  add_color_flags(*parse, st.parse_color);

  CLI::App* replay =
      app.add_subcommand("replay",
                         "Replay the violations of a --json document in the reference executor.\n"
                         "Exit codes: 1 a violation reproduces, 0 the schedule runs clean, 2 the "
                         "trace does not fit the\n"
                         "spec (or cannot be read), 3 the trace and the reference executor "
                         "disagree, 4 not replayable");
  add_replay_options(*replay, st.replay);

  CLI::App* rules = app.add_subcommand("rules", "List the rule catalogue, or show one rule");
  rules->add_option("id", st.rule_key, "Rule id, name or SDV-style alias (e.g. CR001)");
  rules->add_flag("--markdown", st.rules_markdown,
                  "Print the catalogue as Markdown (the text of docs/rules.md)");
  add_color_flags(*rules, st.rules_color);

  CLI::App* apis = app.add_subcommand(
      "apis", "List every supported call with its domain, signature and what the model does");
  apis->add_option("name", st.api_name, "One call, e.g. WdfRequestSend");
  add_color_flags(*apis, st.apis_color);

  app.add_subcommand("lsp",
                     "Language server for .spec files on stdin/stdout (diagnostics, hover, go to "
                     "definition, document symbols)");
}

int run_cli(int argc, char** argv) {
  CLI::App app;
  CliState st;
  define_cli(app, st);
  if (reject_unknown_subcommand(app, argc, argv)) return static_cast<int>(ExitCode::SpecError);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::SpecError);
  }

  try {
    if (app.got_subcommand("check")) return run_check(st.check);
    if (app.got_subcommand("parse")) {
      return run_parse(st.parse_paths, st.parse_defines, use_color(st.parse_color, STDERR_FILENO));
    }
    if (app.got_subcommand("replay")) return run_replay(st.replay);
    if (app.got_subcommand("rules")) {
      if (st.rules_markdown) {
        std::cout << rules_markdown();
        return 0;
      }
      return print_rules(std::cout, st.rule_key, use_color(st.rules_color, STDOUT_FILENO));
    }
    if (app.got_subcommand("lsp")) return run_language_server(std::cin, std::cout);
    if (app.got_subcommand("apis")) {
      return print_apis(std::cout, st.api_name, use_color(st.apis_color, STDOUT_FILENO));
    }
  } catch (const std::exception& e) {
    std::cerr << "cancelcheck: internal error: " << e.what() << "\n" << internal_error_advice();
    return static_cast<int>(ExitCode::Internal);
  }
  return static_cast<int>(ExitCode::SpecError);
}

}  // namespace cc
