"""A deep generator network used as an image prior: any module mapping latents to images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from icnn.domains import ImageDomain, get_domain

Bound = float | np.ndarray | torch.Tensor | None


@dataclass
class GeneratorPrior:
    """A generator G and how its output becomes the encoder's input: ``x = crop(G(z))``.

    Parameters
    ----------
    module : nn.Module
        Maps latents (B, *latent_shape) to images (B, 3, H_g, W_g) in ``output_domain``.
    latent_shape : tuple of int
        Shape of one latent.
    output_domain : ImageDomain or str
        Domain of the generated images (Caffe BGR for the paper's generator).
    lower, upper : float or array, optional
        Bounds of the latent, scalar or per unit (the paper: 0 and 3 SD of relu7).
    crop : tuple of int, optional
        Centre crop (H, W) of the output; default: the encoder's image size.
    """

    module: nn.Module
    latent_shape: tuple[int, ...]
    output_domain: ImageDomain | str
    lower: Bound = None
    upper: Bound = None
    crop: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        self.output_domain = get_domain(self.output_domain)
        self.latent_shape = tuple(int(s) for s in self.latent_shape)

    def bounds(self, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """Lower and upper latent bounds broadcast to ``latent_shape`` (-inf/inf where unset)."""

        def full(value: Bound, default: float) -> torch.Tensor:
            value = default if value is None else value
            t = torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=dtype, device=device)
            return torch.broadcast_to(t, self.latent_shape).clone()

        return full(self.lower, -np.inf), full(self.upper, np.inf)

    def render(self, z: torch.Tensor, size: tuple[int, int], domain: ImageDomain) -> torch.Tensor:
        """Generate images from latents, centre-crop to ``size`` and map them to ``domain``."""
        images = self.module(z)
        crop = self.crop or size
        h, w = images.shape[-2:]
        if crop[0] > h or crop[1] > w:
            raise ValueError(f"generator output {h}x{w} is smaller than the crop {crop[0]}x{crop[1]}")
        top, left = (h - crop[0]) // 2, (w - crop[1]) // 2
        images = images[..., top:top + crop[0], left:left + crop[1]]
        if tuple(images.shape[-2:]) != tuple(size):
            images = nn.functional.interpolate(images, size=size, mode="bilinear", align_corners=False)
        if self.output_domain != domain:
            images = domain.to_network(self.output_domain.to_rgb255(images))
        return images
