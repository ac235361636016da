"""Typed configs from YAML mappings: sections as dataclasses, unknown keys named in errors."""

from __future__ import annotations

import dataclasses
from typing import Any, NoReturn


def fail(config: str, where: str, message: str) -> NoReturn:
    """Raise the error of a bad config entry, naming the config and the key."""
    raise ValueError(f"{config} config, {where}: {message}")


def section(config: str, cls: type, data: Any, where: str) -> Any:
    """Build the dataclass ``cls`` from a mapping, rejecting unknown keys by name.

    Lists become tuples, so sections stay hashable and comparable.
    """
    if not isinstance(data, dict):
        fail(config, where, f"expected a mapping, got {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        fail(config, where, f"unknown key(s) {unknown}; valid keys are {names}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**values)
    except TypeError as err:
        fail(config, where, str(err))
