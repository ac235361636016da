import numpy as np
import pytest
import torch

from icnn.domains import CAFFE, TORCHVISION, get_domain, network_input


@pytest.mark.parametrize("domain", [CAFFE, TORCHVISION])
def test_roundtrip_and_bounds(domain):
    rgb = torch.rand(2, 3, 5, 5) * 255
    np.testing.assert_allclose(domain.to_rgb255(domain.to_network(rgb)), rgb, atol=1e-3)
    lo, hi = domain.pixel_bounds()
    net_black = domain.to_network(torch.zeros(1, 3, 1, 1)).flatten().tolist()
    net_white = domain.to_network(torch.full((1, 3, 1, 1), 255.0)).flatten().tolist()
    np.testing.assert_allclose(lo, net_black, atol=1e-5)
    np.testing.assert_allclose(hi, net_white, atol=1e-5)


def test_caffe_is_bgr_minus_mean():
    rgb = torch.tensor([10.0, 20.0, 30.0]).view(1, 3, 1, 1)
    net = CAFFE.to_network(rgb).flatten().tolist()
    np.testing.assert_allclose(net, [30 - 103.939, 20 - 116.779, 10 - 123.68], atol=1e-4)


def test_unknown_domain_lists_choices():
    with pytest.raises(ValueError, match="caffe"):
        get_domain("bgr")


def test_network_input_takes_what_reconstruct_returns():
    rgb = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3)).astype(np.uint8)
    x = network_input(rgb, "caffe")
    assert x.shape == (2, 3, 5, 4) and x.dtype == torch.float32
    # BGR minus the mean pixel: blue channel first.
    np.testing.assert_allclose(x[1, 0].numpy(), rgb[1, :, :, 2] - 103.939, rtol=1e-6)
    np.testing.assert_array_equal(network_input(rgb.astype(np.float64), CAFFE), x)
    np.testing.assert_array_equal(network_input(rgb[0], CAFFE), x[:1])  # one (H, W, 3) image
    with pytest.raises(ValueError, match="in 0..1; .*multiply by 255"):
        network_input(rgb / 255.0, CAFFE)
    with pytest.raises(ValueError, match="expected RGB \\(N, H, W, 3\\)"):
        network_input(rgb.transpose(0, 3, 1, 2), CAFFE)
    with pytest.raises(ValueError, match="has no input_domain"):
        network_input(rgb, torch.nn.Conv2d(3, 1, 1))
