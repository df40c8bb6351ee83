#include "model/diagnostics.h"

#include "model/lexer.h"
#include "model/term_style.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

namespace cc {
namespace {

struct DiagInfo {
  Severity severity;
  std::string_view name;
};

constexpr std::array kDiagInfo = {
#define CC_DIAG(e, severity, text) DiagInfo{Severity::severity, text},
#include "model/diagnostics.def"
#undef CC_DIAG
};

/// Errors kept before "too many errors"; further errors are counted but dropped.
constexpr std::size_t kMaxKeptErrors = 50;
/// Warnings kept; further warnings are dropped (warnings never carry notes).
constexpr std::size_t kMaxKeptWarnings = 50;
/// Source lines wider than this are shown as a window around the caret.
constexpr uint32_t kMaxShownColumns = 160;
constexpr uint32_t kTabStop = 8;

/// Length of the UTF-8 sequence starting at s[i], or 0 if it is not valid UTF-8.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  uint32_t cp = 0;
  return utf8_sequence(s, i, cp);
}

/// Walks a source line cell by cell: calls f(byte_offset, byte_count, text, display_width).
/// Tabs expand to the next tab stop; control characters and invalid UTF-8 show as '?'.
template <typename F>
void walk_line(std::string_view line, F&& f) {
  uint32_t col = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      uint32_t w = kTabStop - col % kTabStop;
      if (!f(i, 1, std::string_view("        ", w), w)) return;
      col += w;
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      if (!f(i, 1, std::string_view("?"), 1)) return;
      ++col;
      ++i;
    } else if (c < 0x80) {
      if (!f(i, 1, line.substr(i, 1), 1)) return;
      ++col;
      ++i;
    } else {
      std::size_t n = utf8_length(line, i);
      if (n == 0) {
        if (!f(i, 1, std::string_view("?"), 1)) return;
        ++i;
      } else {
        if (!f(i, n, line.substr(i, n), 1)) return;
        i += n;
      }
      ++col;
    }
  }
}

/// Display column (0-based) of byte offset `offset` in `line`.
uint32_t display_column(std::string_view line, std::size_t offset) {
  uint32_t col = 0;
  walk_line(line, [&](std::size_t at, std::size_t, std::string_view, uint32_t w) {
    if (at >= offset) return false;
    col += w;
    return true;
  });
  return col;
}

void print_source(std::ostream& out, std::string_view line, const SourceRange& range, bool color) {
  std::size_t start = range.begin.col == 0 ? 0 : range.begin.col - 1;
  start = std::min(start, line.size());
  std::size_t end = std::min(line.size(), start + std::max<uint32_t>(range.length, 1));
  uint32_t caret_col = display_column(line, start);
  uint32_t end_col = display_column(line, end);
  if (end_col <= caret_col) end_col = caret_col + 1;
  uint32_t width = display_column(line, line.size());

  // Window: columns [first, last) of the line are shown.
  uint32_t first = 0;
  uint32_t last = width;
  bool cut_left = false;
  bool cut_right = false;
  if (width > kMaxShownColumns) {
    first = caret_col > kMaxShownColumns / 2 ? caret_col - kMaxShownColumns / 2 : 0;
    last = std::min(width, first + kMaxShownColumns);
    cut_left = first > 0;
    cut_right = last < width;
  }

  std::string text;
  if (cut_left) text += "...";
  uint32_t col = 0;
  walk_line(line, [&](std::size_t, std::size_t, std::string_view cell, uint32_t w) {
    if (col >= last) return false;
    if (col >= first) text += cell;
    col += w;
    return true;
  });
  if (cut_right) text += "...";
  out << text << "\n";

  std::string caret(cut_left ? 3 : 0, ' ');
  uint32_t shown_start = std::max(caret_col, first);
  uint32_t shown_end = std::min(end_col, std::max(last, caret_col + 1));
  caret.append(shown_start - first, ' ');
  caret += '^';
  if (shown_end > shown_start + 1) caret.append(shown_end - shown_start - 1, '~');
  out << term::paint(color, term::Color::Green, caret) << "\n";
}

void print_one(std::ostream& out, const SourceManager& sm, const Diagnostic& d, bool color) {
  const SourceLoc& loc = d.range.begin;
  bool has_file = loc.file.valid();
  // The heading in bold, its label in the severity's colour; then the message in bold.
  std::string heading;
  if (has_file) {
    const std::string& path = sm.file(loc.file).path;
    if (loc.line != 0) {
      heading = fmt::format("{}:{}:{}: ", path, loc.line, loc.col);
    } else {
      heading = path + ": ";
    }
  } else {
    heading = "cancelcheck: ";
  }
  std::string_view label;
  term::Color label_color = term::Color::Red;
  switch (d.severity) {
    case Severity::Error:
      label = "error: ";
      label_color = term::Color::Red;
      break;
    case Severity::Warning:
      label = "warning: ";
      label_color = term::Color::Magenta;
      break;
    case Severity::Note:
      label = "note: ";
      label_color = term::Color::Cyan;
      break;
  }
  if (color) heading += term::start(label_color);
  heading += label;
  std::string message = d.message;
  if (!d.hint.empty()) message += "; " + d.hint;
  out << term::bold(color, heading) << term::bold(color, message) << "\n";
  if (has_file && loc.line != 0 && loc.line <= sm.file(loc.file).line_starts.size()) {
    print_source(out, sm.line_text(loc.file, loc.line), d.range, color);
  }
}

}  // namespace

Severity diag_severity(DiagId id) {
  return kDiagInfo.at(static_cast<std::size_t>(id)).severity;
}

std::string_view diag_name(DiagId id) {
  return kDiagInfo.at(static_cast<std::size_t>(id)).name;
}

void Diagnostics::report(Diagnostic d) {
  bool dropping = !diags_.empty() && diags_.back().id == DiagId::TooManyErrors;
  switch (d.severity) {
    case Severity::Error: {
      ++error_count_;
      if (dropping) return;
      std::size_t kept = static_cast<std::size_t>(
          std::count_if(diags_.begin(), diags_.end(),
                        [](const Diagnostic& x) { return x.severity == Severity::Error; }));
      if (kept >= kMaxKeptErrors) {
        diags_.push_back(Diagnostic{DiagId::TooManyErrors,
                                    Severity::Error,
                                    d.range,
                                    "too many errors emitted, stopping now",
                                    {}});
        return;
      }
      break;
    }
    case Severity::Warning: {
      if (dropping) return;
      std::size_t kept = static_cast<std::size_t>(
          std::count_if(diags_.begin(), diags_.end(),
                        [](const Diagnostic& x) { return x.severity == Severity::Warning; }));
      if (kept >= kMaxKeptWarnings) return;
      break;
    }
    case Severity::Note:
      if (dropping || diags_.empty()) return;
      break;
  }
  diags_.push_back(std::move(d));
}

void Diagnostics::report(DiagId id, SourceRange range, std::string message, std::string hint) {
  report(Diagnostic{id, diag_severity(id), range, std::move(message), std::move(hint)});
}

void Diagnostics::print(std::ostream& out, const SourceManager& sm, bool color) const {
  // Print in source order: each error or warning with the notes reported after it, groups
  // stably sorted by file and position (no-location and file-level ones first, "too many
  // errors" last), so lexer, parser and checker findings interleave as a reader expects.
  struct Group {
    std::size_t first;
    std::size_t count;
  };
  std::vector<Group> groups;
  for (std::size_t i = 0; i < diags_.size(); ++i) {
    if (diags_[i].severity == Severity::Note && !groups.empty()) {
      ++groups.back().count;
    } else {
      groups.push_back(Group{i, 1});
    }
  }
  auto key = [&](const Group& g) {
    const Diagnostic& d = diags_[g.first];
    const SourceLoc& l = d.range.begin;
    bool last = d.id == DiagId::TooManyErrors;
    return std::make_tuple(last, l.file.valid() ? l.file.value + 1 : 0U, l.line, l.col);
  };
  std::stable_sort(groups.begin(), groups.end(),
                   [&](const Group& a, const Group& b) { return key(a) < key(b); });
  for (const Group& g : groups) {
    for (std::size_t i = g.first; i < g.first + g.count; ++i) print_one(out, sm, diags_[i], color);
  }
}

}  // namespace cc
