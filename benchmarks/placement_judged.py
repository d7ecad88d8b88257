#!/usr/bin/env python3
"""Error-aware placement judged by what it buys: the lowest voltage each policy sustains, and its energy.

Usage::

    python benchmarks/placement_judged.py [--bits 8 4 32] [--devices 10] [--eval-samples 1000]
        [--what-if-ber 1e-3,3e-3,1e-2,3e-2,1e-1] [--out benchmarks/out/placement]

For each precision and placement -- ``linear``, ``drmap``, and ``enforcesnn`` with weight or
bitplane packing, knowing either the device's own weak banks/rows (``profiled``) or only the
vendor average (``vendor``) -- the main job (:func:`coupling.pipeline.run`, ``enforcesnn run``'s
defaults otherwise: 100-neuron model, LPDDR3-1600, EDEN model 0 with the vendor-B bank weakness and
device-to-device spread, persistent errors) evaluates ``--devices`` device seeds on the first
``--eval-samples`` test digits at every voltage of the default grid (nominal 1.2 V down to 0.911 V,
the rail voltage equivalent to Voltron's lowest DDR3L point, 1.025 V).

Per (precision, placement) it reports

* the lowest voltage whose mean accuracy loss against the error-free model is below 1 pp, and the
  lowest whose verdict is "no loss" (the paired 95 % interval's lower end above -1 pp);
* the DRAM energy per inference there (busy: reads back to back; paced: reads at their time steps
  with power-down/self-refresh), and the saving against ``linear`` at the nominal voltage, same
  precision -- the figure that says what the placement buys once its own energy cost is counted.

The measured voltage range ends where Voltron's measurements end; below it there is no BER. The
**what-if** part therefore fixes the nominal BER of every reduced voltage (``--what-if-ber``,
``RunConfig.ber``) at the lowest voltage and shows, per placement, the accuracy loss a device that
much weaker would cost: where placement starts to buy accuracy, if anywhere. These are
hypothetical devices, labelled as such in every output.

Each finished ``pipeline.run`` is saved to ``--out`` as CSV (keyed by its configuration); a killed
run resumes from them. Prints markdown tables, writes ``placement_curves.csv``,
``placement_summary.csv`` and ``placement_what_if.csv``.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coupling import pipeline  # noqa: E402
from coupling.config import RunConfig  # noqa: E402
from coupling.report import _md  # noqa: E402
from coupling.tolerance import parse_bers  # noqa: E402

#: (label, policy, packing, placement knowledge)
PLACEMENTS = (("linear", "linear", "weight", "profiled"), ("drmap", "drmap", "weight", "profiled"),
              ("enforcesnn weight profiled", "enforcesnn", "weight", "profiled"),
              ("enforcesnn bitplane profiled", "enforcesnn", "bitplane", "profiled"),
              ("enforcesnn weight vendor", "enforcesnn", "weight", "vendor"),
              ("enforcesnn bitplane vendor", "enforcesnn", "bitplane", "vendor"))


def run_cached(cfg: RunConfig, out: Path) -> pd.DataFrame:
    """``pipeline.run(cfg)``'s results, from ``out`` when a run of the same configuration was saved."""
    key = hashlib.sha1(cfg.to_yaml().encode()).hexdigest()[:12]
    path = out / f"run_{key}.csv"
    if path.exists():
        return pd.read_csv(path)
    df, _ = pipeline.run(cfg, progress=False)
    tmp = path.with_suffix(".tmp.csv")
    df.to_csv(tmp, index=False)
    tmp.replace(path)
    return df


def curves(base: RunConfig, out: Path, ber: float | None = None) -> pd.DataFrame:
    """Every placement's rows of the main job (one ``pipeline.run`` per placement)."""
    from tqdm import tqdm
    frames = []
    for label, policy, packing, knowledge in tqdm(PLACEMENTS, desc="placements" if ber is None else f"BER {ber:g}"):
        cfg = dataclasses.replace(base, policies=[policy], reference_policy=policy, packing=packing,
                                  placement_knowledge=knowledge, ber=ber)
        df = run_cached(cfg, out)
        df.insert(0, "placement", label)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _lowest_sustained(g: pd.DataFrame, ok: pd.Series):
    """The row of the lowest voltage down to which every voltage (highest first in ``g``) is ``ok``."""
    last = None
    for i in range(len(g)):
        if not ok.iloc[i]:
            break
        last = g.iloc[i]
    return last


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per (bits, placement): the lowest voltage within 1 pp (mean, and verdict), its energy and saving."""
    rows = []
    for bits, per_bits in df.groupby("bits", sort=False):
        ref = per_bits[(per_bits.placement == "linear")].sort_values("vdd_v").iloc[-1]      # nominal, linear
        for label, g in per_bits.groupby("placement", sort=False):
            g = g.sort_values("vdd_v", ascending=False)
            low = _lowest_sustained(g, g.delta_pp.fillna(0) > -1.0)
            by_verdict = _lowest_sustained(g, g.verdict.isin(["no loss", "no errors", "no flips"]))
            rows.append({
                "bits": bits, "placement": label,
                "lowest_vdd_mean_loss_lt_1pp": low.vdd_v,
                "lowest_vdd_no_loss_verdict": None if by_verdict is None else by_verdict.vdd_v,
                "accuracy_pct": 100 * low.accuracy, "delta_pp": low.delta_pp,
                "delta_ci_low_pp": low.delta_ci_low_pp, "effective_ber": low.effective_ber,
                "energy_busy_pj": low.energy_busy_pj_per_inference,
                "energy_paced_pj": low.energy_paced_pj_per_inference,
                "busy_saving_vs_linear_nominal_pct": 100 * (1 - low.energy_busy_pj_per_inference
                                                             / ref.energy_busy_pj_per_inference),
                "paced_saving_vs_linear_nominal_pct": 100 * (1 - low.energy_paced_pj_per_inference
                                                              / ref.energy_paced_pj_per_inference)})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bits", type=int, nargs="+", default=[8, 4, 32])
    ap.add_argument("--devices", type=int, default=10, help="device seeds 0..K-1 (default 10)")
    ap.add_argument("--eval-samples", type=int, default=1000)
    ap.add_argument("--what-if-ber", default="1e-3,3e-3,1e-2,3e-2,1e-1",
                    help="nominal BERs of hypothetical weaker devices at the lowest voltage ('' to skip)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "placement")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    base = RunConfig(precisions=list(args.bits), device_seeds=list(range(args.devices)),
                     eval_samples=args.eval_samples, plots=False)
    df = curves(base, args.out)
    df.to_csv(args.out / "placement_curves.csv", index=False)
    keep = ["bits", "placement", "vdd_v", "ber", "effective_ber", "accuracy", "delta_pp", "delta_ci_low_pp",
            "verdict", "energy_busy_pj_per_inference", "energy_paced_pj_per_inference"]
    print(f"{args.devices} devices x {args.eval_samples} test digits; measured voltages")
    print(_md(df[keep]))
    s = summary(df)
    s.to_csv(args.out / "placement_summary.csv", index=False)
    print(_md(s))
    if args.what_if_ber:
        lowest = min(pipeline.run_voltages(pipeline.load_spec(base.standard), base))
        frames = []
        for ber in parse_bers(args.what_if_ber):
            w = curves(dataclasses.replace(base, voltages=[lowest]), args.out, ber)
            frames.append(w[w.vdd_v == lowest].assign(what_if_ber=ber))
        w = pd.concat(frames, ignore_index=True)
        w["hypothetical"] = True
        w.to_csv(args.out / "placement_what_if.csv", index=False)
        print(f"what-if (hypothetical devices): nominal BER fixed at {lowest} V")
        print(_md(w[["bits", "placement", "what_if_ber", "effective_ber", "accuracy", "delta_pp",
                     "delta_ci_low_pp", "verdict", "energy_busy_pj_per_inference"]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
