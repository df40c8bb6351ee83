#!/usr/bin/env python3
"""Distributed search on one machine: `mpirun -np K` for K in 1, 2, 4 against the one-process
search, interleaved (one, K=1, K=2, K=4, one, ...), the median of each; wall time of the whole
command (mpirun start-up included), search time (rank 0's), states/s and the peak memory of the
search structures on the largest rank (the JSON report's peak_memory_bytes).

  mpi_scaling.py --cancelcheck BIN [--runs 3] SPEC -D N=4 [--opt=--por=off ...]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cancelcheck", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("-D", action="append", default=[])
    ap.add_argument("--opt", action="append", default=[])
    ap.add_argument("spec")
    a = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    extra = [x for o in a.opt for x in o.split("=", 1)] + [x for d in a.D for x in ("-D", d)]
    modes = [("one process", []), ("mpirun -np 1", ["mpirun", "-np", "1"]),
             ("mpirun -np 2", ["mpirun", "-np", "2"]),
             ("mpirun -np 4", ["mpirun", "--oversubscribe", "-np", "4"])]
    samples = {m: [] for m, _ in modes}
    facts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.runs):
            for name, prefix in modes:
                out = os.path.join(tmp, "r.json")
                cmd = prefix + [a.cancelcheck, "check", a.spec, "--liveness", "off", "-q",
                                "--no-progress", "--json", out, *extra]
                t0 = time.monotonic()
                subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wall = time.monotonic() - t0
                spec = json.load(open(out))["specs"][0]
                st = spec["stats"]
                samples[name].append((wall, st["seconds"], st["peak_memory_bytes"]))
                facts[name] = (spec["verdict"], st["states"], st["transitions"])
    print(f"{os.path.basename(a.spec)} {' '.join(extra)}, median of {a.runs}")
    print("| run | verdict | states | transitions | wall | search | states/s | memory per rank |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _ in modes:
        wall = statistics.median(s[0] for s in samples[name])
        search = statistics.median(s[1] for s in samples[name])
        mem = statistics.median(s[2] for s in samples[name])
        verdict, states, trans = facts[name]
        print(f"| {name} | {verdict} | {states:,} | {trans:,} | {wall:.2f} s | {search:.2f} s | "
              f"{states / search / 1e6:.2f} M | {mem / 2**20:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
