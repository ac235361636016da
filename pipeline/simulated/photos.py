"""Catalogue of the photos that installed Python packages ship, with their licences."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Photo:
    """One shipped photo and where its licence comes from.

    Attributes
    ----------
    name : str
        Catalogue name, used in image ids (``<name>-<nnn>``).
    package : str
        Importable package that ships the file.
    path : str
        File path inside the package.
    licence : str
        Licence or copyright status as the package documents it.
    attribution : str
        Author or origin, as the package documents it.
    """

    name: str
    package: str
    path: str
    licence: str
    attribution: str


_SKIMAGE_DOC = "documented in skimage.data"
_PHOTOS = (
    Photo("astronaut", "skimage", "data/astronaut.png", "public domain", f"NASA; {_SKIMAGE_DOC}"),
    Photo("chelsea", "skimage", "data/chelsea.png", "CC0", f"Stefan van der Walt; {_SKIMAGE_DOC}"),
    Photo("coffee", "skimage", "data/coffee.png", "CC0", f"Rachel Michetti; {_SKIMAGE_DOC}"),
    Photo("rocket", "skimage", "data/rocket.jpg", "public domain", f"SpaceX; {_SKIMAGE_DOC}"),
    Photo(
        "hubble",
        "skimage",
        "data/hubble_deep_field.jpg",
        "public domain",
        f"NASA Hubble deep field; {_SKIMAGE_DOC}",
    ),
    Photo("retina", "skimage", "data/retina.jpg", "CC0", f"Mikael Haggstrom; {_SKIMAGE_DOC}"),
    Photo(
        "ihc",
        "skimage",
        "data/ihc.png",
        "no known copyright restrictions",
        f"immunohistochemistry slide; {_SKIMAGE_DOC}",
    ),
    Photo("camera", "skimage", "data/camera.png", "CC0", f"Lav Varshney; {_SKIMAGE_DOC}"),
    Photo(
        "clock",
        "skimage",
        "data/clock_motion.png",
        "public domain",
        f"motion-blurred wall clock, Stefan van der Walt; {_SKIMAGE_DOC}",
    ),
    Photo(
        "horse",
        "skimage",
        "data/horse.png",
        "CC0",
        f"horse silhouette, Andreas Preuss (openclipart); {_SKIMAGE_DOC}",
    ),
    Photo("brick", "skimage", "data/brick.png", "CC0", f"CC0Textures Bricks25; {_SKIMAGE_DOC}"),
    Photo("grass", "skimage", "data/grass.png", "CC0", f"linolafett (DeviantArt); {_SKIMAGE_DOC}"),
    Photo("gravel", "skimage", "data/gravel.png", "CC0", f"CC0Textures Gravel04; {_SKIMAGE_DOC}"),
    Photo(
        "coins",
        "skimage",
        "data/coins.png",
        "no known copyright restrictions",
        f"Brooklyn Museum; {_SKIMAGE_DOC}",
    ),
    Photo("cell", "skimage", "data/cell.png", "CC0", f"cell microscopy; {_SKIMAGE_DOC}"),
    Photo(
        "text", "skimage", "data/text.png", "public domain", f"Wikipedia Corner.png; {_SKIMAGE_DOC}"
    ),
    Photo(
        "china",
        "sklearn",
        "datasets/images/china.jpg",
        "CC BY 2.0",
        "danielbuechele (Flickr); sklearn/datasets/images/README.txt",
    ),
    Photo(
        "flower",
        "sklearn",
        "datasets/images/flower.jpg",
        "CC BY 2.0",
        "vultilion (Flickr); sklearn/datasets/images/README.txt",
    ),
    Photo(
        "grace_hopper",
        "matplotlib",
        "mpl-data/sample_data/grace_hopper.jpg",
        "public domain",
        "US Navy portrait of Grace Hopper; matplotlib sample data",
    ),
)

#: Catalogue name -> photo. Photos of unclear licence that packages ship (the Middlebury
#: motorcycle pair, moon, page) are left out on purpose.
CATALOGUE: dict[str, Photo] = {p.name: p for p in _PHOTOS}


@functools.lru_cache(maxsize=len(_PHOTOS))
def load_photo(name: str) -> np.ndarray:
    """Load a catalogued photo as an RGB array.

    Parameters
    ----------
    name : str
        Catalogue name (a key of :data:`CATALOGUE`).

    Returns
    -------
    numpy.ndarray
        uint8 array of shape (height, width, 3); grey photos are replicated to 3 channels.
        Read-only, because it is cached.
    """
    photo = CATALOGUE[name]
    with resources.as_file(resources.files(photo.package).joinpath(photo.path)) as file:
        with Image.open(file) as img:
            rgb = np.asarray(img.convert("RGB"))
    rgb.setflags(write=False)
    return rgb
