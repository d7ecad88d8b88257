"""A vectorised parser for DRAMPower 4 command traces (``cycle,CMD[,bank]`` lines, ``cycle,END``).

Reading a million-line trace with pandas takes seconds; this takes one NumPy pass over the bytes
and a few over the lines, and needs no JIT compiler (``dramsim energy`` starts without Numba). It
accepts the form DRAMPower and our writer produce -- no spaces, LF or CRLF line ends, blank lines
allowed -- and returns the number of the first line it cannot read otherwise;
:mod:`traces.command_io` then re-reads the file with pandas, which takes spaces too and words the
error.

How: every byte below ``-`` (line feed, carriage return, comma; a space or tab too) is a
separator, all found in one pass; the line feeds among them cut the lines, and the commas in
between bound each line's fields. Fields are read as little-endian ``uint64`` words through an
unaligned view of the bytes at every offset, so reading the 8 bytes at any position is one
gather: a number from the word that *ends* at its field's end (its digits in the top bytes), a
command name from the word that starts at it.
"""
from __future__ import annotations

import numpy as np

#: Longest cycle or bank field read here (digits); longer ones go to the slow reader.
MAX_DIGITS = 16
#: ASCII "0" bytes :func:`read_padded` puts before a file's content (a word may end in a field
#: of the first line), and zero bytes after it (a word may start in a field of the last).
LEAD = 16
PAD = 16


def name_table(names) -> tuple[np.ndarray, np.ndarray]:
    """Command names as a padded ``uint8`` matrix and their lengths (a name's row is its code)."""
    width = max(len(n) for n in names)
    table = np.zeros((len(names), width), np.uint8)
    for i, n in enumerate(names):
        table[i, :len(n)] = np.frombuffer(n.encode("ascii"), np.uint8)
    return table, np.array([len(n) for n in names], np.int64)


def read_padded(path) -> tuple[np.ndarray, int]:
    """A file's bytes after :data:`LEAD` ASCII zeros and before :data:`PAD` zero bytes, and its length."""
    size = path.stat().st_size
    data = np.empty(LEAD + size + PAD, np.uint8)
    data[:LEAD] = ord("0")
    with open(path, "rb") as f:
        size = f.readinto(memoryview(data)[LEAD:LEAD + size])     # fewer if it shrank meanwhile
    data[LEAD + size:] = 0
    return data, size


def _words(padded: np.ndarray) -> np.ndarray:
    """``words[i]``: the 8 bytes at offset ``i`` of ``padded`` as a little-endian uint64 (a view)."""
    return np.ndarray((len(padded) - 7,), "<u8", padded, 0, (1,))


_ZEROS = np.uint64(0x3030303030303030)      # "00000000"
_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIX = np.uint64(0x0606060606060606)
#: ``_LOW[k]``: the low ``8 - k`` bytes of a word set (the bytes before a k-digit field's digits).
_LOW = np.array([2**(8 * (8 - k)) - 1 for k in range(9)], np.uint64)
#: ``_NAME[k]``: the low ``k`` bytes of a word set (a k-byte name; index -1 of a bad line: all).
_NAME = np.array([2**(8 * k) - 1 for k in range(9)], np.uint64)


def _eight_digits(word: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number whose ``length`` (0-8) digits are the top bytes of ``word``, and whether they are digits.

    The bytes below the digits become ASCII zeros, then digits are combined pairwise (SWAR:
    8 digits in three multiply-add-mask steps; the lowest byte holds the leading digit).
    """
    low = _LOW[length]
    digits = word ^ ((word ^ _ZEROS) & low)
    ok = ((digits & _HIGH) == _ZEROS) & (((digits + _SIX) & _HIGH) == _ZEROS)
    x = digits - _ZEROS
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    x = (x * np.uint64(10000) + (x >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return x.astype(np.int64), ok


def _digits(padded: np.ndarray, words: np.ndarray, stop: np.ndarray,
            length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The integers of the ``length`` bytes before ``stop`` per line, and whether each is 1-16 digits."""
    inside = (length >= 1) & (length <= MAX_DIGITS)
    if not (length != 1).any():                 # one digit each (a bank field, usually)
        d = padded[stop - 1].astype(np.int64) - 48
        return d, (d >= 0) & (d <= 9)
    length = np.where(inside, length, 1)
    lower, ok = _eight_digits(words[stop - 8], np.minimum(length, 8))
    if (length > 8).any():                      # 9 to 16 digits: the leading ones as well
        upper, ok_upper = _eight_digits(words[stop - 16], np.maximum(length - 8, 0))
        lower += upper * 10**8
        ok &= ok_upper
    return lower, inside & ok


#: Bits of the hash that picks a command name's slot (:func:`name_lookup`).
SLOT_BITS = 6


def name_lookup(table: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.uint64, np.ndarray]:
    """A collision-free multiplicative hash of the names of ``table``: ``(keys, multiplier, slots)``.

    ``keys[code]``: a name's first 8 bytes as a word; ``slots[(key * multiplier) >> (64 - SLOT_BITS)]``:
    the code whose key may be ``key`` (-1 for none). The multiplier is the first of a fixed
    sequence of odd constants that gives every name its own slot, so the lookup is deterministic.
    """
    flat = np.concatenate((table.reshape(-1), np.zeros(PAD, np.uint8)))
    keys = _words(flat)[np.arange(len(table)) * table.shape[1]] & _NAME[np.minimum(lengths, 8)]
    shift = np.uint64(64 - SLOT_BITS)
    for i in range(1, 10_000):
        multiplier = np.uint64((0x9E3779B97F4A7C15 * i) % 2**64 | 1)
        slot = (keys * multiplier) >> shift
        if len(np.unique(slot)) == len(keys):
            slots = np.full(2**SLOT_BITS, -1, np.int64)
            slots[slot] = np.arange(len(keys))
            return keys, multiplier, slots
    raise ValueError("no collision-free hash for these command names")


def _codes(padded, words, table, lengths, lookup, at, length) -> np.ndarray:
    """The row of ``table`` named by the ``length`` bytes at ``at`` (-1 if none): first 8 bytes, length, 9th byte."""
    table_keys, multiplier, slots = lookup
    keys = words[at] & _NAME[np.minimum(length, 8)]
    row = slots[(keys * multiplier) >> np.uint64(64 - SLOT_BITS)]
    ok = (row >= 0) & (length <= 9)
    row = np.maximum(row, 0)
    ok &= (table_keys[row] == keys) & (lengths[row] == length)
    code = np.where(ok, row, -1)
    long = np.flatnonzero(length == 9)          # PDN_F_PRE ...: the 9th byte too
    if len(long) and table.shape[1] > 8:
        code[long[padded[at[long] + 8] != table[row[long], 8]]] = -1
    return code


#: Bytes parsed at a time (cut at a line end): the temporaries of a chunk stay in the CPU caches.
CHUNK = 1 << 18


def parse(padded: np.ndarray, n: int, table: np.ndarray, lengths: np.ndarray, end_code: int,
          rank_wide: np.ndarray):
    """Parse a DRAMPower 4 trace of ``n`` bytes held in ``padded`` (uint8, from :func:`read_padded`).

    ``table``/``lengths``: command names (:func:`name_table`; their first 8 bytes must tell them
    apart, as DRAMPower's do); ``end_code``: the row of ``END``; ``rank_wide[code]``: the bank
    field may be omitted. Returns ``(cycle, code, bank, end_cycle, bad_line)``: the commands (END
    excluded), the cycle of the last END line (-1 if none), and the 1-based number of the first
    line not read (0 when all were; the arrays are then complete).
    """
    empty = np.zeros(0, np.int64)
    words = _words(padded)
    lookup = name_lookup(table, lengths)
    # the commands go straight into arrays long enough for any file of n bytes (a command line
    # takes at least 4): pages never written are never allocated
    most = n // 4 + 1
    cycle, code, bank = np.empty(most, np.int64), np.empty(most, np.uint8), np.empty(most, np.int64)
    lines_before, end_cycle, k = 0, -1, 0
    a, stop = LEAD, LEAD + n
    while a < stop:
        b = min(a + CHUNK, stop)
        if b < stop:                                        # end the chunk after its last line feed
            cut = np.flatnonzero(padded[a:b] == 10)
            b = a + int(cut[-1]) + 1 if len(cut) else stop
        got = _parse_chunk(padded, words, a, b, b == stop, table, lengths, lookup, end_code, rank_wide)
        if isinstance(got, int):                            # a bad line
            return empty, empty.astype(np.uint8), empty, -1, lines_before + got
        chunk_cycle, chunk_code, chunk_bank, chunk_end, lines = got
        m = len(chunk_cycle)
        cycle[k:k + m], code[k:k + m], bank[k:k + m] = chunk_cycle, chunk_code, chunk_bank
        end_cycle = chunk_end if chunk_end >= 0 else end_cycle
        lines_before, k, a = lines_before + lines, k + m, b
    return cycle[:k], code[:k], bank[:k], end_cycle, 0


def _parse_chunk(padded, words, a, b, last, table, lengths, lookup, end_code, rank_wide):
    """The lines in ``padded[a:b]`` (whole lines; ``last``: the file's end, maybe without a line feed).

    Returns ``(cycle, code, bank, end_cycle, lines)`` (END lines left out; ``lines``: the chunk's
    line count) or the 1-based number (within the chunk) of its first line not read.
    """
    sep = np.flatnonzero(padded[a:b] < 45)                  # below "-": LF, CR, comma, space, tab ...
    sep += a
    kind = padded[sep]
    if last and padded[b - 1] != 10:                        # a last line without its line feed
        sep, kind = np.append(sep, b), np.append(kind, np.uint8(10))
    nl = np.flatnonzero(kind == 10)                         # the separators that end lines
    stop = sep[nl]
    start = np.empty_like(stop)
    start[0], start[1:] = a, stop[:-1] + 1
    first_sep = np.empty_like(nl)                           # each line's first separator (or its end)
    first_sep[0], first_sep[1:] = 0, nl[:-1] + 1
    last_sep = nl                                           # each line's end
    stray = (kind != 44) & (kind != 10)                     # CR, space, ...: a CR before LF only
    if stray.any():
        cr_end = (nl > first_sep) & (kind[nl - 1] == 13) & (sep[nl - 1] == stop - 1)
        stray[nl[cr_end] - 1] = False
        if stray.any():
            return int(np.searchsorted(nl, np.argmax(stray))) + 1
        stop, last_sep = stop - cr_end, nl - cr_end
    lines = len(nl)
    line = None                                             # line numbers, when there are blank lines
    nonblank = stop > start
    if not nonblank.all():
        line = np.flatnonzero(nonblank) + 1
        start, stop, first_sep, last_sep = start[line - 1], stop[line - 1], first_sep[line - 1], last_sep[line - 1]
    del nonblank
    inner = last_sep - first_sep                            # commas in the line
    first = sep[first_sep]                                  # the line's first comma (or its end)
    second = sep[np.minimum(first_sep + 1, last_sep)]       # its second (or its end)
    has_second = inner == 2
    bad = (inner < 1) | (inner > 2)
    cycle, ok = _digits(padded, words, first, first - start)
    bad |= ~ok
    code = _codes(padded, words, table, lengths, lookup, first + 1, second - first - 1)
    bad |= code < 0
    bank, ok = _digits(padded, words, stop, np.where(has_second, stop - second - 1, 1))
    bad |= has_second & ~ok
    bad |= ~has_second & (code >= 0) & (code != end_code) & ~rank_wide[np.maximum(code, 0)]
    if not has_second.all():
        bank = np.where(has_second, bank, 0)
    if bad.any():
        i = int(np.argmax(bad))
        return int(line[i]) if line is not None else i + 1
    ends = np.flatnonzero(code == end_code)
    end_cycle = int(cycle[ends[-1]]) if len(ends) else -1
    if len(ends):
        keep = code != end_code
        cycle, code, bank = cycle[keep], code[keep], bank[keep]
    return cycle, code, bank, end_cycle, lines
