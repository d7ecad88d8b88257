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


# -- weak cells with fixed thresholds: nested, placement-independent, seeded ----------------------------
DEV = Geometry(channels=1, ranks=1, bankgroups=1, banks_per_group=8, rows=64, bursts_per_row=8,
               burst_length=8, burst_bits=512)


def _codes(lay, seed=3):
    return np.random.default_rng(seed).integers(0, 2**lay.bits, (lay.n_inputs, lay.n_neurons)).astype(np.uint16)


@pytest.mark.parametrize("model", [0, 1, 2, 3])
def test_persistent_flips_are_nested_across_ber(model):
    lay = WeightLayout(DEV, 784, 20, 8, "drmap")
    fm = FaultModel(DEV, ErrorProfile(model=model, weak_bitline_fraction=0.05, weak_wordline_fraction=0.1,
                                      bank_weakness=(2, 1, 1, 0.5, 1, 1, 0.2, 3), ber_spread_shape=2.0,
                                      bank_concentration=5.0), device_seed=7)
    codes = _codes(lay)
    previous = np.zeros(0, np.int64)
    for ber in (1e-5, 1e-4, 1e-3, 1e-2, 1e-1):
        flips = fm.persistent_flips(lay, ber, codes)
        assert np.all(np.isin(previous, flips)), ber          # every cell failing at a lower BER still fails
        assert len(flips) >= len(previous)
        previous = flips
    assert len(previous) > 100
    assert np.array_equal(previous, fm.persistent_flips(lay, 1e-1, codes))   # deterministic


def test_persistent_flips_nested_across_voltage_on_the_voltron_table():
    from dramsim.spec import load_spec
    from dramsim.voltage import operating_point
    spec = load_spec("LPDDR3-1600")
    lay = WeightLayout(Geometry.from_spec(spec), 784, 100, 8, "drmap")
    fm = FaultModel(Geometry.from_spec(spec), ErrorProfile(model=0), device_seed=1)
    bers = [operating_point(spec, v, vendor="B").ber for v in (0.9778, 0.9556, 0.9333, 0.9112)]
    assert all(b2 >= b1 for b1, b2 in zip(bers, bers[1:])) and bers[-1] > 0
    sets = [fm.persistent_flips(lay, b) for b in bers]
    assert all(np.all(np.isin(a, b)) for a, b in zip(sets, sets[1:])) and len(sets[-1]) > 50


def test_a_cell_fails_whatever_weight_it_holds():
    """Thresholds belong to cells: layouts that put bursts in the same slot see the same failing bits there."""
    fm = FaultModel(DEV, ErrorProfile(model=0), device_seed=4)
    serial = WeightLayout(DEV, 784, 20, 8, "bank-serial")
    drmap = WeightLayout(DEV, 784, 20, 8, "drmap")
    same = np.flatnonzero((serial.flat_bank == drmap.flat_bank) & (serial.row == drmap.row)
                          & (serial.burst_col == drmap.burst_col))
    assert len(same) >= 8                                      # the first row of bank 0 is shared
    B = DEV.burst_bits
    in_same = lambda pos: pos[np.isin(pos // B, same)]        # noqa: E731
    a, b = in_same(fm.persistent_flips(serial, 0.02)), in_same(fm.persistent_flips(drmap, 0.02))
    assert len(a) > 10 and np.array_equal(a, b)
    assert not np.array_equal(fm.persistent_flips(serial, 0.02), fm.persistent_flips(drmap, 0.02))
    other = FaultModel(DEV, ErrorProfile(model=0), device_seed=5)
    assert not np.array_equal(other.persistent_flips(drmap, 0.02), fm.persistent_flips(drmap, 0.02))


@pytest.mark.parametrize("model", [0, 1, 2, 3])
def test_persistent_flip_fraction_over_devices_within_its_interval(model):
    """Mean flips / bits over 40 devices (no device spread) is the BER, within a 99.99% interval."""
    lay = WeightLayout(SMALL, 512, 64, 16, "drmap")
    codes = np.random.default_rng(9).integers(0, 2**16, (512, 64)).astype(np.uint16)
    ber, seeds = 2e-4, range(40)
    kw = dict(weak_bitline_fraction=0.02, weak_wordline_fraction=0.05)
    flips = sum(len(FaultModel(SMALL, ErrorProfile(model=model, **kw), s).persistent_flips(lay, ber, codes))
                for s in seeds)
    n = lay.n_bits * len(seeds)
    frac_lines = {0: None, 1: 0.02 * SMALL.n_banks * SMALL.row_bits, 2: 0.05 * SMALL.n_banks * SMALL.rows,
                  3: None}[model]
    var = n * ber * (1 - ber)
    if frac_lines:
        var += (ber * n) ** 2 / (frac_lines * 40)
    assert abs(flips - n * ber) / np.sqrt(var) < 4, (flips, n * ber)


def test_device_spread_multiplier_and_bank_weakness():
    vendor = (2.4, 1.5, 1.0, 0.6, 1.1, 1.1, 0.08, 0.17)
    pr = ErrorProfile(model=0, bank_weakness=vendor, ber_spread_shape=0.8, bank_concentration=4.0)
    devs = [FaultModel(DEV, pr, s) for s in range(400)]
    m = np.array([d.ber_multiplier for d in devs])
    w = np.array([d.bank_factor for d in devs])
    assert abs(m.mean() - 1) < 4 * np.sqrt(1 / 0.8 / 400)              # Gamma(k, 1/k): mean 1, var 1/k
    assert abs(m.var() / (1 / 0.8) - 1) < 0.35
    assert np.allclose(w.mean(axis=1), 1.0)                             # each device: mean weakness 1
    expect = np.asarray(vendor) / np.mean(vendor)
    assert np.allclose(w.mean(axis=0), expect, atol=0.2)               # vendor profile = expectation
    # Dirichlet spread: var(w_b) = n^2 a_b (a0 - a_b) / (a0^2 (a0 + 1)), a = c w_vendor / n
    a = np.maximum(4.0 * expect / 8, 0.001)
    var = 64 * a * (a.sum() - a) / (a.sum() ** 2 * (a.sum() + 1))
    assert np.allclose(w.var(axis=0), var, rtol=0.35)
    assert FaultModel(DEV, pr, 3).ber_multiplier == devs[3].ber_multiplier   # seeded
    # without spread every device is the vendor mean
    flat = FaultModel(DEV, ErrorProfile(model=0, bank_weakness=vendor), 3)
    assert flat.ber_multiplier == 1.0 and np.allclose(flat.bank_factor, expect)
    assert np.allclose(devs[3].region_weakness("vendor")[:, 0], expect)
    assert np.allclose(devs[3].region_weakness("profiled")[:, 0], devs[3].bank_factor)


def test_devices_of_the_main_job_vary_like_voltron_modules():
    """Per-device bank weakness and BER multiplier of `enforcesnn run`'s devices spread as the Voltron maps do."""
    from pathlib import Path
    from coupling import pipeline
    from coupling.config import RunConfig
    from dramsim.spec import load_spec
    from dramsim.voltage import load_table, voltron_bank_maps
    maps = Path(__file__).resolve().parents[2] / "shared" / "reference" / "voltron" / "spatial_summary.txt"
    if not maps.is_file():
        pytest.skip("shared reference data absent")
    spec, cfg = load_spec("LPDDR3-1600"), RunConfig()          # vendor B, device variation on
    weak = load_table(None).weakness("B", 8)
    spread = pipeline.device_spread(cfg)
    devs = [pipeline.fault_model(spec, cfg, weak, s, spread) for s in range(3000)]
    w = np.array([d.bank_factor for d in devs])
    m = np.array([d.ber_multiplier for d in devs])
    profiles = 8 * voltron_bank_maps(maps)["B"][0]
    assert np.allclose(w.mean(axis=0), weak, atol=0.12)                # the vendor mean is the expectation
    ratio = w.var(axis=0).sum() / profiles.var(axis=0, ddof=1).sum()
    assert 0.8 < ratio < 1.2, ratio                                    # as spread as the maps
    assert w[:, 0].std() > 1.0                                         # bank 0 really varies (maps: 2.25)
    assert abs(m.mean() - 1) < 0.25 and m.std() > 1.5                  # Gamma(0.16): mean 1, sd 2.5
    off = pipeline.fault_model(spec, RunConfig(device_variation=False), weak, 5)
    assert off.ber_multiplier == 1.0 and np.allclose(off.bank_factor, weak)
