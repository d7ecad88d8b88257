"""HBM2-2000: two command buses, pseudo-channels, the checker's HBM2 rules, and the buses as table data."""
import numpy as np
import pytest
import yaml

from dramsim.checker import check, limits
from dramsim.errors import InputError
from dramsim.simulate import simulate
from dramsim.spec import STANDARDS_DIR, load_spec, spec_from_dict
from mutants import to_trace
from table_edit import spec_with_table
from traces import RequestTrace
from traces.commands import ACT, PRE, RD, REF, REFPB, WR

X = -1


@pytest.fixture(scope="module")
def spec():
    return load_spec("HBM2-2000")


def test_spec_has_two_pseudo_channels_and_32_byte_bursts(spec):
    org = spec.organization
    assert (org.ranks, org.burst_bytes, org.bankgroups, org.banks_per_group) == (2, 32, 4, 4)
    assert spec.table.buses == ("column", "row")
    assert spec.timing.RCD == 14 and spec.timing.RCD_WR == 12


def test_row_and_column_commands_share_cycles_on_a_random_stream(spec):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**25 // 32, 4000).astype(np.uint64) * np.uint64(32)
    res = simulate(spec, RequestTrace(a, rng.random(4000) < 0.3), wrap_addresses=True)
    c = res.commands
    same = np.flatnonzero(c.cycle[1:] == c.cycle[:-1])
    assert len(same) > 100
    column = np.isin(c.cmd, (RD, WR))
    # a shared cycle holds one column and one row command, the column one first (its bus is served first)
    assert np.all(column[same] & ~column[same + 1])
    assert check(c, spec, end_cycle=res.cycles) == []


def test_one_bus_tables_never_share_a_cycle():
    spec = load_spec("DDR4-2400R")
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**28 // 64, 3000).astype(np.uint64) * np.uint64(64)
    cyc = simulate(spec, RequestTrace(a, np.zeros(3000, bool)), wrap_addresses=True).commands.cycle
    assert np.all(np.diff(cyc) >= 1)


def test_checker_command_buses(spec):
    L = limits(spec)
    t = L["RCD"] + 1
    # RD on the column bus and ACT on the row bus in one cycle: legal
    ok = [(0, ACT, 0, 0, 0, 5), (t, RD, 0, 0, 0, 5), (t, ACT, 0, 1, 0, 7)]
    assert check(to_trace(ok), spec, refresh="none") == []
    # ACT holds the row bus two clocks: a PRE one clock after it is a command-bus violation
    bad = [(0, ACT, 0, 0, 0, 5), (1, PRE, 0, 1, 0, X)]
    assert "command bus" in {v.rule for v in check(to_trace(bad), spec, refresh="none")}
    # two column commands in one cycle share a bus
    two = [(0, ACT, 0, 0, 0, 5), (4, ACT, 1, 0, 0, 5), (t + 4, RD, 0, 0, 0, 5), (t + 4, RD, 1, 0, 0, 5)]
    assert "command bus" in {v.rule for v in check(to_trace(two), spec, refresh="none")}


def test_checker_data_bus_per_pseudo_channel(spec):
    L = limits(spec)
    t = L["RCD"] + 1
    # reads of the two pseudo-channels one clock apart: their bursts overlap in time on separate buses
    other = [(0, ACT, 0, 0, 0, 5), (4, ACT, 1, 0, 0, 5), (t + 4, RD, 0, 0, 0, 5), (t + 5, RD, 1, 0, 0, 5)]
    assert check(to_trace(other), spec, refresh="none") == []
    same = [(0, ACT, 0, 0, 0, 5), (4, ACT, 0, 1, 0, 5), (t + 4, RD, 0, 0, 0, 5), (t + 5, RD, 0, 1, 0, 5)]
    assert {"data bus", "tCCDS"} <= {v.rule for v in check(to_trace(same), spec, refresh="none")}


def test_checker_rcd_read_and_write(spec):
    L = limits(spec)
    assert (L["RCD"], L["RCD_WR"]) == (14, 12)
    # ACT's distances count from its second clock: WR at 1 + tRCDWR passes, one earlier fails tRCDWR
    assert check(to_trace([(0, ACT, 0, 0, 0, 5), (1 + 12, WR, 0, 0, 0, 5)]), spec, refresh="none") == []
    v = check(to_trace([(0, ACT, 0, 0, 0, 5), (12, WR, 0, 0, 0, 5)]), spec, refresh="none")
    assert [x.rule for x in v] == ["tRCDWR"]
    v = check(to_trace([(0, ACT, 0, 0, 0, 5), (1 + 12, RD, 0, 0, 0, 5)]), spec, refresh="none")
    assert [x.rule for x in v] == ["tRCDRD"]


def test_checker_jedec_values_not_the_yaml(spec):
    data = yaml.safe_load((STANDARDS_DIR / "HBM2-2000.yaml").read_text())
    data["timing"].update(RRD_S=2, RRD_L=2, RFC=100)      # looser than JESD235
    loose = spec_from_dict(data, "loose.yaml")
    L = limits(loose)
    assert (L["RRD_S"], L["RRD_L"], L["RFC"]) == (4, 4, 160)   # 4 ns, 4 ns, 160 ns (2 Gb) at 1 ns
    v = check(to_trace([(0, REF, 0, X, X, X), (120, ACT, 0, 0, 0, 5)]), loose, refresh="none")
    assert [x.rule for x in v] == ["tRFC"]


def test_refresh_per_pseudo_channel(spec):
    a = (np.arange(20000, dtype=np.uint64) * np.uint64(64))
    res = simulate(spec, RequestTrace(a, np.zeros(len(a), bool)))
    c = res.commands
    refs = c.rank[c.cmd == REF]
    assert abs(np.count_nonzero(refs == 0) - np.count_nonzero(refs == 1)) <= 1
    assert np.count_nonzero(refs == 0) == res.cycles // spec.timing.REFI


def _table_with(mutate, standard="HBM2-2000", family="HBM2"):
    return spec_with_table(mutate, standard, family)


@pytest.mark.parametrize("mutate, match", [
    (lambda t: t["commands"]["ACT"].update(bus="address"), r"commands\.ACT\.bus is 'address'"),
    (lambda t: t.update(buses=["row", "row"]), "field buses"),
    (lambda t: t.update(buses=[]), "field buses"),
])
def test_bad_buses_are_refused(mutate, match):
    with pytest.raises(InputError, match=match):
        _table_with(mutate)


def test_one_bus_table_equals_no_buses_field():
    """Declaring the default bus explicitly changes nothing (same command trace)."""
    def explicit(t):
        t["buses"] = ["command"]
        for props in t["commands"].values():
            props["bus"] = "command"

    one = _table_with(explicit, "DDR3-1600K", "DDR3")
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2**28 // 64, 2000).astype(np.uint64) * np.uint64(64)
    req = RequestTrace(a, rng.random(2000) < 0.3)
    x = simulate(load_spec("DDR3-1600K"), req, wrap_addresses=True).commands
    y = simulate(one, req, wrap_addresses=True).commands
    assert np.array_equal(x.cycle, y.cycle) and np.array_equal(x.cmd, y.cmd)


def test_per_bank_refresh_rotates_over_the_channel_rank_major():
    """HBM2-2000 per-bank refresh (REFSB): one REFpb of the channel falls due every floor(tREFIpb / 2)
    = 121 cycles, to pseudo-channel 0's 16 banks in turn, then pseudo-channel 1's (Ramulator 2.1's
    PerBank order); each pseudo-channel stays within its tREFIpb on average, and the checker agrees."""
    spec = load_spec("HBM2-2000")
    rng = np.random.default_rng(9)
    n = 3000
    a = rng.integers(0, 2**28 // 64, n).astype(np.uint64) * np.uint64(64)
    req = RequestTrace(a, rng.random(n) < 0.3, np.cumsum(rng.integers(0, 60, n)))
    res = simulate(spec, req, refresh="per-bank", arrival="trace", wrap_addresses=True)
    c = res.commands
    pb = c.cmd == REFPB
    flat = (c.bankgroup[pb].astype(int) * 4 + c.bank[pb])
    order = c.rank[pb].astype(int) * 16 + flat
    assert len(order) > 64
    assert (order == np.arange(len(order)) % 32).all()
    step = spec.timing.REFIpb // 2
    due = np.arange(1, len(order) + 1) * step - 1
    assert (c.cycle[pb] >= due).all()
    for r in (0, 1):
        assert (c.rank[pb] == r).sum() * spec.timing.REFIpb >= res.cycles - 17 * spec.timing.REFIpb
    assert check(c, spec, end_cycle=res.cycles) == []


def test_per_bank_refresh_of_one_rank_keeps_its_own_interval():
    """With one rank the rotation is the rank's own: the k-th REFpb falls due at k x tREFIpb - 1."""
    spec = load_spec("LPDDR4-3200")
    rng = np.random.default_rng(4)
    n = 2000
    a = rng.integers(0, 2**27 // 64, n).astype(np.uint64) * np.uint64(64)
    res = simulate(spec, RequestTrace(a, np.zeros(n, bool), np.cumsum(rng.integers(0, 80, n))), refresh="per-bank",
                   arrival="trace", wrap_addresses=True)
    pb = res.commands.cmd == REFPB
    k = np.arange(1, pb.sum() + 1)
    assert (res.commands.cycle[pb] >= k * spec.timing.REFIpb - 1).all()
    assert spec.organization.bankgroups == 1
    assert (res.commands.bank[pb] == (k - 1) % spec.organization.banks).all()
