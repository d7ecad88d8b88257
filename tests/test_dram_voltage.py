"""Voltage tables and operating points: Voltron-derived BER, interpolation, modes, scaling, errors."""
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from dramsim.energy import compute_energy
from dramsim.errors import InputError
from dramsim.spec import load_spec
from dramsim.voltage import (DEFAULT_TABLE, VendorModules, alpha_power_factor, ber_from_line_fraction,
                             build_voltron_table, fit_bank_concentration, fit_ber_shape, load_table,
                             monotone_envelope, operating_point, saturated_points, voltron_bank_maps)

SHARED = Path(__file__).resolve().parents[2] / "shared"
VOLTRON = SHARED / "reference" / "voltron"


def _module_bers():
    """Per (vendor, vdd) the per-module BERs, computed here from the raw Voltron file."""
    import pandas as pd

    d = pd.read_csv(VOLTRON / "dimm_faulty_cachelines_out.csv")
    d["ber"] = 1 - (1 - d.error_cacheline_percent / 100) ** (1 / 512)
    return {k: g["ber"].to_numpy() for k, g in d.groupby(["vendor", "vdd"])}, d


def test_shipped_table_covers_voltron_range():
    t = load_table(None, "DDR3")
    assert np.allclose(t.vdd, np.round(np.arange(1.35, 1.0249, -0.025), 3))
    assert t.vendors == ["A", "B", "C"]
    assert "model" in t.timing_model and t.timing_basis == "relative"
    assert t.ber(1.35) == 0.0 and t.ber(1.15, "B") == 0.0
    assert t.ber(1.025, "B", "median") < t.ber(1.025, "B", "mean") < t.ber(1.025, "B", "max")


@pytest.mark.skipif(not VOLTRON.exists(), reason="../shared not present")
def test_mean_of_module_bers_and_counts():
    t = load_table(None, "DDR3")
    bers, _ = _module_bers()
    for (vendor, v), x in bers.items():
        if v < 1.025 - 1e-9:
            continue
        # the monotone rule may only raise a value (B1 at 1.025 V by 1e-8 relative)
        assert t.ber(v, vendor) == pytest.approx(x.mean(), rel=2e-3, abs=1e-15)
        assert t.ber(v, vendor, "max") == pytest.approx(x.max(), rel=2e-3, abs=1e-15)
        assert t.modules(v, vendor) == len(x)
    # the reviewer's figures (issue 13): mean of per-module BERs, not the BER of the mean fraction
    assert t.ber(1.025, "B") == pytest.approx(5.23e-4, rel=2e-3)
    assert t.ber(1.1, "A") == pytest.approx(1.17e-3, rel=5e-3)
    assert t.ber(1.025, "B") > ber_from_line_fraction(bers[("B", 1.025)].size and
                                                      (1 - (1 - bers[("B", 1.025)]) ** 512).mean())
    assert (t.modules(1.025, "B"), t.modules(1.05, "B"), t.modules(1.1, "B")) == (4, 9, 11)
    assert t.modules(1.0375, "B") == 4                       # between rows: the smaller n


def test_lower_bounds_and_monotone():
    t = load_table(None, "DDR3")
    assert t.is_lower_bound(1.1, "C") and t.is_lower_bound(1.2, "C")      # the 50 % plateau
    assert t.is_lower_bound(1.1, "A")                                     # 81.9 % and 89.6 % modules
    assert not t.is_lower_bound(1.25, "C") and not t.is_lower_bound(1.025, "B")
    assert t.is_raised(1.025, "B")                                        # B1: 3.7e-5 % < 4.6e-5 % at 1.05 V
    assert not t.is_raised(1.05, "B")
    fine = np.linspace(1.35, 1.025, 261)
    for vendor in t.vendors:
        for stat in ("mean", "median", "max"):
            col = [t.ber(v, vendor, stat) for v in fine if t.characterised(v, vendor, stat)]
            assert np.all(np.diff(col) >= -1e-18), (vendor, stat)


def test_zero_point_rule_is_log_toward_the_detection_limit():
    t = load_table(None, "DDR3")
    d = t.detection_limit_ber
    assert d == pytest.approx(ber_from_line_fraction(2.0 ** -25), rel=1e-5)   # one line of 2^25
    limit = d / t.modules(1.15, "B")                 # mean of 11 modules, one with one line
    assert t.ber(1.1375, "B") == pytest.approx(math.sqrt(limit * t.ber(1.125, "B")), rel=1e-3)
    assert 0 < t.ber(1.149, "B") < t.ber(1.1375, "B") < t.ber(1.125, "B")
    assert t.ber(1.15, "B") == 0.0                   # at the zero point itself: 0 (nothing observed)
    # a grid voltage Voltron did not test, next to a zero: C at 1.275 V between 1.3 V (0) and 1.25 V
    assert t.ber(1.275, "C") == pytest.approx(math.sqrt(d / 9 * t.ber(1.25, "C")), rel=2e-3)


def test_saturation_rules():
    f = np.array([[0.1, 0.499, 0.5, np.nan], [0.2, 0.5002, 0.4, 0.3], [0.0, 0.01, 0.2, 0.45]])
    sat = saturated_points(f)      # plateau: three points within 1 pp below the largest (0.5002)
    assert sat.tolist() == [[False, True, True, False], [False, True, False, False], [False, False, False, False]]
    assert saturated_points(np.array([[0.1, 0.3, 0.8, 0.9]])).tolist() == [[False, False, True, True]]
    # a single large value is no plateau (vendor B's 56 %)
    assert not saturated_points(np.array([[0.1, 0.56]])).any()


def test_monotone_envelope():
    ber = np.array([[0.0, 1e-6, 5e-7, np.nan, 2e-6], [1e-3, 1e-3, 1e-4, 2e-3, np.nan]])
    sat = np.array([[False] * 5, [False, True, False, False, False]])
    env, s, raised = monotone_envelope(ber, sat)
    assert np.allclose(env[0], [0, 1e-6, 1e-6, np.nan, 2e-6], equal_nan=True)
    assert raised[0].tolist() == [False, False, True, False, False]
    assert env[1, 2] == 1e-3 and s[1, 2] and raised[1, 2]     # raised to a saturated value: saturated


def test_ber_shape_fit_recovers_a_gamma_spread():
    rng = np.random.default_rng(3)
    k, n = 0.5, 4000
    m = rng.gamma(k, 1 / k, n)
    means = np.array([1e-9, 1e-7, 1e-5])
    ber = m[:, None] * means[None, :]
    vm = VendorModules("X", tuple(f"X{i}" for i in range(n)), np.array([1.1, 1.075, 1.05]), ber, ber,
                       np.zeros(ber.shape, bool), np.zeros(ber.shape, bool))
    fit = fit_ber_shape(vm)
    assert fit["ber_shape"] == pytest.approx(k, rel=0.1) and fit["points"] == 3 * n
    # one erroneous module is no evidence of spread: that voltage is skipped
    one = np.zeros((5, 1))
    one[0, 0] = 1e-6
    assert fit_ber_shape(VendorModules("X", tuple("abcde"), np.array([1.1]), one, one,
                                       np.zeros((5, 1), bool), np.zeros((5, 1), bool))) is None


def test_bank_concentration_fit_recovers_a_dirichlet():
    rng = np.random.default_rng(4)
    q = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])
    profiles = rng.dirichlet(5.0 * q, size=3000)
    assert fit_bank_concentration(profiles) == pytest.approx(5.0, rel=0.1)
    assert fit_bank_concentration(profiles[:1]) is None
    one_hot = np.eye(8)[rng.integers(0, 8, 50)]            # every map in one bank: c = 0, degenerate
    assert fit_bank_concentration(one_hot) is None


@pytest.mark.skipif(not VOLTRON.exists(), reason="../shared not present")
def test_device_spread_in_the_shipped_table():
    t = load_table(None, "DDR3")
    assert set(t.device_spread) == {"A", "B", "C"}
    b = t.device_spread["B"]
    assert 0 < b["ber_shape"] < 1 and b["modules"] == 11 and b["maps"] == 10 and b["bank_floor"] > 0
    profiles, names = voltron_bank_maps(VOLTRON / "spatial_summary.txt")["B"]
    # the figure: vendor B bank 0 over the 10 maps, 2.42 +- 2.25 (population sd)
    assert 8 * profiles[:, 0].mean() == pytest.approx(2.42, abs=0.01)
    assert 8 * profiles[:, 0].std() == pytest.approx(2.25, abs=0.01)
    alpha = t.bank_alpha("B", 8)
    assert alpha.sum() == pytest.approx(b["bank_concentration"], rel=1e-3)
    w = 8 * np.random.default_rng(0).dirichlet(alpha, size=20000)
    assert np.allclose(w.mean(axis=0), t.weakness("B", 8), atol=0.05)   # vendor mean is the expectation
    # the pooled fit reproduces the maps' total spread (sum of per-bank variances) within 15 %
    assert (w.var(axis=0).sum() / (8 * profiles).var(axis=0, ddof=1).sum()) == pytest.approx(1.0, rel=0.15)
    a = t.bank_alpha("A", 8)
    assert a.min() == pytest.approx(t.device_spread["A"]["bank_floor"])   # A's banks 1 and 4: mean 0
    op = operating_point(load_spec("DDR3-1600K"), 1.05)
    assert op.device_spread["ber_shape"] == b["ber_shape"] and op.to_dict()["device_spread"]["maps"] == 10
    with pytest.raises(InputError, match="device_spread"):
        dataclasses.replace(t, device_spread={}).bank_alpha("B", 8)


def test_ber_formula():
    assert ber_from_line_fraction(0.0) == 0.0
    assert ber_from_line_fraction(1 - 0.999 ** 512) == pytest.approx(0.001)
    f = 1e-6
    assert ber_from_line_fraction(f) == pytest.approx(f / 512, rel=1e-5)


@pytest.mark.skipif(not VOLTRON.exists(), reason="../shared not present")
def test_shipped_table_is_rebuilt_from_voltron_data():
    shipped = yaml.safe_load(DEFAULT_TABLE.read_text())
    assert build_voltron_table(VOLTRON) == shipped


def test_log_interpolation_and_range_errors():
    t = load_table(None, "DDR3")
    mid = t.ber(1.0875, "B")
    assert mid == pytest.approx(math.sqrt(t.ber(1.1, "B") * t.ber(1.075, "B")), rel=1e-9)
    with pytest.raises(InputError, match="outside"):
        t.ber(1.0)
    with pytest.raises(InputError, match="outside"):
        t.ber(1.4)
    with pytest.raises(InputError, match="vendor A"):
        t.ber(1.05, "A")
    with pytest.raises(InputError):
        t.ber(1.2, "Z")


def test_modes_timing_and_ber():
    spec = load_spec("DDR3-1600K")
    approx = operating_point(spec, 1.025, mode="approximate")
    assert approx.spec.timing == spec.timing and approx.timing_model == "nominal"
    assert approx.ber == load_table(None).ber(1.025) and approx.n_modules == 4 and not approx.ber_lower_bound
    rel = operating_point(spec, 1.025, mode="reliable")
    t0, t1 = spec.timing, rel.spec.timing
    assert rel.ber == 0.0 and "alpha-power" in rel.timing_model
    k = float(alpha_power_factor(1.025, 1.35))
    assert (t1.RCD, t1.RP, t1.RAS) == tuple(math.ceil(x * k - 1e-9) for x in (t0.RCD, t0.RP, t0.RAS))
    assert t1.RC >= t1.RAS + t1.RP and t1.RCD > t0.RCD
    nominal = operating_point(spec, None, mode="reliable")
    assert nominal.spec.timing == spec.timing and nominal.vdd == 1.35
    with pytest.raises(InputError):
        operating_point(spec, 1.2, mode="fast")
    with pytest.raises(InputError):
        operating_point(spec, 1.2, scaling="v3")


def test_bank_weakness():
    spec = load_spec("DDR3-1600K")
    w = operating_point(spec, 1.1, vendor="C").bank_weakness
    assert len(w) == 8 and w.mean() == pytest.approx(1.0)
    assert set(np.argsort(w)[-2:]) == {2, 6}         # Voltron: vendor C errors in banks 2 and 6
    ddr4_like = dataclasses.replace(spec, organization=dataclasses.replace(spec.organization, banks_per_group=16))
    assert len(operating_point(ddr4_like, 1.1, vendor="C").bank_weakness) == 16


def test_csv_table_absolute_timing(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("# my measurements\n"
                 "vdd,scaling,t_rcd_ns,t_rp_ns,ber_X_mean\n"
                 "1.35,v1,13.75,13.75,0\n"
                 "1.2,v1,20.0,15.0,1e-6\n"
                 "1.1,v1,25.0,17.5,1e-4\n")
    spec = load_spec("DDR3-1600K")
    op = operating_point(spec, 1.2, mode="reliable", table=p, vendor="X")
    assert (op.spec.timing.RCD, op.spec.timing.RP) == (16, 12) and op.scaling == "v1"
    assert op.spec.rail("VDD").current("IDD0") == 55.0
    a = operating_point(spec, 1.15, table=p, vendor="X")
    assert a.ber == pytest.approx(1e-5)                 # log-space midpoint of 1e-6 and 1e-4
    bad = tmp_path / "bad.csv"
    bad.write_text("vdd,t_rcd_ns,foo\n1.35,13,1\n")
    with pytest.raises(InputError, match="foo"):
        load_table(bad)
    bad.write_text("vdd,scaling,t_rcd_ns\n1.35,v1,13\n1.2,v2,14\n")
    with pytest.raises(InputError, match="scaling"):
        load_table(bad)
    bad.write_text("vdd,t_xyz_ns\n1.35,13\n")
    with pytest.raises(InputError, match="t_xyz_ns"):
        load_table(bad)
    with pytest.raises(InputError):
        load_table(tmp_path / "missing.yaml")


def test_other_standards_use_relative_scale_on_core_rail():
    spec = load_spec("DDR3-1600K")
    rails = (dataclasses.replace(spec.rails[0], name="VDD1", voltage_v=1.8),
             dataclasses.replace(spec.rails[0], name="VDD2", voltage_v=1.2))
    lp = dataclasses.replace(spec, standard="LPDDR3", rails=rails)
    v = 1.2 * 1.025 / 1.35
    op = operating_point(lp, v)
    assert op.core_rail == "VDD2" and op.ber == pytest.approx(load_table(None).ber(1.025))
    assert op.spec.rail("VDD1") == rails[0]
    assert op.spec.rail("VDD2").voltage_v == pytest.approx(v)
    assert op.vdd_table_equivalent == pytest.approx(1.025) and op.table_nominal_vdd == 1.35
    with pytest.raises(InputError, match=r"outside the table's range, below it .*1\.35\.\.1\.025 V range is 1\.2\.\.0\.911 V"):
        operating_point(lp, 0.85)                    # 0.956 V on the DDR3L scale


def test_one_voltage_convention_lpddr3():
    lp = load_spec("LPDDR3-1600")
    with pytest.raises(InputError) as exc:
        operating_point(lp, 1.35)
    assert str(exc.value) == ("LPDDR3-1600: vdd 1.35 V is above the VDD2 nominal 1.2 V (the DDR3L-Voltron "
                              "table's 1.35..1.025 V range is 1.2..0.911 V on this rail)")
    low = operating_point(lp, 0.911)                 # printed end of the range: the table's 1.025 V
    assert low.ber == load_table(None).ber(1.025) and low.vdd == 0.911
    assert low.vdd_table_equivalent == pytest.approx(0.911 * 1.35 / 1.2)
    d = low.to_dict()
    assert {"vdd", "vdd_table_equivalent", "nominal_vdd", "table_nominal_vdd", "n_modules", "ber_lower_bound",
            "device_spread"} <= set(d) and d["core_rail"] == "VDD2" and d["n_modules"] == 4
    with pytest.raises(InputError, match="for vendor A is 1.2..0.978 V"):
        operating_point(lp, 0.95, vendor="A")
    ddr3 = operating_point(load_spec("DDR3-1600K"), 1.1, vendor="C")
    assert ddr3.vdd_table_equivalent == pytest.approx(1.1) and ddr3.ber_lower_bound


def test_energy_table_and_voltage_table_cli(tmp_path, capsys):
    from dramsim.cli import main

    out = tmp_path / "e.csv"
    assert main(["energy-table", "--standard", "LPDDR3-1600", "--vdd", "1.2,0.911", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "vdd_table_equivalent" in printed and "1.024875" in printed
    import pandas as pd

    df = pd.read_csv(out)
    assert set(df["vdd_table_equivalent"].round(6)) == {1.35, 1.024875}
    assert {"n_modules", "ber_lower_bound"} <= set(df.columns)
    bad = tmp_path / "bad.csv"
    assert main(["energy-table", "--standard", "LPDDR3-1600", "--vdd", "1.35,1.025", "--csv", str(bad)]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and not bad.exists()
    assert cap.err.strip().splitlines() == ["dramsim: error: LPDDR3-1600: vdd 1.35 V is above the VDD2 nominal "
                                            "1.2 V (the DDR3L-Voltron table's 1.35..1.025 V range is 1.2..0.911 V "
                                            "on this rail)"]
    assert main(["voltage-table", str(tmp_path / "nowhere"), "--out", str(tmp_path / "t.yaml")]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "nowhere" in cap.err and "Traceback" not in cap.err
    assert not (tmp_path / "t.yaml").exists()


@pytest.mark.skipif(not VOLTRON.exists(), reason="../shared not present")
def test_voltage_table_command_regenerates_the_shipped_table(tmp_path, capsys):
    from dramsim.cli import main

    out = tmp_path / "t.yaml"
    assert main(["voltage-table", str(VOLTRON), "--out", str(out)]) == 0
    assert out.read_text() == DEFAULT_TABLE.read_text()
    printed = capsys.readouterr().out
    assert "vendor B mean BER" in printed and "bank 0 weakness maps 2.42" in printed


def test_new_columns_in_csv_and_validation(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("vdd,detection_limit_ber,ber_X_mean,n_X,lower_bound_X,raised_X\n"
                 "1.35,1e-10,0,10,0,0\n1.2,1e-10,1e-6,5,0,1\n1.1,1e-10,1e-4,3,1,0\n")
    t = load_table(p)
    assert t.modules(1.15, "X") == 3 and t.is_lower_bound(1.15, "X") and not t.is_lower_bound(1.2, "X")
    assert t.is_raised(1.25, "X") and t.detection_limit_ber == 1e-10
    # next to the zero at 1.35 V: log space from 1e-10 / 10 modules toward 1e-6
    assert t.ber(1.275, "X") == pytest.approx(math.sqrt(1e-11 * 1e-6))
    for column, value, match in [("n_X", "2.5", "module counts"), ("lower_bound_X", "2", "flags 0 or 1"),
                                 ("detection_limit_ber", "2", "detection_limit_ber")]:
        text = p.read_text().splitlines()
        header = text[0].split(",")
        i = header.index(column)
        row = text[2].split(",")
        row[i] = value
        rows = [text[1], ",".join(row), text[3]]
        if column == "detection_limit_ber":
            rows = [",".join(r.split(",")[:i] + [value] + r.split(",")[i + 1:]) for r in rows]
        bad = tmp_path / "bad.csv"
        bad.write_text("\n".join([text[0], *rows]) + "\n")
        with pytest.raises(InputError, match=match):
            load_table(bad)
    y = tmp_path / "t.yaml"
    y.write_text("nominal_vdd: 1.35\ndevice_spread: {X: {ber_shape: -1, bank_concentration: 2}}\n"
                 "points: [{vdd: 1.35, ber_X_mean: 0}]\n")
    with pytest.raises(InputError, match="device_spread.X.ber_shape"):
        load_table(y)


def test_reliable_mode_slows_a_run_and_approximate_does_not():
    simulate = pytest.importorskip("dramsim.simulate").simulate
    from traces.requests import RequestTrace

    spec = load_spec("DDR3-1600K")
    rng = np.random.default_rng(7)
    req = RequestTrace(rng.integers(0, 2**24 // 64, 1500, dtype=np.uint64) * np.uint64(64), np.zeros(1500, bool))
    nom = simulate(spec, req, arrival="saturate")
    approx_op = operating_point(spec, 1.025, mode="approximate")
    approx = simulate(approx_op.spec, req, arrival="saturate")
    assert approx.cycles == nom.cycles
    ratio = compute_energy(approx_op.spec, approx.commands, approx.cycles).total / \
        compute_energy(spec, nom.commands, nom.cycles).total
    assert ratio == pytest.approx((1.025 / 1.35) ** 2, rel=1e-12)
    rel_op = operating_point(spec, 1.025, mode="reliable")
    rel = simulate(rel_op.spec, req, arrival="saturate")
    assert rel.cycles > nom.cycles
