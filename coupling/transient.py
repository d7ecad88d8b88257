"""Transient DRAM bit errors drawn independently on every read of a weight row.

A spike of input ``i`` makes the accelerator read row ``i`` of the weight matrix (its
``n_neurons`` weights, ``n_neurons x bits`` stored bits). With transient errors every such read
flips each of those bits independently with the flip probability of the cell it is stored in
(:class:`coupling.faults.FaultModel`: device BER, bank weakness, weak wordlines or bitlines,
data dependence), so two reads of the same row usually see different flips.

Sampling costs time in proportion to the flips, not to the bits read. :class:`RowFlipTable`
lists, once per (layout, fault model, BER), the *candidate* cells of every row -- the bits with a
non-zero flip probability -- as segments of consecutive stream bits of equal probability.
For one read of row ``i`` the flips are the points of a Bernoulli process at the row's largest
probability ``p_max`` over its candidates, found by geometric skips (``floor(log U / log(1 - p_max))``
candidates between two points), each kept with probability ``p / p_max`` of its segment
(thinning, exact). EDEN model 3 (data dependent) is thinned once more by the stored bit value,
as in :meth:`FaultModel.sample_flips`.

Randomness: one xorshift64 stream per sample, seeded from the caller's integer seed and consumed
in read order, so the flips of a sample depend only on (seed, read list).
"""
from __future__ import annotations

import numba
import numpy as np

from coupling.faults import FaultModel
from coupling.layout import WeightLayout
from dramsim.errors import InputError
from snn.kernels import xorshift_uniform as _uniform


class RowFlipTable:
    """Candidate cells of every weight row and their flip probabilities at one BER.

    Parameters
    ----------
    layout : WeightLayout
        Where every bit is stored.
    faults : FaultModel
        The device's weak cells and error model.
    ber : float
        Device-mean bit error rate (0..1).

    Attributes
    ----------
    row_ptr : int64 (n_inputs + 1,)
        Segments of row ``i`` are ``row_ptr[i]:row_ptr[i + 1]``.
    seg_start : int64
        First stream bit of each segment.
    seg_offset : int64
        Candidate index of the segment's first bit within its row (0 for the first segment).
    seg_p : float64
        Flip probability of the segment's bits (model 3: the larger of its two probabilities).
    row_candidates : int64 (n_inputs,)
        Candidate bits of each row.
    row_pmax : float64 (n_inputs,)
        Largest segment probability of each row (0 if none).
    """

    def __init__(self, layout: WeightLayout, faults: FaultModel, ber: float):
        if not 0 <= ber <= 1:
            raise InputError(f"ber is {ber!r}; expected a probability in [0, 1]")
        self.layout, self.faults, self.ber = layout, faults, float(ber)
        pr = faults.profile
        B = layout.geometry.burst_bits
        p_burst = faults.candidate_probability(layout, self.ber)
        n_in, N, bits = layout.n_inputs, layout.n_neurons, layout.bits
        if pr.model == 1:
            # one segment per weak-bitline cell of the weights' bursts
            cols = layout.burst_col[:, None] * B + np.arange(B)[None, :]
            burst, bit = np.nonzero(faults.weak_bitlines[layout.flat_bank[:, None], cols])
            start = burst * B + bit
            start = start[start < layout.n_bits]
            length = np.ones(len(start), np.int64)
            row, _, _ = layout.weight_of(start)
            p = p_burst[start // B]
        else:
            # runs of consecutive stream bits of one row, cut at burst boundaries
            i = np.arange(n_in, dtype=np.int64)
            if layout.packing == "weight":
                run_row, run_a = i, i * N * bits
                run_b = run_a + N * bits
            else:
                plane = np.arange(bits, dtype=np.int64)
                run_row = np.tile(i, bits)
                run_a = np.repeat(plane, n_in) * (n_in * N) + run_row * N
                run_b = run_a + N
            first, last = run_a // B, (run_b - 1) // B
            n_pieces = last - first + 1
            piece_run = np.repeat(np.arange(len(run_a)), n_pieces)
            burst = first[piece_run] + (np.arange(n_pieces.sum()) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces))
            start = np.maximum(run_a[piece_run], burst * B)
            length = np.minimum(run_b[piece_run], (burst + 1) * B) - start
            row = run_row[piece_run]
            p = p_burst[burst]
        keep = p > 0
        row, start, length, p = row[keep], start[keep], length[keep], p[keep]
        order = np.lexsort((start, row))
        row, self.seg_start, length, self.seg_p = row[order], start[order].astype(np.int64), length[order], p[order]
        counts = np.bincount(row, minlength=n_in)
        self.row_ptr = np.zeros(n_in + 1, np.int64)
        self.row_ptr[1:] = np.cumsum(counts)
        cum = np.cumsum(length) - length                       # global offset of each segment
        self.seg_offset = (cum - np.repeat(cum[self.row_ptr[:-1][counts > 0]], counts[counts > 0])).astype(np.int64)
        self.row_candidates = np.bincount(row, weights=length, minlength=n_in).astype(np.int64)
        self.row_pmax = np.zeros(n_in)
        np.maximum.at(self.row_pmax, row, self.seg_p)

    def sample(self, rows, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Flips of a sequence of row reads (before model 3's value thinning).

        Parameters
        ----------
        rows : int (m,)
            Row read by each read, in read order.
        seed : int
            Seed of the sample's random stream (same seed and rows, same flips).

        Returns
        -------
        read : int64
            Read index (into ``rows``) of each flip, non-decreasing.
        position : int64
            Stream bit that flips (ascending within a read).
        """
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.layout.n_inputs):
            raise InputError(f"rows: expected row indices 0..{self.layout.n_inputs - 1}")
        state = np.array([(int(seed) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF) | 1], dtype=np.uint64)
        return _sample_reads(rows, self.row_ptr, self.seg_start, self.seg_offset, self.seg_p,
                             self.row_candidates, self.row_pmax, state)


@numba.njit(cache=True)
def _sample_reads(rows, row_ptr, seg_start, seg_offset, seg_p, row_candidates, row_pmax, state):
    cap = 64
    out_r = np.empty(cap, np.int64)
    out_pos = np.empty(cap, np.int64)
    n = 0
    for r in range(rows.shape[0]):
        i = rows[r]
        total = row_candidates[i]
        pm = row_pmax[i]
        if total == 0 or pm <= 0.0:
            continue
        a = row_ptr[i]
        b = row_ptr[i + 1]
        log_q = np.log1p(-pm) if pm < 1.0 else 0.0
        x = -1
        while True:
            if pm >= 1.0:
                x += 1
            else:
                gap = np.floor(np.log(1.0 - _uniform(state)) / log_q)    # failures before the next flip
                if gap >= total - x - 1:
                    break
                x += 1 + np.int64(gap)
            if x >= total:
                break
            s = a + np.searchsorted(seg_offset[a:b], x, side="right") - 1
            if seg_p[s] < pm and _uniform(state) * pm >= seg_p[s]:
                continue
            if n == cap:
                cap *= 2
                grown = np.empty(cap, np.int64)
                grown[:n] = out_r[:n]
                out_r = grown
                grown = np.empty(cap, np.int64)
                grown[:n] = out_pos[:n]
                out_pos = grown
            out_r[n] = r
            out_pos[n] = seg_start[s] + (x - seg_offset[s])
            n += 1
    return out_r[:n].copy(), out_pos[:n].copy()
