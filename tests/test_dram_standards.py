"""Built-in standards load and validate; bad spec files are rejected with a one-line message."""
from pathlib import Path

import pytest
import yaml

from dramsim.errors import InputError
from dramsim.spec import CURRENTS, builtin_standards, load_spec
from dramsim.timing import constraints, kernel_inputs, policy_array


def test_builtins_present():
    assert set(builtin_standards()) >= {"DDR3-1600K", "DDR4-2400R", "LPDDR3-1600", "LPDDR4-3200"}


@pytest.mark.parametrize("name", ["DDR3-1600K", "DDR4-2400R", "LPDDR3-1600", "LPDDR4-3200"])
def test_builtin_is_consistent(name):
    spec = load_spec(name)
    t = spec.timing
    assert t.RC >= t.RAS + t.RP
    assert t.CCD_S >= spec.burst_cycles  # back-to-back bursts never overlap on the data bus
    assert t.REFI * t.tck_ns == pytest.approx(7800 if spec.standard.startswith("DDR") else 3900, rel=0.01)
    for rail in spec.rails:
        assert set(rail.currents_ma) <= set(CURRENTS)
    assert (policy_array(spec) >= 0).all() and kernel_inputs(spec)[2].shape[0] > 20
    # low-power timing from the memspecs: every built-in has it, exits no shorter than entries allow
    assert t.CKE > 0 and t.CKESR >= t.CKE and t.XP > 0 and t.XPDLL >= t.XP and t.XS > t.RFC and t.XSDLL >= t.XS
    assert (t.XPDLL > t.XP) == spec.has_dll or spec.standard == "DDR4"
    assert constraints(spec)
    text = (Path(__file__).resolve().parents[1] / "dramsim" / "standards" / f"{name}.yaml").read_text()
    assert text.startswith("#")  # a header says where the numbers come from


def test_ddr4_bank_groups_and_rails():
    spec = load_spec("DDR4-2400R")
    t = spec.timing
    assert spec.organization.bankgroups == 4 and spec.organization.banks == 16
    assert (t.CCD_S, t.CCD_L, t.RRD_S, t.RRD_L, t.WTR_S, t.WTR_L) == (4, 6, 4, 6, 3, 9)
    assert {r.name for r in spec.rails} == {"VDD", "VPP"}


def test_lpddr_rails():
    lp3 = load_spec("LPDDR3-1600")
    assert lp3.rail("VDD1").current("IDD0") == 15 and lp3.rail("VDD2").current("IDD0") == 80
    lp4 = load_spec("LPDDR4-3200")
    assert {r.name for r in lp4.rails} == {"VDD1", "VDD2", "VDDQ"}
    assert lp4.timing.RFCpb == 224 and lp4.timing.REFIpb == 780


def _write(tmp_path, mutate):
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "dramsim/standards/DDR3-1600K.yaml").read_text())
    mutate(data)
    p = tmp_path / "my.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["timing"].pop("RCD"), "timing.RCD"),
    (lambda d: d["timing"].__setitem__("RP", 0), "timing.RP"),
    (lambda d: d["timing"].__setitem__("RC", 20), "impossible"),
    (lambda d: d["organization"].__setitem__("rows", 1000), "power of two"),
    (lambda d: d["timing"].__setitem__("CCD_S", 2), "timing.CCD_S .* below the burst time"),
    (lambda d: d["timing"].__setitem__("RAS", 8), "timing.RAS"),
    (lambda d: d["timing"].__setitem__("PPD", -1), "timing.PPD"),
    (lambda d: d["timing"].__setitem__("TURBO", 1), "unknown timing field"),
    (lambda d: d.__setitem__("table", "NOPE"), "no such timing table"),
])
def test_bad_spec_file(tmp_path, mutate, match):
    p = _write(tmp_path, mutate)
    with pytest.raises(InputError, match=match) as exc:
        load_spec(p)
    assert "\n" not in str(exc.value) and str(p) in str(exc.value)


def test_user_copy_loads(tmp_path):
    p = _write(tmp_path, lambda d: d["timing"].__setitem__("CL", 12))
    assert load_spec(p).timing.CL == 12


def test_unknown_standard():
    with pytest.raises(InputError, match="unknown standard"):
        load_spec("DDR9-9999")


#: Ramulator 2.1 timing names (figures.json standards.LPDDR5.timing_CK) -> LPDDR5-6400's (nREFIpb: see below).
_LPDDR5_NAMES = {"nBL_min": "BL_min", "nBL_max": "BL_max", "nCL": "CL", "nCWL": "CWL", "nRCD": "RCD", "nRP": "RP",
                 "nRPab": "RPab", "nRAS": "RAS", "nRC": "RC", "nWR": "WR", "nRTP": "RTP", "nPPD": "PPD",
                 "nCCDS": "CCD_S", "nCCDL": "CCD_L", "nCCDS_WR": "CCD_S_WR", "nCCDL_WR": "CCD_L_WR", "nRRDS": "RRD_S",
                 "nRRDL": "RRD_L", "nWTRS": "WTR_S", "nWTRL": "WTR_L", "nFAW": "FAW", "nRFC": "RFC",
                 "nRFCpb": "RFCpb", "nREFI": "REFI", "nCS": "RTRS", "nPBR2PBR": "PBR2PBR", "nPBR2ACT": "PBR2ACT"}


def test_lpddr5_is_ramulator2_preset_as_resolved():
    """LPDDR5-6400 has the organization and every timing value of Ramulator 2.1's LPDDR5_8Gb_x16 + LPDDR5_6400
    (figures.json), except tREFIpb: 390 (tREFI / 8 rounded down, a maximum) where Ramulator rounds up to 391."""
    import json

    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dram" / "peers2" / "figures.json"
    if not path.exists():
        pytest.skip("shared reference material not available")
    ref = json.loads(path.read_text())["standards"]["LPDDR5"]
    spec = load_spec("LPDDR5-6400")
    t, o = spec.timing, spec.organization
    assert {k: getattr(t, v) for k, v in _LPDDR5_NAMES.items()} == {k: ref["timing_CK"][k] for k in _LPDDR5_NAMES}
    assert (t.REFIpb, ref["timing_CK"]["nREFIpb"]) == (390, 391)
    assert t.tck_ns * 1000 == ref["timing_CK"]["tCK_ps"]
    org = ref["org"]
    assert (o.density_gbit * 1024, o.dq, o.bankgroups, o.banks_per_group, o.rows, o.columns) == \
        (org["density"], org["dq"], org["bankgroup"], org["bank"], org["row"], org["column"])
    assert (o.burst_length, o.burst_bytes, spec.burst_cycles) == (ref["BL"], ref["burst_bytes"], 2)


def test_burst_cycles_from_bl_min_are_validated(tmp_path):
    """BL_min sets the burst's data-bus cycles (BL in tables); BL_max below it, or a tCCD below it, is refused."""
    d = yaml.safe_load((Path(__file__).resolve().parents[1] / "dramsim/standards/LPDDR5-6400.yaml").read_text())
    for change, match in (({"BL_max": 1}, "BL_max"), ({"CCD_S": 1}, "CCD_S")):
        bad = dict(d, timing=dict(d["timing"], **change))
        p = tmp_path / "lp5.yaml"
        p.write_text(yaml.safe_dump(bad))
        with pytest.raises(InputError, match=match):
            load_spec(p)
    plain = dict(d, timing={k: v for k, v in d["timing"].items() if k not in ("BL_min", "BL_max")})
    plain["timing"].update(CCD_S=8, CCD_L=8, CCD_S_WR=8, CCD_L_WR=8)
    p = tmp_path / "ddr_clocked.yaml"
    p.write_text(yaml.safe_dump(plain))
    assert load_spec(p).burst_cycles == 8        # without BL_min: burst_length / 2
