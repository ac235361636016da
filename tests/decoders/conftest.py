"""Shared fixtures of the decoder tests: tiny synthetic fMRI and features."""

import pytest


@pytest.fixture
def regression_data(rng):
    """60 samples x 40 voxels, features (60, 3, 2, 2) linear in a few voxels plus noise."""
    X = rng.standard_normal((60, 40)) * rng.uniform(0.5, 3.0, 40) + rng.uniform(-2, 2, 40)
    X[:, 7] = 1.5  # a constant voxel, as flat voxels occur in real data
    W = rng.standard_normal((6, 12))
    Y = (X[:, :6] @ W + rng.standard_normal((60, 12))).reshape(60, 3, 2, 2) + 5.0
    X_test = rng.standard_normal((9, 40)) + X.mean(axis=0)
    return X, Y, X_test
