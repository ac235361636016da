"""The package layering: common below icnn and decoders, pipeline above both, no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("common", "icnn", "decoders", "pipeline")
# What each package may import among the project's own packages.
ALLOWED = {
    "common": set(),
    "icnn": {"common"},
    "decoders": {"common"},
    "pipeline": {"common", "icnn", "decoders"},
}


def project_imports(path: Path) -> set[str]:
    """Top-level project packages that a Python file imports (at any depth in the file)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_lies_below(package: str) -> None:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = project_imports(path) - ALLOWED[package] - {package}
        if bad:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offences, "\n".join(offences)


def test_workflow_scripts_call_the_pipeline_layer() -> None:
    # Scripts stay thin: they unpack Snakemake's object and call one stage function.
    for path in sorted((ROOT / "workflow" / "scripts").glob("*.py")):
        assert project_imports(path) <= {"pipeline", "common"}, path.name


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from decoders.bdata import BData\n    return BData\n")
    assert project_imports(bad) == {"decoders"}
