"""`snakemake --lint` (default and paper configs) and a dry run of the default config.

The paper's config on look-alike files of both fMRI generations: tests/workflow/test_shen2019.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
