"""Movie sets: clip folders and files, frame labels, equal frame counts, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from icnn.video.io import find_clips, write_clip
from pipeline.movie_sets import (
    clip_frame_counts,
    clips_of,
    frame_labels,
    load_movie_set,
    split_frame_label,
)


@pytest.fixture
def movie_dir(tmp_path):
    rng = np.random.default_rng(0)
    clips = rng.integers(0, 256, (2, 3, 16, 16, 3), dtype=np.uint8)
    (tmp_path / "b").mkdir()
    for t, frame in enumerate(clips[1]):
        Image.fromarray(frame).save(tmp_path / "b" / f"{t:02d}.png")
    write_clip(clips[0], tmp_path / "a.png")  # lossless APNG
    (tmp_path / "notes.txt").write_text("not a clip")
    return tmp_path, clips


def test_clips_from_frame_folders_and_files(movie_dir):
    folder, clips = movie_dir
    assert sorted(find_clips(folder)) == ["a", "b"]
    labels, frames = load_movie_set(folder)
    assert labels == ["a", "b"]
    np.testing.assert_array_equal(frames, clips)
    assert clip_frame_counts(folder) == (2, 3)
    assert frame_labels(labels, 2) == ["a_f000", "a_f001", "b_f000", "b_f001"]
    assert clips_of(frame_labels(labels, 3)) == (["a", "b"], 3)
    assert split_frame_label("my_f_clip_f012") == ("my_f_clip", 12)


def test_unequal_clips_and_bad_labels_are_refused(movie_dir):
    folder, _ = movie_dir
    (folder / "b" / "02.png").unlink()
    with pytest.raises(ValueError, match=r"b \(.*\) \(2, 16, 16, 3\).*same number of frames"):
        load_movie_set(folder)
    with pytest.raises(ValueError, match="not every frame"):
        clips_of(["a_f000", "a_f001", "b_f000"])
    with pytest.raises(ValueError, match="not a frame label"):
        split_frame_label("a")


def test_a_damaged_clip_file_is_named(movie_dir):
    folder, _ = movie_dir
    (folder / "a.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match=r"clip .*a\.png cannot be read"):
        load_movie_set(folder)
    with pytest.raises(FileNotFoundError, match="movie_sets"):
        find_clips(folder / "missing")
