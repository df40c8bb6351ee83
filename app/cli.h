// The command-line interface (CLI11): check, parse, replay, rules, apis, lsp.
#pragma once

#include <string>
#include <vector>

#include "app/check_command.h"
#include "app/color.h"
#include "app/replay_command.h"

namespace CLI {
class App;
}

namespace cc {

/// Exit codes of the cancelcheck executable.
enum class ExitCode : int {
  Ok = 0,          ///< no violation and the search was complete
  Violation = 1,   ///< a violation was found
  SpecError = 2,   ///< spec or usage error
  Internal = 3,    ///< internal error (broken invariant, replay mismatch)
  Incomplete = 4,  ///< a limit stopped the search before a verdict
};

/// Every value the command line binds, one member per subcommand.
struct CliState {
  CheckCommandOptions check;    ///< `check`
  ReplayCommandOptions replay;  ///< `replay`
  std::vector<std::string> parse_paths;
  std::vector<std::string> parse_defines;
  ColorFlags parse_color;
  std::string rule_key;  ///< `rules [ID]`
  bool rules_markdown = false;
  ColorFlags rules_color;
  std::string api_name;  ///< `apis [NAME]`
  ColorFlags apis_color;
};

/// "0.1.0": the version compiled into the executable.
const char* version_string();

/// "cancelcheck 0.1.0 (RelWithDebInfo build, Z3 4.8.12)": what --version prints.
std::string long_version();

/// What follows an internal error on stderr: that it is a bug, the workaround (the reductions
/// off, one thread), and where to report it with which details.
std::string internal_error_advice();

/// Defines every subcommand and option on `app`, bound to `state`: what run_cli parses and
/// what the completion script and the manual page are generated from.
void define_cli(CLI::App& app, CliState& state);

/// Runs the CLI with the process arguments; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace cc
