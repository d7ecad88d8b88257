"""A vectorised parser for DRAMPower 4 command traces (``cycle,CMD[,bank]`` lines, ``cycle,END``).

Reading a million-line trace with pandas takes seconds; this takes a few NumPy passes over the
bytes and needs no JIT compiler (``dramsim energy`` starts without Numba). It accepts the form
DRAMPower and our writer produce -- no spaces, LF or CRLF line ends, blank lines allowed -- and
returns the number of the first line it cannot read otherwise; :mod:`traces.command_io` then
re-reads the file with pandas, which takes spaces too and words the error.
"""
from __future__ import annotations

import numpy as np

#: Longest cycle or bank field read here (digits); longer ones go to the slow reader.
MAX_DIGITS = 16


def name_table(names) -> tuple[np.ndarray, np.ndarray]:
    """Command names as a padded ``uint8`` matrix and their lengths (a name's row is its code)."""
    width = max(len(n) for n in names)
    table = np.zeros((len(names), width), np.uint8)
    for i, n in enumerate(names):
        table[i, :len(n)] = np.frombuffer(n.encode("ascii"), np.uint8)
    return table, np.array([len(n) for n in names], np.int64)


#: Zero bytes :func:`read_padded` leaves after a file's content (windows read past a line end).
PAD = 16


def read_padded(path) -> tuple[np.ndarray, int]:
    """A file's bytes followed by :data:`PAD` zero bytes, and its length."""
    size = path.stat().st_size
    data = np.zeros(size + PAD, np.uint8)
    with open(path, "rb") as f:
        f.readinto(memoryview(data)[:size])
    return data, size


def _windows(padded: np.ndarray, width: int) -> np.ndarray:
    """Every ``width``-byte window of ``padded`` (which ends in at least ``width`` zeros), a view."""
    return np.lib.stride_tricks.sliding_window_view(padded, width)


_ZEROS = np.uint64(0x3030303030303030)      # "00000000"
_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIX = np.uint64(0x0606060606060606)


def _word(windows: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The 8 bytes at each position as a little-endian uint64."""
    return np.ascontiguousarray(windows[pos, :8]).view("<u8")[:, 0]


def _eight_digits(word: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number written in the first ``length`` (0-8) bytes of ``word``, and whether they are digits.

    The digits are moved to the word's top bytes behind ASCII zeros, then combined pairwise
    (SWAR: 8 digits in three multiply-add-mask steps; the lowest byte is the leading digit).
    """
    length = length.astype(np.uint64)
    shift = (np.uint64(8) - length) * np.uint64(8)
    digits = np.where(length == 0, _ZEROS,
                      (word << np.minimum(shift, np.uint64(56)))
                      | (_ZEROS >> np.minimum(length * np.uint64(8), np.uint64(56))) * (length < 8))
    ok = ((digits & _HIGH) == _ZEROS) & (((digits + _SIX) & _HIGH) == _ZEROS)
    x = digits - _ZEROS
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    x = (x * np.uint64(10000) + (x >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return x.astype(np.int64), ok


def _digits(windows: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The integers of ``length`` bytes at ``start`` per line, and whether each is 1-16 digits."""
    inside = (length >= 1) & (length <= MAX_DIGITS)
    if not (length > 1).any():                  # one digit each (a bank field, usually)
        d = windows[start, 0].astype(np.int64) - 48
        return d, inside & (d >= 0) & (d <= 9)
    length = np.where(inside, length, 1)
    lower, ok = _eight_digits(_word(windows, start + np.maximum(length - 8, 0)), np.minimum(length, 8))
    if (length > 8).any():                      # 9 to 16 digits: the leading ones as well
        upper, ok_upper = _eight_digits(_word(windows, start), np.maximum(length - 8, 0))
        lower += upper * 10**8
        ok &= ok_upper
    return lower, inside & ok


def _name_keys(windows: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each name as a little-endian uint64 (bytes past its length zeroed)."""
    word = np.ascontiguousarray(windows[start, :8]).view("<u8")[:, 0]
    mask = np.where(length >= 8, np.uint64(2**64 - 1),
                    (np.uint64(1) << (np.uint64(8) * np.clip(length, 0, 7).astype(np.uint64))) - np.uint64(1))
    return word & mask


def parse(padded: np.ndarray, n: int, table: np.ndarray, lengths: np.ndarray, end_code: int,
          rank_wide: np.ndarray):
    """Parse a DRAMPower 4 trace held in ``padded[:n]`` (uint8, :func:`read_padded`).

    ``table``/``lengths``: command names (:func:`name_table`; their first 8 bytes must tell them
    apart, as DRAMPower's do); ``end_code``: the row of ``END``; ``rank_wide[code]``: the bank
    field may be omitted. Returns ``(cycle, code, bank, end_cycle, bad_line)``: the commands (END
    excluded), the cycle of the last END line (-1 if none), and the 1-based number of the first
    line not read (0 when all were; the arrays are then complete).
    """
    empty = np.zeros(0, np.int64)
    buf = padded[:n]
    newline = np.flatnonzero(buf == 10)
    start = np.concatenate(([0], newline + 1))
    stop = np.concatenate((newline, [n]))
    del newline
    cr = (stop > start) & (padded[np.maximum(stop - 1, 0)] == 13)
    if cr.any():                                            # CRLF line ends
        stop -= cr
    del cr
    nonblank = stop > start
    line = None                                             # line numbers, when there are blank lines
    if not nonblank.all():
        line = np.flatnonzero(nonblank) + 1
        start, stop = start[line - 1], stop[line - 1]
    del nonblank
    if len(start) == 0:
        return empty, empty.astype(np.uint8), empty, -1, 0
    comma = np.concatenate((np.flatnonzero(buf == 44), [n + 1, n + 1, n + 1]))
    k = np.searchsorted(comma, start)
    first, second = comma[k], comma[k + 1]
    bad = (first >= stop) | (comma[k + 2] < stop)
    del comma, k
    has_second = second < stop
    first = np.minimum(first, stop)
    second = np.where(has_second, second, stop)
    windows = _windows(padded, max(int(lengths.max()) + 1, 8))
    cycle, ok = _digits(windows, start, first - start)
    bad |= ~ok
    # the command name: its first 8 bytes pick the row, its length and 9th byte must agree
    name_len = second - first - 1
    keys = _name_keys(windows, first + 1, name_len)
    flat_table = np.concatenate((table.reshape(-1), np.zeros(PAD, np.uint8)))
    table_keys = _name_keys(_windows(flat_table, 8), np.arange(len(table)) * table.shape[1], lengths)
    order = np.argsort(table_keys)
    row = order[np.minimum(np.searchsorted(table_keys[order], keys), len(order) - 1)]
    code = np.where((table_keys[row] == keys) & (lengths[row] == name_len) & (name_len <= 9), row, -1)
    long = np.flatnonzero(name_len == 9)                    # PDN_F_PRE ...: the 9th byte too
    if len(long) and table.shape[1] > 8:
        code[long[windows[first[long] + 1, 8] != table[row[long], 8]]] = -1
    bad |= code < 0
    bank, ok = _digits(windows, second + 1, stop - second - 1)
    bad |= has_second & ~ok
    bad |= ~has_second & (code >= 0) & (code != end_code) & ~rank_wide[np.maximum(code, 0)]
    bank = np.where(has_second, bank, 0)
    if bad.any():
        i = int(np.argmax(bad))
        return empty, empty.astype(np.uint8), empty, -1, int(line[i]) if line is not None else i + 1
    is_end = code == end_code
    end_cycle = int(cycle[is_end][-1]) if is_end.any() else -1
    keep = ~is_end
    return cycle[keep], code[keep].astype(np.uint8), bank[keep], end_cycle, 0
