"""Dead-leaves training images: deterministic, and with the statistics the module claims."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import ConfigError
from pipeline.simulated import config_from_dict
from pipeline.simulated.deadleaves import dead_leaves_image, dead_leaves_images
from pipeline.simulated.photos import CATALOGUE
from pipeline.simulated.stimuli import build_stimuli


def _amplitude_slope(image: np.ndarray) -> float:
    """Slope of log radial amplitude spectrum against log frequency (2 to size/4 cycles per
    image) of the luminance, Hann-windowed: about -1 for natural images."""
    grey = image.astype(float).mean(axis=-1)
    n = len(grey)
    window = np.hanning(n)
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2((grey - grey.mean()) * np.outer(window, window))))
    yy, xx = np.indices(spectrum.shape) - n // 2
    radius = np.hypot(xx, yy)
    freqs = np.arange(2, n // 4)
    amplitude = [spectrum[(radius >= f - 0.5) & (radius < f + 0.5)].mean() for f in freqs]
    return float(np.polyfit(np.log(freqs), np.log(amplitude), 1)[0])


@pytest.fixture(scope="module")
def leaves():
    return dead_leaves_images(8, 96, seed=0)


def test_deterministic_from_the_seed(leaves):
    again = dead_leaves_images(10, 96, seed=0)
    # The first images do not change when more are asked for.
    assert all(np.array_equal(leaves[k], again[k]) for k in leaves)
    assert sorted(again) == [f"deadleaves-{k:03d}" for k in range(1, 11)]
    other = dead_leaves_images(1, 96, seed=1)["deadleaves-001"]
    assert np.abs(other.astype(int) - leaves["deadleaves-001"]).mean() > 20
    assert {img.shape for img in leaves.values()} == {(96, 96, 3)} and other.dtype == np.uint8


def test_amplitude_spectrum_falls_as_one_over_f(leaves):
    slopes = [_amplitude_slope(img) for img in leaves.values()]
    # Measured -0.78 to -1.28, mean -1.04 (photos of objects here: -1.2 to -1.4, textures
    # -0.2 to -0.7; white noise would be 0).
    assert -1.3 < np.mean(slopes) < -0.8, slopes
    assert max(slopes) < -0.65, slopes
    # Without occlusion of many sizes the slope differs: a few large shapes only is steeper.
    big = dead_leaves_image(96, np.random.default_rng(0), radii=(0.3, 0.5))
    assert _amplitude_slope(big) < np.mean(slopes) - 0.3


def test_uniform_colour_regions_with_edges_and_many_hues(leaves):
    images = np.stack(list(leaves.values())).astype(int)
    # Most neighbouring pixels share their colour exactly (uniform regions) ...
    same = (np.abs(np.diff(images, axis=2)).sum(axis=-1) == 0).mean()
    assert same > 0.45  # measured 0.56
    # ... the rest are edges, some of them strong.
    assert (np.abs(np.diff(images, axis=2)).sum(axis=-1) > 150).mean() > 0.05
    # Hues of both opponent axes, from grey to saturated.
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    assert np.std(r - g) > 35 and np.std((r + g) / 2 - b) > 35  # measured 53, 47
    assert np.percentile(images.max(-1) - images.min(-1), 90) > 100


def test_larger_exponent_gives_smaller_shapes():
    def region_share(exponent: float) -> float:
        imgs = [dead_leaves_image(64, np.random.default_rng([3, k]), exponent=exponent) for k in range(4)]
        # Share of neighbours of equal colour grows with the size of the regions.
        return float(np.mean([(np.abs(np.diff(i.astype(int), axis=1)).sum(-1) == 0).mean() for i in imgs]))

    assert region_share(2.0) > region_share(4.0) + 0.1


def test_training_set_holds_the_dead_leaves():
    cfg = config_from_dict({"stimuli": {"image_size": 32, "n_train": 4, "n_dead_leaves": 3}}).stimuli
    training = [s for s in build_stimuli(cfg) if s.set == "training"]
    assert all(s.source in CATALOGUE for s in training[:4])
    assert [s.source for s in training[4:]] == ["deadleaves"] * 3
    assert [s.id for s in training[4:]] == ["deadleaves-001", "deadleaves-002", "deadleaves-003"]
    assert np.array_equal(training[4].image, dead_leaves_images(1, 32, cfg.seed)["deadleaves-001"])


@pytest.mark.parametrize(
    "stimuli, match",
    [
        ({"dead_leaves_radii": [0.5, 0.1]}, "dead_leaves_radii.*smaller radius first"),
        ({"dead_leaves_radii": [0.1]}, "dead_leaves_radii"),
        ({"dead_leaves_exponent": 0.5}, "dead_leaves_exponent"),
        ({"n_dead_leaves": -1}, "n_dead_leaves"),
    ],
)
def test_bad_dead_leaves_settings_are_clear_errors(stimuli, match):
    with pytest.raises(ConfigError, match=match):
        config_from_dict({"stimuli": stimuli})
