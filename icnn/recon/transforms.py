"""Transforms of gradient-descent reconstructions.

Two kinds: an input transform changes the encoder's input at every step (jitter, drawn anew
each iteration, so only gradient descent can use it), and step transforms change the variable
after each update (decay, blur, the clipping tricks, the latent box). Step transforms are
callables ``(var, normalised grad, t) -> var``, applied in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from icnn.recon import clipping
from icnn.recon.blur import gaussian_blur
from icnn.recon.gd import GDOptions, Schedule, scheduled

StepTransform = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]


def roll_images(images: torch.Tensor, shifts: np.ndarray) -> torch.Tensor:
    """Roll each image (B, ..., H, W) by its own (dy, dx)."""
    return torch.stack([torch.roll(img, (int(dy), int(dx)), dims=(-2, -1))
                        for img, (dy, dx) in zip(images, shifts, strict=True)])  # fmt: skip


class Jitter:
    """Roll each image by a random (dy, dx) in [-size, size], drawn from its own generator.

    Parameters
    ----------
    size : int
        Largest shift in pixels.
    rngs : list of numpy Generator
        One per image of the batch.
    """

    def __init__(self, size: int, rngs: list[np.random.Generator]) -> None:
        self.size = size
        self.rngs = rngs
        self.shifts = np.zeros((len(rngs), 2), dtype=int)

    def resample(self) -> None:
        """Draw new shifts for every image (once per iteration)."""
        self.shifts[:] = [rng.integers(-self.size, self.size + 1, 2) for rng in self.rngs]

    def reset(self) -> None:
        """No shift (for the final images)."""
        self.shifts[:] = 0

    def __call__(self, images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """Roll the images ``index`` of the batch by their shifts."""
        shifts = self.shifts[index.cpu().numpy()]
        return roll_images(images, shifts) if shifts.any() else images


@dataclass
class Decay:
    """Shrink the variable towards 0: ``var * (1 - decay_t)``."""

    schedule: Schedule
    n_iter: int

    def __call__(self, var: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
        return (1.0 - scheduled(self.schedule, t, self.n_iter)) * var


@dataclass
class ClampToBox:
    """Clamp the variable into [lower, upper] (the generator latent's bounds)."""

    lower: torch.Tensor
    upper: torch.Tensor

    def __call__(self, var: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
        return torch.minimum(torch.maximum(var, self.lower), self.upper)


@dataclass
class Blur:
    """Gaussian blur of each channel with sigma_t (scipy's gaussian_filter)."""

    schedule: Schedule
    n_iter: int

    def __call__(self, var: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
        return gaussian_blur(var, scheduled(self.schedule, t, self.n_iter))


@dataclass
class ClippingTricks:
    """The optional pixel clipping tricks (Yosinski et al. 2015) every ``clip_every`` iterations."""

    options: GDOptions

    def __call__(self, var: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
        opts, n = self.options, self.options.n_iter
        if (t + 1) % opts.clip_every == 0:
            if opts.clip_extreme is not None:
                var = clipping.clip_extreme(var, scheduled(opts.clip_extreme, t, n))
            if opts.clip_small_norm is not None:
                var = clipping.clip_small_norm(var, scheduled(opts.clip_small_norm, t, n))
            if opts.clip_small_contribution is not None:
                var = clipping.clip_small_contribution(var, grad, scheduled(opts.clip_small_contribution, t, n))
        return var


def pixel_transforms(opts: GDOptions) -> list[StepTransform]:
    """Blur and the clipping tricks that ``opts`` turns on, in the reference order."""
    steps: list[StepTransform] = []
    if opts.blur_sigma is not None:
        steps.append(Blur(opts.blur_sigma, opts.n_iter))
    if any(v is not None for v in (opts.clip_extreme, opts.clip_small_norm, opts.clip_small_contribution)):
        steps.append(ClippingTricks(opts))
    return steps


def pixel_tricks(x: torch.Tensor, grad: torch.Tensor, t: int, opts: GDOptions) -> torch.Tensor:
    """Blur and the optional clipping tricks of pixel gradient descent, after the decay."""
    return apply(pixel_transforms(opts), x, grad, t)


def apply(steps: Sequence[StepTransform], var: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
    """Apply step transforms in order."""
    for step in steps:
        var = step(var, grad, t)
    return var
