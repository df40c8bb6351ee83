// Runs the built cancelcheck executable and captures its output (for CLI tests).
#pragma once

#include <string>

namespace cc::test {

/// Output and exit code of one cancelcheck run.
struct ToolRun {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs `cancelcheck ARGS` (ARGS is passed to /bin/sh, already quoted) from the repo root.
ToolRun run_tool(const std::string& args);

/// Writes `text` to a fresh temporary file ending in `suffix` and returns its path.
std::string temp_file(const std::string& text, const std::string& suffix = ".spec");

}  // namespace cc::test
