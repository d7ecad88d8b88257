#!/usr/bin/env python3
"""Latency and energy of the controller's low-power policies on paced traces; `dramsim energy` speed.

Usage::

    python benchmarks/lowpower_policies.py [--out benchmarks/out/] [--repeat 3] [--skip-speed]

1. Policies: ``simulate(..., arrival="trace")`` on paced read traces -- ``bursts`` groups of
   ``per`` reads (consecutive 64-byte lines, as an accelerator reading one time step's weights),
   one group every ``gap`` cycles -- with each policy: none, power-down after N idle cycles
   (N = 50, 200, 1000), self-refresh after M (M = 2000, 20000), and power-down after 200 then
   self-refresh after 20000. For each: cycles, mean / p99 latency (cycles), energy per rank
   (``compute_energy``: total, background, power-down, self-refresh; uJ), energy per request (nJ),
   the change against no policy, and the timing checker's violations (must be 0). Standards:
   DDR3-1600K and LPDDR3-1600 (built-in YAMLs; low-power currents from the DRAMsim3 / Micron
   memspecs the YAMLs cite).
2. Speed: ``python -m dramsim energy FILE --standard DDR3-1600K`` as a whole process on a DRAMPower
   4 command trace of about 1 M commands, median, min and max of ``--repeat`` runs
   (``dram_energy_speed.py --process``, which says how). Issue 9 gives DRAMPower 4.1 0.83 s for
   1 M commands on this kind of machine.

3. DRAMPower 4.1 (needs ../shared): ``dramsim energy``'s evaluation (``read_commands`` +
   ``compute_energy``) of every trace in ``shared/reference/dram/lowpower/`` with the memspec
   PEERS-2.md names, against ``peers2/figures.json``: the total per device against DRAMPower's
   ``total_corrected_pJ``, and the largest relative error over its printed components (its
   "PRE stby" less the end stretch it counts twice, in which every one of these traces ends).

Prints the tables and writes ``lowpower_policies.csv``, ``lowpower_energy_speed.csv`` and
``lowpower_drampower4.csv`` to ``--out``.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dramsim.checker import check  # noqa: E402
from dramsim.energy import compute_energy  # noqa: E402
from dramsim.simulate import simulate  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402
from traces import RequestTrace  # noqa: E402

#: (name, bursts, reads per burst, gap in cycles)
TRACES = (("paced-2k", 200, 64, 2_000), ("paced-20k", 100, 64, 20_000), ("paced-200k", 30, 256, 200_000))
#: (name, powerdown_after, selfrefresh_after)
POLICIES = (("none", None, None), ("pd-50", 50, None), ("pd-200", 200, None), ("pd-1000", 1000, None),
            ("sr-2000", None, 2000), ("sr-20000", None, 20_000), ("pd-200+sr-20000", 200, 20_000))
STANDARDS = ("DDR3-1600K", "LPDDR3-1600")


def paced(spec, bursts: int, per: int, gap: int) -> RequestTrace:
    """``bursts`` groups of ``per`` consecutive-line reads, one group every ``gap`` cycles."""
    n = bursts * per
    line = spec.organization.burst_bytes
    address = (np.arange(n, dtype=np.uint64) * np.uint64(line)) % np.uint64(spec.organization.capacity_bytes)
    arrival = np.repeat(np.arange(bursts, dtype=np.int64) * gap, per) + np.tile(np.arange(per), bursts)
    return RequestTrace(address=address, is_write=np.zeros(n, bool), arrival=arrival)


def policies(out: Path) -> list[dict]:
    rows = []
    for std in STANDARDS:
        spec = load_spec(std)
        for tname, bursts, per, gap in TRACES:
            trace = paced(spec, bursts, per, gap)
            base = None
            for pname, pd, sr in POLICIES:
                res = simulate(spec, trace, arrival="trace", powerdown_after=pd, selfrefresh_after=sr)
                e = compute_energy(spec, res.commands, res.cycles)
                lat = res.stats["latency_cycles"]
                if base is None:
                    base = e.total
                rows.append({
                    "standard": std, "trace": tname, "policy": pname, "requests": len(trace),
                    "cycles": res.cycles, "latency_mean": round(lat["mean"], 1), "latency_p99": round(lat["p99"], 1),
                    "energy_uj": round(e.total / 1e6, 3), "background_uj": round(e.background / 1e6, 3),
                    "powerdown_uj": round(e.powerdown / 1e6, 3), "selfrefresh_uj": round(e.selfrefresh / 1e6, 3),
                    "nj_per_request": round(e.total / 1e3 / len(trace), 2),
                    "vs_none_pct": round(100 * (e.total / base - 1), 1),
                    "violations": len(check(res.commands, spec, end_cycle=res.cycles)),
                })
    _write(out / "lowpower_policies.csv", rows)
    return rows


def speed(out: Path, repeat: int) -> list[dict]:
    """Part 2: ``dram_energy_speed.py --process`` (whole-process ``dramsim energy``), ``repeat`` runs."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from dram_energy_speed import whole_process

    rows = whole_process(out, repeat).to_dict("records")
    _write(out / "lowpower_energy_speed.csv", rows)
    return rows


def drampower(out: Path) -> list[dict]:
    import json
    import warnings

    from dramsim.energy import DRAMPOWER4_COMPONENTS
    from traces import read_commands

    dram = ROOT.parent / "shared" / "reference" / "dram"
    if not (dram / "peers2" / "figures.json").exists():
        return []
    figures = json.loads((dram / "peers2" / "figures.json").read_text())["lowpower_drampower4"]
    memspecs = {"DDR3": "drampower4_DDR3_4Gb_x8_1600K_dramsim3IDD.xml", "LPDDR3": "MICRON_4Gb_LPDDR3-1600_32bit_A.xml"}
    rows = []
    for case, fig in figures.items():
        family, name = case.split("_")[1], case[3:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # the LPDDR3 memspec's RC < RAS + RP
            spec = load_spec(dram / "configs" / memspecs[family])
        commands, end = read_commands(dram / "lowpower" / f"{name}.trace", "drampower4", with_end=True)
        e = compute_energy(spec, commands, end)
        dev = spec.organization.devices_per_rank
        theirs = dict(fig["energy_pJ_per_device"])
        theirs["PRE stby"] -= theirs["total"] - fig["total_corrected_pJ"]
        errors = {k: abs(e.component(k) / dev - v) / v for k, v in theirs.items()
                  if k in DRAMPOWER4_COMPONENTS and v}
        worst = max(errors, key=errors.get) if max(errors.values()) > 1e-12 else "(none: all equal)"
        rows.append({"trace": name, "ours_pj_per_device": round(e.total / dev, 2),
                     "drampower41_corrected_pj": fig["total_corrected_pJ"],
                     "diff_pct": round(100 * (e.total / dev / fig["total_corrected_pJ"] - 1), 6),
                     "worst_component": worst, "worst_component_err_pct": round(100 * max(errors.values()), 6)})
    _write(out / "lowpower_drampower4.csv", rows)
    return rows


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _table(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(f"{r[k]:,}" if isinstance(r[k], (int, float)) else str(r[k]) for k in keys) + " |"
              for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-speed", action="store_true", help="only the policy table")
    args = ap.parse_args(argv)
    out = Path(args.out)
    print(_table(policies(out)))
    if not args.skip_speed:
        print()
        print(_table(speed(out, args.repeat)))
    rows = drampower(out)
    if rows:
        print()
        print(_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
