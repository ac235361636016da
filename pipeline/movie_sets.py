"""Movie stimulus sets: folders of clips, whose frames are the stimuli of features and decoders.

A movie set is a folder of clips (:func:`icnn.video.io.find_clips`: sub-folders of frames,
GIF / APNG or video files; the folder name or file stem is the clip label). Every frame is
a stimulus labelled ``<clip>_f<t>`` (t from 0, three digits), so feature stores, fMRI labels
and decoders treat frames as they treat images, and the labels sort clip by clip, frame by
frame. All clips of a set have the same number of frames (they are reconstructed as
(B, T) arrays).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from icnn.video.io import FRAME_SUFFIXES, find_clips, read_clip

FRAME_SEP = "_f"


def frame_label(clip: str, t: int) -> str:
    """The stimulus label of frame ``t`` of ``clip``."""
    return f"{clip}{FRAME_SEP}{t:03d}"


def split_frame_label(label: str) -> tuple[str, int]:
    """(clip, frame) of a frame label (:func:`frame_label`)."""
    clip, sep, t = label.rpartition(FRAME_SEP)
    if not sep or not t.isdigit():
        raise ValueError(f"{label!r} is not a frame label (<clip>{FRAME_SEP}<frame>, e.g. "
                         f"{frame_label('clip', 0)!r})")  # fmt: skip
    return clip, int(t)


def frame_labels(clips: Sequence[str], n_frames: int) -> list[str]:
    """Labels of every frame of ``clips`` (clip-major)."""
    return [frame_label(clip, t) for clip in clips for t in range(n_frames)]


def load_movie_set(directory: str | os.PathLike, size: int | None = None,
                   clips: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:  # fmt: skip
    """Read the clips of a movie set.

    Parameters
    ----------
    directory : path
        The movie set's folder.
    size : int, optional
        Frame side (PIL bicubic); default: as stored (all clips must then agree).
    clips : sequence of str, optional
        Clip labels to read (default: all, sorted).

    Returns
    -------
    labels : list of str
        Clip labels.
    frames : ndarray uint8 (B, T, H, W, 3)

    Raises
    ------
    ValueError
        A clip cannot be read, or clips differ in frame count or size (naming the clips).
    """
    found = find_clips(directory)
    labels = sorted(found) if clips is None else list(clips)
    missing = [c for c in labels if c not in found]
    if missing:
        raise KeyError(f"clips {missing[:5]} are not in the movie set {directory}")
    side = None if size is None else (size, size)
    read = {label: read_clip(found[label], side) for label in labels}
    shapes = {label: clip.shape for label, clip in read.items()}
    if len(set(shapes.values())) > 1:
        first = labels[0]
        odd = [label for label in labels if shapes[label] != shapes[first]]
        raise ValueError(f"movie set {directory}: clips differ in frames or size (T, H, W, 3): "
                         f"{first} {shapes[first]} but {odd[0]} ({found[odd[0]]}) {shapes[odd[0]]}; "
                         "every clip of a set needs the same number of frames")  # fmt: skip
    return labels, np.stack([read[label] for label in labels])


def clip_frame_counts(directory: str | os.PathLike) -> tuple[int, int]:
    """(clips, frames per clip) of a movie set, for sizing jobs; frames of the first clip
    (the data check makes sure that all agree)."""
    found = find_clips(directory)
    first = found[sorted(found)[0]]
    n_frames = (len([p for p in Path(first).iterdir() if p.suffix.lower() in FRAME_SUFFIXES]) if first.is_dir()
                else len(read_clip(first)))  # fmt: skip
    return len(found), n_frames


def movie_frame_labels(directory: str | os.PathLike) -> list[str]:
    """The frame labels of a movie set (reads every clip)."""
    labels, frames = load_movie_set(directory)
    return frame_labels(labels, frames.shape[1])


def clips_of(labels: Sequence[str]) -> tuple[list[str], int]:
    """Clip labels (in order) and frames per clip of frame labels sorted clip by clip, frame by
    frame; refuses a store whose clips are not complete and aligned."""
    pairs = [split_frame_label(label) for label in labels]
    clips = list(dict.fromkeys(clip for clip, _ in pairs))
    n_frames = len(pairs) // max(len(clips), 1)
    if [frame_label(c, t) for c in clips for t in range(n_frames)] != list(labels):
        raise ValueError(f"the frame labels ({list(labels)[:3]} ...) are not every frame 0..T-1 of "
                         "each clip in order; recompute the features of the movie set")  # fmt: skip
    return clips, n_frames
