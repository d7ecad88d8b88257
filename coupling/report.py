"""Outputs of ``enforcesnn run``: results.csv, report.md (tables) and PNG plots.

Every figure names the reference it is divided by; every accuracy carries its 95% interval.
Every file is written to a temporary file in the output directory and renamed into place, so an
interrupted run never leaves a partial file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coupling.config import RunConfig
from traces._atomic import atomic_write as _atomic  # write(f) on a temp file, then rename

#: What each results.csv column means (units in the names: pj, ns, gbps, pp).
COLUMN_DOC = {
    "bits": "bits per stored weight (32 = float32)",
    "policy": "mapping policy of the weights",
    "reference_policy": "the policy savings and speed-ups are divided by",
    "vdd_v": "core-rail voltage of the standard (V; VDD, VDD2 for LPDDR)",
    "vdd_ddr3l_v": "the same relative voltage on the Voltron DDR3L scale (1.35 V nominal)",
    "ber": "nominal bit error rate (vendor mean at the voltage, or --ber)",
    "ber_lower_bound": "the voltage table marks the BER as a lower bound (saturated measurements)",
    "devices": "device instances evaluated (device_seeds)",
    "distinct_layouts": "distinct placements over the devices (profiled error-aware placement differs per device)",
    "energy_busy_pj_per_inference": "DRAM energy per inference, reads back to back (pJ)",
    "energy_paced_pj_per_inference": "DRAM energy per inference, reads at their time steps, idle included, with the "
                                     "controller's low-power policy (pJ)",
    "energy_paced_standby_pj_per_inference": "the same paced reads with the device kept in standby (no power-down; pJ)",
    "energy_paced_idle_share": "share of background, refresh, power-down and self-refresh in the paced energy",
    "paced_low_power": "controller low-power policy during the paced replay",
    "dram_time_ns_per_inference": "DRAM time per inference, busy (ns)",
    "bandwidth_gbps": "bytes delivered / DRAM time",
    "weight_bandwidth_gbps": "weight bytes the neurons use / DRAM time",
    "accuracy": "all-activity accuracy, mean over devices and test digits",
    "accuracy_ci_low": "95% interval (one device: Wilson over digits; several: bootstrap over devices and digits)",
    "delta_pp": "accuracy minus the error-free model's on the same digits (pp)",
    "delta_ci_low_pp": "paired 95% interval of delta_pp",
    "mcnemar_p": "exact McNemar test against the error-free model (pooled over devices)",
    "verdict": "no loss: delta's lower bound > -1 pp; loss: upper bound < -1 pp; else inconclusive; "
               "no errors / no flips: BER 0 or no stored bit flipped on any device (the error-free network)",
    "effective_ber": "flips / stored weight bits (transient: flips / bits read), mean over devices",
    "effective_ber_read": "flips seen per weight bit read by the replayed samples' spikes",
    "flips": "flipped stored bits, mean over devices",
    "repaired": "values replaced by float_repair (float32) and plausibility_repair, mean over devices",
}


def _point(df: pd.DataFrame, bits, policy, vdd) -> pd.Series:
    sel = df[(df.bits == bits) & (df.policy == policy) & (np.isclose(df.vdd_v, vdd))]
    return sel.iloc[0]


def factor_table(df: pd.DataFrame, reference_policy: str, energy: str = "energy_busy_pj_per_inference") -> pd.DataFrame:
    """Energy saving and speed-up against the reference point, each factor separately and combined.

    The reference point is (largest precision, highest voltage, ``reference_policy``): float32
    weights at nominal voltage in that layout. Rows: each precision alone, each voltage alone,
    each policy alone (the others at their reference value), 8 bits + drmap at the lowest voltage
    (the paper's setting, when run), and the least-energy point. The
    speed-up is a ratio of DRAM times (busy); voltage does not change time in approximate mode.
    """
    b0, v0 = df.bits.max(), df.vdd_v.max()
    ref = _point(df, b0, reference_policy, v0)
    out = []

    def add(kind, sel):
        for _, r in sel.iterrows():
            out.append({"factor": kind, "bits": int(r.bits), "vdd_v": r.vdd_v, "policy": r.policy,
                        "energy_nj": r[energy] / 1e3,
                        "saving_pct": 100 * (1 - r[energy] / ref[energy]),
                        "speedup": ref.dram_time_ns_per_inference / r.dram_time_ns_per_inference,
                        "accuracy_pct": _acc(r)})

    v_ok = np.isclose(df.vdd_v, v0)
    add("precision", df[v_ok & (df.policy == reference_policy)])
    add("voltage", df[(df.bits == b0) & (df.policy == reference_policy)])
    add("mapping", df[(df.bits == b0) & v_ok])
    paper = df[(df.bits == 8) & (df.policy == "drmap") & np.isclose(df.vdd_v, df.vdd_v.min())]
    if len(paper):
        add("combined: 8 bits + drmap + lowest V (the paper's setting)", paper)
    add("combined (least energy)", df.loc[[df[energy].idxmin()]])
    return pd.DataFrame(out)


def speedup_split(df: pd.DataFrame, reference_policy: str) -> pd.DataFrame:
    """Speed-up against (32 bits, reference policy), split into precision x layout (exact product)."""
    v0 = df.vdd_v.max()
    at = df[np.isclose(df.vdd_v, v0)]
    t_ref = _point(df, df.bits.max(), reference_policy, v0).dram_time_ns_per_inference
    rows = []
    for _, r in at.iterrows():
        t_bits_ref = _point(df, r.bits, reference_policy, v0).dram_time_ns_per_inference
        rows.append({"bits": int(r.bits), "policy": r.policy,
                     "dram_time_us": r.dram_time_ns_per_inference / 1e3,
                     "speedup": t_ref / r.dram_time_ns_per_inference,
                     "from_precision": t_ref / t_bits_ref,
                     "from_layout": t_bits_ref / r.dram_time_ns_per_inference,
                     "bursts_ratio": _point(df, df.bits.max(), reference_policy, v0).requests_per_inference
                     / r.requests_per_inference,
                     "weight_gbps": r.weight_bandwidth_gbps, "bus_gbps": r.bandwidth_gbps})
    return pd.DataFrame(rows)


def _acc(r) -> str:
    return f"{100 * r.accuracy:.1f} [{100 * r.accuracy_ci_low:.1f}, {100 * r.accuracy_ci_high:.1f}]"


def _md(frame: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        cells = [floatfmt.format(v) if isinstance(v, (float, np.floating)) else str(v) for v in r.values]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _grid(df: pd.DataFrame, value, fmt: str) -> pd.DataFrame:
    """(bits, policy) rows x voltage columns of ``value(row)`` formatted with ``fmt``."""
    volts = sorted(df.vdd_v.unique(), reverse=True)
    rows = []
    for (bits, policy), g in df.groupby(["bits", "policy"], sort=False):
        row = {"bits": int(bits), "policy": policy}
        for v in volts:
            r = g[np.isclose(g.vdd_v, v)].iloc[0]
            x = value(r)
            row[f"{v:.4g} V"] = x if isinstance(x, str) else fmt.format(x)
        rows.append(row)
    return pd.DataFrame(rows)


def report_markdown(df: pd.DataFrame, info: dict, cfg: RunConfig, command: str = "enforcesnn run") -> str:
    """The text of report.md."""
    refs = [cfg.reference_policy] + [p for p in ("bank-serial",) if p in set(df.policy) and p != cfg.reference_policy]
    volts = sorted(df.vdd_v.unique(), reverse=True)
    vt = df.groupby("vdd_v").agg(vdd_ddr3l_v=("vdd_ddr3l_v", "first"), ber=("ber", "first"),
                                 lower_bound=("ber_lower_bound", "first")).sort_index(ascending=False).reset_index()
    n_dev = int(df.devices.iloc[0])
    parts = [
        "# enforcesnn run: DRAM energy, throughput and accuracy of SNN inference on approximate DRAM",
        "",
        f"Command: `{command}`. Standard {info['standard']} ({cfg.channels} channel(s), {info.get('ranks', cfg.ranks)} rank(s)), "
        f"controller mapping {cfg.controller_mapping}, row policy {cfg.row_policy}, {cfg.mode} mode, vendor "
        f"{cfg.vendor} ({cfg.ber_statistic} over modules) BER profile, EDEN error model {cfg.error_model} "
        f"({cfg.error_mode}), {n_dev} device(s) (seeds {', '.join(map(str, cfg.device_seeds))}; device variation "
        f"{'on' if cfg.device_variation else 'off'}), error-aware placement knowledge `{cfg.placement_knowledge}`, "
        f"access `{cfg.access}`, buffer {cfg.buffer_kib:g} KiB. Network: {cfg.neurons} neurons, data `{cfg.data}`"
        f"{' (cached model)' if info.get('model_cached') else ''}.",
        "",
        f"Voltages are the standard's core-rail voltage ({info['rail']}, nominal {info['rail_nominal_v']:g} V), as "
        "`dramsim --vdd`; the BER is read from the Voltron DDR3L table at the same relative voltage "
        "(column `DDR3L V` = rail V x 1.35 / nominal) - a modelling choice: no public reduced-voltage error data "
        "exists for this standard.",
        "",
        f"Energy and DRAM time per inference: busy = {info['replay_samples']} test samples replayed back to back; "
        f"paced = {info['paced_samples']} samples with each read at its time step ({cfg.step_ns:g} ns per step), the "
        f"run lasting the inferences' duration, with the controller's low-power policy (**{info['paced_label']}**) "
        "and, for comparison, with the device kept in standby. "
        f"Accuracy (all-activity readout) over {info['eval_samples']} test digits, mean over devices, "
        "[95% interval over devices and digits]; the error-free model is evaluated on the same digits with the same "
        "input spikes, so every difference is the bit errors.",
        "",
        *[f"Note: {n}" for n in info.get("notes", [])],
        "## What these figures do and do not support",
        "",
        f"- Savings and speed-ups are ratios against float32 weights at nominal voltage in the `{refs[0]}` layout "
        "(consecutive addresses under the controller's mapping: what an engineer gets without a placement policy)"
        + (", and against `bank-serial` (one bank at a time), a worst case shown to size the layout effect; it is not "
           "a baseline." if len(refs) > 1 else "."),
        "- Busy energy is the cost when the DRAM is the bottleneck; paced energy is the cost of an accelerator "
        "that reads at its time steps, idle gaps included. Kept in standby, the idle background dominates and "
        "the savings in command energy (fewer bytes, better layout) shrink to little; with power-down and "
        "self-refresh in the gaps the idle cost falls and they count again. Paced figures hold for this step "
        "length and policy only.",
        "- Accuracy at a reduced voltage is for these devices of the modelled vendor (device-to-device spread "
        "drawn from the Voltron modules); it does not show what another vendor, temperature or refresh interval "
        "would give. 'no loss' is a paired non-inferiority judgement with a 1 pp margin (the interval of the "
        "difference lies above -1 pp), not equality; 'loss' means the whole interval lies below -1 pp.",
        "",
        "## Voltage, nominal BER",
        "",
        _md(pd.DataFrame({"rail V": vt.vdd_v.map("{:.4g}".format), "DDR3L V": vt.vdd_ddr3l_v.map("{:.4g}".format),
                          "nominal BER": vt.ber.map("{:.3g}".format),
                          "lower bound": vt.lower_bound.map({True: "yes", False: ""})})),
        "",
        "## DRAM energy per inference, busy (nJ)",
        "",
        _md(_grid(df, lambda r: r.energy_busy_pj_per_inference / 1e3, "{:.4g}")),
        "",
        f"## DRAM energy per inference, paced (nJ; {info['paced_label']}; idle share at nominal)",
        "",
        _md(_grid(df, lambda r: r.energy_paced_pj_per_inference / 1e3, "{:.4g}").assign(
            idle_share=[f"{x:.1%}" for x in df[np.isclose(df.vdd_v, volts[0])].energy_paced_idle_share])),
        "",
        "## DRAM energy per inference, paced, standby only (nJ; no power-down)",
        "",
        _md(_grid(df, lambda r: r.energy_paced_standby_pj_per_inference / 1e3, "{:.4g}")),
        "",
    ]
    for ref in refs:
        for kind, col in (("busy", "energy_busy_pj_per_inference"),
                          (f"paced ({info['paced_label']})", "energy_paced_pj_per_inference"),
                          ("paced, standby only", "energy_paced_standby_pj_per_inference")):
            parts += [f"## Each factor separately and combined: {kind} energy, against float32 / {volts[0]:.4g} V / "
                      f"`{ref}`", "", _md(factor_table(df, ref, col), "{:.3g}"), ""]
        parts += [f"## Throughput against float32 / `{ref}` (busy DRAM time; speed-up = from_precision x from_layout)",
                  "", _md(speedup_split(df, ref), "{:.3g}"), ""]
    nominal = df[np.isclose(df.vdd_v, volts[0])]
    parts += [
        "## Row-buffer outcomes per inference (busy; approximate mode keeps nominal timing, so they hold at every voltage)",
        "",
        _md(nominal[["bits", "policy", "requests_per_inference", "row_hits_per_inference", "row_misses_per_inference",
                     "row_conflicts_per_inference"]], "{:.5g}"),
        "",
        "## Accuracy (%) [95% interval]",
        "",
        _md(_grid(df, _acc, "{}")),
        "",
        "## Against the error-free model on the same digits: difference (pp) [paired 95% interval], verdict",
        "",
        _md(_grid(df, lambda r: f"{r.delta_pp:+.2f} [{r.delta_ci_low_pp:+.2f}, {r.delta_ci_high_pp:+.2f}] {r.verdict}",
                  "{}")),
        "",
        "## Effective BER (flips / stored bits, mean over devices [min, max]) beside the nominal BER",
        "",
        _md(_grid(df, lambda r: (f"{r.effective_ber:.3g} [{r.effective_ber_min:.2g}, {r.effective_ber_max:.2g}] "
                                 f"(x{r.effective_ber / r.ber:.2f})") if r.ber > 0 else "0", "{}")),
        "",
        *_repaired_section(df, cfg),
        "",
        "Error-free accuracy per precision: "
        + ", ".join(f"{b} bits {100 * a:.1f}%" for b, a in info.get("clean_accuracy", {}).items()),
        "",
        "Column meanings: see `coupling.report.COLUMN_DOC`. Full results: results.csv; plots: energy.png, accuracy.png.",
        "",
    ]
    return "\n".join(parts)


def _repaired_section(df: pd.DataFrame, cfg: RunConfig) -> list[str]:
    """Heading and table of the values repaired per point: float32 only, unless a plausibility rule is on."""
    if cfg.plausibility_repair == "none":
        table = _md(_grid(df[df.bits == 32], lambda r: r.repaired, "{:.1f}")) if (df.bits == 32).any() \
            else "(no float32 row)"
        return ["## Float32 values repaired (`float_repair: " + cfg.float_repair + "`), mean per device", "", table]
    return ["## Values repaired (`float_repair: " + cfg.float_repair + "`, `plausibility_repair: "
            + cfg.plausibility_repair + "`), mean per device", "", _md(_grid(df, lambda r: r.repaired, "{:.1f}"))]


def plot(df: pd.DataFrame, out: Path) -> list[Path]:
    """energy.png (busy, paced and paced-standby energy per inference vs voltage) and accuracy.png (95% intervals)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {b: f"C{k}" for k, b in enumerate(df.bits.unique())}        # colour: precision
    styles = {p: ("-", "--", ":", "-.")[k % 4] for k, p in enumerate(df.policy.unique())}  # line: policy
    markers = {p: "osd^v"[k % 5] for k, p in enumerate(df.policy.unique())}
    written = []
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, col, title in ((axes[0], "energy_busy_pj_per_inference", "busy (reads back to back)"),
                           (axes[1], "energy_paced_pj_per_inference", "paced, low-power policy"),
                           (axes[2], "energy_paced_standby_pj_per_inference", "paced, standby only")):
        for (bits, policy), g in df.groupby(["bits", "policy"], sort=False):
            g = g.sort_values("vdd_v")
            ax.plot(g.vdd_v, g[col] / 1e3, color=colors[bits], linestyle=styles[policy], marker=markers[policy],
                    label=f"{bits} b, {policy}")
        ax.set_title(title)
        ax.set_xlabel("core-rail voltage (V)")
        ax.set_ylabel("DRAM energy per inference (nJ)")
        ax.set_yscale("log")
        ax.invert_xaxis()
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    path = out / "energy.png"
    _atomic(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (bits, policy), g in df.groupby(["bits", "policy"], sort=False):
        g = g.sort_values("vdd_v")
        err = np.vstack([g.accuracy - g.accuracy_ci_low, g.accuracy_ci_high - g.accuracy]) * 100
        ax.errorbar(g.vdd_v, 100 * g.accuracy, yerr=err, color=colors[bits], linestyle=styles[policy],
                    marker=markers[policy], capsize=2, label=f"{bits} b, {policy}")
    lo = max(0.0, 100 * df.accuracy_ci_low.min() - 5)
    hi = min(100.0, 100 * df.accuracy_ci_high.max() + 5)
    if hi - lo < 20:          # never magnify noise: at least a 20 pp span
        mid = (hi + lo) / 2
        lo, hi = max(0.0, mid - 10), min(100.0, mid + 10)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("core-rail voltage (V)")
    ax.set_ylabel("accuracy (%), 95% interval")
    ax.invert_xaxis()
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path = out / "accuracy.png"
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
