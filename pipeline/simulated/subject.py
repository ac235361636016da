"""One simulated subject: its voxels, its sessions and their noisy responses."""

from __future__ import annotations

import numpy as np

from pipeline.simulated.config import DemoConfig, SubjectConfig
from pipeline.simulated.design import Session, make_session, measure
from pipeline.simulated.gabor import Energy, energy_channels
from pipeline.simulated.voxel_model import VoxelPopulation, sample_population, voxel_signal


def set_reps(config: DemoConfig) -> dict[str, int]:
    """Presentations per image of each stimulus set."""
    d = config.design
    return {
        "training": d.train_reps,
        "test": d.test_reps,
        "validation": d.test_reps,
        "artificial": d.artificial_reps,
        "letter": d.letter_reps,
    }


def subject_population(subject: SubjectConfig, config: DemoConfig) -> VoxelPopulation:
    """A subject's voxels, the same in its image and its movie sessions.

    Parameters
    ----------
    subject : SubjectConfig
        Name and seed; the seed's first stream fixes the voxels.
    config : DemoConfig
        Model (voxel counts, channels) and noise (SNRs) settings.

    Returns
    -------
    VoxelPopulation
    """
    return sample_population(config.model, config.noise, energy_channels(config.model),
                             np.random.default_rng([subject.seed, 0]))  # fmt: skip


def simulate_subject(
    subject: SubjectConfig, config: DemoConfig, energy: Energy, set_index: dict[str, np.ndarray]
) -> tuple[VoxelPopulation, dict[str, tuple[np.ndarray, Session]]]:
    """Draw a subject and record all its sessions.

    Parameters
    ----------
    subject : SubjectConfig
        Name and seed; the seed fixes the voxels, the presentation orders and the noise.
    config : DemoConfig
        Model, noise and design settings.
    energy : Energy
        Gabor energy of all stimuli (of all sets, concatenated).
    set_index : dict
        Set name -> indices of its images in ``energy``; must include ``"training"``,
        which sets each voxel's response scale.

    Returns
    -------
    population : VoxelPopulation
        The subject's voxels.
    sessions : dict
        Set name -> (responses (n_blocks, n_voxels), session).
    """
    # Independent streams (0: the voxels), so that e.g. changing a set's repetitions leaves the
    # voxels alone; stream 3 is the movie sessions' (pipeline.simulated.build).
    design_rng, noise_rng = (np.random.default_rng([subject.seed, k]) for k in (1, 2))
    pop = subject_population(subject, config)
    reference = np.zeros(len(energy.first), bool)
    reference[set_index["training"]] = True
    signal = voxel_signal(pop, energy, reference)
    reps = set_reps(config)
    sessions = {}
    for name, index in set_index.items():
        session = make_session(len(index), reps[name], config.design.trials_per_run, design_rng)
        responses = measure(signal[index], session, pop, config.noise.run_offset_sd, noise_rng)
        sessions[name] = (responses, session)
    return pop, sessions
