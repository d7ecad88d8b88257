"""Independent DRAM timing checker: does a command trace obey JEDEC?

The checker shares no table or formula with the controller (``dramsim.timing`` / ``kernel`` /
``simulate``): from a :class:`dramsim.spec.Spec` it reads only the standard, the organization, the
clock and the primary timing values of the user's file; every value it checks comes from its own
JEDEC table (:mod:`dramsim.checker.jedec`, rounding and the rule "max(JEDEC, spec)" explained
there) and every command-to-command distance from its own formulas (:func:`jedec.limits`). The
walk over the trace is one Numba kernel (:mod:`dramsim.checker.walk`).

Notation: t(X) issue cycle of X (the first clock of a multi-clock command), BL/2 = nBL data-bus
clocks of a burst, RL = CL, WL = CWL. Sources: D3 = JESD79-3F (DDR3), D4 = JESD79-4B (DDR4),
L3 = JESD209-3C (LPDDR3), L4 = JESD209-4B (LPDDR4). Names are spelled as the standard does:
DDR4 has ``tRRD_S/_L``, ``tCCD_S/_L``, ``tWTR_S/_L``; the others ``tRRD``, ``tCCD``, ``tWTR``; LPDDR
has ``tRPpb``/``tRPab``, ``tRFCab``, ``tXSR`` (LPDDR4 also ``tSR``), DDR ``tRP``, ``tRFC``, ``tXS``.

======================== ================= ========================= ==================================
rule                     A -> B            scope                     value (cycles) and source
======================== ================= ========================= ==================================
order                    any -> any        channel                   t(B) >= t(A) (trace order)
command bus              any -> any        channel                   t(B) >= t(A) + slots(A): 1 clock;
                                                                     L4: ACT, RD, WR, RDA, WRA 4 clocks
                                                                     (ACTIVATE-1/-2, RD/WR + CAS-2),
                                                                     PRE, PREA, REF, REFpb, SRE, SRX 2
data bus                 RD/WR -> RD/WR    channel, same rank        bursts [t+RL, t+RL+nBL) (reads),
                                                                     [t+WL, t+WL+nBL) (writes) do not
                                                                     overlap (no table); each burst is
                                                                     compared with the 8 issued before
                                                                     it on the channel
tRTRS                    RD/WR -> RD/WR    channel, other rank       bursts apart by the spec's RTRS
                                                                     (JEDEC leaves it to the controller)
tRC                      ACT -> ACT        bank                      max(tRC spec, tRAS + tRP)
tRCD                     ACT -> RD/WR/xA   bank                      spec (speed-bin value); L3/L4
                                                                     max(3/4 nCK, 18 ns)
tRAS                     ACT -> PRE/PREA   bank (open)               D3 35 ns @1600 (table per bin),
                                                                     D4 32 ns @2400, L3 max(3nCK,42ns),
                                                                     L4 max(3nCK, 42 ns)
tRP / tRPpb              PRE -> ACT/REFpb/ bank                      spec (bin); L3/L4 max(3/4nCK,18ns)
                         REF/SRE
tRP / tRPpb              RDA/WRA -> ACT..  bank                      from the implicit precharge (below)
tRP / tRPab              PREA -> ACT/REF/  rank                      DDR: tRP; L3/L4 max(3/4nCK, 21 ns)
                         REFpb/SRE
tRTP                     RD -> PRE/PREA    bank (RD since ACT)       max(4 nCK, 7.5 ns) (D3, D4, L3);
                                                                     L4 max(8 nCK, 7.5 ns); LPDDR as
                                                                     BL/2 + max(nRTPmin, nRTP) - nRTPmin
tWR                      WR -> PRE/PREA    bank (WR since ACT)       DDR WL + BL/2 + tWR (15 ns);
                                                                     L3 WL + BL/2 + 1 + RU(15 ns/tCK),
                                                                     L4 WL + BL/2 + 1 + RU(18 ns/tCK)
tWR                      WR -> RDA         bank                      RDA's implicit precharge,
                                                                     max(t(RDA) + tRTP, t(ACT) + tRAS),
                                                                     not before t(WR) + the tWR above
implicit precharge       RDA / WRA         bank                      max(t + tRTP, t(ACT) + tRAS) /
                                                                     max(t + WR->PRE above, ACT + tRAS)
tRRD(_S/_L)              ACT/REFpb ->      rank, other bank          D3 max(4nCK, 6 ns) @1600 1 KB page,
                         ACT/REFpb         (D4: other / same group)  D4 _S max(4nCK,3.3ns) _L max(4nCK,
                                                                     4.9 ns) @2400 1 KB, L3 max(2nCK,
                                                                     10 ns), L4 max(4 nCK, 10 ns)
tFAW                     4th earlier ACT   rank                      D3 30 ns @1600 1 KB, D4 max(20nCK,
                         /REFpb -> ACT                               21 ns) @2400 1 KB, L3 max(8nCK,
                                                                     50 ns), L4 40 ns
tCCD(_S/_L)              RD->RD, WR->WR    rank (D4: other / same    4 nCK (D3, L3, D4 _S); D4 _L
                                          group)                     max(5 nCK, 5 ns) @2400; L4 BL/2
tRTW                     RD -> WR          rank                      D3/D4 RL + BL/2 + 2 - WL;
                                                                     L3 RL + RU(tDQSCKmax/tCK) + BL/2
                                                                     + 1 - WL (tDQSCKmax 5.5 ns);
                                                                     L4 RL + RU(tDQSCKmax/tCK) + BL/2 -
                                                                     WL + tWPRE + RD(tRPST) (3.5 ns,
                                                                     2 nCK, 0.5 nCK); the standards give
                                                                     the formula, not a name
tWTR(_S/_L)              WR -> RD          rank (D4: other / same    DDR WL + BL/2 + tWTR, D3 max(4nCK,
                                          group)                     7.5ns), D4 _S max(2nCK, 2.5 ns),
                                                                     _L max(4nCK, 7.5ns); L3 WL + BL/2
                                                                     + 1 + RU(tWTR/tCK) max(4nCK,7.5ns),
                                                                     L4 the same with max(8nCK, 10 ns)
tRFC / tRFCab            REF -> any        rank                      no command but low-power ones
                                                                     during tRFC: D3/D4 260 ns (4 Gb),
                                                                     L3 130 ns (4 Gb), L4 280 ns (8 Gb
                                                                     per channel); table by density
tRFCpb                   REFpb -> ACT/PRE  bank                      L3 60 ns (4 Gb), L4 140 ns (8 Gb/ch)
tRFCpb                   REFpb -> REFpb/   rank                      the same
                         REF
tPPD                     PRE/PREA ->       rank                      L4 4 nCK (other standards: none)
                         PRE/PREA
tREFI                    refresh -> next   rank                      at most 9 x tREFI between
                         refresh                                     consecutive REFs (D3, D4, L3, L4:
                                                                     at most 8 REF postponed, so the
                                                                     interval between surrounding REFs
                                                                     is at most 9 x tREFI)
tREFI:average            refresh           rank                      the n-th REF since the start (or
                                                                     the last SRX) by (n + 8) x tREFI:
                                                                     never more than 8 owed; the end of
                                                                     the trace and SRE are deadlines too
tREFIpb, :average        REFpb             rank                      the same in tREFIpb units (per-bank
                                                                     mode; a REF counts as one REFpb per
                                                                     bank)
tREFI:bank               REFpb -> REFpb    bank                      each bank refreshed within 9 x tREFI
state:REFpb to a bank    REFpb             rank                      per-bank rotation: each bank once
already refreshed ...                                                until every bank had its REFpb
                                                                     (a REF or SRX starts a new round)
state rules              ACT, RD/WR/xA,    bank / rank               ACT only to a closed bank; column
                         REF, REFpb                                  commands to an open bank and its
                                                                     row (row -1: not checked); REF with
                                                                     every bank closed, REFpb to a
                                                                     closed bank; PRE to a closed bank
                                                                     is a no-op (not timed)
tCKE                     PDE -> PDX,       rank                      D3 max(3nCK, 5 ns) @1600, D4
                         PDX -> PDE                                  max(3nCK, 5 ns), L3 max(3nCK,
                                                                     7.5 ns), L4 max(4nCK, 7.5 ns)
tCKESR / tSR             SRE -> SRX        rank                      D3/D4 tCKE + 1 nCK, L3 max(3nCK,
                                                                     15 ns), L4 max(3 nCK, 15 ns)
tXP                      PDX -> any        rank                      D3 max(3nCK, 6 ns) @1600, D4
                                                                     max(4nCK, 6 ns), L3 max(3nCK,
                                                                     7.5ns), L4 max(5 nCK, 7.5 ns)
tXPDLL                   slow PDX -> RD/WR rank                      D3 max(10 nCK, 24 ns); D4 spec;
                                                                     LPDDR, H2 (no DLL) = tXP
tXS / tXSR               SRX -> non-column rank                      D3 max(5nCK, tRFC + 10 ns), D4
                                                                     tRFC + 10 ns, L3 max(2nCK, tRFCab +
                                                                     10 ns), L4 max(2nCK, tRFCab + 7.5ns)
tXSDLL                   SRX -> RD/WR      rank                      D3 512 nCK (tDLLK); D4 spec;
                                                                     LPDDR = tXSR, H2 = tXS
state:... CKE            low-power         rank                      nothing but the matching exit while
                                                                     CKE is low; PDE_PRE / SRE with
                                                                     every bank closed, PDE_ACT with one
                                                                     open
======================== ================= ========================= ==================================

DDR5 (D5 = JESD79-5): ACT, RD, RDA, WR, WRA take 2 command-bus clocks, and every distance to or
from them is measured at their second clock (``jedec.timing_offsets``; order and the command bus
use issue cycles); nCK values are computed at the speed bin's nominal clock (DDR5-4800: 416.67 ps).
Its values: tRAS 32 ns, tRRD_S 8 nCK, tRRD_L max(8 nCK, 5 ns), tFAW at least 32 nCK (1 KB page) /
40 nCK (2 KB), tCCD_S 8 nCK, tCCD_L max(8 nCK, 5 ns), ``tCCD_S_WR`` 8 nCK and ``tCCD_L_WR``
max(32 nCK, 20 ns) (write to write, other / same bank group), tWTR_S max(4 nCK, 2.5 ns), tWTR_L
max(16 nCK, 10 ns), tRTP max(12 nCK, 7.5 ns), tWR 30 ns, tPPD 2 nCK, tRFC1 195 / 295 / 410 ns (8 / 16
/ 32 Gb), tREFI 3.9 us; RD -> WR RL + BL/2 - WL + 2 + tWPRE (2 nCK) + (tRPST - 0.5 nCK) (0.5 nCK).
Power-down and self-refresh of DDR5 are not checked (not modelled). Names: tRRD_S/_L, tCCD_S/_L,
tCCD_S_WR/_L_WR, tWTR_S/_L, tRP (also after PREab), tRFC.
DDR5 same-bank refresh (REFsb to bank k of every bank group; JESD79-5, fine-granularity mode):
every bank of the set closed (``state:REFsb to open bank``) and precharged (tRP, tRPab); an ACT or
PRE to a bank of a set in refresh, a REF, a PREA and the next REFsb of the rank wait ``tRFCsb``
(115 / 130 ns for 8 / 16 Gb; REFsb to REFsb of another set tRFCsb too: one same-bank refresh at a
time per rank, the safe reading); an ACT to a bank outside the set ``tREFSBRD`` (30 ns); a REF
before a REFsb tRFC. Rate: one REFsb per tREFI2 / banks per group (tREFI2 = 1.95 us, 487.5 ns on
DDR5-4800) on average, 8 postponed at most (``tREFIsb``, ``tREFIsb:average``; a REF counts as one
REFsb per bank set), and each set once per round (``state:REFsb to a bank set already refreshed in
this round``). REFsb does not count in tRRD / tFAW.

GDDR6 (G6 = JESD250, whose AC timings are not standardized: vendor data sheets give them): one
channel of a die per channel, BL16 in 2 CK (nBL = burst_length / 8: data on WCK = 4 x CK, double
data rate), every command 1 clock. Its table holds only what public sources give (Micron's
MT61K256M32 brief): tCCD_S 2 nCK, tCCD_L at least 3 nCK, tREFI 32 ms / 16k = 1953.125 ns; tRCDRD,
tRCDWR (ACT to RD/RDA, to WR/WRA: rules ``tRCDRD`` / ``tRCDWR``), tRP, tRAS, tRRD, tFAW, tWR, tRTP,
tWTR, tRFCab, tPPD and tRREFD are the spec's. RD -> WR RL + BL/2 + 2 - WL as DDR3/DDR4. Per-bank
refresh: a REFpb or ACT waits ``tRREFD`` after another bank's REFpb (not tRFCpb as on LPDDR), a
REFpb or ACT of the refreshed bank and a REF tRFCpb.
Names: tRRD_S/_L, tCCD_S/_L, tWTR_S/_L (JESD250 writes tRRDS ...), tRP (also after PREab), tRFC.

HBM2 (H2 = JESD235): each channel has a row command bus (ACT, PRE, PREA, REF, REFpb) and a column
command bus (RD, WR, RDA, WRA); the command-bus rule holds per bus, so a row and a column command
may share a cycle (``jedec.command_buses``). ACT takes 2 row-bus clocks and its distances count
from its second clock. The ranks of an HBM2 spec are its pseudo-channels: each has its own data
bus (the data-bus rule compares bursts of one pseudo-channel; no tRTRS between them) and its own
all-bank refresh. Values: tCCDS 2 nCK (BL/2), tRRDS = tRRDL 4 ns, tRFC 110 / 160 / 260 / 350 ns
(1 / 2 / 4 / 8 Gb per pseudo-channel), tREFI 3.9 us (the JESD235 values Ramulator 2.1's HBM2 model
quotes; we had no copy of JESD235); every other minimum is the spec's. ACT -> WR is tRCDWR, ACT ->
RD tRCDRD. Names: tRCDRD, tRCDWR, tRRDS/L, tCCDS/L (reads and writes), tWTRS/L, tRP, tRFC.
Per-bank refresh (REFSB, here REFpb): as GDDR6's, tRREFD 8 ns to an ACT or REFpb of another bank,
tRFCpb (JESD235 tRFCSB) 160 ns up to 8 Gb to the refreshed bank and a REF, tREFIpb = tREFI / the
pseudo-channel's banks (243.75 ns for 16), the values Ramulator 2.1's HBM2 model quotes.
Power-down and self-refresh are per pseudo-channel, their entries and exits (PDE/PDX, SRE/SRX) on
the row bus; tCKE, tCKESR, tXP and tXS are the spec's (JESD235's values are not public to us), and
without a DLL a read or write after an exit waits tXP / tXS as every other command (no tXPDLL /
tXSDLL rule; names tXP, tXS).

HBM3 (H3 = JESD238, not public to us; values as Ramulator 2.1's HBM3 model quotes them): the spec counts half-CK
ticks (``timing.ticks_per_ck`` 2), so JEDEC nCK values are rounded at tCK and count 2 ticks each. Two command buses
and a data bus per pseudo-channel as HBM2; ACT takes 3 ticks, column commands 2, row commands 1, each measured from
its last tick (``jedec.timing_offsets``). Column commands, ACT and REF issue on CK's rising edge only (even ticks;
``state:X off CK's rising edge``, ``jedec.clock_edges``), PRE / PREA on either. Each pseudo-channel spans SIDs (the
trace's bank group counts over them, SID x bank groups + bank group): a read after a read of another SID of the
pseudo-channel waits ``tCCDR`` (the spec's, Ramulator's preset 3 nCK). Values: tCCDS 2 nCK, tRFC 260 / 350 / 450 /
550 ns by channel density (<= 4 / 8 / 16 / more Gb), tREFI 3.9 us; tPPD, tRTW (RD -> WR: the larger of RL + BL/2 +
2 nCK - WL and the spec's tRTW) and every other minimum are the spec's. Names as HBM2's, plus tCCDR.
Per-bank refresh (REFpb) as Ramulator 2.1's HBM3 model has it: tRFCpb (the spec's, 200 ns) before an ACT or PRE to
the refreshed bank and a REF, tRREFD (the spec's, 8 nCK) before an ACT or REFpb of another bank; a REFpb is no
activation: it waits tRRDS after an ACT of another bank of the pseudo-channel and counts in neither tRRD nor tFAW
(``jedec.limits`` ``REFPB_RRD``); tREFIpb the spec's (tREFI / 32 banks).

LPDDR5 (L5 = JESD209-5, bank-group mode): ACT is ACTIVATE-1 + ACTIVATE-2, every distance counted
from ACTIVATE-1; the trace records it once. ACTIVATE-2 may come later than the clock after
ACTIVATE-1, with other commands between (``jedec.deferred_words``): the walk puts it into the first
command clock after ACTIVATE-1 that no command takes, and reports ``tAAD`` when that is more than
tAAD = 8 nCK after ACTIVATE-1 and ``state:ACT while ACT-2 is pending`` for an ACT before it.

Speed-bin tables (D3 800-2133, D4 1600-3200 MT/s) and density tables are in
:mod:`dramsim.checker.jedec`; a value it lacks, and every value of another standard or speed, is
the spec's own. Not checked: pull-in (at most 8 REFs ahead), LPDDR3's fixed REFpb bank order
(only "each bank once per round"), DQS/ODT details beyond the turnaround formulas above, mode
registers.

For every command B and rule the checker reports at most one violation: the earlier command A
that constrains B the most. State violations, and PREA's tRAS / tRTP / tWR checks, are reported
per bank. The refresh mode is read from the trace (REFpb present: per-bank, REFsb: same-bank, else
all-bank); the ``refresh`` argument overrides it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dramsim.checker import jedec
from dramsim.checker.walk import MAX_RULES, RULE_CODES, TIMING_NAMES, walk
from dramsim.errors import InputError
from dramsim.spec import Spec
from traces.commands import ACT, CODE, COMMANDS, PRE, RD, RDA, REFPB, REFSB, WR, WRA, CommandTrace

__all__ = ["Violation", "check", "format_report", "describe", "rule_names", "limits", "REFRESH_MODES"]

REFRESH_MODES = ("all-bank", "per-bank", "none", "same-bank")
limits = jedec.limits

_BANK_COMMANDS = (ACT, PRE, RD, WR, RDA, WRA, REFPB)
_ROW_COMMANDS = (ACT, RD, WR, RDA, WRA)


def rule_names(spec: Spec) -> tuple[str, ...]:
    """Rule names by code, spelled as ``spec``'s standard does (module docstring)."""
    names = dict(enumerate(RULE_CODES))
    lp = spec.standard in jedec.LPDDR
    rename = {}
    # bank-group names only where the standard has bank groups (DDR4; an unknown standard: by its organization)
    if spec.standard in ("DDR3", "LPDDR3", "LPDDR4") or (spec.standard not in ("DDR4", "DDR5")
                                                         and spec.organization.bankgroups < 2):
        rename.update({"tRRD_L": "tRRD", "tRRD_S": "tRRD", "tCCD_L": "tCCD", "tCCD_S": "tCCD",
                       "tWTR_L": "tWTR", "tWTR_S": "tWTR", "tCCD_L_WR": "tCCD", "tCCD_S_WR": "tCCD"})
    elif spec.standard != "DDR5":           # write to write is tCCD_S/_L where the standard has no _WR
        rename.update({"tCCD_L_WR": "tCCD_L", "tCCD_S_WR": "tCCD_S"})
    if lp:
        rename.update({"tRP": "tRPpb", "tRFC": "tRFCab", "tXS": "tXSR", "tXSDLL": "tXSR", "tXPDLL": "tXP"})
        if spec.standard == "LPDDR4":
            rename["tCKESR"] = "tSR"
    elif spec.standard in ("DDR3", "DDR4", "DDR5", "GDDR6", "HBM2", "HBM3"):
        rename["tRPab"] = "tRP"
    if spec.standard in jedec.NO_DLL and not lp:    # HBM2: no DLL, the exits are tXP / tXS throughout
        rename.update({"tXPDLL": "tXP", "tXSDLL": "tXS"})
    if spec.standard in jedec.JESD235_NAMES:  # JESD235 spelling: tRCDRD / tRCDWR, tRRDS, tCCDL, ...
        rename.update({"tRCD": "tRCDRD", "tRCD_WR": "tRCDWR", "tRRD_S": "tRRDS", "tRRD_L": "tRRDL",
                       "tCCD_S": "tCCDS", "tCCD_L": "tCCDL", "tCCD_S_WR": "tCCDS", "tCCD_L_WR": "tCCDL",
                       "tWTR_S": "tWTRS", "tWTR_L": "tWTRL"})
    elif spec.standard == "GDDR6":            # JESD250 tRCDRD / tRCDWR; the rest in DDR4's spelling
        rename.update({"tRCD": "tRCDRD", "tRCD_WR": "tRCDWR"})
    else:
        rename["tRCD_WR"] = "tRCD"
    return tuple(rename.get(names[c], names[c]) for c in range(len(RULE_CODES)))


@dataclass(frozen=True)
class Violation:
    """One broken rule between two commands of a trace.

    Parameters
    ----------
    rule : str
        Rule name as the standard spells it (``"tRCD"``, ``"tRRD_L"``, ``"tRPab"``, ...), or
        ``"order"``, ``"command bus"``, ``"data bus"``, a refresh-rate rule or a state rule
        (``"state:RD to closed bank"``).
    required, actual : int
        Cycles from ``first`` to ``second``. For minimum-distance rules ``actual < required``; for
        the refresh-rate rules (``tREFI*``) ``actual > required``.
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


def infer_refresh(commands: CommandTrace) -> str:
    """``"per-bank"`` when the trace holds a REFpb, ``"same-bank"`` when it holds a REFsb (and no
    REFpb), else ``"all-bank"``."""
    if (commands.cmd == REFPB).any():
        return "per-bank"
    return "same-bank" if (commands.cmd == REFSB).any() else "all-bank"


def _per_command(values: dict, default: int) -> np.ndarray:
    """An array over the command codes: ``values[name]`` where given, else ``default``."""
    out = np.full(len(COMMANDS), default, np.int64)
    for name, v in values.items():
        out[CODE[name]] = v
    return out


def check(commands: CommandTrace, spec: Spec, *, refresh: str | None = None, end_cycle: int | None = None,
          max_violations: int | None = None) -> list[Violation]:
    """Check a command trace against JEDEC for ``spec``'s device; return every violation found.

    Parameters
    ----------
    commands : CommandTrace
        Commands in issue order, targets within ``spec``'s channels/ranks/bank groups/banks/rows.
    spec : Spec
        The device and its channel/rank counts (``load_spec(name, channels=, ranks=)``).
    refresh : {"all-bank", "per-bank", "none", "same-bank"}, optional
        Which refresh-rate rules apply; default: read from the trace (:func:`infer_refresh`).
        ``"none"`` checks no rate.
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
        Unknown refresh mode, per-bank refresh on a device without tREFIpb, or a command whose
        target lies outside the spec.
    """
    if refresh is None:
        refresh = infer_refresh(commands)
    if refresh not in REFRESH_MODES:
        raise InputError(f"refresh mode {refresh!r}; expected one of {', '.join(REFRESH_MODES)}")
    values = limits(spec)
    if refresh == "per-bank" and not (values["REFIpb"] and values["RFCpb"]):
        raise InputError(f"refresh 'per-bank' needs tRFCpb and tREFIpb; {spec.name} ({spec.standard}) has none")
    if (refresh == "same-bank" or (commands.cmd == REFSB).any()) and not (values["REFIsb"] and values["RFCsb"]):
        raise InputError(f"same-bank refresh (REFsb) needs tRFCsb and tREFIsb; {spec.name} ({spec.standard}) has none")
    if max_violations is not None and max_violations < 0:
        raise InputError(f"max_violations is {max_violations}; expected a non-negative integer")
    org = spec.organization
    _validate(commands, spec)
    n = len(commands)
    timing = np.array([values[name] for name in TIMING_NAMES], np.int64)
    slots = _per_command(jedec.command_slots(spec), 1)
    offset = _per_command(jedec.timing_offsets(spec), 0)
    bus = _per_command(jedec.command_buses(spec), 0)
    late = _per_command(jedec.deferred_words(spec), 0)
    edge = _per_command(jedec.clock_edges(spec), 1)
    n_bg = org.sids * org.bankgroups               # with SIDs, a trace's bank group counts over them
    rank = commands.channel.astype(np.int64) * org.ranks + commands.rank
    bank = (rank * n_bg + commands.bankgroup) * org.banks_per_group + commands.bank
    bank[~np.isin(commands.cmd, _BANK_COMMANDS)] = -1
    same_bank = commands.cmd == REFSB           # its bank set, named by its bank in bank group 0
    bank[same_bank] = (rank[same_bank] * org.bankgroups) * org.banks_per_group + commands.bank[same_bank]
    end = int(commands.cycle.max(initial=0)) if end_cycle is None else int(end_cycle)
    mode = REFRESH_MODES.index(refresh)
    cap = 4096 if max_violations is None else max_violations
    while True:
        count, out = walk(np.asarray(commands.cycle, np.int64), commands.cmd, commands.channel, rank, bank,
                          commands.bankgroup, commands.row, timing, slots, offset, bus, late,
                          jedec.data_bus_per_rank(spec), org.channels, org.ranks, n_bg, org.banks_per_group, mode, end, cap,
                          edge, org.bankgroups if org.sids > 1 else 0)
        if count <= cap or max_violations is not None:
            break
        cap = count
    k = min(count, cap)
    b_idx = out[2, :k]
    order = np.argsort(np.where(b_idx < 0, n, b_idx), kind="stable")
    names = rule_names(spec)
    return [_violation(commands, spec, names, *(int(x) for x in out[:, j]), end) for j in order]


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
    elif c == REFSB:
        parts.append(f"bank set b{int(commands.bank[i])}")
    if c in _ROW_COMMANDS:
        parts.append(f"row {int(commands.row[i])}")
    if c in (RD, WR, RDA, WRA):
        parts.append(f"col {int(commands.column[i])}")
    return " ".join(parts)


def _violation(commands, spec, names, code, a, b, required, actual, end) -> Violation:
    name = names[code]
    if "{cmd}" in name:
        name = name.format(cmd=COMMANDS[int(commands.cmd[b])])
    first = describe(commands, a) if a >= 0 else "start of trace (cycle 0)"
    if b >= 0:
        second = describe(commands, b)
    else:  # a refresh deadline at the end of the run: b = -2 - (flat rank or flat bank)
        org = spec.organization
        loc = -2 - b
        if RULE_CODES[code] == "tREFI:bank":
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
        ("bankgroup", c.bankgroup, is_bank, org.sids * org.bankgroups),
        ("bank", c.bank, is_bank | (c.cmd == REFSB), org.banks_per_group),
        ("row", c.row, is_row, org.rows),
    )
    for name, values, applies, limit in checks:
        low = -1 if name == "row" else 0  # row -1: not known (DRAMPower 4 traces carry no rows)
        bad = applies & ((values < low) | (values >= limit))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"command {i} ({COMMANDS[int(c.cmd[i])]} at cycle {int(c.cycle[i])}): field {name!r} "
                             f"is {int(values[i])}; expected {low}..{limit - 1} for {spec.name}")


assert MAX_RULES  # re-exported for callers that tell "at most" rules apart
