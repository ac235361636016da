"""The data check: each damaged input is refused naming the file and the fix, nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from decoders.bdata import BData
from pipeline.stages.checks import check_data, load_voxel_mask

ROIS = {"V1": "ROI_V1 = 1", "VC": "ROI_VC = 1"}
N_VOXELS = 30  # V1 is the first 12


def write_session(path: Path, labels: list[str], reps: int, values: np.ndarray | None = None) -> np.ndarray:
    order = np.tile(np.arange(len(labels)), reps)
    x = np.random.default_rng(0).normal(size=(len(order), N_VOXELS)) if values is None else values
    bd = BData()
    bd.add(x, "VoxelData")
    bd.add(order[:, None] + 1.0, "stimulus_name")
    bd.add_vmap("stimulus_name", {float(k + 1): label for k, label in enumerate(labels)})
    bd.add_metadata("ROI_V1", (np.arange(N_VOXELS) < 12).astype(float), where="VoxelData")
    bd.add_metadata("ROI_VC", np.ones(N_VOXELS), where="VoxelData")
    path.parent.mkdir(parents=True, exist_ok=True)
    bd.save(path)
    return x


@pytest.fixture
def study(tmp_path):
    """Two image sets of PNGs and one subject's training and test sessions."""
    labels = {"training": [f"tr{i}" for i in range(6)], "natural": [f"te{i}" for i in range(3)]}
    for name, names in labels.items():
        (tmp_path / name).mkdir()
        for label in names:
            Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(tmp_path / name / f"{label}.png")
    train, test = tmp_path / "train.h5", tmp_path / "test.h5"
    write_session(train, labels["training"], 2)
    write_session(test, labels["natural"], 2)
    return {
        "root": tmp_path, "labels": labels, "train": train, "test": test,
        "subjects": {"s1": {"label_key": "stimulus_name", "train": {"fmri": str(train), "image_set": "training"},
                            "test": {"natural": str(test)}}},
        "image_sets": {name: str(tmp_path / name) for name in labels},
    }  # fmt: skip


def run_check(study, n_voxels=5, nonfinite="refuse"):
    out = study["root"] / "results" / "checks.tsv"
    masks = {"s1": study["root"] / "results" / "s1.npz"}
    check_data(study["subjects"], ROIS, study["image_sets"], n_voxels, nonfinite, out, masks)
    return out, masks["s1"]


def test_clean_data_passes_and_keeps_every_voxel(study):
    out, masks = run_check(study)
    lines = out.read_text().splitlines()
    assert lines[0] == "file\troi\tvoxels\tsamples\tnonfinite_voxels"
    assert lines[1:] == [f"{study['train']}\tV1\t12\t12\t0", f"{study['train']}\tVC\t30\t12\t0",
                         f"{study['test']}\tV1\t12\t6\t0", f"{study['test']}\tVC\t30\t6\t0"]  # fmt: skip
    assert load_voxel_mask(masks, "VC").sum() == 30 and load_voxel_mask(masks, "V1").sum() == 12


def test_nan_voxels_are_refused_naming_file_roi_and_count(study):
    x = np.random.default_rng(1).normal(size=(6, N_VOXELS))
    x[2, [3, 20]] = np.nan
    x[0, 25] = np.inf
    write_session(study["test"], study["labels"]["natural"], 2, x)
    with pytest.raises(ValueError, match=r"test.h5, ROI V1 \(ROI_V1 = 1\): 1 of 12 voxels hold NaN or Inf"):
        run_check(study)
    assert not (study["root"] / "results" / "checks.tsv").exists()


def test_nan_voxels_can_be_dropped_in_every_session(study):
    x = np.random.default_rng(1).normal(size=(6, N_VOXELS))
    x[2, [3, 20]] = np.nan
    write_session(study["test"], study["labels"]["natural"], 2, x)
    out, masks = run_check(study, nonfinite="drop")
    keep = load_voxel_mask(masks, "VC")
    assert keep.sum() == 28 and not keep[3] and not keep[20]
    assert f"{study['test']}\tVC\t30\t6\t2" in out.read_text()


def test_test_image_never_shown_is_refused(study):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(study["root"] / "natural" / "te9.png")
    with pytest.raises(KeyError, match="1 images of image set 'natural' were never shown in .*test.h5: te9"):
        run_check(study)


def test_label_without_image_is_refused(study):
    (study["root"] / "training" / "tr5.png").unlink()
    with pytest.raises(KeyError, match="1 stimulus labels of .*train.h5 have no image in image set 'training': tr5"):
        run_check(study)


def test_n_voxels_above_the_roi_is_refused(study):
    with pytest.raises(ValueError, match="ROI V1: decoder.n_voxels = 20 is more than the ROI's 12 usable voxels"):
        run_check(study, n_voxels=20)


def test_damaged_files_are_named(study):
    data = study["train"].read_bytes()
    study["train"].write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="train.h5 cannot be read as a BData HDF5 file"):
        run_check(study)
    write_session(study["train"], study["labels"]["training"], 2)
    (study["root"] / "natural" / "te1.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match="te1.png cannot be read"):
        run_check(study)
    assert not (study["root"] / "results").exists()


def test_sessions_with_different_voxels_are_refused(study):
    x = np.random.default_rng(1).normal(size=(6, N_VOXELS))
    write_session(study["test"], study["labels"]["natural"], 2, x)
    bd = BData()
    bd.add(x[:, :20], "VoxelData")
    bd.add(np.tile(np.arange(3), 2)[:, None] + 1.0, "stimulus_name")
    bd.add_vmap("stimulus_name", {float(k + 1): f"te{k}" for k in range(3)})
    bd.add_metadata("ROI_V1", (np.arange(20) < 12).astype(float), where="VoxelData")
    bd.add_metadata("ROI_VC", np.ones(20), where="VoxelData")
    bd.save(study["test"])
    with pytest.raises(ValueError, match="ROI VC: 20 voxels in .*test.h5 but 30 in"):
        run_check(study)
