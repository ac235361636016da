"""One entry point for the four iCNN variants: icnn_gd, icnn_lbfgs, icnn_dgn_gd, icnn_dgn_lbfgs.

The images of a batch are reconstructed together (one forward/backward per step for all of
them) but independently: loss, gradient normalisation, layer weights and L-BFGS state are per
image, so a batch gives the same images as separate runs with the same per-image seeds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from icnn.display import to_display
from icnn.domains import ImageDomain, get_domain, model_domain
from icnn.features import FeatureExtractor
from icnn.recon import clipping
from icnn.recon.blur import gaussian_blur
from icnn.recon.gd import GDOptions, run_gd, scheduled
from icnn.recon.lbfgs import LBFGSOptions, run_lbfgs
from icnn.recon.losses import LossFn, get_loss
from icnn.recon.objective import Objective, frozen
from icnn.recon.prior import GeneratorPrior
from icnn.recon.targets import LayerWeights, prepare_targets

VARIANTS: tuple[str, ...] = ("icnn_gd", "icnn_lbfgs", "icnn_dgn_gd", "icnn_dgn_lbfgs")

#: Published defaults of each variant (reference/icnn-method.md).
DEFAULT_OPTIONS: dict[str, GDOptions | LBFGSOptions] = {
    "icnn_gd": GDOptions(),
    "icnn_lbfgs": LBFGSOptions(n_iter=200),
    "icnn_dgn_gd": GDOptions(decay=(0.01, 0.01), blur_sigma=None),
    "icnn_dgn_lbfgs": LBFGSOptions(n_iter=500),
}

Options = GDOptions | LBFGSOptions | Mapping[str, object]


@dataclass
class ReconResult:
    """Reconstructions of a batch.

    Attributes
    ----------
    images : ndarray (B, H, W, 3)
        Raw reconstructions, RGB in the 0..255 scale, unclipped.
    loss_history : ndarray (B, n_iter)
        Loss of each image per iteration (NaN after an L-BFGS run converged).
    latents : ndarray (B, ...) or None
        Final generator latents of the DGN variants.
    snapshots : dict of int to ndarray (B, H, W, 3)
        Raw images after iteration k, when snapshots were asked for.
    """

    images: np.ndarray
    loss_history: np.ndarray
    latents: np.ndarray | None = None
    snapshots: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)

    def display(self, clip_percent: float = 2.0) -> np.ndarray:
        """Displayed images (uint8): tails clipped, min-max scaled (see :func:`icnn.display.to_display`)."""
        return to_display(self.images, clip_percent)


def variant_options(method: str, options: Options | None = None) -> GDOptions | LBFGSOptions:
    """The settings of ``method``: its published defaults updated by ``options``.

    ``options`` may be a mapping of field names (lists are accepted for schedules, as they come
    from YAML) or a complete GDOptions/LBFGSOptions of the variant's kind.
    """
    if method not in VARIANTS:
        raise ValueError(f"unknown method {method!r}; choose one of {VARIANTS}")
    base = DEFAULT_OPTIONS[method]
    if options is None:
        return base
    if isinstance(options, GDOptions | LBFGSOptions):
        if type(options) is not type(base):
            raise TypeError(f"{method} takes {type(base).__name__}, not {type(options).__name__}")
        return options
    names = {f.name for f in dataclasses.fields(base)}
    unknown = set(options) - names
    if unknown:
        raise ValueError(f"unknown {method} options {sorted(unknown)}; valid: {sorted(names)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    return dataclasses.replace(base, **values)


def seeds_for(seed: int | Sequence[int], batch: int) -> list[int]:
    """Seeds of ``batch`` images: ``seed + b`` for an int seed, else the given sequence."""
    if isinstance(seed, int | np.integer):
        return [int(seed) + b for b in range(batch)]
    seeds = [int(s) for s in seed]
    if len(seeds) != batch:
        raise ValueError(f"{len(seeds)} seeds given for {batch} images")
    return seeds


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
        rgb = np.asarray(init, dtype=np.float32)
        rgb = np.broadcast_to(rgb if rgb.ndim == 4 else rgb[None], (batch, h, w, 3))
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
        z = np.broadcast_to(np.asarray(init, dtype=np.float64), (batch, *shape))
    z = torch.as_tensor(np.array(z), dtype=lower.dtype, device=lower.device)
    return torch.minimum(torch.maximum(z, lower), upper)


def roll_images(images: torch.Tensor, shifts: np.ndarray) -> torch.Tensor:
    """Roll each image (B, ..., H, W) by its own (dy, dx) (frames of a clip all alike)."""
    return torch.stack([torch.roll(img, (int(dy), int(dx)), dims=(-2, -1))
                        for img, (dy, dx) in zip(images, shifts, strict=True)])  # fmt: skip


def reconstruct(
    targets: Mapping[str, np.ndarray | torch.Tensor],
    encoder: nn.Module,
    method: str = "icnn_gd",
    *,
    generator: GeneratorPrior | None = None,
    image_size: tuple[int, int] = (224, 224),
    domain: ImageDomain | str | None = None,
    aliases: Mapping[str, str] | None = None,
    loss: str | LossFn = "l2",
    layer_weights: LayerWeights = "inverse_norm",
    masks: Mapping[str, np.ndarray] | None = None,
    channels: Mapping[str, Sequence[int]] | None = None,
    init: str | np.ndarray | None = None,
    options: Options | None = None,
    seed: int | Sequence[int] = 0,
    snapshot_every: int | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    micro_batch: int | None = None,
    autocast_bf16: bool = False,
    progress: bool = True,
) -> ReconResult:
    """Reconstruct B images whose ``encoder`` features match ``targets`` on several layers.

    Parameters
    ----------
    targets : mapping of str to array (B, *feature_shape)
        Target features (true or decoded) per layer; keys are layer names or module paths.
    encoder : nn.Module
        Any torch CNN; moved to ``device``/``dtype`` and frozen (eval mode, no weight gradients;
        channels-last weights on CPUs) while reconstructing.
    method : {'icnn_gd', 'icnn_lbfgs', 'icnn_dgn_gd', 'icnn_dgn_lbfgs'}
        Pixels or generator latent, optimised by momentum gradient descent or L-BFGS-B.
    generator : GeneratorPrior, optional
        Required by the DGN variants.
    image_size : (int, int)
        Size (H, W) of the reconstructed images (the generator output is centre-cropped to it).
    domain : ImageDomain or str, optional
        The encoder's input domain; default: ``encoder.input_domain``.
    aliases : mapping, optional
        Layer-name map; default: ``encoder.layer_aliases``.
    loss : str or callable
        Layer loss: 'l2' (sum of squares, the paper), 'l1', 'inner', 'gram', 'corr'.
    layer_weights : 'inverse_norm', 'equal', mapping or array
        'inverse_norm' (the paper) weighs layer l of each image by 1/||f_l||^2, normalised.
    masks, channels : mapping, optional
        Units / channels of each layer used in the loss.
    init : str or array, optional
        Initial image ('random' (default), 'mean', or RGB 0..255 arrays (B, H, W, 3)) or
        initial latent ('zeros' (default), 'normal', 'uniform', or an array).
    options : GDOptions, LBFGSOptions or mapping, optional
        Overrides of the variant's published defaults (see :data:`DEFAULT_OPTIONS`).
    seed : int or sequence of int
        Image b uses seed ``seed + b`` (or ``seed[b]``) for its initial point and jitter.
    snapshot_every : int, optional
        Keep the images every this many iterations.
    device, dtype
        Where and in which precision to compute (CUDA works when available).
    micro_batch : int, optional
        Images per forward/backward pass; default: the whole batch. Speed and memory only
        (results are the same): on CPUs larger passes are slower per image, use 1 or 2.
    autocast_bf16 : bool
        Networks under bfloat16 autocast: about 1.7x faster on AVX512-BF16 CPUs, lower precision.
    progress : bool
        Show a progress bar.

    Returns
    -------
    ReconResult
    """
    opts = variant_options(method, options)
    use_generator = method.startswith("icnn_dgn")
    if use_generator and generator is None:
        raise ValueError(f"{method} needs a generator: pass generator=GeneratorPrior(...)")
    domain = get_domain(domain) if domain is not None else model_domain(encoder)
    device = torch.device(device)
    tgt = prepare_targets(targets, layer_weights, masks, channels, device, dtype)
    batch, size = tgt.batch_size, (int(image_size[0]), int(image_size[1]))
    rngs = [np.random.default_rng(s) for s in seeds_for(seed, batch)]
    encoder.to(device=device, dtype=dtype)
    if generator is not None:
        generator.module.to(device=device, dtype=dtype)

    shifts = np.zeros((batch, 2), dtype=int)  # per-image jitter of the current GD step
    # Channels-last convolutions are 10-15% faster on CPUs (oneDNN); GPUs keep their layout.
    relayout = device.type == "cpu"
    with frozen(encoder, channels_last=relayout), frozen(generator.module if generator else None), \
            FeatureExtractor(encoder, tgt.layers, aliases) as extractor:  # fmt: skip
        if use_generator:
            lower, upper = generator.bounds(device, dtype)
            start = initial_latents("zeros" if init is None else init, batch,
                                     generator.latent_shape, lower, upper, rngs)  # fmt: skip

            def render(z: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
                return generator.render(z, size, domain)
        else:
            rgb = initial_images("random" if init is None else init, batch, size, domain, rngs)
            start = domain.to_network(rgb.to(device=device, dtype=dtype))
            lo, hi = domain.pixel_bounds()
            lower = torch.tensor(lo, device=device, dtype=dtype).view(3, 1, 1)
            upper = torch.tensor(hi, device=device, dtype=dtype).view(3, 1, 1)

            def render(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
                return roll_images(x, shifts[index.cpu().numpy()]) if shifts.any() else x

        objective = Objective(extractor, tgt, get_loss(loss), render, micro_batch, autocast_bf16,
                              relayout)  # fmt: skip
        everyone = torch.arange(batch, device=device)

        if isinstance(opts, LBFGSOptions):
            var, history, snaps = run_lbfgs(objective.value_and_grad, start, lower, upper, opts,
                                            snapshot_every, progress)  # fmt: skip
        else:
            def value_and_grad(v: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
                if not use_generator and opts.jitter:
                    j = opts.jitter
                    shifts[:] = [rng.integers(-j, j + 1, 2) for rng in rngs]
                return objective.value_and_grad(v, everyone)

            def after_step(v: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
                v = (1.0 - scheduled(opts.decay, t, opts.n_iter)) * v
                if use_generator:
                    return torch.minimum(torch.maximum(v, lower), upper)
                return pixel_tricks(v, grad, t, opts)

            var, history, snaps = run_gd(value_and_grad, start, opts, after_step,
                                         snapshot_every, progress)  # fmt: skip
            shifts[:] = 0

        with torch.no_grad():
            def to_rgb(v: torch.Tensor) -> np.ndarray:
                net = render(v, everyone)
                return domain.to_rgb255(net).permute(0, 2, 3, 1).float().cpu().numpy()

            return ReconResult(
                images=to_rgb(var),
                loss_history=history,
                latents=var.float().cpu().numpy() if use_generator else None,
                snapshots={k: to_rgb(v) for k, v in snaps.items()},
            )


def pixel_tricks(x: torch.Tensor, grad: torch.Tensor, t: int, opts: GDOptions) -> torch.Tensor:
    """Blur and the optional clipping tricks of pixel gradient descent, after the decay."""
    n = opts.n_iter
    if opts.blur_sigma is not None:
        x = gaussian_blur(x, scheduled(opts.blur_sigma, t, n))
    if (t + 1) % opts.clip_every == 0:
        if opts.clip_extreme is not None:
            x = clipping.clip_extreme(x, scheduled(opts.clip_extreme, t, n))
        if opts.clip_small_norm is not None:
            x = clipping.clip_small_norm(x, scheduled(opts.clip_small_norm, t, n))
        if opts.clip_small_contribution is not None:
            x = clipping.clip_small_contribution(x, grad, scheduled(opts.clip_small_contribution, t, n))
    return x
