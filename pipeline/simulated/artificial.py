"""The study's artificial stimuli drawn with Pillow: colour shapes and alphabet letters."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Mid-grey background of the artificial stimuli.
BACKGROUND = (128, 128, 128)
#: The eight colours of the shape set (Shen et al. 2019).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "yellow": (255, 255, 0),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}
#: The five shapes of the shape set.
SHAPES: tuple[str, ...] = ("square", "smallframe", "largeframe", "plus", "cross")

# Drawing at a multiple of the final size and downsampling gives anti-aliased edges.
_SUPERSAMPLE = 4


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, side: int, colour: tuple) -> None:
    """Draw one shape centred on a ``side`` x ``side`` canvas (sizes are fractions of it)."""
    c = side / 2

    def box(half: float) -> list[float]:
        return [c - half, c - half, c + half, c + half]

    if shape == "square":
        draw.rectangle(box(0.25 * side), fill=colour)
    elif shape in ("smallframe", "largeframe"):
        half = (0.2 if shape == "smallframe" else 0.35) * side
        draw.rectangle(box(half), outline=colour, width=round(0.06 * side))
    else:
        # A plus of two bars; the cross is the same plus turned by 45 degrees.
        arm, width = 0.3 * side, 0.075 * side
        bars = [(-arm, -width, arm, width), (-width, -arm, width, arm)]
        turn = np.pi / 4 if shape == "cross" else 0.0
        rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        for x0, y0, x1, y1 in bars:
            corners = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]) @ rot.T + c
            draw.polygon([tuple(p) for p in corners], fill=colour)


def _render(size: int, paint) -> np.ndarray:
    big = Image.new("RGB", (size * _SUPERSAMPLE,) * 2, BACKGROUND)
    paint(ImageDraw.Draw(big), size * _SUPERSAMPLE)
    return np.asarray(big.resize((size, size), Image.Resampling.LANCZOS))


def shape_images(size: int) -> dict[str, np.ndarray]:
    """The 40 colour shapes (5 shapes x 8 colours) on a grey background.

    Parameters
    ----------
    size : int
        Image side in pixels.

    Returns
    -------
    dict
        Image id ``shape-<shape>-<colour>`` -> uint8 RGB array (size, size, 3).
    """
    return {
        f"shape-{shape}-{name}": _render(
            size, lambda d, s, sh=shape, co=rgb: _draw_shape(d, sh, s, co)
        )
        for shape in SHAPES
        for name, rgb in COLOURS.items()
    }


def letter_images(size: int, letters: str) -> dict[str, np.ndarray]:
    """Black alphabet letters centred on a grey background.

    Parameters
    ----------
    size : int
        Image side in pixels.
    letters : str
        The letters to draw, one image each.

    Returns
    -------
    dict
        Image id ``letter-<L>`` -> uint8 RGB array (size, size, 3).
    """

    def paint(draw: ImageDraw.ImageDraw, side: int, letter: str) -> None:
        # Pillow's built-in scalable font, so no font file is needed.
        font = ImageFont.load_default(size=round(0.6 * side))
        x0, y0, x1, y1 = draw.textbbox((0, 0), letter, font=font)
        draw.text(((side - x0 - x1) / 2, (side - y0 - y1) / 2), letter, font=font, fill=(0, 0, 0))

    return {f"letter-{ch}": _render(size, lambda d, s, ch=ch: paint(d, s, ch)) for ch in letters}
