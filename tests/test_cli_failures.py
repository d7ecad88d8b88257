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

Config and sweep files (item 2), ``enforcesnn run --config F`` / ``enforcesnn sweep F`` / spec files:

==============================================  =================================================
case                                            result
==============================================  =================================================
binary garbage as ``--config``, sweep or spec   ``F: not a YAML text file (byte N is not UTF-8)``
``max_weakness: abc`` / ``-1``                  ``F: field max_weakness is ...; expected null or a
                                                number >= 0``
``device_seed: -1``, ``eval_seed: -2``          ``field ...; expected a non-negative integer``
``precisions: [7]``                             ``field precisions is [7]; expected ... from 32, 16,
                                                ...`` (up front, not after training)
``weak_bitline_fraction: 2``,                   ``field ...; expected a fraction in [0, 1]``
``one_to_zero_share: 1.5``
``vendor: Z``, ``ber_statistic: mode``,         ``field ...; expected one of ...``
``voltage_scaling: v3``, ``preset: x``,
``rounding: up``
``standard: 5`` / ``standard: DDR9``            ``field standard is 5; expected a non-empty
                                                string`` / ``field standard: unknown standard ...``
``controller_mapping: XYZ``                     ``field controller_mapping is 'XYZ'; expected ...``
                                                (no longer reported as ``--mapping``)
``policies: [foo]``                             ``field policies is ['foo']; expected linear, ...``
``error_model: true``, ``neurons: .nan``        ``field ...; expected ...`` (booleans and NaN are
                                                not numbers)
sweep grid ``bits: [7]``, ``seed: [-1]``,       ``F: grid axis bits: 7; expected ...`` when the
``error_model: [9]``, ``neurons: [0]``,         file is read (before any model is trained)
``policy: [foo]``, ``ber: [nan]``
spec file with an unknown top-level key         ``F: unknown top-level key 'timings'; expected
                                                name, standard, ...``
``--array-share -1`` / ``2`` / ``nan``          ``--array-share -1: expected a fraction in [0, 1]``
==============================================  =================================================

Modes (item 6): every output file was created 0600 (the temp file's mode) whatever the umask; now
``0666 & ~umask`` (files) and ``0777 & ~umask`` (output directories), tested for umasks 022, 027, 077, 002.

Kills (items 3 and 4, tests in ``tests/test_cli_kill.py``): SIGKILL of ``enforcesnn sweep --workers 2``
left both workers and the resource tracker running; now none is alive within seconds. SIGKILL of
``enforcesnn run`` could leave ``results.csv`` without ``report.md``; now ``--out`` does not exist
until the run completes, and the next run removes the killed run's ``.out.PID.tmpdir`` (and the
temp files in it).

Existing output directory (item 9), ``run``, ``tolerance``, ``select``, ``sweep-voltage``: a re-run overwrote
silently and kept files of the earlier run (an old ``traces/``). Now a non-empty ``--out`` is refused
(``D: directory exists and is not empty (an earlier run?); expected a new directory, or --force to
replace it``), exit 2, before any work; ``--force`` replaces it as a whole (no file of the earlier run
survives), but only a directory holding nothing except the command's own outputs, and never the
working directory or one above it. An empty existing directory is used as is. ``enforcesnn sweep``
resumes into its results instead (unchanged).

Misleading or late messages (item 7): ``dramsim replay --channels 0`` said ``DDR3-1600K.yaml: field
channels is 0``; now ``--channels 0: expected a positive integer``. A bad ``controller_mapping`` was
reported as ``--mapping`` (an option ``run`` lacks); now ``field controller_mapping``. ``train --out
nodir/m.npz`` named a temp file after training; now ``nodir/m.npz: cannot write (directory nodir does
not exist)`` before it. ``precisions: [7]`` failed after training naming no field; now up front with
the field. ``dramsim check`` on binary garbage raised ``UnicodeDecodeError``; now ``F: not a text
command trace (...)``; on a CSV with our header and numbers in ``cmd`` it raised ``AttributeError``;
now ``F:2: expected a command name (...)``.

Interfaces (item 8, partly): ``dramsim --version`` and ``enforcesnn --version`` print the version;
``run --help`` shows each override's allowed values (``--access {spike,sample,step}``), meaning and
default instead of ``SET_ACCESS``; ``replay --help`` shows its defaults (DDR3-1600K, RoBaRaCoCh, ...).
Not done: one option name per concept across commands, one list syntax, ``--spec`` everywhere,
the ``sweep-voltage`` options it lacks.

Machine paths (item 12): the shipped standards named ``/work/shared/reference/...``; now
``../shared/reference/...`` (relative to the repository, as the README names the folder).
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
    ("enforcesnn", "train --neurons 2 --train-samples 5 --out {F}", "file"),
    ("enforcesnn", "train --neurons 2 --train-samples 5 --out {in}/m.npz --json {F}", "file"),
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


GARBAGE = bytes(range(256)) * 2


@pytest.mark.parametrize("text,field", [
    (GARBAGE, "not a YAML text file"), ("max_weakness: abc\n", "field max_weakness"),
    ("max_weakness: -1\n", "field max_weakness"), ("device_seed: -1\n", "field device_seed"),
    ("eval_seed: -2\n", "field eval_seed"), ("train_seed: 1.5\n", "field train_seed"),
    ("precisions: [7]\n", "field precisions"), ("precisions: [true]\n", "field precisions"),
    ("weak_bitline_fraction: 2\n", "field weak_bitline_fraction"),
    ("weak_wordline_fraction: -0.1\n", "field weak_wordline_fraction"),
    ("one_to_zero_share: 1.5\n", "field one_to_zero_share"), ("vendor: Z\n", "field vendor"),
    ("vendor: [A]\n", "field vendor"), ("ber_statistic: mode\n", "field ber_statistic"),
    ("voltage_scaling: v3\n", "field voltage_scaling"), ("preset: [x]\n", "field preset"),
    ("rounding: up\n", "field rounding"), ("standard: 5\n", "field standard"),
    ("standard: DDR9\n", "field standard"), ("controller_mapping: XYZ\n", "field controller_mapping"),
    ("policies: [foo]\n", "field policies"), ("policies: [1]\n", "field policies"),
    ("error_model: true\n", "field error_model"), ("neurons: .nan\n", "field neurons"),
    ("buffer_kib: .nan\n", "field buffer_kib"), ("cache_dir: 3\n", "field cache_dir"),
    ("data: null\n", "field data"),
])
def test_every_config_field_is_checked_up_front(text, field, tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
    status, err = _call("enforcesnn", ["run", "--config", str(cfg), "--print-config"], capsys)
    assert status == 2 and err.startswith(f"enforcesnn: error: {cfg}: {field}") and len(err.splitlines()) == 1, err
    assert "--mapping" not in err


def test_the_defaults_and_every_valid_choice_pass():
    from coupling.config import RunConfig
    RunConfig().validate()
    for vendor in "ABC":
        for stat in ("mean", "median", "max"):
            RunConfig(vendor=vendor, ber_statistic=stat, max_weakness=None, voltage_scaling="array",
                      policies=["drmap", "RoRaBaBgChCo"], reference_policy="drmap", precisions=[2, 32],
                      standard="DDR4-2400R", controller_mapping="RoBaRaCoCh").validate()


GRID = "step: tolerance\nresults: r.csv\nbase: {neurons: 8}\ngrid: {ber: [0.1], %s}\n"


@pytest.mark.parametrize("axis,values", [("bits", "[7]"), ("seed", "[-1]"), ("error_model", "[9]"),
                                         ("neurons", "[0]"), ("policy", "[foo]"), ("ber", "[.nan]"),
                                         ("target_ber", "[2]"), ("vdd", "[-1]")])
def test_sweep_grid_values_are_checked_when_the_file_is_read(axis, values, tmp_path, capsys):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(GRID % f"{axis}: {values}" if axis != "ber" else GRID.replace("[0.1], %s", values))
    status, err = _call("enforcesnn", ["sweep", str(sweep), "--workers", "0"], capsys)
    assert status == 2 and err.startswith(f"enforcesnn: error: {sweep}: grid axis {axis}: "), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]     # no parts directory, no training


def test_binary_sweep_and_spec_files(tmp_path, capsys):
    for name in ("s.yaml", "spec.yaml"):
        (tmp_path / name).write_bytes(GARBAGE)
    status, err = _call("enforcesnn", ["sweep", str(tmp_path / "s.yaml")], capsys)
    assert status == 2 and err.strip() == f"enforcesnn: error: {tmp_path / 's.yaml'}: not a YAML text file (byte 128 is not UTF-8)"
    status, err = _call("dramsim", ["show", str(tmp_path / "spec.yaml")], capsys)
    assert status == 2 and "not a YAML text file" in err


def test_spec_file_with_an_unknown_top_level_key(tmp_path, capsys):
    from dramsim.spec import STANDARDS_DIR
    spec = tmp_path / "s.yaml"
    spec.write_text((STANDARDS_DIR / "DDR3-1600K.yaml").read_text() + "timings: {RCD: 1}\n")
    status, err = _call("dramsim", ["show", str(spec)], capsys)
    assert status == 2 and err.startswith(f"dramsim: error: {spec}: unknown top-level key 'timings'")


@pytest.mark.parametrize("share", ["-1", "2", "nan"])
def test_array_share_outside_0_1_is_refused(share, capsys):
    status, err = _call("dramsim", ["energy-table", "--vdd", "1.25", "--scaling", "array", "--array-share", share],
                        capsys)
    assert status == 2 and err.strip() == f"dramsim: error: --array-share {share}: expected a fraction in [0, 1]"
    assert _call("dramsim", ["energy-table", "--vdd", "1.25", "--scaling", "array", "--array-share", "0.3"],
                 capsys)[0] == 0


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077, 0o002])
def test_outputs_get_the_users_umask(umask, tmp_path, capsys):
    from traces._atomic import current_umask
    old = os.umask(umask)
    try:
        assert current_umask() == umask and os.umask(umask) == umask       # reading it did not change it
        atomic_write(tmp_path / "a.bin", lambda f: f.write(b"x"))
        assert _call("dramsim", ["energy-table", "--csv", str(tmp_path / "t.csv")], capsys)[0] == 0
        with atomic_dir(tmp_path / "d") as d:
            atomic_write(d / "x.csv", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    for f in ("a.bin", "t.csv", "d/x.csv"):
        assert (tmp_path / f).stat().st_mode & 0o777 == 0o666 & ~umask, f
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o777 & ~umask


# (program, argv with {D}, one file the command writes there)
DIR_COMMANDS = [
    ("dramsim", "sweep-voltage {in}/missing.trace --vdd 1.35 --out {D}", "sweep.csv"),
    ("enforcesnn", "run --config {in}/run.yaml --no-progress --out {D}", "results.csv"),
    ("enforcesnn", "tolerance {in}/missing.npz --out {D}", "tolerance.md"),
    ("enforcesnn", "select --candidates {in}/cand.csv --out {D}", "selection.md"),
]


@pytest.mark.parametrize("prog,template,own", DIR_COMMANDS, ids=[c[1].split()[0] for c in DIR_COMMANDS])
def test_existing_output_directory_is_refused_unless_force(prog, template, own, inputs, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / own).write_text("an earlier run")
    argv = template.format(**{"in": inputs, "D": out}).split()
    before = _snapshot(tmp_path)
    status, err = _call(prog, argv, capsys)
    assert status == 2 and err.strip() == (f"{prog}: error: {out}: directory exists and is not empty (an earlier "
                                           "run?); expected a new directory, or --force to replace it")
    assert _snapshot(tmp_path) == before
    for foreign in ("mine.txt", ".git"):
        (out / foreign).write_text("not an output of the command")
        status, err = _call(prog, argv + ["--force"], capsys)
        assert status == 2 and f"holds {foreign!r}, which this command does not write" in err
        assert (out / foreign).exists() and (out / own).read_text() == "an earlier run"
        (out / foreign).unlink()


def test_force_replaces_the_whole_directory_of_an_earlier_run(tmp_path, capsys):
    out = tmp_path / "o"
    (out / "traces").mkdir(parents=True)
    (out / "traces" / "trace_32b_linear.npz").write_text("an earlier run's trace")
    (out / "results.csv").write_text("old")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(dict(TINY_RUN, cache_dir=str(tmp_path / "cache"))))
    status, _ = _call("enforcesnn", ["run", "--config", str(cfg), "--out", str(out), "--no-progress", "--force"],
                      capsys)
    assert status == 0 and not (out / "traces").exists()           # trace_format is null now: no old traces
    assert (out / "results.csv").read_text() != "old" and (out / "report.md").exists()


def test_force_never_replaces_the_working_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "sweep.csv").write_text("x")
    monkeypatch.chdir(tmp_path)
    status, err = _call("dramsim", ["sweep-voltage", "t", "--vdd", "1.35", "--out", ".", "--force"], capsys)
    assert status == 2 and "working directory" in err and (tmp_path / "sweep.csv").exists()


def test_an_empty_existing_directory_is_used(tmp_path, capsys):
    from traces._atomic import check_output_dir
    (tmp_path / "o").mkdir()
    assert check_output_dir(tmp_path / "o", force=False) == tmp_path / "o"


@pytest.mark.parametrize("argv,line", [
    (["replay", "t.trace", "--channels", "0"], "dramsim: error: --channels 0: expected a positive integer"),
    (["replay", "t.trace", "--ranks", "0"], "dramsim: error: --ranks 0: expected a positive integer"),
])
def test_channel_and_rank_options_are_named_as_options(argv, line, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.trace").write_text("0x0 R\n")
    status, err = _call("dramsim", argv, capsys)
    assert status == 2 and err.strip() == line


@pytest.mark.parametrize("content,expected", [
    (GARBAGE, "not a text command trace"),
    (b"cycle,cmd,channel,rank,bankgroup,bank,row,column\n1,2,3,4,5,6,7,8\n", ":2: expected a command name"),
    (b"1,2,3,4,5,6,7,8\n", ":1: expected a command name"),
])
def test_check_on_garbage_says_what_is_wrong(content, expected, tmp_path, capsys):
    from traces.command_io import _HEADER
    if content.startswith(b"cycle"):
        content = (_HEADER + "\n1,2,3,4,5,6,7,8\n").encode()
    (tmp_path / "c.csv").write_bytes(content)
    status, err = _call("dramsim", ["check", str(tmp_path / "c.csv")], capsys)
    assert status == 2 and err.startswith(f"dramsim: error: {tmp_path / 'c.csv'}") and expected in err, err
    assert "fields" not in err and len(err.splitlines()) == 1


def test_train_into_a_missing_directory_fails_before_training_naming_the_target(tmp_path, capsys):
    import time
    t0 = time.perf_counter()
    status, err = _call("enforcesnn", ["train", "--out", str(tmp_path / "nodir" / "m.npz"), "--no-progress"], capsys)
    assert status == 2 and time.perf_counter() - t0 < 5          # before the (minutes-long) default training
    assert err.strip() == f"enforcesnn: error: {tmp_path / 'nodir' / 'm.npz'}: cannot write (directory " \
                          f"{tmp_path / 'nodir'} does not exist)"


def test_no_machine_path_in_shipped_files():
    from dramsim.spec import STANDARDS_DIR
    for f in sorted(STANDARDS_DIR.glob("*.yaml")) + sorted((STANDARDS_DIR.parent / "tables").glob("*.yaml")):
        text = f.read_text()
        for prefix in ("/work/", "/home/", "/root/", "/Users/", "C:\\"):
            assert prefix not in text, f"{f.name} names a machine path ({prefix})"


@pytest.mark.parametrize("prog,main", [("dramsim", dram_main), ("enforcesnn", snn_main)])
def test_version(prog, main, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    out = capsys.readouterr().out.strip()
    assert exc.value.code == 0 and out.startswith(f"{prog} ") and out.split()[1][0].isdigit()


def test_run_help_shows_allowed_values_and_defaults(capsys):
    with pytest.raises(SystemExit):
        snn_main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--access {spike,sample,step}" in out and "--error-model {0,1,2,3}" in out
    assert "(config field access; default spike)" in out and "(config field ber; default null)" in out
    assert "SET_" not in out
    status, err = _call("enforcesnn", ["run", "--access", "often", "--print-config"], capsys)
    assert status == 2 and "field access is 'often'; expected one of spike, sample, step" in err


def test_replay_help_shows_its_defaults(capsys):
    with pytest.raises(SystemExit):
        dram_main(["replay", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ("default DDR3-1600K", "default RoBaRaCoCh", "default open", "default 32", "default all-bank",
                 "default csv"):
        assert text in out, text
