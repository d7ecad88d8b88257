#!/usr/bin/env python3
"""The main job's figures on several DRAM standards side by side (issue 11: LPDDR5 and HBM2 beside LPDDR3).

Usage::

    python benchmarks/mission_standards.py [--standards LPDDR3-1600 LPDDR5-6400 HBM2-2000]
        [--sizes 100 400] [--out benchmarks/out/mission]

For each standard and network size, ``enforcesnn run``'s job (:func:`coupling.pipeline.run`) with
its defaults (4 precisions x 4 layouts x the Voltron voltage grid on the standard's core rail, 5
devices, 25 digits busy, 4 paced at 1 ms per step, 1,000 digits evaluated); N = 400 is trained
for 5 passes (one gives about 24 %). From each run, the paper's setting (8 bits + ``drmap`` + the
lowest voltage) against the reference point (float32, nominal voltage, ``linear`` layout): DRAM
energy per inference busy and paced (the standard's low-power policy, or standby where its spec
has no low-power timing: see the notes), the busy speed-up, and 8-bit accuracy with its paired
difference to the error-free model. Each finished run is saved under ``--out``
(``<standard>_n<N>.csv`` and ``.json``) and reused by a rerun. Prints a markdown table, writes
``mission_standards.csv``.

What the rows support: each standard's figures are ratios within that standard (its own
reference point); across standards the absolute energies depend on whose currents each spec
carries (see the notes: VDD2H only for LPDDR5, DRAMsim3's configuration for HBM2) and the error
model is the same Voltron DDR3L table at the same relative core-rail voltage for all of them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coupling import pipeline  # noqa: E402
from coupling.config import RunConfig  # noqa: E402
from coupling.report import _md  # noqa: E402
from dramsim.errors import InputError  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402

EPOCHS = {100: 1, 400: 5}   # training passes per network size (defaults elsewhere: 1)


def config(standard: str, neurons: int) -> RunConfig:
    return RunConfig(standard=standard, neurons=neurons, epochs=EPOCHS.get(neurons, 1))


def run_one(standard: str, neurons: int, out: Path) -> tuple[pd.DataFrame, dict]:
    """The job's results for one (standard, N), from ``out`` when saved there, else computed and saved."""
    csv, meta = out / f"{standard}_n{neurons}.csv", out / f"{standard}_n{neurons}.json"
    if csv.exists() and meta.exists():
        return pd.read_csv(csv), json.loads(meta.read_text())
    df, info = pipeline.run(config(standard, neurons), progress=True)
    info = {k: v for k, v in info.items() if isinstance(v, (str, int, float, list, bool))}
    for path, write in ((csv, lambda f: df.to_csv(f, index=False)), (meta, lambda f: f.write_text(json.dumps(info)))):
        tmp = path.with_name(path.name + ".tmp")          # atomic: a killed run leaves no partial result to reuse
        write(tmp)
        tmp.replace(path)
    return df, info


def summarize(standard: str, neurons: int, df: pd.DataFrame, info: dict) -> dict:
    """The paper's setting against the reference point, one row."""
    v0, v1 = df.vdd_v.max(), df.vdd_v.min()
    pick = lambda bits, policy, v: df[(df.bits == bits) & (df.policy == policy) & np.isclose(df.vdd_v, v)].iloc[0]  # noqa: E731
    ref, pt = pick(df.bits.max(), "linear", v0), pick(8, "drmap", v1)

    def saving(col):
        return 100 * (1 - pt[col] / ref[col]) if ref[col] > 0 else float("nan")

    return {"standard": standard, "N": neurons, "vdd_nominal_v": v0, "vdd_low_v": v1,
            "busy_ref_nj": ref.energy_busy_pj_per_inference / 1e3, "busy_nj": pt.energy_busy_pj_per_inference / 1e3,
            "busy_saving_pct": saving("energy_busy_pj_per_inference"),
            "speedup": ref.dram_time_ns_per_inference / pt.dram_time_ns_per_inference,
            "paced_ref_nj": ref.energy_paced_pj_per_inference / 1e3, "paced_nj": pt.energy_paced_pj_per_inference / 1e3,
            "paced_saving_pct": saving("energy_paced_pj_per_inference"),
            "paced_standby_saving_pct": saving("energy_paced_standby_pj_per_inference"),
            "paced_policy": pt.paced_low_power,
            "accuracy_pct": 100 * pt.accuracy, "accuracy_ci_low_pct": 100 * pt.accuracy_ci_low,
            "accuracy_ci_high_pct": 100 * pt.accuracy_ci_high, "delta_pp": pt.delta_pp,
            "delta_ci_low_pp": pt.delta_ci_low_pp, "delta_ci_high_pp": pt.delta_ci_high_pp, "verdict": pt.verdict,
            "notes": " | ".join(info.get("notes", []))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--standards", nargs="+", default=["LPDDR3-1600", "LPDDR5-6400", "HBM2-2000"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[100, 400])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "mission")
    args = ap.parse_args(argv)
    try:                                           # check every input before the work starts
        for s in args.standards:
            load_spec(s)
        for n in args.sizes:
            config(args.standards[0], n).validate("--sizes")
        args.out.mkdir(parents=True, exist_ok=True)
    except (InputError, OSError) as e:
        print(f"mission_standards.py: error: {e}", file=sys.stderr)
        return 2
    rows = []
    for s in args.standards:
        for n in args.sizes:
            df, info = run_one(s, n, args.out)
            rows.append(summarize(s, n, df, info))
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "mission_standards.csv", index=False)
    show = table.assign(
        accuracy=lambda t: [f"{a:.1f} [{lo:.1f}, {hi:.1f}]" for a, lo, hi in
                            zip(t.accuracy_pct, t.accuracy_ci_low_pct, t.accuracy_ci_high_pct)],
        vs_error_free=lambda t: [f"{d:+.2f} [{lo:+.2f}, {hi:+.2f}] {v}" for d, lo, hi, v in
                                 zip(t.delta_pp, t.delta_ci_low_pp, t.delta_ci_high_pp, t.verdict)])
    cols = ["standard", "N", "vdd_low_v", "busy_ref_nj", "busy_nj", "busy_saving_pct", "speedup", "paced_ref_nj",
            "paced_nj", "paced_saving_pct", "paced_standby_saving_pct", "accuracy", "vs_error_free"]
    print(_md(show[cols].round(3)))
    for s, g in table.groupby("standard", sort=False):
        for note in dict.fromkeys(" | ".join(g.notes).split(" | ")):
            if note:
                print(f"note ({s}): {note}")
    print(f"wrote {args.out / 'mission_standards.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
