"""The weight-read hook: where the network gets the weights it integrates.

Inference never reads the model's weights directly; it asks a :class:`WeightSource`. The default,
:class:`StoredWeights`, returns the stored (quantized) matrix itself, with no copy. The coupling
layer substitutes a source that returns weights read from simulated DRAM with bit errors:

* persistent corruption: ``is_static = True``; ``weights(0)`` is called once and the matrix is used
  for every sample (samples then run in parallel);
* corruption per sample: ``is_static = False``; ``weights(k)`` is called before sample k and the
  samples run one after the other;
* corruption per read (transient errors): ``per_read = True`` (see :class:`PerReadSource`). The
  network integrates ``base_weights()``, and before sample k asks
  ``read_corrections(k, rows)`` for the values that differ on each individual row read, where
  ``rows`` lists the weight rows the sample reads, in the order the engine reads them (the
  ``input`` column of :class:`ReadEvents` for sample k: the input spikes are known before a
  sample is integrated because they depend only on the image and the seed). Samples run one
  after the other. A source without ``per_read`` costs nothing extra.

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


@runtime_checkable
class PerReadSource(Protocol):
    """A weight source whose values may differ on every read of a weight row.

    Attributes
    ----------
    per_read : bool
        True: :func:`snn.network.infer` uses :meth:`base_weights` plus :meth:`read_corrections`
        (and never calls ``weights``).
    """

    per_read: bool

    def base_weights(self) -> np.ndarray:
        """Weights (n_inputs, n_neurons), float32, what every read returns unless corrected."""
        ...

    def read_corrections(self, sample_index: int, rows: np.ndarray):
        """Per-read replacement values of sample ``sample_index``.

        Parameters
        ----------
        sample_index : int
        rows : int32 (m,)
            Weight row (input index) of each read of the sample, in read order.

        Returns
        -------
        indptr : int64 (m + 1,)
        cols : int32
        values : float32
            While integrating read ``r``, neuron ``cols[c]`` receives ``values[c]`` instead of
            ``base[rows[r], cols[c]]`` for ``c`` in ``indptr[r]:indptr[r + 1]``.
        """
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
