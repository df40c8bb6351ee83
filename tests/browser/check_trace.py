"""Renders the HTML race traces of the fixture run in headless Chromium and checks the DOM.

Checks, after the page's own script has run: one lane per activity, one row per step, the
racing steps highlighted, a selected row and a filled state panel, keyboard and click
navigation (through a harness page that drives the trace in an iframe), the hostile spec strings
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


def screenshot(chromium, url, path):
    run_chromium(chromium, ["--window-size=1400,900", "--virtual-time-budget=2000", "--screenshot=" + path, url])
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", required=True)
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    if not (os.path.isfile(args.chromium) and os.access(args.chromium, os.X_OK)):
        fail("Chromium not found at %s; install the 'chromium' package to run the HTML browser test"
             % args.chromium)

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
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
    harness = os.path.join(html_dir, "keyboard-harness.html")
    with open(harness, "w", encoding="utf-8") as f:
        f.write(KEYBOARD_HARNESS % "fx2_timer_cancel-CR001-1.html")
    dom = dump_dom(args.chromium, "file://" + harness, ["--allow-file-access-from-files"])
    pre = [e for e in parse(dom).walk() if e.attrs.get("id") == "out"]
    keys = pre[0].all_text() if pre else "no output"
    if keys != EXPECTED_KEYS:
        fail("keyboard navigation: got %r, expected %r" % (keys, EXPECTED_KEYS))
    os.remove(harness)

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
    if [e for e in index if e.tag == "script"]:
        fail("index: contains a <script> element")

    shots = os.path.join(out, "screenshots")
    os.makedirs(shots)
    screenshot(args.chromium, fx2, os.path.join(shots, "fx2_timer_cancel-CR001-1.png"))
    screenshot(args.chromium, evil, os.path.join(shots, "hostile-CR006-1.png"))
    screenshot(args.chromium, "file://" + os.path.join(html_dir, "index.html"), os.path.join(shots, "index.png"))
    print("HTML traces ok; screenshots in " + shots)


if __name__ == "__main__":
    main()
