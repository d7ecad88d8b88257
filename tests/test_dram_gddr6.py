"""GDDR6-14000 as data: organization (one 16-bit channel, 32-byte bursts in 2 CK), the table's
tRCDRD / tRCDWR and REFab rules, the checker's own GDDR6 values, the missing-current note, the CLI."""
import json

import numpy as np
import pytest

from dramsim.checker import check, limits
from dramsim.cli import main
from dramsim.energy import energy_note, rails_without_currents
from dramsim.mapping import AddressMapping
from dramsim.simulate import simulate
from dramsim.spec import load_spec, spec_from_dict, read_yaml, STANDARDS_DIR
from traces import RequestTrace
from traces.commands import ACT, RD, REF, REFPB, WR, CommandTrace

SPEC = load_spec("GDDR6-14000")


def _trace(rows):
    """Rows (cycle, cmd, bankgroup, bank, row) on channel 0, rank 0 -> CommandTrace."""
    a = np.array(rows, np.int64).reshape(-1, 5)
    n = len(a)
    return CommandTrace(cycle=a[:, 0], cmd=a[:, 1].astype(np.uint8), channel=np.zeros(n, np.int16),
                        rank=np.zeros(n, np.int16), bankgroup=a[:, 2].astype(np.int16),
                        bank=a[:, 3].astype(np.int16), row=a[:, 4].astype(np.int32),
                        column=np.where(a[:, 1] == ACT, -1, 16).astype(np.int32))


def test_organization_32_byte_bursts_in_two_clocks():
    org = SPEC.organization
    assert (org.burst_bytes, SPEC.burst_cycles, org.banks, org.row_bytes) == (32, 2, 16, 2048)
    assert org.capacity_bytes == 2**29              # one channel: half of the 8 Gb die
    # address bit 5 is a column bit: 0 and 32 are neighbouring bursts of one row
    d = AddressMapping(SPEC).decode(np.array([0, 32, 64], np.uint64))
    assert list(d["column"]) == [0, 16, 32] and len(set(d["row"])) == 1 and len(set(d["bank"])) == 1


def test_table_separates_act_to_read_and_to_write():
    rules = {(r.name, r.prev, r.next): r.latency for r in SPEC.table.rules}
    assert rules[("tRCDRD", ("ACT",), ("RD", "RDA"))] == 30
    assert rules[("tRCDWR", ("ACT",), ("WR", "WRA"))] == 20
    assert rules[("RD to WR", ("RD", "RDA"), ("WR", "WRA"))] == 25       # CL + 1
    assert rules[("tWR", ("WR",), ("PRE", "PREA"))] == 6 + 2 + 30         # CWL + BL + WR


def test_controller_waits_rcdwr_before_a_write_and_rcdrd_before_a_read():
    """One write and one read to two closed banks: each column command tRCDWR / tRCDRD after its ACT."""
    a = np.array([0, 2048 * 4], np.uint64)          # bank 0 and another bank of the channel
    c = simulate(SPEC, RequestTrace(a, np.array([True, False]))).commands
    act = {(int(g), int(b)): int(t) for t, k, g, b in zip(c.cycle, c.cmd, c.bankgroup, c.bank) if k == ACT}
    gap = {int(k): int(t) - act[(int(g), int(b))] for t, k, g, b in zip(c.cycle, c.cmd, c.bankgroup, c.bank)
           if k in (RD, WR)}
    assert gap == {WR: 20, RD: 30}


def test_checker_values_by_hand():
    """JESD250 leaves AC timings to the vendors: the checker holds tCCD_S 2 nCK, tCCD_L >= 3 nCK and
    tREFI <= 32 ms / 16k, takes the rest from the spec and derives the distances itself."""
    L = limits(SPEC)
    assert (L["nBL"], L["CCD_S"], L["CCD_L"], L["RCD"], L["RCD_WR"], L["PPD"]) == (2, 2, 4, 30, 20, 2)
    assert (L["RD2WR"], L["WR2PRE"], L["WR2RD_S"], L["WR2RD_L"]) == (24 + 2 + 2 - 6, 6 + 2 + 30, 6 + 2 + 9, 6 + 2 + 11)
    assert L["REFI"] == 3333
    raw = read_yaml(STANDARDS_DIR / "GDDR6-14000.yaml")
    raw["timing"].update(CCD_L=2, REFI=3600)        # looser than the public values
    L = limits(spec_from_dict(raw, "loose"))
    assert L["CCD_L"] == 3 and L["REFI"] == 3426    # floor(1953.125 ns / 0.57 ns)


@pytest.mark.parametrize("cmd, rule, need", [(RD, "tRCDRD", 30), (WR, "tRCDWR", 20)])
def test_checker_rcdrd_and_rcdwr(cmd, rule, need):
    ok = _trace([(0, ACT, 0, 0, 5), (need, cmd, 0, 0, 5)])
    assert check(ok, SPEC, refresh="none") == []
    v = check(_trace([(0, ACT, 0, 0, 5), (need - 1, cmd, 0, 0, 5)]), SPEC, refresh="none")
    assert [(x.rule, x.required, x.actual) for x in v] == [(rule, need, need - 1)]


def test_no_public_currents_named_and_energy_zero():
    assert rails_without_currents(SPEC) == ("VDD", "VDDQ", "VPP")
    assert energy_note(SPEC) == ("energy not modelled: no public currents for VDD, VDDQ, VPP (GDDR6-14000); "
                                 "energy is 0")
    assert [r.voltage_v for r in SPEC.rails] == [1.25, 1.25, 1.8]


def test_cli_show_replay_and_check(tmp_path, capsys):
    trace = tmp_path / "t.trace"
    trace.write_text("".join(f"{'ST' if i % 5 == 0 else 'LD'} 0x{i * 32 * 37:x}\n" for i in range(300)))
    assert main(["show", "GDDR6-14000"]) == 0
    shown = capsys.readouterr().out
    assert "RCD_WR" in shown and "RREFD" in shown and "energy not modelled" in shown
    out, cmds = tmp_path / "s.json", tmp_path / "c.csv"
    assert main(["replay", str(trace), "--standard", "GDDR6-14000", "--json", str(out),
                 "--cmd-trace", str(cmds)]) == 0
    assert "energy not modelled" in capsys.readouterr().out
    stats = json.loads(out.read_text())
    assert stats["requests"] == 300 and stats["energy_pj"]["total"] == 0
    assert "no public currents" in stats["energy_note"]
    assert main(["check", str(cmds), "--standard", "GDDR6-14000"]) == 0


def test_per_bank_refresh_option_runs_and_passes_the_checker():
    """The table's REFpb rules (tRFCpb, tRREFD) in use: a copy of the spec with RFCpb and REFIpb
    (tREFI / 16 banks) refreshes per bank and the checker finds nothing."""
    spec = _per_bank_copy()
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2**29 // 32, 3000).astype(np.uint64) * np.uint64(32)
    res = simulate(spec, RequestTrace(a, rng.random(3000) < 0.3), refresh="per-bank")
    assert res.stats["commands"]["REFpb"] >= res.stats["cycles"] // 208 - 16
    assert res.stats["commands"]["REF"] == 0
    assert check(res.commands, spec, refresh="per-bank", end_cycle=res.stats["cycles"]) == []


def _per_bank_copy():
    raw = read_yaml(STANDARDS_DIR / "GDDR6-14000.yaml")
    raw["timing"].update(RFCpb=106, REFIpb=208)
    return spec_from_dict(raw, "per-bank copy")


@pytest.mark.parametrize("cmd, bank, gap, rule", [(REFPB, 1, 22, "tRREFD"), (ACT, 1, 22, "tRREFD"),
                                                  (ACT, 0, 106, "tRFCpb"), (REF, -1, 106, "tRFCpb")])
def test_checker_rrefd_to_another_bank_rfcpb_to_the_same(cmd, bank, gap, rule):
    """GDDR6 per-bank refresh: another bank's REFpb or ACT waits tRREFD (22) after a REFpb, the
    refreshed bank's ACT and an all-bank REF tRFCpb (106); one cycle less is that rule's violation."""
    spec = _per_bank_copy()
    row = 3 if cmd == ACT else -1
    for t, ok in ((gap, True), (gap - 1, False)):
        v = check(_trace([(0, REFPB, 0, 0, -1), (t, cmd, min(bank, 0), bank, row)]), spec, refresh="none")
        assert (v == []) if ok else [(x.rule, x.required, x.actual) for x in v] == [(rule, gap, gap - 1)], v
