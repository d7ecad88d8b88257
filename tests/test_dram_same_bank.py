"""DDR5 same-bank refresh (REFsb: bank k of every bank group of a rank), an option of the DDR5 table.

The controller issues it with ``refresh="same-bank"`` (``--refresh same-bank``); the checker has its
own JESD79-5 rules for it (tRFCsb, tREFSBRD, the REFsb rate and rotation; tests/mutants.py builds
the mutants). Here: what the controller emits passes the checker, the schedule is the one the
option promises, the loader's guards, and that the checker, not the table, is what catches a
broken table.
"""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dramsim.checker import check, format_report, limits
from dramsim.energy import compute_energy
from dramsim.errors import InputError
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from table_edit import spec_with_table
from traces import RequestTrace
from traces.commands import CODE, REFSB

DDR5 = "DDR5-4800"


def _requests(spec, seed, n, pool, write_fraction, max_gap):
    """``n`` requests over ``pool`` random rows of ``spec`` (each touched at several columns)."""
    rng = np.random.default_rng(seed)
    org = spec.organization
    bursts = org.capacity_bytes // org.burst_bytes
    base = rng.integers(0, bursts // 16, pool, dtype=np.uint64) * np.uint64(16)
    address = (base[rng.integers(0, pool, n)] + rng.integers(0, 16, n).astype(np.uint64)) * np.uint64(org.burst_bytes)
    return RequestTrace(address, rng.random(n) < write_fraction, np.cumsum(rng.integers(0, max_gap + 1, n)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(20, 400), pool=st.integers(1, 12),
       write_fraction=st.sampled_from([0.0, 0.3, 0.7]), max_gap=st.sampled_from([0, 3, 40, 400]),
       row_policy=st.sampled_from(["open", "closed", "close-adaptive"]), channels=st.integers(1, 2),
       ranks=st.integers(1, 2), arrival=st.sampled_from(["trace", "saturate"]))
def test_same_bank_refresh_output_passes_checker(seed, n, pool, write_fraction, max_gap, row_policy, channels,
                                                 ranks, arrival):
    spec = load_spec(DDR5, channels=channels, ranks=ranks)
    requests = _requests(spec, seed, n, pool, write_fraction, max_gap)
    result = simulate(spec, requests, row_policy=row_policy, refresh="same-bank", arrival=arrival,
                      wrap_addresses=True)
    violations = check(result.commands, spec, end_cycle=result.cycles)   # mode read from the trace
    assert violations == [], format_report(violations, limit=10)
    counts = result.commands.counts()
    assert counts["RD"] + counts["RDA"] + counts["WR"] + counts["WRA"] == n
    assert counts["REF"] == 0 and counts["PREA"] == 0


def _sparse_run(ranks=2, seed=5, n=300):
    spec = load_spec(DDR5, ranks=ranks)
    rng = np.random.default_rng(seed)
    req = _requests(spec, seed, n, 6, 0.4, 0)
    gaps = rng.integers(0, spec.timing.REFIsb, n)              # many REFsb intervals, banks left open
    req = RequestTrace(req.address, req.is_write, np.cumsum(gaps))
    return spec, simulate(spec, req, arrival="trace", refresh="same-bank", wrap_addresses=True)


def test_refsb_rotates_over_the_bank_sets_at_the_rate_and_passes():
    spec, res = _sparse_run()
    c = res.commands
    org = spec.organization
    sb = c.cmd == REFSB
    assert (c.bankgroup[sb] == -1).all()                      # a bank set, not one bank
    for r in range(org.ranks):
        banks = c.bank[sb & (c.rank == r)]
        assert len(banks) >= 40
        assert (banks == np.arange(len(banks)) % org.banks_per_group).all()   # 0, 1, 2, 3, 0, ...
        cycles = c.cycle[sb & (c.rank == r)]
        # one falls due every REFIsb; none waits long (the request queue never holds it back)
        due = np.arange(1, len(cycles) + 1) * spec.timing.REFIsb - 1
        assert (cycles >= due).all() and (cycles - due).max() < 2 * spec.timing.RFCsb
    assert check(c, spec, end_cycle=res.cycles) == []


def test_refsb_closes_only_its_own_set():
    """Before a REFsb the controller precharges the open banks of that set (PRE, never PREA), and only
    those: the PREs right before each REFsb target its bank index."""
    spec, res = _sparse_run()
    c = res.commands
    assert (c.cmd == CODE["PREA"]).sum() == 0
    idx = np.flatnonzero(c.cmd == REFSB)
    pres = 0
    for i in idx:
        j = i - 1
        while j >= 0 and c.cmd[j] == CODE["PRE"] and c.rank[j] == c.rank[i] and c.cycle[i] - c.cycle[j] < 200:
            if c.bank[j] == c.bank[i]:
                pres += 1
            j -= 1
    assert pres > 0                                             # the sparse run leaves rows open


def test_default_refresh_issues_no_refsb():
    spec = load_spec(DDR5)
    res = simulate(spec, _requests(spec, 3, 2000, 8, 0.3, 10), wrap_addresses=True)
    counts = res.commands.counts()
    assert counts["REFsb"] == 0 and counts["REF"] > 0


def test_same_bank_refresh_refused_without_its_table_or_timing():
    for name in ("DDR4-2400R", "LPDDR5-6400", "HBM2-2000"):
        spec = load_spec(name)
        with pytest.raises(InputError, match="same-bank refresh needs"):
            simulate(spec, _requests(spec, 1, 10, 2, 0.0, 0), refresh="same-bank", wrap_addresses=True)


def test_a_window_rule_after_a_bank_set_command_at_rank_level_is_refused():
    def add_window(table):
        table["constraints"].append({"prev": "REFsb", "next": "ACT", "level": "rank", "latency": "FAW", "window": 4})

    with pytest.raises(InputError, match="bank set"):
        spec_with_table(add_window, DDR5, "DDR5")


def test_refsb_scope_is_fixed():
    def wrong_scope(table):
        table["commands"]["REFsb"] = {"scope": "bank", "refresh": "bankset"}

    with pytest.raises(InputError, match="REFsb"):
        spec_with_table(wrong_scope, DDR5, "DDR5")


@pytest.mark.parametrize("rule", ["tREFSBRD", "tRFCsb"])
def test_checker_catches_a_table_without_the_rule(rule):
    """The table drives the controller; with one REFsb rule deleted from it, the controller's own trace
    breaks that rule and the checker (which shares nothing with the table) reports it by name."""
    def drop(table):
        table["constraints"] = [r for r in table["constraints"]
                                if not (r.get("name") == rule and r["prev"] == "REFsb" and "ACT" in r["next"])]

    broken = spec_with_table(drop, DDR5, "DDR5")
    req = _requests(broken, 11, 4000, 64, 0.3, 0)
    res = simulate(broken, req, refresh="same-bank", wrap_addresses=True)
    v = check(res.commands, load_spec(DDR5), end_cycle=res.cycles)
    assert {x.rule for x in v} == {rule}, format_report(v, limit=5)


def test_checker_values_are_its_own_jedec_ones():
    """tRFCsb 130 ns and tREFSBRD 30 ns (16 Gb) at DDR5-4800's nominal 416.67 ps, tREFI2 / 4 = 487.5 ns
    rounded down at the run's 0.416 ns; a spec asking less is held to JEDEC."""
    spec = load_spec(DDR5)
    L = limits(spec)
    assert (L["RFCsb"], L["REFSBRD"], L["REFIsb"]) == (313, 73, 1171)   # the spec's own (stricter)
    loose = dataclasses.replace(spec, timing=dataclasses.replace(spec.timing, RFCsb=100, REFSBRD=10, REFIsb=5000))
    L2 = limits(loose)
    assert (L2["RFCsb"], L2["REFSBRD"], L2["REFIsb"]) == (312, 72, 1171)


def test_refsb_energy_is_one_eighth_of_a_ref_on_ddr5():
    """Model (no public current): a REFsb bills REF / (2 x banks per group); over a run the refresh
    energy of same-bank refresh is close to all-bank refresh's (one REFsb per REFIsb = REFI / 8)."""
    spec = load_spec(DDR5)
    req = _requests(spec, 2, 3000, 8, 0.3, 200)
    runs = {m: simulate(spec, req, refresh=m, wrap_addresses=True) for m in ("all-bank", "same-bank")}
    e = {m: compute_energy(spec, r.commands, r.cycles) for m, r in runs.items()}
    n_ref = e["all-bank"].counts["REF"]
    n_sb = e["same-bank"].counts["REFsb"]
    assert n_sb > 7 * n_ref > 0
    per_ref = e["all-bank"].ref / n_ref
    assert e["same-bank"].ref == pytest.approx(n_sb * per_ref / 8)
    rate = {m: e[m].ref / runs[m].cycles for m in runs}
    assert rate["same-bank"] == pytest.approx(rate["all-bank"], rel=0.1)
