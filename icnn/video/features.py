"""Features of clips: an image network applied to every frame, or a video network to the clip.

Clips are RGB arrays (B, T, H, W, 3) in 0..255, as images are (B, H, W, 3). A video network
takes (B, 3, T, H, W) in its input domain (torch's Conv3d layout).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from icnn.domains import ImageDomain, get_domain, model_domain
from icnn.features import extract_features


def check_clips(clips: np.ndarray | torch.Tensor) -> tuple[int, int, int, int]:
    """(B, T, H, W) of a clip batch (B, T, H, W, 3); a clear error for any other shape."""
    shape = tuple(clips.shape)
    if len(shape) != 5 or shape[-1] != 3:
        raise ValueError(f"clips must be RGB arrays (B, T, H, W, 3); got shape {shape} "
                         "(add a leading axis for a single clip)")  # fmt: skip
    return shape[0], shape[1], shape[2], shape[3]


def frames_to_network(clips: np.ndarray | torch.Tensor, domain: ImageDomain) -> torch.Tensor:
    """Frames of RGB clips (B, T, H, W, 3) as network inputs (B * T, 3, H, W), frame-major per clip."""
    b, t, h, w = check_clips(clips)
    frames = torch.as_tensor(np.asarray(clips, dtype=np.float32)).reshape(b * t, h, w, 3)
    return domain.to_network(frames.permute(0, 3, 1, 2))


def to_video(frames: torch.Tensor, n_clips: int) -> torch.Tensor:
    """Fold network-domain frames (B * T, 3, H, W) into video-network input (B, 3, T, H, W)."""
    bt, c, h, w = frames.shape
    return frames.reshape(n_clips, bt // n_clips, c, h, w).transpose(1, 2)


def frame_features(encoder: nn.Module, clips: np.ndarray, layers: Sequence[str],
                   domain: ImageDomain | str | None = None, batch_size: int = 16,
                   aliases: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Features of every frame from an image network: ``{layer: (B, T, *feature_shape)}``.

    Parameters
    ----------
    encoder : nn.Module
        Any torch CNN on images (B, 3, H, W).
    clips : ndarray (B, T, H, W, 3)
        RGB clips in 0..255.
    layers : sequence of str
        Layer names or module paths.
    domain : ImageDomain or str, optional
        The encoder's input domain; default: ``encoder.input_domain``.
    batch_size : int
        Frames per forward pass (frames of all clips are folded into one batch).
    aliases : mapping, optional
        Layer-name map; default: ``encoder.layer_aliases``.
    """
    b, t, _, _ = check_clips(clips)
    domain = get_domain(domain) if domain is not None else model_domain(encoder)
    feats = extract_features(encoder, frames_to_network(clips, domain), layers, batch_size, aliases)
    return {k: v.reshape(b, t, *v.shape[1:]) for k, v in feats.items()}


def clip_features(encoder: nn.Module, clips: np.ndarray, layers: Sequence[str],
                  domain: ImageDomain | str | None = None, batch_size: int = 4,
                  aliases: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Features of whole clips from a video network (B, 3, T, H, W): ``{layer: (B, *feature_shape)}``.

    Parameters are those of :func:`frame_features`; ``batch_size`` counts clips.
    """
    b, _, _, _ = check_clips(clips)
    domain = get_domain(domain) if domain is not None else model_domain(encoder)
    video = to_video(frames_to_network(clips, domain), b)
    return extract_features(encoder, video, layers, batch_size, aliases)
