#include "model/term_style.h"

#include <fmt/color.h>
#include <fmt/format.h>

namespace cc::term {
namespace {

// fmt writes bold as "\x1b[1m", dim (faint) as "\x1b[2m" and the reset as "\x1b[0m". A bold
// colour it writes as two sequences ("\x1b[1m\x1b[31m"); the output has always used one
// ("\x1b[1;31m"), so the bold colours are spelled out here.
constexpr std::string_view kBoldColor[] = {
    "\x1b[1;31m",  // Red
    "\x1b[1;32m",  // Green
    "\x1b[1;33m",  // Yellow
    "\x1b[1;34m",  // Blue
    "\x1b[1;35m",  // Magenta
    "\x1b[1;36m",  // Cyan
};
constexpr std::string_view kReset = "\x1b[0m";

}  // namespace

std::string bold(bool enabled, std::string_view text) {
  return enabled ? fmt::format(fmt::emphasis::bold, "{}", text) : std::string(text);
}

std::string dim(bool enabled, std::string_view text) {
  return enabled ? fmt::format(fmt::emphasis::faint, "{}", text) : std::string(text);
}

std::string_view start(Color color) {
  return kBoldColor[static_cast<std::size_t>(color)];
}

std::string paint(bool enabled, Color color, std::string_view text) {
  return enabled ? fmt::format("{}{}{}", start(color), text, kReset) : std::string(text);
}

}  // namespace cc::term
