"""HBM3-6400: the SID level (table, mapping, kernel, checker), half-CK ticks and clock edges as data."""
import numpy as np
import pytest

from bench_import import load_benchmark
from dramsim.checker import check, limits
from dramsim.energy import energy_note
from dramsim.mapping import AddressMapping
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from dramsim.table import KERNEL_LEVEL
from dramsim.timing import compiled
from mutants import to_trace
from table_edit import spec_with_table
from traces import RequestTrace
from traces.commands import ACT, PRE, PREA, RD, REF, REFPB

X = -1


@pytest.fixture(scope="module")
def spec():
    return load_spec("HBM3-6400")


def test_spec_counts_half_ck_ticks(spec):
    org, t = spec.organization, spec.timing
    assert (org.ranks, org.sids, org.bankgroups, org.banks_per_group, org.burst_bytes) == (2, 2, 4, 4, 32)
    assert org.banks == 32 and t.ticks_per_ck == 2 and t.ck_ns == pytest.approx(0.625)
    # figures.json timing_ticks (2 x CK): tRFC 260 ns = 416 nCK = 832 ticks, tREFI 3.9 us
    assert (t.RFC, t.REFI, t.RCD, t.CCD_R, t.RTW) == (832, 12480, 62, 6, 40)
    assert spec.table.clocks["ACT"] == 3 and spec.table.clocks["RD"] == 2 and spec.table.clocks["PRE"] == 1
    assert spec.table.edge == {"ACT": 2, "PRE": 1, "PREA": 1, "RD": 2, "WR": 2, "RDA": 2, "WRA": 2, "REF": 2,
                               "REFpb": 2}
    assert "energy not modelled" in energy_note(spec)


def test_default_mapping_puts_the_sid_above_the_pseudo_channel(spec):
    """RoBaRaCoCh without Si: from bit 5 column (5 bits), pseudo-channel, SID, bank group, bank, row
    (Ramulator 2's level order); the flat bank counts bank groups over the SIDs."""
    m = AddressMapping(spec)
    d = m.decode(np.array([1 << 5, 1 << 10, 1 << 11, 1 << 12, 1 << 14, 1 << 16], np.uint64))
    assert list(d["column"]) == [8, 0, 0, 0, 0, 0]
    assert list(d["rank"]) == [0, 1, 0, 0, 0, 0]
    assert list(d["sid"]) == [0, 0, 1, 0, 0, 0]
    assert list(d["bankgroup"]) == [0, 0, 0, 1, 0, 0]
    assert list(d["bank"]) == [0, 0, 0, 0, 1, 0]
    assert list(d["row"]) == [0, 0, 0, 0, 0, 1]
    rng = np.random.default_rng(5)
    a = rng.integers(0, m.capacity_bytes // 32, 2000).astype(np.uint64) * np.uint64(32)
    d = m.decode(a)
    bank, row, col = m.flat(a)
    want = ((d["rank"] * 2 + d["sid"]) * 4 + d["bankgroup"]) * 4 + d["bank"]
    assert np.array_equal(bank, want) and np.array_equal(row, d["row"]) and np.array_equal(col, d["column"])
    back = m.encode(**{k: d[k] for k in ("rank", "sid", "bankgroup", "bank", "row", "column")})
    assert np.array_equal(back, a)
    # an explicit Si token moves the SID bits
    m2 = AddressMapping(spec, "RoBaBgRaSiCoCh")
    assert m2.decode(np.array([1 << 10], np.uint64))["sid"][0] == 1


def test_mapping_of_other_standards_has_no_sid():
    m = AddressMapping(load_spec("HBM2-2000"))
    assert "sid" not in m.decode(np.array([0], np.uint64))
    assert [w for tok, _, w in m.fields if tok == "Si"] == [0]      # a field of width 0


def test_sid_rules_compile_to_level_four_only_with_several_sids(spec):
    c = compiled(spec)
    assert c.n_sid == 2
    sid_rows = c.rules[c.rules[:, 0] == KERNEL_LEVEL["sid"]]
    assert {(int(r[2]), int(r[3])) for r in sid_rows} == {(4, 0), (6, 1)}      # tCCDS same SID, tCCDR sibling
    one = spec_with_table(lambda t: None, "HBM3-6400", "HBM3")
    import dataclasses
    one = dataclasses.replace(one, organization=dataclasses.replace(one.organization, sids=1))
    c1 = compiled(one)
    assert c1.n_sid == 1 and not (c1.rules[:, 0] == KERNEL_LEVEL["sid"]).any()
    assert not c1.rules[:, 3].any()          # the tCCDR sibling rule has no other SID: dropped


def test_reads_to_the_other_sid_wait_tccdr_and_issue_on_even_ticks(spec):
    """Row hits alternating between the SIDs of one pseudo-channel: tCCDR (6 ticks) spaces them,
    not the burst (4); within one SID two bank groups alternate at tCCDS (4)."""
    m = AddressMapping(spec)
    n = 64
    cols = np.arange(n) // 2 * 8 % 256
    other_sid = m.encode(sid=np.arange(n) % 2, column=cols)
    same_sid = m.encode(bankgroup=np.arange(n) % 2, column=cols)
    for addrs, gap in ((other_sid, 6), (same_sid, 4)):
        res = simulate(spec, RequestTrace(addrs, np.zeros(n, bool)))
        c = res.commands
        rd = np.asarray(c.cycle)[np.asarray(c.cmd) == RD]
        assert (rd % 2 == 0).all()
        steady = np.diff(rd)[8:]
        assert steady.min() == gap and np.median(steady) == gap
        assert check(c, spec, end_cycle=res.cycles) == []


def test_random_mixed_traffic_passes_the_checker_with_precharges_on_falling_edges(spec):
    rng = np.random.default_rng(11)
    a = rng.integers(0, 2**29 // 32, 6000).astype(np.uint64) * np.uint64(32)
    res = simulate(spec, RequestTrace(a, rng.random(6000) < 0.3), wrap_addresses=True)
    c = res.commands
    cyc, cmd = np.asarray(c.cycle), np.asarray(c.cmd)
    assert (cyc[~np.isin(cmd, (PRE, PREA))] % 2 == 0).all()
    assert (cyc[cmd == PRE] % 2 == 1).any()
    assert check(c, spec, end_cycle=res.cycles) == []


def test_checker_values_in_ticks(spec):
    L = limits(spec)
    # JEDEC nCK rounded at tCK 625 ps, then 2 ticks per nCK: tRFC 260 ns -> 416 nCK -> 832 ticks
    assert (L["RFC"], L["REFI"], L["CCD_S"], L["CCD_R"], L["RD2WR"], L["nBL"]) == (832, 12480, 4, 6, 40, 4)


def test_checker_sid_and_edge_rules(spec):
    L = limits(spec)
    t = L["RCD"] + L["RRD_S"] + 4
    # bank group 0 of SID 0 and bank group 0 of SID 1 (bank group 4 counted over the SIDs)
    base = [(0, ACT, 0, 0, 0, 5), (L["RRD_S"], ACT, 0, 4, 0, 5)]
    ok = base + [(t, RD, 0, 0, 0, 5), (t + L["CCD_R"], RD, 0, 4, 0, 5)]
    assert check(to_trace(ok), spec, refresh="none") == []
    bad = base + [(t, RD, 0, 0, 0, 5), (t + L["CCD_R"] - 2, RD, 0, 4, 0, 5)]
    assert {v.rule for v in check(to_trace(bad), spec, refresh="none")} == {"tCCDR"}
    odd = base + [(t + 1, RD, 0, 0, 0, 5)]
    assert {v.rule for v in check(to_trace(odd), spec, refresh="none")} == {"state:RD off CK's rising edge"}
    # PRE on a falling edge (odd tick) is legal; REF is not
    r = L["RAS"] + 3
    pre = base + [(r + 1, PRE, 0, 0, 0, X)]
    assert check(to_trace(pre), spec, refresh="none") == []
    ref = [(1, REF, 0, X, X, X)]
    assert {v.rule for v in check(to_trace(ref), spec, refresh="none")} == {"state:REF off CK's rising edge"}


def test_table_edges_must_be_rising_or_both():
    from dramsim.errors import InputError

    def bad(t):
        t["commands"]["PRE"]["edges"] = "falling"
    with pytest.raises(InputError, match="edges"):
        spec_with_table(bad, "HBM3-6400", "HBM3")


def test_one_tick_per_ck_makes_edges_moot():
    """The same table on a spec counting CK (ticks_per_ck 1): every command may issue in any cycle."""
    spec = load_spec("HBM2-2000")
    assert set(spec.table.edge.values()) == {1}


def test_weight_layout_spreads_over_both_sids_and_inverts_the_mapping(spec):
    """coupling's layouts count HBM3's bank groups over the SIDs (8 per pseudo-channel), as the
    simulator's flat bank does; their addresses decode back to the same SID and bank group."""
    from coupling.layout import Geometry, WeightLayout

    g = Geometry.from_spec(spec)
    assert g.bankgroups == 8 and g.n_banks == 64
    lay = WeightLayout(g, 784, 100, 4, "drmap")
    amap = AddressMapping(spec)
    d = amap.decode(lay.addresses(amap))
    assert np.array_equal(d["sid"] * 4 + d["bankgroup"], lay.bankgroup)
    assert set(np.unique(d["sid"])) == {0, 1}
    bank, _, _ = amap.flat(lay.addresses(amap))
    assert np.array_equal(bank, lay.flat_bank)


def test_enforcesnn_run_on_hbm3_says_energy_is_not_modelled(tmp_path):
    """A tiny `enforcesnn run` on HBM3-6400: both pseudo-channels, energy 0 with its note (the paced idle
    share is NaN, not a division by zero), accuracy figures as on any standard."""
    from coupling import pipeline
    from coupling.config import RunConfig
    cfg = RunConfig(standard="HBM3-6400", neurons=8, train_limit=40, eval_samples=20, replay_samples=1,
                    paced_samples=1, precisions=[8], policies=["linear"], voltages=[1.1, 0.9],
                    cache_dir=str(tmp_path / "cache"), plots=False, device_seeds=[0])
    df, info = pipeline.run(cfg, progress=False)
    assert info["ranks"] == 2
    assert info["notes"][0] == "energy not modelled: no public currents for VDD, VDDQ, VPP (HBM3-6400); energy is 0"
    assert (df.energy_busy_pj_per_inference == 0).all() and df.energy_paced_idle_share.isna().all()
    assert (df.requests_per_inference > 0).all() and df.clean_accuracy.notna().all()


def test_event_skipping_equals_ticking_every_tick(spec):
    """The kernel's event skip (with off-edge ticks and the column bus skipped in odd ticks) gives
    the command trace of the reference mode that ticks every cycle."""
    rng = np.random.default_rng(2)
    a = rng.integers(0, 2**29 // 32, 3000).astype(np.uint64) * np.uint64(32)
    req = RequestTrace(a, rng.random(3000) < 0.3)
    fast = simulate(spec, req, wrap_addresses=True).commands
    slow = simulate(spec, req, wrap_addresses=True, reference=True).commands
    for k in ("cycle", "cmd", "rank", "bankgroup", "bank", "row"):
        assert np.array_equal(getattr(fast, k), getattr(slow, k)), k


def _seq(n):
    return RequestTrace(np.arange(n, dtype=np.uint64) * np.uint64(64), np.zeros(n, bool))


def test_per_bank_refresh_every_pseudo_channel_at_once_sid_by_sid(spec):
    """--refresh per-bank: each pseudo-channel its own REFpb every tREFIpb (390 ticks = tREFI / 32 banks),
    both due in the same cycle, to bank group x bank 0, 1, ... of SID 0, then SID 1 (bank groups 4-7),
    as Ramulator 2.1's HBM34PerBankRefresh; the checker finds nothing in any row policy."""
    t = spec.timing
    assert (t.RFCpb, t.REFIpb, t.RREFD) == (640, 390, 16)
    assert spec.table.per_bank_refresh == "rank"
    for policy in ("open", "closed", "close-adaptive"):
        res = simulate(spec, _seq(20_000), wrap_addresses=True, refresh="per-bank", row_policy=policy)
        c = res.commands
        assert check(c, spec, refresh="per-bank", end_cycle=res.cycles) == []
        for pc in (0, 1):
            sel = (np.asarray(c.cmd) == REFPB) & (np.asarray(c.rank) == pc)
            cyc, bg, ba = np.asarray(c.cycle)[sel], np.asarray(c.bankgroup)[sel], np.asarray(c.bank)[sel]
            k = np.arange(len(cyc))
            assert abs(len(cyc) - res.cycles // t.REFIpb) <= 1
            assert (bg * 4 + ba == k % 32).all()                          # SID 0's 16 banks, then SID 1's
            assert (cyc >= (k + 1) * t.REFIpb - 1).all()                  # never before it falls due
        assert (np.asarray(c.cmd) == REF).sum() == 0


def test_per_bank_refresh_cycles_against_ramulator(spec):
    """Cycles (ticks) of the 20,000-request seq / rand / stride traces (benchmarks/dram_speed.py's) with
    per-bank refresh within 1% of a Ramulator 2.1 build (c5b1c3a, HBM3_8Gb_8hi + HBM3_6400Mbps, HBM34,
    HBM34PerBankRefresh, FR-FCFS, open row, RoBaRaCoCh), run beside ours on 2026-12-03: 121,435 /
    168,351 / 393,869 ticks (benchmarks/RESULTS.md, "HBM3 per-bank refresh"); REFpb counts 622 / 862 /
    2,018 within 1%."""
    addresses = load_benchmark("dram_speed").addresses
    for name, cycles, refpb in (("seq", 121_435, 622), ("rand", 168_351, 862), ("stride", 393_869, 2_018)):
        res = simulate(spec, RequestTrace(addresses(name, 20_000), np.zeros(20_000, bool)), wrap_addresses=True,
                       refresh="per-bank")
        assert res.cycles == pytest.approx(cycles, rel=0.01), name
        assert res.stats["commands"]["REFpb"] == pytest.approx(refpb, rel=0.01), name


def test_checker_per_bank_refresh_rules(spec):
    """REFpb (Ramulator 2.1's HBM3 rules): tRRDS after another bank's ACT whatever its bank group, in no
    tFAW; an ACT or REFpb of another bank waits tRREFD; the refreshed bank's ACT waits tRFCpb."""
    L = limits(spec)
    assert (L["REFPB_RRD"], L["RREFD"], L["RFCpb"]) == (L["RRD_S"], 16, 640)
    act_end = 2                                   # ACT's distances count from its last tick (3 ticks)
    # ACT bank group 0 bank 0, then REFpb to bank 1 of the same bank group: tRRDS (8), not tRRDL (10)
    ok = [(0, ACT, 0, 0, 0, 5), (act_end + L["RRD_S"], REFPB, 0, 0, 1, X)]
    assert check(to_trace(ok), spec, refresh="none") == []
    early = [(0, ACT, 0, 0, 0, 5), (act_end + L["RRD_S"] - 2, REFPB, 0, 0, 1, X)]
    assert {v.rule for v in check(to_trace(early), spec, refresh="none")} == {"tRRDS"}
    # REFpb then ACT / REFpb to other banks: tRREFD; the refreshed bank's ACT: tRFCpb
    d = L["RREFD"] - act_end
    ok = [(0, REFPB, 0, 0, 0, X), (d, ACT, 0, 1, 0, 5)]
    assert check(to_trace(ok), spec, refresh="none") == []
    assert {v.rule for v in check(to_trace([(0, REFPB, 0, 0, 0, X), (d - 2, ACT, 0, 1, 0, 5)]), spec,
                                  refresh="none")} == {"tRREFD"}
    assert {v.rule for v in check(to_trace([(0, REFPB, 0, 0, 0, X), (L["RREFD"] - 2, REFPB, 0, 0, 1, X)]), spec,
                                  refresh="none")} == {"tRREFD"}
    assert {v.rule for v in check(to_trace([(0, REFPB, 0, 0, 0, X), (L["RFCpb"] - act_end - 2, ACT, 0, 0, 0, 5)]),
                                  spec, refresh="none")} == {"tRFCpb"}
    # four ACTs within tFAW and a REFpb among them: no tFAW (a REFpb is no activation here)
    g = L["RRD_S"]
    rows = [(0, ACT, 0, 0, 0, 5), (g, ACT, 0, 1, 0, 5), (2 * g, ACT, 0, 2, 0, 5), (3 * g, ACT, 0, 3, 0, 5),
            (3 * g + act_end + g, REFPB, 0, 4, 0, X)]
    assert check(to_trace(rows), spec, refresh="none") == []
