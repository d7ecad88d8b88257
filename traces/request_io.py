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

Text traces are parsed by one Numba pass over the file's bytes (fields separated by any run of
spaces or tabs, blank lines skipped, CR LF accepted; no tokenizer tables, no Python loop per
line), so reading costs little more memory than the file and the result arrays. A bad line
raises :class:`traces.errors.InputError` naming ``file:line`` (1-based, counting blank lines) and
what was expected. This module imports neither pandas nor pyarrow.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numba
import numpy as np

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
        v, good = _parse_number(data, start, end)
        values[i] = v
        ok[i] = good
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


#: Per text format: number of fields, index of the address, op and arrival-cycle fields (-1: none).
_LAYOUT = {"ramulator2": (2, 1, 0, -1), "ramulator1": (2, 0, 1, -1), "dramsim3": (3, 0, 1, 2)}


def _read_text(path: Path, fmt: str) -> RequestTrace:
    """Parse a whole text trace with one Numba pass over its bytes (no tokenizer tables, no
    Python loop); a bad line or a backwards arrival cycle is reported by line number."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    n_fields, addr_field, op_field, time_field = _LAYOUT[fmt]
    ops = list(_READ_OPS[fmt]) + list(_WRITE_OPS[fmt])
    op_table = np.zeros((len(ops), max(len(o) for o in ops)), np.uint8)
    op_len = np.zeros(len(ops), np.int64)
    for k, name in enumerate(ops):
        op_table[k, :len(name)] = np.frombuffer(name.encode("ascii"), np.uint8)
        op_len[k] = len(name)
    op_write = np.array([False] * len(_READ_OPS[fmt]) + [True] * len(_WRITE_OPS[fmt]))
    address, is_write, arrival, count, bad_line, back_line, back_index = _parse_text_kernel(
        data, n_fields, addr_field, op_field, time_field, op_table, op_len, op_write)
    del data
    if bad_line:
        raise InputError(_bad_line(path, int(bad_line), fmt))
    if back_line:
        raise InputError(f"{path}:{back_line}: arrival cycle {arrival[back_index]} is before the previous "
                         f"line's {arrival[back_index - 1]}; expected non-decreasing arrival cycles")
    # blank lines leave unused slots at the end: views, no copy
    return RequestTrace(address[:count], is_write[:count], arrival[:count] if time_field >= 0 else None)


@numba.njit(cache=True)
def _parse_number(data, start, end):
    """``data[start:end]`` as 0x-hex (at most 16 digits) or decimal (at most 19): (value, ok)."""
    hexa = end - start > 2 and data[start] == 48 and (data[start + 1] | 0x20) == 120  # 0x / 0X
    if hexa:
        start += 2
    digits = end - start
    if digits == 0 or digits > (16 if hexa else 19):
        return np.uint64(0), False
    v = np.uint64(0)
    for j in range(start, end):
        c = data[j]
        if 48 <= c <= 57:
            d = c - 48
        elif hexa and 97 <= (c | 0x20) <= 102:
            d = (c | 0x20) - 87
        else:
            return np.uint64(0), False
        v = v * np.uint64(16 if hexa else 10) + np.uint64(d)
    return v, True


@numba.njit(cache=True)
def _parse_text_kernel(data, n_fields, addr_field, op_field, time_field, op_table, op_len, op_write):
    """Parse whitespace-separated request lines (blank lines skipped, CR LF accepted).

    Returns (address, is_write, arrival, count, bad_line, back_line, back_index): the arrays have
    one slot per file line, the first ``count`` filled; ``bad_line`` is the first malformed line
    (1-based, 0 if none; parsing stops there); ``back_line``/``back_index`` the first line and
    record whose arrival cycle is below the previous record's (0 if none).
    """
    size = data.shape[0]
    n_lines = 0
    for i in range(size):
        if data[i] == 10:
            n_lines += 1
    if size > 0 and data[size - 1] != 10:
        n_lines += 1
    address = np.empty(n_lines, np.uint64)
    is_write = np.empty(n_lines, np.bool_)
    arrival = np.empty(n_lines if time_field >= 0 else 0, np.int64)
    starts = np.empty(n_fields, np.int64)
    ends = np.empty(n_fields, np.int64)
    count = 0
    back_line = 0
    back_index = 0
    line = 0
    pos = 0
    while pos < size:
        line += 1
        eol = pos
        while eol < size and data[eol] != 10:
            eol += 1
        # split into fields on spaces, tabs, CR, VT, FF
        nf = 0
        j = pos
        while j < eol:
            c = data[j]
            if c == 32 or (9 <= c <= 13):
                j += 1
                continue
            k = j
            while k < eol and not (data[k] == 32 or (9 <= data[k] <= 13)):
                k += 1
            if nf < n_fields:
                starts[nf] = j
                ends[nf] = k
            nf += 1
            j = k
        pos = eol + 1
        if nf == 0:
            continue  # blank line
        if nf != n_fields:
            return address, is_write, arrival, count, line, back_line, back_index
        s = starts[op_field]
        width = ends[op_field] - s
        op = -1
        for o in range(op_len.shape[0]):
            if op_len[o] == width:
                same = True
                for q in range(width):
                    if data[s + q] != op_table[o, q]:
                        same = False
                        break
                if same:
                    op = o
                    break
        if op < 0:
            return address, is_write, arrival, count, line, back_line, back_index
        value, ok = _parse_number(data, starts[addr_field], ends[addr_field])
        if not ok:
            return address, is_write, arrival, count, line, back_line, back_index
        if time_field >= 0:
            t, t_ok = _parse_number(data, starts[time_field], ends[time_field])
            if not t_ok or t >= np.uint64(1) << np.uint64(62):
                return address, is_write, arrival, count, line, back_line, back_index
            arrival[count] = np.int64(t)
            if count > 0 and back_line == 0 and arrival[count] < arrival[count - 1]:
                back_line = line
                back_index = count
        address[count] = value
        is_write[count] = op_write[op]
        count += 1
    return address, is_write, arrival, count, 0, back_line, back_index


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
