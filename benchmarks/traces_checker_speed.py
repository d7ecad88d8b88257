"""Speed of the trace readers/writers and of the independent timing checker.

1. Request traces: write and read 1,000,000 requests in each format (seeded random addresses,
   30 % writes, arrival cycles), auto-detection included in the read; and a Ramulator 2 file
   with irregular spacing (the same one-pass byte parser; kept to show spacing costs little).
2. Command traces: write and read our CSV with the checker's input (see 3).
3. Checker: ``dramsim.checker.check`` on a ~10 M-command DDR3-1600K trace (2 ranks), made by
   simulating 1 M random requests with ``dramsim.simulate`` and repeating that command trace
   end to end (a PREA per rank between copies). Numba compilation is excluded (a warm-up call on
   a small trace first).

Usage: python benchmarks/traces_checker_speed.py [--quick] [--out DIR]
Writes traces_checker_speed.csv (task, items, seconds, items_per_second).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from dramsim.checker import check  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402
from traces import (CommandTrace, RequestTrace, read_commands, read_requests,  # noqa: E402
                    write_commands, write_requests)
from traces.commands import FIELDS, PREA  # noqa: E402


def timed(fn, repeat=3):
    """Median wall time of ``repeat`` calls, and the last result."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def command_trace(spec, n_requests, copies, seed=1):
    from dramsim.simulate import simulate

    rng = np.random.default_rng(seed)
    org = spec.organization
    addr = rng.integers(0, org.capacity_bytes // org.burst_bytes, n_requests, dtype=np.uint64) * np.uint64(org.burst_bytes)
    res = simulate(spec, RequestTrace(addr, rng.random(n_requests) < 0.3, None), row_policy="open")
    one = res.commands
    span = int(one.cycle.max()) + 1
    gap = 2 * spec.timing.RFC + 100
    blocks = {name: [] for name, _ in FIELDS}
    for k in range(copies):
        offset = k * (span + 2 * gap)
        for name, _ in FIELDS:
            blocks[name].append(getattr(one, name) + (offset if name == "cycle" else 0))
        # close every bank before the next copy starts
        ranks = org.channels * org.ranks
        sep = {"cycle": np.full(ranks, offset + span + gap, np.int64),
               "cmd": np.full(ranks, PREA), "channel": np.repeat(np.arange(org.channels), org.ranks),
               "rank": np.tile(np.arange(org.ranks), org.channels), "bankgroup": np.full(ranks, -1),
               "bank": np.full(ranks, -1), "row": np.full(ranks, -1), "column": np.full(ranks, -1)}
        # one command per channel per cycle: stagger ranks
        sep["cycle"] = sep["cycle"] + sep["rank"]
        for name, _ in FIELDS:
            blocks[name].append(sep[name])
    return CommandTrace(**{name: np.concatenate(v) for name, v in blocks.items()}), len(one), res.cycles


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 k requests, ~1 M commands")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)
    n = 100_000 if args.quick else 1_000_000
    rows = []

    def add(task, items, seconds):
        rows.append({"task": task, "items": items, "seconds": round(seconds, 4),
                     "items_per_second": round(items / seconds) if seconds > 0 else ""})
        print(f"{task:45s} {items:>11,d} {seconds:9.3f} s {items / seconds:14,.0f} /s", flush=True)

    rng = np.random.default_rng(12345)
    trace = RequestTrace(rng.integers(0, 2**33, n, dtype=np.uint64) & ~np.uint64(63), rng.random(n) < 0.3,
                         np.cumsum(rng.integers(0, 5, n)))
    with tempfile.TemporaryDirectory(dir=args.out if os.path.isdir(args.out) else None) as tmp:
        for fmt in ("ramulator2", "ramulator1", "dramsim3", "npz"):
            path = Path(tmp) / f"t.{fmt}"
            seconds, _ = timed(lambda: write_requests(trace, path, fmt))
            add(f"write_requests {fmt}", n, seconds)
            seconds, back = timed(lambda: read_requests(path))
            assert np.array_equal(back.address, trace.address)
            add(f"read_requests {fmt} (auto-detect)", n, seconds)

        # irregular spacing: the byte parser takes any run of spaces/tabs
        path = Path(tmp) / "spaced.trace"
        path.write_text((Path(tmp) / "t.ramulator2").read_text().replace(" ", "   "))
        seconds, back = timed(lambda: read_requests(path))
        assert np.array_equal(back.address, trace.address)
        add("read_requests ramulator2, 3 spaces", n, seconds)

        spec = load_spec("DDR3-1600K", ranks=2)
        small, _, _ = command_trace(spec, 2000, 2)
        check(small, spec)  # compile (or load the cache)
        commands, per_copy, _ = command_trace(spec, n, 4)
        seconds, violations = timed(lambda: check(commands, spec, refresh="all-bank"), repeat=1)
        add(f"check DDR3-1600K x2 ranks ({len(violations)} violations)", len(commands), seconds)

        path = Path(tmp) / "c.csv"
        seconds, _ = timed(lambda: write_commands(commands, path), repeat=1)
        add("write_commands csv", len(commands), seconds)
        seconds, back = timed(lambda: read_commands(path), repeat=1)
        assert all(np.array_equal(getattr(back, f), getattr(commands, f)) for f, _ in FIELDS)
        add("read_commands csv", len(commands), seconds)

    os.makedirs(args.out, exist_ok=True)
    out = Path(args.out) / "traces_checker_speed.csv"
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
