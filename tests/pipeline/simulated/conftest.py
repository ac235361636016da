"""Fixtures of the demo-dataset tests: a tiny configuration, built once per session."""

from __future__ import annotations

import copy

import pytest

from pipeline.simulated import build_dataset, config_from_dict

#: A configuration small enough to build in a few seconds on 2 cores.
TINY = {
    "stimuli": {"image_size": 48, "n_train": 60, "n_test": 10, "n_dead_leaves": 4},
    "model": {"n_voxels": {"V1": 100, "V2": 80, "V3": 80, "V4": 60, "HVC": 100}},
    "design": {
        "train_reps": 2,
        "test_reps": 4,
        "artificial_reps": 2,
        "letter_reps": 2,
        "trials_per_run": 25,
    },
    "movies": None,  # tests/pipeline/simulated/test_movies.py builds the movie study
    "subjects": [{"name": "sub-01", "seed": 1}, {"name": "sub-02", "seed": 2}],
}


@pytest.fixture
def tiny_dict():
    """The tiny configuration as a mapping, to modify."""
    return copy.deepcopy(TINY)


@pytest.fixture(scope="session")
def tiny_config():
    return config_from_dict(TINY)


@pytest.fixture(scope="session")
def tiny_dataset(tiny_config, tmp_path_factory):
    """Folder holding the tiny dataset (treat as read-only: copy it before changing it)."""
    out = tmp_path_factory.mktemp("demo") / "data"
    result = build_dataset(tiny_config, out_dir=out, progress=False)
    assert result.built == ["images", "sub-01", "sub-02"]
    return out
