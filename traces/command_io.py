"""Read and write DRAM command traces: our CSV, DRAMPower 4 and DRAMPower 5.

Formats (``fmt`` names):

``csv``         Ours, read and write. A header line with the :data:`traces.commands.FIELDS` names
                (``cycle,cmd,channel,rank,bankgroup,bank,row,column``), then one command a line,
                ``cmd`` as its name (``ACT``, ``RD``, ...; see :data:`traces.commands.COMMANDS`).
``drampower4``  DRAMPower 4 command trace, write and read. ``<cycle>,<CMD>,<bank>`` with ``bank`` the
                flat bank index within the rank (``bankgroup * banks_per_group + bank``; 0 for PREA
                and REF), a final ``<cycle>,END`` line, one file per rank. REFpb is written as REFB;
                the low-power commands under their own (DRAMPower 4) names, bank 0;
                REFsb (which DRAMPower 4 does not know) as REFSB with its bank index.
                With one channel and one rank the file is ``path`` itself; otherwise one file per
                (channel, rank): ``OUT.trace`` -> ``OUT.ch0.rank0.trace``, ``OUT.ch0.rank1.trace``...
``drampower5``  DRAMPower 5 command trace, write and read.
                ``<cycle>,<CMD>,<rank>,<bankgroup>,<bank>,<row>,<column>[,<data>]``; command names as
                DRAMPower 5's ``CmdTypeUtil::from_string``: ACT PRE PREA RD WR RDA WRA, REF -> REFA,
                REFpb -> REFB, PDN_F_PRE/PDN_S_PRE -> PDEP, PDN_F_ACT/PDN_S_ACT -> PDEA,
                PUP_PRE -> PDXP, PUP_ACT -> PDXA, SREN -> SREFEN, SREX -> SREFEX, REFsb -> REFSB
                (bankgroup 0, bank its bank index) (DRAMPower 5 has
                no fast/slow distinction: PDEP/PDEA read back as the fast-exit entries); fields
                that do not apply are 0; RD/WR/RDA/WRA carry a hex data field
                (zeros, ``data_bytes`` bytes: DRAMPower 5 requires one); a final
                ``<cycle>,END,0,0,0,0,0``. One file per channel: ``path`` for one channel, else
                ``OUT.ch0.trace``, ``OUT.ch1.trace``...

``ramulator2``  Ramulator 2.1's ``CmdTraceRecorder`` CSV, write and read: a header
                ``clock,command,Channel,Rank,[BankGroup,]Bank,Row,Column,type,source``, then one
                command a line; names ``ACT``, ``PRE``/``PREpb``, ``PREA``/``PREab``, ``RD``, ``WR``,
                ``RDA``, ``WRA``, ``REF``/``REFab``, ``REFpb``, ``SRE``/``SRX`` (self-refresh; the
                writer uses PREpb, PREab, REFab as Ramulator 2.1 does); ``clock`` is the cycle,
                ``Column`` is kept as written, ``type`` and ``source`` are ignored (written 0 and
                -1). The file has no END. Power-down commands have no Ramulator name: writing them
                is an error. ``BankGroup`` is written when ``banks_per_group`` < banks.

Every writer writes all its files to temporaries in the target directory and renames them at the
end, so no partial output is ever left behind.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import re
from pathlib import Path

import numpy as np

if TYPE_CHECKING:  # pandas is imported where it is used (keeps replay's memory low)
    import pandas as pd

from traces._atomic import atomic_paths
from traces.commands import CODE, COMMANDS, FIELDS, PDN_F_PRE, RANK_COMMANDS, SREX, CommandTrace
from traces.errors import InputError

COMMAND_FORMATS = ("csv", "drampower4", "drampower5", "ramulator2")
READ_FORMATS = COMMAND_FORMATS

_LOW_POWER_NAMES = COMMANDS[PDN_F_PRE:SREX + 1]
_DP4_NAMES = ("ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF", "REFB") + _LOW_POWER_NAMES + ("REFSB",)
_DP5_NAMES = ("ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REFA", "REFB",
              "PDEP", "PDEP", "PDEA", "PDEA", "PDXP", "PDXA", "SREFEN", "SREFEX", "REFSB")
_HEADER = ",".join(name for name, _ in FIELDS)
#: Ramulator 2.1 command names -> codes.
_R2_CODES = {"ACT": CODE["ACT"], "PRE": CODE["PRE"], "PREpb": CODE["PRE"], "PREA": CODE["PREA"],
             "PREab": CODE["PREA"], "RD": CODE["RD"], "WR": CODE["WR"], "RDA": CODE["RDA"], "WRA": CODE["WRA"],
             "REF": CODE["REF"], "REFab": CODE["REF"], "REFpb": CODE["REFpb"], "SRE": CODE["SREN"],
             "SRX": CODE["SREX"]}
_R2_PREFIX = "clock,command,"


def split_path(path: Path, **keys: int) -> Path:
    """``OUT.trace`` with ``ch=0, rank=1`` -> ``OUT.ch0.rank1.trace`` (the per-rank file names)."""
    tag = "".join(f".{k}{v}" for k, v in keys.items())
    if path.suffix:
        return path.with_name(path.stem + tag + path.suffix)
    return path.with_name(path.name + tag)


def write_commands(commands: CommandTrace, path: str | Path, fmt: str = "csv", *,
                   banks_per_group: int = 1, channels: int | None = None, ranks: int | None = None,
                   data_bytes: int = 8) -> list[Path]:
    """Write a command trace; returns the paths written.

    Parameters
    ----------
    commands : CommandTrace
    path : str or Path
        Output file (for DRAMPower with several ranks/channels, the base name; see module doc).
    fmt : {"csv", "drampower4", "drampower5", "ramulator2"}
    banks_per_group : int
        Banks per bank group, to flatten (bankgroup, bank) for DRAMPower 4; Ramulator 2 writes a
        BankGroup column when the trace uses more than one bank group.
    channels, ranks : int, optional
        Number of channels and ranks per channel of the memory (default: as many as the trace
        uses). DRAMPower 4 writes one file for every rank, commands or not.
    data_bytes : int
        Length of the zero data field DRAMPower 5 needs on RD/WR/RDA/WRA (default 8 bytes: one
        BL8 burst of one x8 device).
    """
    path = Path(path)
    if fmt not in COMMAND_FORMATS:
        raise InputError(f"unknown command trace format {fmt!r}; expected one of {', '.join(COMMAND_FORMATS)}")
    if fmt == "csv":
        return _write(path, [(path, lambda f: _write_csv(commands, f))])
    if fmt == "ramulator2":
        return _write(path, [(path, _r2_text(commands))])
    n_ch = channels if channels is not None else int(commands.channel.max(initial=0)) + 1
    n_rk = ranks if ranks is not None else int(commands.rank.max(initial=0)) + 1
    end = int(commands.cycle.max(initial=0)) + 1
    files = []
    if fmt == "drampower4":
        for ch in range(n_ch):
            for rk in range(n_rk):
                sel = (commands.channel == ch) & (commands.rank == rk)
                target = path if n_ch == 1 and n_rk == 1 else split_path(path, ch=ch, rank=rk)
                files.append((target, _dp4_text(commands, sel, banks_per_group, end)))
    else:
        for ch in range(n_ch):
            sel = commands.channel == ch
            target = path if n_ch == 1 else split_path(path, ch=ch)
            files.append((target, _dp5_text(commands, sel, end, data_bytes)))
    return _write(path, files)


def read_commands(path: str | Path, fmt: str = "auto", *, banks_per_group: int = 1,
                  channel: int = 0, rank: int = 0, with_end: bool = False):
    """Read a command trace in our CSV, DRAMPower 4 or DRAMPower 5 format.

    With ``with_end=True`` returns ``(trace, end)``, ``end`` being the cycle of the file's END
    line (DRAMPower formats) or None (our CSV, which has none).

    ``fmt="auto"`` picks CSV when the first line is our header, Ramulator 2 when it starts
    ``clock,command,``, DRAMPower 5 when it has seven or more fields, else DRAMPower 4. A DRAMPower 4 file is one rank: its commands get ``channel``
    and ``rank``, the flat bank is split with ``banks_per_group``, and ``row``/``column`` are -1
    (the format does not carry them). A DRAMPower 5 file is one channel: its commands get
    ``channel``; the data field is ignored; fields that do not apply become -1.

    Raises
    ------
    InputError
        Unreadable file or a malformed line (the message names ``file:line``).
    """
    path = Path(path)
    try:
        trace, end = _read_commands(path, fmt, banks_per_group, channel, rank)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text command trace (a byte {exc.object[exc.start]:#04x} that is not "
                         "UTF-8); expected lines of our CSV, DRAMPower 4/5 or Ramulator 2") from None
    return (trace, end) if with_end else trace


def _read_commands(path: Path, fmt: str, banks_per_group: int, channel: int, rank: int):
    """:func:`read_commands` without the check of the file's encoding: ``(trace, end)``."""
    if fmt == "auto":
        fmt = _detect_command_format(path)
    end = None
    if fmt == "csv":
        trace = _read_csv(path)
    elif fmt == "drampower4":
        trace, end = _read_dp4(path, banks_per_group, channel, rank)
    elif fmt == "drampower5":
        trace, end = _read_dp5(path, channel)
    elif fmt == "ramulator2":
        trace = _read_ramulator2(path)
    else:
        raise InputError(f"unknown command trace format {fmt!r}; expected auto, {', '.join(READ_FORMATS)}")
    return trace, end


def _end_cycle(path: Path, df: pd.DataFrame, lineno: np.ndarray, end: np.ndarray) -> int | None:
    """Cycle of the last END line of a DRAMPower trace (None without one)."""
    if not end.any():
        return None
    i = int(np.flatnonzero(end)[-1])
    value = str(df["cycle"].iloc[i]).strip()
    if not value.isdigit():
        raise InputError(f"{path}:{lineno[i]}: expected an integer cycle >= 0, got {_line(path, int(lineno[i]))!r}")
    return int(value)


def _detect_command_format(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(4096).decode("ascii", "replace").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    lines = [ln.strip() for ln in head if ln.strip()]
    if not lines or lines[0].replace(" ", "") == _HEADER:
        return "csv"
    if lines[0].replace(" ", "").startswith(_R2_PREFIX):
        return "ramulator2"
    return "drampower5" if lines[0].count(",") >= 6 else "drampower4"


# --------------------------------------------------------------------------------------- writing

def _write(base: Path, files: list) -> list[Path]:
    """Write each (path, text or function of a binary file) via temporaries, then rename all."""
    targets = [p for p, _ in files]
    with atomic_paths(targets) as temps:
        for tmp, (_, content) in zip(temps, files):
            with open(tmp, "wb") as f:
                if callable(content):
                    content(f)
                else:
                    f.write(content.encode("ascii"))
    return targets


def _write_csv(c: CommandTrace, f) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if len(c) and int(c.cmd.max()) >= len(COMMANDS):
        raise InputError(f"command code {int(c.cmd.max())} is not a command; expected 0..{len(COMMANDS) - 1}")
    columns = {name: pa.array(getattr(c, name)) for name, _ in FIELDS}
    columns["cmd"] = pa.DictionaryArray.from_arrays(pa.array(c.cmd.astype(np.int32)), pa.array(list(COMMANDS)))
    f.write((_HEADER + "\n").encode("ascii"))
    if len(c):
        pacsv.write_csv(pa.table(columns), f, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _dp4_text(c: CommandTrace, sel: np.ndarray, banks_per_group: int, end: int) -> str:
    import pandas as pd

    cmd = c.cmd[sel]
    flat = c.bankgroup[sel].astype(np.int64) * banks_per_group + c.bank[sel]
    flat = np.where(np.isin(cmd, RANK_COMMANDS) | (flat < 0), 0, flat)
    df = pd.DataFrame({"cycle": c.cycle[sel], "cmd": np.asarray(_DP4_NAMES, dtype=object)[cmd], "bank": flat})
    return df.to_csv(index=False, header=False, lineterminator="\n") + f"{end},END\n"


#: Our command codes -> the names Ramulator 2.1's CmdTraceRecorder writes ("" : none).
_R2_NAMES = ("ACT", "PREpb", "PREab", "RD", "WR", "RDA", "WRA", "REFab", "REFpb", "", "", "", "", "", "",
             "SRE", "SRX", "")


def _r2_text(c: CommandTrace) -> str:
    import pandas as pd

    names = np.asarray(_R2_NAMES, dtype=object)[c.cmd]
    if len(c) and (names == "").any():
        i = int(np.flatnonzero(names == "")[0])
        raise InputError(f"command {i} ({COMMANDS[int(c.cmd[i])]}): Ramulator 2 has no such command; "
                         "expected no power-down or same-bank refresh commands in a ramulator2 trace")
    columns = {"clock": c.cycle, "command": names, "Channel": c.channel, "Rank": c.rank}
    if len(c) and c.bankgroup.max() > 0:
        columns["BankGroup"] = c.bankgroup
    columns.update({"Bank": c.bank, "Row": c.row, "Column": c.column,
                    "type": np.where(np.isin(c.cmd, (CODE["WR"], CODE["WRA"])), 1, 0), "source": -1})
    return pd.DataFrame(columns).to_csv(index=False, lineterminator="\n")


def _dp5_text(c: CommandTrace, sel: np.ndarray, end: int, data_bytes: int) -> str:
    import pandas as pd

    cmd = c.cmd[sel]
    df = pd.DataFrame({
        "cycle": c.cycle[sel],
        "cmd": np.asarray(_DP5_NAMES, dtype=object)[cmd],
        "rank": c.rank[sel],
        "bankgroup": np.maximum(c.bankgroup[sel], 0),
        "bank": np.maximum(c.bank[sel], 0),
        "row": np.maximum(c.row[sel], 0),
        "column": np.maximum(c.column[sel], 0),
    })
    is_column = (cmd >= 3) & (cmd <= 6)  # RD WR RDA WRA
    text = df.to_csv(index=False, header=False, lineterminator="\n")
    if is_column.any():
        zeros = "0" * (2 * data_bytes)
        lines = text.splitlines()
        data = np.where(is_column, "," + zeros, "")
        text = "\n".join(np.char.add(np.asarray(lines, dtype=object).astype(str), data)) + "\n"
    return text + f"{end},END,0,0,0,0,0\n"


# --------------------------------------------------------------------------------------- reading

def _read_csv(path: Path) -> CommandTrace:
    import pandas as pd

    names = [name for name, _ in FIELDS]
    try:
        # Fast path: typed columns with the pyarrow parser; on any trouble, re-read slowly to
        # find the bad line.
        fast = _read_csv_fast(path, names)
        if fast is not None:
            return fast
        df = pd.read_csv(path, engine="pyarrow")
        if list(df.columns) != names:
            raise InputError(f"{path}:1: expected header {_HEADER!r}, got {','.join(map(str, df.columns))!r}")
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}:1: expected header {_HEADER!r}, got an empty file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except Exception:
        df = None
    if df is not None:
        try:
            return _columns_to_trace(path, df, names, first_line=2, lineno=None, fast=True)
        except _Retry:
            pass
    df = _read_strings(path, names, header=True)
    return _columns_to_trace(path, df, names, first_line=2)


def _read_csv_fast(path: Path, names: list[str]) -> CommandTrace | None:
    """Read a well-formed CSV with pyarrow's typed reader; None when anything is unusual."""
    import pyarrow as pa
    import pyarrow.compute as pac
    import pyarrow.csv as pacsv

    types = {name: pa.int64() for name in names}
    types["cmd"] = pa.string()
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.column_names != names or any(table.column(n).null_count for n in names):
        return None
    codes = pac.index_in(table.column("cmd"), value_set=pa.array(list(COMMANDS)))
    if codes.null_count:
        return None
    cols = {"cmd": codes.to_numpy().astype(np.uint8)}
    for name, dtype in FIELDS:
        if name == "cmd":
            continue
        values = table.column(name).to_numpy()
        info = np.iinfo(dtype)
        lo = 0 if name == "cycle" else max(info.min, -1)
        if len(values) and (values.min() < lo or values.max() > info.max):
            return None
        cols[name] = values
    return CommandTrace(**cols)


class _Retry(Exception):
    """The fast path found a bad line but cannot tell its line number (blank lines were dropped)."""


def _read_strings(path: Path, names: list[str] | None, header: bool, header_text: str = _HEADER) -> pd.DataFrame:
    """The file's fields as strings; ``names=None`` takes the columns from its header line."""
    import pandas as pd

    try:
        df = pd.read_csv(path, header=0 if header else None, names=None if header else names,
                         dtype=object, engine="c", skip_blank_lines=False, keep_default_na=False,
                         na_values=[""], skipinitialspace=True)
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else 0
        fields = f"{len(names)} comma-separated fields ({','.join(names)})" if names else \
            "as many comma-separated fields as the header"
        raise InputError(f"{path}:{line}: expected {fields}, got {_line(path, line)!r}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}:1: expected header {header_text!r}, got an empty file") from None
    if header and names is not None and list(df.columns) != names:
        raise InputError(f"{path}:1: expected header {_HEADER!r}, got {','.join(map(str, df.columns))!r}")
    return df


def _columns_to_trace(path: Path, df: pd.DataFrame, names: list[str], first_line: int,
                      lineno: np.ndarray | None = None, cmd_names=COMMANDS,
                      fast: bool = False) -> CommandTrace:
    import pandas as pd

    if lineno is None and not fast:
        lineno = np.arange(first_line, len(df) + first_line)
        blank = df.isna().all(axis=1).to_numpy()
        df, lineno = df[~blank], lineno[~blank]
    bad = df.isna().any(axis=1).to_numpy().copy()
    what = np.where(bad, f"{len(names)} comma-separated fields ({','.join(names)})", "").astype(object)
    # "string", not object: a typed (pyarrow) read gives an integer column for a file of numbers
    names = df["cmd"].astype("string").str.strip().to_numpy(dtype=object, na_value="")
    # a name listed twice (DRAMPower 5's PDEP for both exits) reads as its first code; a dict
    # maps names to codes itself
    first_code = dict(cmd_names) if isinstance(cmd_names, dict) else {}
    for code, name in enumerate(() if isinstance(cmd_names, dict) else cmd_names):
        first_code.setdefault(name, code)
    pos = pd.Index(list(first_code)).get_indexer(names)
    cmd = np.where(pos < 0, -1, np.asarray(list(first_code.values()) + [-1])[pos])
    bad_cmd = cmd < 0
    what[bad_cmd & ~bad] = "a command name (" + " ".join(first_code) + ")"
    bad |= bad_cmd
    cols = {"cmd": np.where(cmd < 0, 0, cmd).astype(np.uint8)}
    for name, dtype in FIELDS:
        if name == "cmd" or name not in df:
            continue
        values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        info = np.iinfo(dtype)
        lo = 0 if name == "cycle" else max(info.min, -1)
        ok = np.isfinite(values) & (values == np.floor(values)) & (values >= lo) & (values <= info.max)
        what[~ok & ~bad] = f"an integer {name} >= {lo}"
        bad |= ~ok
        cols[name] = np.where(ok, values, 0).astype(dtype)
    if bad.any():
        if fast:
            raise _Retry()
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path}:{lineno[i]}: expected {what[i]}, got {_line(path, int(lineno[i]))!r}")
    n = len(df)
    for name, dtype in FIELDS:
        if name not in cols:
            cols[name] = np.full(n, -1, dtype)
    return CommandTrace(**cols)


def _read_dp4(path: Path, banks_per_group: int, channel: int, rank: int) -> tuple[CommandTrace, int | None]:
    from traces import _dp4_parse

    try:
        data, size = _dp4_parse.read_padded(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    table, lengths = _dp4_parse.name_table(_DP4_NAMES + ("END",))
    rank_wide_code = np.zeros(len(_DP4_NAMES) + 1, bool)   # (a lookup table: no np.isin pass)
    rank_wide_code[list(RANK_COMMANDS)] = True
    cycle, code, flat, end, bad = _dp4_parse.parse(data, size, table, lengths, len(_DP4_NAMES), rank_wide_code)
    del data
    if bad or (len(flat) and flat.max() > np.iinfo(np.int16).max):
        # spaces, or a bad line: pandas reads it or words the error
        cycle, code, flat, end = _read_dp4_slowly(path)
    rank_wide = rank_wide_code[code]
    n = len(code)
    bankgroup, bank = np.divmod(flat.astype(np.int16), np.int16(banks_per_group))
    bankgroup[rank_wide] = -1
    bank[rank_wide] = -1
    trace = CommandTrace(
        cycle=cycle, cmd=code,
        channel=np.full(n, channel, np.int16), rank=np.full(n, rank, np.int16),
        bankgroup=bankgroup, bank=bank, row=np.full(n, -1, np.int32), column=np.full(n, -1, np.int32),
    )
    return trace, (None if end is None or end < 0 else int(end))


def _read_dp4_slowly(path: Path):
    """A DRAMPower 4 trace the fast parser refused, read with pandas: (cycle, code, bank, end)."""
    df = _read_strings(path, ["cycle", "cmd", "bank"], header=False)
    lineno = np.arange(1, len(df) + 1)
    blank = df.isna().all(axis=1).to_numpy()
    df, lineno = df[~blank], lineno[~blank]
    end = (df["cmd"].astype(object).str.strip() == "END").to_numpy()
    end_cycle = _end_cycle(path, df, lineno, end)
    df, lineno = df[~end], lineno[~end]
    wide_name = df["cmd"].astype(object).str.strip().isin([_DP4_NAMES[c] for c in RANK_COMMANDS])
    df = df.assign(bank=df["bank"].where(df["bank"].notna() | ~wide_name, "0"))  # bank optional there
    t = _columns_to_trace(path, df, ["cycle", "cmd", "bank"], 1, lineno=lineno, cmd_names=_DP4_NAMES)
    return t.cycle, t.cmd, t.bank.astype(np.int64), end_cycle


def _read_dp5(path: Path, channel: int) -> CommandTrace:
    names = ["cycle", "cmd", "rank", "bankgroup", "bank", "row", "column", "data"]
    df = _read_strings(path, names, header=False)
    lineno = np.arange(1, len(df) + 1)
    blank = df.isna().all(axis=1).to_numpy()
    df, lineno = df[~blank], lineno[~blank]
    end = (df["cmd"].astype(object).str.strip() == "END").to_numpy()
    end_cycle = _end_cycle(path, df, lineno, end)
    df, lineno = df[~end].drop(columns="data"), lineno[~end]
    t = _columns_to_trace(path, df, names[:7], 1, lineno=lineno, cmd_names=_DP5_NAMES)
    wide = np.isin(t.cmd, RANK_COMMANDS)
    column = (t.cmd >= 3) & (t.cmd <= 6)  # RD WR RDA WRA
    has_row = column | (t.cmd == 0) | (t.cmd == 1)  # and ACT, PRE
    return CommandTrace(
        cycle=t.cycle, cmd=t.cmd, channel=np.full(len(t), channel), rank=t.rank,
        bankgroup=np.where(wide, -1, t.bankgroup), bank=np.where(wide, -1, t.bank),
        row=np.where(has_row, t.row, -1), column=np.where(column, t.column, -1),
    ), end_cycle


def _read_ramulator2(path: Path) -> CommandTrace:
    fast = _read_ramulator2_fast(path)
    return fast if fast is not None else _read_ramulator2_slowly(path)


def _read_ramulator2_fast(path: Path) -> CommandTrace | None:
    """A well-formed Ramulator 2 command trace through pyarrow's typed reader; None otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pac
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"command": pa.string()}))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
        return None
    names = table.column_names
    has_bg = "BankGroup" in names
    want = ["clock", "command", "Channel", "Rank"] + (["BankGroup"] if has_bg else []) + ["Bank", "Row", "Column"]
    if names[:len(want)] != want or any(table.column(n).null_count for n in want) \
            or any(not pa.types.is_integer(table.column(n).type) for n in want if n != "command"):
        return None
    known = list(_R2_CODES)
    pos = pac.index_in(table.column("command"), value_set=pa.array(known))
    if pos.null_count:
        return None
    code = np.asarray(list(_R2_CODES.values()), np.uint8)[pos.to_numpy()]
    cols = {n: table.column(n).to_numpy() for n in want if n != "command"}
    if len(code) and (cols["clock"].min() < 0 or min(v.min() for k, v in cols.items() if k != "clock") < -1
                      or max(v.max() for k, v in cols.items() if k != "clock") > np.iinfo(np.int16).max):
        return None
    return _ramulator2_trace(cols["clock"], code, cols["Channel"], cols["Rank"], cols["BankGroup"] if has_bg else 0,
                             cols["Bank"], cols["Row"], cols["Column"])


def _ramulator2_trace(cycle, code, channel, rank, bankgroup, bank, row, column) -> CommandTrace:
    """The trace, with the fields that do not apply to a command set to -1."""
    wide = np.isin(code, RANK_COMMANDS)
    return CommandTrace(cycle=cycle, cmd=code, channel=channel, rank=rank,
                        bankgroup=np.where(wide, -1, bankgroup), bank=np.where(wide, -1, bank),
                        row=np.where(wide | (code == CODE["REFpb"]), -1, row),
                        column=np.where((code >= CODE["RD"]) & (code <= CODE["WRA"]), column, -1))


def _read_ramulator2_slowly(path: Path) -> CommandTrace:
    df = _read_strings(path, None, header=True,
                       header_text="clock,command,Channel,Rank,[BankGroup,]Bank,Row,Column,type,source")
    columns = [c.strip() for c in df.columns]
    has_bg = "BankGroup" in columns
    names = ["clock", "command", "Channel", "Rank"] + (["BankGroup"] if has_bg else []) + ["Bank", "Row", "Column"]
    if columns[:len(names)] != names:
        raise InputError(f"{path}:1: expected header {','.join(names)},type,source; got {','.join(columns)!r}")
    df.columns = columns
    df = df[names].rename(columns={"clock": "cycle", "command": "cmd", "Channel": "channel", "Rank": "rank",
                                   "BankGroup": "bankgroup", "Bank": "bank", "Row": "row", "Column": "column"})
    if not has_bg:
        df["bankgroup"] = "0"
    t = _columns_to_trace(path, df, [name for name, _ in FIELDS], 2, cmd_names=_R2_CODES)
    return _ramulator2_trace(t.cycle, t.cmd, t.channel, t.rank, t.bankgroup, t.bank, t.row, t.column)


def _line(path: Path, line: int) -> str:
    if line <= 0:
        return ""
    with open(path, "rb") as f:
        for i, raw in enumerate(f, 1):
            if i == line:
                text = raw.decode("ascii", "replace").strip()
                return text if len(text) <= 60 else text[:57] + "..."
    return ""
