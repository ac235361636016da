"""The shipped config/shen2019.yaml on stand-ins of the authors' files, fetched from file:// URLs.

Both fMRI generations run through the download and the data check with the shipped
configs, only the URLs (and the md5 sums of the stand-ins) changed; the decoded-feature entry
point reconstructs the natural-image figure (3 subjects, the authors' 8 images) at a tiny size.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

from icnn.networks import vgg19_from_state_dict
from pipeline.stages.published import feature_shapes
from tests.published import (
    image_names,
    tiny_vgg19_state_dict,
    write_decoded_tree,
    write_feature_sd,
    write_index_table,
    write_session,
    zip_decoded,
)

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--nolock"]
TRAIN, TEST = image_names(6), image_names(3, first_wnid=2000000)
NET = "data/shen2019/net"
GEN = "bvlc_reference_caffenet_generator_ILSVRC2012_Training"
VOXELS = 3598
CHECKS = "results/checks/data_checks.tsv"


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([*SNAKEMAKE, "--directory", str(workdir), "--cores", "2", *args],
                          capture_output=True, text=True, env=env)  # fmt: skip


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_sources(src: Path, layout: str, config: dict) -> None:
    """The files the config's downloads fetch, under their own names in ``src``."""
    src.mkdir(parents=True, exist_ok=True)
    for entry in config["downloads"]:
        name = Path(entry["path"]).name
        if name.endswith(".h5"):
            names = TRAIN if "Training" in name else TEST
            # the shipped decoder.n_voxels (500) must fit in every ROI: 7 groups of 514 voxels
            write_session(src / name, layout, names, reps=2, n_voxels=VOXELS, seed=len(name))
        elif name.endswith(".tsv"):
            write_index_table(src / name, TRAIN if "training" in name else TEST)
        elif name.endswith(".mat"):
            write_feature_sd(src / name, {"conv1_1": 1.0})
    torch.save(tiny_vgg19_state_dict(), src / "vgg.pt")
    with zipfile.ZipFile(src / "VGG_ILSVRC_19_layers.zip", "w") as archive:
        archive.write(src / "vgg.pt", "VGG_ILSVRC_19_layers/VGG_ILSVRC_19_layers.pt")
    with zipfile.ZipFile(src / f"{GEN}.zip", "w") as archive:
        archive.writestr(f"{GEN}/generator_relu7.pt", "stand-in")
        archive.writestr(f"{GEN}/act_range/3x/relu7.txt", " ".join(["3.0"] * 8))


def local_downloads(config: dict, src: Path) -> dict:
    """The config with figshare replaced by ``src``; published md5 sums become the stand-ins'."""
    for entry in config["downloads"]:
        source = src / Path(entry["path"]).name
        entry["url"] = source.as_uri()
        if entry.get("md5"):
            entry["md5"] = md5(source)
    return config


def write_images(workdir: Path) -> None:
    rng = np.random.default_rng(0)
    for folder, names in (("training", TRAIN), ("test", TEST)):
        path = workdir / "data/shen2019/images" / folder
        path.mkdir(parents=True, exist_ok=True)
        for name in names:
            Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path / f"{name}.JPEG")


def shipped(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


def write_configs(workdir: Path, layout: str) -> list[str]:
    """The shipped config (and the fmriprep overlay) fetching from stand-ins; their paths."""
    configs = {"shen2019.yaml": shipped("shen2019.yaml")}
    if layout == "fmriprep":
        configs["shen2019_fmriprep.yaml"] = shipped("shen2019_fmriprep.yaml")
    (workdir / "config").mkdir()
    for name, content in configs.items():
        write_sources(workdir / "src", layout, content)
        local_downloads(content, workdir / "src")
        (workdir / "config" / name).write_text(yaml.safe_dump(content, sort_keys=False))
    # absolute: Snakemake resolves --configfile against the cwd, not --directory
    return [str(workdir / "config" / name) for name in configs]


def check_rows(path: Path, subject: str) -> dict[str, dict[str, str]]:
    """ROI -> row of a subject's training session in the data-check table."""
    with open(path) as f:
        return {r["roi"]: r for r in csv.DictReader(f, delimiter="\t")
                if "Training" in r["file"] and f"/{subject}_" in r["file"]}  # fmt: skip


def test_download_then_check_and_dry_run_with_the_shipped_config(tmp_path):
    """The 2019 files as a new user gets them: `snakemake download` (file:// for figshare)."""
    files = write_configs(tmp_path, "2019")
    write_images(tmp_path)
    run = snakemake(tmp_path, "download", CHECKS, "--configfile", *files)
    assert run.returncode == 0, run.stderr[-4000:]
    for entry in shipped("shen2019.yaml")["downloads"]:
        for path in [entry["path"], *(entry.get("files") or [])]:
            assert (tmp_path / path).exists(), path
    assert "md5" in (tmp_path / "logs/download/VGG_ILSVRC_19_layers.zip.log").read_text()
    rows = check_rows(tmp_path / CHECKS, "sub-03")
    assert rows["V4"]["voxels"] == "514" and rows["VC"]["voxels"] == str(VOXELS)
    assert rows["VC"]["samples"] == "12"
    dry = snakemake(tmp_path, "-n", "--configfile", *files)
    assert dry.returncode == 0, dry.stderr[-4000:]
    todo = dry.stdout.split("Job stats")[1]
    assert "train_decoder" in todo and "check_data" not in todo and "download" not in todo
    jobs = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", todo, re.M)}
    # subjects x ROIs x decoder shards of the 19 layers at 224 px (262,144 units per shard):
    # conv1_x 13 each, conv2_x 7, conv3_x 4, conv4_x 2, conv5_x and fc 1.
    assert jobs["train_decoder"] == 3 * 6 * (2 * 13 + 2 * 7 + 4 * 4 + 4 * 2 + 4 + 3)


def test_fmriprep_overlay_checks_the_newer_files(tmp_path):
    """The newer files (stimulus_name + vmap, ROI_hV4) with the overlay, placed by hand."""
    files = write_configs(tmp_path, "fmriprep")
    write_images(tmp_path)
    for source in (tmp_path / "src").glob("*_fmriprep_volume_native.h5"):
        (tmp_path / "data/shen2019/fmri").mkdir(parents=True, exist_ok=True)
        source.rename(tmp_path / "data/shen2019/fmri" / source.name)
    run = snakemake(tmp_path, CHECKS, "--configfile", *files)
    assert run.returncode == 0, run.stderr[-4000:]
    rows = check_rows(tmp_path / CHECKS, "sub-01")
    assert rows["V4"]["voxels"] == "514" and "fmriprep" in rows["V4"]["file"]
    dry = snakemake(tmp_path, "-n", "--configfile", *files)
    assert dry.returncode == 0, dry.stderr[-4000:]


def test_published_decoded_features_give_the_natural_image_figure(tmp_path):
    """3 subjects x the 8 images of the authors' first script, from their file layout and list."""
    config = shipped("shen2019.yaml")
    src, data = tmp_path / "src", tmp_path / "authors"
    src.mkdir()
    condition = config["published"]["conditions"]["natural_dgn"]
    layers = ["conv1_1", "fc7"]
    torch.save(tiny_vgg19_state_dict(), src / "vgg.pt")
    shapes = feature_shapes(vgg19_from_state_dict(str(src / "vgg.pt")), layers, 32)
    write_decoded_tree(data, "natural", "VGG19", shapes, config["published"]["subjects"],
                       condition["rois"], condition["images"])  # fmt: skip
    (src / "file_list.csv").write_text("\n".join(zip_decoded(data, src)) + "\n")
    write_feature_sd(src / "estimated_vgg19_cnn_feat_std.mat", {"conv1_1": 20.0, "fc7": 1.0})
    with zipfile.ZipFile(src / "VGG_ILSVRC_19_layers.zip", "w") as archive:
        archive.write(src / "vgg.pt", "VGG_ILSVRC_19_layers/VGG_ILSVRC_19_layers.pt")
    for entry in config["downloads"]:
        source = src / Path(entry["path"]).name
        # only the encoder weights and the feature SDs are fetched: no fMRI, no generator
        entry["url"], entry["md5"] = source.as_uri(), md5(source) if source.exists() else None
    config["encoder"]["image_size"] = 32
    config["published"].update(
        url=f"{src.as_uri()}/{{name}}", file_list=str(src / "file_list.csv"),
        options={"icnn_gd": {"n_iter": 3}},
        conditions={"natural_dgn": {**condition, "variant": "icnn_gd", "layer_sets": {"all": layers}}},
    )  # fmt: skip
    config["reconstruction"]["device"] = "cpu"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run = snakemake(tmp_path, "published", "--configfile", str(tmp_path / "config.yaml"))
    assert run.returncode == 0, run.stderr[-4000:]
    figure = tmp_path / "results/published/natural_dgn.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(figure).size[0] > 8 * 50  # 8 images a row
    for subject in ("S1", "S2", "S3"):
        folder = tmp_path / "results/published/natural_dgn/all/VC" / subject
        assert sorted(p.stem for p in folder.glob("*.png")) == sorted(condition["images"])
        loss = np.load(folder / "recon.npz")["loss_history"]
        assert loss.shape == (8, 3) and np.all(loss[:, -1] < loss[:, 0])
    assert "no true images given" in (tmp_path / "logs/published/natural_dgn.figure.log").read_text()
    # Parsing needed no stimulus image; the fMRI path says where they come from.
    dry = snakemake(tmp_path, "-n", "--configfile", str(tmp_path / "config.yaml"))
    out = dry.stdout + dry.stderr
    assert dry.returncode != 0 and "image folder data/shen2019/images/test does not exist" in out
    assert "come from their authors (Shen et al. 2019: on request" in out
