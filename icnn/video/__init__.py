"""Movies: clip reconstruction from image-network (per frame) and video-network features,
clip features, clip I/O and clip scores."""

from icnn.video.features import clip_features, frame_features
from icnn.video.recon import EXACT, ClipResult, TemporalPrior, reconstruct_clips

__all__ = ["reconstruct_clips", "ClipResult", "TemporalPrior", "EXACT", "frame_features",
           "clip_features"]  # fmt: skip
