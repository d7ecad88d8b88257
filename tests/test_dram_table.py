"""Timing tables: the expression parser, the loader's checks, and the engine applying a table."""
from pathlib import Path

import numpy as np
import pytest

from dramsim.errors import InputError
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from dramsim.table import evaluate, parse_expression
from table_edit import spec_with_table
from traces import RequestTrace
from traces.commands import ACT, PRE, RD, RDA, WR, WRA


@pytest.mark.parametrize("text, value", [
    ("CL + BL + 2 - CWL", 11 + 4 + 2 - 8), ("2 * (CL - 1)", 20), ("max(4, RTP) - 4", 2),
    ("min(CL, CWL, 9)", 8), ("-CL + 12", 1), ("BL+max(8,min(RTP,30))-8", 4),
])
def test_expressions(text, value):
    assert evaluate(parse_expression(text), {"CL": 11, "CWL": 8, "BL": 4, "RTP": 6}) == value


@pytest.mark.parametrize("text", ["CL +", "CL / 2", "__import__('os')", "max(CL", "CL CWL", "2 ** 3", ""])
def test_expressions_refuse_anything_else(text):
    with pytest.raises(ValueError):
        parse_expression(text)


def _spec_with_table(mutate, spec="DDR3-1600K", family="DDR3"):
    return spec_with_table(mutate, spec, family)


@pytest.mark.parametrize("mutate, match", [
    (lambda t: t["constraints"].append({"prev": "ACT", "next": "RD", "level": "bank", "latency": "RCD / 2"}),
     r"constraints\[\d+\]\.latency"),
    (lambda t: t["constraints"].append({"prev": "ACT", "next": "RD", "level": "bank", "latency": "tRCD"}),
     "unknown parameter 'tRCD'"),
    (lambda t: t["constraints"].append({"prev": "PREA", "next": "ACT", "level": "bank", "latency": "RP"}),
     "below the scope of PREA"),
    (lambda t: t["constraints"].append({"prev": "ACT", "next": "FOO", "level": "bank", "latency": "RP"}),
     "command 'FOO'"),
    (lambda t: t["constraints"].append({"prev": "ACT", "next": "RD", "level": "row", "latency": "RP"}),
     "level is 'row'"),
    (lambda t: t["constraints"].append({"prev": "ACT", "next": "RD", "level": "bank", "latency": 1, "when": 2}),
     "unknown key"),
    (lambda t: t["commands"]["PRE"].__setitem__("opens", "row"), "PRE does not opens"),
    (lambda t: t["commands"].pop("RDA"), "missing command commands.RDA"),
    (lambda t: t.__setitem__("levels", ["rank", "channel", "bank"]), "field levels"),
])
def test_bad_tables(mutate, match):
    with pytest.raises(InputError, match=match) as exc:
        _spec_with_table(mutate)
    assert "\n" not in str(exc.value) and "my.yaml" in str(exc.value)


def _pairs(cmds, first, second, same_bank=True):
    """Cycle gaps from each ``first`` command to the next ``second`` (same bank when asked)."""
    out = []
    cyc, cmd, bank = cmds.cycle, cmds.cmd, cmds.bank.astype(int) * 16 + cmds.bankgroup
    for i in np.flatnonzero(np.isin(cmd, first)):
        later = np.flatnonzero((np.arange(len(cmd)) > i) & np.isin(cmd, second)
                               & ((bank == bank[i]) if same_bank else True))
        if len(later):
            out.append(cyc[later[0]] - cyc[i])
    return np.array(out)


def _mixed(spec, n=3000, seed=3):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 64, n)
    addr = (rows * spec.organization.row_bytes * spec.organization.banks
            + rng.integers(0, 4, n) * 64).astype(np.uint64)
    return RequestTrace(addr, rng.random(n) < 0.5)


def test_table_rule_changes_the_schedule():
    """A rule added to the table is obeyed by the engine with no kernel change: tRCD + 7."""
    spec = _spec_with_table(lambda t: t["constraints"].append(
        {"prev": "ACT", "next": ["RD", "RDA", "WR", "WRA"], "level": "bank", "latency": "RCD + 7"}))
    trace = _mixed(spec)
    plain = simulate(load_spec("DDR3-1600K"), trace).commands
    slow = simulate(spec, trace).commands
    assert _pairs(plain, [ACT], [RD, WR]).min() == 11
    assert _pairs(slow, [ACT], [RD, WR]).min() == 18


@pytest.mark.parametrize("name", ["DDR3-1600K", "DDR4-2400R", "LPDDR3-1600", "LPDDR4-3200"])
def test_write_recovery_before_auto_precharge(name):
    """WR -> RDA to the same bank: the implicit precharge (RDA + read-to-precharge) starts no
    earlier than WR + CWL + BL + tWR (+1 on LPDDR), under strict closed page."""
    spec = load_spec(name)
    res = simulate(spec, _mixed(spec), row_policy="closed")
    c = res.commands
    assert not np.isin(c.cmd, [RD, WR]).any()      # strict: every column command auto-precharges
    p = spec.table.parameters
    rd2pre = p.get("RD2PRE", spec.timing.RTP)
    gaps = _pairs(c, [WRA], [RDA])
    assert len(gaps) == 0 or gaps.min() + rd2pre >= p["WR2PRE"]


def test_lpddr4_command_bus_and_ppd():
    """LPDDR4: a 4-clock ACT/RD/WR and a 2-clock PRE hold the command bus; tPPD between PREs."""
    spec = load_spec("LPDDR4-3200")
    rng = np.random.default_rng(5)
    trace = RequestTrace((rng.integers(0, 1 << 16, 4000) * 64).astype(np.uint64), rng.random(4000) < 0.3)
    c = simulate(spec, trace).commands
    clocks = spec.table.clocks
    gap = np.diff(c.cycle)
    need = np.array([clocks[n] for n in np.array(["ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF"])
                     [np.minimum(c.cmd[:-1], 7)]])
    assert (gap >= need).all() and (gap == need).mean() > 0.05
    pre = c.cycle[c.cmd == PRE]
    assert np.diff(pre).min() >= spec.timing.PPD


def test_lpddr4_read_to_write_turnaround():
    """RL + RU(tDQSCK/tCK) + BL/2 - WL + tWPRE + RD(tRPST) = 28 + 6 + 8 - 14 + 2 + 0 = 30."""
    spec = load_spec("LPDDR4-3200")
    assert spec.table.parameters["RD2WR"] == 30
    c = simulate(spec, _mixed(spec)).commands
    cyc, cmd = c.cycle, c.cmd
    col = np.isin(cmd, [RD, WR, RDA, WRA])
    k = np.flatnonzero(col)
    rd_then_wr = np.isin(cmd[k[:-1]], [RD, RDA]) & np.isin(cmd[k[1:]], [WR, WRA])
    assert rd_then_wr.any() and (cyc[k[1:]][rd_then_wr] - cyc[k[:-1]][rd_then_wr]).min() >= 30


def test_imported_lpddr4_ini_bursts_do_not_overlap():
    """The DRAMsim3 LPDDR4 INI has BL16 with tCCD 4/6: the importer raises tCCD to the 8-clock
    burst (with a warning), and no two bursts of the channel overlap on the data bus."""
    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dram" / "configs" / "LPDDR4_8Gb_x16_2400.ini"
    if not path.exists():
        pytest.skip("shared reference configs not available")
    with pytest.warns(UserWarning, match="below the burst time"):
        spec = load_spec(path)
    assert spec.timing.CCD_S == spec.timing.CCD_L == spec.burst_cycles == 8
    a = (np.arange(3000, dtype=np.uint64) * 64) % np.uint64(spec.organization.capacity_bytes)
    c = simulate(spec, RequestTrace(a, np.zeros(3000, bool)), wrap_addresses=True).commands
    rd = np.sort(c.cycle[np.isin(c.cmd, [RD, RDA])])
    assert np.diff(rd).min() >= spec.burst_cycles


def _lpddr5_with_table(mutate):
    return _spec_with_table(mutate, "LPDDR5-6400", "LPDDR5")


@pytest.mark.parametrize("mutate, match", [
    (lambda t: t["commands"]["ACT"].__setitem__("clocks", 3), "takes 3 clocks; expected 2"),
    (lambda t: t["commands"]["ACT"]["second_word"].__setitem__("blocks", ["PRE"]), "blocks lacks ACT"),
    (lambda t: t["commands"]["ACT"]["second_word"].__setitem__("within", 0), "within is 0"),
    (lambda t: t["commands"]["ACT"]["second_word"].pop("blocks"), "expected a mapping with within and blocks"),
    (lambda t: t["commands"]["PRE"].__setitem__("clocks", 2), "PRE on the same bus takes 2 clocks"),
])
def test_bad_second_word(mutate, match):
    with pytest.raises(InputError, match=match) as exc:
        _lpddr5_with_table(mutate)
    assert "\n" not in str(exc.value) and "my.yaml" in str(exc.value)


def test_deferred_second_word():
    """LPDDR5's ACT-2 (second_word): a ready command may take the clock after ACT-1, no ACT goes while
    an ACT-2 is pending, and without second_word the ACT holds the bus for both clocks; same trace."""
    spec = load_spec("LPDDR5-6400")
    plain = _lpddr5_with_table(lambda t: t["commands"]["ACT"].pop("second_word"))
    rng = np.random.default_rng(5)
    addr = np.arange(20000, dtype=np.uint64) * 32          # streaming reads: ACTs while reads are ready
    trace = RequestTrace(addr, rng.random(len(addr)) < 0.2)
    for s, deferred in ((spec, True), (plain, False)):
        c = simulate(s, trace).commands
        act = np.flatnonzero(c.cmd[:-1] == ACT)
        gap = c.cycle[act + 1] - c.cycle[act]
        assert (gap >= 1).all() and ((gap == 1).any() == deferred)
        # each ACT-2 in the first free clock after its ACT-1 (within 8), before the next ACT
        busy = set(c.cycle.tolist())
        for i in act[:400]:
            w = c.cycle[i] + 1
            while w in busy:
                w += 1
            assert w - c.cycle[i] <= 8
            nxt = c.cycle[i + 1:][c.cmd[i + 1:] == ACT]
            assert not len(nxt) or nxt[0] > w
    ref = simulate(spec, trace, reference=True).commands     # event skipping around pending words
    fast = simulate(spec, trace).commands
    assert np.array_equal(ref.cycle, fast.cycle) and np.array_equal(ref.cmd, fast.cmd)


def test_per_bank_refresh_rotation_is_data():
    """``per_bank_refresh: rank`` (HBM3's table) makes every rank due at once; ``channel`` (the default,
    HBM2's) rotates over the channel's ranks; the two differ on a 2-pseudo-channel HBM3 spec, and
    anything else is refused by name."""
    hbm3 = load_spec("HBM3-6400")
    assert hbm3.table.per_bank_refresh == "rank" and load_spec("HBM2-2000").table.per_bank_refresh == "channel"
    channel = spec_with_table(lambda t: t.update(per_bank_refresh="channel"), "HBM3-6400", "HBM3")
    trace = RequestTrace(np.arange(4000, dtype=np.uint64) * np.uint64(64), np.zeros(4000, bool))
    by_rank = simulate(hbm3, trace, refresh="per-bank").commands
    by_channel = simulate(channel, trace, refresh="per-bank").commands
    first = [(int(r), int(c)) for r, c in zip(by_rank.rank[by_rank.cmd == 8][:2], by_rank.cycle[by_rank.cmd == 8][:2])]
    assert [r for r, _ in first] == [0, 1] and first[1][1] - first[0][1] < hbm3.timing.REFIpb   # both due at once
    other = by_channel.rank[by_channel.cmd == 8]
    assert (other[:16] == 0).all()                 # the channel's rotation: pseudo-channel 0's banks first
    with pytest.raises(InputError, match="per_bank_refresh is 'bank'; expected one of channel, rank"):
        spec_with_table(lambda t: t.update(per_bank_refresh="bank"), "HBM3-6400", "HBM3")
