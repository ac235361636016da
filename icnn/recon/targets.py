"""Target features of a reconstruction: their masks, channel selections and layer weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from icnn.recon.checks import check_finite

LayerWeights = str | Mapping[str, float] | np.ndarray


@dataclass
class Targets:
    """Target features of B images on several layers, ready for the loss.

    Attributes
    ----------
    features : dict of str to Tensor
        ``{layer: (B, *feature_shape)}``.
    masks : dict of str to Tensor or None
        ``{layer: mask}`` broadcastable to the features; 1 = unit used in the loss; None = all.
    weights : Tensor
        (B, n_layers) weight of each layer's loss for each image.
    """

    features: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor | None]
    weights: torch.Tensor

    @property
    def layers(self) -> list[str]:
        """Layer names in the order given."""
        return list(self.features)

    @property
    def batch_size(self) -> int:
        """Number of images B."""
        return int(self.weights.shape[0])


def _mask_for(
    layer: str,
    shape: tuple[int, ...],
    masks: Mapping[str, np.ndarray] | None,
    channels: Mapping[str, Sequence[int]] | None,
) -> np.ndarray | None:
    """Mask (1, *shape) from a unit mask of the feature's shape and/or a channel list; None
    when neither is given (every unit counts)."""
    if not (masks and layer in masks) and not (channels and layer in channels):
        return None
    mask = np.ones((1, *shape), dtype=np.float32)
    if masks and layer in masks:
        given = np.asarray(masks[layer], dtype=np.float32)
        check_finite(f"mask of layer {layer!r}", given)
        if given.shape == shape[-given.ndim:] or given.shape == (1, *shape):
            mask = mask * given  # a spatial (H, W) mask broadcasts over channels
        else:
            raise ValueError(f"mask of layer {layer!r} has shape {given.shape}; expected {shape} "
                             f"or its trailing dims {shape[1:]}")  # fmt: skip
    if channels and layer in channels:
        selected = np.zeros(shape[0], dtype=np.float32)
        index = np.asarray(channels[layer], dtype=int)
        if index.size and (index.min() < -shape[0] or index.max() >= shape[0]):
            raise ValueError(f"channels of layer {layer!r}: {index.tolist()} out of range for its "
                             f"{shape[0]} channels")  # fmt: skip
        selected[index] = 1.0
        mask = mask * selected.reshape((1, shape[0]) + (1,) * (len(shape) - 1))
    return mask


def layer_weights(
    features: Mapping[str, np.ndarray], masks: Mapping[str, np.ndarray | None], weights: LayerWeights
) -> np.ndarray:
    """Per-image layer weights (B, n_layers).

    ``'inverse_norm'`` (the paper): w_l proportional to 1 / ||f_l||^2 of each image's masked
    targets, normalised to sum 1 per image. ``'equal'``: 1 / n_layers. A mapping gives fixed
    weights per layer; an array (B, n_layers) is used as is.
    """
    layers = list(features)
    batch = next(iter(features.values())).shape[0]
    if isinstance(weights, str):
        if weights == "equal":
            return np.full((batch, len(layers)), 1.0 / len(layers))
        if weights != "inverse_norm":
            raise ValueError(f"unknown layer weighting {weights!r}; use 'inverse_norm', 'equal', "
                             "a {layer: weight} mapping or an array (B, n_layers)")  # fmt: skip
        sq_norms = np.stack(
            [((features[k] if masks[k] is None else features[k] * masks[k]) ** 2)
             .reshape(batch, -1).sum(1) for k in layers], axis=1
        ).astype(np.float64)
        if np.any(sq_norms == 0):
            raise ValueError("a target layer is all zeros: 'inverse_norm' weights are undefined; "
                             "use layer_weights='equal' or drop the layer")  # fmt: skip
        inv = 1.0 / sq_norms
        return inv / inv.sum(1, keepdims=True)
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(layers)
        if unknown:
            raise ValueError(f"layer weights given for layers without targets: {sorted(unknown)}")
        weights = np.tile([float(weights.get(k, 0.0)) for k in layers], (batch, 1))
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (batch, len(layers)):
        raise ValueError(f"layer weight array has shape {weights.shape}; expected {(batch, len(layers))}")
    check_finite("layer_weights", weights)
    if np.any(weights < 0):
        raise ValueError(f"layer_weights must be >= 0; got {weights.min()} (a negative weight maximises that layer's loss)")
    return weights


def prepare_targets(
    features: Mapping[str, np.ndarray | torch.Tensor],
    weights: LayerWeights = "inverse_norm",
    masks: Mapping[str, np.ndarray] | None = None,
    channels: Mapping[str, Sequence[int]] | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Targets:
    """Check target features and build masks and per-image layer weights.

    Parameters
    ----------
    features : mapping of str to array
        ``{layer: (B, *feature_shape)}``, the same B for every layer.
    weights : str, mapping or array
        Layer weighting (see :func:`layer_weights`).
    masks : mapping, optional
        ``{layer: mask}`` of the feature's shape (without B) or its trailing (H, W).
    channels : mapping, optional
        ``{layer: channel indices}`` to use; other channels are masked out.
    device, dtype
        Where and how the targets are held.

    Returns
    -------
    Targets
    """
    if not features:
        raise ValueError("no target features given")
    arrays = {k: np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=np.float32)
              for k, v in features.items()}  # fmt: skip
    for layer, value in arrays.items():
        if value.ndim < 2:
            raise ValueError(f"target features of layer {layer!r} have shape {value.shape}; expected "
                             "(n_images, *feature_shape)")  # fmt: skip
        bad = ~np.isfinite(value).reshape(len(value), -1).all(1)
        if bad.any():
            raise ValueError(f"target features of layer {layer!r} have non-finite values (NaN or Inf) in "
                             f"images {np.flatnonzero(bad).tolist()}; fix or drop them first")  # fmt: skip
    sizes = {k: v.shape[0] for k, v in arrays.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"target layers have different numbers of images: {sizes}")
    extra = set(masks or {}) | set(channels or {})
    if extra - set(arrays):
        raise ValueError(f"masks/channels given for layers without targets: {sorted(extra - set(arrays))}")
    mask_arrays = {k: _mask_for(k, v.shape[1:], masks, channels) for k, v in arrays.items()}
    w = layer_weights(arrays, mask_arrays, weights)

    def to_t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=device, dtype=dtype)

    return Targets(
        features={k: to_t(v) for k, v in arrays.items()},
        masks={k: None if v is None else to_t(v) for k, v in mask_arrays.items()},
        weights=to_t(w),
    )
