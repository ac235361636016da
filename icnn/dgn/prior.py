"""Generators as reconstruction priors: a trained card, or the published relu7 generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from icnn.dgn.architecture import UpconvGenerator
from icnn.dgn.card import STATE_FILE, STATS_FILE, read_card
from icnn.domains import CAFFE
from icnn.networks import db_generator_from_state_dict
from icnn.recon.prior import GeneratorPrior


def build_generator(card: dict[str, Any]) -> UpconvGenerator:
    """An untrained generator with the architecture a card describes."""
    arch = card["architecture"]
    return UpconvGenerator(card["latent"]["shape"], arch["resolution"], arch["width"],
                           arch["min_width"], arch["refine"], arch["output_scale"])  # fmt: skip


def load_prior(path: str | Path, device: str | torch.device = "cpu") -> GeneratorPrior:
    """A trained generator, ready for ``icnn.reconstruct(..., generator=...)``.

    Parameters
    ----------
    path : str or Path
        The generator folder or its card ``generator.yaml``.
    device : str or torch.device
        Where to put the module.

    Returns
    -------
    GeneratorPrior
        Module in eval mode, the card's latent shape, output domain and crop, and the per-unit
        bounds of ``latent_stats.npz``.
    """
    card = read_card(path)
    folder = Path(card["folder"])
    module = build_generator(card)
    module.load_state_dict(torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True))
    with np.load(folder / STATS_FILE) as stats:
        lower, upper = stats["lower"], stats["upper"]
    return GeneratorPrior(module.to(device).eval(), tuple(card["latent"]["shape"]),
                          card["output_domain"], lower, upper, tuple(card["crop"]))  # fmt: skip


def _read_bounds(source: str | Path | np.ndarray) -> np.ndarray:
    """Per-unit upper bounds from an array, a ``.npy`` file or a text file (act_range/*.txt)."""
    if isinstance(source, str | Path):
        path = Path(source)
        return np.load(path) if path.suffix == ".npy" else np.loadtxt(path)
    return np.asarray(source, dtype=np.float64)


def prior_from_bdpy_relu7(state_dict_path: str | Path,
                          bounds_path_or_array: str | Path | np.ndarray | None = None) -> GeneratorPrior:  # fmt: skip
    """The published Dosovitskiy-Brox relu7 generator (bdpy's converted state dict) as a prior.

    Parameters
    ----------
    state_dict_path : str or Path
        bdpy's ``AlexNetGenerator`` state dict (from figshare, see brain-decoding-cookbook-public
        ``data/files.json``).
    bounds_path_or_array : str, Path or array, optional
        Upper bounds per unit (4096,), e.g. the paper's ``act_range/3x/fc7.txt``; None leaves
        the latent without upper bound.

    Returns
    -------
    GeneratorPrior
        Caffe output domain, 256 px output centre-cropped to 224, latent in [0, upper].
    """
    module = db_generator_from_state_dict(state_dict_path)
    upper = None
    if bounds_path_or_array is not None:
        upper = _read_bounds(bounds_path_or_array).reshape(-1)
        if upper.shape != (module.input_size,):
            raise ValueError(f"bounds have {upper.size} values; the generator's latent has "
                             f"{module.input_size} units")  # fmt: skip
    return GeneratorPrior(module, (module.input_size,), CAFFE, 0.0, upper, (224, 224))
