#!/usr/bin/env python3
"""Run `cancelcheck check --all` over every spec in every reduction/search mode.

Issue 15 asks for "no internal error: the whole corpus and the conformance suite with
`--all`, in every `--por`/`--symmetry`/`--search`/`--threads` combination". This script runs
a given cancelcheck binary once per (spec, mode), where a mode is one value of each of

    --por        the values listed by `cancelcheck check --help` (on, off)
    --symmetry   the values listed by `cancelcheck check --help` (on, off)
    --search     the values listed by `cancelcheck check --help` (bfs, dfs)
    --threads    1 and 2 (--threads takes 1..64; two is enough to exercise the parallel
                 breadth-first search, and the depth-first search must accept it too)

(the values are read from `check --help`, so a new value is swept without editing this file;
`--por-values` etc. override them), every run with `--all --no-progress -q --json FILE`.

It reports two kinds of failure:

(a) a run that crashed (killed by a signal, or a negative exit status), timed out
    (`--timeout`, per run), exited 3 (internal error), or whose exit code is not 0, 1, 2 or 4
    or does not agree with its JSON report (0 = every spec passes, 1 = a violation);
    also exit 2 (the corpus must parse) and exit 4 (no limit is given, so a search can only be
    incomplete through an undecided Z3 query, which the corpus does not have);

(b) a spec whose result differs between modes. What is compared is, per spec, the verdict
    (pass / violation / incomplete / error) and the *set* of rule ids that `--all` reports.
    Not compared: the order of the violations and the rule of the first one (BFS reports the
    shortest counterexample first, DFS the first one it meets, so the first rule may
    legitimately differ), trace lengths and state counts (DFS traces are not shortest, and the
    reductions store fewer states by design), and the locations of the violations (with
    `--all` one trace is kept per rule and location; the reductions may skip interleavings
    that reach the same rule at another call site). Location-set differences are counted and
    listed with `--show-location-diffs` as information, never as failures.

Exit status: 0 when every run is clean and every spec agrees across modes, 1 otherwise, 2 on a
usage error. `--sample N --seed S` runs only N specs chosen at random (reproducibly), still
in every mode; tests/CMakeLists.txt runs such a subset as the ctest `sweep_sample`.

Example:
    nice -n 10 python3 scripts/sweep.py --cancelcheck build/ci/app/cancelcheck -j 2
"""

import argparse
import concurrent.futures
import itertools
import json
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time

DEFAULT_THREADS = ["1", "2"]
FALLBACK = {"por": ["on", "off"], "symmetry": ["on", "off"], "search": ["bfs", "dfs"]}


def option_values(binary, option):
    """Values of `--OPTION TEXT:{a,b}` in `cancelcheck check --help`, or None."""
    try:
        out = subprocess.run([binary, "check", "--help"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"--" + re.escape(option) + r"\s+\S*?\{([^}]*)\}", out)
    if not m:
        return None
    values = [v.strip() for v in m.group(1).split(",") if v.strip()]
    return values or None


def find_specs(paths):
    specs = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                specs.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".spec"))
        elif p.endswith(".spec"):
            specs.append(p)
        else:
            sys.exit("sweep.py: not a spec or folder: " + p)
    return specs


class Run:
    def __init__(self, spec, mode, cmd):
        self.spec = spec
        self.mode = mode  # tuple of (option, value)
        self.cmd = cmd
        self.rc = None
        self.timed_out = False
        self.seconds = 0.0
        self.verdict = None
        self.rules = None
        self.locations = None
        self.problem = None  # text of a failure of kind (a)
        self.stderr = ""
        self.reason = ""  # the JSON report's error or incomplete_reason


def run_one(binary, spec, mode, timeout, tmpdir, index):
    json_path = os.path.join(tmpdir, "run%d.json" % index)
    cmd = [binary, "check", "--all", "--no-progress", "-q", "--json", json_path]
    for opt, val in mode:
        cmd += ["--" + opt, val]
    cmd.append(spec)
    r = Run(spec, mode, cmd)
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout)
        r.rc = p.returncode
        r.stderr = (p.stderr or "") + (p.stdout or "")
    except subprocess.TimeoutExpired as e:
        r.timed_out = True
        out = e.stderr or b""
        r.stderr = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
    r.seconds = time.monotonic() - start

    if r.timed_out:
        r.problem = "timeout after %gs" % timeout
    elif r.rc < 0:
        r.problem = "crashed: killed by signal %d" % -r.rc
    elif r.rc == 3:
        r.problem = "internal error (exit 3)"
    elif r.rc == 2:
        r.problem = "spec or usage error (exit 2)"
    elif r.rc == 4:
        r.problem = "incomplete search (exit 4)"
    elif r.rc not in (0, 1):
        r.problem = "unexpected exit code %d" % r.rc

    if not r.timed_out:
        try:
            with open(json_path, encoding="utf-8") as f:
                doc = json.load(f)
            specs = doc.get("specs", [])
            if len(specs) != 1:
                raise ValueError("%d spec entries" % len(specs))
            s = specs[0]
            r.verdict = s.get("verdict")
            r.reason = (s.get("error") or s.get("incomplete_reason") or "").strip()
            viol = s.get("violations", [])
            r.rules = sorted({v.get("rule") for v in viol})
            r.locations = sorted({(v.get("rule"), v.get("loc", {}).get("line", 0)) for v in viol})
            expected_rc = {"pass": 0, "violation": 1, "error": 2, "incomplete": 4}.get(r.verdict)
            if r.problem is None and expected_rc != r.rc:
                r.problem = "exit code %d does not match the JSON verdict %r" % (r.rc, r.verdict)
        except (OSError, ValueError, AttributeError) as e:
            if r.problem is None:
                r.problem = "no usable JSON report (%s)" % e
        finally:
            try:
                os.remove(json_path)
            except OSError:
                pass
    return r


def shown_command(cmd):
    """The command line, with the temporary JSON file shown as OUT.json."""
    out = list(cmd)
    if "--json" in out:
        out[out.index("--json") + 1] = "OUT.json"
    return " ".join(shlex.quote(c) for c in out)


def mode_text(mode):
    return " ".join("--%s %s" % kv for kv in mode)


def last_lines(text, n=3):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-n:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring for what is compared.")
    ap.add_argument("--cancelcheck", required=True, help="the cancelcheck binary to sweep")
    ap.add_argument("paths", nargs="*", help="specs or folders (default: specs/ of the repository)")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="parallel runs (default 1)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run (default 300)")
    ap.add_argument("--sample", type=int, default=0, help="only N specs, chosen at random")
    ap.add_argument("--seed", type=int, default=1, help="seed of --sample (default 1)")
    ap.add_argument("--por-values", help="comma-separated; default: from check --help")
    ap.add_argument("--symmetry-values", help="comma-separated; default: from check --help")
    ap.add_argument("--search-values", help="comma-separated; default: from check --help")
    ap.add_argument("--threads-values", default=",".join(DEFAULT_THREADS),
                    help="comma-separated (default 1,2)")
    ap.add_argument("--show-location-diffs", action="store_true",
                    help="list specs whose violation locations differ between modes (information)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = ap.parse_args()

    binary = os.path.abspath(args.cancelcheck)
    if not os.access(binary, os.X_OK):
        print("sweep.py: not an executable: " + args.cancelcheck, file=sys.stderr)
        return 2
    paths = args.paths or [os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs")]
    specs = find_specs(paths)
    if not specs:
        print("sweep.py: no specs found", file=sys.stderr)
        return 2
    if args.sample and args.sample < len(specs):
        specs = sorted(random.Random(args.seed).sample(specs, args.sample))

    axes = []
    for opt in ("por", "symmetry", "search"):
        given = getattr(args, opt + "_values")
        values = given.split(",") if given else (option_values(binary, opt) or FALLBACK[opt])
        axes.append([(opt, v) for v in values])
    axes.append([("threads", v) for v in args.threads_values.split(",")])
    modes = list(itertools.product(*axes))

    print("sweep: %d specs x %d modes = %d runs, -j %d, timeout %gs" %
          (len(specs), len(modes), len(specs) * len(modes), args.jobs, args.timeout))
    print("modes: " + "; ".join("%s {%s}" % (a[0][0], ",".join(v for _, v in a)) for a in axes))
    sys.stdout.flush()

    start = time.monotonic()
    runs = []
    with tempfile.TemporaryDirectory(prefix="cc-sweep-") as tmpdir:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = []
            for i, (spec, mode) in enumerate(itertools.product(specs, modes)):
                futures.append(pool.submit(run_one, binary, spec, mode, args.timeout, tmpdir, i))
            for fut in concurrent.futures.as_completed(futures):
                r = fut.result()
                runs.append(r)
                if args.verbose:
                    print("  %-7s %6.2fs %s %s" % (r.verdict or "-", r.seconds, mode_text(r.mode), r.spec))
    elapsed = time.monotonic() - start

    failures = [r for r in runs if r.problem]
    by_spec = {}
    for r in runs:
        by_spec.setdefault(r.spec, []).append(r)

    disagreements = []
    location_diffs = []
    for spec in specs:
        rs = [r for r in by_spec.get(spec, []) if r.verdict is not None]
        outcomes = {}
        for r in rs:
            outcomes.setdefault((r.verdict, tuple(r.rules)), []).append(r)
        if len(outcomes) > 1:
            disagreements.append((spec, outcomes))
        locs = {tuple(r.locations) for r in rs}
        if len(locs) > 1 and len(outcomes) == 1:
            location_diffs.append((spec, rs))

    slowest = max(runs, key=lambda r: r.seconds) if runs else None
    print()
    print("runs: %d in %.1f s wall (%.1f s of run time; slowest %.2f s: %s %s)" %
          (len(runs), elapsed, sum(r.seconds for r in runs),
           slowest.seconds if slowest else 0.0,
           mode_text(slowest.mode) if slowest else "", slowest.spec if slowest else ""))
    verdicts = {}
    for r in runs:
        verdicts[r.verdict or "none"] = verdicts.get(r.verdict or "none", 0) + 1
    print("verdicts: " + ", ".join("%s %d" % kv for kv in sorted(verdicts.items())))

    if failures:
        groups = {}
        for r in sorted(failures, key=lambda r: (r.spec, r.mode)):
            groups.setdefault((r.spec, r.problem), []).append(r)
        print("\n(a) %d failed runs (crash, timeout, internal error, unexpected exit), "
              "%d spec/symptom groups:" % (len(failures), len(groups)))
        for (spec, problem), rs in groups.items():
            r = rs[0]
            print("  %s: %s, in %d of %d modes" % (spec, problem, len(rs), len(modes)))
            print("    $ %s" % shown_command(r.cmd))
            for line in (last_lines(r.reason, 4) if r.reason else last_lines(r.stderr)):
                print("    | %s" % line[:300])
            if len(rs) > 1:
                others = [mode_text(x.mode) for x in rs[1:]]
                shown = others if len(others) <= 3 else others[:3] + ["..."]
                print("    also: %s" % "; ".join(shown))
    else:
        print("(a) no crash, timeout, internal error or unexpected exit code")

    if disagreements:
        print("\n(b) %d specs whose verdict or rule set differs between modes:" % len(disagreements))
        for spec, outcomes in disagreements:
            print("  %s" % spec)
            for (verdict, rules), rs in sorted(outcomes.items(), key=lambda kv: -len(kv[1])):
                ms = sorted(mode_text(r.mode) for r in rs)
                shown = ms if len(ms) <= 4 else ms[:4] + ["... (%d modes)" % len(ms)]
                print("    %s {%s}: %s" % (verdict, ",".join(rules), "; ".join(shown)))
    else:
        print("(b) every spec has the same verdict and rule set in every mode")

    if location_diffs:
        print("(information) %d specs report the same rules at different locations in some modes%s" %
              (len(location_diffs), "" if args.show_location_diffs else " (--show-location-diffs)"))
        if args.show_location_diffs:
            for spec, rs in location_diffs:
                print("  %s" % spec)
                seen = {}
                for r in rs:
                    seen.setdefault(tuple(r.locations), []).append(mode_text(r.mode))
                for locs, ms in seen.items():
                    print("    %s: %d modes, e.g. %s" % (
                        ", ".join("%s@%d" % l for l in locs) or "-", len(ms), ms[0]))

    clean = not failures and not disagreements
    print("\nsweep: %s" % ("clean" if clean else "FAILED"))
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
