"""The small image discriminator of the adversarial loss."""

from __future__ import annotations

import torch
from torch import nn


class Discriminator(nn.Module):
    """Image (B, 3, H, W) in the encoder's domain -> one real/fake logit per image (B,).

    Parameters
    ----------
    width : int
        Channels of the first strided 4x4 convolution; doubled per layer, at most 256.
    n_layers : int
        Strided convolutions before global average pooling and the linear head.
    input_scale : float
        Divides the input, so that the network sees unit-scale images.
    """

    def __init__(self, width: int = 32, n_layers: int = 4, input_scale: float = 60.0) -> None:
        super().__init__()
        self.input_scale = float(input_scale)
        layers: list[nn.Module] = []
        channels = 3
        for i in range(n_layers):
            out = min(width * 2**i, 256)
            layers += [nn.Conv2d(channels, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits (B,) that the images are real."""
        h = self.features(images / self.input_scale).mean(dim=(2, 3))
        return self.head(h).squeeze(1)
