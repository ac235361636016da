"""Stage: score the reconstructions of one condition against the true images.

Reconstructions are scored as displayed (2 % tails clipped, min-max scaled, as in the paper)
against the stimulus images resized to the reconstruction size (PIL bicubic).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from decoders.stats import mean_sem
from icnn.display import to_display
from icnn.images import find_images, load_images
from icnn.metrics import score_reconstructions
from icnn.video.metrics import (
    centroid_track,
    clip_identification,
    frame_pixel_correlation,
    motion_agreement,
)
from pipeline.movie_sets import clips_of, load_movie_set
from pipeline.tables import write_tsv


def load_chunks(chunk_dirs: Sequence[str | os.PathLike]) -> dict[str, np.ndarray]:
    """Concatenate the ``recon.npz`` of chunk folders: images, loss_history, labels."""
    parts = [np.load(Path(d) / "recon.npz") for d in chunk_dirs]
    return {key: np.concatenate([p[key] for p in parts]) for key in ("images", "loss_history", "labels")}


def score_condition(
    chunk_dirs: Sequence[str | os.PathLike],
    image_dir: str | os.PathLike,
    metrics: Sequence[str],
    keys: dict[str, str],
    per_image: str | os.PathLike,
    summary: str | os.PathLike,
    fit: str = "center_crop",
) -> None:
    """Score one condition; write per-image scores and a summary (mean, SEM, n per metric).

    Parameters
    ----------
    chunk_dirs : sequence of path
        Folders written by :func:`pipeline.stages.reconstruction.reconstruct_chunk`.
    image_dir : path
        Folder of the stimulus images (labels = file stems).
    metrics : sequence of str
        Metric names of :func:`icnn.metrics.score_reconstructions`.
    keys : dict
        Condition columns (subject, roi, layer_set, variant, source, image_set) and values.
    per_image, summary : path
        Output tables.
    fit : str
        How non-square true images become square (:func:`icnn.images.fit_square`).
    """
    recon = load_chunks(chunk_dirs)
    labels = [str(label) for label in recon["labels"]]
    _check_reconstructions(recon["images"], labels, chunk_dirs)
    found = find_images(image_dir)
    size = recon["images"].shape[1]
    true = load_images([found[label] for label in labels], size, fit)
    scores = score_reconstructions(to_display(recon["images"]), true, metrics=list(metrics))
    write_tsv(per_image, [*keys, "image", "metric", "value"],
              [[*keys.values(), label, metric, f"{values[i]:.6g}"]
               for metric, values in scores.items() for i, label in enumerate(labels)])  # fmt: skip
    rows = []
    for metric, values in scores.items():
        mean, sem, n = mean_sem(values)
        rows.append([*keys.values(), metric, f"{mean:.6g}", f"{sem:.6g}", n])
    write_tsv(summary, [*keys, "metric", "mean", "sem", "n"], rows)


#: Scores of a movie condition (:mod:`icnn.video.metrics`).
CLIP_METRICS = ("frame_pixel_correlation", "clip_identification", "motion_agreement", "motion_preserved")
#: A true clip moves when its centroid track travels this fraction of the frame side: motion
#: is scored on those clips only (a zoom about the centre has no direction).
MOVING_FRACTION = 0.1


def clip_scores(recon: np.ndarray, true: np.ndarray) -> dict[str, np.ndarray]:
    """Per-clip scores of displayed clips (B, T, H, W, 3) against the true clips.

    Returns
    -------
    dict
        ``frame_pixel_correlation`` (B,): mean over a clip's frames of each frame's pixel r;
        ``clip_identification`` (B,): among the clips, chance 0.5; ``motion_agreement``:
        cosine of the reconstructed and true centroid displacements and ``motion_preserved``
        (1 when > 0), NaN for clips whose true centroid moves less than
        :data:`MOVING_FRACTION` of the frame side.
    """
    track = centroid_track(true)
    moving = np.linalg.norm(track[:, -1] - track[:, 0], axis=1) >= MOVING_FRACTION * true.shape[2]
    motion = np.where(moving, motion_agreement(recon, true), np.nan)
    return {
        "frame_pixel_correlation": frame_pixel_correlation(recon, true).mean(axis=1),
        "clip_identification": clip_identification(recon, true),
        "motion_agreement": motion,
        "motion_preserved": np.where(moving, (motion > 0).astype(float), np.nan),
    }


def score_clip_condition(chunk_dirs: Sequence[str | os.PathLike], movie_dir: str | os.PathLike,
                         keys: dict[str, str], per_clip: str | os.PathLike, summary: str | os.PathLike
                         ) -> None:  # fmt: skip
    """Score the clips of one movie condition (:func:`clip_scores` of the displayed frames
    against the movie set's clips resized to the frame size); write per-clip scores and a
    summary (mean, SEM and n over clips; motion over the moving clips only), with the columns
    of :func:`score_condition` (``image`` holds the clip)."""
    recon = load_chunks(chunk_dirs)
    labels = [str(label) for label in recon["labels"]]
    _check_reconstructions(recon["images"], labels, chunk_dirs)
    clips, n_frames = clips_of(labels)
    frames = to_display(recon["images"]).reshape(len(clips), n_frames, *recon["images"].shape[1:])
    _, true = load_movie_set(movie_dir, frames.shape[2], clips)
    if true.shape[1] != n_frames:
        raise ValueError(f"{n_frames} frames per reconstructed clip but {true.shape[1]} in the clips of "
                         f"{movie_dir}; rerun the movie set's features")  # fmt: skip
    scores = clip_scores(frames, true)
    write_tsv(per_clip, [*keys, "image", "metric", "value"],
              [[*keys.values(), clip, metric, f"{values[i]:.6g}"]
               for metric, values in scores.items() for i, clip in enumerate(clips)])  # fmt: skip
    rows = []
    for metric, values in scores.items():
        if np.isfinite(values).any():  # no moving clip: no motion rows
            mean, sem, n = mean_sem(values)
            rows.append([*keys.values(), metric, f"{mean:.6g}", f"{sem:.6g}", n])
    write_tsv(summary, [*keys, "metric", "mean", "sem", "n"], rows)


def _check_reconstructions(images: np.ndarray, labels: Sequence[str],
                           chunk_dirs: Sequence[str | os.PathLike]) -> None:  # fmt: skip
    """Refuse to score non-finite or blank reconstructions: their scores would look valid."""
    for image, label in zip(images, labels, strict=True):
        if not np.isfinite(image).all():
            raise ValueError(f"the reconstruction of {label!r} in {', '.join(map(str, chunk_dirs))} "
                             "holds NaN or Inf values; delete the folder and check its job log")  # fmt: skip
        if np.ptp(image) == 0:
            raise ValueError(f"the reconstruction of {label!r} in {', '.join(map(str, chunk_dirs))} "
                             "is one flat colour; delete the folder and check its job log")  # fmt: skip
