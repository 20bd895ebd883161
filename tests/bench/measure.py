#!/usr/bin/env python3
"""Runs one command and reports what it cost: user and system CPU seconds and
peak RSS (getrusage of the waited child), wall time, exit status, and samples
of /proc/PID/status (VmRSS, VmHWM) taken while it runs.

    measure.py --out FILE [--pidfile FILE] [--timeout S] [--interval S] -- CMD ARGS...

FILE gets one JSON object. On SIGTERM/SIGINT the child gets SIGTERM (then
SIGKILL after 5 s), so a benchmark's trap that stops this process stops the
child too. A run longer than --timeout is stopped the same way (rc 124).
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time


def status_kb(pid):
    """VmRSS and VmHWM of a live process in KB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            vals = {}
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    vals[k] = int(v.split()[0])
            return vals
    except (OSError, ValueError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")

    t0 = time.monotonic()
    child = subprocess.Popen(cmd)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write(f"{child.pid}\n")
        os.replace(a.pidfile + ".tmp", a.pidfile)

    stopping = {"why": None}

    def stop(why):
        if stopping["why"]:
            return
        stopping["why"] = why
        try:
            child.terminate()
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, lambda s, f: stop("signal"))
    signal.signal(signal.SIGINT, lambda s, f: stop("signal"))

    first = None
    peak_rss = 0
    hwm = 0
    samples = 0
    kill_at = None
    while True:
        if child.poll() is not None:
            break
        s = status_kb(child.pid)
        if s:
            samples += 1
            if first is None:
                first = s.get("VmRSS", 0)
            peak_rss = max(peak_rss, s.get("VmRSS", 0))
            hwm = max(hwm, s.get("VmHWM", 0))
        now = time.monotonic()
        if now - t0 > a.timeout:
            stop("timeout")
        if stopping["why"] and kill_at is None:
            kill_at = now + 5.0
        if kill_at is not None and now > kill_at:
            child.kill()
        time.sleep(a.interval)

    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc = child.returncode
    if stopping["why"] == "timeout":
        rc = 124
    out = {
        "cmd": cmd[0],
        "rc": rc,
        "stopped": stopping["why"],
        "user_s": round(ru.ru_utime, 3),
        "sys_s": round(ru.ru_stime, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "wall_s": round(wall, 3),
        "maxrss_kb": ru.ru_maxrss,
        "first_rss_kb": first or 0,
        "peak_vmrss_kb": peak_rss,
        "vmhwm_kb": max(hwm, 0),
        "samples": samples,
    }
    with open(a.out + ".tmp", "w") as f:
        json.dump(out, f)
        f.write("\n")
    os.replace(a.out + ".tmp", a.out)
    sys.exit(0 if rc == 0 else (rc if rc > 0 else 128 - rc))


if __name__ == "__main__":
    main()
