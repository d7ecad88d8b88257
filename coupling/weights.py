"""The weight source that reads the SNN's weights from approximate DRAM: bit errors before the neurons.

:class:`DramWeightSource` implements the :class:`snn.weights.WeightSource` protocol. It holds the
stored integer codes (:func:`snn.quantize.to_codes`), where each bit lives
(:class:`coupling.layout.WeightLayout`) and the device's weak cells
(:class:`coupling.faults.FaultModel`), and hands the engine the decoded, corrupted matrix:

``mode="persistent"`` (default)
    Low-voltage errors are properties of weak cells: for one device (``device_seed``) at one
    operating point (``draw_key``, e.g. the voltage in 0.1 mV) the same cells flip on every read.
    The flips are drawn once from ``Generator([device_seed, draw_key])`` and the corrupted
    matrix is computed once (``is_static = True``).
``mode="transient"``
    Flips are re-drawn for every read of the matrix, i.e. for every sample ``k`` (the engine
    integrates one matrix per sample), from ``Generator([device_seed, draw_key, 1, k])``: the
    same seed gives the same flips, independently of the order samples are run in.

Float32 baseline (``bits=32``): a flipped exponent bit can make a weight huge, negative or NaN.
``float_repair`` decides what the neuron sees (as EDEN, which replaces implausible values):
``"zero"`` (default) -- a non-finite value or one outside ``[0, w_max]`` becomes 0;
``"clip"`` -- non-finite becomes 0, the rest is clipped to ``[0, w_max]``;
``"none"`` -- passed on as decoded (NaN/inf are still replaced by 0 so the kernel stays finite).
Fixed-point codes always decode inside ``[0, 1)``; no repair applies to them.
"""
from __future__ import annotations

import numpy as np

from coupling.faults import FaultModel, apply_flips
from coupling.layout import WeightLayout
from dramsim.errors import InputError
from snn.quantize import from_codes, to_codes

FLOAT_REPAIRS = ("zero", "clip", "none")
ERROR_MODES = ("persistent", "transient")


def repair_float(W: np.ndarray, how: str = "zero", w_max: float = 1.0) -> np.ndarray:
    """Apply the float32 repair rule (see the module docstring) to decoded weights."""
    if how not in FLOAT_REPAIRS:
        raise InputError(f"float_repair is {how!r}; expected one of {', '.join(FLOAT_REPAIRS)}")
    W = np.array(W, dtype=np.float32, copy=True)
    bad = ~np.isfinite(W)
    if how == "zero":
        bad |= (W < 0) | (W > w_max)
        W[bad] = 0.0
    elif how == "clip":
        W[bad] = 0.0
        np.clip(W, 0.0, w_max, out=W)
    else:
        W[bad] = 0.0
    return W


class DramWeightSource:
    """Weights as read from approximate DRAM (a :class:`snn.weights.WeightSource`).

    Parameters
    ----------
    W : ndarray, shape (n_inputs, n_neurons)
        The quantized weights the network integrates (on the grid of ``bits``; float32 for 32).
    bits : int
        Precision (32 = float32 bit patterns).
    layout : WeightLayout
        Where every bit is stored (same shape and bits).
    faults : FaultModel
        The device's weak cells and error model.
    ber : float
        Device-mean bit error rate at the operating point.
    mode : {"persistent", "transient"}
    device_seed, draw_key : int
        Seed the flips (see the module docstring).
    float_repair : {"zero", "clip", "none"}
    w_max : float
        Largest plausible weight (Diehl & Cook weights lie in [0, 1]).
    """

    def __init__(self, W, bits: int, layout: WeightLayout, faults: FaultModel, ber: float,
                 mode: str = "persistent", device_seed: int = 0, draw_key: int = 0,
                 float_repair: str = "zero", w_max: float = 1.0):
        if mode not in ERROR_MODES:
            raise InputError(f"error mode is {mode!r}; expected one of {', '.join(ERROR_MODES)}")
        if float_repair not in FLOAT_REPAIRS:
            raise InputError(f"float_repair is {float_repair!r}; expected one of {', '.join(FLOAT_REPAIRS)}")
        if not 0 <= ber <= 1:
            raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")
        W = np.asarray(W, dtype=np.float32)
        if W.shape != (layout.n_inputs, layout.n_neurons) or bits != layout.bits:
            raise InputError(f"weights {W.shape} at {bits} bits do not match the layout "
                             f"({layout.n_inputs}, {layout.n_neurons}) at {layout.bits} bits")
        self.bits = bits
        self.codes = to_codes(W, bits)
        self.clean = from_codes(self.codes, bits)
        self.layout, self.faults, self.ber = layout, faults, float(ber)
        self.mode, self.device_seed, self.draw_key = mode, int(device_seed), int(draw_key)
        self.float_repair, self.w_max = float_repair, float(w_max)
        self.is_static = mode == "persistent"
        self.last_flips = 0
        self._static = None
        if self.is_static:
            rng = np.random.default_rng([self.device_seed, self.draw_key])
            self._static = self._read(rng)

    def _read(self, rng: np.random.Generator) -> np.ndarray:
        if self.ber == 0:
            self.last_flips = 0
            return self.clean
        pos = self.faults.sample_flips(self.layout, self.ber, rng, self.codes)
        self.last_flips = len(pos)
        W = from_codes(apply_flips(self.codes, self.layout, pos), self.bits)
        if self.bits == 32:
            W = repair_float(W, self.float_repair, self.w_max)
        return np.ascontiguousarray(W, dtype=np.float32)

    def weights(self, sample_index: int) -> np.ndarray:
        """The matrix the network integrates for sample ``sample_index``."""
        if self.is_static:
            return self._static
        rng = np.random.default_rng([self.device_seed, self.draw_key, 1, int(sample_index)])
        return self._read(rng)
