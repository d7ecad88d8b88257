"""Physical address <-> DRAM coordinates (channel, rank, [SID,] bank group, bank, row, column).

Convention (Ramulator's): a mapping string such as ``RoBaRaCoCh`` names the fields from the
MOST significant on the left to the LEAST significant on the right, above the transaction
offset (log2 of the burst size, 6 bits for 64-byte bursts). So ``RoBaRaCoCh`` means, from bit 6
upward: channel bits, then column bits, then rank, then bank, then row. Tokens: ``Ch Ra Si Bg Ba
Ro Co``, each exactly once, except that ``Bg`` may be left out: then ``Ba`` stands for bank
group and bank together, the bank-group bits lowest; and ``Si`` (the SID, HBM3; 0 bits on every
other standard) may be left out: then ``Ra`` stands for rank and SID together, the rank bits
lowest (Ramulator 2's mappers give every level from the pseudo-channel down its bits in level
order: HBM3's RoBaRaCoCh is, from the column up, pseudo-channel, SID, bank group, bank, row). Field widths are log2 of the geometry
(column field: log2(columns / burst_length), one value per burst). With ``xor_bank_hash`` the
(flattened) bank index is XORed with the lowest row bits, a common permutation-based
interleaving that spreads row conflicts over banks.
"""
from __future__ import annotations

import re

import numpy as np
from numba import njit

from dramsim.errors import InputError
from dramsim.spec import Spec

TOKENS = ("Ch", "Ra", "Bg", "Ba", "Ro", "Co", "Si")
_FIELD = {"Ch": "channel", "Ra": "rank", "Bg": "bankgroup", "Ba": "bank", "Ro": "row", "Co": "column", "Si": "sid"}


def _log2(x: int) -> int:
    return int(x).bit_length() - 1


class AddressMapping:
    """Decode byte addresses into coordinates and encode coordinates back.

    Parameters
    ----------
    spec : Spec
        The device and its channel/rank counts.
    order : str
        Field order, most significant first (see the module docstring). Default ``RoBaRaCoCh``.
    xor_bank_hash : bool
        XOR the bank index with the low row bits.

    Raises
    ------
    InputError
        A malformed order string, or a channel/rank count that is not a power of two.
    """

    def __init__(self, spec: Spec, order: str = "RoBaRaCoCh", xor_bank_hash: bool = False):
        org = spec.organization
        tokens = re.findall(r"[A-Z][a-z]", order)
        if "".join(tokens) != order or any(t not in TOKENS for t in tokens):
            raise InputError(f"--mapping {order!r}: expected a concatenation of the tokens {' '.join(TOKENS)}")
        needed = set(TOKENS) - {"Bg", "Si"}
        if len(set(tokens)) != len(tokens) or not needed <= set(tokens):
            raise InputError(f"--mapping {order!r}: expected each of Ch Ra Ba Ro Co exactly once (Bg, Si optional)")
        for name in ("channels", "ranks"):
            value = getattr(org, name)
            if value & (value - 1):
                raise InputError(f"{name} is {value}; address mapping needs a power of two")
        self.spec = spec
        self.order = order
        self.xor_bank_hash = bool(xor_bank_hash)
        self.offset_bits = _log2(org.burst_bytes)
        width = {"Ch": _log2(org.channels), "Ra": _log2(org.ranks), "Bg": _log2(org.bankgroups),
                 "Ba": _log2(org.banks_per_group), "Ro": _log2(org.rows), "Co": _log2(org.bursts_per_row),
                 "Si": _log2(org.sids)}
        fields = []  # (token, width), least significant first
        for tok in reversed(tokens):
            if tok == "Ba" and "Bg" not in tokens:
                fields.append(("Bg", width["Bg"]))
            fields.append((tok, width[tok]))
            if tok == "Ra" and "Si" not in tokens:
                fields.append(("Si", width["Si"]))
        self.fields = []  # (token, shift, width) least significant first
        shift = self.offset_bits
        for tok, w in fields:
            self.fields.append((tok, shift, w))
            shift += w
        self.address_bits = shift
        self.capacity_bytes = 1 << shift
        self._bank_bits = width["Bg"] + width["Ba"]
        self._sids = org.sids

    def decode(self, addresses, wrap: bool = False, where: str = "address",
               first_index: int = 0) -> dict[str, np.ndarray]:
        """Coordinates of each byte address (vectorised).

        Returns a dict of int64 arrays: channel, rank, bankgroup, bank (within its group),
        row, column (device column address of the burst: burst index x burst_length), and sid
        where the spec has more than one SID (bankgroup is then within its SID).
        Addresses at or beyond the capacity raise :class:`InputError` unless ``wrap`` drops
        the high bits (as Ramulator does); the message names ``where`` and the index of the
        first bad address (plus ``first_index``).
        """
        a = np.asarray(addresses, dtype=np.uint64)
        if not wrap and a.size:
            bad = np.flatnonzero(a >= np.uint64(self.capacity_bytes))
            if bad.size:
                raise InputError(f"{where} {first_index + bad[0]} (0-based): address {int(a[bad[0]]):#x} is beyond the capacity "
                                 f"{self.capacity_bytes:#x} bytes; expected a smaller address (or --wrap-addresses)")
        out = {}
        for tok, shift, w in self.fields:
            if tok == "Si" and self._sids == 1:
                continue
            out[_FIELD[tok]] = ((a >> np.uint64(shift)) & np.uint64((1 << w) - 1)).astype(np.int64)
        org = self.spec.organization
        if self.xor_bank_hash and self._bank_bits:
            flat = out["bankgroup"] * org.banks_per_group + out["bank"]
            flat ^= out["row"] & ((1 << self._bank_bits) - 1)
            out["bankgroup"] = flat // org.banks_per_group
            out["bank"] = flat % org.banks_per_group
        out["column"] = out["column"] * org.burst_length
        return out

    def flat(self, addresses, wrap: bool = False, where: str = "address") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fast decode for the simulator: (flat bank, row, column) as int32 arrays.

        The flat bank is ``((channel * ranks + rank) * bankgroups + bankgroup) * banks_per_group
        + bank`` (with SIDs the bank group counts over the rank's SIDs: ``sid * bankgroups +
        bankgroup``); the result equals :meth:`decode`'s (one compiled pass instead of many NumPy ones).
        """
        a = np.ascontiguousarray(addresses, dtype=np.uint64)
        if not wrap and a.size and int(a.max()) >= self.capacity_bytes:
            self.decode(a, wrap=False, where=where)  # raises with the index of the first bad one
        org = self.spec.organization
        shift = np.zeros(7, np.uint64)
        mask = np.zeros(7, np.uint64)
        for tok, sh, w in self.fields:
            k = TOKENS.index(tok)
            shift[k] = sh
            mask[k] = (1 << w) - 1
        bank = np.empty(a.size, np.int32)
        row = np.empty(a.size, np.int32)
        column = np.empty(a.size, np.int32)
        xor_mask = (1 << self._bank_bits) - 1 if self.xor_bank_hash else 0
        _flat_kernel(a, shift, mask, org.ranks, org.banks, xor_mask,
                     org.burst_length, bank, row, column)
        return bank, row, column

    def encode(self, *, channel=0, rank=0, bankgroup=0, bank=0, row=0, column=0, sid=0) -> np.ndarray:
        """Byte addresses (uint64) of the given coordinates (the inverse of :meth:`decode`).

        ``column`` is a device column address (a multiple of burst_length); arguments broadcast.
        """
        org = self.spec.organization
        values = {k: np.asarray(v, dtype=np.int64) for k, v in
                  dict(channel=channel, rank=rank, bankgroup=bankgroup, bank=bank, row=row,
                       column=column, sid=sid).items()}
        limits = {"channel": org.channels, "rank": org.ranks, "bankgroup": org.bankgroups,
                  "bank": org.banks_per_group, "row": org.rows, "column": org.columns, "sid": org.sids}
        for k, v in values.items():
            if np.any(v < 0) or np.any(v >= limits[k]):
                raise InputError(f"encode: {k} out of range; expected 0 <= {k} < {limits[k]}")
        values["column"] = values["column"] // org.burst_length
        if self.xor_bank_hash and self._bank_bits:
            flat = values["bankgroup"] * org.banks_per_group + values["bank"]
            flat = flat ^ (values["row"] & ((1 << self._bank_bits) - 1))
            values["bankgroup"] = flat // org.banks_per_group
            values["bank"] = flat % org.banks_per_group
        addr = np.zeros(np.broadcast(*values.values()).shape, dtype=np.uint64)
        for tok, shift, w in self.fields:
            addr |= (values[_FIELD[tok]].astype(np.uint64) & np.uint64((1 << w) - 1)) << np.uint64(shift)
        return addr


@njit(cache=True)
def _flat_kernel(a, shift, mask, ranks, banks, xor_mask, burst_length, bank, row, column):
    """One pass of :meth:`AddressMapping.flat`; shift/mask indexed like :data:`TOKENS`."""
    for i in range(a.shape[0]):
        x = a[i]
        ch = np.int64((x >> shift[0]) & mask[0])
        ra = np.int64((x >> shift[1]) & mask[1])
        bg = np.int64((x >> shift[2]) & mask[2])
        ba = np.int64((x >> shift[3]) & mask[3])
        ro = np.int64((x >> shift[4]) & mask[4])
        co = np.int64((x >> shift[5]) & mask[5])
        si = np.int64((x >> shift[6]) & mask[6])
        in_rank = ((si * np.int64(mask[2] + np.uint64(1)) + bg) * np.int64(mask[3] + np.uint64(1)) + ba) ^ (ro & xor_mask)
        bank[i] = (ch * ranks + ra) * banks + in_rank
        row[i] = ro
        column[i] = co * burst_length
