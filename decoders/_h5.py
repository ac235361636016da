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


def open_h5(path: str | os.PathLike, what: str) -> h5py.File:
    """Open an HDF5 file for reading; a missing, truncated or damaged file names itself.

    Parameters
    ----------
    path : str or os.PathLike
        File to open.
    what : str
        What the file should be (for the message), e.g. ``'feature store'``.

    Returns
    -------
    h5py.File
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} not found: {os.fspath(path)}")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        # h5py says only e.g. "truncated file: eof = ...", without the file's name.
        raise OSError(f"{what} {os.fspath(path)} cannot be read ({error}): the file is truncated "
                      "or damaged; delete it and run the step that writes it again") from error  # fmt: skip
