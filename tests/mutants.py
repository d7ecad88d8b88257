"""Mutants of legal command traces for the checker's mutation suite (tests/test_dram_mutation.py,
benchmarks/mutation_table.py).

A legal base trace comes from :class:`Greedy`, a small placer written here from the JEDEC rules in
the pairwise form "B no earlier than A + d" (it shares no code with :mod:`dramsim.checker`; it takes
the checker's values in cycles, :func:`dramsim.checker.limits`, whose derivation the checker's
own tests audit against hand-computed JEDEC numbers). Each command goes at its earliest legal cycle
and the placer records which (rule, A) pairs are tight there. The mutants:

* ``early``: a tight command B moved one cycle earlier; caught by the rule that was tight (with one
  of the tight A's).
* ``delete``: an ACT deleted before a column command to its bank ("to closed bank"), or a PRE
  deleted before the next ACT of its bank ("to open bank").
* ``duplicate``: an ACT, RD, WR or REF repeated one clock after itself (ACT: "to open bank";
  RD/WR: tCCD or the command bus; REF: tRFC).
* ``swap``: the cycles of an ACT and the first column command after it to its bank, or of a PRE
  and the next ACT to its bank, exchanged ("to closed bank" / "to open bank").
* ``refresh``: a REF (REFpb) stream thinned to every second interval ("tREFI:average" /
  "tREFIpb:average"), nine REFs dropped in a row ("tREFI"), refreshing stopped before the end,
  a REFpb repeated before every bank had one (rotation), one bank never refreshed ("tREFI:bank").
* ``lowpower`` and ``constructed``: hand-built tight pairs for rules the greedy base rarely makes
  tight (tFAW, tPPD, tRTRS, tRFCpb, tRPab, tCKE, tXP, tXS, ...), each moved one cycle early.
* ``same-bank`` (DDR5 REFsb: bank k of every bank group; rows ``(cycle, REFSB, rank, X, k, X)``):
  hand-built tight pairs (tRFCsb to an ACT / PRE of the set, to the next REFsb, REF and PREA;
  tREFSBRD to an ACT of another bank; tRFC, tRP, tRPab before a REFsb), a REFsb to an open bank,
  and REFsb streams thinned ("tREFIsb:average"), cut ("tREFIsb") or out of rotation.
* HBM3 counts half-CK ticks and issues column commands, ACT and REF on CK's rising edge only (even
  ticks): the placer puts them on the next even tick, a rule counts as tight when its earliest
  cycle lies within the last clock (two ticks) before, and an early mutant of such a command moves
  one clock (two ticks) earlier; PRE / PREA (either edge) move one tick. Its SID rule (tCCDR: read
  to read of another SID) is in the placer too.
* ``second word`` (LPDDR5, whose ACTIVATE-2 may come up to tAAD = 8 clocks after ACTIVATE-1 in any
  clock no other command takes): every clock up to the latest one taken ("tAAD"), an ACT while an
  ACTIVATE-2 is pending. The greedy placer sends ACTIVATE-2 right after ACTIVATE-1 (legal); a
  command moved into that clock is legal too, so those ``early`` mutants are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dramsim.checker import limits
from dramsim.spec import load_spec
from traces.commands import (ACT, COMMANDS, PDN_F_PRE, PDN_S_ACT, PDN_S_PRE, PRE, PREA, PUP_ACT, PUP_PRE, RD, RDA,
                             REF, REFPB, REFSB, SREN, SREX, WR, WRA, CommandTrace)

STANDARDS = {"DDR3": "DDR3-1600K", "DDR4": "DDR4-2400R", "LPDDR3": "LPDDR3-1600", "LPDDR4": "LPDDR4-3200",
             "DDR5": "DDR5-4800", "GDDR6": "GDDR6-14000", "HBM2": "HBM2-2000", "LPDDR5": "LPDDR5-6400"}
STANDARDS["HBM3"] = "HBM3-6400"
#: Standards with a row and a column command bus and a data bus per rank (HBM2/HBM3 pseudo-channels).
DUAL_BUS = ("HBM2", "HBM3")
#: Standards with bank groups: their rules are spelled _S / _L.
BANK_GROUPS = ("DDR4", "DDR5", "GDDR6", "HBM2", "LPDDR5", "HBM3")
#: Standards counting half-CK ticks whose non-PRE commands issue on CK's rising edge (every 2nd tick).
HALF_TICKS = ("HBM3",)
#: JESD235 spellings of the generic names (HBM2).
HBM_NAMES = {"tRCD": "tRCDRD", "tRCD_WR": "tRCDWR", "tRRD_S": "tRRDS", "tRRD_L": "tRRDL", "tCCD_S": "tCCDS",
             "tCCD_L": "tCCDL", "tWTR_S": "tWTRS", "tWTR_L": "tWTRL", "tRPab": "tRP"}
COLUMN = (RD, WR, RDA, WRA)
READS = (RD, RDA)
X = -1


def rule_name(standard: str, generic: str) -> str:
    """The standard's spelling of a generic rule name (JEDEC: DDR4/DDR5 have _S/_L, DDR5 alone
    tCCD_S_WR/_L_WR; LPDDR tRPpb...; GDDR6 tRCDRD / tRCDWR (``tRCD_WR`` is tRCD elsewhere); HBM2
    tRCDRD/tRCDWR, tRRDS, tCCDL, ...)."""
    if generic in ("tRCD", "tRCD_WR") and standard not in DUAL_BUS:
        return {"tRCD": "tRCDRD", "tRCD_WR": "tRCDWR"}[generic] if standard == "GDDR6" else "tRCD"
    if standard != "DDR5" and generic.startswith("tCCD") and generic.endswith("_WR"):
        generic = generic[:-3]
    if standard in DUAL_BUS:
        return HBM_NAMES.get(generic, generic)
    if generic == "tRCD_WR":
        generic = "tRCD"
    if standard not in BANK_GROUPS and generic[:4] in ("tRRD", "tCCD", "tWTR") and generic[-2:] in ("_S", "_L"):
        return generic[:-2]
    lp = {"tRP": "tRPpb", "tRFC": "tRFCab", "tXS": "tXSR", "tXSDLL": "tXSR", "tXPDLL": "tXP"}
    if standard.startswith("LPDDR"):
        if standard == "LPDDR4" and generic == "tCKESR":
            return "tSR"
        return lp.get(generic, generic)
    return "tRP" if generic == "tRPab" else generic


def slots(standard: str, cmd: int) -> int:
    """Command-bus clocks (JESD209-4: 4 for ACT and column commands, 2 for PRE/PREA/REF/REFpb/SRE/SRX;
    JESD79-5: 2 for ACT and column commands; JESD209-5: 2 for ACT)."""
    if standard == "DDR5":
        return 2 if cmd in (ACT,) + COLUMN else 1
    if standard in HALF_TICKS:          # half-CK ticks: ACT 1.5 nCK, column commands 1 nCK, row 0.5
        return 3 if cmd == ACT else (2 if cmd in COLUMN else 1)
    if standard in DUAL_BUS or standard == "LPDDR5":   # JESD235 ACT on the row bus; JESD209-5 ACTIVATE-1 + -2
        return 2 if cmd == ACT else 1
    if standard != "LPDDR4":
        return 1
    if cmd in (ACT, RD, WR, RDA, WRA):
        return 4
    return 2 if cmd in (PRE, PREA, REF, REFPB, SREN, SREX) else 1


#: Standards whose ACT has a deferrable second word (JESD209-5 LPDDR5: ACTIVATE-2 within tAAD).
SECOND_WORD = ("LPDDR5",)


def offset(standard: str, cmd: int) -> int:
    """Clocks from the issue cycle to the clock JEDEC times a command from (DDR5 2-clock commands:
    their second clock; LPDDR4 counts from the first)."""
    return slots(standard, cmd) - 1 if standard in ("DDR5",) + DUAL_BUS else 0


def edge(standard: str, cmd: int) -> int:
    """Cycles between the cycles a command may issue in: HBM3 column commands, ACT, REF, REFpb on CK's
    rising edge (2 half-CK ticks), PRE / PREA on either edge (1); every other standard 1."""
    return 2 if standard in HALF_TICKS and cmd not in (PRE, PREA) else 1


def bus(standard: str, cmd: int) -> int:
    """The command bus a command travels on: HBM2 column commands 0, row commands 1; else 0."""
    return 1 if standard in DUAL_BUS and cmd not in COLUMN else 0


def to_trace(rows) -> CommandTrace:
    """Rows (cycle, cmd, rank, bankgroup, bank, row) -> CommandTrace (one channel)."""
    if not rows:
        rows = []
    a = np.array([tuple(r) for r in rows], dtype=np.int64).reshape(-1, 6)
    cmd = a[:, 1]
    bank_cmd = np.isin(cmd, (ACT, PRE, RD, WR, RDA, WRA, REFPB))
    return CommandTrace(cycle=a[:, 0], cmd=cmd.astype(np.uint8), channel=np.zeros(len(a), np.int16),
                        rank=a[:, 2].astype(np.int16), bankgroup=np.where(bank_cmd, a[:, 3], -1).astype(np.int16),
                        bank=np.where(bank_cmd | (cmd == REFSB), a[:, 4], -1).astype(np.int16),
                        row=np.where(np.isin(cmd, (ACT,) + COLUMN), a[:, 5], -1).astype(np.int32),
                        column=np.where(np.isin(cmd, COLUMN), 8, -1).astype(np.int32))


@dataclass
class Mutant:
    """One mutated trace and what must catch it."""

    standard: str
    kind: str
    rule: str                    # the standard's rule name expected (or "any")
    rows: list
    b: int                       # index of the mutated command B (-1: end of trace)
    firsts: tuple = ()           # acceptable A indices ((): any)
    refresh: str | None = None   # None: the checker reads it from the trace
    end_cycle: int | None = None
    also: tuple = ()             # (rule, firsts) equally tight in the checker's same comparison (a tie)

    def caught(self, violations) -> bool:
        if self.rule == "any":
            return bool(violations)
        for rule, firsts in ((self.rule, self.firsts),) + tuple(self.also):
            for v in violations:
                if v.rule != rule or (self.b >= 0 and v.second != self.b):
                    continue
                if not firsts or v.first in firsts:
                    return True
        return False


@dataclass
class Greedy:
    """Places commands one by one at their earliest legal cycle (JEDEC rules, pairwise)."""

    spec: object
    rows: list = field(default_factory=list)
    tight: list = field(default_factory=list)      # per row: [(generic rule, A index)]
    not_before: int = 0

    def __post_init__(self):
        self.L = limits(self.spec)
        self.std = self.spec.standard
        org = self.spec.organization
        self.bg_n, self.bpg = org.sids * org.bankgroups, org.banks_per_group   # bank groups over the SIDs
        self.sid_groups = org.bankgroups if org.sids > 1 else 0
        self.open = {}            # (rank, bg, bank) -> (row, ACT index)
        self.closed_by = {}       # (rank, bg, bank) -> (index, precharge cycle) of PRE / RDA / WRA
        self.bursts = []          # (start, end, issue cycle, rank, index)

    # --- the constraints on a new command ---
    def _constraints(self, cmd, rk, g, k):
        L, out = self.L, []
        me = (rk, g, k)
        rows = self.rows
        eff = self.eff
        if rows and self.std in DUAL_BUS:   # the last command on cmd's bus; the trace stays in order
            a = len(rows) - 1
            out.append(("order", a, rows[a][0] + offset(self.std, cmd)))
            same = [x for x in range(len(rows)) if bus(self.std, rows[x][1]) == bus(self.std, cmd)]
            if same:
                a = same[-1]
                out.append(("command bus", a, rows[a][0] + slots(self.std, rows[a][1]) + offset(self.std, cmd)))
        elif rows:
            a = len(rows) - 1
            out.append(("command bus", a, rows[a][0] + slots(self.std, rows[a][1]) + offset(self.std, cmd)))
        lat = {RD: L["CL"], RDA: L["CL"], WR: L["CWL"], WRA: L["CWL"]}
        acts = []                 # ACT/REFpb of the rank, in order
        for a, (_, ca, ra, ga, ka, _) in enumerate(rows):
            ta = eff(a)
            if ra != rk:
                if ca in COLUMN and cmd in COLUMN and self.std not in DUAL_BUS:
                    out.append(("tRTRS", a, ta + lat[ca] + L["nBL"] + L["RTRS"] - lat[cmd]))
                continue
            same_bank = (ga, ka) == (g, k)
            if ca == REF:
                out.append(("tRFC", a, ta + L["RFC"]))
            if ca == REFPB and L["RREFD"] and not same_bank and cmd in (ACT, REFPB):   # HBM2, GDDR6
                out.append(("tRREFD", a, ta + L["RREFD"]))
            if ca == REFPB and (cmd == REF or (cmd == REFPB and (same_bank or not L["RREFD"]))
                                or (same_bank and cmd in (ACT, PRE) + COLUMN)):
                out.append(("tRFCpb", a, ta + L["RFCpb"]))
            if ca == ACT or (ca == REFPB and not L["REFPB_RRD"]):    # an activation (HBM3: REFpb is none)
                acts.append(a)
                if cmd == REFPB and L["REFPB_RRD"] and not same_bank:
                    out.append(("tRRD_S", a, ta + L["REFPB_RRD"]))
                elif cmd in (ACT, REFPB) and not same_bank:
                    s = "_L" if ga == g else "_S"
                    out.append(("tRRD" + s, a, ta + L["RRD" + s]))
                if cmd == ACT and ca == ACT and same_bank:
                    out.append(("tRC", a, ta + L["RC"]))
            if ca in COLUMN and cmd in COLUMN:
                s = "_L" if ga == g else "_S"
                if (ca in READS) == (cmd in READS):
                    w = "" if ca in READS else "_WR"
                    out.append(("tCCD" + s + w, a, ta + L["CCD" + s + w]))
                    if self.sid_groups and ca in READS and ga // self.sid_groups != g // self.sid_groups:
                        out.append(("tCCDR", a, ta + L["CCD_R"]))
                elif ca in READS:
                    out.append(("tRTW", a, ta + L["RD2WR"]))
                else:
                    out.append(("tWTR" + s, a, ta + L["WR2RD" + s]))
                out.append(("data bus", a, ta + lat[ca] + L["nBL"] - lat[cmd]))
            if ca in (PRE, PREA) and cmd in (PRE, PREA) and L["PPD"]:
                out.append(("tPPD", a, ta + L["PPD"]))
            if ca == PREA and cmd in (ACT, REF, REFPB):
                out.append(("tRPab", a, ta + L["RPab"]))
        if (cmd == ACT or (cmd == REFPB and not L["REFPB_RRD"])) and len(acts) >= 4:
            a = acts[-4]
            out.append(("tFAW", a, eff(a) + L["FAW"]))
        # bank-state rules: the open period of the bank(s) B closes, the precharge before B
        if cmd in COLUMN:
            _, act = self.open[me]
            if cmd in READS:
                out.append(("tRCD", act, eff(act) + L["RCD"]))
            else:
                out.append(("tRCD_WR", act, eff(act) + L["RCD_WR"]))
            if cmd == RDA:
                t_act = eff(act)
                for a in range(act + 1, len(rows)):
                    _, ca, ra, ga, ka, _ = rows[a]
                    ta = eff(a)
                    if (ra, ga, ka) == me and ca == WR and t_act + L["RAS"] < ta + L["WR2PRE"]:
                        out.append(("tWR", a, ta + L["WR2PRE"] - L["RD2PRE"]))
        closing = [me] if cmd == PRE and me in self.open else (
            [b for b in self.open if b[0] == rk] if cmd == PREA else [])
        for bank in closing:
            _, act = self.open[bank]
            out.append(("tRAS", act, eff(act) + L["RAS"]))
            for a in range(act + 1, len(rows)):
                _, ca, ra, ga, ka, _ = rows[a]
                ta = eff(a)
                if (ra, ga, ka) == bank and ca == RD:
                    out.append(("tRTP", a, ta + L["RD2PRE"]))
                if (ra, ga, ka) == bank and ca == WR:
                    out.append(("tWR", a, ta + L["WR2PRE"]))
        targets = [me] if cmd in (ACT, REFPB) else (
            [(rk, x, y) for x in range(self.bg_n) for y in range(self.bpg)] if cmd == REF else [])
        for bank in targets:
            if bank in self.closed_by:
                a, t_pre = self.closed_by[bank]
                out.append(("tRP", a, t_pre + L["RP"]))
        return out

    def eff(self, i):
        """The clock command ``i``'s timing counts from (its issue cycle + :func:`offset`)."""
        return self.rows[i][0] + offset(self.std, self.rows[i][1])

    def place(self, cmd, rk=0, g=X, k=X, row=X, not_before=0):
        """Append ``cmd`` at its earliest legal cycle (no earlier than ``not_before``); return its index.

        Constraints are in reference clocks (:meth:`eff`); the row stores the issue cycle."""
        cons = self._constraints(cmd, rk, g, k)
        off = offset(self.std, cmd)
        floor = max(not_before, 0) + off
        t = max([floor] + [c[2] for c in cons])
        e = edge(self.std, cmd)
        t += -(t - off) % e                  # on the command's clock edge
        tight = [(rule, a) for rule, a, tm in cons if t - e < tm <= t] if t > floor else []
        i = len(self.rows)
        self.rows.append((t - off, cmd, rk, g, k, row))
        self.tight.append(tight)
        me = (rk, g, k)
        if cmd == ACT:
            self.open[me] = (row, i)
        elif cmd in (RDA, WRA):
            _, act = self.open.pop(me)
            t_act = self.eff(act)
            if cmd == RDA:
                t_pre = max(t + self.L["RD2PRE"], t_act + self.L["RAS"])
            else:
                t_pre = max(t + self.L["WR2PRE"], t_act + self.L["RAS"])
            self.closed_by[me] = (i, t_pre)
        elif cmd == PRE and me in self.open:
            self.open.pop(me)
            self.closed_by[me] = (i, t)
        elif cmd == PREA:
            for bank in [b for b in self.open if b[0] == rk]:
                self.open.pop(bank)
                self.closed_by.pop(bank, None)   # timed by tRPab from the PREA
        return i


def base_trace(spec, seed, n=400, per_bank=False, idle=0.02):
    """A legal trace of about ``n`` commands over every rank and bank, refreshed on time."""
    rng = np.random.default_rng(seed)
    gen = Greedy(spec)
    L, org = gen.L, spec.organization
    interval = L["REFIpb"] if per_bank else L["REFI"]
    next_ref = {r: interval * (1 + r) // 2 for r in range(org.ranks)}
    rotation = {r: 0 for r in range(org.ranks)}
    last_t = 0
    while len(gen.rows) < n:
        due = [r for r in range(org.ranks) if last_t >= next_ref[r]]
        if due:
            r = due[0]
            if per_bank:
                b = rotation[r]
                rotation[r] = (b + 1) % org.banks
                key = (r, b // org.banks_per_group, b % org.banks_per_group)
                if key in gen.open:
                    gen.place(PRE, *key, gen.open[key][0])
                gen.place(REFPB, *key, X)
            else:
                if any(key[0] == r for key in gen.open):
                    gen.place(PREA, r)
                gen.place(REF, r)
            next_ref[r] += interval
        else:
            key = (int(rng.integers(org.ranks)), int(rng.integers(gen.bg_n)),
                   int(rng.integers(org.banks_per_group)))
            # (an idle gap stays within 6 refresh intervals: HBM2's tREFISB is 243 cycles)
            wait = last_t + min(int(rng.integers(200, 2000)), 6 * interval) if rng.random() < idle else 0
            if key not in gen.open:
                gen.place(ACT, *key, int(rng.integers(0, 64)), not_before=wait)
            else:
                row = gen.open[key][0]
                cmd = [RD, WR, RDA, WRA, PRE][int(rng.choice(5, p=[0.35, 0.25, 0.12, 0.08, 0.2]))]
                gen.place(cmd, *key, row, not_before=wait)
        last_t = gen.rows[-1][0]
    return gen


#: Generic rules the checker compares in one loop, naming the one earlier command that constrains B the
#: most (on a tie, the first found): same direction, turnaround, activation.
TIE_GROUPS = ({"tCCD_S", "tCCD_L", "tCCD_S_WR", "tCCD_L_WR"}, {"tWTR_S", "tWTR_L", "tRTW"}, {"tRRD_S", "tRRD_L"})


def _ties(standard, rule, tight):
    """The other tight (rule, A) pairs of ``rule``'s tie group, as ``Mutant.also`` (HBM2 only: its
    tCCDS equals the burst, so a tCCDL pair and a tCCDS pair can be equally tight)."""
    if standard not in DUAL_BUS:
        return ()
    group = next((g for g in TIE_GROUPS if rule in g), set())
    return tuple((rule_name(standard, r), (a,)) for r, a in tight if r in group and r != rule)


def _early(standard, gen, refresh, limit_per_rule=40):
    """Every tight command moved one cycle earlier (at most ``limit_per_rule`` per rule)."""
    out, seen = [], {}
    end = gen.rows[-1][0]
    for b, tight in enumerate(gen.tight):
        if not tight or b == 0:
            continue
        if standard in SECOND_WORD:      # a command in ACTIVATE-2's clock moves ACTIVATE-2 on (legal)
            tight = [(r, a) for r, a in tight if not (r == "command bus" and gen.rows[a][1] == ACT)]
            if not tight:
                continue
        rules = sorted({r for r, _ in tight}, key=lambda r: (seen.get(r, 0), r))   # (by name on a tie: no hash order)
        rule = rules[0]
        if seen.get(rule, 0) >= limit_per_rule:
            continue
        seen[rule] = seen.get(rule, 0) + 1
        rows = list(gen.rows)
        rows[b] = (rows[b][0] - edge(standard, rows[b][1]),) + tuple(rows[b][1:])
        firsts = tuple(a for r, a in tight if r == rule)
        out.append(Mutant(standard, "early", rule_name(standard, rule), rows, b, firsts, refresh, end,
                          _ties(standard, rule, tight)))
    return out


def _structural(standard, gen, rng, refresh, per_kind=25):
    """Deleted, duplicated and swapped commands."""
    rows, out = gen.rows, []
    end = rows[-1][0]
    n = len(rows)

    def next_to_bank(i, kinds):
        for j in range(i + 1, n):
            if tuple(rows[j][2:5]) == tuple(rows[i][2:5]) and rows[j][1] in kinds:
                return j
            if tuple(rows[j][2:5]) == tuple(rows[i][2:5]) and rows[j][1] in (ACT, PRE):
                return None
        return None

    acts = [i for i in range(n) if rows[i][1] == ACT and next_to_bank(i, COLUMN) is not None]
    def prea_between(i, j):
        return any(rows[x][1] == PREA and rows[x][2] == rows[i][2] for x in range(i + 1, j))

    pres = [i for i in range(n) if rows[i][1] == PRE and next_to_bank(i, (ACT,)) is not None
            and not prea_between(i, next_to_bank(i, (ACT,)))]
    for i in rng.permutation(acts)[:per_kind]:
        j = next_to_bank(i, COLUMN)
        out.append(Mutant(standard, "delete", f"state:{COMMANDS[rows[j][1]]} to closed bank",
                          rows[:i] + rows[i + 1:], j - 1, (), refresh, end))
    for i in rng.permutation(pres)[:per_kind]:
        j = next_to_bank(i, (ACT,))
        out.append(Mutant(standard, "delete", "state:ACT to open bank", rows[:i] + rows[i + 1:], j - 1, (),
                          refresh, end))
    dup = [i for i in range(n - 1) if rows[i][1] in (ACT, RD, WR, REF) and rows[i + 1][0] > rows[i][0] + 1]
    for i in rng.permutation(dup)[:per_kind]:
        copy = (rows[i][0] + 1,) + tuple(rows[i][1:])
        rule = {ACT: "state:ACT to open bank", REF: rule_name(standard, "tRFC"), RD: rule_name(standard, "tCCD_L"),
                WR: rule_name(standard, "tCCD_L_WR")}[rows[i][1]]
        if slots(standard, rows[i][1]) > 1:
            rule = "command bus"
        if standard in SECOND_WORD and rows[i][1] == ACT:
            rule = "state:ACT while ACT-2 is pending"
        out.append(Mutant(standard, "duplicate", rule, rows[:i + 1] + [copy] + rows[i + 1:], i + 1, (i,),
                          refresh, end))
    for i in rng.permutation(acts)[:per_kind]:
        j = next_to_bank(i, COLUMN)
        swapped = list(rows)
        swapped[i] = (rows[j][0],) + tuple(rows[i][1:])
        swapped[j] = (rows[i][0],) + tuple(rows[j][1:])
        swapped = [swapped[x] for x in sorted(range(n), key=lambda x: (swapped[x][0], x))]
        b = next(x for x, r in enumerate(swapped) if r[1] in COLUMN and r[0] == rows[i][0] and r[2:5] == rows[j][2:5])
        out.append(Mutant(standard, "swap", f"state:{COMMANDS[rows[j][1]]} to closed bank", swapped, b, (),
                          refresh, end))
    return out


def _refresh(standard, spec, L):
    """Refresh streams: legal, then thinned, dropped, stopped, out of rotation, a bank left out."""
    out = []
    org = spec.organization
    name = rule_name
    ranks = org.ranks
    for offset in (0, 7, L["REFI"] // 3):
        refi = L["REFI"]

        def at(t, e=edge(standard, REF)):        # on REF's clock edge (HBM3: even ticks)
            return t + (-t) % e
        legal = [(at(offset + k * refi + 3 * r), REF, r, X, X, X) for k in range(1, 41) for r in range(ranks)]
        end = legal[-1][0]
        thinned = [(at(offset + 2 * k * refi + 3 * r), REF, r, X, X, X) for k in range(1, 21) for r in range(ranks)]
        out.append(Mutant(standard, "refresh", name(standard, "tREFI:average"), thinned, -1, (), "all-bank", end))
        stretched = [(at(offset + (k * 3 * refi) // 2 + 3 * r), REF, r, X, X, X) for k in range(1, 28)
                     for r in range(ranks)]
        out.append(Mutant(standard, "refresh", "tREFI:average", stretched, -1, (), "all-bank", stretched[-1][0]))
        dropped = [row for x, row in enumerate(legal) if not (10 * ranks <= x < 19 * ranks + 1)]
        out.append(Mutant(standard, "refresh", "tREFI", dropped, -1, (), "all-bank", end))
        out.append(Mutant(standard, "refresh", "tREFI", legal[:20 * ranks], -1, (), "all-bank", end))
        out.append(("legal", legal, "all-bank", end))
    if L["REFIpb"]:
        pb = L["REFIpb"]

        def at(t, e=edge(standard, REFPB)):      # on REFpb's clock edge (HBM3: even ticks)
            return t + (-t) % e
        # HBM2 / HBM3: 16 / 32 banks per pseudo-channel at a tREFIpb of tREFI / 16 / 32: a stream 2 / 4
        # times as long, so that a bank left out misses 9 x tREFI before it ends
        n_refpb = 8 * 12 * (org.banks // 8 if standard in DUAL_BUS else 1)
        for start in (0, 3, 5):
            legal = [(at((k + 1) * pb + 3 * r), REFPB, r, ((k + start) % org.banks) // org.banks_per_group,
                      (k + start) % org.banks_per_group, X) for k in range(n_refpb) for r in range(ranks)]
            end = legal[-1][0]
            out.append(("legal", legal, "per-bank", end))
            thin = [(2 * r[0],) + tuple(r[1:]) for r in legal[:48 * ranks]]
            out.append(Mutant(standard, "refresh", "tREFIpb:average", thin, -1, (), "per-bank", thin[-1][0]))
            twice = list(legal)
            twice[20 * ranks] = (twice[20 * ranks][0],) + tuple(legal[19 * ranks][1:])
            out.append(Mutant(standard, "refresh", "state:REFpb to a bank already refreshed in this round",
                              twice, 20 * ranks, (), "per-bank", end))
            skip = [r for r in legal if (r[2], r[3], r[4]) != (0, 0, (start + 1) % org.banks_per_group)]
            skip = [(at((x // ranks + 1) * pb * 8 // 7 + 3 * r[2]),) + tuple(r[1:]) for x, r in enumerate(skip)]
            out.append(Mutant(standard, "refresh", "tREFI:bank", skip, -1, (), "per-bank", skip[-1][0]))
            out.append(Mutant(standard, "refresh", "tREFIpb", legal[:40 * ranks], -1, (), "per-bank", end))
    return out


def _constructed(standard, spec, L):
    """Hand-built tight pairs, B last: (rows, A index, generic rule)."""
    t = L
    cases = []
    bg2 = spec.organization.bankgroups > 1
    ob = (1, 0) if bg2 else (0, 1)       # another bank (another group where there are groups)
    s = "_S" if bg2 else "_L"
    # four ACTs as close as tRRD allows, a fifth at tFAW
    acts = [(0, 0), (0, 1), (0, 2), (0, 3)] if not bg2 else [(0, 0), (1, 0), (2, 0), (3, 0)]
    rrd = t["RRD" + ("_S" if bg2 else "_L")]
    slot = slots(standard, ACT)
    gap = max(rrd, slot)
    rows = [(x * gap, ACT, 0, g, k, 1) for x, (g, k) in enumerate(acts)]
    fifth = (1, 1) if bg2 else (0, 4)
    if 3 * gap + gap <= t["FAW"]:
        cases.append((rows + [(t["FAW"], ACT, 0, fifth[0], fifth[1], 1)], 0, "tFAW"))
    cases.append(([(0, ACT, 0, 0, 0, 1), (t["RRD" + s], ACT, 0, ob[0], ob[1], 1)], 0, "tRRD" + s))
    if bg2:
        cases.append(([(0, ACT, 0, 0, 0, 1), (t["RRD_L"], ACT, 0, 0, 1, 1)], 0, "tRRD_L"))
    # rank switches: RD->RD, WR->WR, RD->WR, WR->RD on the data bus
    x = max(t["RCD"], t["RCD_WR"]) + 4
    for ca, cb in ((RD, RD), (WR, WR), (RD, WR), (WR, RD)):
        la = t["CL"] if ca == RD else t["CWL"]
        lb = t["CL"] if cb == RD else t["CWL"]
        d = la + t["nBL"] + t["RTRS"] - lb
        if d > slots(standard, ca) and standard not in DUAL_BUS:
            cases.append(([(0, ACT, 0, 0, 0, 1), (4, ACT, 1, 0, 0, 1), (x, ca, 0, 0, 0, 1), (x + d, cb, 1, 0, 0, 1)],
                          2, "tRTRS"))
    # read to read of another SID of the rank (HBM3 tCCDR)
    if spec.organization.sids > 1:
        other = spec.organization.bankgroups         # bank group 0 of SID 1
        cases.append(([(0, ACT, 0, 0, 0, 1), (t["RRD_S"], ACT, 0, other, 0, 1), (x, RD, 0, 0, 0, 1),
                       (x + t["CCD_R"], RD, 0, other, 0, 1)], 2, "tCCDR"))
    # ACT -> WR where it differs from ACT -> RD (GDDR6 tRCDWR)
    if t["RCD_WR"] != t["RCD"]:
        cases.append(([(0, ACT, 0, 0, 0, 1), (t["RCD_WR"], WR, 0, 0, 0, 1)], 0, "tRCD_WR"))
    # PREA -> ACT / REF / REFpb; PRE -> PRE (tPPD)
    r = t["RAS"]
    cases.append(([(0, ACT, 0, 0, 0, 1), (r, PREA, 0, X, X, X), (r + t["RPab"], ACT, 0, 0, 1, 2)], 1, "tRPab"))
    cases.append(([(0, ACT, 0, 0, 0, 1), (r, PREA, 0, X, X, X), (r + t["RPab"], REF, 0, X, X, X)], 1, "tRPab"))
    if t["PPD"] > slots(standard, PRE):
        q = t["RRD_L"]
        cases.append(([(0, ACT, 0, 0, 0, 1), (q, ACT, 0, 0, 1, 1), (r + q, PRE, 0, 0, 1, 1),
                       (r + q + t["PPD"], PRE, 0, 0, 0, 1)], 2, "tPPD"))
    # refresh blocks: REF -> any command, REFpb -> ACT / REFpb / REF
    cases.append(([(0, REF, 0, X, X, X), (t["RFC"], ACT, 0, 0, 2, 1)], 0, "tRFC"))
    cases.append(([(0, REF, 0, X, X, X), (t["RFC"], PRE, 0, 0, 2, 1)], 0, "tRFC"))
    cases.append(([(0, REF, 0, X, X, X), (t["RFC"], REF, 0, X, X, X)], 0, "tRFC"))
    if t["RFCpb"] and standard.startswith("LPDDR"):
        cases.append(([(0, REFPB, 0, 0, 0, X), (t["RFCpb"], ACT, 0, 0, 0, 1)], 0, "tRFCpb"))
        cases.append(([(0, REFPB, 0, 0, 0, X), (t["RFCpb"], REFPB, 0, 0, 1, X)], 0, "tRFCpb"))
        cases.append(([(0, REFPB, 0, 0, 0, X), (t["RFCpb"], REF, 0, X, X, X)], 0, "tRFCpb"))
        cases.append(([(0, ACT, 0, 0, 0, 1), (r, PREA, 0, X, X, X), (r + t["RPab"], REFPB, 0, 0, 0, X)], 1, "tRPab"))
    # write recovery before RDA's implicit precharge (tRAS lockout long past)
    y = max(t["RCD"], t["RAS"])
    d = t["WR2PRE"] - t["RD2PRE"]
    if d > t["WR2RD_L"]:                 # else tWTR places the RDA and tWR cannot be tight alone
        cases.append(([(0, ACT, 0, 0, 0, 1), (y, WR, 0, 0, 0, 1), (y + d, RDA, 0, 0, 0, 1)], 1, "tWR"))
    # low power (CKE): tCKE both ways, tCKESR, tXP, tXPDLL, tXS, tXSDLL
    lp = []
    lp.append(([(0, PDN_F_PRE, 0, X, X, X), (t["CKE"], PUP_PRE, 0, X, X, X)], 0, "tCKE"))
    lp.append(([(0, PDN_S_PRE, 0, X, X, X), (t["CKE"], PUP_PRE, 0, X, X, X), (2 * t["CKE"], PDN_F_PRE, 0, X, X, X)],
               1, "tCKE"))
    lp.append(([(0, SREN, 0, X, X, X), (t["CKESR"], SREX, 0, X, X, X)], 0, "tCKESR"))
    lp.append(([(0, PDN_F_PRE, 0, X, X, X), (t["CKE"], PUP_PRE, 0, X, X, X), (t["CKE"] + t["XP"], ACT, 0, 0, 0, 1)],
               1, "tXP"))
    if slot + t["CKE"] + t["XPDLL"] > t["RCD"] and t["XPDLL"] > t["XP"]:
        e = slot
        lp.append(([(0, ACT, 0, 0, 0, 1), (e, PDN_S_ACT, 0, X, X, X), (e + t["CKE"], PUP_ACT, 0, X, X, X),
                    (e + t["CKE"] + t["XPDLL"], RD, 0, 0, 0, 1)], 2, "tXPDLL"))
    lp.append(([(0, SREN, 0, X, X, X), (t["CKESR"], SREX, 0, X, X, X), (t["CKESR"] + t["XS"], ACT, 0, 0, 0, 1)],
               1, "tXS"))
    if t["XSDLL"] - t["XS"] >= t["RCD"]:
        lp.append(([(0, SREN, 0, X, X, X), (t["CKESR"], SREX, 0, X, X, X), (t["CKESR"] + t["XS"], ACT, 0, 0, 0, 1),
                    (t["CKESR"] + t["XSDLL"], RD, 0, 0, 0, 1)], 1, "tXSDLL"))
    if not t["CKE"]:                     # no low-power timing in the spec (DDR5, GDDR6: not modelled)
        lp = []
    shift = max(offset(standard, c) for c in range(len(COMMANDS)))

    def issue(rows):                     # reference clocks -> issue cycles (on each command's clock edge)
        return _on_edges(standard, [(tm - offset(standard, c) + shift, c) + tuple(rest) for tm, c, *rest in rows])

    return ([("constructed", issue(r), a, rule) for r, a, rule in cases]
            + [("lowpower", issue(r), a, rule) for r, a, rule in lp])


def _same_bank(standard, spec, L):
    """(legal bases, mutants) for same-bank refresh (REFsb), where the checker has its values."""
    if not L["REFIsb"]:
        return [], []
    t, bpg = L, spec.organization.banks_per_group
    last_bg = spec.organization.bankgroups - 1
    r, sb = t["RAS"], t["RFCsb"]
    cases = [([(0, REFSB, 0, X, 0, X), (sb, ACT, 0, last_bg, 0, 1)], 0, "tRFCsb"),    # a bank of the set
             ([(0, REFSB, 0, X, 0, X), (sb, PRE, 0, 1, 0, 1)], 0, "tRFCsb"),
             ([(0, REFSB, 0, X, 0, X), (t["REFSBRD"], ACT, 0, 0, 1, 1)], 0, "tREFSBRD"),   # another bank
             ([(0, REFSB, 0, X, 0, X), (sb, REFSB, 0, X, 1, X)], 0, "tRFCsb"),
             ([(0, REFSB, 0, X, 0, X), (sb, REF, 0, X, X, X)], 0, "tRFCsb"),
             ([(0, REFSB, 0, X, 0, X), (sb, PREA, 0, X, X, X)], 0, "tRFCsb"),
             ([(0, REF, 0, X, X, X), (t["RFC"], REFSB, 0, X, 0, X)], 0, "tRFC"),
             ([(0, ACT, 0, 2, 0, 1), (r, PRE, 0, 2, 0, 1), (r + t["RP"], REFSB, 0, X, 0, X)], 1, "tRP"),
             ([(0, ACT, 0, 1, 0, 1), (r, PREA, 0, X, X, X), (r + t["RPab"], REFSB, 0, X, 0, X)], 1, "tRPab")]
    shift = max(offset(standard, c) for c in range(len(COMMANDS)))

    def issue(rows):                     # reference clocks -> issue cycles
        return [(tm - offset(standard, c) + shift, c) + tuple(rest) for tm, c, *rest in rows]

    bases, muts = [], []
    for rows, a, rule in cases:
        rows = issue(rows)
        bases.append((rows, "none", rows[-1][0]))
        early = rows[:-1] + [(rows[-1][0] - 1,) + tuple(rows[-1][1:])]
        muts.append(Mutant(standard, "same-bank", rule_name(standard, rule), early, len(rows) - 1, (a,), "none"))
    opened = issue([(0, ACT, 0, 3, 2, 1), (r + t["RP"] + 50, REFSB, 0, X, 2, X)])
    muts.append(Mutant(standard, "same-bank", "state:REFsb to open bank", opened, 1, (0,), "none"))
    ranks = spec.organization.ranks
    for start in (0, 1, 3):
        sbi = t["REFIsb"]
        legal = [((k + 1) * sbi + 3 * q, REFSB, q, X, (k + start) % bpg, X) for k in range(60) for q in range(ranks)]
        end = legal[-1][0]
        bases.append((legal, "same-bank", end))
        thin = [(2 * row[0],) + tuple(row[1:]) for row in legal[:30 * ranks]]
        muts.append(Mutant(standard, "same-bank", "tREFIsb:average", thin, -1, (), "same-bank", thin[-1][0]))
        muts.append(Mutant(standard, "same-bank", "tREFIsb", legal[:20 * ranks], -1, (), "same-bank", end))
        dropped = [row for x, row in enumerate(legal) if not (10 * ranks <= x < 19 * ranks + 1)]
        muts.append(Mutant(standard, "same-bank", "tREFIsb", dropped, -1, (), "same-bank", end))
        twice = list(legal)
        twice[21 * ranks] = (twice[21 * ranks][0],) + tuple(legal[20 * ranks][1:])
        muts.append(Mutant(standard, "same-bank", "state:REFsb to a bank set already refreshed in this round",
                           twice, 21 * ranks, (), "same-bank", end))
    return bases, muts
def _on_edges(standard, rows):
    """Rows moved later, in order, each onto its command's clock edge (:func:`edge`); every later row
    moves at least as far as an earlier one, so no distance shrinks (HBM3; elsewhere unchanged)."""
    out, delay = [], 0
    for t, c, *rest in rows:
        t += delay
        t += (-t) % edge(standard, c)
        delay = t - rows[len(out)][0]
        out.append((t, c) + tuple(rest))
    return out


def _edges(standard, gen, refresh, per_kind=25):
    """HBM3: commands that issue on CK's rising edge moved one tick later, off it."""
    if standard not in HALF_TICKS:
        return []
    rows, out = gen.rows, []
    for b in [i for i in range(len(rows)) if edge(standard, rows[i][1]) > 1][:per_kind]:
        moved = list(rows)
        moved[b] = (rows[b][0] + 1,) + tuple(rows[b][1:])
        out.append(Mutant(standard, "edge", f"state:{COMMANDS[rows[b][1]]} off CK's rising edge", moved, b, (),
                          refresh, max(rows[-1][0], moved[b][0])))
    return out


def _second_word(standard):
    """(legal bases, mutants) for a deferrable ACTIVATE-2: six banks opened early, then at x an
    ACT (E) whose ACTIVATE-2 finds the next clocks taken by RDs and PREs to other banks."""
    if standard not in SECOND_WORD:
        return [], []
    opened = [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]    # A B C D G H (bank group, bank)
    rows = [(4 * n, ACT, 0, g, k, 1) for n, (g, k) in enumerate(opened)]
    x = 60
    busy = [(x, RD, 0, 0, 0, 1), (x + 1, ACT, 0, 3, 0, 1), (x + 2, RD, 0, 1, 0, 1), (x + 3, PRE, 0, 0, 1, 1),
            (x + 4, RD, 0, 2, 0, 1)]
    e = len(rows) + 1                  # index of E
    blocked = rows + busy + [(x + 6, ACT, 0, 3, 1, 1)]           # ACTIVATE-2 of E at x + 5: legal
    early = rows + busy + [(x + 5, ACT, 0, 3, 1, 1)]             # no free clock before this ACT
    full = rows + busy + [(x + 5, PRE, 0, 1, 1, 1), (x + 6, RD, 0, 0, 0, 1), (x + 7, PRE, 0, 2, 1, 1),
                          (x + 8, RD, 0, 1, 0, 1)]                # ACTIVATE-2 at x + 9, the latest clock
    late = full + [(x + 9, RD, 0, 2, 0, 1)]
    bases = [(blocked, "none", blocked[-1][0]), (full, "none", full[-1][0] + 2)]
    muts = [Mutant(standard, "second word", "state:ACT while ACT-2 is pending", early, len(early) - 1, (e,), "none"),
            Mutant(standard, "second word", "tAAD", late, len(late) - 1, (e,), "none", late[-1][0] + 2)]
    return bases, muts


def mutants(standard: str, seeds=(1, 2)) -> tuple[list, list]:
    """(legal base traces, mutants) for one standard: 2 ranks, all-bank and (LPDDR) per-bank."""
    spec = load_spec(STANDARDS[standard], ranks=2)
    L = limits(spec)
    rng = np.random.default_rng(len(standard))
    bases, out = [], []
    modes = [False, True] if L["REFIpb"] else [False]
    if not L["CKE"]:                     # no low-power cases (DDR5, GDDR6): two more greedy base traces instead
        seeds = tuple(seeds) + (max(seeds) + 1, max(seeds) + 2)
    if standard in DUAL_BUS:             # no rank-to-rank or tFAW cases either (HBM2): five more
        seeds = tuple(seeds) + tuple(max(seeds) + x for x in range(1, 6))
    for seed in seeds:
        for per_bank in modes:
            gen = base_trace(spec, seed, per_bank=per_bank)
            refresh = "per-bank" if per_bank else "all-bank"
            bases.append((gen.rows, refresh, gen.rows[-1][0]))
            out += _early(standard, gen, refresh)
            out += _structural(standard, gen, rng, refresh)
            out += _edges(standard, gen, refresh)
    for item in _refresh(standard, spec, L):
        if isinstance(item, Mutant):
            out.append(item)
        else:
            bases.append(item[1:])
    extra_bases, extra = _second_word(standard)
    bases += extra_bases
    out += extra
    extra_bases, extra = _same_bank(standard, spec, L)
    bases += extra_bases
    out += extra
    for kind, rows, a, rule in _constructed(standard, spec, L):
        bases.append((rows, "none", rows[-1][0]))
        early = list(rows)
        early[-1] = (rows[-1][0] - edge(standard, rows[-1][1]),) + tuple(rows[-1][1:])
        out.append(Mutant(standard, kind, rule_name(standard, rule), early, len(rows) - 1, (a,), "none"))
    return bases, out
