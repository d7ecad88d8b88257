"""``dramsim energy``: DRAMPower 4.1's figures through the CLI, other tools' formats, bad input."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dramsim.cli import main
from dramsim.energy import compute_energy
from dramsim.spec import load_spec
from traces import read_commands, write_commands

REPO = Path(__file__).resolve().parents[1]
DRAM = REPO.parent / "shared" / "reference" / "dram"
needs_shared = pytest.mark.skipif(not DRAM.exists(), reason="../shared not present")


@needs_shared
@pytest.mark.parametrize("name, memspec", [
    ("DDR3_pdns_pre_g10000", "drampower4_DDR3_4Gb_x8_1600K_dramsim3IDD.xml"),
    ("LPDDR3_sref_g1000", "MICRON_4Gb_LPDDR3-1600_32bit_A.xml"),
])
def test_cli_json_matches_drampower4(tmp_path, capsys, name, memspec):
    out = tmp_path / "e.json"
    assert main(["energy", str(DRAM / "lowpower" / f"{name}.trace"), "--spec", str(DRAM / "configs" / memspec),
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    fig = json.loads((DRAM / "peers2" / "figures.json").read_text())["lowpower_drampower4"]["lp_" + name]
    assert doc["cycles"] == fig["end_cycle"]
    dev = doc["energy_pj_per_device"]
    assert dev["total"] == pytest.approx(fig["total_corrected_pJ"], rel=0.005)
    assert set(dev) == set(doc["energy_pj"]) and dev["vdd"] == doc["energy_pj"]["vdd"]
    assert doc["energy_pj_per_rank"][0]["energy_pj"]["total"] == doc["energy_pj"]["total"]
    printed = capsys.readouterr()
    assert "selfrefresh" in printed.out and "per device" in printed.out
    if "LPDDR3" in name:                      # the memspec's RC < RAS + RP: one warning line
        assert printed.err.count("\n") == 1 and printed.err.startswith("dramsim: warning: ")


@needs_shared
def test_ramulator2_cmdtrace_equals_the_same_trace_in_drampower4(tmp_path, capsys):
    sample = DRAM / "ramulator2_cmdtrace_sample.csv"
    r2 = read_commands(sample)
    assert r2.counts()["RD"] == 1975 and r2.counts()["PREA"] == 1 and r2.counts()["REF"] == 1
    write_commands(r2, tmp_path / "s.trace", "drampower4", banks_per_group=8)
    for path in (sample, tmp_path / "s.trace"):
        assert main(["energy", str(path), "--standard", "DDR3-1600K", "--cycles", "9000",
                     "--json", str(tmp_path / f"{path.name}.json")]) == 0
    a, b = (json.loads((tmp_path / f"{p}.json").read_text())["energy_pj"] for p in (sample.name, "s.trace"))
    assert a["total"] == pytest.approx(b["total"], rel=1e-12) and a["act"] > 0


def test_ranks_and_per_rank_output(tmp_path, capsys):
    spec = load_spec("DDR3-1600K", ranks=2)
    cmds = tmp_path / "c.csv"
    from traces import CommandTrace
    write_commands(CommandTrace(cycle=[0, 20, 40], cmd=[0, 3, 1], channel=[0, 0, 0], rank=[1, 1, 1],
                                bankgroup=[0, 0, 0], bank=[2, 2, 2], row=[5, 5, 5], column=[-1, 0, -1]), cmds)
    out = tmp_path / "e.json"
    assert main(["energy", str(cmds), "--standard", "DDR3-1600K", "--ranks", "2", "--cycles", "1000",
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    ranks = doc["energy_pj_per_rank"]
    assert [(r["channel"], r["rank"]) for r in ranks] == [(0, 0), (0, 1)]
    assert ranks[0]["energy_pj"]["act"] == 0 and ranks[1]["energy_pj"]["act"] > 0
    assert sum(r["energy_pj"]["total"] for r in ranks) == pytest.approx(doc["energy_pj"]["total"])
    whole = compute_energy(spec, read_commands(cmds), 1000)
    assert doc["energy_pj"]["total"] == pytest.approx(whole.total)


@pytest.mark.parametrize("body, fmt, message", [
    ("0,ACT,0\n5,RD,x\n9,END\n", "drampower4", ":2: expected an integer bank >= -1, got '5,RD,x'"),
    ("0,ACT,0\n5,FOO,0\n9,END\n", "auto", ":2: expected a command name"),
    ("clock,command,Channel,Rank,Bank,Row,Column,type,source\n1,ACT,0,0,0,0,0,0,-1\n3,XX,0,0,0,0,0,0,-1\n",
     "ramulator2", ":3: expected a command name"),
    ("0,ACT,0\n50,RD,0\n9,END\n", "drampower4", "beyond the run's end"),
    ("0,ACT,9\n5,END\n", "drampower4", "bank outside the spec's organization"),
])
def test_bad_input_one_line_exit_2_no_json(tmp_path, body, fmt, message):
    bad = tmp_path / "bad.trace"
    bad.write_text(body)
    out = tmp_path / "e.json"
    proc = subprocess.run([sys.executable, "-m", "dramsim", "energy", str(bad), "--standard", "DDR3-1600K",
                           "--cmd-format", fmt, "--json", str(out)], capture_output=True, text=True, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "NUMBA_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"dramsim: error: {bad}"), proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == "" and not out.exists()


def test_spec_or_standard_is_required(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["energy", str(tmp_path / "x.trace")])
    assert exc.value.code == 2


def test_ramulator2_writer_round_trip_and_refuses_power_down(tmp_path):
    from traces import CommandTrace, InputError
    from traces.commands import CODE

    c = CommandTrace(cycle=[1, 12, 30, 60, 70, 300], cmd=[CODE[n] for n in ("ACT", "WR", "PRE", "PREA", "REF", "SREN")],
                     channel=[0] * 6, rank=[0, 0, 0, 1, 1, 1], bankgroup=[1, 1, 1, -1, -1, -1],
                     bank=[2, 2, 2, -1, -1, -1], row=[7, 7, 7, -1, -1, -1], column=[-1, 16, -1, -1, -1, -1])
    write_commands(c, tmp_path / "r2.csv", "ramulator2")
    text = (tmp_path / "r2.csv").read_text().splitlines()
    assert text[0] == "clock,command,Channel,Rank,BankGroup,Bank,Row,Column,type,source"
    assert text[2] == "12,WR,0,0,1,2,7,16,1,-1" and text[3].startswith("30,PREpb,") and text[6].startswith("300,SRE,")
    back = read_commands(tmp_path / "r2.csv")                  # auto-detected, read by the fast path
    for f in ("cycle", "cmd", "channel", "rank", "bankgroup", "bank", "row", "column"):
        np.testing.assert_array_equal(getattr(back, f), getattr(c, f), err_msg=f)
    from traces import command_io
    slow = command_io._read_ramulator2_slowly(tmp_path / "r2.csv")
    np.testing.assert_array_equal(slow.cmd, back.cmd)
    bad = CommandTrace(cycle=[0], cmd=[CODE["PDN_F_PRE"]], channel=[0], rank=[0], bankgroup=[-1], bank=[-1],
                       row=[-1], column=[-1])
    with pytest.raises(InputError, match="Ramulator 2 has no such command"):
        write_commands(bad, tmp_path / "bad.csv", "ramulator2")
    assert not (tmp_path / "bad.csv").exists()


@needs_shared
def test_ramulator2_trace_of_a_1m_request_run_matches_drampower4(tmp_path):
    """Issue 9: the Ramulator 2.1 command trace of the 1 M-request rand run (here our own replay,
    written in Ramulator's CmdTraceRecorder format) costs DRAMPower 4.1's 20,046 uJ per rank
    (PEERS.md) within 1% through `dramsim energy`."""
    import importlib.util

    from dramsim.simulate import simulate
    from traces import RequestTrace

    spec_file = DRAM / "configs" / "drampower4_DDR3_4Gb_x8_1600K_dramsim3IDD.xml"
    mod = importlib.util.spec_from_file_location("make_traces", DRAM / "make_traces.py")
    make_traces = importlib.util.module_from_spec(mod)
    mod.loader.exec_module(make_traces)
    a = make_traces.addresses("rand")
    res = simulate(load_spec(spec_file), RequestTrace(a, np.zeros(len(a), bool)), arrival="saturate")
    path = tmp_path / "rand.ramulator2.csv"
    write_commands(res.commands, path, "ramulator2")
    out = tmp_path / "e.json"
    assert main(["energy", str(path), "--spec", str(spec_file), "--cycles", str(res.cycles), "--json", str(out)]) == 0
    total_uj = json.loads(out.read_text())["energy_pj"]["total"] / 1e6
    assert total_uj == pytest.approx(20_046, rel=0.01)
