"""Configuration of the embedded demo dataset: defaults, YAML loading and validation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from common.config import fail, section
from pipeline.simulated.photos import CATALOGUE

#: The simulated visual areas, from early to late; the keys of per-ROI settings.
ROIS: tuple[str, ...] = ("V1", "V2", "V3", "V4", "HVC")
#: Highest Gabor frequency: the model retina samples 8 px/deg (gabor.FILTER_PX_PER_DEG)
#: and a filter of one octave bandwidth centred higher would alias.
MAX_SF_CPD = 3.0


@dataclass(frozen=True)
class StimulusConfig:
    """What stimulus images are drawn, and at which size.

    Attributes
    ----------
    image_size : int
        Side of every square stimulus image in pixels.
    n_train : int
        Number of natural training crops.
    n_test : int
        Number of natural test crops (cut from ``test_photos`` only).
    test_photos : tuple of str
        Catalogue names of the photos reserved for the test set.
    crop_scales : tuple of float
        Crop sides as fractions of a photo's short side.
    letters : str
        The alphabet letters drawn for the letter set.
    seed : int
        Seed of the crop positions, scales and flips.
    """

    image_size: int = 128
    n_train: int = 240
    n_test: int = 20
    test_photos: tuple[str, ...] = ("chelsea", "coffee", "rocket", "grace_hopper", "camera")
    crop_scales: tuple[float, ...] = (1.0, 0.75, 0.5)
    letters: str = "ACEINORSTU"
    seed: int = 0


@dataclass(frozen=True)
class ModelConfig:
    """The voxel encoding model shared by all simulated subjects.

    Attributes
    ----------
    field_of_view_deg : float
        Visual angle spanned by a stimulus image (the study showed 12 x 12 degrees).
    spatial_frequencies_cpd : tuple of float
        Centre spatial frequencies of the Gabor channels, cycles per degree (at most
        :data:`MAX_SF_CPD`). Stimuli are resampled to a model retina of fixed resolution,
        so the subjects respond the same way whatever ``image_size`` is.
    n_orientations : int
        Orientations of the Gabor channels, evenly spaced over 180 degrees.
    n_voxels : dict
        Voxels per ROI (keys V1, V2, V3, V4, HVC).
    """

    field_of_view_deg: float = 12.0
    spatial_frequencies_cpd: tuple[float, ...] = (0.375, 0.75, 1.5, 3.0)
    n_orientations: int = 4
    n_voxels: dict[str, int] = field(
        default_factory=lambda: {"V1": 500, "V2": 450, "V3": 400, "V4": 300, "HVC": 600}
    )


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
    subjects : tuple of SubjectConfig
        The simulated subjects.
    """

    out_dir: str = "data/demo"
    stimuli: StimulusConfig = field(default_factory=StimulusConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    design: DesignConfig = field(default_factory=DesignConfig)
    subjects: tuple[SubjectConfig, ...] = (
        SubjectConfig("sub-01", 1),
        SubjectConfig("sub-02", 2),
        SubjectConfig("sub-03", 3),
    )

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict of the configuration (lists for tuples), for YAML and hashing."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def digest(self, *sections: str) -> str:
        """SHA-256 of some sections of the configuration (all of them if none are named)."""
        data = self.to_dict()
        picked = {key: data[key] for key in (sections or sorted(data))}
        return hashlib.sha256(json.dumps(picked, sort_keys=True).encode()).hexdigest()


_SECTIONS: dict[str, type] = {
    "stimuli": StimulusConfig,
    "model": ModelConfig,
    "noise": NoiseConfig,
    "design": DesignConfig,
}


_fail = partial(fail, "demo_data")
_section = partial(section, "demo_data")


def config_from_dict(data: dict[str, Any] | None) -> DemoConfig:
    """Build a validated :class:`DemoConfig` from a nested mapping (a parsed YAML file).

    Parameters
    ----------
    data : dict or None
        Top-level keys ``out_dir``, ``stimuli``, ``model``, ``noise``, ``design``,
        ``subjects``; missing keys keep their defaults.

    Returns
    -------
    DemoConfig
        The configuration.

    Raises
    ------
    ValueError
        Naming the offending key and what is allowed.
    """
    data = dict(data or {})
    valid = ["out_dir", "subjects", *_SECTIONS]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        _fail("top level", f"unknown key(s) {unknown}; valid keys are {valid}")
    kwargs: dict[str, Any] = {}
    if "out_dir" in data:
        kwargs["out_dir"] = str(data["out_dir"])
    for name, cls in _SECTIONS.items():
        if name in data:
            kwargs[name] = _section(cls, data[name], name)
    if "subjects" in data:
        subjects = data["subjects"]
        if not isinstance(subjects, list) or not subjects:
            _fail("subjects", "expected a non-empty list of {name: sub-0N, seed: N} entries")
        kwargs["subjects"] = tuple(
            _section(SubjectConfig, s, f"subjects[{i}]") for i, s in enumerate(subjects)
        )
    return DemoConfig(**kwargs)


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
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"demo_data config {path}: not valid YAML ({err})") from err
    if isinstance(data, dict) and "demo_data" in data:
        data = data["demo_data"]
    return config_from_dict(data)


def _positive_int(where: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(where, f"must be an integer >= {minimum}, got {value!r}")


def _sequence(where: str, value: Any) -> None:
    if not isinstance(value, tuple):
        _fail(where, f"must be a list, got {value!r}")


def _positive_float(where: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        _fail(where, f"must be a number > 0, got {value!r}")


def validate(config: DemoConfig) -> None:
    """Check every value of a configuration; raise ``ValueError`` naming the key and the fix."""
    s, m, n, d = config.stimuli, config.model, config.noise, config.design
    _positive_int("stimuli.image_size", s.image_size, minimum=16)
    _positive_int("stimuli.n_train", s.n_train)
    _positive_int("stimuli.n_test", s.n_test)
    _positive_int("design.trials_per_run", d.trials_per_run)
    for key in ("train_reps", "test_reps", "artificial_reps", "letter_reps"):
        # Two presentations at least, so that reliability can be measured.
        _positive_int(f"design.{key}", getattr(d, key), minimum=2)
    _positive_int("model.n_orientations", m.n_orientations)
    _positive_float("model.field_of_view_deg", m.field_of_view_deg)
    for key in ("test_photos", "crop_scales"):
        _sequence(f"stimuli.{key}", getattr(s, key))
    _sequence("model.spatial_frequencies_cpd", m.spatial_frequencies_cpd)
    unknown = sorted(set(s.test_photos) - set(CATALOGUE))
    if unknown or not s.test_photos:
        _fail("stimuli.test_photos", f"unknown photo(s) {unknown}; choose from {sorted(CATALOGUE)}")
    if len(set(s.test_photos)) == len(CATALOGUE):
        _fail("stimuli.test_photos", "leaves no photo for training; list fewer test photos")
    if not s.crop_scales or any(not 0.1 <= c <= 1.0 for c in s.crop_scales):
        _fail("stimuli.crop_scales", f"must be fractions in [0.1, 1], got {s.crop_scales!r}")
    letters = s.letters
    if not isinstance(letters, str) or not letters.isalnum() or len(set(letters)) != len(letters):
        _fail("stimuli.letters", f"must be distinct letters or digits, got {s.letters!r}")
    if not m.spatial_frequencies_cpd or any(
        not 0 < f <= MAX_SF_CPD for f in m.spatial_frequencies_cpd
    ):
        _fail(
            "model.spatial_frequencies_cpd",
            f"must be in (0, {MAX_SF_CPD}] cycles/deg, got {m.spatial_frequencies_cpd!r}",
        )
    if set(m.n_voxels) != set(ROIS):
        _fail("model.n_voxels", f"needs exactly the keys {list(ROIS)}, got {sorted(m.n_voxels)}")
    for roi in ROIS:
        _positive_int(f"model.n_voxels.{roi}", m.n_voxels[roi])
    _positive_float("noise.snr_median", n.snr_median)
    if not 0 <= n.snr_log_sd:
        _fail("noise.snr_log_sd", f"must be >= 0, got {n.snr_log_sd!r}")
    if not 0 <= n.null_fraction < 1:
        _fail("noise.null_fraction", f"must be in [0, 1), got {n.null_fraction!r}")
    if not 0 <= n.run_offset_sd:
        _fail("noise.run_offset_sd", f"must be >= 0, got {n.run_offset_sd!r}")
    names = [sub.name for sub in config.subjects]
    if not names or len(set(names)) != len(names):
        _fail("subjects", f"need distinct subject names, got {names}")
    for sub in config.subjects:
        if not sub.name or "/" in sub.name or "_" in sub.name:
            _fail(
                "subjects", f"name {sub.name!r} must be non-empty, without '/' or '_' (e.g. sub-01)"
            )
        _positive_int(f"subjects.{sub.name}.seed", sub.seed, minimum=0)
