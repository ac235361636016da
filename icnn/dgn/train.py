"""Training a generator that inverts an encoder layer, after Dosovitskiy & Brox (2016).

Every step: latents z of a batch of training views -> G(z), centre-cropped exactly as in
reconstruction -> image loss against the views, feature loss in the comparator (the encoder's
own layers), adversarial loss from a small discriminator, which is updated next. The encoder
is frozen, so the latents of all views are computed once and cached. The batch order depends
on (seed, epoch) only, so a run resumed from a checkpoint follows the uninterrupted run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from icnn.dgn.architecture import UpconvGenerator
from icnn.dgn.bounds import derive_bounds, latent_scale, latent_stats
from icnn.dgn.card import (
    CARD_FILE,
    CARD_FORMAT,
    CHECKPOINT_FILE,
    LATENT_CACHE_FILE,
    STATE_FILE,
    STATS_FILE,
    read_card,
    write_card,
)
from icnn.dgn.config import DGNConfig, config_from_dict
from icnn.dgn.data import augmented_views, fingerprint, image_files
from icnn.dgn.discriminator import Discriminator
from icnn.dgn.files import atomic_savez, atomic_torch_save
from icnn.dgn.latent import latent_features
from icnn.dgn.losses import discriminator_loss, generator_adversarial, relative_squared_error
from icnn.domains import ImageDomain, model_domain
from icnn.features import FeatureExtractor
from icnn.images import load_images
from icnn.networks.registry import ENCODERS, build_encoder
from icnn.recon.objective import frozen
from icnn.recon.prior import GeneratorPrior


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _module_digest(module: nn.Module) -> str:
    """SHA-256 of a module's weights, so that a retrained encoder invalidates the cache."""
    digest = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _is_cached(out: Path, stamp: str) -> bool:
    if not (out / CARD_FILE).is_file():
        return False
    try:
        card = read_card(out)
    except ValueError:
        return False
    return card.get("stamp") == stamp and (out / STATE_FILE).is_file() and (out / STATS_FILE).is_file()


def _view_latents(path: Path, stamp: str, encoder: nn.Module, views: np.ndarray, cfg: DGNConfig,
                  device: str | torch.device, progress: bool) -> np.ndarray:  # fmt: skip
    """Latents of every view, from ``path`` when its stamp matches, else computed and saved."""
    if path.is_file():
        cached = torch.load(path, map_location="cpu", weights_only=True)
        if cached.get("stamp") == stamp:
            return cached["latents"].numpy()
    chunk = 64
    parts = [latent_features(encoder, views[i:i + chunk], cfg.latent.layer, cfg.latent.pool,
                             device=device)
             for i in tqdm(range(0, len(views), chunk), desc="dgn latents", disable=not progress)]  # fmt: skip
    latents = np.concatenate(parts)
    atomic_torch_save({"stamp": stamp, "latents": torch.from_numpy(latents)}, path)
    return latents


def _batch(step: int, n: int, batch_size: int, seed: int) -> np.ndarray:
    """Indices of the views of ``step``: consecutive slices of a permutation drawn per epoch."""
    per_epoch = n // batch_size
    epoch, k = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[k * batch_size:(k + 1) * batch_size]


@dataclasses.dataclass
class _Models:
    """What one training step updates."""

    prior: GeneratorPrior
    discriminator: Discriminator | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer | None

    def state(self) -> dict[str, Any]:
        state = {"generator": self.prior.module.state_dict(), "opt_g": self.opt_g.state_dict()}
        if self.discriminator is not None:
            state |= {"discriminator": self.discriminator.state_dict(),
                      "opt_d": self.opt_d.state_dict()}  # fmt: skip
        return state

    def load(self, state: dict[str, Any]) -> None:
        self.prior.module.load_state_dict(state["generator"])
        self.opt_g.load_state_dict(state["opt_g"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_d.load_state_dict(state["opt_d"])


def _build_models(cfg: DGNConfig, latent_shape: tuple[int, ...], resolution: int,
                  domain: ImageDomain, device: str | torch.device) -> _Models:  # fmt: skip
    torch.manual_seed(cfg.train.seed)
    gen_cfg, train = cfg.generator, cfg.train
    generator = UpconvGenerator(latent_shape, resolution, gen_cfg.width, gen_cfg.min_width,
                                gen_cfg.refine, gen_cfg.output_scale).to(device)  # fmt: skip
    betas = (train.beta1, 0.999)
    opt_g = torch.optim.Adam(generator.parameters(), lr=train.lr, betas=betas)
    discriminator, opt_d = None, None
    if cfg.loss.adversarial > 0:
        discriminator = Discriminator(cfg.discriminator.width, cfg.discriminator.n_layers,
                                      gen_cfg.output_scale).to(device)  # fmt: skip
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=train.lr_discriminator, betas=betas)
    # The prior renders training images exactly as reconstruction will (centre crop).
    prior = GeneratorPrior(generator, latent_shape, domain, crop=(resolution, resolution))
    return _Models(prior, discriminator, opt_g, opt_d)


class TrainingDiverged(RuntimeError):
    """Generator training ended with a non-finite loss or a loss far above its best."""


def _set_lr(models: _Models, cfg: DGNConfig, step: int) -> None:
    """Cosine decay of both learning rates from their configured values (step 0) to 0: a
    function of the step only, so a resumed run follows the uninterrupted one."""
    factor = 0.5 * (1.0 + math.cos(math.pi * step / cfg.train.steps))
    for opt, lr in ((models.opt_g, cfg.train.lr), (models.opt_d, cfg.train.lr_discriminator)):
        for group in opt.param_groups if opt is not None else ():
            group["lr"] = lr * factor


def _clip_threshold(history: dict[str, list[float]], cfg: DGNConfig) -> float | None:
    """The generator's gradient-norm limit: ``clip_ratio`` x the median of the previous
    ``clip_window`` norms (None: off, or no norm recorded yet)."""
    norms = history.get("grad_norm", [])[-cfg.train.clip_window:]
    if cfg.train.clip_ratio is None or not norms:
        return None
    return cfg.train.clip_ratio * float(np.median(norms))


def _reconstruction_loss(history: dict[str, list[float]], cfg: DGNConfig) -> np.ndarray:
    """Weighted image + feature loss per step (the terms that say how well G inverts)."""
    terms = [getattr(cfg.loss, k) * np.asarray(history[k]) for k in ("image", "feature") if k in history]
    return np.sum(terms, axis=0)


def check_divergence(history: dict[str, list[float]], cfg: DGNConfig) -> None:
    """Raise :class:`TrainingDiverged` when a loss is not finite, or when the image + feature
    loss over the last tenth of the steps exceeds ``train.max_loss_rise`` times its lowest:
    the lowest mean over any tenth of the steps, or the first step's (the untrained
    generator's) if that is lower. A run that blew up late (as the 2-thread CPU run of the
    pool2 demo generator at lr 0.002 without clipping did) or early ends far above it. Runs
    of fewer than 20 steps (tenths of one noisy step) are checked for finite losses only."""
    fix = (f"lower train.lr (now {cfg.train.lr:g}) or loss.adversarial (now {cfg.loss.adversarial:g}), "
           f"or set train.clip_ratio (now {cfg.train.clip_ratio})")  # fmt: skip
    for name, values in history.items():
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise TrainingDiverged(f"dgn training: {name} loss is {values[bad[0]]} at step {bad[0] + 1}; {fix}")
    loss = _reconstruction_loss(history, cfg)
    tail = len(loss) // 10
    if tail < 2:
        return
    means = np.convolve(loss, np.ones(tail) / tail, mode="valid")
    last = float(means[-1])
    start = int(means.argmin())
    best, where = (float(means[start]), f"steps {start + 1}-{start + tail}") if means[start] < loss[0] \
        else (float(loss[0]), "step 1")  # fmt: skip
    if last > cfg.train.max_loss_rise * best:
        raise TrainingDiverged(
            f"dgn training diverged: image + feature loss {last:.4g} over the last {tail} steps, "
            f"{last / best:.3g} times its lowest {best:.4g} ({where}); the limit is "
            f"train.max_loss_rise = {cfg.train.max_loss_rise:g}. No card was written; {fix}"
        )


def _train_step(models: _Models, comparator: FeatureExtractor | None, z: torch.Tensor,
                real: torch.Tensor, cfg: DGNConfig, clip_to: float | None) -> dict[str, float]:  # fmt: skip
    """One generator update (gradient norm clipped to ``clip_to`` when given) and one
    discriminator update; returns the loss terms and the generator's gradient norm."""
    size = tuple(real.shape[-2:])
    fake = models.prior.render(z, size, models.prior.output_domain)
    terms: dict[str, torch.Tensor] = {}
    if cfg.loss.image > 0:
        terms["image"] = relative_squared_error(fake, real)
    if comparator is not None:
        with torch.no_grad():
            target = comparator(real)
        got = comparator(fake)
        terms["feature"] = torch.stack([relative_squared_error(got[k], target[k])
                                        for k in target]).mean()  # fmt: skip
    if models.discriminator is not None:
        terms["adversarial"] = generator_adversarial(models.discriminator(fake))
    total = sum(getattr(cfg.loss, name) * value for name, value in terms.items())
    models.opt_g.zero_grad()
    total.backward()
    params = list(models.prior.module.parameters())
    norm = nn.utils.clip_grad_norm_(params, math.inf if clip_to is None else clip_to)
    models.opt_g.step()
    losses = {name: float(value.detach()) for name, value in terms.items()}
    losses["total"] = float(total.detach())
    losses["grad_norm"] = float(norm)
    if models.discriminator is not None:
        d_loss = discriminator_loss(models.discriminator(real), models.discriminator(fake.detach()))
        models.opt_d.zero_grad()
        d_loss.backward()
        models.opt_d.step()
        losses["discriminator"] = float(d_loss.detach())
    return losses


def _loss_summary(history: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """First-step losses and the mean over the last tenth of the steps."""
    tail = max(1, len(history["total"]) // 10)
    return {"first": {k: round(v[0], 6) for k, v in history.items()},
            "last": {k: round(float(np.mean(v[-tail:])), 6) for k, v in history.items()}}  # fmt: skip


def train_generator(
    config: DGNConfig | dict[str, Any],
    image_dir: str | Path,
    out_dir: str | Path,
    device: str | torch.device = "cpu",
    progress: bool = True,
    resume: bool = True,
    encoder: nn.Module | None = None,
) -> Path:
    """Train a generator that inverts an encoder layer; cached, checkpointed, resumable.

    Parameters
    ----------
    config : DGNConfig or dict
        The training configuration (see :mod:`icnn.dgn.config`, ``config/dgn.yaml``).
    image_dir : str or Path
        Stimulus folder with ``index.tsv`` (its ``config.data.set`` images are used) or a plain
        folder of images.
    out_dir : str or Path
        Output folder: ``generator.pt``, ``latent_stats.npz``, ``generator.yaml`` (the card),
        plus ``latents.pt`` (cached latents) and, while training, ``checkpoint.pt``.
    device : str or torch.device
        Where to train.
    progress : bool
        Show progress bars with the losses.
    resume : bool
        Continue from ``out_dir/checkpoint.pt`` when it belongs to the same configuration and
        data.
    encoder : nn.Module, optional
        Encoder to invert instead of the registered ``config.encoder`` (needs ``input_domain``
        and the layer names of the config).

    Returns
    -------
    Path
        The card ``out_dir/generator.yaml``. Re-running with the same configuration, data and
        encoder returns it at once.
    """
    cfg = config if isinstance(config, DGNConfig) else config_from_dict(config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = image_files(image_dir, cfg.data.set)
    encoder_name = cfg.encoder if encoder is None else type(encoder).__name__
    encoder = build_encoder(cfg.encoder) if encoder is None else encoder
    domain = model_domain(encoder)
    data_print = fingerprint(files)
    data_stamp = _digest({"encoder": encoder_name, "weights": _module_digest(encoder),
                          "image_size": cfg.image_size, "latent": cfg.to_dict()["latent"],
                          "data": cfg.to_dict()["data"], "seed": cfg.train.seed,
                          "files": data_print})  # fmt: skip
    stamp = _digest({"format": CARD_FORMAT, "config": cfg.to_dict(), "data": data_stamp})
    if _is_cached(out, stamp):
        return out / CARD_FILE

    started = time.perf_counter()
    images = load_images(files, cfg.image_size)
    size = images.shape[1]
    resolution = cfg.generator.resolution or size
    if resolution > size:
        raise ValueError(f"dgn config, generator.resolution: {resolution} exceeds the image size "
                         f"{size}; use at most {size} or null")  # fmt: skip
    views = augmented_views(images, cfg.data.n_views, cfg.data.min_crop, cfg.train.seed)
    latents = _view_latents(out / LATENT_CACHE_FILE, data_stamp, encoder, views, cfg, device,
                            progress)  # fmt: skip
    latent_seconds = time.perf_counter() - started
    # view 0: the training images themselves; the latent is the feature in units of its scale
    scale = latent_scale(latents[: len(images)])
    latents = (latents / scale).astype(np.float32)
    stats = latent_stats(latents[: len(images)])
    lower, upper = derive_bounds(stats, cfg.bounds.sd_multiple)

    models = _build_models(cfg, latents.shape[1:], resolution, domain, device)
    history: dict[str, list[float]] = {}
    step0, seconds = 0, 0.0
    checkpoint = out / CHECKPOINT_FILE
    if resume and checkpoint.is_file():
        saved = torch.load(checkpoint, map_location=device, weights_only=True)
        if saved["stamp"] == stamp:
            models.load(saved["models"])
            step0, seconds, history = saved["step"], saved["seconds"], saved["history"]
        else:
            tqdm.write(f"{checkpoint} belongs to another configuration or data: starting afresh")

    views_t = torch.from_numpy(views).permute(0, 3, 1, 2)
    latents_t = torch.from_numpy(latents)
    train = cfg.train
    batch_size = min(train.batch_size, len(views))
    comparator = (FeatureExtractor(encoder, list(cfg.loss.feature_layers))
                  if cfg.loss.feature > 0 else contextlib.nullcontext())  # fmt: skip
    encoder.to(device)
    models.prior.module.train()
    bar = tqdm(range(step0, train.steps), initial=step0, total=train.steps, desc="dgn train",
               disable=not progress)  # fmt: skip
    with frozen(encoder), comparator as extractor:
        tick = time.perf_counter()
        for step in bar:
            index = torch.from_numpy(_batch(step, len(views), batch_size, train.seed))
            z = latents_t[index].to(device)
            real = domain.to_network(views_t[index].to(device))
            if resolution != size:
                real = nn.functional.interpolate(real, size=(resolution, resolution), mode="area")
            _set_lr(models, cfg, step)
            losses = _train_step(models, extractor, z, real, cfg, _clip_threshold(history, cfg))
            for name, value in losses.items():
                history.setdefault(name, []).append(value)
            if not all(math.isfinite(v) for v in losses.values()):
                check_divergence(history, cfg)  # fails at once: nothing finite follows a NaN
            bar.set_postfix({k: f"{v[-1]:.3g}" for k, v in history.items()})
            if (step + 1) % train.checkpoint_every == 0 or step + 1 == train.steps:
                now = time.perf_counter()
                seconds, tick = seconds + now - tick, now
                atomic_torch_save({"stamp": stamp, "step": step + 1, "seconds": seconds,
                                   "history": history, "models": models.state()}, checkpoint)  # fmt: skip
    bar.close()
    check_divergence(history, cfg)

    generator = models.prior.module.eval()
    atomic_torch_save(generator.state_dict(), out / STATE_FILE)
    atomic_savez(out / STATS_FILE, lower=lower.astype(np.float32), upper=upper.astype(np.float32),
                 scale=np.float32(scale), **{k: v.astype(np.float32) for k, v in stats.items()})  # fmt: skip
    output_size = list(generator(latents_t[:1].to(device)).shape[-2:])
    card = {
        "stamp": stamp,
        "encoder": {"name": encoder_name, "registered": encoder_name in ENCODERS,
                    "input_domain": domain.name},
        "latent": {"layer": cfg.latent.layer, "pool": cfg.latent.pool,
                   "shape": list(latents.shape[1:]),
                   "scale": "feature / its RMS over the training images", "scale_value": round(scale, 6),
                   "nonnegative": bool(np.all(stats["min"] >= 0))},
        "image_size": int(size),
        "output_domain": domain.name,
        "crop": [resolution, resolution],
        "architecture": {"class": "UpconvGenerator", **dataclasses.asdict(cfg.generator),
                         "resolution": resolution, "output_size": output_size},
        "bounds": {"file": STATS_FILE, "sd_multiple": cfg.bounds.sd_multiple,
                   "rule": ("lower 0, upper sd_multiple x SD per unit (non-negative latent)"
                            if np.all(stats["min"] >= 0) else "mean +- sd_multiple x SD per unit"),
                   "upper_mean": round(float(upper.mean()), 6),
                   "upper_max": round(float(upper.max()), 6),
                   "zero_width_units": int(np.sum(upper <= lower))},
        "losses": {"weights": {k: getattr(cfg.loss, k) for k in ("image", "feature", "adversarial")},
                   "feature_layers": list(cfg.loss.feature_layers), **_loss_summary(history)},
        "data": {"image_dir": str(image_dir), "set": cfg.data.set, "n_images": len(images),
                 "n_views": cfg.data.n_views, "fingerprint": data_print},
        "seed": train.seed,
        "training": {"steps": train.steps, "device": str(device),
                     "latent_seconds": round(latent_seconds, 1), "train_seconds": round(seconds, 1)},
        "config": cfg.to_dict(),
    }  # fmt: skip
    path = write_card(card, out)
    checkpoint.unlink(missing_ok=True)
    return path
