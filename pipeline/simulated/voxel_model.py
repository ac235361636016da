"""Simulated voxels: retinotopic population receptive fields pooling Gabor energy.

Each voxel sums the energy of its channels (weighted by its orientation, spatial frequency
and colour tuning) under a Gaussian population receptive field (pRF), then applies a
compressive power (Kay et al. 2013, compressive spatial summation). pRFs grow with
eccentricity and along V1 < V2 < V3 < V4 < HVC (Dumoulin and Wandell 2008); V4 mixes in,
and HVC only uses, second-order energy pooled over large fields. Optionally
(``model.dnn_channels``) voxels also pool the units of a deep network's layer
(:mod:`pipeline.simulated.dnn_channels`): an encoding-model subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.simulated.config import ROIS, ModelConfig, NoiseConfig
from pipeline.simulated.dnn_channels import dnn_channel_count
from pipeline.simulated.gabor import Channel, Energy


@dataclass(frozen=True)
class RoiModel:
    """Receptive-field and tuning properties of one simulated visual area.

    Attributes
    ----------
    sigma0, sigma_slope : float
        pRF SD in degrees is ``sigma0 + sigma_slope * eccentricity``.
    max_ecc_frac : float
        Largest pRF eccentricity as a fraction of the stimulus half-width.
    sf0 : float
        Preferred spatial frequency at the fovea (c/deg); it halves every 3 degrees.
    colour : float
        Largest weight of the colour-opponent channels relative to luminance.
    surface : float
        Weight of the ON/OFF surface channels relative to the energy channels.
    second_order : float
        Share of the second-order drive in the response.
    exponent : float
        Compressive output exponent.
    y_mm, x_mm : float
        Posterior and lateral offset of the area in the synthetic brain coordinates.
    """

    sigma0: float
    sigma_slope: float
    max_ecc_frac: float
    sf0: float
    colour: float
    surface: float
    second_order: float
    exponent: float
    y_mm: float
    x_mm: float


ROI_MODELS: dict[str, RoiModel] = {
    "V1": RoiModel(0.3, 0.10, 1.0, 2.5, 1.0, 0.5, 0.0, 0.50, -100.0, 6.0),
    "V2": RoiModel(0.4, 0.15, 1.0, 1.8, 1.0, 0.4, 0.0, 0.45, -94.0, 10.0),
    "V3": RoiModel(0.5, 0.22, 1.0, 1.3, 1.0, 0.3, 0.1, 0.40, -87.0, 14.0),
    "V4": RoiModel(0.7, 0.35, 0.9, 0.9, 1.5, 0.3, 0.4, 0.35, -76.0, 24.0),
    "HVC": RoiModel(2.0, 0.60, 0.6, 0.5, 0.5, 0.0, 1.0, 0.30, -60.0, 34.0),
}


@dataclass(frozen=True)
class VoxelPopulation:
    """The voxels of one simulated subject (all arrays have one entry per voxel).

    Attributes
    ----------
    roi : numpy.ndarray
        ROI name of each voxel (one of :data:`pipeline.simulated.config.ROIS`).
    prf : numpy.ndarray
        (n, 3) pRF centre x, y and SD, degrees (x right, y up, 0 at fixation).
    first_weights, second_weights : numpy.ndarray
        (n, n_channels) non-negative channel weights of the first- and second-order drive.
    first_share, second_share, dnn_share : numpy.ndarray
        Shares of the first-order, second-order and deep-network drives (they sum to 1).
    dnn_weights : numpy.ndarray
        (n, n_units) non-negative weights of the deep-network channels ((n, 0) without them).
    exponent : numpy.ndarray
        Compressive output exponent.
    snr : numpy.ndarray
        Single-trial signal SD over noise SD; 0 for voxels that carry no signal.
    gain, baseline : numpy.ndarray
        Response scale and mean level (percent signal change-like units).
    xyz : numpy.ndarray
        (n, 3) synthetic voxel coordinates in mm.
    """

    roi: np.ndarray
    prf: np.ndarray
    first_weights: np.ndarray
    second_weights: np.ndarray
    first_share: np.ndarray
    second_share: np.ndarray
    dnn_share: np.ndarray
    dnn_weights: np.ndarray
    exponent: np.ndarray
    snr: np.ndarray
    gain: np.ndarray
    baseline: np.ndarray
    xyz: np.ndarray


def _first_order_weights(
    channels: tuple[Channel, ...], ecc: np.ndarray, roi: RoiModel, rng: np.random.Generator
) -> np.ndarray:
    """Energy channels: weak orientation bias x log-Gaussian frequency tuning; surface
    channels: a random ON/OFF balance; all scaled by random colour-opponent gains."""
    n = len(ecc)
    sf = np.array([c.sf for c in channels])
    ori = np.array([c.orientation for c in channels])
    polarity = np.array([c.polarity for c in channels])
    energy = polarity == 0
    pref_sf = roi.sf0 * 2.0 ** (-ecc / 3 + rng.normal(0, 0.4, n))
    pref_ori = rng.uniform(0, np.pi, n)
    ori_bias = rng.uniform(0, 0.6, n)
    tuning = np.exp(-(np.log2(sf[energy][None] / pref_sf[:, None]) ** 2) / 2)
    tuning *= 1 + ori_bias[:, None] * np.cos(2 * (ori[energy][None] - pref_ori[:, None]))
    # ON/OFF balance drawn per colour axis, so a voxel's preference for bright, red or blue
    # surfaces are independent (one shared balance tied every colour sign to luminance).
    colours = [c.colour for c in channels if c.polarity != 0]
    axes = sorted(set(colours))
    on = rng.uniform(0, 1, (n, len(axes)))[:, [axes.index(c) for c in colours]]
    surface = np.where(polarity[~energy][None] > 0, on, 1 - on)
    w = np.zeros((n, len(channels)))
    w[:, energy] = tuning / tuning.sum(axis=1, keepdims=True)
    w[:, ~energy] = roi.surface * surface / surface.sum(axis=1, keepdims=True)
    # Both opponent axes alike: human V1-V4 respond to S-cone (blue-yellow) as to L-M
    # contrast (Engel et al. 1997), hue is decodable from each (Brouwer and Heeger 2009), and
    # the study reconstructs blue shapes as blue.
    colour_gain = {"lum": np.ones(n), "rg": rng.uniform(0, roi.colour, n)}
    colour_gain["by"] = rng.uniform(0, roi.colour, n)
    w *= np.stack([colour_gain[c.colour] for c in channels], axis=1)
    return w / w.sum(axis=1, keepdims=True)


def _coordinates(
    x: np.ndarray, y: np.ndarray, ecc_pos: np.ndarray, roi: RoiModel, rng: np.random.Generator
) -> np.ndarray:
    """Synthetic cortical coordinates: hemisphere opposite the visual field, eccentricity
    running anterior, upper field below the calcarine-like midline."""
    angle = np.arctan2(y, x)
    hemi = np.where(x < 0, 1.0, -1.0)
    cx = hemi * (roi.x_mm + 4 * np.abs(np.cos(angle)))
    cy = roi.y_mm + 12 * ecc_pos
    cz = -8 * np.sin(angle)
    return np.stack([cx, cy, cz], axis=1) + rng.normal(0, 0.7, (len(x), 3))


def drive_shares(cfg: ModelConfig, roi: str) -> dict[str, float]:
    """Shares of a visual area's voxel drive: first- and second-order energy, deep network.

    Parameters
    ----------
    cfg : ModelConfig
        The deep-network channels' share per ROI, if any; the rest splits as :data:`ROI_MODELS`.
    roi : str
        One of :data:`pipeline.simulated.config.ROIS`.

    Returns
    -------
    dict
        ``"first"``, ``"second"``, ``"dnn"`` -> share (they sum to 1; 0 exactly where unused).
    """
    dnn = cfg.dnn_channels.share.get(roi, 0.0) if cfg.dnn_channels is not None else 0.0
    second = ROI_MODELS[roi].second_order
    return {"first": (1 - dnn) * (1 - second), "second": (1 - dnn) * second, "dnn": dnn}


def sample_population(
    cfg: ModelConfig,
    noise: NoiseConfig,
    channels: tuple[tuple[Channel, ...], tuple[Channel, ...]],
    rng: np.random.Generator,
) -> VoxelPopulation:
    """Draw the voxels of one subject.

    Parameters
    ----------
    cfg : ModelConfig
        Voxel counts per ROI, the field of view and the deep-network channels, if any.
    noise : NoiseConfig
        Distribution of single-trial SNRs and the fraction of signal-free voxels.
    channels : tuple
        First- and second-order channel descriptions
        (:func:`pipeline.simulated.gabor.energy_channels`).
    rng : numpy.random.Generator
        The subject's random generator: its seed fixes the receptive-field layout.

    Returns
    -------
    VoxelPopulation
        Voxels ordered by ROI (V1, V2, V3, V4, HVC).
    """
    half = cfg.field_of_view_deg / 2
    parts = []
    for name in ROIS:
        roi, n = ROI_MODELS[name], cfg.n_voxels[name]
        # Cortical magnification: voxels are uniform in log(ecc + 0.75 deg), so the
        # fovea gets many more voxels per degree than the periphery.
        lo, hi = np.log(0.75), np.log(roi.max_ecc_frac * half + 0.75)
        ecc_pos = rng.uniform(0, 1, n)
        ecc = np.exp(lo + (hi - lo) * ecc_pos) - 0.75
        angle = rng.uniform(-np.pi, np.pi, n)
        x, y = ecc * np.cos(angle), ecc * np.sin(angle)
        sigma = (roi.sigma0 + roi.sigma_slope * ecc) * rng.lognormal(0, 0.15, n)
        second = rng.gamma(1.0, size=(n, len(channels[1])))
        shares = drive_shares(cfg, name)
        parts.append(
            dict(
                roi=np.full(n, name),
                prf=np.stack([x, y, sigma], axis=1),
                first_weights=_first_order_weights(channels[0], ecc, roi, rng),
                second_weights=second / second.sum(axis=1, keepdims=True),
                first_share=np.full(n, shares["first"]),
                second_share=np.full(n, shares["second"]),
                dnn_share=np.full(n, shares["dnn"]),
                exponent=roi.exponent + rng.normal(0, 0.03, n),
                xyz=_coordinates(x, y, ecc_pos, roi, rng),
            )
        )
    fields = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    n_total = len(fields["roi"])
    snr = noise.snr_median * rng.lognormal(0, noise.snr_log_sd, n_total)
    snr[rng.random(n_total) < noise.null_fraction] = 0.0
    gain, baseline = rng.lognormal(0, 0.3, n_total), rng.normal(1.0, 0.5, n_total)
    # Drawn last, so a model without deep-network channels draws the same voxels as before.
    dnn_weights = np.zeros((n_total, 0))
    if cfg.dnn_channels is not None:
        dnn_weights = rng.gamma(cfg.dnn_channels.sparseness, size=(n_total, dnn_channel_count(cfg.dnn_channels)))
        dnn_weights /= dnn_weights.sum(axis=1, keepdims=True)
    return VoxelPopulation(**fields, dnn_weights=dnn_weights, snr=snr, gain=gain, baseline=baseline)


def _pool(maps: np.ndarray, grid: np.ndarray, prf: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Tuning-weighted energy under each voxel's Gaussian pRF: (n_images, n_voxels)."""
    step = abs(grid[1, 0] - grid[0, 0])
    d2 = ((grid[None] - prf[:, None, :2]) ** 2).sum(axis=-1)
    profile = np.exp(-d2 / (2 * prf[:, 2:] ** 2))
    # Cut the far tails: in float32 they and their products are subnormal numbers, which made
    # the product below 40x slower (41 s against 1 s per subject), for a change of 1e-19.
    profile[profile < 1e-20] = 0.0
    # Analytic normalisation, so a pRF partly off the grid is not inflated.
    gauss = (profile * step**2 / (2 * np.pi * prf[:, 2:] ** 2)).astype(np.float32)
    n_img, n_ch, n_px = maps.shape
    pooled = (maps.reshape(n_img * n_ch, n_px) @ gauss.T).reshape(n_img, n_ch, -1)
    return np.einsum("icv,vc->iv", pooled, weights.astype(np.float32))


def voxel_signal(pop: VoxelPopulation, energy: Energy, reference: np.ndarray) -> np.ndarray:
    """Noise-free responses, standardised on a reference set of stimuli.

    Parameters
    ----------
    pop : VoxelPopulation
        The subject's voxels.
    energy : Energy
        Energy maps of all stimuli (with the deep-network channels if the voxels use them).
    reference : numpy.ndarray
        Boolean mask of the stimuli that define each voxel's response scale (the training
        set), so that a voxel's response to an image does not depend on the other sets.

    Returns
    -------
    numpy.ndarray
        float64 (n_images, n_voxels); zero mean and unit SD over the reference stimuli.
    """
    drives = [
        (energy.first, energy.first_grid, pop.first_weights, pop.first_share),
        (energy.second, energy.second_grid, pop.second_weights, pop.second_share),
    ]
    if pop.dnn_share.any():
        if energy.dnn is None:
            raise ValueError("the voxels pool deep-network channels but the stimuli's maps have none: "
                             "compute them with the same model config (model.dnn_channels)")
        drives.append((energy.dnn, energy.dnn_grid, pop.dnn_weights, pop.dnn_share))
    response = np.zeros((len(energy.first), len(pop.roi)))
    for maps, grid, weights, share in drives:
        # Pool only the voxels that use this order: pooling is the costly step.
        use = share > 0
        # Channels differ in scale by orders of magnitude: weights apply to channels
        # normalised by their mean over the reference stimuli.
        # (A deep-network unit silent on all of them carries no signal: weight 0.)
        scale = maps[reference].mean(axis=(0, 2))
        weights = np.divide(weights[use], scale, out=np.zeros_like(weights[use]), where=scale > 0)
        drive = _pool(maps, grid, pop.prf[use], weights).astype(np.float64)
        response[:, use] += share[use] * drive / drive[reference].mean(axis=0)
    response **= pop.exponent
    ref = response[reference]
    return (response - ref.mean(axis=0)) / ref.std(axis=0)
