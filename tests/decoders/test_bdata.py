import os

import bdpy
import h5py
import numpy as np
import pytest

from decoders.bdata import BData


def _fill(bd, rng):
    """Voxels (two ROIs), runs and stimulus labels with a vmap, through the shared API."""
    bd.add(rng.standard_normal((6, 5)), "VoxelData")
    bd.add(np.array([1, 1, 1, 2, 2, 2]), "Run")
    bd.add(np.array([1, 2, 3, 1, 2, 3]), "stimulus_name")
    bd.add_metadata("ROI_V1", np.array([1, 1, 0, 0, 0]), "V1 voxels", where="VoxelData")
    bd.add_metadata("ROI_V2", np.array([0, 1, 1, 1, 0]), "V2 voxels", where="VoxelData")
    bd.add_metadata("voxel_x", np.arange(5.0), "x", where="VoxelData")
    bd.add_vmap("stimulus_name", {1: "n01_1", 2: "n02_2", 3: "n03_3", 4: "unused"})
    return bd


def _assert_same(ours: BData, theirs: "bdpy.BData"):
    np.testing.assert_array_equal(ours.dataset, theirs.dataset)
    assert ours.metadata_keys == list(theirs.metadata.key)
    np.testing.assert_array_equal(
        np.stack([ours.get_metadata(k) for k in ours.metadata_keys]), theirs.metadata.value
    )
    assert [ours.get_metadata_description(k) for k in ours.metadata_keys] == list(
        theirs.metadata.description
    )
    assert ours.get_vmap("stimulus_name") == theirs.get_vmap("stimulus_name")
    assert ours.get_labels("stimulus_name") == theirs.get_labels("stimulus_name")
    for expr in ["ROI_V1 = 1 | ROI_V2 = 1", "ROI_V1 = 1 & ROI_V2 = 1", "VoxelData = 1"]:
        np.testing.assert_array_equal(ours.select(expr), theirs.select(expr))
    np.testing.assert_array_equal(
        ours.get_metadata("voxel_x", where="ROI_V2"), theirs.get_metadata("voxel_x", where="ROI_V2")
    )


def test_ours_written_bdpy_reads(tmp_path, rng):
    path = str(tmp_path / "ours.h5")
    ours = _fill(BData(), rng)
    ours.save(path)
    _assert_same(ours, bdpy.BData(path))
    assert ours.get_vmap("stimulus_name") == {1.0: "n01_1", 2.0: "n02_2", 3.0: "n03_3"}
    assert [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")] == []


def test_bdpy_written_ours_reads(tmp_path, rng):
    path = str(tmp_path / "bdpy.h5")
    theirs = _fill(bdpy.BData(), rng)
    theirs.save(path)
    ours = BData.load(path)
    _assert_same(ours, theirs)
    assert ours.get_labels("stimulus_name") == ["n01_1", "n02_2", "n03_3"] * 2


def test_add_extends_existing_group_and_pads_other_keys(rng):
    bd = BData()
    bd.add(rng.standard_normal((4, 2)), "VoxelData")
    bd.add(rng.standard_normal((4, 1)), "Run")
    bd.add(rng.standard_normal((4, 3)), "VoxelData")
    np.testing.assert_array_equal(bd.get_metadata("VoxelData"), [1, 1, np.nan, 1, 1, 1])
    np.testing.assert_array_equal(
        bd.get_metadata("Run"), [np.nan, np.nan, 1, np.nan, np.nan, np.nan]
    )
    assert bd.get("VoxelData").shape == (4, 5)


def test_missing_roi_names_file_and_available_keys(tmp_path, rng):
    path = str(tmp_path / "x.h5")
    _fill(BData(), rng).save(path)
    with pytest.raises(KeyError, match=r"ROI_FOO.*x\.h5.*available: VoxelData.*ROI_V1"):
        BData(path).select("ROI_FOO = 1")


def test_vmap_without_label_for_a_present_value_is_an_error(rng):
    bd = BData()
    bd.add(np.array([1.0, 2.0]), "stimulus_name")
    with pytest.raises(ValueError, match="no label"):
        bd.add_vmap("stimulus_name", {1: "a"})


def test_shape_mismatch_on_add_is_an_error(rng):
    bd = BData()
    bd.add(rng.standard_normal((4, 2)), "VoxelData")
    with pytest.raises(ValueError, match="5 samples but the dataset has 4"):
        bd.add(rng.standard_normal((5, 1)), "Run")


def test_reads_legacy_group_names(tmp_path):
    path = str(tmp_path / "old.h5")
    with h5py.File(path, "w") as h5:
        h5["dataSet"] = np.arange(6.0).reshape(2, 3)
        h5["metaData/key"] = [b"VoxelData"]
        h5["metaData/description"] = [b"1 = VoxelData"]
        h5["metaData/value"] = np.ones((1, 3))
    np.testing.assert_array_equal(BData(path).get("VoxelData"), np.arange(6.0).reshape(2, 3))


def test_failed_save_keeps_the_old_file(tmp_path, rng):
    path = str(tmp_path / "keep.h5")
    bd = _fill(BData(), rng)
    bd.save(path)
    bd._vmap["stimulus_name"][1.0] = object()  # not encodable: the write fails midway
    with pytest.raises(AttributeError):
        bd.save(path)
    assert BData(path).get_vmap("stimulus_name")[1.0] == "n01_1"
    assert [f for f in os.listdir(tmp_path) if f.startswith(".tmp-")] == []
