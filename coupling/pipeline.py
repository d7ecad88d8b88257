"""The main job as library functions: model -> quantized weights -> DRAM layout -> traces -> energy, errors -> accuracy.

:func:`run` does what ``enforcesnn run`` does and returns one DataFrame with a row per
(precision, policy, voltage). Smaller pieces, usable on their own:

* :func:`trained_model` -- train, or load the cached model;
* :func:`make_layout` -- place a weight matrix with a policy (error-aware ones see the device's weak cells);
* :func:`replay` -- the accelerator's weight reads of some samples through dramsim: commands,
  row-buffer outcomes, DRAM time, and energy per inference at each voltage (approximate mode
  keeps nominal timing, so one simulation serves every voltage; reliable mode simulates each);
* :func:`accuracy_with_errors` -- test accuracy with the weights read from approximate DRAM.

Energy per inference is the total DRAM energy (DRAMPower terms, pJ) of replaying
``replay_samples`` samples divided by their number; DRAM time per inference likewise (with
``arrival: saturate`` it is the time the DRAM needs to deliver the reads back to back);
throughput is bytes delivered / DRAM time (GB/s).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coupling.access import buffer_bursts, burst_reads, request_trace
from coupling.config import RunConfig
from coupling.faults import ErrorProfile, FaultModel
from coupling.layout import Geometry, WeightLayout
from coupling.weights import DramWeightSource
from dramsim.energy import compute_energy, core_rail
from dramsim.mapping import AddressMapping
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from dramsim.voltage import load_table, operating_point
from snn import data as snn_data
from snn.io import load_model, save_model
from snn.network import evaluate, infer, train
from snn.params import preset

N_INPUTS = 784


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
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(cfg.cache_dir).expanduser() / f"dc{cfg.neurons}_{digest}.npz"
    if path.exists():
        return load_model(path), True
    X, y = snn_data.load(cfg.data, "train")
    if cfg.train_limit is not None:
        X, y = X[:cfg.train_limit], y[:cfg.train_limit]
    model, _ = train(X, y, cfg.neurons, cfg.epochs, preset(cfg.preset), seed=cfg.train_seed, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(path, model)
    return model, False


def device_voltage(spec, v_table_scale: float) -> float:
    """A voltage on the voltage table's scale (DDR3L, 1.35 V) converted to the spec's core rail."""
    table = load_table(None, spec.standard)
    nominal = spec.rail(core_rail(spec)).voltage_v
    return float(v_table_scale) * nominal / table.nominal_vdd


def fault_model(spec, cfg: RunConfig, bank_weakness=None) -> FaultModel:
    """The device's weak cells under the configured EDEN model (and vendor bank weakness)."""
    profile = ErrorProfile(model=cfg.error_model, weak_bitline_fraction=cfg.weak_bitline_fraction,
                           weak_wordline_fraction=cfg.weak_wordline_fraction,
                           one_to_zero_share=cfg.one_to_zero_share,
                           bank_weakness=tuple(bank_weakness) if (cfg.bank_weakness and bank_weakness is not None) else None)
    return FaultModel(Geometry.from_spec(spec), profile, cfg.device_seed)


def make_layout(spec, n_neurons: int, bits: int, policy: str, faults: FaultModel | None = None,
                packing: str = "weight", max_weakness: float | None = None) -> WeightLayout:
    """Place a ``784 x n_neurons`` matrix of ``bits``-bit weights with ``policy`` on ``spec``'s device."""
    weakness = faults.region_weakness() if (policy == "enforcesnn" and faults is not None) else None
    return WeightLayout(Geometry.from_spec(spec), N_INPUTS, n_neurons, bits, policy,
                        packing=packing if policy == "enforcesnn" else "weight",
                        region_weakness=weakness, max_weakness=max_weakness)


@dataclass
class Replay:
    """Outcome of replaying the weight reads of some samples (see :func:`replay`)."""

    requests: int
    row_hits: int
    row_misses: int
    row_conflicts: int
    cycles: int
    time_ns: float
    n_samples: int
    commands: object
    spec: object

    @property
    def time_ns_per_inference(self) -> float:
        return self.time_ns / self.n_samples

    def throughput_gbps(self, burst_bytes: int) -> float:
        return self.requests * burst_bytes / self.time_ns if self.time_ns > 0 else 0.0


def replay(spec, layout: WeightLayout, events, n_steps: int, cfg: RunConfig, write_trace=None) -> Replay:
    """Simulate the accelerator's weight reads of the recorded samples on ``spec``.

    Parameters
    ----------
    events : list of (steps, inputs)
        Input-spike events per sample (``ReadEvents.sample(k)``).
    write_trace : (path, fmt), optional
        Also write the request trace (``fmt``: ``ramulator2``, ``ramulator1``, ``dramsim3``, ``npz``;
        via :func:`traces.write_requests`) for replay in Ramulator or DRAMsim3.
    """
    amap = AddressMapping(spec, cfg.controller_mapping)
    reads = burst_reads(layout, events, n_steps, cfg.access)
    trace = request_trace(reads, layout.addresses(amap), tck_ns=spec.timing.tck_ns, step_ns=cfg.step_ns,
                          arrival=cfg.arrival,
                          buffer_capacity_bursts=buffer_bursts(cfg.buffer_kib, spec.organization.burst_bytes))
    if write_trace is not None:
        from traces import write_requests
        write_requests(trace, *write_trace)
    res = simulate(spec, trace, mapping=cfg.controller_mapping, row_policy=cfg.row_policy, refresh=cfg.refresh,
                   arrival="saturate" if cfg.arrival == "saturate" else "trace")
    s = res.stats
    return Replay(len(trace), int(s["row_hits"]), int(s["row_misses"]), int(s["row_conflicts"]), int(res.cycles),
                  float(res.cycles * spec.timing.tck_ns), len(events), res.commands, spec)


def energy_per_inference(rep: Replay, spec) -> dict:
    """DRAM energy per inference by component (pJ) of a replay, evaluated on ``spec`` (e.g. at a voltage)."""
    e = compute_energy(spec, rep.commands, rep.cycles)
    n = rep.n_samples
    return {f"energy_{k}_pj": getattr(e, k) / n for k in ("total", "act", "pre", "rd", "ref", "background")}


def accuracy_with_errors(model, W, bits, layout, faults, ber, cfg: RunConfig, images, labels, draw_key: int):
    """Test accuracy (both readouts) with the weights read through approximate DRAM at ``ber``."""
    src = DramWeightSource(W, bits, layout, faults, ber, mode=cfg.error_mode, device_seed=cfg.device_seed,
                           draw_key=draw_key, float_repair=cfg.float_repair)
    res = evaluate(model, images, labels, weights=src, seed=cfg.eval_seed)
    res["flips"] = src.last_flips
    return res


def run(cfg: RunConfig, progress: bool = True, trace_dir=None) -> tuple[pd.DataFrame, dict]:
    """The main job (see the module docstring).

    ``trace_dir``: with ``cfg.trace_format`` set, the request trace of each (precision, policy)
    is written there as ``trace_<bits>b_<policy>.<fmt>`` (for Ramulator / DRAMsim3).

    Returns
    -------
    results : DataFrame
        One row per (bits, policy, vdd): energy per inference by component (pJ), DRAM time per
        inference (ns), throughput (GB/s), row hits/misses/conflicts per inference, BER, bit flips
        in the stored weights, accuracies (all-activity and proportion readouts).
    info : dict
        Notes (substituted standard, cached model, clean accuracies).
    """
    cfg.validate()
    spec = load_spec(cfg.standard, channels=cfg.channels, ranks=cfg.ranks)
    info = {"standard": spec.name, "notes": []}
    model, cached = trained_model(cfg, progress=progress)
    info["model_cached"] = cached
    Xt, yt = snn_data.load(cfg.data, "test")
    if cfg.eval_samples is not None:
        Xt, yt = Xt[:cfg.eval_samples], yt[:cfg.eval_samples]
    n_replay = min(cfg.replay_samples, len(Xt))
    _, events = infer(model, Xt[:n_replay], seed=cfg.eval_seed, record_reads=True)
    ev = [events.sample(k) for k in range(events.n_samples)]
    n_steps = model.params.n_steps
    points = {}
    for v in cfg.voltages:
        vdd = device_voltage(spec, v)
        op = operating_point(spec, vdd, mode=cfg.mode, scaling=cfg.voltage_scaling, vendor=cfg.vendor,
                             statistic=cfg.ber_statistic)
        ber = op.ber
        if cfg.ber is not None and cfg.mode == "approximate" and v < max(cfg.voltages):
            ber = float(cfg.ber)
        points[v] = (op, ber)
    faults = fault_model(spec, cfg, points[cfg.voltages[0]][0].bank_weakness)
    rows = []
    bar = None
    total = len(cfg.precisions) * len(cfg.policies) * (1 + len(cfg.voltages))
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=total, desc="run", unit="step")
    clean = {}
    for bits in cfg.precisions:
        W = model.network_weights(bits, cfg.rounding)
        clean[bits] = evaluate(model, Xt, yt, precision=bits, rounding=cfg.rounding, seed=cfg.eval_seed)
        for policy in cfg.policies:
            layout = make_layout(spec, model.n_neurons, bits, policy, faults, cfg.packing, cfg.max_weakness)
            wt = None
            if cfg.trace_format and trace_dir is not None:
                Path(trace_dir).mkdir(parents=True, exist_ok=True)
                wt = (Path(trace_dir) / f"trace_{bits}b_{policy}.{cfg.trace_format}", cfg.trace_format)
            rep = replay(spec, layout, ev, n_steps, cfg, write_trace=wt) if cfg.mode == "approximate" else None
            if bar is not None:
                bar.update(1)
            for v in cfg.voltages:
                op, ber = points[v]
                r = rep if rep is not None else replay(op.spec, layout, ev, n_steps, cfg)
                row = {"bits": bits, "policy": policy, "vdd_table_v": v, "vdd_v": op.vdd, "ber": ber,
                       **energy_per_inference(r, op.spec),
                       "dram_time_ns_per_inference": r.time_ns_per_inference,
                       "throughput_gbps": r.throughput_gbps(spec.organization.burst_bytes),
                       "requests_per_inference": r.requests / r.n_samples,
                       "row_hits_per_inference": r.row_hits / r.n_samples,
                       "row_misses_per_inference": r.row_misses / r.n_samples,
                       "row_conflicts_per_inference": r.row_conflicts / r.n_samples,
                       "bursts_above_threshold": layout.bursts_above_threshold}
                if ber > 0:
                    acc = accuracy_with_errors(model, W, bits, layout, faults, ber, cfg, Xt, yt,
                                               draw_key=int(round(v * 1e4)))
                else:
                    acc = dict(clean[bits], flips=0)
                row.update(accuracy=acc["accuracy_all_activity"], accuracy_proportion=acc["accuracy_proportion"],
                           flips=acc["flips"])
                rows.append(row)
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    info["clean_accuracy"] = {b: clean[b]["accuracy_all_activity"] for b in clean}
    info["replay_samples"] = n_replay
    info["eval_samples"] = int(len(yt))
    return pd.DataFrame(rows), info
