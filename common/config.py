"""One config mechanism: a YAML file, a JSON schema with defaults, one-line errors, dataclasses.

Every config of the project (the workflow's, generator training's, the simulated study's) is
read by :func:`read_yaml`, checked and completed by :func:`validate` against its schema (a
YAML file beside the code that reads it), and, where code wants attributes, turned into frozen
dataclasses by :func:`section`. What a schema cannot express (files exist, layers exist in the
encoder, cross-references) is checked by the config's owner after validation.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
import types
import typing
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import yaml
from jsonschema import Draft202012Validator, validators


class ConfigError(ValueError):
    """A config entry that cannot work; the message names the entry and the fix."""


def fail(config: str, where: str, message: str) -> NoReturn:
    """Raise the error of a bad config entry, naming the config and the key."""
    raise ConfigError(f"{config} config, {where}: {message}")


def read_yaml(path: str | os.PathLike, what: str = "config") -> dict[str, Any]:
    """Read a YAML mapping, naming the file when it is missing, unreadable or not a mapping."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} file {path} does not exist; fix the path")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{what} file {path} is not valid YAML: {error}") from error
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{what} file {path}: expected a mapping at the top, got {type(data).__name__}")
    return data


@cache
def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    """A JSON schema written in YAML (cached: schemas are read once per process)."""
    return read_yaml(path, "schema")


def _fill_defaults(validator_class: type) -> type:
    """A validator class that also writes each property's ``default`` into the instance."""
    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):  # noqa: ANN001, ANN202 - jsonschema's hook
        if isinstance(instance, dict):
            for name, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from check_properties(validator, props, instance, schema)

    return validators.extend(validator_class, {"properties": properties})


_Validator = _fill_defaults(Draft202012Validator)


def _where(error: Any) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _closest(name: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    return f"did you mean {match[0]!r}? " if match else ""


def _message(error: Any, config: str) -> str:
    """One line for a schema error: where, what is wrong and the closest valid choice."""
    # A value that fits none of anyOf's branches (e.g. "null or a mapping"): report what is wrong
    # inside the branches of its own type, not that no branch fits. (Not oneOf: it also fails
    # when several branches fit, and then a failing branch's error would mislead.)
    inner = [e for e in error.context or () if e.validator != "type"]
    if error.validator == "anyOf" and inner:
        return _message(max(inner, key=lambda e: len(e.absolute_path)), config)
    where = _where(error)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        name = extra[0] if extra else "?"
        return (f"{config}: unknown key {name!r} at {where}; {_closest(name, allowed)}"
                f"valid keys: {', '.join(allowed)}")  # fmt: skip
    if error.validator == "enum":
        choices = [str(c) for c in error.validator_value]
        return (f"{config}: {where} = {error.instance!r} is not allowed; "
                f"{_closest(str(error.instance), choices)}choose from {', '.join(choices)}")  # fmt: skip
    if error.validator == "required":
        return f"{config}: {where}: {error.message}; add it"
    text = error.message if len(error.message) < 160 else error.message[:157] + "..."
    return f"{config}: {where}: {text}"


def validate(data: Mapping[str, Any] | None, schema: Mapping[str, Any] | str | os.PathLike,
             config: str = "config") -> dict[str, Any]:  # fmt: skip
    """Check a config against its schema and fill in the schema's defaults.

    Parameters
    ----------
    data : mapping or None
        The config as read from YAML (None: empty). Not modified.
    schema : mapping or path
        JSON schema (draft 2020-12), or the path of one written in YAML.
    config : str
        How errors name the config (usually its file).

    Returns
    -------
    dict
        A deep copy of ``data`` with defaults filled in at every level the schema describes.

    Raises
    ------
    ConfigError
        One line per problem (at most five), each naming the key and the closest valid one.
    """
    if not isinstance(schema, Mapping):
        schema = load_schema(str(schema))
    instance = copy.deepcopy(dict(data or {}))
    errors = sorted(_Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = list(dict.fromkeys(_message(e, config) for e in errors))
        more = f"\n(and {len(lines) - 5} more)" if len(lines) > 5 else ""
        raise ConfigError("\n".join(lines[:5]) + more)
    return instance


def _convert(value: Any, annotation: Any) -> Any:
    """Build nested dataclasses; lists become tuples so configs stay hashable and comparable."""
    if isinstance(annotation, str):
        return value  # unresolved forward reference: leave as read
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return None if value is None else _convert(value, args[0])
    if dataclasses.is_dataclass(annotation) and isinstance(value, Mapping):
        return section("config", annotation, value, annotation.__name__)
    if isinstance(value, list):
        item = args[0] if origin is tuple and len(args) == 2 and args[1] is Ellipsis else Any
        return tuple(_convert(v, item) for v in value)
    return value


def section(config: str, cls: type, data: Any, where: str) -> Any:
    """Build the dataclass ``cls`` (and nested dataclass fields) from a mapping.

    Unknown keys are refused by name, lists become tuples.
    """
    if not isinstance(data, Mapping):
        fail(config, where, f"expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        fail(config, where, f"unknown key(s) {unknown}; {_closest(unknown[0], names)}valid keys: {names}")
    values = {k: _convert(v, hints.get(k, Any)) for k, v in data.items()}
    try:
        return cls(**values)
    except TypeError as err:
        fail(config, where, str(err))
