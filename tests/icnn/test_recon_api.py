import numpy as np
import pytest
import torch

from icnn import CAFFE, GeneratorPrior, extract_features, reconstruct
from icnn.recon import variant_options
from icnn.recon.targets import prepare_targets

LAYERS = ["conv1", "conv2", "fc"]
FAST = {
    "icnn_gd": {"n_iter": 15, "jitter": 2, "clip_extreme": (1.0, 1.0), "clip_small_norm": (5.0, 5.0),
                "clip_small_contribution": (5.0, 5.0)},
    "icnn_lbfgs": {"n_iter": 15},
    "icnn_dgn_gd": {"n_iter": 15, "lr": (0.5, 0.1)},
    "icnn_dgn_lbfgs": {"n_iter": 15},
}  # fmt: skip


@pytest.fixture
def targets(tiny_net, tiny_images):
    return extract_features(tiny_net, CAFFE.to_network(tiny_images), LAYERS)


@pytest.fixture
def prior(tiny_generator):
    return GeneratorPrior(tiny_generator, (6,), "caffe", lower=0.0, upper=np.linspace(1, 3, 6))


@pytest.mark.parametrize("method", list(FAST))
def test_batch_equals_separate_runs(method, targets, tiny_net, prior):
    # float64: batch and single runs then agree to rounding even where L-BFGS amplifies it.
    kwargs = dict(generator=prior, image_size=(16, 16), options=FAST[method], seed=[5, 9, 13],
                  dtype=torch.float64, progress=False)  # fmt: skip
    batch = reconstruct(targets, tiny_net, method, **kwargs)
    assert batch.images.shape == (3, 16, 16, 3) and batch.loss_history.shape == (3, 15)
    for b in range(3):
        single = reconstruct({k: v[b:b + 1] for k, v in targets.items()}, tiny_net, method,
                             **{**kwargs, "seed": [kwargs["seed"][b]]})  # fmt: skip
        np.testing.assert_allclose(single.images[0], batch.images[b], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(single.loss_history[0], batch.loss_history[b], rtol=1e-6)
    history = batch.loss_history
    # The 6-d tiny generator can only approach its targets; pixels get much closer.
    factor = 1.0 if method.startswith("icnn_dgn") else 0.5
    assert np.all(np.nanmin(history, axis=1) < factor * history[:, 0])
    if method.startswith("icnn_dgn"):
        assert batch.latents.shape == (3, 6)
        assert batch.latents.min() >= 0 and np.all(batch.latents <= np.linspace(1, 3, 6) + 1e-6)


def test_channels_last_weights_are_temporary_and_change_no_result(targets, tiny_net):
    from icnn.features import FeatureExtractor
    from icnn.recon.losses import get_loss
    from icnn.recon.objective import Objective, frozen

    tgt = prepare_targets(targets, "inverse_norm", None, None, torch.device("cpu"), torch.float64)
    tiny_net.double()
    x = torch.rand(3, 3, 16, 16, dtype=torch.float64)
    everyone = torch.arange(3)
    results = []
    for relayout in (False, True):
        with frozen(tiny_net, channels_last=relayout), FeatureExtractor(tiny_net, LAYERS) as fx:
            kernels = [p for p in tiny_net.parameters() if p.dim() == 4]
            assert all(p.is_contiguous(memory_format=torch.channels_last) for p in kernels) == relayout
            results.append(Objective(fx, tgt, get_loss("l2"), lambda v, i: v, None, False,
                                     relayout).value_and_grad(x, everyone))  # fmt: skip
    assert all(p.is_contiguous() for p in tiny_net.parameters())
    torch.testing.assert_close(results[1], results[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", ["icnn_gd", "icnn_lbfgs"])
def test_micro_batches_change_nothing_but_speed(method, targets, tiny_net):
    kwargs = dict(image_size=(16, 16), options={"n_iter": 6}, dtype=torch.float64, progress=False)
    whole = reconstruct(targets, tiny_net, method, **kwargs)
    parts = reconstruct(targets, tiny_net, method, micro_batch=2, **kwargs)
    np.testing.assert_allclose(parts.images, whole.images, rtol=1e-7, atol=1e-7)
    fast = reconstruct(targets, tiny_net, method, autocast_bf16=True, **{**kwargs, "dtype": torch.float32})
    # bfloat16 networks: the same optimisation, to bf16 precision.
    assert np.corrcoef(fast.images.ravel(), whole.images.ravel())[0, 1] > 0.9
    with pytest.raises(ValueError, match="micro_batch"):
        reconstruct(targets, tiny_net, method, micro_batch=0, **kwargs)


def test_lbfgs_keeps_pixels_in_range(targets, tiny_net):
    result = reconstruct(targets, tiny_net, "icnn_lbfgs", image_size=(16, 16),
                         options={"n_iter": 20}, progress=False)  # fmt: skip
    assert result.images.min() >= -1e-3 and result.images.max() <= 255 + 1e-3


def test_dgn_lbfgs_starts_inside_the_bounds(targets, tiny_net, prior):
    # An N(0, 1) start below the lower bound 0 must be clipped in, or L-BFGS-B stops at once.
    result = reconstruct(targets, tiny_net, "icnn_dgn_lbfgs", generator=prior, image_size=(16, 16),
                         init="normal", options={"n_iter": 10}, progress=False)  # fmt: skip
    assert np.isfinite(result.loss_history[:, 5]).all()
    assert result.loss_history[0, -1] < result.loss_history[0, 0]


def test_seeds_make_runs_reproducible_and_snapshots(targets, tiny_net):
    opts = {"n_iter": 8, "jitter": 3}
    a = reconstruct(targets, tiny_net, "icnn_gd", image_size=(16, 16), options=opts, seed=3,
                    snapshot_every=4, progress=False)  # fmt: skip
    b = reconstruct(targets, tiny_net, "icnn_gd", image_size=(16, 16), options=opts, seed=3,
                    progress=False)  # fmt: skip
    np.testing.assert_array_equal(a.images, b.images)
    assert sorted(a.snapshots) == [4, 8]
    np.testing.assert_allclose(a.snapshots[8], a.images, atol=1e-4)
    assert a.display().dtype == np.uint8


def test_inverse_norm_weights_are_per_image():
    feats = {"a": np.stack([np.full(4, 1.0), np.full(4, 2.0)]), "b": np.ones((2, 9))}
    w = prepare_targets(feats).weights.numpy()
    np.testing.assert_allclose(w.sum(1), 1.0, rtol=1e-6)
    # image 0: 1/4 vs 1/9; image 1: 1/16 vs 1/9
    np.testing.assert_allclose(w[0], np.array([1 / 4, 1 / 9]) / (1 / 4 + 1 / 9), rtol=1e-6)
    np.testing.assert_allclose(w[1], np.array([1 / 16, 1 / 9]) / (1 / 16 + 1 / 9), rtol=1e-6)


def test_channel_selection_ignores_other_channels(targets, tiny_net):
    spoiled = dict(targets)
    spoiled["conv1"] = targets["conv1"].copy()
    spoiled["conv1"][:, 4:] = 1e6  # only channels 0..3 are used
    kwargs = dict(image_size=(16, 16), options={"n_iter": 5}, progress=False)
    clean = reconstruct(targets, tiny_net, "icnn_gd", channels={"conv1": [0, 1, 2, 3]}, **kwargs)
    masked = reconstruct(spoiled, tiny_net, "icnn_gd", channels={"conv1": [0, 1, 2, 3]},
                         layer_weights="equal", **kwargs)  # fmt: skip
    reference = reconstruct(targets, tiny_net, "icnn_gd", channels={"conv1": [0, 1, 2, 3]},
                            layer_weights="equal", **kwargs)  # fmt: skip
    np.testing.assert_allclose(masked.images, reference.images, rtol=1e-5, atol=1e-3)
    assert clean.images.shape == masked.images.shape


def test_bad_requests_are_explained(targets, tiny_net):
    with pytest.raises(ValueError, match="unknown method"):
        reconstruct(targets, tiny_net, "icnn_adam")
    with pytest.raises(ValueError, match="needs a generator"):
        reconstruct(targets, tiny_net, "icnn_dgn_gd")
    with pytest.raises(ValueError, match="unknown icnn_gd options"):
        variant_options("icnn_gd", {"iterations": 3})
    with pytest.raises(ValueError, match="different numbers of images"):
        reconstruct({"conv1": targets["conv1"], "fc": targets["fc"][:1]}, tiny_net)
    with pytest.raises(KeyError, match="unknown layer"):
        reconstruct({"conv9": targets["conv1"]}, tiny_net, image_size=(16, 16), progress=False)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3))
    with pytest.raises(ValueError, match="pass domain="):
        reconstruct({"0": np.ones((1, 2, 14, 14))}, net, image_size=(16, 16))


def test_defaults_are_the_published_ones():
    gd = variant_options("icnn_gd")
    assert (gd.n_iter, gd.lr, gd.momentum, gd.decay, gd.blur_sigma) == (200, (2.0, 1e-10), (0.9, 0.9), (0.2, 1e-10), (2.0, 0.5))
    dgn = variant_options("icnn_dgn_gd")
    assert dgn.decay == (0.01, 0.01) and dgn.blur_sigma is None
    assert variant_options("icnn_dgn_lbfgs").n_iter == 500 and variant_options("icnn_lbfgs").memory == 10
