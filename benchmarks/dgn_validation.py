"""Validation of the DGN prior: generator vs pixel-space reconstruction from TRUE features.

Holds out every training crop of a few photos (default: astronaut, china) from generator
training, trains the generator on the other training crops at the encoder's image size (as
the workflow does), and reconstructs ``--n-images``
held-out crops from their true VGG19 features at the demo's encoder size (64 px, the demo's
five layers and iterations) with icnn_gd, icnn_dgn_gd and icnn_dgn_lbfgs. Scores the displayed
reconstructions with :mod:`icnn.metrics` (pixel correlation, pixel identification,
EfficientNet-Lite0 identification). The natural test images are never used: settings of the
generator are chosen on this split.

``--set KEY=VALUE`` overrides a key of the DGN config (dotted path, YAML value), e.g.
``--set bounds.sd_multiple=6 --set generator.width=256``. Ends with
``dgn_validation effnet_dgn_gd=A effnet_dgn_lbfgs=B effnet_gd=C pixcorr_dgn_gd=D pixcorr_gd=E
train_seconds=T``.

Usage: OMP_NUM_THREADS=1 python benchmarks/dgn_validation.py [--config config/dgn.yaml]
       [--images data/demo/images] [--holdout astronaut,china] [--n-images 10]
       [--out results/dgn/validation] [--set KEY=VALUE ...] [--methods ...]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from icnn import extract_features, reconstruct, to_display
from icnn.dgn import build_encoder, config_from_dict, load_prior, read_card, train_generator
from icnn.dgn.config import load_config
from icnn.dgn.latent import encode_latent
from icnn.images import load_images
from icnn.metrics import score_reconstructions
from icnn.recon import needs_generator

LAYERS = ("conv1_2", "conv2_2", "conv3_4", "conv4_4", "conv5_4")
ITERATIONS = {"icnn_gd": 100, "icnn_lbfgs": 50, "icnn_dgn_gd": 100, "icnn_dgn_lbfgs": 50}
METRICS = ("pixel_correlation", "pixel_identification", "effnet_identification")


def split(images: Path, holdout: list[str], n_images: int) -> tuple[list[Path], list[Path]]:
    """Training crops of the other photos, and ``n_images`` crops of the held-out photos
    (spread evenly over them)."""
    with (images / "index.tsv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["set"] == "training"]
    unknown = sorted(set(holdout) - {r["source"] for r in rows})
    if unknown:
        raise ValueError(f"--holdout photos {unknown} have no training crops in {images}/index.tsv")
    train = [images / "training" / f"{r['id']}.png" for r in rows if r["source"] not in holdout]
    per_photo = [[images / "training" / f"{r['id']}.png" for r in rows if r["source"] == p] for p in holdout]
    valid = [photo[k] for k in range(max(map(len, per_photo))) for photo in per_photo if k < len(photo)]
    return train, valid[:n_images]


def overrides(pairs: list[str]) -> dict:
    """Nested dict of ``a.b=value`` pairs (values parsed as YAML)."""
    out: dict = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return out


def merged(base: dict, overlay: dict) -> dict:
    """``base`` updated by ``overlay``, recursively."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the validation; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("config/dgn.yaml"))
    parser.add_argument("--images", type=Path, default=Path("data/demo/images"))
    parser.add_argument("--holdout", default="astronaut,china")
    parser.add_argument("--n-images", type=int, default=10)
    parser.add_argument("--size", type=int, default=64, help="encoder input side (the demo: 64)")
    parser.add_argument("--out", type=Path, default=Path("results/dgn/validation"))
    parser.add_argument("--set", action="append", default=[], dest="sets", metavar="KEY=VALUE")
    parser.add_argument("--methods", default="icnn_gd,icnn_dgn_gd,icnn_dgn_lbfgs")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)

    # As the workflow: the generator is trained at the encoder's image size.
    base = merged(load_config(args.config).to_dict(), {"image_size": args.size})
    cfg = config_from_dict(merged(base, overrides(args.sets)))
    train_files, valid_files = split(args.images, args.holdout.split(","), args.n_images)
    train_dir = args.out / "train_images"
    if train_dir.exists():
        shutil.rmtree(train_dir)
    train_dir.mkdir(parents=True)
    for path in train_files:
        shutil.copy(path, train_dir / path.name)
    started = time.perf_counter()
    card_file = train_generator(cfg, train_dir, args.out / "generator", device=args.device)
    train_seconds = time.perf_counter() - started
    card = read_card(card_file)
    prior = load_prior(card_file, device=args.device)
    encoder = build_encoder(card["encoder"]["name"])
    originals = load_images(valid_files, int(card["image_size"]))
    rgb = torch.from_numpy(load_images(valid_files, args.size)).permute(0, 3, 1, 2)
    targets = extract_features(encoder, encoder.input_domain.to_network(rgb), list(LAYERS))

    lines = ["method\t" + "\t".join(METRICS) + "\tseconds"]
    means: dict[str, dict[str, float]] = {}
    # The ceiling of the prior: the generator's image of each held-out crop's own latent.
    with torch.no_grad():
        tick = time.perf_counter()
        z = torch.from_numpy(encode_latent(card, originals, encoder))
        ceiling = prior.render(z, (args.size, args.size), encoder.input_domain)
        shown = {"generator_true_latent": to_display(
            encoder.input_domain.to_rgb255(ceiling).permute(0, 2, 3, 1).numpy())}
    seconds = {"generator_true_latent": time.perf_counter() - tick}
    methods = [m for m in args.methods.split(",") if m]
    for method in methods:
        tick = time.perf_counter()
        result = reconstruct(targets, encoder, method, image_size=(args.size, args.size),
                             generator=prior if needs_generator(method) else None,
                             options={"n_iter": ITERATIONS[method]}, device=args.device, progress=False)  # fmt: skip
        seconds[method] = time.perf_counter() - tick
        shown[method] = to_display(result.images)
    for method, images in shown.items():
        scores = score_reconstructions(images, originals, METRICS)
        means[method] = {k: float(np.mean(v)) for k, v in scores.items()}
        lines.append(f"{method}\t" + "\t".join(f"{means[method][k]:.4f}" for k in METRICS)
                     + f"\t{seconds[method]:.1f}")  # fmt: skip
        print(lines[-1], flush=True)
    (args.out / "scores.tsv").write_text("\n".join(lines) + "\n")
    np.savez(args.out / "reconstructions.npz", originals=originals, **shown)

    def get(method: str, metric: str) -> float:
        return means.get(method, {}).get(metric, float("nan"))

    print(f"dgn_validation effnet_ceiling={get('generator_true_latent', 'effnet_identification'):.4f} "
          f"effnet_dgn_gd={get('icnn_dgn_gd', 'effnet_identification'):.4f} "
          f"effnet_dgn_lbfgs={get('icnn_dgn_lbfgs', 'effnet_identification'):.4f} "
          f"effnet_gd={get('icnn_gd', 'effnet_identification'):.4f} "
          f"pixcorr_dgn_gd={get('icnn_dgn_gd', 'pixel_correlation'):.4f} "
          f"pixcorr_gd={get('icnn_gd', 'pixel_correlation'):.4f} train_seconds={train_seconds:.1f}")


if __name__ == "__main__":
    main()
