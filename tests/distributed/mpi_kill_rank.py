#!/usr/bin/env python3
"""A rank that dies ends a distributed run with exit 3 within seconds, never a hang.

Starts `mpirun --oversubscribe -np 3 cancelcheck check` on a bench family large enough to
search for minutes, waits until every rank's search process is running, kills one of them
(SIGKILL), and expects mpirun to exit with 3 and the supervisor's message naming
the signal within 20 seconds of the kill.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

EXE = "cancelcheck"  # the binary's file name (set from --cancelcheck)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def search_processes(mpirun_pid):
    """The pids of the search processes (children of the rank supervisors) under mpirun."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        children.setdefault(ppid, []).append((int(pid), cmd))
    # mpirun -> (orted, on one machine none) -> supervisor (cancelcheck) -> search (cancelcheck)
    out = []
    stack = [mpirun_pid]
    while stack:
        p = stack.pop()
        for c, cmd in children.get(p, []):
            stack.append(c)
            is_cc = cmd and os.path.basename(cmd[0].decode()) == EXE
            if is_cc and ppid_is_cancelcheck(c):
                out.append(c)
    return sorted(out)


def ppid_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def ppid_is_cancelcheck(pid):
    try:
        with open(f"/proc/{ppid_of(pid)}/cmdline", "rb") as f:
            return os.path.basename(f.read().split(b"\0")[0].decode()) == EXE
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cancelcheck", required=True)
    a = ap.parse_args()
    global EXE
    EXE = os.path.basename(a.cancelcheck)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")
    spec = os.path.join(ROOT, "bench", "specs", "independent_requests.spec")
    cmd = ["mpirun", "--oversubscribe", "-np", "3", a.cancelcheck, "check", spec, "-D", "N=9",
           "--por", "off", "--symmetry", "off", "--liveness", "off", "--no-progress", "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 60
    pids = []
    while time.time() < deadline:
        pids = search_processes(proc.pid)
        if len(pids) == 3:
            break
        if proc.poll() is not None:
            print(f"mpirun ended before the search started: exit {proc.returncode}")
            print(proc.stderr.read().decode(errors="replace"))
            return 1
        time.sleep(0.2)
    if len(pids) != 3:
        print(f"expected 3 search processes, found {pids}")
        proc.kill()
        return 1
    time.sleep(2)  # well into the search
    victim = pids[1]
    os.kill(victim, signal.SIGKILL)
    killed = time.time()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        print("mpirun did not end within 20 s of the kill (a hang)")
        return 1
    took = time.time() - killed
    err = err.decode(errors="replace")
    ok = proc.returncode == 3 and "ended on signal 9" in err
    print(f"killed search process {victim}; mpirun exit {proc.returncode} after {took:.1f} s")
    if not ok:
        print(err[-3000:])
        return 1
    # The other search processes end with their supervisors (a supervisor's death kills its
    # search process), a moment after mpirun returns: none may survive for long.
    def alive(p):
        try:
            with open(f"/proc/{p}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    deadline = time.time() + 10
    left = [p for p in pids if alive(p)]
    while left and time.time() < deadline:
        time.sleep(0.1)
        left = [p for p in pids if alive(p)]
    if left:
        print(f"search processes still alive 10 s after the run: {left}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
