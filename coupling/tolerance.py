"""Error-tolerance analysis: SNN accuracy against the DRAM bit error rate, over device seeds.

Each point is one device instance (``device_seed``: its weak cells, EDEN model 0-3 of
:mod:`coupling.faults`) at one BER, with the weights placed by a mapping policy
(:func:`coupling.pipeline.make_layout`) and read through
:class:`coupling.weights.DramWeightSource` (persistent errors by default), evaluated by
:func:`snn.network.evaluate` on the same input spikes as the error-free model
(``cfg.eval_seed``): the only difference between a point and the error-free accuracy is the
bit errors. Persistent flips are the device's weak cells at that BER
(:meth:`coupling.faults.FaultModel.persistent_flips`: nested across BERs, and the same cells
``enforcesnn run`` flips for the same device, placement and BER); transient draws are keyed by
``(device_seed, ber_key(ber))``.

Summary per BER: mean accuracy over the seeds, standard deviation, a 95% interval over device
seeds and test digits (two-level bootstrap; Wilson for one seed), the effective BER (flips per
stored bit; with ``device_variation`` each device's BER is its own multiple of the nominal one),
and the paired comparison with the error-free model on the same digits (interval and verdict). The *maximum tolerable BER* for an allowed drop
of ``max_drop_pp`` percentage points is the largest BER of the grid such that at that BER and at
every smaller BER of the grid the mean accuracy is >= error-free accuracy - ``max_drop_pp``
(``max_tolerable_ber_ci`` uses the lower confidence bound instead of the mean, a stricter
reading). ``None`` when even the smallest BER fails.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coupling import pipeline
from coupling.config import RunConfig
from dramsim.errors import InputError
from dramsim.spec import load_spec
from dramsim.voltage import operating_point
from snn.network import evaluate


def parse_bers(text: str) -> list[float]:
    """BER grid from ``"A:B"`` (one point per decade, A and B included), ``"A:B:N"`` (N log-spaced
    points) or a comma-separated list ``"1e-6,1e-4"``.

    Raises
    ------
    InputError
        Not numbers, BER outside (0, 1], A > B, or N < 1.
    """
    s = str(text).strip()
    try:
        if ":" in s:
            parts = s.split(":")
            if len(parts) not in (2, 3):
                raise ValueError
            lo, hi = float(parts[0]), float(parts[1])
            if not (0 < lo <= hi <= 1):
                raise InputError(f"--ber {text}: expected 0 < A <= B <= 1")
            if len(parts) == 3:
                n = int(parts[2])
                if n < 1:
                    raise InputError(f"--ber {text}: expected N >= 1 points")
            else:
                n = int(round(math.log10(hi / lo))) + 1
            vals = np.logspace(math.log10(lo), math.log10(hi), n) if n > 1 else np.array([lo])
            out = [float(f"{v:.6g}") for v in vals]
        else:
            out = [float(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--ber {text!r}: expected A:B, A:B:N or a comma-separated list of probabilities") from None
    if not out or any(not 0 < b <= 1 for b in out):
        raise InputError(f"--ber {text!r}: every BER must be in (0, 1]")
    return sorted(set(out))


@functools.lru_cache(maxsize=8)
def spec_and_weakness(standard: str, channels: int, ranks: int, vendor: str, statistic: str):
    """The nominal spec and the vendor's relative error density per bank (cached per process)."""
    spec = load_spec(standard, channels=channels, ranks=ranks)
    op = operating_point(spec, None, vendor=vendor, statistic=statistic)
    return spec, tuple(float(x) for x in op.bank_weakness)


def device(cfg: RunConfig, n_neurons: int, bits: int, policy: str, device_seed: int):
    """(spec, layout, faults) of one device instance for a ``784 x n_neurons`` matrix at ``bits``.

    Built exactly as :func:`coupling.pipeline.run` builds it, so both see the same cells.
    """
    spec, weakness = spec_and_weakness(cfg.standard, cfg.channels, cfg.ranks, cfg.vendor, cfg.ber_statistic)
    faults = pipeline.fault_model(spec, cfg, weakness, int(device_seed))
    layout = pipeline.make_layout(spec, n_neurons, bits, policy, faults, cfg.packing, cfg.max_weakness,
                                  cfg.controller_mapping, cfg.placement_knowledge)
    return spec, layout, faults


def accuracy_at_ber(model, images, labels, cfg: RunConfig, bits: int, ber: float, device_seed: int,
                    policy: str = "drmap", per_sample: bool = False) -> dict:
    """Accuracy of ``model`` at ``bits`` with its weights read at ``ber`` from device ``device_seed``.

    Returns
    -------
    dict
        ``accuracy`` (all-activity readout), ``accuracy_proportion`` (fractions), ``flips``,
        ``effective_ber`` (flips / stored weight bits; transient: flips / bits read), ``repaired``
        (values ``float_repair`` and ``plausibility_repair`` changed); with ``per_sample`` also ``correct`` (bool per digit).
    """
    if not 0 <= ber <= 1:
        raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")
    W = model.network_weights(bits, cfg.rounding)
    if ber == 0:
        r = evaluate(model, images, labels, weights=W, seed=cfg.eval_seed, per_sample=per_sample)
        r.update(flips=0, repaired=0, eff=0.0)
    else:
        _, layout, faults = device(cfg, model.n_neurons, bits, policy, device_seed)
        r = pipeline.accuracy_with_errors(model, W, bits, layout, faults, ber, cfg, images, labels)
        r["eff"] = r["flips_per_bit_read"] if "flips_per_bit_read" in r else r["flips"] / layout.n_bits
    out = {"accuracy": r["accuracy_all_activity"], "accuracy_proportion": r["accuracy_proportion"],
           "flips": int(r["flips"]), "effective_ber": float(r["eff"]), "repaired": int(r["repaired"])}
    if per_sample:
        out["correct"] = r["correct_all_activity"]
    return out


FLIP_COLUMNS = ("input", "neuron", "bit", "channel", "rank", "bankgroup", "bank", "row", "column")


def flip_table(model, cfg: RunConfig, bits: int, policy: str, ber: float, device_seed: int) -> pd.DataFrame:
    """The stored bits of ``model``'s weights that device ``device_seed`` flips at ``ber`` (persistent errors).

    One row per flipped bit: ``input`` (weight row i), ``neuron`` (column j), ``bit`` (0 = least
    significant; for float32 the IEEE bit), and the DRAM cell's ``channel, rank, bankgroup, bank,
    row, column`` (device column address of its burst). The same cells :func:`accuracy_at_ber` and
    ``enforcesnn run`` flip for this device, placement and BER.
    """
    from snn.quantize import to_codes
    if not 0 <= ber <= 1:
        raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")
    W = model.network_weights(bits, cfg.rounding)
    _, layout, faults = device(cfg, model.n_neurons, bits, policy, device_seed)
    pos = faults.persistent_flips(layout, ber, to_codes(W, bits))
    i, j, k = layout.weight_of(pos)
    burst = pos // layout.geometry.burst_bits
    return pd.DataFrame({"input": i, "neuron": j, "bit": k, "channel": layout.channel[burst],
                         "rank": layout.rank[burst], "bankgroup": layout.bankgroup[burst], "bank": layout.bank[burst],
                         "row": layout.row[burst], "column": layout.column[burst]}, columns=list(FLIP_COLUMNS))


@dataclass
class ToleranceResult:
    """Outcome of :func:`analyse`.

    Attributes
    ----------
    points : DataFrame
        One row per (ber, device_seed): accuracy, accuracy_proportion, flips.
    summary : DataFrame
        One row per ber: mean, std, ci_low, ci_high (accuracy, fractions), drop_pp (mean drop
        from the error-free accuracy, percentage points), seeds.
    clean_accuracy : float
        Error-free accuracy at the same precision (fraction).
    max_drop_pp : float
    max_tolerable_ber, max_tolerable_ber_ci : float or None
    settings : dict
    """

    points: pd.DataFrame
    summary: pd.DataFrame
    clean_accuracy: float
    max_drop_pp: float
    max_tolerable_ber: float | None
    max_tolerable_ber_ci: float | None
    settings: dict


def summarize(points: pd.DataFrame, clean_accuracy: float, confidence: float = 0.95, correct: dict | None = None,
              clean_correct=None, max_drop_pp: float = 1.0) -> pd.DataFrame:
    """Per-BER accuracy over device seeds with its interval, and the paired comparison with the error-free model.

    Without per-digit data: mean, standard deviation and a Student-t interval over the seeds
    (``ci_low``/``ci_high``). With ``correct`` (``ber -> (seeds, digits)`` booleans) and
    ``clean_correct``: the interval covers test digits as well -- Wilson for one seed, else a
    two-level bootstrap over seeds and digits -- and ``delta_*``/``verdict`` compare with the
    error-free model on the same digits (:func:`coupling.stats.paired_two_level_interval`,
    :func:`coupling.stats.verdict_from_interval` with a ``max_drop_pp`` margin).
    """
    from scipy.stats import t as student_t

    from coupling import stats
    rows = []
    for ber, g in points.groupby("ber", sort=True):
        a = g["accuracy"].to_numpy(dtype=float)
        k = len(a)
        mean = float(a.mean())
        std = float(a.std(ddof=1)) if k > 1 else float("nan")
        half = float(student_t.ppf(0.5 + confidence / 2, k - 1) * std / math.sqrt(k)) if k > 1 else float("nan")
        row = {"ber": float(ber), "seeds": k, "accuracy_mean": mean, "accuracy_std": std,
               "ci_low": mean - half, "ci_high": mean + half, "drop_pp": 100.0 * (clean_accuracy - mean)}
        if "effective_ber" in g:
            row["effective_ber_mean"] = float(g["effective_ber"].mean())
        if correct is not None and clean_correct is not None:
            c = np.asarray(correct[ber])
            if k == 1:
                lo, hi = stats.wilson_interval(int(c.sum()), c.size, confidence)
                _, dlo, dhi = stats.paired_difference_interval(clean_correct, c[0], confidence)
            else:
                _, lo, hi = stats.two_level_interval(c, confidence)
                _, dlo, dhi = stats.paired_two_level_interval(c, clean_correct, confidence)
            row.update(ci_low=lo, ci_high=hi, delta_ci_low_pp=100 * dlo, delta_ci_high_pp=100 * dhi,
                       verdict=stats.verdict_from_interval(dlo, dhi, max_drop_pp))
        rows.append(row)
    return pd.DataFrame(rows)


def max_tolerable_ber(summary: pd.DataFrame, clean_accuracy: float, max_drop_pp: float,
                      column: str = "accuracy_mean") -> float | None:
    """Largest BER with ``column`` >= clean - max_drop_pp there and at every smaller BER (see module docstring)."""
    floor = clean_accuracy - max_drop_pp / 100.0
    best = None
    for _, r in summary.sort_values("ber").iterrows():
        v = r[column]
        if not (v >= floor - 1e-12):       # NaN (one seed, CI column) fails too
            break
        best = float(r["ber"])
    return best


def analyse(model, images, labels, cfg: RunConfig, bers, seeds=(0, 1, 2), bits: int | None = None,
            policy: str = "drmap", max_drop_pp: float = 1.0, confidence: float = 0.95,
            progress: bool = False) -> ToleranceResult:
    """Accuracy against BER over device seeds (see the module docstring).

    Parameters
    ----------
    model : snn.network.Model
    images, labels : test data
    cfg : RunConfig
        DRAM and error settings: standard, error_model (+ its parameters), vendor/bank_weakness,
        error_mode, float_repair, plausibility_repair, rounding, packing, max_weakness, eval_seed.
    bers : sequence of float
    seeds : sequence of int
        Device seeds.
    bits : int, optional
        Precision (default: the model's).
    policy : str
        Mapping policy of the weights.
    max_drop_pp : float
        Accuracy target: at most this drop from the error-free accuracy, percentage points.
    """
    bits = model.precision_bits if bits is None else int(bits)
    bers = [float(b) for b in bers]
    seeds = [int(s) for s in seeds]
    if not bers or not seeds:
        raise InputError("tolerance: expected at least one BER and one device seed")
    if max_drop_pp < 0:
        raise InputError(f"max drop is {max_drop_pp}; expected >= 0 percentage points")
    cfg.validate()
    clean_r = accuracy_at_ber(model, images, labels, cfg, bits, 0.0, 0, policy, per_sample=True)
    clean = clean_r["accuracy"]
    rows, correct = [], {}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(bers) * len(seeds), desc="tolerance", unit="point")
    for ber in bers:
        for s in seeds:
            r = accuracy_at_ber(model, images, labels, cfg, bits, ber, s, policy, per_sample=True)
            correct.setdefault(ber, []).append(r.pop("correct"))
            rows.append({"ber": ber, "device_seed": s, **r})
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    points = pd.DataFrame(rows)
    summary = summarize(points, clean, confidence, {b: np.stack(c) for b, c in correct.items()},
                        clean_r["correct"], max_drop_pp)
    settings = {"bits": bits, "policy": policy, "error_model": cfg.error_model, "error_mode": cfg.error_mode,
                "standard": cfg.standard, "bank_weakness": cfg.bank_weakness, "vendor": cfg.vendor,
                "float_repair": cfg.float_repair,
                "plausibility_repair": cfg.plausibility_repair, "seeds": seeds, "samples": int(len(labels)),
                "confidence": confidence, "neurons": int(model.n_neurons), "device_variation": cfg.device_variation}
    return ToleranceResult(points, summary, float(clean), float(max_drop_pp),
                           max_tolerable_ber(summary, clean, max_drop_pp),
                           max_tolerable_ber(summary, clean, max_drop_pp, "ci_low"), settings)


def plot(curves: dict, path, title: str = "", max_drop_pp: float | None = None) -> None:
    """Accuracy (%) against BER (log) with confidence bands; ``curves``: label -> ToleranceResult.

    Written to a temp file in the same directory, then renamed.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from traces._atomic import atomic_write as _atomic

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, res in curves.items():
        s = res.summary
        line, = ax.semilogx(s.ber, 100 * s.accuracy_mean, marker="o", label=label)
        if s.seeds.max() > 1:
            ax.fill_between(s.ber, 100 * s.ci_low, 100 * s.ci_high, color=line.get_color(), alpha=0.2)
        ax.axhline(100 * res.clean_accuracy, color=line.get_color(), ls=":", lw=1)
        if max_drop_pp is not None:
            ax.axhline(100 * res.clean_accuracy - max_drop_pp, color=line.get_color(), ls="--", lw=0.8)
    ax.set_xlabel("bit error rate")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title or "accuracy against BER (mean, CI over device seeds; dotted: error-free)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _atomic(Path(path), lambda f: fig.savefig(f, format="png", dpi=120))
    plt.close(fig)
