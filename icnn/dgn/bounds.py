"""Per-unit latent statistics over the training images and the bounds derived from them."""

from __future__ import annotations

import numpy as np


def latent_stats(latents: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, SD (ddof 0), min and max of every latent unit over images (N, *shape)."""
    x = np.asarray(latents, dtype=np.float64)
    return {"mean": x.mean(0), "sd": x.std(0), "min": x.min(0), "max": x.max(0)}


def latent_scale(latents: np.ndarray) -> float:
    """Root mean square of latents (N, ...) over all images and units; 1 if they are all 0.

    The generator's latent is the encoder feature divided by this scale, so that every layer
    (pool5 ~5, pool3 ~700 at 128 px) gives the generator inputs and the reconstruction's
    optimiser a variable of unit size: the same learning rates fit every latent layer. One
    scale per layer, not per channel: a channel that is nearly silent on the training images
    would get a tiny scale and blow up wherever it fires.
    """
    rms = float(np.sqrt(np.mean(np.asarray(latents, dtype=np.float64) ** 2)))
    return rms if rms > 0 else 1.0


def derive_bounds(stats: dict[str, np.ndarray], sd_multiple: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Latent bounds used in reconstruction, per unit.

    A non-negative latent (every training value >= 0: post-ReLU or pooled after a ReLU) gets
    the paper's act_range: lower 0, upper ``sd_multiple`` SD. A signed latent gets
    mean +- ``sd_multiple`` SD. Units constant over the training images get a zero-width box.

    Parameters
    ----------
    stats : dict
        Output of :func:`latent_stats`.
    sd_multiple : float
        Multiple of the SD.

    Returns
    -------
    lower, upper : ndarray
        Shaped like one latent.
    """
    sd = stats["sd"]
    if np.all(stats["min"] >= 0):
        return np.zeros_like(sd), sd_multiple * sd
    return stats["mean"] - sd_multiple * sd, stats["mean"] + sd_multiple * sd
