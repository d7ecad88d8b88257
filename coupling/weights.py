"""The weight source that reads the SNN's weights from approximate DRAM: bit errors before the neurons.

:class:`DramWeightSource` implements the :class:`snn.weights.WeightSource` protocol. It holds the
stored integer codes (:func:`snn.quantize.to_codes`), where each bit lives
(:class:`coupling.layout.WeightLayout`) and the device's weak cells
(:class:`coupling.faults.FaultModel`), and hands the engine the decoded, corrupted matrix:

``mode="persistent"`` (default)
    Low-voltage errors are properties of weak cells: the device's cells whose fixed failure
    threshold lies below their flip probability at ``ber`` flip on every read
    (:meth:`coupling.faults.FaultModel.persistent_flips`; nested across BER and voltage, no
    randomness beyond the device). The corrupted matrix is computed once (``is_static = True``).
``mode="transient"``
    Flips are re-drawn for every read of a weight row: each input spike makes the accelerator
    read that input's row, and each read flips every bit of the row independently with the
    probability of the cell holding it (:mod:`coupling.transient`; cost proportional to the
    flips). The source is a per-read source (``per_read = True``, see :mod:`snn.weights`):
    :func:`snn.network.infer` integrates the clean matrix (:meth:`DramWeightSource.base_weights`)
    and replaces, read by read, the weights whose bits flipped
    (:meth:`DramWeightSource.read_corrections`). The flips of sample ``k`` come from
    ``Generator([device_seed, draw_key, 2, k])``, consumed in read order: the same seed gives the
    same flips, independently of the order samples are run in, and two reads of one row in a
    sample get independent flips.

    :meth:`DramWeightSource.weights` of a transient source is one read of the *whole* matrix
    per sample (flips from ``Generator([device_seed, draw_key, 1, k])``); fault-aware training
    (:mod:`coupling.fat`), whose forward pass integrates one matrix per sample, uses that.

Float32 baseline (``bits=32``): a flipped exponent bit can make a weight huge, negative or NaN.
``float_repair`` decides what the neuron sees (as EDEN, which replaces implausible values):
``"zero"`` (default) -- a non-finite value or one outside ``[0, w_max]`` becomes 0;
``"clip"`` -- non-finite becomes 0, the rest is clipped to ``[0, w_max]``;
``"none"`` -- passed on as decoded (NaN/inf are still replaced by 0 so the kernel stays finite).
Fixed-point codes always decode inside ``[0, 1)``; ``float_repair`` does not apply to them.

``plausibility`` (default ``"none"``) adds EDEN's plausibility check at every precision
(:mod:`coupling.plausibility`): the record it needs (a layer or per-neuron bound, or per-neuron
weight sums) is taken from the words when they are written; each read is checked against it
(float32: after ``float_repair``). ``repaired`` counts the values both rules changed (persistent:
in the matrix; transient: in the last sample's reads); results report it per point.
"""
from __future__ import annotations

import numpy as np

from coupling.faults import FaultModel, apply_flips
from coupling.layout import WeightLayout
from coupling.plausibility import WriteRecord, check_rule
from coupling.transient import RowFlipTable
from dramsim.errors import InputError
from snn.quantize import from_codes, to_codes

FLOAT_REPAIRS = ("zero", "clip", "none")


def ber_key(ber: float) -> int:
    """Draw key of a BER for transient errors (``round(-log10(ber) x 1000)``; 0 for BER 0).

    Every command keys transient draws by the BER, so the same device, placement and BER give the
    same per-read flips in ``run``, ``tolerance``, ``select`` and ``sweep``.
    """
    import math
    return int(round(-math.log10(ber) * 1000)) if ber > 0 else 0
ERROR_MODES = ("persistent", "transient")


def repair_float(W: np.ndarray, how: str = "zero", w_max: float = 1.0, counts: bool = False):
    """Apply the float32 repair rule (see the module docstring) to decoded weights.

    With ``counts=True`` returns ``(W, repaired)``: the number of values the rule changed.
    """
    if how not in FLOAT_REPAIRS:
        raise InputError(f"float_repair is {how!r}; expected one of {', '.join(FLOAT_REPAIRS)}")
    W = np.array(W, dtype=np.float32, copy=True)
    bad = ~np.isfinite(W)
    if how in ("zero", "clip"):
        bad |= (W < 0) | (W > w_max)
    repaired = int(bad.sum())
    if how == "clip":
        W[~np.isfinite(W)] = 0.0
        np.clip(W, 0.0, w_max, out=W)
    else:
        W[bad] = 0.0
    return (W, repaired) if counts else W


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
        Persistent: a static source (``is_static``). Transient: a per-read source
        (``per_read``; :meth:`base_weights` and :meth:`read_corrections`).
    device_seed, draw_key : int
        Transient mode: seed the per-read draws (see the module docstring). Persistent flips
        depend only on the device (``faults``) and ``ber``.
    float_repair : {"zero", "clip", "none"}
    plausibility : str
        A rule of :data:`coupling.plausibility.PLAUSIBILITY_REPAIRS` (default ``"none"``); the sum
        rules need ``mode="persistent"``.
    w_norm : float, optional
        ``plausibility="weight-sum"``: each neuron's weight-sum normalisation constant.
    rounding : str
        ``plausibility="weight-sum"``: the rounding the weights were quantized with.
    w_max : float
        Largest plausible weight (Diehl & Cook weights lie in [0, 1]).
    flip_table : RowFlipTable, optional
        Transient mode: the candidate cells of this layout, fault model and BER, shared between
        sources (it depends on neither the weights nor the seeds; built on first use otherwise).
    """

    def __init__(self, W, bits: int, layout: WeightLayout, faults: FaultModel, ber: float,
                 mode: str = "persistent", device_seed: int = 0, draw_key: int = 0,
                 float_repair: str = "zero", w_max: float = 1.0, flip_table: RowFlipTable | None = None,
                 plausibility: str = "none", w_norm: float | None = None, rounding: str = "nearest"):
        if mode not in ERROR_MODES:
            raise InputError(f"error mode is {mode!r}; expected one of {', '.join(ERROR_MODES)}")
        if float_repair not in FLOAT_REPAIRS:
            raise InputError(f"float_repair is {float_repair!r}; expected one of {', '.join(FLOAT_REPAIRS)}")
        if not 0 <= ber <= 1:
            raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")
        check_rule(plausibility, mode)
        W = np.asarray(W, dtype=np.float32)
        if W.shape != (layout.n_inputs, layout.n_neurons) or bits != layout.bits:
            raise InputError(f"weights {W.shape} at {bits} bits do not match the layout "
                             f"({layout.n_inputs}, {layout.n_neurons}) at {layout.bits} bits")
        self.bits = bits
        self.codes = to_codes(W, bits)
        self.clean = from_codes(self.codes, bits)
        self.record = WriteRecord.at_write(self.clean if bits == 32 else self.codes, bits, plausibility, w_norm,
                                           rounding)
        self.layout, self.faults, self.ber = layout, faults, float(ber)
        self.mode, self.device_seed, self.draw_key = mode, int(device_seed), int(draw_key)
        self.float_repair, self.w_max = float_repair, float(w_max)
        self.is_static = mode == "persistent"
        self.per_read = mode == "transient"
        self.last_flips = 0
        self.repaired = 0
        self.total_flips = 0          # transient: flips over every read_corrections call
        self.total_bits_read = 0      # transient: weight bits those reads delivered
        self.flip_positions = np.zeros(0, np.int64)
        self._static = None
        self._table = flip_table
        if flip_table is not None and (flip_table.layout is not layout or flip_table.faults is not faults
                                       or flip_table.ber != self.ber):
            raise InputError("flip_table: built for another layout, fault model or BER")
        if self.is_static:
            self._static = self._read(None)

    def _read(self, rng: np.random.Generator | None) -> np.ndarray:
        """The decoded matrix after one read: persistent flips when ``rng`` is None, else fresh ones."""
        if self.ber == 0:
            self.last_flips = self.repaired = 0
            return self.clean
        if rng is None:
            pos = self.faults.persistent_flips(self.layout, self.ber, self.codes)
            self.flip_positions = pos
        else:
            pos = self.faults.sample_flips(self.layout, self.ber, rng, self.codes)
        self.last_flips = len(pos)
        read = apply_flips(self.codes, self.layout, pos)
        if self.bits == 32:
            W, n_float = repair_float(from_codes(read, 32), self.float_repair, self.w_max, counts=True)
            W, n_plaus = self.record.repair_matrix(W)
        else:
            read, n_plaus = self.record.repair_matrix(read)
            W, n_float = from_codes(read, self.bits), 0
        self.repaired = n_float + n_plaus
        return np.ascontiguousarray(W, dtype=np.float32)

    def weights(self, sample_index: int) -> np.ndarray:
        """The matrix of sample ``sample_index``: persistent, the corrupted matrix; transient, one
        read of the whole matrix with its own flips (for one-matrix-per-sample users such as FAT)."""
        if self.is_static:
            return self._static
        rng = np.random.default_rng([self.device_seed, self.draw_key, 1, int(sample_index)])
        return self._read(rng)

    def base_weights(self) -> np.ndarray:
        """The clean decoded matrix (what a read returns where no bit flipped)."""
        return self.clean

    def read_corrections(self, sample_index: int, rows):
        """Transient mode: the weights changed by bit flips on each row read of one sample.

        Parameters
        ----------
        sample_index : int
            Sample ``k`` (seeds its flips).
        rows : int (m,)
            Weight row of each read of the sample, in read order (``ReadEvents.input``).

        Returns
        -------
        indptr : int64 (m + 1,)
        cols : int32
        values : float32
            Read ``r`` delivers ``values[c]`` to neuron ``cols[c]`` for ``c`` in
            ``indptr[r]:indptr[r + 1]`` instead of the clean weight (decoded corrupted code;
            float32 repaired by ``float_repair``; then the ``plausibility`` max rules).
            ``last_flips`` becomes the sample's flip count.
        """
        if not self.per_read:
            raise InputError("read_corrections: only a transient-mode source has per-read errors")
        rows = np.asarray(rows, dtype=np.int64)
        m = len(rows)
        N = self.layout.n_neurons
        if self.ber == 0 or m == 0:
            self.last_flips = 0
            self.total_bits_read += m * N * self.bits
            return np.zeros(m + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
        if self._table is None:
            self._table = RowFlipTable(self.layout, self.faults, self.ber)
        rng = np.random.default_rng([self.device_seed, self.draw_key, 2, int(sample_index)])
        read, pos = self._table.sample(rows, int(rng.integers(0, 2**63)))
        i, j, k = self.layout.weight_of(pos)
        if self.faults.profile.model == 3 and len(pos):
            value = (self.codes[i, j].astype(np.uint64) >> k.astype(np.uint64)) & np.uint64(1)
            keep = self.faults.keep_by_value(value, rng)
            read, pos, i, j, k = read[keep], pos[keep], i[keep], j[keep], k[keep]
        self.last_flips = len(pos)
        self.total_flips += len(pos)
        self.total_bits_read += m * N * self.bits
        key = read * N + j
        order = np.argsort(key, kind="stable")
        key, masks = key[order], np.left_shift(np.uint64(1), k[order].astype(np.uint64))
        uniq, first = np.unique(key, return_index=True)
        flipped = np.bitwise_or.reduceat(masks, first) if len(uniq) else masks
        r_u, j_u = np.divmod(uniq, N)
        codes = (self.codes[rows[r_u], j_u].astype(np.uint64) ^ flipped).astype(self.codes.dtype)
        if self.bits == 32:
            values, n_float = repair_float(from_codes(codes, 32), self.float_repair, self.w_max, counts=True)
            values, n_plaus = self.record.repair_reads(values, j_u)
        else:
            codes, n_plaus = self.record.repair_reads(codes, j_u)
            values, n_float = from_codes(codes, self.bits), 0
        self.repaired = n_float + n_plaus
        indptr = np.zeros(m + 1, np.int64)
        indptr[1:] = np.cumsum(np.bincount(r_u, minlength=m))
        return indptr, j_u.astype(np.int32), np.ascontiguousarray(values, dtype=np.float32)
