import numpy as np

from icnn.video.metrics import centroid_track
from pipeline.simulated.movies import (
    MovieDesign,
    double_gamma_hrf,
    movie_session,
    moving_shape_clips,
    pan_zoom_clips,
)
from pipeline.simulated.voxel_model import VoxelPopulation


def test_canonical_hrf_peaks_at_5_s_with_an_undershoot():
    hrf = double_gamma_hrf(tr_s=0.5)
    assert np.argmax(hrf) * 0.5 == 5.0
    assert abs(hrf.sum() - 1) < 1e-12
    assert hrf[int(16 / 0.5)] < 0  # undershoot around 16 s


def test_shapes_move_in_their_direction(rng):
    clips, directions = moving_shape_clips(4, 6, 32, rng)
    assert clips.shape == (4, 6, 32, 32, 3) and clips.dtype == np.uint8
    track = centroid_track(clips)
    moves = track[:, -1] - track[:, 0]
    cosine = (moves * directions).sum(1) / np.linalg.norm(moves, axis=1)
    assert np.all(cosine > 0.9), cosine


def test_pans_and_zooms_change_smoothly(rng):
    clips = pan_zoom_clips(["chelsea", "coffee"], 2, 5, 32, rng)
    frames = clips.astype(float)
    neighbour = np.mean([np.corrcoef(frames[i, t].ravel(), frames[i, t + 1].ravel())[0, 1]
                         for i in range(2) for t in range(4)])  # fmt: skip
    assert clips.shape == (2, 5, 32, 32, 3) and neighbour > 0.6


def test_session_responses_lag_by_the_hrf(rng):
    # One noise-free voxel driven by frame 1 only: frame 1's sample is the largest, frame 0's
    # (before it) small, and the next frame's samples still carry it (the HRF's blur).
    n = 1
    pop = VoxelPopulation(roi=np.array(["V1"]), prf=np.zeros((n, 3)), first_weights=np.zeros((n, 1)),
                          second_weights=np.zeros((n, 1)), second_share=np.zeros(n), exponent=np.ones(n),
                          snr=np.full(n, 1e6), gain=np.full(n, 1e-6), baseline=np.zeros(n),
                          xyz=np.zeros((n, 3)))  # fmt: skip
    signal = np.zeros((3, 1))
    signal[1] = 1.0
    samples, index = movie_session(signal, 3, np.array([0]), pop, MovieDesign(), rng)
    np.testing.assert_array_equal(index, [0, 1, 2])
    assert samples.shape == (3, 2)
    assert np.argmax(samples[:, 0]) == 1 and samples[0, 0] < 0.5 * samples[1, 0]
    assert samples[2, 1] > 0.5 * samples[1, 0]
