#!/usr/bin/env python3
"""Side-by-side speed of two cancelcheck binaries: interleaved runs (old, new, old, new, ...)
of the bench families, median states/s of each. Usage:
  bench/compare.py OLD_BINARY NEW_BINARY [--rounds 5]
Both binaries must be built the same way (same preset); run on an otherwise idle machine."""
import argparse, json, os, statistics, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [  # (spec, N, extra flags, mode label)
    ("bench/specs/independent_requests.spec", 4, ["--por", "off", "--symmetry", "off"], "off"),
    ("bench/specs/independent_requests.spec", 8, [], "por+sym"),
    ("bench/specs/lock_contention.spec", 7, ["--por", "off", "--symmetry", "off"], "off"),
    ("bench/specs/lock_contention.spec", 8, [], "por+sym"),
    ("bench/specs/interrupt_completion.spec", 2, ["--por", "off", "--symmetry", "off"], "off"),
    ("bench/specs/interrupt_completion.spec", 3, [], "por+sym"),
]


def run(binary, spec, n, flags):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        subprocess.run([binary, "check", spec, "-D", f"N={n}", "--json", out, "-q",
                        "--no-progress", "--threads", "1"] + flags, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        try:
            with open(out, encoding="utf-8") as f:
                st = json.load(f)["specs"][0]["stats"]
        except (OSError, KeyError, IndexError, ValueError):
            return None  # this binary cannot check the spec (an older language)
    return st["states"], st["transitions"], st["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    print("| family | N | mode | states | transitions | old states/s | new states/s | new/old |")
    print("|---|---|---|---|---|---|---|---|")
    for spec, n, flags, label in CASES:
        if run(a.old, spec, n, flags) is None:
            print(f"| {os.path.splitext(os.path.basename(spec))[0]} | {n} | {label} | "
                  "(the old binary cannot check it) | | | | |")
            continue
        rates = {"old": [], "new": []}
        counts = {}
        for _ in range(a.rounds):
            for which in ("old", "new"):
                s, t, sec = run(getattr(a, which), spec, n, flags)
                counts.setdefault(which, (s, t))
                rates[which].append(s / sec if sec > 0 else 0.0)
        if counts["old"] != counts["new"]:
            raise SystemExit(f"{spec} N={n} {label}: counts differ {counts}")
        o, w = statistics.median(rates["old"]), statistics.median(rates["new"])
        fam = os.path.splitext(os.path.basename(spec))[0]
        print(f"| {fam} | {n} | {label} | {counts['new'][0]:,} | {counts['new'][1]:,} | "
              f"{o / 1e6:.2f} M | {w / 1e6:.2f} M | {w / o:.2f} |")


if __name__ == "__main__":
    main()
