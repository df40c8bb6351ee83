// The command-line interface (CLI11): check, replay, rules, parse.
#pragma once

namespace cc {

/// Exit codes of the cancelcheck executable.
enum class ExitCode : int {
  Ok = 0,          ///< no violation and the search was complete
  Violation = 1,   ///< a violation was found
  SpecError = 2,   ///< spec or usage error
  Internal = 3,    ///< internal error (broken invariant, replay mismatch)
  Incomplete = 4,  ///< a limit stopped the search before a verdict
};

/// "0.1.0": the version compiled into the executable.
const char* version_string();

/// Runs the CLI with the process arguments; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace cc
