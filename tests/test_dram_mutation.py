"""The checker's mutation suite: legal traces pass, and every mutant of them is caught by the rule it
mutates (tests/mutants.py builds both; benchmarks/mutation_table.py prints the same as a table)."""
import pytest

import mutants as M
from dramsim.checker import check, format_report
from dramsim.spec import load_spec

#: Rules every standard's suite must move one cycle early (or construct tight), by generic name.
RULES = ("command bus", "data bus", "tRTRS", "tRC", "tRCD", "tRAS", "tRP", "tRPab", "tRTP", "tWR", "tRRD_L",
         "tFAW", "tCCD_L", "tRTW", "tWTR_L", "tRFC", "tCKE", "tCKESR", "tXP", "tXS", "tREFI", "tREFI:average")
#: Low-power rules (DDR5 has no low-power timing in its spec: its power-down and self-refresh are not modelled).
LOW_POWER_RULES = ("tCKE", "tCKESR", "tXP", "tXS")
#: Standards whose spec gives no low-power timing (DDR5-4800, LPDDR5-6400).
NO_LOW_POWER = ("DDR5", "LPDDR5")
EXTRA = {"DDR4": ("tRRD_S", "tCCD_S", "tWTR_S"), "DDR3": ("tXPDLL", "tXSDLL"),
         "DDR5": ("tRRD_S", "tCCD_S", "tWTR_S", "tPPD", "tCCD_L_WR", "tCCD_S_WR"),
         "LPDDR3": ("tRFCpb", "tREFIpb", "tREFIpb:average", "tREFI:bank",
                    "state:REFpb to a bank already refreshed in this round"),
         "LPDDR4": ("tPPD", "tRFCpb", "tREFIpb", "tREFIpb:average", "tREFI:bank",
                    "state:REFpb to a bank already refreshed in this round"),
         "LPDDR5": ("tRRD_S", "tCCD_S", "tWTR_S", "tPPD", "tRFCpb", "tREFIpb", "tREFIpb:average", "tREFI:bank",
                    "state:REFpb to a bank already refreshed in this round")}

_CACHE = {}


def _suite(standard):
    if standard not in _CACHE:
        _CACHE[standard] = M.mutants(standard)
    return _CACHE[standard]


@pytest.mark.parametrize("standard", list(M.STANDARDS))
def test_base_traces_are_legal(standard):
    spec = load_spec(M.STANDARDS[standard], ranks=2)
    bases, _ = _suite(standard)
    assert len(bases) >= 20
    for rows, refresh, end in bases:
        v = check(M.to_trace(rows), spec, refresh=refresh, end_cycle=end)
        assert v == [], format_report(v, limit=5)


@pytest.mark.parametrize("standard", list(M.STANDARDS))
def test_every_mutant_caught_by_its_rule(standard):
    spec = load_spec(M.STANDARDS[standard], ranks=2)
    _, muts = _suite(standard)
    escaped = []
    for m in muts:
        v = check(M.to_trace(m.rows), spec, refresh=m.refresh, end_cycle=m.end_cycle)
        if not m.caught(v):
            escaped.append(f"{m.kind} {m.rule} B=#{m.b}: {format_report(v, limit=3)}")
    assert not escaped, f"{len(escaped)} of {len(muts)} escaped:\n" + "\n".join(escaped[:10])


@pytest.mark.parametrize("standard", list(M.STANDARDS))
def test_suite_covers_every_rule(standard):
    _, muts = _suite(standard)
    have = {m.rule for m in muts}
    rules = RULES if standard not in NO_LOW_POWER else tuple(r for r in RULES if r not in LOW_POWER_RULES)
    wanted = {M.rule_name(standard, r) for r in rules + EXTRA.get(standard, ())}
    assert wanted <= have, sorted(wanted - have)
    kinds = {m.kind for m in muts}
    assert {"early", "delete", "duplicate", "swap", "refresh", "constructed"} <= kinds
    assert "lowpower" in kinds or standard in NO_LOW_POWER


def test_at_least_600_mutants_over_the_standards():
    assert sum(len(_suite(s)[1]) for s in M.STANDARDS) >= 600


def test_a_ref_every_two_intervals_fails_on_the_average_rate():
    spec = load_spec("DDR3-1600K")
    refi = spec.timing.REFI
    rows = [(2 * k * refi, M.REF, 0, -1, -1, -1) for k in range(1, 30)]
    v = check(M.to_trace(rows), spec)
    assert [x.rule for x in v][:1] == ["tREFI:average"], format_report(v)
    assert v[0].second == 8      # the 9th REF, at 18 x tREFI, is more than 8 behind
    assert check(M.to_trace(rows[:8]), spec) == []
