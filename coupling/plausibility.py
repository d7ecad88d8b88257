"""Plausibility repair of weights read from approximate DRAM (EDEN's check; off by default).

EDEN (Koppula et al., MICRO 2019) lets a network tolerate approximate-DRAM bit errors partly by
replacing values that are implausible for their layer. Here the accelerator keeps, when it writes
the weights, a little metadata in reliable storage (:class:`WriteRecord`: one bound per layer, or
one number per neuron) and checks every read against it. Detection and replacement use only the
words as read from DRAM and that record, never the error-free weights.

Rules (``plausibility_repair`` of :class:`coupling.config.RunConfig`)
---------------------------------------------------------------------
``none`` (default)
    No check (float32 still gets ``float_repair``, see :mod:`coupling.weights`).
``layer-max-zero``, ``layer-max-clip``
    The record holds the largest weight written to the layer (one number, EDEN's per-layer
    range). A read value above it is implausible and becomes 0 (``-zero``) or the bound
    (``-clip``). Any precision (float32: after ``float_repair``), persistent and transient errors
    (a per-value check at read time).
``neuron-max-zero``, ``neuron-max-clip``
    The same with the largest weight written to each neuron's input row (``n_neurons`` numbers).
``weight-sum``
    Fixed point, persistent errors. Diehl & Cook normalise each neuron's input weights to sum
    ``w_norm`` (78.4 here), so the design knows the sum without storing anything: quantization
    moves a neuron's code sum above ``w_norm x 2**bits`` by at most ``n_inputs / 2`` codes
    (nearest rounding: half a code per weight; truncation 0; stochastic ``n_inputs``), plus one
    code for float rounding of the normalisation. A neuron whose code sum as read exceeds that
    limit holds up-flips worth at least the excess; the culprit search below removes them.
``weight-checksum``
    As ``weight-sum``, against the exact code sum of each neuron written with the weights
    (``n_neurons`` sums of ``bits + 10`` bits in reliable storage): limit = that sum, allowance 0.

The sum rules act on fixed-point codes only: float32 weights under them get ``float_repair`` alone
(an exponent flip that stays inside ``[0, w_max]`` changes a value by a factor, not by a bit's
fixed worth, so the search below has no meaning there).

Culprit search (both sum rules), per neuron on the codes as read: excess ``X`` = code sum minus
limit. While ``X > 0``: ``k`` = the highest bit position with ``2**k <= X`` that is set in some
weight of the neuron (none: stop); of the weights with bit ``k`` set, the one with the smallest
code (a small weight plus a flipped bit ``k`` is the likeliest source; ties: lowest input index)
gets bit ``k`` cleared, and ``X -= 2**k``. Only excesses are detected: 1 -> 0 flips lower a sum and
leave no trace of where they happened, so a deficit is left as read. The search is deterministic
(no randomness), so a repair is reproducible wherever the flips are.

Cost: once per persistent flip set (the matrix as read), ``O(n_inputs x n_neurons)`` for the max
rules and per cleared bit of a neuron ``O(n_inputs)`` for the sum rules (Numba); per read, the
max rules compare each delivered weight with its neuron's bound.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from dramsim.errors import InputError

PLAUSIBILITY_REPAIRS = ("none", "layer-max-zero", "layer-max-clip", "neuron-max-zero", "neuron-max-clip",
                        "weight-sum", "weight-checksum")
#: Rules that need a whole neuron's weights (the matrix as read): persistent errors, fixed point.
SUM_RULES = ("weight-sum", "weight-checksum")
#: Quantization allowance above ``w_norm`` of a neuron's code sum, in codes per input, by rounding.
ROUNDING_ALLOWANCE = {"nearest": 0.5, "truncate": 0.0, "stochastic": 1.0}


def check_rule(rule: str, error_mode: str = "persistent", what: str = "plausibility_repair") -> str:
    """Validate a rule name (and that a sum rule has persistent errors); return it."""
    if rule not in PLAUSIBILITY_REPAIRS:
        raise InputError(f"{what} is {rule!r}; expected one of {', '.join(PLAUSIBILITY_REPAIRS)}")
    if rule in SUM_RULES and error_mode != "persistent":
        raise InputError(f"{what} is {rule!r}: a sum rule needs error_mode persistent (a transient read delivers "
                         "one weight of each neuron, never its whole sum)")
    return rule


@dataclass(frozen=True)
class WriteRecord:
    """What the accelerator keeps in reliable storage when it writes the weights (see the module docstring).

    Attributes
    ----------
    rule : str
    bits : int
        Stored precision (32 = float32).
    bound : ndarray (n_neurons,) or None
        Max rules: the largest plausible value of each neuron's weights (codes for fixed point,
        float32 values for float32); the layer rules repeat one number.
    limit : int64 ndarray (n_neurons,) or None
        Sum rules: the largest plausible code sum of each neuron.
    """

    rule: str
    bits: int
    bound: np.ndarray | None = None
    limit: np.ndarray | None = None

    @classmethod
    def at_write(cls, written, bits: int, rule: str, w_norm: float | None = None,
                 rounding: str = "nearest") -> "WriteRecord":
        """The record of a matrix as written (codes for fixed point, float32 values for float32).

        Parameters
        ----------
        written : ndarray (n_inputs, n_neurons)
            The words written (before any flip): only their per-layer or per-neuron maximum or
            sum enters the record.
        w_norm : float
            ``weight-sum``: the normalisation constant of each neuron's weight sum.
        rounding : {"nearest", "truncate", "stochastic"}
            ``weight-sum``: the quantization rounding (sets the allowance).
        """
        check_rule(rule)
        written = np.asarray(written)
        n_in, n = written.shape
        if rule == "none" or (rule in SUM_RULES and bits == 32):
            return cls(rule, bits)
        if rule.startswith("layer-max"):
            return cls(rule, bits, bound=np.full(n, written.max() if written.size else 0, dtype=written.dtype))
        if rule.startswith("neuron-max"):
            return cls(rule, bits, bound=written.max(axis=0) if n_in else np.zeros(n, written.dtype))
        if rule == "weight-checksum":
            return cls(rule, bits, limit=written.astype(np.int64).sum(axis=0))
        if w_norm is None or not np.isfinite(w_norm) or w_norm <= 0:
            raise InputError(f"plausibility_repair weight-sum needs the normalisation constant w_norm > 0 (got {w_norm!r})")
        if rounding not in ROUNDING_ALLOWANCE:
            raise InputError(f"rounding is {rounding!r}; expected one of {', '.join(ROUNDING_ALLOWANCE)}")
        lim = int(np.floor(w_norm * (1 << bits) + ROUNDING_ALLOWANCE[rounding] * n_in)) + 1
        return cls(rule, bits, limit=np.full(n, lim, dtype=np.int64))

    @property
    def active(self) -> bool:
        """Whether the rule checks anything at this precision."""
        return self.bound is not None or self.limit is not None

    def repair_matrix(self, read) -> tuple[np.ndarray, int]:
        """Repair the whole matrix as read (persistent errors): ``(repaired copy, values changed)``.

        ``read``: codes (fixed point) or decoded float32 values (float32), shape (n_inputs, n_neurons).
        """
        read = np.asarray(read)
        if not self.active:
            return read, 0
        if self.bound is not None:
            out = np.array(read, copy=True)
            bad = out > self.bound[None, :]
            out[bad] = np.broadcast_to(self._replacement(), out.shape)[bad]
            return out, int(bad.sum())
        out = np.ascontiguousarray(read, dtype=np.int64).copy()
        changed = _clear_excess(out, self.limit, self.bits)
        return out.astype(read.dtype), int(changed)

    def repair_reads(self, values, cols) -> tuple[np.ndarray, int]:
        """Repair single weights as delivered by reads (transient errors; max rules only).

        ``values``: codes or float32 values; ``cols``: the neuron of each. Returns ``(values, changed)``.
        """
        if self.limit is not None:
            raise InputError(f"plausibility_repair {self.rule}: needs the whole matrix as read (persistent errors)")
        values = np.asarray(values)
        if self.bound is None:
            return values, 0
        cols = np.asarray(cols, dtype=np.int64)
        out = np.array(values, copy=True)
        bad = out > self.bound[cols]
        out[bad] = 0 if self.rule.endswith("-zero") else self.bound[cols][bad]
        return out, int(bad.sum())

    def _replacement(self):
        """Per-column replacement value of an implausible weight: 0 or the neuron's bound (row vector)."""
        return np.zeros_like(self.bound)[None, :] if self.rule.endswith("-zero") else self.bound[None, :]


@numba.njit(cache=True)
def _clear_excess(codes, limit, bits):
    """The culprit search of the module docstring, in place on int64 codes (n_inputs, n_neurons).

    Returns the number of weights changed (a weight that loses two bits counts twice).
    """
    n_in, n = codes.shape
    changed = 0
    for j in range(n):
        s = 0
        for i in range(n_in):
            s += codes[i, j]
        x = s - limit[j]
        while x > 0:
            top = bits - 1
            while top > 0 and (np.int64(1) << top) > x:
                top -= 1
            found = -1
            k = top
            while k >= 0:
                mask = np.int64(1) << k
                best = -1
                for i in range(n_in):
                    c = codes[i, j]
                    if c & mask and (best < 0 or c < codes[best, j]):
                        best = i
                if best >= 0:
                    found = best
                    break
                k -= 1
            if found < 0:
                break
            codes[found, j] -= np.int64(1) << k
            x -= np.int64(1) << k
            changed += 1
    return changed
