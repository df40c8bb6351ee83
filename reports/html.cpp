#include "reports/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "reports/atomic_file.h"
#include "reports/escape.h"
#include "reports/html_assets.h"
#include "reports/text.h"

namespace cc::reports {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kActorClass[] = {"driver", "framework", "target", "originator"};
constexpr std::string_view kActorLabel[] = {"driver", "framework", "target", "originator"};
constexpr std::string_view kActorTitle[] = {
    "a driver callback instance or thread",
    "the framework acting on its own (dispatch, timers, silent cancel)",
    "the lower driver / I/O target", "the outside world (I/O manager, cancel, power)"};

// ---------------------------------------------------------------------------------------------
// Styles and script shared by the pages. Everything is inline: the pages open from disk,
// offline, and are safe to attach to a bug report.

// ---------------------------------------------------------------------------------------------

// What one cell or line shows of a spec string: a spec line, a call, a message, a value.
// Names (activities, objects, fields) show less. Longer text ends in "... (N more bytes)",
// so a page stays a few hundred bytes per cell whatever the spec holds.
constexpr std::size_t kMaxLineBytes = 500;
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxErrorBytes = 64 << 10;  // a spec's diagnostics

std::string esc(std::string_view s) {
  return html_escape(clip_text(s, kMaxLineBytes));
}

std::string esc_name(std::string_view s) {
  return html_escape(clip_text(s, kMaxNameBytes));
}

std::string page_start(std::string_view title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n",
      esc(title), html_css());
}

// File-name-safe stem of a spec path: the file name without extension, [A-Za-z0-9._-] only.
std::string spec_stem(std::string_view path) {
  std::size_t slash = path.find_last_of("/\\");
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out[0] == '.') out = "spec" + out;
  return out;
}

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A search time for people: "0.4 ms", "12 ms", "2.53 s".
std::string duration_text(double seconds) {
  if (seconds < 0.0001) return "<0.1 ms";
  if (seconds < 0.01) return fmt::format("{:.1f} ms", seconds * 1000.0);
  if (seconds < 1.0) return fmt::format("{:.0f} ms", seconds * 1000.0);
  return fmt::format("{:.2f} s", seconds);
}

std::string loc_label(const ResultLoc& loc) {
  if (loc.line == 0) return loc.file;
  if (loc.col == 0) return fmt::format("{}:{}", loc.file, loc.line);
  return fmt::format("{}:{}:{}", loc.file, loc.line, loc.col);
}

std::string base_name(std::string_view path) {
  std::size_t slash = path.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

struct Lane {
  uint32_t activity = 0;
  std::string name;
  ActorKind actor = ActorKind::Driver;
};

std::vector<Lane> lanes_of(const Violation& v) {
  std::map<uint32_t, Lane> by_activity;  // ordered by activity number: stable lanes
  for (const TraceStep& s : v.trace) {
    by_activity.try_emplace(s.activity, Lane{s.activity, s.activity_name, s.actor});
  }
  std::vector<Lane> lanes;
  for (auto& [activity, lane] : by_activity) lanes.push_back(lane);
  return lanes;
}

// A spec line for display: leading and trailing blanks dropped, inner runs of blanks collapsed.
std::string compact_source(std::string_view source) {
  std::string out;
  bool blank = false;
  for (char c : source) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

// Activity names with a break opportunity before '[' so "OnReadComplete[rd]" wraps whole.
std::string name_html(std::string_view name) {
  std::string escaped = esc_name(name);
  std::string out;
  for (char c : escaped) {
    if (c == '[') out += "<wbr>";
    out += c;
  }
  return out;
}

std::string call_text(const TraceStep& s) {
  return s.result.empty() ? s.action : s.action + " \u2192 " + s.result;
}

// An API call with line-break opportunities after '(' so long calls wrap at argument boundaries.
std::string call_html(std::string_view action) {
  std::string escaped = esc(action);
  std::string out;
  for (char c : escaped) {
    out += c;
    if (c == '(') out += "<wbr>";
  }
  return out;
}

// The label of a highlighted step: "RACE 1", "RACE 2 · VIOLATION", or "VIOLATION" when the
// violating step is the only highlighted one.
std::string flag_text(int race_label, std::size_t racers, bool violating) {
  std::string text;
  if (race_label > 0 && (racers > 1 || !violating)) text = fmt::format("RACE {}", race_label);
  if (violating) text += text.empty() ? "VIOLATION" : " \u00b7 VIOLATION";
  return text;
}

std::string step_card(const TraceStep& s, const std::string& spec_path, const std::string& flag) {
  std::string card =
      fmt::format("<div class=\"card {}\">", kActorClass[static_cast<std::size_t>(s.actor)]);
  if (!flag.empty()) card += fmt::format("<span class=\"flag\">{}</span>", flag);
  card += fmt::format("<div class=\"who\">{}</div>", esc_name(s.activity_name));
  card += fmt::format("<div class=\"call\">{}",
                      call_html(s.action.empty() ? std::string("(internal step)") : s.action));
  if (!s.result.empty())
    card += fmt::format(" <span class=\"ret\">\u2192\u00a0{}</span>", esc(s.result));
  card += "</div>";

  if (!s.note.empty()) card += fmt::format("<div class=\"note\">{}</div>", esc(s.note));
  if (!s.symbolic_values.empty()) {
    std::string vals;
    for (const auto& [name, value] : s.symbolic_values) {
      if (!vals.empty()) vals += ", ";
      vals += name + " = " + value;
    }
    card += fmt::format("<div class=\"vals\">{}</div>", esc(vals));
  }
  if (s.loc.line != 0) {
    std::string line_label = s.loc.file == spec_path
                                 ? "line\u00a0" + std::to_string(s.loc.line)
                                 : base_name(s.loc.file) + ":" + std::to_string(s.loc.line);
    card += fmt::format(
        "<div class=\"src\" title=\"{}\"><a class=\"ln\" href=\"#L{}\">{}</a><code>{}</code></div>",
        esc(loc_label(s.loc) + "  " + s.loc.source), s.loc.line, esc(line_label),
        esc(compact_source(s.loc.source)));
  }
  card += "</div>";
  return card;
}

// Text for the embedded panel data: valid UTF-8, control characters shown as \uXXXX like
// html_escape does for the rest of the page.
std::string visible(std::string_view text, std::size_t max_bytes = kMaxLineBytes) {
  std::string clean = sanitize_utf8(clip_text(text, max_bytes));
  std::string out;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    unsigned cp = 0;
    if (const std::size_t len = bidi_control_at(clean, i, cp); len != 0) {
      out += visible_code_point(cp);
      i += len - 1;
      continue;
    }
    const char c = clean[i];
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
      out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

// The line of the spec's own file a step runs, or 0 (environment steps, other files).
uint32_t own_line(const TraceStep& s, const std::string& spec_path) {
  return s.loc.line != 0 && (s.loc.file.empty() || s.loc.file == spec_path) ? s.loc.line : 0;
}

std::string trace_json(const Violation& v, const std::string& spec_path, std::size_t initial) {
  // The Z3 model's values of symbolic terms ("status(req#1)" = "0xC00000B5 ..."): one model
  // for the whole path, so a field that holds a term shows its value at every step.
  std::map<std::string, std::string> model;
  for (const TraceStep& s : v.trace) {
    for (const auto& [term, value] : s.symbolic_values) model[term] = value;
  }
  ordered_json steps = ordered_json::array();
  for (const TraceStep& s : v.trace) {
    ordered_json objects = ordered_json::array();
    for (const ObjectView& o : s.objects) {
      ordered_json fields = ordered_json::array();
      for (const auto& [name, value] : o.fields) {
        auto term = model.find(value);
        if (term == model.end()) {
          fields.push_back(ordered_json::array({visible(name, kMaxNameBytes), visible(value)}));
        } else {  // [name, value, the term it is the value of]
          fields.push_back(ordered_json::array(
              {visible(name, kMaxNameBytes), visible(term->second), visible(value)}));
        }
      }
      objects.push_back(ordered_json{{"name", visible(o.name, kMaxNameBytes)},
                                     {"kind", visible(o.kind, kMaxNameBytes)},
                                     {"fields", fields}});
    }
    ordered_json choices = ordered_json::array();
    for (const std::string& c : s.choices) choices.push_back(visible(c));
    steps.push_back(ordered_json{
        {"who", visible(s.activity_name, kMaxNameBytes)},
        {"call", visible(call_text(s))},
        {"note", visible(s.note)},
        {"loc", s.loc.line == 0 ? std::string() : visible(loc_label(s.loc))},
        {"code", s.loc.line == 0 ? std::string() : visible(compact_source(s.loc.source))},
        {"line", own_line(s, spec_path)},
        {"event", visible(s.event)},
        {"choices", choices},
        {"objects", objects}});
  }
  ordered_json racing = ordered_json::array();
  for (StepIndex i : v.racing_steps) racing.push_back(i.value);
  if (v.violating_step && std::find(v.racing_steps.begin(), v.racing_steps.end(),
                                    *v.violating_step) == v.racing_steps.end()) {
    racing.push_back(v.violating_step->value);
  }
  ordered_json data{{"steps", steps}, {"racing", racing}, {"initial", initial}};
  return json_for_script(data.dump());
}

/// Most lines the source view shows (a spec is at most 1 MiB; its lines are clipped like any
/// other spec string).
constexpr std::size_t kMaxSourceLines = 20000;

// The spec's source beside the trace: one item per line, id "L<n>"; lines that steps run are
// "used" (data-steps: their 0-based step numbers), the racing and violating steps' lines "race".
std::string source_box(const Violation& v, const std::string& spec_path, std::string_view text) {
  std::map<uint32_t, std::vector<std::size_t>> steps_at;
  std::set<uint32_t> race_lines;
  for (std::size_t i = 0; i < v.trace.size(); ++i) {
    const uint32_t line = own_line(v.trace[i], spec_path);
    if (line == 0) continue;
    steps_at[line].push_back(i);
    const bool violating = v.violating_step && v.violating_step->value == i;
    if (violating || std::find(v.racing_steps.begin(), v.racing_steps.end(),
                               StepIndex{static_cast<uint32_t>(i)}) != v.racing_steps.end()) {
      race_lines.insert(line);
    }
  }
  std::string out =
      "<section class=\"box source\"><h2>Spec source</h2><div class=\"lines\" "
      "id=\"source-lines\"><ol>";
  uint32_t n = 0;
  std::size_t start = 0;
  while (start <= text.size() && n < kMaxSourceLines) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end == text.size() && start == end && n > 0) break;  // the final newline
    ++n;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string cls;
    std::string data;
    if (auto it = steps_at.find(n); it != steps_at.end()) {
      cls = race_lines.count(n) ? "used race" : "used";
      for (std::size_t i : it->second) data += (data.empty() ? "" : ",") + std::to_string(i);
      data = fmt::format(" data-steps=\"{}\" title=\"step {}\"", data, it->second.front() + 1);
    }
    out += fmt::format("<li id=\"L{0}\"{1}{2}><span class=\"ln\">{0}</span><code>{3}</code></li>",
                       n, cls.empty() ? "" : " class=\"" + cls + "\"", data, esc(line));
    start = end + 1;
  }
  out += "</ol></div></section>\n";
  return out;
}

std::string help_dialog() {
  return "<div id=\"help\" role=\"dialog\" aria-modal=\"true\" aria-labelledby=\"help-title\" "
         "hidden><div class=\"dlg\"><h2 id=\"help-title\">Keys</h2><dl>"
         "<dt>j / \u2193</dt><dd>next step</dd><dt>k / \u2191</dt><dd>previous step</dd>"
         "<dt>Home / End</dt><dd>first / last step</dd>"
         "<dt>n / p</dt><dd>next / previous racing step</dd>"
         "<dt>click</dt><dd>a row selects its step; a source line selects the step that runs "
         "it</dd><dt>?</dt><dd>this help</dd><dt>Esc</dt><dd>close it</dd></dl>"
         "<p class=\"keys\">Links: <code>#step-N</code> and <code>#LN</code> (a spec line) in the "
         "address.</p></div></div>\n";
}

// The END STATE row of an end-state violation: no step breaks the rule by itself, the state
// after the last step does (a request still pending, a lost cancel, every activity blocked).
std::string end_state_row(const Violation& v, const RuleInfo& rule, std::size_t lane_count) {
  std::string out;
  // No step breaks the rule by itself: the state after the last step does (a request still
  // pending, a lost cancel, every activity blocked). Say so where the trace ends.
  out += fmt::format(
      "<tr class=\"endstate\" id=\"end\"><td class=\"num\">end</td><td colspan=\"{}\">"
      "<div class=\"endcard\" data-goto=\"{}\" title=\"Show the state after step {}\">"
      "<span class=\"flag\">END STATE</span><span class=\"what\">{}</span>",
      std::max<std::size_t>(lane_count, 1), v.trace.empty() ? 0 : v.trace.size() - 1,
      v.trace.size(), esc(v.message));
  out += fmt::format(
      "<div class=\"note\">{} No step breaks the rule by itself: the state after step {} does, "
      "and nothing can change it any more.</div>",
      esc(rule.brief), v.trace.size());
  if (v.loc.line != 0) {
    out += fmt::format("<div class=\"src\">{} <code>{}</code></div>", esc(loc_label(v.loc)),
                       esc(compact_source(v.loc.source)));
  }
  out += "</div></td></tr>\n";
  return out;
}

std::string rule_box(const RuleInfo& rule) {
  std::string out = "<section class=\"box rulebox\"><h2>Rule</h2>";
  out += fmt::format("<div><span class=\"rule-id\">{}</span> <b>{}</b></div>", esc(rule.id),
                     esc(rule.name));
  out += fmt::format("<p>{}</p>", html_escape(rule.full));  // the catalogue's own text: whole
  if (!rule.aliases.empty())
    out += fmt::format("<p class=\"aliases\">SDV rules: {}</p>", esc(rule.aliases));
  out += "</section>";
  return out;
}

}  // namespace

std::vector<HtmlTraceFile> html_trace_files(const RunResult& run) {
  std::vector<HtmlTraceFile> files;
  std::map<std::string, std::size_t> stem_uses;
  for (std::size_t si = 0; si < run.specs.size(); ++si) {
    const SpecResult& spec = run.specs[si];
    if (spec.violations.empty()) continue;
    std::string stem = spec_stem(spec.path);
    std::size_t uses = ++stem_uses[stem];
    if (uses > 1) stem += "-" + std::to_string(uses);
    std::map<RuleId, std::size_t> per_rule;
    for (std::size_t vi = 0; vi < spec.violations.size(); ++vi) {
      const Violation& v = spec.violations[vi];
      std::size_t n = ++per_rule[v.rule];
      files.push_back(
          HtmlTraceFile{si, vi, fmt::format("{}-{}-{}.html", stem, rule_info(v.rule).id, n)});
    }
  }
  return files;
}

std::string render_html_trace(const RunResult& run, std::size_t spec_index,
                              std::size_t violation_index, const HtmlOptions& options) {
  const SpecResult& spec = run.specs.at(spec_index);
  const Violation& v = spec.violations.at(violation_index);
  const RuleInfo& rule = rule_info(v.rule);
  std::vector<Lane> lanes = lanes_of(v);
  std::map<uint32_t, std::size_t> lane_index;
  for (std::size_t i = 0; i < lanes.size(); ++i) lane_index[lanes[i].activity] = i;
  const bool end_state = !v.violating_step.has_value() && !v.loop_start;

  std::vector<std::size_t> race_order;  // racing steps in trace order, for RACE 1 / RACE 2 labels
  for (StepIndex s : v.racing_steps) {
    if (s.value < v.trace.size()) race_order.push_back(s.value);
  }
  std::sort(race_order.begin(), race_order.end());
  race_order.erase(std::unique(race_order.begin(), race_order.end()), race_order.end());
  auto race_label = [&](std::size_t i) {
    auto it = std::find(race_order.begin(), race_order.end(), i);
    return it == race_order.end() ? 0 : static_cast<int>(it - race_order.begin()) + 1;
  };
  // The step selected when the page opens: the first racing step, else the violating step,
  // else (an end-state violation without racing steps) the last step, whose state is the bad one.
  std::size_t initial = !race_order.empty() ? race_order.front()
                        : v.violating_step  ? v.violating_step->value
                        : v.trace.empty()   ? 0
                                            : v.trace.size() - 1;
  if (initial >= v.trace.size()) initial = 0;

  std::string title = fmt::format("{} {} \u2014 {}", rule.id, rule.name, spec.path);
  std::string out = page_start(title);
  out += "<body data-ready=\"0\">\n<header class=\"top\">\n";
  out += fmt::format(
      "<div class=\"crumbs\"><a href=\"index.html\">\u2190 all results</a><span>\u00b7</span>"
      "<span class=\"path\">{}</span>{}</div>\n",
      esc(spec.path),
      spec.title.empty()
          ? ""
          : "<span>\u00b7</span><span class=\"spec-title\">" + esc(spec.title) + "</span>");
  out += fmt::format(
      "<div class=\"rulebar\"><span class=\"rule-id\">{}</span><span class=\"rule-name\">{}</span>"
      "<span class=\"chip\">{}</span>{}{}{}</div>\n",
      esc(rule.id), esc(rule.name), esc(rule.brief),
      end_state      ? "<span class=\"chip warn\">end-state violation</span>"
      : v.loop_start ? "<span class=\"chip warn loop\">\u21bb a cycle that repeats for ever</span>"
                     : "",
      v.replayed ? "<span class=\"chip ok\">\u2713 replayed by the reference executor</span>"
                 : "<span class=\"chip warn\">not replayed</span>",
      v.accepted ? "<span class=\"chip warn\">accepted in the baseline</span>" : "");
  const std::string& headline = v.headline.empty() ? v.message : v.headline;
  out += fmt::format("<h1 class=\"headline\">{}</h1>\n", esc(headline));
  // The message, unless the headline already says it, and where the checker reports it.
  std::string where;
  if (v.loc.line != 0) {
    where = fmt::format("reported at <code>{}</code>", esc(loc_label(v.loc)));
    std::string code = compact_source(v.loc.source);
    if (!code.empty()) where += fmt::format(": <code class=\"srcline\">{}</code>", esc(code));
  } else if (end_state && !v.trace.empty()) {
    where = fmt::format("reported in the state after step {}", v.trace.size());
  }
  if (headline.find(v.message) == std::string::npos) {
    out += fmt::format("<p class=\"message\">{}</p>\n", esc(v.message));
  }
  if (!where.empty()) out += fmt::format("<p class=\"where\">{}</p>\n", where);
  if (v.loop_start) {
    out += fmt::format(
        "<p class=\"loopnote\">\u21bb Steps {} to {} repeat for ever: after step {} the state is "
        "again the one before step {}. <strong>{}</strong> stays {} throughout.</p>\n",
        v.loop_start->value + 1, v.trace.size(), v.trace.size(), v.loop_start->value + 1,
        esc(v.stays), v.stays_blocked ? "blocked" : "pending");
  }
  if (!race_order.empty()) {
    out += "<div class=\"racers\">";
    for (std::size_t k = 0; k < race_order.size(); ++k) {
      std::size_t i = race_order[k];
      const TraceStep& s = v.trace[i];
      bool violating = v.violating_step && v.violating_step->value == i;
      out += fmt::format(
          "<div class=\"racer\" data-goto=\"{}\" title=\"Show step {}\"><span class=\"tag\">{} "
          "\u00b7 step {}</span>"
          "<span class=\"who\">{}</span><code>{}</code></div>",
          i, i + 1, flag_text(static_cast<int>(k) + 1, race_order.size(), violating), i + 1,
          esc_name(s.activity_name), esc(call_text(s)));
    }
    out += "</div>\n";
  }
  // Lanes keep a readable width; many activities scroll sideways instead of squeezing.
  out += fmt::format(
      "</header>\n<main class=\"layout\">\n<section class=\"tracebox\">\n"
      "<table class=\"trace\" role=\"grid\" aria-label=\"the schedule, one row per step\" "
      "style=\"--lanes: {}\">\n<thead><tr><th class=\"num\">#</th>",
      lanes.size());
  for (const Lane& lane : lanes) {
    auto actor = static_cast<std::size_t>(lane.actor);
    out += fmt::format(
        "<th class=\"lane {}\" title=\"{}\"><span class=\"lname\">{}</span><span "
        "class=\"lkind\">{}</span></th>",
        kActorClass[actor], kActorTitle[actor], name_html(lane.name), kActorLabel[actor]);
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < v.trace.size(); ++i) {
    const TraceStep& s = v.trace[i];
    bool violating = v.violating_step && v.violating_step->value == i;
    int label = race_label(i);
    bool racing = label > 0;
    std::string cls = "step";
    if (racing || violating) cls += " racing";
    if (violating) cls += " violating";
    const bool in_loop = v.loop_start && i >= v.loop_start->value;
    if (in_loop) cls += " loop";
    if (in_loop && i == v.loop_start->value) cls += " loop-start";
    out += fmt::format(
        "<tr class=\"{}\" id=\"step-{}\" data-step=\"{}\" aria-selected=\"false\"><td "
        "class=\"num\"{}>{}{}</td>",
        cls, i + 1, i, i + 1, in_loop ? " title=\"in the cycle: repeats for ever\"" : "",
        in_loop && i == v.loop_start->value ? "\u21bb " : "");
    std::size_t lane = lane_index[s.activity];
    for (std::size_t l = 0; l < lanes.size(); ++l) {
      std::string_view place = l == 0 ? "first" : l + 1 == lanes.size() ? "last" : "mid";
      out += fmt::format("<td class=\"lane {} {}\">",
                         kActorClass[static_cast<std::size_t>(lanes[l].actor)], place);
      if (l == lane) out += step_card(s, spec.path, flag_text(label, race_order.size(), violating));
      out += "</td>";
    }
    out += "</tr>\n";
  }
  if (end_state) out += end_state_row(v, rule, lanes.size());
  out += "</tbody>\n</table>\n</section>\n<aside class=\"panel\">\n";
  out +=
      "<section class=\"box\"><h2>State after step <b id=\"sel-num\">\u2013</b></h2>"
      "<div class=\"sel-call\" id=\"sel-call\"></div><div class=\"sel-note\" id=\"sel-note\"></div>"
      "<div class=\"sel-src\" id=\"sel-src\"></div><div id=\"objects\"><div class=\"empty\">"
      "Select a step to see the objects.</div></div><div class=\"sel-replay\" "
      "id=\"sel-replay\"></div></section>\n";
  if (auto src = options.sources.find(spec.path); src != options.sources.end()) {
    out += source_box(v, spec.path, src->second);
  }
  out += rule_box(rule) + "\n";
  out +=
      "<section class=\"box keys\"><h2>Keys</h2><kbd>j</kbd>/<kbd>\u2193</kbd> next step \u00b7 "
      "<kbd>k</kbd>/<kbd>\u2191</kbd> previous \u00b7 <kbd>Home</kbd>/<kbd>End</kbd> first/last "
      "\u00b7 "
      "<kbd>n</kbd>/<kbd>p</kbd> next/previous racing step \u00b7 <kbd>?</kbd> help \u00b7 click a "
      "row or a source line to select it. Changed fields are highlighted.</section>\n";
  out += "</aside>\n</main>\n" + help_dialog();
  out += fmt::format("<footer>cancelcheck {} \u00b7 {} steps \u00b7 {} activities</footer>\n",
                     esc(run.tool_version), v.trace.size(), lanes.size());
  out += fmt::format("<script type=\"application/json\" id=\"cc-data\">{}</script>\n",
                     trace_json(v, spec.path, initial));
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", html_trace_script());
  return out;
}

std::string render_html_index(const RunResult& run, const HtmlOptions& options) {
  std::vector<HtmlTraceFile> files = html_trace_files(run);
  const RunTotals t = totals(run);
  std::string out = page_start("cancelcheck results");
  out += "<body data-ready=\"0\">\n<header class=\"top\">\n<div class=\"crumbs\">cancelcheck " +
         esc(run.tool_version) +
         "</div>\n<h1 class=\"headline\">Check results</h1>\n<div class=\"summary\">";
  out += fmt::format("<span class=\"chip\">{} spec{}</span>", run.specs.size(),
                     run.specs.size() == 1 ? "" : "s");
  // "incomplete" counts a search stopped by a limit after finding violations as well.
  const std::pair<Verdict, std::size_t> chips[] = {{Verdict::Pass, t.pass},
                                                   {Verdict::Violation, t.violation},
                                                   {Verdict::Incomplete, t.incomplete},
                                                   {Verdict::Error, t.error}};
  for (const auto& [verdict, count] : chips) {
    out += fmt::format("<span class=\"verdict {0}\">{1} {0}</span>", verdict_name(verdict), count);
  }
  out += fmt::format("<span class=\"chip\">{} violation{}</span>", t.violations,
                     t.violations == 1 ? "" : "s");
  if (t.accepted > 0)
    out += fmt::format("<span class=\"chip warn\">{} accepted in the baseline, {} new</span>",
                       t.accepted, t.violations - t.accepted);
  out +=
      fmt::format("<span class=\"chip\">{} states \u00b7 {} transitions \u00b7 depth {}{}</span>",
                  with_commas(t.stats.states), with_commas(t.stats.transitions), t.stats.max_depth,
                  options.timings ? " \u00b7 " + duration_text(t.stats.seconds) : std::string());
  out +=
      "</div>\n</header>\n<div class=\"wrap\"><div class=\"filters\" role=\"search\"><input "
      "id=\"filter-text\" type=\"search\" placeholder=\"Search specs, titles, rules, messages "
      "(press /)\" aria-label=\"Search the specs\"><select id=\"filter-verdict\" "
      "aria-label=\"Show only one verdict\"><option value=\"\">every verdict</option><option "
      "value=\"violation\">violation</option><option value=\"pass\">pass</option><option "
      "value=\"incomplete\">incomplete</option><option "
      "value=\"error\">error</option></select><span "
      "class=\"count\" id=\"filter-count\" aria-live=\"polite\"></span></div><div "
      "class=\"tablebox\"><table class=\"index\">\n<thead><tr><th>Spec</th>"
      "<th>Verdict</th><th>Violations</th><th>States</th><th>Transitions</th><th>Depth</th>";
  if (options.timings) out += "<th>Time</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t si = 0; si < run.specs.size(); ++si) {
    const SpecResult& s = run.specs[si];
    out += fmt::format(
        "<tr class=\"spec\" data-verdict=\"{}\"><td id=\"spec-{}\"><code>{}</code>{}</td><td><span "
        "class=\"verdict {}\">{}</span></td><td>",
        verdict_name(s.verdict), si + 1, esc(s.path),
        s.title.empty() ? "" : "<br><span class=\"accepted\">" + esc(s.title) + "</span>",
        verdict_name(s.verdict), verdict_name(s.verdict));
    if (!s.violations.empty()) {
      out += "<ul class=\"vlist\">";
      for (const HtmlTraceFile& f : files) {
        if (f.spec_index != si) continue;
        const Violation& v = s.violations[f.violation_index];
        out += fmt::format(
            "<li><a href=\"{}\" title=\"{}\"><span class=\"rid\">{}</span> {}</a> \u2014 {} "
            "<span class=\"muted\">({} step{})</span>{}</li>",
            esc(f.file_name), esc(v.headline), esc(rule_info(v.rule).id),
            esc(rule_info(v.rule).name), esc(v.message), v.trace.size(),
            v.trace.size() == 1 ? "" : "s",
            v.accepted ? " <span class=\"accepted\">(accepted)</span>" : "");
      }
      out += "</ul>";
    }
    if (search_incomplete(s)) {
      out +=
          "<span class=\"reason\">search incomplete: " +
          esc(s.incomplete_reason.empty() ? std::string("no reason given") : s.incomplete_reason) +
          "</span>";
    } else if (s.verdict == Verdict::Pass) {
      out += "<span class=\"muted\">no violation, complete search</span>";
    }
    if (s.verdict == Verdict::Error && !s.error.empty())
      out += "<pre class=\"err\">" + html_escape(clip_text(s.error, kMaxErrorBytes)) + "</pre>";
    out += "</td>";
    if (s.verdict == Verdict::Error) {
      out += "<td class=\"n\">\u2013</td><td class=\"n\">\u2013</td><td class=\"n\">\u2013</td>";
      if (options.timings) out += "<td class=\"n\">\u2013</td>";
    } else {
      out += fmt::format("<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                         with_commas(s.stats.states), with_commas(s.stats.transitions),
                         s.stats.max_depth);
      if (options.timings)
        out += fmt::format("<td class=\"n\">{}</td>", duration_text(s.stats.seconds));
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";

  // Rules: the catalogue with the violations found for each, linked to their traces.
  out +=
      "<h2 class=\"section\">Rules</h2>\n<div class=\"tablebox\"><table class=\"index "
      "rules\">\n<thead><tr><th>Rule</th>"
      "<th>What it finds</th><th>Violations</th></tr></thead>\n<tbody>\n";
  for (const RuleInfo& rule : all_rules()) {
    std::string links;
    std::size_t n = 0;
    for (const HtmlTraceFile& f : files) {
      const SpecResult& s = run.specs[f.spec_index];
      if (s.violations[f.violation_index].rule != rule.rule) continue;
      ++n;
      links += fmt::format("{}<a href=\"{}\">{}</a>", links.empty() ? "" : ", ", esc(f.file_name),
                           esc(base_name(s.path)));
    }
    out += fmt::format(
        "<tr class=\"rule\"><td><span class=\"rid\">{}</span> {}</td><td class=\"rules\">{}</td>"
        "<td class=\"rulelinks\">{}{}</td></tr>\n",
        esc(rule.id), esc(rule.name), esc(rule.brief),
        n == 0 ? "<span class=\"muted\">none</span>" : fmt::format("<b>{}</b>: ", n), links);
  }
  out += "</tbody></table></div></div>\n";
  out += fmt::format(
      "<footer>{}</footer>\n",
      esc(render_text_summary(
          run, TextOptions{.color = false, .timings = options.timings, .traces = false})));
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", html_index_script());
  return out;
}

std::string write_html_reports(const RunResult& run, const std::filesystem::path& dir,
                               const HtmlOptions& options) {
  for (const HtmlTraceFile& f : html_trace_files(run)) {
    std::string error = write_file_atomic(
        dir / f.file_name, render_html_trace(run, f.spec_index, f.violation_index, options));
    if (!error.empty()) return error;
  }
  return write_file_atomic(dir / "index.html", render_html_index(run, options));
}

}  // namespace cc::reports
