"""The optimisers of a reconstruction, on a common interface: ``run(objective, start, ...)``.

Both return ``(final variables, loss history (B, n_iter), snapshots)``; see :func:`run_gd`
and :func:`run_lbfgs` for the algorithms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from icnn.recon.gd import GDOptions, run_gd
from icnn.recon.lbfgs import LBFGSOptions, run_lbfgs
from icnn.recon.objective import Objective
from icnn.recon.transforms import Jitter, StepTransform, apply

RunResult = tuple[torch.Tensor, np.ndarray, dict[int, torch.Tensor]]


class GradientDescent:
    """Momentum gradient descent with an optional jitter of the input and step transforms.

    Parameters
    ----------
    options : GDOptions
    steps : sequence of step transforms
        Applied in order after each update (decay, blur, clipping, latent box).
    jitter : Jitter, optional
        Redrawn before each iteration; the objective's renderer must apply it (see ``render``).
    """

    def __init__(self, options: GDOptions, steps: Sequence[StepTransform] = (),
                 jitter: Jitter | None = None) -> None:  # fmt: skip
        self.options = options
        self.steps = list(steps)
        self.jitter = jitter

    def run(self, objective: Objective, start: torch.Tensor, snapshot_every: int | None = None,
            progress: bool = True) -> RunResult:  # fmt: skip
        """Optimise every image of ``start`` (B, ...) for ``options.n_iter`` iterations."""
        everyone = torch.arange(start.shape[0], device=start.device)

        def value_and_grad(var: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
            if self.jitter is not None:
                self.jitter.resample()
            return objective.value_and_grad(var, everyone)

        def after_step(var: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
            return apply(self.steps, var, grad, t)

        try:
            return run_gd(value_and_grad, start, self.options, after_step, snapshot_every, progress)
        finally:
            if self.jitter is not None:
                self.jitter.reset()


class LBFGSB:
    """L-BFGS-B (scipy, one state per image) inside the box [lower, upper].

    Parameters
    ----------
    options : LBFGSOptions
    lower, upper : Tensor
        Bounds broadcastable to one image's variable.
    """

    jitter = None  # a deterministic objective only: L-BFGS has no random input transform

    def __init__(self, options: LBFGSOptions, lower: torch.Tensor, upper: torch.Tensor) -> None:
        self.options = options
        self.lower = lower
        self.upper = upper

    def run(self, objective: Objective, start: torch.Tensor, snapshot_every: int | None = None,
            progress: bool = True) -> RunResult:  # fmt: skip
        """Optimise every image of ``start`` (B, ...) until convergence or ``options.n_iter``."""
        return run_lbfgs(objective.value_and_grad, start, self.lower, self.upper, self.options,
                         snapshot_every, progress)  # fmt: skip


Optimiser = GradientDescent | LBFGSB
