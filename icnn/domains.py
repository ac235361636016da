"""Input domains of networks: how an RGB image in 0..255 becomes a network input and back.

Every domain used by the field is a per-channel affine map, optionally with the channel order
reversed (Caffe models take BGR), so one class covers them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ImageDomain:
    """Per-channel affine map between RGB images in 0..255 and a network's input.

    ``network = (reorder(rgb255) * scale - mean) / std``, with ``mean`` and ``std`` given in the
    network's channel order.

    Parameters
    ----------
    name : str
        Short name, used in messages and model cards.
    bgr : bool
        True when the network expects channels in BGR order (Caffe models).
    scale : float
        Factor applied to 0..255 values before the mean is subtracted (1/255 for 0..1 inputs).
    mean, std : tuple of float
        Per-channel mean and standard deviation, in the network's channel order.
    """

    name: str
    bgr: bool
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def _stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = torch.tensor(self.mean, dtype=like.dtype, device=like.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=like.dtype, device=like.device).view(1, 3, 1, 1)
        return mean, std

    def to_network(self, rgb255: torch.Tensor) -> torch.Tensor:
        """Map RGB images (B, 3, H, W) in 0..255 to network inputs (B, 3, H, W)."""
        mean, std = self._stats(rgb255)
        x = rgb255.flip(1) if self.bgr else rgb255
        return (x * self.scale - mean) / std

    def to_rgb255(self, x: torch.Tensor) -> torch.Tensor:
        """Map network inputs (B, 3, H, W) back to RGB images in the 0..255 scale (unclipped)."""
        mean, std = self._stats(x)
        rgb = (x * std + mean) / self.scale
        return rgb.flip(1) if self.bgr else rgb

    def pixel_bounds(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-channel (lower, upper) network-input values of RGB pixels in [0, 255]."""
        lower = tuple((0.0 - m) / s for m, s in zip(self.mean, self.std, strict=True))
        upper = tuple((255.0 * self.scale - m) / s for m, s in zip(self.mean, self.std, strict=True))
        return lower, upper


#: Caffe VGG/AlexNet domain: BGR, 0..255, minus the ImageNet mean pixel (B, G, R).
CAFFE = ImageDomain("caffe", bgr=True, scale=1.0, mean=(103.939, 116.779, 123.68))
#: torchvision domain: RGB in 0..1, normalised by the ImageNet mean and SD.
TORCHVISION = ImageDomain(
    "torchvision", bgr=False, scale=1 / 255, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)
)
#: Plain RGB in 0..1, for models trained on unnormalised images.
UNIT_RGB = ImageDomain("unit_rgb", bgr=False, scale=1 / 255, mean=(0.0, 0.0, 0.0))
#: RGB in 0..255 as is.
RGB255 = ImageDomain("rgb255", bgr=False, scale=1.0, mean=(0.0, 0.0, 0.0))

DOMAINS: dict[str, ImageDomain] = {d.name: d for d in (CAFFE, TORCHVISION, UNIT_RGB, RGB255)}


def get_domain(domain: str | ImageDomain) -> ImageDomain:
    """Return a domain given itself or its name (``caffe``, ``torchvision``, ``unit_rgb``, ``rgb255``)."""
    if isinstance(domain, ImageDomain):
        return domain
    if domain not in DOMAINS:
        raise ValueError(f"unknown image domain {domain!r}; choose one of {sorted(DOMAINS)}")
    return DOMAINS[domain]


def model_domain(model: object) -> ImageDomain:
    """The input domain of a network (its ``input_domain`` attribute); an error with the fix when
    it has none."""
    domain = getattr(model, "input_domain", None)
    if domain is None:
        raise ValueError(
            f"{type(model).__name__} has no input_domain attribute: pass domain= ('caffe', "
            "'torchvision', 'unit_rgb', 'rgb255' or an icnn.domains.ImageDomain) or set "
            "model.input_domain to the domain its weights expect"
        )
    return get_domain(domain)


def network_input(images: np.ndarray | torch.Tensor, model_or_domain: object) -> torch.Tensor:
    """RGB images as :func:`icnn.reconstruct` returns them -> inputs of a network.

    Parameters
    ----------
    images : array (N, H, W, 3) or (H, W, 3)
        RGB in 0..255, uint8 or float (a PIL image converted with ``np.asarray`` works).
    model_or_domain : nn.Module, ImageDomain or str
        The network (its ``input_domain``) or the domain itself.

    Returns
    -------
    Tensor (N, 3, H, W), float32, in the network's input domain.
    """
    domain = (get_domain(model_or_domain) if isinstance(model_or_domain, ImageDomain | str)
              else model_domain(model_or_domain))  # fmt: skip
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(f"images have shape {array.shape}; expected RGB (N, H, W, 3) or (H, W, 3)")
    if not np.issubdtype(array.dtype, np.integer):
        if not np.isfinite(array).all():
            raise ValueError(f"images have {int((~np.isfinite(array)).sum())} non-finite values (NaN or Inf)")
        if array.size and 0 < array.max() <= 1.0:
            raise ValueError("images are in 0..1; network_input takes RGB in 0..255: multiply by 255")
    rgb = torch.as_tensor(array.astype(np.float32)).permute(0, 3, 1, 2)
    return domain.to_network(rgb)
