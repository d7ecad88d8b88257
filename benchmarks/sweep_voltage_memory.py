#!/usr/bin/env python3
"""Peak memory and wall time of ``dramsim sweep-voltage`` on 1 M-request traces (issue 14, item 11).

Usage::

    python benchmarks/sweep_voltage_memory.py [--requests 1000000] [--out benchmarks/out/]

Writes ``dram_speed.py``'s seq and rand traces of ``--requests`` reads (Ramulator 2 text) and runs
``python -m dramsim sweep-voltage TRACE --standard DDR3-1600K --vdd 1.35:1.025:0.065`` in
approximate and reliable mode as a child process, reading its peak RSS from ``wait4``. Prints a
table and writes ``sweep_voltage_memory.csv`` to ``--out``. The goal: under 400 MB.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dram_speed import addresses  # noqa: E402
from traces import RequestTrace  # noqa: E402
from traces.request_io import write_requests  # noqa: E402


def peak_rss_mb(cmd: list[str], env: dict) -> tuple[float, float]:
    """(peak RSS in MB, wall s) of one run of ``cmd`` as a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}")
    return usage.ru_maxrss / 1024, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1_000_000, help="requests per trace (default 1000000)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"), help="directory of the CSV")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("seq", "rand"):
            a = addresses(name, args.requests)
            trace = Path(tmp) / f"{name}.trace"
            write_requests(RequestTrace(a, np.zeros(len(a), bool)), trace, "ramulator2")
            for mode in ("approximate", "reliable"):
                cmd = [sys.executable, "-m", "dramsim", "sweep-voltage", str(trace), "--standard", "DDR3-1600K",
                       "--vdd", "1.35:1.025:0.065", "--mode", mode, "--out", str(Path(tmp) / f"{name}-{mode}")]
                mb, wall = peak_rss_mb(cmd, env)
                rows.append({"trace": name, "requests": args.requests, "mode": mode, "voltages": 6,
                             "peak_rss_mb": round(mb, 1), "wall_s": round(wall, 2),
                             "load_avg_1min": round(os.getloadavg()[0], 2)})
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    df.to_csv(out / "sweep_voltage_memory.csv", index=False)


if __name__ == "__main__":
    main()
