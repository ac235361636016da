"""The optional pixel clipping tricks of the Caffe icnn_gd (Yosinski et al. 2015), per image."""

from __future__ import annotations

import torch


def _quantile(values: torch.Tensor, percent: float) -> torch.Tensor:
    """Per-image percentile of (B, N) values, shape (B, 1)."""
    return torch.quantile(values, percent / 100.0, dim=1, keepdim=True)


def clip_extreme(images: torch.Tensor, percent: float) -> torch.Tensor:
    """Clip each image's values to its [p, 100 - p] percentile range."""
    flat = images.reshape(images.shape[0], -1)
    lo, hi = _quantile(flat, percent), _quantile(flat, 100.0 - percent)
    return torch.minimum(torch.maximum(flat, lo), hi).reshape(images.shape)


def _zero_below(images: torch.Tensor, score: torch.Tensor, percent: float) -> torch.Tensor:
    flat = score.reshape(score.shape[0], -1)
    keep = (flat >= _quantile(flat, percent)).reshape(score.shape).unsqueeze(1)
    return images * keep


def clip_small_norm(images: torch.Tensor, percent: float) -> torch.Tensor:
    """Zero the pixels whose norm over channels is below the image's p-th percentile."""
    return _zero_below(images, images.norm(dim=1), percent)


def clip_small_contribution(images: torch.Tensor, grad: torch.Tensor, percent: float) -> torch.Tensor:
    """Zero the pixels whose norm over channels of image x gradient is below the p-th percentile."""
    return _zero_below(images, (images * grad).norm(dim=1), percent)
