"""iCNN: image reconstruction from CNN features (networks, feature extraction, reconstruction,
image metrics). See :func:`icnn.reconstruct`."""

from icnn.display import to_display
from icnn.domains import CAFFE, TORCHVISION, ImageDomain, get_domain, network_input
from icnn.features import FeatureExtractor, extract_features
from icnn.recon import (
    DEFAULT_OPTIONS,
    REGISTRY,
    VARIANTS,
    GDOptions,
    GeneratorPrior,
    LBFGSOptions,
    ReconResult,
    reconstruct,
    rescale_decoded,
    true_feature_stats,
)

__all__ = [
    "reconstruct", "ReconResult", "VARIANTS", "REGISTRY", "DEFAULT_OPTIONS", "GDOptions", "LBFGSOptions",
    "GeneratorPrior", "FeatureExtractor", "extract_features", "ImageDomain", "CAFFE",
    "TORCHVISION", "get_domain", "network_input", "to_display", "rescale_decoded", "true_feature_stats",
]  # fmt: skip
