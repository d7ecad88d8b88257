"""The controller state machine: one Numba kernel over plain NumPy arrays, for any timing table.

Readiness is data: the spec's timing table (:mod:`dramsim.table`) arrives compiled into arrays.
The kernel keeps, per node of the hierarchy (channel, rank, bank group, bank) and per command,
the earliest cycle that command may issue below the node (``E``). Issuing a command raises, for
each of its rules, ``E`` at the node of the rule's level above the target (or at its siblings,
or, for window rules such as tFAW, the oldest of the last N entries plus the latency); a
bank command is ready when ``now`` >= the max of ``E`` over the bank's four ancestors, a rank
command (PREA, REF, SREN) when it is >= ``E`` of its rank, channel and every node below. A
multi-cycle command holds its channel's command bus for its ``clocks``. The scheduler below
decides *which* command to try; the table alone decides *when* it may issue.

Command buses are data too: a table with one bus (the default) issues at most one command per
channel per cycle. A table with several (``buses: [column, row]`` for HBM) runs step 3 below once
per bus and cycle, in the table's order, each turn considering only the commands on that bus
(a column turn: (a) and the queues' row hits; a row turn: refresh, ACT and PRE), so a RD and an
ACT may issue in the same cycle; a pending refresh holds the queues in every turn. This is what
Ramulator 2.1's HBM12/HBM34 controllers do (column slot first, then the row slot).

The hierarchy may have a fifth level, the SID (HBM3's stack IDs, between rank and bank group):
when a run has more than one SID per rank its nodes follow the banks in ``E`` and each bank has a
fifth ancestor (``_with_sid_level``); with one SID (every other standard) the table's SID rules
were compiled to the rank and nothing here changes. Clock edges are data too: a command whose
compiled ``edge`` is 2 (HBM3's half-CK ticks: column commands, ACT, REF) issues only in even
cycles, CK's rising edge; PRE / PREA (``edge`` 1) in any tick.

A command with a deferrable second word (table ``second_word``; LPDDR5's ACT-2) holds its bus for
its first clock only. Its second word is pending on the channel: it goes in the first later clock
of that bus in which step 3 finds nothing to issue, or, when ``within`` clocks have passed since
the first word, in that clock before anything else; until it has gone, the commands it ``blocks``
(LPDDR5: ACT) count as not ready. It is not a record of the command trace (the checker places it
the same way). This is what Ramulator 2.1's LPDDR5 controller does with ACT2 (deferred while
another command is ready, forced at nAAD; no ACT1 while one is pending).

Helpers that take arrays are written out where they would run once per bank or queue entry (the
ready checks of the activated buffer and of step (c)'s candidates, the queue bookkeeping): inlined
into these loops, a Numba helper costs an atomic reference-count pair per array argument and call
(36% of the time in a profile, benchmarks/RESULTS.md "Kernel speed: queues kept per bank").

The arrays whose values are indices of other arrays (the request's bank ``rbank``, a bank's
ancestors ``anc``, its rank and channel, the per-bank queues, the activated buffer, the active and
class lists) are ``uint32``: Numba wraps a negative index around, so each access with a signed
index pays a sign test and an add, and an unsigned one does not (benchmarks/RESULTS.md "Kernel
speed: unsigned indices"). Their values mix with int64 arithmetic as int64 (never uint64, whose mix
with int64 Numba makes a float).

The ready cycles ``E`` only ever rise, so a ready cycle computed for a waiting command stays a lower
bound of it until the command itself changes; the kernel uses that twice: a queue pass that found
nothing ready is not repeated before its smallest ready cycle (step c), and the activated buffer is
not scanned before the smallest ready cycle of its last scan, lowered by each request that joins.
A pass is redone sooner only when a candidate appears that may be ready sooner: a new one (an
admission, or the next request of a bank whose candidate left), one whose command changed (its
bank's open row changed, or the bank's last activated request left, so its PRE may go), or any of a
rank whose CKE changed; and only on the buses of that candidate's kind (row hits: the column buses;
ACT / PRE: the row buses). A command that only raises ``E`` (a refresh, a column command from the
activated buffer) leaves every pass's bound in place. (This holds where a channel has several
command buses (HBM); with one, every command redoes the pass, which measured cheaper there.)

Everything here is in memory-clock cycles. :func:`run` is called by :mod:`dramsim.simulate`
with the requests already decoded (:mod:`dramsim.mapping`) and the timing already derived
(:func:`dramsim.timing.timing_array`). It never allocates per cycle.

Per channel, every cycle (the order is the one of Ramulator 2's generic controller, whose
published figures we validate against):

1. Admission: ``saturate`` offers one request per cycle in trace order (retrying while its
   queue is full); ``trace`` admits, in order, every request whose arrival cycle has come.
2. Refresh: when a rank's refresh is due a refresh request is queued with priority. The k-th
   is due in cycle k * tREFI - 1 (per-bank: k * tREFIpb - 1; same-bank: k * tREFIsb - 1), i.e. in
   the tREFI-th cycle counted from 1, which is where Ramulator 2's clock (it starts at 1) puts it;
   every rank of a channel falls due in the same cycle and the longest-owing rank (then the
   lowest) goes first. Per-bank refresh on a channel of several ranks (HBM2's pseudo-channels)
   instead rotates channel-wide, as Ramulator 2.1's PerBank manager does: one REFpb falls due
   every floor(tREFIpb / ranks) cycles, to rank 0's banks in turn, then rank 1's, ... (each rank's
   average interval stays within tREFIpb; the burst of one rank's refreshes is legal postponement);
   a table with ``per_bank_refresh: rank`` (HBM3) keeps every rank's own REFpb every tREFIpb, all
   ranks due in the same cycle, as Ramulator 2.1's HBM34PerBankRefresh does.
3. Scheduling (one command per channel and command bus per cycle):

   a. the *activated buffer* (requests whose ACT was issued, not yet their column command):
      the oldest ready one issues;
   b. otherwise a pending refresh: its next command (PREA/PRE, then REF/REFpb) issues when
      ready; while it is not ready nothing else but (a) issues (refresh has priority);
   c. otherwise the read queue, or the write queue in write-drain mode (entered when the write
      queue holds ``write_high`` entries or no read is queued, left when it holds at most
      ``write_low`` and a read is queued). Each request's next command is derived from its
      bank (RD/WR to the open row, ACT to a closed bank, PRE on a conflict); all requests of
      one bank and kind are ready in the same cycle, so only each bank's oldest row hit and
      oldest other request are looked at (the queues are kept per bank, see step 1 in
      :func:`run`). Where no command bus carries both column and row commands (HBM), a turn
      sees one kind only; the candidates of each kind are then kept in age order and a pass
      stops at the first ready one (:func:`class_lists`). A PRE to a bank with a request in
      the activated buffer is no candidate at all (a row is never closed before the request
      that opened it reads it; Ramulator 2 filters it out the same way), so it never costs a
      cycle: the next oldest ready command issues instead. Without ``hit_first``
      (``fcfs-ready``, the default, Ramulator 2's rule) the oldest ready command wins; with it
      (``frfcfs``, the issue's "ready row hits first, then oldest") the oldest ready column
      command (a row hit) wins, then the oldest ready command; else nothing;
   d. a refresh's PRE/PREA chosen in (b) waits while the activated buffer has a request for its
      bank (rank); nothing but (a) issues meanwhile (refresh keeps its priority, as in Ramulator 2).

Across ranks the scheduler has no rule of its own: every rank's requests compete in one queue
by age and readiness, and rank switching comes out of the timing table, where a column command
to another rank of the channel waits for the data bus plus ``RTRS`` (rules ``tRTRS``: RD->RD
BL/2 + RTRS, RD->WR CL + BL/2 + RTRS - CWL, ...). JEDEC leaves that gap to the controller; the
built-in DDR3-1600K and DDR4-2400R use RTRS = 2 (RD->RD to another rank 6 cycles, Ramulator 2.1's
nBL + nCS): the DQS read postamble of one rank (tRPST >= 0.3 tCK DDR3, 0.33 DDR4) and the read
preamble of the next (tRPRE >= 0.9 tCK) do not fit into one idle clock. Since the next rank's
read becomes ready 2 clocks after a same-rank one, oldest-ready-first keeps reading the same
rank while it has ready reads and switches rarely (DDR4-2400R, 2 ranks, rand: 5.98% of column
commands change rank, as in Ramulator 2.1's own command trace). With two ranks ACTs outpace the
data bus (tFAW binds each rank alone), the activated buffer fills and reads wait longer than
tRAS, so the PRE filter of (c) matters there: when a held PRE stalled the cycle instead, rank
switches rose to 15.6% and DDR4-2400R 2-rank rand ran 1.4% longer than Ramulator 2.1 (5.4% with
RTRS = 2). With both, the command traces of DDR4-2400R 2 ranks rand and DDR3-1600K 1/2 ranks
seq/rand/stride equal Ramulator 2.1's command for command over its run (benchmarks/RESULTS.md).

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
Ramulator 2.1 4,154,511 / 6,286,859 / 1,247,294), and fcfs-ready is Ramulator 2's rule. (With
the queue scanned entry by entry, ``frfcfs`` also missed the in-process speed bar on rand,
1.46 M req/s against 1.88 M; since the queues are kept per bank and only each bank's two
candidates are looked at, both rules do the same work: DDR3-1600K rand 2.0-2.1 M req/s each.)

Event skipping: when a cycle issues nothing, the kernel computes the earliest cycle at which any
candidate command becomes ready (timing state only changes when a command issues), the next
admission and the next refresh, and jumps there. ``skip=False`` ticks every cycle instead (the
slow reference mode); both produce the same command trace (tests/test_dram_kernel.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: Layout of the int64 array of scalar values the scheduler and the low-power policy read (built by
#: dramsim.timing.policy_array); every inter-command constraint comes from the compiled table instead.
POLICY_LAYOUT = (
    "RD_DONE", "WR_DONE", "RD2PDEN", "WR2PDEN", "RFC", "REFI", "REFIpb",
    "CKE", "CKESR", "XP", "XPDLL", "XS", "XSDLL", "REFIsb",
)

# command codes (must equal traces.commands; a test checks it)
_ACT, _PRE, _PREA, _RD, _WR, _RDA, _WRA, _REF, _REFPB = 0, 1, 2, 3, 4, 5, 6, 7, 8
_PDN_F_PRE, _PDN_S_PRE, _PDN_F_ACT, _PDN_S_ACT, _PUP_PRE, _PUP_ACT, _SREN, _SREX = 9, 10, 11, 12, 13, 14, 15, 16
_REFSB = 17
_NEVER = np.int64(1) << np.int64(62)
_FAR_PAST = -(np.int64(1) << np.int64(40))


@njit(cache=True, inline="always")
def _ready_bank(E, anc, b, cmd):
    """Earliest issue cycle of ``cmd`` at flat bank ``b``: the max over the bank's ancestors."""
    e = max(max(E[cmd, anc[b, 0]], E[cmd, anc[b, 1]]), max(E[cmd, anc[b, 2]], E[cmd, anc[b, 3]]))
    if anc.shape[1] > 4:                       # the SID level (see _with_sid_level)
        e = max(e, E[cmd, anc[b, 4]])
    return e


@njit(cache=True, inline="always")
def _ready_rank(E, r, cmd, n_ch, n_rk, n_bg, nbk):
    """Earliest issue cycle of the rank command ``cmd`` at flat rank ``r``: its channel and rank,
    and every bank group and bank below it (a rule at a lower level holds for each of them)."""
    NR = n_ch * n_rk
    e = max(E[cmd, r // n_rk], E[cmd, n_ch + r])
    o = n_ch + NR + r * n_bg
    for g in range(o, o + n_bg):
        if E[cmd, g] > e:
            e = E[cmd, g]
    o = n_ch + NR + NR * n_bg + r * nbk
    for b in range(o, o + nbk):
        if E[cmd, b] > e:
            e = E[cmd, b]
    o += NR * nbk - r * nbk                    # the SID nodes, when there are (see _with_sid_level)
    n_sid = (E.shape[1] - o) // NR
    for x in range(o + r * n_sid, o + (r + 1) * n_sid):
        if E[cmd, x] > e:
            e = E[cmd, x]
    return e


@njit(cache=True)
def _with_sid_level(fan, off, anc, n_sid, n_bg):
    """The hierarchy with the optional SID level (HBM3) appended as kernel level 4.

    ``fan``, ``off``, ``anc`` are the four-level arrays of :func:`run` (``n_bg``: bank groups per
    rank over its SIDs); the SID nodes come after the banks, rank-major, each bank's SID the
    ``n_bg // n_sid`` consecutive bank groups it belongs to. Returns the five-level arrays and the
    node count; with one SID per rank :func:`run` keeps the four-level ones (no SID level at all).
    """
    n_ch, n_rk, n_bpg = fan[0], fan[1], fan[3]
    NB = anc.shape[0]
    start = off[3] + NB
    fan5 = np.array([fan[0], fan[1], fan[2], fan[3], n_sid], np.int64)
    off5 = np.array([off[0], off[1], off[2], off[3], start], np.int64)
    anc5 = np.empty((NB, 5), np.uint32)
    anc5[:, :4] = anc
    per_sid = (n_bg // n_sid) * n_bpg
    for b in range(NB):
        anc5[b, 4] = start + b // per_sid
    return fan5, off5, anc5, start + n_ch * n_rk * n_sid


@njit(cache=True)
def _off_edge(now, cmd, edge):
    """0 when command (or bus) ``cmd`` may issue in cycle ``now``, else the cycles to its next edge
    (``edge``: the compiled table's ``edge`` or :func:`_bus_edges`)."""
    e = edge[cmd]
    if e == 1:
        return 0
    k = (now & 1) if e == 2 else now % e      # (HBM3's 2 ticks per CK: no division in the hot loops)
    return 0 if k == 0 else e - k


@njit(cache=True)
def _bus_edges(edge, cbus, n_cmd):
    """Per command bus, the cycles between the ticks any of its commands may issue in (the smallest
    ``edge`` of its commands; HBM3's column bus: 2, its row bus: 1, PRE on either edge)."""
    out = np.zeros(cbus.max() + 1, np.int64)
    for c in range(n_cmd):
        if out[cbus[c]] == 0 or edge[c] < out[cbus[c]]:
            out[cbus[c]] = edge[c]
    return out


@njit(cache=True, inline="always")
def _node_at(anc, fan, off, b, r, lv):
    """The node at level ``lv`` above flat bank ``b`` (or, when ``b`` is -1, above flat rank ``r``;
    the loader keeps a rank command's rules at rank level or above)."""
    if b >= 0:
        return anc[b, lv]
    if lv == 0:
        return np.uint32(r // fan[1])
    return np.uint32(off[1] + r)


@njit(cache=True, inline="always")
def _apply_rules(E, ring, ring_ptr, cmd, t, b, r, anc, fan, off, rule_start, rules, windows,
                 window_prev, window_next):
    """Record command ``cmd`` issued at ``t`` to flat bank ``b`` (-1 for a rank command of flat
    rank ``r``): raise the earliest-issue cycle of every command it constrains."""
    for k in range(rule_start[cmd], rule_start[cmd + 1]):
        lv = rules[k, 0]
        nx = rules[k, 1]
        due = t + rules[k, 2]
        node = _node_at(anc, fan, off, b, r, lv)
        if rules[k, 3] == 0:
            if due > E[nx, node]:
                E[nx, node] = due
        else:                                  # every other node under the same parent
            idx = node - off[lv]
            first = off[lv] + (idx // fan[lv]) * fan[lv]
            for o in range(first, first + fan[lv]):
                if o != node and due > E[nx, o]:
                    E[nx, o] = due
    for w in range(windows.shape[0]):
        if not window_prev[w, cmd]:
            continue
        lv = windows[w, 0]
        node = _node_at(anc, fan, off, b, r, lv)
        ring[w, node, ring_ptr[w, node]] = t
        ring_ptr[w, node] = (ring_ptr[w, node] + 1) % windows[w, 1]
        due = ring[w, node, ring_ptr[w, node]] + windows[w, 2]   # the oldest of the last N
        for k in range(windows[w, 3], windows[w, 4]):
            nx = window_next[k]
            if due > E[nx, node]:
                E[nx, node] = due


@njit(cache=True)
def _per_bank_channel_due(now, c, n_rk, nbk, ch_due, ch_j, step, ref_pend, ref_since, ref_due, lp):
    """Per-bank refresh of a channel with several ranks: one REFpb falls due every ``step`` cycles,
    to the channel's banks in turn, rank-major (rank 0's banks, then rank 1's, ...), as Ramulator
    2.1's PerBank manager rotates over a channel's banks; ``ref_due`` of its ranks is the next one."""
    while now >= ch_due[c]:
        r = c * n_rk + (ch_j[c] // nbk) % n_rk
        if lp[r] != 2:                        # in self-refresh the device refreshes
            if ref_pend[r] == 0:
                ref_since[r] = ch_due[c]
            ref_pend[r] += 1
        ch_j[c] += 1
        ch_due[c] += step
    for r in range(c * n_rk, (c + 1) * n_rk):
        ref_due[r] = ch_due[c]


@njit(cache=True)
def _same_bank_next(E, anc, open_row, r, k, n_bg, n_bpg):
    """Same-bank refresh of bank set ``k`` of flat rank ``r`` (bank k of every bank group): the
    command it needs next, its first bank and the cycle it is ready. A PRE to the lowest open bank of
    the set while one is open, else REFsb, whose readiness is that of every bank of the set."""
    base = r * n_bg * n_bpg + k
    for g in range(n_bg):
        b = base + g * n_bpg
        if open_row[b] >= 0:
            return _PRE, b, _ready_bank(E, anc, b, _PRE)
    e = np.int64(0)
    for g in range(n_bg):
        e = max(e, _ready_bank(E, anc, base + g * n_bpg, _REFSB))
    return _REFSB, base, e


@njit(cache=True)
def _apply_bankset(E, ring, ring_ptr, t, b, r, anc, fan, off, rule_start, rules, windows, window_prev,
                   window_next, n_bg, n_bpg):
    """Record a REFsb issued at ``t`` to the bank set whose bank in group 0 is flat bank ``b``: its
    rules as those of a command to each bank of the set."""
    for g in range(n_bg):
        _apply_rules(E, ring, ring_ptr, _REFSB, t, b + g * n_bpg, r, anc, fan, off, rule_start, rules, windows,
                     window_prev, window_next)


@njit(cache=True)
def _low_power_choice(r, now, lp, lp_kind, lp_exit_ok, r_pde, r_queued, r_req_last, ref_pend, n_open,
                      E, n_ch, n_rk, n_bg, nbk, pd_after, sr_after, pd_slow):
    """The low-power command rank ``r`` issues now, or (-1, the cycle to look again)."""
    idle_since = r_req_last[r]
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
    ready = r_pde[r]
    if sr_after >= 0 and now - idle_since >= sr_after:
        if n_open[r] > 0:                      # close every row first
            e = max(ready, _ready_rank(E, r, _PREA, n_ch, n_rk, n_bg, nbk))
            return (_PREA, now) if e <= now else (-1, e)
        ready = max(ready, _ready_rank(E, r, _SREN, n_ch, n_rk, n_bg, nbk))
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
def _change_low_power(cmd, t, r, lp, lp_kind, lp_exit_ok, r_pde, E, rank_node, CKE, CKESR, XP, XPDLL, XS, XSDLL):
    """Rank ``r``'s state after the low-power command ``cmd`` at ``t`` (``rank_node``: its node in
    ``E``). After an exit no command issues for tXP (tXS); RD/WR for tXPDLL (tXSDLL)."""
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
    for c in range(_REFPB + 1):
        due = t + (column if _RD <= c <= _WRA else other)
        if due > E[c, rank_node]:
            E[c, rank_node] = due
    if t + other > E[_SREN, rank_node]:
        E[_SREN, rank_node] = t + other
    if t + other > E[_REFSB, rank_node]:
        E[_REFSB, rank_node] = t + other
    r_pde[r] = max(r_pde[r], t + max(other, CKE))


def class_lists(cbus, n_ch, n_rk, nbk):
    """The class lists step (c) keeps where no command bus carries both column and row commands
    (HBM): a turn there sees one kind of candidate only, the row hits (hq, class 0) in a column turn,
    the others (mq, class 1) in a row turn, so the candidates of each class are kept in age order
    (request index) per channel and queue, and a pass takes them oldest first and stops at the first
    ready one. Returns the empty (channel, queue, class, slot) array for :func:`run`, or None where a
    bus carries both (a pass then goes over the banks with something queued; ``run`` is compiled
    once for each case, without the other's code)."""
    col = {int(cbus[c]) for c in (_RD, _WR, _RDA, _WRA)}
    if int(cbus[_ACT]) in col or int(cbus[_PRE]) in col:
        return None
    return np.empty((n_ch, 2, 2, n_rk * nbk), np.uint32)


@njit(cache=True, nogil=True, error_model="numpy")
def run(par, rule_start, rules, windows, window_prev, window_next, clocks, cbus, wwithin, wblocks, edge, n_sid,
        cands, n_ch, n_rk, n_bg, n_bpg,
        rbank, rrow, rcol, rwrite, rarrival, saturate, queue_depth, write_high, write_low, row_policy,
        refresh_mode, hit_first, skip, pd_after, sr_after, pd_slow, cap):
    """Simulate the requests; see the module docstring.

    Parameters
    ----------
    par : int64 array in :data:`POLICY_LAYOUT` order (cycles).
    rule_start, rules, windows, window_prev, window_next, clocks, cbus, wwithin, wblocks : the
        compiled timing table (:class:`dramsim.table.Compiled`; ``cbus`` its ``bus``: each
        command's command bus; ``wwithin``, ``wblocks`` its ``word_within``, ``word_blocks``).
    edge, n_sid : the compiled table's ``edge`` (command ``c`` issues only in cycles that are
        multiples of ``edge[c]``: HBM3's rising-edge ticks) and ``n_sid`` (SIDs per rank: with
        more than one the hierarchy has a SID level, :func:`_with_sid_level`).
    cands : :func:`class_lists`' array, or None (a pass over the banks; ``run`` is compiled for
        each of the two cases without the other's code).
    n_ch, n_rk, n_bg, n_bpg : channels, ranks per channel, bank groups per rank (over its SIDs),
        banks per group.
    rbank : uint32 array, flat bank of each request: ((channel * n_rk + rank) * n_bg + bankgroup)
        * n_bpg + bank (with SIDs, the bank group counts over the rank's SIDs: sid * bank groups
        per SID + bank group). rrow, rcol : int arrays, its row and device column.
    rwrite : bool array. rarrival : int64 arrival cycles (ignored when ``saturate``).
    queue_depth, write_high, write_low : entries. hit_first, skip : bool
        (``hit_first``: FR-FCFS, ready row hits before older ready ACT/PRE; see the module doc).
    row_policy : 0 open, 1 closed (every column command is RDA/WRA), 2 close-adaptive (RDA/WRA
        when no queued or activated request targets the row).
    refresh_mode : 0 none, 1 all-bank, 2 per-bank, 3 same-bank (REFsb to bank k of every bank
        group, k in rotation, every ``REFIsb``; see :func:`_same_bank_next`), 4 per-bank with every
        rank due at once (the table's ``per_bank_refresh: rank``; with 2 and several ranks per channel
        the channel rotates, see the module docstring).
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
    RD_DONE = par[0]; WR_DONE = par[1]; RD2PDEN = par[2]; WR2PDEN = par[3]; RFC = par[4]
    REFI = par[5]; REFIpb = par[6]
    CKE = par[7]; CKESR = par[8]; XP = par[9]; XPDLL = par[10]; XS = par[11]; XSDLL = par[12]
    REFIsb = par[13]

    n = rbank.shape[0]
    nbk = n_bg * n_bpg
    NR = n_ch * n_rk
    NB = NR * nbk
    NG = NR * n_bg
    # the hierarchy: node ids channel | rank | bank group | bank, each bank's ancestors
    fan = np.array([n_ch, n_rk, n_bg, n_bpg], np.int64)
    off = np.array([0, n_ch, n_ch + NR, n_ch + NR + NG], np.int64)
    NN = n_ch + NR + NG + NB
    anc = np.empty((NB, 4), np.uint32)       # (node ids; unsigned: see below)
    bank_rank = np.empty(NB, np.uint32)
    bank_ch = np.empty(NB, np.uint32)
    bank_bg = np.empty(NB, np.int16)         # its bank group and bank in its rank (for the record)
    bank_ba = np.empty(NB, np.int16)
    for b in range(NB):
        bank_bg[b] = (b % nbk) // n_bpg
        bank_ba[b] = b % n_bpg
        bank_rank[b] = b // nbk
        bank_ch[b] = bank_rank[b] // n_rk
        anc[b, 0] = bank_ch[b]
        anc[b, 1] = off[1] + bank_rank[b]
        anc[b, 2] = off[2] + b // n_bpg
        anc[b, 3] = off[3] + b
    if n_sid > 1:
        fan, off, anc, NN = _with_sid_level(fan, off, anc, n_sid, n_bg)
    edged = edge.max() > 1                      # some command issues on rising-edge ticks only
    bus_edge = _bus_edges(edge, cbus, clocks.shape[0])
    col_bus = np.zeros(cbus.max() + 1, np.bool_)   # the buses some column command travels on
    for cmd in (_RD, _WR, _RDA, _WRA):
        col_bus[cbus[cmd]] = True
    row_bus = np.zeros(cbus.max() + 1, np.bool_)   # ... and ACT or PRE
    row_bus[cbus[_ACT]] = True
    row_bus[cbus[_PRE]] = True
    # timing state: per command and node, the earliest cycle the command may issue below it
    NCMD = clocks.shape[0]
    E = np.zeros((NCMD, NN), np.int64)
    NW = windows.shape[0]
    ring = np.full((NW, NN, 8), _FAR_PAST, np.int64)
    ring_ptr = np.zeros((NW, NN), np.int64)
    n_bus = cbus.max() + 1
    bus_free = np.zeros((n_ch, n_bus), np.int64)   # each command bus of each channel busy until
    # a deferred second word pending per channel: its latest cycle (_NEVER: none) and its command
    w_due = np.full(n_ch, _NEVER, np.int64)
    w_cmd = np.zeros(n_ch, np.int64)
    # bank state
    open_row = np.full(NB, -1, np.int64)
    n_open = np.zeros(NR, np.int64)
    ab_hold = np.zeros(NB, np.int64)         # activated-buffer requests per bank
    # activated buffer: 32 entries as in Ramulator 2, or one per bank of a channel when there are
    # more banks (an activated request must never lose its row before its column command)
    AB = max(32, n_rk * nbk)
    # read (0) and write (1) queues per channel, kept per bank (see step 1): requests and their
    # rows in age order, the bank's two candidates, the channel's banks with a queued request
    qn = np.zeros((n_ch, 2), np.int64)
    q_bank = np.zeros((2, NB), np.int64)
    bq = np.empty((2, NB, 2 * queue_depth), np.uint32)
    bq_row = np.empty((2, NB, 2 * queue_depth), np.int64)
    # (a bank's queue is bq[d, b, q_head:q_head + q_bank] in a buffer twice the depth: its oldest request
    # leaves by a step of q_head, and only when the buffer's end is reached does the queue move back)
    q_head = np.zeros((2, NB), np.int64)
    hq = np.full((2, NB), -1, np.int64)
    mq = np.full((2, NB), -1, np.int64)
    active = np.empty((n_ch, 2, n_rk * nbk), np.uint32)
    n_active = np.zeros((n_ch, 2), np.int64)
    active_pos = np.zeros((2, NB), np.int64)
    # cands (see class_lists): per channel, queue and class (0: hq, 1: mq) the candidates in age order,
    # n_cands of them (with cands the active lists above stay empty: only the bank pass uses them)
    n_cands = np.zeros((n_ch, 2, 2), np.int64)
    # per channel and bus, the smallest ready cycle of the last scan that found nothing ready
    # (-1: none; valid while nothing issued on the channel and no candidate changed)
    scan_min = np.full((n_ch, n_bus), -1, np.int64)
    r_col = np.empty(n_rk, np.int64)          # a pass's channel and rank part of the column command, ACT, PRE
    r_act = np.empty(n_rk, np.int64)
    r_pre = np.empty(n_rk, np.int64)
    ab = np.empty((n_ch, AB), np.uint32)
    ab_n = np.zeros(n_ch, np.int64)
    # per channel and bus, a lower bound of the cycle any activated request may issue its column command
    # on that bus (the last scan's smallest ready cycle, lowered by each request that joins; 0: scan)
    ab_lo = np.zeros((n_ch, n_bus), np.int64)
    wmode = np.zeros(n_ch, np.bool_)
    # a command issued on the channel since its last pass on this bus (scan_min is void then)
    dirty = np.ones((n_ch, n_bus), np.bool_)
    last_d = np.zeros((n_ch, n_bus), np.int64)
    strict = row_policy == 1
    # refresh
    ref_due = np.full(NR, _NEVER, np.int64)
    ref_pend = np.zeros(NR, np.int64)
    ref_since = np.full(NR, _NEVER, np.int64)
    pb_bank = np.zeros(NR, np.int64)
    rank_wise = refresh_mode == 4             # per-bank refresh, every rank on its own
    if rank_wise:
        refresh_mode = 2
    if refresh_mode == 1:
        ref_due[:] = REFI - 1
    elif refresh_mode == 2:
        ref_due[:] = REFIpb - 1
    elif refresh_mode == 3:
        ref_due[:] = REFIsb - 1
    interval = REFI if refresh_mode == 1 else (REFIsb if refresh_mode == 3 else REFIpb)
    # per-bank refresh with several ranks per channel: a channel-wide rotation (_per_bank_channel_due),
    # one REFpb every REFIpb // ranks cycles, so each rank's average interval stays <= REFIpb
    pb_channel = refresh_mode == 2 and n_rk > 1 and not rank_wise
    pb_step = max(REFIpb // n_rk, 1)
    ch_due = np.full(n_ch, pb_step - 1, np.int64)
    ch_j = np.zeros(n_ch, np.int64)
    if pb_channel:
        ref_due[:] = pb_step - 1
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
        # ---- 1. admission (saturate: at most one request per cycle). A queue is kept per bank, in
        # age order (request index), with the bank's two candidates: the oldest request to the open
        # row (hq, a row hit) and the oldest to another row or to a closed bank (mq). Every request
        # of a class is ready exactly when the other ones are, so step (c) looks only at the
        # candidates of the channel's banks with something queued (active); a new candidate voids the
        # last empty scan.
        admitted = 0
        while nxt < n and (admitted == 0 if saturate else rarrival[nxt] <= now):
            g = rbank[nxt]
            c = bank_ch[g]
            d = 1 if rwrite[nxt] else 0
            if qn[c, d] >= queue_depth:
                break
            k = q_bank[d, g]
            hd = q_head[d, g] if k > 0 else 0
            if hd + k == 2 * queue_depth:         # the end of the bank's buffer: move its queue to the start
                for j in range(k):
                    bq[d, g, j] = bq[d, g, hd + j]
                    bq_row[d, g, j] = bq_row[d, g, hd + j]
                hd = 0
            q_head[d, g] = hd
            bq[d, g, hd + k] = nxt
            bq_row[d, g, hd + k] = rrow[nxt]
            q_bank[d, g] = k + 1
            qn[c, d] += 1
            if k == 0:
                if cands is None:                     # (the bank pass's list)
                    active_pos[d, g] = n_active[c, d]
                    active[c, d, n_active[c, d]] = g
                    n_active[c, d] += 1
                hq[d, g] = -1
                mq[d, g] = -1
            h = 0 if rrow[nxt] == open_row[g] else 1
            if (hq[d, g] if h == 0 else mq[d, g]) < 0:      # a new candidate
                if h == 0:
                    hq[d, g] = nxt
                else:
                    mq[d, g] = nxt
                if cands is not None:
                    cands[c, d, h, n_cands[c, d, h]] = nxt   # (the newest request yet)
                    n_cands[c, d, h] += 1
                for u in range(n_bus):
                    scan_min[c, u] = -1
            arrival[nxt] = offered if saturate else rarrival[nxt]
            if lp_on:
                r_queued[bank_rank[g]] += 1
            nxt += 1
            admitted += 1
            if saturate:
                offered = now + 1
        # ---- 2. refresh requests
        if pb_channel:
            for c in range(n_ch):
                _per_bank_channel_due(now, c, n_rk, nbk, ch_due, ch_j, pb_step, ref_pend, ref_since, ref_due, lp)
        elif refresh_mode != 0:
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
            for s in range(n_bus):
                if bus_free[c, s] > now:          # a multi-cycle command still holds this bus
                    earliest = min(earliest, bus_free[c, s])
                    continue
                if edged and _off_edge(now, s, bus_edge) > 0:  # no command of this bus issues in this tick
                    earliest = min(earliest, now + 1)
                    continue
                pend = w_due[c] < _NEVER and cbus[w_cmd[c]] == s     # a second word waits for this bus
                pc = w_cmd[c]
                if pend and w_due[c] <= now:      # at its latest clock: before anything else
                    w_due[c] = _NEVER
                    earliest = now
                    continue
                pend = w_due[c] < _NEVER          # (its blocks hold the channel on every bus)
                found = False
                cmd = -1
                req = -1          # request index served by cmd (-1: refresh)
                src = 0           # 1 activated buffer, 2 refresh, 3 read/write queue, 4 low power
                slot = -1
                tb = -1           # target flat bank
                trk = -1          # target flat rank
                # a. activated buffer (never a request of a rank in a low-power state: it leaves the
                # state before any request of its is queued)
                n_ab = ab_n[c] if col_bus[s] else 0
                if n_ab > 0 and now < ab_lo[c, s]:
                    earliest = min(earliest, ab_lo[c, s])
                    n_ab = 0
                ab_min = _NEVER
                for k in range(n_ab):
                    i = ab[c, k]
                    g = rbank[i]
                    if open_row[g] != rrow[i]:
                        continue  # cannot happen (rows are not closed under it); be safe
                    ccmd = _WR if rwrite[i] else _RD
                    if strict:
                        ccmd += _RDA - _RD
                    if cbus[ccmd] != s:
                        continue      # travels on another command bus
                    if edged and _off_edge(now, ccmd, edge) > 0:
                        ab_min = min(ab_min, now + _off_edge(now, ccmd, edge))
                        continue      # not on this clock edge
                    if pend and wblocks[pc, ccmd]:
                        ab_min = min(ab_min, now + 1)   # held until the second word has gone
                        continue
                    e = max(max(E[ccmd, anc[g, 0]], E[ccmd, anc[g, 1]]), max(E[ccmd, anc[g, 2]], E[ccmd, anc[g, 3]]))
                    if n_sid > 1:
                        e = max(e, E[ccmd, anc[g, 4]])      # (_ready_bank written out: see the module doc)
                    if e <= now:
                        found = True
                        req = i
                        src = 1
                        slot = k
                        cmd = ccmd
                        break
                    if e < ab_min:
                        ab_min = e
                if n_ab > 0:
                    ab_lo[c, s] = 0 if found else ab_min
                    earliest = min(earliest, ab_min)
                # 0. low-power entries and exits (after a: an activated request never waits for them)
                if lp_on and not found:
                    for r in range(c * n_rk, (c + 1) * n_rk):
                        cmd, e = _low_power_choice(r, now, lp, lp_kind, lp_exit_ok, r_pde, r_queued, r_req_last,
                                                   ref_pend, n_open, E, n_ch, n_rk, n_bg, nbk,
                                                   pd_after, sr_after, pd_slow)
                        if (cmd >= 0 and cbus[cmd] == s and not (pend and wblocks[pc, cmd])
                                and not (edged and _off_edge(now, cmd, edge) > 0)):
                            found = True
                            src = 4
                            trk = r
                            break
                        cmd = -1          # (one for another bus issues in that bus's turn)
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
                        if refresh_mode == 1:
                            ccmd = _PREA if n_open[r] > 0 else _REF
                            e = _ready_rank(E, r, ccmd, n_ch, n_rk, n_bg, nbk)
                            cb = -1
                        elif refresh_mode == 3:
                            ccmd, cb, e = _same_bank_next(E, anc, open_row, r, pb_bank[r], n_bg, n_bpg)
                        else:
                            cb = r * nbk + pb_bank[r]
                            ccmd = _PRE if open_row[cb] >= 0 else _REFPB
                            e = _ready_bank(E, anc, cb, ccmd)
                        if cbus[ccmd] != s:
                            blocked = True    # on another bus; the queues wait for it here too
                        elif edged and _off_edge(now, ccmd, edge) > 0:
                            blocked = True    # not on this clock edge; nor are the queues
                            earliest = min(earliest, max(e, now + _off_edge(now, ccmd, edge)))
                        elif pend and wblocks[pc, ccmd]:
                            blocked = True    # held until the second word has gone; so are the queues
                            earliest = min(earliest, max(e, now + 1))
                        elif e <= now:
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
                    if strict:
                        ccol += _RDA - _RD
                    # one pass over the candidates of queue d (step 1): per bank with a request in
                    # it, or with class lists (class_lists) over this turn's class oldest first, to
                    # the first ready one. A candidate is ready at the max of the channel / rank part
                    # (here, per rank) and its bank's own part (bank group, bank, SID nodes); the
                    # oldest ready one wins, or with hit_first the oldest ready row hit. A pass that
                    # finds nothing ready is not repeated until its smallest ready cycle comes
                    # (scan_min), unless a command or a new candidate changes it. (A command on
                    # another bus than s, or of a rank whose CKE is low, counts as never ready: only
                    # its exit may issue.)
                    fresh = dirty[c, s] or last_d[c, s] != d
                    if n_q > 0 and (fresh or scan_min[c, s] < 0 or now >= scan_min[c, s]):
                        dirty[c, s] = False
                        last_d[c, s] = d
                        col_on = cbus[ccol] == s
                        act_on = cbus[_ACT] == s
                        pre_on = cbus[_PRE] == s
                        row_on = act_on or pre_on
                        li = 0 if col_on else 1       # (with class lists: the class of this turn)
                        if cands is None:
                            n_slot = n_active[c, d]
                        else:
                            n_slot = n_cands[c, d, li]
                        if n_slot > 0:
                            for j in range(n_rk):
                                rn = off[1] + c * n_rk + j
                                low = lp_on and lp[c * n_rk + j] != 0
                                r_col[j] = max(E[ccol, c], E[ccol, rn]) if col_on and not low else _NEVER
                                r_act[j] = max(E[_ACT, c], E[_ACT, rn]) if act_on and not low else _NEVER
                                r_pre[j] = max(E[_PRE, c], E[_PRE, rn]) if pre_on and not low else _NEVER
                        best_hit = _NEVER         # request index of the oldest ready row hit
                        best = _NEVER             # ... of the oldest ready request
                        smin = _NEVER
                        clean = True              # nothing was ready (only then is smin kept)
                        for j in range(n_slot):
                            if cands is None:
                                g = active[c, d, j]
                                i_ = -1
                            else:
                                i_ = cands[c, d, li, j]
                                g = rbank[i_]
                            rj = bank_rank[g] - c * n_rk
                            closed = open_row[g] < 0
                            for h in range(2):
                                hit = h == 0
                                i = hq[d, g] if hit else mq[d, g]
                                if i < 0 or not (col_on if hit else row_on):
                                    continue                  # (never ready in this bus's turn)
                                if cands is not None:
                                    if i != i_:
                                        continue              # (one candidate per list entry)
                                kc = ccol if hit else (_ACT if closed else _PRE)
                                e = max(max(E[kc, anc[g, 2]], E[kc, anc[g, 3]]),
                                        r_col[rj] if hit else (r_act[rj] if closed else r_pre[rj]))
                                if n_sid > 1:
                                    e = max(e, E[kc, anc[g, 4]])
                                if ab_hold[g] > 0 and ((not hit) or strict):
                                    e = _NEVER
                                if e > now:
                                    if e < smin:
                                        smin = e
                                    continue
                                clean = False
                                if edged or pend:
                                    if edged and _off_edge(now, kc, edge) > 0:
                                        earliest = min(earliest, now + _off_edge(now, kc, edge))
                                        continue                  # not on this clock edge
                                    if pend and wblocks[pc, kc]:
                                        earliest = min(earliest, now + 1)   # held until the second word has gone
                                        continue
                                if i < best:
                                    best = i
                                if hit and i < best_hit:
                                    best_hit = i
                            if cands is not None:
                                if best < _NEVER:
                                    break                     # (oldest first: the oldest ready one)
                        pick = best_hit if (hit_first and best_hit < _NEVER) else best
                        if pick < _NEVER:
                            found = True
                            req = pick
                            g = rbank[req]
                            if open_row[g] == rrow[req]:
                                cmd = ccol
                            elif open_row[g] < 0:
                                cmd = _ACT
                            else:
                                cmd = _PRE
                            src = 3
                        else:
                            earliest = min(earliest, smin)
                        scan_min[c, s] = smin if (clean and not found) else -1
                    elif n_q > 0:
                        earliest = min(earliest, scan_min[c, s])   # the last pass found nothing ready yet
                # d. a refresh never closes a row an activated request still needs ((c) never
                # picks such a PRE: it counts as never ready)
                if found and src == 2 and (cmd == _PRE or cmd == _PREA):
                    if cmd == _PRE:
                        if ab_hold[tb] > 0:
                            found = False
                    else:
                        for k in range(ab_n[c]):
                            if bank_rank[rbank[ab[c, k]]] == trk:
                                found = False
                                break
                    if not found:
                        earliest = now  # something is ready but held back: tick on
                if not found:
                    if pend and cbus[pc] == s:    # a clock with nothing else to send: the second word
                        w_due[c] = _NEVER         # (what it held counted as ready from now + 1 in earliest)
                    continue
                # ---- 4. issue
                t = now
                if n_bus == 1:                    # (one bus: every command may speed up its pass; see below)
                    dirty[c, 0] = True
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
                    if (cmd == _RD or cmd == _WR) and row_policy == 2:
                        other = False
                        for dq in range(2):
                            for k in range(q_head[dq, tb], q_head[dq, tb] + q_bank[dq, tb]):
                                if bq[dq, tb, k] != req and bq_row[dq, tb, k] == rrow[req]:
                                    other = True
                        if not other:
                            for k in range(ab_n[c]):
                                j = ab[c, k]
                                if j != req and rbank[j] == tb and rrow[j] == rrow[req]:
                                    other = True
                                    break
                        # with auto-precharge when nothing else wants the row and the table allows
                        # it now (a write just before may hold RDA back for write recovery)
                        if (not other and cbus[cmd + _RDA - _RD] == s and not (pend and wblocks[pc, cmd + _RDA - _RD])
                                and _ready_bank(E, anc, tb, cmd + _RDA - _RD) <= t):
                            cmd = cmd + _RDA - _RD
                # record
                if nc == cap:
                    overflow = True
                    break
                c_cyc[nc] = t
                c_cmd[nc] = cmd
                c_ch[nc] = c
                c_rk[nc] = trk - c * n_rk
                if tb >= 0:
                    c_bg[nc] = bank_bg[tb] if cmd != _REFSB else -1
                    c_ba[nc] = bank_ba[tb]
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
                # timing state: the table's rules, the command bus, then the bank state
                if cmd == _REFSB:
                    _apply_bankset(E, ring, ring_ptr, t, tb, trk, anc, fan, off, rule_start, rules, windows,
                                   window_prev, window_next, n_bg, n_bpg)
                else:
                    _apply_rules(E, ring, ring_ptr, cmd, t, tb, trk, anc, fan, off, rule_start, rules,
                                 windows, window_prev, window_next)
                if wwithin[cmd] > 0:              # its second word may come later (table: second_word)
                    bus_free[c, s] = t + 1
                    w_due[c] = t + wwithin[cmd]
                    w_cmd[c] = cmd
                else:
                    bus_free[c, s] = t + clocks[cmd]
                if lp_on:
                    _note_for_powerdown(cmd, t, trk, r_pde, r_queued, RD2PDEN, WR2PDEN, RFC)
                leaves = False                      # req leaves its queue
                # a candidate that may be ready sooner than the last pass's smallest ready cycle (a new
                # one, or one whose command changed): column (new_h) or row (new_m) commands
                new_h = cmd >= _PDN_F_PRE and cmd <= _SREX     # (a rank's CKE changed: all of them)
                new_m = new_h
                redo_lo = 0                           # banks whose open row changed: [redo_lo, redo_hi)
                redo_hi = 0
                if cmd == _ACT:
                    open_row[tb] = rrow[req]
                    n_open[trk] += 1
                    redo_lo = tb
                    redo_hi = tb + 1
                    # move to the activated buffer (stays queued when it is full)
                    if ab_n[c] < AB:
                        pos = ab_n[c]
                        while pos > 0 and ab[c, pos - 1] > req:
                            ab[c, pos] = ab[c, pos - 1]
                            pos -= 1
                        ab[c, pos] = req
                        ab_n[c] += 1
                        ab_hold[tb] += 1
                        kc = (_WR if rwrite[req] else _RD) + (_RDA - _RD if strict else 0)
                        e = max(max(E[kc, anc[tb, 0]], E[kc, anc[tb, 1]]), max(E[kc, anc[tb, 2]], E[kc, anc[tb, 3]]))
                        if n_sid > 1:
                            e = max(e, E[kc, anc[tb, 4]])
                        ab_lo[c, cbus[kc]] = min(ab_lo[c, cbus[kc]], e)
                        leaves = True
                elif cmd == _PRE:
                    open_row[tb] = -1
                    n_open[trk] -= 1
                    redo_lo = tb
                    redo_hi = tb + 1
                elif cmd == _PREA:
                    for b in range(trk * nbk, (trk + 1) * nbk):
                        open_row[b] = -1
                    n_open[trk] = 0
                    redo_lo = trk * nbk
                    redo_hi = (trk + 1) * nbk
                elif cmd == _REF or cmd == _REFPB or cmd == _REFSB:
                    if cmd == _REFPB:
                        pb_bank[trk] = (pb_bank[trk] + 1) % nbk
                    elif cmd == _REFSB:
                        pb_bank[trk] = (pb_bank[trk] + 1) % n_bpg
                    ref_pend[trk] -= 1
                    if ref_pend[trk] > 0:
                        ref_since[trk] = ref_since[trk] + interval
                elif cmd >= _PDN_F_PRE:
                    _change_low_power(cmd, t, trk, lp, lp_kind, lp_exit_ok, r_pde, E, off[1] + trk,
                                      CKE, CKESR, XP, XPDLL, XS, XSDLL)
                else:
                    # column command
                    if cmd == _RD or cmd == _RDA:
                        completion[req] = t + RD_DONE
                    else:
                        completion[req] = t + WR_DONE
                    if cmd == _RDA or cmd == _WRA:
                        open_row[tb] = -1
                        n_open[trk] -= 1
                        redo_lo = tb
                        redo_hi = tb + 1
                    issue[req] = t
                    served += 1
                    if src == 1:
                        for k in range(slot, ab_n[c] - 1):
                            ab[c, k] = ab[c, k + 1]
                        ab_n[c] -= 1
                        ab_hold[tb] -= 1
                        if ab_hold[tb] == 0:          # its bank's PRE (closed page: its hits) may go now
                            new_m = True
                            new_h = new_h or strict
                    else:
                        leaves = True
                # the queue of req's bank without it (see step 1); a candidate it was is redone
                redo_h = False
                redo_m = False
                if leaves:
                    d = 1 if rwrite[req] else 0
                    m = q_bank[d, tb]
                    hd = q_head[d, tb]
                    k = hd
                    while bq[d, tb, k] != req:
                        k += 1
                    if k == hd:                       # the oldest (seq: nearly always): no move
                        q_head[d, tb] = hd + 1
                    else:
                        for j in range(k, hd + m - 1):
                            bq[d, tb, j] = bq[d, tb, j + 1]
                            bq_row[d, tb, j] = bq_row[d, tb, j + 1]
                    q_bank[d, tb] = m - 1
                    qn[c, d] -= 1
                    if m == 1 and cands is None:      # the bank leaves the active list
                        j = active_pos[d, tb]
                        g = active[c, d, n_active[c, d] - 1]
                        active[c, d, j] = g
                        active_pos[d, g] = j
                        n_active[c, d] -= 1
                    redo_h = hq[d, tb] == req
                    redo_m = mq[d, tb] == req
                    if redo_lo == redo_hi and (redo_h or redo_m):
                        redo_lo = tb
                        redo_hi = tb + 1
                # the two candidates of every bank in [redo_lo, redo_hi), in both queues (all of them
                # when its open row changed, else the one req was)
                row_changed = cmd != _RD and cmd != _WR
                for b in range(redo_lo, redo_hi):
                    for dq in range(2):
                        want_h = row_changed or (redo_h and dq == d)
                        want_m = row_changed or (redo_m and dq == d)
                        old_h = hq[dq, b]
                        old_m = mq[dq, b]
                        if want_h:
                            hq[dq, b] = -1
                        if want_m:
                            mq[dq, b] = -1
                        for k in range(q_head[dq, b], q_head[dq, b] + q_bank[dq, b]):
                            if not (want_h or want_m):
                                break
                            if bq_row[dq, b, k] == open_row[b]:
                                if want_h:
                                    hq[dq, b] = bq[dq, b, k]
                                    want_h = False
                            elif want_m:
                                mq[dq, b] = bq[dq, b, k]
                                want_m = False
                        if hq[dq, b] >= 0 and (row_changed or hq[dq, b] != old_h):
                            new_h = True
                        if mq[dq, b] >= 0 and (row_changed or mq[dq, b] != old_m):
                            new_m = True
                        if cands is not None:
                            for h in range(2):            # the age-ordered lists follow hq and mq
                                old = old_h if h == 0 else old_m
                                new = hq[dq, b] if h == 0 else mq[dq, b]
                                if old == new:
                                    continue
                                m = n_cands[c, dq, h]
                                if old >= 0:
                                    k = 0
                                    while cands[c, dq, h, k] != old:
                                        k += 1
                                    for j in range(k, m - 1):
                                        cands[c, dq, h, j] = cands[c, dq, h, j + 1]
                                    m -= 1
                                if new >= 0:
                                    k = m
                                    while k > 0 and cands[c, dq, h, k - 1] > new:
                                        cands[c, dq, h, k] = cands[c, dq, h, k - 1]
                                        k -= 1
                                    cands[c, dq, h, k] = new
                                    m += 1
                                n_cands[c, dq, h] = m
                # the passes that may now find a command sooner are redone (the ready cycles E only rise,
                # so every other pass's smallest ready cycle stays a lower bound); with one bus the test
                # costs more than it saves (rand 2-3 %), so there every command redoes the pass
                if n_bus > 1:
                    for u in range(n_bus):
                        if (new_h and col_bus[u]) or (new_m and row_bus[u]):
                            dirty[c, u] = True
                earliest = now  # state changed: look again next cycle
            if overflow:
                break
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
