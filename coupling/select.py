"""Model selection: the network size x precision x FAT x voltage with least DRAM energy that is good enough.

Per ``paper-notes.md`` ("Model selection"). Every candidate has an accuracy at the operating BER
of its voltage (mean over device seeds), an error-free accuracy, a memory footprint (bytes of the
densely packed weight matrix, :func:`snn.quantize.footprint_bytes`) and a DRAM energy per
inference (pJ, the spike-driven weight reads replayed in dramsim at the voltage,
:func:`coupling.pipeline.replay` and :func:`coupling.pipeline.energy_per_inference`).

Constraints: ``accuracy >= baseline - tolerance`` and ``memory_bytes <= budget``. The baseline
is the accurate-DRAM accuracy of the reference SNN: by default the best error-free accuracy of a
float32 (``bits == 32``) candidate without FAT (all candidates if there is none), or a value the
user gives. Objective: least ``energy_pj``; ties broken by smaller memory, then higher
accuracy, then the candidate's name. The Pareto front is the set of candidates no other
candidate beats on all of (higher accuracy, smaller memory, less energy) while being strictly
better on one.

Candidates come from a table (CSV/Parquet with the columns of :data:`COLUMNS`, e.g. the
results of a ``step: candidate`` sweep) or are evaluated here from a YAML grid
(:func:`evaluate_grid`).

Selection without peeking: a grid's candidates are evaluated on the *validation* split (the last
``validation_samples`` training digits, which the models must not have trained on: a model whose
``extra.validation_samples`` differs is refused); the choice is made on those accuracies, and only
the chosen candidate is then evaluated on the test digits (:func:`test_figure`), the figure to
report. A candidate table says which split its accuracies come from in a ``split`` column; the
report states it, and warns when it is missing.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coupling import pipeline
from coupling.config import RunConfig, read_yaml
from dramsim.errors import InputError
from snn.quantize import footprint_bytes

#: Columns a candidate table must have.
COLUMNS = ("neurons", "bits", "fat", "vdd", "accuracy", "clean_accuracy", "memory_bytes", "energy_pj")


def ber_at(cfg: RunConfig, vdd: float) -> float:
    """Nominal BER of the configured vendor at a core-rail voltage (``cfg.ber`` overrides below nominal)."""
    from coupling.tolerance import spec_and_weakness
    from dramsim.voltage import operating_point
    spec, _ = spec_and_weakness(cfg.standard, cfg.channels, cfg.ranks, cfg.vendor, cfg.ber_statistic)
    op = operating_point(spec, vdd, mode=cfg.mode,
                         scaling=cfg.voltage_scaling, vendor=cfg.vendor, statistic=cfg.ber_statistic)
    if cfg.ber is not None and cfg.mode == "approximate" and op.ber > 0:
        return float(cfg.ber)
    return float(op.ber)


def dram_cost(model, images, cfg: RunConfig, bits: int, policy: str, vdd: float) -> dict:
    """DRAM energy (pJ, busy and paced) and time (ns) per inference of the model's weight reads at a core-rail voltage.

    The first ``cfg.replay_samples`` of ``images`` are replayed (their input spikes at
    ``cfg.eval_seed``); the layout is placed with ``policy`` on device ``cfg.device_seed``.
    """
    from coupling.tolerance import device
    from dramsim.voltage import operating_point
    from snn.network import infer
    spec, layout, _ = device(cfg, model.n_neurons, bits, policy, cfg.device_seed)
    n = min(cfg.replay_samples, len(images))
    _, events = infer(model, images[:n], seed=cfg.eval_seed, record_reads=True)
    ev = [events.sample(k) for k in range(events.n_samples)]
    op = operating_point(spec, vdd, mode=cfg.mode,
                         scaling=cfg.voltage_scaling, vendor=cfg.vendor, statistic=cfg.ber_statistic)
    sim_spec = op.spec if cfg.mode == "reliable" else spec
    rep = pipeline.replay(sim_spec, layout, ev, model.params.n_steps, cfg)
    lp_cfg, _ = pipeline.low_power_policy(sim_spec, cfg)      # standby where the spec cannot power down
    paced = pipeline.replay(sim_spec, layout, ev[:max(1, min(cfg.paced_samples, n))], model.params.n_steps, lp_cfg,
                            paced=True, low_power=True)
    return {"energy_pj": pipeline.energy_per_inference(rep, op.spec)["total"],
            "energy_paced_pj": pipeline.energy_per_inference(paced, op.spec)["total"],
            "dram_time_ns": rep.time_ns_per_inference, "requests_per_inference": rep.requests / rep.n_samples}


def evaluate_candidate(model, images, labels, cfg: RunConfig, bits: int, policy: str, vdd: float,
                       seeds=(0, 1, 2)) -> dict:
    """One candidate: accuracy at BER(V) (mean over device ``seeds``), error-free accuracy, memory, energy."""
    from coupling.tolerance import accuracy_at_ber
    ber = ber_at(cfg, vdd)
    clean = accuracy_at_ber(model, images, labels, cfg, bits, 0.0, 0, policy)["accuracy"]
    if ber > 0:
        acc = float(np.mean([accuracy_at_ber(model, images, labels, cfg, bits, ber, s, policy)["accuracy"]
                             for s in seeds]))
    else:
        acc = clean
    c = dataclasses.replace(cfg, device_seed=int(seeds[0]))
    return {"neurons": int(model.n_neurons), "ber": ber, "accuracy": acc, "clean_accuracy": clean,
            "memory_bytes": footprint_bytes(model.params.n_inputs, model.n_neurons, bits),
            **dram_cost(model, images, c, bits, policy, vdd)}


def evaluate_grid(path, voltages=None, progress: bool = False) -> pd.DataFrame:
    """Candidates of a YAML grid: ``models`` (model files; FAT ones carry ``extra.fat``),
    ``precisions``, ``voltages``, ``policy``, ``seeds`` (device seeds), ``config`` (RunConfig fields).

    ``voltages`` overrides the file's.
    """
    from snn import data as snn_data
    from snn.io import load_model
    path = Path(path)
    g = read_yaml(path)
    if not isinstance(g, dict) or not g.get("models"):
        raise InputError(f"{path}: expected a mapping with a non-empty list 'models'")
    unknown = sorted(set(g) - {"models", "precisions", "voltages", "policy", "seeds", "config"})
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r}")
    cfg = RunConfig.from_dict(g.get("config") or {}, f"{path}: config")
    if cfg.validation_samples < 1:
        raise InputError(f"{path}: config.validation_samples is 0; selection needs a validation split "
                         "(training digits the models did not train on)")
    precisions = g.get("precisions") or [32, 8]
    if voltages or g.get("voltages"):
        volts = voltages or g.get("voltages")
    else:
        from coupling.tolerance import spec_and_weakness
        volts = pipeline.run_voltages(spec_and_weakness(cfg.standard, cfg.channels, cfg.ranks, cfg.vendor,
                                                        cfg.ber_statistic)[0], cfg)
    policy = g.get("policy", "drmap")
    seeds = g.get("seeds", [0, 1, 2])
    Xv, yv = snn_data.load(cfg.data, "validation", cfg.validation_samples)
    rows = []
    for m in g["models"]:
        mp = Path(m) if Path(m).is_absolute() else path.parent / m
        model = load_model(mp)
        held_out = model.extra.get("validation_samples", 0)
        if held_out != cfg.validation_samples:
            raise InputError(f"{mp}: trained with validation_samples {held_out}, so it saw the "
                             f"{cfg.validation_samples} validation digits; train it with enforcesnn train "
                             f"--validation-samples {cfg.validation_samples} (or set the grid's config.validation_samples)")
        for bits in precisions:
            for v in volts:
                r = evaluate_candidate(model, Xv, yv, cfg, int(bits), policy, float(v), seeds)
                rows.append({"name": f"{mp.stem}/{bits}b/{v:g}V", "model": str(mp), "bits": int(bits),
                             "fat": "fat" in model.extra, "vdd": float(v), "policy": policy, "split": "validation",
                             "config": str(path), **r})
                if progress:
                    print(rows[-1]["name"], f"acc {r['accuracy']:.4f} energy {r['energy_pj'] / 1e3:.1f} nJ")
    return pd.DataFrame(rows)


def test_figure(chosen: dict, seeds=None) -> dict | None:
    """The chosen grid candidate evaluated once on the test digits: the figure to report.

    ``chosen`` is a row of an :func:`evaluate_grid` table (it names its model file and config).
    Returns ``test_accuracy`` (mean over device ``seeds``, default the grid's) with a 95% interval
    over devices and digits, ``test_clean_accuracy`` and ``test_samples``; None for a row without a
    model file.
    """
    from coupling import stats
    from coupling.tolerance import accuracy_at_ber
    from snn import data as snn_data
    from snn.io import load_model
    if not chosen.get("model") or not chosen.get("config"):
        return None
    g = read_yaml(chosen["config"])
    cfg = RunConfig.from_dict(g.get("config") or {}, f"{chosen['config']}: config")
    seeds = list(g.get("seeds", [0, 1, 2]) if seeds is None else seeds)
    Xt, yt = snn_data.load(cfg.data, "test")
    if cfg.eval_samples is not None:
        Xt, yt = Xt[:cfg.eval_samples], yt[:cfg.eval_samples]
    model = load_model(chosen["model"])
    bits, ber, policy = int(chosen["bits"]), float(chosen["ber"]), chosen.get("policy", "drmap")
    clean = accuracy_at_ber(model, Xt, yt, cfg, bits, 0.0, 0, policy, per_sample=True)
    runs = [accuracy_at_ber(model, Xt, yt, cfg, bits, ber, s, policy, per_sample=True) if ber > 0 else clean
            for s in seeds]
    correct = np.stack([r["correct"] for r in runs])
    acc, lo, hi = stats.two_level_interval(correct) if len(seeds) > 1 else (
        float(correct.mean()), *stats.wilson_interval(int(correct.sum()), correct.size))
    return {"test_accuracy": acc, "test_ci_low": lo, "test_ci_high": hi, "test_clean_accuracy": clean["accuracy"],
            "test_samples": int(len(yt)), "test_devices": len(seeds)}


def read_candidates(path) -> pd.DataFrame:
    """A candidate table from CSV or Parquet (columns :data:`COLUMNS`; ``name`` optional)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such candidates file")
    try:
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as e:       # noqa: BLE001 - any parse failure is bad input
        raise InputError(f"{path}: cannot read the candidate table ({type(e).__name__})") from None
    if "fat" not in df.columns and "location_aware" in df.columns:
        df["fat"] = True
    missing = [c for c in COLUMNS if c not in df.columns]
    if "fat" in missing:
        df["fat"] = False
        missing.remove("fat")
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    return df


def pareto_front(df: pd.DataFrame) -> pd.DataFrame:
    """Candidates not dominated on (higher accuracy, lower memory_bytes, lower energy_pj)."""
    a = df["accuracy"].to_numpy(float)
    m = df["memory_bytes"].to_numpy(float)
    e = df["energy_pj"].to_numpy(float)
    keep = []
    for i in range(len(df)):
        dominated = (a >= a[i]) & (m <= m[i]) & (e <= e[i]) & ((a > a[i]) | (m < m[i]) | (e < e[i]))
        keep.append(not dominated.any())
    return df[np.array(keep, bool)].sort_values(["energy_pj", "memory_bytes"]).reset_index(drop=True)


@dataclass
class Selection:
    """Outcome of :func:`select_model`.

    Attributes
    ----------
    chosen : dict or None
        The chosen candidate's row (None when no candidate satisfies the constraints).
    reason : str
        Why (one paragraph).
    table : DataFrame
        All candidates with ``feasible``, ``meets_accuracy``, ``meets_memory``, ``pareto`` columns.
    pareto : DataFrame
    baseline_accuracy, accuracy_floor : float
    """

    chosen: dict | None
    reason: str
    table: pd.DataFrame
    pareto: pd.DataFrame
    baseline_accuracy: float
    accuracy_floor: float


def select_model(df: pd.DataFrame, accuracy_tolerance_pp: float = 1.0, memory_budget_bytes: float | None = None,
                 baseline_accuracy: float | None = None) -> Selection:
    """Choose a candidate (see the module docstring)."""
    if len(df) == 0:
        raise InputError("select: no candidates")
    if accuracy_tolerance_pp < 0:
        raise InputError(f"--accuracy-tolerance {accuracy_tolerance_pp}: expected >= 0 percentage points")
    if memory_budget_bytes is not None and memory_budget_bytes <= 0:
        raise InputError(f"--memory-budget {memory_budget_bytes}: expected a positive number of bytes")
    t = df.copy().reset_index(drop=True)
    if "name" not in t.columns:
        t["name"] = [f"N{int(r.neurons)}/{int(r.bits)}b/{'fat' if r.fat else 'nofat'}/{r.vdd:g}V"
                     for r in t.itertuples()]
    if baseline_accuracy is None:
        ref = t[(t.bits == 32) & (~t.fat.astype(bool))]
        baseline_accuracy = float((ref if len(ref) else t)["clean_accuracy"].max())
    floor = baseline_accuracy - accuracy_tolerance_pp / 100.0
    t["meets_accuracy"] = t["accuracy"] >= floor - 1e-12
    t["meets_memory"] = True if memory_budget_bytes is None else t["memory_bytes"] <= memory_budget_bytes
    t["feasible"] = t["meets_accuracy"] & t["meets_memory"]
    front = pareto_front(t)
    t["pareto"] = t["name"].isin(set(front["name"]))
    feas = t[t.feasible].sort_values(["energy_pj", "memory_bytes", "accuracy", "name"],
                                     ascending=[True, True, False, True])
    budget = "no memory budget" if memory_budget_bytes is None else f"memory <= {memory_budget_bytes:.0f} B"
    if len(feas) == 0:
        return Selection(None, f"No candidate satisfies accuracy >= {100 * floor:.2f}% (baseline "
                               f"{100 * baseline_accuracy:.2f}% - {accuracy_tolerance_pp:g} pp) and {budget}: "
                               f"{int(t.meets_accuracy.sum())} meet the accuracy, {int(t.meets_memory.sum())} the "
                               "memory constraint.", t, front, baseline_accuracy, floor)
    best = feas.iloc[0]
    reason = (f"{best['name']}: least DRAM energy per inference ({best.energy_pj / 1e3:.1f} nJ) among "
              f"{len(feas)} of {len(t)} candidates with accuracy >= {100 * floor:.2f}% (baseline "
              f"{100 * baseline_accuracy:.2f}% - {accuracy_tolerance_pp:g} pp) and {budget}; its accuracy "
              f"{100 * best.accuracy:.2f}%, memory {int(best.memory_bytes)} B.")
    if len(feas) > 1:
        nxt = feas.iloc[1]
        reason += f" Runner-up: {nxt['name']} ({nxt.energy_pj / 1e3:.1f} nJ, {100 * nxt.accuracy:.2f}%)."
    return Selection(best.to_dict(), reason, t, front, baseline_accuracy, floor)


def plot_pareto(sel: Selection, path) -> None:
    """Energy per inference against accuracy, marker size ~ memory; Pareto front and choice marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from traces._atomic import atomic_write as _atomic
    t = sel.table
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    size = 20 + 180 * t.memory_bytes / t.memory_bytes.max()
    ax.scatter(100 * t.accuracy, t.energy_pj / 1e3, s=size, c=np.where(t.feasible, "tab:blue", "lightgray"),
               alpha=0.7, label="candidates (grey: infeasible; size ~ memory)")
    f = sel.pareto.sort_values("accuracy")
    ax.plot(100 * f.accuracy, f.energy_pj / 1e3, "k--", lw=1, label="Pareto front")
    if sel.chosen is not None:
        ax.scatter([100 * sel.chosen["accuracy"]], [sel.chosen["energy_pj"] / 1e3], marker="*", s=300, c="tab:red",
                   label="chosen")
    ax.axvline(100 * sel.accuracy_floor, color="tab:red", ls=":", lw=1)
    ax.set_xlabel("accuracy at the operating BER (%)")
    ax.set_ylabel("DRAM energy per inference (nJ)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    _atomic(Path(path), lambda fo: fig.savefig(fo, format="png", dpi=120))
    plt.close(fig)
