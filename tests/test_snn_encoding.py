"""Input spike trains: BindsNET's integer Poisson intervals (default) against exponential intervals."""
import json
import zipfile

import numpy as np
import pytest
from scipy import stats

from snn import BINDSNET, InputError, Model, NetworkParams, infer, load_model, preset, save_model

N_SAMPLES = 400
BRIGHT, DIM = 255, 5          # mean intervals 7.8 and 398 steps at 128 Hz, dt = 1 ms


def _reads(params):
    """Read events of N_SAMPLES copies of an image with one bright and one dim pixel."""
    img = np.zeros((N_SAMPLES, 784), np.uint8)
    img[:, 0] = BRIGHT
    img[:, 1] = DIM
    m = Model(np.zeros((784, 1), np.float32), np.zeros(1), -np.ones(1, np.int64), np.zeros((1, 10)), params)
    _, ev = infer(m, img, seed=11, record_reads=True)
    return [ev.sample(k) for k in range(N_SAMPLES)]


def _mean_interval(params, value):
    return 1000.0 / (value / 255 * params.intensity_hz * params.dt_ms)


def test_poisson_intervals_match_bindsnet_encoding():
    lam = _mean_interval(BINDSNET, BRIGHT)
    reads = _reads(BINDSNET)
    # An input spike at step T - 1 is read at step T: the first read step is the first interval.
    first = np.array([s[i == 0][0] for s, i in reads])
    k = np.arange(1, 40)
    pmf = stats.poisson.pmf(k, lam)
    pmf[0] += stats.poisson.pmf(0, lam)                     # a zero interval counts as 1
    mean, var = (k * pmf).sum(), (k * k * pmf).sum() - (k * pmf).sum() ** 2
    assert abs(first.mean() - mean) < 4 * np.sqrt(var / N_SAMPLES)
    assert 0.7 * var < first.var() < 1.4 * var              # ~7.7 steps^2; exponential: ~61
    gaps = np.concatenate([np.diff(s[i == 0]) for s, i in reads])
    assert gaps.min() >= 1 and abs(gaps.mean() - mean) < 0.15    # few intervals cut by the window end
    assert sum(int((i == 1).sum()) for _, i in reads) == 0  # P(interval <= 250) ~ 1e-15 at 398


def test_exponential_intervals_are_a_poisson_process():
    params = BINDSNET.with_(input_intervals="exponential")
    lam = _mean_interval(params, BRIGHT)
    reads = _reads(params)
    first = np.array([s[i == 0][0] - 1 for s, i in reads])  # floor of an exponential time
    assert first.var() > 0.5 * lam ** 2
    dim = sum(int((i == 1).sum()) for _, i in reads)
    expected = N_SAMPLES * (BINDSNET.n_steps - 1) / _mean_interval(params, DIM)
    assert abs(dim - expected) < 4 * np.sqrt(expected)


def test_interval_table():
    cdf = BINDSNET.interval_cdf()
    assert cdf.shape == (256, BINDSNET.n_steps + 1) and not cdf.flags.writeable
    assert np.all(cdf[0] == 0) and np.all(cdf[:, 0] == 0)
    assert np.all(np.diff(cdf, axis=1) >= 0) and cdf.max() <= 1
    assert cdf[255, 1] == pytest.approx(stats.poisson.cdf(1, 1000 / 128))
    assert BINDSNET.with_(intensity_hz=64.0).interval_cdf()[255, 10] < cdf[255, 10]


def test_input_intervals_validated():
    assert BINDSNET.input_intervals == "poisson"
    assert preset("bindsnet-exponential") == BINDSNET.with_(input_intervals="exponential")
    with pytest.raises(InputError, match="input_intervals"):
        NetworkParams(input_intervals="gamma")


def test_model_files_keep_their_encoding(tmp_path):
    W = np.full((784, 2), 0.1, np.float32)
    m = Model(W, np.zeros(2), np.zeros(2, np.int64), np.zeros((2, 10)), BINDSNET.with_(input_intervals="exponential"))
    save_model(tmp_path / "m.npz", m)
    assert load_model(tmp_path / "m.npz").params.input_intervals == "exponential"
    save_model(tmp_path / "d.npz", Model(W, m.theta, m.assignments, m.proportions))
    assert load_model(tmp_path / "d.npz").params == BINDSNET
    # A file written before the parameter existed was trained with exponential intervals.
    with np.load(tmp_path / "d.npz") as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["metadata"]))
    del meta["params"]["input_intervals"]
    arrays["metadata"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "old.npz", **arrays)
    assert zipfile.is_zipfile(tmp_path / "old.npz")
    assert load_model(tmp_path / "old.npz").params.input_intervals == "exponential"
