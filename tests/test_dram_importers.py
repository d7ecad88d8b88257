"""Memspec importers (DRAMPower 4 XML, DRAMSys JSON, DRAMsim3 INI) and the power CLI."""
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from dramsim import power_cli
from dramsim.errors import InputError
from dramsim.spec import load_spec

SHARED = Path(__file__).resolve().parents[2] / "shared"
CONFIGS = SHARED / "reference" / "dram" / "configs"
CONFIG_FILES = sorted(p.name for p in CONFIGS.glob("*") if p.suffix in (".xml", ".json", ".ini")) \
    if CONFIGS.exists() else []

XML = """<!DOCTYPE memspec SYSTEM "memspec.dtd">
<memspec>
  <parameter id="memoryId" type="string" value="TINY_LPDDR3" />
  <parameter id="memoryType" type="string" value="LPDDR3" />
  <memarchitecturespec>
    <parameter id="width" value="32" /><parameter id="nbrOfBanks" value="8" />
    <parameter id="nbrOfRanks" value="1" /><parameter id="nbrOfColumns" value="1024" />
    <parameter id="nbrOfRows" value="16384" /><parameter id="dataRate" value="2" />
    <parameter id="burstLength" value="8" />
  </memarchitecturespec>
  <memtimingspec>
    <parameter id="clkMhz" value="800" /><parameter id="REFI" value="3120" /><parameter id="RFC" value="104" />
    <parameter id="RL" value="12" /><parameter id="WL" value="9" /><parameter id="RP" value="15" />
    <parameter id="RAS" value="36" /><parameter id="RCD" value="15" /><parameter id="RC" value="48" />
    <parameter id="FAW" value="40" /><parameter id="RRD" value="8" /><parameter id="RTP" value="8" />
    <parameter id="WR" value="12" /><parameter id="CCD" value="4" /><parameter id="WTR" value="8" />
  </memtimingspec>
  <mempowerspec>
    <parameter id="idd0" value="15.0" /><parameter id="idd02" value="80.0" />
    <parameter id="idd2n" value="2.0" /><parameter id="idd2n2" value="38.0" />
    <parameter id="idd3n" value="2.0" /><parameter id="idd3n2" value="45.0" />
    <parameter id="vdd" value="1.8" /><parameter id="vdd2" value="1.2" />
  </mempowerspec>
</memspec>
"""

JSON = {"memspec": {
    "memarchitecturespec": {"burstLength": 8, "dataRate": 2, "nbrOfBankGroups": 4, "nbrOfBanks": 16,
                            "nbrOfColumns": 1024, "nbrOfRanks": 1, "nbrOfRows": 32768, "width": 8,
                            "nbrOfDevices": 8, "nbrOfChannels": 1},
    "memoryId": "TINY_DDR4", "memoryType": "DDR4",
    "mempowerspec": {"vdd": 1.2, "idd0": 60.75e-3, "idd2n": 38.25e-3, "idd3n": 44.0e-3, "idd4r": 184.5e-3,
                     "idd4w": 168.75e-3, "idd5B": 118.0e-3, "vpp": 2.5, "ipp0": 4.05e-3},
    "memtimingspec": {"CCD_L": 6, "CCD_S": 4, "CL": 16, "FAW": 26, "RAS": 39, "RC": 55, "RCD": 16, "REFI": 9360,
                      "RFC1": 312, "RP": 16, "RRD_L": 6, "RRD_S": 4, "RTP": 12, "WL": 16, "WR": 18, "WTR_L": 9,
                      "WTR_S": 3, "RTRS": 1, "tCK": 833e-12}}}

INI = """[dram_structure]
protocol = DDR3
bankgroups = 1
banks_per_group = 8
rows = 65536
columns = 1024
device_width = 8
BL = 8
[timing]
tCK = 1.25
CL = 11
CWL = 8
tRCD = 11
tRP = 11
tRAS = 28
tRFC = 208
{refi}
tRRD_S = 5
tRRD_L = 5
tWTR_S = 6
tWTR_L = 6
tFAW = 24
tWR = 12
tRTP = 6
tCCD_S = 4
tCCD_L = 4
tRTRS = 1
[power]
VDD = 1.35
IDD0 = 55
IDD2N = 32
IDD3N = 38
IDD4W = 125
IDD4R = 157
IDD5AB = 235
[system]
channel_size = 8192
channels = 1
bus_width = 64
"""


def test_xml_two_rails_and_rc_fixup(tmp_path):
    p = tmp_path / "tiny.xml"
    p.write_text(XML)
    with pytest.warns(UserWarning, match="RC"):
        s = load_spec(p)
    assert s.standard == "LPDDR3" and s.timing.tck_ns == pytest.approx(1.25)
    assert s.timing.CL == 12 and s.timing.CWL == 9 and s.timing.RC == 51
    assert s.organization.devices_per_rank == 2 and s.organization.density_gbit == 4
    assert s.rail("VDD1").voltage_v == 1.8 and s.rail("VDD2").current("IDD0") == 80.0
    assert s.rail("VDD2").current("IDD3N") == 45.0


def test_json_si_units_and_vpp(tmp_path):
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(JSON))
    s = load_spec(p)
    assert s.timing.tck_ns == pytest.approx(0.833) and s.timing.RFC == 312
    assert s.organization.bankgroups == 4 and s.organization.banks_per_group == 4
    assert s.rail("VDD").current("IDD0") == pytest.approx(60.75)
    assert s.rail("VDD").current("IDD5") == pytest.approx(118.0)
    assert s.rail("VPP").voltage_v == 2.5 and s.rail("VPP").current("IDD0") == pytest.approx(4.05)


def test_ini_reads_trefi_and_warns_on_refi(tmp_path):
    good = tmp_path / "good.ini"
    good.write_text(INI.format(refi="tREFI = 6240"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = load_spec(good)
    assert s.timing.REFI == 6240 and s.timing.RC == 39 and s.organization.ranks == 2
    assert s.rail("VDD").current("IDD5") == 235
    old = tmp_path / "old.ini"
    old.write_text(INI.format(refi="REFI = 6240"))
    with pytest.warns(UserWarning, match="REFI"):
        assert load_spec(old).timing.REFI == 6240


@pytest.mark.parametrize("text,suffix,match", [
    ("<memspec><oops", ".xml", "XML"), ("{", ".json", "JSON"), ("no sections", ".ini", "INI"),
    (XML.replace('value="LPDDR3"', 'value="GDDR9"'), ".xml", "GDDR9"),
    (XML.replace('<parameter id="RCD" value="15" />', ''), ".xml", "RCD"),
    ("x", ".txt", "unsupported")])
def test_bad_files_raise_input_error(tmp_path, text, suffix, match):
    p = tmp_path / f"bad{suffix}"
    p.write_text(text)
    with pytest.raises(InputError, match=match):
        load_spec(p)


@pytest.mark.skipif(not CONFIG_FILES, reason="../shared not present")
@pytest.mark.parametrize("name", CONFIG_FILES)
def test_reference_configs_load(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = load_spec(CONFIGS / name)
    assert s.organization.banks in (8, 16) and s.rails


@pytest.mark.skipif(not CONFIG_FILES, reason="../shared not present")
def test_drampower_xml_matches_builtin_ddr3():
    s = load_spec(CONFIGS / "drampower4_DDR3_4Gb_x8_1600K_dramsim3IDD.xml")
    b = load_spec("DDR3-1600K")
    assert s.organization == b.organization
    for f in ("CL", "CWL", "RCD", "RP", "RAS", "RC", "FAW", "RTP", "WR", "RFC", "REFI", "RRD_S", "CCD_S", "WTR_S"):
        assert getattr(s.timing, f) == getattr(b.timing, f), f
    assert dict(s.rail("VDD").currents_ma) == {k: float(v) for k, v in b.rail("VDD").currents_ma.items()}


# -- CLI -----------------------------------------------------------------------------------------

def test_energy_table_cli(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert power_cli.main(["energy-table", "--standard", "DDR3-1600K", "--vdd", "1.35:1.025:0.025",
                           "--csv", str(out)]) == 0
    df = pd.read_csv(out)
    assert len(df) == 14 * 6 and set(df.access) == {"row_hit", "row_miss", "row_conflict"}
    assert "row_conflict_read_pj" in capsys.readouterr().out


@pytest.mark.parametrize("argv,match", [
    (["energy-table", "--vdd", "1.35:0.9:0.05"], "outside"),
    (["energy-table", "--vdd", "abc"], "--vdd"),
    (["energy-table", "--standard", "NOPE"], "NOPE"),
    (["energy-table", "--vdd", "1.05", "--vendor", "A"], "vendor A")])
def test_cli_errors_exit_2_without_output(tmp_path, capsys, argv, match):
    out = tmp_path / "t.csv"
    assert power_cli.main(argv + ["--csv", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dramsim: error: ") and match in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_sweep_voltage_cli(tmp_path, capsys):
    pytest.importorskip("dramsim.simulate")
    trace = tmp_path / "t.trace"
    trace.write_text("".join(f"LD 0x{64 * 97 * i:x}\n" for i in range(400)))
    out = tmp_path / "sweep"
    assert power_cli.main(["sweep-voltage", str(trace), "--vdd", "1.35,1.025", "--mode", "reliable",
                           "--out", str(out)]) == 0
    df = pd.read_csv(out / "sweep.csv")
    assert list(df.vdd) == [1.35, 1.025] and (df.ber == 0).all()
    assert df.cycles.iloc[1] > df.cycles.iloc[0] and df.RCD.iloc[1] > df.RCD.iloc[0]
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert power_cli.main(["sweep-voltage", str(trace), "--vdd", "1.35,0.9", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_replay_helpers():
    import argparse

    pytest.importorskip("dramsim.simulate")
    from dramsim.simulate import simulate
    from traces.requests import RequestTrace
    import numpy as np

    parser = argparse.ArgumentParser()
    power_cli.add_replay_options(parser)
    args = parser.parse_args(["--vdd", "1.1", "--mode", "approximate"])
    spec, op = power_cli.prepare_spec(load_spec("DDR3-1600K"), args)
    assert spec.rail("VDD").voltage_v == 1.1 and op.ber > 0
    res = simulate(spec, RequestTrace(np.arange(200, dtype=np.uint64) * 64, np.zeros(200, bool)))
    out = power_cli.energy_json(res, op, args)
    assert out["energy_pj"]["vdd"] == 1.1 and out["energy_pj"]["total"] > 0
    assert out["operating_point"]["mode"] == "approximate"
    json.dumps(out)
