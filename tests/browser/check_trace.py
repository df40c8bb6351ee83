"""Renders HTML race traces in headless Chromium and checks the DOM.

Two sources: --generator writes the hand-built fixture run (hostile names, a realistic trace);
--cancelcheck runs the real checker over specs from the repository (--source-dir) and over a
spec whose title, folder and file name are markup.

Checks, after the page's own script has run: one lane per activity, one row per step, the
racing steps highlighted, a selected row and a filled state panel, keyboard and click
navigation (through a harness page that drives the trace in an iframe), the source view and
its links both ways, aria-selected on one row, the ? help, the layout at 800 px, the index search
and filter, Z3 values in the state panel of a symbolic trace, the hostile spec strings
present as text, and no element or handler injected by them. Saves screenshots next to the
DOM dumps as test artefacts. Fails (never skips) when Chromium is missing.
"""
import argparse
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile

HOSTILE = "<script>alert(1)</script>\"&'"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio"]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def all_text(self):
        parts = list(self.text)
        for child in self.children:
            parts.append(child.all_text())
        return "".join(parts)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class DomBuilder(html.parser.HTMLParser):
    VOID = {"meta", "link", "br", "wbr", "img", "input", "hr", "col", "area", "base", "embed", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text.append(data)


def run_chromium(chromium, args, timeout=90):
    profile = tempfile.mkdtemp(prefix="cc-chromium-")
    try:
        cmd = [chromium] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if proc.returncode != 0:
            fail("chromium exited with %d: %s" % (proc.returncode, proc.stderr.decode(errors="replace")[-2000:]))
        return proc.stdout.decode("utf-8", errors="replace")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(chromium, url, extra=()):
    return run_chromium(chromium, list(extra) + ["--virtual-time-budget=2000", "--dump-dom", url])


KEYBOARD_HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>keyboard harness</title></head>
<body><pre id="out">not run</pre><iframe id="frame" src="%s" width="1400" height="900"></iframe>
<script>
document.getElementById('frame').addEventListener('load', function () {
  var d = document.getElementById('frame').contentDocument;
  var log = [];
  function selected() {
    var rows = d.querySelectorAll('tr.step.selected');
    return rows.length === 1 ? rows[0].id : 'selected=' + rows.length;
  }
  function key(k) { d.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
  log.push(selected());
  key('j'); log.push(selected());
  key('k'); key('ArrowUp'); log.push(selected());
  key('End'); log.push(selected());
  key('ArrowDown'); log.push(selected());
  key('Home'); log.push(selected());
  key('n'); log.push(selected());
  key('n'); log.push(selected());
  key('n'); log.push(selected());
  key('p'); log.push(selected());
  d.getElementById('step-4').click(); log.push(selected());
  log.push(d.getElementById('sel-num').textContent);
  var changed = d.querySelectorAll('#objects tr.changed');
  log.push(changed.length === 1 ? changed[0].textContent : 'changed=' + changed.length);
  document.getElementById('out').textContent = log.join('|');
});
</script></body></html>
"""
EXPECTED_KEYS = "step-7|step-8|step-6|step-9|step-9|step-1|step-7|step-9|step-7|step-9|step-4|4|statearmedwas idle"


FEATURE_HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>feature harness</title></head>
<body><pre id="out">not run</pre><iframe id="frame" src="%s" width="%d" height="900"></iframe>
<script>
document.getElementById('frame').addEventListener('load', function () {
  var w = document.getElementById('frame').contentWindow, d = w.document, log = [];
  function key(k) { d.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
  function sel() {
    var r = d.querySelectorAll('tr.step.selected');
    return r.length === 1 ? r[0].id : 'selected=' + r.length;
  }
  function cur() {
    var c = d.querySelectorAll('#source-lines li.cur');
    return c.length === 1 ? c[0].id : 'cur=' + c.length;
  }
  try {
%s
  } catch (e) { log.push('error ' + e); }
  document.getElementById('out').textContent = log.join('|');
});
</script></body></html>
"""

# The source view and its links both ways, aria-selected on one row only, the ? help.
SOURCE_AND_KEYS = """
    log.push(sel() + ' ' + cur());
    key('j'); key('j'); key('k');
    log.push(d.querySelectorAll('tr.step[aria-selected="true"]').length + ' aria-selected');
    log.push(Array.prototype.map.call(d.querySelectorAll('#source-lines li.race'), function (l) { return l.id; }).join(','));
    d.getElementById('L53').click(); log.push(sel() + ' ' + cur());
    log.push(d.querySelector('#step-3 a.ln').getAttribute('href'));
    var help = d.getElementById('help');
    log.push(help.hidden); key('?'); log.push(help.hidden); key('Escape'); log.push(help.hidden);
"""
SOURCE_AND_KEYS_EXPECTED = "step-9 L43|1 aria-selected|L43,L53|step-14 L53|#L31|true|false|true"

# At 800 px the lanes fit the trace box, nothing scrolls the page sideways, the panel goes below.
NARROW = """
    var box = d.querySelector('.tracebox');
    log.push(box.scrollWidth <= box.clientWidth + 1 ? 'lanes fit' : 'lanes overflow ' + box.scrollWidth + '>' + box.clientWidth);
    log.push(d.documentElement.scrollWidth <= w.innerWidth + 1 ? 'page fits' : 'page overflow ' + d.documentElement.scrollWidth);
    var panel = d.querySelector('aside.panel').getBoundingClientRect();
    log.push(panel.top >= box.getBoundingClientRect().bottom - 1 ? 'panel below' : 'panel beside');
"""
NARROW_EXPECTED = "lanes fit|page fits|panel below"

# The index's search box and verdict filter.
INDEX_FILTER = """
    function shown() {
      return Array.prototype.filter.call(d.querySelectorAll('tr.spec'), function (r) { return r.offsetParent !== null; }).length;
    }
    log.push(shown());
    var input = d.getElementById('filter-text');
    input.value = 'cr001 fixed'; input.dispatchEvent(new Event('input')); log.push(shown());
    input.value = ''; input.dispatchEvent(new Event('input'));
    var v = d.getElementById('filter-verdict');
    v.value = 'incomplete'; v.dispatchEvent(new Event('change')); log.push(shown());
    log.push(d.getElementById('filter-count').textContent);
"""
INDEX_FILTER_EXPECTED = "7|1|1|1 of 7 specs"

# A symbolic trace: the state panel shows the Z3 model's value, not the term.
SYMBOLIC = """
    key('End');
    var objects = d.getElementById('objects').textContent;
    log.push(objects.indexOf('0xC00000B5') >= 0 ? 'value' : 'no value');
    log.push(objects.indexOf('symbolic status(req#1)') >= 0 ? 'term named' : 'term not named');
"""
SYMBOLIC_EXPECTED = "value|term named"


def harness(chromium, html_dir, page, script, width=1400):
    """Runs `script` against a page of html_dir loaded in an iframe `width` pixels wide."""
    path = os.path.join(html_dir, "feature-harness.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(FEATURE_HARNESS % (page, width, script))
    dom = dump_dom(chromium, "file://" + path, ["--allow-file-access-from-files", "--window-size=1500,1000"])
    os.remove(path)
    pre = [e for e in parse(dom).walk() if e.attrs.get("id") == "out"]
    return pre[0].all_text() if pre else "no output"


def expect_harness(name, got, expected):
    if got != expected:
        fail("%s: got %r, expected %r" % (name, got, expected))


def screenshot(chromium, url, path, size="1400,900"):
    run_chromium(chromium, ["--window-size=" + size, "--virtual-time-budget=2000", "--screenshot=" + path, url])
    if not os.path.exists(path) or os.path.getsize(path) < 10000:
        fail("screenshot %s was not written" % path)


def parse(dom_text):
    builder = DomBuilder()
    builder.feed(dom_text)
    return builder.root


def check_page(root, name, lanes, steps, racing_ids, selected_id):
    elements = list(root.walk())
    body = [e for e in elements if e.tag == "body"]
    if not body or body[0].attrs.get("data-ready") != "1":
        fail("%s: the page script did not run to completion (body data-ready != 1)" % name)
    lane_heads = [e for e in elements if e.tag == "th" and "lane" in e.classes()]
    if len(lane_heads) != lanes:
        fail("%s: %d lanes, expected %d" % (name, len(lane_heads), lanes))
    rows = [e for e in elements if e.tag == "tr" and "step" in e.classes()]
    if len(rows) != steps:
        fail("%s: %d step rows, expected %d" % (name, len(rows), steps))
    racing = sorted(e.attrs.get("id") for e in rows if "racing" in e.classes())
    if racing != sorted(racing_ids):
        fail("%s: racing rows %r, expected %r" % (name, racing, racing_ids))
    selected = [e.attrs.get("id") for e in rows if "selected" in e.classes()]
    if selected != [selected_id]:
        fail("%s: selected rows %r, expected [%r]" % (name, selected, selected_id))
    panel = [e for e in elements if e.attrs.get("id") == "objects"]
    if not panel or not [e for e in panel[0].walk() if "obj" in e.classes()]:
        fail("%s: the state panel shows no objects" % name)
    scripts = [e for e in elements if e.tag == "script"]
    if len(scripts) != 2:
        fail("%s: %d <script> elements, expected exactly the page's own 2" % (name, len(scripts)))
    for e in elements:
        if e.tag in ("img", "iframe", "object", "embed"):
            fail("%s: injected <%s> element" % (name, e.tag))
        for attr in e.attrs:
            if attr.startswith("on"):
                fail("%s: injected event handler %s on <%s>" % (name, attr, e.tag))
    return elements, lane_heads, panel[0]


def keyboard(chromium, html_dir, page):
    """Drives a trace page with keys and a click from a same-directory harness page."""
    harness = os.path.join(html_dir, "keyboard-harness.html")
    with open(harness, "w", encoding="utf-8") as f:
        f.write(KEYBOARD_HARNESS % page)
    dom = dump_dom(chromium, "file://" + harness, ["--allow-file-access-from-files"])
    os.remove(harness)
    pre = [e for e in parse(dom).walk() if e.attrs.get("id") == "out"]
    return pre[0].all_text() if pre else "no output"


HOSTILE_TITLE = "<script>alert(1)</script> & \"quoted\" 'single' </title><b>bold</b>"
HOSTILE_FOLDER = "<img src=x onerror=alert(2)>&'\""
HOSTILE_FILE = "a<b>&'\"z.spec"


def run_cancelcheck(cancelcheck, cwd, args, expect):
    proc = subprocess.run([cancelcheck, "check", "--no-color"] + args, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=300)
    if proc.returncode != expect:
        fail("cancelcheck %s exited with %d, expected %d:\n%s%s" % (" ".join(args), proc.returncode, expect,
             proc.stdout.decode(errors="replace")[-3000:], proc.stderr.decode(errors="replace")[-2000:]))


def check_real(args, out):
    """Traces written by the real checker."""
    source = os.path.abspath(args.source_dir)
    html_dir = os.path.join(out, "real-html")
    run_cancelcheck(args.cancelcheck, source,
                    ["specs/kmdf/cr001_double_completion.spec", "specs/kmdf/cr002_use_after_reuse.spec",
                     "specs/kmdf/cr010_deadlock.spec", "specs/seeds/003_reuse_wipes_stop_cancel.spec",
                     "specs/kmdf/cr001_double_completion_fixed.spec", "tests/data/incomplete_model_limit.spec",
                     "specs/symbolic/status_timeout_double_completion.spec", "--html", html_dir], 1)

    # cr001: 5 lanes (I/O manager, framework, OnRead, OnCancel, OnTimer), 14 steps, the cancel
    # routine's completion (9) and the timer's (14) race; the page opens on step 9.
    cr001 = "file://" + os.path.join(html_dir, "cr001_double_completion-CR001-1.html")
    dom = dump_dom(args.chromium, cr001)
    with open(os.path.join(out, "real-cr001.dom.html"), "w", encoding="utf-8") as f:
        f.write(dom)
    elements, lanes, panel = check_page(parse(dom), "real cr001", 5, 14, ["step-9", "step-14"], "step-9")
    names = [lane.all_text() for lane in lanes]
    expected = ["I/O managerORIGINATOR", "frameworkFRAMEWORK", "OnRead[req#1]DRIVER", "OnCancel[req#1]DRIVER",
                "OnTimerDRIVER"]
    if [n.upper() for n in names] != [n.upper() for n in expected]:
        fail("real cr001: lanes %r, expected %r" % (names, expected))
    rows = [e for e in elements if e.tag == "tr" and "step" in e.classes()]
    row14 = [e for e in rows if e.attrs.get("id") == "step-14"][0]
    if "violating" not in row14.classes() or "RACE 2 \u00b7 VIOLATION" not in row14.all_text():
        fail("real cr001: step 14 is not marked as the violating second racing step: %r" % row14.all_text())
    if "WdfRequestComplete(req#1, STATUS_CANCELLED)" not in row14.all_text() or "line\u00a053" not in row14.all_text():
        fail("real cr001: step 14 does not show its call and spec line: %r" % row14.all_text())
    h1 = [e for e in elements if e.tag == "h1"][0].all_text()
    if "step 9" not in h1 or "step 14" not in h1:
        fail("real cr001: the headline does not name the racing steps: %r" % h1)
    racers = [e.all_text() for e in elements if "racer" in e.classes()]
    if len(racers) != 2 or "step 9" not in racers[0] or "step 14" not in racers[1]:
        fail("real cr001: racing-step chips %r" % racers)
    text = panel.all_text()
    for field in ("place", "cancelable", "cancel flag", "refs", "epoch", "completions", "status"):
        if field not in text:
            fail("real cr001: the state panel lacks the request field %r: %r" % (field, text))
    changed = [e.all_text() for e in panel.walk() if e.tag == "tr" and "changed" in e.classes()]
    if not any(c.startswith("place") and "completed" in c for c in changed):
        fail("real cr001: at step 9 the panel does not highlight req#1 becoming completed: %r" % changed)
    if [e for e in elements if e.tag == "tr" and "endstate" in e.classes()]:
        fail("real cr001: an end-state row on a trace with a violating step")

    keys = keyboard(args.chromium, html_dir, "cr001_double_completion-CR001-1.html")
    expected_keys = ("step-9|step-10|step-8|step-14|step-14|step-1|step-9|step-14|step-9|step-14|step-4|4|"
                     "refs2was 1")
    if keys != expected_keys:
        fail("real cr001 keyboard navigation: got %r, expected %r" % (keys, expected_keys))

    page = "cr001_double_completion-CR001-1.html"
    expect_harness("real cr001 source view and keys", harness(args.chromium, html_dir, page, SOURCE_AND_KEYS),
                   SOURCE_AND_KEYS_EXPECTED)
    expect_harness("real cr001 at 800 px", harness(args.chromium, html_dir, page, NARROW, 800), NARROW_EXPECTED)
    expect_harness("real symbolic trace", harness(args.chromium, html_dir,
                                                  "status_timeout_double_completion-CR001-1.html", SYMBOLIC),
                   SYMBOLIC_EXPECTED)
    with open(os.path.join(source, "specs/kmdf/cr001_double_completion.spec"), encoding="utf-8") as f:
        spec_lines = len(f.read().splitlines())
    source_lines = [e for e in elements if e.tag == "li" and (e.attrs.get("id") or "").startswith("L")]
    if len(source_lines) != spec_lines:
        fail("real cr001: the source view has %d lines, the spec %d" % (len(source_lines), spec_lines))

    # cr002: 20 steps over 5 lanes.
    dom = dump_dom(args.chromium, "file://" + os.path.join(html_dir, "cr002_use_after_reuse-CR002-1.html"))
    check_page(parse(dom), "real cr002", 5, 20, ["step-19", "step-20"], "step-19")

    # End-state violations: no violating step, an END STATE row after the last step.
    for page, lanes_n, steps, racing, selected in (
            ("cr010_deadlock-CR010-1.html", 4, 11, [], "step-11"),
            ("003_reuse_wipes_stop_cancel-CR003-1.html", 6, 12, ["step-8", "step-9"], "step-8")):
        dom = dump_dom(args.chromium, "file://" + os.path.join(html_dir, page))
        elements, _, _ = check_page(parse(dom), "real " + page, lanes_n, steps, racing, selected)
        end = [e for e in elements if e.tag == "tr" and "endstate" in e.classes()]
        if len(end) != 1 or "END STATE" not in end[0].all_text():
            fail("real %s: no END STATE row" % page)
        if [e for e in elements if e.tag == "tr" and "violating" in e.classes()]:
            fail("real %s: a violating row in an end-state violation" % page)

    # The index: every spec with its verdict, the incomplete reason, links to every trace.
    dom = dump_dom(args.chromium, "file://" + os.path.join(html_dir, "index.html"))
    index = list(parse(dom).walk())
    specs = [e for e in index if e.tag == "tr" and "spec" in e.classes()]
    if len(specs) != 7:
        fail("real index: %d spec rows, expected 7" % len(specs))
    links = sorted(set(e.attrs.get("href") for e in index if e.tag == "a" and e.attrs.get("href") != "index.html"))
    pages = sorted(f for f in os.listdir(html_dir) if f != "index.html")
    if links != pages:
        fail("real index: links %r, pages %r" % (links, pages))
    all_text = "".join(e.all_text() for e in specs)
    if "search incomplete: arrive count 250 is outside 0..200" not in all_text:
        fail("real index: the incomplete reason is missing")
    expect_harness("real index search and filter", harness(args.chromium, html_dir, "index.html", INDEX_FILTER),
                   INDEX_FILTER_EXPECTED)

    # A spec whose title, folder and file name are markup: the DOM shows them as text.
    evil_dir = os.path.join(out, "real-evil")
    folder = os.path.join(evil_dir, HOSTILE_FOLDER)
    os.makedirs(folder)
    with open(os.path.join(source, "specs/kmdf/cr001_double_completion.spec"), encoding="utf-8") as f:
        spec_text = f.read()
    old = 'spec "cancel routine and timer DPC both complete the read";'
    if old not in spec_text:
        fail("cr001 spec title changed; update the browser test")
    title_literal = HOSTILE_TITLE.replace('"', '\\"')
    with open(os.path.join(folder, HOSTILE_FILE), "w", encoding="utf-8") as f:
        f.write(spec_text.replace(old, 'spec "%s";' % title_literal))
    run_cancelcheck(args.cancelcheck, evil_dir, [HOSTILE_FOLDER, "--html", "html"], 1)
    evil_html = os.path.join(evil_dir, "html")
    evil_pages = [f for f in os.listdir(evil_html) if f != "index.html"]
    if len(evil_pages) != 1:
        fail("real hostile run: pages %r" % evil_pages)
    evil = "file://" + os.path.join(evil_html, evil_pages[0])
    dom = dump_dom(args.chromium, evil)
    with open(os.path.join(out, "real-evil.dom.html"), "w", encoding="utf-8") as f:
        f.write(dom)
    elements, _, _ = check_page(parse(dom), "real hostile trace", 5, 14, ["step-9", "step-14"], "step-9")
    crumbs = [e for e in elements if "crumbs" in e.classes()][0].all_text()
    hostile_path = os.path.join(HOSTILE_FOLDER, HOSTILE_FILE)
    if HOSTILE_TITLE not in crumbs or hostile_path not in crumbs:
        fail("real hostile trace: title or path not shown as text: %r" % crumbs)
    for e in elements:
        if e.tag == "b" and e.all_text() == "bold":
            fail("real hostile trace: the title's <b> became an element")
    titles = [e for e in elements if e.tag == "title"]
    if len(titles) != 1 or hostile_path not in titles[0].all_text():
        fail("real hostile trace: the page title is not the escaped path: %r" % [t.all_text() for t in titles])
    dom = dump_dom(args.chromium, "file://" + os.path.join(evil_html, "index.html"))
    index = list(parse(dom).walk())
    if [e for e in index if e.tag == "img" or (e.tag == "b" and e.all_text() == "bold")]:
        fail("real hostile index: an element came from the spec's names")
    if len([e for e in index if e.tag == "script"]) != 1:
        fail("real hostile index: a <script> besides the page's own")
    if HOSTILE_TITLE not in "".join(e.all_text() for e in index if e.tag == "td"):
        fail("real hostile index: the title is not shown as text")

    shots = os.path.join(out, "screenshots")
    os.makedirs(shots, exist_ok=True)
    screenshot(args.chromium, cr001, os.path.join(shots, "real-cr001_double_completion-CR001-1.png"), "1400,1000")
    screenshot(args.chromium, "file://" + os.path.join(html_dir, "cr010_deadlock-CR010-1.html"),
               os.path.join(shots, "real-cr010_deadlock-CR010-1.png"), "1400,1000")
    screenshot(args.chromium, evil, os.path.join(shots, "real-hostile-CR001-1.png"), "1400,1000")
    screenshot(args.chromium, "file://" + os.path.join(html_dir, "index.html"), os.path.join(shots, "real-index.png"))
    screenshot(args.chromium, cr001, os.path.join(shots, "real-cr001-800px.png"), "800,1000")
    print("real HTML traces ok; screenshots in " + shots)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", help="writes the fixture run's reports (report_fixture)")
    parser.add_argument("--cancelcheck", help="the built checker, to test real traces")
    parser.add_argument("--source-dir", help="repository root (specs/), with --cancelcheck")
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not args.generator and not args.cancelcheck:
        parser.error("give --generator, --cancelcheck or both")
    if args.cancelcheck and not args.source_dir:
        parser.error("--cancelcheck needs --source-dir")

    if not (os.path.isfile(args.chromium) and os.access(args.chromium, os.X_OK)):
        fail("Chromium not found at %s; install the 'chromium' package to run the HTML browser test"
             % args.chromium)

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    if args.cancelcheck:
        check_real(args, out)
    if args.generator:
        check_fixture(args, out)


def check_fixture(args, out):
    subprocess.run([args.generator, out], check=True, stdout=subprocess.DEVNULL)
    html_dir = os.path.join(out, "html")

    # The realistic trace: 5 lanes, 9 steps, racing steps 7 and 9, first racing step selected.
    fx2 = "file://" + os.path.join(html_dir, "fx2_timer_cancel-CR001-1.html")
    dom = dump_dom(args.chromium, fx2)
    with open(os.path.join(out, "fx2.dom.html"), "w", encoding="utf-8") as f:
        f.write(dom)
    elements, lanes, panel = check_page(parse(dom), "fx2 trace", 5, 9, ["step-7", "step-9"], "step-7")
    if "completions" not in panel.all_text():
        fail("fx2 trace: the state panel does not show the request's fields")
    changed = [e for e in panel.walk() if e.tag == "tr" and "changed" in e.classes()]
    if not changed:
        fail("fx2 trace: no field is highlighted as changed at the racing step")

    # Selecting a step through the address works too.
    dom = dump_dom(args.chromium, fx2 + "#step-3")
    check_page(parse(dom), "fx2 trace #step-3", 5, 9, ["step-7", "step-9"], "step-3")

    # Keyboard navigation and clicks, driven from a same-directory harness page.
    keys = keyboard(args.chromium, html_dir, "fx2_timer_cancel-CR001-1.html")
    if keys != EXPECTED_KEYS:
        fail("keyboard navigation: got %r, expected %r" % (keys, EXPECTED_KEYS))

    # The hostile trace: names are text, nothing is injected.
    evil = "file://" + os.path.join(html_dir, "script____-CR006-1.html")
    dom = dump_dom(args.chromium, evil)
    with open(os.path.join(out, "evil.dom.html"), "w", encoding="utf-8") as f:
        f.write(dom)
    elements, lanes, panel = check_page(parse(dom), "hostile trace", 2, 3, ["step-1", "step-3"], "step-1")
    lane_names = [lane.all_text() for lane in lanes]
    if not any(HOSTILE in name for name in lane_names):
        fail("hostile trace: the hostile activity name is not shown as text in a lane: %r" % lane_names)
    if "</script><script>alert(4)</script>" not in panel.all_text():
        fail("hostile trace: the hostile object name is not shown as text in the state panel")
    h1 = [e for e in elements if e.tag == "h1"]
    if not h1 or HOSTILE not in h1[0].all_text():
        fail("hostile trace: the headline does not show the hostile text")

    # The index page.
    dom = dump_dom(args.chromium, "file://" + os.path.join(html_dir, "index.html"))
    index = list(parse(dom).walk())
    links = [e.attrs.get("href") for e in index if e.tag == "a"]
    if "fx2_timer_cancel-CR001-1.html" not in links or "script____-CR006-1.html" not in links:
        fail("index: missing trace links %r" % links)
    if len([e for e in index if e.tag == "script"]) != 1:
        fail("index: a <script> element besides the page's own search script")

    shots = os.path.join(out, "screenshots")
    os.makedirs(shots, exist_ok=True)
    screenshot(args.chromium, fx2, os.path.join(shots, "fx2_timer_cancel-CR001-1.png"))
    screenshot(args.chromium, evil, os.path.join(shots, "hostile-CR006-1.png"))
    screenshot(args.chromium, "file://" + os.path.join(html_dir, "index.html"), os.path.join(shots, "index.png"))
    print("HTML traces ok; screenshots in " + shots)


if __name__ == "__main__":
    main()
