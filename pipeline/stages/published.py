"""Stage: reconstruct from the authors' published decoded features (Shen et al. 2019).

The features are KamitaniLab/DeepImageReconstruction's (``data/file_list.csv``), unzipped as
``<root>/<image_type>/<network>/<layer>/<subject>/<roi>/<...>-<label>.mat`` (MATLAB v5, key
``feat``). As in the authors' seven example scripts, each image's decoded feature of a layer is
rescaled to the layer's published feature SD (``estimated_vgg19_cnn_feat_std.mat``) before
reconstruction; no decoder and no stimulus image is needed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from decoders.mat_features import read_feature_sd, read_mat_features
from icnn.features import extract_features
from icnn.images import find_images, load_images
from icnn.networks.registry import build_encoder
from icnn.recon import needs_generator, reconstruct
from icnn.recon.rescale import rescale_to_spread
from pipeline.stages.figures import image_grid
from pipeline.stages.reconstruction import generator_prior, write_reconstructions


def feature_shapes(model: torch.nn.Module, layers: Sequence[str], image_size: int) -> dict[str, tuple]:
    """Shape of one image's features of each layer at ``image_size`` px."""
    probe = extract_features(model, np.zeros((1, 3, image_size, image_size), np.float32), layers)
    return {layer: value.shape[1:] for layer, value in probe.items()}


def read_published_features(folder: str | os.PathLike, layers: Sequence[str], labels: Sequence[str],
                            subject: str, roi: str, shapes: Mapping[str, tuple]) -> dict[str, np.ndarray]:  # fmt: skip
    """The decoded features of ``labels`` per layer, shaped as the encoder's features.

    Raises
    ------
    ValueError
        When a layer's files do not hold one value per unit of the encoder's layer.
    """
    features = {}
    for layer in layers:
        value = read_mat_features(folder, layer, labels, subject, roi)
        size = math.prod(shapes[layer])
        if value[0].size != size:
            raise ValueError(f"decoded features of {layer} in {Path(folder) / layer / subject / roi} hold "
                             f"{value[0].size} values per image ({value.shape[1:]}); the encoder gives "
                             f"{size} {tuple(shapes[layer])}: use the network and image size the "
                             "features were decoded for (VGG19 at 224 px)")  # fmt: skip
        features[layer] = value.reshape(len(labels), *shapes[layer])
    return features


def reconstruct_published(
    folder: str | os.PathLike,
    layers: list[str],
    subject: str,
    roi: str,
    labels: list[str],
    feature_sd: str | os.PathLike,
    variant: str,
    encoder: str,
    image_size: int,
    output_dir: str | os.PathLike,
    weights: str | None = None,
    generator: dict | None = None,
    options: dict | None = None,
    init: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    threads: int = 1,
) -> None:
    """Reconstruct ``labels`` from the published decoded features of one subject and ROI.

    Parameters
    ----------
    folder : path
        ``<root>/<image_type>/<network>`` of the unzipped decoded features.
    layers : list of str
        Layers matched (the authors: all 19, or a layer combination).
    subject, roi : str
        The authors' names (``S1``, ``VC``).
    labels : list of str
        Image labels (``Img0009``).
    feature_sd : path
        The published per-layer feature SDs of the network.
    init : str, optional
        Initial image or latent (the authors' L-BFGS scripts: ``'mean'``, the mean pixel).
    variant, encoder, image_size, weights, generator, options, seed, device, threads
        As in :func:`pipeline.stages.reconstruction.reconstruct_chunk`.
    output_dir : path
        Folder written by :func:`pipeline.stages.reconstruction.write_reconstructions`.
    """
    torch.set_num_threads(threads)
    sd = read_feature_sd(feature_sd, layers)  # a wrong SD file fails before the network loads
    model = build_encoder(encoder, weights)
    features = read_published_features(folder, layers, labels, subject, roi,
                                       feature_shapes(model, layers, image_size))  # fmt: skip
    features = rescale_to_spread(features, sd)
    prior = generator_prior(generator, device) if needs_generator(variant) else None
    seeds = [seed + i for i in range(len(labels))]
    result = reconstruct(features, model, variant, generator=prior, image_size=(image_size, image_size),
                         init=init, options=options, seed=seeds, device=device)  # fmt: skip
    write_reconstructions(output_dir, labels, result)


def published_figure(rows: Mapping[str, str | os.PathLike], output: str | os.PathLike,
                     true_images: str | os.PathLike | None = None) -> None:  # fmt: skip
    """The figure of one condition: a row of displayed reconstructions per folder in ``rows``.

    ``true_images`` (a folder with one image per label, e.g. ``Img0009.png``) adds the seen
    images on top; without it the figure shows the reconstructions only (the stimulus images
    come from the authors on request) and says so on stdout.
    """
    grid, labels = [], []
    for name, folder in rows.items():
        folder_labels = [str(v) for v in np.load(Path(folder) / "recon.npz")["labels"]]
        labels = labels or folder_labels
        grid.append((name, _displayed(folder, folder_labels)))
    if true_images:
        found = find_images(true_images)
        missing = [label for label in labels if label not in found]
        if missing:
            raise FileNotFoundError(f"no true image for {missing[:5]} in {true_images}; name them by "
                                    "label (Img0009.png) or drop 'true_images'")  # fmt: skip
        size = grid[0][1].shape[1]
        grid.insert(0, ("seen image", load_images([found[k] for k in labels], size).astype(np.uint8)))
    else:
        print(f"{output}: no true images given (the stimulus images come from the authors on "
              "request): the figure shows reconstructions only, and no scores are computed")
    image_grid(grid, output, columns=labels)


def _displayed(folder: str | os.PathLike, labels: Sequence[str]) -> np.ndarray:
    return np.stack([np.asarray(Image.open(Path(folder) / f"{label}.png").convert("RGB")) for label in labels])
