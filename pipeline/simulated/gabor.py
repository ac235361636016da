"""Gabor-wavelet energy of stimuli on a model retina (first and second order).

The simulated subjects see the images through this filter bank, not through the decoding
CNN: first-order channels are quadrature-pair Gabor energies of a luminance and two
colour-opponent images, plus half-wave rectified (ON and OFF) local luminance and colour
("surface" channels, which give voxels a sign-dependent response to colour and
brightness); second-order channels apply Gabor filters to the first-order energy maps
(filter-rectify-filter), which responds to texture-defined structure at coarse scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
from PIL import Image
from tqdm import tqdm

from pipeline.simulated.config import ModelConfig
from pipeline.simulated.dnn_channels import dnn_channel_count, dnn_map_side, dnn_maps

#: Model retina resolution used for filtering (pixels per degree of visual angle).
FILTER_PX_PER_DEG = 8
#: First-order energy is pooled by voxels on a grid of this resolution.
POOL_PX_PER_DEG = 4
#: Second-order energy is computed and pooled on this coarser grid.
COARSE_PX_PER_DEG = 2
#: Grey screen around the stimulus (degrees), so filters and pRFs near the edge see grey.
MARGIN_DEG = 2.0
#: Centre frequencies of the second-order filters, cycles per degree.
SECOND_ORDER_SF_CPD = (0.25, 0.5)
#: Colour-opponent channels only get the lowest spatial frequencies (colour vision is low-pass).
N_COLOUR_SF = 2
# Frequency-domain SD relative to the centre frequency: about one octave bandwidth.
_BANDWIDTH = 0.3
# Images filtered at once; bounds the memory of the complex intermediate arrays.
_CHUNK = 16


@dataclass(frozen=True)
class Channel:
    """One channel: order, colour, spatial frequency (c/deg), orientation (rad), polarity.

    Energy channels have polarity 0; surface channels have ``sf == 0`` and polarity +1 (ON)
    or -1 (OFF). For second-order channels, ``colour`` names the first-stage (luminance)
    orientation and ``sf``/``orientation`` describe the second-stage filter.
    """

    order: int
    colour: str
    sf: float
    orientation: float
    polarity: int = 0


@dataclass(frozen=True)
class Energy:
    """Energy maps of a stack of stimuli.

    Attributes
    ----------
    first, second : numpy.ndarray
        float32 (n_images, n_channels, n_pixels) on the pooling and coarse grids.
    first_channels, second_channels : tuple of Channel
        Description of the channel axes.
    first_grid, second_grid : numpy.ndarray
        (n_pixels, 2) x, y positions of the grid pixels in degrees (y up, 0 at fixation).
    dnn, dnn_grid : numpy.ndarray or None
        Deep-network channels (:func:`pipeline.simulated.dnn_channels.dnn_maps`) and their
        positions, when the model has them (``ModelConfig.dnn_channels``).
    """

    first: np.ndarray
    second: np.ndarray
    first_channels: tuple[Channel, ...]
    second_channels: tuple[Channel, ...]
    first_grid: np.ndarray
    second_grid: np.ndarray
    dnn: np.ndarray | None = None
    dnn_grid: np.ndarray | None = None


def grid_positions(n: int, px_per_deg: float) -> np.ndarray:
    """Centres (x, y) in degrees of an n x n pixel grid centred on fixation, row-major."""
    c = (np.arange(n) - (n - 1) / 2) / px_per_deg
    x, y = np.meshgrid(c, -c)
    return np.stack([x.ravel(), y.ravel()], axis=1)


def retina_side(cfg: ModelConfig) -> int:
    """Side in pixels of the filtering grid: stimulus plus margins, divisible by both downsamplings."""
    step = (FILTER_PX_PER_DEG // POOL_PX_PER_DEG) * (POOL_PX_PER_DEG // COARSE_PX_PER_DEG)
    return step * int(np.ceil((cfg.field_of_view_deg + 2 * MARGIN_DEG) * FILTER_PX_PER_DEG / step))


def _to_retina(images: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """Resample images to the filtering grid, surrounded by grey; return opponent channels.

    Returns float32 (n, 3, side, side): luminance, red-green and blue-yellow contrast.
    """
    side = retina_side(cfg)
    # An even number of stimulus pixels keeps the stimulus centred on the grid.
    inner = 2 * round(cfg.field_of_view_deg * FILTER_PX_PER_DEG / 2)
    pad = (side - inner) // 2
    out = np.zeros((len(images), 3, side, side), np.float32)
    for i, img in enumerate(images):
        rgb = np.asarray(Image.fromarray(img).resize((inner, inner), Image.Resampling.LANCZOS))
        r, g, b = np.moveaxis(rgb.astype(np.float32) / 255 - 0.5, -1, 0)
        opp = (r + g + b) / 3, r - g, b - (r + g) / 2
        out[i, :, pad : pad + inner, pad : pad + inner] = opp
    return out


def _filters(side: int, px_per_deg: float, sfs: tuple[float, ...], n_ori: int) -> np.ndarray:
    """One-sided Gaussian filters in the 2-D frequency domain, (n_sf * n_ori, side, side).

    Keeping one lobe makes the filtered image complex: its modulus is the energy of an
    even/odd (quadrature) Gabor pair.
    """
    f = scipy.fft.fftfreq(side) * px_per_deg  # cycles per degree
    fx, fy = np.meshgrid(f, f)
    bank = []
    for sf in sfs:
        for k in range(n_ori):
            theta = np.pi * k / n_ori
            dist2 = (fx - sf * np.cos(theta)) ** 2 + (fy - sf * np.sin(theta)) ** 2
            bank.append(np.exp(-dist2 / (2 * (_BANDWIDTH * sf) ** 2)))
    return np.asarray(bank, np.float32)


def _energy(maps: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Modulus of every map filtered by every filter: (n, m, s, s) -> (n, m, n_filters, s, s)."""
    spec = scipy.fft.fft2(maps, workers=-1)
    out = scipy.fft.ifft2(spec[:, :, None] * bank, workers=-1)
    return np.abs(out).astype(np.float32)


def _downsample(maps: np.ndarray, factor: int) -> np.ndarray:
    """Block-average the last two axes by an integer factor."""
    *lead, h, w = maps.shape
    return maps.reshape(*lead, h // factor, factor, w // factor, factor).mean(axis=(-1, -3))


def energy_channels(cfg: ModelConfig) -> tuple[tuple[Channel, ...], tuple[Channel, ...]]:
    """The channels of :func:`stimulus_energy`'s maps, known from the model alone.

    Parameters
    ----------
    cfg : ModelConfig
        Spatial frequencies and orientations.

    Returns
    -------
    first_channels, second_channels : tuple of Channel
        Descriptions of the first- and second-order channel axes.
    """
    n_ori, sfs = cfg.n_orientations, cfg.spatial_frequencies_cpd
    first_channels = tuple(
        Channel(1, colour, sf, np.pi * k / n_ori)
        for colour, colour_sfs in (
            ("lum", sfs),
            ("rg", sfs[:N_COLOUR_SF]),
            ("by", sfs[:N_COLOUR_SF]),
        )
        for sf in colour_sfs
        for k in range(n_ori)
    ) + tuple(
        Channel(1, colour, 0.0, 0.0, sign) for colour in ("lum", "rg", "by") for sign in (1, -1)
    )
    second_channels = tuple(
        Channel(2, f"lum-ori{k1}", sf, np.pi * k2 / n_ori)
        for k1 in range(n_ori)
        for sf in SECOND_ORDER_SF_CPD
        for k2 in range(n_ori)
    )
    return first_channels, second_channels


def map_shapes(cfg: ModelConfig) -> dict[str, tuple[int, int]]:
    """(channels, grid positions) of one stimulus's maps of each drive, from the model alone.

    Parameters
    ----------
    cfg : ModelConfig
        Field of view, spatial frequencies, orientations and the deep-network channels, if any.

    Returns
    -------
    dict
        ``"first"``, ``"second"`` and, with deep-network channels, ``"dnn"``: the shapes
        :func:`stimulus_energy` gives each stimulus.
    """
    first_channels, second_channels = energy_channels(cfg)
    pooled = retina_side(cfg) // (FILTER_PX_PER_DEG // POOL_PX_PER_DEG)
    shapes = {
        "first": (len(first_channels), pooled**2),
        "second": (len(second_channels), (pooled // (POOL_PX_PER_DEG // COARSE_PX_PER_DEG)) ** 2),
    }
    if cfg.dnn_channels is not None:
        shapes["dnn"] = (dnn_channel_count(cfg.dnn_channels), dnn_map_side(cfg.dnn_channels) ** 2)
    return shapes


def stimulus_energy(images: np.ndarray, cfg: ModelConfig, progress: bool = True) -> Energy:
    """First- and second-order Gabor energy of stimulus images (and deep-network channels).

    Parameters
    ----------
    images : numpy.ndarray
        uint8 (n, height, width, 3) square RGB stimuli; they span ``cfg.field_of_view_deg``.
    cfg : ModelConfig
        Field of view, spatial frequencies, orientations and the deep-network channels, if any.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Energy
        Maps on grids of :data:`POOL_PX_PER_DEG` and :data:`COARSE_PX_PER_DEG` (deep-network
        channels on the layer's own grid over the stimulus).
    """
    n_ori, sfs = cfg.n_orientations, cfg.spatial_frequencies_cpd
    first_channels, second_channels = energy_channels(cfg)
    pool = FILTER_PX_PER_DEG // POOL_PX_PER_DEG
    coarse = POOL_PX_PER_DEG // COARSE_PX_PER_DEG
    side = retina_side(cfg)
    fine_bank = _filters(side, FILTER_PX_PER_DEG, sfs, n_ori)
    coarse_bank = _filters(side // pool, POOL_PX_PER_DEG, SECOND_ORDER_SF_CPD, n_ori)
    n_colour_filters = len(sfs[:N_COLOUR_SF]) * n_ori
    # Filled chunk by chunk: concatenating chunks would hold the maps twice at the end.
    shapes = map_shapes(cfg)
    first = np.empty((len(images), *shapes["first"]), np.float32)
    second = np.empty((len(images), *shapes["second"]), np.float32)
    for start in tqdm(range(0, len(images), _CHUNK), desc="Gabor energy", disable=not progress):
        retina = _to_retina(images[start : start + _CHUNK], cfg)
        lum = _energy(retina[:, :1], fine_bank)[:, 0]
        colour = _energy(retina[:, 1:], fine_bank[:n_colour_filters])
        e1 = np.concatenate([lum, colour.reshape(len(retina), -1, *lum.shape[-2:])], axis=1)
        e1 = _downsample(e1, pool)
        local = _downsample(retina, pool)[:, :, None]
        surface = np.concatenate([np.maximum(local, 0), np.maximum(-local, 0)], axis=2)
        e1 = np.concatenate([e1, surface.reshape(len(retina), 6, *e1.shape[-2:])], axis=1)
        # Second order: orientation energy summed over frequencies, compressed, filtered again.
        by_ori = e1[:, : len(sfs) * n_ori].reshape(len(retina), len(sfs), n_ori, *e1.shape[-2:])
        texture = np.sqrt(by_ori.sum(axis=1))
        texture -= texture.mean(axis=(-1, -2), keepdims=True)
        e2 = _downsample(_energy(texture, coarse_bank), coarse)
        first[start : start + len(retina)] = e1.reshape(len(retina), e1.shape[1], -1)
        second[start : start + len(retina)] = e2.reshape(len(retina), e2.shape[1] * e2.shape[2], -1)
    dnn, dnn_grid = None, None
    if cfg.dnn_channels is not None:
        dnn = dnn_maps(images, cfg.dnn_channels, progress)
        dnn_side = dnn_map_side(cfg.dnn_channels)
        dnn_grid = grid_positions(dnn_side, dnn_side / cfg.field_of_view_deg)
    return Energy(
        first=first,
        second=second,
        first_channels=first_channels,
        second_channels=second_channels,
        first_grid=grid_positions(side // pool, POOL_PX_PER_DEG),
        second_grid=grid_positions(side // pool // coarse, COARSE_PX_PER_DEG),
        dnn=dnn,
        dnn_grid=dnn_grid,
    )
