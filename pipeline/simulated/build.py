"""Entry point: write the demo dataset, rebuilding only what is out of date.

Two parts, each with its own stamp file, so that either is built without the other:

- images (:func:`build_images`): the stimulus images and every subject's image sessions;
- movies (:func:`build_movies`): the clips and the movie sessions of the subjects who watch
  them (``movies.subjects``); a subject's voxels are the same in both parts
  (:func:`pipeline.simulated.subject.subject_population`).

Layout of the output folder::

    images/<set>/<id>.png, images/index.tsv, images/sources.tsv
    sub-01_perceptionNaturalImageTraining_original_VC.h5   (and Test, ArtificialImage,
    ...                                                      LetterImage, per subject)
    build_stamp.json   (per artifact: a stamp of config + code, and the SHA-256 of its files)
    movies/<set>/<clip>/<t>.png                             (movie_training, movie_test)
    sub-01_perceptionMovieTraining_original_VC.h5          (and MovieTest, per viewer)
    movie_stamp.json   (the same, for the movie part)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pipeline.movie_sets import load_movie_set
from pipeline.simulated.bdata_file import write_session
from pipeline.simulated.config import DemoConfig, SubjectConfig
from pipeline.simulated.design import Session
from pipeline.simulated.gabor import stimulus_energy
from pipeline.simulated.movies import (
    MOVIE_DIR,
    MOVIE_SETS,
    REST_LABEL,
    make_movie_sets,
    movie_energy,
    movie_sessions,
    write_movie_sets,
)
from pipeline.simulated.stamps import StampFile, code_version
from pipeline.simulated.stimuli import SETS, build_stimuli, load_set, write_stimuli
from pipeline.simulated.subject import simulate_subject, subject_population

STAMP_FILE = "build_stamp.json"
MOVIE_STAMP_FILE = "movie_stamp.json"
IMAGE_DIR = "images"
#: The parts of a build, in the order :func:`build_dataset` runs them.
PARTS = ("images", "movies")


@dataclass
class BuildResult:
    """What a build did.

    Attributes
    ----------
    out_dir : Path
        The dataset folder.
    built, skipped : list of str
        Artifacts written, and found up to date: ``images`` and subject names (image part),
        ``movies`` (the clips) and ``<subject>/movies`` (movie part).
    seconds : float
        Wall time of the build.
    """

    out_dir: Path
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def session_file(out_dir: str | Path, subject: str, set_name: str) -> Path:
    """Path of a subject's BData file for a stimulus set, named like the study's files.

    Parameters
    ----------
    out_dir : str or Path
        Dataset folder.
    subject : str
        Subject name, e.g. ``sub-01``.
    set_name : str
        One of ``training``, ``test``, ``artificial``, ``letter``, ``movie_training``,
        ``movie_test``.

    Returns
    -------
    Path
        e.g. ``<out_dir>/sub-01_perceptionNaturalImageTraining_original_VC.h5``.
    """
    stem = {**SETS, **MOVIE_SETS}[set_name]
    return Path(out_dir) / f"{subject}_{stem}_original_VC.h5"


def movie_viewers(config: DemoConfig) -> list[SubjectConfig]:
    """The subjects who watch the clips (none when the config has no movies)."""
    names = config.movies.subjects if config.movies is not None else ()
    return [sub for sub in config.subjects if sub.name in names]


def image_session_files(config: DemoConfig, out_dir: str | Path | None = None) -> list[Path]:
    """Every BData file the image part writes (every subject's image sessions)."""
    out = out_dir if out_dir is not None else config.out_dir
    return [session_file(out, sub.name, name) for sub in config.subjects for name in SETS]


def movie_session_files(config: DemoConfig, out_dir: str | Path | None = None) -> list[Path]:
    """Every BData file the movie part writes (the viewers' movie sessions)."""
    out = out_dir if out_dir is not None else config.out_dir
    return [session_file(out, sub.name, name) for sub in movie_viewers(config) for name in MOVIE_SETS]


def _is_movie_file(rel: str) -> bool:
    """Whether a dataset file (path relative to the folder) is the movie part's."""
    return rel.startswith(f"{MOVIE_DIR}/") or any(f"_{stem}_" in rel for stem in MOVIE_SETS.values())


def _stamper(part: str) -> Callable[..., str]:
    """Stamp of an artifact of a part: a hash of that part's code and of the given strings."""
    code = code_version(part)
    return lambda *parts: hashlib.sha256("\n".join([code, *parts]).encode()).hexdigest()


def build_images(
    config: DemoConfig,
    out_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
) -> BuildResult:
    """Write the stimulus images and every subject's image sessions (not the movies section).

    An artifact (the image sets, or one subject) is skipped when ``build_stamp.json`` records
    the same stamp (hash of the configuration sections it depends on and of the code) and its
    files are unchanged. Files of artifacts no longer configured are removed. The same
    configuration always gives byte-identical files.

    Parameters
    ----------
    config : DemoConfig
        The dataset's configuration.
    out_dir : str, Path or None
        Output folder; ``None`` uses ``config.out_dir``.
    force : bool
        Rebuild everything.
    progress : bool
        Show progress bars.

    Returns
    -------
    BuildResult
        Artifacts built and skipped, and the time taken.
    """
    start = time.perf_counter()
    out = Path(out_dir if out_dir is not None else config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = _stamper("images")
    sim_digest = config.digest("stimuli", "model", "noise", "design")
    stamps = {"images": stamp(config.digest("stimuli"))}
    stamps |= {sub.name: stamp(sim_digest, sub.name, str(sub.seed)) for sub in config.subjects}
    book = StampFile(out, STAMP_FILE, stamps, force)
    result = BuildResult(out_dir=out, skipped=book.skipped)

    image_dir = out / IMAGE_DIR
    if "images" in book.todo:
        book.record("images", write_stimuli(build_stimuli(config.stimuli), image_dir))
        result.built.append("images")

    subjects = [sub for sub in config.subjects if sub.name in book.todo]
    if subjects:
        loaded = {name: load_set(image_dir, name) for name in SETS}
        bounds = np.cumsum([0] + [len(ids) for ids, _ in loaded.values()])
        set_index = {
            name: np.arange(a, b) for name, a, b in zip(SETS, bounds[:-1], bounds[1:], strict=True)
        }
        images = np.concatenate([imgs for _, imgs in loaded.values()])
        energy = stimulus_energy(images, config.model, progress=progress)
        for sub in tqdm(subjects, desc="subjects", disable=not progress):
            pop, sessions = simulate_subject(sub, config, energy, set_index)
            paths = []
            for name, (responses, session) in sessions.items():
                path = session_file(out, sub.name, name)
                write_session(path, responses, session, loaded[name][0], pop)
                paths.append(path)
            book.record(sub.name, paths)
            result.built.append(sub.name)

    book.finish(owns=lambda rel: not _is_movie_file(rel))
    result.seconds = time.perf_counter() - start
    return result


def build_movies(
    config: DemoConfig,
    out_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
) -> BuildResult:
    """Write the clips and the movie sessions of the subjects who watch them.

    Skips what ``movie_stamp.json`` records as up to date, as :func:`build_images` does; with
    no movies section it writes nothing and removes the movie files of earlier builds. A
    viewer's voxels are those of its image sessions. Parameters as :func:`build_images`.

    Returns
    -------
    BuildResult
        Artifacts (``movies``, ``<subject>/movies``) built and skipped, and the time taken.
    """
    start = time.perf_counter()
    out = Path(out_dir if out_dir is not None else config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = _stamper("movies")
    stamps = {}
    if config.movies is not None:
        stamps["movies"] = stamp(config.digest("stimuli", "movies"))
        # A viewer's sessions depend on its voxels (model, noise, seed) and on the clips.
        sim_digest = config.digest("model", "noise", "movies")
        stamps |= {f"{sub.name}/movies": stamp(sim_digest, stamps["movies"], sub.name, str(sub.seed))
                   for sub in movie_viewers(config)}  # fmt: skip
    book = StampFile(out, MOVIE_STAMP_FILE, stamps, force)
    result = BuildResult(out_dir=out, skipped=book.skipped)

    movie_dir = out / MOVIE_DIR
    if "movies" in book.todo:
        paths = write_movie_sets(make_movie_sets(config.movies, config.stimuli.test_photos), movie_dir)
        book.record("movies", paths)
        result.built.append("movies")

    viewers = [sub for sub in movie_viewers(config) if f"{sub.name}/movies" in book.todo]
    if viewers:
        # The subjects respond to the clips as written (read back: what the workflow reads).
        movie_sets = {name: load_movie_set(movie_dir / name) for name in MOVIE_SETS}
        frame_energy = movie_energy(movie_sets, config.model)
        for sub in tqdm(viewers, desc="movie viewers", disable=not progress):
            pop = subject_population(sub, config)
            sessions = movie_sessions(pop, movie_sets, config.movies, frame_energy,
                                      np.random.default_rng([sub.seed, 3]))  # fmt: skip
            paths = []
            for name, (volumes, labels) in sessions.items():
                path = session_file(out, sub.name, name)
                session = Session(image=volumes.frame, run=np.ones(len(volumes.frame), int), block=volumes.block)
                write_session(path, volumes.volumes, session, labels, pop, rest_label=REST_LABEL)
                paths.append(path)
            book.record(f"{sub.name}/movies", paths)
            result.built.append(f"{sub.name}/movies")

    book.finish(owns=_is_movie_file)
    result.seconds = time.perf_counter() - start
    return result


def build_dataset(
    config: DemoConfig,
    out_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
    parts: tuple[str, ...] = PARTS,
) -> BuildResult:
    """Write the demo dataset: the parts asked for (:func:`build_images`, :func:`build_movies`).

    Parameters
    ----------
    config : DemoConfig
        The dataset's configuration.
    out_dir : str, Path or None
        Output folder; ``None`` uses ``config.out_dir``.
    force : bool
        Rebuild everything of those parts.
    progress : bool
        Show progress bars.
    parts : tuple of str
        Some of :data:`PARTS`; the other part's files are left as they are.

    Returns
    -------
    BuildResult
        Artifacts built and skipped (image part first), and the time taken.

    Raises
    ------
    ValueError
        For an unknown part, before building anything.
    """
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"build parts {unknown} are unknown: choose from {list(PARTS)}")
    builders = {"images": build_images, "movies": build_movies}
    result = BuildResult(out_dir=Path(out_dir if out_dir is not None else config.out_dir))
    for part in PARTS:
        if part in parts:
            done = builders[part](config, out_dir=out_dir, force=force, progress=progress)
            result.built += done.built
            result.skipped += done.skipped
            result.seconds += done.seconds
    return result
