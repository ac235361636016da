"""The Dosovitskiy & Brox (2016) deep generator network that inverts CaffeNet fc7.

4096-d latent -> defc7, defc6, defc5 (LeakyReLU 0.3) -> 256 x 4 x 4 -> transposed convolutions
-> 3 x 256 x 256 image in the Caffe domain (BGR, mean subtracted). Module names follow bdpy's
``AlexNetGenerator`` so the authors' converted relu7 generator loads as it is.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from icnn.domains import CAFFE

# (name, in, out, kernel, stride, padding) of the up-convolution stack; deconv0 has no ReLU.
_DECONVS = (
    ("deconv5", 256, 256, 4, 2, 1), ("conv5_1", 256, 512, 3, 1, 1),
    ("deconv4", 512, 256, 4, 2, 1), ("conv4_1", 256, 256, 3, 1, 1),
    ("deconv3", 256, 128, 4, 2, 1), ("conv3_1", 128, 128, 3, 1, 1),
    ("deconv2", 128, 64, 4, 2, 1), ("deconv1", 64, 32, 4, 2, 1),
    ("deconv0", 32, 3, 4, 2, 1),
)  # fmt: skip


class DBGenerator(nn.Module):
    """Dosovitskiy-Brox fc7 generator: latent (B, input_size) -> image (B, 3, 256, 256).

    Parameters
    ----------
    input_size : int
        Latent dimension (4096 for CaffeNet fc7/relu7).

    Attributes
    ----------
    output_domain : ImageDomain
        Domain of the generated images (Caffe).
    """

    def __init__(self, input_size: int = 4096) -> None:
        super().__init__()
        self.input_size = input_size
        self.defc7 = nn.Linear(input_size, 4096)
        self.defc6 = nn.Linear(4096, 4096)
        self.defc5 = nn.Linear(4096, 4096)
        for name, c_in, c_out, k, s, p in _DECONVS:
            self.add_module(name, nn.ConvTranspose2d(c_in, c_out, k, stride=s, padding=p))
        self.output_domain = CAFFE

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate Caffe-domain images (B, 3, 256, 256) from latents (B, input_size)."""
        act = nn.functional.leaky_relu
        h = z
        for layer in (self.defc7, self.defc6, self.defc5):
            h = act(layer(h), 0.3)
        h = h.view(-1, 256, 4, 4)
        for name, *_ in _DECONVS:
            h = getattr(self, name)(h)
            if name != "deconv0":
                h = act(h, 0.3)
        return h


def db_generator_from_state_dict(path: str | Path) -> DBGenerator:
    """Load bdpy's converted relu7 generator (``AlexNetGenerator`` state dict).

    bdpy's class registers each layer twice (by name and inside ``defc``/``deconv``
    Sequentials), so its file holds both key sets; the named keys are used.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = DBGenerator(input_size=state["defc7.weight"].shape[1])
    own = model.state_dict()
    missing = [key for key in own if key not in state]
    if missing:
        raise ValueError(f"{path} is not a Dosovitskiy-Brox generator state dict: missing {missing[:5]}")
    model.load_state_dict({key: state[key] for key in own})
    return model.eval()
