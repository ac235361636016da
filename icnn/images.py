"""Stimulus images of an image set: found by label in a folder, loaded at the encoder's size."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def find_images(directory: str | os.PathLike) -> dict[str, Path]:
    """Map each image label (file stem) to its file, searching ``directory`` recursively.

    Raises
    ------
    FileNotFoundError
        When the folder is missing or holds no image.
    ValueError
        When two files share a label.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist; fix the image set's 'dir' in the config")
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            if path.stem in found:
                raise ValueError(f"two images are labelled {path.stem!r}: {found[path.stem]} and {path}")
            found[path.stem] = path
    if not found:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root}")
    return found


def load_images(paths: list[Path], size: int) -> np.ndarray:
    """RGB images (N, size, size, 3) float32 in 0..255, resized with PIL bicubic resampling."""
    images = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGB")
            if image.size != (size, size):
                image = image.resize((size, size), Image.BICUBIC)
            images.append(np.asarray(image, dtype=np.float32))
    return np.stack(images)
