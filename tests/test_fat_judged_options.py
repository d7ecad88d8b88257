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
