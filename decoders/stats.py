"""Training statistics, per-label averaging of samples, and summaries of scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BLOCK = 8192


def column_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD (ddof 1) of each column, with zero SDs replaced by 1.

    A constant column then z-scores to 0 instead of NaN (dead ReLU units, flat voxels),
    so it gets zero weight and is predicted as its training mean.

    Parameters
    ----------
    x : numpy.ndarray, shape (n_samples, n_columns)

    Returns
    -------
    mean, std : numpy.ndarray, shape (n_columns,)
    """
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 training samples, got {x.shape[0]}")
    mean = np.empty(x.shape[1])
    std = np.empty(x.shape[1])
    # Column blocks in float64: precise, and no full-size temporary for huge layers.
    for start in range(0, x.shape[1], _BLOCK):
        block = x[:, start : start + _BLOCK].astype(np.float64)
        mean[start : start + _BLOCK] = block.mean(axis=0)
        std[start : start + _BLOCK] = block.std(axis=0, ddof=1)
    std[std == 0] = 1.0
    return mean, std


def average_by_label(x: np.ndarray, labels: Sequence) -> tuple[np.ndarray, list]:
    """Average samples that share a label, keeping the order of first appearance.

    Parameters
    ----------
    x : numpy.ndarray, shape (n_samples, ...)
        Samples (e.g. test fMRI trials).
    labels : sequence, length n_samples
        Label of each sample.

    Returns
    -------
    x_avg : numpy.ndarray, shape (n_labels, ...)
        Mean over the samples of each label.
    unique_labels : list
        Labels in order of first appearance.
    """
    labels = list(labels)
    if len(labels) != x.shape[0]:
        raise ValueError(f"{len(labels)} labels for {x.shape[0]} samples")
    first: dict = {}
    for label in labels:
        first.setdefault(label, len(first))
    group = np.array([first[label] for label in labels], dtype=np.int64)
    # Sort samples by label, then sum each contiguous run (NaN stays in its own label).
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(len(first)))
    work = x.astype(np.result_type(x.dtype, np.float32), copy=False)
    sums = np.add.reduceat(work[order], starts, axis=0)
    counts = np.bincount(group).reshape((-1,) + (1,) * (x.ndim - 1))
    return sums / counts, list(first)


def mean_sem(values: np.ndarray) -> tuple[float, float, int]:
    """Mean, standard error (ddof 1; NaN for fewer than 2) and count of the finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    sem = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return float(values.mean()), float(sem), len(values)
