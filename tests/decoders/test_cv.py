import numpy as np
import pytest

from decoders.cv import cross_validate, exclusive_folds, fit_cv


def design(rng, n_runs=6, per_run=20):
    """Each image once per repetition; a repetition spreads all images over half the runs."""
    n_images = n_runs // 2 * per_run
    order = np.concatenate([rng.permutation(n_images), rng.permutation(n_images)])
    groups = np.repeat(np.arange(n_runs), per_run)
    return groups, np.array([f"img{i}" for i in order])


def test_exclusive_folds_keep_test_images_out_of_training():
    groups = np.array([0, 0, 1, 1, 2, 2])
    labels = np.array(["a", "b", "c", "a", "d", "e"])
    folds = exclusive_folds(groups, labels)
    np.testing.assert_array_equal(folds[0][1], [0, 1])
    np.testing.assert_array_equal(folds[0][0], [2, 4, 5])  # sample 3 shows image 'a'
    for train, test in folds:
        assert not set(labels[train]) & set(labels[test])
    assert len(exclusive_folds(groups, labels, n_folds=2)) == 2


def test_exclusive_folds_errors():
    with pytest.raises(ValueError, match="leaves no training sample"):
        exclusive_folds(["r1", "r1", "r2"], ["a", "b", "b"])
    with pytest.raises(ValueError, match="n_folds"):
        exclusive_folds([0, 1], ["a", "b"], n_folds=3)


def test_cross_validation_prefers_the_right_penalty(rng):
    groups, labels = design(rng)
    images = {lab: rng.standard_normal(6) for lab in labels}
    Y = np.stack([images[lab] for lab in labels])
    X = np.hstack([Y @ rng.standard_normal((6, 10)), rng.standard_normal((len(Y), 30))])
    X += 0.5 * rng.standard_normal(X.shape)
    result = cross_validate(
        X, Y, groups, labels, alphas=[1.0, 1e6], n_voxels=[10, None], dtype="float64"
    )
    assert result.fold_scores.shape == (6, 2, 2)
    assert result.best_alpha == 1.0
    assert result.scores[0].max() > 0.8 > result.scores[1].max()
    model, again = fit_cv(X, Y, groups, labels, alphas=[1.0, 1e6], n_voxels=[10], dtype="float64")
    assert model.alpha == 1.0 and again.best_n_voxels == 10 and hasattr(model, "weights_")
