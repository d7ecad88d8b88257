"""Sweeps: stable keys, a killed sweep resumes to a byte-identical results file, Dask == local."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coupling.cli import main
from coupling.sweep import SweepSpec, parts_dir, point_key, run_sweep
from dramsim.errors import InputError

GRID = """\
step: tolerance
results: {results}
base: {{neurons: 8, train_limit: 60, eval_samples: 10, cache_dir: {cache}}}
grid:
  bits: [8, 32]
  ber: [1.0e-4, 1.0e-3, 1.0e-2, 0.1, 0.3]
  error_model: [0, 1, 2, 3]
  seed: [0, 1, 2, 3, 4]
"""


def _write(tmp: Path, name: str, cache: Path, results: str = "results.parquet") -> Path:
    d = tmp / name
    d.mkdir()
    (d / "sweep.yaml").write_text(GRID.format(results=results, cache=cache))
    return d / "sweep.yaml"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    cache = tmp / "cache"
    spec = SweepSpec.load(_write(tmp, "ref", cache))
    out = run_sweep(spec, workers=0)
    return tmp, cache, spec, out


def test_reference_run_is_complete(reference):
    _, _, spec, out = reference
    assert out.total == 200 and out.done == 200 and out.complete
    df = pd.read_parquet(spec.results)
    assert len(df) == 200 and list(df.key) == sorted(df.key)
    assert {"bits", "ber", "error_model", "seed", "accuracy", "flips", "clean_accuracy"} <= set(df.columns)
    # more errors, more flips (model 0, same device seed)
    m0 = df[(df.error_model == 0) & (df.seed == 0) & (df.bits == 8)].sort_values("ber")
    assert m0.flips.is_monotonic_increasing and m0.flips.iloc[-1] > 100 * max(m0.flips.iloc[0], 1)
    again = run_sweep(spec, workers=0)
    assert again.done == 0 and again.skipped == 200


def test_killed_sweep_resumes_to_the_same_file(reference):
    tmp, cache, ref_spec, _ = reference
    spec = SweepSpec.load(_write(tmp, "hook", cache))
    first = run_sweep(spec, workers=0, max_new_points=90)           # the test hook: stop as if killed
    assert first.done == 90 and not first.complete and not spec.results.exists()
    second = run_sweep(spec, workers=0)
    assert second.done == 110 and second.skipped == 90
    assert spec.results.read_bytes() == ref_spec.results.read_bytes()


def test_sigkill_then_restart_with_a_process_pool(reference):
    tmp, cache, ref_spec, _ = reference
    cfg = _write(tmp, "kill", cache, results="results.csv")
    parts = parts_dir(cfg.parent / "results.csv")
    proc = subprocess.Popen([sys.executable, "-m", "coupling.cli", "sweep", str(cfg), "--workers", "0",
                             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if parts.is_dir() and len(list(parts.glob("*.json"))) >= 30:
                break
            time.sleep(0.02)
        killed = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    n_before = len(list(parts.glob("*.json")))
    assert killed and 30 <= n_before < 200
    assert not (cfg.parent / "results.csv").exists()
    assert main(["sweep", str(cfg), "--workers", "2", "--no-progress"]) == 0
    got = pd.read_csv(cfg.parent / "results.csv")
    want = pd.read_parquet(ref_spec.results)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # and a second uninterrupted CSV run writes the same bytes
    cfg2 = _write(tmp, "csv2", cache, results="results.csv")
    run_sweep(SweepSpec.load(cfg2), workers=0)
    assert (cfg2.parent / "results.csv").read_bytes() == (cfg.parent / "results.csv").read_bytes()


def test_dask_local_cluster_equals_local_run(reference):
    distributed = pytest.importorskip("distributed")
    tmp, cache, ref_spec, _ = reference
    spec = SweepSpec.load(_write(tmp, "dask", cache))
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        out = run_sweep(spec, scheduler=cluster.scheduler_address)
    finally:
        cluster.close()
    assert out.done == 200
    assert spec.results.read_bytes() == ref_spec.results.read_bytes()


def test_keys_are_stable_and_bad_files_are_rejected(tmp_path, capsys):
    k = point_key("tolerance", {"neurons": 8}, {}, {"bits": 8, "ber": 0.001})
    assert k == point_key("tolerance", {"neurons": 8}, {"samples_per_step": 3}, {"ber": 0.001, "bits": 8})
    assert k != point_key("tolerance", {"neurons": 9}, {}, {"bits": 8, "ber": 0.001})
    for text, msg in (("step: nope\ngrid: {ber: [0.1]}\n", "step is"),
                      ("grid: {voltage: [1.1]}\n", "grid axis 'voltage'"),
                      ("grid: {bits: [8]}\n", "needs a grid axis ber or vdd"),
                      ("grid: {ber: 0.1}\n", "non-empty list"),
                      ("base: {neuronz: 3}\ngrid: {ber: [0.1]}\n", "unknown setting"),
                      ("grid: {ber: [0.1]}\nresults: out.txt\n", ".parquet or .csv"),
                      ("grid: [\n", "not valid YAML")):
        p = tmp_path / "s.yaml"
        p.write_text(text)
        with pytest.raises(InputError, match=msg):
            SweepSpec.load(p)
    assert main(["sweep", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_energy_candidate_and_fat_steps_feed_selection(reference, tmp_path):
    _, cache, _, _ = reference
    base = f"{{neurons: 8, train_limit: 60, eval_samples: 10, replay_samples: 2, cache_dir: {cache}}}"
    (tmp_path / "cand.yaml").write_text(f"step: candidate\nresults: cand.csv\nbase: {base}\n"
                                        "grid: {bits: [8, 32], vdd: [1.2, 0.912]}\n")
    out = run_sweep(SweepSpec.load(tmp_path / "cand.yaml"), workers=0)
    df = out.results.set_index(["bits", "vdd"])
    assert df.loc[(8, 0.912), "energy_pj"] < df.loc[(8, 1.2), "energy_pj"] < df.loc[(32, 1.2), "energy_pj"]
    assert df.loc[(32, 1.2), "memory_bytes"] == 4 * df.loc[(8, 1.2), "memory_bytes"] == 4 * 784 * 8
    assert main(["select", "--candidates", str(tmp_path / "cand.csv"), "--accuracy-tolerance", "100",
                 "--out", str(tmp_path / "sel")]) == 0
    chosen = pd.read_csv(tmp_path / "sel" / "candidates.csv").sort_values("energy_pj").iloc[0]
    assert chosen.bits == 8 and chosen.vdd == 0.912
    (tmp_path / "energy.yaml").write_text(f"step: energy\nresults: e.parquet\nbase: {base}\n"
                                          "grid: {bits: [8], vdd: [1.2, 0.912]}\n")
    e = run_sweep(SweepSpec.load(tmp_path / "energy.yaml"), workers=0).results.set_index("vdd")
    assert e.loc[0.912, "energy_pj"] < e.loc[1.2, "energy_pj"]
    # candidates are measured on validation digits, the energy step on the test digits: other spikes, other reads
    assert set(df.split) == {"validation"} and "split" not in e.columns
    assert e.loc[0.912, "energy_pj"] != df.loc[(8, 0.912), "energy_pj"]
    (tmp_path / "fat.yaml").write_text(f"step: fat\nresults: f.csv\nbase: {base}\nfat: {{samples_per_step: 10, steps: 2}}\n"
                                       "grid: {target_ber: [0.01], location_aware: [true, false]}\n")
    f = run_sweep(SweepSpec.load(tmp_path / "fat.yaml"), workers=0).results
    assert len(f) == 2 and (f.ber_used == 0.01).all() and (f.flips > 0).all()


def test_results_file_is_refreshed_while_running(reference, tmp_path):
    _, cache, _, _ = reference
    (tmp_path / "s.yaml").write_text(GRID.format(results="r.csv", cache=cache).replace(
        "[0, 1, 2, 3, 4]", "[0]").replace("[0, 1, 2, 3]", "[0]"))
    spec = SweepSpec.load(tmp_path / "s.yaml")
    run_sweep(spec, workers=0, max_new_points=4, consolidate_every_s=0.0)
    assert len(pd.read_csv(spec.results)) == 4                 # the finished points, readable mid-sweep
    out = run_sweep(spec, workers=0)
    assert out.complete and len(pd.read_csv(spec.results)) == out.total == 10
