"""The one config mechanism: schema defaults filled in, one-line errors naming the closest key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from common.config import ConfigError, read_yaml, section, validate

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "steps": {"type": "integer", "minimum": 1, "default": 10},
        "mode": {"enum": ["fast", "exact"], "default": "fast"},
        "inner": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": {"layers": {"type": "array", "default": ["conv1"]}, "lr": {"type": "number"}},
        },
    },
}


def test_defaults_are_filled_at_every_level_without_touching_the_input():
    given = {"inner": {"lr": 0.1}}
    assert validate(given, SCHEMA) == {"steps": 10, "mode": "fast", "inner": {"lr": 0.1, "layers": ["conv1"]}}
    assert given == {"inner": {"lr": 0.1}}
    assert validate(None, SCHEMA)["inner"] == {"layers": ["conv1"]}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"stpes": 3}, "my.yaml: unknown key 'stpes' at (top level); did you mean 'steps'? valid keys: steps, mode, inner"),
        ({"inner": {"layer": []}}, "my.yaml: unknown key 'layer' at inner; did you mean 'layers'? valid keys: layers, lr"),
        ({"mode": "exakt"}, "my.yaml: mode = 'exakt' is not allowed; did you mean 'exact'? choose from fast, exact"),
        ({"steps": 0}, "my.yaml: steps: 0 is less than the minimum of 1"),
    ],
)
def test_errors_are_one_line_naming_key_and_fix(data, message):
    with pytest.raises(ConfigError) as error:
        validate(data, SCHEMA, "my.yaml")
    assert str(error.value) == message
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"optional": {"size": 1}}, "my.yaml: optional.size: 1 is less than the minimum of 2"),
        ({"optional": {"sise": 3}}, "my.yaml: unknown key 'sise' at optional; did you mean 'size'? valid keys: size"),
    ],
)
def test_errors_inside_null_or_mapping_name_the_inner_key(data, message):
    schema = {
        "type": "object",
        "properties": {
            "optional": {
                "anyOf": [
                    {"type": "null"},
                    {"type": "object", "additionalProperties": False,
                     "properties": {"size": {"type": "integer", "minimum": 2}}},
                ],
            },
        },
    }  # fmt: skip
    assert validate({"optional": None}, schema, "my.yaml") == {"optional": None}
    with pytest.raises(ConfigError) as error:
        validate(data, schema, "my.yaml")
    assert str(error.value) == message


@dataclass(frozen=True)
class Inner:
    layers: tuple[str, ...] = ()
    lr: float = 0.0


@dataclass(frozen=True)
class Outer:
    steps: int = 1
    mode: str = "fast"
    inner: Inner = field(default_factory=Inner)


def test_section_builds_nested_dataclasses_with_tuples():
    built = section("my", Outer, validate({"inner": {"lr": 0.5}}, SCHEMA), "top")
    assert built == Outer(10, "fast", Inner(("conv1",), 0.5))
    with pytest.raises(ConfigError, match="unknown key\\(s\\) \\['stepz'\\]; did you mean 'steps'"):
        section("my", Outer, {"stepz": 1}, "top")


def test_read_yaml_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_yaml(tmp_path / "none.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml is not valid YAML"):
        read_yaml(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="list.yaml: expected a mapping at the top, got list"):
        read_yaml(tmp_path / "list.yaml")
