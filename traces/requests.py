"""The request trace: what a CPU, an accelerator or a trace file asks of the memory.

A :class:`RequestTrace` is three equal-length NumPy arrays (a column store). Every reader in
:mod:`traces` returns one and every writer takes one, so traces move between our simulator,
Ramulator 1/2 and DRAMsim3 without loss (as far as each format can carry the fields).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RequestTrace:
    """Memory requests in arrival order.

    Parameters
    ----------
    address : ndarray of uint64
        Physical byte address of each request.
    is_write : ndarray of bool
        True for a write (store), False for a read (load).
    arrival : ndarray of int64 or None
        Arrival cycle of each request in memory-clock cycles, non-decreasing; None when the
        format carries no time (the simulator then offers requests back to back,
        ``--arrival saturate``).
    """

    address: np.ndarray
    is_write: np.ndarray
    arrival: np.ndarray | None = None

    def __post_init__(self):
        object.__setattr__(self, "address", np.ascontiguousarray(self.address, dtype=np.uint64))
        object.__setattr__(self, "is_write", np.ascontiguousarray(self.is_write, dtype=np.bool_))
        n = len(self.address)
        if len(self.is_write) != n:
            raise ValueError(f"is_write has {len(self.is_write)} entries, address has {n}")
        if self.arrival is not None:
            arrival = np.ascontiguousarray(self.arrival, dtype=np.int64)
            if len(arrival) != n:
                raise ValueError(f"arrival has {len(arrival)} entries, address has {n}")
            object.__setattr__(self, "arrival", arrival)

    def __len__(self) -> int:
        return len(self.address)

    @property
    def reads(self) -> int:
        """Number of read requests."""
        return int(len(self) - np.count_nonzero(self.is_write))

    @property
    def writes(self) -> int:
        """Number of write requests."""
        return int(np.count_nonzero(self.is_write))
