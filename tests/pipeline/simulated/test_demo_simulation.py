"""Simulated subjects: reliability, receptive-field layout, ROI information, design."""

from __future__ import annotations

import numpy as np
import pytest

from decoders.bdata import BData
from pipeline.simulated import config_from_dict, session_file
from pipeline.simulated.checks import expected_split_half, reliability_table, split_half_reliability
from pipeline.simulated.config import ROIS
from pipeline.simulated.design import make_session
from pipeline.simulated.gabor import energy_channels, stimulus_energy
from pipeline.simulated.stimuli import load_set
from pipeline.simulated.voxel_model import sample_population, voxel_signal


@pytest.mark.parametrize("subject", ["sub-01", "sub-02"])
def test_split_half_reliability_matches_the_noise_model(tiny_dataset, subject):
    training = reliability_table(session_file(tiny_dataset, subject, "training"))
    test = reliability_table(session_file(tiny_dataset, subject, "test"))
    measured, expected = training["ROI_VC"]
    print(
        f"{subject} VC split-half r: training {measured:.3f} (expected {expected:.3f}), test {test['ROI_VC'][0]:.3f}"
    )
    # Single presentations correlate weakly, as in real fMRI; averaging helps.
    assert 0.05 < measured < 0.3
    assert abs(measured - expected) < 0.05
    assert test["ROI_VC"][0] > measured + 0.1
    for roi in ("ROI_V1", "ROI_V2", "ROI_V3", "ROI_hV4", "ROI_HVC"):
        assert test[roi][0] > 0.15, roi


def test_signal_free_voxels_do_not_reproduce(tiny_dataset):
    bd = BData(session_file(tiny_dataset, "sub-01", "training"))
    snr = bd.get_metadata("voxel_snr", where="VoxelData")
    r = split_half_reliability(bd.select("VoxelData"), bd.get_labels("stimulus_name"))
    assert 0.05 < (snr == 0).mean() < 0.3
    assert abs(np.median(r[snr == 0])) < 0.05
    assert np.median(r[snr > 0]) > np.median(r[snr == 0]) + 0.08
    # A spread of noise ceilings: the best voxels are far more reliable than the median.
    ceiling = expected_split_half(snr, 8)
    assert np.percentile(ceiling, 90) - np.percentile(ceiling[snr > 0], 10) > 0.4


def test_receptive_fields_grow_with_eccentricity_and_hierarchy(tiny_dataset):
    bd = BData(session_file(tiny_dataset, "sub-01", "test"))
    x, y, sigma = (bd.get_metadata(k, where="VoxelData") for k in ("prf_x", "prf_y", "prf_sigma"))
    ecc = np.hypot(x, y)
    medians = []
    for key in ("ROI_V1", "ROI_V2", "ROI_V3", "ROI_hV4", "ROI_HVC"):
        roi = bd.get_metadata(key, where="VoxelData") == 1
        medians.append(np.median(sigma[roi]))
        if key != "ROI_HVC":
            assert np.corrcoef(ecc[roi], sigma[roi])[0, 1] > 0.7, key
    assert np.all(np.diff(medians) > 0), medians
    # Cortical magnification: more V1 voxels near the fovea than in the periphery.
    v1 = bd.get_metadata("ROI_V1", where="VoxelData") == 1
    assert np.median(ecc[v1]) < 3.0


def test_subjects_have_different_layouts(tiny_dataset):
    a, b = (BData(session_file(tiny_dataset, s, "test")) for s in ("sub-01", "sub-02"))
    assert not np.allclose(
        a.get_metadata("prf_x", where="VoxelData"), b.get_metadata("prf_x", where="VoxelData")
    )
    assert not np.allclose(a.select("VoxelData"), b.select("VoxelData"))
    # Different hemisphere layouts but the same kind of coordinates.
    xa = a.get_metadata("voxel_x", where="VoxelData")
    assert (xa < 0).any() and (xa > 0).any()


def _colour_map(images: np.ndarray, n: int = 8) -> np.ndarray:
    """Mean RGB in an n x n grid: plain low-level image content."""
    k = images.shape[1] // n
    return images.reshape(len(images), n, k, n, k, 3).mean(axis=(2, 4)).reshape(len(images), -1)


def test_early_areas_carry_more_low_level_information_than_hvc(tiny_dataset):
    cfg = config_from_dict({"model": {"n_voxels": dict.fromkeys(ROIS, 100)}})
    train = load_set(tiny_dataset / "images", "training")[1]
    test = load_set(tiny_dataset / "images", "test")[1]
    energy = stimulus_energy(np.concatenate([train, test]), cfg.model, progress=False)
    reference = np.arange(len(train) + len(test)) < len(train)
    pop = sample_population(cfg.model, cfg.noise, energy_channels(cfg.model), np.random.default_rng(1))
    signal = voxel_signal(pop, energy, reference)
    target = _colour_map(np.concatenate([train, test]))
    scores = {}
    for roi in ROIS:
        x = signal[:, pop.roi == roi]
        mean, sd = x[reference].mean(0), x[reference].std(0)
        xtr, xte = (x[reference] - mean) / sd, (x[~reference] - mean) / sd
        ytr = target[reference] - target[reference].mean(0)
        w = np.linalg.solve(xtr.T @ xtr + 10 * np.eye(x.shape[1]), xtr.T @ ytr)
        pred, true = xte @ w, target[~reference]
        scores[roi] = np.nanmean(
            [np.corrcoef(pred[:, j], true[:, j])[0, 1] for j in range(true.shape[1])]
        )
    print(
        "decoding 8x8 colour maps from noise-free voxels, profile r:",
        {k: round(float(v), 3) for k, v in scores.items()},
    )
    for roi in ("V1", "V2", "V3"):
        assert scores[roi] > scores["HVC"] + 0.1, scores


def test_session_spreads_repetitions_over_runs():
    session = make_session(n_images=23, reps=3, trials_per_run=10, rng=np.random.default_rng(0))
    assert np.bincount(session.image).tolist() == [3] * 23
    assert session.run.max() == 9  # 3 runs per repetition
    for run in range(1, 10):
        in_run = session.image[session.run == run]
        assert len(in_run) <= 10 and len(set(in_run)) == len(in_run)
