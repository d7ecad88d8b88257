"""The controller state machine: one Numba kernel over plain NumPy arrays.

Everything here is in memory-clock cycles. :func:`run` is called by :mod:`dramsim.simulate`
with the requests already decoded (:mod:`dramsim.mapping`) and the timing already derived
(:func:`dramsim.timing.timing_array`). It never allocates per cycle.

Per channel, every cycle (the order is the one of Ramulator 2's generic controller, whose
published figures we validate against):

1. Admission: ``saturate`` offers one request per cycle in trace order (retrying while its
   queue is full); ``trace`` admits, in order, every request whose arrival cycle has come.
2. Refresh: when a rank's refresh is due a refresh request is queued with priority.
3. Scheduling (one command per channel per cycle):

   a. the *activated buffer* (requests whose ACT was issued, not yet their column command):
      the oldest ready one issues;
   b. otherwise a pending refresh: its next command (PREA/PRE, then REF/REFpb) issues when
      ready; while it is not ready nothing else but (a) issues (refresh has priority);
   c. otherwise the read queue, or the write queue in write-drain mode (entered when the write
      queue holds ``write_high`` entries or no read is queued, left when it holds at most
      ``write_low`` and a read is queued). Each request's next command is derived from its
      bank (RD/WR to the open row, ACT to a closed bank, PRE on a conflict). Without
      ``hit_first`` (``fcfs-ready``, the default, Ramulator 2's rule) the oldest ready command
      wins; with it (``frfcfs``, the issue's "ready row hits first, then oldest") the oldest
      ready column command (a row hit) wins, then the oldest ready command; else nothing;
   d. a PRE/PREA chosen in (b) or (c) is held back while the activated buffer has a request
      for that bank (rank), so a row is never closed before the request that opened it.

Low-power policy (off unless ``pd_after`` or ``sr_after`` >= 0; when off none of its code runs,
so the command trace is the one of a controller without it). Per rank, in every scheduled cycle
in which (a) issued nothing: a rank is *idle* when no request for it is queued or activated and
none of its requests has issued a command for ``pd_after`` (``sr_after``) cycles, and it owes no
refresh.

0. An idle rank in standby enters power-down (``PDN_F_ACT``/``PDN_S_ACT`` with a row open, else
   ``PDN_F_PRE``/``PDN_S_PRE``; slow exit when ``pd_slow``) once JEDEC allows it (after RD:
   CL + BL + 1, after WR: CWL + BL + WR + 1, after ACT/PRE: 1, after REF: tRFC, after an exit:
   max(tXP, tCKE)). Idle for ``sr_after`` cycles, it enters self-refresh instead: out of
   power-down first (PUP), all banks precharged (PREA), then ``SREN`` once every precharge is
   done. A rank in a low-power state leaves it (``PUP_*`` / ``SREX``) when a request for it
   arrives, when a power-down rank owes a refresh (JEDEC: exit, refresh, re-enter), or when a
   power-down rank is due for self-refresh; never before tCKE (power-down) or tCKESR
   (self-refresh) from its entry. After PUP the rank takes no command for tXP (RD/WR: tXPDLL
   after a slow exit); after SREX none for tXS (RD/WR: tXSDLL). In self-refresh the device
   refreshes itself: the refresh clock runs on but owes nothing. While CKE is low the rank
   takes no other command: (b) holds its refresh and (c) sees its banks as never ready.

Row-buffer outcome per request (as Ramulator counts it): the kind of the first command issued
on its behalf: RD/WR -> hit (0), ACT -> miss (1), PRE -> conflict (2).

Why ``fcfs-ready`` is the default: both rules pass the validation (within 0.02% of Ramulator
2.1's published cycles, ACT counts and row hits on the seq/rand/stride reference traces; cycles
frfcfs 4,154,649 / 6,287,395 / 1,247,511, fcfs-ready 4,154,649 / 6,287,290 / 1,247,511,
Ramulator 2.1 4,154,511 / 6,286,859 / 1,247,294), but ``frfcfs`` misses the in-process speed
bar on rand (>= 1.7 M requests/s): it must scan the whole queue for a younger ready row hit
whenever the oldest ready command is an ACT/PRE, which on rand is nearly every decision
(1.46 M req/s against 1.88 M for fcfs-ready, same machine, load average < 1; seq is unaffected).
Counting queued row hits per bank to stop the scan early, or a separate second scan loop,
gave the same command traces but slowed both rules (1.3-1.7 M req/s, sensitive to code layout),
so the kernel keeps the single loop.

Event skipping: when a cycle issues nothing, the kernel computes the earliest cycle at which any
candidate command becomes ready (timing state only changes when a command issues), the next
admission and the next refresh, and jumps there. ``skip=False`` ticks every cycle instead (the
slow reference mode); both produce the same command trace (tests/test_dram_kernel.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: Layout of the int64 timing array the kernel reads (built by dramsim.timing.timing_array).
TIMING_LAYOUT = (
    "CL", "CWL", "BL", "RCD", "RP", "RPab", "RAS", "RC", "CCD_S", "CCD_L", "RRD_S", "RRD_L",
    "FAW", "RTP", "RFC", "REFI", "RFCpb", "REFIpb",
    "RD2WR", "WR2RD_S", "WR2RD_L", "WR2PRE", "RD2RD_R", "WR2WR_R", "RD2WR_R", "WR2RD_R",
    "CKE", "CKESR", "XP", "XPDLL", "XS", "XSDLL",
)

# command codes (must equal traces.commands; a test checks it)
_ACT, _PRE, _PREA, _RD, _WR, _RDA, _WRA, _REF, _REFPB = 0, 1, 2, 3, 4, 5, 6, 7, 8
_PDN_F_PRE, _PDN_S_PRE, _PDN_F_ACT, _PDN_S_ACT, _PUP_PRE, _PUP_ACT, _SREN, _SREX = 9, 10, 11, 12, 13, 14, 15, 16
_NEVER = np.int64(1) << np.int64(62)
_FAR_PAST = -(np.int64(1) << np.int64(40))


@njit(cache=True)
def _remove(q, qb, qr, qn, c, d, slot):
    for k in range(slot, qn[c, d] - 1):
        q[c, d, k] = q[c, d, k + 1]
        qb[c, d, k] = qb[c, d, k + 1]
        qr[c, d, k] = qr[c, d, k + 1]
    qn[c, d] -= 1


@njit(cache=True)
def _low_power_choice(r, now, lp, lp_kind, lp_exit_ok, r_pde, r_queued, r_req_last, ref_pend, n_open,
                      open_row, b_pre, pre_done, r_ref, nbk, pd_after, sr_after, pd_slow):
    """The low-power command rank ``r`` issues now, or (-1, the cycle to look again)."""
    idle_since = r_req_last[r]
    base = r * nbk
    if lp[r] != 0:
        to_sref = lp[r] == 1 and sr_after >= 0 and r_queued[r] == 0
        if r_queued[r] > 0 or (lp[r] == 1 and ref_pend[r] > 0) or (to_sref and now - idle_since >= sr_after):
            if now >= lp_exit_ok[r]:
                if lp[r] == 2:
                    return _SREX, now
                return (_PUP_ACT if lp_kind[r] >= _PDN_F_ACT else _PUP_PRE), now
            return -1, lp_exit_ok[r]
        if to_sref:
            return -1, max(idle_since + sr_after, lp_exit_ok[r])
        return -1, _NEVER
    if r_queued[r] > 0 or ref_pend[r] > 0:
        return -1, _NEVER                      # work to do (a queued request or refresh)
    ready = max(r_pde[r], r_ref[r])
    if sr_after >= 0 and now - idle_since >= sr_after:
        if n_open[r] > 0:                      # close every row first
            e = ready
            for b in range(base, base + nbk):
                if open_row[b] >= 0 and b_pre[b] > e:
                    e = b_pre[b]
            return (_PREA, now) if e <= now else (-1, e)
        for b in range(base, base + nbk):
            if pre_done[b] > ready:
                ready = pre_done[b]
        return (_SREN, now) if ready <= now else (-1, ready)
    if pd_after >= 0 and now - idle_since >= pd_after:
        if ready > now:
            return -1, ready
        if n_open[r] > 0:
            return (_PDN_S_ACT if pd_slow else _PDN_F_ACT), now
        return (_PDN_S_PRE if pd_slow else _PDN_F_PRE), now
    wait = pd_after if pd_after >= 0 else sr_after
    return -1, max(idle_since + wait, ready)


@njit(cache=True)
def _refresh_waits_for_exit(c, n_rk, ref_pend, lp):
    """Whether a rank of channel ``c`` owes a refresh but is in power-down (it must exit first)."""
    for r in range(c * n_rk, (c + 1) * n_rk):
        if ref_pend[r] > 0 and lp[r] != 0:
            return True
    return False


@njit(cache=True)
def _note_for_powerdown(cmd, t, r, r_pde, r_queued, rd_pde, wr_pde, RFC):
    """Earliest power-down/self-refresh entry of rank ``r`` after ``cmd`` at ``t`` (JEDEC
    tRDPDEN = CL + BL + 1 after a read, tWRPDEN = CWL + BL + WR + 1 after a write, tACTPDEN and
    tPRPDEN = 1; after REF its tRFC), and one request fewer queued after a column command."""
    if cmd == _RD or cmd == _RDA:
        r_pde[r] = max(r_pde[r], t + rd_pde)
        r_queued[r] -= 1
    elif cmd == _WR or cmd == _WRA:
        r_pde[r] = max(r_pde[r], t + wr_pde)
        r_queued[r] -= 1
    elif cmd == _REF or cmd == _REFPB:
        r_pde[r] = max(r_pde[r], t + RFC)
    elif cmd <= _PREA:
        r_pde[r] = max(r_pde[r], t + 1)


@njit(cache=True)
def _change_low_power(cmd, t, r, nbk, lp, lp_kind, lp_exit_ok, r_pde, r_act, r_ref, r_cas, b_pre,
                      CKE, CKESR, XP, XPDLL, XS, XSDLL):
    """Rank ``r``'s state after the low-power command ``cmd`` at ``t``."""
    if cmd == _SREN:
        lp[r] = 2
        lp_exit_ok[r] = t + CKESR
        return
    if cmd < _PUP_PRE:                         # a power-down entry
        lp[r] = 1
        lp_kind[r] = cmd
        lp_exit_ok[r] = t + CKE
        return
    if cmd == _SREX:
        other, column = XS, XSDLL
    elif lp_kind[r] == _PDN_S_PRE or lp_kind[r] == _PDN_S_ACT:
        other, column = XP, XPDLL
    else:
        other, column = XP, XP
    lp[r] = 0
    r_act[r] = max(r_act[r], t + other)
    r_ref[r] = max(r_ref[r], t + other)
    r_cas[0, r] = max(r_cas[0, r], t + column)
    r_cas[1, r] = max(r_cas[1, r], t + column)
    for b in range(r * nbk, (r + 1) * nbk):
        b_pre[b] = max(b_pre[b], t + other)
    r_pde[r] = max(r_pde[r], t + max(other, CKE))


@njit(cache=True, error_model="numpy")
def run(tm, n_ch, n_rk, n_bg, n_bpg, rbank, rrow, rcol, rwrite, rarrival,
        saturate, queue_depth, write_high, write_low, closed_row, refresh_mode, hit_first, skip,
        pd_after, sr_after, pd_slow, cap):
    """Simulate the requests; see the module docstring.

    Parameters
    ----------
    tm : int64 array in :data:`TIMING_LAYOUT` order (cycles).
    n_ch, n_rk, n_bg, n_bpg : channels, ranks per channel, bank groups, banks per group.
    rbank : int array, flat bank of each request: ((channel * n_rk + rank) * n_bg + bankgroup)
        * n_bpg + bank. rrow, rcol : int arrays, its row and device column.
    rwrite : bool array. rarrival : int64 arrival cycles (ignored when ``saturate``).
    queue_depth, write_high, write_low : entries. closed_row, hit_first, skip : bool
        (``hit_first``: FR-FCFS, ready row hits before older ready ACT/PRE; see the module doc).
    refresh_mode : 0 none, 1 all-bank, 2 per-bank.
    pd_after, sr_after : idle cycles before power-down / self-refresh (-1: never); pd_slow:
        power-down with slow exit (DLL off). See the module docstring.
    cap : capacity of the command arrays. When more commands are needed the kernel stops and
        returns ``overflow`` True; the caller runs it again with a larger ``cap`` (results are
        deterministic). This keeps array reallocation out of the hot loop.

    Returns
    -------
    (cycle, cmd, channel, rank, bankgroup, bank, row, column) command arrays, then per request
    arrival, issue, completion (int64), outcome (int8: 0 hit, 1 miss, 2 conflict), overflow.
    """
    CL = tm[0]; CWL = tm[1]; BL = tm[2]; RCD = tm[3]; RP = tm[4]; RPab = tm[5]; RAS = tm[6]
    RC = tm[7]; CCD_S = tm[8]; CCD_L = tm[9]; RRD_S = tm[10]; RRD_L = tm[11]; FAW = tm[12]
    RTP = tm[13]; RFC = tm[14]; REFI = tm[15]; RFCpb = tm[16]; REFIpb = tm[17]
    RD2WR = tm[18]; WR2RD_S = tm[19]; WR2RD_L = tm[20]; WR2PRE = tm[21]; RD2RD_R = tm[22]
    WR2WR_R = tm[23]; RD2WR_R = tm[24]; WR2RD_R = tm[25]
    CKE = tm[26]; CKESR = tm[27]; XP = tm[28]; XPDLL = tm[29]; XS = tm[30]; XSDLL = tm[31]

    n = rbank.shape[0]
    nbk = n_bg * n_bpg
    NR = n_ch * n_rk
    NB = NR * nbk
    NG = NR * n_bg
    # per-request flattened ids

    # bank state
    open_row = np.full(NB, -1, np.int64)
    act_time = np.full(NB, _FAR_PAST, np.int64)
    b_act = np.zeros(NB, np.int64)
    b_col = np.zeros(NB, np.int64)
    b_pre = np.zeros(NB, np.int64)
    pre_done = np.zeros(NB, np.int64)
    # rank / bank-group state
    r_act = np.zeros(NR, np.int64)
    r_cas = np.zeros((2, NR), np.int64)   # earliest RD (0) / WR (1) per rank
    r_ref = np.zeros(NR, np.int64)
    r_refpb = np.zeros(NR, np.int64)
    faw = np.full((NR, 4), _FAR_PAST, np.int64)
    faw_ptr = np.zeros(NR, np.int64)
    n_open = np.zeros(NR, np.int64)
    g_act = np.zeros(NG, np.int64)
    g_cas = np.zeros((2, NG), np.int64)   # earliest RD (0) / WR (1) per bank group
    # queues
    # activated buffer: 32 entries as in Ramulator 2, or one per bank of a channel when there are
    # more banks (an activated request must never lose its row before its column command)
    AB = max(32, n_rk * nbk)
    # read (0) and write (1) queues per channel: request index, its flat bank, its row
    Q = np.empty((n_ch, 2, queue_depth), np.int64)
    QB = np.empty((n_ch, 2, queue_depth), np.int64)
    QR = np.empty((n_ch, 2, queue_depth), np.int64)
    qn = np.zeros((n_ch, 2), np.int64)
    e_col = np.zeros(NB, np.int64)  # per bank, this event: earliest column command / ACT / PRE
    e_act = np.zeros(NB, np.int64)
    bank_rank = np.empty(NB, np.int64)
    bank_grp = np.empty(NB, np.int64)
    bank_ch = np.empty(NB, np.int64)
    for b in range(NB):
        bank_rank[b] = b // nbk
        bank_ch[b] = bank_rank[b] // n_rk
        bank_grp[b] = bank_rank[b] * n_bg + (b % nbk) // n_bpg
    ab = np.empty((n_ch, AB), np.int64)
    ab_n = np.zeros(n_ch, np.int64)
    wmode = np.zeros(n_ch, np.bool_)
    dirty = np.ones(n_ch, np.bool_)          # bank state changed since e_col/e_act were computed
    last_d = np.zeros(n_ch, np.int64)
    # refresh
    ref_due = np.full(NR, _NEVER, np.int64)
    ref_pend = np.zeros(NR, np.int64)
    ref_since = np.full(NR, _NEVER, np.int64)
    pb_bank = np.zeros(NR, np.int64)
    if refresh_mode == 1:
        ref_due[:] = REFI
    elif refresh_mode == 2:
        ref_due[:] = REFIpb
    interval = REFI if refresh_mode == 1 else REFIpb
    # low-power policy, per rank: state (0 standby, 1 power-down, 2 self-refresh), the entry's
    # kind, earliest exit, earliest entry, requests queued or activated, last request command
    lp_on = pd_after >= 0 or sr_after >= 0
    lp = np.zeros(NR, np.int64)
    lp_kind = np.zeros(NR, np.int64)
    lp_exit_ok = np.zeros(NR, np.int64)
    r_pde = np.zeros(NR, np.int64)
    r_queued = np.zeros(NR, np.int64)
    r_req_last = np.zeros(NR, np.int64)
    # outputs
    arrival = np.full(n, -1, np.int64)
    issue = np.full(n, -1, np.int64)
    completion = np.full(n, -1, np.int64)
    outcome = np.full(n, -1, np.int8)
    c_cyc = np.empty(cap, np.int64)
    c_cmd = np.empty(cap, np.uint8)
    c_ch = np.empty(cap, np.int16)
    c_rk = np.empty(cap, np.int16)
    c_bg = np.empty(cap, np.int16)
    c_ba = np.empty(cap, np.int16)
    c_row = np.empty(cap, np.int32)
    c_col = np.empty(cap, np.int32)
    nc = 0

    now = np.int64(0)
    nxt = 0          # next request to admit
    offered = np.int64(0)  # saturate: cycle the next request was first offered
    served = 0
    overflow = False
    while served < n and not overflow:
        # ---- 1. admission
        if saturate:
            if nxt < n:
                c = bank_ch[rbank[nxt]]
                if rwrite[nxt]:
                    if qn[c, 1] < queue_depth:
                        Q[c, 1, qn[c, 1]] = nxt
                        QB[c, 1, qn[c, 1]] = rbank[nxt]
                        QR[c, 1, qn[c, 1]] = rrow[nxt]
                        qn[c, 1] += 1
                        arrival[nxt] = offered
                        if lp_on:
                            r_queued[bank_rank[rbank[nxt]]] += 1
                        nxt += 1
                        offered = now + 1
                elif qn[c, 0] < queue_depth:
                    Q[c, 0, qn[c, 0]] = nxt
                    QB[c, 0, qn[c, 0]] = rbank[nxt]
                    QR[c, 0, qn[c, 0]] = rrow[nxt]
                    qn[c, 0] += 1
                    arrival[nxt] = offered
                    if lp_on:
                        r_queued[bank_rank[rbank[nxt]]] += 1
                    nxt += 1
                    offered = now + 1
        else:
            while nxt < n and rarrival[nxt] <= now:
                c = bank_ch[rbank[nxt]]
                if rwrite[nxt]:
                    if qn[c, 1] >= queue_depth:
                        break
                    Q[c, 1, qn[c, 1]] = nxt
                    QB[c, 1, qn[c, 1]] = rbank[nxt]
                    QR[c, 1, qn[c, 1]] = rrow[nxt]
                    qn[c, 1] += 1
                else:
                    if qn[c, 0] >= queue_depth:
                        break
                    Q[c, 0, qn[c, 0]] = nxt
                    QB[c, 0, qn[c, 0]] = rbank[nxt]
                    QR[c, 0, qn[c, 0]] = rrow[nxt]
                    qn[c, 0] += 1
                arrival[nxt] = rarrival[nxt]
                if lp_on:
                    r_queued[bank_rank[rbank[nxt]]] += 1
                nxt += 1
        # ---- 2. refresh requests
        if refresh_mode != 0:
            for r in range(NR):
                if now >= ref_due[r]:
                    if lp[r] != 2:                    # in self-refresh the device refreshes
                        if ref_pend[r] == 0:
                            ref_since[r] = ref_due[r]
                        ref_pend[r] += 1
                    ref_due[r] += interval
        # ---- 3. schedule every channel
        earliest = _NEVER
        for c in range(n_ch):
            found = False
            cmd = -1
            req = -1          # request index served by cmd (-1: refresh)
            src = 0           # 1 activated buffer, 2 refresh, 3 read/write queue
            slot = -1
            tb = -1           # target flat bank
            trk = -1          # target flat rank
            # a. activated buffer (never a request of a rank in a low-power state: it leaves the
            # state before any request of its is queued)
            for k in range(ab_n[c]):
                i = ab[c, k]
                g = rbank[i]
                if open_row[g] != rrow[i]:
                    continue  # cannot happen (rows are not closed under it); be safe
                if rwrite[i]:
                    e = max(b_col[g], r_cas[1, bank_rank[rbank[i]]], g_cas[1, bank_grp[rbank[i]]])
                else:
                    e = max(b_col[g], r_cas[0, bank_rank[rbank[i]]], g_cas[0, bank_grp[rbank[i]]])
                if e <= now:
                    found = True
                    req = i
                    src = 1
                    slot = k
                    cmd = _WR if rwrite[i] else _RD
                    break
                if e < earliest:
                    earliest = e
            # 0. low-power entries and exits (after a: an activated request never waits for them)
            if lp_on and not found:
                for r in range(c * n_rk, (c + 1) * n_rk):
                    cmd, e = _low_power_choice(r, now, lp, lp_kind, lp_exit_ok, r_pde, r_queued, r_req_last,
                                               ref_pend, n_open, open_row, b_pre, pre_done, r_ref, nbk,
                                               pd_after, sr_after, pd_slow)
                    if cmd >= 0:
                        found = True
                        src = 4
                        trk = r
                        break
                    if e < earliest:
                        earliest = e
            blocked = False
            # b. refresh
            if not found and not (lp_on and _refresh_waits_for_exit(c, n_rk, ref_pend, lp)):
                best_r = -1
                for r in range(c * n_rk, (c + 1) * n_rk):
                    if ref_pend[r] > 0 and (best_r < 0 or ref_since[r] < ref_since[best_r]):
                        best_r = r
                if best_r >= 0:
                    r = best_r
                    base = r * nbk
                    if refresh_mode == 1:
                        if n_open[r] > 0:
                            e = np.int64(0)
                            for b in range(base, base + nbk):
                                if open_row[b] >= 0 and b_pre[b] > e:
                                    e = b_pre[b]
                            ccmd = _PREA
                        else:
                            e = r_ref[r]
                            for b in range(base, base + nbk):
                                if pre_done[b] > e:
                                    e = pre_done[b]
                            ccmd = _REF
                        cb = -1
                    else:
                        cb = base + pb_bank[r]
                        if open_row[cb] >= 0:
                            e = b_pre[cb]
                            ccmd = _PRE
                        else:
                            gg = r * n_bg + pb_bank[r] // n_bpg
                            e = max(pre_done[cb], r_refpb[r], r_act[r], g_act[gg],
                                    faw[r, faw_ptr[r]] + FAW)
                            ccmd = _REFPB
                    if e <= now:
                        found = True
                        src = 2
                        cmd = ccmd
                        trk = r
                        tb = cb
                    else:
                        blocked = True
                        if e < earliest:
                            earliest = e
            # c. read or write queue
            if not found and not blocked:
                if not wmode[c]:
                    if qn[c, 1] > 0 and (qn[c, 1] >= write_high or qn[c, 0] == 0):
                        wmode[c] = True
                else:
                    if qn[c, 1] == 0 or (qn[c, 1] <= write_low and qn[c, 0] > 0):
                        wmode[c] = False
                d = 1 if wmode[c] else 0
                n_q = qn[c, d]
                ccol = _WR if d == 1 else _RD
                # per-bank ready cycles of this channel (one pass over its banks, redone only
                # after a command issued here): e_col = the column command to the open row,
                # e_act = what any other request to the bank needs (PRE when a row is open,
                # ACT when it is closed)
                if n_q > 0 and (dirty[c] or last_d[c] != d):
                    dirty[c] = False
                    last_d[c] = d
                    for r in range(c * n_rk, (c + 1) * n_rk):
                        ra = max(r_act[r], faw[r, faw_ptr[r]] + FAW)
                        rd = r_cas[d, r]
                        for b in range(r * nbk, (r + 1) * nbk):
                            gg = bank_grp[b]
                            if open_row[b] >= 0:
                                e_col[b] = max(b_col[b], rd, g_cas[d, gg])
                                e_act[b] = b_pre[b]
                            else:
                                e_act[b] = max(b_act[b], ra, g_act[gg])
                        if lp_on and lp[r] != 0:          # CKE low: only its exit may issue
                            for b in range(r * nbk, (r + 1) * nbk):
                                e_col[b] = _NEVER
                                e_act[b] = _NEVER
                first_any = -1
                for k in range(n_q):
                    g = QB[c, d, k]
                    hit = open_row[g] == QR[c, d, k]
                    e = e_col[g] if hit else e_act[g]
                    if e <= now:
                        if hit:
                            found = True
                            slot = k
                            break
                        if first_any < 0:
                            first_any = k
                            if not hit_first:
                                break
                    else:
                        earliest = min(earliest, e)
                if first_any >= 0 and (not found or (not hit_first and first_any < slot)):
                    found = True
                    slot = first_any
                if found:
                    req = Q[c, d, slot]
                    g = QB[c, d, slot]
                    if open_row[g] == QR[c, d, slot]:
                        cmd = ccol
                    elif open_row[g] < 0:
                        cmd = _ACT
                    else:
                        cmd = _PRE
                    src = 3
            # d. never close a row an activated request still needs
            if found and (cmd == _PRE or cmd == _PREA):
                if cmd == _PRE:
                    if tb < 0:
                        tb = rbank[req]
                    for k in range(ab_n[c]):
                        if rbank[ab[c, k]] == tb:
                            found = False
                            break
                else:
                    for k in range(ab_n[c]):
                        if bank_rank[rbank[ab[c, k]]] == trk:
                            found = False
                            break
                if not found:
                    earliest = now  # something is ready but held back: tick on
            if not found:
                continue
            # ---- 4. issue
            t = now
            dirty[c] = True
            if req >= 0:
                tb = rbank[req]
                trk = bank_rank[rbank[req]]
                if lp_on:
                    r_req_last[trk] = t
                if outcome[req] < 0:
                    if cmd == _ACT:
                        outcome[req] = 1
                    elif cmd == _PRE:
                        outcome[req] = 2
                    else:
                        outcome[req] = 0
                if (cmd == _RD or cmd == _WR) and closed_row:
                    other = False
                    for k in range(qn[c, 0]):
                        j = Q[c, 0, k]
                        if j != req and rbank[j] == tb and rrow[j] == rrow[req]:
                            other = True
                            break
                    if not other:
                        for k in range(qn[c, 1]):
                            j = Q[c, 1, k]
                            if j != req and rbank[j] == tb and rrow[j] == rrow[req]:
                                other = True
                                break
                    if not other:
                        for k in range(ab_n[c]):
                            j = ab[c, k]
                            if j != req and rbank[j] == tb and rrow[j] == rrow[req]:
                                other = True
                                break
                    if not other:
                        cmd = _RDA if cmd == _RD else _WRA
            # record
            if nc == cap:
                overflow = True
                break
            c_cyc[nc] = t
            c_cmd[nc] = cmd
            c_ch[nc] = c
            c_rk[nc] = trk - c * n_rk
            if tb >= 0:
                lb = tb - trk * nbk
                c_bg[nc] = lb // n_bpg
                c_ba[nc] = lb % n_bpg
            else:
                c_bg[nc] = -1
                c_ba[nc] = -1
            c_row[nc] = -1
            c_col[nc] = -1
            if cmd == _PRE:
                c_row[nc] = open_row[tb]  # the row it closes
            elif req >= 0:
                c_row[nc] = rrow[req]
                if cmd >= _RD:
                    c_col[nc] = rcol[req]
            nc += 1
            # timing state
            if lp_on:
                _note_for_powerdown(cmd, t, trk, r_pde, r_queued, CL + BL + 1, WR2PRE + 1, RFC)
            if cmd == _ACT:
                gg = bank_grp[rbank[req]]
                open_row[tb] = rrow[req]
                n_open[trk] += 1
                act_time[tb] = t
                b_act[tb] = max(b_act[tb], t + RC)
                b_col[tb] = max(b_col[tb], t + RCD)
                b_pre[tb] = max(b_pre[tb], t + RAS)
                r_act[trk] = max(r_act[trk], t + RRD_S)
                g_act[gg] = max(g_act[gg], t + RRD_L)
                faw[trk, faw_ptr[trk]] = t
                faw_ptr[trk] = (faw_ptr[trk] + 1) & 3
                # move to the activated buffer (stays queued when it is full)
                if ab_n[c] < AB:
                    pos = ab_n[c]
                    while pos > 0 and ab[c, pos - 1] > req:
                        ab[c, pos] = ab[c, pos - 1]
                        pos -= 1
                    ab[c, pos] = req
                    ab_n[c] += 1
                    if rwrite[req]:
                        _remove(Q, QB, QR, qn, c, 1, slot)
                    else:
                        _remove(Q, QB, QR, qn, c, 0, slot)
            elif cmd == _PRE:
                open_row[tb] = -1
                n_open[trk] -= 1
                b_act[tb] = max(b_act[tb], t + RP)
                pre_done[tb] = max(pre_done[tb], t + RP)
            elif cmd == _PREA:
                for b in range(trk * nbk, (trk + 1) * nbk):
                    open_row[b] = -1
                    b_act[b] = max(b_act[b], t + RPab)
                    pre_done[b] = max(pre_done[b], t + RPab)
                n_open[trk] = 0
            elif cmd == _REF:
                r_act[trk] = max(r_act[trk], t + RFC)
                r_ref[trk] = max(r_ref[trk], t + RFC)
                ref_pend[trk] -= 1
                if ref_pend[trk] > 0:
                    ref_since[trk] = ref_since[trk] + interval
            elif cmd == _REFPB:
                gg = trk * n_bg + (tb - trk * nbk) // n_bpg
                b_act[tb] = max(b_act[tb], t + RFCpb)
                r_refpb[trk] = max(r_refpb[trk], t + RFCpb)
                r_act[trk] = max(r_act[trk], t + RRD_S)
                g_act[gg] = max(g_act[gg], t + RRD_L)
                faw[trk, faw_ptr[trk]] = t
                faw_ptr[trk] = (faw_ptr[trk] + 1) & 3
                pb_bank[trk] = (pb_bank[trk] + 1) % nbk
                ref_pend[trk] -= 1
                if ref_pend[trk] > 0:
                    ref_since[trk] = ref_since[trk] + interval
            elif cmd >= _PDN_F_PRE:
                _change_low_power(cmd, t, trk, nbk, lp, lp_kind, lp_exit_ok, r_pde, r_act, r_ref, r_cas,
                                  b_pre, CKE, CKESR, XP, XPDLL, XS, XSDLL)
            else:
                # column command
                gg = bank_grp[rbank[req]]
                if cmd == _RD or cmd == _RDA:
                    r_cas[0, trk] = max(r_cas[0, trk], t + CCD_S)
                    g_cas[0, gg] = max(g_cas[0, gg], t + CCD_L)
                    r_cas[1, trk] = max(r_cas[1, trk], t + RD2WR)
                    for r in range(c * n_rk, (c + 1) * n_rk):
                        if r != trk:
                            r_cas[0, r] = max(r_cas[0, r], t + RD2RD_R)
                            r_cas[1, r] = max(r_cas[1, r], t + RD2WR_R)
                    b_pre[tb] = max(b_pre[tb], t + RTP)
                    completion[req] = t + CL + BL
                    tpre = max(t + RTP, act_time[tb] + RAS)
                else:
                    r_cas[1, trk] = max(r_cas[1, trk], t + CCD_S)
                    g_cas[1, gg] = max(g_cas[1, gg], t + CCD_L)
                    r_cas[0, trk] = max(r_cas[0, trk], t + WR2RD_S)
                    g_cas[0, gg] = max(g_cas[0, gg], t + WR2RD_L)
                    for r in range(c * n_rk, (c + 1) * n_rk):
                        if r != trk:
                            r_cas[1, r] = max(r_cas[1, r], t + WR2WR_R)
                            r_cas[0, r] = max(r_cas[0, r], t + WR2RD_R)
                    b_pre[tb] = max(b_pre[tb], t + WR2PRE)
                    completion[req] = t + CWL + BL
                    tpre = max(t + WR2PRE, act_time[tb] + RAS)
                if cmd == _RDA or cmd == _WRA:
                    open_row[tb] = -1
                    n_open[trk] -= 1
                    b_act[tb] = max(b_act[tb], tpre + RP)
                    pre_done[tb] = max(pre_done[tb], tpre + RP)
                issue[req] = t
                served += 1
                if src == 1:
                    for k in range(slot, ab_n[c] - 1):
                        ab[c, k] = ab[c, k + 1]
                    ab_n[c] -= 1
                elif rwrite[req]:
                    _remove(Q, QB, QR, qn, c, 1, slot)
                else:
                    _remove(Q, QB, QR, qn, c, 0, slot)
            earliest = now  # state changed: look again next cycle
        # ---- 5. advance time
        if overflow:
            break
        if not skip or earliest <= now + 1:
            now += 1
            continue
        nxt_t = earliest
        if nxt < n:
            c = bank_ch[rbank[nxt]]
            if saturate:
                if (qn[c, 1] < queue_depth) if rwrite[nxt] else (qn[c, 0] < queue_depth):
                    nxt_t = now + 1
            else:
                space = (qn[c, 1] < queue_depth) if rwrite[nxt] else (qn[c, 0] < queue_depth)
                if space and rarrival[nxt] < nxt_t:
                    nxt_t = rarrival[nxt]
        for r in range(NR):
            if ref_due[r] < nxt_t:
                nxt_t = ref_due[r]
        if nxt_t <= now + 1:
            now += 1
        else:
            if nxt_t >= _NEVER:
                break  # nothing can ever happen again (cannot occur with valid input)
            now = nxt_t
    return (c_cyc[:nc], c_cmd[:nc], c_ch[:nc], c_rk[:nc], c_bg[:nc], c_ba[:nc], c_row[:nc],
            c_col[:nc], arrival, issue, completion, outcome, overflow)
