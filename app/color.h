// Whether a subcommand colours its terminal output: --color / --no-color on every subcommand,
// and the NO_COLOR convention (https://no-color.org).
#pragma once

namespace CLI {
class App;
}

namespace cc {

/// The --color and --no-color flags of one subcommand.
struct ColorFlags {
  bool always = false;  ///< --color
  bool never = false;   ///< --no-color
};

/// Registers --color and --no-color on `cmd`.
void add_color_flags(CLI::App& cmd, ColorFlags& flags);

/// Whether output to file descriptor `fd` is coloured: --no-color wins, then --color, then a
/// non-empty NO_COLOR environment variable (no colour), then whether `fd` is a terminal.
bool use_color(const ColorFlags& flags, int fd);

}  // namespace cc
