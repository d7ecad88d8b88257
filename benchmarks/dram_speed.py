"""dramsim speed: in-process throughput, whole `dramsim replay` processes, peak memory, scaling.

Usage: python benchmarks/dram_speed.py [--out benchmarks/out/] [--repeat 2] [--scaling 100000,1000000,10000000]
                                       [--standard DDR3-1600K] [--ramulator2 DIR]

1. In-process: ``simulate`` on the seq, rand and stride traces of PEERS.md (``--standard``, default
   DDR3-1600K; defaults otherwise),
   after a JIT warm-up; best of ``--repeat`` runs; requests per second (mapping, kernel, statistics;
   addresses beyond the device wrap, see below);
   once per scheduler (``fcfs-ready``, the default, Ramulator 2's rule, and ``frfcfs``).
2. Whole process: ``dramsim replay TRACE --json`` on the Ramulator 2 text traces (warm Numba cache,
   trace parsing included), best of ``--repeat``; wall seconds and peak RSS (MB) of the child.
   The bar is Ramulator 2.1 on the same traces (PEERS.md: 303,030 and 172,117 req/s, i.e. 3.3 s
   and 5.8 s for 1 M requests).
3. With ``--ramulator2 DIR`` (a directory holding the ``ramulator`` Python package of a Ramulator 2.1
   build the user made; nothing here builds it): Ramulator 2.1 beside ours, interleaved run by run so
   both see the same load, best of ``--repeat``: its ``Simulation.run`` seconds against our in-process
   ``simulate``, and its whole process (``benchmarks/ramulator2_run.py``: interpreter, import, trace
   loading, run) against ``dramsim replay``; cycles of both, ratios ours / Ramulator in speed.
4. Scaling: in-process seconds for seq/rand-like traces of each size in ``--scaling``.

Addresses wrap at the spec's capacity (``wrap_addresses``, ``--wrap-addresses``), as Ramulator's
mapper drops the bits above it: the traces span 1 GiB, a GDDR6-14000 channel and HBM2-2000 hold 512 MiB.

Without ``--ramulator2`` the Ramulator 2.1 figures are PEERS.md's, measured on DDR3-1600K; ../shared
gives no speed for another standard, so with ``--standard`` the ratio compares with that DDR3 figure
(the header says so).
Writes dram_speed.csv (one row per measurement; dram_speed_<STANDARD>.csv for another standard).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dramsim.simulate import simulate
from dramsim.spec import load_spec
from traces import RequestTrace

GIB = 1 << 30
#: PEERS.md, Ramulator 2.1 whole-process requests per second on this kind of machine.
RAMULATOR2_RPS = {"seq": 303_030, "rand": 172_117, "stride": 198_020}
#: Ramulator 2.1 DRAM class, organization preset and timing preset matching each built-in standard.
RAMULATOR2_PRESETS = {
    "DDR3-1600K": ("DDR3", "DDR3_4Gb_x8", "DDR3_1600K"),
    "DDR4-2400R": ("DDR4", "DDR4_4Gb_x8", "DDR4_2400R"),
    "DDR5-4800": ("DDR5", "DDR5_16Gb_x8", "DDR5_4800AN"),
    "GDDR6-14000": ("GDDR6", "GDDR6_8Gb_x16", "GDDR6_14000_1250mV_double"),
    "LPDDR5-6400": ("LPDDR5", "LPDDR5_8Gb_x16", "LPDDR5_6400"),
}
#: (a fifth entry: the Ramulator 2.1 controller, when not GenericDDR)
RAMULATOR2_PRESETS["HBM2-2000"] = ("HBM2", "HBM2_2Gb", "HBM2_2000Mbps", "HBM12")
RAMULATOR2_PRESETS["HBM3-6400"] = ("HBM3", "HBM3_8Gb_8hi", "HBM3_6400Mbps", "HBM34")


def addresses(name: str, n: int) -> np.ndarray:
    """The PEERS.md traces (same definitions as make_traces.py), at any length."""
    if name == "seq":
        return np.arange(n, dtype=np.uint64) * np.uint64(64)
    if name == "rand":
        return np.random.default_rng(12345).integers(0, GIB // 64, size=n, dtype=np.uint64) * np.uint64(64)
    if name == "stride":
        return (np.arange(n, dtype=np.uint64) * np.uint64(8192)) % np.uint64(GIB)
    raise ValueError(name)


SIZES = {"seq": 1_000_000, "rand": 1_000_000, "stride": 200_000}


def in_process(spec, name, n, repeat, scheduler="fcfs-ready"):
    trace = RequestTrace(addresses(name, n), np.zeros(n, bool))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = simulate(spec, trace, scheduler=scheduler, wrap_addresses=True)   # (GDDR6, HBM2: less than 1 GiB)
        best = min(best, time.perf_counter() - t0)
    return best, res.cycles


def whole_process(path: Path, repeat: int, standard: str = "DDR3-1600K"):
    """Best wall time and peak RSS (MB) of ``dramsim replay PATH --json``.

    Peak RSS comes from ``/usr/bin/time -f %M`` (a small parent, so the figure is the replay's own;
    ``wait4`` from this big process would report the forked image's size instead).
    """
    best, peak = float("inf"), 0.0
    timer = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = timer + [sys.executable, "-m", "dramsim.cli", "replay", str(path), "--standard", standard,
                           "--wrap-addresses", "--json", os.path.join(tmp, "s.json")]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(f"dram_speed: dramsim replay {path} failed: {proc.stderr.strip()}")
            json.loads(Path(tmp, "s.json").read_text())
        best = min(best, wall)
        if timer:
            peak = max(peak, int(proc.stderr.strip().splitlines()[-1]) / 1024)
    return best, peak


def ramulator2_run(build_dir: Path, trace: Path, standard: str):
    """One Ramulator 2.1 child process on ``trace``: (``Simulation.run`` seconds, wall seconds, cycles)."""
    script = Path(__file__).with_name("ramulator2_run.py")
    env = dict(os.environ, PYTHONPATH=str(build_dir))
    cmd = [sys.executable, str(script), str(trace), *RAMULATOR2_PRESETS[standard]]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"dram_speed: Ramulator 2.1 from {build_dir} failed on {trace.name}: {last}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["run_s"], wall, out["cycles"]


def side_by_side(spec, build_dir: Path, trace_dir: Path, repeat: int, rows: list) -> None:
    """Print (and add to ``rows``) ours against Ramulator 2.1, alternating runs, best of ``repeat``."""
    print(f"\nRamulator 2.1 ({build_dir}) beside ours on {spec.name}, runs interleaved, best of {repeat}; "
          "ratio = our speed / Ramulator's")
    print(f"{'trace':<8}{'requests':>10}{'R2.1 cycles':>13}{'our cycles':>12}"
          f"{'R2.1 run s':>12}{'ours s':>9}{'ratio':>7}{'R2.1 proc s':>13}{'ours proc s':>13}{'ratio':>7}")
    for name, n in SIZES.items():
        path = trace_dir / f"{name}.ramulator2.trace"
        r_run = r_wall = ours = ours_wall = float("inf")
        for _ in range(repeat):
            secs, cycles = in_process(spec, name, n, 1)
            ours = min(ours, secs)
            ours_wall = min(ours_wall, whole_process(path, 1, spec.name)[0])
            run_s, wall, r_cycles = ramulator2_run(build_dir, path, spec.name)
            r_run, r_wall = min(r_run, run_s), min(r_wall, wall)
        print(f"{name:<8}{n:>10,}{r_cycles:>13,}{cycles:>12,}{r_run:>12.3f}{ours:>9.3f}{r_run / ours:>7.1f}"
              f"{r_wall:>13.3f}{ours_wall:>13.3f}{r_wall / ours_wall:>7.1f}")
        rows.append(("ramulator2-run", name, "FRFCFS", n, r_run, n / r_run, ""))
        rows.append(("ramulator2-whole-process", name, "FRFCFS", n, r_wall, n / r_wall, ""))
        rows.append(("in-process-beside-ramulator2", name, "fcfs-ready", n, ours, n / ours, ""))
        rows.append(("whole-process-beside-ramulator2", name, "fcfs-ready", n, ours_wall, n / ours_wall, ""))


def write_text_traces(trace_dir: Path) -> None:
    """The Ramulator 2 text traces (``LD 0x...``) of :data:`SIZES` in ``trace_dir``."""
    for name, n in SIZES.items():
        with open(trace_dir / f"{name}.ramulator2.trace", "w") as f:
            f.write("".join(f"LD 0x{int(x):x}\n" for x in addresses(name, n)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/out/")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--scaling", default="100000,1000000,10000000")
    parser.add_argument("--standard", default="DDR3-1600K", help="built-in standard (default DDR3-1600K)")
    parser.add_argument("--ramulator2", metavar="DIR", type=Path,
                        help="directory with a built Ramulator 2.1 'ramulator' Python package: time it beside ours")
    args = parser.parse_args(argv)
    spec = load_spec(args.standard)
    if args.ramulator2 is not None:
        if not (args.ramulator2 / "ramulator" / "__init__.py").is_file():
            print(f"dram_speed: --ramulator2 {args.ramulator2}: expected a directory holding ramulator/__init__.py",
                  file=sys.stderr)
            return 2
        if spec.name not in RAMULATOR2_PRESETS:
            print(f"dram_speed: --ramulator2 with --standard {spec.name}: expected one of "
                  f"{', '.join(RAMULATOR2_PRESETS)} (the standards with a known Ramulator 2.1 preset)", file=sys.stderr)
            return 2
    rows = []
    simulate(spec, RequestTrace(addresses("rand", 1000), np.zeros(1000, bool)), wrap_addresses=True)  # JIT warm-up
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores shared)\n")
    if spec.name != "DDR3-1600K":
        print(f"note: the Ramulator 2.1 figures are PEERS.md's on DDR3-1600K (../shared has none for {spec.name})\n")

    print(f"in-process simulate ({spec.name}, after warm-up, best of %d)" % args.repeat)
    print(f"{'trace':<8}{'scheduler':<12}{'requests':>10}{'seconds':>10}{'M req/s':>10}{'x Ramulator 2.1':>18}")
    for name, n in SIZES.items():
        for scheduler in ("fcfs-ready", "frfcfs"):
            secs, cycles = in_process(spec, name, n, args.repeat, scheduler)
            rps = n / secs
            print(f"{name:<8}{scheduler:<12}{n:>10,}{secs:>10.3f}{rps / 1e6:>10.2f}{rps / RAMULATOR2_RPS[name]:>18.1f}")
            rows.append(("in-process", name, scheduler, n, secs, rps, ""))

    print("\nwhole process: dramsim replay TRACE.ramulator2.trace --json (warm Numba cache, best of %d)" % args.repeat)
    print(f"{'trace':<8}{'requests':>12}{'seconds':>10}{'Ramulator 2.1 s':>17}{'peak MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        write_text_traces(Path(tmp))
        for name, n in SIZES.items():
            secs, peak = whole_process(Path(tmp) / f"{name}.ramulator2.trace", args.repeat, spec.name)
            print(f"{name:<8}{n:>12,}{secs:>10.3f}{n / RAMULATOR2_RPS[name]:>17.2f}{peak:>10.0f}")
            rows.append(("whole-process", name, "fcfs-ready", n, secs, n / secs, round(peak, 1)))
        if args.ramulator2 is not None:
            side_by_side(spec, args.ramulator2.resolve(), Path(tmp), args.repeat, rows)

    sizes = [int(s) for s in args.scaling.split(",") if s]
    print("\nscaling (in-process, one run each)")
    print(f"{'trace':<8}{'requests':>12}{'seconds':>10}{'M req/s':>10}{'us per request':>16}")
    for name in ("seq", "rand"):
        for n in sizes:
            secs, _ = in_process(spec, name, n, 1)
            print(f"{name:<8}{n:>12,}{secs:>10.3f}{n / secs / 1e6:>10.2f}{secs / n * 1e6:>16.3f}")
            rows.append(("scaling", name, "fcfs-ready", n, secs, n / secs, ""))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / ("dram_speed.csv" if spec.name == "DDR3-1600K" else f"dram_speed_{spec.name}.csv")
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("kind", "trace", "scheduler", "requests", "seconds", "requests_per_s", "peak_mb"))
        w.writerows(rows)
    tmp.replace(path)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
