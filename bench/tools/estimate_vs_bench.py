#!/usr/bin/env python3
"""The decode estimate of `assistant-cli info` against assistant-bench's measured tg64, per
file: a markdown row each with the estimate (and another build's, --before), the measured
runs' median and spread, and the estimate against the median. Each bench run notes the
runnable tasks (/proc/loadavg) just before it: on a shared machine, runs with more of
them than cores are slow (the thread pool parks its workers) and say so.

    estimate_vs_bench.py [--bin build/bin] [--before OTHER/bin] [-t 2] [--runs 3] FILE...

Set XDG_CONFIG_HOME to read a fixed bandwidth.tsv (info runs with --no-probe then).
"""
import argparse
import os
import re
import statistics
import subprocess


def estimate(bin_dir, path, threads):
    out = subprocess.run([os.path.join(bin_dir, "assistant-cli"), "info", path, "--device", "cpu", "-t",
                          str(threads), "--no-probe"], capture_output=True, text=True).stdout
    m = re.search(r"expected decode: ([0-9.]+)", out)
    return float(m.group(1)) if m else None


def runnable():
    with open("/proc/loadavg") as f:
        return int(f.read().split()[3].split("/")[0])


def measure(bin_dir, path, threads):
    out = subprocess.run([os.path.join(bin_dir, "assistant-bench"), "-m", path, "-p", "16", "-n", "64", "-t",
                          str(threads), "-r", "3"], capture_output=True, text=True).stdout
    m = re.search(r"tg64 \| ([0-9.]+)", out)
    return float(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--before")
    ap.add_argument("-t", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    print("| file | estimate before | estimate | tg64 runs (runnable tasks) | median | estimate vs median |")
    print("|---|---:|---:|---|---:|---:|")
    for path in a.files:
        before = estimate(a.before, path, a.t) if a.before else None
        now = estimate(a.bin, path, a.t)
        runs = []
        for _ in range(a.runs):
            load = runnable()
            runs.append((measure(a.bin, path, a.t), load))
        values = [r for r, _ in runs if r]
        med = statistics.median(values) if values else None
        cells = ", ".join(f"{r:,.0f} ({n})" if r else f"- ({n})" for r, n in runs)
        vs = f"{100.0 * (now / med - 1):+.0f}%" if now and med else "-"
        now = now or 0.0
        name = os.path.basename(path)
        b = f"{before:,.1f}" if before else "-"
        print(f"| {name} | {b} | {now:,.1f} | {cells} | {med or 0:,.1f} | {vs} |")


if __name__ == "__main__":
    main()
