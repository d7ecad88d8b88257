"""Training and inference loops of the Diehl & Cook network (public API of :mod:`snn`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numba
import numpy as np

from . import kernels
from .errors import InputError
from .params import BINDSNET, NetworkParams
from .quantize import check_precision, check_rounding, footprint_bytes, quantize
from .readout import assign_labels, predict_all_activity, predict_proportion
from .weights import PerReadSource, ReadEvents, StoredWeights, WeightSource

N_CLASSES = 10


@dataclass
class Model:
    """A trained network.

    Attributes
    ----------
    weights : float32 (n_inputs, N)
        Float (shadow) input weights as learned.
    theta : float64 (N,)
        Adaptive thresholds, mV.
    assignments : int64 (N,)
        Class per neuron (-1: never fired during training).
    proportions : float64 (N, 10)
        Per-neuron class proportions (for proportion weighting).
    params : NetworkParams
    precision_bits : int
        Precision the network runs at (32 = float32).
    rounding : str
        Rounding used to quantize to ``precision_bits``.
    quantized_training : bool
        Whether the network saw quantized weights during training.
    seed : int
        Training seed.
    """

    weights: np.ndarray
    theta: np.ndarray
    assignments: np.ndarray
    proportions: np.ndarray
    params: NetworkParams = BINDSNET
    precision_bits: int = 32
    rounding: str = "nearest"
    quantized_training: bool = False
    seed: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def n_neurons(self) -> int:
        return self.weights.shape[1]

    def network_weights(self, bits: int | None = None, rounding: str | None = None, seed: int = 0) -> np.ndarray:
        """The weights the network integrates at ``bits`` (default: the model's precision).

        For 32 bits this is ``self.weights`` itself (not a copy); otherwise a quantized copy.
        """
        bits = self.precision_bits if bits is None else check_precision(bits)
        rounding = self.rounding if rounding is None else rounding
        check_rounding(rounding)
        if bits == 32:
            return self.weights          # the stored matrix itself, no copy
        return quantize(self.weights, bits, rounding, rng=seed)


def _check_images(images, n_inputs, name="images"):
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != n_inputs:
        raise InputError(f"{name}: expected shape (n, {n_inputs}), got {images.shape}")
    if images.dtype != np.uint8:
        if images.size and (images.min() < 0 or images.max() > 255):
            raise InputError(f"{name}: expected pixel values 0..255")
        images = images.astype(np.uint8)
    return np.ascontiguousarray(images)


def _seeds(rng, n):
    return rng.integers(0, 2**31 - 1, size=n, dtype=np.int64)


def train(images, labels, n_neurons: int = 100, epochs: int = 1, params: NetworkParams = BINDSNET,
          seed: int = 0, precision: int = 32, rounding: str = "nearest",
          quantize_during_training: bool = False, update_interval: int = 250,
          progress: bool = False, on_interval=None, init: "Model | None" = None, forward_weights=None):
    """Train a network with STDP; assign labels every ``update_interval`` samples and at the end.

    Parameters
    ----------
    images : uint8 (n, n_inputs); labels : int (n,)
    n_neurons : int
        Excitatory (and inhibitory) neurons.
    epochs : int
        Passes over the data (same order every pass, as in BindsNET's eth_mnist).
    precision, rounding
        Precision of the resulting model. With ``quantize_during_training`` the network integrates
        quantized weights while STDP updates a float shadow copy; otherwise quantization is
        post-training.
    update_interval : int
        K: labels are re-assigned from the spike counts of each window of K samples (rates
        accumulate across windows, BindsNET alpha = 1), the last window included (BindsNET's
        ``eth_mnist.py`` assigns before each window and so never uses the last one).
    on_interval : callable, optional
        ``on_interval(samples_seen, model)`` after each window (for learning curves).
    init : Model, optional
        Continue training from this model's weights and thresholds (copied; ``n_neurons`` and
        ``params`` must match) instead of random initial weights. Labels are assigned afresh from
        this call's samples.
    forward_weights : callable, optional
        Fault-aware training hook. ``forward_weights(Wf, k) -> ndarray (n_inputs, N)`` is called
        before training sample ``k`` (counted over all epochs of this call) with the current float
        weights ``Wf`` (read only) and returns the matrix the forward pass of that sample integrates
        (e.g. quantized and corrupted by bit errors), or a per-read source
        (:class:`snn.weights.PerReadSource` with ``per_read = True``): the sample then integrates
        ``base_weights()`` with ``read_corrections(k, rows)`` on each weight-row read (transient
        errors, rows in the order of :func:`snn.kernels.read_events`). STDP still updates ``Wf``, and the returned
        matrix is fixed for the whole sample (returning ``Wf`` itself is plain training). Samples
        then run one at a time. With it,
        ``quantize_during_training`` is ignored (the callback quantizes). Unused (None): no cost.

    Returns
    -------
    model : Model
    history : dict with "window_accuracy" (training accuracy of each window, measured with the
        assignments before it, proportion weighting) and "s_per_sample".
    """
    images = _check_images(images, params.n_inputs)
    labels = np.asarray(labels).astype(np.int64)
    if len(labels) != len(images):
        raise InputError(f"labels: expected {len(images)} entries, got {len(labels)}")
    if int(n_neurons) < 1 or int(epochs) < 1 or int(update_interval) < 1:
        raise InputError("n_neurons, epochs and update_interval must be >= 1")
    bits = check_precision(precision)
    qmode = check_rounding(rounding)
    rng = np.random.default_rng(seed)
    N = int(n_neurons)
    if init is None:
        Wf = (params.w_init_scale * rng.random((params.n_inputs, N))).astype(np.float32)
        theta = np.zeros(N, np.float64)
    else:
        if init.n_neurons != N or init.params != params:
            raise InputError(f"init: model has {init.n_neurons} neurons and its own parameters; "
                             f"expected {N} neurons and the same parameters")
        Wf = np.array(init.weights, dtype=np.float32, order="C", copy=True)
        theta = np.array(init.theta, dtype=np.float64, copy=True)
    qtrain = bool(quantize_during_training) and bits != 32 and forward_weights is None
    W = Wf.copy() if qtrain else Wf
    qscale = float(1 << bits) if qtrain else 0.0
    p = params.kernel_array()
    cdf = params.interval_cdf()
    n = len(images)
    rates = None
    assignments = -np.ones(N, np.int64)
    proportions = np.zeros((N, N_CLASSES))
    window_acc = []
    model = Model(Wf, theta, assignments, proportions, params, bits, rounding, qtrain, seed)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n * epochs, unit="sample", desc="train")
    t0 = time.perf_counter()
    t_callbacks = 0.0
    seen = 0
    for epoch in range(int(epochs)):
        seeds = _seeds(rng, n)
        for a in range(0, n, update_interval):
            b = min(a + update_interval, n)
            counts = np.zeros((b - a, N), np.int32)
            last = epoch == int(epochs) - 1 and b == n
            if forward_weights is None:
                kernels.train_samples(W, Wf, theta, images[a:b], seeds[a:b], p, cdf, params.n_steps,
                                      qscale, qmode, not last, counts)
            else:
                for s in range(a, b):
                    _forward_sample(forward_weights(Wf, epoch * n + s), epoch * n + s, Wf, theta, images[s],
                                    seeds[s], p, cdf, params, not (last and s == b - 1), counts[s - a:s - a + 1], qmode)
            y = labels[a:b]
            if rates is not None:
                window_acc.append(float(np.mean(predict_proportion(counts, assignments, proportions) == y)))
            assignments, proportions, rates = assign_labels(counts, y, N_CLASSES, rates)
            model.assignments, model.proportions = assignments, proportions
            seen += b - a
            if bar is not None:
                bar.update(b - a)
            if on_interval is not None:
                tc = time.perf_counter()
                on_interval(seen, model)
                t_callbacks += time.perf_counter() - tc
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - t0 - t_callbacks
    return model, {"window_accuracy": window_acc, "s_per_sample": elapsed / max(seen, 1),
                   "rates": rates}


def _forward_sample(fw, k, Wf, theta, pixels, seed, p, cdf, params, clip, counts, qmode):
    """One training sample of the ``forward_weights`` path: a matrix, or a per-read source."""
    N = Wf.shape[1]
    if isinstance(fw, PerReadSource) and getattr(fw, "per_read", False):
        W = _checked_weights(fw.base_weights(), params.n_inputs, N)
        one = pixels[None, :]
        seeds = np.array([seed], np.int64)
        offs, _, rows = kernels.read_events(one, seeds, p, cdf, params.n_steps)
        ptr, col, val = _checked_corrections(fw.read_corrections(k, rows[offs[0]:offs[1]]), int(offs[1]), N)
        kernels.train_one_read_corrected(W, Wf, theta, pixels, seed, p, cdf, params.n_steps, clip, counts[0],
                                         ptr, col, val)
        return
    Wk = _checked_weights(fw, params.n_inputs, N)
    kernels.train_samples(Wk, Wf, theta, pixels[None, :], np.array([seed], np.int64), p, cdf, params.n_steps,
                          0.0, qmode, clip, counts)


def infer(model: Model, images, weights=None, seed: int = 0, record_reads: bool = False,
          progress: bool = False, chunk: int = 1000):
    """Excitatory spike counts of each sample with learning off.

    Parameters
    ----------
    model : Model
        Supplies theta and the parameters.
    weights : ndarray or WeightSource, optional
        What the network integrates; default the model's weights at its precision. A non-static
        source is asked for a matrix before every sample and samples run sequentially; a per-read
        source (``per_read = True``, :class:`snn.weights.PerReadSource`) gives its base matrix
        and, before every sample, corrections for individual row reads (samples run
        sequentially); otherwise samples run in parallel over the Numba threads.
    seed : int
        Input spikes of sample k depend only on (seed, k).
    record_reads : bool
        Also return :class:`ReadEvents` (which weight rows are read at which step).

    Returns
    -------
    counts : int32 (n, N), and ReadEvents if ``record_reads``.
    """
    params = model.params
    images = _check_images(images, params.n_inputs)
    if weights is None:
        source = StoredWeights(model.network_weights())
    elif isinstance(weights, np.ndarray):
        source = StoredWeights(weights)
    elif isinstance(weights, WeightSource) or (isinstance(weights, PerReadSource) and weights.per_read):
        source = weights
    else:
        raise InputError("weights: expected an ndarray, a WeightSource or a PerReadSource")
    N = model.n_neurons
    p = params.kernel_array()
    cdf = params.interval_cdf()
    n = len(images)
    seeds = _seeds(np.random.default_rng([seed, 0x5eed]), n)
    counts = np.zeros((n, N), np.int32)
    theta = np.ascontiguousarray(model.theta, dtype=np.float64)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n, unit="sample", desc="infer")
    events = None
    if getattr(source, "per_read", False):
        W = _checked_weights(source.base_weights(), params.n_inputs, N)
        events = ReadEvents(*kernels.read_events(images, seeds, p, cdf, params.n_steps))
        for k in range(n):
            rows = events.input[events.offsets[k]:events.offsets[k + 1]]
            ptr, col, val = _checked_corrections(source.read_corrections(k, rows), len(rows), N)
            kernels.infer_one(W, theta, images[k], seeds[k], p, cdf, params.n_steps, counts[k], ptr, col, val)
            if bar is not None:
                bar.update(1)
    elif source.is_static:
        W = _checked_weights(source.weights(0), params.n_inputs, N)
        previous = numba.set_parallel_chunksize(4)
        try:
            for a in range(0, n, chunk):
                b = min(a + chunk, n)
                kernels.infer_samples(W, theta, images[a:b], seeds[a:b], p, cdf, params.n_steps, counts[a:b])
                if bar is not None:
                    bar.update(b - a)
        finally:
            numba.set_parallel_chunksize(previous)
    else:
        for k in range(n):
            W = _checked_weights(source.weights(k), params.n_inputs, N)
            kernels.infer_one(W, theta, images[k], seeds[k], p, cdf, params.n_steps, counts[k], *_NO_CORRECTIONS)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if record_reads:
        if events is None:
            events = ReadEvents(*kernels.read_events(images, seeds, p, cdf, params.n_steps))
        return counts, events
    return counts


_NO_CORRECTIONS = (None, None, None)


def _checked_corrections(corr, m, N):
    """Validate a per-read source's (indptr, cols, values) for a sample with ``m`` reads."""
    try:
        ptr, col, val = corr
    except (TypeError, ValueError):
        raise InputError("weight source: read_corrections must return (indptr, cols, values)") from None
    ptr = np.ascontiguousarray(ptr, dtype=np.int64)
    col = np.ascontiguousarray(col, dtype=np.int32)
    val = np.ascontiguousarray(val, dtype=np.float32)
    if ptr.shape != (m + 1,) or ptr[0] != 0 or np.any(np.diff(ptr) < 0) or ptr[-1] != len(col) \
            or len(val) != len(col):
        raise InputError(f"weight source: read_corrections expected indptr of {m + 1} non-decreasing "
                         "offsets from 0 to len(cols) and as many values as cols")
    if len(col) and (col.min() < 0 or col.max() >= N):
        raise InputError(f"weight source: read_corrections column outside 0..{N - 1}")
    if not np.all(np.isfinite(val)):
        raise InputError("weight source: read_corrections values must be finite")
    return ptr, col, val


def _checked_weights(W, n_inputs, N):
    W = np.asarray(W)
    if W.shape != (n_inputs, N):
        raise InputError(f"weight source: expected shape ({n_inputs}, {N}), got {W.shape}")
    return np.ascontiguousarray(W, dtype=np.float32)


def evaluate(model: Model, images, labels, precision: int | None = None, rounding: str | None = None,
             weights=None, seed: int = 0, progress: bool = False, per_sample: bool = False) -> dict:
    """Accuracy of both readouts on labelled data.

    ``precision`` quantizes the model's float weights post-training (default: the model's own);
    ``weights`` (ndarray or WeightSource) overrides them.

    Returns
    -------
    dict with accuracy_all_activity, accuracy_proportion (fractions), samples, s_per_sample,
    neurons, precision_bits, footprint_bytes (input weights, dense packing), spikes_per_sample;
    with ``per_sample=True`` also ``correct_all_activity`` and ``correct_proportion`` (bool arrays,
    one entry per sample: the paired data for intervals and tests on identical digits).
    """
    labels = np.asarray(labels).astype(np.int64)
    if len(labels) != len(images):
        raise InputError(f"labels: expected {len(images)} entries, got {len(labels)}")
    bits = model.precision_bits if precision is None else check_precision(precision)
    if weights is None:
        weights = model.network_weights(bits, rounding, seed)
    t0 = time.perf_counter()
    counts = infer(model, images, weights=weights, seed=seed, progress=progress)
    dt = time.perf_counter() - t0
    pa = predict_all_activity(counts, model.assignments)
    pp = predict_proportion(counts, model.assignments, model.proportions)
    n = len(labels)
    extra = {"correct_all_activity": pa == labels, "correct_proportion": pp == labels} if per_sample else {}
    return {
        **extra,
        "accuracy_all_activity": float(np.mean(pa == labels)) if n else float("nan"),
        "accuracy_proportion": float(np.mean(pp == labels)) if n else float("nan"),
        "samples": int(n),
        "s_per_sample": dt / max(n, 1),
        "neurons": int(model.n_neurons),
        "precision_bits": int(bits),
        "footprint_bytes": footprint_bytes(model.params.n_inputs, model.n_neurons, bits),
        "spikes_per_sample": float(counts.sum() / max(n, 1)),
    }
