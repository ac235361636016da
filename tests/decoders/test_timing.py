"""Per-frame samples of a movie session from its delayed volumes."""

from __future__ import annotations

import numpy as np
import pytest

from decoders.timing import frame_onsets, lagged_samples


def session():
    # 10 volumes (TR 1 s): frame a (2 volumes), frame b (2), rest (6); volume i holds the value i.
    blocks = np.array([1, 1, 2, 2, 0, 0, 0, 0, 0, 0])
    labels = ["a", "a", "b", "b"] + ["rest"] * 6
    volumes = np.arange(10, dtype=float)[:, None] * np.array([[1.0, 10.0]])
    return volumes, labels, blocks


def test_onsets_start_blocks_and_restart_at_a_new_run():
    assert frame_onsets(np.array([1, 1, 2, 2, 0, 3])).tolist() == [0, 2, 5]
    assert frame_onsets(np.array([1, 1, 1, 1]), np.array([1, 1, 2, 2])).tolist() == [0, 2]


def test_samples_are_the_delayed_volumes_concatenated_delay_major():
    volumes, labels, blocks = session()
    X, frames = lagged_samples(volumes, labels, blocks, None, tr_s=1.0, delays_s=[4.0, 5.0])
    assert frames == ["a", "b"]
    np.testing.assert_array_equal(X, [[4, 40, 5, 50], [6, 60, 7, 70]])
    X, _ = lagged_samples(volumes, labels, blocks, None, tr_s=0.5, delays_s=[2.0])  # 4 volumes
    np.testing.assert_array_equal(X[:, 0], [4, 6])


@pytest.mark.parametrize(("delays", "tr", "runs", "message"), [
    ([9.0], 1.0, None, "no volume 9.0 s after their onset"),
    ([4.0], 1.0, np.array([1] * 5 + [2] * 5), "in their run"),
    ([1.5], 1.0, None, "multiples of the TR"),
])  # fmt: skip
def test_delays_outside_the_session_are_refused_naming_it(delays, tr, runs, message):
    volumes, labels, blocks = session()
    with pytest.raises(ValueError, match=message) as error:
        lagged_samples(volumes, labels, blocks, runs, tr, delays, source="s.h5")
    assert "s.h5" in str(error.value) or "delays_s" in str(error.value)
