// Terminal colours (fmt/color.h) of the compiler-like diagnostics
// (model/diagnostics.cpp) and the text report (reports/text.cpp), in this one place. Whether
// colour is on (--color, --no-color, a terminal) stays the caller's decision: `enabled`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cc::term {

/// A bold colour.
enum class Color : uint8_t { Red, Green, Yellow, Blue, Magenta, Cyan };

/// `text` in bold when `enabled`, else `text` as it is.
std::string bold(bool enabled, std::string_view text);

/// `text` dimmed when `enabled`, else `text` as it is.
std::string dim(bool enabled, std::string_view text);

/// `text` in `color` when `enabled`, else `text` as it is.
std::string paint(bool enabled, Color color, std::string_view text);

/// The sequence that switches `color` on, for a colour that runs on into the text after it
/// until that text's own reset (a diagnostic's "error: " label inside its bold heading).
std::string start(Color color);

}  // namespace cc::term
