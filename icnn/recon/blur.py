"""Gaussian blur of image batches in torch, equal to scipy.ndimage.gaussian_filter per channel.

scipy's defaults are kept (mode 'reflect' = half-sample symmetric, truncate 4.0) so that the
blur step matches the reference implementations, which call scipy on each channel.
"""

from __future__ import annotations

import torch


def _symmetric_index(n: int, radius: int, device: torch.device) -> torch.Tensor:
    """Source indices of a half-sample symmetric padding of a length-n axis by ``radius``."""
    idx = torch.arange(-radius, n + radius, device=device) % (2 * n)
    return torch.where(idx >= n, 2 * n - 1 - idx, idx)


def gaussian_kernel(sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """Normalised 1-D Gaussian kernel with scipy's radius ``int(truncate * sigma + 0.5)``."""
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(images: torch.Tensor, sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """Blur each channel of (B, C, H, W) images with a Gaussian of standard deviation ``sigma``.

    Returns the input unchanged for ``sigma <= 0``.
    """
    if sigma <= 0:
        return images
    kernel = gaussian_kernel(sigma, truncate).to(images)
    radius = (kernel.numel() - 1) // 2
    b, c, h, w = images.shape
    x = images.reshape(b * c, 1, h, w)
    x = x.index_select(2, _symmetric_index(h, radius, images.device))
    x = torch.nn.functional.conv2d(x, kernel.view(1, 1, -1, 1))
    x = x.index_select(3, _symmetric_index(w, radius, images.device))
    x = torch.nn.functional.conv2d(x, kernel.view(1, 1, 1, -1))
    return x.reshape(b, c, h, w)
