"""coupling.stats: known values, coverage by simulation, reproducibility, input errors."""
import math

import numpy as np
import pytest
from scipy import optimize, special, stats

from coupling.stats import (mcnemar, mean_interval, no_loss_verdict, paired_difference_interval,
                            two_level_interval, wilson_interval)
from dramsim.errors import InputError

REPS = 400


def test_wilson_known_value_against_the_score_equation():
    lo, hi = wilson_interval(820, 1000)
    z = stats.norm.ppf(0.975)
    # the Wilson limits solve |0.82 - p| = z sqrt(p (1 - p) / n); find both roots independently
    f = lambda p: (0.82 - p) ** 2 - z * z * p * (1 - p) / 1000
    assert lo == pytest.approx(optimize.brentq(f, 0.5, 0.82), abs=1e-12)
    assert hi == pytest.approx(optimize.brentq(f, 0.82, 0.99), abs=1e-12)
    assert (round(lo, 4), round(hi, 4)) == (0.795, 0.8426)      # by hand: 0.81877 -+ 0.02380
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


def test_mcnemar_exact_known_value():
    a = np.array([True] * 10 + [False] * 2 + [True] * 50 + [False] * 30)
    b = np.array([False] * 10 + [True] * 2 + [True] * 50 + [False] * 30)
    out = mcnemar(a, b)
    assert (out["b"], out["c"]) == (10, 2)
    assert out["p_value"] == pytest.approx(2 * (1 + 12 + 66) / 2 ** 12, rel=1e-12)   # 0.0386
    assert mcnemar(a, a)["p_value"] == 1.0
    assert mcnemar(b, a)["p_value"] == out["p_value"]


def test_mean_interval_known_value_and_single_seed():
    x = [0.80, 0.82, 0.81, 0.79, 0.83]
    mean, lo, hi = mean_interval(x)
    half = stats.t.ppf(0.975, 4) * np.std(x, ddof=1) / math.sqrt(5)
    assert mean == pytest.approx(0.81) and (lo, hi) == pytest.approx((0.81 - half, 0.81 + half))
    m1, l1, h1 = mean_interval([0.8])
    assert m1 == 0.8 and math.isnan(l1) and math.isnan(h1)


def test_wilson_coverage():
    rng = np.random.default_rng(11)
    p, n = 0.82, 200
    hits = 0
    for k in rng.binomial(n, p, REPS):
        lo, hi = wilson_interval(int(k), n)
        hits += lo <= p <= hi
    assert 0.91 <= hits / REPS <= 0.985


def test_mean_interval_coverage():
    rng = np.random.default_rng(12)
    hits = 0
    for _ in range(REPS):
        _, lo, hi = mean_interval(rng.normal(0.8, 0.02, 5))
        hits += lo <= 0.8 <= hi
    assert 0.91 <= hits / REPS <= 0.985


def _paired_sample(rng, n, probs):
    """Paired correctness with cell probabilities (both, only A, only B, neither)."""
    cell = rng.choice(4, size=n, p=probs)
    return (cell == 0) | (cell == 1), (cell == 0) | (cell == 2)


def test_paired_difference_interval_coverage_and_symmetry():
    rng = np.random.default_rng(13)
    probs = (0.75, 0.06, 0.03, 0.16)
    truth = (probs[0] + probs[2]) - (probs[0] + probs[1])       # acc(B) - acc(A) = -0.03
    hits = 0
    for _ in range(REPS):
        a, b = _paired_sample(rng, 300, probs)
        d, lo, hi = paired_difference_interval(a, b)
        assert d == pytest.approx(b.mean() - a.mean()) and lo <= d <= hi
        hits += lo <= truth <= hi
    assert 0.91 <= hits / REPS <= 0.99
    d, lo, hi = paired_difference_interval(a, b)
    d2, lo2, hi2 = paired_difference_interval(b, a)
    assert (d2, lo2, hi2) == pytest.approx((-d, -hi, -lo))
    # pairing helps: narrower than two independent Wilson intervals combined (square-and-add)
    la, ua = wilson_interval(int(a.sum()), a.size)
    lb, ub = wilson_interval(int(b.sum()), b.size)
    unpaired = math.hypot(b.mean() - lb, ua - a.mean()) + math.hypot(ub - b.mean(), a.mean() - la)
    assert hi - lo < unpaired


def _crossed(rng, seeds, samples, mu=1.5, sd_seed=0.5, sd_sample=1.0):
    u = rng.normal(0, sd_seed, (seeds, 1))
    v = rng.normal(0, sd_sample, (1, samples))
    return rng.random((seeds, samples)) < special.expit(mu + u + v)


def test_two_level_interval_coverage():
    rng = np.random.default_rng(14)
    # the population mean accuracy of the crossed model, by quadrature over both random effects
    x, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()
    truth = float(np.einsum("i,j,ij->", w, w, special.expit(1.5 + 0.5 * x[:, None] + 1.0 * x[None, :])))
    hits = 0
    reps = 200
    for i in range(reps):
        m = _crossed(rng, 10, 150)
        mean, lo, hi = two_level_interval(m, n_boot=300, seed=i)
        assert mean == pytest.approx(m.mean()) and lo <= mean <= hi
        hits += lo <= truth <= hi
    assert 0.88 <= hits / reps <= 0.995


def test_two_level_interval_is_seeded_and_wider_than_one_level():
    m = _crossed(np.random.default_rng(15), 6, 400)
    first = two_level_interval(m, seed=3)
    assert two_level_interval(m, seed=3) == first
    assert two_level_interval(m, seed=4) != first
    k, n = int(m.sum()), m.size
    lo, hi = wilson_interval(k, n)          # treats all seed x sample cells as independent
    assert first[2] - first[1] > hi - lo
    single = two_level_interval(m[:1], n_boot=500)          # one seed: samples only
    lo1, hi1 = wilson_interval(int(m[0].sum()), m.shape[1])
    assert single[2] - single[1] == pytest.approx(hi1 - lo1, rel=0.25)


def test_no_loss_verdict():
    rng = np.random.default_rng(16)
    ref = rng.random(5000) < 0.9
    assert no_loss_verdict(ref, ref.copy()) == "no loss"
    worse = ref & (rng.random(5000) > 0.1)                     # ~9 pp drop
    assert no_loss_verdict(ref, worse, max_drop_pp=1.0) == "loss"
    small_ref, small_worse = ref[:60], worse[:60]
    assert no_loss_verdict(small_ref, small_worse, max_drop_pp=5.0) == "inconclusive"
    assert no_loss_verdict(ref, worse, max_drop_pp=20.0) == "no loss"


@pytest.mark.parametrize("call, match", [
    (lambda: wilson_interval(11, 10), "0 <= k <= n"),
    (lambda: wilson_interval(1.5, 10), "whole number"),
    (lambda: wilson_interval(1, 10, level=1.5), "level"),
    (lambda: mean_interval([]), "non-empty"),
    (lambda: mean_interval([0.5, float("nan")]), "finite"),
    (lambda: mean_interval(["a", "b"]), "numbers"),
    (lambda: mcnemar([True, False], [True]), "same digits"),
    (lambda: mcnemar([0.5, 1.0], [True, False]), "booleans"),
    (lambda: mcnemar([[True]], [[True]]), "1-D"),
    (lambda: paired_difference_interval([], []), "at least one"),
    (lambda: two_level_interval([True, False]), "2-D"),
    (lambda: two_level_interval([[True, False]], n_boot=10), "n_boot"),
    (lambda: no_loss_verdict([True], [True], max_drop_pp=-1), "max_drop_pp"),
])
def test_input_errors(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_bootstrap_mean_interval_and_paired_two_level():
    from coupling.stats import bootstrap_mean_interval, paired_two_level_interval, verdict_from_interval
    v = np.random.default_rng(1).gamma(0.2, 5.0, 30)
    m, lo, hi = bootstrap_mean_interval(v)
    assert m == pytest.approx(v.mean()) and v.min() <= lo < m < hi <= v.max()
    assert bootstrap_mean_interval(v) == (m, lo, hi)                      # seeded
    rng = np.random.default_rng(2)
    ref = rng.random(400) < 0.8
    test = np.stack([ref & (rng.random(400) > 0.1) for _ in range(5)])   # ~8 pp loss on every device
    d, dlo, dhi = paired_two_level_interval(test, ref)
    assert d == pytest.approx(test.mean() - ref.mean()) and dlo < d < dhi < -0.04
    assert verdict_from_interval(dlo, dhi, 1.0) == "loss"
    same = paired_two_level_interval(np.stack([ref, ref]), ref)
    assert same == (0.0, 0.0, 0.0)                                      # identical digits: no spread at all
    assert verdict_from_interval(-0.005, 0.01, 1.0) == "no loss"
    assert verdict_from_interval(-0.02, 0.01, 1.0) == "inconclusive"
    with pytest.raises(InputError):
        paired_two_level_interval(test, ref[:10])
    with pytest.raises(InputError):
        bootstrap_mean_interval([])


def test_paired_matrix_interval_is_paired_on_identical_digits():
    from coupling.stats import paired_matrix_interval
    rng = np.random.default_rng(0)
    ref = rng.random((6, 400)) < 0.8
    test = ref.copy()
    test[:, :8] = False                                 # the test loses the first 8 digits of every unit
    d, lo, hi = paired_matrix_interval(test, ref)
    assert d == pytest.approx(-(ref[:, :8].sum()) / ref.size)
    assert lo <= d <= hi < 0                            # pairing: a small, consistent loss is resolved
    d0, lo0, hi0 = paired_matrix_interval(ref, ref)
    assert d0 == lo0 == hi0 == 0
    with pytest.raises(InputError):
        paired_matrix_interval(test[:, :10], ref)
