"""benchmarks/snn_vs_bindsnet.py: BindsNET is optional; without it the benchmark says so in one line, status 2."""
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "snn_vs_bindsnet.py"

# Run the script as __main__ with bindsnet made unimportable (None in sys.modules).
RUN_WITHOUT = ("import runpy, sys; sys.modules['bindsnet'] = None; "
               "sys.argv = [sys.argv[1], '--quick']; runpy.run_path(sys.argv[0], run_name='__main__')")


def test_without_bindsnet_one_line_and_status_2(tmp_path):
    r = subprocess.run([sys.executable, "-c", RUN_WITHOUT, str(SCRIPT)], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "BindsNET is not installed" in lines[0] and "pip install bindsnet" in lines[0]
