"""The controller's low-power policy: power-down and self-refresh entries, exits, refresh, energy.

The rules are checked here directly on the command trace (independently of dramsim.checker, which
is run as well).
"""
import json

import numpy as np
import pytest

from dramsim.checker import check, format_report
from dramsim.cli import main
from dramsim.energy import compute_energy
from dramsim.errors import InputError
from dramsim.simulate import simulate
from dramsim.spec import builtin_standards, load_spec
from traces import RequestTrace
from traces import commands as tc

#: Built-in standards whose spec gives the low-power timing (DDR5-4800 and GDDR6-14000 give none: their
#: power-down and self-refresh are not modelled, and the policy is refused, see test_policy_refused_without_low_power_timing).
LOW_POWER_STANDARDS = [n for n in builtin_standards() if load_spec(n).timing.CKE and load_spec(n).timing.XP]

ENTRIES = (tc.PDN_F_PRE, tc.PDN_S_PRE, tc.PDN_F_ACT, tc.PDN_S_ACT)


def paced(spec, bursts=20, per=32, gap=20_000, writes=0.0, seed=0, ranks=1):
    """``bursts`` groups of ``per`` requests, one group every ``gap`` cycles (an accelerator's time
    steps), to a few rows; with ``ranks`` > 1 the groups alternate ranks."""
    rng = np.random.default_rng(seed)
    org = spec.organization
    n = bursts * per
    rows = rng.integers(0, 4, n).astype(np.uint64)
    rank_bytes = org.capacity_bytes // (org.channels * org.ranks)
    rank = (np.arange(n) // per) % ranks
    address = (rows * np.uint64(org.row_bytes * org.banks) + (np.arange(n) % per).astype(np.uint64)
               * np.uint64(org.burst_bytes) + rank.astype(np.uint64) * np.uint64(rank_bytes))
    arrival = np.repeat(np.arange(bursts) * gap, per) + np.tile(np.arange(per), bursts)
    return RequestTrace(address=address, is_write=rng.random(n) < writes, arrival=arrival)


def stays(c, rank=0):
    """(entry index, exit index) pairs of one rank's low-power stays."""
    sel = np.flatnonzero(c.rank == rank)
    out, start = [], None
    for i in sel:
        if c.cmd[i] in ENTRIES or c.cmd[i] == tc.SREN:
            assert start is None, "entry while already in a low-power state"
            start = i
        elif c.cmd[i] in (tc.PUP_PRE, tc.PUP_ACT, tc.SREX):
            assert start is not None, "exit without entry"
            out.append((start, i))
            start = None
        else:
            assert start is None, f"{tc.COMMANDS[c.cmd[i]]} at {c.cycle[i]} while CKE is low"
    return out


def rank_only(c, rank):
    """The commands of one rank of ``c`` (a CommandTrace)."""
    keep = c.rank == rank
    return tc.CommandTrace(**{name: getattr(c, name)[keep] for name, _ in tc.FIELDS})


def test_off_by_default_and_identical_when_off():
    spec = load_spec("DDR3-1600K")
    tr = paced(spec)
    a = simulate(spec, tr, arrival="trace")
    b = simulate(spec, tr, arrival="trace", powerdown_after=None, selfrefresh_after=None)
    assert not np.isin(a.commands.cmd, tc.LOW_POWER).any()
    np.testing.assert_array_equal(a.commands.cycle, b.commands.cycle)
    assert "PDN_F_PRE" not in a.stats["commands"]


@pytest.mark.parametrize("name", LOW_POWER_STANDARDS)
@pytest.mark.parametrize("exit_", ["fast", "slow"])
def test_powerdown_policy_rules(name, exit_):
    spec = load_spec(name)
    t = spec.timing
    n_after = 100
    res = simulate(spec, paced(spec, writes=0.3), arrival="trace", powerdown_after=n_after, powerdown_exit=exit_)
    c = rank_only(res.commands, 0)      # (HBM2-2000's spec has two pseudo-channels: the rules are per rank)
    pairs = stays(c)
    assert len(pairs) >= 19 and c.counts()["PUP_PRE"] + c.counts()["PUP_ACT"] == len(pairs)
    slow = exit_ == "slow"
    for i, j in pairs:
        assert c.cmd[i] in ((tc.PDN_S_PRE, tc.PDN_S_ACT) if slow else (tc.PDN_F_PRE, tc.PDN_F_ACT))
        assert c.cycle[j] - c.cycle[i] >= t.CKE
        # the exit names the entry's kind, and the entry matches the banks' state
        assert (c.cmd[j] == tc.PUP_ACT) == (c.cmd[i] in (tc.PDN_F_ACT, tc.PDN_S_ACT))
        if j + 1 < len(c):
            gap = c.cycle[j + 1] - c.cycle[j]
            need = t.XPDLL if slow and c.cmd[j + 1] in (tc.RD, tc.WR, tc.RDA, tc.WRA) else t.XP
            assert gap >= need
        # idle for N cycles before the entry: the last request command at least N earlier
        before = c.cycle[:i][~np.isin(c.cmd[:i], tc.LOW_POWER + (tc.REF,))]
        assert len(before) == 0 or c.cycle[i] - before[-1] >= n_after




@pytest.mark.parametrize("name", LOW_POWER_STANDARDS)
@pytest.mark.parametrize("exit_", ["fast", "slow"])
def test_powerdown_policy_passes_checker(name, exit_):
    spec = load_spec(name)
    res = simulate(spec, paced(spec, writes=0.3), arrival="trace", powerdown_after=100, powerdown_exit=exit_)
    v = check(res.commands, spec, end_cycle=res.cycles)
    assert not v, format_report(v)


def test_refresh_while_powered_down_exit_refresh_reenter():
    spec = load_spec("DDR3-1600K")
    t = spec.timing
    gap = 20 * t.REFI
    tr = paced(spec, bursts=3, gap=gap)
    on = simulate(spec, tr, arrival="trace", powerdown_after=50)
    off = simulate(spec, tr, arrival="trace")
    c = on.commands
    refs = np.flatnonzero(c.cmd == tc.REF)
    assert abs(len(refs) - off.stats["commands"]["REF"]) <= 1 and len(refs) >= 35
    inside = reentered = 0
    for k in refs:
        if c.cmd[k - 1] in (tc.PUP_PRE, tc.PUP_ACT):       # exit, refresh, re-enter
            inside += 1
            assert c.cycle[k] - c.cycle[k - 1] >= t.XP
            if c.cmd[k + 1] in ENTRIES:                     # (else the next burst has arrived)
                reentered += 1
                assert c.cycle[k + 1] - c.cycle[k] >= t.RFC
    assert inside >= 35 and reentered >= inside - 3
    stays(c)
    v = check(c, spec, end_cycle=on.cycles)
    assert not v, format_report(v)


@pytest.mark.parametrize("name", ["DDR3-1600K", "LPDDR3-1600", "DDR4-2400R"])
def test_self_refresh_policy(name):
    spec = load_spec(name)
    t = spec.timing
    tr = paced(spec, bursts=6, gap=10 * t.REFI)
    res = simulate(spec, tr, arrival="trace", powerdown_after=100, selfrefresh_after=2000)
    c = res.commands
    pairs = stays(c)
    srefs = [(i, j) for i, j in pairs if c.cmd[i] == tc.SREN]
    assert len(srefs) == 5                                # every gap but the one after the last burst
    for i, j in srefs:
        assert c.cycle[j] - c.cycle[i] >= t.CKESR
        assert not ((c.cmd[i:j] == tc.REF) & (c.rank[i:j] == 0)).any()   # the device refreshes itself
        nxt = c.cycle[j + 1] - c.cycle[j]
        assert nxt >= (t.XSDLL if c.cmd[j + 1] in (tc.RD, tc.WR, tc.RDA, tc.WRA) else t.XS)
    assert res.stats["commands"]["REF"] < simulate(spec, tr, arrival="trace").stats["commands"]["REF"]


@pytest.mark.parametrize("name", ["DDR3-1600K", "LPDDR3-1600", "DDR4-2400R"])
def test_self_refresh_policy_passes_checker(name):
    spec = load_spec(name)
    tr = paced(spec, bursts=6, gap=10 * spec.timing.REFI)
    res = simulate(spec, tr, arrival="trace", powerdown_after=100, selfrefresh_after=2000)
    v = check(res.commands, spec, end_cycle=res.cycles)
    assert not v, format_report(v)


@pytest.mark.parametrize("seed", range(4))
def test_skipping_equals_reference_with_the_policy(seed):
    rng = np.random.default_rng(seed)
    name = LOW_POWER_STANDARDS[seed % len(LOW_POWER_STANDARDS)]
    spec = load_spec(name, ranks=1 + seed % 2)
    tr = paced(spec, bursts=8, per=int(rng.integers(4, 40)), gap=int(rng.integers(300, 9000)), writes=0.3,
               seed=seed, ranks=spec.organization.ranks)
    opts = dict(arrival="trace", powerdown_after=int(rng.integers(0, 200)),
                selfrefresh_after=int(rng.integers(1000, 4000)) if seed % 2 else None,
                row_policy="closed" if seed == 2 else "open")
    fast = simulate(spec, tr, **opts)
    slow = simulate(spec, tr, reference=True, **opts)
    for field in ("cycle", "cmd", "rank", "bank", "row", "column"):
        np.testing.assert_array_equal(getattr(fast.commands, field), getattr(slow.commands, field))
    for r in range(spec.organization.ranks):
        stays(fast.commands, r)


def test_powerdown_saves_energy_on_a_paced_trace_and_passes_the_checker():
    """The issue's acceptance test: the policy emits the low-power commands, the trace passes the
    checker, and the same requests cost less energy than without it."""
    spec = load_spec("DDR3-1600K")
    tr = paced(spec, bursts=30, per=64, gap=25_000, writes=0.2)
    off = simulate(spec, tr, arrival="trace")
    on = simulate(spec, tr, arrival="trace", powerdown_after=200)
    counts = on.commands.counts()
    assert counts["PDN_F_PRE"] + counts["PDN_F_ACT"] >= 29 and counts["PUP_PRE"] + counts["PUP_ACT"] >= 29
    assert not check(on.commands, spec, end_cycle=on.cycles)
    e_off = compute_energy(spec, off.commands, off.cycles)
    e_on = compute_energy(spec, on.commands, on.cycles)
    assert e_on.powerdown > 0 and e_on.total < 0.9 * e_off.total
    assert e_on.rd == e_off.rd                     # the same requests are served
    assert on.stats["latency_cycles"]["mean"] >= off.stats["latency_cycles"]["mean"]


def test_bad_policy_options():
    spec = load_spec("DDR3-1600K")
    tr = paced(spec, bursts=1)
    for kw in (dict(powerdown_after=-1), dict(selfrefresh_after=2.5), dict(powerdown_exit="medium")):
        with pytest.raises(InputError):
            simulate(spec, tr, **kw)
    import dataclasses
    bare = dataclasses.replace(spec, timing=dataclasses.replace(spec.timing, XP=0))
    with pytest.raises(InputError, match="needs timing.CKE and timing.XP"):
        simulate(bare, tr, powerdown_after=10)


def test_replay_cli_options(tmp_path, capsys):
    spec = load_spec("DDR3-1600K")
    tr = paced(spec, bursts=5, gap=5000)
    path = tmp_path / "paced.trace"
    path.write_text("".join(f"0x{int(a):x} READ {int(t)}\n" for a, t in zip(tr.address, tr.arrival)))
    out, cmds = tmp_path / "s.json", tmp_path / "c.trace"
    assert main(["replay", str(path), "--powerdown-after", "100", "--json", str(out), "--cmd-trace", str(cmds),
                 "--cmd-format", "drampower4"]) == 0
    stats = json.loads(out.read_text())
    assert stats["commands"]["PDN_F_PRE"] + stats["commands"]["PDN_F_ACT"] >= 4
    assert stats["energy_pj"]["powerdown"] > 0
    assert "powerdown" in capsys.readouterr().out
    assert main(["check", str(cmds), "--standard", "DDR3-1600K"]) == 0        # through the CLI too
    assert main(["energy", str(cmds), "--standard", "DDR3-1600K", "--json", str(tmp_path / "e.json")]) == 0
    again = json.loads((tmp_path / "e.json").read_text())["energy_pj"]
    # the DRAMPower 4 file ends one cycle after its last command; the replay at the last completion
    assert again["powerdown"] == pytest.approx(stats["energy_pj"]["powerdown"], rel=1e-9)


def test_kernel_low_power_codes_match_traces():
    from dramsim import kernel

    assert (kernel._PDN_F_PRE, kernel._PDN_S_PRE, kernel._PDN_F_ACT, kernel._PDN_S_ACT, kernel._PUP_PRE,
            kernel._PUP_ACT, kernel._SREN, kernel._SREX) == (tc.PDN_F_PRE, tc.PDN_S_PRE, tc.PDN_F_ACT,
                                                              tc.PDN_S_ACT, tc.PUP_PRE, tc.PUP_ACT, tc.SREN, tc.SREX)


def test_policy_refused_without_low_power_timing():
    from dramsim.errors import InputError

    spec = load_spec("DDR5-4800")
    assert set(LOW_POWER_STANDARDS) == {"DDR3-1600K", "DDR4-2400R", "HBM2-2000", "LPDDR3-1600", "LPDDR4-3200"}
    tr = RequestTrace(np.arange(10, dtype=np.uint64) * np.uint64(64), np.zeros(10, bool), np.arange(10) * 100)
    with pytest.raises(InputError, match="DDR5-4800: the power-down policy needs timing.CKE and timing.XP"):
        simulate(spec, tr, powerdown_after=10)
