"""Read and write request traces: Ramulator 2, Ramulator 1, DRAMsim3 text traces and our binary ones.

Formats (``fmt`` names):

``ramulator2``  Ramulator 2 LoadStoreTrace, one request a line: ``LD 0x1f40`` / ``ST 4096``
                (op, byte address in hex with ``0x`` or in decimal). No time.
``ramulator1``  Ramulator 1 ``--mode=dram`` trace: ``0x12345680 R`` / ``0x4cbd56c0 W``. No time.
``dramsim3``    DRAMsim3 trace: ``0x1f40 READ 12`` (address, READ/WRITE, arrival cycle in memory
                clocks). Written with arrival 0 for every request when the trace has no time.
``npz``         Ours: NumPy ``.npz`` with arrays ``address`` (uint64), ``is_write`` (bool) and,
                when known, ``arrival`` (int64).
``npy``         A NumPy ``.npy`` of uint64 byte addresses: all reads, no time (read only).

Text traces are parsed column-wise (pyarrow's CSV tokenizer, or pandas' C tokenizer for files
with irregular spacing, then one Numba pass to parse the numbers, no Python loop); a bad line
raises :class:`traces.errors.InputError` naming ``file:line`` (1-based, counting blank lines) and
what was expected.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pac
import pyarrow.csv as pacsv

from traces._atomic import atomic_paths
from traces.errors import InputError
from traces.requests import RequestTrace

FORMATS = ("ramulator2", "ramulator1", "dramsim3", "npz", "npy")

#: What one line of each text format looks like (used in error messages).
EXPECTED = {
    "ramulator2": "'LD|ST ADDRESS'",
    "ramulator1": "'ADDRESS R|W'",
    "dramsim3": "'ADDRESS READ|WRITE CYCLE'",
}

_READ_OPS = {"ramulator2": ("LD",), "ramulator1": ("R",), "dramsim3": ("READ", "read")}
_WRITE_OPS = {"ramulator2": ("ST",), "ramulator1": ("W",), "dramsim3": ("WRITE", "write")}

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def detect_format(path: str | Path) -> str:
    """Guess a request trace's format from its first bytes / first non-empty lines.

    The content decides; the extension (``.npz``, ``.npy``) is only a hint for an empty file.

    Raises
    ------
    InputError
        The file cannot be read or matches no known format.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if head.startswith(_NPY_MAGIC):
        return "npy"
    if head.startswith(_ZIP_MAGIC):
        return "npz"
    lines = [ln.split() for ln in head.decode("ascii", "replace").splitlines()]
    lines = [ln for ln in lines if ln][:3]
    if not lines:
        suffix = path.suffix.lower().lstrip(".")
        return suffix if suffix in ("npz", "npy") else "ramulator2"
    for fmt, test in (("ramulator2", lambda t: len(t) == 2 and t[0] in ("LD", "ST")),
                      ("ramulator1", lambda t: len(t) == 2 and t[1] in ("R", "W")),
                      ("dramsim3", lambda t: len(t) == 3 and t[1] in ("READ", "WRITE", "read", "write"))):
        if test(lines[0]):
            return fmt
    raise InputError(f"{path}:1: unknown trace format; expected a line like "
                     + ", ".join(f"{v} ({k})" for k, v in EXPECTED.items()) + f", got {' '.join(lines[0])!r}")


def read_requests(path: str | Path, fmt: str = "auto") -> RequestTrace:
    """Read a request trace.

    Parameters
    ----------
    path : str or Path
        The trace file.
    fmt : str
        One of :data:`FORMATS`, or ``"auto"`` (see :func:`detect_format`).

    Raises
    ------
    InputError
        Unreadable file, unknown format, or a malformed line (the message names ``file:line``).
    """
    path = Path(path)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "npy":
        return _read_npy(path)
    if fmt == "npz":
        return _read_npz(path)
    if fmt not in EXPECTED:
        raise InputError(f"unknown request trace format {fmt!r}; expected one of auto, {', '.join(FORMATS)}")
    return _read_text(path, fmt)


def write_requests(trace: RequestTrace, path: str | Path, fmt: str) -> None:
    """Write a request trace in ``fmt`` (``ramulator2``, ``ramulator1``, ``dramsim3`` or ``npz``).

    Ramulator 1/2 drop the arrival time; DRAMsim3 writes arrival 0 when the trace has none.
    The file appears complete or not at all (temp file in the same directory, then rename).
    """
    path = Path(path)
    if fmt == "npz":
        arrays = {"address": trace.address, "is_write": trace.is_write}
        if trace.arrival is not None:
            arrays["arrival"] = trace.arrival
        with atomic_paths([path]) as (tmp,):
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        return
    if fmt not in EXPECTED:
        raise InputError(f"cannot write request trace format {fmt!r}; expected one of "
                         f"{', '.join(f for f in FORMATS if f != 'npy')}")
    addr = [f"0x{a:x}" for a in trace.address.tolist()]
    w = trace.is_write.tolist()
    if fmt == "ramulator2":
        lines = [("ST " if wr else "LD ") + a for a, wr in zip(addr, w)]
    elif fmt == "ramulator1":
        lines = [a + (" W" if wr else " R") for a, wr in zip(addr, w)]
    else:
        arrival = trace.arrival.tolist() if trace.arrival is not None else [0] * len(addr)
        lines = [f"{a} {'WRITE' if wr else 'READ'} {t}" for a, wr, t in zip(addr, w, arrival)]
    with atomic_paths([path]) as (tmp,):
        with open(tmp, "w") as f:
            f.write("\n".join(lines))
            if lines:
                f.write("\n")


def parse_uint(strings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse strings (``0x``-prefixed hex or decimal) into uint64, vectorised.

    Parameters
    ----------
    strings : ndarray of str or bytes (object, ``U`` or ``S`` dtype)

    Returns
    -------
    values : ndarray of uint64 (0 where invalid)
    ok : ndarray of bool, False where a string is empty, has a non-digit, is non-ASCII or may
        overflow 64 bits (more than 16 hex or 19 decimal digits)
    """
    b = _to_bytes(strings)
    n = len(b)
    width = b.dtype.itemsize
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, bool)
    offsets = np.arange(n + 1, dtype=np.int64) * width
    return _parse_uint_kernel(b.view(np.uint8).reshape(-1), offsets, True)


def _parse_arrow_uint(column) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_uint` straight from a pyarrow string column's buffers (no Python strings)."""
    arr = column.cast(pa.large_string()).combine_chunks()
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, bool)
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    values, ok = _parse_uint_kernel(data, offsets, False)
    if arr.null_count:
        ok &= ~np.asarray(arr.is_null())
    return values, ok


@numba.njit(cache=True)
def _parse_uint_kernel(data, offsets, nul_padded):
    """String i is data[offsets[i]:offsets[i+1]] (up to a NUL when ``nul_padded``); parse it as
    0x-hex or decimal. A NUL-padded slot with no NUL may have been truncated: invalid."""
    n = len(offsets) - 1
    values = np.zeros(n, np.uint64)
    ok = np.zeros(n, np.bool_)
    for i in range(n):
        start = offsets[i]
        end = offsets[i + 1]
        if nul_padded:
            stop = start
            while stop < end and data[stop] != 0:
                stop += 1
            if stop == end:
                continue
            end = stop
        hexa = end - start > 2 and data[start] == 48 and (data[start + 1] | 0x20) == 120  # 0x / 0X
        if hexa:
            start += 2
        digits = end - start
        if digits == 0 or digits > (16 if hexa else 19):
            continue
        v = np.uint64(0)
        good = True
        for j in range(start, end):
            c = data[j]
            if 48 <= c <= 57:
                d = c - 48
            elif hexa and 97 <= (c | 0x20) <= 102:
                d = (c | 0x20) - 87
            else:
                good = False
                break
            v = v * np.uint64(16 if hexa else 10) + np.uint64(d)
        if good:
            values[i] = v
            ok[i] = True
    return values, ok


def _to_bytes(strings: np.ndarray, width: int = 32) -> np.ndarray:
    """Strings -> fixed-width ASCII bytes (longer ones truncated); non-ASCII entries become empty."""
    strings = np.asarray(strings)
    if strings.dtype.kind == "S":
        return strings
    try:
        return strings.astype(f"S{width}")
    except UnicodeEncodeError:
        ascii_ok = np.array([str(s).isascii() for s in strings], bool)
        return np.where(ascii_ok, strings, "").astype(f"S{width}")


def _read_text(path: Path, fmt: str) -> RequestTrace:
    # Fast path: pyarrow's tokenizer and a Numba number parser over its buffers (single-space
    # separated; blank lines dropped). If it fails or any line is bad, re-read with pandas' C
    # tokenizer, which keeps blank lines (row i is file line i + 1) so the error names the line.
    try:
        return _read_text_fast(path, fmt)
    except _Retry:
        df = _tokenize(path, fmt)
        lineno = np.arange(1, len(df) + 1)
        blank = df.isna().all(axis=1).to_numpy()
        if blank.any():
            df, lineno = df[~blank], lineno[~blank]
        return _parse_columns(path, fmt, df, lineno)


def _read_text_fast(path: Path, fmt: str) -> RequestTrace:
    """Single-space separated, no blank lines, every line good: pyarrow all the way."""
    names = _columns(fmt)
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names),
                               parse_options=pacsv.ParseOptions(delimiter=" "),
                               convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
        raise _Retry() from None
    op = table.column("op")
    is_write = pac.is_in(op, value_set=pa.array(list(_WRITE_OPS[fmt]))).to_numpy(zero_copy_only=False)
    is_read = pac.is_in(op, value_set=pa.array(list(_READ_OPS[fmt]))).to_numpy(zero_copy_only=False)
    address, ok = _parse_arrow_uint(table.column("addr"))
    good = ok & (is_read | is_write)
    arrival = None
    if fmt == "dramsim3":
        t, t_ok = _parse_arrow_uint(table.column("time"))
        good &= t_ok & (t < np.uint64(2**62))
        arrival = t.astype(np.int64)
        if len(arrival) > 1 and (np.diff(arrival) < 0).any():
            raise _Retry()
    if not good.all():
        raise _Retry()
    return RequestTrace(address, is_write, arrival)


class _Retry(Exception):
    """The fast path cannot say which line is bad."""


def _columns(fmt: str) -> list[str]:
    return {"ramulator2": ["op", "addr"], "ramulator1": ["addr", "op"]}.get(fmt, ["addr", "op", "time"])


def _tokenize(path: Path, fmt: str) -> pd.DataFrame:
    """Whitespace-separated columns as strings; blank lines kept as all-NaN rows."""
    names = _columns(fmt)
    try:
        return pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype=object, engine="c",
                           skip_blank_lines=False, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame({n: np.zeros(0, object) for n in names})
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    except pd.errors.ParserError as exc:
        raise InputError(_bad_line(path, _line_from_parser_error(str(exc)), fmt)) from None


def _parse_columns(path: Path, fmt: str, df: pd.DataFrame, lineno: np.ndarray) -> RequestTrace:
    op = df["op"]
    is_read = op.isin(_READ_OPS[fmt]).to_numpy()
    is_write = op.isin(_WRITE_OPS[fmt]).to_numpy()
    good = is_read | is_write
    address, ok = parse_uint(df["addr"].to_numpy(dtype=object, na_value=""))
    good &= ok
    arrival = None
    if fmt == "dramsim3":
        t, t_ok = parse_uint(df["time"].to_numpy(dtype=object, na_value=""))
        t_ok &= t < np.uint64(2**62)
        good &= t_ok
        arrival = np.where(t_ok, t, 0).astype(np.int64)
    if not good.all():
        first = int(np.flatnonzero(~good)[0])
        raise InputError(_bad_line(path, int(lineno[first]), fmt))
    if arrival is not None and len(arrival) > 1:
        back = np.flatnonzero(np.diff(arrival) < 0)
        if len(back):
            i = int(back[0]) + 1
            raise InputError(f"{path}:{lineno[i]}: arrival cycle {arrival[i]} is before the previous "
                             f"line's {arrival[i - 1]}; expected non-decreasing arrival cycles")
    return RequestTrace(address, is_write, arrival)


def _line_from_parser_error(message: str) -> int:
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else 0


def _bad_line(path: Path, line: int, fmt: str) -> str:
    text = ""
    if line > 0:
        with open(path, "rb") as f:
            for i, raw in enumerate(f, 1):
                if i == line:
                    text = raw.decode("ascii", "replace").strip()
                    break
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{path}:{line}: expected {EXPECTED[fmt]}, got {text!r}"


def _read_npy(path: Path) -> RequestTrace:
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({exc})") from None
    if a.ndim != 1 or not (np.issubdtype(a.dtype, np.unsignedinteger) or np.issubdtype(a.dtype, np.signedinteger)):
        raise InputError(f"{path}: expected a 1-D array of uint64 byte addresses, got {a.dtype} with shape {a.shape}")
    if np.issubdtype(a.dtype, np.signedinteger) and len(a) and a.min() < 0:
        raise InputError(f"{path}: negative address at index {int(np.argmin(a))}; expected uint64 byte addresses")
    return RequestTrace(a.astype(np.uint64), np.zeros(len(a), bool), None)


def _read_npz(path: Path) -> RequestTrace:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc})") from None
    for key in ("address", "is_write"):
        if key not in arrays:
            raise InputError(f"{path}: missing array {key!r}; expected address, is_write and optionally arrival")
    try:
        trace = RequestTrace(arrays["address"], arrays["is_write"], arrays.get("arrival"))
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: {exc}") from None
    if trace.arrival is not None and len(trace) > 1:
        back = np.flatnonzero(np.diff(trace.arrival) < 0)
        if len(back):
            raise InputError(f"{path}: arrival[{int(back[0]) + 1}] is before arrival[{int(back[0])}]; "
                             "expected non-decreasing arrival cycles")
    return trace
