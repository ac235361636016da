"""Displayed images: the reconstruction as people (and the paper's evaluation) see it."""

from __future__ import annotations

import numpy as np


def to_display(images: np.ndarray, clip_percent: float = 2.0) -> np.ndarray:
    """Clip ``clip_percent`` % of the values at each tail, then min-max scale to uint8 0..255.

    Parameters
    ----------
    images : ndarray (..., H, W, 3)
        Raw reconstructions (RGB, 0..255 scale, unclipped); each image is scaled on its own.
    clip_percent : float
        Percentage clipped at each tail (2 in the paper); 0 = plain min-max.

    Returns
    -------
    ndarray of uint8, same shape
    """
    images = np.asarray(images, dtype=np.float64)
    flat = images.reshape(-1, int(np.prod(images.shape[-3:])))
    lo = np.percentile(flat, clip_percent, axis=1, keepdims=True)
    hi = np.percentile(flat, 100 - clip_percent, axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = (np.clip(flat, lo, hi) - lo) / span * 255.0
    return np.round(scaled).astype(np.uint8).reshape(images.shape)
