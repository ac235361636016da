"""The trainable generator: an encoder's spatial feature map -> an image in the encoder's domain.

Fully convolutional, unlike the paper's fc7 generator: a spatial latent (e.g. VGG19 pool5,
512 x 4 x 4 at 128 px) keeps the layout of the image, and local convolutions learn it from a
few hundred images in minutes, where fully connected layers would need far more data. Each 2x
stage is a nearest-neighbour upsampling and a 3x3 convolution rather than a transposed
convolution, which avoids checkerboard artefacts in a briefly trained generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

_SLOPE = 0.3  # LeakyReLU slope of the Dosovitskiy-Brox generators


def upsampling_stages(latent_hw: tuple[int, int], image_size: int) -> int:
    """Number of 2x upsampling stages that take a latent map to at least ``image_size``."""
    smallest = min(latent_hw)
    return max(0, math.ceil(math.log2(image_size / smallest)))


class UpconvGenerator(nn.Module):
    """Latent map (B, C, h, w) -> image (B, 3, h 2^n, w 2^n), n from :func:`upsampling_stages`.

    A 3x3 stem, n stages of 2x upsampling and a 3x3 convolution (optionally a second one) with
    channels halving from ``width`` to ``min_width``, and a 3x3 convolution to RGB scaled by
    ``output_scale``. The output is at least ``image_size``; the prior centre-crops it.

    Parameters
    ----------
    latent_shape : (int, int, int)
        Shape (C, h, w) of one latent.
    image_size : int
        Side of the images the generator must cover (its output resolution).
    width, min_width : int
        Channels of the first stage, and the fewest of any stage.
    refine : bool
        Add a second 3x3 convolution to every stage.
    output_scale : float
        Factor on the last layer (natural images have an SD of about 60 in the Caffe domain).
    """

    def __init__(self, latent_shape: tuple[int, ...], image_size: int, width: int = 256,
                 min_width: int = 32, refine: bool = True, output_scale: float = 60.0) -> None:  # fmt: skip
        super().__init__()
        if len(latent_shape) != 3:
            raise ValueError(
                f"latent shape {tuple(latent_shape)} has no spatial layout (C, h, w); pick a conv "
                "or pool layer, or set latent.pool to pool a map to a fixed size"
            )
        self.latent_shape = tuple(int(s) for s in latent_shape)
        self.output_scale = float(output_scale)
        act = nn.LeakyReLU(_SLOPE)
        channels = self.latent_shape[0]
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, padding=1), act]
        channels = width
        for _ in range(upsampling_stages(self.latent_shape[1:], image_size)):
            out = max(channels // 2, min_width)
            layers += [nn.Upsample(scale_factor=2), nn.Conv2d(channels, out, 3, padding=1), act]
            if refine:
                layers += [nn.Conv2d(out, out, 3, padding=1), act]
            channels = out
        layers.append(nn.Conv2d(channels, 3, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate images (B, 3, H, W) in the encoder's input domain from latents (B, C, h, w)."""
        return self.output_scale * self.net(z)
