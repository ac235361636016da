"""Check of the trained DGN prior: reconstruct held-out natural test images from their TRUE features.

Trains the demo generator (or reuses the cached one), takes the VGG19 features of the natural
test images (photos never seen in training), reconstructs them through the generator
(icnn_dgn_lbfgs, optionally icnn_dgn_gd) and in pixel space (icnn_lbfgs), and scores the
displayed reconstructions by pixel-correlation pairwise identification (each reconstruction vs
its own image vs every other test image; ties fail; chance 50%; target for the DGN: >= 90%)
and pixel pattern correlation. Writes a figure (originals / DGN / pixel rows) and ends with
``dgn_check ident_dgn=X ident_pixel=Y train_seconds=T``.

The default layers (VGG19 blocks 1-2) keep the check to minutes on 2 CPU cores; ``--layers all``
uses all 16 conv layers (better on a GPU).

Usage: python benchmarks/dgn_check.py [--config config/dgn.yaml] [--images data/demo/images]
       [--generator results/dgn/demo] [--out results/dgn/check] [--iters 50]
       [--methods icnn_dgn_lbfgs,icnn_lbfgs] [--layers conv1_1,...|all] [--device cpu]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from common.scores import pairwise_identification, pattern_correlation
from icnn import extract_features, reconstruct, to_display
from icnn.dgn import build_encoder, load_config, load_prior, read_card, train_generator
from icnn.dgn.data import image_files
from icnn.images import load_images
from icnn.networks.vgg19 import CONV_LAYERS
from icnn.recon import needs_generator
from pipeline.demo import save_figure

DEFAULT_LAYERS = ("conv1_1", "conv1_2", "conv2_1", "conv2_2")


def score(displayed: np.ndarray, originals: np.ndarray) -> tuple[float, float]:
    """Mean pixel-correlation pairwise identification and mean pixel pattern correlation."""
    pred = displayed.reshape(len(displayed), -1).astype(np.float64)
    true = originals.reshape(len(originals), -1).astype(np.float64)
    ident = pairwise_identification(pred, true, metric="correlation")
    return float(np.mean(ident)), float(np.mean(pattern_correlation(pred, true)))


def main(argv: list[str] | None = None) -> None:
    """Run the check; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("config/dgn.yaml"))
    parser.add_argument("--profile", default=None)
    parser.add_argument("--images", type=Path, default=Path("data/demo/images"))
    parser.add_argument("--generator", type=Path, default=Path("results/dgn/demo"))
    parser.add_argument("--out", type=Path, default=Path("results/dgn/check"))
    parser.add_argument("--iters", type=int, default=50, help="iterations per variant")
    parser.add_argument("--methods", default="icnn_dgn_lbfgs,icnn_lbfgs")
    parser.add_argument("--layers", default=",".join(DEFAULT_LAYERS), help="comma list or 'all'")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)

    card_file = train_generator(load_config(args.config, args.profile), args.images,
                                args.generator, device=args.device)  # fmt: skip
    card = read_card(card_file)
    train_seconds = card["training"]["latent_seconds"] + card["training"]["train_seconds"]
    prior = load_prior(card_file, device=args.device)
    encoder = build_encoder(card["encoder"]["name"])
    size = int(card["image_size"])
    originals = load_images(image_files(args.images, "test"), size)
    layers = list(CONV_LAYERS) if args.layers == "all" else args.layers.split(",")
    rgb = torch.from_numpy(originals).permute(0, 3, 1, 2)
    targets = extract_features(encoder, encoder.input_domain.to_network(rgb), layers)

    args.out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, np.ndarray] = {}
    results: dict[str, tuple[float, float]] = {}
    lines = ["method\tidentification\tpattern_correlation"]
    for method in args.methods.split(","):
        result = reconstruct(targets, encoder, method, image_size=(size, size),
                             generator=prior if needs_generator(method) else None,
                             options={"n_iter": args.iters}, device=args.device)  # fmt: skip
        rows[method] = to_display(result.images)
        results[method] = score(rows[method], originals)
        lines.append(f"{method}\t{results[method][0]:.4f}\t{results[method][1]:.4f}")
        print(f"{method:<15} identification {results[method][0]:.1%}  "
              f"pattern r {results[method][1]:.3f}", flush=True)  # fmt: skip
    (args.out / "dgn_check.tsv").write_text("\n".join(lines) + "\n")
    figure = args.out / "dgn_check.png"
    save_figure(figure, originals, rows)
    print(f"layers {','.join(layers)}; {args.iters} iterations; figure {figure}")
    dgn = max((v for k, v in results.items() if needs_generator(k)), default=(np.nan,))
    pixel = max((v for k, v in results.items() if not needs_generator(k)), default=(np.nan,))
    print(f"dgn_check ident_dgn={dgn[0]:.4f} ident_pixel={pixel[0]:.4f} train_seconds={train_seconds:.1f}")


if __name__ == "__main__":
    main()
