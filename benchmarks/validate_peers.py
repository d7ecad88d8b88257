"""Side-by-side table: dramsim vs Ramulator 2.1 / Ramulator 1 / DRAMsim3 (figures from PEERS.md).

Usage: python benchmarks/validate_peers.py [--out benchmarks/out/]

Rebuilds the seq, rand and stride traces from /work/shared/reference/dram/make_traces.py, replays
them on DDR3-1600K (1 channel, 1 rank, defaults: oldest ready command first as Ramulator 2, open
row, 32-entry queues, all-bank refresh, saturating injection; and once more with FR-FCFS,
``scheduler="frfcfs"``, ready row hits first)
and prints total cycles, row hits/misses/conflicts, ACT and REF counts next to the peers'
published figures, with our deviation from Ramulator 2.1. Writes validate_peers.csv.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np

from dramsim.simulate import simulate
from dramsim.spec import load_spec
from traces import RequestTrace

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dram"

#: PEERS.md: trace -> peer -> (cycles, row hits, row misses, row conflicts, ACT, REF); None = not reported.
PEERS = {
    "seq": {"Ramulator 2.1": (4_154_511, 991_332, 5_309, 3_327, 8_636, 665),
            "Ramulator 1": (4_158_045, 991_291, 5_310, 3_399, 8_709, 666),
            "DRAMsim3": (4_157_316, 991_163, None, None, 8_844, 666)},
    "rand": {"Ramulator 2.1": (6_286_859, 284, 5_074, 994_612, 999_686, 1_007),
             "Ramulator 1": (6_287_290, 284, 5_074, 994_642, 999_716, 1_007),
             "DRAMsim3": (6_313_339, 390, None, None, 1_001_456, 1_011)},
    "stride": {"Ramulator 2.1": (1_247_294, 0, 892, 199_079, 199_971, 199),
               "Ramulator 1": (1_247_512, 0, 892, 199_108, 200_000, 199),
               "DRAMsim3": (1_249_806, 0, None, None, 200_332, 200)},
}
COLUMNS = ("cycles", "row_hits", "row_misses", "row_conflicts", "ACT", "REF")


def _addresses(name: str) -> np.ndarray:
    spec = importlib.util.spec_from_file_location("make_traces", SHARED / "make_traces.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.addresses(name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/out/", help="output directory for validate_peers.csv")
    args = parser.parse_args(argv)
    if not (SHARED / "make_traces.py").exists():
        print(f"validate_peers: error: {SHARED}/make_traces.py not found", file=sys.stderr)
        return 2
    spec = load_spec("DDR3-1600K")
    rows = []
    for name in ("seq", "rand", "stride"):
        a = _addresses(name)
        ref = PEERS[name]["Ramulator 2.1"]
        for scheduler, label in (("fcfs-ready", "dramsim"), ("frfcfs", "dramsim frfcfs")):
            s = simulate(spec, RequestTrace(a, np.zeros(len(a), bool)), scheduler=scheduler).stats
            ours = (s["cycles"], s["row_hits"], s["row_misses"], s["row_conflicts"], s["commands"]["ACT"],
                    s["commands"]["REF"])
            rows.append((name, label, *ours))
            dev = tuple(None if r is None else (0.0 if r == o == 0 else 100.0 * (o - r) / max(r, 1))
                        for o, r in zip(ours, ref))
            rows.append((name, f"{label} vs R2.1 (%)", *dev))
        for peer, values in PEERS[name].items():
            rows.append((name, peer, *values))

    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:+.3f}"
        return f"{v:,}"

    header = ("trace", "simulator") + COLUMNS
    table = [header] + [tuple(fmt(v) if i > 1 else v for i, v in enumerate(r)) for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(str(v).rjust(w) if i > 1 else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "validate_peers.csv"
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
