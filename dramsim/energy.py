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
RD             n_RD   x V x (IDD4R - IDD3N) x nBL x tCK        (nBL = burst_length / 2)
WR             n_WR   x V x (IDD4W - IDD3N) x nBL x tCK
REF            n_REF  x V x (IDD5 - IDD3N) x tRFC x tCK
REFpb          n_REFpb x V x (IDD5PB - IDD3N) x tRFCpb x tCK;  without IDD5PB: REF / banks
background     V x (IDD3N x active_cycles + IDD2N x precharged_cycles) x tCK
=============  ===========================================================================

Counting follows DRAMPower 4's command analysis:

* ``n_ACT`` counts ACTs to a closed bank; ``n_PRE`` counts precharges that close an open bank: a
  PRE to an open bank, each open bank closed by a PREA, and the implicit precharge of every
  RDA/WRA (at ``max(t(RD) + RTP, t(ACT) + RAS)``, resp. ``max(t(WR) + CWL + nBL + WR,
  t(ACT) + RAS)``). A PRE to a closed bank costs nothing. RDA/WRA count as RD/WR.
* Residency, per rank: a cycle is *active* when at least one bank of the rank is open, otherwise
  *precharged*. An all-bank REF counts as active for ``tRFC - tRP`` cycles from its issue and
  precharged afterwards (DRAMPower treats it as an ACT followed by a PRE ``tRP`` before its end);
  a REFpb likewise for ``tRFCpb - tRP``. Banks still open at the end stay active until
  ``cycles``. Precharged cycles = ``cycles`` - active cycles, so every rank of every channel
  contributes background energy for the whole run, used or not.

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
IDD3P0/1 fall back to IDD2P/IDD3P), ``d`` the cycles from SREN to SREX, and the refresh that
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

DRAMPower 4.1 counts the stretch from the last state change to the trace's END twice (it adds
its own step at END - 1 and then handles END); the energies here count it once, which is
DRAMPower's ``total`` less that double count (``total_corrected_pJ`` in
``shared/reference/dram/peers2/figures.json``).

Every rail of the spec is summed (VDD; VDD and VPP for DDR4; VDD1, VDD2, VDDQ for LPDDR3/LPDDR4);
a rail without a current contributes 0 for it. Unlike DRAMPower 4, which evaluates one rank and
multiplies only the background by the number of ranks, the residency here is computed per rank.

Optional I/O and termination energy (``io=True``; off by default), after DRAMPower 4's DDR3
figures from the Micron power calculator: a read drives ``dq + dq/8`` pins (DQ, DQS) at
``IO_READ_MW`` per pin, a write terminates ``dq + dq/4`` pins (DQ, DQS, DM) at ``ODT_WRITE_MW``,
each for ``burst_length`` beats of ``tCK / 2``; per device.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field

import numba
import numpy as np

if TYPE_CHECKING:  # pandas is imported where it is used (keeps replay's memory low)
    import pandas as pd

from dramsim.errors import InputError
from dramsim.spec import Spec
from traces.commands import (ACT, COMMANDS, PDN_F_ACT, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PRE, PREA,
                             PUP_ACT, PUP_PRE, RANK_COMMANDS, RD, RDA, REF, REFPB, SREN, SREX, WR, WRA,
                             CommandTrace)

#: Read I/O power per DQ/DQS pin (mW) and write ODT power per DQ/DQS/DM pin (mW): DRAMPower 4's
#: DDR3 defaults (Micron DDR3 power calculator).
IO_READ_MW = 4.6
ODT_WRITE_MW = 21.2

#: The rail whose voltage is reported and scaled, per family (see :mod:`dramsim.voltage`).
CORE_RAIL = {"DDR3": "VDD", "DDR4": "VDD", "LPDDR3": "VDD2", "LPDDR4": "VDD2"}

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
#: Names of the effective counts of :func:`analyse`.
COUNT_NAMES = ("ACT", "PRE", "RD", "WR", "REF", "REFpb", "ACT_ignored", "PRE_noop",
               "PDN", "SREF", "LP_unmatched")


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

    def to_dict(self) -> dict:
        """The ``energy_pj`` JSON object (``vdd`` in V)."""
        return {"total": self.total, "act": self.act, "pre": self.pre, "rd": self.rd,
                "wr": self.wr, "ref": self.ref, "background": self.background,
                "powerdown": self.powerdown, "selfrefresh": self.selfrefresh, "io": self.io,
                "powerup_in_background": self.powerup, "vdd": self.vdd, "per_rail": dict(self.per_rail),
                "detail": dict(self.detail)}


def core_rail(spec: Spec, name: str | None = None) -> str:
    """Name of the core rail of ``spec`` (``name`` if given; VDD2 for LPDDR, else VDD).

    Falls back to the first rail when the family's core rail is absent (e.g. a one-rail import).
    """
    names = [r.name for r in spec.rails]
    wanted = name or CORE_RAIL.get(spec.standard, "VDD")
    if wanted in names:
        return wanted
    if name is not None:
        raise InputError(f"{spec.path or spec.name}: no rail {name!r}; rails are {', '.join(names)}")
    return names[0]


@numba.njit(cache=True)
def _leave_low_power(lp, r, kind, start, t, end, is_exit, rfc, rp, t_pup, t_pup_slow, t_spup):
    """Bill one low-power stay of rank ``r`` entered by ``kind`` at ``start`` and left at ``t``.

    ``is_exit``: left by an exit command (else the run ended). Adds the stay's cycles to
    ``lp[r]`` (columns :data:`LOW_POWER_CYCLES`, clipped to ``end``) and returns the cycle at
    which the rank is back in standby (after a self-refresh that ended before the refresh it
    began: the end of that refresh).
    """
    t = min(t, end)
    d = max(t - start, 0)
    if kind == SREN:
        ref_act = rfc - rp
        a = min(d, ref_act)
        p = min(max(d - ref_act, 0), rp)
        lp[r, 4] += max(d - rfc, 0)
        lp[r, 5] += a
        lp[r, 6] += p
        if not is_exit:
            return t
        a2 = min(ref_act - a, max(end - t, 0))          # the refresh's remainder, after SREX
        p2 = min(rp - p, max(end - t - a2, 0))
        lp[r, 7] += a2
        lp[r, 8] += p2
        lp[r, 11] += max(t_spup - (ref_act - a) - (rp - p), 0)
        return t + a2 + p2
    if kind == PDN_F_ACT:
        col = 0
    elif kind == PDN_S_ACT:
        col = 1
    elif kind == PDN_F_PRE:
        col = 2
    else:
        col = 3
    lp[r, col] += d
    if is_exit:
        lp[r, 9 if col < 2 else 10] += t_pup_slow if col == 1 or col == 3 else t_pup
    return t


@numba.njit(cache=True)
def _analyse(cycle, cmd, rank_id, bank_id, nbanks_per_rank, nranks, end, ras, rtp, wr_delay,
             ref_active, refpb_active, rfc, rp, t_pup, t_pup_slow, t_spup):
    """Scan a command trace once: effective counts and the residency of every rank.

    ``rank_id``: global rank index per command; ``bank_id``: bank within the rank (-1 for rank
    commands). Returns ``(counts, busy, lp)``: counts as :data:`COUNT_NAMES`; ``busy[r]`` the
    cycles rank ``r`` is out of precharged standby (active or in a low-power state); ``lp[r]``
    the low-power cycles by :data:`LOW_POWER_CYCLES`.

    ``busy`` is the measure of the union of the rank's bank-open intervals [ACT, close), refresh
    periods and low-power stays, clipped to [0, end). Every interval belongs to one ACT, REF,
    REFpb or low-power entry, so at most n are recorded; an RDA/WRA's implicit precharge lies in
    the future and is resolved when its bank (or rank) is next addressed, or at the end.
    """
    nb = nranks * nbanks_per_rank
    is_open = np.zeros(nb, np.bool_)
    act_t = np.zeros(nb, np.int64)
    pend = np.full(nb, -1, np.int64)          # pending implicit precharge cycle (-1: none)
    slot = np.zeros(nb, np.int64)             # interval of the bank's open row
    lp_kind = np.full(nranks, -1, np.int64)   # entry command of the rank's low-power state
    lp_start = np.zeros(nranks, np.int64)
    lp_slot = np.zeros(nranks, np.int64)
    lp = np.zeros((nranks, 12), np.int64)
    counts = np.zeros(11, np.int64)
    n = cycle.shape[0]
    # intervals are recorded when they start (ACT, REF, REFpb, low-power entry), so they come
    # sorted by start (cycles are non-decreasing); a bank's or state's end is filled in later
    starts = np.empty(n, np.int64)
    ends = np.empty(n, np.int64)
    owner = np.empty(n, np.int32)
    k = 0
    for i in range(n):
        t = cycle[i]
        c = cmd[i]
        r = rank_id[i]
        if bank_id[i] < 0:
            lo = r * nbanks_per_rank
            hi = lo + nbanks_per_rank
        else:
            lo = r * nbanks_per_rank + bank_id[i]
            hi = lo + 1
        for j in range(lo, hi):               # implicit precharges due by now
            if pend[j] >= 0 and pend[j] <= t:
                ends[slot[j]] = pend[j]
                is_open[j] = False
                pend[j] = -1
                counts[1] += 1
        if c == ACT:
            if is_open[lo]:
                counts[6] += 1
            else:
                is_open[lo] = True
                act_t[lo] = t
                starts[k] = t
                owner[k] = r
                slot[lo] = k
                k += 1
                counts[0] += 1
        elif c == PRE or c == PREA:
            closed = False
            for j in range(lo, hi):
                if is_open[j] and (pend[j] < 0 or c == PREA):
                    ends[slot[j]] = t
                    is_open[j] = False
                    pend[j] = -1
                    counts[1] += 1
                    closed = True
            if not closed:
                counts[7] += 1
        elif c == RD or c == RDA:
            counts[2] += 1
            if c == RDA and is_open[lo] and pend[lo] < 0:
                pend[lo] = max(t + rtp, act_t[lo] + ras)
        elif c == WR or c == WRA:
            counts[3] += 1
            if c == WRA and is_open[lo] and pend[lo] < 0:
                pend[lo] = max(t + wr_delay, act_t[lo] + ras)
        elif c == REF or c == REFPB:
            counts[4 if c == REF else 5] += 1
            starts[k] = t
            ends[k] = t + (ref_active if c == REF else refpb_active)
            owner[k] = r
            k += 1
        elif c == PUP_PRE or c == PUP_ACT or c == SREX:
            if lp_kind[r] < 0 or (c == SREX) != (lp_kind[r] == SREN):
                counts[10] += 1                   # an exit without its entry: ignored
            else:
                ends[lp_slot[r]] = _leave_low_power(lp, r, lp_kind[r], lp_start[r], t, end, True,
                                                    rfc, rp, t_pup, t_pup_slow, t_spup)
                lp_kind[r] = -1
        else:                                     # a power-down or self-refresh entry
            if lp_kind[r] >= 0:
                counts[10] += 1                   # already in a low-power state: ignored
            else:
                counts[9 if c == SREN else 8] += 1
                lp_kind[r] = c
                lp_start[r] = t
                starts[k] = t
                owner[k] = r
                lp_slot[r] = k
                k += 1
    for j in range(nb):                        # still open at the end of the run
        if is_open[j]:
            ends[slot[j]] = end
            if pend[j] >= 0 and pend[j] <= end:
                ends[slot[j]] = pend[j]
                counts[1] += 1
    for r in range(nranks):                    # still in a low-power state at the end
        if lp_kind[r] >= 0:
            ends[lp_slot[r]] = _leave_low_power(lp, r, lp_kind[r], lp_start[r], end, end, False,
                                                rfc, rp, t_pup, t_pup_slow, t_spup)
    busy = np.zeros(nranks, np.int64)
    cur_s = np.zeros(nranks, np.int64)
    cur_e = np.zeros(nranks, np.int64)
    for q in range(k):
        r = owner[q]
        s = min(max(starts[q], 0), end)
        e = min(max(ends[q], 0), end)
        if e <= s:
            continue
        if s > cur_e[r]:
            busy[r] += cur_e[r] - cur_s[r]
            cur_s[r] = s
            cur_e[r] = e
        elif e > cur_e[r]:
            cur_e[r] = e
    for r in range(nranks):
        busy[r] += cur_e[r] - cur_s[r]
    return counts, busy, lp


@dataclass(frozen=True)
class Residency:
    """Where each rank spent the run (cycles, arrays of shape ``(channels * ranks,)``).

    ``active`` and ``precharged`` are standby cycles (outside low-power states); ``lowpower``
    has one column per :data:`LOW_POWER_CYCLES` name (``pup_act``, ``pup_pre`` and ``spup`` are
    power-up cycles inside the standby ones); ``counts`` as :func:`analyse`.
    """

    counts: dict
    active: np.ndarray
    precharged: np.ndarray
    lowpower: np.ndarray

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
    wide = np.isin(commands.cmd, RANK_COMMANDS)
    if np.any(~wide & ((bank_id < 0) | (bank_id >= org.banks))):
        raise InputError("command trace: bank outside the spec's organization")
    bank_id[wide] = -1
    del wide
    nbl = spec.burst_cycles
    # power-up cycles as DRAMPower 4.1 counts them (with a DLL a slow exit / SREX: less tRCD)
    dll_rcd = tm.RCD if spec.has_dll else 0
    t_pup_slow = tm.XPDLL - dll_rcd if spec.has_dll else tm.XP
    t_spup = tm.XSDLL - dll_rcd if spec.has_dll else tm.XS
    c, busy, lp = _analyse(commands.cycle, commands.cmd, rank_id, bank_id, org.banks, nranks, cycles,
                           tm.RAS, tm.RTP, tm.CWL + nbl + tm.WR, max(tm.RFC - tm.RP, 0),
                           max(tm.RFCpb - tm.RP, 0), tm.RFC, tm.RP, tm.XP, t_pup_slow, t_spup)
    in_states = lp[:, :9].sum(axis=1)
    counts = {name: int(v) for name, v in zip(COUNT_NAMES, c)}
    return Residency(counts=counts, active=busy - in_states, precharged=cycles - busy, lowpower=lp)


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
    above active standby (IDD5 - IDD3N) per cycle of the refresh a self-refresh performs.
    """
    tm, org = spec.timing, spec.organization
    tck, nbl, dev = tm.tck_ns, spec.burst_cycles, org.devices_per_rank
    out = {k: {} for k in ("act", "pre", "rd", "wr", "ref", "refpb", "sref_refresh", *_CYCLE_CURRENTS)}
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
        out["sref_refresh"][rail.name] = e(i("IDD5") - i("IDD3N"), 1)
        for key, current in _CYCLE_CURRENTS.items():
            out[key][rail.name] = e(i(current), 1)
    return out


def compute_energy(spec: Spec, commands: CommandTrace, cycles: int, *, io: bool = False,
                   core: str | None = None) -> EnergyBreakdown:
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

    Returns
    -------
    EnergyBreakdown
        All energies in pJ.
    """
    res = residency(spec, commands, cycles)
    counts = res.counts
    cyc = {name: res.lowpower_total(name) for name in LOW_POWER_CYCLES}
    cyc["bg_active"] = act_cycles = int(res.active.sum())
    cyc["bg_precharged"] = pre_cycles = int(res.precharged.sum())
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
            "act_standby": act_cycles * p["bg_active"],
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
            "ref": counts["REF"] * p["ref"] + counts["REFpb"] * p["refpb"],
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
    beat_ns = spec.timing.tck_ns / 2
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
    bg = cycles * sum(per_cmd["bg_active"].values())
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
