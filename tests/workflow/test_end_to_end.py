"""The whole workflow on a tiny config in a temporary folder: scores, figures, reruns, errors."""

from __future__ import annotations

import re

import h5py
import pytest
import yaml

from tests.workflow.tiny import (
    LAYERS,
    METRICS,
    VARIANTS,
    read_tsv,
    snakemake,
    tiny_config,
    tiny_study,
    write_configs,
)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished run on user files (the real-data path): a tiny simulated study on disk."""
    workdir = tmp_path_factory.mktemp("workflow")
    tiny_study(workdir)
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-4000:]
    return workdir


def test_summary_has_every_condition_and_sane_scores(finished_run):
    rows = read_tsv(finished_run / "results" / "summary.tsv")
    assert len(rows) == (2 * len(VARIANTS) + len(VARIANTS)) * len(METRICS)
    conditions = {(r["subject"], r["variant"], r["source"], r["metric"]) for r in rows}
    assert ("sub-02", "icnn_dgn_lbfgs", "decoded", "effnet_identification") in conditions
    assert ("-", "icnn_gd", "true", "ssim") in conditions
    for r in rows:
        value = float(r["mean"])
        assert (-1.0 <= value <= 1.0) and int(r["n"]) == 10, r
    ident = {(r["variant"], r["source"], r["subject"]): float(r["mean"]) for r in rows
             if r["metric"] == "pixel_identification"}  # fmt: skip
    # Even 5 L-BFGS steps from true features identify the images well above chance.
    assert ident[("icnn_lbfgs", "true", "-")] >= 0.7


def test_decoding_scores_and_figures(finished_run):
    rows = read_tsv(finished_run / "results" / "decoding_scores.tsv")
    assert {(r["subject"], r["layer"]) for r in rows} == {(s, layer) for s in ("sub-01", "sub-02") for layer in LAYERS}
    assert {r["metric"] for r in rows} == {"profile_correlation", "pattern_correlation", "identification_correlation"}
    for name in ("reconstructions_natural", "identification", "decoding_accuracy", "loss_curves"):
        png = finished_run / "results" / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    chunk = finished_run / "results/reconstruction/decoded/sub-01/VC/all/icnn_dgn_gd/natural/chunk-1"
    assert len(list(chunk.glob("*.png"))) == 5 and (chunk / "recon.npz").exists()


def test_rerun_does_nothing_and_a_changed_subject_reruns_only_its_jobs(finished_run):
    assert "Nothing to be done" in snakemake(finished_run, "-n").stdout
    shards = sorted((finished_run / "results/decoders/sub-01/VC/conv1_2").glob("shard-*.h5"))
    assert [p.name for p in shards] == [f"shard-{k}.h5" for k in range(4)]
    # A failed shard (so no decoded features of its subject yet) reruns alone, then decode.
    decoded = finished_run / "results/decoded/sub-01/VC/natural.h5"
    aside = [shards[2].rename(finished_run / "shard-2.h5"), decoded.rename(finished_run / "decoded.h5")]
    plan = snakemake(finished_run, "-n", "results/decoded/sub-01/VC/natural.h5").stdout
    for moved, back in zip(aside, [shards[2], decoded], strict=True):
        moved.rename(back)  # (a rename keeps the time stamp: nothing to rerun after this)
    assert re.findall(r"wildcards: (subject=.*, shard=\d+)", plan) == [
        "subject=sub-01, roi=VC, layer=conv1_2, shard=2"]
    assert "rule decode:" in plan
    # A re-preprocessed session: new values in sub-02's test file (a bare touch is no change:
    # Snakemake compares checksums of small files).
    with h5py.File(finished_run / "data/demo/sub-02_perceptionNaturalImageTest_original_VC.h5", "r+") as h5:
        h5["dataset"][0, 0] += 1.0
    plan = snakemake(finished_run, "-n").stdout
    assert "subject=sub-02" in plan and "subject=sub-01" not in plan


def test_demo_mode_builds_the_dataset_first(tmp_path):
    """With demo_data set, the checkpoint writes the dataset before the first check reads it."""
    write_configs(tmp_path, tiny_config() | {"demo_data": "config/demo_data.yaml"})
    run = snakemake(tmp_path, "results/checks/data_checks.tsv")
    assert run.returncode == 0, run.stderr[-4000:]
    lines = (tmp_path / "results/checks/data_checks.tsv").read_text().splitlines()
    assert len(lines) == 5 and lines[1].endswith("\tVC\t420\t128\t0")  # header + 2 subjects x 2 sessions; (60 + 4) x 2 samples


def test_bad_config_fails_at_parse_time_naming_the_entry(finished_run, tmp_path):
    bad = tiny_config()
    bad["encoder"]["layers"] = ["conv1_2", "conv6_1"]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    run = snakemake(finished_run, "-n", "--configfile", str(tmp_path / "bad.yaml"))
    assert run.returncode != 0 and "conv6_1" in run.stderr + run.stdout
    bad = tiny_config()
    bad["reconstruction"]["images_per_job"] = 0
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    run = snakemake(finished_run, "-n", "--configfile", str(tmp_path / "bad.yaml"))
    assert run.returncode != 0 and "images_per_job" in run.stderr + run.stdout
