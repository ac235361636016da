"""The Dosovitskiy & Brox (2016) training losses, scaled so that their weights are comparable."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def relative_squared_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared error divided by the power of the target (1 for a prediction of zeros).

    Scale-free, so the image loss (Caffe-domain pixels, ~60) and feature losses (activations of
    any size) can share weights near 1.
    """
    return (pred - target).pow(2).mean() / target.pow(2).mean().clamp_min(1e-12)


def generator_adversarial(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating GAN loss of the generator: -log D(G(z))."""
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the discriminator: -log D(x) - log(1 - D(G(z)))."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
