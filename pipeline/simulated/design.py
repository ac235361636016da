"""Experimental design (presentations spread over runs) and noisy fMRI measurement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.simulated.voxel_model import VoxelPopulation


@dataclass(frozen=True)
class Session:
    """Presentation order of one stimulus set; one entry per stimulus block (sample).

    Attributes
    ----------
    image : numpy.ndarray
        Index of the presented image in the set.
    run : numpy.ndarray
        Run number, from 1.
    block : numpy.ndarray
        Block number within its run, from 1.
    """

    image: np.ndarray
    run: np.ndarray
    block: np.ndarray


def make_session(
    n_images: int, reps: int, trials_per_run: int, rng: np.random.Generator
) -> Session:
    """Show every image ``reps`` times: each repetition is a fresh random order of the whole
    set, cut into runs of at most ``trials_per_run`` blocks (as in the study, where each
    training image appears once per run cycle).

    Parameters
    ----------
    n_images : int
        Images in the set.
    reps : int
        Presentations of each image.
    trials_per_run : int
        Largest number of blocks in a run.
    rng : numpy.random.Generator
        Source of the presentation orders.

    Returns
    -------
    Session
        ``n_images * reps`` blocks in presentation order.
    """
    runs_per_rep = -(-n_images // trials_per_run)
    image, run, block = [], [], []
    for rep in range(reps):
        for r, chunk in enumerate(np.array_split(rng.permutation(n_images), runs_per_rep)):
            image.append(chunk)
            run.append(np.full(len(chunk), rep * runs_per_rep + r + 1))
            block.append(np.arange(1, len(chunk) + 1))
    return Session(np.concatenate(image), np.concatenate(run), np.concatenate(block))


def measure(
    signal: np.ndarray,
    session: Session,
    pop: VoxelPopulation,
    run_offset_sd: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Single-block voxel responses of a session.

    ``y = baseline + gain * (snr * signal + noise + run_offset)``, with unit-variance
    Gaussian trial noise and a Gaussian baseline offset per run and voxel, so a voxel's
    single-trial reliability (correlation of two presentations) is ``snr**2 / (1 + snr**2)``
    within a run.

    Parameters
    ----------
    signal : numpy.ndarray
        (n_images, n_voxels) noise-free standardised responses of the set's images.
    session : Session
        Presentation order.
    pop : VoxelPopulation
        Gives each voxel's SNR, gain and baseline.
    run_offset_sd : float
        SD of the run offsets in units of the trial noise SD.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    numpy.ndarray
        float64 (n_blocks, n_voxels).
    """
    n_vox = signal.shape[1]
    offsets = rng.normal(0, run_offset_sd, (session.run.max(), n_vox))
    noise = rng.standard_normal((len(session.image), n_vox))
    clean = signal[session.image] * pop.snr
    return pop.baseline + pop.gain * (clean + noise + offsets[session.run - 1])
