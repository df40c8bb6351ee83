#include "app/color.h"

#include <unistd.h>

#include <cstdlib>

#include <CLI/CLI.hpp>

namespace cc {

void add_color_flags(CLI::App& cmd, ColorFlags& flags) {
  cmd.add_flag("--color", flags.always,
               "Colour the terminal output even when it is not a terminal");
  cmd.add_flag("--no-color", flags.never,
               "Never colour the terminal output (also: the NO_COLOR environment variable)");
}

bool use_color(const ColorFlags& flags, int fd) {
  if (flags.never) return false;
  if (flags.always) return true;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return isatty(fd) != 0;
}

}  // namespace cc
