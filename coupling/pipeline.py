"""The main job as library functions: model -> quantized weights -> DRAM layout -> traces -> energy, errors -> accuracy.

:func:`run` does what ``enforcesnn run`` does and returns one DataFrame with a row per
(precision, policy, voltage). Smaller pieces, usable on their own:

* :func:`trained_model` -- train, or load the cached model;
* :func:`fault_model` -- one device instance (its weak cells, BER multiplier, bank weakness);
* :func:`make_layout` -- place a weight matrix with a policy (error-aware ones see what
  ``placement_knowledge`` allows);
* :func:`replay` -- the accelerator's weight reads of some samples through dramsim, *busy*
  (back to back) or *paced* (each read at its time step, idle time included);
* :func:`accuracy_with_errors` -- test accuracy with the weights read from approximate DRAM.

Definitions (every figure in the results is one of these)
--------------------------------------------------------
*Busy energy per inference*: total DRAM energy (DRAMPower 4 terms, pJ) of replaying the weight
reads of ``replay_samples`` test samples back to back (requests offered one per memory clock),
divided by their number: what the DRAM costs per inference when it is the bottleneck.

*Paced energy per inference*: the reads of ``paced_samples`` samples arrive at the start of their
accelerator time step (``step_ns`` per step, ``n_steps`` steps per sample); the run lasts
``paced_samples x n_steps x step_ns`` (the inferences' duration), idle time included, so
background and refresh energy of the idle gaps count. It is replayed twice: with the
controller's low-power policy (``powerdown_after`` idle cycles to power-down,
``selfrefresh_after`` to self-refresh, exits paid on demand: ``energy_paced``) and with the device
kept in standby (``energy_paced_standby``, the upper bound a controller without power-down
pays). The stretch after the last read of the window (under one time step) is billed as
precharge standby without refresh: at most ``1 / (n_steps x paced_samples)`` of the window.

*DRAM time per inference*: busy replay time (last completion, ns) / samples. *Bandwidth*: bytes
delivered (bursts x burst size) / DRAM time; *weight bandwidth*: weight bytes the neurons use
(input spikes x N x bits / 8) / DRAM time. A speed-up is a ratio of DRAM times.

*Effective BER*: flips / weight bits stored (``effective_ber``), and flips seen per weight bit
read by the replayed samples' spikes (``effective_ber_read``); they differ from the nominal
``ber`` where the placement uses banks weaker or stronger than the device average.

Voltages are the standard's core-rail voltages (VDD; VDD2 for LPDDR), as ``dramsim --vdd``; the
bit error rate comes from the voltage table at the same *relative* voltage (the Voltron DDR3L
table: ``vdd x 1.35 / rail nominal``, reported as ``vdd_ddr3l_v``).
"""
from __future__ import annotations

import dataclasses

import functools
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coupling import stats
from coupling.access import buffer_bursts, burst_reads, request_trace
from coupling.config import RunConfig
from coupling.faults import BANK_FLOOR, ErrorProfile, FaultModel
from coupling.layout import Geometry, WeightLayout
from coupling.weights import DramWeightSource, ber_key
from dramsim.energy import compute_energy, core_rail, energy_note, residency
from dramsim.errors import InputError
from dramsim.mapping import AddressMapping
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from dramsim.voltage import load_table, operating_point
from snn import data as snn_data
from snn.io import load_model, save_model
from snn.network import evaluate, infer, train
from snn.params import preset
from traces._atomic import OutputError

N_INPUTS = 784
#: The Voltron DDR3L voltages (V) the default grid is built from (paper-notes: 1.35 V to 1.025 V).
DDR3L_GRID_V = (1.35, 1.25, 1.175, 1.10, 1.025)
STANDBY_LABEL = "standby only (no power-down)"


def trained_model(cfg: RunConfig, progress: bool = False):
    """The trained model for ``cfg`` (loaded from ``cfg.cache_dir`` when present, else trained and cached).

    Returns
    -------
    model : snn.network.Model
    cached : bool
        True when loaded from the cache.
    """
    key = {"data": str(cfg.data), "neurons": cfg.neurons, "epochs": cfg.epochs, "seed": cfg.train_seed,
           "limit": cfg.train_limit, "params": preset(cfg.preset).to_dict()}
    if cfg.validation_samples:
        key["validation_samples"] = cfg.validation_samples
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(cfg.cache_dir).expanduser() / f"dc{cfg.neurons}_{digest}.npz"
    if path.exists():
        return load_model(path), True
    X, y = snn_data.load(cfg.data, "train", cfg.validation_samples)
    if cfg.train_limit is not None:
        X, y = X[:cfg.train_limit], y[:cfg.train_limit]
    model, _ = train(X, y, cfg.neurons, cfg.epochs, preset(cfg.preset), seed=cfg.train_seed, progress=progress)
    model.extra = dict(model.extra, train_samples=int(len(X)), validation_samples=int(cfg.validation_samples))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_model(path, model)
    except (OSError, OutputError) as exc:   # an unwritable cache must not stop the job
        reason = exc.reason if isinstance(exc, OutputError) else (exc.strerror or str(exc)).lower()
        print(f"enforcesnn: warning: cache_dir {cfg.cache_dir}: cannot write ({reason}); "
              "the model was trained in memory and is not cached", file=sys.stderr)
    return model, False


# -- voltages --------------------------------------------------------------------------------------
def rail_nominal(spec) -> float:
    """Nominal voltage (V) of the spec's core rail (VDD; VDD2 for LPDDR)."""
    return float(spec.rail(core_rail(spec)).voltage_v)


def default_voltages(spec, table=None) -> list[float]:
    """The Voltron DDR3L points :data:`DDR3L_GRID_V` converted to the spec's core rail (V)."""
    table = _shipped_table() if table is None else table
    k = rail_nominal(spec) / table.nominal_vdd
    return [v * k for v in DDR3L_GRID_V]


def run_voltages(spec, cfg: RunConfig) -> list[float]:
    """The configured core-rail voltages, or the default grid; highest first."""
    return sorted((float(v) for v in (cfg.voltages or default_voltages(spec))), reverse=True)


# -- devices and layouts -----------------------------------------------------------------------------
def device_spread(cfg: RunConfig, table=None) -> dict:
    """The vendor's device-to-device spread (``ber_shape``, ``bank_concentration``) from the voltage table,
    or ``{}`` when ``cfg.device_variation`` is off."""
    if not cfg.device_variation:
        return {}
    table = _shipped_table() if table is None else table
    return dict(table.device_spread.get(cfg.vendor, {}))


@functools.lru_cache(maxsize=1)
def _shipped_table():
    return load_table(None)


def fault_model(spec, cfg: RunConfig, bank_weakness=None, device_seed: int | None = None,
                spread: dict | None = None) -> FaultModel:
    """Device ``device_seed`` (default ``cfg.device_seed``) under the configured EDEN model.

    ``bank_weakness``: the vendor-average per-bank profile (used when ``cfg.bank_weakness``);
    ``spread``: :func:`device_spread` (default: from the shipped table).
    """
    spread = device_spread(cfg) if spread is None else spread
    weak = tuple(bank_weakness) if (cfg.bank_weakness and bank_weakness is not None) else None
    profile = ErrorProfile(model=cfg.error_model, weak_bitline_fraction=cfg.weak_bitline_fraction,
                           weak_wordline_fraction=cfg.weak_wordline_fraction,
                           one_to_zero_share=cfg.one_to_zero_share, bank_weakness=weak,
                           ber_spread_shape=spread.get("ber_shape"),
                           bank_concentration=spread.get("bank_concentration") if weak is not None else None,
                           bank_floor=spread.get("bank_floor", BANK_FLOOR))
    seed = cfg.device_seed if device_seed is None else int(device_seed)
    return FaultModel(Geometry.from_spec(spec), profile, seed)


def make_layout(spec, n_neurons: int, bits: int, policy: str, faults: FaultModel | None = None,
                packing: str = "weight", max_weakness: float | None = None,
                controller_mapping: str = "RoBaRaCoCh", knowledge: str = "profiled") -> WeightLayout:
    """Place a ``784 x n_neurons`` matrix of ``bits``-bit weights with ``policy`` on ``spec``'s device.

    ``enforcesnn`` sees ``faults.region_weakness(knowledge)``; ``linear`` follows ``controller_mapping``.
    """
    weakness = faults.region_weakness(knowledge) if (policy == "enforcesnn" and faults is not None) else None
    return WeightLayout(Geometry.from_spec(spec), N_INPUTS, n_neurons, bits, policy,
                        packing=packing if policy == "enforcesnn" else "weight",
                        region_weakness=weakness, max_weakness=max_weakness, controller_mapping=controller_mapping)


def layout_digest(layout: WeightLayout) -> str:
    """A short hash of where every burst is (equal digests: identical placements)."""
    h = hashlib.sha1()
    for a in (layout.flat_bank, layout.row, layout.burst_col):
        h.update(np.ascontiguousarray(a, np.int64).tobytes())
    h.update(f"{layout.bits}/{layout.packing}/{layout.n_neurons}".encode())
    return h.hexdigest()[:16]


# -- replay -----------------------------------------------------------------------------------------
@dataclass
class Replay:
    """Outcome of replaying the weight reads of some samples (see :func:`replay`).

    ``window_cycles`` is the span energy is computed over: the last completion (busy), or the
    samples' duration when that is longer (paced).
    """

    requests: int
    row_hits: int
    row_misses: int
    row_conflicts: int
    cycles: int
    window_cycles: int
    time_ns: float
    n_samples: int
    commands: object
    spec: object
    paced: bool
    analysis: object = None      # the energy scan of commands over the window (dramsim.energy.residency), cached

    @property
    def time_ns_per_inference(self) -> float:
        return self.time_ns / self.n_samples

    def throughput_gbps(self, burst_bytes: int) -> float:
        return self.requests * burst_bytes / self.time_ns if self.time_ns > 0 else 0.0


def low_power_policy(spec, cfg: RunConfig) -> tuple[RunConfig, str]:
    """``cfg`` with the low-power policies ``spec`` can run, and a note naming any it cannot ("" if none).

    A spec without power-down timing (``CKE``, ``XP``; DDR5-4800, GDDR6-14000, LPDDR5-6400 as
    shipped) cannot power down, one without ``CKESR``/``XS`` cannot self-refresh: the paced replay
    then keeps its ranks in standby between reads, and the note says so (its paced energy is an
    upper bound against a controller that powers down).
    """
    t = spec.timing
    dropped, changes = [], {}
    if cfg.powerdown_after is not None and not (t.CKE and t.XP):
        dropped.append("power-down (no CKE / XP)")
        changes["powerdown_after"] = None
    if cfg.selfrefresh_after is not None and not (t.CKESR and t.XS):
        dropped.append("self-refresh (no CKESR / XS)")
        changes["selfrefresh_after"] = None
    if not dropped:
        return cfg, ""
    return (dataclasses.replace(cfg, **changes),
            f"{spec.name} has no low-power timing for {' or '.join(dropped)}: the paced replay keeps idle ranks "
            "in standby, so its paced energy is an upper bound against a controller that powers down")


def low_power_label(cfg: RunConfig) -> str:
    """The paced replay's controller low-power policy in words."""
    parts = []
    if cfg.powerdown_after is not None:
        parts.append(f"power-down ({cfg.powerdown_exit} exit) after {cfg.powerdown_after} idle cycles")
    if cfg.selfrefresh_after is not None:
        parts.append(f"self-refresh after {cfg.selfrefresh_after} idle cycles")
    return ", ".join(parts) if parts else STANDBY_LABEL


def replay(spec, layout: WeightLayout, events, n_steps: int, cfg: RunConfig, paced: bool = False,
           write_trace=None, low_power: bool = False) -> Replay:
    """Simulate the accelerator's weight reads of the recorded samples on ``spec``.

    Parameters
    ----------
    events : list of (steps, inputs)
        Input-spike events per sample (``ReadEvents.sample(k)``).
    paced : bool
        False: back to back (busy). True: each read arrives at its time step (``cfg.step_ns``).
    low_power : bool
        Apply the controller's low-power policy (``cfg.powerdown_after``, ``cfg.selfrefresh_after``).
    write_trace : (path, fmt), optional
        Also write the request trace (``fmt``: ``ramulator2``, ``ramulator1``, ``dramsim3``, ``npz``;
        via :func:`traces.write_requests`) for replay in Ramulator or DRAMsim3.
    """
    if not events:
        raise InputError("replay: expected at least one sample")
    amap = AddressMapping(spec, cfg.controller_mapping)
    reads = burst_reads(layout, events, n_steps, cfg.access)
    tck = spec.timing.tck_ns
    trace = request_trace(reads, layout.addresses(amap), tck_ns=tck, step_ns=cfg.step_ns,
                          arrival="step" if paced else "saturate",
                          buffer_capacity_bursts=buffer_bursts(cfg.buffer_kib, spec.organization.burst_bytes))
    if write_trace is not None:
        from traces import write_requests
        write_requests(trace, *write_trace)
    lp = dict(powerdown_after=cfg.powerdown_after, selfrefresh_after=cfg.selfrefresh_after,
              powerdown_exit=cfg.powerdown_exit) if low_power else {}
    res = simulate(spec, trace, mapping=cfg.controller_mapping, row_policy=cfg.row_policy, refresh=cfg.refresh,
                   arrival="trace" if paced else "saturate", **lp)
    s = res.stats
    window = int(res.cycles)
    if paced:
        window = max(window, int(np.ceil(len(events) * n_steps * cfg.step_ns / tck)))
    return Replay(len(trace), int(s["row_hits"]), int(s["row_misses"]), int(s["row_conflicts"]), int(res.cycles),
                  window, float(res.cycles * tck), len(events), res.commands, spec, paced)


def energy_per_inference(rep: Replay, spec) -> dict:
    """DRAM energy per inference by component (pJ) of a replay over its window, evaluated on ``spec``.

    ``spec`` may differ from the replayed one in its rails only (an approximate-mode voltage): the
    command scan is then computed once per replay and reused.
    """
    if spec.timing != rep.spec.timing or spec.organization != rep.spec.organization:
        e = compute_energy(spec, rep.commands, rep.window_cycles)
    else:
        if rep.analysis is None:
            rep.analysis = residency(rep.spec, rep.commands, rep.window_cycles)
        e = compute_energy(spec, rep.commands, rep.window_cycles, analysis=rep.analysis)
    n = rep.n_samples
    return {k: getattr(e, k) / n for k in ("total", "act", "pre", "rd", "ref", "background", "powerdown",
                                          "selfrefresh")}


# -- accuracy ----------------------------------------------------------------------------------------
def accuracy_with_errors(model, W, bits, layout, faults, ber, cfg: RunConfig, images, labels,
                         draw_key: int | None = None, clean: dict | None = None) -> dict:
    """Test accuracy with the weights read through approximate DRAM at ``ber`` (nominal).

    Returns ``evaluate``'s dict (with per-sample correctness) plus ``flips``, ``repaired``,
    ``flip_positions`` (persistent) and ``flips_per_bit_read`` (transient). Persistent errors
    that flip no bit give exactly the error-free network: with ``clean`` (its ``evaluate`` dict
    with ``per_sample=True``) that result is reused instead of evaluating again.
    """
    src = DramWeightSource(W, bits, layout, faults, ber, mode=cfg.error_mode, device_seed=faults.device_seed,
                           draw_key=ber_key(ber) if draw_key is None else draw_key, float_repair=cfg.float_repair,
                           plausibility=cfg.plausibility_repair, w_norm=model.params.w_norm, rounding=cfg.rounding)
    if src.is_static and src.last_flips == 0 and clean is not None:
        res = dict(clean)
    else:
        res = evaluate(model, images, labels, weights=src, seed=cfg.eval_seed, per_sample=True)
    res["flips"] = src.last_flips
    res["repaired"] = src.repaired
    res["flip_positions"] = src.flip_positions
    if src.per_read:
        res["flips_per_bit_read"] = src.total_flips / src.total_bits_read if src.total_bits_read else 0.0
    return res


def effective_ber_read(layout: WeightLayout, flip_positions, row_reads: np.ndarray) -> float:
    """Flips seen per weight bit read: reads of row ``i`` (``row_reads[i]``) see the flips stored in row ``i``."""
    total = float(np.sum(row_reads)) * layout.n_neurons * layout.bits
    if total == 0:
        return 0.0
    i, _, _ = layout.weight_of(np.asarray(flip_positions, np.int64))
    return float(np.sum(row_reads[i])) / total


# -- the main job ------------------------------------------------------------------------------------
def _device_accuracy(model, W, bits, layout, faults, ber, cfg, Xt, yt, clean, row_reads, cache, key):
    """Per-sample correctness and flip statistics of one device (cached by placement, device, BER)."""
    if key not in cache:
        r = accuracy_with_errors(model, W, bits, layout, faults, ber, cfg, Xt, yt, clean=clean)
        if cfg.error_mode == "persistent":
            eff, eff_read = r["flips"] / layout.n_bits, effective_ber_read(layout, r["flip_positions"], row_reads)
        else:
            eff = eff_read = r["flips_per_bit_read"]
        cache[key] = {"correct": r["correct_all_activity"], "flips": r["flips"], "repaired": r["repaired"],
                      "effective_ber": eff, "effective_ber_read": eff_read}
    return cache[key]


def _accuracy_columns(correct: np.ndarray, clean_correct: np.ndarray, max_drop_pp: float = 1.0) -> dict:
    """Accuracy with its 95% interval and the paired comparison with the error-free model.

    ``correct``: (devices, samples) booleans. One device: Wilson interval over test samples and
    Newcombe's paired interval of the difference; several: two-level bootstrap over devices and
    samples (paired on the digits for the difference). McNemar pools the devices. The verdict is
    :func:`coupling.stats.verdict_from_interval` with a ``max_drop_pp`` margin.
    """
    n_dev, n = correct.shape
    acc = float(correct.mean())
    if n_dev == 1:
        lo, hi = stats.wilson_interval(int(correct.sum()), n)
        diff, dlo, dhi = stats.paired_difference_interval(clean_correct, correct[0])
    else:
        _, lo, hi = stats.two_level_interval(correct)
        diff, dlo, dhi = stats.paired_two_level_interval(correct, clean_correct)
    mc = stats.mcnemar(np.tile(clean_correct, n_dev), correct.ravel())
    verdict = stats.verdict_from_interval(dlo, dhi, max_drop_pp)
    per_dev = correct.mean(axis=1)
    return {"accuracy": acc, "accuracy_ci_low": float(lo), "accuracy_ci_high": float(hi),
            "accuracy_device_sd": float(per_dev.std(ddof=1)) if n_dev > 1 else float("nan"),
            "delta_pp": 100 * float(diff), "delta_ci_low_pp": 100 * float(dlo), "delta_ci_high_pp": 100 * float(dhi),
            "mcnemar_p": float(mc["p_value"]), "verdict": verdict}


def _replays(spec, layouts: dict, digests: dict, ev, n_busy: int, n_paced: int, n_steps: int, cfg: RunConfig,
             trace_path=None) -> dict:
    """Busy, paced (low-power policy) and paced-standby replays per distinct placement (approximate mode)."""
    out = {}
    for s, lay in layouts.items():
        d = digests[s]
        if d in out:
            continue
        wt = (trace_path, cfg.trace_format) if trace_path is not None and not out else None
        out[d] = (replay(spec, lay, ev[:n_busy], n_steps, cfg, write_trace=wt),
                  replay(spec, lay, ev[:n_paced], n_steps, cfg, paced=True, low_power=True),
                  replay(spec, lay, ev[:n_paced], n_steps, cfg, paced=True))
    return out


def _energy_columns(op, layouts: dict, digests: dict, replays: dict, ev, n_busy: int, n_paced: int, n_steps: int,
                    cfg: RunConfig, weight_bits_read: float) -> dict:
    """Energy, time and row-buffer columns of one (bits, policy, voltage), mean over the devices.

    Approximate mode reuses the nominal replays (timing unchanged); reliable mode replays on the
    stretched timing of ``op.spec``.
    """
    if cfg.mode != "approximate":
        replays = _replays(op.spec, layouts, digests, ev, n_busy, n_paced, n_steps, cfg)
    per_dev = []
    for s in layouts:
        rb, rp, rs = replays[digests[s]]
        per_dev.append((rb, energy_per_inference(rb, op.spec), energy_per_inference(rp, op.spec),
                        energy_per_inference(rs, op.spec)))
    mean = lambda k, i: float(np.mean([d[i][k] for d in per_dev]))  # noqa: E731
    rb = per_dev[0][0]
    n = rb.n_samples
    time_ns = float(np.mean([d[0].time_ns_per_inference for d in per_dev]))
    idle = ("background", "ref", "powerdown", "selfrefresh")
    return {"energy_busy_pj_per_inference": mean("total", 1),
            **{f"energy_busy_{k}_pj": mean(k, 1) for k in ("act", "pre", "rd", "ref", "background")},
            "energy_paced_pj_per_inference": mean("total", 2),
            **{f"energy_paced_{k}_pj": mean(k, 2) for k in idle},
            "energy_paced_standby_pj_per_inference": mean("total", 3),
            "energy_paced_idle_share": (sum(mean(k, 2) for k in idle) / mean("total", 2)   # NaN: energy not
                                        if mean("total", 2) else float("nan")),             # modelled (0)
            "paced_low_power": low_power_label(cfg),
            "dram_time_ns_per_inference": time_ns,
            "bandwidth_gbps": rb.requests / n * op.spec.organization.burst_bytes / time_ns,
            "weight_bandwidth_gbps": weight_bits_read / 8 / max(n_busy, 1) / time_ns,
            "requests_per_inference": rb.requests / n, "row_hits_per_inference": rb.row_hits / n,
            "row_misses_per_inference": rb.row_misses / n, "row_conflicts_per_inference": rb.row_conflicts / n}


_FLIP_COLUMNS = ("flips", "repaired", "effective_ber", "effective_ber_read", "effective_ber_min", "effective_ber_max")


def _error_columns(per: list, clean_correct: np.ndarray, ber: float) -> dict:
    """Accuracy, comparison and flip columns from the devices' results (``_device_accuracy``)."""
    if all(p["flips"] == 0 for p in per):
        # no stored bit flips on any device: exactly the error-free network, nothing to test
        lo, hi = stats.wilson_interval(int(clean_correct.sum()), len(clean_correct))
        return {"accuracy": float(clean_correct.mean()), "accuracy_ci_low": lo, "accuracy_ci_high": hi,
                "accuracy_device_sd": 0.0, "delta_pp": 0.0, "delta_ci_low_pp": 0.0, "delta_ci_high_pp": 0.0,
                "mcnemar_p": 1.0, "verdict": "no errors" if ber == 0 else "no flips", **dict.fromkeys(_FLIP_COLUMNS, 0.0)}
    out = _accuracy_columns(np.stack([p["correct"] for p in per]), clean_correct)
    out.update({k: float(np.mean([p[k] for p in per])) for k in _FLIP_COLUMNS[:4]})
    eff = [p["effective_ber"] for p in per]
    out.update(effective_ber_min=float(min(eff)), effective_ber_max=float(max(eff)))
    return out


def run(cfg: RunConfig, progress: bool = True, trace_dir=None) -> tuple[pd.DataFrame, dict]:
    """The main job (see the module docstring).

    ``trace_dir``: with ``cfg.trace_format`` set, the busy request trace of each (precision, policy)
    is written there as ``trace_<bits>b_<policy>.<fmt>`` (for Ramulator / DRAMsim3).

    Returns
    -------
    results : DataFrame
        One row per (bits, policy, vdd): see :data:`coupling.report.COLUMN_DOC`.
    info : dict
        Notes (standard, cached model, clean accuracies, sample counts, labels).
    """
    cfg.validate()
    spec = load_spec(cfg.standard, channels=cfg.channels, ranks=cfg.ranks)
    table = _shipped_table()
    volts = run_voltages(spec, cfg)
    cfg, lp_note = low_power_policy(spec, cfg)
    info = {"standard": spec.name, "notes": [n for n in (energy_note(spec), lp_note) if n], "rail": core_rail(spec),
            "rail_nominal_v": rail_nominal(spec), "paced_label": low_power_label(cfg),
            "ranks": spec.organization.ranks}
    model, info["model_cached"] = trained_model(cfg, progress=progress)
    Xt, yt = snn_data.load(cfg.data, "test")
    if cfg.eval_samples is not None:
        Xt, yt = Xt[:cfg.eval_samples], yt[:cfg.eval_samples]
    n_busy, n_paced = min(cfg.replay_samples, len(Xt)), min(cfg.paced_samples, len(Xt))
    _, events = infer(model, Xt[:max(n_busy, n_paced)], seed=cfg.eval_seed, record_reads=True)
    ev = [events.sample(k) for k in range(events.n_samples)]
    row_reads = np.bincount(np.concatenate([np.asarray(e[1], np.int64) for e in ev[:n_busy]]),
                            minlength=N_INPUTS).astype(np.int64)
    n_steps = model.params.n_steps
    points = {}
    for v in volts:
        op = operating_point(spec, v, mode=cfg.mode, scaling=cfg.voltage_scaling, vendor=cfg.vendor,
                             statistic=cfg.ber_statistic)
        below = cfg.ber is not None and cfg.mode == "approximate" and v < rail_nominal(spec) - 1e-9
        points[v] = (op, float(cfg.ber) if below else op.ber)
    spread = device_spread(cfg, table)
    devices = {s: fault_model(spec, cfg, points[volts[0]][0].bank_weakness, s, spread) for s in cfg.device_seeds}
    info["device_multipliers"] = {s: d.ber_multiplier for s, d in devices.items()}
    info["device_spread"] = spread
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(cfg.precisions) * len(cfg.policies) * (1 + len(volts)), desc="run", unit="step")
    rows, clean, cache = [], {}, {}
    for bits in cfg.precisions:
        W = model.network_weights(bits, cfg.rounding)
        clean[bits] = evaluate(model, Xt, yt, precision=bits, rounding=cfg.rounding, seed=cfg.eval_seed,
                               per_sample=True)
        for policy in cfg.policies:
            layouts = {s: make_layout(spec, model.n_neurons, bits, policy, dev, cfg.packing, cfg.max_weakness,
                                      cfg.controller_mapping, cfg.placement_knowledge) for s, dev in devices.items()}
            digests = {s: layout_digest(lay) for s, lay in layouts.items()}
            trace_path = None
            if cfg.trace_format and trace_dir is not None:
                Path(trace_dir).mkdir(parents=True, exist_ok=True)
                trace_path = Path(trace_dir) / f"trace_{bits}b_{policy}.{cfg.trace_format}"
            replays = _replays(spec, layouts, digests, ev, n_busy, n_paced, n_steps, cfg, trace_path) \
                if cfg.mode == "approximate" else {}
            if bar is not None:
                bar.update(1)
            for v in volts:
                op, ber = points[v]
                row = {"bits": bits, "policy": policy, "reference_policy": cfg.reference_policy,
                       "vdd_v": v, "vdd_ddr3l_v": op.vdd_table_equivalent, "ber": ber,
                       "ber_lower_bound": bool(op.ber_lower_bound), "ber_modules": op.n_modules,
                       "devices": len(devices), "distinct_layouts": len(set(digests.values())),
                       "bursts_above_threshold": int(np.mean([lay.bursts_above_threshold for lay in layouts.values()])),
                       **_energy_columns(op, layouts, digests, replays, ev, n_busy, n_paced, n_steps, cfg,
                                         float(row_reads.sum()) * model.n_neurons * bits)}
                per = [] if ber == 0 else [
                    _device_accuracy(model, W, bits, layouts[s], devices[s], ber, cfg, Xt, yt, clean[bits], row_reads,
                                     cache, (bits, digests[s], s, ber)) for s in devices]
                row.update(_error_columns(per, clean[bits]["correct_all_activity"], ber))
                row["clean_accuracy"] = clean[bits]["accuracy_all_activity"]
                rows.append(row)
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    info.update(clean_accuracy={b: clean[b]["accuracy_all_activity"] for b in clean}, replay_samples=n_busy,
                paced_samples=n_paced, eval_samples=int(len(yt)), voltages=volts)
    return pd.DataFrame(rows), info
