"""Bad input of every kind gets one line ``PROG: error: ...``, exit status 2, no traceback, and leaves
the output location as it was (issue 14).

Bad-input table: every case tried, and what it gets now
-------------------------------------------------------
File-system faults (item 1), for every command with an output: ``dramsim replay --json/--cmd-trace``,
``dramsim energy --json``, ``dramsim energy-table --csv``, ``dramsim sweep-voltage --out``,
``dramsim voltage-table --out``, ``enforcesnn train --out/--json``, ``eval --json``, ``run --out``,
``tolerance --out``, ``fat --out``, ``select --out``, ``flips --out``, ``sweep`` (results file):

==========================================  =====================================================
case                                        result
==========================================  =====================================================
file output under a regular file (ENOTDIR)  ``PATH: cannot write (F is not a directory)``, exit 2,
                                            before any work (a missing input is not reached)
file output is a directory (EISDIR)         ``PATH: cannot write (is a directory; expected a file)``
file output in a missing directory          ``PATH: cannot write (directory D does not exist)``
directory output is a regular file          ``PATH: cannot write (exists and is not a directory...)``
directory output under a regular file       ``PATH: cannot write (F is not a directory)``
unwritable location (EACCES, EROFS)         ``PATH: cannot write (permission denied)`` (probe file)
disk full while writing (ENOSPC)            ``PATH: cannot write (no space left on device)``, the
                                            target named (not the temp file), no temp file left
``run`` fails while writing its outputs     exit 2, no output directory, no temp directory left
unwritable ``cache_dir``                    the job runs: the model is trained in memory and one
                                            warning line names ``cache_dir``; exit 0
an OSError no layer named (input is a dir)  ``PATH: cannot read or write (is a directory)``, exit 2
==========================================  =====================================================
"""
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coupling.cli import main as snn_main
from dramsim.cli import main as dram_main
from traces._atomic import OutputError, atomic_dir, atomic_write

ROOT = Path(__file__).resolve().parents[1]
TINY_RUN = {"neurons": 8, "train_limit": 40, "eval_samples": 20, "replay_samples": 1, "paced_samples": 1,
            "precisions": [8], "policies": ["drmap"], "reference_policy": "drmap", "voltages": [1.2],
            "device_seeds": [0], "plots": False}


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.is_dir(), p.stat().st_size if p.is_file() else 0)
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def inputs(tmp_path):
    """Small inputs every command accepts; missing ones (model, trace) prove the check came first."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "t.trace").write_text("0x0 R\n0x40 W\n")
    cfg = dict(TINY_RUN, cache_dir=str(tmp_path / "cache"))
    (d / "run.yaml").write_text(yaml.safe_dump(cfg))
    (d / "cand.csv").write_text("name,neurons,bits\n")
    return d


# (program, argv with {F} = a file output or {D} = a directory output, kind)
COMMANDS = [
    ("dramsim", "replay {in}/t.trace --json {F}", "file"),
    ("dramsim", "replay {in}/t.trace --cmd-trace {F}", "file"),
    ("dramsim", "energy {in}/missing.csv --standard DDR3-1600K --json {F}", "file"),
    ("dramsim", "energy-table --csv {F}", "file"),
    ("dramsim", "sweep-voltage {in}/missing.trace --vdd 1.35 --out {D}", "dir"),
    ("dramsim", "voltage-table {in}/missing-voltron --out {F}", "file"),
    ("enforcesnn", "train --neurons 2 --limit 5 --out {F}", "file"),
    ("enforcesnn", "train --neurons 2 --limit 5 --out {in}/m.npz --json {F}", "file"),
    ("enforcesnn", "eval {in}/missing.npz --json {F}", "file"),
    ("enforcesnn", "run --config {in}/run.yaml --no-progress --out {D}", "dir"),
    ("enforcesnn", "tolerance {in}/missing.npz --out {D}", "dir"),
    ("enforcesnn", "fat {in}/missing.npz --target-ber 1e-3 --out {F}", "npz"),
    ("enforcesnn", "select --candidates {in}/cand.csv --out {D}", "dir"),
    ("enforcesnn", "flips {in}/missing.npz --ber 0.01 --out {F}", "csv"),
]


def _call(prog, argv, capsys):
    status = (dram_main if prog == "dramsim" else snn_main)(argv)
    err = capsys.readouterr().err
    return status, err


def _faults(tmp_path: Path, kind: str):
    """(name, path, expected reason) of each fault for an output of ``kind``."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    isdir = tmp_path / "adir.out"
    isdir.mkdir()
    suffix = {"npz": ".npz", "csv": ".csv"}.get(kind, ".out")
    if kind == "dir":
        return [("under-a-file", blocker / "out", "is not a directory"),
                ("is-a-file", blocker, "exists and is not a directory")]
    return [("under-a-file", blocker / f"o{suffix}", "is not a directory"),
            ("is-a-directory", tmp_path / f"adir{suffix}", "is a directory"),
            ("missing-directory", tmp_path / "nodir" / f"o{suffix}", "does not exist")]


@pytest.mark.parametrize("prog,template,kind", COMMANDS, ids=[c[1].split()[0] + ":" + c[1].split("{")[-2].split()[-1]
                                                               for c in COMMANDS])
def test_unwritable_output_is_one_line_exit_2_before_any_work(prog, template, kind, inputs, tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))     # nothing written to the real ~/.cache
    for name, path, reason in _faults(tmp_path, kind):
        if name == "is-a-directory":
            path.mkdir(exist_ok=True)
        before = _snapshot(tmp_path)
        argv = template.format(**{"in": inputs, "F": path, "D": path}).split()
        status, err = _call(prog, argv, capsys)
        assert status == 2, (name, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: {path}: cannot write ("), (name, err)
        assert reason in lines[0], (name, err)
        assert ".tmp" not in lines[0] and "Traceback" not in err
        assert _snapshot(tmp_path) == before, name          # the location is as it was: nothing partial


def test_sweep_results_under_a_file(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    sweep = tmp_path / "s.yaml"
    sweep.write_text("step: tolerance\nresults: afile/r.csv\nbase: {neurons: 8}\ngrid: {ber: [0.1]}\n")
    before = _snapshot(tmp_path)
    status, err = _call("enforcesnn", ["sweep", str(sweep), "--workers", "0"], capsys)
    assert status == 2 and "afile" in err and "cannot write (" in err and len(err.strip().splitlines()) == 1
    assert _snapshot(tmp_path) == before


def test_one_line_and_no_traceback_in_a_real_process(tmp_path):
    (tmp_path / "afile").write_text("x")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for argv in (["dramsim", "replay", "t", "--json", str(tmp_path / "afile" / "j.json")],
                 ["coupling.cli", "eval", "m.npz", "--json", str(tmp_path)]):
        p = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, env=env, cwd=tmp_path,
                           timeout=120)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
        assert "cannot write (" in p.stderr


def test_unwritable_location_is_found_by_a_probe(tmp_path, monkeypatch, capsys):
    """EACCES/EROFS cannot be provoked as root without a mount: the probe's failure is simulated."""
    import tempfile
    real = tempfile.mkstemp

    def refuse(*a, **k):
        if str(k.get("dir", "")) == str(tmp_path):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))
        return real(*a, **k)
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    status, err = _call("dramsim", ["energy-table", "--csv", str(tmp_path / "t.csv")], capsys)
    assert status == 2 and err.strip() == f"dramsim: error: {tmp_path / 't.csv'}: cannot write (permission denied)"
    status, err = _call("enforcesnn", ["tolerance", "m.npz", "--out", str(tmp_path / "tol")], capsys)
    assert status == 2 and f"{tmp_path / 'tol'}: cannot write (permission denied)" in err


def test_disk_full_names_the_target_and_leaves_no_temp_file(tmp_path):
    def full(f):
        f.write(b"abc")
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(OutputError, match=r"o\.csv: cannot write \(no space left on device\)$"):
        atomic_write(tmp_path / "o.csv", full)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="d: cannot write"):
        with atomic_dir(tmp_path / "d") as tmp:
            (tmp / "a.csv").write_text("partial")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_replaces_the_whole_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.csv").write_text("old run")
    with atomic_dir(out) as tmp:
        (tmp / "new.csv").write_text("new run")
        assert (out / "stale.csv").exists()          # the old results stay readable meanwhile
    assert sorted(p.name for p in out.iterdir()) == ["new.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_run_failing_while_writing_leaves_nothing(tmp_path, monkeypatch, capsys):
    from coupling import report
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(dict(TINY_RUN, cache_dir=str(tmp_path / "cache"))))

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(report, "write_outputs", full)
    status, err = _call("enforcesnn", ["run", "--config", str(cfg), "--out", str(tmp_path / "o"), "--no-progress"],
                        capsys)
    assert status == 2 and "cannot write (no space left on device)" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "cache"]


def test_unwritable_cache_dir_trains_in_memory(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(dict(TINY_RUN, cache_dir=str(tmp_path / "afile" / "cache"))))
    status, err = _call("enforcesnn", ["run", "--config", str(cfg), "--out", str(tmp_path / "o"), "--no-progress"],
                        capsys)
    assert status == 0 and (tmp_path / "o" / "results.csv").exists()
    warn = [line for line in err.splitlines() if "cache_dir" in line]
    assert len(warn) == 1 and "cannot write (" in warn[0] and "trained in memory" in warn[0]


def test_an_unnamed_os_error_is_still_one_line(tmp_path, capsys):
    status, err = _call("dramsim", ["check", str(tmp_path), "--standard", "DDR3-1600K"], capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1 and err.startswith("dramsim: error: ")
