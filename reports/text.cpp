#include "reports/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "model/term_style.h"
#include "reports/escape.h"

namespace cc::reports {
namespace {

constexpr std::size_t kMaxActivityWidth = 28;

using term::Color;

// Spec text on a terminal: valid UTF-8, no raw control characters (escape sequences) and no
// invisible bidi controls (shown as \uXXXX, so a line reads in the order it runs).
std::string clean(std::string_view text) {
  std::string s = sanitize_utf8(text);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned cp = 0;
    if (const std::size_t len = bidi_control_at(s, i, cp); len != 0) {
      out += visible_code_point(cp);
      i += len - 1;
      continue;
    }
    const char c = s[i];
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
    } else if (c == 0x7F) {
      out += "\\x7F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out += ',';
    out += *it;
    ++count;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.1f}M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

std::string seconds_text(double s) {
  if (s < 1.0) return fmt::format("{:.0f} ms", s * 1000.0);
  return fmt::format("{:.2f} s", s);
}

std::string loc_text(const ResultLoc& loc) {
  if (loc.line == 0) return clean(loc.file);
  if (loc.col == 0) return fmt::format("{}:{}", clean(loc.file), loc.line);
  return fmt::format("{}:{}:{}", clean(loc.file), loc.line, loc.col);
}

// Number of display columns of a UTF-8 string (code points; good enough for names).
std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool is_racing(const Violation& v, std::size_t index) {
  return std::any_of(v.racing_steps.begin(), v.racing_steps.end(),
                     [&](StepIndex s) { return s.value == index; });
}

// The source line with the caret under the column, like a compiler diagnostic.
void append_source(std::string& out, const ResultLoc& loc, const TextOptions& o) {
  if (loc.line == 0 || loc.source.empty()) return;
  std::string number = std::to_string(loc.line);
  std::string gutter(number.size(), ' ');
  out += fmt::format(" {} | {}\n", term::paint(o.color, Color::Blue, number), clean(loc.source));
  if (loc.col == 0) return;
  std::string pad;
  for (std::size_t i = 0; i + 1 < loc.col && i < loc.source.size(); ++i) {
    pad += loc.source[i] == '\t' ? '\t' : ' ';
  }
  out += fmt::format(" {} | {}{}\n", gutter, pad, term::paint(o.color, Color::Red, "^"));
}

std::string step_line(const Violation& v, std::size_t i, std::size_t name_width,
                      std::size_t number_width, const TextOptions& o) {
  const TraceStep& s = v.trace[i];
  bool racing = is_racing(v, i);
  bool violating = v.violating_step && v.violating_step->value == i;
  std::string marker = violating ? "!" : racing ? ">" : " ";
  std::string name = clean(s.activity_name);
  if (width(name) < name_width) name += std::string(name_width - width(name), ' ');
  std::string call = clean(s.action);
  if (!s.result.empty()) call += " -> " + clean(s.result);
  std::string line =
      fmt::format("  {} {:>{}}  {}  {}",
                  racing || violating ? term::paint(o.color, Color::Magenta, marker) : marker,
                  i + 1, number_width, term::bold(o.color, name),
                  racing || violating ? term::paint(o.color, Color::Magenta, call) : call);
  if (s.loc.line != 0)
    line += "  " + term::dim(o.color, fmt::format("({}:{})", clean(s.loc.file), s.loc.line));
  line += '\n';
  std::string indent(4 + number_width + 2, ' ');
  if (!s.note.empty()) line += indent + term::dim(o.color, "- " + clean(s.note)) + '\n';
  if (!s.symbolic_values.empty()) {
    std::string values;
    for (const auto& [name_text, value] : s.symbolic_values) {
      if (!values.empty()) values += ", ";
      values += clean(name_text) + " = " + clean(value);
    }
    line += indent + term::dim(o.color, "- values: " + values) + '\n';
  }
  return line;
}

}  // namespace

std::string render_text_stats(const Stats& st, const TextOptions& o) {
  std::string out =
      fmt::format("{} states, {} transitions", with_commas(st.states), with_commas(st.transitions));
  if (o.timings && st.seconds > 0.0) {
    out += fmt::format(", {} states/s", rate(static_cast<double>(st.states) / st.seconds));
  }
  out += fmt::format(", depth {}", st.max_depth);
  if (st.reduced != 0) out += fmt::format(", {} reduced", with_commas(st.reduced));
  if (o.timings) out += ", " + seconds_text(st.seconds);
  if (st.z3_queries > 0 || st.z3_cached > 0) {
    out += fmt::format(", {} Z3 queries ({} cached", with_commas(st.z3_queries),
                       with_commas(st.z3_cached));
    if (o.timings) out += ", " + seconds_text(st.z3_seconds);
    out += ")";
  }
  return out;
}

std::string render_text_violation(const Violation& v, const TextOptions& o) {
  const RuleInfo& rule = rule_info(v.rule);
  std::string out;
  std::string severity = v.accepted ? term::paint(o.color, Color::Yellow, "warning:")
                                    : term::paint(o.color, Color::Red, "error:");
  // An end-state violation may have no line; name the spec (from the trace) rather than nothing.
  std::string where = v.loc.file.empty() ? std::string("<no location>") : loc_text(v.loc);
  if (v.loc.file.empty()) {
    for (const TraceStep& s : v.trace) {
      if (!s.loc.file.empty()) {
        where = clean(s.loc.file);
        break;
      }
    }
  }
  out += fmt::format(
      "{}: {} {}{}\n", term::bold(o.color, where), severity,
      term::bold(o.color, fmt::format("[{} {}] {}", rule.id, rule.name, clean(v.message))),
      v.accepted ? " (accepted by the baseline)" : "");
  append_source(out, v.loc, o);
  if (!v.headline.empty() && v.headline != v.message) {
    out +=
        fmt::format("  {} {}\n", term::paint(o.color, Color::Magenta, "race:"), clean(v.headline));
  }
  if (o.traces && !v.trace.empty()) {
    out += fmt::format("  trace ({} step{}{}):\n", v.trace.size(), v.trace.size() == 1 ? "" : "s",
                       v.replayed ? ", replayed by the reference executor" : "");
    std::size_t name_width = 0;
    for (const TraceStep& s : v.trace)
      name_width = std::max(name_width, width(clean(s.activity_name)));
    name_width = std::min(name_width, kMaxActivityWidth);
    std::size_t number_width = std::to_string(v.trace.size()).size();
    for (std::size_t i = 0; i < v.trace.size(); ++i) {
      if (v.loop_start && v.loop_start->value == i) {
        out += fmt::format("  {} {}\n", term::paint(o.color, Color::Magenta, "loop:"),
                           "the steps below repeat for ever");
      }
      out += step_line(v, i, name_width, number_width, o);
    }
    if (v.loop_start) {
      out += fmt::format(
          "  {} {}\n", term::paint(o.color, Color::Magenta, "end:"),
          fmt::format("after step {} the state is again the one before step {}: steps {} to {} "
                      "repeat for ever, and {} stays {} throughout",
                      v.trace.size(), v.loop_start->value + 1, v.loop_start->value + 1,
                      v.trace.size(), clean(v.stays), v.stays_blocked ? "blocked" : "pending"));
    } else if (!v.violating_step) {
      out +=
          fmt::format("  {} {}\n", term::paint(o.color, Color::Magenta, "end:"),
                      fmt::format("no step breaks the rule by itself; the state after step {} does",
                                  v.trace.size()));
    }
  }
  out += fmt::format("  {} {}\n", term::paint(o.color, Color::Blue, "= why:"), rule.brief);
  return out;
}

std::string render_text_spec(const SpecResult& spec, const TextOptions& o) {
  std::string out;
  std::string verdict(verdict_name(spec.verdict));
  Color color = spec.verdict == Verdict::Pass         ? Color::Green
                : spec.verdict == Verdict::Incomplete ? Color::Yellow
                                                      : Color::Red;
  std::string detail;
  if (spec.verdict == Verdict::Violation || !spec.violations.empty()) {
    detail = fmt::format("{} violation{}", spec.violations.size(),
                         spec.violations.size() == 1 ? "" : "s");
  }
  if (search_incomplete(spec)) {
    // Violations found before a limit stopped the search: the verdict stays "violation" but
    // the search is incomplete, and the line says so.
    std::string reason =
        spec.incomplete_reason.empty() ? "no reason given" : spec.incomplete_reason;
    if (spec.verdict != Verdict::Incomplete) reason = "search incomplete: " + reason;
    detail += (detail.empty() ? "" : "; ") + clean(reason);
  }
  if (spec.stats.hash_compaction && spec.verdict == Verdict::Pass) {
    detail += (detail.empty() ? "" : "; ") +
              fmt::format(
                  "probabilistic: hash compaction, a state may have been missed with "
                  "probability up to {:.1e}",
                  omission_probability(spec.stats));
  }
  if (spec.liveness == LivenessRun::NotChecked && spec.verdict == Verdict::Pass) {
    // A pass without the liveness pass says so: it covers safety only.
    detail += (detail.empty() ? "" : "; ") +
              fmt::format("liveness not checked: {}", clean(spec.liveness_note));
  }
  std::string line = fmt::format("{}: {}", term::bold(o.color, clean(spec.path)),
                                 term::paint(o.color, color, verdict));
  if (!detail.empty()) line += " (" + detail + ")";
  if (spec.verdict != Verdict::Error)
    line += "  " + term::dim(o.color, render_text_stats(spec.stats, o));
  out += line + '\n';
  if (spec.verdict == Verdict::Error && !spec.error.empty()) {
    // Line by line, so that control and bidi characters are shown but newlines are kept.
    std::string_view rest(spec.error);
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      out += clean(rest.substr(0, nl)) + '\n';
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  }
  for (const Violation& v : spec.violations) out += render_text_violation(v, o);
  return out;
}

std::string render_text_summary(const RunResult& run, const TextOptions& o) {
  const RunTotals t = totals(run);
  std::string incomplete_text = std::to_string(t.incomplete) + " incomplete";
  if (t.incomplete_violating > 0)
    incomplete_text += fmt::format(" ({} with violations)", t.incomplete_violating);
  std::string out =
      fmt::format("{} spec{} checked: {} pass, {} violation, {}, {} error; {} violation{} found",
                  run.specs.size(), run.specs.size() == 1 ? "" : "s", t.pass, t.violation,
                  incomplete_text, t.error, t.violations, t.violations == 1 ? "" : "s");
  if (t.accepted > 0)
    out += fmt::format(" ({} accepted by the baseline, {} new)", t.accepted,
                       t.violations - t.accepted);
  Color color = t.error > 0 || t.violations > t.accepted ? Color::Red
                : t.incomplete > 0                       ? Color::Yellow
                                                         : Color::Green;
  std::string result = term::paint(o.color, color, out) + '\n';
  if (!run.specs.empty()) result += "total: " + render_text_stats(t.stats, o) + '\n';
  return result;
}

std::string render_text(const RunResult& run, const TextOptions& o) {
  std::string out;
  for (const SpecResult& spec : run.specs) out += render_text_spec(spec, o);
  out += render_text_summary(run, o);
  return out;
}

}  // namespace cc::reports
