"""EDEN error models, fast flip sampling, the DRAM weight source."""
import numpy as np
import pytest

from coupling.faults import ErrorProfile, FaultModel, apply_flips
from coupling.layout import Geometry, WeightLayout
from coupling.weights import DramWeightSource, repair_float
from dramsim.errors import InputError

SMALL = Geometry(channels=1, ranks=1, bankgroups=1, banks_per_group=4, rows=32, bursts_per_row=8,
                 burst_length=8, burst_bits=512)


def _flip_fraction(model, ber, seeds, **kw):
    """Flips / bits over many devices and draws, with a layout that fills the whole device."""
    lay = WeightLayout(SMALL, 512, 64, 16, "drmap")            # 524288 bits = the device
    assert lay.n_bursts == SMALL.n_slots
    codes = np.random.default_rng(9).integers(0, 2**16, (512, 64)).astype(np.uint16)  # ~50/50 ones
    flips = 0
    for s in seeds:
        fm = FaultModel(SMALL, ErrorProfile(model=model, **kw), device_seed=s)
        flips += len(fm.sample_flips(lay, ber, np.random.default_rng([s, 77]), codes))
    return flips, lay.n_bits * len(seeds)


@pytest.mark.parametrize("model", [0, 1, 2, 3])
def test_flip_fraction_matches_ber_within_confidence_interval(model):
    ber = 2e-4
    flips, n = _flip_fraction(model, ber, range(40), weak_bitline_fraction=0.02, weak_wordline_fraction=0.05)
    # weak-line models add device-to-device variance (how many lines are weak): widen accordingly
    frac_lines = {0: None, 1: 0.02 * SMALL.n_banks * SMALL.row_bits, 2: 0.05 * SMALL.n_banks * SMALL.rows,
                  3: None}[model]
    var = n * ber * (1 - ber)
    if frac_lines:
        var += (ber * n) ** 2 / (frac_lines * 40)   # relative variance of the weak-line count ~ 1 / lines
    z = (flips - n * ber) / np.sqrt(var)
    assert abs(z) < 4, (flips, n * ber)


def test_error_models_differ_in_where_flips_land():
    lay = WeightLayout(SMALL, 512, 64, 16, "drmap")
    fm = FaultModel(SMALL, ErrorProfile(model=2, weak_wordline_fraction=0.05), 3)
    pos = fm.sample_flips(lay, 1e-3, np.random.default_rng(0))
    loc = lay.locate_positions(pos)
    assert len(pos) > 0 and np.all(fm.weak_wordlines[loc["flat_bank"], loc["row"]])
    fm = FaultModel(SMALL, ErrorProfile(model=1, weak_bitline_fraction=0.02), 3)
    loc = lay.locate_positions(fm.sample_flips(lay, 1e-3, np.random.default_rng(0)))
    assert np.all(fm.weak_bitlines[loc["flat_bank"], loc["bitline"]])
    # model 3: 1 -> 0 flips three times as frequent as 0 -> 1 with share 0.75 (all-ones vs all-zeros data)
    fm = FaultModel(SMALL, ErrorProfile(model=3, one_to_zero_share=0.75), 3)
    ones = np.full((512, 64), 0xFFFF, np.uint16)
    zeros = np.zeros((512, 64), np.uint16)
    n1 = sum(len(fm.sample_flips(lay, 1e-3, np.random.default_rng(s), ones)) for s in range(5))
    n0 = sum(len(fm.sample_flips(lay, 1e-3, np.random.default_rng(s), zeros)) for s in range(5))
    assert 2.5 < n1 / n0 < 3.6
    # bank weakness: the weak bank gets proportionally more flips
    fm = FaultModel(SMALL, ErrorProfile(model=0, bank_weakness=(1, 1, 4, 2)), 0)
    loc = lay.locate_positions(fm.sample_flips(lay, 1e-3, np.random.default_rng(1)))
    per_bank = np.bincount(loc["flat_bank"], minlength=4)
    assert per_bank[2] > 3 * per_bank[0] and per_bank[3] > 1.5 * per_bank[1]


def test_same_seed_same_flips_and_apply_flips_inverts_bits():
    lay = WeightLayout(SMALL, 100, 20, 8, "drmap")
    fm = FaultModel(SMALL, ErrorProfile(model=0), 1)
    a = fm.sample_flips(lay, 1e-2, np.random.default_rng(5))
    b = fm.sample_flips(lay, 1e-2, np.random.default_rng(5))
    assert np.array_equal(a, b) and len(np.unique(a)) == len(a)
    codes = np.random.default_rng(0).integers(0, 256, (100, 20)).astype(np.uint8)
    flipped = apply_flips(codes, lay, a)
    diff_bits = np.unpackbits((codes ^ flipped).view(np.uint8)).sum()
    assert diff_bits == len(a)
    assert np.array_equal(apply_flips(flipped, lay, a), codes)


def test_weight_source_ber_zero_is_exact_and_persistent_is_static():
    rng = np.random.default_rng(0)
    W = (rng.integers(0, 16, (784, 10)) / 16).astype(np.float32)
    lay = WeightLayout(SMALL, 784, 10, 4, "drmap")
    fm = FaultModel(SMALL, ErrorProfile(), 0)
    src = DramWeightSource(W, 4, lay, fm, 0.0)
    assert src.is_static and np.array_equal(src.weights(0), W)
    src = DramWeightSource(W, 4, lay, fm, 1e-2, device_seed=3, draw_key=11500)
    w0 = src.weights(0)
    assert src.last_flips > 0 and np.array_equal(w0, src.weights(5))
    again = DramWeightSource(W, 4, lay, fm, 1e-2, device_seed=3, draw_key=11500)
    assert np.array_equal(again.weights(0), w0)
    tr = DramWeightSource(W, 4, lay, fm, 1e-2, mode="transient", device_seed=3)
    assert not tr.is_static
    assert not np.array_equal(tr.weights(0), tr.weights(1))
    assert np.array_equal(tr.weights(1), tr.weights(1))


def test_float32_flips_are_repaired():
    W = np.full((784, 10), 0.5, np.float32)
    lay = WeightLayout(SMALL, 784, 10, 32, "drmap")
    src = DramWeightSource(W, 32, lay, FaultModel(SMALL, ErrorProfile(), 0), 1e-2, device_seed=1)
    out = src.weights(0)
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1
    assert np.any(out != W)
    bad = np.array([np.nan, np.inf, -1.0, 2.0, 0.3], np.float32)
    assert np.array_equal(repair_float(bad, "zero"), np.array([0, 0, 0, 0, 0.3], np.float32))
    assert np.array_equal(repair_float(bad, "clip"), np.array([0, 0, 0, 1, 0.3], np.float32))


def test_bad_input():
    with pytest.raises(InputError):
        ErrorProfile(model=4)
    with pytest.raises(InputError):
        ErrorProfile(weak_bitline_fraction=0)
    lay = WeightLayout(SMALL, 10, 10, 8, "drmap")
    with pytest.raises(InputError):
        FaultModel(SMALL).sample_flips(lay, 1.5, np.random.default_rng(0))
    with pytest.raises(InputError):
        DramWeightSource(np.zeros((10, 10), np.float32), 8, lay, FaultModel(SMALL), 0.1, mode="sometimes")
