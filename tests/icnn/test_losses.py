import numpy as np
import pytest
import torch

from icnn.recon.losses import get_loss


@pytest.fixture
def pair():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 3, 4, 5, generator=g), torch.randn(2, 3, 4, 5, generator=g)


def test_losses_per_image(pair):
    a, t = pair
    m = torch.ones(1, 3, 4, 5)
    an, tn = a.numpy().reshape(2, -1), t.numpy().reshape(2, -1)
    np.testing.assert_allclose(get_loss("l2")(a, t, m), ((an - tn) ** 2).sum(1), rtol=1e-5)
    np.testing.assert_allclose(get_loss("l1")(a, t, m), np.abs(an - tn).sum(1), rtol=1e-5)
    np.testing.assert_allclose(get_loss("inner")(a, t, m), -(an * tn).sum(1), rtol=1e-5)
    r = [np.corrcoef(an[i], tn[i])[0, 1] for i in range(2)]
    np.testing.assert_allclose(get_loss("corr")(a, t, m), 1 - np.array(r), rtol=1e-5)
    fa, ft = a.numpy().reshape(2, 3, 20), t.numpy().reshape(2, 3, 20)
    ga, gt = fa @ fa.transpose(0, 2, 1), ft @ ft.transpose(0, 2, 1)
    np.testing.assert_allclose(get_loss("gram")(a, t, m), ((ga - gt) ** 2).sum((1, 2)) / (4 * 9 * 400), rtol=1e-5)


def test_mask_excludes_units(pair):
    a, t = pair
    m = torch.zeros(1, 3, 4, 5)
    m[:, 1] = 1
    expected = ((a[:, 1] - t[:, 1]) ** 2).reshape(2, -1).sum(1)
    np.testing.assert_allclose(get_loss("l2")(a, t, m), expected, rtol=1e-5)


def test_bad_loss_requests():
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("huber")
    with pytest.raises(ValueError, match="conv features"):
        get_loss("gram")(torch.ones(2, 5), torch.ones(2, 5), torch.ones(1, 5))
