"""benchmarks/dram_speed.py --ramulator2: bad input is one line and status 2; a broken build is named in one line.

With ``RAMULATOR2_PYTHON`` set to a directory holding a built Ramulator 2.1 ``ramulator`` package, the child
driver is also run on a short trace per preset and its cycles compared with ours (skipped otherwise).
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "dram_speed.py"


def run_speed(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def test_directory_without_ramulator_package_is_one_line_status_2(tmp_path):
    r = run_speed(["--standard", "DDR5-4800", "--ramulator2", str(tmp_path)], tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--ramulator2" in lines[0] and "ramulator/__init__.py" in lines[0]


def test_standard_without_ramulator_preset_is_one_line_status_2(tmp_path):
    (tmp_path / "ramulator").mkdir()
    (tmp_path / "ramulator" / "__init__.py").write_text("")
    r = run_speed(["--standard", "LPDDR4-3200", "--ramulator2", str(tmp_path)], tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "LPDDR4-3200" in lines[0] and "DDR5-4800" in lines[0]


def load_benchmark():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import dram_speed
    finally:
        sys.path.pop(0)
    return dram_speed


def test_broken_build_fails_in_one_line_naming_it(tmp_path):
    dram_speed = load_benchmark()
    (tmp_path / "ramulator").mkdir()
    (tmp_path / "ramulator" / "__init__.py").write_text("raise ImportError('no _ramulator extension here')\n")
    trace = tmp_path / "t.trace"
    trace.write_text("LD 0x0\n")
    with pytest.raises(SystemExit) as e:
        dram_speed.ramulator2_run(tmp_path, trace, "DDR5-4800")
    msg = str(e.value)
    assert "\n" not in msg and str(tmp_path) in msg and "no _ramulator extension here" in msg


@pytest.mark.skipif(not os.environ.get("RAMULATOR2_PYTHON"), reason="RAMULATOR2_PYTHON (a Ramulator 2.1 build) not set")
@pytest.mark.parametrize("standard", ["DDR3-1600K", "DDR4-2400R", "DDR5-4800"])
def test_real_ramulator2_cycles_match_ours_on_short_stride(tmp_path, standard):
    """Each preset entry of RAMULATOR2_PRESETS drives the same device as our standard of that name."""
    from dramsim.simulate import simulate
    from dramsim.spec import load_spec
    from traces import RequestTrace

    dram_speed = load_benchmark()
    assert standard in dram_speed.RAMULATOR2_PRESETS
    a = dram_speed.addresses("stride", 4000)
    trace = tmp_path / "stride.trace"
    trace.write_text("".join(f"LD 0x{int(x):x}\n" for x in a))
    run_s, wall, cycles = dram_speed.ramulator2_run(Path(os.environ["RAMULATOR2_PYTHON"]), trace, standard)
    ours = simulate(load_spec(standard), RequestTrace(a, np.zeros(len(a), bool))).cycles
    assert 0 < run_s < wall
    assert abs(ours - cycles) <= 0.01 * cycles


@pytest.mark.skipif(not os.environ.get("RAMULATOR2_PYTHON"), reason="RAMULATOR2_PYTHON (a Ramulator 2.1 build) not set")
def test_real_ramulator2_lpddr5_runs_its_own_controller(tmp_path):
    """LPDDR5-6400's preset entry runs Ramulator 2.1's LPDDR5 controller (ramulator2_run.CONTROLLERS) on the
    same device: stride cycles within 1% of ours."""
    test_real_ramulator2_cycles_match_ours_on_short_stride(tmp_path, "LPDDR5-6400")
