"""Entry point: write the whole demo dataset, rebuilding only what is out of date.

Layout of the output folder::

    images/<set>/<id>.png, images/index.tsv, images/sources.tsv
    movies/<set>/<clip>/<t>.png                             (movie_training, movie_test)
    sub-01_perceptionNaturalImageTraining_original_VC.h5   (and Test, ArtificialImage,
    ...                                                      LetterImage, MovieTraining,
                                                             MovieTest, per subject)
    build_stamp.json   (per artifact: a stamp of config + code, and the SHA-256 of its files)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

import decoders.bdata
from common.files import write_text
from pipeline.movie_sets import load_movie_set
from pipeline.simulated.bdata_file import write_session
from pipeline.simulated.config import DemoConfig
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
from pipeline.simulated.stimuli import SETS, build_stimuli, load_set, write_stimuli
from pipeline.simulated.subject import simulate_subject

STAMP_FILE = "build_stamp.json"
IMAGE_DIR = "images"


@dataclass
class BuildResult:
    """What :func:`build_dataset` did.

    Attributes
    ----------
    out_dir : Path
        The dataset folder.
    built, skipped : list of str
        Artifacts (``images`` and subject names) written, and found up to date.
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


def session_files(config: DemoConfig, out_dir: str | Path | None = None) -> list[Path]:
    """Every BData file a build of ``config`` writes (all subjects, image and movie sets)."""
    out = out_dir if out_dir is not None else config.out_dir
    viewers = config.movies.subjects if config.movies is not None else ()
    return [session_file(out, sub.name, name) for sub in config.subjects
            for name in [*SETS, *(MOVIE_SETS if sub.name in viewers else ())]]  # fmt: skip


def code_version() -> str:
    """SHA-256 of the generator's source and of the BData writer it goes through.

    The config module is left out: what it determines reaches the files only through the
    config's values, which the stamps hash (:meth:`DemoConfig.digest`), so editing how configs
    are read or checked does not rebuild the dataset.
    """
    package = Path(__file__).parent
    sources = [p for p in sorted(package.glob("*.py")) if p.name != "config.py"]
    sources.append(Path(inspect.getfile(decoders.bdata)))
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_stamps(out: Path) -> dict[str, dict]:
    try:
        return json.loads((out / STAMP_FILE).read_text())["artifacts"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _up_to_date(out: Path, record: dict | None, stamp: str) -> bool:
    """The artifact was built with this stamp and its files are unchanged."""
    if not record or record.get("stamp") != stamp:
        return False
    return all(
        (out / rel).is_file() and _sha256(out / rel) == sha for rel, sha in record["files"].items()
    )


def _record(out: Path, stamp: str, paths: list[Path]) -> dict:
    files = {p.relative_to(out).as_posix(): _sha256(p) for p in paths}
    return {"stamp": stamp, "files": dict(sorted(files.items()))}


def _save_stamps(out: Path, artifacts: dict[str, dict]) -> None:
    text = json.dumps({"artifacts": artifacts}, indent=1, sort_keys=True) + "\n"
    write_text(out / STAMP_FILE, text)


def build_dataset(
    config: DemoConfig,
    out_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
) -> BuildResult:
    """Write the demo dataset: stimulus images and every subject's BData files.

    An artifact (the image sets, or one subject) is skipped when the stamp file records the
    same stamp (hash of the configuration sections it depends on and of the code) and its
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
    result = BuildResult(out_dir=out)
    out.mkdir(parents=True, exist_ok=True)
    old = _read_stamps(out)
    code = code_version()

    def stamp(*parts: str) -> str:
        return hashlib.sha256("\n".join([code, *parts]).encode()).hexdigest()

    stamps = {"images": stamp(config.digest("stimuli"))}
    sim_digest = config.digest("stimuli", "model", "noise", "design")
    movie_digest = ""
    if config.movies is not None:
        stamps["movies"] = stamp(config.digest("stimuli", "movies"))
        movie_digest = config.digest("stimuli", "model", "noise", "design", "movies")
    for sub in config.subjects:
        watches = bool(movie_digest) and sub.name in config.movies.subjects
        stamps[sub.name] = stamp(sim_digest, sub.name, str(sub.seed), *([movie_digest] if watches else []))
    todo = [name for name, s in stamps.items() if force or not _up_to_date(out, old.get(name), s)]
    new = {name: old[name] for name in stamps if name not in todo}
    result.skipped = [name for name in stamps if name not in todo]

    image_dir = out / IMAGE_DIR
    if "images" in todo:
        paths = write_stimuli(build_stimuli(config.stimuli), image_dir)
        new["images"] = _record(out, stamps["images"], paths)
        _save_stamps(out, new)
        result.built.append("images")

    movie_dir = out / MOVIE_DIR
    if "movies" in todo:
        paths = write_movie_sets(make_movie_sets(config.movies, config.stimuli.test_photos), movie_dir)
        new["movies"] = _record(out, stamps["movies"], paths)
        _save_stamps(out, new)
        result.built.append("movies")

    subjects = [sub for sub in config.subjects if sub.name in todo]
    # The subjects respond to the clips as written (read back: what the workflow reads).
    viewers = {sub.name for sub in subjects} & set(config.movies.subjects if config.movies else ())
    movie_sets = {name: load_movie_set(movie_dir / name) for name in MOVIE_SETS} if viewers else {}
    frame_energy = movie_energy(movie_sets, config.model) if viewers else None
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
            if sub.name in viewers:
                sessions = movie_sessions(pop, movie_sets, config.movies, frame_energy,
                                          np.random.default_rng([sub.seed, 3]))  # fmt: skip
                for name, (volumes, labels) in sessions.items():
                    path = session_file(out, sub.name, name)
                    session = Session(image=volumes.frame, run=np.ones(len(volumes.frame), int), block=volumes.block)
                    write_session(path, volumes.volumes, session, labels, pop, rest_label=REST_LABEL)
                    paths.append(path)
            new[sub.name] = _record(out, stamps[sub.name], paths)
            _save_stamps(out, new)
            result.built.append(sub.name)

    # Remove what earlier builds wrote and this configuration no longer produces.
    kept = {rel for record in new.values() for rel in record["files"]}
    for record in old.values():
        for rel in set(record.get("files", {})) - kept:
            (out / rel).unlink(missing_ok=True)
    _save_stamps(out, new)
    result.seconds = time.perf_counter() - start
    return result
