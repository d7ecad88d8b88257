"""The weight-read hook: where the network gets the weights it integrates.

Inference never reads the model's weights directly; it asks a :class:`WeightSource`. The default,
:class:`StoredWeights`, returns the stored (quantized) matrix itself, with no copy. The coupling
layer substitutes a source that returns weights read from simulated DRAM with bit errors:

* persistent corruption: ``is_static = True``; ``weights(0)`` is called once and the matrix is used
  for every sample (samples then run in parallel);
* transient corruption: ``is_static = False``; ``weights(k)`` is called before sample k and the
  samples run one after the other.

Which weight rows a spike-driven accelerator reads at which step is returned by
``snn.network.infer(..., record_reads=True)`` (:class:`ReadEvents`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class WeightSource(Protocol):
    """Anything that hands the network its input weight matrix.

    Attributes
    ----------
    is_static : bool
        True if :meth:`weights` returns the same matrix for every sample.
    """

    is_static: bool

    def weights(self, sample_index: int) -> np.ndarray:
        """Weights (n_inputs, n_neurons), float32, C-contiguous, values the network integrates."""
        ...


class StoredWeights:
    """Default source: the stored matrix itself (no copy), static."""

    is_static = True

    def __init__(self, W: np.ndarray):
        self._W = np.ascontiguousarray(W, dtype=np.float32)

    def weights(self, sample_index: int) -> np.ndarray:
        return self._W


@dataclass(frozen=True)
class ReadEvents:
    """Spike-driven weight-row reads, CSR by sample.

    Reads of sample k are ``step[offsets[k]:offsets[k+1]]`` (the step, 0-based, at which row
    ``input[...]`` of the weight matrix is integrated) in step order then ascending input.

    Attributes
    ----------
    offsets : int64 (n_samples + 1,)
    step : int32
    input : int32
    """

    offsets: np.ndarray
    step: np.ndarray
    input: np.ndarray

    def sample(self, k: int):
        """(step, input) arrays of sample k."""
        a, b = self.offsets[k], self.offsets[k + 1]
        return self.step[a:b], self.input[a:b]

    @property
    def n_samples(self) -> int:
        return len(self.offsets) - 1
