"""What a reconstruction optimises: the encoder's input pixels, or a generator's latent.

A parameterisation turns the optimised variable into the encoder's input (``render``), gives the
starting point and the box of valid values (for L-BFGS-B and the latent clamp of GD), and turns
the final variable into RGB images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from icnn.domains import ImageDomain
from icnn.recon.checks import check_finite
from icnn.recon.gd import GDOptions
from icnn.recon.prior import GeneratorPrior
from icnn.recon.transforms import ClampToBox, StepTransform, pixel_transforms

Init = str | np.ndarray | None


def seeds_for(seed: int | Sequence[int], batch: int) -> list[int]:
    """Seeds of ``batch`` images: ``seed + b`` for an int seed, else the given sequence."""
    if isinstance(seed, int | np.integer):
        return [int(seed) + b for b in range(batch)]
    seeds = [int(s) for s in seed]
    if len(seeds) != batch:
        raise ValueError(f"{len(seeds)} seeds given for {batch} images")
    return seeds


def _given(init: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    """A given start (B, *shape) or (*shape) broadcast to (B, *shape), checked."""
    given = np.asarray(init, dtype=np.float64)
    one = shape[1:]
    if given.shape not in (shape, one, (1, *one)):
        raise ValueError(f"init {what} have shape {given.shape}; expected {shape} or {(1, *one)}")
    check_finite(f"init {what}", given)
    return np.broadcast_to(given if given.ndim == len(shape) else given[None], shape)


def initial_images(init: str | np.ndarray, batch: int, size: tuple[int, int],
                   domain: ImageDomain, rngs: list[np.random.Generator]) -> torch.Tensor:  # fmt: skip
    """Initial RGB images (B, 3, H, W) in 0..255: 'random' (uniform integers, the reference),
    'mean' (the domain's mean pixel) or given images (B or 1, H, W, 3)."""
    h, w = size
    if isinstance(init, str):
        if init == "random":
            rgb = np.stack([rng.integers(0, 256, (h, w, 3)) for rng in rngs]).astype(np.float32)
        elif init == "mean":
            return domain.to_rgb255(torch.zeros(batch, 3, h, w))
        else:
            raise ValueError(f"unknown initial image {init!r}; use 'random', 'mean' or an array")
    else:
        rgb = _given(init, (batch, h, w, 3), "images").astype(np.float32)
    return torch.as_tensor(np.array(rgb)).permute(0, 3, 1, 2)


def initial_latents(init: str | np.ndarray, batch: int, shape: tuple[int, ...],
                    lower: torch.Tensor, upper: torch.Tensor,
                    rngs: list[np.random.Generator]) -> torch.Tensor:  # fmt: skip
    """Initial latents (B, ...): 'zeros' (the paper), 'normal' (N(0, 1)), 'uniform' (in the
    finite bounds) or given; always clipped into the bounds, since L-BFGS-B stops at once
    from an infeasible start."""
    if isinstance(init, str):
        if init == "zeros":
            z = np.zeros((batch, *shape))
        elif init == "normal":
            z = np.stack([rng.standard_normal(shape) for rng in rngs])
        elif init == "uniform":
            lo = np.nan_to_num(lower.cpu().numpy(), neginf=0.0)
            hi = np.nan_to_num(upper.cpu().numpy(), posinf=lo + 1.0)
            z = np.stack([rng.uniform(lo, hi) for rng in rngs])
        else:
            raise ValueError(f"unknown initial latent {init!r}; use 'zeros', 'normal', 'uniform' or an array")
    else:
        z = _given(init, (batch, *shape), "latents")
    z = torch.as_tensor(np.array(z), dtype=lower.dtype, device=lower.device)
    return torch.minimum(torch.maximum(z, lower), upper)


class Pixels:
    """Optimise the encoder's input image itself (in the encoder's domain).

    Parameters
    ----------
    size : (int, int)
        Image size (H, W).
    domain : ImageDomain
        The encoder's input domain.
    """

    needs_generator = False
    modules: tuple[nn.Module, ...] = ()

    def __init__(self, size: tuple[int, int], domain: ImageDomain) -> None:
        self.size = size
        self.domain = domain

    @classmethod
    def build(cls, size: tuple[int, int], domain: ImageDomain, generator: GeneratorPrior | None) -> Pixels:
        """The parameterisation of a reconstruction (``generator`` is not used)."""
        return cls(size, domain)

    def bounds(self, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel network values of RGB 0 and 255, shape (3, 1, 1) each."""
        lo, hi = self.domain.pixel_bounds()
        lower = torch.tensor(lo, device=device, dtype=dtype).view(3, 1, 1)
        upper = torch.tensor(hi, device=device, dtype=dtype).view(3, 1, 1)
        return lower, upper

    def initial(self, init: Init, rngs: list[np.random.Generator], device: torch.device,
                dtype: torch.dtype) -> torch.Tensor:  # fmt: skip
        """Start (B, 3, H, W): 'random' (default), 'mean' or RGB 0..255 images (B or 1, H, W, 3)."""
        rgb = initial_images("random" if init is None else init, len(rngs), self.size, self.domain, rngs)
        return self.domain.to_network(rgb.to(device=device, dtype=dtype))

    def render(self, var: torch.Tensor) -> torch.Tensor:
        """The encoder input: the variable itself."""
        return var

    def gd_steps(self, options: GDOptions, device: torch.device, dtype: torch.dtype) -> list[StepTransform]:
        """Step transforms of gradient descent after the decay: blur and clipping tricks as set
        (pixels are not clamped, as in the reference)."""
        return pixel_transforms(options)

    def latents(self, var: torch.Tensor) -> None:
        """No latents."""
        return None


class GeneratorLatent:
    """Optimise the latent z of a generator G; the encoder sees crop(G(z)) (the DGN prior).

    Parameters
    ----------
    generator : GeneratorPrior
        The generator, its latent shape and bounds.
    size : (int, int)
        Image size (H, W) of the encoder's input.
    domain : ImageDomain
        The encoder's input domain.
    """

    needs_generator = True

    def __init__(self, generator: GeneratorPrior, size: tuple[int, int], domain: ImageDomain) -> None:
        self.generator = generator
        self.size = size
        self.domain = domain
        self.modules = (generator.module,)

    @classmethod
    def build(cls, size: tuple[int, int], domain: ImageDomain,
              generator: GeneratorPrior | None) -> GeneratorLatent:  # fmt: skip
        """The parameterisation of a reconstruction; ``generator`` is required."""
        if generator is None:
            raise ValueError("this variant optimises a generator latent: pass generator=GeneratorPrior(...)")
        return cls(generator, size, domain)

    def bounds(self, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """The generator's latent bounds, shape ``latent_shape`` each (+-inf where unset)."""
        return self.generator.bounds(device, dtype)

    def initial(self, init: Init, rngs: list[np.random.Generator], device: torch.device,
                dtype: torch.dtype) -> torch.Tensor:  # fmt: skip
        """Start (B, *latent_shape): 'zeros' (default), 'normal', 'uniform' or given latents."""
        lower, upper = self.bounds(device, dtype)
        return initial_latents("zeros" if init is None else init, len(rngs), self.generator.latent_shape,
                               lower, upper, rngs)  # fmt: skip

    def render(self, var: torch.Tensor) -> torch.Tensor:
        """The encoder input: the generated image, cropped to the size, in the encoder's domain."""
        return self.generator.render(var, self.size, self.domain)

    def gd_steps(self, options: GDOptions, device: torch.device, dtype: torch.dtype) -> list[StepTransform]:
        """Step transforms of gradient descent after the decay: clamp the latent into its bounds."""
        return [ClampToBox(*self.bounds(device, dtype))]

    def latents(self, var: torch.Tensor) -> np.ndarray:
        """The final latents as a float32 array."""
        return var.float().cpu().numpy()


Parameterisation = Pixels | GeneratorLatent
