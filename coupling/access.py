"""The weight reads an SNN accelerator makes, as DRAM request traces.

From the input-spike events an inference recorded (per sample: time step and input index of
every input spike), :func:`burst_reads` lists the bursts the accelerator reads, in order:

``"spike"`` (default; the spike-driven design)
    Each input spike at a time step fetches that input's ``N`` weights: the bursts of its input
    row (:meth:`coupling.layout.WeightLayout.row_bursts`), spikes in time order.
``"sample"``
    The whole matrix is streamed once per sample (at the sample's first time step).
``"step"``
    The whole matrix is streamed once per time step.

An optional on-chip weight buffer (:func:`lru_misses`, LRU over burst ids, capacity in bursts)
absorbs repeated reads; its contents persist from sample to sample, as on a real accelerator.
:func:`request_trace` turns the reads into a :class:`traces.RequestTrace`: the address of each
burst from the layout, arrival cycle ``floor((sample * n_steps + step) * step_ns / tck_ns)``
(every read of a time step is issued when the step begins; the controller queues them), or no
arrival at all for ``arrival="saturate"`` (requests back to back: DRAM throughput).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from dramsim.errors import InputError
from traces import RequestTrace

ACCESS_MODES = ("spike", "sample", "step")


@dataclass(frozen=True)
class BurstReads:
    """Burst reads in issue order.

    Attributes
    ----------
    burst : ndarray of int64
        Burst id (index into the layout) of each read.
    step : ndarray of int64
        Global time step of each read (``sample * n_steps + step``).
    sample : ndarray of int64
        Sample index of each read.
    n_samples, n_steps : int
        Samples covered and time steps per sample.
    """

    burst: np.ndarray
    step: np.ndarray
    sample: np.ndarray
    n_samples: int
    n_steps: int

    def __len__(self) -> int:
        return len(self.burst)

    def select(self, mask: np.ndarray) -> "BurstReads":
        return BurstReads(self.burst[mask], self.step[mask], self.sample[mask], self.n_samples, self.n_steps)


def burst_reads(layout, events, n_steps: int, access: str = "spike") -> BurstReads:
    """Bursts read for a sequence of samples.

    Parameters
    ----------
    layout : coupling.layout.WeightLayout
        Where the weights are.
    events : list of (steps, inputs) pairs of int arrays
        Per sample, the time step and input index of each input spike (any order; sorted here
        by time step, stable).
    n_steps : int
        Time steps per sample.
    access : str
        ``"spike"``, ``"sample"`` or ``"step"``.
    """
    if access not in ACCESS_MODES:
        raise InputError(f"access mode is {access!r}; expected one of {', '.join(ACCESS_MODES)}")
    if n_steps <= 0:
        raise InputError(f"n_steps is {n_steps}; expected a positive integer")
    n_samples = len(events)
    all_bursts = np.arange(layout.n_bursts, dtype=np.int64)
    if access == "sample":
        burst = np.tile(all_bursts, n_samples)
        sample = np.repeat(np.arange(n_samples, dtype=np.int64), layout.n_bursts)
        return BurstReads(burst, sample * n_steps, sample, n_samples, n_steps)
    if access == "step":
        total = n_samples * n_steps
        burst = np.tile(all_bursts, total)
        step = np.repeat(np.arange(total, dtype=np.int64), layout.n_bursts)
        return BurstReads(burst, step, step // n_steps, n_samples, n_steps)
    indptr, row_bursts = layout.row_bursts()
    parts_b, parts_s, parts_n = [], [], []
    for s, (steps, inputs) in enumerate(events):
        steps = np.asarray(steps, dtype=np.int64)
        inputs = np.asarray(inputs, dtype=np.int64)
        if len(steps) != len(inputs):
            raise InputError(f"sample {s}: {len(steps)} spike times but {len(inputs)} input indices")
        if len(inputs) and (inputs.min() < 0 or inputs.max() >= layout.n_inputs):
            raise InputError(f"sample {s}: input index out of range 0..{layout.n_inputs - 1}")
        order = np.argsort(steps, kind="stable")
        steps, inputs = steps[order], inputs[order]
        lengths = indptr[inputs + 1] - indptr[inputs]
        starts = np.repeat(indptr[inputs], lengths)
        offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        parts_b.append(row_bursts[starts + offset])
        parts_s.append(np.repeat(steps, lengths) + s * n_steps)
        parts_n.append(np.full(int(lengths.sum()), s, dtype=np.int64))
    cat = (lambda p: np.concatenate(p).astype(np.int64) if p else np.zeros(0, np.int64))
    return BurstReads(cat(parts_b), cat(parts_s), cat(parts_n), n_samples, n_steps)


@numba.njit(cache=True)
def _lru_kernel(ids, n_ids, capacity):
    miss = np.ones(len(ids), dtype=np.bool_)
    if capacity <= 0:
        return miss
    head = n_ids          # sentinel: head.next = most recent, head.prev = least recent
    nxt = np.full(n_ids + 1, -1, dtype=np.int64)
    prv = np.full(n_ids + 1, -1, dtype=np.int64)
    nxt[head] = head
    prv[head] = head
    cached = np.zeros(n_ids, dtype=np.bool_)
    count = 0
    for t in range(len(ids)):
        x = ids[t]
        if cached[x]:
            miss[t] = False
            nxt[prv[x]] = nxt[x]      # unlink
            prv[nxt[x]] = prv[x]
        else:
            if count == capacity:     # evict least recent
                lru = prv[head]
                nxt[prv[lru]] = head
                prv[head] = prv[lru]
                cached[lru] = False
                count -= 1
            cached[x] = True
            count += 1
        nxt[x] = nxt[head]            # insert at the front
        prv[x] = head
        prv[nxt[head]] = x
        nxt[head] = x
    return miss


def lru_misses(burst_ids: np.ndarray, n_ids: int, capacity_bursts: int) -> np.ndarray:
    """Which reads miss an LRU buffer of ``capacity_bursts`` bursts (True = read from DRAM).

    ``capacity_bursts = 0`` means no buffer: every read misses.
    """
    ids = np.ascontiguousarray(burst_ids, dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= n_ids):
        raise InputError(f"burst ids must lie in 0..{n_ids - 1}")
    if capacity_bursts < 0:
        raise InputError(f"buffer capacity is {capacity_bursts}; expected >= 0")
    return _lru_kernel(ids, int(n_ids), int(capacity_bursts))


def buffer_bursts(buffer_kib: float, burst_bytes: int) -> int:
    """Bursts that fit in a buffer of ``buffer_kib`` KiB."""
    if buffer_kib < 0:
        raise InputError(f"--buffer-kib is {buffer_kib}; expected >= 0")
    return int(buffer_kib * 1024 // burst_bytes)


def request_trace(reads: BurstReads, addresses: np.ndarray, *, tck_ns: float, step_ns: float = 1e6,
                  arrival: str = "step", buffer_capacity_bursts: int = 0) -> RequestTrace:
    """The DRAM read requests of a sequence of burst reads.

    Parameters
    ----------
    reads : BurstReads
        From :func:`burst_reads`.
    addresses : ndarray of uint64
        Physical address of each burst (``WeightLayout.addresses(mapping)``).
    tck_ns : float
        Memory clock period (ns).
    step_ns : float
        Duration of one accelerator time step (ns); default 1 ms (the engine's dt).
    arrival : str
        ``"step"`` (arrival at the start of each read's time step) or ``"saturate"`` (no arrival
        times: back-to-back requests).
    buffer_capacity_bursts : int
        On-chip LRU weight buffer, in bursts (0 = none).
    """
    if arrival not in ("step", "saturate"):
        raise InputError(f"arrival is {arrival!r}; expected 'step' or 'saturate'")
    if buffer_capacity_bursts:
        reads = reads.select(lru_misses(reads.burst, len(addresses), buffer_capacity_bursts))
    addr = np.asarray(addresses, dtype=np.uint64)[reads.burst]
    times = None
    if arrival == "step":
        if step_ns <= 0 or tck_ns <= 0:
            raise InputError("step_ns and tck_ns must be positive")
        times = np.floor(reads.step * (step_ns / tck_ns)).astype(np.int64)
    return RequestTrace(address=addr, is_write=np.zeros(len(addr), dtype=bool), arrival=times)
