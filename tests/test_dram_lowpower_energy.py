"""Power-down and self-refresh energy: one hand-computed case per equation, and DRAMPower 4.1.

Unit on DDR3-1600K: 1.35 V x 1.25 ns x 8 devices = 13.5 pJ per mA-cycle. The spec below gives
distinct fast- and slow-exit currents so that every term is told apart.
"""
import dataclasses
import json
import warnings
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from dramsim.energy import DRAMPOWER4_COMPONENTS, compute_energy, residency
from dramsim.spec import load_spec
from traces import read_commands
from traces import commands as tc
from traces.commands import CODE, RANK_COMMANDS, CommandTrace

SHARED = Path(__file__).resolve().parents[2] / "shared"
DRAM = SHARED / "reference" / "dram"
U = 13.5  # pJ per mA-cycle (rank)


def trace(rows):
    """rows: (cycle, name[, bank]); rank commands get bank -1."""
    cyc = [r[0] for r in rows]
    code = np.array([CODE[r[1]] for r in rows])
    bank = np.array([r[2] if len(r) > 2 else 0 for r in rows])
    wide = np.isin(code, RANK_COMMANDS)
    n = len(rows)
    return CommandTrace(cycle=np.array(cyc), cmd=code, channel=np.zeros(n), rank=np.zeros(n),
                        bankgroup=np.where(wide, -1, 0), bank=np.where(wide, -1, bank),
                        row=np.where(wide, -1, 5), column=np.where(np.isin(code, [3, 4, 5, 6]), 0, -1))


@pytest.fixture(scope="module")
def ddr3():
    """DDR3-1600K with IDD2P0 12, IDD2P1 18, IDD3P0 25, IDD3P1 30 mA (IDD6 20, IDD5 235)."""
    spec = load_spec("DDR3-1600K")
    vdd = spec.rails[0]
    currents = dict(vdd.currents_ma, IDD2P0=12.0, IDD2P1=18.0, IDD3P0=25.0, IDD3P1=30.0)
    return dataclasses.replace(spec, rails=(dataclasses.replace(vdd, currents_ma=MappingProxyType(currents)),))


def test_precharge_powerdown_fast_exit(ddr3):
    e = compute_energy(ddr3, trace([(100, "PDN_F_PRE"), (600, "PUP_PRE")]), 1000)
    assert e.powerdown == pytest.approx(500 * 18 * U, abs=1e-6)           # 121500 pJ at IDD2P1
    assert e.detail["pd_pre_fast"] == e.powerdown
    assert e.background == pytest.approx(500 * 32 * U, abs=1e-6)          # the other 500 cycles
    assert e.powerup == pytest.approx(5 * 32 * U, abs=1e-6)               # tXP at IDD2N, inside background
    assert e.total == pytest.approx(500 * 18 * U + 500 * 32 * U, abs=1e-6)
    assert e.counts["PDN"] == 1 and e.selfrefresh == 0.0


def test_precharge_powerdown_slow_exit(ddr3):
    e = compute_energy(ddr3, trace([(100, "PDN_S_PRE"), (600, "PUP_PRE")]), 1000)
    assert e.powerdown == pytest.approx(500 * 12 * U, abs=1e-6)           # 81000 pJ at IDD2P0
    # DRAMPower 4.1 counts tXPDLL - tRCD = 20 - 11 power-up cycles after a slow exit with a DLL
    assert e.powerup == pytest.approx(9 * 32 * U, abs=1e-6)


def test_active_powerdown_slow_and_fast(ddr3):
    rows = [(0, "ACT", 2), (50, "PDN_S_ACT"), (450, "PUP_ACT"), (500, "PRE", 2)]
    e = compute_energy(ddr3, trace(rows), 600)
    assert e.detail["pd_act_slow"] == pytest.approx(400 * 25 * U, abs=1e-6)   # IDD3P0
    # active standby [0,50) + [450,500), precharged [500,600)
    assert e.active_cycles == 100 and e.precharged_cycles == 100
    assert e.background == pytest.approx((100 * 38 + 100 * 32) * U, abs=1e-6)
    assert e.powerup == pytest.approx(9 * 38 * U, abs=1e-6)
    rows[1] = (50, "PDN_F_ACT")
    e = compute_energy(ddr3, trace(rows), 600)
    assert e.powerdown == pytest.approx(400 * 30 * U, abs=1e-6)               # IDD3P1
    assert e.powerup == pytest.approx(5 * 38 * U, abs=1e-6)


def test_self_refresh_longer_than_the_refresh(ddr3):
    e = compute_energy(ddr3, trace([(100, "SREN"), (1100, "SREX")]), 2000)
    # IDD6 over d - tRFC = 792 cycles, one refresh (IDD5 - IDD3N) x tRFC, and its background:
    # tRFC - tRP = 197 cycles at IDD3P0, tRP = 11 at IDD2P0
    assert e.detail["sref"] == pytest.approx((20 * 792 + 197 * 208) * U, abs=1e-6)
    assert e.detail["sref_ref_act"] == pytest.approx(197 * 25 * U, abs=1e-6)
    assert e.detail["sref_ref_pre"] == pytest.approx(11 * 12 * U, abs=1e-6)
    assert e.detail["spup_ref"] == 0.0
    assert e.selfrefresh == pytest.approx((20 * 792 + 197 * 208 + 197 * 25 + 11 * 12) * U, abs=1e-6)
    assert e.background == pytest.approx(1000 * 32 * U, abs=1e-6)
    assert e.powerup == pytest.approx((512 - 11) * 32 * U, abs=1e-6)          # tXSDLL - tRCD
    assert e.counts["SREF"] == 1 and e.powerdown == 0.0


def test_self_refresh_shorter_than_the_refresh(ddr3):
    # d = 100 < tRFC - tRP: 100 active refresh cycles inside, 97 active and 11 precharged after SREX
    e = compute_energy(ddr3, trace([(100, "SREN"), (200, "SREX")]), 1000)
    assert e.detail["sref"] == pytest.approx(197 * 208 * U, abs=1e-6)         # no IDD6 cycles
    assert e.detail["sref_ref_act"] == pytest.approx(100 * 25 * U, abs=1e-6)
    assert e.detail["sref_ref_pre"] == 0.0
    assert e.detail["spup_ref"] == pytest.approx((97 * 38 + 11 * 32) * U, abs=1e-6)
    assert e.precharged_cycles == 1000 - 208                                     # standby resumes at SREN + tRFC
    assert e.powerup == pytest.approx((501 - 97 - 11) * 32 * U, abs=1e-6)
    # d = 200: inside, all 197 active cycles and 3 of the 11 precharged ones; 8 after SREX
    e = compute_energy(ddr3, trace([(100, "SREN"), (300, "SREX")]), 1000)
    assert e.detail["sref_ref_pre"] == pytest.approx(3 * 12 * U, abs=1e-6)
    assert e.detail["spup_ref"] == pytest.approx(8 * 32 * U, abs=1e-6)
    assert e.precharged_cycles == 1000 - 208


def test_state_open_at_the_end_and_unmatched_commands(ddr3):
    e = compute_energy(ddr3, trace([(100, "PDN_F_PRE")]), 600)
    assert e.powerdown == pytest.approx(500 * 18 * U, abs=1e-6) and e.powerup == 0.0
    e = compute_energy(ddr3, trace([(100, "PUP_PRE"), (200, "SREN"), (300, "PDN_F_PRE"), (400, "PUP_PRE")]), 500)
    # an entry counts when its exit follows (or nothing): ignored are the PUP without a PDN and
    # the SREN followed by a PDN; the PDN .. PUP stay is billed
    assert e.counts["LP_unmatched"] == 2
    assert e.counts["SREF"] == 0 and e.selfrefresh == 0.0 and e.counts["PDN"] == 1
    assert e.powerdown == pytest.approx(100 * 18 * U, abs=1e-6)


def test_two_rails_and_per_rank():
    spec = load_spec("LPDDR3-1600", ranks=2)
    tr = trace([(0, "PDN_F_PRE"), (1000, "PUP_PRE")])
    e = compute_energy(spec, tr, 1000)
    # rank 0: (1.8 V x 0.6 mA + 1.2 V x 0.87 mA) x 1.25 ns x 1000 cycles; rank 1: standby
    assert e.powerdown == pytest.approx(2655.0, abs=1e-9)
    assert e.background == pytest.approx((1.8 * 2 + 1.2 * 38) * 1.25 * 1000, abs=1e-9)
    res = residency(spec, tr, 1000)
    assert list(res.precharged) == [0, 1000]


MEMSPECS = {"DDR3": "drampower4_DDR3_4Gb_x8_1600K_dramsim3IDD.xml", "LPDDR3": "MICRON_4Gb_LPDDR3-1600_32bit_A.xml"}
FIGURES = DRAM / "peers2" / "figures.json"
CASES = sorted(json.loads(FIGURES.read_text())["lowpower_drampower4"]) if FIGURES.exists() else []


@pytest.mark.skipif(not CASES, reason="../shared not present")
@pytest.mark.parametrize("case", CASES)
def test_lowpower_traces_match_drampower4(case):
    """Every shared low-power trace: total within 0.5% of DRAMPower 4.1's corrected total, every
    component within 1%. DRAMPower counts the stretch from the last state change to END twice;
    the traces all end in precharged standby, so its PRE stby is compared less that double count."""
    fig = json.loads(FIGURES.read_text())["lowpower_drampower4"][case]
    family, name = case.split("_")[1], case[3:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # the LPDDR3 memspec's RC < RAS + RP
        spec = load_spec(DRAM / "configs" / MEMSPECS[family])
    commands, end = read_commands(DRAM / "lowpower" / f"{name}.trace", "drampower4", with_end=True)
    assert end == fig["end_cycle"]
    e = compute_energy(spec, commands, end)
    dev = spec.organization.devices_per_rank
    assert e.total / dev == pytest.approx(fig["total_corrected_pJ"], rel=0.005)
    theirs = dict(fig["energy_pJ_per_device"])
    theirs["PRE stby"] -= theirs["total"] - fig["total_corrected_pJ"]
    for dp_name in DRAMPOWER4_COMPONENTS:
        assert e.component(dp_name) / dev == pytest.approx(theirs[dp_name], rel=0.01, abs=1e-6), dp_name
    assert (e.powerdown > 0) == ("pdn" in name) and (e.selfrefresh > 0) == ("sref" in name)


def _brute_force(spec, c, end):
    """Counts and residency by walking the trace command by command and marking cycles (ranks: 1)."""
    t = spec.timing
    nb = spec.organization.banks
    open_at = [None] * nb
    busy = np.zeros(end, bool)
    counts = {"ACT": 0, "PRE": 0}
    lp_start = None
    lp_cycles = 0
    for cyc, code, bank in zip(c.cycle.tolist(), c.cmd.tolist(), (c.bankgroup * spec.organization.banks_per_group
                                                                  + c.bank).tolist()):
        name = tc.COMMANDS[code]
        if name == "ACT" and open_at[bank] is None:
            open_at[bank] = cyc
            counts["ACT"] += 1
        elif name in ("PRE", "PREA", "RDA", "WRA"):
            for b in (range(nb) if name == "PREA" else [bank]):
                if open_at[b] is not None:
                    close = cyc
                    if name in ("RDA", "WRA"):
                        delay = t.RTP if name == "RDA" else t.CWL + spec.burst_cycles + t.WR
                        close = max(cyc + delay, open_at[b] + t.RAS)
                    busy[open_at[b]:min(close, end)] = True
                    counts["PRE"] += close <= end
                    open_at[b] = None
        elif name == "REF":
            busy[cyc:cyc + t.RFC - t.RP] = True
        elif name == "PDN_F_PRE":
            lp_start = cyc
        elif name == "PUP_PRE":
            busy[lp_start:cyc] = True
            lp_cycles += cyc - lp_start
            lp_start = None
    for b in range(nb):
        if open_at[b] is not None:
            busy[open_at[b]:] = True
    if lp_start is not None:
        busy[lp_start:] = True
        lp_cycles += end - lp_start
    return counts, int(busy.sum()) - lp_cycles, end - int(busy.sum()), lp_cycles


@pytest.mark.parametrize("seed", range(12))
def test_vectorised_residency_equals_a_cycle_by_cycle_walk(seed):
    """Random command streams (ACT/PRE/PREA/RD/RDA/WRA/REF and precharge power-down, legal or
    not as to bank state): counts and standby/power-down cycles equal a plain walk's."""
    spec = load_spec("DDR3-1600K")
    rng = np.random.default_rng(seed)
    rows, cyc, in_pd = [], 0, False
    for _ in range(400):
        cyc += int(rng.integers(1, 40))
        if in_pd:
            if rng.random() < 0.3:
                rows.append((cyc, "PUP_PRE"))
                in_pd = False
            continue
        kind = rng.choice(["ACT", "PRE", "PREA", "RD", "RDA", "WRA", "REF", "PDN_F_PRE"],
                          p=[0.3, 0.2, 0.05, 0.2, 0.1, 0.05, 0.05, 0.05])
        if kind == "PDN_F_PRE":
            in_pd = True
        rows.append((cyc, str(kind), int(rng.integers(0, 8))))
    c = trace(rows)
    end = cyc + int(rng.integers(0, 300))
    res = residency(spec, c, end)
    counts, active, precharged, pd = _brute_force(spec, c, end)
    assert (res.counts["ACT"], res.counts["PRE"]) == (counts["ACT"], counts["PRE"])
    assert (int(res.active[0]), int(res.precharged[0]), res.lowpower_total("pd_pre_fast")) == (active, precharged, pd)
