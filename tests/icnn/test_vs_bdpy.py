"""Our reconstruction against bdpy's reference ``bdpy.recon.torch.icnn.reconstruct``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import torch

from icnn import CAFFE, GeneratorPrior, extract_features, reconstruct

bdpy_icnn = pytest.importorskip("bdpy.recon.torch.icnn", reason="bdpy is a test dependency: pip install -e .[test]")
bdpy_torch = pytest.importorskip("bdpy.dl.torch")
bdpy_recon_utils = pytest.importorskip("bdpy.recon.utils")

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


def _bdpy_lbfgs(target, net, x0, weights, channels, bounds, n_iter):
    """The reference icnn_lbfgs on bdpy's parts: scipy L-BFGS-B (memory 10) on the weighted
    sum-of-squares loss of bdpy's feature extractor and feature masks, one image.

    bdpy's own ``reconstruct`` steps torch optimisers without a closure, so it cannot run
    L-BFGS; the reference implementations ran scipy's L-BFGS-B, as here."""
    extractor = bdpy_torch.FeatureExtractor(net, LAYERS, PATHS, device="cpu", detach=False)
    masks = bdpy_recon_utils.make_feature_masks({k: v[None] for k, v in target.items()}, None, channels)
    mse = torch.nn.MSELoss(reduction="sum")

    def loss_and_grad(flat):
        x = torch.tensor(flat.reshape(1, *x0.shape), requires_grad=True)
        acts = extractor.run(x)
        loss = sum(weights[k] * mse(acts[k] * torch.tensor(masks[k]), torch.tensor(target[k][None] * masks[k]))
                   for k in LAYERS)  # fmt: skip
        loss.backward()
        return loss.item(), x.grad.numpy().ravel()

    history = []
    result = scipy.optimize.minimize(
        loss_and_grad, x0.ravel(), jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": n_iter, "maxcor": 10},
        callback=lambda intermediate_result: history.append(intermediate_result.fun),
    )  # fmt: skip
    return result.x.reshape(x0.shape), np.array(history)


def test_pixel_lbfgs_matches_the_reference_on_bdpy_parts(tiny_net, tiny_images):
    net = tiny_net.double()
    targets = {k: v.astype(np.float64) for k, v in _targets(net, tiny_images[:2].double()).items()}
    init_rgb = np.random.default_rng(3).integers(0, 256, (2, 16, 16, 3)).astype(np.float64)
    weights = {"conv1": 0.5, "conv2": 0.3, "fc": 0.2}
    ours = reconstruct(targets, net, "icnn_lbfgs", image_size=(16, 16), init=init_rgb, layer_weights=weights,
                       channels={"conv1": [0, 3, 5]}, options={"n_iter": 25}, dtype=torch.float64,
                       progress=False)  # fmt: skip
    lo, hi = CAFFE.pixel_bounds()
    box = scipy.optimize.Bounds(np.repeat(lo, 256), np.repeat(hi, 256))
    for b in range(2):
        x0 = CAFFE.to_network(torch.tensor(init_rgb[b]).permute(2, 0, 1)[None])[0].numpy()
        x, history = _bdpy_lbfgs({k: v[b] for k, v in targets.items()}, net, x0, weights,
                                 {"conv1": np.array([0, 3, 5])}, box, 25)  # fmt: skip
        theirs = CAFFE.to_rgb255(torch.tensor(x)[None])[0].permute(1, 2, 0).numpy()
        assert len(history) == 25 and history[-1] < 0.2 * history[0]
        np.testing.assert_allclose(ours.loss_history[b], history, rtol=1e-6)
        np.testing.assert_allclose(ours.images[b], theirs, atol=1e-4)
