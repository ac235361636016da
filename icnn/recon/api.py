"""``icnn.reconstruct``: a variant of the registry, assembled from parts, run on a batch.

A reconstruction is parameterisation x optimiser x objective x transforms:
:mod:`icnn.recon.parameterisations` (pixels or generator latent), :mod:`icnn.recon.optimisers`
(momentum GD or L-BFGS-B), :class:`icnn.recon.objective.Objective` (the weighted multi-layer
feature loss with masks) and :mod:`icnn.recon.transforms` (jitter, decay, blur, clipping, latent
box). :mod:`icnn.recon.variants` says which parts each variant combines, with its defaults.

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
from icnn.recon.checks import check_int
from icnn.recon.losses import LossFn, get_loss
from icnn.recon.objective import Objective, Renderer, frozen
from icnn.recon.parameterisations import (
    Init,
    Parameterisation,
    initial_images,
    initial_latents,
    seeds_for,
)
from icnn.recon.prior import GeneratorPrior
from icnn.recon.targets import LayerWeights, prepare_targets
from icnn.recon.transforms import Jitter, pixel_tricks, roll_images
from icnn.recon.variants import DEFAULT_OPTIONS, VARIANTS, Options, get_variant, variant_options

# With reconstruct, the names other code imports from here (their home before the split into parts).
__all__ = ["reconstruct", "ReconResult", "renderer", "DEFAULT_OPTIONS", "VARIANTS", "Options",
           "variant_options", "seeds_for", "initial_images", "initial_latents", "pixel_tricks",
           "roll_images"]  # fmt: skip


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


def renderer(param: Parameterisation, jitter: Jitter | None) -> Renderer:
    """The encoder's input of a subset of images: the parameterisation's image, jittered."""
    if jitter is None:
        return lambda var, index: param.render(var)
    return lambda var, index: jitter(param.render(var), index)


def _check_request(image_size: tuple[int, int], snapshot_every: int | None, dtype: torch.dtype) -> tuple[int, int]:
    if len(image_size) != 2:
        raise ValueError(f"image_size must be (height, width); got {image_size!r}")
    size = (check_int("reconstruct", "image_size[0]", image_size[0], 1),
            check_int("reconstruct", "image_size[1]", image_size[1], 1))  # fmt: skip
    if snapshot_every is not None:
        check_int("reconstruct", "snapshot_every", snapshot_every, 1)
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch dtype; got {dtype}")
    return size


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
    init: Init = None,
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

    Every argument is checked before any optimisation: unknown variant, option, layer or loss,
    invalid option values, non-finite targets or initial values, and target shapes that differ
    from the encoder's features raise a ValueError (KeyError for layers) naming the culprit.

    Parameters
    ----------
    targets : mapping of str to array (B, *feature_shape)
        Target features (true or decoded) per layer; keys are layer names or module paths.
    encoder : nn.Module
        Any torch CNN; moved to ``device``/``dtype`` and frozen (eval mode, no weight gradients;
        channels-last weights on CPUs) while reconstructing.
    method : str
        A variant of :data:`icnn.recon.variants.REGISTRY`: 'icnn_gd', 'icnn_lbfgs' (pixels),
        'icnn_dgn_gd', 'icnn_dgn_lbfgs' (generator latent), by momentum gradient descent or
        L-BFGS-B.
    generator : GeneratorPrior, optional
        Required by the generator (DGN) variants; ignored by the others.
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
    variant = get_variant(method)
    opts = variant_options(method, options)
    if variant.needs_generator and generator is None:
        raise ValueError(f"{method} needs a generator: pass generator=GeneratorPrior(...)")
    size = _check_request(image_size, snapshot_every, dtype)
    domain = get_domain(domain) if domain is not None else model_domain(encoder)
    device = torch.device(device)
    tgt = prepare_targets(targets, layer_weights, masks, channels, device, dtype)
    rngs = [np.random.default_rng(s) for s in seeds_for(seed, tgt.batch_size)]
    # The variant's parts, as the registry says (see icnn.recon.variants).
    param = variant.parameterisation.build(size, domain, generator)
    optimiser = variant.optimiser.build(opts, param, rngs, device, dtype)
    for module in (encoder, *param.modules):
        module.to(device=device, dtype=dtype)

    # Channels-last convolutions are 10-15% faster on CPUs (oneDNN); GPUs keep their layout.
    relayout = device.type == "cpu"
    with frozen(encoder, channels_last=relayout), frozen(*param.modules), \
            FeatureExtractor(encoder, tgt.layers, aliases) as extractor:  # fmt: skip
        start = param.initial(init, rngs, device, dtype)
        objective = Objective(extractor, tgt, get_loss(loss), renderer(param, optimiser.jitter),
                              micro_batch, autocast_bf16, relayout)  # fmt: skip
        objective.check_shapes(start)
        var, history, snaps = optimiser.run(objective, start, snapshot_every, progress)

        with torch.no_grad():
            def to_rgb(v: torch.Tensor) -> np.ndarray:
                return domain.to_rgb255(param.render(v)).permute(0, 2, 3, 1).float().cpu().numpy()

            return ReconResult(images=to_rgb(var), loss_history=history, latents=param.latents(var),
                               snapshots={k: to_rgb(v) for k, v in snaps.items()})  # fmt: skip
