"""Training images: found in a stimulus folder, read at one size, augmented by crops and flips."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from icnn.images import IMAGE_SUFFIXES


def image_files(image_dir: str | Path, image_set: str = "training") -> list[Path]:
    """The image files of a set, in a fixed order.

    Parameters
    ----------
    image_dir : str or Path
        A stimulus folder with ``index.tsv`` (columns ``id`` and ``set``; images at
        ``<set>/<id>.png``, as written by ``python -m pipeline.simulated``), or a plain folder
        of images (all used, sorted by name).
    image_set : str
        The set to use from ``index.tsv``.

    Returns
    -------
    list of Path

    Raises
    ------
    FileNotFoundError
        When the folder, the set or a listed file is missing, with the fix.
    """
    root = Path(image_dir)
    hint = ("build the demo images with `python -m pipeline.simulated --config "
            "config/demo_data.yaml` or pass a folder of images")  # fmt: skip
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist: {hint}")
    index = root / "index.tsv"
    if not index.is_file():
        files = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root}: {hint}")
        return files
    with index.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if rows and not {"id", "set"} <= set(rows[0]):
        raise ValueError(f"{index} needs the columns 'id' and 'set', has {sorted(rows[0])}")
    ids = [row["id"] for row in rows if row["set"] == image_set]
    if not ids:
        sets = sorted({row["set"] for row in rows})
        raise FileNotFoundError(f"{index} lists no images of set {image_set!r}; sets: {sets}")
    files = [root / image_set / f"{name}.png" for name in ids]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} images listed in {index} are missing, e.g. "
                                f"{missing[0]}: rebuild the image folder")  # fmt: skip
    return files


def fingerprint(files: list[Path]) -> str:
    """SHA-256 of the names and bytes of the files, in order (the data part of the cache stamp)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def augmented_views(images: np.ndarray, n_views: int, min_crop: float, seed: int) -> np.ndarray:
    """Views of every image, view-major: (n_views * N, S, S, 3) float32 RGB 0..255.

    View 0 is the image itself; view v > 0 is a random square crop of side ``min_crop``..1
    times the image side, resized back to S, flipped left-right with probability 1/2. The
    views depend on ``seed`` only, so the latents computed from them can be cached.
    """
    n, size = images.shape[0], images.shape[1]
    views = [images]
    for v in range(1, n_views):
        rng = np.random.default_rng([seed, v])
        out = np.empty_like(images)
        for i, image in enumerate(images):
            side = int(round(size * rng.uniform(min_crop, 1.0)))
            top, left = rng.integers(0, size - side + 1, 2)
            crop = Image.fromarray(image.astype(np.uint8)).crop((left, top, left + side, top + side))
            crop = np.asarray(crop.resize((size, size), Image.BICUBIC), dtype=np.float32)
            out[i] = crop[:, ::-1] if rng.random() < 0.5 else crop
        views.append(out)
    return np.concatenate(views).reshape(n_views * n, size, size, 3)
