import dataclasses

import numpy as np
import pytest
import torch

from icnn import CAFFE, DEFAULT_OPTIONS, GDOptions, GeneratorPrior, extract_features, reconstruct
from icnn.recon import needs_generator, variant_options
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
    factor = 1.0 if needs_generator(method) else 0.5
    assert np.all(np.nanmin(history, axis=1) < factor * history[:, 0])
    if needs_generator(method):
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
    kwargs = dict(image_size=(16, 16), options={"n_iter": 5}, channels={"conv1": [0, 1, 2, 3]},
                  dtype=torch.float64, progress=False)  # fmt: skip
    clean = reconstruct(targets, tiny_net, "icnn_gd", **kwargs)
    # The inverse-norm layer weights are computed on the selected channels: same images.
    spoiled_inverse = reconstruct(spoiled, tiny_net, "icnn_gd", **kwargs)
    np.testing.assert_allclose(spoiled_inverse.images, clean.images, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(spoiled_inverse.loss_history, clean.loss_history, rtol=1e-9)
    masked = reconstruct(spoiled, tiny_net, "icnn_gd", layer_weights="equal", **kwargs)
    reference = reconstruct(targets, tiny_net, "icnn_gd", layer_weights="equal", **kwargs)
    np.testing.assert_allclose(masked.images, reference.images, rtol=1e-9, atol=1e-9)
    # ... and the selection matters: all channels give other images.
    everything = reconstruct(targets, tiny_net, "icnn_gd", **{**kwargs, "channels": None})
    assert np.abs(everything.images - clean.images).max() > 1.0


def test_bad_requests_are_explained(targets, tiny_net):
    with pytest.raises(ValueError, match="unknown method 'icnn_lbgfs' \\(did you mean 'icnn_lbfgs'"):
        reconstruct(targets, tiny_net, "icnn_lbgfs")
    with pytest.raises(ValueError, match="needs a generator"):
        reconstruct(targets, tiny_net, "icnn_dgn_gd")
    with pytest.raises(ValueError, match="unknown icnn_gd options \\['iterations'\\]"):
        variant_options("icnn_gd", {"iterations": 3})
    with pytest.raises(ValueError, match="different numbers of images"):
        reconstruct({"conv1": targets["conv1"], "fc": targets["fc"][:1]}, tiny_net)
    with pytest.raises(KeyError, match="unknown layer"):
        reconstruct({"conv9": targets["conv1"]}, tiny_net, image_size=(16, 16), progress=False)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3))
    with pytest.raises(ValueError, match="pass domain="):
        reconstruct({"0": np.ones((1, 2, 14, 14))}, net, image_size=(16, 16))


@pytest.mark.parametrize(
    ("method", "options", "message"),
    [
        ("icnn_gd", {"lr": (-1.0, 0.5)}, "GDOptions.lr must be a finite number in \\[0.0, inf\\]; got -1.0"),
        ("icnn_gd", {"n_iter": 0}, "GDOptions.n_iter must be an integer >= 1; got 0"),
        ("icnn_gd", {"momentum": (0.9, 1.5)}, "GDOptions.momentum must be a finite number in \\[0.0, 1.0\\]"),
        ("icnn_gd", {"lr": 0.5}, "GDOptions.lr must be a \\(start, end\\) pair"),
        ("icnn_gd", {"blur_sigma": (float("nan"), 1.0)}, "GDOptions.blur_sigma must be a finite number"),
        ("icnn_gd", {"clip_extreme": (60.0, 1.0)}, "GDOptions.clip_extreme"),
        ("icnn_gd", {"jitter": -2}, "GDOptions.jitter must be an integer >= 0"),
        ("icnn_gd", {"n_iters": 5}, "unknown icnn_gd options \\['n_iters'\\] \\(did you mean 'n_iter'"),
        ("icnn_lbfgs", {"memory": 0}, "LBFGSOptions.memory must be an integer >= 1"),
        ("icnn_lbfgs", {"gtol": -1e-5}, "LBFGSOptions.gtol must be a finite number"),
        ("icnn_lbfgs", {"n_iter": 2.5}, "LBFGSOptions.n_iter must be an integer"),
        ("icnn_dgn_gd", {"blur_sigma": (1.0, 0.5)}, "optimises a generator latent: \\['blur_sigma'\\] act on pixels"),
    ],
)  # fmt: skip
def test_invalid_options_raise_naming_the_option(method, options, message):
    with pytest.raises(ValueError, match=message):
        variant_options(method, options)


def test_invalid_inputs_raise_before_optimising(targets, tiny_net, prior):
    kwargs = dict(image_size=(16, 16), options={"n_iter": 3}, progress=False)
    nan = {**targets, "conv2": targets["conv2"].copy()}
    nan["conv2"][1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="layer 'conv2' have non-finite values \\(NaN or Inf\\) in images \\[1\\]"):
        reconstruct(nan, tiny_net, "icnn_gd", **kwargs)
    init = np.zeros((3, 16, 16, 3))
    init[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="init images has 1 non-finite values"):
        reconstruct(targets, tiny_net, "icnn_lbfgs", init=init, **kwargs)
    with pytest.raises(ValueError, match="init images have shape \\(3, 8, 8, 3\\); expected \\(3, 16, 16, 3\\)"):
        reconstruct(targets, tiny_net, "icnn_gd", init=np.zeros((3, 8, 8, 3)), **kwargs)
    with pytest.raises(ValueError, match="init latents have shape \\(3, 5\\)"):
        reconstruct(targets, tiny_net, "icnn_dgn_lbfgs", generator=prior, init=np.zeros((3, 5)), **kwargs)
    # A feature shape that does not fit the encoder: the layer, the expected and the given shape.
    wrong = {**targets, "conv2": targets["conv2"][:, :, :2, :2]}
    with pytest.raises(ValueError, match="layer 'conv2' have shape \\(16, 2, 2\\) per image; the encoder "
                                         "gives \\(16, 8, 8\\) for \\(16, 16\\) images"):
        reconstruct(wrong, tiny_net, "icnn_dgn_gd", generator=prior, **kwargs)
    with pytest.raises(ValueError, match="does not run on \\(24, 24\\) images"):
        reconstruct(targets, tiny_net, "icnn_gd", **{**kwargs, "image_size": (24, 24)})
    with pytest.raises(ValueError, match="reconstruct.image_size\\[0\\] must be an integer >= 1; got 0"):
        reconstruct(targets, tiny_net, "icnn_gd", **{**kwargs, "image_size": (0, 16)})
    with pytest.raises(ValueError, match="snapshot_every must be an integer >= 1"):
        reconstruct(targets, tiny_net, "icnn_gd", snapshot_every=0, **kwargs)
    with pytest.raises(ValueError, match="layer_weights must be >= 0"):
        reconstruct(targets, tiny_net, "icnn_gd", layer_weights={"conv1": -1.0}, **kwargs)
    with pytest.raises(ValueError, match="channels of layer 'conv1': \\[0, 8\\] out of range for its 8"):
        reconstruct(targets, tiny_net, "icnn_gd", channels={"conv1": [0, 8]}, **kwargs)


def test_defaults_are_the_published_ones():
    gd = variant_options("icnn_gd")
    assert (gd.n_iter, gd.lr, gd.momentum, gd.decay, gd.blur_sigma) == (200, (2.0, 1e-10), (0.9, 0.9), (0.2, 1e-10), (2.0, 0.5))
    dgn = variant_options("icnn_dgn_gd")
    assert dgn.decay == (0.01, 0.01) and dgn.blur_sigma is None
    assert variant_options("icnn_dgn_lbfgs").n_iter == 500 and variant_options("icnn_lbfgs").memory == 10
    # The registry's defaults are read-only: a mapping proxy of frozen options.
    with pytest.raises(TypeError):
        DEFAULT_OPTIONS["icnn_gd"] = GDOptions(n_iter=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_OPTIONS["icnn_gd"].n_iter = 1
    # YAML lists become the same schedules as tuples.
    assert variant_options("icnn_gd", {"lr": [1.0, 0.5]}) == dataclasses.replace(gd, lr=(1.0, 0.5))


def test_jitter_moves_the_generated_image_too(targets, tiny_net, prior):
    kwargs = dict(generator=prior, image_size=(16, 16), dtype=torch.float64, progress=False)
    opts = {"n_iter": 6, "lr": (0.5, 0.1)}
    still = reconstruct(targets, tiny_net, "icnn_dgn_gd", options=opts, **kwargs)
    jittered = reconstruct(targets, tiny_net, "icnn_dgn_gd", options={**opts, "jitter": 3}, **kwargs)
    again = reconstruct(targets, tiny_net, "icnn_dgn_gd", options={**opts, "jitter": 3}, **kwargs)
    # The same zero latent, but its image is rolled before the first evaluation already.
    assert np.any(jittered.loss_history[:, 0] != still.loss_history[:, 0])
    assert np.abs(jittered.latents - still.latents).max() > 1e-3 and jittered.latents.min() >= 0
    np.testing.assert_array_equal(again.images, jittered.images)  # the seeds fix the shifts
