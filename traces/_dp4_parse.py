"""A one-pass byte parser for DRAMPower 4 command traces (``cycle,CMD[,bank]`` lines, ``cycle,END``).

Reading a million-line trace with pandas takes seconds; this Numba kernel takes milliseconds. It
only accepts well-formed input: on the first line it cannot read it returns that line's number,
and :mod:`traces.command_io` re-reads the file slowly to word the error.
"""
from __future__ import annotations

import numba
import numpy as np


def name_table(names) -> tuple[np.ndarray, np.ndarray]:
    """Command names as a padded ``uint8`` matrix and their lengths (the kernel's lookup table)."""
    width = max(len(n) for n in names)
    table = np.zeros((len(names), width), np.uint8)
    for i, n in enumerate(names):
        table[i, :len(n)] = np.frombuffer(n.encode("ascii"), np.uint8)
    return table, np.array([len(n) for n in names], np.int64)


@numba.njit(cache=True)
def _skip_spaces(buf, i, n):
    while i < n and (buf[i] == 32 or buf[i] == 9):
        i += 1
    return i


@numba.njit(cache=True)
def _integer(buf, i, n):
    """(value, next index); value -1 when no digits are at ``i``."""
    i = _skip_spaces(buf, i, n)
    start = i
    v = 0
    while i < n and 48 <= buf[i] <= 57 and i - start < 18:
        v = v * 10 + (buf[i] - 48)
        i += 1
    if i == start:
        return -1, i
    return v, _skip_spaces(buf, i, n)


@numba.njit(cache=True)
def parse(buf, table, lengths, end_code, rank_wide):
    """Parse a DRAMPower 4 trace held in ``buf`` (uint8).

    ``table``/``lengths``: command names (:func:`name_table`), a name's row being its code;
    ``end_code``: the row of ``END``; ``rank_wide[code]``: the bank field may be omitted.
    Returns ``(cycle, code, bank, end_cycle, bad_line)``: the commands (END excluded), the cycle
    of the last END line (-1 if none), and the 1-based number of the first line it could not
    read (0 when all were read; the arrays are then complete).
    """
    n = buf.shape[0]
    est = 1
    for i in range(n):
        if buf[i] == 10:
            est += 1
    cycle = np.empty(est, np.int64)
    code = np.empty(est, np.uint8)
    bank = np.empty(est, np.int64)
    k = 0
    end_cycle = -1
    line = 0
    i = 0
    while i < n:
        line += 1
        j = i
        while j < n and buf[j] != 10:
            j += 1
        stop = j
        while stop > i and (buf[stop - 1] == 13 or buf[stop - 1] == 32 or buf[stop - 1] == 9):
            stop -= 1
        p = _skip_spaces(buf, i, stop)
        if p == stop:                             # blank line
            i = j + 1
            continue
        t, p = _integer(buf, p, stop)
        if t < 0 or p >= stop or buf[p] != 44:
            return cycle[:k], code[:k], bank[:k], end_cycle, line
        p = _skip_spaces(buf, p + 1, stop)
        q = p
        while q < stop and buf[q] != 44 and buf[q] != 32 and buf[q] != 9:
            q += 1
        c = -1
        for r in range(table.shape[0]):
            if lengths[r] == q - p:
                same = True
                for s in range(q - p):
                    if table[r, s] != buf[p + s]:
                        same = False
                        break
                if same:
                    c = r
                    break
        if c < 0:
            return cycle[:k], code[:k], bank[:k], end_cycle, line
        q = _skip_spaces(buf, q, stop)
        b = 0
        if q < stop:
            if buf[q] != 44:
                return cycle[:k], code[:k], bank[:k], end_cycle, line
            b, q = _integer(buf, q + 1, stop)
            if b < 0 or q != stop:
                return cycle[:k], code[:k], bank[:k], end_cycle, line
        elif c != end_code and not rank_wide[c]:
            return cycle[:k], code[:k], bank[:k], end_cycle, line
        if c == end_code:
            end_cycle = t
        else:
            cycle[k] = t
            code[k] = c
            bank[k] = b
            k += 1
        i = j + 1
    return cycle[:k], code[:k], bank[:k], end_cycle, 0
