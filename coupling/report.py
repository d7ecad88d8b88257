"""Outputs of ``enforcesnn run``: results.csv, report.md (tables) and PNG plots.

Every file is written to a temporary file in the output directory and renamed into place, so an
interrupted run never leaves a partial file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coupling.config import RunConfig
from traces._atomic import atomic_write as _atomic  # write(f) on a temp file, then rename


def factor_table(df: pd.DataFrame) -> pd.DataFrame:
    """Energy saving and speed-up of each point against the baseline point, factor by factor.

    The baseline is (largest precision, highest voltage, first policy), i.e. float32, 1.35 V,
    ``baseline`` mapping with the default config. Rows: each precision alone, each voltage alone,
    each policy alone (the other two at their baseline value), and the best combined point.
    """
    b_bits, b_v, b_pol = df.bits.max(), df.vdd_table_v.max(), df.policy.iloc[0]
    base = df[(df.bits == b_bits) & (df.vdd_table_v == b_v) & (df.policy == b_pol)].iloc[0]
    out = []

    def add(kind, sel):
        for _, r in sel.iterrows():
            out.append({"factor": kind, "bits": r.bits, "vdd_table_v": r.vdd_table_v, "policy": r.policy,
                        "energy_nj_per_inference": r.energy_total_pj / 1e3,
                        "energy_saving_pct": 100 * (1 - r.energy_total_pj / base.energy_total_pj),
                        "speedup": base.dram_time_ns_per_inference / r.dram_time_ns_per_inference,
                        "accuracy": r.accuracy})

    add("precision", df[(df.vdd_table_v == b_v) & (df.policy == b_pol)])
    add("voltage", df[(df.bits == b_bits) & (df.policy == b_pol)])
    add("mapping", df[(df.bits == b_bits) & (df.vdd_table_v == b_v)])
    add("combined (least energy)", df.loc[[df.energy_total_pj.idxmin()]])
    return pd.DataFrame(out)


def _md(frame: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        cells = [floatfmt.format(v) if isinstance(v, (float, np.floating)) else str(v) for v in r.values]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report_markdown(df: pd.DataFrame, info: dict, cfg: RunConfig, command: str = "enforcesnn run") -> str:
    """The text of report.md."""
    base = (df.bits.max(), df.vdd_table_v.max(), df.policy.iloc[0])
    energy = df.pivot_table(index=["bits", "policy"], columns="vdd_table_v", values="energy_total_pj",
                            sort=False) / 1e3
    energy = energy[sorted(energy.columns, reverse=True)]
    base_e = df[(df.bits == base[0]) & (df.vdd_table_v == base[1]) & (df.policy == base[2])].energy_total_pj.iloc[0]
    saving = 100 * (1 - energy * 1e3 / base_e)
    first_v = df.vdd_table_v.max()
    perf = df[df.vdd_table_v == first_v][["bits", "policy", "dram_time_ns_per_inference", "throughput_gbps",
                                          "requests_per_inference", "row_hits_per_inference", "row_misses_per_inference",
                                          "row_conflicts_per_inference"]].copy()
    base_t = perf[(perf.bits == base[0]) & (perf.policy == base[2])].dram_time_ns_per_inference.iloc[0]
    perf.insert(3, "speedup", base_t / perf.dram_time_ns_per_inference)
    acc = df.pivot_table(index=["bits", "policy"], columns="vdd_table_v", values="accuracy", sort=False)
    acc = acc[sorted(acc.columns, reverse=True)]
    bers = df.groupby("vdd_table_v").ber.first().sort_index(ascending=False)
    flat = lambda t: t.reset_index().rename(columns=lambda c: f"{c} V" if isinstance(c, float) else c)
    parts = [
        "# enforcesnn run: DRAM energy, throughput and accuracy of SNN inference on approximate DRAM",
        "",
        f"Command: `{command}`. Standard {info['standard']} ({cfg.channels} channel(s), {cfg.ranks} rank(s)), "
        f"controller mapping {cfg.controller_mapping}, {cfg.mode} mode, vendor {cfg.vendor} ({cfg.ber_statistic}) BER "
        f"profile, EDEN error model {cfg.error_model} ({cfg.error_mode}), access `{cfg.access}`, arrival `{cfg.arrival}`, "
        f"buffer {cfg.buffer_kib:g} KiB. Network: {cfg.neurons} neurons, data `{cfg.data}`"
        f"{' (cached model)' if info.get('model_cached') else ''}. Energy and DRAM time per inference are means over "
        f"{info['replay_samples']} replayed test samples; accuracy (all-activity readout) over {info['eval_samples']} test samples.",
        "",
        *[f"Note: {n}" for n in info.get("notes", [])],
        "",
        f"Baseline point: {base[0]}-bit weights, {base[1]:g} V, `{base[2]}` mapping. Voltages are on the voltage "
        "table's scale (DDR3L, 1.35 V nominal) and applied to the standard's core rail in proportion.",
        "",
        "## BER per voltage",
        "",
        _md(pd.DataFrame({"vdd_table_v": bers.index, "ber": bers.values})),
        "",
        "## DRAM energy per inference (nJ)",
        "",
        _md(flat(energy)),
        "",
        "## Energy saving against the baseline point (%)",
        "",
        _md(flat(saving), "{:.1f}"),
        "",
        "## Each factor separately, and combined",
        "",
        _md(factor_table(df)),
        "",
        f"## DRAM time, throughput and row-buffer outcomes ({first_v:g} V"
        + ("; approximate mode keeps nominal timing, so they hold at every voltage)" if cfg.mode == "approximate" else ")"),
        "",
        _md(perf),
        "",
        "## Accuracy per voltage (fraction of test digits)",
        "",
        _md(flat(acc), "{:.3f}"),
        "",
        "## Bit flips in the stored weights (persistent: one device; transient: last sample's read)",
        "",
        _md(flat(df.pivot_table(index=["bits", "policy"], columns="vdd_table_v", values="flips", sort=False)
                 [sorted(df.vdd_table_v.unique(), reverse=True)]), "{:.0f}"),
        "",
        "Clean accuracy (no errors) per precision: "
        + ", ".join(f"{b} bits {a:.3f}" for b, a in info.get("clean_accuracy", {}).items()),
        "",
        "Full results: results.csv; plots: energy.png, accuracy.png.",
        "",
    ]
    return "\n".join(parts)


def plot(df: pd.DataFrame, out: Path) -> list[Path]:
    """energy.png (energy per inference vs voltage) and accuracy.png (accuracy vs voltage)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for name, col, scale, ylabel in (("energy.png", "energy_total_pj", 1e-3, "DRAM energy per inference (nJ)"),
                                     ("accuracy.png", "accuracy", 1.0, "accuracy")):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        colors = {b: f"C{k}" for k, b in enumerate(df.bits.unique())}        # colour: precision
        styles = {p: ("-", "--", ":", "-.")[k % 4] for k, p in enumerate(df.policy.unique())}  # line: policy
        markers = {p: "osd^v"[k % 5] for k, p in enumerate(df.policy.unique())}
        for (bits, policy), g in df.groupby(["bits", "policy"], sort=False):
            g = g.sort_values("vdd_table_v")
            ax.plot(g.vdd_table_v, g[col] * scale, color=colors[bits], linestyle=styles[policy],
                    marker=markers[policy], label=f"{bits} b, {policy}")
        ax.set_xlabel("supply voltage (V, DDR3L scale)")
        ax.set_ylabel(ylabel)
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        path = out / name
        _atomic(path, lambda f: fig.savefig(f, format="png", dpi=110))
        plt.close(fig)
        written.append(path)
    return written


def write_outputs(df: pd.DataFrame, info: dict, cfg: RunConfig, out_dir, command: str = "enforcesnn run") -> list[Path]:
    """Write results.csv, report.md, config.yaml and (if ``cfg.plots``) the PNG plots; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "results.csv", out / "report.md", out / "config.yaml"]
    _atomic(paths[0], lambda f: f.write(df.to_csv(index=False).encode()))
    _atomic(paths[1], lambda f: f.write(report_markdown(df, info, cfg, command).encode()))
    _atomic(paths[2], lambda f: f.write(cfg.to_yaml().encode()))
    if cfg.plots:
        paths += plot(df, out)
    return paths
