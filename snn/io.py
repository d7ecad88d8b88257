"""Model files: ``.npz`` with weights, thresholds, label assignments and JSON metadata."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from .errors import InputError
from .network import Model
from .params import NetworkParams
from .quantize import check_precision, check_rounding

FORMAT = "enforcesnn-snn-model"
VERSION = 1


def atomic_write(path, write):
    """Call ``write(file_object)`` on a temp file in the same directory, then rename to ``path``
    (:func:`traces._atomic.atomic_write`: an ``OSError`` names ``path``, never the temp file)."""
    from traces._atomic import atomic_write as _atomic

    _atomic(path, write)


def save_model(path, model: Model) -> None:
    """Write ``model`` to ``path`` (.npz) atomically."""
    meta = {
        "format": FORMAT, "version": VERSION, "params": model.params.to_dict(),
        "precision_bits": model.precision_bits, "rounding": model.rounding,
        "quantized_training": model.quantized_training, "seed": model.seed,
        "n_neurons": model.n_neurons, "extra": model.extra,
    }

    def write(f):
        np.savez(f, weights=model.weights, theta=model.theta, assignments=model.assignments,
                 proportions=model.proportions, metadata=np.array(json.dumps(meta)))
    atomic_write(path, write)


def load_model(path) -> Model:
    """Read a model written by :func:`save_model`; checks format, version, shapes and parameters.

    A file without the ``input_intervals`` parameter (written before it existed) gets
    ``"exponential"``, the input encoding it was trained with.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise InputError(f"{path}: not a model file ({e})") from None
    need = ("weights", "theta", "assignments", "proportions", "metadata")
    missing = [k for k in need if k not in arrays]
    if missing:
        raise InputError(f"{path}: missing array(s) {', '.join(missing)}")
    try:
        meta = json.loads(str(arrays["metadata"]))
    except ValueError:
        raise InputError(f"{path}: metadata is not JSON") from None
    if meta.get("format") != FORMAT:
        raise InputError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise InputError(f"{path}: version {meta.get('version')!r}, this code reads version {VERSION}")
    stored = dict(meta["params"])
    # Files written before input_intervals existed were trained with exponential intervals.
    stored.setdefault("input_intervals", "exponential")
    params = NetworkParams.from_dict(stored)
    W = arrays["weights"]
    N = int(meta["n_neurons"])
    if W.shape != (params.n_inputs, N) or W.dtype != np.float32:
        raise InputError(f"{path}: weights shape {W.shape} {W.dtype}, expected ({params.n_inputs}, {N}) float32")
    for k, shape in (("theta", (N,)), ("assignments", (N,)), ("proportions", (N, 10))):
        if arrays[k].shape != shape:
            raise InputError(f"{path}: {k} shape {arrays[k].shape}, expected {shape}")
    check_precision(meta["precision_bits"])
    check_rounding(meta["rounding"])
    return Model(np.ascontiguousarray(W), arrays["theta"].astype(np.float64),
                 arrays["assignments"].astype(np.int64), arrays["proportions"].astype(np.float64),
                 params, int(meta["precision_bits"]), meta["rounding"], bool(meta["quantized_training"]),
                 int(meta["seed"]), dict(meta.get("extra", {})))
