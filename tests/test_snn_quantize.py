import numpy as np
import pytest

from snn.errors import InputError
from snn.quantize import (PRECISIONS, footprint_bytes, from_codes, quantize, quantize_codes, to_codes)

FIXED = [b for b in PRECISIONS if b != 32]


@pytest.mark.parametrize("bits", FIXED)
def test_nearest_within_half_step_and_round_trip(bits):
    rng = np.random.default_rng(1)
    W = rng.random((50, 7)).astype(np.float32) * (1 - 2.0**-bits)
    Q = quantize(W, bits, "nearest")
    assert np.all(np.abs(Q - W) <= 2.0**-bits / 2 + 1e-7)
    codes = to_codes(Q, bits)
    assert codes.dtype == (np.uint8 if bits <= 8 else np.uint16)
    assert np.array_equal(from_codes(codes, bits), Q)
    assert np.array_equal(to_codes(from_codes(codes, bits), bits), codes)


@pytest.mark.parametrize("bits", FIXED)
def test_truncate_is_floor_and_saturates(bits):
    W = np.array([0.0, 0.3, 0.999, 1.0, 1.7, -0.2], np.float32)
    c = quantize_codes(W, bits, "truncate")
    assert c[0] == 0 and c[-1] == 0
    assert c[3] == c[4] == 2**bits - 1          # saturation at 1 - 2**-bits
    assert c[1] == np.floor(np.float64(np.float32(0.3)) * 2**bits)


def test_stochastic_unbiased_and_seeded():
    W = np.full(200_000, 0.3, np.float32)
    a = quantize(W, 4, "stochastic", rng=5)
    b = quantize(W, 4, "stochastic", rng=5)
    assert np.array_equal(a, b)
    assert set(np.unique(a)) == {4 / 16, 5 / 16}
    assert abs(a.mean() - 0.3) < 1e-3
    with pytest.raises(InputError):
        quantize(W, 4, "stochastic")


def test_float32_baseline_codes_are_bit_patterns():
    W = np.array([[0.25, 1.5], [0.1, 0.0]], np.float32)
    c = to_codes(W, 32)
    assert c.dtype == np.uint32 and c[0, 0] == 0x3E800000
    assert np.array_equal(from_codes(c, 32), W)
    assert np.array_equal(quantize(W, 32), W)


def test_errors_and_footprint():
    with pytest.raises(InputError):
        quantize(np.zeros(3), 7)
    with pytest.raises(InputError):
        quantize(np.zeros(3), 8, "up")
    with pytest.raises(InputError):
        to_codes(np.array([0.1], np.float32), 4)   # not on the grid
    assert footprint_bytes(784, 100, 32) == 784 * 100 * 4
    assert footprint_bytes(784, 100, 8) == 78400
    assert footprint_bytes(784, 1, 6) == 588
    assert footprint_bytes(3, 1, 2) == 1


@pytest.mark.parametrize("qmode", [0, 1, 2])
def test_the_vectorized_row_quantizer_equals_the_per_weight_one(qmode):
    """The training kernel's row pass (``_quantize_row``, ``_clip_store_row``) gives exactly the
    values (and stochastic draws, in order) of the per-weight ``_quantize_value`` / ``_clip_store``."""
    from snn import kernels

    rng = np.random.default_rng(qmode)
    wf = rng.uniform(-0.1, 1.2, (3, 257)).astype(np.float32)
    wf[0, :5] = [0.0, 1.0, 0.5 / 256, 1.5 / 256, 255.5 / 256]             # ties at 8 bits
    for bits in (2, 8, 16):
        qscale = float(1 << bits)
        w_ref, wf_ref, rs_ref = np.zeros_like(wf), wf.copy(), np.array([12345], np.uint64)
        for i in range(wf.shape[0]):
            for j in range(wf.shape[1]):
                kernels._clip_store(w_ref, wf_ref, i, j, np.float32(0), np.float32(1), qscale, qscale - 1, qmode,
                                    rs_ref)
        w_row, wf_row, rs = np.zeros_like(wf), wf.copy(), np.array([12345], np.uint64)
        for i in range(wf.shape[0]):
            kernels._clip_store_row(w_row[i], wf_row[i], np.float32(0), np.float32(1), qscale, qscale - 1, qmode, rs)
        np.testing.assert_array_equal(w_row, w_ref)
        np.testing.assert_array_equal(wf_row, wf_ref)
        assert rs[0] == rs_ref[0]
        w_q, rs = np.zeros_like(wf), np.array([7], np.uint64)
        rs_ref = np.array([7], np.uint64)
        for i in range(wf.shape[0]):
            kernels._quantize_row(w_q[i], wf_ref[i], qscale, qscale - 1, qmode, rs)
        expect = np.array([[kernels._quantize_value(x, qscale, qscale - 1, qmode, rs_ref) for x in r] for r in wf_ref],
                          np.float32)
        np.testing.assert_array_equal(w_q, expect)
