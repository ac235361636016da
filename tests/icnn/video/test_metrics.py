import numpy as np
import pytest

from icnn.video.metrics import (
    centroid_track,
    clip_identification,
    frame_pixel_correlation,
    motion_agreement,
)

from .conftest import moving_square


def test_centroid_track_follows_the_square():
    clip = moving_square(n_frames=5, size=32, side=8, step=4)
    track = centroid_track(clip)[0]
    np.testing.assert_allclose(track[:, 0], 15.5, atol=0.05)  # rows 12..19 (contrast-weighted)
    np.testing.assert_allclose(np.diff(track[:, 1]), 4.0, atol=0.6)  # 4 px per frame
    assert motion_agreement(clip, clip)[0] == pytest.approx(1.0)
    assert motion_agreement(clip[:, ::-1], clip)[0] == pytest.approx(-1.0)


def test_frame_correlation_and_clip_identification(rng):
    true = rng.uniform(0, 255, (3, 4, 8, 8, 3))
    recon = true + rng.normal(0, 20, true.shape)
    corr = frame_pixel_correlation(recon, true)
    assert corr.shape == (3, 4) and np.all((corr > 0.9) & (corr < 1.0))
    np.testing.assert_array_equal(clip_identification(recon, true), 1.0)
    # Two swapped clips: each reconstruction matches the other clip perfectly.
    np.testing.assert_array_equal(clip_identification(true[[1, 0]], true[:2]), 0.0)
    with pytest.raises(ValueError, match="same B and T"):
        frame_pixel_correlation(recon[:, :2], true)
