"""`snakemake --lint` and dry runs of both shipped configs, the paper's on tiny look-alike files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from decoders.bdata import BData

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--nolock"]
ROIS = ["ROI_V1", "ROI_V2", "ROI_V3", "ROI_hV4", "ROI_HVC", "ROI_LVC", "ROI_VC"]
ROI_SIZE = 500  # voxels per ROI: the paper's decoders select 500 voxels, the data check wants as many


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)


def counts(plan: str) -> dict[str, int]:
    """Job counts of a dry run's table."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", plan, re.M)}


def test_lint_is_clean():
    result = run("--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_default_config_dry_run():
    result = run("-n", "--cores", "2", "--directory", str(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]


def _session(path: Path, labels: list[str], reps: int, rng: np.random.Generator) -> None:
    """A tiny BData file with the keys and layout of the study's *_original_VC.h5 files."""
    order = np.tile(np.arange(len(labels)), reps)
    n = ROI_SIZE * len(ROIS)
    bd = BData()
    bd.add(rng.normal(size=(len(order), n)), "VoxelData")
    bd.add(np.repeat(np.arange(reps), len(labels))[:, None] + 1.0, "Run")
    bd.add(order[:, None] + 1.0, "stimulus_name")
    bd.add_vmap("stimulus_name", {float(k + 1): label for k, label in enumerate(labels)})
    for i, key in enumerate(ROIS):
        flag = np.zeros(n)
        flag[i * ROI_SIZE:(i + 1) * ROI_SIZE] = 1
        bd.add_metadata(key, flag if key != "ROI_VC" else np.ones(n), where="VoxelData")
    path.parent.mkdir(parents=True, exist_ok=True)
    bd.save(path)


@pytest.fixture(scope="module")
def shen_tree(tmp_path_factory):
    """The paper config's files, tiny: BData sessions, ImageNet-style images, network files."""
    root = tmp_path_factory.mktemp("shen2019")
    config = yaml.safe_load((ROOT / "config" / "shen2019.yaml").read_text())
    rng = np.random.default_rng(0)
    sets = {"training": [f"n0151887{i}_{1000 + i}" for i in range(6)],
            "natural": [f"n0244077{i}_{2000 + i}" for i in range(3)],
            "artificial": [f"shape_{i:02d}" for i in range(3)],
            "letter": [f"letter_{c}" for c in "ABC"]}  # fmt: skip
    for name, labels in sets.items():
        folder = root / config["image_sets"][name]
        folder.mkdir(parents=True)
        for label in labels:
            Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / f"{label}.JPEG")
    for entry in config["subjects"].values():
        _session(root / entry["train"]["fmri"], sets["training"], 2, rng)
        for name, fmri in entry["test"].items():
            _session(root / fmri, sets[name], 3, rng)
    for path in (config["encoder"]["weights"], config["generator"]["bdpy_relu7"], config["generator"]["bounds"]):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        torch.save({}, root / path)
    return root


def test_paper_config_dry_run_on_lookalike_files(shen_tree):
    result = run("-n", "--cores", "2", "--directory", str(shen_tree), "--configfile",
                 str(ROOT / "config" / "shen2019.yaml"))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = counts(result.stdout)
    assert jobs["train_decoder"] == 3 * 6 * 19  # subjects x ROIs x layers
    assert jobs["decode"] == 3 * 6 * 3  # subjects x ROIs x test image sets
    assert jobs["true_features"] == 4


def test_paper_config_first_rule_reads_the_files(shen_tree):
    result = run("results/checks/data_checks.tsv", "--cores", "1", "--directory", str(shen_tree),
                 "--configfile", str(ROOT / "config" / "shen2019.yaml"))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    table = (shen_tree / "results/checks/data_checks.tsv").read_text().splitlines()
    assert len(table) == 1 + 3 * 4 * 6  # header + 3 subjects x 4 sessions x 6 ROIs
    assert sum(f"\tV4\t{ROI_SIZE}\t" in line for line in table) == 3 * 4
