"""Priors: a trained card plugs into icnn.reconstruct within its bounds; the relu7 wrapper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icnn import GeneratorPrior, extract_features, reconstruct
from icnn.dgn import encode_latent, load_prior, prior_from_bdpy_relu7, read_card, train_generator
from icnn.dgn.card import STATS_FILE
from icnn.dgn.data import image_files
from icnn.domains import CAFFE
from icnn.images import load_images
from icnn.networks import DBGenerator


@pytest.fixture
def trained(tiny_config, tiny_encoder, image_dir, tmp_path):
    return train_generator(tiny_config, image_dir, tmp_path / "gen", progress=False)


def test_load_prior(trained):
    prior = load_prior(trained.parent)
    assert isinstance(prior, GeneratorPrior) and not prior.module.training
    assert prior.latent_shape == (16, 4, 4) and prior.output_domain == CAFFE
    assert prior.crop == (16, 16)
    lower, upper = prior.bounds(torch.device("cpu"), torch.float32)
    assert torch.all(lower == 0) and torch.all(upper >= 0) and upper.max() > 0


@pytest.mark.parametrize("method", ["icnn_dgn_lbfgs", "icnn_dgn_gd"])
def test_prior_plugs_into_reconstruct_within_bounds(trained, tiny_encoder, image_dir, method):
    prior = load_prior(trained)
    images = load_images(image_files(image_dir, "test"), 16)
    targets = extract_features(tiny_encoder, CAFFE.to_network(torch.from_numpy(images).permute(0, 3, 1, 2)),
                               ["conv1", "conv2"])  # fmt: skip
    result = reconstruct(targets, tiny_encoder, method, generator=prior, image_size=(16, 16),
                         options={"n_iter": 8}, progress=False)  # fmt: skip
    lower, upper = (b.numpy() for b in prior.bounds(torch.device("cpu"), torch.float32))
    assert result.images.shape == (4, 16, 16, 3)
    assert np.all(result.latents >= lower - 1e-6) and np.all(result.latents <= upper + 1e-6)
    assert np.all(result.loss_history[:, -1][~np.isnan(result.loss_history[:, -1])]
                  < result.loss_history[:, 0])  # fmt: skip


def test_encode_latent_is_the_true_latent(trained, tiny_encoder, image_dir):
    images = load_images(image_files(image_dir, "test"), 16)
    latents = encode_latent(read_card(trained), images)  # the card names the registered encoder
    expected = extract_features(tiny_encoder, CAFFE.to_network(torch.from_numpy(images).permute(0, 3, 1, 2)),
                                ["features.5"])["features.5"]  # fmt: skip
    with np.load(trained.parent / STATS_FILE) as stats:
        scale = float(stats["scale"])
    np.testing.assert_allclose(latents, expected / scale, rtol=1e-5)
    with pytest.raises(ValueError, match="card's image size"):
        encode_latent(trained, images[:, :8, :8])


def test_prior_from_bdpy_relu7(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "generator_relu7.pt"
    torch.save(DBGenerator().state_dict(), path)
    bounds = np.linspace(2, 6, 4096)
    np.savetxt(tmp_path / "fc7.txt", bounds)
    prior = prior_from_bdpy_relu7(path, tmp_path / "fc7.txt")
    assert prior.latent_shape == (4096,) and prior.crop == (224, 224)
    assert prior.output_domain == CAFFE and prior.lower == 0.0
    np.testing.assert_allclose(prior.upper, bounds)
    assert prior_from_bdpy_relu7(path).upper is None
    with pytest.raises(ValueError, match="4096 units"):
        prior_from_bdpy_relu7(path, np.ones(10))
