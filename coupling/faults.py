"""Bit errors of reduced-voltage DRAM: the EDEN error models over the DRAM cells that hold the weights.

EDEN (Koppula et al., MICRO 2019) models 0-3, with our named, documented parameters
(:class:`ErrorProfile`). ``ber`` is the device-mean bit error rate (from
``dramsim.voltage.operating_point(...).ber`` or given explicitly); each model distributes it over
the cells so that the mean flip probability over all cells of the device equals ``ber``
(before clipping at 1):

model 0 -- uniform
    Every bit flips with probability ``ber``.
model 1 -- weak bitlines
    A fraction ``weak_bitline_fraction`` of the bitlines of every bank (a bitline is a bit position
    within a row: burst column x bit in burst) is weak; their bits flip with probability
    ``ber / weak_bitline_fraction``, all others never.
model 2 -- weak wordlines
    The same over the rows of every bank (``weak_wordline_fraction``): bits of weak rows flip with
    ``ber / weak_wordline_fraction``, others never.
model 3 -- data dependent
    A stored 1 flips to 0 with ``2 ber s`` and a stored 0 to 1 with ``2 ber (1 - s)``,
    ``s = one_to_zero_share`` (default 0.75: discharging true-cells fail more often). The mean is
    ``ber`` for a 50/50 mix of ones and zeros.

Vendor profiles: ``bank_weakness`` (e.g. ``OperatingPoint.bank_weakness`` from
``dramsim.voltage``) multiplies the probability of every bit of bank ``b`` by
``bank_weakness[b % len] / mean(bank_weakness)`` (mean over banks preserved). Probabilities are
clipped at 1.

Weak lines are a property of the device instance: they are drawn from ``device_seed`` alone.
Which cells actually flip is drawn by :meth:`FaultModel.sample_flips` with a Generator the
caller provides (:mod:`coupling.weights` keys it by device seed and voltage for the persistent
mode). Sampling is fast: per class of equal probability a binomial count of flips, then that
many distinct positions (``Generator.choice`` without replacement); model 3 draws candidates at
the larger of its two probabilities and keeps each with probability ``p(stored value) / p_max``
(thinning), which is exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coupling.layout import Geometry, WeightLayout
from dramsim.errors import InputError

MODELS = (0, 1, 2, 3)


@dataclass(frozen=True)
class ErrorProfile:
    """Which EDEN model and its parameters (see the module docstring).

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
        Relative weakness of each bank of a device (vendor profile); None = all equal.
    """

    model: int = 0
    weak_bitline_fraction: float = 0.01
    weak_wordline_fraction: float = 0.01
    one_to_zero_share: float = 0.75
    bank_weakness: tuple | None = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise InputError(f"error model is {self.model!r}; expected one of 0, 1, 2, 3")
        for name in ("weak_bitline_fraction", "weak_wordline_fraction"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise InputError(f"error profile: {name} is {v!r}; expected a number in (0, 1]")
        if not 0 <= self.one_to_zero_share <= 1:
            raise InputError(f"error profile: one_to_zero_share is {self.one_to_zero_share!r}; expected 0..1")
        if self.bank_weakness is not None:
            bw = np.asarray(self.bank_weakness, dtype=float)
            if bw.ndim != 1 or len(bw) == 0 or np.any(bw < 0) or not np.all(np.isfinite(bw)) or bw.sum() <= 0:
                raise InputError("error profile: bank_weakness must be a non-empty list of non-negative numbers")
            object.__setattr__(self, "bank_weakness", tuple(float(x) for x in bw))


class FaultModel:
    """The weak cells of one device instance under one error profile.

    Parameters
    ----------
    geometry : Geometry
        The device.
    profile : ErrorProfile
        Model and parameters.
    device_seed : int
        Seed of the device instance: fixes the weak bitlines and wordlines.
    """

    def __init__(self, geometry: Geometry, profile: ErrorProfile = ErrorProfile(), device_seed: int = 0):
        self.geometry = geometry
        self.profile = profile
        self.device_seed = int(device_seed)
        g = geometry
        rng = np.random.default_rng([self.device_seed, 0xEDE1])
        self.weak_wordlines = None
        self.weak_bitlines = None
        if profile.model == 2:
            self.weak_wordlines = rng.random((g.n_banks, g.rows)) < profile.weak_wordline_fraction
        if profile.model == 1:
            self.weak_bitlines = rng.random((g.n_banks, g.row_bits)) < profile.weak_bitline_fraction
        if profile.bank_weakness is None:
            self.bank_factor = np.ones(g.n_banks)
        else:
            bw = np.asarray(profile.bank_weakness, dtype=float)
            bw = bw / bw.mean()
            self.bank_factor = bw[np.arange(g.n_banks) % len(bw)]

    def region_weakness(self) -> np.ndarray:
        """Relative expected BER of every DRAM row, shape ``(n_banks, rows)`` (1 = device mean).

        Bank factor times, for model 2, ``1 / weak_wordline_fraction`` on weak rows and 0 elsewhere.
        Used by the ``enforcesnn`` layout policy.
        """
        w = np.repeat(self.bank_factor[:, None], self.geometry.rows, axis=1)
        if self.profile.model == 2:
            w = w * np.where(self.weak_wordlines, 1.0 / self.profile.weak_wordline_fraction, 0.0)
        return w

    def burst_factor(self, layout: WeightLayout) -> np.ndarray:
        """Relative flip probability of the cells of each burst of a layout (bank and wordline factors)."""
        f = self.bank_factor[layout.flat_bank].astype(float)
        if self.profile.model == 2:
            f = f * np.where(self.weak_wordlines[layout.flat_bank, layout.row],
                             1.0 / self.profile.weak_wordline_fraction, 0.0)
        return f

    def candidate_probability(self, layout: WeightLayout, ber: float) -> np.ndarray:
        """Flip probability of a *candidate* bit in each burst of a layout (the sampling rate).

        Candidates are every bit of the burst, except under model 1 (only the weak-bitline bits,
        at ``1 / weak_bitline_fraction`` times the rate); under model 3 they are drawn at the larger
        of the two direction rates and thinned by :meth:`keep_by_value`.
        """
        pr = self.profile
        scale = 1.0
        if pr.model == 1:
            scale = 1.0 / pr.weak_bitline_fraction
        elif pr.model == 3:
            scale = 2 * max(pr.one_to_zero_share, 1 - pr.one_to_zero_share)
        return np.minimum(ber * scale * self.burst_factor(layout), 1.0)

    def keep_by_value(self, values, rng: np.random.Generator) -> np.ndarray:
        """Model 3 thinning: which candidate flips to keep, given the stored bit values (0/1).

        A 1 is kept with probability ``one_to_zero_share / p_max``, a 0 with
        ``(1 - one_to_zero_share) / p_max``, ``p_max`` being the larger share.
        """
        share = self.profile.one_to_zero_share
        keep_p = np.where(np.asarray(values) == 1, share, 1 - share) / max(share, 1 - share)
        return rng.random(len(keep_p)) < keep_p

    def bit_probability(self, layout: WeightLayout, ber: float, positions, values=None) -> np.ndarray:
        """Flip probability of given stream bits (for checks; sampling does not need it).

        ``values`` (0/1 stored bit values) is needed for model 3.
        """
        loc = layout.locate_positions(positions)
        p = ber * self.bank_factor[loc["flat_bank"]]
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

    def sample_flips(self, layout: WeightLayout, ber: float, rng: np.random.Generator, codes=None) -> np.ndarray:
        """Stream bit positions that flip on one draw.

        Parameters
        ----------
        layout : WeightLayout
            Where the bits are.
        ber : float
            Device-mean bit error rate (0..1).
        rng : numpy.random.Generator
            Source of randomness (same state, same flips).
        codes : ndarray of unsigned int, shape (n_inputs, n_neurons), optional
            Stored codes; needed for model 3.

        Returns
        -------
        ndarray of int64
            Sorted distinct stream positions (see :meth:`WeightLayout.weight_of`).
        """
        if not 0 <= ber <= 1:
            raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")
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
                # candidate cells: the weak-bitline bits of these bursts
                cols = layout.burst_col[bursts][:, None] * B + np.arange(B)[None, :]
                weak = self.weak_bitlines[layout.flat_bank[bursts][:, None], cols]
                b_idx, bit = np.nonzero(weak)
                candidates = bursts[b_idx] * B + bit
                n = len(candidates)
                k = rng.binomial(n, p)
                out.append(candidates[rng.choice(n, size=k, replace=False)])
            else:
                n = len(bursts) * B
                k = rng.binomial(n, p)
                idx = rng.choice(n, size=k, replace=False)
                out.append(bursts[idx // B] * B + idx % B)
        pos = np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)
        pos = pos[pos < layout.n_bits].astype(np.int64)
        if pr.model == 3 and len(pos):
            if codes is None:
                raise InputError("error model 3 needs the stored codes")
            i, j, k = layout.weight_of(pos)
            value = (np.asarray(codes)[i, j].astype(np.uint64) >> k.astype(np.uint64)) & np.uint64(1)
            pos = pos[self.keep_by_value(value, rng)]
        return pos


def apply_flips(codes: np.ndarray, layout: WeightLayout, positions: np.ndarray) -> np.ndarray:
    """A copy of ``codes`` with the bits at the given stream positions inverted."""
    out = np.array(codes, copy=True)
    if len(positions) == 0:
        return out
    i, j, k = layout.weight_of(positions)
    masks = (np.ones(len(k), dtype=np.uint64) << k.astype(np.uint64)).astype(out.dtype)
    np.bitwise_xor.at(out, (i, j), masks)
    return out
