#!/usr/bin/env python3
"""Limits and refused options of a distributed run, under real Open MPI (3 ranks, loopback).

- --max-states, --time-limit and --max-memory end every rank's search with the incomplete
  verdict (exit 4) and a reason naming the limit, in rank 0's report;
- --search dfs, --hash-compaction and --threads 2 are usage errors (exit 2) with one message;
- liveness (on by default) is reported as not checked, with the reason;
- only rank 0 writes the report and prints (one summary line on stdout).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC = os.path.join(ROOT, "bench", "specs", "independent_requests.spec")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cancelcheck", required=True)
    a = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    mpirun = ["mpirun", "--oversubscribe", "-np", "3"]
    failures = []

    def run(extra, defines=("N=5",)):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.json")
            cmd = mpirun + [a.cancelcheck, "check", SPEC, "--por", "off", "--symmetry", "off",
                            "--no-progress", "--no-color", "--json", out, *extra]
            for d in defines:
                cmd += ["-D", d]
            p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=300)
            doc = json.load(open(out)) if os.path.exists(out) else None
            return p, doc

    for extra, word in [(["--max-states", "20000", "--liveness", "off"], "state limit 20000"),
                        (["--time-limit", "1", "--liveness", "off"], "time limit 1 s"),
                        (["--max-memory", "120", "--liveness", "off"], "memory limit 120 MB")]:
        p, doc = run(extra, ("N=6",))
        reason = doc["specs"][0].get("incomplete_reason", "") if doc else ""
        verdict = doc["specs"][0]["verdict"] if doc else None
        print(f"{' '.join(extra)}: exit {p.returncode}, {verdict}: {reason}")
        if p.returncode != 4 or verdict != "incomplete" or word not in reason:
            failures.append(" ".join(extra))
    for extra in (["--search", "dfs"], ["--hash-compaction"], ["--threads", "2"]):
        p, doc = run(extra)
        err = p.stderr.decode(errors="replace")
        print(f"{' '.join(extra)}: exit {p.returncode}")
        if p.returncode != 2 or "does not run distributed" not in err or \
                err.count("does not run distributed") != 1 or doc is not None:
            failures.append(" ".join(extra))
    p, doc = run([], ("N=2",))
    spec = doc["specs"][0] if doc else {}
    print(f"liveness on: exit {p.returncode}, liveness {spec.get('liveness')}: "
          f"{spec.get('liveness_note')}")
    summaries = p.stdout.decode(errors="replace").count("1 spec checked")
    if p.returncode != 0 or spec.get("liveness") != "not checked" or \
            "distributed" not in spec.get("liveness_note", "") or summaries != 1:
        failures.append(f"liveness/one summary (summaries: {summaries})")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
