"""The checker's one pass over a command trace (Numba): per-bank / rank / channel history.

:func:`walk` gets the trace as plain arrays and the checker's own values (:data:`TIMING_NAMES`,
built by :func:`dramsim.checker.jedec.limits`) and returns the violations as arrays of rule code
(:data:`RULE_CODES`), earlier command A, later command B, required and actual distance. The rules
themselves are listed in :mod:`dramsim.checker`.
"""
from __future__ import annotations

import numba
import numpy as np

from traces.commands import (ACT, PDN_F_ACT, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PRE, PREA, PUP_ACT, PUP_PRE, RD,
                             RDA, REF, REFPB, REFSB, SREN, SREX, WR, WRA)

#: Rule codes (index = code); names per standard in :func:`dramsim.checker.rule_names`.
RULE_CODES = ("order", "command bus", "data bus", "tRTRS", "tRC", "tRCD", "tRAS", "tRP", "tRPab", "tRTP",
              "tWR", "tRRD_L", "tRRD_S", "tFAW", "tCCD_L", "tCCD_S", "tRTW", "tWTR_L", "tWTR_S", "tRFC",
              "tRFCpb", "tPPD", "tREFI", "tREFI:average", "tREFIpb", "tREFIpb:average", "tREFI:bank",
              "state:{cmd} to open bank", "state:{cmd} to closed bank", "state:{cmd} to a row not open",
              "state:REF with open bank", "state:REFpb to a bank already refreshed in this round",
              "tCKE", "tCKESR", "tXP", "tXPDLL", "tXS", "tXSDLL",
              "state:{cmd} while CKE is low", "state:{cmd} while CKE is high", "state:{cmd} with open bank",
              "state:{cmd} with every bank closed", "tCCD_L_WR", "tCCD_S_WR", "tRCD_WR", "tRREFD",
              "tAAD", "state:{cmd} while ACT-2 is pending", "tRFCsb", "tREFSBRD", "tREFIsb", "tREFIsb:average",
              "state:REFsb to a bank set already refreshed in this round",
              "tCCDR", "state:{cmd} off CK's rising edge")
(R_ORDER, R_CMDBUS, R_DATABUS, R_RTRS, R_RC, R_RCD, R_RAS, R_RP, R_RPAB, R_RTP, R_WR, R_RRD_L, R_RRD_S,
 R_FAW, R_CCD_L, R_CCD_S, R_RTW, R_WTR_L, R_WTR_S, R_RFC, R_RFCPB, R_PPD, R_REFI, R_REFI_AVG, R_REFIPB,
 R_REFIPB_AVG, R_REFI_BANK, S_OPEN, S_CLOSED, S_ROW, S_REF_OPEN, S_ROTATION, R_CKE, R_CKESR, R_XP, R_XPDLL,
 R_XS, R_XSDLL, S_CKE_LOW, S_CKE_HIGH, S_LP_OPEN, S_LP_CLOSED, R_CCD_L_WR, R_CCD_S_WR,
 R_RCD_WR, R_RREFD, R_AAD, S_WORD_PENDING, R_RFCSB, R_REFSBRD, R_REFISB, R_REFISB_AVG,
 S_SB_ROTATION, R_CCD_R, S_EDGE) = range(len(RULE_CODES))
#: Rules that bound a distance from above (``actual`` must not exceed ``required``).
MAX_RULES = frozenset({R_REFI, R_REFI_AVG, R_REFIPB, R_REFIPB_AVG, R_REFI_BANK, R_REFISB, R_REFISB_AVG})

#: The timing vector handed to the kernel, by name (keys of ``jedec.limits``).
TIMING_NAMES = ("CL", "CWL", "nBL", "RCD", "RP", "RPab", "RAS", "RC", "CCD_S", "CCD_L", "RRD_S", "RRD_L",
                "FAW", "RD2PRE", "WR2PRE", "RD2WR", "WR2RD_S", "WR2RD_L", "RFC", "RFCpb", "REFI", "REFIpb",
                "RTRS", "PPD", "CKE", "CKESR", "XP", "XPDLL", "XS", "XSDLL", "CCD_S_WR", "CCD_L_WR", "RCD_WR",
                "RREFD", "RFCsb", "REFSBRD", "REFIsb", "CCD_R", "REFPB_RRD")
(T_CL, T_CWL, T_NBL, T_RCD, T_RP, T_RPAB, T_RAS, T_RC, T_CCD_S, T_CCD_L, T_RRD_S, T_RRD_L, T_FAW,
 T_RD2PRE, T_WR2PRE, T_RD2WR, T_WR2RD_S, T_WR2RD_L, T_RFC, T_RFCPB, T_REFI, T_REFIPB, T_RTRS, T_PPD,
 T_CKE, T_CKESR, T_XP, T_XPDLL, T_XS, T_XSDLL, T_CCD_S_WR, T_CCD_L_WR, T_RCD_WR,
 T_RREFD, T_RFCSB, T_REFSBRD, T_REFISB, T_CCD_R, T_REFPB_RRD) = range(len(TIMING_NAMES))

#: Postponed refreshes JEDEC allows (DDR3/DDR4/LPDDR3/LPDDR4: 8, so 9 intervals between REFs).
POSTPONE = 8
_RING = 8       # bursts per channel the data-bus rule compares a new one with


@numba.njit(cache=True)
def _record(out, k, cap, rule, a, b, required, actual):
    """Store one violation in ``out`` (5 x cap) if there is room; return the new count."""
    if k < cap:
        out[0, k] = rule
        out[1, k] = a
        out[2, k] = b
        out[3, k] = required
        out[4, k] = actual
    return k + 1


@numba.njit(cache=True)
def _owed(out, k, cap, t, b_idx, r, interval, per_bank, base_t, count, last_t, last_i):
    """Refresh-rate check of rank ``r`` at cycle ``t`` (a refresh, an SREN or the end, B = ``b_idx``):
    at most 9 intervals since the last refresh, and at most 8 refreshes owed since ``base_t``.
    ``per_bank``: 0 (False) all-bank, 1 (True) per-bank, 2 same-bank rules (their names)."""
    if interval <= 0:
        return k
    ta = last_t[r] if last_i[r] >= 0 else base_t[r]
    if t - ta > (POSTPONE + 1) * interval:
        return _record(out, k, cap, R_REFISB if per_bank == 2 else (R_REFIPB if per_bank else R_REFI),
                       last_i[r], b_idx, (POSTPONE + 1) * interval, t - ta)
    deadline = base_t[r] + (count[r] + 1 + POSTPONE) * interval
    if t > deadline:
        return _record(out, k, cap, R_REFISB_AVG if per_bank == 2 else (R_REFIPB_AVG if per_bank else R_REFI_AVG),
                       last_i[r], b_idx, deadline - ta, t - ta)
    return k


@numba.njit(cache=True)
def _by_group(out, k, cap, i, t, r, g, hist_t, hist_i, own_need, own_rule, other_need, other_rule):
    """Command B (index ``i``, cycle ``t``, bank group ``g`` of rank ``r``) against the last A of each
    bank group of the rank (``hist_t`` / ``hist_i[r, h]``): the own group's A at least ``own_need``
    before (rule ``own_rule``; -1: the own group counts as the others), the other groups' A at
    least ``other_need`` (rule ``other_rule``, reported once, with the A that constrains B the most)."""
    best_short = 0
    best_a = -1
    for h in range(hist_i.shape[1]):
        a = hist_i[r, h]
        if a < 0:
            continue
        d = t - hist_t[r, h]
        if h == g and own_rule >= 0:
            if d < own_need:
                k = _record(out, k, cap, own_rule, a, i, own_need, d)
            continue
        if other_need - d > best_short:
            best_short = other_need - d
            best_a = a
    if best_a >= 0:
        k = _record(out, k, cap, other_rule, best_a, i, other_need, other_need - best_short)
    return k


@numba.njit(cache=True)
def _by_sid(out, k, cap, i, t, r, g, hist_t, hist_i, sid_groups, need, rule):
    """Command B (index ``i``, cycle ``t``, bank group ``g`` of rank ``r``, counted over the rank's
    SIDs, ``sid_groups`` per SID) against the last A of each bank group of the rank's other SIDs:
    at least ``need`` (rule ``rule``, reported once, with the A that constrains B the most)."""
    best_short = 0
    best_a = -1
    for h in range(hist_i.shape[1]):
        a = hist_i[r, h]
        if a < 0 or h // sid_groups == g // sid_groups:
            continue
        if need - (t - hist_t[r, h]) > best_short:
            best_short = need - (t - hist_t[r, h])
            best_a = a
    if best_a >= 0:
        k = _record(out, k, cap, rule, best_a, i, need, need - best_short)
    return k


@numba.njit(cache=True)
def walk(cycle, cmd, channel, rank, bank, bankgroup, row, T, slots, offset, bus, late, data_per_rank, n_channels,
         ranks_per_channel, n_bg, banks_per_group, refresh_mode, end, cap, edge, sid_groups):
    """Walk the trace once; return (count, out) with ``out`` rows code, A, B, required, actual.

    ``offset[c]``: clocks from the issue cycle of command code ``c`` to the clock its timing is
    measured from (DDR5: the second clock of a 2-clock command, 1; else 0). Order and the command
    bus use the issue cycles, every other rule these reference clocks. ``bus[c]``: the command bus
    of command code ``c`` (0 where a channel has one bus; HBM: 0 column, 1 row): each bus is
    occupied on its own, so commands on different buses may share a cycle. ``data_per_rank``:
    each rank has its own data bus (HBM pseudo-channels): bursts of different ranks never meet,
    no tRTRS.
    ``late[c]`` > 0: command code ``c``'s second word (of its 2 slots) may come later, at the latest
    ``late[c]`` clocks after the first (LPDDR5 ACT-2, tAAD). The trace does not record it: the walk
    puts it into the first clock of the bus after the first word that no command takes (the
    earliest a controller could send it), reports ``tAAD`` when that is later than ``late[c]``, and
    reports a command of the same code issued before it (``state:... while ACT-2 is pending``).

    ``edge[c]``: command code ``c`` issues only in cycles that are multiples of it (HBM3: CK's
    rising edge in half-CK ticks, 2; 1 elsewhere), else ``state:... off CK's rising edge``.
    ``sid_groups`` > 0: the rank's bank groups (``n_bg`` of them) are spread over SIDs of
    ``sid_groups`` each (HBM3; ``bankgroup`` counts over the SIDs): a read after a read of
    another SID of the rank waits ``CCD_R`` (tCCDR). 0: no SIDs.

    ``rank`` is the flat rank (channel * ranks_per_channel + rank), ``bank`` the flat bank
    ((rank * n_bg + bankgroup) * banks_per_group + bank, -1 for rank-wide commands), ``slots[c]``
    the command-bus clocks of command code ``c``, ``refresh_mode`` 0 all-bank, 1 per-bank, 2 none,
    3 same-bank. A REFsb's ``bank`` is the flat bank of its set in bank group 0 (its set: that bank
    index in every bank group of the rank; :func:`_same_bank_refresh`).
    History entries hold (cycle, index); index -1 means "none yet". A refresh deadline missed at
    the end of the run is recorded with B = -2 - (flat rank, or flat bank for "tREFI:bank").
    """
    n = len(cycle)
    n_ranks = n_channels * ranks_per_channel
    bpr = n_bg * banks_per_group
    n_banks = n_ranks * bpr
    nbl = T[T_NBL]
    out = np.empty((5, cap), np.int64)
    k = 0
    interval = T[T_REFI] if refresh_mode == 0 else (T[T_REFIPB] if refresh_mode == 1 else 0)
    per_bank = refresh_mode == 1
    if refresh_mode == 3:
        interval = T[T_REFISB]
    rate_kind = 2 if refresh_mode == 3 else (1 if per_bank else 0)   # which tREFI* names _owed reports

    # per bank
    is_open = np.zeros(n_banks, np.bool_)
    open_row = np.full(n_banks, -1, np.int64)
    act_t = np.zeros(n_banks, np.int64)
    act_i = np.full(n_banks, -1, np.int64)
    rrd_t = np.zeros(n_banks, np.int64)       # last ACT or REFpb (tRRD, tFAW)
    rrd_i = np.full(n_banks, -1, np.int64)
    pre_t = np.zeros(n_banks, np.int64)       # when the bank's precharge started
    pre_i = np.full(n_banks, -1, np.int64)    # ... by which command (PRE, PREA, RDA or WRA)
    pre_all = np.zeros(n_banks, np.bool_)     # ... a PREA
    rd_t = np.zeros(n_banks, np.int64)        # last RD/RDA of the bank
    rd_i = np.full(n_banks, -1, np.int64)
    wr_t = np.zeros(n_banks, np.int64)        # last WR/WRA of the bank
    wr_i = np.full(n_banks, -1, np.int64)
    rfb_t = np.zeros(n_banks, np.int64)       # last REFpb of the bank
    rfb_i = np.full(n_banks, -1, np.int64)
    bref_t = np.zeros(n_banks, np.int64)      # last refresh of the bank (REF, REFpb, SREX)
    bref_i = np.full(n_banks, -1, np.int64)
    # per rank
    faw_t = np.zeros((n_ranks, 4), np.int64)
    faw_i = np.full((n_ranks, 4), -1, np.int64)
    faw_pos = np.zeros(n_ranks, np.int64)
    prea_t = np.zeros(n_ranks, np.int64)
    prea_i = np.full(n_ranks, -1, np.int64)
    ref_t = np.zeros(n_ranks, np.int64)       # last REF
    ref_i = np.full(n_ranks, -1, np.int64)
    rrfb_t = np.zeros(n_ranks, np.int64)      # last REFpb of any bank
    rrfb_i = np.full(n_ranks, -1, np.int64)
    pp_t = np.zeros(n_ranks, np.int64)        # last PRE/PREA (tPPD)
    pp_i = np.full(n_ranks, -1, np.int64)
    rdg_t = np.zeros((n_ranks, n_bg), np.int64)
    rdg_i = np.full((n_ranks, n_bg), -1, np.int64)
    wrg_t = np.zeros((n_ranks, n_bg), np.int64)
    wrg_i = np.full((n_ranks, n_bg), -1, np.int64)
    round_mask = np.zeros(n_ranks, np.int64)  # banks REFpb'd in this round (bit per bank)
    base_t = np.zeros(n_ranks, np.int64)      # refresh schedule start (0, or the last SREX)
    count = np.zeros(n_ranks, np.int64)       # refreshes (units of the interval) since base_t
    last_t = np.zeros(n_ranks, np.int64)      # last refresh (REF/REFpb, or SREX)
    last_i = np.full(n_ranks, -1, np.int64)
    lp_i = np.full(n_ranks, -1, np.int64)     # open low-power stay's entry (-1: CKE high)
    ex_i = np.full(n_ranks, -1, np.int64)     # last exit
    ex_kind = np.zeros(n_ranks, np.int64)     # 0 fast power-down, 1 slow, 2 self-refresh
    # per channel
    ch_t = np.zeros(n_channels, np.int64)
    ch_i = np.full(n_channels, -1, np.int64)
    n_bus = bus.max() + 1
    cb_t = np.zeros((n_channels, n_bus), np.int64)    # last command on each command bus
    cb_i = np.full((n_channels, n_bus), -1, np.int64)
    ch_free = np.zeros((n_channels, n_bus), np.int64)  # first cycle each command bus is free again
    w_i = np.full(n_channels, -1, np.int64)            # command whose deferred second word is pending
    n_db = n_ranks if data_per_rank else n_channels    # data buses
    db_s = np.zeros((n_db, _RING), np.int64)   # data-bus bursts: start, end, issue, rank, index
    db_e = np.zeros((n_db, _RING), np.int64)
    db_t = np.zeros((n_db, _RING), np.int64)
    db_r = np.zeros((n_db, _RING), np.int64)
    db_i = np.full((n_db, _RING), -1, np.int64)
    db_pos = np.zeros(n_db, np.int64)
    full_mask = (1 << bpr) - 1
    # same-bank refresh (REFsb): last REFsb of each bank's set and of each rank, sets done this round
    sb_t = np.zeros(n_banks, np.int64)
    sb_i = np.full(n_banks, -1, np.int64)
    rsb_t = np.zeros(n_ranks, np.int64)
    rsb_i = np.full(n_ranks, -1, np.int64)
    sb_round = np.zeros(n_ranks, np.int64)
    tc = np.empty(n, np.int64)                # reference clock of each command
    for i in range(n):
        tc[i] = cycle[i] + offset[cmd[i]]

    for i in range(n):
        t0 = cycle[i]
        t = tc[i]
        c = cmd[i]
        r = rank[i]
        b = bank[i]
        ch = channel[i]
        g = bankgroup[i]
        fb = r * bpr
        low_power = PDN_F_PRE <= c <= SREX

        # command bus and order
        u = bus[c]
        out_of_order = ch_i[ch] >= 0 and t0 < ch_t[ch]
        if out_of_order:
            k = _record(out, k, cap, R_ORDER, ch_i[ch], i, 0, t0 - ch_t[ch])
        # a pending second word goes into the first free clock of its bus before this command
        if w_i[ch] >= 0 and bus[cmd[w_i[ch]]] == u:
            a = w_i[ch]
            if ch_free[ch, u] < t0:
                if ch_free[ch, u] - cycle[a] > late[cmd[a]]:
                    k = _record(out, k, cap, R_AAD, a, i, late[cmd[a]], ch_free[ch, u] - cycle[a])
                ch_free[ch, u] += 1
                w_i[ch] = -1
            elif t0 - cycle[a] >= late[cmd[a]]:          # every clock up to the latest one is taken
                k = _record(out, k, cap, R_AAD, a, i, late[cmd[a]], t0 + 1 - cycle[a])
                w_i[ch] = -1
            elif c == cmd[a]:
                k = _record(out, k, cap, S_WORD_PENDING, a, i, 0, 0)
        # (one bus: out of order implies the bus, reported once; several: each bus on its own)
        if (not out_of_order or n_bus > 1) and cb_i[ch, u] >= 0 and t0 < ch_free[ch, u]:
            k = _record(out, k, cap, R_CMDBUS, cb_i[ch, u], i, ch_free[ch, u] - cb_t[ch, u], t0 - cb_t[ch, u])
        ch_t[ch] = t0
        ch_i[ch] = i
        cb_t[ch, u] = t0
        cb_i[ch, u] = i
        ch_free[ch, u] = max(ch_free[ch, u], t0 + (1 if late[c] > 0 else slots[c]))
        if late[c] > 0:
            w_i[ch] = i
        if t0 % edge[c] != 0:
            k = _record(out, k, cap, S_EDGE, -1, i, 0, 0)

        # CKE low / high, exits and what follows them
        if low_power:
            k = _low_power(out, k, cap, c, i, t, r, fb, bpr, tc, cmd, lp_i, ex_i, ex_kind, is_open, act_i,
                           pre_t, pre_i, pre_all, prea_t, prea_i, bref_t, bref_i, base_t, count, last_t, last_i,
                           round_mask, interval, rate_kind, T)
            continue
        if lp_i[r] >= 0:
            k = _record(out, k, cap, S_CKE_LOW, lp_i[r], i, 0, 0)
        if ex_i[r] >= 0:
            column = c == RD or c == WR or c == RDA or c == WRA
            if ex_kind[r] == 2:
                rule, need = (R_XSDLL, T[T_XSDLL]) if column else (R_XS, T[T_XS])
            else:
                rule, need = (R_XPDLL, T[T_XPDLL]) if column and ex_kind[r] == 1 else (R_XP, T[T_XP])
            if t - tc[ex_i[r]] < need:
                k = _record(out, k, cap, rule, ex_i[r], i, need, t - tc[ex_i[r]])
        # no command to a rank during its all-bank refresh
        if ref_i[r] >= 0 and t - ref_t[r] < T[T_RFC]:
            k = _record(out, k, cap, R_RFC, ref_i[r], i, T[T_RFC], t - ref_t[r])
        # REF/REFpb after a REFpb of any bank of the rank; ACT/PRE after their bank's REFpb. With
        # tRREFD (GDDR6) a REFpb or ACT waits only tRREFD after another bank's REFpb
        other_refpb = c != REF and rrfb_i[r] >= 0 and (b < 0 or rrfb_i[r] != rfb_i[b])
        if T[T_RREFD] > 0 and other_refpb and (c == REFPB or c == ACT):
            if t - rrfb_t[r] < T[T_RREFD]:
                k = _record(out, k, cap, R_RREFD, rrfb_i[r], i, T[T_RREFD], t - rrfb_t[r])
            if c == REFPB and rfb_i[b] >= 0 and t - rfb_t[b] < T[T_RFCPB]:
                k = _record(out, k, cap, R_RFCPB, rfb_i[b], i, T[T_RFCPB], t - rfb_t[b])
        elif c == REF or c == REFPB:
            if rrfb_i[r] >= 0 and t - rrfb_t[r] < T[T_RFCPB]:
                k = _record(out, k, cap, R_RFCPB, rrfb_i[r], i, T[T_RFCPB], t - rrfb_t[r])
        if (c == ACT or c == PRE) and rfb_i[b] >= 0 and t - rfb_t[b] < T[T_RFCPB]:
            k = _record(out, k, cap, R_RFCPB, rfb_i[b], i, T[T_RFCPB], t - rfb_t[b])
        if rsb_i[r] >= 0 and c != REFSB:
            k = _after_same_bank(out, k, cap, c, i, t, r, b, sb_t, sb_i, rsb_t, rsb_i, T)

        if c == ACT or c == REFPB:
            if is_open[b]:
                k = _record(out, k, cap, S_OPEN, act_i[b], i, 0, 0)
            if prea_i[r] >= 0 and t - prea_t[r] < T[T_RPAB]:
                k = _record(out, k, cap, R_RPAB, prea_i[r], i, T[T_RPAB], t - prea_t[r])
            if pre_i[b] >= 0 and not pre_all[b]:
                a = pre_i[b]
                need = pre_t[b] - tc[a] + T[T_RP]
                if t - tc[a] < need:
                    k = _record(out, k, cap, R_RP, a, i, need, t - tc[a])
            if c == ACT and act_i[b] >= 0 and t - act_t[b] < T[T_RC]:
                k = _record(out, k, cap, R_RC, act_i[b], i, T[T_RC], t - act_t[b])
            # ACT/REFpb of the other banks of the rank (with REFPB_RRD a REFpb is no activation: it
            # waits REFPB_RRD after another bank's ACT and enters neither tRRD nor tFAW)
            activation = c == ACT or T[T_REFPB_RRD] == 0
            best_short = 0
            best_a = -1
            best_rule = 0
            best_need = 0
            for ob in range(fb, fb + bpr):
                if ob == b or rrd_i[ob] < 0:
                    continue
                same_group = (ob - fb) // banks_per_group == g
                need = T[T_RRD_L] if same_group else T[T_RRD_S]
                if not activation:
                    same_group = False
                    need = T[T_REFPB_RRD]
                short = need - (t - rrd_t[ob])
                if short > best_short:
                    best_short = short
                    best_a = rrd_i[ob]
                    best_rule = R_RRD_L if same_group else R_RRD_S
                    best_need = need
            if best_a >= 0:
                k = _record(out, k, cap, best_rule, best_a, i, best_need, best_need - best_short)
            if activation:
                p = faw_pos[r]
                if faw_i[r, p] >= 0 and t - faw_t[r, p] < T[T_FAW]:
                    k = _record(out, k, cap, R_FAW, faw_i[r, p], i, T[T_FAW], t - faw_t[r, p])
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
                bit = 1 << (b - fb)
                if round_mask[r] & bit:
                    k = _record(out, k, cap, S_ROTATION, rfb_i[b], i, 0, 0)
                round_mask[r] |= bit
                if round_mask[r] == full_mask:
                    round_mask[r] = 0
                if per_bank:
                    k = _owed(out, k, cap, t, i, r, interval, True, base_t, count, last_t, last_i)
                    ta = bref_t[b] if bref_i[b] >= 0 else base_t[r]
                    if t - ta > (POSTPONE + 1) * T[T_REFI]:
                        k = _record(out, k, cap, R_REFI_BANK, bref_i[b], i, (POSTPONE + 1) * T[T_REFI], t - ta)
                    count[r] += 1
                    last_t[r] = t
                    last_i[r] = i
                rfb_t[b] = t
                rfb_i[b] = i
                rrfb_t[r] = t
                rrfb_i[r] = i
                bref_t[b] = t
                bref_i[b] = i

        elif c == RD or c == WR or c == RDA or c == WRA:
            is_read = c == RD or c == RDA
            if not is_open[b]:
                k = _record(out, k, cap, S_CLOSED, pre_i[b], i, 0, 0)
            else:
                if open_row[b] != row[i] and open_row[b] >= 0 and row[i] >= 0:
                    k = _record(out, k, cap, S_ROW, act_i[b], i, 0, 0)
                # ACT to read / to write (equal but on GDDR6: tRCDRD, tRCDWR)
                rcd, rcd_rule = (T[T_RCD], R_RCD) if is_read else (T[T_RCD_WR], R_RCD_WR)
                if t - act_t[b] < rcd:
                    k = _record(out, k, cap, rcd_rule, act_i[b], i, rcd, t - act_t[b])
            # same direction, per bank group of the rank; then the turnarounds WR -> RD, RD -> WR
            if is_read:
                k = _by_group(out, k, cap, i, t, r, g, rdg_t, rdg_i, T[T_CCD_L], R_CCD_L, T[T_CCD_S], R_CCD_S)
                if sid_groups > 0:
                    k = _by_sid(out, k, cap, i, t, r, g, rdg_t, rdg_i, sid_groups, T[T_CCD_R], R_CCD_R)
                k = _by_group(out, k, cap, i, t, r, g, wrg_t, wrg_i, T[T_WR2RD_L], R_WTR_L, T[T_WR2RD_S], R_WTR_S)
            else:
                k = _by_group(out, k, cap, i, t, r, g, wrg_t, wrg_i, T[T_CCD_L_WR], R_CCD_L_WR, T[T_CCD_S_WR],
                              R_CCD_S_WR)
                k = _by_group(out, k, cap, i, t, r, g, rdg_t, rdg_i, 0, -1, T[T_RD2WR], R_RTW)
            # the data bus of the channel (of the rank): no overlap; tRTRS between ranks
            dn = r if data_per_rank else ch
            lat = T[T_CL] if is_read else T[T_CWL]
            s = t + lat
            e = s + nbl
            for other_rank in (False, True):        # "data bus" (same rank), "tRTRS" (other ranks)
                best_short = 0
                best_a = -1
                best_need = 0
                for j in range(_RING):
                    if db_i[dn, j] < 0 or (db_r[dn, j] != r) != other_rank:
                        continue
                    gap = T[T_RTRS] if other_rank else 0
                    if s < db_e[dn, j] + gap and e + gap > db_s[dn, j]:
                        need = db_e[dn, j] + gap - lat - db_t[dn, j]
                        short = need - (t - db_t[dn, j])
                        if short > best_short:
                            best_short = short
                            best_a = db_i[dn, j]
                            best_need = need
                if best_a >= 0:
                    k = _record(out, k, cap, R_RTRS if other_rank else R_DATABUS, best_a, i, best_need,
                                best_need - best_short)
            p = db_pos[dn]
            db_s[dn, p] = s
            db_e[dn, p] = e
            db_t[dn, p] = t
            db_r[dn, p] = r
            db_i[dn, p] = i
            db_pos[dn] = (p + 1) % _RING
            if is_read:
                rdg_t[r, g] = t
                rdg_i[r, g] = i
            else:
                wrg_t[r, g] = t
                wrg_i[r, g] = i
            if (c == RDA or c == WRA) and is_open[b]:
                if c == RDA:
                    t_pre = max(t + T[T_RD2PRE], act_t[b] + T[T_RAS])
                    # the implicit precharge must not start before an earlier WR's recovery
                    if wr_i[b] > act_i[b] and t_pre < wr_t[b] + T[T_WR2PRE]:
                        need = T[T_WR2PRE] - T[T_RD2PRE]
                        k = _record(out, k, cap, R_WR, wr_i[b], i, need, t - wr_t[b])
                else:
                    t_pre = max(t + T[T_WR2PRE], act_t[b] + T[T_RAS])
                is_open[b] = False
                pre_t[b] = t_pre
                pre_i[b] = i
                pre_all[b] = False
            if is_read:
                rd_t[b] = t
                rd_i[b] = i
            else:
                wr_t[b] = t
                wr_i[b] = i

        elif c == PRE or c == PREA:
            if pp_i[r] >= 0 and t - pp_t[r] < T[T_PPD]:
                k = _record(out, k, cap, R_PPD, pp_i[r], i, T[T_PPD], t - pp_t[r])
            pp_t[r] = t
            pp_i[r] = i
            lo = b if c == PRE else fb
            hi = b + 1 if c == PRE else fb + bpr
            for ob in range(lo, hi):
                if not is_open[ob]:
                    continue  # PRE to a closed bank: a no-op
                if t - act_t[ob] < T[T_RAS]:
                    k = _record(out, k, cap, R_RAS, act_i[ob], i, T[T_RAS], t - act_t[ob])
                if rd_i[ob] > act_i[ob] and t - rd_t[ob] < T[T_RD2PRE]:
                    k = _record(out, k, cap, R_RTP, rd_i[ob], i, T[T_RD2PRE], t - rd_t[ob])
                if wr_i[ob] > act_i[ob] and t - wr_t[ob] < T[T_WR2PRE]:
                    k = _record(out, k, cap, R_WR, wr_i[ob], i, T[T_WR2PRE], t - wr_t[ob])
                is_open[ob] = False
                pre_t[ob] = t
                pre_i[ob] = i
                pre_all[ob] = c == PREA
            if c == PREA:
                prea_t[r] = t
                prea_i[r] = i

        elif c == REFSB:
            k = _same_bank_refresh(out, k, cap, i, t, r, b, fb, n_bg, banks_per_group, tc, is_open, act_i, pre_t,
                                   pre_i, pre_all, prea_t, prea_i, sb_t, sb_i, rsb_t, rsb_i, sb_round, T)
            if refresh_mode == 3:
                k = _owed(out, k, cap, t, i, r, interval, 2, base_t, count, last_t, last_i)
                count[r] += 1
                last_t[r] = t
                last_i[r] = i

        elif c == REF:
            k = _precharged(out, k, cap, i, t, r, fb, bpr, tc, is_open, act_i, pre_t, pre_i, pre_all,
                            prea_t, prea_i, T, S_REF_OPEN)
            for ob in range(fb, fb + bpr):
                bref_t[ob] = t
                bref_i[ob] = i
            round_mask[r] = 0
            sb_round[r] = 0
            if refresh_mode != 2:
                k = _owed(out, k, cap, t, i, r, interval, rate_kind, base_t, count, last_t, last_i)
                count[r] += bpr if per_bank else (banks_per_group if refresh_mode == 3 else 1)
                last_t[r] = t
                last_i[r] = i
            ref_t[r] = t
            ref_i[r] = i

    # refresh deadlines still open at the end (a rank still in self-refresh owes nothing)
    if refresh_mode != 2:
        for r in range(n_ranks):
            if lp_i[r] >= 0 and cmd[lp_i[r]] == SREN:
                continue
            k = _owed(out, k, cap, end, -2 - r, r, interval, rate_kind, base_t, count, last_t, last_i)
            if per_bank:
                for ob in range(r * bpr, (r + 1) * bpr):
                    ta = bref_t[ob] if bref_i[ob] >= 0 else base_t[r]
                    if end - ta > (POSTPONE + 1) * T[T_REFI]:
                        k = _record(out, k, cap, R_REFI_BANK, bref_i[ob], -2 - ob, (POSTPONE + 1) * T[T_REFI],
                                    end - ta)
    return k, out


@numba.njit(cache=True)
def _same_bank_refresh(out, k, cap, i, t, r, b, fb, n_bg, bpg, tc, is_open, act_i, pre_t, pre_i, pre_all, prea_t,
                       prea_i, sb_t, sb_i, rsb_t, rsb_i, sb_round, T):
    """A REFsb (index ``i``) to bank set ``b - fb`` of flat rank ``r``: every bank of the set closed
    and precharged (tRP / tRPab), tRFCsb after the rank's last REFsb, each set once per round
    (JESD79-5 same-bank refresh); it then refreshes each bank of the set for tRFCsb."""
    if rsb_i[r] >= 0 and t - rsb_t[r] < T[T_RFCSB]:
        k = _record(out, k, cap, R_RFCSB, rsb_i[r], i, T[T_RFCSB], t - rsb_t[r])
    for g in range(n_bg):
        ob = b + g * bpg
        k = _bank_precharged(out, k, cap, i, t, ob, tc, is_open, act_i, pre_t, pre_i, pre_all, T, S_OPEN)
        sb_t[ob] = t
        sb_i[ob] = i
    if prea_i[r] >= 0 and t - prea_t[r] < T[T_RPAB]:
        k = _record(out, k, cap, R_RPAB, prea_i[r], i, T[T_RPAB], t - prea_t[r])
    bit = 1 << (b - fb)
    if sb_round[r] & bit:
        k = _record(out, k, cap, S_SB_ROTATION, rsb_i[r], i, 0, 0)
    sb_round[r] |= bit
    if sb_round[r] == (1 << bpg) - 1:
        sb_round[r] = 0
    rsb_t[r] = t
    rsb_i[r] = i
    return k


@numba.njit(cache=True)
def _after_same_bank(out, k, cap, c, i, t, r, b, sb_t, sb_i, rsb_t, rsb_i, T):
    """Command ``c`` (index ``i``) after the rank's last REFsb: ACT/PRE to a bank of a set in refresh
    tRFCsb, an ACT to any other bank tREFSBRD, REF and PREA (every bank) tRFCsb."""
    if c == ACT or c == PRE:
        if sb_i[b] >= 0 and t - sb_t[b] < T[T_RFCSB]:
            return _record(out, k, cap, R_RFCSB, sb_i[b], i, T[T_RFCSB], t - sb_t[b])
        if c == ACT and t - rsb_t[r] < T[T_REFSBRD]:
            return _record(out, k, cap, R_REFSBRD, rsb_i[r], i, T[T_REFSBRD], t - rsb_t[r])
    elif (c == REF or c == PREA) and t - rsb_t[r] < T[T_RFCSB]:
        return _record(out, k, cap, R_RFCSB, rsb_i[r], i, T[T_RFCSB], t - rsb_t[r])
    return k


@numba.njit(cache=True)
def _bank_precharged(out, k, cap, i, t, ob, tc, is_open, act_i, pre_t, pre_i, pre_all, T, open_rule):
    """Command ``i`` at ``t`` needs bank ``ob`` closed (else ``open_rule``) and its precharge done (tRP)."""
    if is_open[ob]:
        return _record(out, k, cap, open_rule, act_i[ob], i, 0, 0)
    if pre_i[ob] >= 0 and not pre_all[ob]:
        a = pre_i[ob]
        need = pre_t[ob] - tc[a] + T[T_RP]
        if t - tc[a] < need:
            k = _record(out, k, cap, R_RP, a, i, need, t - tc[a])
    return k


@numba.njit(cache=True)
def _precharged(out, k, cap, i, t, r, fb, bpr, tc, is_open, act_i, pre_t, pre_i, pre_all, prea_t, prea_i, T,
                open_rule):
    """A REF or SREN needs every bank of the rank closed and precharged (tRP / tRPab done)."""
    for ob in range(fb, fb + bpr):
        k = _bank_precharged(out, k, cap, i, t, ob, tc, is_open, act_i, pre_t, pre_i, pre_all, T, open_rule)
    if prea_i[r] >= 0 and t - prea_t[r] < T[T_RPAB]:
        k = _record(out, k, cap, R_RPAB, prea_i[r], i, T[T_RPAB], t - prea_t[r])
    return k


@numba.njit(cache=True)
def _low_power(out, k, cap, c, i, t, r, fb, bpr, tc, cmd, lp_i, ex_i, ex_kind, is_open, act_i, pre_t, pre_i,
               pre_all, prea_t, prea_i, bref_t, bref_i, base_t, count, last_t, last_i, round_mask, interval,
               per_bank, T):
    """CKE rules for a low-power command ``c`` (index ``i``, cycle ``t``) of flat rank ``r``."""
    if c == PUP_PRE or c == PUP_ACT or c == SREX:
        a = lp_i[r]
        if a < 0:
            return _record(out, k, cap, S_CKE_HIGH, ex_i[r], i, 0, 0)
        if (c == SREX) != (cmd[a] == SREN):            # the other state's exit
            return _record(out, k, cap, S_CKE_LOW, a, i, 0, 0)
        rule, need = (R_CKESR, T[T_CKESR]) if c == SREX else (R_CKE, T[T_CKE])
        if t - tc[a] < need:
            k = _record(out, k, cap, rule, a, i, need, t - tc[a])
        lp_i[r] = -1
        ex_i[r] = i
        ex_kind[r] = 2 if c == SREX else (1 if cmd[a] == PDN_S_PRE or cmd[a] == PDN_S_ACT else 0)
        if c == SREX:                                   # the stay refreshed the rank: a new schedule
            base_t[r] = t
            count[r] = 0
            last_t[r] = t
            last_i[r] = i
            round_mask[r] = 0
            for ob in range(fb, fb + bpr):
                bref_t[ob] = t
                bref_i[ob] = i
        return k
    # an entry
    if lp_i[r] >= 0:
        return _record(out, k, cap, S_CKE_LOW, lp_i[r], i, 0, 0)
    if ex_i[r] >= 0 and t - tc[ex_i[r]] < T[T_CKE]:
        k = _record(out, k, cap, R_CKE, ex_i[r], i, T[T_CKE], t - tc[ex_i[r]])
    any_open = -1
    for ob in range(fb, fb + bpr):
        if is_open[ob]:
            any_open = ob
            break
    if c == PDN_F_ACT or c == PDN_S_ACT:
        if any_open < 0:
            k = _record(out, k, cap, S_LP_CLOSED, -1, i, 0, 0)
    elif any_open >= 0 and c != SREN:
        k = _record(out, k, cap, S_LP_OPEN, act_i[any_open], i, 0, 0)
    if c == SREN:
        k = _precharged(out, k, cap, i, t, r, fb, bpr, tc, is_open, act_i, pre_t, pre_i, pre_all, prea_t,
                        prea_i, T, S_LP_OPEN)
        k = _owed(out, k, cap, t, i, r, interval, per_bank, base_t, count, last_t, last_i)
    lp_i[r] = i
    return k
