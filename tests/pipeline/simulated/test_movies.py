import numpy as np

from decoders.bdata import BData
from icnn.video.metrics import centroid_track
from pipeline.movie_sets import frame_labels, load_movie_set
from pipeline.simulated import (
    MOVIE_STAMP_FILE,
    STAMP_FILE,
    build_dataset,
    config_from_dict,
    session_file,
)
from pipeline.simulated.movies import (
    MovieDesign,
    double_gamma_hrf,
    movie_session,
    moving_shape_clips,
    pan_zoom_clips,
)
from pipeline.simulated.subject import subject_population
from pipeline.simulated.voxel_model import VoxelPopulation
from pipeline.stages.decoding import session_samples


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
                          second_weights=np.zeros((n, 1)), first_share=np.ones(n), second_share=np.zeros(n),
                          dnn_share=np.zeros(n), dnn_weights=np.zeros((n, 0)), exponent=np.ones(n),
                          snr=np.full(n, 1e6), gain=np.full(n, 1e-6), baseline=np.zeros(n),
                          xyz=np.zeros((n, 3)))  # fmt: skip
    signal = np.zeros((3, 1))
    signal[1] = 1.0
    samples, index = movie_session(signal, 3, np.array([0]), pop, MovieDesign(), rng)
    np.testing.assert_array_equal(index, [0, 1, 2])
    assert samples.shape == (3, 2)
    assert np.argmax(samples[:, 0]) == 1 and samples[0, 0] < 0.5 * samples[1, 0]
    assert samples[2, 1] > 0.5 * samples[1, 0]


def test_the_movie_part_writes_clips_and_movie_sessions_apart_from_the_images(tiny_dict, tmp_path):
    data = tiny_dict | {"movies": {"image_size": 32, "n_train": 4, "n_test": 2, "n_frames": 3,
                                   "train_reps": 1, "test_reps": 2},
                        "subjects": [{"name": "sub-01", "seed": 1}]}  # fmt: skip
    config = config_from_dict(data)
    # The image part alone, although the config has movies: not a clip, not a movie session.
    assert build_dataset(config, out_dir=tmp_path, progress=False, parts=("images",)).built == ["images", "sub-01"]
    assert not (tmp_path / "movies").exists() and not list(tmp_path.glob("*Movie*"))
    assert not (tmp_path / MOVIE_STAMP_FILE).exists()
    images = _files(tmp_path)

    assert build_dataset(config, out_dir=tmp_path, progress=False, parts=("movies",)).built == [
        "movies", "sub-01/movies"]  # fmt: skip
    labels, clips = load_movie_set(tmp_path / "movies" / "movie_test")
    assert labels == ["photo-00", "shapes-00"] and clips.shape == (2, 3, 32, 32, 3)
    assert sorted(p.name for p in tmp_path.glob("*Movie*.h5")) == [
        "sub-01_perceptionMovieTest_original_VC.h5", "sub-01_perceptionMovieTraining_original_VC.h5"]
    assert {k: v for k, v in _files(tmp_path).items() if k in images} == images  # image files untouched
    # One volume per TR: 2 clips x 2 showings x (3 frames x 2 s + 6 s rest) + the HRF's 32 s.
    path = session_file(tmp_path, "sub-01", "movie_test")
    X, volume_labels = session_samples(path, "ROI_VC = 1")
    assert X.shape == (4 * (3 * 2 + 6) + 32, 420) and volume_labels.count("rest") == 4 * 6 + 32
    # What the decoders see: one sample per frame shown, the volumes 5 and 6 s after its onset.
    X, frames = session_samples(path, "ROI_VC = 1", timing={"tr_s": 1.0, "delays_s": [5.0, 6.0]})
    assert X.shape == (4 * 3, 2 * 420) and sorted(set(frames)) == frame_labels(labels, 3)
    assert all(frames.count(label) == 2 for label in set(frames))
    again = build_dataset(config, out_dir=tmp_path, progress=False)
    assert again.built == [] and again.skipped == ["images", "sub-01", "movies", "sub-01/movies"]

    # Other clips rebuild the movie part only; no movies removes its files only.
    data["movies"]["seed"] = 5
    result = build_dataset(config_from_dict(data), out_dir=tmp_path, progress=False)
    assert result.built == ["movies", "sub-01/movies"] and result.skipped == ["images", "sub-01"]
    result = build_dataset(config_from_dict(data | {"movies": None}), out_dir=tmp_path, progress=False)
    assert result.built == [] and not list(tmp_path.glob("movies/*/*/*.png")) and not list(tmp_path.glob("*Movie*"))
    assert _files(tmp_path).keys() - {STAMP_FILE, MOVIE_STAMP_FILE} == images.keys() - {STAMP_FILE}


def test_a_subject_has_the_same_voxels_in_its_image_and_movie_sessions(tiny_dict, tmp_path):
    data = tiny_dict | {"movies": {"image_size": 16, "n_train": 2, "n_test": 2, "n_frames": 2,
                                   "train_reps": 1, "test_reps": 1, "subjects": ["sub-02"]},
                        "stimuli": {"image_size": 32, "n_train": 12, "n_test": 4},
                        "model": {"n_voxels": {"V1": 30, "V2": 20, "V3": 20, "V4": 20, "HVC": 30}}}  # fmt: skip
    config = config_from_dict(data)
    build_dataset(config, out_dir=tmp_path, progress=False)
    assert not list(tmp_path.glob("sub-01_*Movie*"))  # sub-01 does not watch
    image, movie = (BData(session_file(tmp_path, "sub-02", name)) for name in ("training", "movie_test"))
    expected = subject_population(config.subjects[1], config)
    for key, values in (("voxel_snr", expected.snr), ("prf_x", expected.prf[:, 0]), ("prf_sigma", expected.prf[:, 2]),
                        ("voxel_x", expected.xyz[:, 0]), ("ROI_hV4", expected.roi == "V4")):  # fmt: skip
        np.testing.assert_array_equal(image.get_metadata(key, where="VoxelData"), values, err_msg=key)
        np.testing.assert_array_equal(movie.get_metadata(key, where="VoxelData"), values, err_msg=key)
    # and another subject's voxels differ
    other = subject_population(config.subjects[0], config)
    assert not np.array_equal(other.snr, expected.snr)


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
