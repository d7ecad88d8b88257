"""Bit errors of reduced-voltage DRAM: weak cells with fixed failure thresholds, EDEN error models 0-3.

The cells of one device
-----------------------
A low-voltage error is a property of a *cell*: a cell that fails at 1.05 V also fails at
1.025 V. Every cell of a device (``flat_bank, row, bitline``; a bitline is the bit position
within a row, ``burst column x burst_bits + bit in burst``) therefore gets a fixed **failure
threshold** ``u`` in [0, 1), a hash of ``(device_seed, flat_bank, row, bitline)``
(:func:`cell_thresholds`: splitmix64, uniform, independent across cells). At an operating
point whose flip probability for that cell is ``p``, the cell fails exactly when ``u < p``.
Every model below gives ``p = min(1, ber x g)`` with a cell factor ``g`` that does not depend on
the voltage, so the failing cells are *nested*: flips(BER 1e-4) are a subset of
flips(BER 1e-3) and flips(1.05 V) of flips(1.025 V) (the BER table is non-increasing in
voltage), and every caller (``enforcesnn run``, ``tolerance``, ``fat``, ``select``, ``sweep``,
``flips``) sees the same flips for the same device, placement and BER. The threshold belongs to
the cell, not to the weight: another placement puts other weights on the weak cells.
Persistent flips (:meth:`FaultModel.persistent_flips`) cost one hash per stored bit in a Numba
kernel; no Python draw per bit.

Transient errors (re-drawn on every read, :mod:`coupling.transient` and
:meth:`FaultModel.sample_flips`) use the same per-cell probabilities with fresh randomness.

Error models (EDEN, Koppula et al., MICRO 2019), cell factor ``g`` (before the device factors)
-----------------------------------------------------------------------------------------------
model 0 -- uniform
    ``g = 1``.
model 1 -- weak bitlines
    A fraction ``weak_bitline_fraction`` of the bitlines of every bank is weak (drawn from the
    device seed): ``g = 1 / weak_bitline_fraction`` there, 0 elsewhere.
model 2 -- weak wordlines
    The same over the rows of every bank (``weak_wordline_fraction``).
model 3 -- data dependent
    ``g = 2 s`` for a stored 1 (a 1 -> 0 flip), ``2 (1 - s)`` for a stored 0,
    ``s = one_to_zero_share`` (default 0.75: discharging true-cells fail more often). The mean is
    1 for a 50/50 mix of ones and zeros.

Each model keeps the mean flip probability over the cells of the device equal to ``ber`` (before
clipping at 1), for a device with the vendor-average properties.

The device: bank weakness and its own BER curve
-----------------------------------------------
``ber`` is the *nominal* bit error rate: the vendor mean at the voltage (from
``dramsim.voltage.operating_point(...).ber``) or a value given explicitly. A device differs from
the vendor mean in two ways, both drawn from the device seed alone
(``Generator([device_seed, 0xDE7])``), fixed across voltage and BER:

* **its BER multiplier** ``m ~ Gamma(k, 1/k)`` (mean 1; ``k = ber_spread_shape``, fitted to the
  module-to-module spread of the Voltron measurements, ``device_spread`` of the voltage table):
  the device's BER curve is ``m x BER(V)``, so a weak module is weak at every voltage and the
  vendor mean is the expectation over devices. ``ber_spread_shape=None``: ``m = 1``.
* **its per-bank weakness** ``w = n_banks x Dirichlet(max(c x w_vendor / n_banks, floor))`` over
  the banks of the memory system (``c = bank_concentration``, fitted to the spread of Voltron's
  per-module bank maps; ``w_vendor`` the vendor-average profile ``bank_weakness``, mean 1; the
  floor ``bank_floor`` keeps a bank whose vendor weakness is 0 drawable): ``E[w_b] = w_vendor[b]``
  (up to the floor) and ``mean_b w_b = 1``. ``bank_concentration=None``: every device has the
  vendor profile. A bank of a larger system (more ranks or channels than the 8 measured banks)
  uses entry ``b mod 8`` of the profile and is drawn independently.

A cell's probability is ``min(1, ber x m x w[flat_bank] x g)``. Where a placement puts the
weights in weaker or stronger banks than average, the flips per stored bit (the *effective BER*)
differ from ``ber``; results report both.

What the placement policy knows (:meth:`FaultModel.region_weakness`): ``"profiled"`` -- the
device's own bank weakness and weak wordlines (the system tested its DRAM); ``"vendor"`` --
only the vendor-average bank profile.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from coupling.layout import Geometry, WeightLayout
from dramsim.errors import InputError

MODELS = (0, 1, 2, 3)
KNOWLEDGE = ("profiled", "vendor")
#: Dirichlet parameter floor for banks whose vendor weakness is 0 (the voltage table's ``bank_floor``).
BANK_FLOOR = 0.001
_DEVICE_STREAM = 0xDE7
_LINE_STREAM = 0xEDE1


@dataclass(frozen=True)
class ErrorProfile:
    """Which EDEN model, its parameters, and how devices vary (see the module docstring).

    Parameters
    ----------
    model : int
        EDEN error model 0, 1, 2 or 3.
    weak_bitline_fraction : float
        Model 1: fraction of the bitlines of a bank that are weak.
    weak_wordline_fraction : float
        Model 2: fraction of the rows of a bank that are weak.
    one_to_zero_share : float
        Model 3: share ``s`` of the errors that are 1 -> 0 flips (for a 50/50 data mix).
    bank_weakness : tuple of float, optional
        Vendor-average relative weakness of each bank (mean 1 after normalisation); None = all equal.
    ber_spread_shape : float, optional
        Gamma shape ``k`` of the device BER multiplier (None: every device at the nominal BER).
    bank_concentration : float, optional
        Dirichlet concentration ``c`` of the device's bank weakness around ``bank_weakness``
        (None: every device has the vendor profile).
    bank_floor : float
        Smallest Dirichlet parameter of a bank.
    """

    model: int = 0
    weak_bitline_fraction: float = 0.01
    weak_wordline_fraction: float = 0.01
    one_to_zero_share: float = 0.75
    bank_weakness: tuple | None = None
    ber_spread_shape: float | None = None
    bank_concentration: float | None = None
    bank_floor: float = BANK_FLOOR

    def __post_init__(self):
        if self.model not in MODELS:
            raise InputError(f"error model is {self.model!r}; expected one of 0, 1, 2, 3")
        for name in ("weak_bitline_fraction", "weak_wordline_fraction"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise InputError(f"error profile: {name} is {v!r}; expected a number in (0, 1]")
        if not 0 <= self.one_to_zero_share <= 1:
            raise InputError(f"error profile: one_to_zero_share is {self.one_to_zero_share!r}; expected 0..1")
        for name in ("ber_spread_shape", "bank_concentration", "bank_floor"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise InputError(f"error profile: {name} is {v!r}; expected a positive number or None")
        if self.bank_weakness is not None:
            bw = np.asarray(self.bank_weakness, dtype=float)
            if bw.ndim != 1 or len(bw) == 0 or np.any(bw < 0) or not np.all(np.isfinite(bw)) or bw.sum() <= 0:
                raise InputError("error profile: bank_weakness must be a non-empty list of non-negative numbers")
            object.__setattr__(self, "bank_weakness", tuple(float(x) for x in bw))


# -- cell thresholds ---------------------------------------------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, inline="always")
def _mix(z):
    """splitmix64 finaliser (a bijection of uint64 with good avalanche)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _threshold(seed_hash, flat_bank, row, bitline):
    h = _mix(seed_hash ^ (np.uint64(flat_bank) * _GOLDEN))
    h = _mix(h ^ (np.uint64(row) * _GOLDEN))
    h = _mix(h ^ (np.uint64(bitline) * _GOLDEN))
    return np.float64(h >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def _seed_hash(device_seed: int) -> np.uint64:
    return np.uint64((int(device_seed) * 0x9E3779B97F4A7C15 + 0x5EED) % 2**64)


@numba.njit(cache=True)
def _thresholds_kernel(seed_hash, flat_bank, row, bitline):
    out = np.empty(len(flat_bank), np.float64)
    for t in range(len(flat_bank)):
        out[t] = _threshold(seed_hash, flat_bank[t], row[t], bitline[t])
    return out


def cell_thresholds(device_seed: int, flat_bank, row, bitline) -> np.ndarray:
    """Failure threshold ``u`` in [0, 1) of the given cells of device ``device_seed`` (vectorised).

    A function of the cell and the seed only: the same cell always has the same threshold.
    """
    fb, r, bl = (np.ascontiguousarray(np.asarray(a, dtype=np.int64).ravel()) for a in (flat_bank, row, bitline))
    if not len(fb) == len(r) == len(bl):
        raise InputError("cell_thresholds: flat_bank, row and bitline must have the same length")
    return _thresholds_kernel(_seed_hash(device_seed), fb, r, bl)


@numba.njit(cache=True)
def _failing_cells(seed_hash, n_bits, burst_bits, flat_bank, row, burst_col, p_burst, weak_bitlines, use_bitlines,
                   count_only, out_pos, out_u):
    """Stream bits whose cell threshold is below its burst's probability (model 1: weak bitlines only).

    Returns the number found; fills ``out_pos`` / ``out_u`` unless ``count_only``.
    """
    k = 0
    for b in range(len(p_burst)):
        p = p_burst[b]
        if p <= 0.0:
            continue
        base = b * burst_bits
        fb = flat_bank[b]
        for t in range(burst_bits):
            pos = base + t
            if pos >= n_bits:
                break
            bl = burst_col[b] * burst_bits + t
            if use_bitlines and not weak_bitlines[fb, bl]:
                continue
            u = _threshold(seed_hash, fb, row[b], bl)
            if u < p:
                if not count_only:
                    out_pos[k] = pos
                    out_u[k] = u
                k += 1
    return k


class FaultModel:
    """The weak cells of one device instance under one error profile.

    Parameters
    ----------
    geometry : Geometry
        The device.
    profile : ErrorProfile
        Model, parameters and device-to-device spread.
    device_seed : int
        Seed of the device instance: fixes its cell thresholds, weak lines, BER multiplier and
        bank weakness.

    Attributes
    ----------
    ber_multiplier : float
        The device's BER relative to the nominal (vendor-mean) BER.
    bank_factor : ndarray (n_banks,)
        The device's relative weakness of every bank (mean 1).
    vendor_bank_factor : ndarray (n_banks,)
        The vendor-average profile on the same banks (mean 1).
    weak_wordlines, weak_bitlines : bool arrays or None
        Models 2 and 1: which rows / bitlines of every bank are weak.
    """

    def __init__(self, geometry: Geometry, profile: ErrorProfile = ErrorProfile(), device_seed: int = 0):
        if isinstance(device_seed, bool) or int(device_seed) != device_seed or device_seed < 0:
            raise InputError(f"device seed is {device_seed!r}; expected a non-negative integer")
        self.geometry = geometry
        self.profile = profile
        self.device_seed = int(device_seed)
        g = geometry
        lines = np.random.default_rng([self.device_seed, _LINE_STREAM])
        self.weak_wordlines = None
        self.weak_bitlines = None
        if profile.model == 2:
            self.weak_wordlines = lines.random((g.n_banks, g.rows)) < profile.weak_wordline_fraction
        if profile.model == 1:
            self.weak_bitlines = lines.random((g.n_banks, g.row_bits)) < profile.weak_bitline_fraction
        if profile.bank_weakness is None:
            vendor = np.ones(g.n_banks)
        else:
            bw = np.asarray(profile.bank_weakness, dtype=float)
            vendor = bw[np.arange(g.n_banks) % len(bw)]
            vendor = vendor / vendor.mean()
        self.vendor_bank_factor = vendor
        dev = np.random.default_rng([self.device_seed, _DEVICE_STREAM])
        k, c = profile.ber_spread_shape, profile.bank_concentration
        self.ber_multiplier = float(dev.gamma(k, 1.0 / k)) if k is not None else 1.0
        if c is not None:
            alpha = np.maximum(c * vendor / g.n_banks, profile.bank_floor)
            self.bank_factor = g.n_banks * dev.dirichlet(alpha)
        else:
            self.bank_factor = vendor.copy()

    # -- what a placement policy knows ------------------------------------------------------------
    def region_weakness(self, knowledge: str = "profiled") -> np.ndarray:
        """Relative expected BER of every DRAM row, shape ``(n_banks, rows)`` (1 = device mean).

        ``"profiled"``: the device's own bank factor times, for model 2, ``1 / weak_wordline_fraction``
        on its weak rows and 0 elsewhere. ``"vendor"``: the vendor-average bank profile only.
        Used by the ``enforcesnn`` layout policy.
        """
        if knowledge not in KNOWLEDGE:
            raise InputError(f"placement knowledge is {knowledge!r}; expected one of {', '.join(KNOWLEDGE)}")
        if knowledge == "vendor":
            return np.repeat(self.vendor_bank_factor[:, None], self.geometry.rows, axis=1)
        w = np.repeat(self.bank_factor[:, None], self.geometry.rows, axis=1)
        if self.profile.model == 2:
            w = w * np.where(self.weak_wordlines, 1.0 / self.profile.weak_wordline_fraction, 0.0)
        return w

    # -- flip probabilities -----------------------------------------------------------------------
    def burst_factor(self, layout: WeightLayout) -> np.ndarray:
        """Device factor of the cells of each burst: BER multiplier x bank weakness x weak-wordline factor."""
        f = self.ber_multiplier * self.bank_factor[layout.flat_bank].astype(float)
        if self.profile.model == 2:
            f = f * np.where(self.weak_wordlines[layout.flat_bank, layout.row],
                             1.0 / self.profile.weak_wordline_fraction, 0.0)
        return f

    def _candidate_scale(self) -> float:
        pr = self.profile
        if pr.model == 1:
            return 1.0 / pr.weak_bitline_fraction
        if pr.model == 3:
            return 2 * max(pr.one_to_zero_share, 1 - pr.one_to_zero_share)
        return 1.0

    def candidate_probability(self, layout: WeightLayout, ber: float) -> np.ndarray:
        """Flip probability of a *candidate* bit in each burst of a layout.

        Candidates are every bit of the burst, except under model 1 (only the weak-bitline bits,
        at ``1 / weak_bitline_fraction`` times the rate); under model 3 they are taken at the
        larger of the two direction rates and thinned by the stored value
        (:meth:`keep_by_value`, :meth:`persistent_flips`).
        """
        return np.minimum(ber * self._candidate_scale() * self.burst_factor(layout), 1.0)

    def _value_share(self, values) -> np.ndarray:
        """Model 3: probability of a stored value's direction relative to the candidate rate."""
        share = self.profile.one_to_zero_share
        return np.where(np.asarray(values) == 1, share, 1 - share) / max(share, 1 - share)

    def keep_by_value(self, values, rng: np.random.Generator) -> np.ndarray:
        """Model 3 thinning of fresh (transient) candidates, given the stored bit values (0/1)."""
        keep_p = self._value_share(values)
        return rng.random(len(keep_p)) < keep_p

    def bit_probability(self, layout: WeightLayout, ber: float, positions, values=None) -> np.ndarray:
        """Flip probability of given stream bits (``values``, the stored 0/1 bits, for model 3)."""
        loc = layout.locate_positions(positions)
        p = ber * self.ber_multiplier * self.bank_factor[loc["flat_bank"]]
        pr = self.profile
        if pr.model == 1:
            p = p * np.where(self.weak_bitlines[loc["flat_bank"], loc["bitline"]], 1 / pr.weak_bitline_fraction, 0.0)
        elif pr.model == 2:
            p = p * np.where(self.weak_wordlines[loc["flat_bank"], loc["row"]], 1 / pr.weak_wordline_fraction, 0.0)
        elif pr.model == 3:
            if values is None:
                raise InputError("error model 3 needs the stored bit values")
            p = p * np.where(np.asarray(values) != 0, 2 * pr.one_to_zero_share, 2 * (1 - pr.one_to_zero_share))
        return np.minimum(p, 1.0)

    def thresholds(self, layout: WeightLayout, positions) -> np.ndarray:
        """Failure thresholds of the cells holding the given stream bits."""
        loc = layout.locate_positions(positions)
        return cell_thresholds(self.device_seed, loc["flat_bank"], loc["row"], loc["bitline"])

    # -- flips ------------------------------------------------------------------------------------
    def persistent_flips(self, layout: WeightLayout, ber: float, codes=None) -> np.ndarray:
        """Stream bit positions whose cells fail at ``ber`` (deterministic: the device's weak cells).

        Parameters
        ----------
        layout : WeightLayout
            Where the bits are.
        ber : float
            Nominal bit error rate (0..1).
        codes : ndarray of unsigned int, shape (n_inputs, n_neurons), optional
            Stored codes; needed for model 3.

        Returns
        -------
        ndarray of int64
            Sorted distinct stream positions (see :meth:`WeightLayout.weight_of`).
        """
        _check_ber(ber)
        if ber == 0:
            return np.zeros(0, dtype=np.int64)
        if self.profile.model == 3 and codes is None:
            raise InputError("error model 3 needs the stored codes")
        p_burst = np.ascontiguousarray(self.candidate_probability(layout, ber), dtype=np.float64)
        use_bl = self.profile.model == 1
        wb = self.weak_bitlines if use_bl else np.zeros((1, 1), np.bool_)
        args = (_seed_hash(self.device_seed), int(layout.n_bits), int(self.geometry.burst_bits),
                np.ascontiguousarray(layout.flat_bank, np.int64), np.ascontiguousarray(layout.row, np.int64),
                np.ascontiguousarray(layout.burst_col, np.int64), p_burst, wb, use_bl)
        n = _failing_cells(*args, True, np.zeros(0, np.int64), np.zeros(0, np.float64))
        pos, u = np.empty(n, np.int64), np.empty(n, np.float64)
        _failing_cells(*args, False, pos, u)
        if self.profile.model == 3 and n:
            # a cell fails when u < p(stored value) = p_candidate x share(value) / max share
            value = stored_bits(layout, codes, pos)
            pos = pos[u < p_burst[pos // self.geometry.burst_bits] * self._value_share(value)]
        return pos

    def sample_flips(self, layout: WeightLayout, ber: float, rng: np.random.Generator, codes=None) -> np.ndarray:
        """Stream bit positions that flip on one *transient* read of the whole matrix (fresh randomness).

        Each bit flips independently with its cell's probability (:meth:`bit_probability`).
        Per class of equal probability a binomial count, then that many distinct positions;
        model 3 thins candidates by the stored value. Returns sorted positions.
        """
        _check_ber(ber)
        if ber == 0:
            return np.zeros(0, dtype=np.int64)
        pr = self.profile
        B = self.geometry.burst_bits
        p_burst = self.candidate_probability(layout, ber)
        out = []
        for p in np.unique(p_burst):
            if p <= 0:
                continue
            bursts = np.flatnonzero(p_burst == p)
            if pr.model == 1:
                cols = layout.burst_col[bursts][:, None] * B + np.arange(B)[None, :]
                weak = self.weak_bitlines[layout.flat_bank[bursts][:, None], cols]
                b_idx, bit = np.nonzero(weak)
                candidates = bursts[b_idx] * B + bit
                n = len(candidates)
                out.append(candidates[rng.choice(n, size=rng.binomial(n, p), replace=False)])
            else:
                n = len(bursts) * B
                idx = rng.choice(n, size=rng.binomial(n, p), replace=False)
                out.append(bursts[idx // B] * B + idx % B)
        pos = np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)
        pos = pos[pos < layout.n_bits].astype(np.int64)
        if pr.model == 3 and len(pos):
            if codes is None:
                raise InputError("error model 3 needs the stored codes")
            pos = pos[self.keep_by_value(stored_bits(layout, codes, pos), rng)]
        return pos


def _check_ber(ber) -> None:
    if not 0 <= ber <= 1:
        raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")


def stored_bits(layout: WeightLayout, codes, positions) -> np.ndarray:
    """The stored 0/1 value of the given stream bits."""
    i, j, k = layout.weight_of(positions)
    return ((np.asarray(codes)[i, j].astype(np.uint64) >> k.astype(np.uint64)) & np.uint64(1)).astype(np.int64)


def apply_flips(codes: np.ndarray, layout: WeightLayout, positions: np.ndarray) -> np.ndarray:
    """A copy of ``codes`` with the bits at the given stream positions inverted."""
    out = np.array(codes, copy=True)
    if len(positions) == 0:
        return out
    i, j, k = layout.weight_of(positions)
    masks = (np.ones(len(k), dtype=np.uint64) << k.astype(np.uint64)).astype(out.dtype)
    np.bitwise_xor.at(out, (i, j), masks)
    return out
