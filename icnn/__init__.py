"""iCNN: image reconstruction from CNN features (networks, feature extraction, reconstruction,
image metrics). See :func:`icnn.reconstruct`."""

from icnn.display import to_display
from icnn.domains import CAFFE, TORCHVISION, ImageDomain, get_domain
from icnn.features import FeatureExtractor, extract_features
from icnn.recon import (
    DEFAULT_OPTIONS,
    VARIANTS,
    GDOptions,
    GeneratorPrior,
    LBFGSOptions,
    ReconResult,
    reconstruct,
    rescale_decoded,
    rescale_to_spread,
    true_feature_stats,
)

__all__ = [
    "reconstruct", "ReconResult", "VARIANTS", "DEFAULT_OPTIONS", "GDOptions", "LBFGSOptions",
    "GeneratorPrior", "FeatureExtractor", "extract_features", "ImageDomain", "CAFFE",
    "TORCHVISION", "get_domain", "to_display", "rescale_decoded", "rescale_to_spread",
    "true_feature_stats",
]  # fmt: skip
