"""Training statistics, per-label averaging of samples, and summaries of scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BLOCK = 8192


def column_stats(x: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD (ddof 1) of each column, with zero SDs replaced by 1.

    A constant column then z-scores to 0 instead of NaN (dead ReLU units, flat voxels),
    so it gets zero weight and is predicted as its training mean.

    Parameters
    ----------
    x : numpy.ndarray, shape (n_rows, n_columns)
    rows : numpy.ndarray of int, shape (n_samples,), optional
        The samples as rows of `x` (repeats allowed: one row per image, several samples
        per image); the statistics are those of ``x[rows]``, which is never formed whole.

    Returns
    -------
    mean, std : numpy.ndarray, shape (n_columns,)
    """
    n_samples = x.shape[0] if rows is None else len(rows)
    if n_samples < 2:
        raise ValueError(f"need at least 2 training samples, got {n_samples}")
    mean = np.empty(x.shape[1])
    std = np.empty(x.shape[1])
    # Column blocks in float64: precise, and no full-size temporary for huge layers.
    for start in range(0, x.shape[1], _BLOCK):
        block = x[:, start : start + _BLOCK]
        block = (block if rows is None else block[rows]).astype(np.float64)
        mean[start : start + _BLOCK] = block.mean(axis=0)
        std[start : start + _BLOCK] = block.std(axis=0, ddof=1)
    std[std == 0] = 1.0
    return mean, std


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise a ValueError naming `name` and the count of its NaN and infinite entries, if any."""
    flat = x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)
    bad = sum(int((~np.isfinite(flat[:, s : s + _BLOCK])).sum())
              for s in range(0, flat.shape[1], _BLOCK))  # fmt: skip
    if bad:
        raise ValueError(f"{name} has {bad} NaN or infinite entries (of {x.size}); remove or "
                         "impute them (e.g. drop the voxels or samples) before fitting")  # fmt: skip


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
