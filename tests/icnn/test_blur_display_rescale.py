import numpy as np
import pytest
import scipy.ndimage
import torch

from icnn.display import to_display
from icnn.recon.blur import gaussian_blur
from icnn.recon.rescale import feature_spread, rescale_decoded, true_feature_stats


@pytest.mark.parametrize("sigma", [0.5, 1.3, 2.0, 6.0])
def test_blur_equals_scipy_per_channel(sigma):
    img = np.random.default_rng(0).normal(size=(2, 3, 9, 11)).astype(np.float32)
    ours = gaussian_blur(torch.tensor(img), sigma).numpy()
    for b in range(2):
        for c in range(3):
            np.testing.assert_allclose(ours[b, c], scipy.ndimage.gaussian_filter(img[b, c], sigma), atol=1e-5)


def test_display_clips_tails_and_scales():
    img = np.linspace(0, 1000, 10 * 10 * 3).reshape(1, 10, 10, 3)
    shown = to_display(img)
    assert shown.dtype == np.uint8 and shown.min() == 0 and shown.max() == 255
    assert (shown == 0).sum() >= 6 and (shown == 255).sum() >= 6  # the 2% tails saturate
    np.testing.assert_array_equal(to_display(img * 3 + 7), shown)  # invariant to affine maps


def test_paper_rescaling_matches_true_spread():
    rng = np.random.default_rng(0)
    true = {"conv": rng.normal(0, 3.0, (20, 4, 5, 5)), "fc": rng.normal(1, 2.0, (20, 30))}
    stats = true_feature_stats(true)
    decoded = {k: 0.2 * v[:5] + 0.1 for k, v in true.items()}
    out = rescale_decoded(decoded, stats, "paper")
    for layer in true:
        np.testing.assert_allclose(feature_spread(out[layer]), stats[layer].spread, rtol=1e-5)
    centred = rescale_decoded(decoded, stats, "center_decoded")
    shifted = centred["fc"] - decoded["fc"].mean(0)
    np.testing.assert_allclose(feature_spread(shifted, ddof=1), stats["fc"].spread_ddof1, rtol=1e-5)
    with pytest.raises(ValueError, match="training mean"):
        rescale_decoded(decoded, stats, "center_train")
    with pytest.raises(ValueError, match="unknown rescaling"):
        rescale_decoded(decoded, stats, "zscore")
