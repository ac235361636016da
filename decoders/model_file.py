"""The HDF5 file of a FastL2 decoder, or of a shard of one (a contiguous range of its units).

Attributes ``format``, ``params`` (JSON), ``unit_shape`` (the layer's shape) and ``units``
(``[start, stop)`` of the flattened units held). Datasets ``x_mean_``, ``x_std_`` (voxels),
``y_mean_``, ``y_std_``, ``bias_`` (flat, one per unit held), ``weights_`` and, with voxel
selection, ``voxel_index_`` (units x k, chunked by rows so that a block of units reads
cheaply). Writers fill the unit rows block by block, so a model never has to fit in memory.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import h5py
import numpy as np

from decoders._h5 import atomic_h5, open_h5

FORMAT = "decoders.FastL2Decoder/2"
_ROW_BYTES = 4 << 20


@dataclass(frozen=True)
class ModelHeader:
    """What a model file says about itself, without its per-unit arrays."""

    path: str
    params: dict
    unit_shape: tuple[int, ...]
    units: tuple[int, int]
    x_mean: np.ndarray
    x_std: np.ndarray
    k: int
    selected: bool

    @property
    def n_units(self) -> int:
        """Units of the whole layer."""
        return math.prod(self.unit_shape)


class ModelWriter:
    """Fills the per-unit rows of an open model file (see :func:`model_writer`)."""

    def __init__(self, h5: h5py.File, units: tuple[int, int]) -> None:
        self._h5 = h5
        self._start, self._stop = units
        self._done = 0

    def write(
        self,
        start: int,
        y_mean: np.ndarray,
        y_std: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        voxel_index: np.ndarray | None = None,
    ) -> None:
        """Write the rows of units ``start ...`` (layer unit numbers) of every per-unit array."""
        rows = slice(start - self._start, start - self._start + len(bias))
        if rows.start < 0 or rows.stop > self._stop - self._start:
            raise ValueError(f"units {start}-{start + len(bias)} outside {self._start}-{self._stop}")
        for name, value in (("y_mean_", y_mean), ("y_std_", y_std), ("bias_", bias),
                            ("weights_", weights), ("voxel_index_", voxel_index)):  # fmt: skip
            if name in self._h5:
                self._h5[name][rows] = value
        self._done += len(bias)

    @property
    def complete(self) -> bool:
        """Whether as many unit rows were written as the file holds."""
        return self._done == self._stop - self._start


@contextlib.contextmanager
def model_writer(
    path: str | os.PathLike,
    params: dict,
    unit_shape: tuple[int, ...],
    units: tuple[int, int],
    x_mean: np.ndarray,
    x_std: np.ndarray,
    k: int,
    selected: bool,
    dtype: np.dtype,
) -> Iterator[ModelWriter]:
    """Create a model file atomically and yield a writer of its unit rows.

    The file appears under `path` only if the block completes and wrote every unit.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    params : dict
        The decoder's hyperparameters.
    unit_shape : tuple of int
        Shape of one sample of the layer.
    units : (int, int)
        Range of flattened units the file holds.
    x_mean, x_std : numpy.ndarray
        Training voxel statistics.
    k : int
        Weights per unit.
    selected : bool
        Whether weights come with a voxel index (voxel selection).
    dtype : numpy.dtype
        Precision of the weights and statistics.
    """
    n = units[1] - units[0]
    rows = max(1, min(n, _ROW_BYTES // max(1, k * np.dtype(dtype).itemsize)))
    with atomic_h5(path) as h5:
        h5.attrs["format"] = FORMAT
        h5.attrs["params"] = json.dumps(params)
        h5.attrs["unit_shape"] = np.asarray(unit_shape, dtype=np.int64)
        h5.attrs["units"] = np.asarray(units, dtype=np.int64)
        h5.create_dataset("x_mean_", data=x_mean)
        h5.create_dataset("x_std_", data=x_std)
        for name in ("y_mean_", "y_std_", "bias_"):
            h5.create_dataset(name, shape=(n,), dtype=dtype)
        h5.create_dataset("weights_", shape=(n, k), dtype=dtype, chunks=(rows, k) if n else None)
        if selected:
            h5.create_dataset("voxel_index_", shape=(n, k), dtype=np.int32,
                              chunks=(rows, k) if n else None)  # fmt: skip
        writer = ModelWriter(h5, units)
        yield writer
        if not writer.complete:
            raise RuntimeError(f"{path}: only {writer._done} of {n} unit rows were written")


def open_model(path: str | os.PathLike) -> h5py.File:
    """Open a model file for reading, refusing any other (or a damaged) file."""
    h5 = open_h5(path, "decoder model")
    if h5.attrs.get("format") != FORMAT:
        h5.close()
        raise ValueError(f"{path} is not a FastL2Decoder file (format {FORMAT!r}); "
                         "train the decoder again with this version")  # fmt: skip
    return h5


def read_header(h5: h5py.File) -> ModelHeader:
    """The header of an open model file."""
    return ModelHeader(
        path=h5.filename,
        params=json.loads(h5.attrs["params"]),
        unit_shape=tuple(int(d) for d in h5.attrs["unit_shape"]),
        units=tuple(int(u) for u in h5.attrs["units"]),
        x_mean=h5["x_mean_"][()],
        x_std=h5["x_std_"][()],
        k=int(h5["weights_"].shape[1]),
        selected="voxel_index_" in h5,
    )
