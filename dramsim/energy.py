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
* Power-down and self-refresh terms (IDD2P, IDD3P, IDD6) are zero: the command set of
  :mod:`traces.commands` has no power-down commands, so the controller never uses them.

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
from traces.commands import ACT, PRE, PREA, RD, RDA, REF, REFPB, WR, WRA, CommandTrace

#: Read I/O power per DQ/DQS pin (mW) and write ODT power per DQ/DQS/DM pin (mW): DRAMPower 4's
#: DDR3 defaults (Micron DDR3 power calculator).
IO_READ_MW = 4.6
ODT_WRITE_MW = 21.2

#: The rail whose voltage is reported and scaled, per family (see :mod:`dramsim.voltage`).
CORE_RAIL = {"DDR3": "VDD", "DDR4": "VDD", "LPDDR3": "VDD2", "LPDDR4": "VDD2"}

PARTS = ("act", "pre", "rd", "wr", "ref", "background", "io")


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy of a run in pJ, summed over channels, ranks, devices and rails.

    ``ref`` includes per-bank refresh; ``io`` is 0 unless requested. ``vdd`` is the voltage (V)
    of the core rail, ``per_rail`` the total per rail (pJ), ``counts`` the effective command
    counts and ``active_cycles`` / ``precharged_cycles`` the residency summed over ranks.
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
    per_rail: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    active_cycles: int = 0
    precharged_cycles: int = 0

    def to_dict(self) -> dict:
        """The ``energy_pj`` JSON object (``vdd`` in V)."""
        return {"total": self.total, "act": self.act, "pre": self.pre, "rd": self.rd,
                "wr": self.wr, "ref": self.ref, "background": self.background, "io": self.io,
                "vdd": self.vdd, "per_rail": dict(self.per_rail)}


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
def _analyse(cycle, cmd, rank_id, bank_id, nbanks_per_rank, nranks, end, ras, rtp, wr_delay,
             ref_active, refpb_active):
    """Scan a command trace once: effective counts and active cycles per rank.

    ``rank_id``: global rank index per command; ``bank_id``: bank within the rank (-1 for PREA
    and REF). Returns ``(counts, active)`` with counts ACT, PRE (effective, implicit included),
    RD, WR, REF, REFpb, ignored ACTs, no-op PREs, and active cycles per rank.

    A rank's active cycles are the measure of the union of its bank-open intervals [ACT, close)
    and refresh periods, clipped to [0, end). Every interval belongs to one ACT, REF or REFpb,
    so at most n are recorded; an RDA/WRA's implicit precharge lies in the future and is
    resolved when its bank (or rank) is next addressed, or at the end.
    """
    nb = nranks * nbanks_per_rank
    is_open = np.zeros(nb, np.bool_)
    act_t = np.zeros(nb, np.int64)
    pend = np.full(nb, -1, np.int64)          # pending implicit precharge cycle (-1: none)
    slot = np.zeros(nb, np.int64)             # interval of the bank's open row
    counts = np.zeros(8, np.int64)
    n = cycle.shape[0]
    # intervals are recorded when they start (ACT, REF, REFpb), so they come sorted by start
    # (cycles are non-decreasing); a bank's end is filled in when it closes
    starts = np.empty(n, np.int64)
    ends = np.empty(n, np.int64)
    owner = np.empty(n, np.int32)
    k = 0
    for i in range(n):
        t = cycle[i]
        c = cmd[i]
        r = rank_id[i]
        if c == REF or c == PREA:
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
    for j in range(nb):                        # still open at the end of the run
        if is_open[j]:
            ends[slot[j]] = end
            if pend[j] >= 0 and pend[j] <= end:
                ends[slot[j]] = pend[j]
                counts[1] += 1
    active = np.zeros(nranks, np.int64)
    cur_s = np.zeros(nranks, np.int64)
    cur_e = np.zeros(nranks, np.int64)
    for q in range(k):
        r = owner[q]
        s = min(max(starts[q], 0), end)
        e = min(max(ends[q], 0), end)
        if e <= s:
            continue
        if s > cur_e[r]:
            active[r] += cur_e[r] - cur_s[r]
            cur_s[r] = s
            cur_e[r] = e
        elif e > cur_e[r]:
            cur_e[r] = e
    for r in range(nranks):
        active[r] += cur_e[r] - cur_s[r]
    return counts, active


def analyse(spec: Spec, commands: CommandTrace, cycles: int) -> tuple[dict, np.ndarray]:
    """Effective command counts and active cycles per rank (channel-major) of a trace.

    Returns
    -------
    counts : dict
        ``ACT``, ``PRE`` (precharges that closed an open bank, implicit ones included), ``RD``,
        ``WR`` (auto-precharge variants included), ``REF``, ``REFpb``, ``ACT_ignored`` (ACT to
        an open bank), ``PRE_noop`` (PRE to a closed bank).
    active : ndarray of int64
        Active-standby cycles per rank, shape ``(channels * ranks,)``.
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
        if commands.cmd.max() > REFPB:
            raise InputError("command trace: unknown command code")
    # small ids and in-place updates: a long trace's temporaries stay small (peak memory)
    ids = np.int16 if max(nranks, org.banks) < 2**15 else np.int32
    rank_id = commands.channel.astype(ids)
    rank_id *= org.ranks
    rank_id += commands.rank
    bank_id = commands.bankgroup.astype(ids)
    bank_id *= org.banks_per_group
    bank_id += commands.bank
    per_bank = (commands.cmd != REF) & (commands.cmd != PREA)
    if np.any(per_bank & ((bank_id < 0) | (bank_id >= org.banks))):
        raise InputError("command trace: bank outside the spec's organization")
    np.logical_not(per_bank, out=per_bank)
    bank_id[per_bank] = -1
    del per_bank
    nbl = spec.burst_cycles
    c, active = _analyse(commands.cycle, commands.cmd, rank_id, bank_id, org.banks, nranks, cycles,
                         tm.RAS, tm.RTP, tm.CWL + nbl + tm.WR, max(tm.RFC - tm.RP, 0),
                         max(tm.RFCpb - tm.RP, 0))
    names = ("ACT", "PRE", "RD", "WR", "REF", "REFpb", "ACT_ignored", "PRE_noop")
    return {name: int(v) for name, v in zip(names, c)}, active


def command_energies_pj(spec: Spec) -> dict[str, dict[str, float]]:
    """Energy of one command of each kind, per rank (all devices), per rail, in pJ.

    Keys of the outer dict: ``act``, ``pre``, ``rd``, ``wr``, ``ref``, ``refpb``, and the
    background powers per cycle ``bg_active`` and ``bg_precharged`` (pJ per cycle).
    """
    tm, org = spec.timing, spec.organization
    tck, nbl, dev = tm.tck_ns, spec.burst_cycles, org.devices_per_rank
    out = {k: {} for k in ("act", "pre", "rd", "wr", "ref", "refpb", "bg_active", "bg_precharged")}
    for rail in spec.rails:
        v, i = rail.voltage_v, rail.current
        e = lambda di, n: v * di * n * tck * dev  # noqa: E731  mA x V x ns = pJ
        out["act"][rail.name] = e(i("IDD0") - i("IDD3N"), tm.RAS)
        out["pre"][rail.name] = e(i("IDD0") - i("IDD2N"), tm.RC - tm.RAS)
        out["rd"][rail.name] = e(i("IDD4R") - i("IDD3N"), nbl)
        out["wr"][rail.name] = e(i("IDD4W") - i("IDD3N"), nbl)
        out["ref"][rail.name] = e(i("IDD5") - i("IDD3N"), tm.RFC)
        if "IDD5PB" in rail.currents_ma:
            out["refpb"][rail.name] = e(i("IDD5PB") - i("IDD3N"), tm.RFCpb)
        else:
            out["refpb"][rail.name] = out["ref"][rail.name] / org.banks
        out["bg_active"][rail.name] = e(i("IDD3N"), 1)
        out["bg_precharged"][rail.name] = e(i("IDD2N"), 1)
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
    counts, active = analyse(spec, commands, cycles)
    nranks = spec.organization.channels * spec.organization.ranks
    act_cycles = int(active.sum())
    pre_cycles = int(nranks * int(cycles) - act_cycles)
    per_cmd = command_energies_pj(spec)
    parts = dict.fromkeys(PARTS, 0.0)
    per_rail = {}
    for rail in spec.rails:
        n = rail.name
        r = {
            "act": counts["ACT"] * per_cmd["act"][n],
            "pre": counts["PRE"] * per_cmd["pre"][n],
            "rd": counts["RD"] * per_cmd["rd"][n],
            "wr": counts["WR"] * per_cmd["wr"][n],
            "ref": counts["REF"] * per_cmd["ref"][n] + counts["REFpb"] * per_cmd["refpb"][n],
            "background": act_cycles * per_cmd["bg_active"][n] + pre_cycles * per_cmd["bg_precharged"][n],
        }
        for k, v in r.items():
            parts[k] += v
        per_rail[n] = sum(r.values())
    if io:
        parts["io"] = io_energy_pj(spec, counts["RD"], counts["WR"])
    total = sum(parts.values())
    vdd = spec.rail(core_rail(spec, core)).voltage_v
    return EnergyBreakdown(total=total, vdd=vdd, cycles=int(cycles), per_rail=per_rail, counts=counts,
                           active_cycles=act_cycles, precharged_cycles=pre_cycles, **parts)


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
