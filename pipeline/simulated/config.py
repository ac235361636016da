"""Configuration of the simulated study: dataclasses with defaults, loaded from YAML through a schema.

``config.schema.yaml`` beside this module holds every key's type, range, default and
description; :func:`load_config` reads a YAML file, validates it against the schema (filling
defaults) and builds the dataclasses. Only what a schema cannot express is checked here
(:func:`_check`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import fail, read_yaml, section, validate
from pipeline.simulated.photos import CATALOGUE

#: The schema of a simulated-study config (shipped as package data beside this module).
SCHEMA = Path(__file__).with_name("config.schema.yaml")
_NAME = "demo_data config"
#: The simulated visual areas, from early to late; the keys of per-ROI settings.
ROIS: tuple[str, ...] = ("V1", "V2", "V3", "V4", "HVC")
#: The default split of the photo catalogue: distinct photos to test and to validate on (objects
#: and textures in each); the other photos (clock, horse, hubble, retina, ihc, grass, cell,
#: text) give the training crops.
TEST_PHOTOS = ("chelsea", "coffee", "rocket", "grace_hopper", "camera", "china", "brick")
VALIDATION_PHOTOS = ("astronaut", "flower", "coins", "gravel")


@dataclass(frozen=True)
class StimulusConfig:
    """What stimulus images are drawn, and at which size.

    Attributes
    ----------
    image_size : int
        Side of every square stimulus image in pixels.
    n_train : int
        Number of natural training crops.
    n_test : int or None
        Number of natural test crops, cut from ``test_photos`` in turn; None: one per photo.
    test_photos : tuple of str
        Catalogue names of the photos reserved for the test set.
    n_validation : int or None
        Number of natural validation crops, cut from ``validation_photos`` in turn; None: one
        per photo.
    validation_photos : tuple of str
        Catalogue names of the photos reserved for the validation set, on which settings are
        chosen (never on the test set). Every other photo is cut into training crops.
    crop_scales : tuple of float
        Crop sides of the test and validation crops, as fractions of a photo's short side.
    train_crop_scales : tuple of float
        Crop sides of the training crops (smaller crops: more distinct views of few photos).
    n_dead_leaves : int
        Number of synthetic dead-leaves training images (:mod:`pipeline.simulated.deadleaves`),
        in addition to the ``n_train`` crops.
    dead_leaves_radii : tuple of float
        Smallest and largest radius of their shapes, as fractions of the image side.
    dead_leaves_exponent : float
        Power of their radius distribution p(r) ~ r^-exponent (3: scale-invariant).
    letters : str
        The alphabet letters drawn for the letter set.
    seed : int
        Seed of the crop positions, scales and flips.
    """

    image_size: int = 128
    n_train: int = 240
    n_test: int | None = None
    test_photos: tuple[str, ...] = TEST_PHOTOS
    n_validation: int | None = 12
    validation_photos: tuple[str, ...] = VALIDATION_PHOTOS
    crop_scales: tuple[float, ...] = (1.0, 0.75, 0.5)
    train_crop_scales: tuple[float, ...] = (1.0, 0.75, 0.5)
    n_dead_leaves: int = 120
    dead_leaves_radii: tuple[float, float] = (0.02, 0.5)
    dead_leaves_exponent: float = 3.0
    letters: str = "ACEINORSTU"
    seed: int = 0


@dataclass(frozen=True)
class DnnChannelsConfig:
    """Deep-network channels: voxels that pool the units of one VGG19 layer (an encoding model).

    Attributes
    ----------
    layer : str
        VGG19 conv layer (``conv1_1`` ... ``conv5_4``) whose rectified units the voxels pool.
    input_size : int
        Side in pixels the stimulus is resized to before the network sees it.
    share : dict
        ROI name -> share of the voxels' drive that comes from these channels (the rest keeps
        the Gabor-energy model's split); ROIs not named keep share 0.
    sparseness : float
        Shape of the gamma distribution of each voxel's channel weights: small values give
        voxels dominated by a few channels (about ``n_channels * shape / (1 + shape)``).
    """

    layer: str = "conv5_2"
    input_size: int = 224
    share: dict[str, float] = field(default_factory=lambda: {"HVC": 0.8})
    sparseness: float = 0.1


@dataclass(frozen=True)
class ModelConfig:
    """The voxel encoding model shared by all simulated subjects.

    Attributes
    ----------
    field_of_view_deg : float
        Visual angle spanned by a stimulus image (the study showed 12 x 12 degrees).
    spatial_frequencies_cpd : tuple of float
        Centre spatial frequencies of the Gabor channels, cycles per degree (at most 3: the
        model retina samples 8 px/deg and a one-octave filter centred higher would alias).
        Stimuli are resampled to a model retina of fixed resolution, so the subjects respond
        the same way whatever ``image_size`` is.
    n_orientations : int
        Orientations of the Gabor channels, evenly spaced over 180 degrees.
    n_voxels : dict
        Voxels per ROI (keys V1, V2, V3, V4, HVC).
    dnn_channels : DnnChannelsConfig or None
        Voxels that also pool a deep network's units; None: the Gabor-energy model alone.
    """

    field_of_view_deg: float = 12.0
    spatial_frequencies_cpd: tuple[float, ...] = (0.375, 0.75, 1.5, 3.0)
    n_orientations: int = 4
    n_voxels: dict[str, int] = field(
        default_factory=lambda: {"V1": 500, "V2": 450, "V3": 400, "V4": 300, "HVC": 600}
    )
    dnn_channels: DnnChannelsConfig | None = None


@dataclass(frozen=True)
class NoiseConfig:
    """Measurement noise, calibrated by single-trial signal-to-noise ratios.

    Attributes
    ----------
    snr_median : float
        Median over signal-carrying voxels of the single-trial SNR (signal SD / noise SD).
    snr_log_sd : float
        Spread of the SNR across voxels (SD of its natural log).
    null_fraction : float
        Fraction of voxels that carry no stimulus signal at all.
    run_offset_sd : float
        SD of the run-wise baseline offsets, in units of the trial noise SD.
    """

    snr_median: float = 0.4
    snr_log_sd: float = 0.6
    null_fraction: float = 0.15
    run_offset_sd: float = 0.5


@dataclass(frozen=True)
class DesignConfig:
    """Presentations of each stimulus set (the study: training 1,200 x 5, test 50 x 24).

    Attributes
    ----------
    train_reps, test_reps, artificial_reps, letter_reps : int
        Presentations of every image of the set.
    trials_per_run : int
        Maximum number of stimulus blocks in one run.
    """

    train_reps: int = 3
    test_reps: int = 8
    artificial_reps: int = 4
    letter_reps: int = 6
    trials_per_run: int = 60


@dataclass(frozen=True)
class MoviesConfig:
    """The movie study (:mod:`pipeline.simulated.movies`): clips and their sessions.

    Attributes
    ----------
    image_size : int
        Side of the clips' frames in pixels.
    n_train, n_test : int
        Training and test clips; half of each are moving shapes, half pans and zooms
        (test clips on ``stimuli.test_photos`` only, training clips on the other photos).
    n_frames : int
        Frames per clip.
    train_reps, test_reps : int
        Showings of every training and test clip (each repetition a fresh random order).
    frame_s, tr_s, rest_s : float
        Seconds per frame (a multiple of ``tr_s``), between volumes, and of rest after each clip.
    seed : int
        Seed of the clips (shapes, directions, photos, pans and zooms).
    subjects : tuple of str
        The subjects who watch the clips (their movie sessions cost as much to simulate as
        their image sessions, so only the one the workflow's movie condition uses by default).
    """

    image_size: int = 64
    n_train: int = 48
    n_test: int = 6
    n_frames: int = 6
    train_reps: int = 2
    test_reps: int = 6
    frame_s: float = 2.0
    tr_s: float = 1.0
    rest_s: float = 6.0
    seed: int = 0
    subjects: tuple[str, ...] = ("sub-01",)


@dataclass(frozen=True)
class SubjectConfig:
    """One simulated subject: its name (file prefix) and the seed of its brain."""

    name: str
    seed: int


@dataclass(frozen=True)
class DemoConfig:
    """Everything that determines the demo dataset.

    Attributes
    ----------
    out_dir : str
        Folder the dataset is written to.
    stimuli, model, noise, design : dataclass
        The sections described by their classes.
    movies : MoviesConfig or None
        The movie study; None: no clips, no movie sessions.
    subjects : tuple of SubjectConfig
        The simulated subjects.
    """

    out_dir: str = "data/demo"
    stimuli: StimulusConfig = field(default_factory=StimulusConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    design: DesignConfig = field(default_factory=DesignConfig)
    movies: MoviesConfig | None = field(default_factory=MoviesConfig)
    subjects: tuple[SubjectConfig, ...] = (
        SubjectConfig("sub-01", 1),
        SubjectConfig("sub-02", 2),
        SubjectConfig("sub-03", 3),
    )

    def __post_init__(self) -> None:
        # However it was built (YAML, keywords, dataclasses.replace), a config is checked.
        validate(self.to_dict(), SCHEMA, _NAME)
        _check(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict of the configuration (lists for tuples), for YAML and hashing."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def digest(self, *sections: str) -> str:
        """SHA-256 of some sections of the configuration (all of them if none are named)."""
        data = self.to_dict()
        picked = {key: data[key] for key in (sections or sorted(data))}
        return hashlib.sha256(json.dumps(picked, sort_keys=True).encode()).hexdigest()


def config_from_dict(data: dict[str, Any] | None, name: str = _NAME) -> DemoConfig:
    """Build a validated :class:`DemoConfig` from a nested mapping (a parsed YAML file).

    Parameters
    ----------
    data : dict or None
        Top-level keys ``out_dir``, ``stimuli``, ``model``, ``noise``, ``design``,
        ``subjects``; missing keys get their defaults.
    name : str
        How errors name the config (e.g. its file).

    Returns
    -------
    DemoConfig
        The configuration.

    Raises
    ------
    ConfigError
        A ``ValueError`` naming the offending key, the allowed range or the closest valid key.
    """
    return section(name, DemoConfig, validate(data, SCHEMA, name), "top level")


def load_config(path: str | Path | None) -> DemoConfig:
    """Read a YAML config file; ``None`` gives the demo default.

    Parameters
    ----------
    path : str, Path or None
        YAML file whose top level is the demo config (or holds it under ``demo_data``).

    Returns
    -------
    DemoConfig
        The validated configuration.
    """
    if path is None:
        return DemoConfig()
    data = read_yaml(path, _NAME)
    if "demo_data" in data:
        data = data["demo_data"]
    return config_from_dict(data, f"{_NAME} {path}")


def _check(config: DemoConfig) -> None:
    """What the schema cannot express: cross-references to the photo catalogue, uniqueness."""
    s = config.stimuli
    for key in ("test_photos", "validation_photos"):
        unknown = sorted(set(getattr(s, key)) - set(CATALOGUE))
        if unknown:
            fail("demo_data", f"stimuli.{key}",
                 f"unknown photo(s) {unknown}; choose from {sorted(CATALOGUE)}")  # fmt: skip
    shared = sorted(set(s.test_photos) & set(s.validation_photos))
    if shared:
        fail("demo_data", "stimuli.validation_photos",
             f"{shared} also test; validate on other photos than the test")  # fmt: skip
    if len(set(s.test_photos) | set(s.validation_photos)) == len(CATALOGUE):
        fail("demo_data", "stimuli.test_photos",
             "test and validation photos leave none for training; list fewer")  # fmt: skip
    if s.dead_leaves_radii[0] >= s.dead_leaves_radii[1]:
        fail("demo_data", "stimuli.dead_leaves_radii",
             f"{list(s.dead_leaves_radii)} is not [smallest, largest]; give the smaller radius first")  # fmt: skip
    if len(set(s.letters)) != len(s.letters):
        fail("demo_data", "stimuli.letters", f"must be distinct letters or digits, got {s.letters!r}")
    m = config.movies
    if m is not None and abs(m.frame_s / m.tr_s - round(m.frame_s / m.tr_s)) > 1e-9:
        fail("demo_data", "movies.frame_s", f"{m.frame_s} is not a multiple of movies.tr_s ({m.tr_s})")
    names = [sub.name for sub in config.subjects]
    if len(set(names)) != len(names):
        fail("demo_data", "subjects", f"need distinct subject names, got {names}")
    unknown = sorted(set(m.subjects) - set(names)) if m is not None else []
    if unknown:
        fail("demo_data", "movies.subjects", f"{unknown} are not among the subjects {names}")
