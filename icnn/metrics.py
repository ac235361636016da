"""Image metrics that score reconstructions against the true images, each defined exactly.

Images are RGB arrays (N, H, W, 3), uint8 or float, in 0..255; ``recon[i]`` is scored against
``true[i]``. Published numbers differ with the image size, the resampling and the network, so
every function states which it uses. Resampling is always PIL bicubic (``Image.BICUBIC``), applied
to each channel as a float32 image: nothing is rounded or clipped.

Metric names of :func:`score_reconstructions` (stable; the workflow's tables use them):
``pixel_correlation``, ``pixel_identification``, ``ssim``, ``effnet_identification``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import torch
from PIL import Image
from skimage.metrics import structural_similarity
from torch import nn

from common.scores import pairwise_identification, pattern_correlation
from icnn.features import extract_features
from icnn.networks.efficientnet_lite import (
    IMAGE_SIZE,
    EfficientNetLite,
    efficientnet_lite0_pretrained,
)

#: Default layer of the second network: global average pool of EfficientNet-Lite0 (1280 units),
#: the analogue of the pooled EfficientNet/Inception features later papers identify with.
EFFNET_LAYER = "pool"
#: SSIM settings of Wang et al. (2004): 11 x 11 gaussian window of sigma 1.5, population
#: covariances, K1 = 0.01, K2 = 0.03 (skimage defaults), on the 0..255 scale.
SSIM_SETTINGS = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False,
                 "data_range": 255.0, "channel_axis": -1}  # fmt: skip


def _as_images(images: np.ndarray, name: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"{name} must be RGB images (N, H, W, 3), got shape {images.shape}")
    return images


def match_size(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize RGB images to ``size`` with PIL bicubic resampling, channel by channel.

    Parameters
    ----------
    images : ndarray (N, H, W, 3)
        Images in 0..255, uint8 or float.
    size : (int, int)
        Target (height, width).

    Returns
    -------
    ndarray (N, height, width, 3) float32
        Each channel resized as a float32 PIL image (``Image.BICUBIC``, which also antialiases
        when shrinking), not rounded or clipped; images already of that size are only converted.
    """
    images = _as_images(images, "images")
    height, width = size
    if images.shape[1:3] == (height, width):
        return images.astype(np.float32)
    out = np.empty((len(images), height, width, 3), dtype=np.float32)
    for i, image in enumerate(images.astype(np.float32)):
        for c in range(3):
            channel = Image.fromarray(np.ascontiguousarray(image[..., c]), mode="F")
            out[i, ..., c] = np.asarray(channel.resize((width, height), Image.BICUBIC))
    return out


def _validate(recon: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check that both are image stacks with the same number of images."""
    recon, true = _as_images(recon, "recon"), _as_images(true, "true")
    if len(recon) != len(true):
        raise ValueError(
            f"recon {recon.shape} and true {true.shape} differ in the number of images")
    if len(recon) == 0:
        raise ValueError("no images to score")
    return recon, true


def _pair(recon: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (recon, true) pair and bring ``true`` to the reconstruction size."""
    recon, true = _validate(recon, true)
    return recon.astype(np.float32), match_size(true, recon.shape[1:3])


def pixel_pattern_correlation(recon: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson r between each reconstruction and its true image over all pixels and channels.

    ``r_i = corr(vec(recon_i), vec(true_i))`` with ``true`` first resized to the reconstruction
    size (:func:`match_size`, PIL bicubic); NaN for a constant image.

    Parameters
    ----------
    recon, true : ndarray (N, H, W, 3)
        Displayed reconstructions and true images in 0..255 (``true`` may have another size).

    Returns
    -------
    ndarray (N,)
    """
    recon, true = _pair(recon, true)
    return pattern_correlation(recon.reshape(len(recon), -1), true.reshape(len(true), -1))


def pixel_identification(recon: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pairwise identification of each reconstruction among the true images by pixel correlation.

    With ``S[i, j]`` the Pearson r between ``recon[i]`` and ``true[j]`` over all pixels and
    channels (``true`` resized as in :func:`pixel_pattern_correlation`), accuracy_i is the fraction
    of ``j != i`` with ``S[i, j] < S[i, i]`` (ties fail; chance 0.5), as in the paper and bdpy
    (:func:`common.scores.pairwise_identification`).

    Parameters
    ----------
    recon, true : ndarray (N, H, W, 3)
        Displayed reconstructions and true images in 0..255, N >= 2.

    Returns
    -------
    ndarray (N,)
    """
    recon, true = _pair(recon, true)
    return pairwise_identification(recon.reshape(len(recon), -1), true.reshape(len(true), -1),
                                   metric="correlation")  # fmt: skip


def ssim(recon: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Mean structural similarity (SSIM) of each reconstruction with its true image, in colour.

    ``skimage.metrics.structural_similarity`` with :data:`SSIM_SETTINGS`: an 11 x 11 gaussian
    window of sigma 1.5, population covariances, K1 = 0.01, K2 = 0.03, data range 255; computed
    per RGB channel and averaged over channels and over the valid (unpadded) window positions.
    ``true`` is first resized to the reconstruction size (PIL bicubic). 1 for identical images.

    Parameters
    ----------
    recon, true : ndarray (N, H, W, 3)
        Displayed reconstructions and true images in 0..255; H and W at least 11.

    Returns
    -------
    ndarray (N,)
    """
    recon, true = _pair(recon, true)
    if min(recon.shape[1:3]) < 11:
        raise ValueError(f"SSIM needs images of at least 11 x 11 pixels, got {recon.shape}")
    pairs = zip(recon.astype(np.float64), true.astype(np.float64), strict=True)
    return np.array([structural_similarity(r, t, **SSIM_SETTINGS) for r, t in pairs])


@lru_cache(maxsize=1)
def pretrained_effnet() -> EfficientNetLite:
    """The pretrained EfficientNet-Lite0, loaded on first use and shared afterwards."""
    return efficientnet_lite0_pretrained()


def feature_identification(
    recon: np.ndarray,
    true: np.ndarray,
    model: nn.Module | None = None,
    layer: str = EFFNET_LAYER,
    image_size: int = IMAGE_SIZE,
    batch_size: int = 16,
) -> np.ndarray:
    """Pairwise identification of each reconstruction by correlation in a network's feature space.

    Both image sets are resized to ``image_size`` x ``image_size`` (PIL bicubic, aspect ratio not
    kept), mapped to the network input with ``model.input_domain`` and passed through ``model``;
    with ``S[i, j]`` the Pearson r between the flattened ``layer`` features of ``recon[i]`` and
    ``true[j]``, accuracy_i is the fraction of ``j != i`` with ``S[i, j] < S[i, i]`` (ties fail;
    chance 0.5). Default: EfficientNet-Lite0 (ImageNet), layer ``pool`` (1280-d global average
    of the head), 224 x 224 input, RGB ``(x - 127) / 128``.

    Parameters
    ----------
    recon, true : ndarray (N, H, W, 3)
        Displayed reconstructions and true images in 0..255, N >= 2 (sizes may differ).
    model : nn.Module, optional
        Network with an ``input_domain`` (:class:`icnn.domains.ImageDomain`) attribute and
        ``layer`` among its aliases or module paths; default :func:`pretrained_effnet`.
    layer : str
        Layer whose output is compared.
    image_size : int
        Side of the square network input.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    ndarray (N,)
    """
    recon, true = _validate(recon, true)
    model = pretrained_effnet() if model is None else model
    size = (image_size, image_size)
    both = np.concatenate([match_size(recon, size), match_size(true, size)])
    pixels = torch.from_numpy(both).permute(0, 3, 1, 2)
    inputs = model.input_domain.to_network(pixels)
    features = extract_features(model, inputs, [layer], batch_size)[layer]
    n = len(recon)
    return pairwise_identification(features[:n], features[n:], metric="correlation")


@dataclass(frozen=True)
class Metric:
    """A reconstruction metric: how it is computed, named and plotted.

    Attributes
    ----------
    name : str
        Key in configs and tables.
    label : str
        Axis label of figures.
    chance : float or None
        Chance level of an identification metric (drawn in figures); None for the others.
    compares_pixels : bool
        Computed on the true images resized to the reconstruction size (else on the originals).
    compute : callable
        ``(recon, true, options) -> (N,)`` scores; ``options`` holds the network settings of
        :func:`feature_identification`.
    """

    name: str
    label: str
    chance: float | None
    compares_pixels: bool
    compute: Callable[[np.ndarray, np.ndarray, dict], np.ndarray]


def _registry(*metrics: Metric) -> Mapping[str, Metric]:
    return MappingProxyType({m.name: m for m in metrics})


#: The metric registry, in the default order: the workflow schema, the summary and the figures
#: read it. Iterating gives the names.
METRICS: Mapping[str, Metric] = _registry(
    Metric("pixel_correlation", "pixel correlation", None, True,
           lambda recon, true, _: pixel_pattern_correlation(recon, true)),
    Metric("pixel_identification", "pixel identification (%)", 0.5, True,
           lambda recon, true, _: pixel_identification(recon, true)),
    Metric("ssim", "SSIM", None, True, lambda recon, true, _: ssim(recon, true)),
    Metric("effnet_identification", "EfficientNet-Lite0 identification (%)", 0.5, False,
           lambda recon, true, options: feature_identification(recon, true, **options)),
)  # fmt: skip


def score_reconstructions(
    recon: np.ndarray,
    true: np.ndarray,
    metrics: Sequence[str] = METRICS,
    model: nn.Module | None = None,
    layer: str = EFFNET_LAYER,
    image_size: int = IMAGE_SIZE,
    batch_size: int = 16,
) -> dict[str, np.ndarray]:
    """Score reconstructions with the named metrics.

    Parameters
    ----------
    recon, true : ndarray (N, H, W, 3)
        Displayed reconstructions and true images in 0..255.
    metrics : sequence of str
        Names from :data:`METRICS`: ``pixel_correlation`` (:func:`pixel_pattern_correlation`),
        ``pixel_identification`` (:func:`pixel_identification`), ``ssim`` (:func:`ssim`),
        ``effnet_identification`` (:func:`feature_identification`).
    model, layer, image_size, batch_size
        Passed to :func:`feature_identification` (default: the pretrained EfficientNet-Lite0,
        loaded once on first use, layer ``pool``, 224 px).

    Returns
    -------
    dict of str to ndarray (N,)
        Per-image scores, in the order of ``metrics``.
    """
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; choose from {list(METRICS)}")
    recon, true = _validate(recon, true)
    # Resample the true images once for all pixel metrics; the network resamples the originals.
    pixels = any(METRICS[name].compares_pixels for name in metrics)
    matched = _pair(recon, true)[1] if pixels else true
    options = {"model": model, "layer": layer, "image_size": image_size, "batch_size": batch_size}
    return {name: METRICS[name].compute(recon, matched if METRICS[name].compares_pixels else true,
                                        options) for name in metrics}  # fmt: skip
