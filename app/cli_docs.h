// Shell completion and the manual page, generated from the CLI definition (define_cli) at build
// time (app/CMakeLists.txt runs cancelcheck-cli-docs), so they never drift from the options.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace cc {

/// A bash completion script for `app`: subcommands, each subcommand's options, the values of
/// options with a fixed set, rule ids after `rules` and API names after `apis`, and file names.
std::string render_bash_completion(const CLI::App& app);

/// The manual page cancelcheck(1) in man(7) roff: synopsis, every subcommand with its options
/// and arguments, exit codes, environment.
std::string render_man_page(const CLI::App& app, const std::string& version);

}  // namespace cc
