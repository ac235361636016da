"""Dead-leaves images: synthetic training stimuli with the statistics of natural images.

A dead-leaves image (Matheron 1968; Lee, Mumford and Huang 2001) is a stack of opaque
occluding shapes of uniform colour whose sizes follow a power law, p(r) ~ r^-3 between a
smallest and a largest radius. That exponent makes the image scale-invariant: its amplitude
spectrum falls as about 1/f, like a photograph's, and it has what the shipped training photos
(textures and science images) lack: sharp edges of every orientation and length, T-junctions
and uniform colour regions of every size and hue. Shapes are disks, ellipses and rotated
rectangles (straight edges), painted front to back until the canvas is covered.
"""

from __future__ import annotations

import numpy as np

# Painting at twice the final size and averaging 2 x 2 blocks anti-aliases the edges.
_SUPERSAMPLE = 2
# Painting stops when this fraction of the canvas is covered; the rest takes the last colour.
_COVERED = 0.999
_MAX_SHAPES = 20000  # drawn at once; about 1,600 cover the canvas


def _power_law_radii(rng: np.random.Generator, n: int, r_min: float, r_max: float,
                     exponent: float) -> np.ndarray:  # fmt: skip
    """``n`` radii from p(r) ~ r^-exponent on [r_min, r_max] (inverse-CDF sampling)."""
    u = rng.random(n)
    if abs(exponent - 1) < 1e-9:
        return r_min * (r_max / r_min) ** u
    a = 1 - exponent
    return (r_min**a + u * (r_max**a - r_min**a)) ** (1 / a)


def _shapes(rng: np.random.Generator, n: int, side: int, r_min: float, r_max: float,
            exponent: float) -> list[tuple]:  # fmt: skip
    """Parameters of ``n`` shapes, drawn at once: radius, centre, kind, aspect, angle, colour."""
    r = _power_law_radii(rng, n, r_min, r_max, exponent)
    # Centres may lie off the canvas by a radius, so that borders are occluded as often as
    # the middle.
    cx, cy = (-r + rng.random(n) * (side + 2 * r) for _ in range(2))
    kind = rng.integers(3, size=n)  # 0 disk, 1 ellipse, 2 rectangle
    aspect = np.where(kind == 0, 1.0, rng.uniform(1.0, 3.0, n))
    theta = rng.uniform(0, np.pi, n)
    # Hues of every saturation, from grey to the gamut's edge (photos are mostly muted).
    rgb = rng.uniform(0, 255, (n, 3))
    grey = rgb.mean(axis=1, keepdims=True)
    colour = grey + rng.random((n, 1)) * (rgb - grey)
    return list(zip(r, cx, cy, kind, aspect, theta, colour, strict=True))


def dead_leaves_image(
    size: int,
    rng: np.random.Generator,
    radii: tuple[float, float] = (0.02, 0.5),
    exponent: float = 3.0,
) -> np.ndarray:
    """Draw one dead-leaves image.

    Parameters
    ----------
    size : int
        Image side in pixels.
    rng : numpy.random.Generator
        Source of all random choices (shapes, sizes, positions, orientations, colours).
    radii : tuple of float
        Smallest and largest shape radius as fractions of the image side.
    exponent : float
        Power of the radius distribution p(r) ~ r^-exponent (3: scale-invariant).

    Returns
    -------
    numpy.ndarray
        uint8 RGB array (size, size, 3).
    """
    side = size * _SUPERSAMPLE
    r_min, r_max = radii[0] * side, radii[1] * side
    canvas = np.zeros((side, side, 3), np.float64)
    free = np.ones((side, side), bool)
    n_free = free.size
    for r, cx, cy, kind, aspect, theta, colour in _shapes(rng, _MAX_SHAPES, side, r_min, r_max, exponent):
        x0, x1 = max(int(cx - r), 0), min(int(cx + r) + 2, side)
        y0, y1 = max(int(cy - r), 0), min(int(cy + r) + 2, side)
        if x0 >= x1 or y0 >= y1:
            continue
        y, x = np.arange(y0, y1)[:, None] + 0.5 - cy, np.arange(x0, x1)[None] + 0.5 - cx
        cos, sin = np.cos(theta) / r, np.sin(theta) / r
        u, v = x * cos + y * sin, (y * cos - x * sin) * aspect
        inside = np.maximum(abs(u), abs(v)) <= 1 if kind == 2 else u**2 + v**2 <= 1
        # Front to back: a shape shows only where no earlier (nearer) shape lies.
        paint = inside & free[y0:y1, x0:x1]
        if not paint.any():
            continue
        canvas[y0:y1, x0:x1][paint] = colour
        free[y0:y1, x0:x1][paint] = False
        n_free -= int(paint.sum())
        if n_free <= (1 - _COVERED) * free.size:
            break
    canvas[free] = colour
    small = canvas.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE, 3).mean(axis=(1, 3))
    return np.round(small).astype(np.uint8)


def dead_leaves_images(
    n: int,
    size: int,
    seed: int,
    radii: tuple[float, float] = (0.02, 0.5),
    exponent: float = 3.0,
) -> dict[str, np.ndarray]:
    """``n`` dead-leaves images, deterministic from the seed.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Image side in pixels.
    seed : int
        Seed; image k uses its own generator (seed, k), so the first images do not change
        when ``n`` grows.
    radii, exponent
        As in :func:`dead_leaves_image`.

    Returns
    -------
    dict
        Image id ``deadleaves-<nnn>`` (from 1) -> uint8 RGB array (size, size, 3).
    """
    return {
        f"deadleaves-{k + 1:03d}": dead_leaves_image(
            size, np.random.default_rng([seed, 10, k]), radii, exponent
        )
        for k in range(n)
    }
