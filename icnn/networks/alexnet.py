"""AlexNet and CaffeNet in plain torch, with layer names and bdpy-compatible module layout.

The paper's generator inverts CaffeNet fc7; both layouts follow bdpy's converted Caffe models
(``features.N`` / ``classifier.N``) so their state dicts load without renaming.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from icnn.domains import CAFFE

LAYERS: tuple[str, ...] = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")

# Paper layer names to module paths. AlexNet normalises before pooling, CaffeNet after.
_ALIASES = {
    "alexnet": {"conv1": "features.0", "relu1": "features.1", "norm1": "features.2",
                "pool1": "features.3", "conv2": "features.4", "relu2": "features.5",
                "norm2": "features.6", "pool2": "features.7",
                "fc6": "classifier.0", "relu6": "classifier.1", "fc7": "classifier.2",
                "relu7": "classifier.3", "fc8": "classifier.4"},
    "caffenet": {"conv1": "features.0", "relu1": "features.1", "pool1": "features.2",
                 "norm1": "features.3", "conv2": "features.4", "relu2": "features.5",
                 "pool2": "features.6", "norm2": "features.7",
                 "fc6": "classifier.1", "relu6": "classifier.2", "fc7": "classifier.4",
                 "relu7": "classifier.5", "fc8": "classifier.6"},
}  # fmt: skip
_SHARED = {"conv3": "features.8", "relu3": "features.9", "conv4": "features.10",
           "relu4": "features.11", "conv5": "features.12", "relu5": "features.13",
           "pool5": "features.14"}  # fmt: skip


class AlexNet(nn.Module):
    """AlexNet (``variant='alexnet'``) or CaffeNet (``variant='caffenet'``), pre-ReLU layer names.

    Parameters
    ----------
    variant : {'alexnet', 'caffenet'}
        AlexNet puts local response normalisation before pooling, CaffeNet after it.
    num_classes : int
        Output units of fc8.
    """

    def __init__(self, variant: str = "caffenet", num_classes: int = 1000) -> None:
        super().__init__()
        if variant not in _ALIASES:
            raise ValueError(f"unknown AlexNet variant {variant!r}; choose 'alexnet' or 'caffenet'")

        def norm() -> nn.Module:
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)

        def pool() -> nn.Module:
            return nn.MaxPool2d(kernel_size=3, stride=2)

        head = [nn.Conv2d(3, 96, 11, stride=4), nn.ReLU()]
        block2 = [nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU()]
        if variant == "alexnet":
            head += [norm(), pool()]
            block2 += [norm(), pool()]
        else:
            head += [pool(), norm()]
            block2 += [pool(), norm()]
        self.features = nn.Sequential(
            *head, *block2,
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(),
            pool(),
        )  # fmt: skip
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        fc = [nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
              nn.Linear(4096, num_classes)]  # fmt: skip
        if variant == "caffenet":
            fc = [nn.Dropout(), *fc[:2], nn.Dropout(), *fc[2:]]
        self.classifier = nn.Sequential(*fc)
        self.variant = variant
        self.input_domain = CAFFE
        self.layer_aliases = {**_ALIASES[variant], **_SHARED}
        self.unavailable_layers: dict[str, str] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return fc8 outputs for Caffe-domain images (B, 3, 227, 227)."""
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def alexnet_from_state_dict(path: str | Path, variant: str = "caffenet") -> AlexNet:
    """Load bdpy's converted Caffe AlexNet/CaffeNet state dict into :class:`AlexNet`."""
    model = AlexNet(variant)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()
