#include "model/term_style.h"

#include <fmt/color.h>
#include <fmt/format.h>

namespace cc::term {
namespace {

// fmt's escape sequences: bold "\x1b[1m", faint "\x1b[2m", a colour "\x1b[31m" etc., the reset
// "\x1b[0m"; a bold colour is bold followed by the colour.
constexpr fmt::terminal_color kColors[] = {
    fmt::terminal_color::red,      // Red
    fmt::terminal_color::green,    // Green
    fmt::terminal_color::yellow,   // Yellow
    fmt::terminal_color::blue,     // Blue
    fmt::terminal_color::magenta,  // Magenta
    fmt::terminal_color::cyan,     // Cyan
};

fmt::text_style bold_color(Color color) {
  return fmt::emphasis::bold | fmt::fg(kColors[static_cast<std::size_t>(color)]);
}

}  // namespace

std::string bold(bool enabled, std::string_view text) {
  return enabled ? fmt::format(fmt::emphasis::bold, "{}", text) : std::string(text);
}

std::string dim(bool enabled, std::string_view text) {
  return enabled ? fmt::format(fmt::emphasis::faint, "{}", text) : std::string(text);
}

std::string start(Color color) {
  // fmt writes the style, the text and a reset; the reset of an empty text is cut off.
  std::string styled = fmt::format(bold_color(color), "{}", "");
  constexpr std::string_view kReset = "\x1b[0m";
  if (styled.size() >= kReset.size() && styled.ends_with(kReset)) {
    styled.resize(styled.size() - kReset.size());
  }
  return styled;
}

std::string paint(bool enabled, Color color, std::string_view text) {
  return enabled ? fmt::format(bold_color(color), "{}", text) : std::string(text);
}

}  // namespace cc::term
