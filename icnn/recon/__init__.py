"""The iCNN reconstruction engine: the variants of a registry, batched, on any torch CNN."""

from icnn.recon.api import ReconResult, reconstruct
from icnn.recon.gd import GDOptions
from icnn.recon.lbfgs import LBFGSOptions
from icnn.recon.prior import GeneratorPrior
from icnn.recon.rescale import rescale_decoded, true_feature_stats
from icnn.recon.variants import (
    DEFAULT_OPTIONS,
    REGISTRY,
    VARIANTS,
    Variant,
    get_variant,
    needs_generator,
    variant_options,
)

__all__ = [
    "reconstruct", "ReconResult", "VARIANTS", "REGISTRY", "Variant", "get_variant", "needs_generator",
    "DEFAULT_OPTIONS", "variant_options", "GDOptions", "LBFGSOptions", "GeneratorPrior",
    "rescale_decoded", "true_feature_stats",
]  # fmt: skip
