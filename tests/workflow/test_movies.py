"""The movie condition through the workflow on tiny data: clips checked, per-frame features
decoded from delayed volumes, clips reconstructed and scored, figures; bad movie data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.workflow.tiny import (
    TINY_DEMO,
    TINY_MOVIES,
    read_tsv,
    snakemake,
    tiny_movie_config,
    tiny_study,
    write_configs,
)


@pytest.fixture(scope="module")
def movie_study(tmp_path_factory):
    """The tiny study with its movies, built once (each test works on a copy)."""
    return tiny_study(tmp_path_factory.mktemp("movie_study"), tiny_movie_config(), movies=True)


@pytest.fixture
def study_copy(movie_study, tmp_path):
    return Path(shutil.copytree(movie_study, tmp_path / "study"))


@pytest.fixture(scope="module")
def movie_run(movie_study, tmp_path_factory):
    workdir = Path(shutil.copytree(movie_study, tmp_path_factory.mktemp("movies") / "run"))
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir


def test_movie_scores_in_the_summary(movie_run):
    rows = read_tsv(movie_run / "results" / "summary.tsv")
    score = {(r["source"], r["metric"]): (float(r["mean"]), int(r["n"])) for r in rows}
    assert {r["image_set"] for r in rows} == {"movie_test"} and {r["variant"] for r in rows} == {"icnn_gd"}
    for source in ("decoded", "true"):
        for metric in ("frame_pixel_correlation", "clip_identification", "motion_agreement", "motion_preserved"):
            value, n = score[(source, metric)]
            assert np.isfinite(value), (source, metric)
    # 4 test clips; the 2 moving-shape clips carry motion scores (pans/zooms that barely move do not).
    assert score[("true", "clip_identification")][1] == 4
    assert 1 <= score[("true", "motion_agreement")][1] <= 4
    # From true per-frame features (30 iterations, conv3_4 + conv4_4, 32 px), measured 0.38
    # (identification 0.92, motion cosine 0.93).
    assert score[("true", "frame_pixel_correlation")][0] > 0.25
    assert score[("true", "clip_identification")][0] >= 0.75


def test_decoders_learn_frames_from_delayed_volumes(movie_run):
    rows = read_tsv(movie_run / "results" / "decoding_scores.tsv")
    assert {(r["subject"], r["layer"]) for r in rows} == {("sub-01-movies", "conv3_4"), ("sub-01-movies", "conv4_4")}
    with np.load(movie_run / "results/reconstruction/decoded/sub-01-movies/VC/mid/icnn_gd/movie_test/chunk-1/recon.npz") as z:
        # clips sorted (photo-00, photo-01, shapes-00, shapes-01), 2 per job
        assert list(z["labels"]) == [f"{clip}_f{t:03d}" for clip in ("shapes-00", "shapes-01") for t in range(4)]
        assert z["images"].shape == (8, 32, 32, 3) and z["loss_history"].shape[:2] == (2, 1)


def test_movie_figures(movie_run):
    png = movie_run / "results/figures/movie_movie_test.png"
    gif = movie_run / "results/figures/movie_movie_test.gif"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and gif.read_bytes()[:6] == b"GIF89a"
    from PIL import Image

    with Image.open(gif) as animation:
        assert animation.n_frames == 4 and animation.size == (3 * 64, 4 * 64)  # true | decoded | true feats


def test_a_damaged_clip_fails_the_check_naming_it(study_copy):
    workdir = study_copy
    frame = workdir / "data/demo/movies/movie_test/photo-00/002.png"
    frame.write_bytes(b"not a png")
    run = snakemake(workdir, "results/checks/data_checks.tsv")
    assert run.returncode != 0 and "photo-00" in run.stderr and "cannot be read" in run.stderr


def test_a_clip_short_of_frames_fails_the_check(study_copy):
    workdir = study_copy
    (workdir / "data/demo/movies/movie_training/shapes-01/003.png").unlink()
    run = snakemake(workdir, "results/checks/data_checks.tsv")
    assert run.returncode != 0 and "shapes-01" in run.stderr and "same number of frames" in run.stderr


def test_session_labels_of_missing_frames_fail_the_subject_check(study_copy):
    # The test session showed 4 clips; with one clip gone, its frames have no stimulus.
    workdir = study_copy
    shutil.rmtree(workdir / "data/demo/movies/movie_test/shapes-00")
    run = snakemake(workdir, "results/checks/data_checks.tsv")
    assert run.returncode != 0
    assert "sub-01_perceptionMovieTest_original_VC.h5" in run.stderr and "shapes-00_f000" in run.stderr


def test_delays_past_the_session_end_fail_before_any_compute(study_copy):
    config = tiny_movie_config()
    config["movie"]["delays_s"] = [5, 60]
    workdir = study_copy
    write_configs(workdir, config, TINY_DEMO | {"movies": TINY_MOVIES})
    run = snakemake(workdir)
    assert run.returncode != 0 and "after their onset" in run.stderr and "movie.delays_s" in run.stderr
    assert not (workdir / "results/features").exists()
