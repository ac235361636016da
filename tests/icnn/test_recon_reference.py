"""Every variant and trick against outputs saved from the engine before its refactor into parts.

``data/recon_reference.npz`` holds what the single-function engine (commit 9a1a495) returned
for the cases below, in float64 on the tiny nets. The composable engine must give the same
numbers (it gave them bit for bit on the machine that saved them; the tolerance only allows
another CPU's BLAS rounding). After a deliberate change of results, rewrite the file with
``ICNN_WRITE_REFERENCE=1 pytest tests/icnn/test_recon_reference.py`` and say why in the commit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from icnn import CAFFE, GeneratorPrior, extract_features, reconstruct

REFERENCE = Path(__file__).parent / "data" / "recon_reference.npz"
LAYERS = ["conv1", "conv2", "fc"]
SPATIAL_MASK = (np.arange(64).reshape(8, 8) % 3 != 0).astype(np.float32)

# name -> (method, keyword arguments of reconstruct); every case runs 3 images of 16 x 16 px.
CASES: dict[str, tuple[str, dict]] = {
    "gd_defaults": ("icnn_gd", {"options": {"n_iter": 12}, "snapshot_every": 4}),
    "gd_tricks": ("icnn_gd", {
        "options": {"n_iter": 12, "jitter": 2, "clip_extreme": (1.0, 2.0), "clip_small_norm": (5.0, 1.0),
                    "clip_small_contribution": (5.0, 2.0), "clip_every": 2, "momentum": (0.8, 0.95)},
        "micro_batch": 2, "channels": {"conv1": [0, 2, 4, 6]}, "masks": {"conv2": SPATIAL_MASK},
        "layer_weights": "equal", "loss": "l1"}),
    "gd_mean_init": ("icnn_gd", {"init": "mean", "loss": "corr", "options": {"n_iter": 10},
                                 "layer_weights": {"conv1": 0.2, "conv2": 0.5, "fc": 0.3}}),
    "gd_no_normalisation": ("icnn_gd", {"options": {"n_iter": 8, "normalize_grad": False,
                                                    "lr": (1e-3, 1e-4), "blur_sigma": None}}),
    "lbfgs": ("icnn_lbfgs", {"options": {"n_iter": 12}, "snapshot_every": 5,
                             "masks": {"conv2": SPATIAL_MASK}}),
    "lbfgs_init_inner": ("icnn_lbfgs", {"options": {"n_iter": 10, "memory": 4}, "loss": "inner",
                                        "init": "given"}),
    "dgn_gd": ("icnn_dgn_gd", {"options": {"n_iter": 12, "lr": (0.5, 0.1)}, "snapshot_every": 6}),
    "dgn_gd_normal": ("icnn_dgn_gd", {"options": {"n_iter": 10, "lr": (0.5, 0.1)}, "init": "normal",
                                      "micro_batch": 1}),
    "dgn_lbfgs": ("icnn_dgn_lbfgs", {"options": {"n_iter": 12}, "init": "uniform",
                                     "snapshot_every": 4}),
    "dgn_lbfgs_given": ("icnn_dgn_lbfgs", {"options": {"n_iter": 8}, "init": "given"}),
}  # fmt: skip


def run_case(name: str, net: torch.nn.Module, generator: torch.nn.Module, images: torch.Tensor) -> dict:
    """The arrays of one case, keyed ``name/field``."""
    method, kwargs = CASES[name]
    kwargs = dict(kwargs)
    prior = GeneratorPrior(generator, (6,), "caffe", lower=0.0, upper=np.linspace(1, 3, 6))
    if kwargs.get("init") == "given":
        rng = np.random.default_rng(7)
        kwargs["init"] = (rng.uniform(0, 2, (3, 6)) if "dgn" in method
                          else rng.uniform(0, 255, (3, 16, 16, 3)))  # fmt: skip
    targets = extract_features(net, CAFFE.to_network(images), LAYERS)
    result = reconstruct(targets, net, method, generator=prior, image_size=(16, 16), seed=[5, 9, 13],
                         dtype=torch.float64, progress=False, **kwargs)  # fmt: skip
    out = {f"{name}/images": result.images, f"{name}/loss_history": result.loss_history}
    if result.latents is not None:
        out[f"{name}/latents"] = result.latents
    out.update({f"{name}/snapshot_{k}": v for k, v in result.snapshots.items()})
    return out


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    if os.environ.get("ICNN_WRITE_REFERENCE") or not REFERENCE.exists():
        pytest.skip("no saved reference (or it is being rewritten)")
    with np.load(REFERENCE) as saved:
        return dict(saved)


def test_write_reference(tiny_net, tiny_generator, tiny_images):
    if not os.environ.get("ICNN_WRITE_REFERENCE"):
        pytest.skip("set ICNN_WRITE_REFERENCE=1 to rewrite the saved reference")
    arrays = {}
    for name in CASES:
        arrays.update(run_case(name, tiny_net.double(), tiny_generator.double(), tiny_images.double()))
    REFERENCE.parent.mkdir(exist_ok=True)
    np.savez_compressed(REFERENCE, **arrays)


@pytest.mark.parametrize("name", list(CASES))
def test_same_results_as_the_saved_engine(name, reference, tiny_net, tiny_generator, tiny_images):
    ours = run_case(name, tiny_net.double(), tiny_generator.double(), tiny_images.double())
    saved = {k: v for k, v in reference.items() if k.startswith(f"{name}/")}
    assert sorted(ours) == sorted(saved)
    for key, value in saved.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=key)
