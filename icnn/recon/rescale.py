"""Rescaling of decoded features before reconstruction.

Decoded features have a smaller spread than true ones. The paper (Shen et al. 2019) rescales
each decoded feature so that its spread equals the mean spread of TRUE features of that layer
over many natural images; "spread" is, for conv features (C, H, W), the SD of each channel
(ddof 0) averaged over channels, and for fc features the SD of the vector. The later cookbook
variant centres first (on the decoded mean or the decoders' training mean) and uses ddof 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

METHODS = ("none", "paper", "center_decoded", "center_train")


def feature_spread(features: np.ndarray, ddof: int = 0) -> np.ndarray:
    """Spread of each sample's feature: mean per-channel SD for conv, SD for fc.

    Parameters
    ----------
    features : ndarray (N, C, H, W) or (N, D)
    ddof : int
        Delta degrees of freedom of the SD.

    Returns
    -------
    ndarray (N,)
    """
    n = features.shape[0]
    if features.ndim >= 3:
        per_channel = features.reshape(n, features.shape[1], -1).std(axis=2, ddof=ddof)
        return per_channel.mean(axis=1)
    return features.reshape(n, -1).std(axis=1, ddof=ddof)


@dataclass
class LayerStats:
    """Statistics of true features of one layer over natural images.

    Attributes
    ----------
    spread : float
        Mean over images of :func:`feature_spread` (ddof 0), the paper's target SD.
    spread_ddof1 : float
        The same with ddof 1, for the centred variants.
    mean : ndarray
        Mean feature (one value per unit) over the images.
    n_images : int
    """

    spread: float
    spread_ddof1: float
    mean: np.ndarray
    n_images: int


def layer_stats(batches: Iterable[np.ndarray], layer: str = "") -> LayerStats:
    """Statistics of one layer's true features given in batches of images (N_i, ...).

    Only one batch is in memory at a time (a layer of 1,200 images at 224 px need not fit).
    """
    n, spread, spread1, total = 0, 0.0, 0.0, None
    for batch in batches:
        batch = np.asarray(batch, dtype=np.float64)
        n += batch.shape[0]
        spread += float(feature_spread(batch).sum())
        spread1 += float(feature_spread(batch, ddof=1).sum())
        total = batch.sum(axis=0) if total is None else total + batch.sum(axis=0)
    if n < 2:
        raise ValueError(f"layer {layer!r}: feature statistics need at least 2 images")
    return LayerStats(spread=spread / n, spread_ddof1=spread1 / n, mean=total / n, n_images=n)


def true_feature_stats(features: Mapping[str, np.ndarray]) -> dict[str, LayerStats]:
    """Per-layer statistics of true features ``{layer: (N, ...)}`` of many natural images."""
    return {layer: layer_stats([value], layer) for layer, value in features.items()}


def rescale_to_spread(decoded: Mapping[str, np.ndarray], spread: Mapping[str, float]
                      ) -> dict[str, np.ndarray]:  # fmt: skip
    """The paper's rescaling to given target spreads: f * spread[layer] / spread(f), per image.

    The authors' scripts take the targets from ``estimated_vgg19_cnn_feat_std.mat`` (the SD of
    true features of 10,000 images per layer); :func:`rescale_decoded` estimates them here.

    Parameters
    ----------
    decoded : mapping of str to ndarray (N, ...)
        Decoded features per layer.
    spread : mapping of str to float
        Target spread per layer (:func:`feature_spread`, ddof 0).

    Returns
    -------
    dict of str to ndarray (float32)
    """
    missing = [layer for layer in decoded if layer not in spread]
    if missing:
        raise ValueError(f"no target feature SD for layers {missing}")
    out = {}
    for layer, value in decoded.items():
        value = np.asarray(value, dtype=np.float64)
        own = feature_spread(value)
        scale = spread[layer] / np.where(own > 0, own, 1.0)
        out[layer] = (value * scale.reshape(-1, *([1] * (value.ndim - 1)))).astype(np.float32)
    return out


def rescale_decoded(
    decoded: Mapping[str, np.ndarray],
    stats: Mapping[str, LayerStats],
    method: str = "paper",
    train_mean: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Rescale decoded features ``{layer: (N, ...)}`` to the spread of true features.

    Parameters
    ----------
    decoded : mapping of str to ndarray (N, ...)
    stats : mapping of str to LayerStats
        From :func:`true_feature_stats` on true features of natural images.
    method : {'paper', 'center_decoded', 'center_train', 'none'}
        ``paper``: f * s_true / spread(f) (no centring, ddof 0). ``center_decoded``: centre each
        unit on its mean over the decoded images, scale with ddof 1, add the mean back.
        ``center_train``: the same, centred on ``train_mean`` (the decoders' training mean of
        the features). ``none``: unchanged.
    train_mean : mapping, optional
        Per-layer unit means, required by ``center_train``.

    Returns
    -------
    dict of str to ndarray
    """
    if method not in METHODS:
        raise ValueError(f"unknown rescaling {method!r}; choose one of {METHODS}")
    missing = [layer for layer in decoded if layer not in stats]
    if method != "none" and missing:
        raise ValueError(f"no true-feature statistics for layers {missing}; compute them with "
                         "true_feature_stats on the same layers")  # fmt: skip
    if method == "paper":
        return rescale_to_spread(decoded, {layer: stats[layer].spread for layer in decoded})
    out = {}
    for layer, value in decoded.items():
        value = np.asarray(value, dtype=np.float64)
        if method == "none":
            out[layer] = value
            continue
        if method == "center_decoded":
            centre = value.mean(axis=0, keepdims=True)
        else:
            if train_mean is None or layer not in train_mean:
                raise ValueError(f"rescaling 'center_train' needs the decoders' training mean of layer {layer!r}")
            centre = np.asarray(train_mean[layer], dtype=np.float64).reshape(1, *value.shape[1:])
        centred = value - centre
        spread = feature_spread(centred, ddof=1)
        scale = stats[layer].spread_ddof1 / np.where(spread > 0, spread, 1.0)
        out[layer] = centred * scale.reshape(-1, *([1] * (value.ndim - 1))) + centre
    return {k: v.astype(np.float32) for k, v in out.items()}
