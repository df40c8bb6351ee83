// cancelcheck-cli-docs OUTDIR: writes OUTDIR/cancelcheck.bash (bash completion) and
// OUTDIR/cancelcheck.1 (the manual page) from the CLI definition; run at build time.
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/cli.h"
#include "app/cli_docs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cancelcheck-cli-docs OUTDIR\n";
    return 2;
  }
  CLI::App app;
  cc::CliState state;
  cc::define_cli(app, state);
  const std::string dir = argv[1];
  std::ofstream(dir + "/cancelcheck.bash") << cc::render_bash_completion(app);
  std::ofstream(dir + "/cancelcheck.1") << cc::render_man_page(app, cc::version_string());
  return 0;
}
