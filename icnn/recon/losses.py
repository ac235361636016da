"""Per-image layer losses between network activations and target features.

Every function takes activations and targets of shape (B, ...) and a mask broadcastable to
them (1 = unit used; None = all units, which spares a pass over large conv features) and
returns one loss per image (B,), so a batch of reconstructions keeps its images independent.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Mask = torch.Tensor | None
LossFn = Callable[[torch.Tensor, torch.Tensor, Mask], torch.Tensor]


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1)


def _masked(x: torch.Tensor, mask: Mask) -> torch.Tensor:
    return x if mask is None else x * mask


def l2_loss(act: torch.Tensor, target: torch.Tensor, mask: Mask) -> torch.Tensor:
    """Sum of squared errors over the masked units (the paper's loss; no mean)."""
    return _flat(_masked(act - target, mask) ** 2).sum(1)


def l1_loss(act: torch.Tensor, target: torch.Tensor, mask: Mask) -> torch.Tensor:
    """Sum of absolute errors over the masked units."""
    return _flat(_masked(act - target, mask).abs()).sum(1)


def inner_loss(act: torch.Tensor, target: torch.Tensor, mask: Mask) -> torch.Tensor:
    """Negative inner product of activations and targets over the masked units."""
    return -_flat(_masked(act * target, mask)).sum(1)


def _gram(x: torch.Tensor) -> torch.Tensor:
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    return flat @ flat.transpose(1, 2)


def gram_loss(act: torch.Tensor, target: torch.Tensor, mask: Mask) -> torch.Tensor:
    """Style loss ``||G - G0||^2 / (4 N^2 M^2)`` of Gram matrices (N channels, M positions)."""
    if act.dim() != 4:
        raise ValueError(f"gram loss needs conv features (B, C, H, W); got shape {tuple(act.shape)}")
    n_channels, n_positions = act.shape[1], act.shape[2] * act.shape[3]
    diff = _gram(_masked(act, mask)) - _gram(_masked(target, mask))
    return _flat(diff**2).sum(1) / (4.0 * n_channels**2 * n_positions**2)


def corr_loss(act: torch.Tensor, target: torch.Tensor, mask: Mask) -> torch.Tensor:
    """One minus the Pearson correlation of activations and targets over the masked units."""
    weight = _flat(torch.ones_like(act) if mask is None else mask.expand_as(act).to(act.dtype))
    count = weight.sum(1, keepdim=True)
    a, t = _flat(act), _flat(target)
    a = (a - (a * weight).sum(1, keepdim=True) / count) * weight
    t = (t - (t * weight).sum(1, keepdim=True) / count) * weight
    r = (a * t).sum(1) / torch.sqrt((a * a).sum(1) * (t * t).sum(1)).clamp_min(1e-12)
    return 1.0 - r


LOSSES: dict[str, LossFn] = {
    "l2": l2_loss, "l1": l1_loss, "inner": inner_loss, "gram": gram_loss, "corr": corr_loss,
}  # fmt: skip


def get_loss(name: str | LossFn) -> LossFn:
    """Return a loss given its name (``l2``, ``l1``, ``inner``, ``gram``, ``corr``) or itself."""
    if callable(name):
        return name
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)} or pass a callable")
    return LOSSES[name]
