"""Stage: true features of every image of an image set, and their statistics."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from decoders.feature_store import CHUNK_IMAGES, STORAGE_DTYPES, FeatureStore, feature_writer
from icnn.dgn.files import atomic_savez
from icnn.features import extract_features
from icnn.images import find_images, load_images
from icnn.networks.registry import build_encoder, layer_shapes
from icnn.recon.rescale import LayerStats, layer_stats
from pipeline.movie_sets import frame_labels, load_movie_set


def compute_true_features(
    image_dir: str | os.PathLike,
    encoder: str,
    layers: list[str],
    image_size: int,
    output: str | os.PathLike,
    weights: str | None = None,
    batch_size: int = CHUNK_IMAGES,
    device: str = "cpu",
    threads: int = 1,
    fit: str = "center_crop",
    dtype: str = "float32",
    movie: bool = False,
) -> None:
    """Features of ``layers`` for all images of a folder, stored with their labels (sorted).

    With ``movie``, the folder is a movie set and every frame of every clip is an image
    labelled ``<clip>_f<t>`` (:mod:`pipeline.movie_sets`; frames resized to ``image_size``).

    ``fit`` is how non-square images become square (:func:`icnn.images.fit_square`). Images
    are loaded, encoded and written one batch at a time (the store's chunk rows), so memory
    holds one batch's features whatever the number of images and layers.

    Parameters
    ----------
    dtype : {'float32', 'float16'}
        Storage precision; float16 halves the store (decoders then read float16 slabs).
    """
    if dtype not in STORAGE_DTYPES:
        raise ValueError(f"feature storage dtype must be one of {STORAGE_DTYPES}, got {dtype!r}")
    torch.set_num_threads(threads)
    labels, load = (_movie_frames if movie else _image_files)(image_dir, image_size, fit)
    model = build_encoder(encoder, weights).to(device)
    shapes = layer_shapes(encoder, layers, image_size)
    attrs = {"encoder": encoder, "image_size": image_size}
    with feature_writer(output, labels, shapes, dtype, attrs) as writer:
        for start in tqdm(range(0, len(labels), batch_size), desc="true features", unit="batch"):
            names = labels[start : start + batch_size]
            rgb = torch.as_tensor(load(names)).permute(0, 3, 1, 2)
            features = extract_features(model, model.input_domain.to_network(rgb), layers,
                                        batch_size, device=device)  # fmt: skip
            for layer, array in features.items():
                writer.write(layer, start, array)


def _image_files(image_dir: str | os.PathLike, size: int, fit: str
                 ) -> tuple[list[str], Callable[[list[str]], np.ndarray]]:  # fmt: skip
    """Sorted labels of an image folder and a loader of some of its images (read when asked)."""
    found = find_images(image_dir)
    return sorted(found), lambda names: load_images([found[k] for k in names], size, fit)


def _movie_frames(movie_dir: str | os.PathLike, size: int, fit: str
                  ) -> tuple[list[str], Callable[[list[str]], np.ndarray]]:  # fmt: skip
    """Frame labels of a movie set and a loader of some of its frames (clips read at once:
    a movie set is small next to its features)."""
    clips, frames = load_movie_set(movie_dir, size)
    labels = frame_labels(clips, frames.shape[1])
    flat = frames.reshape(-1, *frames.shape[2:]).astype(np.float32)
    row = {label: i for i, label in enumerate(labels)}
    return labels, lambda names: flat[[row[k] for k in names]]


def save_feature_stats(features: str | os.PathLike, layers: list[str], output: str | os.PathLike) -> None:
    """Per-layer statistics of true features (for rescaling decoded features) to an .npz.

    Each layer is read a store chunk of images at a time (bounded memory at any size).
    """
    arrays = {}
    with FeatureStore(features) as store:
        batches = [store.labels[a : a + CHUNK_IMAGES] for a in range(0, len(store.labels), CHUNK_IMAGES)]
        for layer in layers:
            s = layer_stats((store.get(layer, names) for names in batches), layer)
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
