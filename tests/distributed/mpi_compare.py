#!/usr/bin/env python3
"""The distributed search against the one-process search, over real Open MPI on one machine.

Runs `cancelcheck check PATHS... --json` once in one process and once under
`mpirun --oversubscribe -np K` (loopback), with the same options, and compares the two JSON
documents spec by spec, byte for byte after removing what depends on the machine (timings,
memory, the per-process Z3 cache counts: tests/snapshot/snapshot.py's VOLATILE). Liveness is
off in both (a distributed search does not check it; `liveness` would differ by design).

  mpi_compare.py --cancelcheck BIN [-np K] [-D N=V ...] [--opt=--por=off ...] PATH...
Exit 0 when every spec matches, 1 with a summary otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "snapshot"))
from snapshot import scrub  # noqa: E402


def run(cmd, env):
    return subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env, timeout=3000)


def compare(cancelcheck, np, paths, defines=(), opts=()):
    """Runs both and compares; returns the number of differences (0 = identical)."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    extra = []
    for o in opts:
        extra += o.split("=", 1)
    for d in defines:
        extra += ["-D", d]
    with tempfile.TemporaryDirectory() as tmp:
        one, many = os.path.join(tmp, "one.json"), os.path.join(tmp, "many.json")
        base = [cancelcheck, "check", *paths, "--liveness", "off", "-q", "--no-progress",
                "--no-color", "--time-limit", "600", *extra]
        p1 = run(base + ["--json", one], env)
        pk = run(["mpirun", "--oversubscribe", "-np", str(np)] + base + ["--json", many], env)
        if p1.returncode != pk.returncode:
            print(f"exit codes differ: one process {p1.returncode}, {np} ranks {pk.returncode}")
            print(pk.stderr.decode(errors="replace")[-3000:])
            return 1
        d1, dk = scrub(json.load(open(one))), scrub(json.load(open(many)))
    s1 = {s["path"]: s for s in d1["specs"]}
    sk = {s["path"]: s for s in dk["specs"]}
    bad = 0
    for path in sorted(s1):
        if json.dumps(s1[path], sort_keys=True) != json.dumps(sk.get(path), sort_keys=True):
            bad += 1
            other = sk.get(path) or {}
            keys = [k for k in s1[path] if s1[path][k] != other.get(k)]
            print(f"DIFFERS: {path}: {', '.join(keys)}")
            for k in keys[:3]:
                print(f"   one: {str(s1[path][k])[:400]}\n  many: {str(other.get(k))[:400]}")
    if set(sk) != set(s1):
        bad += 1
        print("the spec lists differ")
    rest = {k: v for k, v in d1.items() if k != "specs"}
    rest_k = {k: v for k, v in dk.items() if k != "specs"}
    if json.dumps(rest, sort_keys=True) != json.dumps(rest_k, sort_keys=True):
        bad += 1
        print("the documents differ outside the specs")
    print(f"{' '.join(os.path.relpath(p, ROOT) for p in paths)} {' '.join(extra)}: {len(s1)} "
          f"specs, {np} ranks: {max(0, len(s1) - bad)} identical, {bad} differ "
          f"(exit {p1.returncode})")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cancelcheck", required=True)
    ap.add_argument("-np", type=int, default=3)
    ap.add_argument("-D", action="append", default=[])
    ap.add_argument("--opt", action="append", default=[], help="extra check option, a=b form")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    return 1 if compare(a.cancelcheck, a.np, a.paths, a.D, a.opt) else 0


if __name__ == "__main__":
    sys.exit(main())
