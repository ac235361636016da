"""Small HDF5 helpers shared by the readers and writers: atomic writes and string coding."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

import h5py
import numpy as np

from common.files import atomic_path


@contextlib.contextmanager
def atomic_h5(path: str | os.PathLike) -> Iterator[h5py.File]:
    """Open a temporary HDF5 file next to `path` and move it onto `path` on success.

    Readers never see a half-written file (see :func:`common.files.atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.

    Yields
    ------
    h5py.File
        The temporary file, open for writing.
    """
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        yield h5


def to_bytes(values: Iterable[str]) -> list[bytes]:
    """Encode strings as UTF-8 bytes, the form bdpy stores string arrays in."""
    return [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in values]


def to_str(value: bytes | str | np.ndarray) -> str:
    """Decode one stored string (bytes, str or 0-d array) to str."""
    if isinstance(value, np.ndarray):
        value = value[()]
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_strings(dataset: h5py.Dataset) -> list[str]:
    """Read a 1-D dataset of strings (bytes or variable-length str) as a list of str."""
    return [to_str(v) for v in dataset[()].tolist()]
