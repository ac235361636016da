"""Choice of alpha and n by group-wise cross-validation over runs.

A fold tests on the samples of some runs and trains on the other runs' samples whose
image is not among the test images ("exclusive labels"), so that repeated presentations
of a test image never leak into training.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from common.scores import profile_correlation
from decoders.regression import FastL2Decoder
from decoders.stats import average_by_label


@dataclass
class CVResult:
    """Cross-validated scores of a grid of (alpha, n_voxels).

    Attributes
    ----------
    alphas, n_voxels : list
        The grid axes.
    fold_scores : numpy.ndarray, shape (n_folds, n_alphas, n_n_voxels)
        Mean profile correlation of each fold.
    best_alpha, best_n_voxels
        Grid point with the highest mean score over folds.
    """

    alphas: list[float]
    n_voxels: list[int | None]
    fold_scores: np.ndarray
    best_alpha: float
    best_n_voxels: int | None

    @property
    def scores(self) -> np.ndarray:
        """Mean score over folds, shape (n_alphas, n_n_voxels)."""
        return self.fold_scores.mean(axis=0)


def exclusive_folds(
    groups: Sequence, labels: Sequence, n_folds: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test indices of group-wise folds with exclusive labels.

    Parameters
    ----------
    groups : sequence, length n_samples
        Run (or session) of each sample.
    labels : sequence, length n_samples
        Image label of each sample.
    n_folds : int, optional
        Number of folds, each testing consecutive groups; one fold per group when None.

    Returns
    -------
    list of (train_index, test_index)
    """
    groups, labels = np.asarray(groups), np.asarray(labels)
    if groups.shape != labels.shape:
        raise ValueError(f"{groups.size} groups for {labels.size} labels")
    unique = list(dict.fromkeys(groups.tolist()))
    n_folds = len(unique) if n_folds is None else n_folds
    if not 2 <= n_folds <= len(unique):
        raise ValueError(f"n_folds must be in [2, {len(unique)}] (number of groups), got {n_folds}")
    folds = []
    for test_groups in np.array_split(np.array(unique, dtype=object), n_folds):
        test = np.isin(groups, list(test_groups))
        train = ~test & ~np.isin(labels, labels[test])
        if not train.any():
            raise ValueError(f"fold testing groups {list(test_groups)} leaves no training sample")
        folds.append((np.flatnonzero(train), np.flatnonzero(test)))
    return folds


def cross_validate(
    X: np.ndarray,
    Y: np.ndarray,
    groups: Sequence,
    labels: Sequence,
    alphas: Sequence[float] = (100.0,),
    n_voxels: Sequence[int | None] = (500,),
    n_folds: int | None = None,
    **decoder_params,
) -> CVResult:
    """Score every (alpha, n_voxels) by group-wise cross-validation.

    The score of a fold is the mean profile correlation (constant units ignored) between
    the predictions from test samples averaged per image and the features of those images.

    Parameters
    ----------
    X : numpy.ndarray, shape (n_samples, n_voxels_in)
        Training voxel patterns.
    Y : numpy.ndarray, shape (n_samples, ...)
        Features of each sample's image.
    groups, labels : sequence, length n_samples
        Run and image label of each sample.
    alphas, n_voxels : sequence
        Grid to search.
    n_folds : int, optional
        See :func:`exclusive_folds`.
    **decoder_params
        Other :class:`FastL2Decoder` parameters (dtype, device, chunk_size).

    Returns
    -------
    CVResult
    """
    alphas, n_voxels = list(alphas), list(n_voxels)
    folds = exclusive_folds(groups, labels, n_folds)
    labels = np.asarray(labels)
    scores = np.empty((len(folds), len(alphas), len(n_voxels)))
    for f, (train, test) in enumerate(folds):
        x_test, test_labels = average_by_label(X[test], labels[test].tolist())
        y_test = Y[test][[labels[test].tolist().index(lab) for lab in test_labels]]
        for (i, alpha), (j, n) in itertools.product(enumerate(alphas), enumerate(n_voxels)):
            model = FastL2Decoder(alpha=alpha, n_voxels=n, **decoder_params).fit(X[train], Y[train])
            scores[f, i, j] = np.nanmean(profile_correlation(model.predict(x_test), y_test))
    i, j = np.unravel_index(np.nanargmax(scores.mean(axis=0)), scores.shape[1:])
    return CVResult(alphas, n_voxels, scores, alphas[i], n_voxels[j])


def fit_cv(
    X: np.ndarray,
    Y: np.ndarray,
    groups: Sequence,
    labels: Sequence,
    alphas: Sequence[float] = (100.0,),
    n_voxels: Sequence[int | None] = (500,),
    n_folds: int | None = None,
    **decoder_params,
) -> tuple[FastL2Decoder, CVResult]:
    """Choose (alpha, n_voxels) by :func:`cross_validate`, then fit on all samples.

    Returns
    -------
    model : FastL2Decoder
        Fitted with the best grid point.
    result : CVResult
    """
    result = cross_validate(X, Y, groups, labels, alphas, n_voxels, n_folds, **decoder_params)
    model = FastL2Decoder(alpha=result.best_alpha, n_voxels=result.best_n_voxels, **decoder_params)
    return model.fit(X, Y), result
