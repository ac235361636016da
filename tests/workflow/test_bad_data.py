"""Damaged copies of the tiny study: each fails in the data check, before any compute, naming
the file and the fix in the terminal and in the job's log; nothing with a final name is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from tests.workflow.tiny import snakemake, tiny_config, tiny_study, write_configs

TRAIN = "data/demo/sub-02_perceptionNaturalImageTraining_original_VC.h5"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return tiny_study(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def study(pristine, tmp_path) -> Path:
    shutil.copytree(pristine, tmp_path / "study")
    return tmp_path / "study"


def nan_voxels(study: Path, columns: list[int]) -> None:
    with h5py.File(study / TRAIN, "r+") as h5:
        data = h5["dataset"][...]
        data[3, columns] = np.nan
        h5["dataset"][...] = data


def assert_failed_in_check(run, study: Path, message: str) -> None:
    assert run.returncode != 0
    assert message in run.stderr + run.stdout
    assert any(message in log.read_text() for log in (study / "logs").glob("check_*/*.log"))
    assert not (study / "results" / "features").exists()
    assert not (study / "results" / "checks" / "data_checks.tsv").exists()


def test_nan_voxels_stop_the_run_before_any_compute(study):
    nan_voxels(study, [10, 11, 12])  # VoxelData is the first column group of the demo files
    run = snakemake(study)
    assert_failed_in_check(run, study, "voxels hold NaN or Inf values; repair the file, or set "
                                       "decoder.nonfinite_voxels: drop")  # fmt: skip


def test_nan_voxels_can_be_dropped_by_config(study):
    nan_voxels(study, [10, 11, 12])
    config = tiny_config()
    config["decoder"]["nonfinite_voxels"] = "drop"
    write_configs(study, config)
    run = snakemake(study, "results/checks/data_checks.tsv")
    assert run.returncode == 0, run.stderr[-3000:]
    rows = (study / "results/checks/data_checks.tsv").read_text().splitlines()
    assert f"{TRAIN}\tVC\t420\t128\t3" in rows  # (60 crops + 4 dead leaves) x 2 reps
    masks = np.load(study / "results/checks/voxels/sub-02.npz")
    assert np.load(study / "results/checks/voxels/sub-01.npz")["VC"].sum() == 420
    assert masks["VC"].sum() == 417


def test_test_image_never_shown_stops_the_run(study):
    Image.fromarray(np.zeros((48, 48, 3), np.uint8)).save(study / "data/demo/images/test/extra_image.png")
    run = snakemake(study)
    assert_failed_in_check(run, study, "images of image set 'natural' were never shown in")


def test_misspelled_key_is_one_line_naming_the_closest_key(study):
    config = tiny_config()
    config["reconstrution"] = config.pop("reconstruction")
    write_configs(study, config)
    run = snakemake(study, "-n")
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "config.yaml: unknown key 'reconstrution' at (top level); did you mean 'reconstruction'?" in output
    assert len(output.splitlines()) < 15
