"""Access traces from spike events, the LRU buffer, arrival cycles."""
import numpy as np
import pytest

from coupling.access import burst_reads, lru_misses, request_trace
from coupling.layout import Geometry, WeightLayout
from dramsim.errors import InputError

SMALL = Geometry(channels=1, ranks=1, bankgroups=1, banks_per_group=4, rows=64, bursts_per_row=8,
                 burst_length=8, burst_bits=512)


def _lru_reference(ids, capacity):
    cache, miss = [], []
    for x in ids:
        if x in cache:
            cache.remove(x)
            miss.append(False)
        else:
            miss.append(True)
            if capacity and len(cache) == capacity:
                cache.pop(0)
        if capacity:
            cache.append(x)
    return np.array(miss)


def test_lru_matches_a_list_reference():
    rng = np.random.default_rng(0)
    for capacity in (0, 1, 3, 10):
        ids = rng.integers(0, 20, 400)
        assert np.array_equal(lru_misses(ids, 20, capacity), _lru_reference(list(ids), capacity))


def test_spike_sample_step_modes():
    lay = WeightLayout(SMALL, 784, 16, 8, "drmap")      # 128 bits per input row: 4 rows per burst
    events = [(np.array([3, 0, 0]), np.array([9, 4, 5])), (np.array([1]), np.array([0]))]
    r = burst_reads(lay, events, n_steps=5, access="spike")
    # sample 0: rows 4, 5 at step 0 (burst 1), row 9 at step 3 (burst 2); sample 1: row 0 at step 1
    assert np.array_equal(r.burst, [1, 1, 2, 0])
    assert np.array_equal(r.step, [0, 0, 3, 6]) and np.array_equal(r.sample, [0, 0, 0, 1])
    assert len(burst_reads(lay, events, 5, "sample")) == 2 * lay.n_bursts
    assert len(burst_reads(lay, events, 5, "step")) == 2 * 5 * lay.n_bursts
    with pytest.raises(InputError):
        burst_reads(lay, events, 5, "often")
    with pytest.raises(InputError):
        burst_reads(lay, [(np.array([0]), np.array([784]))], 5)


def test_request_trace_arrival_and_buffer():
    lay = WeightLayout(SMALL, 784, 16, 8, "drmap")
    addr = np.arange(lay.n_bursts, dtype=np.uint64) * 64
    events = [(np.array([0, 2, 2]), np.array([4, 5, 4]))]
    r = burst_reads(lay, events, n_steps=4)
    t = request_trace(r, addr, tck_ns=1.25, step_ns=1000.0)
    assert np.array_equal(t.address, [64, 64, 64]) and np.array_equal(t.arrival, [0, 1600, 1600])
    t = request_trace(r, addr, tck_ns=1.25, step_ns=1000.0, buffer_capacity_bursts=1)
    assert len(t) == 1
    assert request_trace(r, addr, tck_ns=1.25, arrival="saturate").arrival is None
