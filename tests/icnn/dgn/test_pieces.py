"""Bounds, data and architecture on their own."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icnn.dgn.architecture import UpconvGenerator, upsampling_stages
from icnn.dgn.bounds import derive_bounds, latent_scale, latent_stats
from icnn.dgn.data import augmented_views, image_files
from icnn.images import load_images


def test_bounds_are_3_sd_per_unit_with_lower_0_after_relu():
    rng = np.random.default_rng(0)
    latents = np.maximum(rng.normal(1.0, 2.0, (50, 3, 2, 2)), 0)
    latents[:, 0, 0, 0] = 5.0  # a constant unit: zero-width box
    lower, upper = derive_bounds(latent_stats(latents), 3.0)
    np.testing.assert_allclose(upper, 3 * latents.std(0))
    assert upper.shape == (3, 2, 2) and np.all(lower == 0) and upper[0, 0, 0] == 0


def test_latent_scale_is_the_rms_of_all_units():
    latents = np.zeros((4, 2, 3, 3))
    latents[:, 0] = 6.0  # half the units 6, half 0: RMS sqrt(18)
    assert latent_scale(latents) == pytest.approx(np.sqrt(18.0))
    assert latent_scale(latents / 100) == pytest.approx(np.sqrt(18.0) / 100)
    assert latent_scale(np.zeros((2, 3))) == 1.0  # a silent layer is left as it is


def test_signed_latent_gets_mean_plus_minus_k_sd():
    latents = np.random.default_rng(1).normal(2.0, 1.5, (40, 6))
    lower, upper = derive_bounds(latent_stats(latents), 2.0)
    np.testing.assert_allclose(lower, latents.mean(0) - 2 * latents.std(0))
    np.testing.assert_allclose(upper, latents.mean(0) + 2 * latents.std(0))


def test_image_files_by_set_and_clear_errors(image_dir, tmp_path):
    assert len(image_files(image_dir, "training")) == 12
    assert len(image_files(image_dir / "test")) == 4  # a plain folder: all its images
    with pytest.raises(FileNotFoundError, match="no images of set 'letter'"):
        image_files(image_dir, "letter")
    with pytest.raises(FileNotFoundError, match="pipeline.simulated"):
        image_files(tmp_path / "missing")


def test_views_are_deterministic_and_view_0_is_the_image(image_dir):
    images = load_images(image_files(image_dir), 16)
    views = augmented_views(images, 3, 0.6, seed=4)
    assert views.shape == (36, 16, 16, 3)
    np.testing.assert_array_equal(views[:12], images)
    np.testing.assert_array_equal(views, augmented_views(images, 3, 0.6, seed=4))
    assert not np.array_equal(views[12:24], augmented_views(images, 3, 0.6, seed=5)[12:24])
    assert load_images(image_files(image_dir)[:2], 8).shape == (2, 8, 8, 3)


@pytest.mark.parametrize(("latent", "size", "stages", "out"), [((512, 4, 4), 64, 4, 64), ((8, 7, 7), 200, 5, 224),
                                                               ((8, 1, 1), 16, 4, 16), ((8, 3, 5), 20, 3, 24),
                                                               ((8, 8, 8), 6, 0, 8)])  # fmt: skip
def test_generator_covers_the_image(latent, size, stages, out):
    # The fewest 2x stages that reach the size from the smaller side of the latent map.
    assert upsampling_stages(latent[1:], size) == stages
    g = UpconvGenerator(latent, size, width=16, min_width=8)
    image = g(torch.rand(2, *latent))
    assert image.shape == (2, 3, latent[1] * 2**stages, latent[2] * 2**stages) and min(image.shape[-2:]) == out
    assert min(image.shape[-2:]) >= size and (stages == 0 or min(latent[1:]) * 2 ** (stages - 1) < size)
    # A fully convolutional map: each latent position drives its own image region.
    z = torch.zeros(1, *latent)
    z[0, :, 0, 0] = 1.0
    change = (g(z) - g(torch.zeros(1, *latent))).abs().sum(1)[0]
    assert change[0, 0] > 0 and (latent[1] == 1 or change[-1, -1] == 0)


def test_generator_needs_a_spatial_latent():
    with pytest.raises(ValueError, match="latent.pool"):
        UpconvGenerator((4096,), 64)
