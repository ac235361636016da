"""`snakemake --lint` (default and paper configs) and a dry run of the default config.

The paper's config on look-alike files of both fMRI generations: tests/workflow/test_shen2019.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflow.tiny import planned_jobs, snakemake, tiny_config, tiny_study

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--nolock"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("config", [[], ["--configfile", str(ROOT / "config" / "shen2019.yaml")]])
def test_lint_is_clean(config):
    result = run("--lint", *config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_default_config_dry_run():
    result = run("-n", "--cores", "2", "--directory", str(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]


def test_true_sets_limit_only_the_true_feature_reconstructions(tmp_path):
    config = tiny_config()
    for subject in config["subjects"].values():
        subject["test"]["validation"] = subject["test"]["natural"].replace("Test", "Validation")
    config["image_sets"]["validation"] = "data/demo/images/validation"
    config["reconstruction"]["true_sets"] = ["natural"]
    plan = snakemake(tiny_study(tmp_path, config), "-n")
    assert plan.returncode == 0, plan.stderr[-3000:]
    sets = {
        rule: {wc["image_set"] for r, wc in planned_jobs(plan.stdout) if r == rule}
        for rule in ("reconstruct_decoded", "reconstruct_true", "score_true")
    }
    assert sets == {
        "reconstruct_decoded": {"natural", "validation"},
        "reconstruct_true": {"natural"},
        "score_true": {"natural"},
    }
