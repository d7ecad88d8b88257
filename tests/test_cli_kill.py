"""Kill safety (issue 14 items 3 and 4): a SIGKILLed ``enforcesnn sweep`` leaves no live worker, a
SIGKILLed ``enforcesnn run`` leaves no output that looks finished, and the next run removes what the
killed one left. Real processes, bounded in time."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    out = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="1")


def test_sigkill_of_a_sweep_leaves_no_worker(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"step: tolerance\nresults: r.csv\nbase: {{neurons: 8, train_limit: 40, eval_samples: 200, "
                     f"cache_dir: {tmp_path / 'cache'}}}\ngrid: {{ber: [0.001, 0.01, 0.1], seed: [0, 1, 2, 3, 4, 5]}}\n")
    proc = subprocess.Popen([sys.executable, "-m", "coupling.cli", "sweep", str(sweep), "--workers", "2",
                             "--no-progress"], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = set()
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and len(workers) < 2:
            workers = {c for c in _children(proc.pid)
                       if b"multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes()
                       and b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()}
            time.sleep(0.05)
        everyone = _children(proc.pid)
        assert proc.poll() is None and len(workers) >= 2, "the sweep ended before its workers could be seen"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.time() + 15
    while time.time() < deadline and any(_alive(p) for p in everyone):
        time.sleep(0.1)
    left = [p for p in everyone if _alive(p)]
    for p in left:                      # do not leave them behind even when the test fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes alive after the sweep was killed: {left}"


def test_sigkill_of_run_leaves_no_finished_looking_output_and_the_next_run_cleans_up(tmp_path):
    cfg = {"neurons": 8, "train_limit": 40, "eval_samples": 20, "replay_samples": 1, "paced_samples": 1,
           "precisions": [8], "policies": ["drmap"], "reference_policy": "drmap", "voltages": [1.2, 0.95],
           "device_seeds": [0], "plots": True, "cache_dir": str(tmp_path / "cache")}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "coupling.cli", "run", "--config", str(tmp_path / "c.yaml"), "--out", str(out),
            "--no-progress"]
    proc = subprocess.Popen(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and not list(tmp_path.glob(".out.*.tmpdir")):
            time.sleep(0.02)
        assert proc.poll() is None, "run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert not out.exists()                             # no partial output set that looks finished
    stale = list(tmp_path.glob(".out.*.tmpdir"))
    assert stale
    (stale[0] / ".report.md.x1y2.tmp.md").write_text("partial")   # as a killed atomic write leaves it
    p = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert not list(tmp_path.glob(".out.*")), "the killed run's temp directory is still there"
    assert sorted(f.name for f in out.iterdir() if f.name.startswith(".")) == []
    assert {"results.csv", "report.md", "config.yaml"} <= {f.name for f in out.iterdir()}


def test_a_live_runs_temp_directory_is_not_removed(tmp_path):
    from traces._atomic import atomic_dir
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other = tmp_path / f".out.{sleeper.pid}.tmpdir"
        other.mkdir()
        with atomic_dir(tmp_path / "out") as d:
            (d / "a").write_text("x")
        assert other.is_dir()                          # another live process is still building it
    finally:
        sleeper.kill()
        sleeper.wait()
    with atomic_dir(tmp_path / "out"):
        pass
    assert not other.exists()
