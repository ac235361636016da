"""The one image loader: every PIL mode as a viewer shows it, an explicit square-fit policy."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from icnn.images import find_images, fit_square, load_images, read_image


@pytest.fixture
def gradient() -> np.ndarray:
    """A 12 x 12 8-bit RGB test pattern with distinct channels."""
    y, x = np.mgrid[0:12, 0:12]
    return np.stack([x * 20, y * 20, (x + y) * 10], axis=-1).astype(np.uint8)


def test_rgb_png_loads_exactly(tmp_path, gradient):
    Image.fromarray(gradient).save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_images([tmp_path / "a.png"], 12)[0], gradient.astype(np.float32))


def test_16bit_grayscale_keeps_its_range(tmp_path, gradient):
    gray8 = gradient[..., 0].astype(np.uint16)
    Image.fromarray(gray8 * 257).save(tmp_path / "g16.png")
    assert read_image(tmp_path / "g16.png").mode == "RGB"
    loaded = load_images([tmp_path / "g16.png"], 12)[0]
    np.testing.assert_array_equal(loaded[..., 0], gray8)  # full range back to 8 bits, not clipped
    np.testing.assert_array_equal(loaded[..., 0], loaded[..., 2])


def test_palette_and_grayscale_become_rgb(tmp_path, gradient):
    Image.fromarray(gradient).convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(tmp_path / "p.png")
    Image.fromarray(gradient[..., 1]).save(tmp_path / "l.png")
    pal, gray = load_images([tmp_path / "p.png", tmp_path / "l.png"], 12)
    assert np.corrcoef(pal.ravel(), gradient.ravel())[0, 1] > 0.99
    np.testing.assert_array_equal(gray[..., 0], gradient[..., 1])


def test_transparent_pixels_show_mid_grey(tmp_path, gradient):
    rgba = np.dstack([gradient, np.full((12, 12), 255, np.uint8)])
    rgba[:6, :, 3] = 0  # top half transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "t.png")
    loaded = load_images([tmp_path / "t.png"], 12)[0]
    assert (loaded[:6] == 128).all()
    np.testing.assert_array_equal(loaded[6:], gradient[6:])


def test_non_square_is_centre_cropped_by_default(tmp_path):
    wide = np.zeros((10, 30, 3), np.uint8)
    wide[:, 10:20] = 200  # the centre square is bright, the sides dark
    Image.fromarray(wide).save(tmp_path / "w.png")
    cropped = load_images([tmp_path / "w.png"], 10)[0]
    assert (cropped == 200).all()
    stretched = load_images([tmp_path / "w.png"], 10, fit="stretch")[0]
    assert stretched[:, 0].mean() < 20 and stretched[:, 5].mean() > 180
    with pytest.raises(ValueError, match="image fit 'pad'"):
        fit_square(Image.fromarray(wide), 10, fit="pad")


def test_unreadable_file_is_named(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="broken.png cannot be read"):
        load_images([tmp_path / "broken.png"], 8)


def test_find_images_by_label_and_duplicates(tmp_path, gradient):
    (tmp_path / "sub").mkdir()
    Image.fromarray(gradient).save(tmp_path / "a.png")
    Image.fromarray(gradient).save(tmp_path / "sub" / "b.jpg")
    assert sorted(find_images(tmp_path)) == ["a", "b"]
    Image.fromarray(gradient).save(tmp_path / "sub" / "a.bmp")
    with pytest.raises(ValueError, match="two images are labelled 'a'"):
        find_images(tmp_path)
