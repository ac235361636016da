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


def _ridge_profile_r(x: np.ndarray, target: np.ndarray, train: np.ndarray) -> float:
    """Mean profile r over the target's columns of a ridge fit on the rows ``train``."""
    mean, sd = x[train].mean(0), x[train].std(0) + 1e-12
    xtr, xte = (x[train] - mean) / sd, (x[~train] - mean) / sd
    w = np.linalg.solve(xtr.T @ xtr + 10 * np.eye(x.shape[1]), xtr.T @ (target[train] - target[train].mean(0)))
    pred, true = xte @ w, target[~train]
    keep = true.std(0) > 0
    return float(np.mean([np.corrcoef(pred[:, j], true[:, j])[0, 1] for j in np.flatnonzero(keep)]))


def test_dnn_channels_give_hvc_the_layer_and_leave_the_other_voxels_alone(tiny_dataset):
    n_voxels = {"n_voxels": dict.fromkeys(ROIS, 100)}
    base = config_from_dict({"model": n_voxels})
    dnn = config_from_dict({"model": {**n_voxels, "dnn_channels": {"input_size": 64}}})
    pops = [sample_population(c.model, c.noise, energy_channels(c.model), np.random.default_rng(1))
            for c in (base, dnn)]  # fmt: skip
    # The deep-network weights are drawn last: every other property of the voxels is the same.
    for key in ("prf", "first_weights", "second_weights", "snr", "gain", "baseline", "xyz"):
        assert np.array_equal(getattr(pops[0], key), getattr(pops[1], key)), key
    hvc = pops[1].roi == "HVC"
    assert pops[1].dnn_weights.shape == (500, 512) and pops[0].dnn_weights.shape == (500, 0)
    assert np.allclose(pops[1].dnn_share, np.where(hvc, 0.8, 0.0))
    assert np.allclose(pops[1].second_share[hvc], 0.2)  # HVC's Gabor part: second order only

    train = load_set(tiny_dataset / "images", "training")[1]
    test = load_set(tiny_dataset / "images", "test")[1]
    images = np.concatenate([train, test])
    energy = stimulus_energy(images, dnn.model, progress=False)
    assert energy.dnn.shape == (len(images), 512, 16) and energy.dnn.min() >= 0  # conv5_2 of 64 px
    assert np.allclose(energy.dnn_grid[[0, -1]], [[-4.5, 4.5], [4.5, -4.5]])  # 4 x 4 over 12 deg
    reference = np.arange(len(images)) < len(train)
    with pytest.raises(ValueError, match="model.dnn_channels"):
        voxel_signal(pops[1], stimulus_energy(images, base.model, progress=False), reference)
    # HVC now carries the layer: its units (summed over positions) are predicted from HVC on
    # held-out images much better than by HVC's Gabor-energy voxels.
    target = energy.dnn.sum(axis=-1)
    scores = [_ridge_profile_r(voxel_signal(pop, energy, reference)[:, hvc], target, reference) for pop in pops]
    print(f"conv5_2 units from noise-free HVC voxels, profile r: energy {scores[0]:.3f}, dnn {scores[1]:.3f}")
    assert scores[1] > scores[0] + 0.15


def test_session_spreads_repetitions_over_runs():
    session = make_session(n_images=23, reps=3, trials_per_run=10, rng=np.random.default_rng(0))
    assert np.bincount(session.image).tolist() == [3] * 23
    assert session.run.max() == 9  # 3 runs per repetition
    for run in range(1, 10):
        in_run = session.image[session.run == run]
        assert len(in_run) <= 10 and len(set(in_run)) == len(in_run)
