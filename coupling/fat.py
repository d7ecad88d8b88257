"""Fault-aware training (FAT): continue STDP training while the forward pass sees DRAM bit errors.

EDEN-style curriculum (Koppula et al., MICRO 2019, curricular retraining as the template): start
from a trained model and train further on ``samples_per_step`` training samples per step, the
BER raised step by step (default: one decade per step, from ``target / 1000`` up to the target,
i.e. 1e-6, 1e-5, 1e-4, 1e-3 for a target of 1e-3), because jumping straight to a high BER
collapses accuracy. In every training sample the forward pass integrates the weights as read
from the DRAM (quantized to ``bits``, bits flipped by the error model at the DRAM locations the
mapping assigns), while STDP updates the clean float weights (:func:`snn.network.train`'s
``forward_weights`` hook). With ``cfg.error_mode = "persistent"`` (default) the flips are the
device's weak cells at the step's BER -- the same cells ``enforcesnn run`` and ``tolerance`` flip
for that device, placement and BER (:meth:`coupling.faults.FaultModel.persistent_flips`; a
curriculum step's cells contain the previous step's) -- so FAT learns around *this* device's
faults; with ``"transient"`` every weight-row read of the forward pass sees its own
draw (per-read errors, as inference sees them: :func:`snn.network.train` takes the per-read
:class:`coupling.weights.DramWeightSource` the hook returns, and the flips of training sample
``k`` of step ``s`` come from ``Generator([fat_seed, s, 2, k])``). Labels are re-assigned at the end of every step from that step's spike counts (so the
final labels come from the network seeing errors at the target BER).

``location_aware=False`` is the comparison baseline: the same curriculum with errors
uniform over the weight bits (EDEN model 0, no bank weakness), ignoring where the mapping puts
them. ``target_ber=0`` (or an all-zero schedule) is plain continued training, the control that
separates the effect of errors in the forward pass from the effect of more training.

Transient draws use ``device_seed = fat_seed`` and ``draw_key = s`` (step index, never a BER
key), so they are independent of the evaluation draws, and -- samples running one after the
other -- of the Numba thread count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coupling.config import RunConfig
from coupling.faults import ErrorProfile, FaultModel, apply_flips
from coupling.layout import Geometry
from coupling.plausibility import WriteRecord
from coupling.tolerance import device
from coupling.transient import RowFlipTable
from coupling.weights import DramWeightSource, repair_float
from dramsim.errors import InputError
from snn.network import Model, train
from snn.quantize import check_precision, from_codes, quantize, to_codes


def parse_schedule(text: str | None, target_ber: float, steps: int = 4) -> list[float]:
    """Curriculum BERs: a comma-separated list, or ``None`` for ``steps`` decades ending at the target.

    Raises
    ------
    InputError
        Not numbers, outside [0, 1], not non-decreasing, or not ending at the target.
    """
    if not 0 <= target_ber <= 1:
        raise InputError(f"--target-ber {target_ber!r}: expected a probability in [0, 1]")
    if text is None or str(text).strip() == "":
        if int(steps) < 1:
            raise InputError("schedule: expected at least one step")
        return [float(f"{target_ber * 10.0 ** (k - steps + 1):.6g}") for k in range(int(steps))]
    try:
        bers = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--schedule {text!r}: expected a comma-separated list of BERs") from None
    if not bers or any(not 0 <= b <= 1 for b in bers):
        raise InputError(f"--schedule {text!r}: every BER must be in [0, 1]")
    if any(b2 < b1 for b1, b2 in zip(bers, bers[1:])):
        raise InputError(f"--schedule {text!r}: BERs must not decrease (a curriculum)")
    if abs(bers[-1] - target_ber) > 1e-12 * max(1.0, target_ber):
        raise InputError(f"--schedule {text!r}: the last step must be the target BER {target_ber:g}")
    return bers


class CorruptedForward:
    """The ``forward_weights`` callback of :func:`snn.network.train`: weights as read from DRAM.

    Parameters
    ----------
    bits : int
        Stored precision (32 = float32 bit patterns).
    layout, faults
        Where the bits are and the device's weak cells.
    ber : float
        Device-mean BER of this curriculum step.
    cfg : RunConfig
        rounding, float_repair, plausibility_repair (the forward pass is repaired as inference is;
        the record is taken from each sample's quantized weights, as written).
    seed, step : int
        Seed the flips (``device_seed = seed``, ``draw_key = step``, transient per sample).
    w_norm : float, optional
        ``plausibility_repair: weight-sum``: the weight-sum normalisation constant.
    """

    def __init__(self, bits: int, layout, faults, ber: float, cfg: RunConfig, seed: int, step: int,
                 w_norm: float | None = None):
        self.bits, self.layout, self.faults, self.ber = bits, layout, faults, float(ber)
        self.w_norm = w_norm
        self.cfg, self.seed, self.step = cfg, int(seed), int(step)
        self.flips = 0
        self._positions = None        # persistent, models 0-2: the failing cells do not depend on the data
        self._table = None            # transient: candidate cells of (layout, faults, ber)

    def __call__(self, Wf: np.ndarray, k: int) -> np.ndarray:
        Wq = quantize(Wf, self.bits, self.cfg.rounding, rng=[self.seed, self.step, k])
        if self.ber == 0:
            return Wq
        if self.cfg.error_mode == "transient":
            if self._table is None:
                self._table = RowFlipTable(self.layout, self.faults, self.ber)
            return _CountingSource(self, DramWeightSource(
                Wq, self.bits, self.layout, self.faults, self.ber, mode="transient", device_seed=self.seed,
                draw_key=self.step, float_repair=self.cfg.float_repair, flip_table=self._table,
                plausibility=self.cfg.plausibility_repair, w_norm=self.w_norm, rounding=self.cfg.rounding))
        codes = to_codes(Wq, self.bits)
        pos = self._positions
        if pos is None:
            pos = self.faults.persistent_flips(self.layout, self.ber, codes)
            if self.faults.profile.model != 3:
                self._positions = pos
        self.flips += len(pos)
        read = apply_flips(codes, self.layout, pos)
        record = WriteRecord.at_write(Wq if self.bits == 32 else codes, self.bits, self.cfg.plausibility_repair,
                                      self.w_norm, self.cfg.rounding)
        if self.bits == 32:
            W, _ = record.repair_matrix(repair_float(from_codes(read, 32), self.cfg.float_repair))
        else:
            W = from_codes(record.repair_matrix(read)[0], self.bits)
        return np.ascontiguousarray(W, dtype=np.float32)


class _CountingSource:
    """A per-read source that adds the flips of each sample's reads to its owner's ``flips``."""

    per_read = True

    def __init__(self, owner: CorruptedForward, source: DramWeightSource):
        self.owner, self.source = owner, source

    def base_weights(self) -> np.ndarray:
        return self.source.base_weights()

    def read_corrections(self, sample_index: int, rows):
        out = self.source.read_corrections(sample_index, rows)
        self.owner.flips += self.source.last_flips
        return out


def uniform_faults(geometry: Geometry, seed: int) -> FaultModel:
    """Location-unaware errors: EDEN model 0 without bank weakness (every bit equally likely)."""
    return FaultModel(geometry, ErrorProfile(model=0), seed)


@dataclass
class FatResult:
    """Outcome of :func:`fault_aware_training`.

    Attributes
    ----------
    model : snn.network.Model
        The retrained model (``extra["fat"]`` records the settings).
    history : DataFrame
        One row per step: step, ber, samples, flips_per_sample, window_accuracy (mean training
        accuracy of the step's windows, measured with the labels before each window).
    """

    model: Model
    history: pd.DataFrame


def fault_aware_training(model: Model, images, labels, cfg: RunConfig, target_ber: float,
                         schedule=None, samples_per_step: int = 1000, bits: int | None = None,
                         policy: str = "drmap", location_aware: bool = True, seed: int = 0,
                         update_interval: int = 250, progress: bool = False) -> FatResult:
    """Retrain ``model`` with the forward pass seeing errors (see the module docstring).

    Parameters
    ----------
    model : snn.network.Model
        The trained starting point (not modified).
    images, labels : training data
        Steps take consecutive slices of ``samples_per_step`` samples, wrapping around.
    cfg : RunConfig
        Error and DRAM settings (error_model and its parameters, bank_weakness, vendor, standard,
        packing, max_weakness, rounding, float_repair, plausibility_repair); ``cfg.device_seed`` selects the device
        whose weak lines (models 1, 2) the location-aware training sees.
    target_ber : float
    schedule : sequence of float or str, optional
        Curriculum BERs (see :func:`parse_schedule`); default 4 decades ending at the target.
    samples_per_step : int
    bits : int, optional
        Precision of the stored weights (default: the model's).
    policy : str
        Mapping policy (where the bits are).
    location_aware : bool
        False: uniform errors ignoring location.
    seed : int
        Seeds the training input spikes and the flips.
    """
    bits = model.precision_bits if bits is None else check_precision(bits)
    if schedule is None or isinstance(schedule, str):
        bers = parse_schedule(schedule, float(target_ber))
    else:
        bers = parse_schedule(",".join(repr(float(b)) for b in schedule), float(target_ber))
    if int(samples_per_step) < 1:
        raise InputError(f"samples_per_step is {samples_per_step!r}; expected >= 1")
    images = np.asarray(images)
    labels = np.asarray(labels)
    n = len(images)
    if n == 0 or len(labels) != n:
        raise InputError("fat: expected a non-empty training set with one label per image")
    cfg.validate()
    _, layout, faults = device(cfg, model.n_neurons, bits, policy, cfg.device_seed)
    if not location_aware:
        faults = uniform_faults(faults.geometry, cfg.device_seed)
    current = model
    rows = []
    start = 0
    m = int(samples_per_step)
    for step, ber in enumerate(bers):
        idx = (start + np.arange(m)) % n
        start = (start + m) % n
        fwd = CorruptedForward(bits, layout, faults, ber, cfg, seed, step, model.params.w_norm)
        current, hist = train(images[idx], labels[idx], n_neurons=model.n_neurons, epochs=1, params=model.params,
                              seed=[int(seed), 0xFA7, step], precision=bits, rounding=cfg.rounding,
                              update_interval=update_interval, progress=progress, init=current,
                              forward_weights=fwd)
        wa = hist["window_accuracy"]
        rows.append({"step": step, "ber": ber, "samples": m, "flips_per_sample": fwd.flips / m,
                     "window_accuracy": float(np.mean(wa)) if wa else float("nan")})
    current.extra = dict(model.extra, fat={
        "target_ber": float(target_ber), "schedule": bers, "samples_per_step": m, "bits": bits, "policy": policy,
        "location_aware": bool(location_aware), "seed": int(seed), "error_model": cfg.error_model,
        "bank_weakness": cfg.bank_weakness, "device_seed": cfg.device_seed, "standard": cfg.standard,
        "plausibility_repair": cfg.plausibility_repair})
    current.seed = model.seed
    return FatResult(current, pd.DataFrame(rows))

