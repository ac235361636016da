"""Metrics of decoded features (bdpy semantics), vectorised and dtype-agnostic.

All functions take arrays of shape (n_samples, ...) and flatten the trailing dimensions.
"""

from __future__ import annotations

import warnings

import numpy as np


def _flat(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a.reshape(a.shape[0], -1)


def _check_pair(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, t = _flat(pred), _flat(true)
    if p.shape[1] != t.shape[1]:
        raise ValueError(f"pred has {p.shape[1]} units per sample but true has {t.shape[1]}")
    return p, t


def _drop_nan_columns(p: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop units that are NaN in any sample of either array (bdpy's remove_nan)."""
    bad = np.isnan(p).any(axis=0) | np.isnan(t).any(axis=0)
    if bad.any():
        warnings.warn(f"NaN column removed ({int(bad.sum())})", stacklevel=3)
        p, t = p[:, ~bad], t[:, ~bad]
    return p, t


def _center_scale(a: np.ndarray, axis: int) -> np.ndarray:
    """Centre along `axis` and scale to unit norm, in float64 for stable sums."""
    a = a.astype(np.float64) - a.mean(axis=axis, keepdims=True, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return a / np.linalg.norm(a, axis=axis, keepdims=True)


def profile_correlation(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson correlation of each unit across samples.

    Parameters
    ----------
    pred, true : numpy.ndarray, shape (n_samples, ...)
        Decoded and true features.

    Returns
    -------
    numpy.ndarray, shape (n_units,)
        Correlation per unit (NaN for a constant unit).
    """
    p, t = _check_pair(pred, true)
    if p.shape[0] != t.shape[0]:
        raise ValueError(f"pred has {p.shape[0]} samples but true has {t.shape[0]}")
    return np.sum(_center_scale(p, 0) * _center_scale(t, 0), axis=0)


def pattern_correlation(
    pred: np.ndarray,
    true: np.ndarray,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
    remove_nan: bool = True,
) -> np.ndarray:
    """Pearson correlation of each sample's pattern across units.

    Parameters
    ----------
    pred, true : numpy.ndarray, shape (n_samples, ...)
        Decoded and true features.
    mean, std : numpy.ndarray, optional
        Training mean and SD of each unit (shape of one sample); both are z-scored with
        them first, as in the papers, so that high-variance units do not dominate.
    remove_nan : bool, optional
        Drop units that are NaN anywhere (bdpy's default).

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
    """
    p, t = _check_pair(pred, true)
    if p.shape[0] != t.shape[0]:
        raise ValueError(f"pred has {p.shape[0]} samples but true has {t.shape[0]}")
    if (mean is None) != (std is None):
        raise ValueError("give both mean and std, or neither")
    if mean is not None:
        m, s = np.asarray(mean).reshape(-1), np.asarray(std).reshape(-1)
        p, t = (p - m) / s, (t - m) / s
    if remove_nan:
        p, t = _drop_nan_columns(p, t)
    return np.sum(_center_scale(p, 1) * _center_scale(t, 1), axis=1)


def pairwise_identification(
    pred: np.ndarray,
    true: np.ndarray,
    metric: str = "correlation",
    remove_nan: bool = True,
) -> np.ndarray:
    """Pairwise identification accuracy of each predicted sample among the true ones.

    With similarity ``S[i, j]`` between ``pred[i]`` and ``true[j]`` (Pearson r, or minus
    the Euclidean distance), accuracy_i is the fraction of ``j != i`` with
    ``S[i, j] < S[i, i]``: ties count as failures and NaN similarities are left out of both
    the count and the number of candidates (bdpy semantics). Chance is 0.5.

    Parameters
    ----------
    pred : numpy.ndarray, shape (n_samples, ...)
        Decoded features (or pixels).
    true : numpy.ndarray, shape (n_candidates, ...)
        True features; ``true[i]`` is the correct candidate of ``pred[i]``.
    metric : {'correlation', 'euclidean'}
        Similarity measure.
    remove_nan : bool, optional
        Drop units that are NaN anywhere before computing similarities.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        Accuracy per sample; NaN when its own similarity ``S[i, i]`` is NaN.
    """
    p, t = _check_pair(pred, true)
    if p.shape[0] > t.shape[0]:
        raise ValueError(f"{p.shape[0]} predictions but only {t.shape[0]} candidates")
    if remove_nan:
        p, t = _drop_nan_columns(p, t)
    if metric == "correlation":
        sim = _center_scale(p, 1) @ _center_scale(t, 1).T
    elif metric == "euclidean":
        p64, t64 = p.astype(np.float64), t.astype(np.float64)
        sq = (p64**2).sum(1)[:, None] + (t64**2).sum(1)[None, :] - 2.0 * p64 @ t64.T
        sim = -np.sqrt(np.maximum(sq, 0.0))
    else:
        raise ValueError(f"metric must be 'correlation' or 'euclidean', got {metric!r}")
    n = p.shape[0]
    own = sim[np.arange(n), np.arange(n)][:, None]
    valid = ~np.isnan(sim)
    wins = np.sum((sim < own) & valid, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = wins / (valid.sum(axis=1) - 1)
    accuracy[np.isnan(own[:, 0])] = np.nan
    return accuracy
