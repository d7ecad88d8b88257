"""Channels in parallel (issue 10): a multi-channel replay on 1 thread against 2 threads.

Usage: python benchmarks/channel_parallel.py [--out benchmarks/out/] [--requests 1000000] [--repeat 3]
       [--standard DDR4-2400R] [--channels 4]

``simulate(..., channel_frontend="independent")`` on ``--requests`` uniformly random requests
(30% writes, seed 0) over a ``--channels``-channel spec, saturating arrival, defaults otherwise;
in-process wall seconds after a JIT warm-up, once per round with ``threads=1`` and ``threads=2``
(interleaved, so load changes hit both), the median over ``--repeat`` rounds, their ratio
(goal >= 1.7), the median process CPU seconds (CPU / wall near 2 means both cores
were used), the machine's load average before and after. Also checks that both thread counts
give the same cycles and command count. Writes channel_parallel.csv to ``--out``.
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from pathlib import Path

import numpy as np

from dramsim.simulate import simulate
from dramsim.spec import load_spec
from traces import RequestTrace


def random_trace(spec, n: int, seed: int = 0) -> RequestTrace:
    """``n`` uniformly random burst-aligned requests, 30% writes."""
    rng = np.random.default_rng(seed)
    org = spec.organization
    address = rng.integers(0, org.capacity_bytes // org.burst_bytes, n, dtype=np.uint64) * np.uint64(org.burst_bytes)
    return RequestTrace(address, rng.random(n) < 0.3)


def timed(spec, trace, threads: int):
    """Wall and process CPU seconds of one replay, and its result."""
    start, cpu = time.perf_counter(), time.process_time()
    res = simulate(spec, trace, channel_frontend="independent", threads=threads)
    return time.perf_counter() - start, time.process_time() - cpu, res


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/out/")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--standard", default="DDR4-2400R")
    parser.add_argument("--channels", type=int, default=4)
    args = parser.parse_args(argv)
    spec = load_spec(args.standard, channels=args.channels)
    trace = random_trace(spec, args.requests)
    simulate(spec, random_trace(spec, 2000, seed=1), channel_frontend="independent", threads=2)  # JIT warm-up
    load_before = os.getloadavg()
    walls = {1: [], 2: []}
    cpus = {1: [], 2: []}
    summary = {}
    for _ in range(args.repeat):
        for threads in (1, 2):
            wall, cpu, res = timed(spec, trace, threads)
            walls[threads].append(wall)
            cpus[threads].append(cpu)
            summary.setdefault(threads, (res.cycles, len(res.commands)))
            del res
    load_after = os.getloadavg()
    if summary[1] != summary[2]:
        raise SystemExit(f"thread counts disagree: {summary}")
    med = {k: statistics.median(v) for k, v in walls.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpus.items()}
    ratio = med[1] / med[2]
    load = " ".join(f"{x:.2f}" for x in load_before) + " -> " + " ".join(f"{x:.2f}" for x in load_after)
    print(f"{spec.name}, {args.channels} channels, {args.requests:,} random requests, saturate, "
          f"channel_frontend=independent; cores {os.cpu_count()}; load average {load}")
    print(f"cycles {summary[1][0]:,}, commands {summary[1][1]:,} (same on 1 and 2 threads)\n")
    print(f"{'threads':>7} {'median s':>9} {'CPU s':>6} {'runs s':>36} {'M req/s':>8}")
    for k in (1, 2):
        runs = ", ".join(f"{w:.3f}" for w in walls[k])
        print(f"{k:>7} {med[k]:>9.3f} {med_cpu[k]:>6.3f} {runs:>36} {args.requests / med[k] / 1e6:>8.2f}")
    print(f"\nspeed-up 2 threads / 1 thread: {ratio:.2f}x (goal >= 1.7x)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "channel_parallel.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["standard", "channels", "requests", "threads", "median_s", "median_cpu_s", "runs_s", "speedup",
                    "load_before_1min", "load_after_1min", "cycles", "commands"])
        for k in (1, 2):
            w.writerow([spec.name, args.channels, args.requests, k, f"{med[k]:.4f}", f"{med_cpu[k]:.4f}",
                        " ".join(f"{x:.4f}" for x in walls[k]), f"{ratio:.3f}", f"{load_before[0]:.2f}",
                        f"{load_after[0]:.2f}", summary[1][0], summary[1][1]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
