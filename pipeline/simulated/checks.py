"""Checks of a simulated session: reliability of the responses across repetitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from decoders.bdata import BData
from pipeline.simulated.bdata_file import ROI_KEYS, UNION_ROIS


def split_half_reliability(voxels: np.ndarray, labels: list[str]) -> np.ndarray:
    """Per-voxel correlation across images between two halves of the presentations.

    Alternate presentations of each image (1st, 3rd, ... versus 2nd, 4th, ...) are averaged
    per half; the two (n_images, n_voxels) means are correlated column by column.

    Parameters
    ----------
    voxels : numpy.ndarray
        (n_blocks, n_voxels) responses.
    labels : list of str
        Image id of each block; every image needs two presentations at least.

    Returns
    -------
    numpy.ndarray
        Pearson r per voxel (NaN for voxels constant in a half).
    """
    labels = np.asarray(labels)
    halves = np.zeros((2, len(np.unique(labels)), voxels.shape[1]))
    for i, label in enumerate(np.unique(labels)):
        rows = np.flatnonzero(labels == label)
        if len(rows) < 2:
            raise ValueError(
                f"image {label!r} is presented once: split-half needs two presentations"
            )
        halves[0, i] = voxels[rows[0::2]].mean(axis=0)
        halves[1, i] = voxels[rows[1::2]].mean(axis=0)
    a, b = halves - halves.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=0) / np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))


def expected_split_half(snr: np.ndarray, reps: int) -> np.ndarray:
    """Split-half reliability implied by single-trial SNRs (run offsets aside).

    The halves average ``ceil(reps / 2)`` and ``floor(reps / 2)`` presentations, as in
    :func:`split_half_reliability`; with unit signal variance, a mean of n presentations
    has variance ``snr**2 + 1 / n``.

    Parameters
    ----------
    snr : numpy.ndarray
        Single-trial signal SD / noise SD per voxel.
    reps : int
        Presentations per image (2 at least).

    Returns
    -------
    numpy.ndarray
        ``snr**2 / sqrt((snr**2 + 1 / n_a) * (snr**2 + 1 / n_b))``.
    """
    s2 = np.asarray(snr, dtype=float) ** 2
    n_a, n_b = reps - reps // 2, reps // 2
    return s2 / np.sqrt((s2 + 1 / n_a) * (s2 + 1 / n_b))


def reliability_table(path: str | Path) -> dict[str, tuple[float, float]]:
    """Median split-half reliability per ROI of a demo BData file, measured and expected.

    Parameters
    ----------
    path : str or Path
        A demo session file (it carries the ground-truth ``voxel_snr``).

    Returns
    -------
    dict
        ROI key -> (measured median r, expected median r), over signal-carrying voxels.
    """
    bd = BData(str(path))
    voxels, labels = bd.select("VoxelData"), bd.get_labels("stimulus_name")
    snr = bd.get_metadata("voxel_snr", where="VoxelData")
    reps = min(labels.count(label) for label in set(labels))
    measured, expected = split_half_reliability(voxels, labels), expected_split_half(snr, reps)
    table = {}
    for key in [*ROI_KEYS.values(), *UNION_ROIS]:
        use = (bd.get_metadata(key, where="VoxelData") == 1) & (snr > 0)
        table[key] = (float(np.nanmedian(measured[use])), float(np.median(expected[use])))
    return table
