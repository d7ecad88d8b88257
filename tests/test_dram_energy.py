"""Energy model: hand-computed equations, residency, rails, scaling, and the DRAMPower 4.1 figures."""
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from dramsim.energy import access_energy_table, analyse, compute_energy
from dramsim.errors import InputError
from dramsim.spec import load_spec
from dramsim.voltage import operating_point
from traces.commands import CODE, CommandTrace

SHARED = Path(__file__).resolve().parents[2] / "shared"


def trace(rows):
    """rows: (cycle, name, rank, bank); row 5 for bank commands."""
    cyc, cmd, rank, bank = zip(*rows)
    n = len(rows)
    code = np.array([CODE[c] for c in cmd])
    allbank = np.isin(code, [CODE["PREA"], CODE["REF"]])
    return CommandTrace(cycle=np.array(cyc), cmd=code, channel=np.zeros(n), rank=np.array(rank),
                        bankgroup=np.where(allbank, -1, 0), bank=np.where(allbank, -1, np.array(bank)),
                        row=np.where(allbank, -1, 5), column=np.where(np.isin(code, [3, 4, 5, 6]), 0, -1))


TEN = [(0, "ACT", 0, 0), (11, "RD", 0, 0), (15, "WR", 0, 0), (20, "ACT", 0, 1), (31, "RDA", 0, 1),
       (50, "PRE", 0, 0), (60, "PRE", 0, 0), (70, "ACT", 0, 2), (100, "PREA", 0, -1), (150, "REF", 0, -1)]


def test_ten_command_trace_by_hand():
    spec = load_spec("DDR3-1600K")
    e = compute_energy(spec, trace(TEN), 400)
    # unit: 1.35 V x 1.25 ns x 8 devices = 13.5 pJ per mA-cycle
    # ACT: 3 x (55 - 38) mA x tRAS 28 = 1428 -> 19278 pJ
    assert e.act == pytest.approx(19278.0, abs=1e-6)
    # PRE: b1 implicit at max(31+6, 20+28) = 48, b0 at 50 (the PRE at 60 is a no-op), b2 by PREA:
    # 3 x (55 - 32) x (tRC - tRAS = 11) = 759 -> 10246.5 pJ
    assert e.pre == pytest.approx(10246.5, abs=1e-6)
    assert e.rd == pytest.approx(2 * 119 * 4 * 13.5, abs=1e-6)      # 12852
    assert e.wr == pytest.approx(1 * 87 * 4 * 13.5, abs=1e-6)       # 4698
    assert e.ref == pytest.approx(197 * 208 * 13.5, abs=1e-6)       # 553176
    # active: [0,50) + [70,100) + REF [150, 150+208-11) = 50 + 30 + 197 = 277; precharged 123
    assert (e.active_cycles, e.precharged_cycles) == (277, 123)
    assert e.background == pytest.approx((38 * 277 + 32 * 123) * 13.5, abs=1e-6)   # 195237
    assert e.total == pytest.approx(795487.5, abs=1e-6)
    assert e.io == 0.0 and e.vdd == 1.35
    assert e.counts["PRE_noop"] == 1 and e.counts["PRE"] == 3
    d = e.to_dict()
    assert set(d) >= {"total", "act", "pre", "rd", "wr", "ref", "background", "vdd"}


def test_residency_per_rank_and_idle_ranks():
    spec = load_spec("DDR3-1600K", ranks=2)
    tr = trace([(10, "ACT", 1, 3), (40, "PRE", 1, 3)])
    counts, active = analyse(spec, tr, 100)
    assert list(active) == [0, 30]
    e = compute_energy(spec, tr, 100)
    assert e.background == pytest.approx((38 * 30 + 32 * 170) * 13.5)


def test_open_banks_stay_active_to_the_end_and_overlaps_merge():
    spec = load_spec("DDR3-1600K")
    tr = trace([(5, "ACT", 0, 0), (8, "ACT", 0, 1), (20, "PRE", 0, 0), (30, "ACT", 0, 0)])
    counts, active = analyse(spec, tr, 50)
    assert active[0] == 45 and counts["ACT"] == 3 and counts["PRE"] == 1
    # an ACT to an open bank is ignored, as in DRAMPower
    counts, _ = analyse(spec, trace([(0, "ACT", 0, 0), (50, "ACT", 0, 0)]), 60)
    assert counts["ACT"] == 1 and counts["ACT_ignored"] == 1


def test_implicit_precharge_of_wra_and_after_the_end():
    spec = load_spec("DDR3-1600K")
    t = spec.timing
    tr = trace([(0, "ACT", 0, 0), (40, "WRA", 0, 0)])
    wr_pre = 40 + t.CWL + spec.burst_cycles + t.WR                 # 64 > tRAS
    counts, active = analyse(spec, tr, 100)
    assert counts["PRE"] == 1 and active[0] == wr_pre
    counts, active = analyse(spec, tr, 50)                          # precharge after the run
    assert counts["PRE"] == 0 and active[0] == 50


def test_io_energy_optional():
    spec = load_spec("DDR3-1600K")
    tr = trace(TEN)
    off, on = compute_energy(spec, tr, 400), compute_energy(spec, tr, 400, io=True)
    # 2 reads x 4.6 mW x 9 pins + 1 write x 21.2 mW x 10 pins, 8 beats of 0.625 ns, 8 devices
    expected = (2 * 4.6 * 9 + 21.2 * 10) * 8 * 0.625 * 8
    assert on.io == pytest.approx(expected) and on.total == pytest.approx(off.total + expected)


def test_two_rails_are_summed(tmp_path):
    spec = load_spec("DDR3-1600K")
    lp = dataclasses.replace(spec, standard="LPDDR3", rails=(
        dataclasses.replace(spec.rails[0], name="VDD1", voltage_v=1.8),
        dataclasses.replace(spec.rails[0], name="VDD2", voltage_v=1.2)))
    e = compute_energy(lp, trace(TEN), 400)
    base = compute_energy(spec, trace(TEN), 400).total / 1.35
    assert e.per_rail["VDD1"] == pytest.approx(base * 1.8)
    assert e.per_rail["VDD2"] == pytest.approx(base * 1.2)
    assert e.total == pytest.approx(base * 3.0) and e.vdd == 1.2     # core rail of LPDDR: VDD2


def test_bad_traces_raise_input_error():
    spec = load_spec("DDR3-1600K")
    with pytest.raises(InputError):
        compute_energy(spec, trace([(10, "ACT", 0, 0), (5, "PRE", 0, 0)]), 20)
    with pytest.raises(InputError):
        compute_energy(spec, trace([(10, "ACT", 0, 9)]), 20)
    with pytest.raises(InputError):
        compute_energy(spec, trace([(10, "ACT", 1, 0)]), 20)


@pytest.mark.parametrize("scaling,expected", [("v2", (1.025 / 1.35) ** 2), ("v1", 1.025 / 1.35),
                                              ("array", 0.5 + 0.5 * (1.025 / 1.35) ** 2)])
def test_voltage_scaling_of_a_fixed_trace(scaling, expected):
    spec = load_spec("DDR3-1600K")
    op = operating_point(spec, 1.025, mode="approximate", scaling=scaling)
    assert op.spec.timing == spec.timing
    low, nom = compute_energy(op.spec, trace(TEN), 400), compute_energy(spec, trace(TEN), 400)
    assert low.total / nom.total == pytest.approx(expected, rel=1e-12)
    assert low.vdd == 1.025


def test_access_energy_table_orders_and_scales():
    spec = load_spec("DDR3-1600K")
    df = access_energy_table(spec, [1.35, 1.025])
    assert len(df) == 12
    for v in (1.35, 1.025):
        for op in ("read", "write"):
            e = df[(df.vdd == v) & (df.op == op)].set_index("access")["energy_pj"]
            assert e["row_hit"] < e["row_miss"] < e["row_conflict"]
    hit = df[(df.access == "row_hit") & (df.op == "read")].set_index("vdd")["energy_pj"]
    assert hit[1.025] / hit[1.35] == pytest.approx((1.025 / 1.35) ** 2)
    # row-hit read command energy = (IDD4R - IDD3N) x nBL x 13.5 pJ
    row = df[(df.vdd == 1.35) & (df.access == "row_hit") & (df.op == "read")].iloc[0]
    assert row.command_pj == pytest.approx(119 * 4 * 13.5)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared not present")
@pytest.mark.parametrize("name,drampower_uj", [("seq", 9011), ("rand", 20046), ("stride", 4005)])
def test_reference_traces_match_drampower4(name, drampower_uj):
    """DRAMPower 4.1 on Ramulator 2.1's command traces (PEERS.md), per rank, within 1%."""
    simulate = pytest.importorskip("dramsim.simulate").simulate
    from traces.requests import RequestTrace

    sys.path.insert(0, str(SHARED / "reference" / "dram"))
    try:
        from make_traces import addresses
    finally:
        sys.path.pop(0)
    spec = load_spec(SHARED / "reference" / "dram" / "configs" / "drampower4_DDR3_4Gb_x8_1600K_dramsim3IDD.xml")
    a = addresses(name)
    res = simulate(spec, RequestTrace(a, np.zeros(len(a), bool)), arrival="saturate")
    e = compute_energy(spec, res.commands, res.cycles)
    assert e.total / 1e6 == pytest.approx(drampower_uj, rel=0.01)


def test_empty_trace_is_all_precharged_standby():
    spec = load_spec("DDR3-1600K", channels=2)
    empty = CommandTrace(*(np.zeros(0),) * 8)
    e = compute_energy(spec, empty, 1000)
    assert e.act == e.rd == e.ref == 0.0 and e.active_cycles == 0
    assert e.background == pytest.approx(2 * 1000 * 32 * 13.5)


def test_per_bank_refresh():
    spec = load_spec("DDR3-1600K")
    spec = dataclasses.replace(spec, timing=dataclasses.replace(spec.timing, RFCpb=90, REFIpb=780))
    tr = trace([(0, "REFpb", 0, 3), (200, "REFpb", 0, 4)])
    e = compute_energy(spec, tr, 400)
    assert e.counts["REFpb"] == 2 and e.active_cycles == 2 * (90 - 11)
    # without IDD5PB a per-bank refresh costs an all-bank refresh over the banks
    assert e.ref == pytest.approx(2 * 197 * 208 * 13.5 / 8)


def test_ddr5_bankwise_model_by_hand():
    """DDR5: DRAMPower 5's bank-wise terms (dramsim.energy docstring), on two banks opened and closed."""
    spec = load_spec("DDR5-4800")
    t = spec.timing
    rows = [(0, "ACT", 0, 0), (10, "ACT", 0, 1), (t.RCD + 10, "RD", 0, 1), (200, "PRE", 0, 0), (250, "PREA", 0, -1)]
    e = compute_energy(spec, trace(rows), 1000)
    v = spec.rail("VDD")
    unit = v.voltage_v * t.tck_ns * spec.organization.devices_per_rank          # pJ per mA-cycle
    i = v.currents_ma
    i_rho = i["IDD2N"] + 0.5 * (i["IDD3N"] - i["IDD2N"])                         # 117 mA
    i_one = (i["IDD3N"] + 31 * i_rho) / 32
    assert i["IDD0"] < i["IDD3N"] and i["IDD0"] > i_one                          # why DDR5 is bank-wise
    assert e.act == pytest.approx(2 * (i["IDD0"] - i_one) * t.RAS * unit)
    assert e.pre == pytest.approx(2 * (i["IDD0"] - i["IDD2N"]) * t.RP * unit)
    assert e.rd == pytest.approx((i["IDD4R"] - i["IDD3N"]) * 8 * unit)
    # the rank is active 0..250, bank 0 for 200 cycles, bank 1 for 240
    assert e.background == pytest.approx((250 * i_rho + 440 * (i_one - i_rho) + 750 * i["IDD2N"]) * unit)
    assert e.per_rail["VPP"] == 0.0 and e.per_rail["VDDQ"] == 0.0


def test_rails_without_currents_are_named():
    from dramsim.energy import energy_note, rails_without_currents

    assert rails_without_currents(load_spec("DDR5-4800")) == ("VPP", "VDDQ")
    assert "no public currents for VPP, VDDQ" in energy_note(load_spec("DDR5-4800"))
    assert energy_note(load_spec("DDR4-2400R")) == ""


def test_lpddr5_energy_is_vdd2h_only_and_named():
    """LPDDR5-6400 has public currents for VDD2H only (Micron data sheet, in the YAML); the other rails carry
    no energy and every output names them."""
    from dramsim.energy import core_rail, energy_note, rails_without_currents

    spec = load_spec("LPDDR5-6400")
    assert core_rail(spec) == "VDD2H"
    assert rails_without_currents(spec) == ("VDD1", "VDD2L", "VDDQ")
    assert "no public currents for VDD1, VDD2L, VDDQ" in energy_note(spec)
