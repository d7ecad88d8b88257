"""Weight quantization: unsigned fixed point with b fractional bits, and the float32 baseline.

Bit layout (what the coupling layer packs into DRAM and flips bits in):

* ``bits`` in {2, 4, 6, 8, 10, 12, 16}: a weight is the unsigned integer code ``c`` in
  ``0 .. 2**bits - 1`` with value ``c / 2**bits`` (no integer bits, so values lie in
  [0, 1 - 2**-bits]; larger values saturate). Bit k of the code has weight 2**(k - bits);
  the most significant bit (k = bits - 1) is worth 0.5. Codes are stored in the smallest unsigned
  NumPy type that holds them (uint8 for bits <= 8, uint16 otherwise).
* ``bits == 32``: the float32 baseline; the code is the raw IEEE-754 bit pattern as uint32
  (``W.view(np.uint32)``: bit 31 sign, bits 30-23 exponent, bits 22-0 mantissa).

:func:`to_codes` and :func:`from_codes` are exact inverses on quantized matrices.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError

#: Supported precisions, bits per weight (32 = float32 baseline).
PRECISIONS = (32, 16, 12, 10, 8, 6, 4, 2)
#: Rounding modes: round half up, truncation (floor), stochastic (floor(x + U[0, 1))).
ROUNDINGS = ("nearest", "truncate", "stochastic")


def check_precision(bits) -> int:
    """Validate a precision (bits per weight) and return it as int."""
    try:
        b = int(bits)
    except (TypeError, ValueError):
        raise InputError(f"precision: expected one of {PRECISIONS}, got {bits!r}") from None
    if b not in PRECISIONS or b != bits:
        raise InputError(f"precision: expected one of {PRECISIONS}, got {bits!r}")
    return b


def check_rounding(rounding: str) -> int:
    """Validate a rounding mode; return its kernel code (0 nearest, 1 truncate, 2 stochastic)."""
    if rounding not in ROUNDINGS:
        raise InputError(f"rounding: expected one of {', '.join(ROUNDINGS)}, got {rounding!r}")
    return ROUNDINGS.index(rounding)


def code_dtype(bits: int):
    """The unsigned NumPy dtype holding codes of ``bits`` bits."""
    bits = check_precision(bits)
    return np.uint32 if bits == 32 else (np.uint8 if bits <= 8 else np.uint16)


def quantize_codes(W, bits: int, rounding: str = "nearest", rng=None) -> np.ndarray:
    """Quantize a float matrix to integer codes (see the module docstring for the layout).

    Parameters
    ----------
    W : array_like of float
        Weights (dimensionless).
    bits : int
        Precision in bits; 32 returns the float32 bit patterns.
    rounding : {"nearest", "truncate", "stochastic"}
        Rounding mode; ``"stochastic"`` needs ``rng`` (a numpy Generator or a seed).
    rng : numpy.random.Generator or int, optional
        Source of randomness for stochastic rounding.
    """
    bits = check_precision(bits)
    mode = check_rounding(rounding)
    W = np.asarray(W, dtype=np.float32)
    if bits == 32:
        return W.copy().view(np.uint32)
    y = W.astype(np.float64) * (1 << bits)
    if mode == 0:
        c = np.floor(y + 0.5)
    elif mode == 1:
        c = np.floor(y)
    else:
        if rng is None:
            raise InputError("rounding 'stochastic' needs a seed or random generator")
        rng = np.random.default_rng(rng)
        c = np.floor(y + rng.random(y.shape))
    np.clip(c, 0, (1 << bits) - 1, out=c)
    return c.astype(code_dtype(bits))


def to_codes(W, bits: int) -> np.ndarray:
    """Codes of an already-quantized matrix (exact; raises if W is not on the grid).

    For bits == 32 this is ``W.astype(float32).view(uint32)``.
    """
    bits = check_precision(bits)
    W = np.asarray(W, dtype=np.float32)
    if bits == 32:
        return W.copy().view(np.uint32)
    y = W.astype(np.float64) * (1 << bits)
    c = np.rint(y)
    if not np.array_equal(c, y) or c.size and (c.min() < 0 or c.max() > (1 << bits) - 1):
        raise InputError(f"weights are not representable with {bits} fractional bits; quantize them first")
    return c.astype(code_dtype(bits))


def from_codes(codes, bits: int) -> np.ndarray:
    """Float32 weights from codes (inverse of :func:`to_codes`)."""
    bits = check_precision(bits)
    codes = np.asarray(codes)
    if bits == 32:
        return codes.astype(np.uint32).view(np.float32).copy()
    if codes.size and codes.max() > (1 << bits) - 1:
        raise InputError(f"code larger than {(1 << bits) - 1} for {bits} bits")
    return (codes.astype(np.float64) / (1 << bits)).astype(np.float32)


def quantize(W, bits: int, rounding: str = "nearest", rng=None) -> np.ndarray:
    """Quantized float32 copy of ``W`` (bits == 32 returns a float32 copy)."""
    bits = check_precision(bits)
    if bits == 32:
        return np.array(W, dtype=np.float32, copy=True)
    return from_codes(quantize_codes(W, bits, rounding, rng), bits)


def footprint_bytes(n_inputs: int, n_neurons: int, bits: int) -> int:
    """Bytes of the input weight matrix with dense bit packing (ceil(n_inputs x n_neurons x bits / 8))."""
    bits = check_precision(bits)
    return -(-int(n_inputs) * int(n_neurons) * bits // 8)
