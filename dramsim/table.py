"""Timing tables: a standard's commands and JEDEC constraints as data, compiled for the kernel.

A *timing table* says, for one standard family, which earlier command delays which later one,
where in the hierarchy, and by how much. Tables are YAML files in ``dramsim/standards/tables/``
(one per family: ``DDR3.yaml``, ``DDR4.yaml``, ``DDR5.yaml``, ``GDDR6.yaml``, ``HBM2.yaml``, ``HBM3.yaml``, ``LPDDR3.yaml``,
``LPDDR4.yaml``, ``LPDDR5.yaml``); a spec file uses its family's table unless it names another (``table: MYTABLE``, a file
``standards/tables/MYTABLE.yaml``) or gives its own under ``table:`` as a mapping. Adding a standard
means writing a table (and a spec) file: the kernel (:mod:`dramsim.kernel`) applies any table.

Schema::

    levels: [channel, rank, bankgroup, bank]   # top to bottom; bankgroup may be left out, and
                                               # sid (between rank and bankgroup) is optional
    buses: [command]                           # optional: the channel's command buses
    parameters:                                # derived values, in order (cycles)
      RD2WR: CL + BL + 2 - CWL                 #   expressions over timing names (Spec.timing),
      WR2PRE: CWL + BL + WR                    #   BL (data-bus cycles of a burst: the spec's
                                               #   BL_min, else burst_length / 2; GDDR6 / 8) and earlier ones
    commands:                                  # every command the controller may issue
      ACT:  {scope: bank, clocks: 1, opens: row}
      PRE:  {scope: bank, closes: row}
      PREA: {scope: rank, closes: rank}
      RD:   {scope: bank, data: read}
      RDA:  {scope: bank, data: read, closes: row}
      REF:  {scope: rank, refresh: rank}
      ...
    constraints:                               # the rules
      - {prev: ACT, next: [RD, RDA, WR, WRA], level: bank, latency: RCD}
      - {prev: ACT, next: ACT, level: rank, latency: FAW, window: 4}
      - {prev: [RD, RDA], next: [RD, RDA], level: rank, latency: BL + RTRS, sibling: true}

``commands``: ``scope`` is the level a command addresses (``bank`` or ``rank``; DDR5's REFsb:
``bankset``, bank k of every bank group of a rank, whose rules hold for each bank of the set as for a
bank command, with window rules only at bank or bank-group level); ``clocks`` its
command-bus occupancy (clock cycles the channel's command bus is busy from the issue cycle on,
default 1; LPDDR4 ACT/RD/WR take 4, PRE/REF 2; DDR5 ACT/RD/WR 2; LPDDR5 ACT 2); ``bus`` the command bus it
travels on, one of ``buses`` (default the first); ``opens``/``closes``/``data``/``refresh`` say what
it does (checked against the controller's fixed roles: ACT opens a row, PRE/RDA/WRA close one,
PREA closes every row of a rank, RD/RDA read and WR/WRA write a burst, REF/REFpb/REFsb refresh).
``buses`` (optional, default ``[command]``: one bus that every command shares) names the channel's
command buses in the order the controller fills them each cycle: each bus carries at most one
command per cycle (a multi-cycle command holds its own bus only), so commands on different buses
may issue in the same cycle (HBM: ``[column, row]``, RD/WR on the column bus, ACT/PRE/REF on
the row bus; the column bus is served first, as Ramulator 2.1's HBM controllers do).
``second_word: {within: N, blocks: [...]}`` (optional, on a command of 2 clocks) lets the second
word of that command come later than the clock after the first: in the first clock of its bus in
which the controller has nothing else to send, at the latest ``within`` clocks after the first
word (then before anything else); until it has gone, the commands in ``blocks`` (which must include
every command with a second word: one is pending per channel at a time) do not issue on the
channel. Every rule still counts from the first word. Every other command on that bus must take
one clock (so the latest clock is always free). LPDDR5: ACT-2 within tAAD, blocking ACT-1.
``edges`` (``rising``, the default, or ``both``) matters only where the spec counts in ticks
shorter than its clock (``timing.ticks_per_ck`` > 1, HBM3's half-CK ticks): a ``rising``
command issues only in cycles that are multiples of ``ticks_per_ck`` (CK's rising edge), a
``both`` one in any tick (HBM3: PREpb / PREab on the falling edge too).
``per_bank_refresh`` (optional: ``channel``, the default, or ``rank``) says how per-bank refresh
(``--refresh per-bank``) falls due on a channel of several ranks: ``channel``, one REFpb every
tREFIpb / ranks, to the channel's banks in turn, rank-major (Ramulator 2.1's PerBank manager:
HBM2's pseudo-channels); ``rank``, one REFpb per rank every tREFIpb, every rank at once, each to its
next bank (Ramulator 2.1's HBM34PerBankRefresh: HBM3). With one rank the two are the same.
Low-power commands (PDN_*, PUP_*, SREN, SREX) are optional and follow the low-power policy of
:mod:`dramsim.kernel` (tCKE, tXP, tXS); the table may constrain them as any other command.

Levels: ``sid`` (HBM3's stack IDs of a pseudo-channel) sits between ``rank`` and ``bankgroup``;
the spec's ``organization.sids`` gives its fan-out (bank groups are per SID). A table without it
(or a spec with one SID) runs exactly as before: rules at ``sid`` level then hold at the rank.

``constraints``: each rule says that ``next`` may not issue earlier than ``latency`` cycles after
``prev`` at the same node of ``level`` (the same bank, bank group, rank or channel as ``prev``'s
target), or with ``sibling: true`` at every *other* node of that level under the same parent
(another rank of the channel: rank-to-rank switching). ``window: N`` makes it a rolling-window
rule: ``next`` waits ``latency`` after the N-th most recent ``prev`` at that node (tFAW with N = 4).
``level`` must be at or above ``prev``'s scope (a rank command constrains its rank, not one bank).
A rule whose next command has a wider scope than ``level`` holds for every node below it (REF waits
for every bank's PRE + tRP). Timing is measured from a command's first clock. Rules whose latency
evaluates to <= 0 constrain nothing and are dropped. ``name`` (optional) labels a rule.

Expressions: integers, parameter names, ``+ - *``, parentheses and ``max(a, b, ...)`` /
``min(a, b, ...)``; nothing else is evaluated (no Python ``eval``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from dramsim.errors import InputError
from traces.commands import COMMANDS, LOW_POWER

TABLES_DIR = Path(__file__).with_name("standards") / "tables"
#: Levels the kernel knows, top to bottom (a table may leave out ``sid`` and ``bankgroup``).
LEVELS = ("channel", "rank", "sid", "bankgroup", "bank")
#: The kernel's index of each level (its ancestor columns): the four of every standard first, the
#: optional SID level appended (it exists in a run only when the spec has more than one SID).
KERNEL_LEVEL = {"channel": 0, "rank": 1, "bankgroup": 2, "bank": 3, "sid": 4}
#: A command's ``edges`` values: issue in CK's rising-edge ticks only, or in any tick.
EDGES = ("rising", "both")
#: What the controller does with each command (the roles a table's ``commands`` must agree with).
ROLES = {
    "ACT": {"scope": "bank", "opens": "row"},
    "PRE": {"scope": "bank", "closes": "row"},
    "PREA": {"scope": "rank", "closes": "rank"},
    "RD": {"scope": "bank", "data": "read"},
    "WR": {"scope": "bank", "data": "write"},
    "RDA": {"scope": "bank", "data": "read", "closes": "row"},
    "WRA": {"scope": "bank", "data": "write", "closes": "row"},
    "REF": {"scope": "rank", "refresh": "rank"},
    "REFpb": {"scope": "bank", "refresh": "bank"},
    "REFsb": {"scope": "bankset", "refresh": "bankset"},
}
for _code in LOW_POWER:
    ROLES[COMMANDS[_code]] = {"scope": "rank"}
#: Scopes that are not a level: a *bank set* is bank k of every bank group of a rank (DDR5 REFsb);
#: its rules are those of each of its banks (the level it counts as).
SCOPE_LEVEL = {"bankset": "bank"}
#: Commands every table must declare (low-power, per-bank and same-bank refresh are optional).
REQUIRED_COMMANDS = ("ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF")
COMMAND_KEYS = ("scope", "clocks", "bus", "opens", "closes", "data", "refresh", "second_word", "edges")
SECOND_WORD_KEYS = ("within", "blocks")
RULE_KEYS = ("prev", "next", "level", "latency", "window", "sibling", "name")
TABLE_KEYS = ("levels", "buses", "parameters", "commands", "constraints", "per_bank_refresh")
#: How per-bank refresh falls due on a channel of several ranks (see ``per_bank_refresh`` above).
PER_BANK_REFRESH = ("channel", "rank")
N_COMMANDS = len(COMMANDS)


# -- expressions -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))")


def parse_expression(text: str):
    """Parse an arithmetic expression into a tree of tuples.

    Grammar: ``sum := product (('+'|'-') product)*``, ``product := unary ('*' unary)*``,
    ``unary := '-' unary | INT | NAME | ('max'|'min') '(' sum (',' sum)* ')' | '(' sum ')'``.

    Raises
    ------
    ValueError
        Anything else (the message says what was expected where).
    """
    text = str(text)
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing white space is left
            break
        pos = m.end()
        if m.group(1):
            tokens.append(("int", int(m.group(1))))
        elif m.group(2):
            tokens.append(("name", m.group(2)))
        else:
            tokens.append(("op", m.group(3)))
    tokens.append(("end", None))
    k = 0

    def peek():
        return tokens[k]

    def take(kind=None, value=None):
        nonlocal k
        tok = tokens[k]
        if (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            want = value or kind
            got = "the end" if tok[0] == "end" else repr(tok[1])
            raise ValueError(f"expected {want!r}, found {got}")
        k += 1
        return tok

    def unary():
        tok = peek()
        if tok == ("op", "-"):
            take()
            return ("neg", unary())
        if tok[0] == "int":
            return ("int", take()[1])
        if tok == ("op", "("):
            take()
            node = total()
            take("op", ")")
            return node
        if tok[0] == "name":
            name = take()[1]
            if name in ("max", "min") and peek() == ("op", "("):
                take()
                args = [total()]
                while peek() == ("op", ","):
                    take()
                    args.append(total())
                take("op", ")")
                return (name, tuple(args))
            return ("name", name)
        raise ValueError("expected a number, a name, max(...), min(...) or '('"
                         + (" but the expression ends" if tok[0] == "end" else f", found {tok[1]!r}"))

    def product():
        node = unary()
        while peek() == ("op", "*"):
            take()
            node = ("*", node, unary())
        return node

    def total():
        node = product()
        while peek() in (("op", "+"), ("op", "-")):
            op = take()[1]
            node = (op, node, product())
        return node

    tree = total()
    take("end")
    return tree


def evaluate(tree, values: Mapping[str, int]) -> int:
    """The integer value of a parsed expression; ``KeyError`` names an unknown parameter."""
    kind = tree[0]
    if kind == "int":
        return tree[1]
    if kind == "name":
        return int(values[tree[1]])
    if kind == "neg":
        return -evaluate(tree[1], values)
    if kind in ("max", "min"):
        args = [evaluate(a, values) for a in tree[1]]
        return max(args) if kind == "max" else min(args)
    a, b = evaluate(tree[1], values), evaluate(tree[2], values)
    return a + b if kind == "+" else a - b if kind == "-" else a * b


def names(tree) -> set[str]:
    """The parameter names an expression reads."""
    if tree[0] == "name":
        return {tree[1]}
    if tree[0] == "int":
        return set()
    if tree[0] in ("max", "min"):
        return set().union(*(names(a) for a in tree[1]))
    return set().union(*(names(t) for t in tree[1:]))


# -- tables ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """One constraint with its latency evaluated for a spec (cycles)."""

    prev: tuple[str, ...]
    next: tuple[str, ...]
    level: str
    latency: int
    expression: str
    window: int = 0
    sibling: bool = False
    name: str = ""


@dataclass(frozen=True)
class Table:
    """A timing table evaluated for one spec: levels, command facts, parameters and rules."""

    name: str
    levels: tuple[str, ...]
    scope: Mapping[str, str]
    clocks: Mapping[str, int]
    parameters: Mapping[str, int]
    rules: tuple[Rule, ...]
    buses: tuple[str, ...] = ("command",)
    bus: Mapping[str, int] | None = None   # command -> index into buses (one left out: 0)
    second_word: Mapping[str, tuple[int, tuple[str, ...]]] | None = None  # command -> (within, blocks)
    edge: Mapping[str, int] | None = None  # command -> it issues in cycles that are multiples of this
    per_bank_refresh: str = "channel"      # one of PER_BANK_REFRESH

    def value(self, name: str) -> int:
        """A derived parameter (or a timing value) in cycles."""
        return self.parameters[name]


def read_table(name_or_data, where: str):
    """The raw table: a family name (a file in ``standards/tables``) or a mapping given inline."""
    if isinstance(name_or_data, Mapping):
        return dict(name_or_data), where
    from dramsim.spec import read_yaml
    path = TABLES_DIR / f"{name_or_data}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in TABLES_DIR.glob("*.yaml")))
        raise InputError(f"{where}: field 'table' is {name_or_data!r}; no such timing table (known: {known})")
    data = read_yaml(path)
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: expected a mapping with {', '.join(TABLE_KEYS)}")
    return dict(data), str(path)


def _as_list(value, field, where):
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(x, str) for x in items):
        raise InputError(f"{where}: field {field} is {value!r}; expected a command name or a list of them")
    return tuple(items)


def build_table(data: Mapping, where: str, timing: Mapping[str, int], burst_cycles: int) -> Table:
    """Validate a raw table and evaluate it for one spec.

    Parameters
    ----------
    data : mapping in the schema of the module docstring.
    where : the file (or spec) it came from, for messages.
    timing : the spec's timing values in cycles (``Timing`` fields by name).
    burst_cycles : data-bus cycles of one burst (``BL`` in expressions).

    Raises
    ------
    InputError
        One line naming the file and the field: unknown keys, levels, commands or parameters,
        a malformed expression, a rule below its command's scope, a role that contradicts the
        controller's.
    """
    unknown = [k for k in data if k not in TABLE_KEYS]
    if unknown:
        raise InputError(f"{where}: unknown table key {unknown[0]!r}; expected {', '.join(TABLE_KEYS)}")
    for key in ("levels", "commands", "constraints"):
        if key not in data:
            raise InputError(f"{where}: missing table field {key!r}")
    levels = data["levels"]
    if (not isinstance(levels, list) or [lv for lv in LEVELS if lv in levels] != levels
            or any(lv not in levels for lv in ("channel", "rank", "bank"))):
        raise InputError(f"{where}: field levels is {levels!r}; expected [channel, rank, sid, bankgroup, bank] "
                         "(sid and bankgroup optional)")
    values = {k: int(v) for k, v in timing.items() if k != "tck_ns"}
    values["BL"] = int(burst_cycles)
    params = data.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise InputError(f"{where}: field parameters must be a mapping of name: expression")
    for pname, text in params.items():
        values[str(pname)] = _evaluate(text, values, f"parameters.{pname}", where)

    commands = data["commands"]
    if not isinstance(commands, Mapping):
        raise InputError(f"{where}: field commands must be a mapping of command: properties")
    buses = data.get("buses", ["command"])
    if (not isinstance(buses, list) or not buses or not all(isinstance(b, str) for b in buses)
            or len(set(buses)) != len(buses)):
        raise InputError(f"{where}: field buses is {buses!r}; expected a list of distinct bus names")
    scope, clocks, bus, edge = {}, {}, {}, {}
    for cname, props in commands.items():
        if cname not in ROLES:
            raise InputError(f"{where}: unknown command commands.{cname}; expected one of {', '.join(ROLES)}")
        props = props or {}
        if not isinstance(props, Mapping):
            raise InputError(f"{where}: field commands.{cname} must be a mapping")
        bad = [k for k in props if k not in COMMAND_KEYS]
        if bad:
            raise InputError(f"{where}: unknown key commands.{cname}.{bad[0]}; expected {', '.join(COMMAND_KEYS)}")
        for key, role in ROLES[cname].items():
            if key != "scope" and props.get(key, role) != role:
                raise InputError(f"{where}: commands.{cname}.{key} is {props[key]!r}; the controller's "
                                 f"{cname} has {key}: {role}")
        for key in ("opens", "closes", "data", "refresh"):
            if key in props and key not in ROLES[cname]:
                raise InputError(f"{where}: commands.{cname}.{key}: the controller's {cname} does not {key}")
        scope[cname] = props.get("scope", ROLES[cname]["scope"])
        if scope[cname] != ROLES[cname]["scope"]:
            raise InputError(f"{where}: commands.{cname}.scope is {scope[cname]!r}; the controller issues "
                             f"{cname} to a {ROLES[cname]['scope']}")
        clocks[cname] = _evaluate(props.get("clocks", 1), values, f"commands.{cname}.clocks", where)
        if clocks[cname] < 1:
            raise InputError(f"{where}: field commands.{cname}.clocks is {clocks[cname]}; expected >= 1")
        bus_name = props.get("bus", buses[0])
        if bus_name not in buses:
            raise InputError(f"{where}: field commands.{cname}.bus is {bus_name!r}; expected one of "
                             f"{', '.join(map(str, buses))} (the table's buses)")
        bus[cname] = buses.index(bus_name)
        edge[cname] = _edge(props.get("edges", "rising"), values.get("ticks_per_ck", 1), cname, where)
    missing = [c for c in REQUIRED_COMMANDS if c not in commands]
    if missing:
        raise InputError(f"{where}: missing command commands.{missing[0]}")
    second_word = _second_words(commands, values, clocks, bus, where)

    rules = []
    raw = data["constraints"]
    if not isinstance(raw, list):
        raise InputError(f"{where}: field constraints must be a list of rules")
    for i, r in enumerate(raw):
        field = f"constraints[{i}]"
        if not isinstance(r, Mapping):
            raise InputError(f"{where}: {field} must be a mapping with prev, next, level, latency")
        bad = [k for k in r if k not in RULE_KEYS]
        if bad:
            raise InputError(f"{where}: unknown key {field}.{bad[0]}; expected {', '.join(RULE_KEYS)}")
        for key in ("prev", "next", "level", "latency"):
            if key not in r:
                raise InputError(f"{where}: missing field {field}.{key}")
        prev = _as_list(r["prev"], f"{field}.prev", where)
        nxt = _as_list(r["next"], f"{field}.next", where)
        for c in prev + nxt:
            if c not in commands:
                raise InputError(f"{where}: {field} names command {c!r}, which the table's commands do not declare")
        level = r["level"]
        if level not in levels:
            raise InputError(f"{where}: field {field}.level is {level!r}; expected one of {', '.join(levels)}")
        for c in prev:
            if levels.index(level) > levels.index(SCOPE_LEVEL.get(scope[c], scope[c])):
                raise InputError(f"{where}: {field}: level {level} is below the scope of {c} ({scope[c]})")
        window = r.get("window", 0)
        if isinstance(window, bool) or not isinstance(window, int) or window < 0 or window > 8:
            raise InputError(f"{where}: field {field}.window is {window!r}; expected an integer 1..8")
        _check_bankset_window(prev, scope, level, window, field, where)
        sibling = r.get("sibling", False)
        if not isinstance(sibling, bool) or (sibling and level == "channel") or (sibling and window):
            raise InputError(f"{where}: field {field}.sibling is {sibling!r}; expected true or false "
                             "(not on channel level, not with a window)")
        latency = _evaluate(r["latency"], values, f"{field}.latency", where)
        rules.append(Rule(prev, nxt, level, latency, str(r["latency"]), window, sibling, str(r.get("name", ""))))
    rotation = data.get("per_bank_refresh", "channel")
    if rotation not in PER_BANK_REFRESH:
        raise InputError(f"{where}: field per_bank_refresh is {rotation!r}; expected one of {', '.join(PER_BANK_REFRESH)}")
    return Table(name=str(where), levels=tuple(levels), scope=scope, clocks=clocks,
                 parameters=values, rules=tuple(rules), buses=tuple(buses), bus=bus, second_word=second_word,
                 edge=edge, per_bank_refresh=rotation)


def _edge(value, ticks_per_ck, cname, where) -> int:
    """Cycles between the ticks command ``cname`` may issue in (``edges``: rising -> ticks_per_ck)."""
    if value not in EDGES:
        raise InputError(f"{where}: field commands.{cname}.edges is {value!r}; expected one of {', '.join(EDGES)}")
    return int(ticks_per_ck) if value == "rising" else 1


def _check_bankset_window(prev, scope, level, window, field, where):
    """A bank-set command enters a window once per bank of its set: only per bank (group) windows."""
    for c in prev:
        if window and scope[c] == "bankset" and level not in ("bank", "bankgroup"):
            raise InputError(f"{where}: {field}: {c} addresses a bank set; a window rule after it must be "
                             f"at level bank or bankgroup, not {level}")


def _second_words(commands, values, clocks, bus, where):
    """Validated ``second_word`` entries: command -> (within in cycles, the commands it blocks)."""
    out = {}
    for cname, props in commands.items():
        sw = (props or {}).get("second_word")
        if sw is None:
            continue
        field = f"commands.{cname}.second_word"
        if not isinstance(sw, Mapping) or sorted(sw) != sorted(SECOND_WORD_KEYS):
            raise InputError(f"{where}: field {field} is {sw!r}; expected a mapping with within and blocks")
        if clocks[cname] != 2:
            raise InputError(f"{where}: field {field}: {cname} takes {clocks[cname]} clocks; expected 2")
        within = _evaluate(sw["within"], values, f"{field}.within", where)
        if within < 1:
            raise InputError(f"{where}: field {field}.within is {within}; expected >= 1")
        blocks = _as_list(sw["blocks"], f"{field}.blocks", where)
        for c in blocks:
            if c not in commands:
                raise InputError(f"{where}: {field}.blocks names command {c!r}, which the table's commands do not declare")
        out[cname] = (within, blocks)
    for cname, (_, blocks) in out.items():
        for other in out:
            if other not in blocks:
                raise InputError(f"{where}: field commands.{cname}.second_word.blocks lacks {other} "
                                 "(one second word is pending per channel at a time)")
        for other, b in bus.items():
            if other != cname and b == bus[cname] and clocks[other] != 1:
                raise InputError(f"{where}: field commands.{cname}.second_word: {other} on the same bus takes "
                                 f"{clocks[other]} clocks; expected 1 for every other command there")
    return out


def _evaluate(text, values, field, where) -> int:
    if isinstance(text, bool):
        raise InputError(f"{where}: field {field} is {text!r}; expected an expression")
    try:
        tree = parse_expression(text)
    except ValueError as exc:
        raise InputError(f"{where}: field {field} is {text!r}: {exc}") from None
    unknown = sorted(names(tree) - set(values))
    if unknown:
        raise InputError(f"{where}: field {field} names unknown parameter {unknown[0]!r}")
    return evaluate(tree, values)


# -- compiled form -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Compiled:
    """A table as the kernel's arrays (int64; ``rule_start``, ``rules`` and ``window_next``, whose
    values are indices, uint32: see :mod:`dramsim.kernel`).

    Plain rules are grouped by preceding command (CSR: rules of command ``c`` are
    ``rule_start[c]:rule_start[c + 1]``), each a row ``(level, next, latency, sibling)`` of
    ``rules``. Window rules are rows ``(level, size, latency, first, last)`` of ``windows``:
    ``window_prev`` (window x command, bool) says which commands enter the window, and
    ``window_next[first:last]`` are the commands it delays. ``clocks`` is the command-bus
    occupancy per command code, ``bus`` the index of the command bus it holds (0 for every
    command of a one-bus table); ``word_within[c]`` the latest clock of a deferrable second word
    after the first (0: none) and ``word_blocks[c]`` the commands held while it is pending;
    ``aggregate[c]`` is 1 for commands of rank scope (their readiness
    includes every node below the rank). Levels are the kernel's (channel 0, rank 1, bankgroup 2,
    bank 3, and sid 4 where a run has more than one SID: :data:`KERNEL_LEVEL`); ``edge[c]``: command
    ``c`` issues only in cycles that are multiples of it (1: any cycle); ``n_sid``: SIDs per rank
    the rules were compiled for (1: no SID level in the run).
    """

    rule_start: np.ndarray
    rules: np.ndarray
    windows: np.ndarray
    window_prev: np.ndarray
    window_next: np.ndarray
    clocks: np.ndarray
    aggregate: np.ndarray
    bus: np.ndarray
    word_within: np.ndarray
    word_blocks: np.ndarray
    edge: np.ndarray = None
    n_sid: int = 1


def compile_table(table: Table, issued=None, fan=None) -> Compiled:
    """Pack a :class:`Table` into the arrays :func:`dramsim.kernel.run` reads.

    ``issued`` (names), when given, are the only commands the controller will issue in this run
    (e.g. no RDA/WRA under open page, no REFpb under all-bank refresh): rules that only delay
    other commands are left out. ``fan`` (channels, ranks per channel, [SIDs per rank,] bank groups
    per rank (per SID), banks per group), when given, lets a rule move down to a lower level whose nodes are the same
    ones (every level in between has one node per parent: one rank per channel, no bank groups),
    where it merges with the rules already there, and drops sibling rules of a level with no
    siblings. Neither changes a schedule, only the work per issued command. A run with one SID
    per rank (``fan`` of four, or none) has no SID level: its rules hold at the rank (the same
    nodes), so the kernel does exactly what it does for a table without SIDs.
    """
    fan, n_sid = _hierarchy_fan(fan)
    code = {name: i for i, name in enumerate(COMMANDS)}
    keep = set(COMMANDS) if issued is None else set(issued)
    plain = [[] for _ in range(N_COMMANDS)]
    windows, wprev, wnext = [], [], []
    for rule in table.rules:
        if rule.latency <= 0:
            continue
        level = _LEVELS4.index("rank" if rule.level == "sid" else rule.level)
        if not (keep & set(rule.next)) or not (keep & set(rule.prev)):
            continue
        if rule.level == "sid" and n_sid > 1:
            level = KERNEL_LEVEL["sid"]         # the SID level of a run with several SIDs
        elif rule.level == "sid" and rule.sibling:
            continue                            # one SID per rank: no other SID
        elif fan is not None and rule.sibling and fan[level] == 1:
            continue                            # no other node at that level
        elif fan is not None and not rule.sibling and not rule.window:
            lowest = min(_LEVELS4.index(SCOPE_LEVEL.get(table.scope[p], table.scope[p])) for p in rule.prev)
            while level < lowest and fan[level + 1] == 1:
                level += 1
        if rule.window:
            nexts = [code[n] for n in rule.next if n in keep]
            windows.append((level, rule.window, rule.latency, len(wnext), len(wnext) + len(nexts)))
            wprev.append([COMMANDS[c] in rule.prev for c in range(N_COMMANDS)])
            wnext += nexts
            continue
        for p in rule.prev:
            for n in (n for n in rule.next if n in keep):
                plain[code[p]].append((level, code[n], rule.latency, int(rule.sibling)))
    # merge duplicates (same level, next, sibling): the largest latency is the rule
    start = [0]
    rows = []
    for c in range(N_COMMANDS):
        best = {}
        for level, n, lat, sib in plain[c]:
            key = (level, n, sib)
            best[key] = max(best.get(key, 0), lat)
        rows += [(lv, n, lat, sib) for (lv, n, sib), lat in sorted(best.items())]
        start.append(len(rows))
    clocks = np.ones(N_COMMANDS, np.int64)
    aggregate = np.zeros(N_COMMANDS, np.int64)
    bus = np.zeros(N_COMMANDS, np.int64)
    for name, c in code.items():
        if name in table.clocks:
            clocks[c] = table.clocks[name]
        if table.bus and name in table.bus:
            bus[c] = table.bus[name]
        if ROLES[name]["scope"] == "rank":
            aggregate[c] = 1
    word_within = np.zeros(N_COMMANDS, np.int64)
    word_blocks = np.zeros((N_COMMANDS, N_COMMANDS), np.bool_)
    # (a command the table does not declare never issues: it gets the largest edge, so that it does
    # not hold its bus's smallest edge down, kernel._bus_edges)
    edge = np.full(N_COMMANDS, max((table.edge or {}).values(), default=1), np.int64)
    for name, c in code.items():
        if table.edge and name in table.edge:
            edge[c] = table.edge[name]
    for name, (within, blocks) in (table.second_word or {}).items():
        word_within[code[name]] = within
        for b in blocks:
            word_blocks[code[name], code[b]] = True
    return Compiled(
        rule_start=np.array(start, np.uint32),
        rules=np.array(rows, np.uint32).reshape(-1, 4),
        windows=np.array(windows, np.int64).reshape(-1, 5),
        window_prev=np.array(wprev, np.bool_).reshape(-1, N_COMMANDS),
        window_next=np.array(wnext, np.uint32),
        clocks=clocks,
        aggregate=aggregate,
        bus=bus,
        word_within=word_within,
        word_blocks=word_blocks,
        edge=edge,
        n_sid=n_sid,
    )


#: The kernel's four levels every run has, top to bottom (a rule's level index into ``fan``).
_LEVELS4 = ("channel", "rank", "bankgroup", "bank")


def _hierarchy_fan(fan):
    """``fan`` as (channels, ranks, bank groups per rank over its SIDs, banks per group), and SIDs per rank."""
    if fan is None or len(fan) == 4:
        return fan, 1
    n_ch, n_rk, n_sid, n_bg, n_bpg = fan
    return (n_ch, n_rk, n_sid * n_bg, n_bpg), int(n_sid)
