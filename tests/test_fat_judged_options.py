"""benchmarks/fat_judged.py: saved results are keyed by every option that changes them."""
import argparse

import pytest

from bench_import import load_benchmark


@pytest.fixture(scope="module")
def fat_judged():
    return load_benchmark("fat_judged")


def _args(**kw):
    base = dict(vendor="B", neurons=100, epochs=1, plausibility_repair="none")
    return argparse.Namespace(**{**base, **kw})


def test_defaults_keep_the_file_names_of_earlier_runs(fat_judged):
    assert fat_judged._suffix(_args()) == ""


@pytest.mark.parametrize("kw", [dict(vendor="A"), dict(neurons=400), dict(epochs=5),
                                dict(plausibility_repair="neuron-max-clip")])
def test_every_non_default_option_changes_the_file_names(fat_judged, kw):
    assert fat_judged._suffix(_args(**kw)) != ""


def test_distinct_configurations_get_distinct_names(fat_judged):
    names = {fat_judged._suffix(_args(neurons=n, epochs=e)) for n in (100, 400) for e in (1, 5)}
    assert len(names) == 4


@pytest.mark.parametrize("argv", [["--neurons", "0"], ["--epochs", "-1"]])
def test_bad_sizes_exit_2_with_one_line(fat_judged, argv, capsys, tmp_path):
    assert fat_judged.main(argv + ["--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and argv[0] in err[0]
    assert not (tmp_path / "o").exists()


def test_a_partial_regime_run_replaces_its_cells_and_keeps_the_others(fat_judged, tmp_path):
    import pandas as pd
    path = tmp_path / "regime_m0_transient.csv"
    pd.DataFrame({"bits": [4, 4, 8], "ber": [0.01, 0.1, 0.01], "loss_pp": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    new = pd.DataFrame({"bits": [4, 16], "ber": [0.01, 0.01], "loss_pp": [9.0, 5.0]})
    t = fat_judged.merge_map(new, path)
    cells = {(r.bits, r.ber): r.loss_pp for r in t.itertuples()}
    assert cells == {(4, 0.01): 9.0, (4, 0.1): 2.0, (8, 0.01): 3.0, (16, 0.01): 5.0}
    assert fat_judged.merge_map(new, tmp_path / "none.csv") is new


@pytest.mark.parametrize("argv", [["--regime-bits", "4,12"], ["--regime-bers", "0.1,x"], ["--regime-bers", "0"]])
def test_bad_regime_grids_exit_2_with_one_line(fat_judged, argv, capsys, tmp_path):
    assert fat_judged.main(["--regime", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and argv[0] in err[0]
    assert not (tmp_path / "o").exists()
