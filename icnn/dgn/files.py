"""Atomic writes of the generator's files, on the project's one atomic-rename mechanism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.files import atomic_path


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` that never leaves a half-written ``path``."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def atomic_savez(path: str | Path, **arrays: np.ndarray) -> None:
    """``numpy.savez`` that never leaves a half-written ``path`` (no '.npz' appended)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
