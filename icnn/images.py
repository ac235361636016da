"""Stimulus images: found by label in a folder and loaded as RGB at one size, with one policy.

The one image loader of the project. Every PIL mode becomes 8-bit RGB the way a viewer shows
it: 16- and 32-bit grayscale are scaled from their full range (not clipped at 255), palettes are
expanded, and transparent pixels are composited on mid grey. Non-square images are fitted to
the square network input by an explicit policy: ``center_crop`` (default, the paper's stimuli
are square crops), or ``stretch`` (squash to square).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
FIT_POLICIES = ("center_crop", "stretch")
BACKGROUND = (128, 128, 128)  # where transparent stimuli show mid grey


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
        raise FileNotFoundError(f"image folder {root} does not exist; fix the image set's path "
                                "under 'image_sets' in the config")  # fmt: skip
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            if path.stem in found:
                raise ValueError(f"two images are labelled {path.stem!r}: {found[path.stem]} and {path}")
            found[path.stem] = path
    if not found:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {root}")
    return found


def to_rgb(image: Image.Image) -> Image.Image:
    """An 8-bit RGB copy of a PIL image of any mode, as a viewer shows it.

    Parameters
    ----------
    image : PIL.Image.Image
        Any mode: ``1``, ``L``, ``P`` (with or without transparency), ``LA``, ``RGBA``, ``I;16``
        (16-bit grayscale), ``I`` (32-bit integer), ``F`` (float), ``CMYK``, ``YCbCr`` ...

    Returns
    -------
    PIL.Image.Image
        Mode ``RGB``.
    """
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if image.mode == "F":
            top = 1.0 if values.max(initial=0) <= 1.0 else 255.0  # float images: 0..1 or 0..255
        else:
            top = 255.0 if values.max(initial=0) <= 255 else 65535.0  # 16-bit range as PNG holds it
        gray = np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, mode="L").convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def fit_square(image: Image.Image, size: int | None, fit: str = "center_crop") -> Image.Image:
    """Fit an RGB image to ``size`` x ``size`` (bicubic) by the policy ``fit``.

    ``size=None`` keeps the side of the (cropped) image.
    """
    if fit not in FIT_POLICIES:
        raise ValueError(f"image fit {fit!r} is not one of {FIT_POLICIES}")
    if fit == "center_crop" and image.width != image.height:
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    target = (min(image.size),) * 2 if size is None else (size, size)
    return image if image.size == target else image.resize(target, Image.BICUBIC)


def read_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file as 8-bit RGB, naming the file when it cannot be read."""
    try:
        with Image.open(path) as raw:
            raw.load()
            return to_rgb(raw)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"image {path} cannot be read ({error}); replace it with a PNG or JPEG "
                         "file, or remove it from the image set") from error  # fmt: skip


def load_images(paths: Sequence[str | os.PathLike], size: int | None,
                fit: str = "center_crop") -> np.ndarray:  # fmt: skip
    """Read images as RGB (N, size, size, 3) float32 in 0..255.

    Parameters
    ----------
    paths : sequence of path
        Image files of any PIL mode (see :func:`to_rgb`).
    size : int or None
        Output side; ``None`` takes the side of the first image after fitting.
    fit : {'center_crop', 'stretch'}
        How a non-square image becomes square.
    """
    images = []
    for path in paths:
        image = fit_square(read_image(path), size, fit)
        size = image.width if size is None else size
        images.append(np.asarray(image, dtype=np.float32))
    return np.stack(images)
