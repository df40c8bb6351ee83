#!/usr/bin/env python3
"""The bench families under real Open MPI: each family at a size with many slices per level,
in the default reductions and with none, `--all` too, compared with the one-process run
(mpi_compare.py: the JSON reports byte for byte, timings and memory aside)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpi_compare import ROOT, compare  # noqa: E402

# (family, N, extra options): 10^4 to 10^6 states, seconds each.
CASES = [
    ("independent_requests", 4, ["--por=off", "--symmetry=off"]),  # 951,576 states
    ("interrupt_completion", 3, []),
    ("independent_requests", 4, []),
    ("independent_requests", 3, ["--por=off", "--symmetry=off"]),
    ("independent_requests_buggy", 4, ["--all"]),
    ("lock_contention", 6, ["--por=off", "--symmetry=off"]),
    ("lock_contention_buggy", 5, ["--all"]),
    ("interrupt_completion", 2, []),
    ("interrupt_completion_buggy", 2, ["--all", "--symmetry=off"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cancelcheck", required=True)
    ap.add_argument("-np", type=int, default=3)
    a = ap.parse_args()
    bad = 0
    for family, n, opts in CASES:
        spec = os.path.join(ROOT, "bench", "specs", family + ".spec")
        bad += compare(a.cancelcheck, a.np, [spec], [f"N={n}"], opts)
    print(f"{len(CASES)} bench runs, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
