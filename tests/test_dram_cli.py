"""The dramsim CLI: replay output, JSON keys, bad input (exit 2, one line, no partial files)."""
import json
import subprocess
import sys

import pytest

from dramsim.cli import main

KEYS = {"standard", "cycles", "time_ns", "requests", "reads", "writes", "row_hits", "row_misses",
        "row_conflicts", "commands", "bandwidth_gbps", "latency_cycles", "energy_pj", "wall_s"}


@pytest.fixture
def trace(tmp_path):
    p = tmp_path / "t.trace"
    p.write_text("".join(f"{'ST' if i % 5 == 0 else 'LD'} 0x{i * 64 * 37:x}\n" for i in range(300)))
    return p


def test_replay_json_and_cmd_trace(trace, tmp_path, capsys):
    out = tmp_path / "s.json"
    cmds = tmp_path / "c.csv"
    assert main(["replay", str(trace), "--json", str(out), "--cmd-trace", str(cmds)]) == 0
    printed = capsys.readouterr().out
    assert "row hits" in printed and "DDR3-1600K" in printed
    stats = json.loads(out.read_text())
    assert set(stats) == KEYS
    assert set(stats["commands"]) == {"ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF"}
    assert set(stats["latency_cycles"]) == {"mean", "p50", "p99"}
    energy = stats["energy_pj"]
    assert {"total", "act", "pre", "rd", "wr", "ref", "background", "vdd"} <= set(energy)
    parts = sum(energy[k] for k in ("act", "pre", "rd", "wr", "ref", "background"))
    assert energy["total"] == pytest.approx(parts + energy.get("io", 0.0)) and energy["vdd"] == 1.35
    assert stats["requests"] == 300 and stats["writes"] == 60
    assert stats["commands"]["RD"] + stats["commands"]["WR"] == 300
    # the written command trace passes the checker through the CLI
    assert main(["check", str(cmds), "--standard", "DDR3-1600K"]) == 0


def test_replay_at_reduced_voltage(trace, tmp_path):
    nominal, low = tmp_path / "n.json", tmp_path / "l.json"
    assert main(["replay", str(trace), "--json", str(nominal)]) == 0
    assert main(["replay", str(trace), "--json", str(low), "--vdd", "1.025"]) == 0
    a, b = json.loads(nominal.read_text()), json.loads(low.read_text())
    assert b["cycles"] == a["cycles"]  # approximate mode keeps nominal timing
    assert b["energy_pj"]["total"] == pytest.approx(a["energy_pj"]["total"] * (1.025 / 1.35) ** 2, rel=1e-9)


def test_replay_options(trace, tmp_path):
    out = tmp_path / "s.json"
    assert main(["replay", str(trace), "--standard", "LPDDR4-3200", "--channels", "2", "--ranks", "2",
                 "--mapping", "ChRaBaRoCo", "--row-policy", "closed", "--queue-depth", "8",
                 "--refresh", "per-bank", "--xor-bank-hash", "--scheduler", "frfcfs", "--json", str(out)]) == 0
    stats = json.loads(out.read_text())
    assert stats["standard"] == "LPDDR4-3200" and stats["commands"]["RDA"] + stats["commands"]["WRA"] > 0


def test_spec_file(trace, tmp_path):
    import yaml
    from pathlib import Path

    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "dramsim/standards/DDR3-1600K.yaml").read_text())
    data["timing"]["CL"] = 14
    data["name"] = "slow"
    spec = tmp_path / "slow.yaml"
    spec.write_text(yaml.safe_dump(data))
    out = tmp_path / "s.json"
    assert main(["replay", str(trace), "--spec", str(spec), "--json", str(out)]) == 0
    assert json.loads(out.read_text())["standard"] == "slow"


@pytest.mark.parametrize("lines, args, match", [
    ("LD 0x40\nLD zz\n", [], ":2"),
    ("LD 0x40\n", ["--standard", "DDR9"], "unknown standard"),
    ("LD 0x40\n", ["--mapping", "RoBa"], "mapping"),
    ("LD 0x40\nLD 0x1000000000\n", [], "beyond the capacity"),
])
def test_bad_input_exit_2(tmp_path, capsys, lines, args, match):
    p = tmp_path / "bad.trace"
    p.write_text(lines)
    out = tmp_path / "s.json"
    assert main(["replay", str(p), "--json", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dramsim: error:") and match in err and err.count("\n") == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [p]


def test_bad_spec_exit_2(trace, tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: x\nstandard: DDR3\norganization: {}\ntiming: {}\npower: {}\n")
    assert main(["replay", str(trace), "--spec", str(spec)]) == 2
    assert "organization" in capsys.readouterr().err


def test_wrap_addresses(tmp_path):
    p = tmp_path / "t.trace"
    p.write_text("LD 0x40\nLD 0x1000000040\n")
    out = tmp_path / "s.json"
    assert main(["replay", str(p), "--wrap-addresses", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["row_hits"] == 1


def test_standards_and_show(capsys):
    assert main(["standards"]) == 0
    listing = capsys.readouterr().out
    assert "DDR4-2400R" in listing and "LPDDR3-1600" in listing
    assert main(["show", "DDR4-2400R"]) == 0
    shown = capsys.readouterr().out
    assert "CCD_L" in shown and "VPP" in shown


def test_show_says_how_per_bank_refresh_falls_due(capsys):
    """With several ranks (HBM pseudo-channels) `show` names the table's per_bank_refresh rotation."""
    shown = {}
    for name in ("HBM3-6400", "HBM2-2000", "LPDDR4-3200"):
        assert main(["show", name]) == 0
        shown[name] = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("refresh modes"))
    assert "each rank its own every tREFIpb, all ranks at once" in shown["HBM3-6400"]
    assert "to the channel's ranks in turn" in shown["HBM2-2000"]
    assert "per-bank (REFpb)," in shown["LPDDR4-3200"]


def test_show_gives_capacity_per_rank_and_in_all(capsys):
    """HBM2-2000: 2 Gb per pseudo-channel (rank), two of them per channel."""
    assert main(["show", "HBM2-2000"]) == 0
    assert "0.25 GiB per rank, 0.5 GiB in 1 channel(s) x 2 rank(s)" in capsys.readouterr().out


def test_no_traceback_from_process(tmp_path):
    p = tmp_path / "bad.trace"
    p.write_text("LD 0x40\nfoo bar baz qux\n")
    r = subprocess.run([sys.executable, "-m", "dramsim.cli", "replay", str(p)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def _closed_pipe_run(args):
    """Run ``python -m dramsim.cli ARGS`` writing into a pipe whose reader is already gone."""
    import os

    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run([sys.executable, "-m", "dramsim.cli", *args], stdout=w, stderr=subprocess.PIPE,
                              text=True, timeout=300)
    finally:
        os.close(w)
    return proc


def test_closed_stdout_pipe_exits_quietly(trace, tmp_path):
    """`dramsim check ... | head` must not print a BrokenPipeError traceback."""
    cmds = tmp_path / "c.csv"
    assert main(["replay", str(trace), "--cmd-trace", str(cmds)]) == 0
    for args in (["check", str(cmds), "--standard", "DDR3-1600K"], ["replay", str(trace)], ["standards"]):
        proc = _closed_pipe_run(args)
        assert proc.returncode == 141, (args, proc.stderr)
        assert proc.stderr == "", args


def test_replay_imports_neither_pandas_nor_pyarrow(trace, tmp_path):
    """Peak memory: a replay of a text trace with the default options needs no pandas/pyarrow."""
    code = ("import sys; from dramsim.cli import main; "
            "assert main(['replay', sys.argv[1], '--json', sys.argv[2]]) == 0; "
            "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, str(trace), str(tmp_path / "s.json")], capture_output=True,
                         text=True, check=True)
    assert out.stderr.strip() == "[]"


def test_scheduler_option(trace, tmp_path):
    stats = {}
    for name in ("frfcfs", "fcfs-ready"):
        out = tmp_path / f"{name}.json"
        assert main(["replay", str(trace), "--scheduler", name, "--json", str(out)]) == 0
        stats[name] = json.loads(out.read_text())
    assert stats["frfcfs"]["requests"] == stats["fcfs-ready"]["requests"] == 300
    with pytest.raises(SystemExit):
        main(["replay", str(trace), "--scheduler", "fifo"])


def test_ddr5_replay_show_and_check(trace, tmp_path, capsys):
    """DDR5-4800 is listed, shown with its missing-current note, replayed (the note in the summary and the
    JSON) and its command trace passes the checker through the CLI."""
    assert main(["standards"]) == 0
    assert "DDR5-4800" in capsys.readouterr().out
    assert main(["show", "DDR5-4800"]) == 0
    shown = capsys.readouterr().out
    assert "CCD_L_WR" in shown and "VPP 1.8 V: no currents" in shown and "no public currents" in shown
    out, cmds = tmp_path / "s.json", tmp_path / "c.csv"
    assert main(["replay", str(trace), "--standard", "DDR5-4800", "--json", str(out), "--cmd-trace", str(cmds)]) == 0
    assert "energy note" in capsys.readouterr().out
    stats = json.loads(out.read_text())
    assert set(stats) == KEYS | {"energy_note"} and stats["energy_pj"]["act"] > 0
    assert main(["check", str(cmds), "--standard", "DDR5-4800"]) == 0


def test_lpddr5_replay_show_and_check(trace, tmp_path, capsys):
    """LPDDR5-6400 is listed, shown with its WCK burst time and missing-current note, replayed with all-bank
    and per-bank refresh, and both command traces pass the checker through the CLI."""
    assert main(["standards"]) == 0
    assert "LPDDR5-6400" in capsys.readouterr().out
    assert main(["show", "LPDDR5-6400"]) == 0
    shown = capsys.readouterr().out
    assert "BL_min" in shown and "VDD1 1.8 V: no currents" in shown and "no public currents" in shown
    for refresh in ("all-bank", "per-bank"):
        out, cmds = tmp_path / f"{refresh}.json", tmp_path / f"{refresh}.csv"
        assert main(["replay", str(trace), "--standard", "LPDDR5-6400", "--refresh", refresh, "--json", str(out),
                     "--cmd-trace", str(cmds)]) == 0
        stats = json.loads(out.read_text())
        assert "energy_note" in stats and stats["energy_pj"]["rd"] > 0
        assert main(["check", str(cmds), "--standard", "LPDDR5-6400"]) == 0
