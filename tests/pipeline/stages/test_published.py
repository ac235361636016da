"""Reconstruction from the authors' decoded features: reading, rescaling, broken files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from decoders.mat_features import read_feature_sd
from icnn.networks import vgg19_from_state_dict
from icnn.recon.rescale import feature_spread, rescale_to_spread
from pipeline.stages.published import (
    feature_shapes,
    published_figure,
    read_published_features,
    reconstruct_published,
)
from tests.published import tiny_vgg19_state_dict, write_decoded_tree, write_feature_sd

LAYERS = ["conv1_1", "conv3_1", "fc7"]
LABELS = ["Img0009", "Img0002"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A tiny decoded-feature tree of the tiny VGG19 at 32 px, an SD file and the weights."""
    root = tmp_path_factory.mktemp("published")
    torch.save(tiny_vgg19_state_dict(), root / "vgg.pt")
    shapes = feature_shapes(vgg19_from_state_dict(str(root / "vgg.pt")), LAYERS, 32)
    write_decoded_tree(root, "natural", "VGG19", shapes, ["S1"], ["VC"], LABELS)
    write_feature_sd(root / "sd.mat", {"conv1_1": 2.0, "conv3_1": 3.0, "fc7": 0.5})
    return root, shapes


def test_features_read_in_the_encoder_shape_and_rescaled_to_the_published_sd(tree):
    root, shapes = tree
    feats = read_published_features(root / "decodedfeatures/natural/VGG19", LAYERS, LABELS, "S1", "VC", shapes)
    assert feats["conv3_1"].shape == (2, 4, 8, 8) and feats["fc7"].shape == (2, 8)
    sd = read_feature_sd(root / "sd.mat", LAYERS)
    assert sd == {"conv1_1": 2.0, "conv3_1": 3.0, "fc7": 0.5}
    scaled = rescale_to_spread(feats, sd)
    for layer in LAYERS:  # every image's spread (mean channel SD; SD of fc) is the published SD
        np.testing.assert_allclose(feature_spread(scaled[layer]), sd[layer], rtol=1e-5)


def test_reconstruction_and_figure_without_true_images(tree, tmp_path, capsys):
    root, _ = tree
    reconstruct_published(root / "decodedfeatures/natural/VGG19", LAYERS, "S1", "VC", LABELS,
                          root / "sd.mat", "icnn_lbfgs", "vgg19_caffe", 32, tmp_path / "S1",
                          weights=str(root / "vgg.pt"), options={"n_iter": 3}, init="mean")  # fmt: skip
    data = np.load(tmp_path / "S1" / "recon.npz")
    assert data["images"].shape == (2, 32, 32, 3) and list(data["labels"]) == LABELS
    assert np.all(data["loss_history"][:, -1] <= data["loss_history"][:, 0])
    published_figure({"S1": tmp_path / "S1"}, tmp_path / "fig.png")
    assert (tmp_path / "fig.png").stat().st_size > 1000
    assert "no true images given" in capsys.readouterr().out


def test_features_of_another_network_size_name_the_folder_and_fix(tree):
    root, shapes = tree
    wrong = {**shapes, "conv3_1": (4, 16, 16)}
    with pytest.raises(ValueError, match=r"conv3_1 in .*natural/VGG19/conv3_1/S1/VC hold 256 values per "
                                         r"image .* encoder gives 1024 .*VGG19 at 224 px"):  # fmt: skip
        read_published_features(root / "decodedfeatures/natural/VGG19", LAYERS, LABELS, "S1", "VC", wrong)


def test_missing_image_and_missing_roi_name_the_folder(tree):
    root, shapes = tree
    folder = root / "decodedfeatures/natural/VGG19"
    with pytest.raises(FileNotFoundError, match=r"no feature file for label 'Img0050' in .*conv1_1/S1/VC"):
        read_published_features(folder, LAYERS, ["Img0050"], "S1", "VC", shapes)
    with pytest.raises(FileNotFoundError, match=r"feature folder not found: .*conv1_1/S1/V1"):
        read_published_features(folder, LAYERS, LABELS, "S1", "V1", shapes)


def test_sd_file_of_another_network_or_missing(tree, tmp_path):
    root, _ = tree
    with pytest.raises(KeyError, match=r"sd\.mat has no SD of layer 'fc8': it is not the SD file"):
        read_feature_sd(root / "sd.mat", ["conv1_1", "fc8"])
    with pytest.raises(FileNotFoundError, match=r"none\.mat does not exist; download it \(figshare 13004384"):
        read_feature_sd(tmp_path / "none.mat", LAYERS)
    write_feature_sd(tmp_path / "bad.mat", {"conv1_1": -1.0})
    with pytest.raises(ValueError, match="SD of layer 'conv1_1' must be one positive number"):
        read_feature_sd(tmp_path / "bad.mat", ["conv1_1"])


def test_figure_with_the_seen_images_on_top(tree, tmp_path, capsys):
    root, _ = tree
    reconstruct_published(root / "decodedfeatures/natural/VGG19", ["conv1_1"], "S1", "VC", LABELS,
                          root / "sd.mat", "icnn_gd", "vgg19_caffe", 32, tmp_path / "S1",
                          weights=str(root / "vgg.pt"), options={"n_iter": 2})  # fmt: skip
    seen = tmp_path / "seen"
    seen.mkdir()
    Image.new("RGB", (20, 20), (255, 0, 0)).save(seen / "Img0009.png")
    with pytest.raises(FileNotFoundError, match=r"no true image for \['Img0002'\] in .*seen"):
        published_figure({"S1": tmp_path / "S1"}, tmp_path / "fig.png", seen)
    Image.new("RGB", (20, 20), (0, 0, 255)).save(seen / "Img0002.png")
    published_figure({"S1": tmp_path / "S1"}, tmp_path / "fig.png", seen)
    published_figure({"S1": tmp_path / "S1"}, tmp_path / "alone.png")
    assert Image.open(tmp_path / "fig.png").size[1] > Image.open(tmp_path / "alone.png").size[1]
