"""Clips and tiny networks for the tests of icnn.video."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from icnn.domains import CAFFE


def moving_square(n_frames: int = 5, size: int = 32, side: int = 8, step: int = 4) -> np.ndarray:
    """One clip (1, T, size, size, 3): a red square moving right by ``step`` px per frame over
    a smooth still background (each pixel is covered in fewer than half of the frames)."""
    yy, xx = np.mgrid[:size, :size]
    background = np.stack([80 + 60 * np.sin(xx / 5.0), 100 + 50 * np.cos(yy / 6.0), 120 + 0 * xx], -1)
    clip = np.repeat(background[None], n_frames, 0).astype(np.float32)
    top = (size - side) // 2
    for t in range(n_frames):
        clip[t, top:top + side, 4 + step * t:4 + step * t + side] = (230, 40, 40)
    return clip[None]


class TinyVideoNet(nn.Module):
    """A 3D CNN on clips (B, 3, T, 16, 16) with layer aliases, Caffe domain."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool3d((1, 2, 2)),
            nn.Conv3d(6, 8, 3, padding=1),
        )  # fmt: skip
        self.layer_aliases = {"conv1": "features.0", "conv2": "features.3"}
        self.input_domain = CAFFE

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


@pytest.fixture
def tiny_video_net() -> TinyVideoNet:
    torch.manual_seed(3)
    return TinyVideoNet().eval()


@pytest.fixture
def tiny_clips() -> np.ndarray:
    """Two clips (2, 3, 16, 16, 3) in 0..255: smooth random images panning 1 px per frame."""
    g = torch.Generator().manual_seed(4)
    coarse = torch.rand(2, 3, 4, 4, generator=g) * 255
    images = nn.functional.interpolate(coarse, size=(16, 16), mode="bilinear", align_corners=False)
    frames = torch.stack([torch.roll(images, t, dims=3) for t in range(3)], 1)
    return frames.permute(0, 1, 3, 4, 2).numpy()
