"""Tiny networks for fast tests of the icnn package."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from icnn.domains import CAFFE


class TinyNet(nn.Module):
    """A 16x16-input CNN with paper-style layer aliases, like the real encoders."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classifier = nn.Sequential(nn.Linear(16 * 4 * 4, 10))
        self.layer_aliases = {"conv1": "features.0", "conv2": "features.3", "fc": "classifier.0"}
        self.input_domain = CAFFE

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class TinyGenerator(nn.Module):
    """Latent (6,) -> Caffe-domain image (3, 20, 20), cropped to 16x16 by the prior."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 3 * 20 * 20)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return 60.0 * torch.tanh(self.fc(z)).view(-1, 3, 20, 20)


@pytest.fixture
def tiny_net() -> TinyNet:
    torch.manual_seed(0)
    return TinyNet().eval()


@pytest.fixture
def tiny_generator() -> TinyGenerator:
    torch.manual_seed(1)
    return TinyGenerator().eval()


@pytest.fixture
def tiny_images() -> torch.Tensor:
    """Three RGB 0..255 images (3, 3, 16, 16) with smooth structure."""
    g = torch.Generator().manual_seed(2)
    coarse = torch.rand(3, 3, 4, 4, generator=g) * 255
    return nn.functional.interpolate(coarse, size=(16, 16), mode="bilinear", align_corners=False)
