"""Deep generator network (DGN) priors: train one that inverts any encoder layer, or load one.

Train (Dosovitskiy & Brox recipe: image, comparator-feature and adversarial losses)::

    python -m icnn.dgn train --config config/dgn.yaml --images data/demo/images --out results/dgn/demo

Use it in a reconstruction::

    prior = icnn.dgn.load_prior("results/dgn/demo")
    icnn.reconstruct(targets, encoder, "icnn_dgn_lbfgs", generator=prior, image_size=(128, 128))

The published relu7 generator of the paper plugs in the same way
(:func:`prior_from_bdpy_relu7`), as does any ``nn.Module`` wrapped in
:class:`icnn.GeneratorPrior`.
"""

from icnn.dgn.card import read_card
from icnn.dgn.config import DGNConfig, config_from_dict, load_config
from icnn.dgn.latent import encode_latent
from icnn.dgn.prior import load_prior, prior_from_bdpy_relu7
from icnn.dgn.train import TrainingDiverged, train_generator
from icnn.networks.registry import ENCODERS, build_encoder

__all__ = [
    "train_generator", "TrainingDiverged", "load_prior", "prior_from_bdpy_relu7", "encode_latent", "read_card",
    "DGNConfig", "config_from_dict", "load_config", "ENCODERS", "build_encoder",
]  # fmt: skip
