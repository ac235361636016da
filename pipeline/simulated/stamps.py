"""Build stamps: what each artifact of a build was made from, so that reruns skip it.

A stamp file holds, per artifact (the image sets, a subject's sessions, the clips ...), a stamp
(a hash of the configuration sections it depends on and of the code) and the SHA-256 of each
of its files. An artifact is up to date when its recorded stamp is the current one and its
files are unchanged.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from pathlib import Path

import decoders.bdata
import pipeline.movie_sets
from common.files import write_text

#: Modules of this package that only one part of the build runs (the others serve both):
#: editing them rebuilds that part only.
PART_MODULES: dict[str, tuple[str, ...]] = {"images": ("stimuli.py",), "movies": ("movies.py",)}


def code_version(part: str) -> str:
    """SHA-256 of the generator's source that a part of the build runs, and of the modules
    outside the package it goes through (the BData writer; for movies, the clip reader).

    The config module is left out: what it determines reaches the files only through the
    config's values, which the stamps hash (:meth:`DemoConfig.digest`), so editing how configs
    are read or checked does not rebuild the dataset.

    Parameters
    ----------
    part : str
        ``images`` or ``movies`` (a key of :data:`PART_MODULES`).

    Returns
    -------
    str
        Hex digest.
    """
    others = {name for key, names in PART_MODULES.items() if key != part for name in names}
    package = Path(__file__).parent
    sources = [p for p in sorted(package.glob("*.py")) if p.name not in {"config.py", *others}]
    sources.append(Path(inspect.getfile(decoders.bdata)))
    if part == "movies":
        sources.append(Path(inspect.getfile(pipeline.movie_sets)))
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class StampFile:
    """The stamp file of one part of a build: which artifacts to build, and their records.

    Parameters
    ----------
    out : Path
        Dataset folder.
    name : str
        File name of the stamp file in ``out``.
    stamps : dict
        Artifact name -> its current stamp, for every artifact the configuration produces.
    force : bool
        Treat every artifact as out of date.

    Attributes
    ----------
    todo : list of str
        Artifacts to build (in the order of ``stamps``).
    skipped : list of str
        Artifacts up to date.
    """

    def __init__(self, out: Path, name: str, stamps: dict[str, str], force: bool = False) -> None:
        self.out, self.path, self.stamps = out, out / name, stamps
        try:
            self.old: dict[str, dict] = json.loads(self.path.read_text())["artifacts"]
        except (OSError, ValueError, KeyError, TypeError):
            self.old = {}
        self.todo = [n for n, s in stamps.items() if force or not self._up_to_date(self.old.get(n), s)]
        self.skipped = [n for n in stamps if n not in self.todo]
        self.records = {n: self.old[n] for n in self.skipped}

    def _up_to_date(self, record: dict | None, stamp: str) -> bool:
        """The artifact was built with this stamp and its files are unchanged."""
        if not record or record.get("stamp") != stamp:
            return False
        return all((self.out / rel).is_file() and _sha256(self.out / rel) == sha
                   for rel, sha in record["files"].items())  # fmt: skip

    def record(self, name: str, paths: list[Path]) -> None:
        """Record a built artifact and its files; saved at once, so that an interrupted build
        keeps what it finished."""
        files = {p.relative_to(self.out).as_posix(): _sha256(p) for p in paths}
        self.records[name] = {"stamp": self.stamps[name], "files": dict(sorted(files.items()))}
        self._save()

    def finish(self, owns: Callable[[str], bool]) -> None:
        """Remove the files that earlier builds recorded and this one no longer produces, then
        save.

        Parameters
        ----------
        owns : callable
            Whether a file (path relative to ``out``) is this part's to remove: a stamp file of
            an older layout may list the other part's files, which must stay.
        """
        kept = {rel for record in self.records.values() for rel in record["files"]}
        for record in self.old.values():
            for rel in set(record.get("files", {})) - kept:
                if owns(rel):
                    (self.out / rel).unlink(missing_ok=True)
        self._save()

    def _save(self) -> None:
        text = json.dumps({"artifacts": self.records}, indent=1, sort_keys=True) + "\n"
        write_text(self.path, text)
