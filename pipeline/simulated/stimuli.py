"""The demo stimulus sets: natural crops from shipped photos plus the artificial sets, on disk."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from common.files import atomic_path, write_text
from pipeline.simulated.artificial import COLOURS, SHAPES, letter_images, shape_images
from pipeline.simulated.config import StimulusConfig
from pipeline.simulated.deadleaves import dead_leaves_images
from pipeline.simulated.photos import CATALOGUE, load_photo

#: Stimulus set name -> BData file stem part, mirroring the study's file names.
SETS: dict[str, str] = {
    "training": "perceptionNaturalImageTraining",
    "test": "perceptionNaturalImageTest",
    "validation": "perceptionNaturalImageValidation",
    "artificial": "perceptionArtificialImage",
    "letter": "perceptionLetterImage",
}
INDEX_COLUMNS = ("id", "set", "source", "licence", "detail")
_PILLOW = ("pillow", "drawn by this project (MIT)")
_DEAD_LEAVES = ("deadleaves", "drawn by this project (MIT)")


@dataclass(frozen=True)
class Stimulus:
    """One stimulus image and its provenance (a row of ``index.tsv``)."""

    id: str
    set: str
    source: str
    licence: str
    detail: str
    image: np.ndarray


def _overlap(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Intersection over union of two square boxes given as (x0, y0, side)."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[2], b[1] + b[2]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] ** 2 + b[2] ** 2 - inter)


def _distinct_box(
    h: int,
    w: int,
    scales: tuple[float, ...],
    taken: list[tuple[tuple[int, int, int], bool]],
    max_overlap: float,
    rng: np.random.Generator,
) -> tuple[tuple[int, int, int] | None, bool]:
    """A random square box (x0, y0, side) and flip overlapping no taken crop of the same flip
    by more than ``max_overlap``; (None, False) after 1,000 tries."""
    for _ in range(1000):
        side = round(float(rng.choice(scales)) * min(h, w))
        box = (int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1)), side)
        flip = bool(rng.random() < 0.5)
        if all(f != flip or _overlap(box, b) <= max_overlap for b, f in taken):
            return box, flip
    return None, False


def natural_crops(
    photos: list[str],
    n: int,
    cfg: StimulusConfig,
    set_name: str,
    rng: np.random.Generator,
    max_overlap: float,
    scales: tuple[float, ...],
    centre_first: bool = False,
) -> list[Stimulus]:
    """Cut square crops (random scale, position and mirror flip) from photos, in turn.

    Parameters
    ----------
    photos : list of str
        Catalogue names to cut from; crop k comes from ``photos[k % len(photos)]``.
    n : int
        Number of crops.
    cfg : StimulusConfig
        Gives the output image size.
    set_name : str
        Stimulus set recorded with each crop.
    rng : numpy.random.Generator
        Source of all random choices.
    max_overlap : float
        Largest allowed intersection-over-union between two crops of one photo with the
        same flip; keeps the crops of a set distinct.
    scales : tuple of float
        Crop sides as fractions of a photo's short side, drawn at random.
    centre_first : bool
        The first crop of each photo is its centred square at the largest crop scale, unflipped
        (a held-out photo shown once is shown whole, as recognisable as it gets).

    Returns
    -------
    list of Stimulus
        Ids ``<photo>-<nnn>``, numbered per photo from 1.
    """
    taken: dict[str, list[tuple[tuple[int, int, int], bool]]] = {p: [] for p in photos}
    out = []
    for k in range(n):
        name = photos[k % len(photos)]
        photo = load_photo(name)
        h, w = photo.shape[:2]
        if centre_first and not taken[name]:
            side = round(max(scales) * min(h, w))
            box, flip = ((w - side) // 2, (h - side) // 2, side), False
        else:
            box, flip = _distinct_box(h, w, scales, taken[name], max_overlap, rng)
        if box is None:
            key = "train_crop_scales" if set_name == "training" else "crop_scales"
            raise ValueError(
                f"cannot cut {n} distinct crops for set {set_name!r} from photo {name!r}: "
                f"lower stimuli.n_train / n_test / n_validation or add smaller stimuli.{key}"
            )
        x0, y0, side = box
        taken[name].append((box, flip))
        img = Image.fromarray(photo[y0 : y0 + side, x0 : x0 + side])
        if flip:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        img = img.resize((cfg.image_size,) * 2, Image.Resampling.LANCZOS)
        out.append(
            Stimulus(
                id=f"{name}-{len(taken[name]):03d}",
                set=set_name,
                source=name,
                licence=CATALOGUE[name].licence,
                detail=f"x0={x0} y0={y0} side={side} flip={int(flip)}",
                image=np.asarray(img),
            )
        )
    return out


def set_sizes(cfg: StimulusConfig) -> dict[str, int]:
    """Images per stimulus set (:data:`SETS`), known from the configuration alone.

    Parameters
    ----------
    cfg : StimulusConfig
        Set sizes, held-out photos and letters.

    Returns
    -------
    dict
        Set name -> number of images, in the order of :data:`SETS`.
    """
    return {
        "training": cfg.n_train + cfg.n_dead_leaves,
        "test": len(cfg.test_photos) if cfg.n_test is None else cfg.n_test,
        "validation": len(cfg.validation_photos) if cfg.n_validation is None else cfg.n_validation,
        "artificial": len(SHAPES) * len(COLOURS),
        "letter": len(cfg.letters),
    }


def build_stimuli(cfg: StimulusConfig) -> list[Stimulus]:
    """All four stimulus sets, deterministically from the configuration.

    Parameters
    ----------
    cfg : StimulusConfig
        Sizes, test photos, crop scales, letters and seed.

    Returns
    -------
    list of Stimulus
        Training crops (of the photos neither tested nor validated on) and dead-leaves
        images, test crops (of the test photos only), validation crops (of the validation
        photos only), shapes, letters.
    """
    held_out = {"test": list(cfg.test_photos), "validation": list(cfg.validation_photos)}
    train_photos = [p for p in CATALOGUE if p not in held_out["test"] + held_out["validation"]]
    train_rng, test_rng, val_rng = (np.random.default_rng([cfg.seed, i]) for i in range(3))
    # Training crops only must not repeat; held-out crops must differ clearly, since
    # identification among them is what the method is scored (and tuned) on.
    stimuli = natural_crops(train_photos, cfg.n_train, cfg, "training", train_rng, 0.9,
                            cfg.train_crop_scales)  # fmt: skip
    leaves = dead_leaves_images(cfg.n_dead_leaves, cfg.image_size, cfg.seed,
                                cfg.dead_leaves_radii, cfg.dead_leaves_exponent)  # fmt: skip
    stimuli += [Stimulus(i, "training", *_DEAD_LEAVES, "", img) for i, img in leaves.items()]
    for set_name, rng in (("test", test_rng), ("validation", val_rng)):
        stimuli += natural_crops(held_out[set_name], set_sizes(cfg)[set_name], cfg, set_name, rng, 0.5,
                                 cfg.crop_scales, centre_first=True)  # fmt: skip
    for set_name, images in (
        ("artificial", shape_images(cfg.image_size)),
        ("letter", letter_images(cfg.image_size, cfg.letters)),
    ):
        stimuli += [Stimulus(i, set_name, *_PILLOW, "", img) for i, img in images.items()]
    return stimuli


def _tsv(rows: list[tuple]) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_stimuli(stimuli: list[Stimulus], image_dir: str | Path) -> list[Path]:
    """Write ``<set>/<id>.png``, ``index.tsv`` and the licence manifest ``sources.tsv``.

    Parameters
    ----------
    stimuli : list of Stimulus
        As returned by :func:`build_stimuli`.
    image_dir : str or Path
        Output folder.

    Returns
    -------
    list of Path
        Every file written.
    """
    image_dir = Path(image_dir)
    written = []
    for stim in stimuli:
        path = image_dir / stim.set / f"{stim.id}.png"
        with atomic_path(path) as tmp:
            Image.fromarray(stim.image).save(tmp, format="PNG")
        written.append(path)
    index = [INDEX_COLUMNS] + [(s.id, s.set, s.source, s.licence, s.detail) for s in stimuli]
    write_text(image_dir / "index.tsv", _tsv(index))
    used = sorted({s.source for s in stimuli} & set(CATALOGUE))
    manifest = [("source", "package", "path", "licence", "attribution")]
    manifest += [
        (p, c.package, c.path, c.licence, c.attribution) for p in used for c in [CATALOGUE[p]]
    ]
    manifest.append((*_PILLOW[:1], "pillow", "-", _PILLOW[1], "pipeline.simulated.artificial"))
    if any(s.source == _DEAD_LEAVES[0] for s in stimuli):
        manifest.append((_DEAD_LEAVES[0], "numpy", "-", _DEAD_LEAVES[1], "pipeline.simulated.deadleaves"))
    write_text(image_dir / "sources.tsv", _tsv(manifest))
    return [*written, image_dir / "index.tsv", image_dir / "sources.tsv"]


def read_index(image_dir: str | Path) -> list[dict[str, str]]:
    """Rows of ``index.tsv`` as dicts keyed by :data:`INDEX_COLUMNS`."""
    with open(Path(image_dir) / "index.tsv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load_set(image_dir: str | Path, set_name: str) -> tuple[list[str], np.ndarray]:
    """Load one stimulus set from disk, in index order.

    Parameters
    ----------
    image_dir : str or Path
        Folder written by :func:`write_stimuli`.
    set_name : str
        One of :data:`SETS`.

    Returns
    -------
    ids : list of str
        Image ids (file stems).
    images : numpy.ndarray
        uint8 array (n_images, size, size, 3).
    """
    ids = [row["id"] for row in read_index(image_dir) if row["set"] == set_name]
    images = []
    for image_id in ids:
        with Image.open(Path(image_dir) / set_name / f"{image_id}.png") as img:
            images.append(np.asarray(img.convert("RGB")))
    return ids, np.stack(images)
