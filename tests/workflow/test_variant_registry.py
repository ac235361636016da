"""The workflow names the variants of the registry (icnn.recon.variants), and only those."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from common.config import ConfigError, validate
from icnn.recon import REGISTRY, VARIANTS, needs_generator
from icnn.recon.parameterisations import GeneratorLatent

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def test_schema_lists_exactly_the_registry():
    schema = yaml.safe_load(SCHEMA.read_text())
    assert schema["$defs"]["variant"]["enum"] == list(VARIANTS)
    # Every place that names variants refers to that one list.
    text = SCHEMA.read_text()
    assert len(re.findall(r"icnn_[a-z_]+", text)) == len(VARIANTS)
    # reconstruction.variants, a layer set's variants, a movie layer set's, the options keys, a
    # published condition, a figure grid's variants
    assert text.count('$ref: "#/$defs/variant"') == 6


def test_workflow_code_asks_the_registry():
    rules = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    code = "\n".join(p.read_text() for p in (ROOT / "pipeline").rglob("*.py"))
    for text in (rules, code):
        assert 'startswith("icnn' not in text and "icnn_[a-z" not in text
    assert [v for v in VARIANTS if needs_generator(v)] == ["icnn_dgn_gd", "icnn_dgn_lbfgs"]
    assert all(REGISTRY[v].parameterisation is GeneratorLatent for v in VARIANTS if needs_generator(v))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["reconstruction"]["variants"].append("icnn_dgn_lbgfs"),
         "variants.4 = 'icnn_dgn_lbgfs' is not allowed; did you mean 'icnn_dgn_lbfgs'"),
        (lambda c: c["reconstruction"]["options"].update(icnn_adam={"n_iter": 3}),
         "reconstruction.options = 'icnn_adam' is not allowed"),
        (lambda c: c["reconstruction"]["layer_sets"].update(x={"layers": ["conv3_4"], "variants": ["icnn_adam"]}),
         "layer_sets.x: .* is not valid"),
        (lambda c: c["reconstruction"]["options"].update(icnn_gd=3), "options.icnn_gd: 3 is not of type 'object'"),
    ],
)  # fmt: skip
def test_schema_refuses_other_names(change, message):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    validate(copy.deepcopy(config), SCHEMA)
    change(config)
    with pytest.raises(ConfigError, match=message):
        validate(config, SCHEMA)
