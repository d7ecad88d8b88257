"""Uncertainty of accuracies: intervals over test digits and device seeds, paired comparisons.

Pure numpy/scipy. Accuracies are fractions in [0, 1]; "pp" means percentage points.

* :func:`wilson_interval` - Wilson score interval of a binomial proportion (k correct of n).
* :func:`mean_interval` - Student-t interval of a mean over device seeds.
* :func:`mcnemar` - exact (binomial) two-sided McNemar test on paired correctness.
* :func:`paired_difference_interval` - Newcombe's hybrid score interval for the difference of two
  paired proportions (Newcombe 1998, Statistics in Medicine 17:2635, method 10: Wilson limits of
  each accuracy combined with the phi correlation of the 2x2 table, phi corrected toward 0 by N/2).
* :func:`two_level_interval` - two-way (seeds x samples) bootstrap percentile interval of the mean
  accuracy of a (device seeds x test samples) correctness matrix.
* :func:`no_loss_verdict` - "no loss" / "loss" / "inconclusive" from the paired interval against a
  tolerated drop (a non-inferiority reading).

Bad input raises :class:`dramsim.errors.InputError` with a one-line message naming the argument.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st

from dramsim.errors import InputError

VERDICTS = ("no loss", "loss", "inconclusive")


def _level(level) -> float:
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise InputError(f"level is {level!r}; expected a confidence level in (0, 1)") from None
    if not 0 < level < 1:
        raise InputError(f"level is {level}; expected a confidence level in (0, 1), e.g. 0.95")
    return level


def _z(level: float) -> float:
    return float(_st.norm.ppf(0.5 + level / 2))


def _count(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} is {value!r}; expected a whole number")
    return int(value)


def _correct(values, name: str, ndim: int = 1) -> np.ndarray:
    """A boolean correctness array of ``ndim`` dimensions (bools, or integers 0/1)."""
    arr = np.asarray(values)
    if arr.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-D array of correct/incorrect, got shape {arr.shape}")
    if arr.size == 0:
        raise InputError(f"{name}: expected at least one entry")
    if arr.dtype == bool:
        return arr
    if np.issubdtype(arr.dtype, np.integer) and np.isin(arr, (0, 1)).all():
        return arr.astype(bool)
    raise InputError(f"{name}: expected booleans (or integers 0/1), got dtype {arr.dtype}")


def _paired(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    a, b = _correct(correct_a, "correct_a"), _correct(correct_b, "correct_b")
    if a.shape != b.shape:
        raise InputError(f"correct_a and correct_b must cover the same digits; shapes {a.shape} and {b.shape}")
    return a, b


def wilson_interval(k, n, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    k, n : int
        Successes (e.g. correctly classified digits) and trials, ``0 <= k <= n``, ``n >= 1``.
    level : float
        Confidence level.

    Returns
    -------
    (lo, hi) : tuple of float
        Interval of the proportion ``k / n`` (fractions).
    """
    k, n, level = _count(k, "k"), _count(n, "n"), _level(level)
    if n < 1 or not 0 <= k <= n:
        raise InputError(f"k {k}, n {n}: expected 0 <= k <= n and n >= 1")
    z = _z(level)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)      # exact ends: the closed form rounds off
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def mean_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Student-t interval of the mean of ``values`` (e.g. one accuracy per device seed).

    Returns
    -------
    (mean, lo, hi) : tuple of float
        With one value the interval is undefined: ``(x, nan, nan)``.
    """
    level = _level(level)
    x = np.asarray(values)
    if x.ndim != 1 or x.size == 0:
        raise InputError(f"values: expected a non-empty 1-D array, got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise InputError(f"values: expected numbers, got dtype {x.dtype}")
    x = x.astype(float)
    if not np.isfinite(x).all():
        raise InputError("values: expected finite numbers")
    mean = float(x.mean())
    if x.size == 1:
        return mean, math.nan, math.nan
    half = float(_st.t.ppf(0.5 + level / 2, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, mean - half, mean + half


def mcnemar(correct_a, correct_b) -> dict:
    """Exact two-sided McNemar test on paired correctness over the same digits.

    Parameters
    ----------
    correct_a, correct_b : array of bool
        Whether model A / model B classified each digit correctly (same digits, same order).

    Returns
    -------
    dict
        ``b`` (A right, B wrong), ``c`` (A wrong, B right) and ``p_value``:
        ``min(1, 2 P(X <= min(b, c)))`` for ``X ~ Binomial(b + c, 1/2)``; 1 when ``b + c = 0``.
    """
    a, b = _paired(correct_a, correct_b)
    nb, nc = int((a & ~b).sum()), int((~a & b).sum())
    p = 1.0 if nb + nc == 0 else min(1.0, 2.0 * float(_st.binom.cdf(min(nb, nc), nb + nc, 0.5)))
    return {"b": nb, "c": nc, "p_value": p}


def paired_difference_interval(correct_a, correct_b, level: float = 0.95) -> tuple[float, float, float]:
    """Interval of the accuracy difference ``acc(B) - acc(A)`` on identical digits.

    Newcombe's hybrid score interval for paired proportions (1998, method 10): the Wilson limits
    ``(l_i, u_i)`` of both accuracies combined as ``d - sqrt((pB - lB)^2 - 2 phi (pB - lB)(uA - pA)
    + (uA - pA)^2)`` (lower) and likewise (upper), with ``phi`` the correlation of the paired 2x2
    table, its numerator ``ad - bc`` moved toward 0 by ``N/2`` (0 if the denominator is 0).

    Returns
    -------
    (diff, lo, hi) : tuple of float
        Difference of accuracies (fractions, B minus A) and its interval, within [-1, 1].
    """
    level = _level(level)
    a, b = _paired(correct_a, correct_b)
    n = a.size
    both, only_a, only_b, neither = (int(x.sum()) for x in (a & b, a & ~b, ~a & b, ~a & ~b))
    pa, pb = (both + only_a) / n, (both + only_b) / n
    la, ua = wilson_interval(both + only_a, n, level)
    lb, ub = wilson_interval(both + only_b, n, level)
    denom = float(both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    num = float(both) * neither - float(only_a) * only_b
    num = num - n / 2 if num > n / 2 else (num if num < 0 else 0.0)
    phi = num / math.sqrt(denom) if denom > 0 else 0.0
    d = pb - pa
    lo = d - math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    hi = d + math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return d, max(-1.0, lo), min(1.0, hi)


def two_level_interval(correct, level: float = 0.95, n_boot: int = 2000, seed: int = 0,
                       chunk: int = 200) -> tuple[float, float, float]:
    """Bootstrap interval of the mean accuracy over device seeds and test samples.

    Each replicate resamples the rows (device seeds) and, independently, the columns (test
    samples) with replacement and takes the mean of the resampled matrix (a two-way,
    "pigeonhole" bootstrap); the interval is the percentile interval of the replicates.

    Parameters
    ----------
    correct : 2-D array of bool
        ``(device_seeds, test_samples)`` correctness.
    level : float
    n_boot : int
        Replicates (>= 100).
    seed : int
        Seed of the resampling (same seed, same interval).
    chunk : int
        Replicates computed at once (memory ``chunk x samples`` floats).

    Returns
    -------
    (mean, lo, hi) : tuple of float
    """
    level = _level(level)
    m = _correct(correct, "correct", ndim=2).astype(float)
    n_boot, seed, chunk = _count(n_boot, "n_boot"), _count(seed, "seed"), _count(chunk, "chunk")
    if n_boot < 100 or chunk < 1 or seed < 0:
        raise InputError(f"n_boot {n_boot}, chunk {chunk}, seed {seed}: expected n_boot >= 100, chunk >= 1, seed >= 0")
    rows, cols = m.shape
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        k = min(chunk, n_boot - start)
        w_rows = rng.multinomial(rows, np.full(rows, 1.0 / rows), size=k).astype(float)   # (k, rows)
        w_cols = rng.multinomial(cols, np.full(cols, 1.0 / cols), size=k).astype(float)   # (k, cols)
        reps[start:start + k] = np.einsum("kr,kr->k", w_rows, w_cols @ m.T) / (rows * cols)
    alpha = 1 - level
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return float(m.mean()), float(lo), float(hi)


def no_loss_verdict(correct_ref, correct_test, max_drop_pp: float = 1.0, level: float = 0.95) -> str:
    """Whether ``correct_test`` loses accuracy against ``correct_ref`` on the same digits.

    From the paired interval ``(lo, hi)`` of ``acc(test) - acc(ref)``
    (:func:`paired_difference_interval`) and the tolerated drop ``m = max_drop_pp / 100``:

    * ``"no loss"``: ``lo > -m`` - the whole interval lies above the tolerated drop
      (non-inferiority at the margin; a significant drop smaller than ``m`` is "no loss");
    * ``"loss"``: ``hi < -m`` - the whole interval lies below it: the drop exceeds ``m``;
    * ``"inconclusive"``: the interval contains ``-m`` (too few digits to tell).

    Parameters
    ----------
    correct_ref, correct_test : array of bool
        Correctness of the reference (e.g. error-free) and tested model on identical digits.
    max_drop_pp : float
        Tolerated accuracy drop in percentage points (>= 0).
    level : float
        Confidence level of the interval.
    """
    try:
        margin = float(max_drop_pp) / 100.0
    except (TypeError, ValueError):
        raise InputError(f"max_drop_pp is {max_drop_pp!r}; expected percentage points >= 0") from None
    if not (math.isfinite(margin) and margin >= 0):
        raise InputError(f"max_drop_pp is {max_drop_pp}; expected percentage points >= 0")
    _, lo, hi = paired_difference_interval(correct_ref, correct_test, level)
    return verdict_from_interval(lo, hi, max_drop_pp)


def verdict_from_interval(lo: float, hi: float, max_drop_pp: float = 1.0) -> str:
    """The :func:`no_loss_verdict` rule applied to a given interval ``(lo, hi)`` of ``acc(test) - acc(ref)``
    (fractions): ``"no loss"`` if ``lo > -m``, ``"loss"`` if ``hi < -m``, else ``"inconclusive"``."""
    margin = float(max_drop_pp) / 100.0
    if not (math.isfinite(margin) and margin >= 0):
        raise InputError(f"max_drop_pp is {max_drop_pp}; expected percentage points >= 0")
    if lo > -margin:
        return "no loss"
    if hi < -margin:
        return "loss"
    return "inconclusive"


def paired_two_level_interval(correct_test, correct_ref, level: float = 0.95, n_boot: int = 2000,
                              seed: int = 0) -> tuple[float, float, float]:
    """Bootstrap interval of ``acc(test) - acc(ref)`` over devices and digits, paired on the digits.

    ``correct_test`` is ``(devices, samples)``, ``correct_ref`` ``(samples,)`` (the error-free model
    on the same digits). Each replicate resamples devices and, independently, digits; the same
    resampled digits enter both accuracies, so the pairing is kept. Percentile interval.

    Returns
    -------
    (difference, lo, hi) : tuple of float
    """
    level = _level(level)
    t = _correct(correct_test, "correct_test", ndim=2).astype(float)
    r = _correct(correct_ref, "correct_ref", ndim=1).astype(float)
    if t.shape[1] != len(r):
        raise InputError(f"correct_test has {t.shape[1]} samples per device, correct_ref {len(r)}; expected the same digits")
    return _paired_bootstrap(t - r[None, :], level, n_boot, seed)


def _paired_bootstrap(d: np.ndarray, level: float, n_boot, seed) -> tuple[float, float, float]:
    """Mean of the paired differences ``d`` (units, digits) and its percentile interval, units
    and digits resampled independently (the same cells for both sides of each difference)."""
    n_boot, seed = _count(n_boot, "n_boot"), _count(seed, "seed")
    if n_boot < 100 or seed < 0:
        raise InputError(f"n_boot {n_boot}, seed {seed}: expected n_boot >= 100, seed >= 0")
    rows, cols = d.shape
    rng = np.random.default_rng(seed)
    w_rows = rng.multinomial(rows, np.full(rows, 1.0 / rows), size=n_boot).astype(float)
    w_cols = rng.multinomial(cols, np.full(cols, 1.0 / cols), size=n_boot).astype(float)
    reps = np.einsum("kr,kr->k", w_rows, w_cols @ d.T) / (rows * cols)
    alpha = 1 - level
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return float(d.mean()), float(lo), float(hi)


def bootstrap_mean_interval(values, level: float = 0.95, n_boot: int = 4000, seed: int = 0) -> tuple[float, float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (e.g. effective BER over devices).

    Unlike :func:`mean_interval` it stays inside the values' range, which matters for skewed,
    non-negative quantities such as a device's BER.

    Returns
    -------
    (mean, lo, hi) : tuple of float
    """
    level = _level(level)
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise InputError(f"values: expected a non-empty 1-D array of finite numbers, got shape {v.shape}")
    n_boot, seed = _count(n_boot, "n_boot"), _count(seed, "seed")
    if n_boot < 100 or seed < 0:
        raise InputError(f"n_boot {n_boot}, seed {seed}: expected n_boot >= 100, seed >= 0")
    w = np.random.default_rng(seed).multinomial(len(v), np.full(len(v), 1.0 / len(v)), size=n_boot)
    reps = w @ v / len(v)
    alpha = 1 - level
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return float(v.mean()), float(lo), float(hi)


def paired_matrix_interval(correct_test, correct_ref, level: float = 0.95, n_boot: int = 2000,
                           seed: int = 0) -> tuple[float, float, float]:
    """Bootstrap interval of ``acc(test) - acc(ref)`` where both are ``(units, samples)``, paired by unit and digit.

    A unit is e.g. one (training seed, device seed) pair: row ``u`` of both matrices is the same
    unit on the same digits (fault-aware training against its control trained as long). Each
    replicate resamples units and, independently, digits; both accuracies use the same resampled
    cells. Percentile interval.

    Returns
    -------
    (difference, lo, hi) : tuple of float
    """
    level = _level(level)
    t = _correct(correct_test, "correct_test", ndim=2).astype(float)
    r = _correct(correct_ref, "correct_ref", ndim=2).astype(float)
    if t.shape != r.shape:
        raise InputError(f"correct_test is {t.shape}, correct_ref {r.shape}; expected the same units and digits")
    return _paired_bootstrap(t - r, level, n_boot, seed)
