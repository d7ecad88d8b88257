"""Independent DRAM timing checker: does a command trace obey the shared command semantics?

This module is deliberately separate from the controller (``dramsim.timing`` / ``kernel`` /
``simulate``): it reads only a :class:`dramsim.spec.Spec` and a :class:`traces.CommandTrace` and
re-derives every rule from the contract below, so a controller bug cannot hide behind a shared
helper.

Rules checked (t(X) = issue cycle of X, nBL = burst_length / 2, all in memory-clock cycles):

state     ACT only to a closed bank; RD/WR/RDA/WRA only to an open bank and to its open row
          (not checked where the trace gives row -1, as DRAMPower 4 traces do);
          PRE to a closed bank is a legal no-op (it precharges nothing and is not timed);
          PREA closes every bank of its rank; RDA/WRA close the bank by an implicit precharge at
          t_pre = max(t(RD) + RTP, t(ACT) + RAS), resp. max(t(WR) + CWL + nBL + WR, t(ACT) + RAS);
          REF only when every bank of the rank is closed; REFpb only to a closed bank.
timing    1 tRC ACT->ACT same bank; 2 tRCD ACT->column same bank; 3 tRAS ACT->PRE/PREA of an open
          bank; 4 tRP PRE->ACT (and implicit precharge -> ACT, "tRP:auto-precharge"), tRPab
          PREA->ACT any bank of the rank; 5 tRTP RD->PRE/PREA; 6 tWR WR->PRE/PREA
          (CWL + nBL + WR); 7 tRRD_L/_S ACT->ACT other bank of the rank (same / other bank group);
          8 tFAW ACT(n)->ACT(n+4) per rank; 9 tCCD_L/_S same-direction column commands of a rank;
          10 tRTW RD->WR same rank (CL + nBL + 2 - CWL); 11 tWTR_L/_S WR->RD same rank
          (CWL + nBL + WTR); 12 tRTRS column commands of different ranks of one channel
          (RD->RD, WR->WR: nBL + RTRS; RD->WR: CL + nBL + RTRS - CWL; WR->RD: CWL + nBL + RTRS - CL);
          13 REF needs RP after each bank's precharge and RPab after a PREA, tRFC REF->ACT/REF;
          14 REFpb needs RP after its bank's precharge, tRFCpb REFpb->ACT same bank and
          REFpb->REFpb of the rank, and counts as an ACT for tRRD and tFAW;
          15 refresh rate ("at most" rules): all-bank, every rank's first REF by 9*REFI and
          consecutive REFs at most 9*REFI apart ("tREFI"); per-bank, REFpb of a rank at most
          9*REFIpb apart ("tREFIpb") and each bank refreshed at most 9*REFI apart ("tREFI:bank");
          the end of the trace (or ``end_cycle``) counts as a deadline;
          16 "bus": at most one command per channel per cycle; "order": cycles non-decreasing.
low power 17 CKE low: between a power-down entry (PDN_*) and its exit (PUP_*), or SREN and SREX,
          the rank takes no command but that exit ("state:X while CKE is low"); an exit without
          an entry is "state:X while CKE is high"; PDN_*_PRE and SREN need every bank closed,
          PDN_*_ACT an open one ("state:X with open bank" / "... with every bank closed"), and SREN
          tRP after each bank's precharge (as REF);
          18 tCKE entry->exit of a power-down and exit->next entry (CKE pulse widths), tCKESR
          SREN->SREX;
          19 tXP PUP->any command; tXPDLL after a slow-exit power-down (PDN_S_*) PUP->RD/WR/RDA/WRA;
          tXS SREX->any command but a column one, tXSDLL SREX->RD/WR/RDA/WRA;
          20 refresh owed: self-refresh refreshes the rank, so SREX counts as its refresh for 15
          (the next REF/REFpb is due within the same 9 intervals of SREX, and a run that ends in
          self-refresh owes nothing); SREN itself must come within 9 intervals of the last one.

For every command B and every rule, the checker reports at most one violation: the earlier
command A that constrains B the most (largest shortfall). State violations, and the tRAS / tRTP /
tWR checks of a PREA, are reported per bank.

Readings where the contract leaves room (kept identical in the tests):

* tRTP / tWR look at the RD / WR issued since the bank's last ACT; a no-op PRE is not timed.
* A bank last closed by PREA is timed by tRPab (rank level) for ACT and REF, not also by tRP;
  a REFpb to such a bank needs tRP after the PREA.
* A command after an out-of-order one ("order") is compared with it too, so distances may be
  negative in the cascade that follows.

The per-command walk is one Numba kernel over the trace arrays; :func:`check` validates the input
and turns the kernel's violation arrays into :class:`Violation` objects.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from dramsim.errors import InputError
from dramsim.spec import Spec
from traces.commands import (ACT, COMMANDS, PDN_F_ACT, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PRE, PREA, PUP_ACT,
                             PUP_PRE, RD, RDA, REF, REFPB, SREN, SREX, WR, WRA, CommandTrace)

REFRESH_MODES = ("all-bank", "per-bank", "none")

# Rule codes used by the kernel; RULES[code] is the rule's name ("state:*" names get the command).
(R_ORDER, R_BUS, R_RC, R_RCD, R_RAS, R_RP, R_RP_AUTO, R_RPAB, R_RTP, R_WR, R_RRD_L, R_RRD_S,
 R_FAW, R_CCD_L, R_CCD_S, R_RTW, R_WTR_L, R_WTR_S, R_RTRS, R_RFC, R_RFCPB, R_REFI, R_REFIPB,
 R_REFI_BANK, S_OPEN, S_CLOSED, S_ROW, S_REF_OPEN, R_CKE, R_CKESR, R_XP, R_XPDLL, R_XS, R_XSDLL,
 S_CKE_LOW, S_CKE_HIGH, S_LP_OPEN, S_LP_CLOSED) = range(38)
RULES = ("order", "bus", "tRC", "tRCD", "tRAS", "tRP", "tRP:auto-precharge", "tRPab", "tRTP", "tWR",
         "tRRD_L", "tRRD_S", "tFAW", "tCCD_L", "tCCD_S", "tRTW", "tWTR_L", "tWTR_S", "tRTRS",
         "tRFC", "tRFCpb", "tREFI", "tREFIpb", "tREFI:bank",
         "state:{cmd} to open bank", "state:{cmd} to closed bank", "state:{cmd} to a row not open",
         "state:REF with open bank", "tCKE", "tCKESR", "tXP", "tXPDLL", "tXS", "tXSDLL",
         "state:{cmd} while CKE is low", "state:{cmd} while CKE is high", "state:{cmd} with open bank",
         "state:{cmd} with every bank closed")
#: Rules that bound a distance from above (``actual`` must not exceed ``required``).
MAX_RULES = frozenset({R_REFI, R_REFIPB, R_REFI_BANK})

# Indices into the timing vector handed to the kernel.
(T_CL, T_CWL, T_RCD, T_RP, T_RAS, T_RC, T_CCD_S, T_CCD_L, T_RRD_S, T_RRD_L, T_FAW, T_WTR_S,
 T_WTR_L, T_RTP, T_WR, T_RFC, T_REFI, T_RPAB, T_RFCPB, T_REFIPB, T_RTRS, T_CKE, T_CKESR, T_XP,
 T_XPDLL, T_XS, T_XSDLL, T_NBL) = range(28)
_TIMING_NAMES = ("CL", "CWL", "RCD", "RP", "RAS", "RC", "CCD_S", "CCD_L", "RRD_S", "RRD_L", "FAW",
                 "WTR_S", "WTR_L", "RTP", "WR", "RFC", "REFI", "RPab", "RFCpb", "REFIpb", "RTRS",
                 "CKE", "CKESR", "XP", "XPDLL", "XS", "XSDLL")

_BANK_COMMANDS = (ACT, PRE, RD, WR, RDA, WRA, REFPB)
_ROW_COMMANDS = (ACT, RD, WR, RDA, WRA)


@dataclass(frozen=True)
class Violation:
    """One broken rule between two commands of a trace.

    Parameters
    ----------
    rule : str
        Rule name: a timing name (``"tRCD"``, ``"tFAW"``, ...), ``"bus"``, ``"order"`` or a
        state rule (``"state:RD to closed bank"``).
    required, actual : int
        Cycles. For minimum-distance rules ``actual < required`` (distance from ``first`` to
        ``second``); for the refresh-rate rules (``tREFI*``) ``actual > required``.
    first, second : int
        Indices into the trace of the earlier command A and the later command B; -1 for the start
        of the trace (A) or its end (B).
    first_desc, second_desc : str
        Readable descriptions of A and B.
    """

    rule: str
    required: int
    actual: int
    first: int
    second: int
    first_desc: str
    second_desc: str

    def __str__(self) -> str:
        if self.rule.startswith("state:"):
            after = f" (after {self.first_desc})" if self.first >= 0 else ""
            return f"{self.rule}: {self.second_desc}{after}"
        bound = "at most {} allowed" if self.rule.startswith("tREFI") else "at least {} required"
        return (f"{self.rule}: {self.first_desc} -> {self.second_desc}: {self.actual} cycles, "
                + bound.format(self.required))


def check(commands: CommandTrace, spec: Spec, *, refresh: str = "all-bank", end_cycle: int | None = None,
          max_violations: int | None = None) -> list[Violation]:
    """Check a command trace against ``spec`` and return every violation found.

    Parameters
    ----------
    commands : CommandTrace
        Commands in issue order, targets within ``spec``'s channels/ranks/bank groups/banks/rows.
    spec : Spec
        The device and its channel/rank counts (``load_spec(name, channels=, ranks=)``).
    refresh : {"all-bank", "per-bank", "none"}
        Which refresh-rate rule (15) applies; ``"none"`` checks no rate.
    end_cycle : int, optional
        Cycle at which the run ended (refresh deadlines are checked up to it); default the last
        command's cycle.
    max_violations : int, optional
        Stop collecting after this many (the walk still runs to the end).

    Returns
    -------
    list of Violation, ordered by the later command B.

    Raises
    ------
    InputError
        Unknown refresh mode, per-bank refresh on a spec without RFCpb/REFIpb, or a command whose
        target lies outside the spec.
    """
    if refresh not in REFRESH_MODES:
        raise InputError(f"refresh mode {refresh!r}; expected one of {', '.join(REFRESH_MODES)}")
    if refresh == "per-bank" and not spec.timing.RFCpb:
        raise InputError(f"refresh 'per-bank' needs timing.RFCpb and timing.REFIpb; {spec.name} has none")
    if max_violations is not None and max_violations < 0:
        raise InputError(f"max_violations is {max_violations}; expected a non-negative integer")
    org = spec.organization
    _validate(commands, spec)
    n = len(commands)
    timing = np.array([getattr(spec.timing, name) for name in _TIMING_NAMES] + [spec.burst_cycles], np.int64)
    rank = commands.channel.astype(np.int64) * org.ranks + commands.rank
    is_bank_cmd = np.isin(commands.cmd, _BANK_COMMANDS)
    bank = np.where(is_bank_cmd,
                    (rank * org.bankgroups + commands.bankgroup) * org.banks_per_group + commands.bank, -1)
    last = int(commands.cycle.max(initial=0))
    end = last if end_cycle is None else int(end_cycle)
    mode = REFRESH_MODES.index(refresh)
    cap = 4096 if max_violations is None else max_violations
    while True:
        count, code, a_idx, b_idx, req, act = _walk(
            commands.cycle, commands.cmd, commands.channel.astype(np.int64), rank, bank,
            commands.bankgroup.astype(np.int64), commands.row.astype(np.int64), timing,
            org.channels, org.ranks, org.bankgroups, org.banks_per_group, mode, end, cap)
        if count <= cap or max_violations is not None:
            break
        cap = count
    k = min(count, cap)
    order = np.argsort(np.where(b_idx[:k] < 0, n, b_idx[:k]), kind="stable")
    return [_violation(commands, spec, int(code[j]), int(a_idx[j]), int(b_idx[j]), int(req[j]), int(act[j]), end)
            for j in order]


def format_report(violations: list[Violation], limit: int = 50) -> str:
    """A readable report: a count per rule, then up to ``limit`` violations one per line."""
    if not violations:
        return "no timing violations"
    counts: dict[str, int] = {}
    for v in violations:
        counts[v.rule] = counts.get(v.rule, 0) + 1
    lines = [f"{len(violations)} violation(s): "
             + ", ".join(f"{rule} x{c}" for rule, c in sorted(counts.items(), key=lambda kv: -kv[1]))]
    lines += [str(v) for v in violations[:limit]]
    if len(violations) > limit:
        lines.append(f"... and {len(violations) - limit} more")
    return "\n".join(lines)


def describe(commands: CommandTrace, i: int) -> str:
    """``#12 @340 ACT ch0 rk0 bg0 b3 row 17``: command ``i`` of the trace, readable."""
    c = int(commands.cmd[i])
    parts = [f"#{i} @{int(commands.cycle[i])} {COMMANDS[c]} ch{int(commands.channel[i])} rk{int(commands.rank[i])}"]
    if c in _BANK_COMMANDS:
        parts.append(f"bg{int(commands.bankgroup[i])} b{int(commands.bank[i])}")
    if c in _ROW_COMMANDS:
        parts.append(f"row {int(commands.row[i])}")
    if c in (RD, WR, RDA, WRA):
        parts.append(f"col {int(commands.column[i])}")
    return " ".join(parts)


def _violation(commands, spec, code, a, b, required, actual, end) -> Violation:
    name = RULES[code]
    if "{cmd}" in name:
        name = name.format(cmd=COMMANDS[int(commands.cmd[b])])
    first = describe(commands, a) if a >= 0 else "start of trace (cycle 0)"
    if b >= 0:
        second = describe(commands, b)
    else:  # a refresh deadline at the end of the run: b = -2 - (flat rank or flat bank)
        org = spec.organization
        loc = -2 - b
        if code == R_REFI_BANK:
            rank, bank = divmod(loc, org.banks)
            where = f" bg{bank // org.banks_per_group} b{bank % org.banks_per_group}"
        else:
            rank, where = loc, ""
        second = f"end of trace (cycle {end}) ch{rank // org.ranks} rk{rank % org.ranks}{where}"
        b = -1
    return Violation(name, required, actual, a, b, first, second)


def _validate(c: CommandTrace, spec: Spec) -> None:
    org = spec.organization
    bad_cmd = c.cmd >= len(COMMANDS)
    if bad_cmd.any():
        i = int(np.flatnonzero(bad_cmd)[0])
        raise InputError(f"command {i}: code {int(c.cmd[i])} is not a command; expected 0..{len(COMMANDS) - 1}")
    is_bank = np.isin(c.cmd, _BANK_COMMANDS)
    is_row = np.isin(c.cmd, _ROW_COMMANDS)
    checks = (
        ("channel", c.channel, np.ones(len(c), bool), org.channels),
        ("rank", c.rank, np.ones(len(c), bool), org.ranks),
        ("bankgroup", c.bankgroup, is_bank, org.bankgroups),
        ("bank", c.bank, is_bank, org.banks_per_group),
        ("row", c.row, is_row, org.rows),
    )
    for name, values, applies, limit in checks:
        low = -1 if name == "row" else 0  # row -1: not known (DRAMPower 4 traces carry no rows)
        bad = applies & ((values < low) | (values >= limit))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"command {i} ({COMMANDS[int(c.cmd[i])]} at cycle {int(c.cycle[i])}): field {name!r} "
                             f"is {int(values[i])}; expected {low}..{limit - 1} for {spec.name}")


@numba.njit(cache=True)
def _record(code, a_idx, b_idx, req, act, k, cap, rule, a, b, required, actual):
    """Store one violation if there is room; return the new count."""
    if k < cap:
        code[k] = rule
        a_idx[k] = a
        b_idx[k] = b
        req[k] = required
        act[k] = actual
    return k + 1


@numba.njit(cache=True)
def _low_power(c, i, t, r, first_bank, bpr, cycle, cmd, lp_i, ex_i, ex_kind, is_open, act_i, pre_t, pre_i,
               pre_all, pre_auto, prea_t, prea_i, bref_t, bref_i, rate_t, rate_i, refresh_mode, T,
               code, a_idx, b_idx, req, act, k, cap):
    """Rules 17-20 for a low-power command ``c`` (index ``i``, cycle ``t``) of flat rank ``r``."""
    if c == PUP_PRE or c == PUP_ACT or c == SREX:
        a = lp_i[r]
        if a < 0:
            return _record(code, a_idx, b_idx, req, act, k, cap, S_CKE_HIGH, ex_i[r], i, 0, 0)
        if (c == SREX) != (cmd[a] == SREN):            # the other state's exit
            return _record(code, a_idx, b_idx, req, act, k, cap, S_CKE_LOW, a, i, 0, 0)
        rule, need = (R_CKESR, T[T_CKESR]) if c == SREX else (R_CKE, T[T_CKE])
        if t - cycle[a] < need:
            k = _record(code, a_idx, b_idx, req, act, k, cap, rule, a, i, need, t - cycle[a])
        lp_i[r] = -1
        ex_i[r] = i
        ex_kind[r] = 2 if c == SREX else (1 if cmd[a] == PDN_S_PRE or cmd[a] == PDN_S_ACT else 0)
        if c == SREX:                                   # 20: the stay refreshed the rank
            rate_t[r] = t
            rate_i[r] = i
            for ob in range(first_bank, first_bank + bpr):
                bref_t[ob] = t
                bref_i[ob] = i
        return k
    # an entry
    if lp_i[r] >= 0:
        return _record(code, a_idx, b_idx, req, act, k, cap, S_CKE_LOW, lp_i[r], i, 0, 0)
    if ex_i[r] >= 0 and t - cycle[ex_i[r]] < T[T_CKE]:
        k = _record(code, a_idx, b_idx, req, act, k, cap, R_CKE, ex_i[r], i, T[T_CKE], t - cycle[ex_i[r]])
    any_open = -1
    for ob in range(first_bank, first_bank + bpr):
        if is_open[ob]:
            any_open = ob
            break
    if c == PDN_F_ACT or c == PDN_S_ACT:
        if any_open < 0:
            k = _record(code, a_idx, b_idx, req, act, k, cap, S_LP_CLOSED, -1, i, 0, 0)
    elif any_open >= 0:
        k = _record(code, a_idx, b_idx, req, act, k, cap, S_LP_OPEN, act_i[any_open], i, 0, 0)
    if c == SREN:
        for ob in range(first_bank, first_bank + bpr):   # every precharge done, as for REF
            if not is_open[ob] and pre_i[ob] >= 0 and not pre_all[ob]:
                a = pre_i[ob]
                need = pre_t[ob] - cycle[a] + T[T_RP]
                if t - cycle[a] < need:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RP_AUTO if pre_auto[ob] else R_RP,
                                a, i, need, t - cycle[a])
        if prea_i[r] >= 0 and t - prea_t[r] < T[T_RPAB]:
            k = _record(code, a_idx, b_idx, req, act, k, cap, R_RPAB, prea_i[r], i, T[T_RPAB], t - prea_t[r])
        interval = T[T_REFI] if refresh_mode == 0 else (T[T_REFIPB] if refresh_mode == 1 else 0)
        last = rate_t[r] if rate_i[r] >= 0 else 0
        if interval and t - last > 9 * interval:        # 20: no refresh owed on entry
            k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFIPB if refresh_mode == 1 else R_REFI,
                        rate_i[r], i, 9 * interval, t - last)
    lp_i[r] = i
    return k


@numba.njit(cache=True)
def _walk(cycle, cmd, channel, rank, bank, bankgroup, row, T, n_channels, ranks_per_channel,
          n_bg, banks_per_group, refresh_mode, end, cap):
    """Walk the trace once, keeping per-bank / per-rank / per-channel history; record violations.

    ``rank`` is the flat rank (channel * ranks_per_channel + rank), ``bank`` the flat bank
    ((rank * n_bg + bankgroup) * banks_per_group + bank, -1 for rank-wide commands). History
    entries hold (cycle, index); index -1 means "none yet". A refresh deadline missed at the end
    of the run is recorded with B = -2 - (flat rank, or flat bank for "tREFI:bank").
    """
    n = len(cycle)
    n_ranks = n_channels * ranks_per_channel
    bpr = n_bg * banks_per_group          # banks per rank
    n_banks = n_ranks * bpr
    nbl = T[T_NBL]
    code = np.empty(cap, np.int64)
    a_idx = np.empty(cap, np.int64)
    b_idx = np.empty(cap, np.int64)
    req = np.empty(cap, np.int64)
    act = np.empty(cap, np.int64)
    k = 0

    # per bank
    is_open = np.zeros(n_banks, np.bool_)
    open_row = np.full(n_banks, -1, np.int64)    # -1 also when the trace does not say (DRAMPower 4)
    act_t = np.zeros(n_banks, np.int64)       # last ACT (rules 1, 2, 3)
    act_i = np.full(n_banks, -1, np.int64)
    rrd_t = np.zeros(n_banks, np.int64)       # last ACT or REFpb (rules 7, 8)
    rrd_i = np.full(n_banks, -1, np.int64)
    pre_t = np.zeros(n_banks, np.int64)       # when the bank was last precharged
    pre_i = np.full(n_banks, -1, np.int64)    # ... by which command (PRE, PREA, RDA or WRA)
    pre_all = np.zeros(n_banks, np.bool_)     # ... that command was a PREA
    pre_auto = np.zeros(n_banks, np.bool_)    # ... that command was RDA/WRA (pre_t = t_pre)
    rd_t = np.zeros(n_banks, np.int64)        # last RD/RDA (rule 5)
    rd_i = np.full(n_banks, -1, np.int64)
    wr_t = np.zeros(n_banks, np.int64)        # last WR/WRA (rule 6)
    wr_i = np.full(n_banks, -1, np.int64)
    rfb_t = np.zeros(n_banks, np.int64)       # last REFpb of the bank (rule 14)
    rfb_i = np.full(n_banks, -1, np.int64)
    bref_t = np.zeros(n_banks, np.int64)      # last refresh of the bank, REF or REFpb (rule 15)
    bref_i = np.full(n_banks, -1, np.int64)
    # per rank
    faw_t = np.zeros((n_ranks, 4), np.int64)  # ring of the last four ACT/REFpb (rule 8)
    faw_i = np.full((n_ranks, 4), -1, np.int64)
    faw_pos = np.zeros(n_ranks, np.int64)
    prea_t = np.zeros(n_ranks, np.int64)
    prea_i = np.full(n_ranks, -1, np.int64)
    ref_t = np.zeros(n_ranks, np.int64)       # last REF (rules 13, 15)
    ref_i = np.full(n_ranks, -1, np.int64)
    rrfb_t = np.zeros(n_ranks, np.int64)      # last REFpb of any bank (rules 14, 15)
    rrfb_i = np.full(n_ranks, -1, np.int64)
    rdg_t = np.zeros((n_ranks, n_bg), np.int64)   # last RD/RDA per bank group (rules 9, 10)
    rdg_i = np.full((n_ranks, n_bg), -1, np.int64)
    wrg_t = np.zeros((n_ranks, n_bg), np.int64)   # last WR/WRA per bank group (rules 9, 11)
    wrg_i = np.full((n_ranks, n_bg), -1, np.int64)
    rrd_any_t = np.zeros(n_ranks, np.int64)   # last RD/RDA of the rank (rules 10, 12)
    rrd_any_i = np.full(n_ranks, -1, np.int64)
    rwr_any_t = np.zeros(n_ranks, np.int64)   # last WR/WRA of the rank (rule 12)
    rwr_any_i = np.full(n_ranks, -1, np.int64)
    # per channel
    ch_t = np.zeros(n_channels, np.int64)
    ch_i = np.full(n_channels, -1, np.int64)
    # per rank, low power (rules 17-20): the open stay's entry (-1: CKE high), the last exit and
    # whether it ended a slow power-down (1) or a self-refresh (2), and the last refresh of the
    # rank for the rate rule 15 (REF or SREX; REFpb for per-bank refresh)
    lp_i = np.full(n_ranks, -1, np.int64)
    ex_i = np.full(n_ranks, -1, np.int64)
    ex_kind = np.zeros(n_ranks, np.int64)
    rate_t = np.zeros(n_ranks, np.int64)
    rate_i = np.full(n_ranks, -1, np.int64)

    wr_to_pre = T[T_CWL] + nbl + T[T_WR]

    for i in range(n):
        t = cycle[i]
        c = cmd[i]
        r = rank[i]
        b = bank[i]
        ch = channel[i]
        g = bankgroup[i]
        first_bank = r * bpr

        # 16: command bus and order
        if ch_i[ch] >= 0:
            if t < ch_t[ch]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_ORDER, ch_i[ch], i, 0, t - ch_t[ch])
            elif t == ch_t[ch]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_BUS, ch_i[ch], i, 1, 0)
        ch_t[ch] = t
        ch_i[ch] = i

        # 17-19: CKE low, exits and what follows them
        if c >= PDN_F_PRE:
            k = _low_power(c, i, t, r, first_bank, bpr, cycle, cmd, lp_i, ex_i, ex_kind, is_open, act_i,
                           pre_t, pre_i, pre_all, pre_auto, prea_t, prea_i, bref_t, bref_i, rate_t, rate_i,
                           refresh_mode, T, code, a_idx, b_idx, req, act, k, cap)
            continue
        if lp_i[r] >= 0:
            k = _record(code, a_idx, b_idx, req, act, k, cap, S_CKE_LOW, lp_i[r], i, 0, 0)
        if ex_i[r] >= 0:
            column = c == RD or c == WR or c == RDA or c == WRA
            if ex_kind[r] == 2:
                rule, need = (R_XSDLL, T[T_XSDLL]) if column else (R_XS, T[T_XS])
            else:
                rule, need = (R_XPDLL, T[T_XPDLL]) if column and ex_kind[r] == 1 else (R_XP, T[T_XP])
            if t - cycle[ex_i[r]] < need:
                k = _record(code, a_idx, b_idx, req, act, k, cap, rule, ex_i[r], i, need, t - cycle[ex_i[r]])

        if c == ACT or c == REFPB:
            if is_open[b]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, S_OPEN, act_i[b], i, 0, 0)
            # 4 / 14: precharge before ACT or REFpb
            if pre_i[b] >= 0:
                a = pre_i[b]
                if pre_auto[b]:
                    need = pre_t[b] - cycle[a] + T[T_RP]
                    if t - cycle[a] < need:
                        k = _record(code, a_idx, b_idx, req, act, k, cap, R_RP_AUTO, a, i, need, t - cycle[a])
                elif c == REFPB or not pre_all[b]:
                    if t - pre_t[b] < T[T_RP]:
                        k = _record(code, a_idx, b_idx, req, act, k, cap, R_RP, a, i, T[T_RP], t - pre_t[b])
            if c == ACT:
                if prea_i[r] >= 0 and t - prea_t[r] < T[T_RPAB]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RPAB, prea_i[r], i, T[T_RPAB], t - prea_t[r])
                if act_i[b] >= 0 and t - act_t[b] < T[T_RC]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RC, act_i[b], i, T[T_RC], t - act_t[b])
                if ref_i[r] >= 0 and t - ref_t[r] < T[T_RFC]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RFC, ref_i[r], i, T[T_RFC], t - ref_t[r])
                if rfb_i[b] >= 0 and t - rfb_t[b] < T[T_RFCPB]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RFCPB, rfb_i[b], i, T[T_RFCPB], t - rfb_t[b])
            else:
                if rrfb_i[r] >= 0 and t - rrfb_t[r] < T[T_RFCPB]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RFCPB, rrfb_i[r], i, T[T_RFCPB], t - rrfb_t[r])
            # 7: ACT/REFpb of other banks of the rank
            best_short = 0
            best_a = -1
            best_rule = 0
            best_need = 0
            for ob in range(first_bank, first_bank + bpr):
                if ob == b or rrd_i[ob] < 0:
                    continue
                same_group = (ob - first_bank) // banks_per_group == g
                need = T[T_RRD_L] if same_group else T[T_RRD_S]
                short = need - (t - rrd_t[ob])
                if short > best_short:
                    best_short = short
                    best_a = rrd_i[ob]
                    best_rule = R_RRD_L if same_group else R_RRD_S
                    best_need = need
            if best_a >= 0:
                k = _record(code, a_idx, b_idx, req, act, k, cap, best_rule, best_a, i, best_need, best_need - best_short)
            # 8: four-activate window
            p = faw_pos[r]
            if faw_i[r, p] >= 0 and t - faw_t[r, p] < T[T_FAW]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_FAW, faw_i[r, p], i, T[T_FAW], t - faw_t[r, p])
            faw_t[r, p] = t
            faw_i[r, p] = i
            faw_pos[r] = (p + 1) % 4
            rrd_t[b] = t
            rrd_i[b] = i
            if c == ACT:
                is_open[b] = True
                open_row[b] = row[i]
                act_t[b] = t
                act_i[b] = i
            else:
                # 15: per-bank refresh rate
                if refresh_mode == 1:
                    last = rate_t[r] if rate_i[r] >= 0 else 0
                    if t - last > 9 * T[T_REFIPB]:
                        k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFIPB, rate_i[r], i, 9 * T[T_REFIPB], t - last)
                    last = bref_t[b] if bref_i[b] >= 0 else 0
                    if t - last > 9 * T[T_REFI]:
                        k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFI_BANK, bref_i[b], i, 9 * T[T_REFI], t - last)
                rfb_t[b] = t
                rfb_i[b] = i
                rrfb_t[r] = t
                rrfb_i[r] = i
                rate_t[r] = t
                rate_i[r] = i
                bref_t[b] = t
                bref_i[b] = i

        elif c == RD or c == WR or c == RDA or c == WRA:
            is_read = c == RD or c == RDA
            if not is_open[b]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, S_CLOSED, pre_i[b], i, 0, 0)
            else:
                if open_row[b] != row[i] and open_row[b] >= 0 and row[i] >= 0:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, S_ROW, act_i[b], i, 0, 0)
                if t - act_t[b] < T[T_RCD]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RCD, act_i[b], i, T[T_RCD], t - act_t[b])
            # 9 and 11: per bank group of the rank (same direction; WR -> RD)
            best_short = 0
            best_a = -1
            best_rule = 0
            best_need = 0
            for h in range(n_bg):
                if is_read:
                    same_t = rdg_t[r, h]
                    same_i = rdg_i[r, h]
                else:
                    same_t = wrg_t[r, h]
                    same_i = wrg_i[r, h]
                if same_i >= 0:
                    need = T[T_CCD_L] if h == g else T[T_CCD_S]
                    short = need - (t - same_t)
                    if short > best_short:
                        best_short = short
                        best_a = same_i
                        best_rule = R_CCD_L if h == g else R_CCD_S
                        best_need = need
            if best_a >= 0:
                k = _record(code, a_idx, b_idx, req, act, k, cap, best_rule, best_a, i, best_need, best_need - best_short)
            if is_read:
                best_short = 0
                best_a = -1
                for h in range(n_bg):
                    if wrg_i[r, h] >= 0:
                        need = T[T_CWL] + nbl + (T[T_WTR_L] if h == g else T[T_WTR_S])
                        short = need - (t - wrg_t[r, h])
                        if short > best_short:
                            best_short = short
                            best_a = wrg_i[r, h]
                            best_rule = R_WTR_L if h == g else R_WTR_S
                            best_need = need
                if best_a >= 0:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, best_rule, best_a, i, best_need, best_need - best_short)
            else:
                # 10: RD -> WR, same rank
                need = T[T_CL] + nbl + 2 - T[T_CWL]
                if rrd_any_i[r] >= 0 and t - rrd_any_t[r] < need:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RTW, rrd_any_i[r], i, need, t - rrd_any_t[r])
            # 12: column commands of the other ranks of this channel
            best_short = 0
            best_a = -1
            best_need = 0
            for orank in range(ch * ranks_per_channel, (ch + 1) * ranks_per_channel):
                if orank == r:
                    continue
                if rrd_any_i[orank] >= 0:
                    need = nbl + T[T_RTRS] if is_read else T[T_CL] + nbl + T[T_RTRS] - T[T_CWL]
                    short = need - (t - rrd_any_t[orank])
                    if short > best_short:
                        best_short = short
                        best_a = rrd_any_i[orank]
                        best_need = need
                if rwr_any_i[orank] >= 0:
                    need = T[T_CWL] + nbl + T[T_RTRS] - T[T_CL] if is_read else nbl + T[T_RTRS]
                    short = need - (t - rwr_any_t[orank])
                    if short > best_short:
                        best_short = short
                        best_a = rwr_any_i[orank]
                        best_need = need
            if best_a >= 0:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_RTRS, best_a, i, best_need, best_need - best_short)
            # update history
            if is_read:
                rdg_t[r, g] = t
                rdg_i[r, g] = i
                rrd_any_t[r] = t
                rrd_any_i[r] = i
                rd_t[b] = t
                rd_i[b] = i
            else:
                wrg_t[r, g] = t
                wrg_i[r, g] = i
                rwr_any_t[r] = t
                rwr_any_i[r] = i
                wr_t[b] = t
                wr_i[b] = i
            if (c == RDA or c == WRA) and is_open[b]:
                if c == RDA:
                    t_pre = max(t + T[T_RTP], act_t[b] + T[T_RAS])
                else:
                    t_pre = max(t + wr_to_pre, act_t[b] + T[T_RAS])
                is_open[b] = False
                pre_t[b] = t_pre
                pre_i[b] = i
                pre_auto[b] = True
                pre_all[b] = False

        elif c == PRE or c == PREA:
            lo = b if c == PRE else first_bank
            hi = b + 1 if c == PRE else first_bank + bpr
            for ob in range(lo, hi):
                if not is_open[ob]:
                    continue  # PRE to a closed bank: a no-op
                if t - act_t[ob] < T[T_RAS]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RAS, act_i[ob], i, T[T_RAS], t - act_t[ob])
                if rd_i[ob] > act_i[ob] and t - rd_t[ob] < T[T_RTP]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_RTP, rd_i[ob], i, T[T_RTP], t - rd_t[ob])
                if wr_i[ob] > act_i[ob] and t - wr_t[ob] < wr_to_pre:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_WR, wr_i[ob], i, wr_to_pre, t - wr_t[ob])
                is_open[ob] = False
                pre_t[ob] = t
                pre_i[ob] = i
                pre_auto[ob] = False
                pre_all[ob] = c == PREA
            if c == PREA:
                prea_t[r] = t
                prea_i[r] = i

        elif c == REF:
            for ob in range(first_bank, first_bank + bpr):
                if is_open[ob]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, S_REF_OPEN, act_i[ob], i, 0, 0)
                elif pre_i[ob] >= 0 and not pre_all[ob]:
                    a = pre_i[ob]
                    if pre_auto[ob]:
                        need = pre_t[ob] - cycle[a] + T[T_RP]
                        if t - cycle[a] < need:
                            k = _record(code, a_idx, b_idx, req, act, k, cap, R_RP_AUTO, a, i, need, t - cycle[a])
                    elif t - pre_t[ob] < T[T_RP]:
                        k = _record(code, a_idx, b_idx, req, act, k, cap, R_RP, a, i, T[T_RP], t - pre_t[ob])
                bref_t[ob] = t
                bref_i[ob] = i
            if prea_i[r] >= 0 and t - prea_t[r] < T[T_RPAB]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_RPAB, prea_i[r], i, T[T_RPAB], t - prea_t[r])
            if ref_i[r] >= 0 and t - ref_t[r] < T[T_RFC]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_RFC, ref_i[r], i, T[T_RFC], t - ref_t[r])
            if refresh_mode == 0:
                last = rate_t[r] if rate_i[r] >= 0 else 0
                if t - last > 9 * T[T_REFI]:
                    k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFI, rate_i[r], i, 9 * T[T_REFI], t - last)
                rate_t[r] = t
                rate_i[r] = i
            ref_t[r] = t
            ref_i[r] = i

    # 15: refresh deadlines still open at the end of the run
    # (a rank still in self-refresh refreshes itself: it owes nothing)
    if refresh_mode == 0:
        for r in range(n_ranks):
            last = rate_t[r] if rate_i[r] >= 0 else 0
            if end - last > 9 * T[T_REFI] and not (lp_i[r] >= 0 and cmd[lp_i[r]] == SREN):
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFI, rate_i[r], -2 - r, 9 * T[T_REFI], end - last)
    elif refresh_mode == 1:
        for r in range(n_ranks):
            last = rate_t[r] if rate_i[r] >= 0 else 0
            if end - last > 9 * T[T_REFIPB] and not (lp_i[r] >= 0 and cmd[lp_i[r]] == SREN):
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFIPB, rate_i[r], -2 - r, 9 * T[T_REFIPB], end - last)
        for ob in range(n_banks):
            r = ob // bpr
            if lp_i[r] >= 0 and cmd[lp_i[r]] == SREN:
                continue
            last = bref_t[ob] if bref_i[ob] >= 0 else 0
            if end - last > 9 * T[T_REFI]:
                k = _record(code, a_idx, b_idx, req, act, k, cap, R_REFI_BANK, bref_i[ob], -2 - ob, 9 * T[T_REFI], end - last)
    return k, code, a_idx, b_idx, req, act
