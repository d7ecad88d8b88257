"""The checker's mutation suite: legal traces pass, and every mutant of them is caught by the rule it
mutates (tests/mutants.py builds both; benchmarks/mutation_table.py prints the same as a table)."""
import pytest

import mutants as M
from dramsim.checker import check, format_report
from dramsim.spec import load_spec

#: Rules every standard's suite must move one cycle early (or construct tight), by generic name.
RULES = ("command bus", "data bus", "tRTRS", "tRC", "tRCD", "tRAS", "tRP", "tRPab", "tRTP", "tWR", "tRRD_L",
         "tFAW", "tCCD_L", "tRTW", "tWTR_L", "tRFC", "tCKE", "tCKESR", "tXP", "tXS", "tREFI", "tREFI:average")
#: Low-power rules (DDR5, GDDR6 and LPDDR5 have no low-power timing in their specs: their power-down and
#: self-refresh are not modelled).
LOW_POWER_RULES = ("tCKE", "tCKESR", "tXP", "tXS")
EXTRA = {"DDR4": ("tRRD_S", "tCCD_S", "tWTR_S"), "DDR3": ("tXPDLL", "tXSDLL"),
         "DDR5": ("tRRD_S", "tCCD_S", "tWTR_S", "tPPD", "tCCD_L_WR", "tCCD_S_WR", "tRFCsb", "tREFSBRD", "tREFIsb",
                  "tREFIsb:average", "state:REFsb to a bank set already refreshed in this round"),
         "GDDR6": ("tRRD_S", "tCCD_S", "tWTR_S", "tPPD", "tRCD_WR"),
         "LPDDR3": ("tRFCpb", "tREFIpb", "tREFIpb:average", "tREFI:bank",
                    "state:REFpb to a bank already refreshed in this round"),
         "LPDDR4": ("tPPD", "tRFCpb", "tREFIpb", "tREFIpb:average", "tREFI:bank",
                    "state:REFpb to a bank already refreshed in this round"),
         "LPDDR5": ("tRRD_S", "tCCD_S", "tWTR_S", "tPPD", "tRFCpb", "tREFIpb", "tREFIpb:average", "tREFI:bank",
                    "state:REFpb to a bank already refreshed in this round")}
EXTRA["HBM2"] = ("tRRD_S", "tCCD_S", "tWTR_S", "tRCD_WR", "tRFCpb", "tRREFD", "tREFIpb", "tREFIpb:average",
                 "tREFI:bank", "state:REFpb to a bank already refreshed in this round")
EXTRA["HBM3"] = ("tRRD_S", "tCCD_S", "tWTR_S", "tRCD_WR", "tPPD", "tCCDR", "state:RD off CK's rising edge",
                 "state:ACT off CK's rising edge")
#: Rules a standard does not have: low-power rules without low-power timing in the spec; HBM2 has no
#: rank-to-rank rule (each pseudo-channel has its own data bus).
NOT_APPLICABLE = {"DDR5": LOW_POWER_RULES, "GDDR6": LOW_POWER_RULES, "LPDDR5": LOW_POWER_RULES, "HBM2": ("tRTRS",)}
NOT_APPLICABLE["HBM3"] = LOW_POWER_RULES + ("tRTRS",)    # HBM3-6400: no low-power timing (not modelled)

#: Rules no legal trace of the standard's spec can make tight (so no one-cycle-early mutant exists; the
#: checker still checks them). GDDR6-14000: 4 x tRRD_S (44) > tFAW (43); HBM2-2000: 4 x tRRDS (16) >
#: tFAW (15): a fifth ACT closer than tFAW breaks tRRD first (test_gddr6_faw_implied_by_trrd_and_still_checked).
UNREACHABLE = {"GDDR6": ("tFAW",), "HBM2": ("tFAW",)}

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
    rules = tuple(r for r in RULES if r not in NOT_APPLICABLE.get(standard, ()) + UNREACHABLE.get(standard, ()))
    wanted = {M.rule_name(standard, r) for r in rules + EXTRA.get(standard, ())}
    assert wanted <= have, sorted(wanted - have)
    kinds = {m.kind for m in muts}
    assert {"early", "delete", "duplicate", "swap", "refresh", "constructed"} <= kinds
    assert "lowpower" in kinds or "tCKE" in NOT_APPLICABLE.get(standard, ())


def test_gddr6_faw_implied_by_trrd_and_still_checked():
    """On GDDR6-14000 tFAW never binds a legal trace (4 x tRRD_S > tFAW); the checker still reports
    it: five ACTs 8 cycles apart break tRRD_S and, at the fifth, tFAW (32 < 43 cycles)."""
    spec = load_spec("GDDR6-14000")
    L = M.limits(spec)
    assert 4 * L["RRD_S"] > L["FAW"]
    rows = [(8 * x, M.ACT, 0, x % 4, x // 4, 1) for x in range(5)]
    v = check(M.to_trace(rows), spec, refresh="none")
    faw = [x for x in v if x.rule == "tFAW"]
    assert [(x.first, x.second, x.required, x.actual) for x in faw] == [(0, 4, 43, 32)]
    assert sum(x.rule == "tRRD_S" for x in v) == 4


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
