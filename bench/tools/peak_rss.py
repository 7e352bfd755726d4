#!/usr/bin/env python3
"""Runs a command and samples its /proc/PID/smaps_rollup every 20 ms: prints the peak
resident set (after the command's own output) and, at that sample, its anonymous and file-backed parts (MiB), then the
kernel's own high-water mark (VmHWM, read just before the process exits).

    peak_rss.py [--label TEXT] -- COMMAND [ARGS...]
"""
import os
import subprocess
import sys
import time


def rollup(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[-1] == "kB":
                    out[parts[0].rstrip(":")] = int(parts[1])
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    out["VmHWM"] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return out


def main():
    args = sys.argv[1:]
    label = ""
    if args[:1] == ["--label"]:
        label, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    proc = subprocess.Popen(args)  # its output passes through
    peak, hwm = None, 0
    while proc.poll() is None:
        r = rollup(proc.pid)
        if r and "Rss" in r:
            hwm = max(hwm, r.get("VmHWM", 0))
            if peak is None or r["Rss"] > peak["Rss"]:
                peak = r
        time.sleep(0.02)
    if peak is None:
        sys.exit("no sample taken")
    mib = lambda kb: kb / 1024.0
    anon = peak.get("Anonymous", 0)
    print(f"{label}\trc={proc.returncode}\tpeak Rss {mib(peak['Rss']):.1f} MiB\tanon {mib(anon):.1f}"
          f"\tfile {mib(peak['Rss'] - anon):.1f}\tVmHWM {mib(hwm):.1f} MiB")


if __name__ == "__main__":
    main()
