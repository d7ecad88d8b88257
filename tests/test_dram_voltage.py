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
from dramsim.voltage import (DEFAULT_TABLE, alpha_power_factor, ber_from_line_fraction, build_voltron_table,
                             load_table, operating_point)

SHARED = Path(__file__).resolve().parents[2] / "shared"
VOLTRON = SHARED / "reference" / "voltron"


def test_shipped_table_covers_voltron_range():
    t = load_table(None, "DDR3")
    assert np.allclose(t.vdd, np.round(np.arange(1.35, 1.0249, -0.025), 3))
    assert t.vendors == ["A", "B", "C"]
    assert "model" in t.timing_model and t.timing_basis == "relative"
    assert t.ber(1.35) == 0.0 and t.ber(1.15, "B") == 0.0
    # paper-notes: vendor B about 8e-12 (1.125), 3e-9 (1.10), 4e-7 (1.075), 7e-5 (1.05), 4e-4 (1.025)
    for v, b in [(1.125, 8e-12), (1.1, 3e-9), (1.075, 4e-7), (1.05, 7e-5), (1.025, 4e-4)]:
        assert t.ber(v, "B") == pytest.approx(b, rel=0.2)
    assert t.ber(1.025, "B", "median") < t.ber(1.025, "B", "mean") < t.ber(1.025, "B", "max")


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
    assert t.ber(1.1375, "B") == pytest.approx(t.ber(1.125, "B") / 2)   # linear next to a zero
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
    assert approx.ber == pytest.approx(4.255e-4, rel=1e-3)
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
    with pytest.raises(InputError, match="outside"):
        operating_point(lp, 0.85)                    # 0.956 V on the DDR3L scale


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
