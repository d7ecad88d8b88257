"""HBM2-2000 energy and low power: DRAMsim3's channel currents halved per pseudo-channel, hand-checked,
and power-down / self-refresh on two command buses."""
import numpy as np
import pytest

from dramsim.checker import check, format_report, limits
from dramsim.energy import command_energies_pj, compute_energy, energy_note
from dramsim.mapping import AddressMapping
from dramsim.simulate import simulate
from dramsim.spec import load_spec
from mutants import to_trace
from traces import RequestTrace
from traces.commands import (ACT, PDN_F_ACT, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PUP_ACT, RD, SREN, SREX, WR,
                             CommandTrace)

X = -1

#: DRAMsim3 configs/HBM2_4Gb_x128.ini, one 128-bit legacy channel (mA, VDD 1.2 V).
CHANNEL_MA = {"IDD0": 65, "IDD2P": 28, "IDD2N": 40, "IDD3P": 40, "IDD3N": 55, "IDD4W": 500, "IDD4R": 390,
              "IDD5": 250, "IDD6": 31}


@pytest.fixture(scope="module")
def spec():
    return load_spec("HBM2-2000")


def _empty():
    z = np.zeros(0, np.int64)
    return CommandTrace(cycle=z, cmd=z, channel=z, rank=z, bankgroup=z, bank=z, row=z, column=z)


def test_pseudo_channel_currents_are_half_the_channel(spec):
    vdd = spec.rails[0]
    assert vdd.name == "VDD" and vdd.voltage_v == 1.2
    assert {k: 2 * v for k, v in vdd.currents_ma.items() if v} == CHANNEL_MA


def test_pseudo_channel_pair_idles_at_the_channel_idd2n(spec):
    """Two idle pseudo-channels (a channel) for 1,000 cycles of 1 ns: 40 mA x 1.2 V x 1,000 ns = 48,000 pJ."""
    e = compute_energy(spec, _empty(), 1000)
    assert spec.organization.ranks == 2
    assert e.total == pytest.approx(40 * 1.2 * 1000.0)
    assert e.background == e.total and e.per_rail["VPP"] == 0 and e.per_rail["VDDQ"] == 0


def test_energy_per_byte_equals_the_channel_burst(spec):
    """A 32-byte RD burst of a pseudo-channel costs half of DRAMsim3's 64-byte channel burst:
    1.2 V x (390 - 55) mA / 2 x 2 clocks x 1 ns = 402 pJ, 12.56 pJ per byte either way."""
    rd = command_energies_pj(spec)["rd"]["VDD"]
    assert rd == pytest.approx(1.2 * (390 - 55) / 2 * 2)
    assert rd / spec.organization.burst_bytes == pytest.approx(1.2 * (390 - 55) * 2 / 64)


def test_note_names_the_missing_rails(spec):
    assert energy_note(spec) == "energy counts VDD only: no public currents for VPP, VDDQ (HBM2-2000)"


def _paced(spec, bursts=12, per=24, gap=12_000, writes=0.3, seed=4):
    """Bursts of requests every ``gap`` cycles, alternating the two pseudo-channels."""
    rng = np.random.default_rng(seed)
    n = bursts * per
    burst = np.arange(n) % per
    address = AddressMapping(spec).encode(rank=(np.arange(n) // per) % 2, bank=burst % 4,
                                          row=rng.integers(0, 4, n), column=(burst // 4) * spec.organization.burst_length)
    arrival = np.repeat(np.arange(bursts) * gap, per) + np.tile(np.arange(per), bursts)
    return RequestTrace(address=address, is_write=rng.random(n) < writes, arrival=arrival)


@pytest.mark.parametrize("exit_", ["fast", "slow"])
def test_paced_powerdown_per_pseudo_channel_passes_the_checker(spec, exit_):
    tr = _paced(spec)
    off = simulate(spec, tr, arrival="trace")
    on = simulate(spec, tr, arrival="trace", powerdown_after=100, powerdown_exit=exit_)
    c = on.commands
    v = check(c, spec, end_cycle=on.cycles)
    assert not v, format_report(v)
    entries = np.isin(c.cmd, (PDN_F_PRE, PDN_S_PRE, PDN_F_ACT, PDN_S_ACT))
    for pc in (0, 1):                          # each pseudo-channel powers down on its own
        assert np.count_nonzero(entries & (c.rank == pc)) >= 6
    # one pseudo-channel sleeps while the other reads: a CKE event of one inside the other's burst
    r0 = c.cycle[(c.rank == 0) & np.isin(c.cmd, (RD, WR))]
    pd1 = c.cycle[entries & (c.rank == 1)]
    assert np.any((pd1 > r0.min()) & (pd1 < r0.max()))
    e_off = compute_energy(spec, off.commands, off.cycles)
    e_on = compute_energy(spec, c, on.cycles)
    assert e_on.rd == e_off.rd and e_on.powerdown > 0
    assert e_on.total < 0.8 * e_off.total      # idle background 40 -> 28 mA (IDD2P) per channel and less


def test_paced_self_refresh_passes_the_checker(spec):
    t = spec.timing
    tr = _paced(spec, bursts=6, gap=10 * t.REFI)
    res = simulate(spec, tr, arrival="trace", powerdown_after=100, selfrefresh_after=2000)
    c = res.commands
    v = check(c, spec, end_cycle=res.cycles)
    assert not v, format_report(v)
    for pc in (0, 1):
        mine = np.flatnonzero(c.rank == pc)
        sren = mine[c.cmd[mine] == SREN]
        assert len(sren) >= 2
        for i in sren:                         # SREX after tCKESR, the next command after tXS (no DLL)
            j = mine[mine > i]
            if len(j) == 0:
                continue                       # still in self-refresh at the end
            assert c.cmd[j[0]] == SREX and c.cycle[j[0]] - c.cycle[i] >= t.CKESR
            if len(j) > 1:
                assert c.cycle[j[1]] - c.cycle[j[0]] >= t.XS
    assert res.stats["commands"]["REF"] < simulate(spec, tr, arrival="trace").stats["commands"]["REF"]


def test_checker_low_power_on_the_row_bus(spec):
    """A CKE event travels on the row bus: beside a RD of the other pseudo-channel in one cycle it is
    legal, beside an ACT (row bus) it is not; without a DLL a RD after a slow exit waits tXP only."""
    L = limits(spec)
    assert (L["CKE"], L["XP"], L["XPDLL"], L["XS"], L["XSDLL"], L["CKESR"]) == (8, 8, 8, 170, 170, 9)
    t = L["RCD"] + 1
    ok = [(0, ACT, 0, 0, 0, 5), (t, RD, 0, 0, 0, 5), (t, PDN_F_PRE, 1, X, X, X)]
    assert check(to_trace(ok), spec, refresh="none") == []
    bad = [(0, ACT, 0, 0, 0, 5), (t, ACT, 0, 1, 0, 5), (t, PDN_F_PRE, 1, X, X, X)]
    assert "command bus" in {x.rule for x in check(to_trace(bad), spec, refresh="none")}
    slow = [(0, ACT, 0, 0, 0, 5), (2, PDN_S_ACT, 0, X, X, X), (10, PUP_ACT, 0, X, X, X), (18, RD, 0, 0, 0, 5)]
    assert check(to_trace(slow), spec, refresh="none") == []
    slow[-1] = (17, RD, 0, 0, 0, 5)
    assert [x.rule for x in check(to_trace(slow), spec, refresh="none")] == ["tXP"]
