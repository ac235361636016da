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
from icnn.recon.parameterisations import Parameterisation
from icnn.recon.transforms import Decay, Jitter, StepTransform, apply

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

    options_type = GDOptions

    def __init__(self, options: GDOptions, steps: Sequence[StepTransform] = (),
                 jitter: Jitter | None = None) -> None:  # fmt: skip
        self.options = options
        self.steps = list(steps)
        self.jitter = jitter

    @classmethod
    def build(cls, options: GDOptions, param: Parameterisation, rngs: list[np.random.Generator],
              device: torch.device, dtype: torch.dtype) -> GradientDescent:  # fmt: skip
        """The reference GD of a reconstruction: jitter when set (one generator per image),
        then after each step the decay and the parameterisation's own steps."""
        steps = [Decay(options.decay, options.n_iter), *param.gd_steps(options, device, dtype)]
        return cls(options, steps, Jitter(options.jitter, rngs) if options.jitter else None)

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

    options_type = LBFGSOptions
    jitter = None  # a deterministic objective only: L-BFGS has no random input transform

    def __init__(self, options: LBFGSOptions, lower: torch.Tensor, upper: torch.Tensor) -> None:
        self.options = options
        self.lower = lower
        self.upper = upper

    @classmethod
    def build(cls, options: LBFGSOptions, param: Parameterisation, rngs: list[np.random.Generator],
              device: torch.device, dtype: torch.dtype) -> LBFGSB:  # fmt: skip
        """L-BFGS-B in the parameterisation's box (``rngs`` are not used)."""
        return cls(options, *param.bounds(device, dtype))

    def run(self, objective: Objective, start: torch.Tensor, snapshot_every: int | None = None,
            progress: bool = True) -> RunResult:  # fmt: skip
        """Optimise every image of ``start`` (B, ...) until convergence or ``options.n_iter``."""
        return run_lbfgs(objective.value_and_grad, start, self.lower, self.upper, self.options,
                         snapshot_every, progress)  # fmt: skip


Optimiser = GradientDescent | LBFGSB
