"""Gradient descent with momentum, as in the iCNN reference implementations.

Per iteration t of n: linear schedules v_t = v0 + t (v1 - v0) / n; per-image gradient
normalised by its mean absolute value; delta <- mu_t delta + g; x <- x - lr_t delta; then the
caller's after-step (decay, blur, clipping, bounds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from icnn.recon.checks import check_int, check_schedule

Schedule = tuple[float, float]


@dataclass(frozen=True)
class GDOptions:
    """Settings of the gradient-descent variants (icnn_gd, icnn_dgn_gd).

    Parameters
    ----------
    n_iter : int
        Iterations.
    lr, momentum, decay : (start, end)
        Linear schedules of step size, momentum and multiplicative decay of the variable.
    blur_sigma : (start, end) or None
        Gaussian blur of the image after each step (pixel variants only); None = off.
    jitter : int
        Random roll of the encoder's input image by up to this many pixels per iteration; 0 = off.
    normalize_grad : bool
        Divide each image's gradient by its mean absolute value.
    clip_extreme, clip_small_norm, clip_small_contribution : (start, end) or None
        Percentile schedules of the clipping tricks (pixel variants only), applied every
        ``clip_every`` iterations: clip values beyond the p-th / (100-p)-th percentile; zero
        pixels whose channel norm is below the p-th percentile; zero pixels whose norm of
        image x gradient is below the p-th percentile. None = off (default).
    clip_every : int
        Interval of the clipping tricks.
    """

    n_iter: int = 200
    lr: Schedule = (2.0, 1e-10)
    momentum: Schedule = (0.9, 0.9)
    decay: Schedule = (0.2, 1e-10)
    blur_sigma: Schedule | None = (2.0, 0.5)
    jitter: int = 0
    normalize_grad: bool = True
    clip_extreme: Schedule | None = None
    clip_small_norm: Schedule | None = None
    clip_small_contribution: Schedule | None = None
    clip_every: int = 4

    def __post_init__(self) -> None:
        check_int("GDOptions", "n_iter", self.n_iter, 1)
        check_int("GDOptions", "jitter", self.jitter, 0)
        check_int("GDOptions", "clip_every", self.clip_every, 1)
        # Lists (from YAML) become tuples; ranges: step sizes >= 0, momentum and decay fractions,
        # percentiles (the extreme clip keeps [p, 100 - p], so p <= 50).
        ranges = {"lr": (0.0, math.inf), "momentum": (0.0, 1.0), "decay": (0.0, 1.0),
                  "blur_sigma": (0.0, math.inf), "clip_extreme": (0.0, 50.0),
                  "clip_small_norm": (0.0, 100.0), "clip_small_contribution": (0.0, 100.0)}  # fmt: skip
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if value is not None or name in ("lr", "momentum", "decay"):
                object.__setattr__(self, name, check_schedule("GDOptions", name, value, low, high))
        if not isinstance(self.normalize_grad, bool | np.bool_):
            raise ValueError(f"GDOptions.normalize_grad must be true or false; got {self.normalize_grad!r}")


def scheduled(schedule: Schedule, t: int, n: int) -> float:
    """Value of a linear schedule (start, end) at iteration t of n (the reference formula)."""
    start, end = schedule
    return start + t * (end - start) / n


def per_image(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape per-image values (B,) to broadcast against ``like`` (B, ...)."""
    return values.view(-1, *([1] * (like.dim() - 1)))


def normalize_gradient(grad: torch.Tensor) -> torch.Tensor:
    """Divide each image's gradient by its mean absolute value (left as is where that is 0)."""
    scale = grad.abs().reshape(grad.shape[0], -1).mean(1)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return grad / per_image(scale, grad)


AfterStep = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]
ValueAndGrad = Callable[[torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]


def run_gd(
    value_and_grad: ValueAndGrad,
    var0: torch.Tensor,
    options: GDOptions,
    after_step: AfterStep,
    snapshot_every: int | None = None,
    progress: bool = True,
) -> tuple[torch.Tensor, np.ndarray, dict[int, torch.Tensor]]:
    """Run momentum gradient descent on a batch of variables.

    Parameters
    ----------
    value_and_grad : callable
        ``(var, t) -> (loss (B,), grad like var)``.
    var0 : Tensor (B, ...)
        Initial variables.
    options : GDOptions
    after_step : callable
        ``(var, normalised grad, t) -> var`` applied after each update (decay, blur, bounds).
    snapshot_every : int, optional
        Keep the variables every this many iterations.
    progress : bool
        Show a progress bar.

    Returns
    -------
    var : Tensor
        Final variables.
    history : ndarray (B, n_iter)
        Loss of each image at each iteration (before that iteration's update).
    snapshots : dict of int to Tensor
        Variables after iteration k (1-based), for k in multiples of ``snapshot_every``.
    """
    n = options.n_iter
    var = var0.detach().clone()
    delta = torch.zeros_like(var)
    history = np.zeros((var.shape[0], n), dtype=np.float64)
    snapshots: dict[int, torch.Tensor] = {}
    bar = tqdm(range(n), desc="icnn gd", disable=not progress, leave=False)
    for t in bar:
        loss, grad = value_and_grad(var, t)
        if options.normalize_grad:
            grad = normalize_gradient(grad)
        delta = scheduled(options.momentum, t, n) * delta + grad
        var = var - scheduled(options.lr, t, n) * delta
        var = after_step(var, grad, t)
        history[:, t] = loss.double().cpu().numpy()
        if snapshot_every and (t + 1) % snapshot_every == 0:
            snapshots[t + 1] = var.detach().clone()
        bar.set_postfix(loss=f"{history[:, t].mean():.4g}")
    return var, history, snapshots
