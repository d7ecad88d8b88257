"""The independent timing checker: one hand-written trace per rule, legal and one cycle too early.

Each case builds a legal command sequence from the spec's own timing, with the constrained
command B last and placed exactly at its earliest legal cycle. The legal trace must pass; moving B
one cycle earlier must be flagged with the expected rule and the expected pair (A, B). On the
synthetic spec below, whose parameters are all distinct, it must be the *only* violation.
"""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from dramsim.checker import Violation, check, format_report, limits
from dramsim.errors import InputError
from dramsim.spec import builtin_standards, load_spec, spec_from_dict
from mutants import STANDARDS, rule_name
from traces.commands import ACT, PRE, PREA, RD, RDA, REF, REFPB, WR, WRA, CommandTrace


def _synthetic(ranks=2):
    """A device of no standard the checker knows (its values are the spec's, DDR formulas), with
    2 bank groups x 4 banks and all parameters distinct."""
    d = load_spec("DDR3-1600K").to_dict()
    d["standard"] = "LPDDR4"   # loads with per-bank refresh values; renamed below
    d["organization"].update(bankgroups=2, banks_per_group=4, channels=1, ranks=ranks)
    d["timing"].update(CL=11, CWL=8, RCD=11, RP=11, RAS=28, RC=45, CCD_S=5, CCD_L=6, RRD_S=5,
                       RRD_L=7, FAW=30, WTR_S=6, WTR_L=9, RTP=6, WR=20, RFC=208, REFI=6240,
                       RPab=13, RFCpb=90, REFIpb=780, RTRS=2)
    return dataclasses.replace(spec_from_dict(d, "synthetic"), standard="OTHER")


SYNTH = _synthetic()


def trace(rows):
    """Rows (cycle, cmd, rank, bankgroup, bank, row[, channel]) -> CommandTrace."""
    cols = list(zip(*[tuple(r) + (0,) * (7 - len(r)) for r in rows]))
    cycle, cmd, rank, bg, bank, row, channel = (np.array(c, dtype=np.int64) for c in cols)
    wide = np.isin(cmd, (PREA, REF))
    column = np.where(np.isin(cmd, (RD, WR, RDA, WRA)), 8, -1)
    return CommandTrace(cycle=cycle, cmd=cmd, channel=channel, rank=rank,
                        bankgroup=np.where(wide, -1, bg), bank=np.where(wide, -1, bank),
                        row=np.where(np.isin(cmd, (ACT, RD, WR, RDA, WRA)), row, -1), column=column)


# Each case: values (limits of SYNTH) -> (rows, index of A, rule); B is the last row.
def c_rc(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PRE, 0, 0, 0, 1), (v["RC"], ACT, 0, 0, 0, 2)], 0, "tRC"


def c_rcd(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RCD"], RD, 0, 0, 0, 1)], 0, "tRCD"


def c_ras(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PRE, 0, 0, 0, 1)], 0, "tRAS"


def c_rp(v):
    p = max(v["RAS"], v["RC"] - v["RP"] + 1)
    return [(0, ACT, 0, 0, 0, 1), (p, PRE, 0, 0, 0, 1), (p + v["RP"], ACT, 0, 0, 0, 2)], 1, "tRP"


def c_rpab(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PREA, 0, 0, 0, 0), (v["RAS"] + v["RPab"], ACT, 0, 0, 1, 2)], 1, "tRPab"


def c_rda(v):
    x = max(v["RCD"], v["RC"])
    t_pre = max(x + v["RD2PRE"], v["RAS"])
    return [(0, ACT, 0, 0, 0, 1), (x, RDA, 0, 0, 0, 1), (t_pre + v["RP"], ACT, 0, 0, 0, 2)], 1, "tRP"


def c_wra(v):
    x = max(v["RCD"], v["RC"])
    t_pre = max(x + v["WR2PRE"], v["RAS"])
    return [(0, ACT, 0, 0, 0, 1), (x, WRA, 0, 0, 0, 1), (t_pre + v["RP"], ACT, 0, 0, 0, 2)], 1, "tRP"


def c_rtp(v):
    x = max(v["RCD"], v["RAS"])
    return [(0, ACT, 0, 0, 0, 1), (x, RD, 0, 0, 0, 1), (x + v["RD2PRE"], PRE, 0, 0, 0, 1)], 1, "tRTP"


def c_wr(v):
    x = max(v["RCD"], v["RAS"])
    return [(0, ACT, 0, 0, 0, 1), (x, WR, 0, 0, 0, 1), (x + v["WR2PRE"], PREA, 0, 0, 0, 0)], 1, "tWR"


def c_wr_rda(v):
    """RDA's implicit precharge, tRTP after it, must not start before the WR's recovery."""
    x = max(v["RCD"], v["RAS"])
    d = v["WR2PRE"] - v["RD2PRE"]
    assert d > v["WR2RD_L"]
    return [(0, ACT, 0, 0, 0, 1), (x, WR, 0, 0, 0, 1), (x + d, RDA, 0, 0, 0, 1)], 1, "tWR"


def c_rrd_l(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RRD_L"], ACT, 0, 0, 1, 1)], 0, "tRRD_L"


def c_rrd_s(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RRD_S"], ACT, 0, 1, 0, 1)], 0, "tRRD_S"


def c_faw(v):
    rows = [(k * v["RRD_L"], ACT, 0, k // 4, k % 4, 1) for k in range(4)]
    return rows + [(v["FAW"], ACT, 0, 1, 0, 1)], 0, "tFAW"


def c_ccd_l(v, cmd=RD):
    x = v["RRD_L"] + v["RCD"]
    return ([(0, ACT, 0, 0, 0, 1), (v["RRD_L"], ACT, 0, 0, 1, 1), (x, cmd, 0, 0, 0, 1),
             (x + v["CCD_L"], cmd, 0, 0, 1, 1)], 2, "tCCD_L")


def c_ccd_l_wr(v):
    return c_ccd_l(v, WR)


def c_ccd_s(v):
    x = v["RRD_S"] + v["RCD"]
    return ([(0, ACT, 0, 0, 0, 1), (v["RRD_S"], ACT, 0, 1, 0, 1), (x, RD, 0, 0, 0, 1),
             (x + v["CCD_S"], RDA, 0, 1, 0, 1)], 2, "tCCD_S")


def c_rtw(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RCD"], RD, 0, 0, 0, 1), (v["RCD"] + v["RD2WR"], WR, 0, 0, 0, 1)], 1, "tRTW"


def c_wtr_l(v):
    x = v["RRD_L"] + v["RCD"]
    return ([(0, ACT, 0, 0, 0, 1), (v["RRD_L"], ACT, 0, 0, 1, 1), (x, WR, 0, 0, 0, 1),
             (x + v["WR2RD_L"], RD, 0, 0, 1, 1)], 2, "tWTR_L")


def c_wtr_s(v):
    x = v["RRD_S"] + v["RCD"]
    return ([(0, ACT, 0, 0, 0, 1), (v["RRD_S"], ACT, 0, 1, 0, 1), (x, WR, 0, 0, 0, 1),
             (x + v["WR2RD_S"], RD, 0, 1, 0, 1)], 2, "tWTR_S")


def _rank_switch(v, first, second):
    lat = {RD: v["CL"], WR: v["CWL"]}
    gap = lat[first] + v["nBL"] + v["RTRS"] - lat[second]
    x = v["RCD"] + 1
    return [(0, ACT, 0, 0, 0, 1), (1, ACT, 1, 0, 0, 1), (x, first, 0, 0, 0, 1), (x + gap, second, 1, 0, 0, 1)], 2, "tRTRS"


def c_rtrs_rr(v):
    return _rank_switch(v, RD, RD)


def c_rtrs_ww(v):
    return _rank_switch(v, WR, WR)


def c_rtrs_rw(v):
    return _rank_switch(v, RD, WR)


def c_rtrs_wr(v):
    return _rank_switch(v, WR, RD)


def c_rfc_act(v):
    return [(0, REF, 0, 0, 0, 0), (v["RFC"], ACT, 0, 0, 3, 1)], 0, "tRFC"


def c_rfc_ref(v):
    return [(0, REF, 0, 0, 0, 0), (v["RFC"], REF, 0, 0, 0, 0)], 0, "tRFC"


def c_rfc_pre(v):
    return [(0, REF, 0, 0, 0, 0), (v["RFC"], PRE, 0, 1, 2, 0)], 0, "tRFC"


def c_ref_rp(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PRE, 0, 0, 0, 1), (v["RAS"] + v["RP"], REF, 0, 0, 0, 0)], 1, "tRP"


def c_ref_rpab(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PREA, 0, 0, 0, 0), (v["RAS"] + v["RPab"], REF, 0, 0, 0, 0)], 1, "tRPab"


def c_ref_rda(v):
    t_pre = max(v["RCD"] + v["RD2PRE"], v["RAS"])
    return [(0, ACT, 0, 0, 0, 1), (v["RCD"], RDA, 0, 0, 0, 1), (t_pre + v["RP"], REF, 0, 0, 0, 0)], 1, "tRP"


def c_rfcpb_act(v):
    return [(0, REFPB, 0, 0, 0, 0), (v["RFCpb"], ACT, 0, 0, 0, 1)], 0, "tRFCpb"


def c_rfcpb_refpb(v):
    return [(0, REFPB, 0, 0, 0, 0), (v["RFCpb"], REFPB, 0, 0, 1, 0)], 0, "tRFCpb"


def c_rfcpb_ref(v):
    return [(0, REFPB, 0, 0, 0, 0), (v["RFCpb"], REF, 0, 0, 0, 0)], 0, "tRFCpb"


def c_refpb_rrd(v):
    return [(0, ACT, 0, 0, 1, 1), (v["RRD_L"], REFPB, 0, 0, 0, 0)], 0, "tRRD_L"


def c_refpb_rp(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PRE, 0, 0, 0, 1), (v["RAS"] + v["RP"], REFPB, 0, 0, 0, 0)], 1, "tRP"


def c_refpb_rpab(v):
    return [(0, ACT, 0, 0, 0, 1), (v["RAS"], PREA, 0, 0, 0, 0), (v["RAS"] + v["RPab"], REFPB, 0, 0, 0, 0)], 1, "tRPab"


CASES = [c_rc, c_rcd, c_ras, c_rp, c_rpab, c_rda, c_wra, c_rtp, c_wr, c_wr_rda, c_rrd_l, c_rrd_s, c_faw,
         c_ccd_l, c_ccd_l_wr, c_ccd_s, c_rtw, c_wtr_l, c_wtr_s, c_rtrs_rr, c_rtrs_ww, c_rtrs_rw,
         c_rtrs_wr, c_rfc_act, c_rfc_ref, c_rfc_pre, c_ref_rp, c_ref_rpab, c_ref_rda, c_rfcpb_act,
         c_rfcpb_refpb, c_rfcpb_ref, c_refpb_rrd, c_refpb_rp, c_refpb_rpab]


def _run_case(spec, case, exactly_one):
    built = case(limits(spec))
    if built is None:
        pytest.skip(f"{case.__name__} does not apply to {spec.name}")
    rows, a, rule = built
    if spec.standard in STANDARDS:
        rule = rule_name(spec.standard, rule)
    legal = trace(rows)
    assert check(legal, spec, refresh="none") == [], format_report(check(legal, spec, refresh="none"))
    early = [list(r) for r in rows]
    early[-1][0] -= 1
    found = check(trace(early), spec, refresh="none")
    b = len(rows) - 1
    hits = [v for v in found if v.rule == rule and v.first == a and v.second == b]
    assert hits, f"{rule} not flagged for #{a} -> #{b}: {format_report(found)}"
    assert hits[0].actual == hits[0].required - 1
    if exactly_one:
        assert len(found) == 1, format_report(found)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_rule_synthetic(case):
    _run_case(SYNTH, case, exactly_one=True)


FAMILY_SPECS = {}
for _name in builtin_standards():
    FAMILY_SPECS.setdefault(load_spec(_name).standard, _name)


def _only(violations, rule, first, second):
    assert [(v.rule, v.first, v.second) for v in violations] == [(rule, first, second)], format_report(violations)
    return violations[0]


def test_state_rules():
    s = SYNTH
    t = s.timing
    v = check(trace([(0, ACT, 0, 0, 0, 1), (t.RC, ACT, 0, 0, 0, 2)]), s, refresh="none")
    _only(v, "state:ACT to open bank", 0, 1)
    v = check(trace([(5, RD, 0, 0, 0, 1)]), s, refresh="none")
    assert str(_only(v, "state:RD to closed bank", -1, 0)) == "state:RD to closed bank: #0 @5 RD ch0 rk0 bg0 b0 row 1 col 8"
    v = check(trace([(0, ACT, 0, 0, 0, 1), (t.RCD, WR, 0, 0, 0, 2)]), s, refresh="none")
    _only(v, "state:WR to a row not open", 0, 1)
    v = check(trace([(0, ACT, 0, 0, 0, 1), (t.RCD, RDA, 0, 0, 0, 1), (t.RCD + 10, RD, 0, 0, 0, 1)]), s, refresh="none")
    _only(v, "state:RD to closed bank", 1, 2)
    v = check(trace([(0, ACT, 0, 1, 2, 1), (100, REF, 0, 0, 0, 0)]), s, refresh="none")
    _only(v, "state:REF with open bank", 0, 1)
    v = check(trace([(0, ACT, 0, 1, 2, 1), (100, REFPB, 0, 1, 2, 0)]), s, refresh="none")
    _only(v, "state:REFpb to open bank", 0, 1)
    # PRE to a closed bank is a legal no-op, and PREA closes every bank of the rank
    rows = [(0, PRE, 0, 0, 0, 0), (1, ACT, 0, 0, 0, 1), (1 + t.RRD_S, ACT, 0, 1, 0, 1),
            (60, PREA, 0, 0, 0, 0), (60 + t.RPab, ACT, 0, 0, 0, 3), (60 + t.RPab + t.RRD_S, ACT, 0, 1, 0, 3)]
    assert check(trace(rows), s, refresh="none") == []


def test_command_bus_and_order():
    s = SYNTH
    v = check(trace([(0, ACT, 0, 0, 0, 1), (0, ACT, 1, 0, 0, 1)]), s, refresh="none")
    assert str(_only(v, "command bus", 0, 1)).startswith("command bus: #0 @0 ACT ch0 rk0 bg0 b0 row 1 -> #1 @0 ACT")
    assert check(trace([(0, ACT, 0, 0, 0, 1), (1, ACT, 1, 0, 0, 1)]), s, refresh="none") == []
    _only(check(trace([(10, ACT, 0, 0, 0, 1), (9, ACT, 1, 0, 0, 1)]), s, refresh="none"), "order", 0, 1)
    two = s.with_options(channels=2)
    assert check(trace([(0, ACT, 0, 0, 0, 1, 0), (0, ACT, 0, 0, 0, 1, 1)]), two, refresh="none") == []


def test_refresh_rate_all_bank():
    s = SYNTH.with_options(ranks=1)
    limit = 9 * s.timing.REFI
    assert check(trace([(limit, REF, 0, 0, 0, 0)]), s) == []
    v = _only(check(trace([(limit + 1, REF, 0, 0, 0, 0)]), s), "tREFI", -1, 0)
    assert (v.required, v.actual) == (limit, limit + 1)
    assert check(trace([(100, REF, 0, 0, 0, 0), (100 + limit, REF, 0, 0, 0, 0)]), s) == []
    _only(check(trace([(100, REF, 0, 0, 0, 0), (101 + limit, REF, 0, 0, 0, 0)]), s), "tREFI", 0, 1)
    # the end of the run is a deadline too; refresh="none" disables the rate rule
    v = _only(check(trace([(100, REF, 0, 0, 0, 0)]), s, end_cycle=101 + limit), "tREFI", 0, -1)
    assert str(v) == (f"tREFI: #0 @100 REF ch0 rk0 -> end of trace (cycle {101 + limit}) ch0 rk0: "
                      f"{limit + 1} cycles, at most {limit} allowed")
    v = check(trace([(100, REF, 0, 0, 0, 0)]), SYNTH.with_options(channels=2), end_cycle=101 + limit)
    assert [x.second_desc.split(") ")[1] for x in v] == ["ch0 rk0", "ch0 rk1", "ch1 rk0", "ch1 rk1"]
    assert check(trace([(100, REF, 0, 0, 0, 0)]), s, end_cycle=100 + limit) == []
    assert check(trace([(0, ACT, 0, 0, 0, 1)]), s, refresh="none", end_cycle=10 * limit) == []


def test_refresh_rate_per_bank():
    s = SYNTH.with_options(ranks=1)
    t = s.timing
    limit = 9 * t.REFIpb
    rows = [(0, REFPB, 0, 0, 0, 0), (limit, REFPB, 0, 0, 1, 0)]
    assert check(trace(rows), s, refresh="per-bank") == []
    rows[-1] = (limit + 1, REFPB, 0, 0, 1, 0)
    _only(check(trace(rows), s, refresh="per-bank"), "tREFIpb", 0, 1)
    # every bank needs a refresh within 9 * REFI: seven banks never refreshed by the end
    v = check(trace([(1, REFPB, 0, 0, 0, 0)]), s, refresh="per-bank", end_cycle=9 * t.REFI + 1)
    assert sorted(x.rule for x in v) == ["tREFI:bank"] * 7 + ["tREFIpb"]
    assert sorted(x.second_desc.split(") ")[1] for x in v if x.rule == "tREFI:bank") == [
        f"ch0 rk0 bg{g} b{k}" for g in range(2) for k in range(4)][1:]


def test_max_violations_and_report():
    s = SYNTH
    rows = [(i, RD, 0, 0, 0, 1) for i in range(20)]
    v = check(trace(rows), s, refresh="none")
    # every RD is to a closed bank; each of the 19 later ones breaks tCCD_L and overlaps on the data bus
    assert len(v) == 20 + 19 + 19
    assert len(check(trace(rows), s, refresh="none", max_violations=5)) == 5
    text = format_report(v, limit=3)
    assert text.splitlines()[0].startswith(f"{len(v)} violation(s):")
    assert text.splitlines()[-1] == f"... and {len(v) - 3} more"
    assert isinstance(v[0], Violation) and dataclasses.is_dataclass(v[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        v[0].rule = "x"
    assert format_report([]) == "no timing violations"


def test_many_violations_grow_the_buffer():
    n = 6000
    rows = [(i, RD, 0, 0, 0, 1) for i in range(n)]
    v = check(trace(rows), SYNTH, refresh="none")
    assert sum(x.rule == "state:RD to closed bank" for x in v) == n


def test_bad_input():
    s = SYNTH
    with pytest.raises(InputError, match="field 'bank' is 4; expected 0..3"):
        check(trace([(0, ACT, 0, 0, 4, 1)]), s)
    with pytest.raises(InputError, match="field 'rank' is 2"):
        check(trace([(0, REF, 2, 0, 0, 0)]), s)
    with pytest.raises(InputError, match="refresh mode"):
        check(trace([(0, REF, 0, 0, 0, 0)]), s, refresh="sometimes")
    with pytest.raises(InputError, match="RFCpb"):
        check(trace([(0, REF, 0, 0, 0, 0)]), load_spec("DDR3-1600K"), refresh="per-bank")


def test_unknown_rows_from_drampower4(tmp_path):
    """DRAMPower 4 traces carry no rows: row -1 skips only the open-row check."""
    from traces import read_commands, write_commands

    s = SYNTH.with_options(ranks=1)
    t = s.timing
    rows = [(0, ACT, 0, 1, 2, 5), (t.RCD, RD, 0, 1, 2, 5), (t.RCD + t.RTP + 20, PRE, 0, 1, 2, 5),
            (t.RCD + t.RTP + 20 + t.RP - 1, ACT, 0, 1, 2, 6)]
    write_commands(trace(rows), tmp_path / "c.trace", "drampower4", banks_per_group=4)
    back = read_commands(tmp_path / "c.trace", banks_per_group=4)
    assert (back.row == -1).all()
    _only(check(back, s, refresh="none"), "tRP", 2, 3)
    rows[1] = (t.RCD, RD, 0, 1, 3, 5)  # to a closed bank: still caught without rows
    write_commands(trace(rows[:2]), tmp_path / "c.trace", "drampower4", banks_per_group=4)
    _only(check(read_commands(tmp_path / "c.trace", banks_per_group=4), s, refresh="none"),
          "state:RD to closed bank", -1, 1)


def _bus(rows, s, flag):
    """Data-bus rules: each burst against the 8 bursts issued before it on the channel; same rank:
    no overlap ("data bus"), other rank: tRTRS apart."""
    t, nbl = s.timing, s.burst_cycles
    lat = {RD: t.CL, RDA: t.CL, WR: t.CWL, WRA: t.CWL}
    bursts = [b for b, r in enumerate(rows) if r[1] in lat]
    for x, b in enumerate(bursts):
        tb, cb, rb = rows[b][:3]
        for a in bursts[max(0, x - 8):x]:
            ta, ca, ra = rows[a][:3]
            gap = t.RTRS if ra != rb else 0
            sa, sb = ta + lat[ca], tb + lat[cb]
            if sb < sa + nbl + gap and sb + nbl + gap > sa:
                flag("tRTRS" if ra != rb else "data bus", b, sa + nbl + gap - lat[cb] - ta, tb - ta)


def _brute_force(rows, s):
    """All (family, B) -> largest shortfall, by comparing every pair directly (ACT/RD/WR only)."""
    t, nbl = s.timing, s.burst_cycles
    worst = {}

    def flag(family, b, need, dist):
        if dist < need:
            worst[(family, b)] = max(worst.get((family, b), 0), need - dist)

    for b, (tb, cb, rb, gb, kb, _) in enumerate(rows):
        acts_in_rank = [a for a in range(b) if rows[a][1] == ACT and rows[a][2] == rb]
        for a in range(b):
            ta, ca, ra, ga, ka, _ = rows[a]
            d = tb - ta
            if d == 0:
                flag("command bus", b, 1, 0)
            same_rank, same_bank, same_bg = ra == rb, (ra, ga, ka) == (rb, gb, kb), ga == gb
            if cb == ACT and ca == ACT and same_rank and not same_bank:
                flag("tRRD", b, t.RRD_L if same_bg else t.RRD_S, d)
            if cb in (RD, WR) and ca == ACT and same_bank:
                flag("tRCD", b, t.RCD, d)
            if cb in (RD, WR) and ca in (RD, WR):
                if not same_rank:
                    pass
                elif ca == cb:
                    flag("tCCD", b, t.CCD_L if same_bg else t.CCD_S, d)
                elif ca == RD:
                    flag("tRTW", b, t.CL + nbl + 2 - t.CWL, d)
                else:
                    flag("tWTR", b, t.CWL + nbl + (t.WTR_L if same_bg else t.WTR_S), d)
        if cb == ACT and len(acts_in_rank) >= 4:
            flag("tFAW", b, t.FAW, tb - rows[acts_in_rank[-4]][0])
    _bus(rows, s, flag)
    return worst


@pytest.mark.parametrize("seed", range(40))
def test_kernel_matches_pairwise_brute_force(seed):
    """Random ACT/RD/WR traces (no PRE, no state errors, many timing errors): the checker's
    (rule family, B) set and shortfalls equal an all-pairs comparison written from the rules."""
    rng = np.random.default_rng(seed)
    s = SYNTH
    rows, cycle, opened = [], 0, {}
    for _ in range(60):
        cycle += int(rng.integers(0, 9))
        key = (int(rng.integers(0, 2)), int(rng.integers(0, 2)), int(rng.integers(0, 4)))
        if key not in opened:
            opened[key] = int(rng.integers(0, 100))
            rows.append((cycle, ACT) + key + (opened[key],))
        else:
            rows.append((cycle, int(rng.choice([RD, WR]))) + key + (opened[key],))
    expected = _brute_force(rows, s)
    family = {"tRRD_L": "tRRD", "tRRD_S": "tRRD", "tCCD_L": "tCCD", "tCCD_S": "tCCD",
              "tWTR_L": "tWTR", "tWTR_S": "tWTR"}
    got = {}                 # a B can break a family's _L and _S rule at once: its largest shortfall
    for v in check(trace(rows), s, refresh="none"):
        key = (family.get(v.rule, v.rule), v.second)
        got[key] = max(got.get(key, 0), v.required - v.actual)
    assert got == expected


def _random_legal_state_trace(rng, s, n=80):
    """Commands that obey the state rules (timing is random: gaps of 0-12 cycles)."""
    org = s.organization
    open_row = {}
    rows, cycle = [], 0
    for _ in range(n):
        cycle += int(rng.integers(0, 13))
        r = int(rng.integers(0, org.ranks))
        g, k = int(rng.integers(0, org.bankgroups)), int(rng.integers(0, org.banks_per_group))
        u = rng.random()
        in_rank = [key for key in open_row if key[0] == r]
        if u < 0.05:
            rows.append((cycle, PREA, r, 0, 0, 0))
            for key in in_rank:
                del open_row[key]
        elif u < 0.10 and not in_rank:
            rows.append((cycle, REF, r, 0, 0, 0))
        elif (r, g, k) not in open_row:
            if rng.random() < 0.15:
                rows.append((cycle, REFPB, r, g, k, 0))
            else:
                open_row[(r, g, k)] = int(rng.integers(0, 50))
                rows.append((cycle, ACT, r, g, k, open_row[(r, g, k)]))
        else:
            cmd = int(rng.choice([RD, WR, RD, WR, RDA, WRA, PRE]))
            rows.append((cycle, cmd, r, g, k, open_row[(r, g, k)]))
            if cmd in (RDA, WRA, PRE):
                del open_row[(r, g, k)]
    return rows


def _brute_force_full(rows, s):
    """All rules over all earlier commands, replaying bank state in plain Python."""
    t, nbl, org = s.timing, s.burst_cycles, s.organization
    worst = {}
    banks = [(g, k) for g in range(org.bankgroups) for k in range(org.banks_per_group)]

    def flag(family, b, need, dist):
        if dist < need:
            worst[(family, b)] = max(worst.get((family, b), 0), need - dist)

    last_act = {}     # bank -> index of its latest ACT
    precharge = {}    # bank -> (index of PRE/PREA/RDA/WRA, precharge cycle, kind)
    is_open = set()
    col = {RD: "r", RDA: "r", WR: "w", WRA: "w"}
    for b, (tb, cb, rb, gb, kb, _) in enumerate(rows):
        me = (rb, gb, kb)
        earlier = [(a,) + tuple(rows[a]) for a in range(b)]
        for a, ta, ca, ra, ga, ka, _ in earlier:
            d, same_rank, same_bank, same_bg = tb - ta, ra == rb, (ra, ga, ka) == me, ga == gb
            if d == 0:
                flag("command bus", b, 1, 0)
            if not same_rank:
                continue
            if cb in col and ca in col:
                if col[ca] == col[cb]:
                    flag("tCCD", b, t.CCD_L if same_bg else t.CCD_S, d)
                elif col[ca] == "r":
                    flag("tRTW", b, t.CL + nbl + 2 - t.CWL, d)
                else:
                    flag("tWTR", b, t.CWL + nbl + (t.WTR_L if same_bg else t.WTR_S), d)
            if cb in (ACT, REFPB) and ca in (ACT, REFPB) and not same_bank:
                flag("tRRD", b, t.RRD_L if same_bg else t.RRD_S, d)
            if cb == ACT and ca == ACT and same_bank:
                flag("tRC", b, t.RC, d)
            if cb == ACT and ca == PREA:
                flag("tRPab", b, t.RPab, d)
            if ca == REF:
                flag("tRFC", b, t.RFC, d)
            if ca == REFPB and ((cb in (ACT, PRE) and same_bank) or cb in (REFPB, REF)):
                flag("tRFCpb", b, t.RFCpb, d)
            if cb == RDA and ca == WR and same_bank and a > last_act.get(me, -1) and me in is_open:
                t_act = rows[last_act[me]][0]
                if max(tb + t.RTP, t_act + t.RAS) < ta + t.CWL + nbl + t.WR:
                    flag("tWR", b, t.CWL + nbl + t.WR - t.RTP, d)
            if cb in (REF, REFPB) and ca == PREA:
                flag("tRPab", b, t.RPab, d)
            if cb in col and ca == ACT and same_bank:
                flag("tRCD", b, t.RCD, d)
        acts = [a for a, ta, ca, ra, *_ in earlier if ca in (ACT, REFPB) and ra == rb]
        if cb in (ACT, REFPB) and len(acts) >= 4:
            flag("tFAW", b, t.FAW, tb - rows[acts[-4]][0])
        # precharge distance for ACT, REFpb (own bank) and REF (every bank of the rank)
        targets = [me] if cb in (ACT, REFPB) else [(rb,) + bk for bk in banks] if cb == REF else []
        for bank in targets:
            if bank in precharge:
                a, t_pre, kind = precharge[bank]
                if kind == "auto":
                    flag("tRP", b, t_pre - rows[a][0] + t.RP, tb - rows[a][0])
                elif kind == "pre":
                    flag("tRP", b, t.RP, tb - t_pre)
        # closing banks: PRE / PREA check tRAS, tRTP, tWR against the open period
        closing = [me] if cb == PRE else [x for x in is_open if x[0] == rb] if cb == PREA else []
        for bank in closing:
            if bank not in is_open:
                continue
            opened = last_act[bank]
            for a in range(opened, b):
                ta, ca = rows[a][0], rows[a][1]
                if tuple(rows[a][2:5]) != bank:
                    continue
                if ca == ACT:
                    flag("tRAS", b, t.RAS, tb - ta)
                elif ca == RD:
                    flag("tRTP", b, t.RTP, tb - ta)
                elif ca == WR:
                    flag("tWR", b, t.CWL + nbl + t.WR, tb - ta)
            is_open.discard(bank)
            precharge[bank] = (b, tb, "pre" if cb == PRE else "all")
        if cb == ACT:
            last_act[me] = b
            is_open.add(me)
        if cb in (RDA, WRA):
            ta = rows[last_act[me]][0]
            t_pre = max(tb + (t.RTP if cb == RDA else t.CWL + nbl + t.WR), ta + t.RAS)
            precharge[me] = (b, t_pre, "auto")
            is_open.discard(me)
    _bus(rows, s, flag)
    return worst


@pytest.mark.parametrize("seed", range(40))
def test_kernel_matches_brute_force_with_state(seed):
    """Random state-legal traces with every command kind: same (rule family, B) -> shortfall."""
    s = SYNTH
    rows = _random_legal_state_trace(np.random.default_rng(seed), s)
    expected = _brute_force_full(rows, s)
    family = {"tRRD_L": "tRRD", "tRRD_S": "tRRD", "tCCD_L": "tCCD", "tCCD_S": "tCCD",
              "tWTR_L": "tWTR", "tWTR_S": "tWTR"}
    got = {}
    for v in check(trace(rows), s, refresh="none"):
        if v.rule == "state:REFpb to a bank already refreshed in this round":
            continue                  # the generator does not keep the rotation
        assert not v.rule.startswith("state:"), str(v)
        key = (family.get(v.rule, v.rule), v.second)
        got[key] = max(got.get(key, 0), v.required - v.actual)
    assert got == expected


@pytest.mark.parametrize("fmt", ["csv", "drampower4", "drampower5"])
def test_simulated_trace_through_every_command_format(tmp_path, fmt):
    """Controller output written in each command format and read back still passes the checker."""
    simulate = pytest.importorskip("dramsim.simulate").simulate
    from traces import RequestTrace, read_commands, write_commands

    spec = load_spec("DDR3-1600K")
    rng = np.random.default_rng(7)
    addr = rng.integers(0, 2**24, 3000, dtype=np.uint64) * np.uint64(64)
    res = simulate(spec, RequestTrace(addr, rng.random(3000) < 0.3, None), row_policy="closed")
    paths = write_commands(res.commands, tmp_path / "cmd", fmt, banks_per_group=spec.organization.banks_per_group)
    back = read_commands(paths[0], banks_per_group=spec.organization.banks_per_group)
    assert len(back) == len(res.commands)
    np.testing.assert_array_equal(back.cycle, res.commands.cycle)
    np.testing.assert_array_equal(back.cmd, res.commands.cmd)
    assert check(back, spec, end_cycle=res.cycles) == []


# ---- the checker's own values, audited against numbers computed by hand from the standards ----

def test_jedec_rounding():
    from dramsim.checker.jedec import to_cycles, to_cycles_down

    assert to_cycles(13.75, 1.25) == 11          # exact
    assert to_cycles(260, 0.833) == 313          # 312.12 -> 313
    assert to_cycles(5.0, 0.833) == 6            # 6.0024: within the 2.6 % tolerance
    assert to_cycles(7.5, 0.625) == 12
    assert to_cycles_down(7800, 0.833) == 9363   # a maximum rounds down


@pytest.mark.parametrize("name, expected", [
    # DDR3-1600 x8 4 Gb (1 KB page): tRAS 35 ns, tRRD max(4nCK, 6 ns), tFAW 30 ns, tWTR/tRTP max(4nCK, 7.5 ns),
    # tWR 15 ns, tRFC 260 ns, tXS tRFC + 10 ns, tXPDLL max(10nCK, 24 ns), tXSDLL 512 nCK
    ("DDR3-1600K", dict(RAS=28, RRD_S=5, FAW=24, RTP=6, WR=12, RFC=208, XS=216, XPDLL=20, XSDLL=512, CKESR=5,
                        RD2WR=11 + 4 + 2 - 8, WR2PRE=8 + 4 + 12, WR2RD_S=8 + 4 + 6, PPD=0)),
    # DDR4-2400 x8 (1 KB): tRRD_S max(4nCK, 3.3 ns), tRRD_L max(4nCK, 4.9 ns), tFAW 21 ns, tCCD_L max(5nCK, 5 ns),
    # tWTR_S max(2nCK, 2.5 ns), tWTR_L max(4nCK, 7.5 ns), tRFC1 260 ns, tXS tRFC + 10 ns = 270 ns -> 325
    ("DDR4-2400R", dict(RRD_S=4, RRD_L=6, FAW=26, CCD_L=6, WTR_S=3, WTR_L=9, RFC=313, XS=325,
                        WR2RD_L=12 + 4 + 9, WR2PRE=12 + 4 + 18)),
    # LPDDR3-1600: tRPab 21 ns, tFAW 50 ns, tRRD 10 ns; RD->WR RL + RU(5.5/1.25) + BL/2 + 1 - WL = 12 + 5 + 4 + 1 - 9,
    # WR->RD WL + BL/2 + 1 + tWTR (spec 8 > JEDEC 6), WR->PRE WL + BL/2 + 1 + RU(15/1.25)
    ("LPDDR3-1600", dict(RPab=17, FAW=40, RRD_S=8, RD2WR=13, WR2RD_S=9 + 4 + 1 + 8, WR2PRE=9 + 4 + 1 + 12,
                         RFC=104, RFCpb=48, XS=112, XSDLL=112)),
    # LPDDR4-3200: RD->WR RL + RU(3.5/0.625) + BL/2 - WL + tWPRE + RD(tRPST) = 28 + 6 + 8 - 14 + 2 + 0 = 30 (the
    # issue: "24 allowed, 30 required"), WR->RD 14 + 8 + 1 + RU(10/0.625), WR->PRE 14 + 8 + 1 + RU(18/0.625), tPPD 4
    ("LPDDR4-3200", dict(RD2WR=30, WR2RD_S=14 + 8 + 1 + 16, WR2PRE=14 + 8 + 1 + 29, PPD=4, RFC=448, RFCpb=224,
                         RPab=34, FAW=64, CCD_S=8, XS=460)),
    # DDR5-4800 at its nominal 2400 MHz (416.67 ps): tRAS 32 ns -> 77, tRRD_L / tCCD_L max(8nCK, 5 ns) -> 12,
    # tCCD_L_WR max(32nCK, 20 ns) -> 48, tWTR_S max(4nCK, 2.5 ns) -> 6, tWTR_L max(16nCK, 10 ns) -> 24,
    # tRTP max(12nCK, 7.5 ns) -> 18, tWR 30 ns -> 72, tRFC1 295 ns -> 708 (the spec's 710 binds), tREFI 3.9 us
    # at the spec's own 0.416 ns clock (a maximum in absolute time) -> 9375; RD->WR RL + BL/2 + 2 - WL + tWPRE 2 + (tRPST - 0.5) 0 = 34 + 8 + 2 - 32 + 2
    ("DDR5-4800", dict(RAS=77, RRD_S=8, RRD_L=12, CCD_S=8, CCD_L=12, CCD_S_WR=8, CCD_L_WR=48, WTR_S=6, WTR_L=24,
                       RTP=18, WR=72, RFC=710, REFI=9375, PPD=2, FAW=48, RD2WR=14, WR2PRE=32 + 8 + 72,
                       WR2RD_L=32 + 8 + 24)),
    # LPDDR5-6400 (tCK 1.25 ns, WCK:CK 4:1): tRCD / tRPpb 18 ns -> 15, tRPab 21 ns -> 17, tRAS 42 ns -> 34,
    # tRRD max(4nCK, 5 ns) -> 4, tFAW max(16nCK, 20 ns) -> 16, tWTR_S 6.25 ns -> 5, tWTR_L 12 ns -> 10, tWR 34 ns
    # -> 28, tRFCab / tRFCpb (8 Gb) 210 / 120 ns -> 168 / 96, tREFI 3906.25 ns -> 3125, tREFIpb / 8 -> 390 (down);
    # BL16 on the data bus BL/n_min = 2, RD->PRE 2 + RU(7.5/1.25) = 8, RD->WR RL + 2 + 2 - WL = 17 + 4 - 9,
    # WR->RD_S WL + 2 + 5, WR->RD_L WL + BL/n_max 4 + 10, WR->PRE WL + 2 + 28
    ("LPDDR5-6400", dict(RCD=15, RP=15, RPab=17, RAS=34, RRD_S=4, RRD_L=4, FAW=16, WTR_S=5, WTR_L=10, WR=28,
                         RFC=168, RFCpb=96, REFI=3125, REFIpb=390, nBL=2, CCD_S=2, CCD_L=4, PPD=2, RD2PRE=8,
                         RD2WR=12, WR2RD_S=9 + 2 + 5, WR2RD_L=9 + 4 + 10, WR2PRE=9 + 2 + 28)),
])
def test_values_match_hand_computed_jedec(name, expected):
    v = limits(load_spec(name))
    assert {k: v[k] for k in expected} == expected


def test_a_spec_looser_than_jedec_is_held_to_jedec():
    d = load_spec("DDR3-1600K").to_dict()
    # (a tCCD below the burst time, the CCD_S: 2, is now refused by the spec loader itself)
    d["timing"].update(RRD_S=1, RRD_L=1, FAW=10, WR=5)
    loose = spec_from_dict(d, "loose")
    assert (limits(loose)["RRD_S"], limits(loose)["FAW"], limits(loose)["WR"]) == (5, 24, 12)
    rows = [(0, ACT, 0, 0, 0, 1), (2, ACT, 0, 0, 1, 1)]
    v = check(trace(rows), loose, refresh="none")
    assert {x.rule for x in v} == {"tRRD"}, format_report(v)


def test_unknown_speed_uses_the_spec_values():
    d = load_spec("DDR3-1600K").to_dict()
    d["timing"]["tck_ns"] = 1.0    # 2000 MT/s: no DDR3 speed bin in the table
    odd = spec_from_dict(d, "odd")
    v = limits(odd)
    assert (v["FAW"], v["RRD_S"], v["RFC"], v["REFI"]) == (24, 5, 208, 6240)


def test_rule_names_follow_the_standard():
    from dramsim.checker import rule_names

    ddr3, ddr4, lp4 = (set(rule_names(load_spec(n))) for n in ("DDR3-1600K", "DDR4-2400R", "LPDDR4-3200"))
    assert {"tRRD", "tCCD", "tWTR"} <= ddr3 and not {"tRRD_L", "tCCD_L", "tWTR_S", "tRPab"} & ddr3
    assert {"tRRD_L", "tRRD_S", "tCCD_L", "tWTR_L"} <= ddr4
    assert {"tRPpb", "tRPab", "tRFCab", "tXSR", "tSR", "tPPD"} <= lp4 and "tRP" not in lp4
    ddr5 = set(rule_names(load_spec("DDR5-4800")))
    assert {"tRRD_L", "tCCD_S", "tCCD_L_WR", "tCCD_S_WR", "tWTR_L", "tRP", "tPPD"} <= ddr5 and "tRPab" not in ddr5
    assert not {"tCCD_L_WR", "tCCD_S_WR"} & (ddr3 | ddr4 | lp4)


def test_refresh_mode_is_read_from_the_trace():
    s = load_spec("LPDDR4-3200")
    pb = limits(s)["REFIpb"]
    rows = [((k + 1) * pb, REFPB, 0, 0, k % 8, 0) for k in range(40)]
    assert check(trace(rows), s) == []            # per-bank: no "tREFI" owed on REFpb alone
    late = rows[:10] + [(r[0] + 10 * pb,) + tuple(r[1:]) for r in rows[10:]]
    v = check(trace(late), s)
    assert (v[0].rule, v[0].second) == ("tREFIpb", 10)     # 11 intervals with none: too long
    assert {x.rule for x in v[1:]} == {"tREFIpb:average"}  # and the 10 missed stay owed
    assert [x.rule for x in check(trace(late), s, refresh="none")] == []


def test_ddr5_two_clock_commands_count_from_their_second_clock():
    """JESD79-5: ACT/RD/WR take 2 clocks and distances count from the second one: PRE -> ACT may issue
    tRP - 1 after the PRE, ACT -> PRE needs tRAS + 1; two-clock commands hold the command bus for 2."""
    s = load_spec("DDR5-4800")
    v = limits(s)
    rp, ras = v["RP"], v["RAS"]
    legal = [(0, ACT, 0, 0, 0, 1), (ras + 2, PRE, 0, 0, 0, 1), (ras + 2 + rp - 1, ACT, 0, 0, 0, 2)]
    assert check(trace(legal), s, refresh="none") == []
    early_act = legal[:2] + [(ras + 2 + rp - 2, ACT, 0, 0, 0, 2)]
    x = _only(check(trace(early_act), s, refresh="none"), "tRP", 1, 2)
    assert (x.required, x.actual) == (rp, rp - 1)
    _only(check(trace([(0, ACT, 0, 0, 0, 1), (ras, PRE, 0, 0, 0, 1)]), s, refresh="none"), "tRAS", 0, 1)
    v2 = check(trace([(0, ACT, 0, 0, 0, 1), (1, ACT, 0, 1, 0, 1)]), s, refresh="none")
    assert ("command bus", 2, 1) in [(y.rule, y.required, y.actual) for y in v2]
    # write to write in one bank group: tCCD_L_WR (48), not tCCD_L (12)
    x0 = v["RRD_L"] + v["RCD"]
    rows = [(0, ACT, 0, 0, 0, 1), (v["RRD_L"], ACT, 0, 0, 1, 1), (x0, WR, 0, 0, 0, 1),
            (x0 + v["CCD_L_WR"] - 1, WR, 0, 0, 1, 1)]
    _only(check(trace(rows), s, refresh="none"), "tCCD_L_WR", 2, 3)
    rows[-1] = (x0 + v["CCD_L_WR"], WR, 0, 0, 1, 1)
    assert check(trace(rows), s, refresh="none") == []


def test_lpddr4_command_bus_and_tppd():
    s = load_spec("LPDDR4-3200")
    v = check(trace([(0, ACT, 0, 0, 0, 1), (3, ACT, 0, 0, 1, 1)]), s, refresh="none")
    assert ("command bus", 4, 3) in [(x.rule, x.required, x.actual) for x in v]
    rows = [(0, ACT, 0, 0, 0, 1), (16, ACT, 0, 0, 1, 1), (100, PRE, 0, 0, 0, 1), (102, PRE, 0, 0, 1, 1)]
    _only(check(trace(rows), s, refresh="none"), "tPPD", 2, 3)


def test_imported_dramsim3_lpddr4_ini_is_held_to_jedec():
    """DRAMsim3's LPDDR4 INI (BL16 with tCCD 4, tRCD 15 at 0.83 ns = 12.5 ns, and bank groups LPDDR4 does not
    have): tCCD is held to BL/2 = 8 and the checker keeps tRCD >= 18 ns, and names no _L/_S rule."""
    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dram" / "configs" / "LPDDR4_8Gb_x16_2400.ini"
    if not path.exists():
        pytest.skip("shared reference configs not present")
    from dramsim.importers import load

    with pytest.warns(UserWarning):
        spec = load(path)                   # the importer itself raises tCCD 4 to the burst time, with a warning
    v = limits(spec)
    assert (spec.timing.CCD_S, v["CCD_S"], v["CCD_L"]) == (8, 8, 8)
    assert (spec.timing.RCD, v["RCD"]) == (15, 22)                 # 18 ns / 0.83 ns -> 22 nCK
    rows = [(0, ACT, 0, 0, 0, 1), (4, ACT, 0, 1, 0, 1), (40, RD, 0, 0, 0, 1), (44, RD, 0, 1, 0, 1)]
    found = check(trace(rows), spec, refresh="none")
    assert {x.rule for x in found} == {"tCCD", "data bus", "tRRD"}, format_report(found)
    assert not any(x.rule.endswith(("_L", "_S")) for x in found)


def test_lpddr5_bursts_take_two_clocks_and_act_two():
    """LPDDR5 (WCK:CK 4:1): reads of other bank groups 2 clocks apart are legal, 1 apart overlap on the data
    bus; an ACT's ACTIVATE-2 takes the first free clock after ACTIVATE-1, at the latest tAAD = 8 later, and
    no ACT goes before it."""
    s = load_spec("LPDDR5-6400")
    rcd = limits(s)["RCD"]
    legal = [(0, ACT, 0, 0, 0, 1), (4, ACT, 0, 1, 0, 1), (rcd + 4, RD, 0, 0, 0, 1), (rcd + 6, RD, 0, 1, 0, 1)]
    assert check(trace(legal), s, refresh="none") == []
    close = legal[:3] + [(rcd + 5, RD, 0, 1, 0, 1)]
    assert "data bus" in {x.rule for x in check(trace(close), s, refresh="none")}
    act_bus = [(0, ACT, 0, 0, 0, 1), (1, ACT, 0, 1, 0, 1)]
    assert "state:ACT while ACT-2 is pending" in {x.rule for x in check(trace(act_bus), s, refresh="none")}
    # a RD in the clock after ACTIVATE-1 (ACTIVATE-2 goes into the next free clock, 2)
    deferred = [(0, ACT, 0, 0, 0, 1), (rcd + 1, ACT, 0, 1, 0, 1), (rcd + 2, RD, 0, 0, 0, 1), (rcd + 5, ACT, 0, 2, 0, 1)]
    assert check(trace(deferred), s, refresh="none") == []
    # ACTIVATE-2 of the ACT at rcd + 1 finds rcd + 2 ... rcd + 5 taken: the ACT at rcd + 5 comes too early
    busy = deferred[:3] + [(rcd + 3, PRE, 0, 0, 0, 1), (rcd + 4, RD, 0, 2, 0, 1), (rcd + 5, ACT, 0, 2, 1, 1)]
    busy[1:1] = [(4, ACT, 0, 2, 0, 1)]
    found = check(trace(busy), s, refresh="none")
    assert [x.rule for x in found if x.rule.startswith("state")] == ["state:ACT while ACT-2 is pending"], format_report(found)
