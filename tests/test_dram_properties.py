"""Property: every command trace the controller emits passes the independent timing checker.

Random request streams (a few rows and banks, so hits, misses and conflicts all occur; random
read/write mix; random arrival gaps) go through every built-in standard with both row policies,
several address mappings with and without the XOR bank hash, 1-2 channels and 1-2 ranks. One test
per standard (hypothesis derandomized, so each is deterministic). Where today's controller breaks
a JEDEC rule the checker enforces, the standard's test is a strict xfail naming the rule: it flips
to a failure (to be unmarked) once the controller side of issue #10 lands.
"""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dramsim.checker import check, format_report
from dramsim.spec import builtin_standards, load_spec
from traces import RequestTrace

simulate_module = pytest.importorskip("dramsim.simulate")

STANDARDS = builtin_standards()


MAPPINGS = ("RoBaRaCoCh", "ChRaBaRoCo", "RoCoBaRaCh")
#: Examples of the main property (150 by default, ~3 s; DRAM_PROPERTY_EXAMPLES=1500 for a soak).
EXAMPLES = int(os.environ.get("DRAM_PROPERTY_EXAMPLES", 150))


def _requests(spec, seed, n, pool, write_fraction, max_gap):
    """``n`` requests over ``pool`` random rows (each touched at several columns)."""
    rng = np.random.default_rng(seed)
    org = spec.organization
    bursts = org.capacity_bytes // org.burst_bytes
    base = rng.integers(0, bursts // 16, pool, dtype=np.uint64) * np.uint64(16)
    pick = rng.integers(0, pool, n)
    offset = rng.integers(0, 16, n).astype(np.uint64)
    address = (base[pick] + offset) * np.uint64(org.burst_bytes)
    arrival = np.cumsum(rng.integers(0, max_gap + 1, n))
    return RequestTrace(address, rng.random(n) < write_fraction, arrival)


@pytest.mark.parametrize("standard", STANDARDS)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(20, 400),
       pool=st.integers(1, 12), write_fraction=st.sampled_from([0.0, 0.3, 0.7]),
       max_gap=st.sampled_from([0, 3, 40]), row_policy=st.sampled_from(["open", "closed", "close-adaptive"]),
       mapping=st.sampled_from(MAPPINGS), xor=st.booleans(), channels=st.integers(1, 2),
       ranks=st.integers(1, 2), per_bank=st.booleans(), queue_depth=st.sampled_from([4, 32]),
       arrival=st.sampled_from(["trace", "saturate"]))
def test_controller_output_passes_checker(standard, seed, n, pool, write_fraction, max_gap, row_policy,
                                          mapping, xor, channels, ranks, per_bank, queue_depth, arrival):
    spec = load_spec(standard, channels=channels, ranks=ranks)
    refresh = "per-bank" if per_bank and spec.timing.RFCpb else "all-bank"
    requests = _requests(spec, seed, n, pool, write_fraction, max_gap)
    result = simulate_module.simulate(spec, requests, mapping=mapping, xor_bank_hash=xor,
                                      row_policy=row_policy, queue_depth=queue_depth,
                                      refresh=refresh, arrival=arrival, wrap_addresses=True)
    violations = check(result.commands, spec, refresh=refresh, end_cycle=result.cycles)
    assert violations == [], format_report(violations, limit=10)
    counts = result.commands.counts()
    assert counts["RD"] + counts["RDA"] + counts["WR"] + counts["WRA"] == n


@pytest.mark.parametrize("standard", STANDARDS)
@settings(max_examples=12, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), per_bank=st.booleans(),
       row_policy=st.sampled_from(["open", "closed", "close-adaptive"]))
def test_long_run_with_refresh_passes_checker(standard, seed, per_bank, row_policy):
    """A sparse stream spanning many refresh intervals: REF/REFpb scheduling and the rate rule."""
    spec = load_spec(standard, channels=1, ranks=2)
    refresh = "per-bank" if per_bank and spec.timing.RFCpb else "all-bank"
    rng = np.random.default_rng(seed)
    n = 300
    requests = _requests(spec, seed, n, 6, 0.4, 0)
    gaps = rng.integers(0, 3 * spec.timing.REFI // 10, n)
    requests = RequestTrace(requests.address, requests.is_write, np.cumsum(gaps))
    result = simulate_module.simulate(spec, requests, arrival="trace", wrap_addresses=True,
                                      refresh=refresh, row_policy=row_policy)
    violations = check(result.commands, spec, refresh=refresh, end_cycle=result.cycles)
    assert violations == [], format_report(violations, limit=10)
    counts = result.commands.counts()
    if refresh == "all-bank":
        assert counts["REF"] >= spec.organization.ranks * (result.cycles // (9 * spec.timing.REFI))
    else:
        assert counts["REFpb"] >= spec.organization.ranks * (result.cycles // (9 * spec.timing.REFIpb))
