"""Label assignment and the two readouts of Diehl & Cook (as in BindsNET's ``evaluation``)."""
from __future__ import annotations

import numpy as np


def assign_labels(counts, labels, n_classes: int = 10, rates=None, alpha: float = 1.0):
    """Assign each neuron the class for which it fired most on average.

    Parameters
    ----------
    counts : ndarray (n_samples, N)
        Excitatory spike counts per sample.
    labels : ndarray (n_samples,)
        Class of each sample.
    rates : ndarray (N, n_classes), optional
        Accumulated per-class mean counts of earlier windows; updated as
        ``rates = alpha x rates + mean counts of this window`` (BindsNET, alpha = 1).

    Returns
    -------
    assignments : int64 (N,)
        Class per neuron; -1 for a neuron that never fired (BindsNET would give it class 0).
    proportions : float64 (N, n_classes)
        rates normalised per neuron (0 for silent neurons).
    rates : float64 (N, n_classes)
    """
    counts = np.asarray(counts, dtype=np.float64)
    labels = np.asarray(labels)
    N = counts.shape[1]
    rates = np.zeros((N, n_classes)) if rates is None else alpha * np.asarray(rates, dtype=np.float64)
    for c in range(n_classes):
        sel = labels == c
        if sel.any():
            rates[:, c] += counts[sel].mean(axis=0)
    total = rates.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        proportions = np.where(total > 0, rates / total, 0.0)
    assignments = np.where(total[:, 0] > 0, proportions.argmax(axis=1), -1)
    return assignments, proportions, rates


def predict_all_activity(counts, assignments, n_classes: int = 10) -> np.ndarray:
    """Class with the highest mean spike count over the neurons assigned to it."""
    counts = np.asarray(counts, dtype=np.float64)
    score = np.zeros((counts.shape[0], n_classes))
    for c in range(n_classes):
        sel = assignments == c
        if sel.any():
            score[:, c] = counts[:, sel].sum(axis=1) / sel.sum()
    return score.argmax(axis=1)


def predict_proportion(counts, assignments, proportions, n_classes: int = 10) -> np.ndarray:
    """Proportion weighting: sum over neurons of class c of proportion[n, c] x count, / their number."""
    counts = np.asarray(counts, dtype=np.float64)
    score = np.zeros((counts.shape[0], n_classes))
    for c in range(n_classes):
        sel = assignments == c
        if sel.any():
            score[:, c] = counts[:, sel] @ proportions[sel, c] / sel.sum()
    return score.argmax(axis=1)
