"""The generator's latent: one encoder layer's features of an image, optionally pooled."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from icnn.domains import model_domain
from icnn.features import extract_features
from icnn.networks.registry import build_encoder


def latent_features(encoder: nn.Module, images_rgb255: np.ndarray, layer: str,
                    pool: int | None = None, batch_size: int = 16,
                    device: str | torch.device = "cpu") -> np.ndarray:  # fmt: skip
    """Latents of images: features of ``layer``, average-pooled to ``pool x pool`` if given.

    Parameters
    ----------
    encoder : nn.Module
        The encoder, with an ``input_domain`` attribute.
    images_rgb255 : ndarray (N, H, W, 3)
        RGB images in 0..255.
    layer : str
        Layer name or module path.
    pool : int, optional
        Adaptive average pooling of a (C, h, w) map to (C, pool, pool).
    batch_size : int
        Images per forward pass.
    device : str or torch.device
        Where to compute.

    Returns
    -------
    ndarray (N, *latent_shape), float32
    """
    domain = model_domain(encoder)
    rgb = torch.as_tensor(np.asarray(images_rgb255, dtype=np.float32)).permute(0, 3, 1, 2)
    encoder.to(device)
    feats = extract_features(encoder, domain.to_network(rgb), [layer], batch_size, device=device)[layer]
    if pool is None:
        return feats
    if feats.ndim != 4:
        raise ValueError(f"latent.pool needs a spatial map, but {layer} has shape {feats.shape[1:]}")
    return nn.functional.adaptive_avg_pool2d(torch.from_numpy(feats), pool).numpy()


def encode_latent(card: Mapping[str, Any] | str | Path, images_rgb255: np.ndarray,
                  encoder: nn.Module | None = None, device: str | torch.device = "cpu",
                  batch_size: int = 16) -> np.ndarray:  # fmt: skip
    """The TRUE latents of images for the generator described by a card: the features of the
    card's latent layer divided by their per-channel scale (``scale`` of its latent stats).

    Parameters
    ----------
    card : mapping, str or Path
        A card (see :func:`icnn.dgn.card.read_card`), its file or its folder.
    images_rgb255 : ndarray (N, S, S, 3)
        RGB images in 0..255 at the card's ``image_size``.
    encoder : nn.Module, optional
        Default: the card's registered encoder.
    device : str or torch.device
        Where to compute.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    ndarray (N, *latent_shape)
    """
    from icnn.dgn.card import STATS_FILE, read_card

    card = card if isinstance(card, Mapping) else read_card(card)
    size = int(card["image_size"])
    images = np.asarray(images_rgb255)
    if images.ndim != 4 or images.shape[1:] != (size, size, 3):
        raise ValueError(f"images must be (N, {size}, {size}, 3) RGB 0..255 (the card's image "
                         f"size), got {images.shape}")  # fmt: skip
    encoder = encoder if encoder is not None else build_encoder(card["encoder"]["name"])
    latent = card["latent"]
    with np.load(Path(card["folder"]) / STATS_FILE) as stats:
        scale = stats["scale"]
    feats = latent_features(encoder, images, latent["layer"], latent["pool"], batch_size, device)
    return feats / scale
