"""The DRAM command trace: what a memory controller sent to the devices, one row per command.

Command codes are small integers indexing :data:`COMMANDS`; the simulator emits them, the timing
checker and the energy model read them, and :mod:`traces` writes them as our CSV or as DRAMPower 4/5
command traces.

The low-power commands are rank-wide (bank -1) and carry DRAMPower 4's names: power-down entry
``PDN_F_PRE`` / ``PDN_S_PRE`` (precharge power-down, fast / slow exit: DLL on / off) and
``PDN_F_ACT`` / ``PDN_S_ACT`` (active power-down, a row still open), power-down exit ``PUP_PRE`` /
``PUP_ACT``, self-refresh entry ``SREN`` and exit ``SREX``. An entry is the cycle CKE goes low, an
exit the cycle it goes high again.

``REFsb`` (DDR5 same-bank refresh) addresses a *bank set*: bank ``bank`` of every bank group of
the rank at once; its ``bankgroup`` is -1. It comes last so that the older codes keep their values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Command names; a command's code is its index here.
COMMANDS = ("ACT", "PRE", "PREA", "RD", "WR", "RDA", "WRA", "REF", "REFpb",
            "PDN_F_PRE", "PDN_S_PRE", "PDN_F_ACT", "PDN_S_ACT", "PUP_PRE", "PUP_ACT", "SREN", "SREX", "REFsb")
(ACT, PRE, PREA, RD, WR, RDA, WRA, REF, REFPB,
 PDN_F_PRE, PDN_S_PRE, PDN_F_ACT, PDN_S_ACT, PUP_PRE, PUP_ACT, SREN, SREX, REFSB) = range(len(COMMANDS))
CODE = {name: code for code, name in enumerate(COMMANDS)}
#: Commands that address a whole rank (their bankgroup, bank, row and column are -1).
RANK_COMMANDS = (PREA, REF, PDN_F_PRE, PDN_S_PRE, PDN_F_ACT, PDN_S_ACT, PUP_PRE, PUP_ACT, SREN, SREX)
#: Power-down entries, power-down exits, and all commands that change the CKE level.
POWERDOWN_ENTRIES = (PDN_F_PRE, PDN_S_PRE, PDN_F_ACT, PDN_S_ACT)
POWERDOWN_EXITS = (PUP_PRE, PUP_ACT)
LOW_POWER = POWERDOWN_ENTRIES + POWERDOWN_EXITS + (SREN, SREX)

#: Field names and dtypes of a command trace, in column order.
FIELDS = (
    ("cycle", np.int64),
    ("cmd", np.uint8),
    ("channel", np.int16),
    ("rank", np.int16),
    ("bankgroup", np.int16),
    ("bank", np.int16),
    ("row", np.int32),
    ("column", np.int32),
)


@dataclass(frozen=True)
class CommandTrace:
    """DRAM commands in issue order (non-decreasing ``cycle``).

    Parameters
    ----------
    cycle : ndarray of int64
        Memory-clock cycle at which the command is issued.
    cmd : ndarray of uint8
        Command code, an index into :data:`COMMANDS`.
    channel, rank, bankgroup, bank : ndarray of int16
        Target. ``bank`` is the bank index *within its bank group* (0 for standards without bank
        groups this is simply the bank). Fields that do not apply (the bank of a PREA or an
        all-bank REF, a low-power command: :data:`RANK_COMMANDS`) are -1.
    row : ndarray of int32
        The row an ACT opens or a RD/WR/RDA/WRA/PRE acts on (-1 for REFpb and rank commands).
    column : ndarray of int32
        Column of a RD/WR/RDA/WRA (-1 elsewhere). Column counts device column addresses, as in
        the standards, so consecutive bursts differ by the burst length.
    """

    cycle: np.ndarray
    cmd: np.ndarray
    channel: np.ndarray
    rank: np.ndarray
    bankgroup: np.ndarray
    bank: np.ndarray
    row: np.ndarray
    column: np.ndarray

    def __post_init__(self):
        n = len(self.cycle)
        for name, dtype in FIELDS:
            arr = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            if len(arr) != n:
                raise ValueError(f"command trace field {name!r} has {len(arr)} entries, cycle has {n}")
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return len(self.cycle)

    def counts(self) -> dict[str, int]:
        """Number of commands of each kind, keyed by name (every name present, zeros included)."""
        # in slices: bincount widens uint8 codes to int64, 8 bytes a command at once otherwise
        c = np.zeros(len(COMMANDS), np.int64)
        for i in range(0, len(self.cmd), 1 << 20):
            c += np.bincount(self.cmd[i:i + (1 << 20)], minlength=len(COMMANDS))[:len(COMMANDS)]
        return {name: int(c[i]) for i, name in enumerate(COMMANDS)}
