#!/usr/bin/env python3
"""Semantics snapshot: what cancelcheck reports for every spec of the project, stored.

For every spec in specs/, bench/specs/ and tests/data/ (diagnostic specs included), in each of
the four --por/--symmetry combinations and with one and two threads, runs
`cancelcheck check SPEC --json` and keeps the report without its timings and memory figures:
verdict, reasons, rules, messages, states, transitions, reduced expansions and every trace
step. The four stored files (tests/snapshot/por-{on,off}-symmetry-{on,off}.json) are what a
pure refactoring must leave unchanged; one and two threads must both match them.

  snapshot.py --cancelcheck BIN check    # exit 1 and a diff summary when anything changed
  snapshot.py --cancelcheck BIN update   # rewrite the stored files (after a semantic change)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SNAP_DIR = os.path.join(ROOT, "tests", "snapshot")
SPEC_DIRS = ["specs", "bench/specs", "tests/data"]
MODES = [(por, sym) for por in ("on", "off") for sym in ("on", "off")]
# Figures that depend on the machine, not on the semantics.
VOLATILE = {"seconds", "z3_seconds", "peak_memory_bytes", "tool_version", "z3_cached",
            "z3_queries", "spec_hash"}


def specs():
    out = []
    for d in SPEC_DIRS:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for f in files:
                if f.endswith(".spec"):
                    out.append(os.path.relpath(os.path.join(base, f), ROOT))
    return sorted(out)


def scrub(value):
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def run_mode(cancelcheck, por, sym, threads, files):
    """One JSON report per spec (a spec per run: one spec's error never hides another's)."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, spec in enumerate(files):
            out = os.path.join(tmp, f"{i}.json")
            cmd = [cancelcheck, "check", spec, "--json", out, "--por", por, "--symmetry", sym,
                   "--threads", str(threads), "--time-limit", "120", "-q", "--no-progress",
                   "--no-color"]
            proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, timeout=600)
            if proc.returncode == 3 or not os.path.exists(out):
                sys.exit(f"snapshot: {' '.join(cmd)} ended with exit {proc.returncode}:\n"
                         f"{proc.stderr.decode(errors='replace')[:2000]}")
            with open(out, encoding="utf-8") as f:
                doc = json.load(f)
            for s in doc.get("specs", []):
                results[s["path"]] = {"exit": proc.returncode, "result": scrub(s)}
    return results


def snap_path(por, sym):
    return os.path.join(SNAP_DIR, f"por-{por}-symmetry-{sym}.json")


def differences(want, got):
    lines = []
    for path in sorted(set(want) | set(got)):
        if path not in got:
            lines.append(f"  {path}: missing from this run")
        elif path not in want:
            lines.append(f"  {path}: not in the snapshot")
        elif want[path] != got[path]:
            w, g = want[path]["result"], got[path]["result"]
            keys = sorted(k for k in set(w) | set(g) if w.get(k) != g.get(k))
            lines.append(f"  {path}: differs in {', '.join(keys) or 'exit code'}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cancelcheck", required=True)
    ap.add_argument("what", choices=["check", "update"])
    ap.add_argument("--threads", default="1,2", help="thread counts to run (comma-separated)")
    args = ap.parse_args()
    files = specs()
    threads = [int(t) for t in args.threads.split(",")]
    failed = 0
    for por, sym in MODES:
        for t in threads:
            got = run_mode(os.path.abspath(args.cancelcheck), por, sym, t, files)
            path = snap_path(por, sym)
            if args.what == "update":
                if t == threads[0]:
                    with open(path, "w", encoding="utf-8") as f:
                        json.dump(got, f, indent=0, sort_keys=True, ensure_ascii=True)
                        f.write("\n")
                    print(f"wrote {os.path.relpath(path, ROOT)} ({len(got)} specs)")
                    continue
            with open(path, encoding="utf-8") as f:
                want = json.load(f)
            diff = differences(want, got)
            label = f"--por {por} --symmetry {sym} --threads {t}"
            if diff:
                failed += 1
                print(f"FAIL {label}: {len(diff)} spec(s) differ from the snapshot")
                print("\n".join(diff[:40]))
            else:
                print(f"ok   {label}: {len(got)} specs as in the snapshot")
    runs = len(MODES) * len(threads)
    print(f"{runs - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
