// The inline style sheet and scripts of the HTML reports (reports/html.cpp): one style sheet
// for every page, the trace page's script and the index page's script.
#include "reports/html_assets.h"

namespace cc::reports {
namespace {

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
table.trace { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: fixed; min-width: calc(46px + var(--lanes, 1) * 150px); }
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
tr.step.loop td.num { box-shadow: inset 3px 0 0 #7c3aed; color: #6d28d9; }
tr.step.loop-start td { border-top: 2px dashed #7c3aed; }
.loopnote { color: #5b21b6; }
.chip.loop { color: #5b21b6; border-color: #c4b5fd; }
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
.source { padding: 0; }
.source h2 { padding: 12px 14px 0; }
.source .lines { max-height: 42vh; overflow: auto; margin: 6px 0 0; padding: 0 0 8px; border-top: 1px solid var(--line); }
.source ol { list-style: none; margin: 0; padding: 4px 0 0; font-family: var(--mono); font-size: 11.5px; min-width: max-content; }
.source li { display: flex; gap: 8px; padding: 0 10px 0 0; white-space: pre; line-height: 1.55; }
.source li .ln { flex: none; color: #9ca3af; width: 4ch; text-align: right; user-select: none; }
.source li.used { cursor: pointer; }
.source li.used .ln { color: var(--driver); font-weight: 700; }
.source li.race { background: var(--race-bg); }
.source li.race .ln { color: var(--race); }
.source li.cur { background: var(--sel-bg); box-shadow: inset 3px 0 0 var(--sel); }
.card .src a.ln { color: inherit; text-decoration: underline dotted; }
.obj .sym { display: block; color: var(--muted); font-size: 11px; }
#help { position: fixed; inset: 0; background: rgba(17,24,39,.35); display: flex; align-items: center; justify-content: center; z-index: 20; }
#help[hidden] { display: none; }
#help .dlg { background: var(--card); border-radius: 10px; padding: 16px 20px; max-width: 440px; box-shadow: 0 10px 30px rgba(0,0,0,.25); }
#help dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 14px; margin: 8px 0; }
#help dt { font-family: var(--mono); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0 0 10px; }
.filters input { flex: 1 1 220px; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
.filters select { padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
.filters .count { color: var(--muted); font-size: 12.5px; }
tr.spec.hidden { display: none; }
@media (max-width: 860px) { table.trace { min-width: calc(40px + var(--lanes, 1) * 124px); } header.top { padding: 10px 12px 12px; } .layout { padding: 10px 12px 16px; gap: 12px; } .racers { flex-wrap: wrap; } h1.headline { font-size: 17px; } }
)CSS";

constexpr std::string_view kTraceScript = R"JS(
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
  function symbolic(value, term) {
    var td = el('td', 'v', value);
    if (term) td.appendChild(el('span', 'sym', 'symbolic ' + term + ' (Z3 model)'));
    return td;
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
        var v = symbolic(f[1], f[2]);
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
  var lines = document.getElementById('source-lines');
  var curLine = null;
  function showLine(n) {
    if (curLine) curLine.classList.remove('cur');
    curLine = n && lines ? document.getElementById('L' + n) : null;
    if (!curLine) return;
    curLine.classList.add('cur');
    var top = curLine.offsetTop - lines.offsetTop;
    if (top < lines.scrollTop || top > lines.scrollTop + lines.clientHeight - curLine.offsetHeight) {
      lines.scrollTop = Math.max(0, top - lines.clientHeight / 2);
    }
  }
  function select(i, scroll) {
    if (i < 0 || i >= rows.length) return;
    if (current >= 0) {
      rows[current].classList.remove('selected');
      rows[current].setAttribute('aria-selected', 'false');
    }
    current = i;
    rows[i].classList.add('selected');
    rows[i].setAttribute('aria-selected', 'true');
    renderPanel(i);
    showLine(data.steps[i].line);
    if (scroll) rows[i].scrollIntoView({block: 'nearest'});
  }
  // A source line used by steps selects the first of them after the current one (cycling).
  Array.prototype.forEach.call(document.querySelectorAll('#source-lines li.used'), function (li) {
    li.addEventListener('click', function () {
      var steps = li.getAttribute('data-steps').split(',').map(Number);
      var next = steps[0];
      for (var k = 0; k < steps.length; k++) if (steps[k] > current) { next = steps[k]; break; }
      select(next, true);
    });
  });
  var help = document.getElementById('help');
  function toggleHelp(show) { if (help) help.hidden = !show; }
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
    if (k === '?') { toggleHelp(help && help.hidden); e.preventDefault(); return; }
    if (k === 'Escape') { toggleHelp(false); return; }
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
  var l = /^#L(\d+)$/.exec(location.hash);
  if (l) {
    var at = document.getElementById('L' + l[1]);
    if (at && at.getAttribute('data-steps')) start = Number(at.getAttribute('data-steps').split(',')[0]);
  }
  if (help) help.addEventListener('click', function (e) { if (e.target === help) toggleHelp(false); });
  if (rows.length > 0) select(start, false);
  document.body.setAttribute('data-ready', '1');
})();
)JS";

constexpr std::string_view kIndexScript = R"JS(
(function () {
  'use strict';
  var input = document.getElementById('filter-text');
  var verdict = document.getElementById('filter-verdict');
  var count = document.getElementById('filter-count');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.spec'));
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(function (w) { return w; });
    var want = verdict.value, shown = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var ok = (want === '' || row.getAttribute('data-verdict') === want) &&
               words.every(function (w) { return text.indexOf(w) >= 0; });
      row.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' specs';
  }
  input.addEventListener('input', apply);
  verdict.addEventListener('change', apply);
  document.addEventListener('keydown', function (e) {
    if (e.key === '/' && document.activeElement !== input) { e.preventDefault(); input.focus(); }
  });
  apply();
  document.body.setAttribute('data-ready', '1');
})();
)JS";

}  // namespace

std::string_view html_css() {
  return kCss;
}

std::string_view html_trace_script() {
  return kTraceScript;
}

std::string_view html_index_script() {
  return kIndexScript;
}

}  // namespace cc::reports
