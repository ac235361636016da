"""Image metrics of reconstructions: exact definitions, identification behaviour, validation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter
from skimage import data

from icnn.metrics import (
    METRICS,
    feature_identification,
    match_size,
    pixel_identification,
    pixel_pattern_correlation,
    score_reconstructions,
    ssim,
)

PHOTOS = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry"]


def _smooth_images(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """``n`` distinct smooth RGB images (n, size, size, 3) in 0..255, float64."""
    coarse = np.random.default_rng(seed).uniform(0, 255, (n, 4, 4, 3)).astype(np.float32)
    return match_size(coarse, (size, size)).clip(0, 255).astype(np.float64)


def _noisy(images: np.ndarray, sd: float, seed: int = 1) -> np.ndarray:
    return images + np.random.default_rng(seed).normal(0, sd, images.shape)


def test_metric_names_are_stable() -> None:
    assert tuple(METRICS) == ("pixel_correlation", "pixel_identification", "ssim", "effnet_identification")
    assert {name for name, m in METRICS.items() if m.chance == 0.5} == {"pixel_identification", "effnet_identification"}


def test_match_size_is_pil_bicubic() -> None:
    image = data.astronaut()[::8, ::8]  # (64, 64, 3) uint8
    resized = match_size(image[None], (40, 30))[0]
    pil = np.asarray(Image.fromarray(image).resize((30, 40), Image.BICUBIC), dtype=np.float32)
    assert resized.shape == (40, 30, 3) and resized.dtype == np.float32
    # PIL's uint8 path rounds and clips between its two passes; the float path does not.
    diff = np.abs(resized.clip(0, 255) - pil)
    assert diff.mean() < 0.5 and np.quantile(diff, 0.98) <= 1.0
    assert np.array_equal(match_size(image[None], (64, 64))[0], image.astype(np.float32))


def test_pixel_pattern_correlation_is_corrcoef_per_image() -> None:
    true = _smooth_images(4)
    recon = _noisy(true, 60.0)
    expected = [np.corrcoef(r.ravel(), t.ravel())[0, 1] for r, t in zip(recon, true, strict=True)]
    assert np.allclose(pixel_pattern_correlation(recon, true), expected, atol=1e-6)
    # A larger true image is resized to the reconstruction first.
    big = match_size(true, (48, 48))
    small = match_size(big, (32, 32))
    expected = [np.corrcoef(r.ravel(), t.ravel())[0, 1] for r, t in zip(recon, small, strict=True)]
    assert np.allclose(pixel_pattern_correlation(recon, big), expected, atol=1e-6)


def test_pixel_identification_true_noisy_shuffled() -> None:
    true = _smooth_images(40)
    assert np.all(pixel_identification(true, true) == 1.0)
    assert pixel_identification(_noisy(true, 40.0), true).mean() > 0.95
    shuffled = true[np.random.default_rng(3).permutation(40)]
    assert abs(pixel_identification(shuffled, true).mean() - 0.5) < 0.1


def test_ssim_identical_is_one_and_drops_with_noise() -> None:
    true = _smooth_images(3)
    assert np.allclose(ssim(true.astype(np.uint8), true.astype(np.uint8)), 1.0)
    mild, strong = ssim(_noisy(true, 10.0), true), ssim(_noisy(true, 50.0), true)
    assert np.all(mild < 0.99) and np.all(strong < mild)


def test_inputs_are_validated_with_shapes() -> None:
    images = _smooth_images(3)
    with pytest.raises(ValueError, match=r"recon \(3, 32, 32, 3\) and true \(2, 32, 32, 3\)"):
        pixel_pattern_correlation(images, images[:2])
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\), got shape \(3, 3, 32, 32\)"):
        ssim(images.transpose(0, 3, 1, 2), images)
    with pytest.raises(ValueError, match="at least 11 x 11"):
        ssim(images[:, :8, :8], images)
    with pytest.raises(ValueError, match="unknown metrics"):
        score_reconstructions(images, images, metrics=["psnr"])


def test_feature_identification_tiny_network(tiny_net) -> None:
    true = _smooth_images(6)
    kwargs = {"model": tiny_net, "layer": "conv2", "image_size": 16}
    assert np.all(feature_identification(true, true, **kwargs) == 1.0)
    shuffled = feature_identification(true[::-1], true, **kwargs)
    assert shuffled.mean() < 0.8


def test_score_reconstructions_uses_given_model(tiny_net) -> None:
    true = _smooth_images(5)
    recon = _noisy(true, 20.0)
    scores = score_reconstructions(recon, true, model=tiny_net, layer="fc", image_size=16)
    assert list(scores) == list(METRICS)
    assert all(v.shape == (5,) for v in scores.values())
    assert np.allclose(scores["ssim"], ssim(recon, true))
    assert np.allclose(scores["effnet_identification"],
                       feature_identification(recon, true, tiny_net, "fc", 16))  # fmt: skip


def test_pretrained_effnet_identifies_blurred_photos() -> None:
    photos = [Image.fromarray(getattr(data, name)()).resize((128, 128), Image.BICUBIC)
              for name in PHOTOS]  # fmt: skip
    blurred = np.stack([np.asarray(p.filter(ImageFilter.GaussianBlur(2))) for p in photos])
    accuracy = feature_identification(blurred, np.stack([np.asarray(p) for p in photos]))
    assert accuracy.mean() >= 0.9
