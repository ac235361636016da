import numpy as np
import pytest
import torch

from icnn.domains import CAFFE, TORCHVISION, get_domain


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
