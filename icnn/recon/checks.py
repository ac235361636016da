"""Argument checks of the reconstruction engine: clear errors before any compute."""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable

import numpy as np
import torch


def check_int(owner: str, name: str, value: object, low: int) -> int:
    """``value`` as an int >= ``low``; a ValueError naming ``owner.name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{owner}.{name} must be an integer >= {low}; got {value!r}")
    return int(value)


def check_number(owner: str, name: str, value: object, low: float, high: float = math.inf) -> float:
    """``value`` as a finite number in [low, high]; a ValueError naming ``owner.name`` otherwise."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
            or not low <= value <= high):  # fmt: skip
        raise ValueError(f"{owner}.{name} must be a finite number in [{low}, {high}]; got {value!r}")
    return value


def check_schedule(owner: str, name: str, value: object, low: float,
                   high: float = math.inf) -> tuple[float, float]:  # fmt: skip
    """``value`` as a (start, end) pair of numbers in [low, high] (lists, as YAML gives them, too)."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f"{owner}.{name} must be a (start, end) pair such as (2.0, 0.5); got {value!r}")
    for v in value:
        check_number(owner, name, v, low, high)
    return tuple(value)


def check_finite(what: str, values: np.ndarray | torch.Tensor) -> None:
    """Raise a ValueError naming ``what`` and counting its NaN/Inf values, if it has any."""
    bad = np.asarray(~torch.isfinite(values).cpu()) if isinstance(values, torch.Tensor) else ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{what} has {int(bad.sum())} non-finite values (NaN or Inf) of {bad.size}; "
                         "remove or fix them first")  # fmt: skip


def closest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or '' when none is close."""
    match = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""
