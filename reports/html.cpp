#include "reports/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "reports/atomic_file.h"
#include "reports/escape.h"
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

constexpr std::string_view kCss = R"CSS(
:root {
  --bg: #f6f7f9; --card: #ffffff; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb;
  --driver: #2563eb; --framework: #7c3aed; --target: #0f766e; --originator: #b45309;
  --race: #dc2626; --race-bg: #fef2f2; --sel: #2563eb; --sel-bg: #eef4ff; --changed: #fef3c7;
  --mono: ui-monospace, "SFMono-Regular", "Cascadia Mono", Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--driver); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
header.top { background: var(--card); border-bottom: 1px solid var(--line); padding: 12px 24px 14px; }
.crumbs { color: var(--muted); font-size: 12.5px; display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.crumbs .path { font-family: var(--mono); color: var(--ink); }
.rulebar { display: flex; gap: 10px; align-items: center; margin-top: 8px; flex-wrap: wrap; }
.rule-id { background: var(--race); color: #fff; font-weight: 700; border-radius: 6px; padding: 2px 8px; font-size: 13px; letter-spacing: .02em; }
.rule-name { font-weight: 700; font-size: 15px; }
.chip { border: 1px solid var(--line); border-radius: 999px; padding: 1px 9px; font-size: 12px; color: var(--muted); background: #fff; }
.chip.ok { color: #15803d; border-color: #bbf7d0; background: #f0fdf4; }
.chip.warn { color: #b45309; border-color: #fde68a; background: #fffbeb; }
h1.headline { font-size: 21px; line-height: 1.35; margin: 8px 0 4px; font-weight: 650; max-width: 1100px; }
.message { margin: 0; color: #374151; }
.message code { color: var(--muted); }
.racers { display: flex; gap: 10px; margin-top: 10px; flex-wrap: wrap; }
.racer { display: flex; gap: 8px; align-items: baseline; border: 1px solid #fecaca; background: var(--race-bg); border-radius: 8px; padding: 5px 10px; cursor: pointer; max-width: 100%; min-width: 0; }
.racer:hover { border-color: var(--race); }
.racer .tag { background: var(--race); color: #fff; border-radius: 4px; padding: 0 6px; font-size: 11.5px; font-weight: 700; white-space: nowrap; }
.where { margin: 2px 0 0; color: var(--muted); font-size: 12.5px; }
.where code { color: #374151; }
.racer .who { font-weight: 600; white-space: nowrap; }
.racer code { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 18px; padding: 14px 24px 24px; align-items: start; }
.tracebox { background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: auto; }
table.trace { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: fixed; }
table.trace th.lane { text-align: center; }
table.trace th { position: sticky; top: 0; z-index: 2; background: #fbfbfc; border-bottom: 1px solid var(--line); padding: 10px 8px 8px; text-align: left; vertical-align: bottom; font-size: 12.5px; }
table.trace th.num { width: 46px; }
th.lane .lname { display: block; font-weight: 700; overflow-wrap: break-word; }
th.lane .lkind { display: inline-block; margin-top: 3px; font-size: 10.5px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em; color: #fff; border-radius: 4px; padding: 0 6px; }
th.lane { border-top: 4px solid var(--c); }
th.lane .lkind { background: var(--c); }
.driver { --c: var(--driver); } .framework { --c: var(--framework); } .target { --c: var(--target); } .originator { --c: var(--originator); }
tr.step td { padding: 5px 8px; border-bottom: 1px solid #f1f2f4; vertical-align: top; }
tr.step td.lane { background-image: linear-gradient(var(--c), var(--c)); background-size: 2px 100%; background-repeat: no-repeat; background-position: 50% 0; background-clip: padding-box; }
tr.step td.lane { --c: #e5e7eb; }
td.num { font-weight: 700; color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; padding-right: 10px !important; }
tr.step { cursor: pointer; }
tr.step:hover td { background-color: #fafafa; }
.card { position: relative; z-index: 1; width: max-content; min-width: 100%; max-width: 185%; border: 1px solid var(--line); border-left: 4px solid var(--c); border-radius: 7px; background: #fff; padding: 4px 9px 5px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
td.lane.mid .card { left: 50%; transform: translateX(-50%); }
td.lane.last .card { left: 100%; transform: translateX(-100%); }
td.lane.first .card { left: 0; }
.card .who { font-size: 11px; font-weight: 700; color: var(--c); letter-spacing: .02em; overflow-wrap: anywhere; }
.card .call { font-family: var(--mono); font-size: 12.5px; font-weight: 600; overflow-wrap: break-word; }
.card .ret { font-family: var(--mono); font-size: 12px; font-weight: 600; color: #047857; white-space: nowrap; }
.card .note { color: var(--muted); font-size: 12.5px; margin-top: 1px; }
.card .vals { font-family: var(--mono); font-size: 11.5px; color: #6d28d9; margin-top: 2px; }
.card .src { margin-top: 3px; font-size: 11.5px; color: var(--muted); display: flex; gap: 6px; min-width: 0; }
.card .src .ln { font-family: var(--mono); white-space: nowrap; }
.card .src code { font-size: 11.5px; color: #374151; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.card .flag { position: absolute; top: -8px; right: 8px; background: var(--race); color: #fff; border-radius: 4px; padding: 0 6px; font-size: 10.5px; font-weight: 700; letter-spacing: .03em; }
tr.step.racing td { background-color: var(--race-bg); }
tr.step.racing td.num { color: var(--race); }
tr.step.racing .card { border-color: #fca5a5; border-left-color: var(--race); box-shadow: 0 0 0 2px rgba(220,38,38,.18); }
tr.step.selected td { background-color: var(--sel-bg); }
tr.step.selected td.num { color: var(--sel); box-shadow: inset 4px 0 0 var(--sel); }
tr.step.selected.racing td { background-color: #fde8e8; }
tr.step.selected .card { box-shadow: 0 0 0 2px var(--sel); }
tr.endstate td { padding: 8px; border-top: 2px dashed #fca5a5; background: var(--race-bg); vertical-align: top; }
tr.endstate td.num { color: var(--race); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.endcard { position: relative; border: 1px solid #fca5a5; border-left: 4px solid var(--race); border-radius: 7px; background: #fff; padding: 8px 11px 7px; cursor: pointer; }
.endcard .flag { position: static; display: inline-block; background: var(--race); color: #fff; border-radius: 4px; padding: 0 6px; font-size: 10.5px; font-weight: 700; letter-spacing: .03em; margin-right: 8px; }
.endcard .what { font-weight: 650; }
.endcard .note { color: var(--muted); font-size: 12.5px; margin-top: 3px; }
.endcard .src { margin-top: 3px; font-size: 11.5px; color: var(--muted); }
.endcard .src code { color: #374151; }
aside.panel { position: sticky; top: 12px; display: flex; flex-direction: column; gap: 14px; max-height: calc(100vh - 24px); overflow: auto; }
.box { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.box h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 8px; }
.box h2 b { color: var(--ink); }
.sel-call { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
.sel-src { margin: 4px 0 8px; font-size: 11.5px; color: var(--muted); overflow-wrap: anywhere; }
.sel-src code { display: block; margin-top: 2px; padding: 4px 7px; background: #f9fafb; border: 1px solid var(--line); border-radius: 6px; color: var(--ink); font-size: 11.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
.sel-note { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
.sel-replay { color: var(--muted); font-size: 11.5px; margin-top: 4px; overflow-wrap: anywhere; }
.sel-replay code { font-size: 11px; }
.obj { border: 1px solid var(--line); border-radius: 8px; margin-top: 8px; overflow: hidden; }
.obj .oh { display: flex; justify-content: space-between; gap: 8px; align-items: center; background: #f9fafb; padding: 5px 9px; border-bottom: 1px solid var(--line); }
.obj .oname { font-weight: 700; font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
.obj .okind { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.obj.touched { border-color: #f59e0b; }
.obj table { width: 100%; border-collapse: collapse; }
.obj td { padding: 3px 9px; font-size: 12.5px; vertical-align: top; border-top: 1px solid #f3f4f6; overflow-wrap: anywhere; }
.obj td.k { color: var(--muted); width: 42%; }
.obj td.v { font-family: var(--mono); font-size: 12px; }
.obj tr.changed td { background: var(--changed); }
.obj .was { display: block; color: #92400e; font-size: 11px; }
.obj .was s { color: #b45309; }
.empty { color: var(--muted); font-style: italic; }
.rulebox p { margin: 6px 0 0; color: #374151; }
.rulebox .aliases { font-size: 12px; color: var(--muted); }
.keys { color: var(--muted); font-size: 12px; }
.keys kbd { font-family: var(--mono); font-size: 11px; border: 1px solid #d1d5db; border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: #fff; color: var(--ink); }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 20px; white-space: pre-line; }
table.index { width: 100%; border-collapse: collapse; background: var(--card); }
table.index th, table.index td { padding: 8px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.index th { background: #fbfbfc; font-size: 12.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
table.index td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict { font-weight: 700; border-radius: 999px; padding: 1px 10px; font-size: 12px; display: inline-block; }
.verdict.pass { background: #dcfce7; color: #166534; } .verdict.violation { background: #fee2e2; color: #991b1b; }
.verdict.incomplete { background: #fef3c7; color: #92400e; } .verdict.error { background: #ede9fe; color: #5b21b6; }
.vlist { margin: 0; padding: 0; list-style: none; }
.vlist li { margin: 2px 0; }
.rid { font-weight: 700; color: var(--race); font-family: var(--mono); font-size: 12.5px; }
.vlist .rid { font-weight: 700; color: var(--race); font-family: var(--mono); font-size: 12.5px; }
.accepted { color: var(--muted); font-size: 12px; }
pre.err { background: #faf5ff; border: 1px solid #e9d5ff; border-radius: 6px; padding: 8px; white-space: pre-wrap; margin: 6px 0 0; font-size: 12px; }
.summary { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 10px; align-items: center; }
.reason { display: block; margin-top: 3px; color: #92400e; font-size: 12.5px; }
.muted { color: var(--muted); font-size: 12px; }
h2.section { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 22px 0 8px; }
table.index td.rules { font-size: 12.5px; }
table.index tr.rule td:first-child { white-space: nowrap; }
.rulelinks a { white-space: nowrap; }
.wrap { padding: 18px 24px; }
.tablebox { border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
@media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } aside.panel { position: static; max-height: none; } }
)CSS";

constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('cc-data').textContent);
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.step'));
  var racing = data.racing;
  var current = -1;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fieldMap(obj) {
    var m = {};
    if (obj) obj.fields.forEach(function (f) { m[f[0]] = f[1]; });
    return m;
  }
  function renderPanel(i) {
    var step = data.steps[i];
    var prev = i > 0 ? data.steps[i - 1].objects : [];
    var prevByName = {};
    prev.forEach(function (o) { prevByName[o.name] = o; });
    document.getElementById('sel-num').textContent = String(i + 1);
    var call = document.getElementById('sel-call');
    call.textContent = step.who + ': ' + step.call;
    var src = document.getElementById('sel-src');
    while (src.firstChild) src.removeChild(src.firstChild);
    if (step.loc) {
      src.appendChild(el('span', null, step.loc));
      if (step.code) src.appendChild(el('code', null, step.code));
    } else {
      src.appendChild(el('span', null, 'no spec line (environment step)'));
    }
    var note = document.getElementById('sel-note');
    note.textContent = step.note;
    var replay = document.getElementById('sel-replay');
    while (replay.firstChild) replay.removeChild(replay.firstChild);
    if (step.event) {
      replay.appendChild(document.createTextNode('replay: event '));
      replay.appendChild(el('code', null, step.event));
      if (step.choices.length > 0) {
        replay.appendChild(document.createTextNode(' \u00b7 choices '));
        replay.appendChild(el('code', null, step.choices.join(', ')));
      }
    }
    var box = document.getElementById('objects');
    while (box.firstChild) box.removeChild(box.firstChild);
    if (step.objects.length === 0) { box.appendChild(el('div', 'empty', 'No objects recorded at this step.')); }
    step.objects.forEach(function (o) {
      var before = prevByName[o.name];
      var old = fieldMap(before);
      var card = el('div', 'obj');
      var head = el('div', 'oh');
      head.appendChild(el('span', 'oname', o.name));
      head.appendChild(el('span', 'okind', o.kind + (before || i === 0 ? '' : ' \u00b7 new')));
      card.appendChild(head);
      var table = el('table');
      var touched = false;
      o.fields.forEach(function (f) {
        var tr = el('tr');
        var changed = i > 0 && (!(f[0] in old) || old[f[0]] !== f[1]);
        if (changed) { tr.className = 'changed'; touched = true; }
        tr.appendChild(el('td', 'k', f[0]));
        var v = el('td', 'v', f[1]);
        if (changed && (f[0] in old)) {
          var was = el('span', 'was', 'was ');
          was.appendChild(el('s', null, old[f[0]]));
          v.appendChild(was);
        }
        tr.appendChild(v);
        table.appendChild(tr);
      });
      if (touched) card.className = 'obj touched';
      card.appendChild(table);
      box.appendChild(card);
    });
  }
  function select(i, scroll) {
    if (i < 0 || i >= rows.length) return;
    if (current >= 0) rows[current].classList.remove('selected');
    current = i;
    rows[i].classList.add('selected');
    rows[i].setAttribute('aria-selected', 'true');
    renderPanel(i);
    if (scroll) rows[i].scrollIntoView({block: 'nearest'});
  }
  rows.forEach(function (row, i) {
    row.addEventListener('click', function () { select(i, false); });
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-goto]'), function (b) {
    b.addEventListener('click', function () { select(Number(b.getAttribute('data-goto')), true); });
  });
  function nextRacing(dir) {
    if (racing.length === 0) return current;
    var sorted = racing.slice().sort(function (a, b) { return a - b; });
    if (dir > 0) {
      for (var k = 0; k < sorted.length; k++) if (sorted[k] > current) return sorted[k];
      return sorted[0];
    }
    for (var j = sorted.length - 1; j >= 0; j--) if (sorted[j] < current) return sorted[j];
    return sorted[sorted.length - 1];
  }
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var k = e.key, target = current;
    if (k === 'j' || k === 'ArrowDown') target = current + 1;
    else if (k === 'k' || k === 'ArrowUp') target = current - 1;
    else if (k === 'Home') target = 0;
    else if (k === 'End') target = rows.length - 1;
    else if (k === 'n') target = nextRacing(1);
    else if (k === 'p' || k === 'N') target = nextRacing(-1);
    else return;
    e.preventDefault();
    select(Math.max(0, Math.min(rows.length - 1, target)), true);
  });
  var start = data.initial;
  var m = /^#step-(\d+)$/.exec(location.hash);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= rows.length) start = Number(m[1]) - 1;
  if (rows.length > 0) select(start, false);
  document.body.setAttribute('data-ready', '1');
})();
)JS";

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
      esc(title), kCss);
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
        "<div class=\"src\" title=\"{}\"><span class=\"ln\">{}</span><code>{}</code></div>",
        esc(loc_label(s.loc) + "  " + s.loc.source), esc(line_label),
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

std::string trace_json(const Violation& v, std::size_t initial) {
  ordered_json steps = ordered_json::array();
  for (const TraceStep& s : v.trace) {
    ordered_json objects = ordered_json::array();
    for (const ObjectView& o : s.objects) {
      ordered_json fields = ordered_json::array();
      for (const auto& [name, value] : o.fields)
        fields.push_back(ordered_json::array({visible(name, kMaxNameBytes), visible(value)}));
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
                              std::size_t violation_index, const HtmlOptions& /*options*/) {
  const SpecResult& spec = run.specs.at(spec_index);
  const Violation& v = spec.violations.at(violation_index);
  const RuleInfo& rule = rule_info(v.rule);
  std::vector<Lane> lanes = lanes_of(v);
  std::map<uint32_t, std::size_t> lane_index;
  for (std::size_t i = 0; i < lanes.size(); ++i) lane_index[lanes[i].activity] = i;
  const bool end_state = !v.violating_step.has_value();

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
      end_state ? "<span class=\"chip warn\">end-state violation</span>" : "",
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
      "<table class=\"trace\" style=\"min-width: {}px\">\n<thead><tr><th class=\"num\">#</th>",
      46 + 150 * lanes.size());
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
    out += fmt::format("<tr class=\"{}\" id=\"step-{}\" data-step=\"{}\"><td class=\"num\">{}</td>",
                       cls, i + 1, i, i + 1);
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
  if (end_state) {
    // No step breaks the rule by itself: the state after the last step does (a request still
    // pending, a lost cancel, every activity blocked). Say so where the trace ends.
    out += fmt::format(
        "<tr class=\"endstate\" id=\"end\"><td class=\"num\">end</td><td colspan=\"{}\">"
        "<div class=\"endcard\" data-goto=\"{}\" title=\"Show the state after step {}\">"
        "<span class=\"flag\">END STATE</span><span class=\"what\">{}</span>",
        std::max<std::size_t>(lanes.size(), 1), v.trace.empty() ? 0 : v.trace.size() - 1,
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
  }
  out += "</tbody>\n</table>\n</section>\n<aside class=\"panel\">\n";
  out +=
      "<section class=\"box\"><h2>State after step <b id=\"sel-num\">\u2013</b></h2>"
      "<div class=\"sel-call\" id=\"sel-call\"></div><div class=\"sel-note\" id=\"sel-note\"></div>"
      "<div class=\"sel-src\" id=\"sel-src\"></div><div id=\"objects\"><div class=\"empty\">"
      "Select a step to see the objects.</div></div><div class=\"sel-replay\" "
      "id=\"sel-replay\"></div></section>\n";
  out += rule_box(rule) + "\n";
  out +=
      "<section class=\"box keys\"><h2>Keys</h2><kbd>j</kbd>/<kbd>\u2193</kbd> next step \u00b7 "
      "<kbd>k</kbd>/<kbd>\u2191</kbd> previous \u00b7 <kbd>Home</kbd>/<kbd>End</kbd> first/last "
      "\u00b7 "
      "<kbd>n</kbd>/<kbd>p</kbd> next/previous racing step \u00b7 click a row to select it. "
      "Changed fields are highlighted.</section>\n";
  out += "</aside>\n</main>\n";
  out += fmt::format("<footer>cancelcheck {} \u00b7 {} steps \u00b7 {} activities</footer>\n",
                     esc(run.tool_version), v.trace.size(), lanes.size());
  out += fmt::format("<script type=\"application/json\" id=\"cc-data\">{}</script>\n",
                     trace_json(v, initial));
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return out;
}

std::string render_html_index(const RunResult& run, const HtmlOptions& options) {
  std::vector<HtmlTraceFile> files = html_trace_files(run);
  const RunTotals t = totals(run);
  std::string out = page_start("cancelcheck results");
  out += "<body data-ready=\"1\">\n<header class=\"top\">\n<div class=\"crumbs\">cancelcheck " +
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
      "</div>\n</header>\n<div class=\"wrap\"><div class=\"tablebox\"><table "
      "class=\"index\">\n<thead><tr><th>Spec</th>"
      "<th>Verdict</th><th>Violations</th><th>States</th><th>Transitions</th><th>Depth</th>";
  if (options.timings) out += "<th>Time</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t si = 0; si < run.specs.size(); ++si) {
    const SpecResult& s = run.specs[si];
    out += fmt::format(
        "<tr class=\"spec\"><td id=\"spec-{}\"><code>{}</code>{}</td><td><span class=\"verdict "
        "{}\">{}</span></td><td>",
        si + 1, esc(s.path),
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
  out += "</body>\n</html>\n";
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
