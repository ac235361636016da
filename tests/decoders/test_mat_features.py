import os
import warnings

import hdf5storage
import numpy as np
import pytest
import scipy.io
from bdpy.dataform.features import DecodedFeatures, Features, save_feature

from decoders.mat_features import read_mat_features

LABELS = ["n01443537_22563", "n01621127_19020", "n04254680_26"]


def test_true_features_match_bdpy(tmp_path, rng):
    feats = {"conv5": rng.standard_normal((3, 4, 2, 3)), "fc7": rng.standard_normal((3, 6))}
    for layer, array in feats.items():
        for label, row in zip(LABELS, array, strict=True):
            save_feature(row[None], str(tmp_path), layer, label)
    reference = Features(str(tmp_path))
    for layer, array in feats.items():
        ours = read_mat_features(tmp_path, layer, LABELS[::-1])
        np.testing.assert_array_equal(ours, array[::-1])
        np.testing.assert_array_equal(ours, reference.get(layer, LABELS[::-1]))


def test_decoded_features_match_bdpy(tmp_path, rng):
    array = rng.standard_normal((3, 2, 3, 3))
    folder = tmp_path / "conv3" / "sub-01" / "VC"
    os.makedirs(folder)
    for label, row in zip(LABELS, array, strict=True):
        hdf5storage.savemat(str(folder / f"{label}.mat"), {"feat": row[None]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = DecodedFeatures(str(tmp_path)).get(
            layer="conv3", subject="sub-01", roi="VC", label=LABELS[1]
        )
    ours = read_mat_features(tmp_path, "conv3", LABELS, subject="sub-01", roi="VC")
    np.testing.assert_array_equal(ours, array)
    np.testing.assert_array_equal(ours[1:2], reference)


def test_prefixed_names_and_v5_files(tmp_path, rng):
    row = rng.standard_normal((1, 5))
    folder = tmp_path / "fc8" / "sub-02" / "LVC"
    os.makedirs(folder)
    scipy.io.savemat(str(folder / f"recon-{LABELS[2]}.mat"), {"feat": row})
    np.testing.assert_array_equal(
        read_mat_features(tmp_path, "fc8", [LABELS[2]], "sub-02", "LVC"), row
    )


def test_missing_file_and_folder_errors(tmp_path, rng):
    save_feature(rng.standard_normal((1, 3)), str(tmp_path), "fc6", LABELS[0])
    with pytest.raises(FileNotFoundError, match="no feature file for label 'n04254680_26'"):
        read_mat_features(tmp_path, "fc6", [LABELS[0], LABELS[2]])
    with pytest.raises(FileNotFoundError, match="feature folder not found"):
        read_mat_features(tmp_path, "fc6", LABELS, subject="sub-01", roi="VC")
    with pytest.raises(ValueError, match="both subject and roi"):
        read_mat_features(tmp_path, "fc6", LABELS, subject="sub-01")
