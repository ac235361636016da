"""config/simulated_study.yaml: it parses, and a tiny version of it runs and feeds the benchmark."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from pipeline.effects import CHECKS
from tests.workflow.tiny import LAYERS, ROOT, snakemake, tiny_study

STUDY = ROOT / "config" / "simulated_study.yaml"
TINY_SUBJECTS = ("sub-01", "sub-02")


def tiny_version() -> dict:
    """The study's config on the tiny dataset: 2 subjects, 32 px, 3 layers, 5 iterations."""
    config = yaml.safe_load(STUDY.read_text().replace("data/simstudy/", "data/demo/"))
    config["demo_data"] = None
    config["subjects"] = {s: config["subjects"][s] for s in TINY_SUBJECTS}
    config["encoder"].update(image_size=32, layers=LAYERS)
    config["decoder"].update(n_voxels=20)
    for entry in config["reconstruction"]["layer_sets"].values():
        entry["layers"] = [layer for layer in LAYERS if layer in entry["layers"]] or LAYERS[:1]
        if "subjects" in entry:
            entry["subjects"] = [s for s in entry["subjects"] if s in TINY_SUBJECTS]
    config["reconstruction"]["images_per_job"] = 40
    config["reconstruction"]["options"] = {v: {"n_iter": 5} for v in config["reconstruction"]["variants"]}
    for grid in config["figures"]["grids"].values():
        if "subjects" in grid:
            grid["subjects"] = list(TINY_SUBJECTS)
    return config


def test_study_config_dry_run(tmp_path):
    # In an empty folder (as a fresh clone), so that no earlier run's files are counted.
    shutil.copytree(ROOT / "config", tmp_path / "config")
    result = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                             "--directory", str(tmp_path), "-n", "--cores", "2",
                             "--configfile", str(tmp_path / "config" / STUDY.name)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # 3 subjects' VC, plus sub-01's five single areas for the shapes: 8 x 5 layers.
    assert re.search(r"train_decoder\s+40\b", result.stdout), result.stdout[-3000:]
    # Its voxels pool VGG19 units: the data build runs the network on both cores.
    assert re.search(r"checkpoint demo_data:(?:\n    .*)*\n    threads: 2\n", result.stdout), result.stdout[:3000]


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    workdir = tiny_study(tmp_path_factory.mktemp("study"), tiny_version())
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir


def test_each_experiment_runs_only_its_conditions(study_run):
    with open(study_run / "results" / "summary.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    decoded = {(r["subject"], r["roi"], r["layer_set"], r["image_set"]) for r in rows if r["source"] == "decoded"}
    per_roi = {key for key in decoded if key[2] == "per_roi"}
    assert per_roi == {("sub-01", roi, "per_roi", "artificial") for roi in ("V1", "V2", "V3", "V4", "HVC")}
    assert {key[1] for key in decoded if key[2] == "all"} == {"VC"}
    assert {key[0] for key in decoded if key[2] == "conv1"} == {"sub-01"}
    assert {key for key in decoded if key[2] == "conv3-5"} == {(s, "VC", "conv3-5", "natural") for s in TINY_SUBJECTS}
    # True features only for the natural images (the generator-vs-pixel ceiling).
    assert {r["image_set"] for r in rows if r["source"] == "true"} == {"natural"}
    for grid in yaml.safe_load(STUDY.read_text())["figures"]["grids"]:
        assert (study_run / "results" / "figures" / f"grid_{grid}.png").stat().st_size > 1000


def test_benchmark_reads_the_run(study_run):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_simstudy.py"),
                             "--results", str(study_run / "results")],
                            capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    pattern = (r"simstudy_bench effnet_ident_decoded_natural=[0-9.]+ pixel_ident_decoded_shapes=[0-9.]+ "
               r"effnet_ident_true_dgn=[0-9.]+ effnet_ident_true_pixel=[0-9.]+ "
               rf"effects_reproduced=\d+/{len(CHECKS)} minutes=nan")  # fmt: skip
    assert re.fullmatch(pattern, last), last
    assert result.stdout.count("reproduced]") == len(CHECKS)
