r"""DRAM energy from a command trace: the DRAMPower 4 equations, vectorised.

Every term is *voltage x current difference x time*, evaluated per supply rail of one device and
multiplied by the devices of a rank (``organization.devices_per_rank``). With ``V`` a rail's
voltage (V), ``I`` its IDD currents (mA, :class:`dramsim.spec.Rail`), ``tCK`` the clock period
(ns) and timing parameters in cycles, each term is in mA x V x ns = pJ:

=============  ===========================================================================
term           energy per device and rail (DRAMPower 4.1, ``MemoryPowerModel::power_calc``)
=============  ===========================================================================
ACT            n_ACT  x V x (IDD0 - IDD3N) x tRAS x tCK
PRE            n_PRE  x V x (IDD0 - IDD2N) x (tRC - tRAS) x tCK
RD             n_RD   x V x (IDD4R - IDD3N) x nBL x tCK        (nBL = burst_length / 2; LPDDR5 BL_min)
WR             n_WR   x V x (IDD4W - IDD3N) x nBL x tCK
REF            n_REF  x V x (IDD5 - IDD3N) x tRFC x tCK
REFpb          n_REFpb x V x (IDD5PB - IDD3N) x tRFCpb x tCK;  without IDD5PB: REF / banks
REFsb          n_REFsb x REF / (2 x banks per group)  (DDR5 same-bank refresh, see below)
background     V x (IDD3N x active_cycles + IDD2N x precharged_cycles) x tCK
=============  ===========================================================================

Counting follows DRAMPower 4's command analysis:

* ``n_ACT`` counts ACTs to a closed bank; ``n_PRE`` counts precharges that close an open bank: a
  PRE to an open bank, each open bank closed by a PREA, and the implicit precharge of every
  RDA/WRA (at ``max(t(RD) + RTP, t(ACT) + RAS)``, resp. ``max(t(WR) + CWL + nBL + WR,
  t(ACT) + RAS)``). A PRE to a closed bank costs nothing. RDA/WRA count as RD/WR. An RDA/WRA
  closes its bank for the commands that follow it (a PRE before its implicit precharge is a
  no-op), the bank's open interval ending at the implicit precharge.
* Residency, per rank: a cycle is *active* when at least one bank of the rank is open, otherwise
  *precharged*. An all-bank REF counts as active for ``tRFC - tRP`` cycles from its issue and
  precharged afterwards (DRAMPower treats it as an ACT followed by a PRE ``tRP`` before its end);
  a REFpb likewise for ``tRFCpb - tRP``, a REFsb for ``tRFCsb - tRP``. Banks still open at the end stay active until
  ``cycles``. Precharged cycles = ``cycles`` - active cycles, so every rank of every channel
  contributes background energy for the whole run, used or not.

DDR5 same-bank refresh (REFsb: one bank of every bank group, in fine-granularity mode): no public
data sheet gives its current, and DRAMPower 4 has no such command. A REFsb is billed the energy of
the rows it refreshes at REFab's energy per row: it refreshes 1 / (banks per group) of the banks
with a fine-granularity refresh's rows (half of a normal REFab's, tREFI2 = tREFI / 2), so
REF / (2 x banks per group); over a run this bills the same refresh energy per unit time as
all-bank refresh. It is a model, not a measured current.

Power-down and self-refresh (DRAMPower 4.1, ``CommandAnalysis::handlePdn*/handlePup*/handleSR*``
and ``MemoryPowerModel::engy_sref``), per rank; a low-power state is named by its entry command,
as DRAMPower does, whatever the banks' states:

=============  ===========================================================================
term           energy per device and rail
=============  ===========================================================================
PD act fast    V x IDD3P1 x c(PDN_F_ACT .. PUP) x tCK
PD act slow    V x IDD3P0 x c(PDN_S_ACT .. PUP) x tCK
PD pre fast    V x IDD2P1 x c(PDN_F_PRE .. PUP) x tCK
PD pre slow    V x IDD2P0 x c(PDN_S_PRE .. PUP) x tCK
SREF           V x [IDD6 x max(0, d - tRFC) + (IDD5 - IDD3N) x tRFC] x tCK
SREF ref       V x [IDD3P0 x a + IDD2P0 x p + IDD3N x a' + IDD2N x p'] x tCK
=============  ===========================================================================

with ``c(X .. Y)`` the cycles from an entry to its exit (or to the end of the run; IDD2P0/1 and
IDD3P0/1 fall back to IDD2P/IDD3P; an entry counts when the rank's next low-power command is its
exit, or when there is none; other entries and unpaired exits are ignored and counted in
``LP_unmatched``), ``d`` the cycles from SREN to SREX, and the refresh that
the device performs on entering self-refresh split as DRAMPower splits it: its ``tRFC - tRP``
"active" cycles ``a = min(d, tRFC - tRP)`` and its ``tRP`` "precharged" cycles
``p = min(max(d - (tRFC - tRP), 0), tRP)`` inside self-refresh, and when SREX comes before the
refresh is done (``d < tRFC``) the rest after it, ``a' = tRFC - tRP - a`` and ``p' = tRP - p``,
so every self-refresh is billed one full refresh. ``powerdown`` is the sum of the four PD
terms, ``selfrefresh`` of SREF and SREF ref.

Residency with low-power states: precharged-standby billing stops at an entry and resumes at
the exit (after a self-refresh, at ``max(SREX, SREN + tRFC)``); active-standby cycles are the
rank's active cycles outside low-power states. The power-up transitions are billed at standby
current, as DRAMPower 4.1 bills them (its "PUP" and "SREF PUP" energies are part of its
standby energies, not added to the total): after PUP the rank is in standby for ``tXP`` (slow
exit with a DLL: DRAMPower counts ``tXPDLL - tRCD``), after SREX for ``tXS`` (with a DLL:
``tXSDLL - tRCD``) less the refresh remainder ``a' + p'``. :attr:`EnergyBreakdown.powerup`
reports that energy, ``V x (IDD3N x n_PUP_ACT + IDD2N x n_PUP_PRE) x t_pup x tCK + V x IDD2N
x sum(t_spup) x tCK``; it is included in ``background``, never added to ``total``.

Everything is computed with whole-array NumPy operations (a stable sort of the bank events by
bank, and a running maximum for the union of a rank's busy intervals), so the module needs no
JIT compiler and ``dramsim energy`` starts without Numba.

DRAMPower 4.1 counts the stretch from the last state change to the trace's END twice (it adds
its own step at END - 1 and then handles END); the energies here count it once, which is
DRAMPower's ``total`` less that double count (``total_corrected_pJ`` in
``shared/reference/dram/peers2/figures.json``).

Every rail of the spec is summed (VDD; VDD and VPP for DDR4; VDD1, VDD2, VDDQ for LPDDR3/LPDDR4;
VDD, VPP, VDDQ for DDR5, of which the built-in DDR5-4800 has public currents for VDD only; VDD1,
VDD2H, VDD2L, VDDQ for LPDDR5, of which LPDDR5-6400 has public currents for VDD2H only); a rail
without a current contributes 0 for it (:func:`rails_without_currents` names them).

DDR5 (:data:`BANKWISE`) uses DRAMPower 5's bank-wise decomposition instead of the ACT, PRE and
active-standby terms above (its DDR5 currents have IDD3N, all banks open, above IDD0, one bank
cycling, so ``IDD0 - IDD3N`` would be negative). With ``B`` banks, ``rho`` = :data:`RHO` (DRAMPower
5's default bank-wise factor), ``I_rho = IDD2N + rho (IDD3N - IDD2N)`` the current of a rank with
some bank open and ``I_1 = (IDD3N + (B - 1) I_rho) / B`` the current with one bank open:

=============  ===========================================================================
ACT            n_ACT x V x (IDD0 - I_1) x tRAS x tCK       (DRAMPower 5's I_theta with IBeta = IDD0)
PRE            n_PRE x V x (IDD0 - IDD2N) x tRP x tCK
background     V x (I_rho x active_cycles + (I_1 - I_rho) x bank_active_cycles
               + IDD2N x precharged_cycles) x tCK
=============  ===========================================================================

where ``bank_active_cycles`` is the sum over banks of their open cycles (:attr:`Residency.bank_active`).
RD, WR and REF are as above (BL16 / double data rate = nBL). Unlike DRAMPower 4, which evaluates one rank and
multiplies only the background by the number of ranks, the residency here is computed per rank.

Optional I/O and termination energy (``io=True``; off by default), after DRAMPower 4's DDR3
figures from the Micron power calculator: a read drives ``dq + dq/8`` pins (DQ, DQS) at
``IO_READ_MW`` per pin, a write terminates ``dq + dq/4`` pins (DQ, DQS, DM) at ``ODT_WRITE_MW``,
each for ``burst_length`` beats of ``tCK / 2`` (LPDDR5, WCK:CK 4:1: ``tCK / 8``); per device.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field

import numpy as np

if TYPE_CHECKING:  # pandas is imported where it is used (keeps replay's memory low)
    import pandas as pd

from dramsim.errors import InputError
from dramsim.spec import Spec
from traces.commands import (ACT, COMMANDS, PDN_F_ACT, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PRE, PREA,
                             PUP_ACT, PUP_PRE, RANK_COMMANDS, RD, RDA, REF, REFPB, REFSB, SREN, SREX, WR, WRA,
                             CommandTrace)

#: Read I/O power per DQ/DQS pin (mW) and write ODT power per DQ/DQS/DM pin (mW): DRAMPower 4's
#: DDR3 defaults (Micron DDR3 power calculator).
IO_READ_MW = 4.6
ODT_WRITE_MW = 21.2

#: The rail whose voltage is reported and scaled, per family (see :mod:`dramsim.voltage`).
#: HBM2 (JESD235): VDD 1.2 V core (VPP 2.5 V, VDDQ 1.2 V I/O); GDDR6: VDD (VDDQ, VPP I/O and pump);
#: LPDDR5: VDD2H (core and periphery, 1.05 V). HBM3 (JESD238): VDD 1.1 V core (VDDQ 0.4 V I/O, VPP 1.8 V).
CORE_RAIL = {"DDR3": "VDD", "DDR4": "VDD", "DDR5": "VDD", "GDDR6": "VDD", "HBM2": "VDD", "HBM3": "VDD", "LPDDR3": "VDD2",
             "LPDDR4": "VDD2", "LPDDR5": "VDD2H"}
#: Families billed with DRAMPower 5's bank-wise ACT / PRE / background terms (module docstring).
BANKWISE = ("DDR5",)
#: DRAMPower 5's default bank-wise power factor rho (share of IDD3N - IDD2N drawn once any bank is open).
RHO = 0.5

PARTS = ("act", "pre", "rd", "wr", "ref", "background", "powerdown", "selfrefresh", "io")

#: Columns of the low-power residency (cycles per rank, :attr:`Residency.lowpower`).
LOW_POWER_CYCLES = ("pd_act_fast", "pd_act_slow", "pd_pre_fast", "pd_pre_slow", "sref_idd6",
                    "sref_ref_act", "sref_ref_pre", "spup_ref_act", "spup_ref_pre",
                    "pup_act", "pup_pre", "spup")
#: DRAMPower 4's background components, in :attr:`EnergyBreakdown.detail` (pJ): standby,
#: power-down, self-refresh (``sref``: IDD6 and the refresh current; ``sref_ref_act/pre``: the
#: refresh's background inside self-refresh; ``spup_ref``: after SREX) and the power-up parts of
#: the standby (``pup_act``, ``pup_pre``, ``sref_pup``: inside ``act/pre_standby``).
DETAIL = ("act_standby", "pre_standby", "pd_act_fast", "pd_act_slow", "pd_pre_fast", "pd_pre_slow",
          "sref", "sref_ref_act", "sref_ref_pre", "spup_ref", "pup_act", "pup_pre", "sref_pup")
#: DRAMPower 4.1's printed components -> ours (an :class:`EnergyBreakdown` attribute for the
#: command terms, a :attr:`EnergyBreakdown.detail` key for the others).
DRAMPOWER4_COMPONENTS = {"ACT": "act", "PRE": "pre", "RD": "rd", "WR": "wr", "REF": "ref",
                         "ACT stby": "act_standby", "PRE stby": "pre_standby", "PD act F": "pd_act_fast",
                         "PD act S": "pd_act_slow", "PD pre F": "pd_pre_fast", "PD pre S": "pd_pre_slow",
                         "SREF": "sref", "SREF ref act": "sref_ref_act", "SREF ref pre": "sref_ref_pre",
                         "PUP act": "pup_act", "PUP pre": "pup_pre", "SREF PUP": "sref_pup"}
#: Names of the effective counts of :func:`analyse`.
COUNT_NAMES = ("ACT", "PRE", "RD", "WR", "REF", "REFpb", "ACT_ignored", "PRE_noop",
               "PDN", "SREF", "LP_unmatched", "REFsb")


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy of a run in pJ, summed over channels, ranks, devices and rails.

    ``ref`` includes per-bank refresh; ``background`` is active plus precharged standby;
    ``powerdown`` and ``selfrefresh`` are the low-power terms; ``io`` is 0 unless requested.
    ``vdd`` is the voltage (V) of the core rail, ``per_rail`` the total per rail (pJ),
    ``counts`` the effective command counts and ``active_cycles`` / ``precharged_cycles`` the
    standby residency summed over ranks. ``powerup`` is the part of ``background`` spent in
    power-up transitions (not added to ``total``); ``detail`` splits background, powerdown and
    selfrefresh into DRAMPower 4's components (pJ).
    """

    total: float
    act: float
    pre: float
    rd: float
    wr: float
    ref: float
    background: float
    io: float
    vdd: float
    cycles: int
    powerdown: float = 0.0
    selfrefresh: float = 0.0
    powerup: float = 0.0
    per_rail: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    active_cycles: int = 0
    precharged_cycles: int = 0
    detail: dict = field(default_factory=dict)

    def component(self, name: str) -> float:
        """One of DRAMPower 4.1's components (:data:`DRAMPOWER4_COMPONENTS` key), in pJ."""
        ours = DRAMPOWER4_COMPONENTS[name]
        return getattr(self, ours) if ours in PARTS else self.detail[ours]

    def to_dict(self) -> dict:
        """The ``energy_pj`` JSON object (``vdd`` in V)."""
        return {"total": self.total, "act": self.act, "pre": self.pre, "rd": self.rd,
                "wr": self.wr, "ref": self.ref, "background": self.background,
                "powerdown": self.powerdown, "selfrefresh": self.selfrefresh, "io": self.io,
                "powerup_in_background": self.powerup, "vdd": self.vdd, "per_rail": dict(self.per_rail),
                "detail": dict(self.detail)}


def core_rail(spec: Spec, name: str | None = None) -> str:
    """Name of the core rail of ``spec`` (``name`` if given; VDD2 for LPDDR3/4, VDD2H for LPDDR5, else VDD).

    Falls back to the first rail when the family's core rail is absent (e.g. a one-rail import).
    """
    names = [r.name for r in spec.rails]
    wanted = name or CORE_RAIL.get(spec.standard, "VDD")
    if wanted in names:
        return wanted
    if name is not None:
        raise InputError(f"{spec.path or spec.name}: no rail {name!r}; rails are {', '.join(names)}")
    return names[0]


def _previous_in_group(group: np.ndarray) -> np.ndarray:
    """For a sequence sorted by group: whether each element has a predecessor in its group."""
    has = np.zeros(len(group), bool)
    has[1:] = group[1:] == group[:-1]
    return has


def _distinct(values: np.ndarray) -> int:
    """How many different values (``len(np.unique(values))``, without the import of ``numpy.ma`` it costs)."""
    values = np.sort(values)
    return int(np.count_nonzero(values[1:] != values[:-1])) + int(len(values) > 0)


def _bank_intervals(cycle, cmd, rank_id, bank_id, nbanks, end, ras, rtp, wr_delay):
    """Per bank, the open intervals [ACT, close) and the effective counts, vectorised.

    A bank's events are its ACTs (open) and closes: PRE, each bank of a PREA, and the implicit
    precharge of an RDA/WRA, which closes the bank for the commands after it and ends its open
    interval at ``max(t + RTP, t(ACT) + RAS)`` (WRA: ``t + CWL + nBL + WR``). After an event the
    bank is open exactly when it was an ACT, so an ACT counts when the bank was closed, a close
    when it was open. Returns ``(act_index, close_cycle, counts)``: the trace index of every
    counted ACT (sorted), the end of its interval, and ACT, PRE, ACT_ignored, PRE_noop.
    """
    events_per_code = np.zeros(len(COMMANDS), np.int64)
    events_per_code[[ACT, PRE, RDA, WRA]] = 1
    events_per_code[PREA] = nbanks
    src = np.flatnonzero(events_per_code[cmd])              # (lookup tables: no np.isin pass)
    n_prea = int(np.count_nonzero(cmd[src] == PREA))
    if n_prea:                                              # a PREA is one close per bank
        src = np.repeat(src, events_per_code[cmd[src]])     # events in trace (time) order
    if len(src) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), (0, 0, 0, 0)
    ev_cmd = cmd[src]
    key = np.int16 if len(rank_id) == 0 or (int(rank_id.max()) + 1) * nbanks < 2**15 else np.int32
    bank = rank_id[src].astype(key)
    bank *= nbanks
    local = bank_id[src].astype(key)
    if n_prea:                                              # the banks of each PREA, 0 .. nbanks-1
        prea = np.flatnonzero(ev_cmd == PREA)
        local[prea] = np.arange(len(prea)) % nbanks
    bank += local
    del local
    # by bank, time order kept (16-bit keys sort by radix)
    order = np.argsort(bank, kind="stable")
    src, ev_cmd, bank = src[order].astype(np.int32 if len(cmd) < 2**31 else np.int64), ev_cmd[order], bank[order]
    del order
    is_act = ev_cmd == ACT
    same = _previous_in_group(bank)
    was_open = np.zeros(len(src), bool)
    was_open[1:] = is_act[:-1]
    was_open &= same
    counted = np.where(is_act, ~was_open, was_open)
    del same, was_open
    acts = np.flatnonzero(counted & is_act)
    closes = np.flatnonzero(counted & ~is_act)
    # a close's cycle: its command's, except an implicit precharge, which waits for RTP / write
    # recovery and tRAS after the ACT that opened the bank (the counted ACT just before it)
    close_t = cycle[src[closes]]
    auto = np.flatnonzero((ev_cmd[closes] == RDA) | (ev_cmd[closes] == WRA))
    if len(auto):
        opener = acts[np.searchsorted(acts, closes[auto]) - 1]
        delay = np.where(ev_cmd[closes[auto]] == RDA, rtp, wr_delay)
        close_t[auto] = np.maximum(close_t[auto] + delay, cycle[src[opener]] + ras)
    # a counted ACT's interval ends at the next counted close, if that is its bank's, or the end
    nxt = np.searchsorted(closes, acts)
    has = nxt < len(closes)
    has[has] = bank[closes[nxt[has]]] == bank[acts[has]]
    stop = np.full(len(acts), end, np.int64)
    stop[has] = close_t[nxt[has]]
    n_pre = int(np.count_nonzero(close_t <= end))
    noop_pre = int(np.count_nonzero(ev_cmd == PRE)) - int(np.count_nonzero(ev_cmd[closes] == PRE))
    noop_prea = n_prea - _distinct(src[closes[ev_cmd[closes] == PREA]]) if n_prea else 0
    act_index = src[acts].astype(np.int64)
    order = np.argsort(act_index, kind="stable")
    counts = (len(act_index), n_pre, int(np.count_nonzero(is_act)) - len(act_index), noop_pre + noop_prea)
    return act_index[order], np.minimum(stop[order], end), counts


def _low_power_stays(cycle, cmd, rank_id, nranks, end, rfc, rp, t_pup, t_pup_slow, t_spup):
    """The low-power stays of every rank: ``(index, stop, lp, counts)``.

    An entry takes effect when the rank's next low-power command is its exit (PUP_* after PDN_*,
    SREX after SREN) or when it has none (the stay lasts to the end); any other entry, and an exit
    not preceded by its entry, is ignored (counted in ``LP_unmatched``). ``index``: trace index of
    each effective entry (sorted); ``stop``: the end of the stretch it takes out of standby (after
    a self-refresh shorter than tRFC, the end of the refresh it began); ``lp``: cycles per rank and
    :data:`LOW_POWER_CYCLES` column; counts: PDN, SREF, LP_unmatched.
    """
    lp = np.zeros((nranks, len(LOW_POWER_CYCLES)), np.int64)
    idx = np.flatnonzero(cmd >= PDN_F_PRE)
    if len(idx) == 0:
        return idx, idx, lp, (0, 0, 0)
    idx = idx[np.argsort(rank_id[idx], kind="stable")]
    c, r, t = cmd[idx], rank_id[idx].astype(np.int64), cycle[idx]
    is_exit = (c == PUP_PRE) | (c == PUP_ACT) | (c == SREX)
    has_next = np.zeros(len(idx), bool)
    has_next[:-1] = r[1:] == r[:-1]
    nc = np.where(has_next, np.roll(c, -1), -1)
    matched = ~is_exit & np.where(c == SREN, nc == SREX, (nc == PUP_PRE) | (nc == PUP_ACT))
    effective = ~is_exit & (matched | ~has_next)
    exits_used = np.zeros(len(idx), bool)
    exits_used[1:] = matched[:-1]
    unmatched = int(np.count_nonzero(~is_exit & ~effective) + np.count_nonzero(is_exit & ~exits_used))
    e = np.flatnonzero(effective)
    kind, rk, start = c[e], r[e], t[e]
    exited = matched[e]
    leave = np.minimum(np.where(exited, t[np.minimum(e + 1, len(idx) - 1)], end), end)
    d = np.maximum(leave - start, 0)
    sref = kind == SREN
    columns = {name: np.zeros(len(e), np.int64) for name in LOW_POWER_CYCLES}
    for name, entry in (("pd_act_fast", PDN_F_ACT), ("pd_act_slow", PDN_S_ACT),
                        ("pd_pre_fast", PDN_F_PRE), ("pd_pre_slow", PDN_S_PRE)):
        columns[name] = np.where(kind == entry, d, 0)
    slow = (kind == PDN_S_ACT) | (kind == PDN_S_PRE)
    pup = np.where(exited & ~sref, np.where(slow, t_pup_slow, t_pup), 0)
    columns["pup_act"] = np.where((kind == PDN_F_ACT) | (kind == PDN_S_ACT), pup, 0)
    columns["pup_pre"] = np.where((kind == PDN_F_PRE) | (kind == PDN_S_PRE), pup, 0)
    # self-refresh: the refresh it begins, split as DRAMPower splits it (module docstring)
    ref_act = rfc - rp
    a = np.minimum(d, ref_act)
    p = np.clip(d - ref_act, 0, rp)
    after = np.maximum(end - leave, 0)
    a2 = np.where(exited, np.minimum(ref_act - a, after), 0)
    p2 = np.where(exited, np.minimum(rp - p, np.maximum(after - a2, 0)), 0)
    columns["sref_idd6"] = np.where(sref, np.maximum(d - rfc, 0), 0)
    columns["sref_ref_act"] = np.where(sref, a, 0)
    columns["sref_ref_pre"] = np.where(sref, p, 0)
    columns["spup_ref_act"] = np.where(sref, a2, 0)
    columns["spup_ref_pre"] = np.where(sref, p2, 0)
    columns["spup"] = np.where(sref & exited, np.maximum(t_spup - (ref_act - a) - (rp - p), 0), 0)
    for j, name in enumerate(LOW_POWER_CYCLES):
        lp[:, j] = np.bincount(rk, weights=columns[name], minlength=nranks).astype(np.int64)
    stop = np.where(sref, leave + columns["spup_ref_act"] + columns["spup_ref_pre"], leave)
    order = np.argsort(idx[e], kind="stable")
    counts = (int(np.count_nonzero(~sref)), int(np.count_nonzero(sref)), unmatched)
    return idx[e][order], stop[order], lp, counts


def _union_per_rank(start, stop, rank, nranks, end):
    """Measure of the union of intervals [start, stop) per rank, clipped to [0, end).

    ``start`` must be non-decreasing within each rank (the intervals come in trace order).
    """
    s = np.clip(start, 0, end)
    e = np.clip(stop, 0, end)
    if nranks > 1:
        order = np.argsort(rank, kind="stable")
        s, e, rank = s[order], e[order], rank[order]
        shift = rank.astype(np.int64) * (end + 1)           # keeps the ranks apart
        s, e = s + shift, e + shift
    reach = np.maximum.accumulate(e) if len(e) else e
    before = np.empty_like(reach)
    if len(reach):
        before[0] = s[0]
        before[1:] = reach[:-1]
    covered = np.maximum(e - np.maximum(s, before), 0)
    return np.bincount(rank.astype(np.int64), weights=covered, minlength=nranks).astype(np.int64)


@dataclass(frozen=True)
class Residency:
    """Where each rank spent the run (cycles, arrays of shape ``(channels * ranks,)``).

    ``active`` and ``precharged`` are standby cycles (outside low-power states); ``lowpower``
    has one column per :data:`LOW_POWER_CYCLES` name (``pup_act``, ``pup_pre`` and ``spup`` are
    power-up cycles inside the standby ones); ``bank_active`` the open cycles of the rank's banks
    summed (the bank-wise model's per-bank term); ``counts`` as :func:`analyse`.
    """

    counts: dict
    active: np.ndarray
    precharged: np.ndarray
    lowpower: np.ndarray
    bank_active: np.ndarray | None = None   # per rank, the banks' open cycles summed (bank-wise model)

    def lowpower_total(self, name: str) -> int:
        """Low-power cycles of one :data:`LOW_POWER_CYCLES` kind, summed over ranks."""
        return int(self.lowpower[:, LOW_POWER_CYCLES.index(name)].sum())


def residency(spec: Spec, commands: CommandTrace, cycles: int) -> Residency:
    """Effective command counts and the standby and low-power residency of every rank.

    Ranks are channel-major (``channel * ranks + rank``). See :func:`analyse` for the counts.
    """
    org, tm = spec.organization, spec.timing
    cycles = int(cycles)
    if cycles < 0:
        raise InputError(f"cycles is {cycles}; expected a non-negative integer")
    nranks = org.channels * org.ranks
    if len(commands):
        if np.any(commands.cycle[1:] < commands.cycle[:-1]):
            raise InputError("command trace: cycles must be non-decreasing")
        if commands.channel.max() >= org.channels or commands.rank.max() >= org.ranks \
                or commands.channel.min() < 0 or commands.rank.min() < 0:
            raise InputError("command trace: channel or rank outside the spec's organization")
        if commands.cmd.max() >= len(COMMANDS):
            raise InputError("command trace: unknown command code")
    # small ids and in-place updates: a long trace's temporaries stay small (peak memory)
    ids = np.int16 if max(nranks, org.banks) < 2**15 else np.int32
    rank_id = commands.channel.astype(ids)
    rank_id *= org.ranks
    rank_id += commands.rank
    bank_id = commands.bankgroup.astype(ids)
    bank_id *= org.banks_per_group
    bank_id += commands.bank
    is_rank_command = np.zeros(len(COMMANDS), bool)
    is_rank_command[list(RANK_COMMANDS)] = True
    is_rank_command[REFSB] = True           # opens no bank: no bank interval (its set is one bank per group)
    wide = is_rank_command[commands.cmd]
    if np.any(~wide & ((bank_id < 0) | (bank_id >= org.banks))):
        raise InputError("command trace: bank outside the spec's organization")
    bank_id[wide] = -1
    del wide
    nbl = spec.burst_cycles
    # power-up cycles as DRAMPower 4.1 counts them (with a DLL a slow exit / SREX: less tRCD)
    dll_rcd = tm.RCD if spec.has_dll else 0
    t_pup_slow = tm.XPDLL - dll_rcd if spec.has_dll else tm.XP
    t_spup = tm.XSDLL - dll_rcd if spec.has_dll else tm.XS
    act_index, act_stop, bank_counts = _bank_intervals(commands.cycle, commands.cmd, rank_id, bank_id, org.banks,
                                                       cycles, tm.RAS, tm.RTP, tm.CWL + nbl + tm.WR)
    lp_index, lp_stop, lp, lp_counts = _low_power_stays(commands.cycle, commands.cmd, rank_id, nranks, cycles,
                                                        tm.RFC, tm.RP, tm.XP, t_pup_slow, t_spup)
    # every rank's time out of precharged standby: open banks, refreshes, low-power stays
    refs = np.flatnonzero((commands.cmd == REF) | (commands.cmd == REFPB) | (commands.cmd == REFSB))
    ref_stop = commands.cycle[refs] + np.where(commands.cmd[refs] == REF, max(tm.RFC - tm.RP, 0),
                                               np.where(commands.cmd[refs] == REFSB, max(tm.RFCsb - tm.RP, 0),
                                                        max(tm.RFCpb - tm.RP, 0)))
    index = np.concatenate((act_index, refs, lp_index))
    stop = np.concatenate((act_stop, ref_stop, lp_stop))
    order = np.argsort(index, kind="stable")                 # trace order: starts non-decreasing
    index, stop = index[order], stop[order]
    busy = _union_per_rank(commands.cycle[index], stop, rank_id[index], nranks, cycles)
    in_states = lp[:, :9].sum(axis=1)
    n = list(commands.counts().values())                     # per code, counted in slices
    values = (*bank_counts[:2], n[RD] + n[RDA], n[WR] + n[WRA], n[REF], n[REFPB], *bank_counts[2:], *lp_counts,
              n[REFSB])
    counts = {name: int(v) for name, v in zip(COUNT_NAMES, values)}
    opened = np.clip(act_stop - commands.cycle[act_index], 0, None)
    bank_active = np.bincount(rank_id[act_index].astype(np.int64), weights=opened, minlength=nranks).astype(np.int64)
    return Residency(counts=counts, active=busy - in_states, precharged=cycles - busy, lowpower=lp,
                     bank_active=bank_active)


def analyse(spec: Spec, commands: CommandTrace, cycles: int) -> tuple[dict, np.ndarray]:
    """Effective command counts and active-standby cycles per rank (channel-major) of a trace.

    Returns
    -------
    counts : dict
        ``ACT``, ``PRE`` (precharges that closed an open bank, implicit ones included), ``RD``,
        ``WR`` (auto-precharge variants included), ``REF``, ``REFpb``, ``ACT_ignored`` (ACT to
        an open bank), ``PRE_noop`` (PRE to a closed bank), ``PDN`` (power-down entries),
        ``SREF`` (self-refresh entries), ``LP_unmatched`` (an exit without its entry, or an
        entry while already in a low-power state: ignored).
    active : ndarray of int64
        Active-standby cycles per rank, shape ``(channels * ranks,)``.
    """
    res = residency(spec, commands, cycles)
    return res.counts, res.active


#: Per-cycle powers of :func:`command_energies_pj` (pJ per cycle, rank) and the current of each.
_CYCLE_CURRENTS = {"bg_active": "IDD3N", "bg_precharged": "IDD2N", "pd_act_fast": "IDD3P1",
                   "pd_act_slow": "IDD3P0", "pd_pre_fast": "IDD2P1", "pd_pre_slow": "IDD2P0",
                   "sref_idd6": "IDD6"}


def command_energies_pj(spec: Spec) -> dict[str, dict[str, float]]:
    """Energy of one command of each kind, per rank (all devices), per rail, in pJ.

    Keys of the outer dict: ``act``, ``pre``, ``rd``, ``wr``, ``ref``, ``refpb``; the power per
    cycle (pJ per cycle) of the background states ``bg_active`` (IDD3N), ``bg_precharged``
    (IDD2N), ``pd_act_fast`` (IDD3P1), ``pd_act_slow`` (IDD3P0), ``pd_pre_fast`` (IDD2P1),
    ``pd_pre_slow`` (IDD2P0), ``sref_idd6`` (IDD6); and ``sref_refresh``, the refresh current
    above active standby (IDD5 - IDD3N) per cycle of the refresh a self-refresh performs;
    ``bg_bank_active``, per cycle of each open bank above the rank's active standby (bank-wise
    model, :data:`BANKWISE`; 0 otherwise), where ``bg_active`` is then I_rho's.
    """
    tm, org = spec.timing, spec.organization
    tck, nbl, dev = tm.tck_ns, spec.burst_cycles, org.devices_per_rank
    out = {k: {} for k in ("act", "pre", "rd", "wr", "ref", "refpb", "refsb", "sref_refresh", "bg_bank_active",
                           *_CYCLE_CURRENTS)}
    for rail in spec.rails:
        v, i = rail.voltage_v, rail.current
        e = lambda di, n: v * di * n * tck * dev  # noqa: E731  mA x V x ns = pJ
        out["act"][rail.name] = e(i("IDD0") - i("IDD3N"), tm.RAS)
        out["pre"][rail.name] = e(i("IDD0") - i("IDD2N"), tm.rc_energy - tm.RAS)
        out["rd"][rail.name] = e(i("IDD4R") - i("IDD3N"), nbl)
        out["wr"][rail.name] = e(i("IDD4W") - i("IDD3N"), nbl)
        out["ref"][rail.name] = e(i("IDD5") - i("IDD3N"), tm.RFC)
        if "IDD5PB" in rail.currents_ma:
            out["refpb"][rail.name] = e(i("IDD5PB") - i("IDD3N"), tm.RFCpb)
        else:
            out["refpb"][rail.name] = out["ref"][rail.name] / org.banks
        out["refsb"][rail.name] = out["ref"][rail.name] / (2 * org.banks_per_group)   # see the module doc
        out["sref_refresh"][rail.name] = e(i("IDD5") - i("IDD3N"), 1)
        for key, current in _CYCLE_CURRENTS.items():
            out[key][rail.name] = e(i(current), 1)
        out["bg_bank_active"][rail.name] = 0.0
        if spec.standard in BANKWISE:
            i_rho = i("IDD2N") + RHO * (i("IDD3N") - i("IDD2N"))
            i_one = (i("IDD3N") + (org.banks - 1) * i_rho) / org.banks
            out["act"][rail.name] = e(i("IDD0") - i_one, tm.RAS)
            out["pre"][rail.name] = e(i("IDD0") - i("IDD2N"), tm.RP)
            out["bg_active"][rail.name] = e(i_rho, 1)
            out["bg_bank_active"][rail.name] = e(i_one - i_rho, 1)
    return out


def rails_without_currents(spec: Spec) -> tuple[str, ...]:
    """Rails of ``spec`` with a voltage but no IDD current: their energy is not modelled (0)."""
    return tuple(r.name for r in spec.rails if not any(r.currents_ma.values()))


def energy_note(spec: Spec) -> str:
    """A one-line caveat for outputs that show energy ("" when every rail has currents)."""
    missing = rails_without_currents(spec)
    if not missing:
        return ""
    if len(missing) == len(spec.rails):
        return f"energy not modelled: no public currents for {', '.join(missing)} ({spec.name}); energy is 0"
    return (f"energy counts {', '.join(r.name for r in spec.rails if r.name not in missing)} only: no public "
            f"currents for {', '.join(missing)} ({spec.name})")


def compute_energy(spec: Spec, commands: CommandTrace, cycles: int, *, io: bool = False,
                   core: str | None = None, analysis=None) -> EnergyBreakdown:
    """Energy of a command trace over ``cycles`` memory cycles (see the module docstring).

    Parameters
    ----------
    spec : Spec
        Device, organization (channels, ranks, devices per rank) and rails; use
        :func:`dramsim.voltage.operating_point` for another voltage.
    commands : CommandTrace
        The commands issued (non-decreasing cycles).
    cycles : int
        Length of the run in memory cycles (background energy accrues over all of it).
    io : bool
        Add read I/O and write termination energy (default off).
    core : str, optional
        Rail reported as ``vdd`` (default: VDD, VDD2 for LPDDR).
    analysis : optional
        ``residency(spec0, commands, cycles)`` of the same trace and window on a spec with the same
        organization and timing (e.g. the nominal point of an approximate-mode voltage sweep, where
        only the rails differ): skips the scan, which is most of the cost.

    Returns
    -------
    EnergyBreakdown
        All energies in pJ.
    """
    res = residency(spec, commands, cycles) if analysis is None else analysis
    counts = res.counts
    cyc = {name: res.lowpower_total(name) for name in LOW_POWER_CYCLES}
    cyc["bg_active"] = act_cycles = int(res.active.sum())
    cyc["bg_precharged"] = pre_cycles = int(res.precharged.sum())
    bank_active = int(res.bank_active.sum()) if res.bank_active is not None else 0
    refresh_in_sref = cyc["sref_ref_act"] + cyc["sref_ref_pre"] + cyc["spup_ref_act"] + cyc["spup_ref_pre"]
    per_cmd = command_energies_pj(spec)
    parts = dict.fromkeys(PARTS, 0.0)
    detail = dict.fromkeys(DETAIL, 0.0)
    powerup = 0.0
    per_rail = {}
    for rail in spec.rails:
        n = rail.name
        p = {key: per_cmd[key][n] for key in per_cmd}
        d = {
            "act_standby": act_cycles * p["bg_active"] + bank_active * p["bg_bank_active"],
            "pre_standby": pre_cycles * p["bg_precharged"],
            "pd_act_fast": cyc["pd_act_fast"] * p["pd_act_fast"],
            "pd_act_slow": cyc["pd_act_slow"] * p["pd_act_slow"],
            "pd_pre_fast": cyc["pd_pre_fast"] * p["pd_pre_fast"],
            "pd_pre_slow": cyc["pd_pre_slow"] * p["pd_pre_slow"],
            "sref": cyc["sref_idd6"] * p["sref_idd6"] + refresh_in_sref * p["sref_refresh"],
            "sref_ref_act": cyc["sref_ref_act"] * p["pd_act_slow"],
            "sref_ref_pre": cyc["sref_ref_pre"] * p["pd_pre_slow"],
            "spup_ref": cyc["spup_ref_act"] * p["bg_active"] + cyc["spup_ref_pre"] * p["bg_precharged"],
        }
        r = {
            "act": counts["ACT"] * p["act"],
            "pre": counts["PRE"] * p["pre"],
            "rd": counts["RD"] * p["rd"],
            "wr": counts["WR"] * p["wr"],
            "ref": counts["REF"] * p["ref"] + counts["REFpb"] * p["refpb"] + counts.get("REFsb", 0) * p["refsb"],
            "background": d["act_standby"] + d["pre_standby"],
            "powerdown": d["pd_act_fast"] + d["pd_act_slow"] + d["pd_pre_fast"] + d["pd_pre_slow"],
            "selfrefresh": d["sref"] + d["sref_ref_act"] + d["sref_ref_pre"] + d["spup_ref"],
        }
        for k, v in r.items():
            parts[k] += v
        for k, v in d.items():
            detail[k] += v
        pup = {"pup_act": cyc["pup_act"] * p["bg_active"], "pup_pre": cyc["pup_pre"] * p["bg_precharged"],
               "sref_pup": cyc["spup"] * p["bg_precharged"]}
        for k, v in pup.items():
            detail[k] += v
        powerup += sum(pup.values())
        per_rail[n] = sum(r.values())
    if io:
        parts["io"] = io_energy_pj(spec, counts["RD"], counts["WR"])
    total = sum(parts.values())
    vdd = spec.rail(core_rail(spec, core)).voltage_v
    return EnergyBreakdown(total=total, vdd=vdd, cycles=int(cycles), per_rail=per_rail, counts=counts,
                           active_cycles=act_cycles, precharged_cycles=pre_cycles, powerup=powerup,
                           detail=detail, **parts)


def io_energy_pj(spec: Spec, reads: int, writes: int) -> float:
    """Read I/O plus write termination energy in pJ for ``reads`` and ``writes`` bursts (rank)."""
    org = spec.organization
    beat_ns = spec.burst_cycles * spec.timing.tck_ns / org.burst_length   # tCK / 2 (LPDDR5 4:1: tCK / 8)
    per_beat = beat_ns * org.burst_length * org.devices_per_rank    # mW x ns = pJ
    rd_pins = org.dq + org.dq / 8
    wr_pins = org.dq + org.dq / 4
    return reads * IO_READ_MW * rd_pins * per_beat + writes * ODT_WRITE_MW * wr_pins * per_beat


#: Access kinds of :func:`access_energy_table` and the commands each needs.
ACCESSES = {"row_hit": (), "row_miss": ("act",), "row_conflict": ("pre", "act")}


def access_cost(spec: Spec, access: str, op: str, *, io: bool = False) -> tuple[float, float, int]:
    """Energy of one burst access of a kind at ``spec``'s voltage, per rank.

    Returns ``(command_pj, background_pj, cycles)``: the command energy (PRE/ACT as needed plus
    the RD/WR burst), and the active-standby background over the access's minimum service time
    ``cycles`` (hit: CL (CWL for writes) + nBL; miss: + tRCD; conflict: + tRP + tRCD).
    """
    per_cmd = command_energies_pj(spec)
    tm = spec.timing
    col = "rd" if op == "read" else "wr"
    cmd_pj = sum(per_cmd[col].values()) + sum(sum(per_cmd[c].values()) for c in ACCESSES[access])
    if io:
        cmd_pj += io_energy_pj(spec, op == "read", op == "write")
    cycles = (tm.CL if op == "read" else tm.CWL) + spec.burst_cycles
    if access != "row_hit":
        cycles += tm.RCD
    if access == "row_conflict":
        cycles += tm.RP
    bg = cycles * (sum(per_cmd["bg_active"].values()) + sum(per_cmd["bg_bank_active"].values()))
    return cmd_pj, bg, cycles


def access_energy_table(spec: Spec, vdds=None, *, mode: str = "approximate", scaling: str = "v2",
                        table=None, io: bool = False, **op_kwargs) -> pd.DataFrame:
    """Energy of a row-hit, row-miss and row-conflict read and write, per voltage.

    Parameters
    ----------
    spec : Spec
        Nominal device.
    vdds : sequence of float, optional
        Core-rail voltages (V); default: the nominal voltage only.
    mode, scaling, table, op_kwargs
        Passed to :func:`dramsim.voltage.operating_point`.
    io : bool
        Include I/O and termination energy.

    Returns
    -------
    DataFrame
        Columns ``vdd``, ``access`` (row_hit/row_miss/row_conflict), ``op`` (read/write),
        ``command_pj``, ``background_pj``, ``energy_pj`` (their sum), ``cycles``, ``ber``,
        ``mode``. Energies are per access of one burst (``organization.burst_bytes``, 64 bytes on
        a 64-bit BL8 channel) and per rank (all devices); see :func:`access_cost`.
    """
    import pandas as pd

    from dramsim.voltage import operating_point

    nominal = spec.rail(core_rail(spec)).voltage_v
    vdds = [nominal] if vdds is None else [float(v) for v in vdds]
    rows = []
    for v in vdds:
        op = operating_point(spec, v, mode=mode, scaling=scaling, table=table, **op_kwargs)
        for access in ACCESSES:
            for kind in ("read", "write"):
                cmd_pj, bg, cyc = access_cost(op.spec, access, kind, io=io)
                rows.append({"vdd": v, "access": access, "op": kind, "command_pj": cmd_pj,
                             "background_pj": bg, "energy_pj": cmd_pj + bg, "cycles": cyc,
                             "ber": op.ber, "mode": op.mode})
    return pd.DataFrame(rows)
