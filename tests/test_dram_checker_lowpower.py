"""The checker's low-power rules: one hand-written trace per timing rule, legal and one cycle too
early (as tests/test_dram_checker.py does for the others), plus the state and refresh-owed rules."""
from types import SimpleNamespace

import pytest

from dramsim.checker import check, format_report, limits
from dramsim.spec import load_spec
from test_dram_checker import FAMILY_SPECS, SYNTH, _only, _run_case, _synthetic, trace
from traces.commands import (ACT, PDN_F_ACT, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PRE, PREA, PUP_ACT, PUP_PRE, RD,
                             REF, SREN, SREX)

X = -1  # bank group / bank / row of a rank command


def _ns(v):
    """The checker's values (a dict from dramsim.checker.limits) as attributes."""
    return SimpleNamespace(**v)


def lp(t, cmd, rank=0):
    return (t, cmd, rank, X, X, X)


# Each case: spec -> (rows, index of A, rule), B last at its earliest legal cycle.
def c_cke_powerdown(s):
    return [lp(0, PDN_F_PRE), lp(_ns(s).CKE, PUP_PRE)], 0, "tCKE"


def c_cke_high_pulse(s):
    t = _ns(s)
    return [lp(0, PDN_S_PRE), lp(t.CKE, PUP_PRE), lp(2 * t.CKE, PDN_F_PRE)], 1, "tCKE"


def c_ckesr(s):
    return [lp(0, SREN), lp(_ns(s).CKESR, SREX)], 0, "tCKESR"


def c_xp(s):
    t = _ns(s)
    return [lp(0, PDN_F_PRE), lp(t.CKE, PUP_PRE), (t.CKE + t.XP, ACT, 0, 0, 0, 1)], 1, "tXP"


def c_xp_active(s):
    t = _ns(s)
    x = max(t.RCD, 1)
    return ([(0, ACT, 0, 0, 0, 1), lp(x, PDN_F_ACT), lp(x + t.CKE, PUP_ACT),
             (x + t.CKE + t.XP, RD, 0, 0, 0, 1)], 2, "tXP")


def c_xpdll(s):
    t = _ns(s)
    if 1 + t.CKE + t.XPDLL < t.RCD:
        return None                                  # no DLL: tRCD, not tXPDLL, places the RD
    return ([(0, ACT, 0, 0, 0, 1), lp(1, PDN_S_ACT), lp(1 + t.CKE, PUP_ACT),
             (1 + t.CKE + t.XPDLL, RD, 0, 0, 0, 1)], 2, "tXPDLL")


def c_xs(s):
    t = _ns(s)
    return [lp(0, SREN), lp(t.CKESR, SREX), (t.CKESR + t.XS, ACT, 0, 0, 0, 1)], 1, "tXS"


def c_xsdll(s):
    t = _ns(s)
    if t.XSDLL - t.XS < t.RCD:
        return None                                  # no DLL: the RD cannot come later than tXS + tRCD
    return ([lp(0, SREN), lp(t.CKESR, SREX), (t.CKESR + t.XS, ACT, 0, 0, 0, 1),
             (t.CKESR + t.XSDLL, RD, 0, 0, 0, 1)], 1, "tXSDLL")


def c_sren_rp(s):
    t = _ns(s)
    return [(0, ACT, 0, 0, 0, 1), (t.RAS, PRE, 0, 0, 0, 1), lp(t.RAS + t.RP, SREN)], 1, "tRP"


def c_sren_rpab(s):
    t = _ns(s)
    return [(0, ACT, 0, 0, 0, 1), lp(t.RAS, PREA), lp(t.RAS + t.RPab, SREN)], 1, "tRPab"


CASES = [c_cke_powerdown, c_cke_high_pulse, c_ckesr, c_xp, c_xp_active, c_xpdll, c_xs, c_xsdll, c_sren_rp,
         c_sren_rpab]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_low_power_rule_synthetic(case):
    _run_case(SYNTH, case, exactly_one=True)


@pytest.mark.parametrize("family", ["DDR3", "DDR4", "LPDDR3", "LPDDR4"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_low_power_rule_builtin_standards(family, case):
    _run_case(load_spec(FAMILY_SPECS[family], ranks=2), case, exactly_one=False)


def test_no_command_but_its_exit_while_cke_is_low():
    s = SYNTH
    t = _ns(limits(s))
    v = check(trace([lp(0, PDN_F_PRE), (t.CKE + 1, ACT, 0, 0, 0, 1)]), s, refresh="none")
    _only(v, "state:ACT while CKE is low", 0, 1)
    v = check(trace([lp(0, SREN), lp(100, REF)]), s, refresh="none")
    assert ("state:REF while CKE is low", 0, 1) in [(x.rule, x.first, x.second) for x in v]
    _only(check(trace([lp(0, SREN), lp(100, PUP_PRE)]), s, refresh="none"), "state:PUP_PRE while CKE is low", 0, 1)
    _only(check(trace([lp(0, PDN_F_PRE), lp(10, SREN)]), s, refresh="none"), "state:SREN while CKE is low", 0, 1)
    _only(check(trace([lp(10, PUP_ACT)]), s, refresh="none"), "state:PUP_ACT while CKE is high", -1, 0)
    # another rank's commands are fine
    assert check(trace([lp(0, PDN_F_PRE, 1), (1, ACT, 0, 0, 0, 1)]), s, refresh="none") == []


def test_entry_needs_the_banks_it_names():
    s = SYNTH
    t = _ns(limits(s))
    opened = [(0, ACT, 0, 0, 2, 1)]
    _only(check(trace(opened + [lp(t.RAS, PDN_F_PRE)]), s, refresh="none"), "state:PDN_F_PRE with open bank", 0, 1)
    _only(check(trace(opened + [lp(t.RAS, SREN)]), s, refresh="none"), "state:SREN with open bank", 0, 1)
    _only(check(trace([lp(5, PDN_S_ACT)]), s, refresh="none"), "state:PDN_S_ACT with every bank closed", -1, 0)
    assert check(trace(opened + [lp(t.RAS, PDN_S_ACT)]), s, refresh="none") == []


def test_refresh_owed_around_self_refresh():
    s = _synthetic(ranks=1)
    t = _ns(limits(s))
    limit = 9 * t.REFI
    # self-refresh refreshes the rank: the next REF is due 9 intervals after SREX, not after cycle 0
    rows = [lp(1000, SREN), lp(20 * t.REFI, SREX), lp(20 * t.REFI + limit, REF)]
    assert check(trace(rows), s, end_cycle=20 * t.REFI + limit) == []
    late = rows[:2] + [lp(20 * t.REFI + limit + 1, REF)]
    _only(check(trace(late), s, end_cycle=20 * t.REFI + limit + 1), "tREFI", 1, 2)
    # SREN itself owes the refreshes due before it
    assert check(trace([lp(limit, SREN)]), s, end_cycle=limit) == []
    v = check(trace([lp(limit + 1, SREN)]), s, end_cycle=limit + 1)
    _only(v, "tREFI", -1, 0)
    # a run that ends in self-refresh owes nothing; one that ends in power-down does
    assert check(trace([lp(100, SREN)]), s, end_cycle=50 * t.REFI) == []
    v = check(trace([lp(100, PDN_F_PRE)]), s, end_cycle=50 * t.REFI)
    assert [x.rule for x in v] == ["tREFI"], format_report(v)
