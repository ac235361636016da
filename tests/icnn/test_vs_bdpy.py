"""Our reconstruction against bdpy's reference ``bdpy.recon.torch.icnn.reconstruct``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icnn import CAFFE, GeneratorPrior, extract_features, reconstruct

bdpy_icnn = pytest.importorskip("bdpy.recon.torch.icnn", reason="bdpy is a test dependency: pip install -e .[test]")

LAYERS = ["conv1", "conv2", "fc"]
PATHS = {"conv1": "features[0]", "conv2": "features[3]", "fc": "classifier[0]"}


def _targets(net, images):
    return extract_features(net, CAFFE.to_network(images), LAYERS)


def _bdpy_run(target, net, init, tmp_path, **kwargs):
    return bdpy_icnn.reconstruct(
        {k: v[None] for k, v in target.items()}, net, layer_mapping=PATHS,
        loss_func=torch.nn.MSELoss(reduction="sum"), optimizer=torch.optim.SGD,
        layer_weights={"conv1": 0.5, "conv2": 0.3, "fc": 0.2}, image_size=(16, 16, 3),
        return_loss=True, save_snapshot=False, output_dir=str(tmp_path), disp_interval=10**9,
        **kwargs,
    )  # fmt: skip


def test_pixel_gd_matches_bdpy(tiny_net, tiny_images, tmp_path, capsys):
    targets = _targets(tiny_net, tiny_images[:2])
    init_rgb = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3)).astype(np.float32)
    ours = reconstruct(
        targets, tiny_net, "icnn_gd", image_size=(16, 16), init=init_rgb,
        layer_weights={"conv1": 0.5, "conv2": 0.3, "fc": 0.2},
        options={"n_iter": 40, "lr": (2.0, 0.5), "decay": (0.05, 0.001), "blur_sigma": (1.0, 0.5)},
        progress=False,
    )  # fmt: skip
    for b in range(2):
        init_net = CAFFE.to_network(torch.tensor(init_rgb[b]).permute(2, 0, 1)[None])[0].numpy()
        x, loss = _bdpy_run(
            {k: v[b] for k, v in targets.items()}, tiny_net, init_net, tmp_path, n_iter=40,
            lr=(2.0, 0.5), momentum=(0.9, 0.9), decay=(0.05, 0.001), blurring=True,
            sigma=(1.0, 0.5), initial_image=init_net,
        )  # fmt: skip
        theirs = CAFFE.to_rgb255(torch.tensor(x)[None])[0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(ours.loss_history[b], loss, rtol=2e-3)
        assert np.abs(ours.images[b] - theirs).max() < 1e-2 * np.abs(theirs).max()
        assert np.corrcoef(ours.images[b].ravel(), theirs.ravel())[0, 1] > 0.99999
    capsys.readouterr()


def test_dgn_gd_matches_bdpy(tiny_net, tiny_generator, tiny_images, tmp_path, capsys):
    targets = _targets(tiny_net, tiny_images[:1])
    z0 = np.random.default_rng(1).uniform(0.0, 1.0, 6).astype(np.float32)
    prior = GeneratorPrior(tiny_generator, (6,), "caffe", lower=0.0, upper=2.0)
    ours = reconstruct(
        targets, tiny_net, "icnn_dgn_gd", generator=prior, image_size=(16, 16), init=z0[None],
        layer_weights={"conv1": 0.5, "conv2": 0.3, "fc": 0.2},
        options={"n_iter": 30, "lr": (0.5, 0.1)}, progress=False,
    )  # fmt: skip
    _, loss, z_last = _bdpy_run(
        {k: v[0] for k, v in targets.items()}, tiny_net, None, tmp_path, generator=tiny_generator,
        n_iter=30, lr=(0.5, 0.1), momentum=(0.9, 0.9), decay=(0.01, 0.01), feature_size=(6,),
        initial_feature=z0, feature_lower_bound=0.0, feature_upper_bound=2.0, return_z=True,
    )  # fmt: skip
    # Same trajectory: equal losses at every iteration (bdpy returns the latent before its last step).
    np.testing.assert_allclose(ours.loss_history[0], loss, rtol=2e-3)
    assert ours.loss_history[0, -1] < 0.9 * ours.loss_history[0, 0]
    assert z_last.shape == (6,) and np.all((ours.latents >= 0) & (ours.latents <= 2))
    capsys.readouterr()
