"""Atomic file writes: a reader never sees a half-written generator, card or checkpoint."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    tmp = _tmp(path)
    torch.save(obj, tmp)
    os.replace(tmp, path)


def atomic_write_text(text: str, path: str | Path) -> None:
    """Write text to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    tmp = _tmp(path)
    tmp.write_text(text)
    os.replace(tmp, path)


def atomic_savez(path: str | Path, **arrays: np.ndarray) -> None:
    """``numpy.savez`` to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    tmp = _tmp(path)
    with tmp.open("wb") as handle:
        np.savez(handle, **arrays)
    os.replace(tmp, path)
