"""Fixtures of the DGN tests: tiny images, a tiny configuration for the tiny encoder of
tests/icnn/conftest.py (16 px input, latent = its last pooling, 16 x 4 x 4, post-ReLU)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PIL import Image

#: Trains in about a second: 2 stages from 4x4 to 16 px, a 2-layer discriminator.
TINY = {
    "encoder": "tiny",
    "image_size": 16,
    "latent": {"layer": "features.5"},
    "data": {"n_views": 2, "min_crop": 0.75},
    "generator": {"width": 16, "min_width": 8, "output_scale": 60.0},
    "discriminator": {"width": 8, "n_layers": 2},
    "loss": {"image": 1.0, "feature": 1.0, "adversarial": 0.01, "feature_layers": ["conv1"]},
    "train": {"steps": 6, "batch_size": 4, "lr": 0.003, "checkpoint_every": 2, "seed": 0},
}


@pytest.fixture
def tiny_config() -> dict:
    """The tiny configuration as a mapping, to modify."""
    return copy.deepcopy(TINY)


def _smooth_images(n: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (n, 4, 4, 3)).astype(np.uint8)
    return np.stack([np.asarray(Image.fromarray(c).resize((size, size), Image.BILINEAR))
                     for c in coarse])  # fmt: skip


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory):
    """A stimulus folder like the demo set's: index.tsv, 12 training and 4 test images (16 px)."""
    root = tmp_path_factory.mktemp("images")
    rows = ["id\tset\tsource\tlicence\tdetail"]
    for image_set, n, seed in (("training", 12, 0), ("test", 4, 1)):
        (root / image_set).mkdir()
        for i, image in enumerate(_smooth_images(n, 16, seed)):
            Image.fromarray(image).save(root / image_set / f"img-{i:03d}.png")
            rows.append(f"img-{i:03d}\t{image_set}\tsynthetic\tCC0\t-")
    (root / "index.tsv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture
def tiny_encoder(tiny_net, monkeypatch):
    """The tiny encoder, also registered as 'tiny' so that cards and the CLI can name it."""
    from icnn.networks.registry import ENCODERS, Encoder

    monkeypatch.setitem(ENCODERS, "tiny", Encoder(lambda weights: tiny_net, (), "tiny test encoder"))
    return tiny_net
