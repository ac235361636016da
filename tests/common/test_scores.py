import warnings

import numpy as np
import pytest
from bdpy.evals import metrics as bm

from common.scores import pairwise_identification, pattern_correlation, profile_correlation


@pytest.fixture
def pair(rng):
    true = rng.standard_normal((12, 4, 5))
    pred = 0.6 * true + rng.standard_normal((12, 4, 5))
    return pred, true


def test_profile_correlation_matches_bdpy(pair):
    pred, true = pair
    np.testing.assert_allclose(
        profile_correlation(pred, true), bm.profile_correlation(pred, true).ravel(), rtol=1e-10
    )


def test_pattern_correlation_matches_bdpy_with_training_stats(pair, rng):
    pred, true = pair
    mean, std = rng.standard_normal((4, 5)), rng.uniform(0.5, 2, (4, 5))
    np.testing.assert_allclose(
        pattern_correlation(pred, true, mean, std),
        bm.pattern_correlation(pred, true, mean=mean, std=std),
        rtol=1e-10,
    )


@pytest.mark.parametrize("metric", ["correlation", "euclidean"])
def test_pairwise_identification_matches_bdpy(pair, metric):
    pred, true = pair
    np.testing.assert_allclose(
        pairwise_identification(pred, true, metric=metric),
        bm.pairwise_identification(pred, true, metric=metric),
    )


def test_pairwise_identification_float32_and_ties_count_as_failures(pair):
    pred, true = (a.astype(np.float32) for a in pair)
    true[3] = true[0]  # candidate 3 duplicates candidate 0: a tie for sample 0
    ours = pairwise_identification(pred, true)
    assert ours.dtype == np.float64 and ours.shape == (12,)
    np.testing.assert_allclose(ours, bm.pairwise_identification(pred, true))
    perfect = pairwise_identification(true, true)
    assert perfect[0] == perfect[3] == pytest.approx(10 / 11)  # the twin ties, so it is no win
    assert np.all(np.delete(perfect, [0, 3]) == 1.0)


def test_nan_units_are_dropped_like_bdpy(pair):
    pred, true = (a.reshape(12, -1).copy() for a in pair)
    pred[2, 5] = np.nan
    true[:, 7] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(
            pairwise_identification(pred, true), bm.pairwise_identification(pred, true)
        )
        np.testing.assert_allclose(
            pattern_correlation(pred, true), bm.pattern_correlation(pred, true), rtol=1e-10
        )


def test_shape_mismatch_is_an_error(pair):
    pred, true = pair
    with pytest.raises(ValueError, match="units per sample"):
        pairwise_identification(pred, true[:, :3])
