#!/usr/bin/env python3
"""Cost of the liveness pass (docs/liveness.md): the same binary with --liveness off and on,
interleaved runs (off, on, off, on, ...), median time and peak search memory of each (the
store, the search's buffers, the edge log and the liveness pass's structures). Usage:
  bench/liveness.py BINARY [--rounds 5]
Run on an otherwise idle machine; the bench/README.md table comes from it."""
import argparse, json, os, statistics, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [  # (spec, defines, extra flags, mode label)
    ("bench/specs/independent_requests.spec", ["-D", "N=4"], ["--por", "off", "--symmetry", "off"], "off"),
    ("bench/specs/independent_requests.spec", ["-D", "N=8"], [], "por+sym"),
    ("bench/specs/lock_contention.spec", ["-D", "N=7"], ["--por", "off", "--symmetry", "off"], "off"),
    ("bench/specs/lock_contention.spec", ["-D", "N=8"], [], "por+sym"),
    ("specs/kmdf/cr014_reader_never_signals_stop_fixed.spec", [], [], "por+sym"),
    ("specs/kmdf/cr014_reader_never_signals_stop_fixed.spec", [], ["--por", "off", "--symmetry", "off"], "off"),
]


def run(binary, spec, defines, flags, liveness):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        subprocess.run([binary, "check", spec, "--json", out, "-q", "--no-progress", "--threads",
                        "1", "--liveness", liveness] + defines + flags, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        with open(out, encoding="utf-8") as f:
            r = json.load(f)["specs"][0]
    st = r["stats"]
    return (r["verdict"], st["states"], st.get("cyclic_states", 0), st.get("cycle_analysis_states", 0),
            st["seconds"], st["peak_memory_bytes"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    print("| spec | N | mode | verdict | states | cyclic | cycle analysis | time off | time on | "
          "on/off | peak off | peak on | on/off | bytes/state off | on |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec, defines, flags, label in CASES:
        t = {"off": [], "on": []}
        m = {"off": [], "on": []}
        info = {}
        for _ in range(a.rounds):
            for lv in ("off", "on"):
                v, s, cyc, conc, sec, peak = run(a.binary, spec, defines, flags, lv)
                info[lv] = (v, s, cyc, conc)
                t[lv].append(sec)
                m[lv].append(peak)
        if info["off"][1] != info["on"][1]:
            raise SystemExit(f"{spec}: state counts differ {info}")
        to, tn = statistics.median(t["off"]), statistics.median(t["on"])
        mo, mn = statistics.median(m["off"]), statistics.median(m["on"])
        n = defines[1][2:] if defines else "-"
        name = os.path.splitext(os.path.basename(spec))[0]
        s = info["on"][1]
        print(f"| {name} | {n} | {label} | {info['on'][0]} | {s:,} | {info['on'][2]:,} | "
              f"{info['on'][3]:,} | {to * 1e3:.1f} ms | {tn * 1e3:.1f} ms | {tn / to:.2f} | "
              f"{mo / 2**20:.1f} MB | {mn / 2**20:.1f} MB | {mn / mo:.2f} | {mo / s:.0f} | {mn / s:.0f} |")


if __name__ == "__main__":
    main()
