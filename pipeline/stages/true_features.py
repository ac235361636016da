"""Stage: true features of every image of an image set, and their statistics."""

from __future__ import annotations

import os

import numpy as np
import torch

from decoders.feature_store import FeatureStore, write_features
from icnn.dgn.files import atomic_savez
from icnn.features import extract_features
from icnn.images import find_images, load_images
from icnn.networks.registry import build_encoder
from icnn.recon.rescale import LayerStats, true_feature_stats


def compute_true_features(
    image_dir: str | os.PathLike,
    encoder: str,
    layers: list[str],
    image_size: int,
    output: str | os.PathLike,
    weights: str | None = None,
    batch_size: int = 16,
    device: str = "cpu",
    threads: int = 1,
    fit: str = "center_crop",
) -> None:
    """Features of ``layers`` for all images of a folder, stored with their labels (sorted).

    ``fit`` is how non-square images become square (:func:`icnn.images.fit_square`).
    """
    torch.set_num_threads(threads)
    found = find_images(image_dir)
    labels = sorted(found)
    model = build_encoder(encoder, weights).to(device)
    rgb = torch.as_tensor(load_images([found[k] for k in labels], image_size, fit)).permute(0, 3, 1, 2)
    features = extract_features(model, model.input_domain.to_network(rgb), layers, batch_size,
                                device=device)  # fmt: skip
    write_features(output, features, labels, attrs={"encoder": encoder, "image_size": image_size})


def save_feature_stats(features: str | os.PathLike, layers: list[str], output: str | os.PathLike) -> None:
    """Per-layer statistics of true features (for rescaling decoded features) to an .npz."""
    with FeatureStore(features) as store:
        stats = true_feature_stats({layer: store.get(layer) for layer in layers})
    arrays = {}
    for layer, s in stats.items():
        arrays[f"{layer}/spread"] = np.float64(s.spread)
        arrays[f"{layer}/spread_ddof1"] = np.float64(s.spread_ddof1)
        arrays[f"{layer}/mean"] = s.mean.astype(np.float32)
        arrays[f"{layer}/n_images"] = np.int64(s.n_images)
    atomic_savez(output, **arrays)


def load_feature_stats(path: str | os.PathLike, layers: list[str]) -> dict[str, LayerStats]:
    """Read the statistics written by :func:`save_feature_stats` for ``layers``."""
    with np.load(path) as data:
        missing = [layer for layer in layers if f"{layer}/spread" not in data]
        if missing:
            raise KeyError(f"no statistics of layers {missing} in {path}")
        return {layer: LayerStats(float(data[f"{layer}/spread"]), float(data[f"{layer}/spread_ddof1"]),
                                  data[f"{layer}/mean"], int(data[f"{layer}/n_images"]))
                for layer in layers}  # fmt: skip
