"""Scores of reconstructed clips: per-frame pixel correlation, identification among clips and
preserved direction of motion."""

from __future__ import annotations

import numpy as np

from icnn.metrics import pixel_identification, pixel_pattern_correlation


def _pair(recon: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    recon, true = np.asarray(recon, dtype=np.float32), np.asarray(true, dtype=np.float32)
    if recon.ndim != 5 or recon.shape[:2] != true.shape[:2] or true.ndim != 5:
        raise ValueError(f"recon {recon.shape} and true {true.shape} must be clips (B, T, H, W, 3) "
                         "with the same B and T")  # fmt: skip
    return recon, true


def frame_pixel_correlation(recon: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson r of every reconstructed frame with its true frame (B, T), as for images
    (:func:`icnn.metrics.pixel_pattern_correlation`; true frames resized to the recon size)."""
    recon, true = _pair(recon, true)
    b, t = recon.shape[:2]
    flat = pixel_pattern_correlation(recon.reshape(b * t, *recon.shape[2:]),
                                     true.reshape(b * t, *true.shape[2:]))  # fmt: skip
    return flat.reshape(b, t)


def clip_identification(recon: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pairwise identification of each clip among the true clips (B,), chance 0.5.

    The paper's pixel-correlation identification with a clip's frames stacked into one tall
    image: the fraction of other true clips less correlated with the reconstruction than its
    own (ties fail).
    """
    recon, true = _pair(recon, true)
    if true.shape[2:4] != recon.shape[2:4]:
        raise ValueError(f"frame sizes differ: recon {recon.shape[2:4]}, true {true.shape[2:4]}")

    def tall(clips: np.ndarray) -> np.ndarray:
        return clips.reshape(clips.shape[0], -1, *clips.shape[3:])

    return pixel_identification(tall(recon), tall(true))


def centroid_track(clips: np.ndarray) -> np.ndarray:
    """Where each frame departs from its clip's static background: (B, T, 2) centroids (y, x).

    The weight of a pixel is its RGB distance to the clip's per-pixel temporal median, so a
    shape moving over a still background is tracked whatever its colour.
    """
    clips = np.asarray(clips, dtype=np.float64)
    if clips.ndim != 5:
        raise ValueError(f"clips must be (B, T, H, W, 3); got shape {clips.shape}")
    weight = np.linalg.norm(clips - np.median(clips, axis=1, keepdims=True), axis=-1)  # (B, T, H, W)
    weight = weight / np.maximum(weight.sum(axis=(2, 3), keepdims=True), 1e-12)
    ys, xs = np.arange(clips.shape[2]), np.arange(clips.shape[3])
    return np.stack([(weight.sum(3) * ys).sum(2), (weight.sum(2) * xs).sum(2)], axis=-1)


def motion_agreement(recon: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Cosine (B,) between the net displacement (last minus first centroid of
    :func:`centroid_track`) of each reconstructed clip and of its true clip; > 0 = the direction
    of motion is preserved, 1 = exactly."""
    recon, true = _pair(recon, true)
    moves = [track[:, -1] - track[:, 0] for track in (centroid_track(recon), centroid_track(true))]
    norms = np.linalg.norm(moves[0], axis=1) * np.linalg.norm(moves[1], axis=1)
    return (moves[0] * moves[1]).sum(1) / np.maximum(norms, 1e-12)
