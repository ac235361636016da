"""The iCNN reconstruction engine: four variants, batched, on any torch CNN."""

from icnn.recon.api import DEFAULT_OPTIONS, VARIANTS, ReconResult, reconstruct, variant_options
from icnn.recon.gd import GDOptions
from icnn.recon.lbfgs import LBFGSOptions
from icnn.recon.prior import GeneratorPrior
from icnn.recon.rescale import rescale_decoded, rescale_to_spread, true_feature_stats

__all__ = [
    "reconstruct", "ReconResult", "VARIANTS", "DEFAULT_OPTIONS", "variant_options",
    "GDOptions", "LBFGSOptions", "GeneratorPrior", "rescale_decoded", "rescale_to_spread", "true_feature_stats",
]  # fmt: skip
