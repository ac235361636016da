"""Decoders of huge layers: fits of unit ranges in bounded memory, shard files, reading them back.

A layer's decoder may be split into shards, each a contiguous range of its flattened units
fitted by its own job (:func:`fit_units`) into its own file. Units are independent given the
voxels, so shards are exactly the unsharded fit, cut. A fit streams the true features one
slab of units at a time, one row per image; the slab is expanded to fMRI samples only inside
the solver's unit chunks, and each slab's results are written before the next is read: peak
memory depends on the slab and chunk sizes, not on the layer's size.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
from tqdm.auto import tqdm

from decoders import solver
from decoders.model_file import ModelHeader, model_writer, open_model, read_header
from decoders.regression import FastL2Decoder
from decoders.stats import average_by_label, check_finite, column_stats

#: Units per shard of the workflow's decoders unless the config says otherwise.
DEFAULT_SHARD_UNITS = 262_144
_SLAB_BYTES = 256 << 20


class UnitReader(Protocol):
    """Slabs of a layer's flattened units, one row per image (see ``FeatureStore.units``)."""

    unit_shape: tuple[int, ...]
    n_rows: int

    def read(self, start: int, stop: int) -> np.ndarray:
        """Units ``start:stop`` of every row, shape (n_rows, stop - start)."""


def shard_ranges(n_units: int, shard_units: int, align: int = 1) -> list[tuple[int, int]]:
    """Split ``range(n_units)`` into about equal shards of at most ~`shard_units` units.

    Parameters
    ----------
    n_units : int
        Units of the layer.
    shard_units : int
        Target units per shard (>= 1).
    align : int, optional
        Shard boundaries fall on multiples of `align` (e.g. the units of one channel, the
        feature store's chunk width) when a shard holds at least that many units.

    Returns
    -------
    list of (start, stop)
    """
    if shard_units < 1 or n_units < 1:
        raise ValueError(f"need shard_units >= 1 and n_units >= 1, got {shard_units}, {n_units}")
    n_shards = math.ceil(n_units / shard_units)
    align = align if 1 <= align <= n_units // n_shards else 1
    blocks = math.ceil(n_units / align)
    # blocks >= n_shards, so the cuts strictly increase: exactly n_shards shards.
    cuts = [min(n_units, align * (blocks * i // n_shards)) for i in range(n_shards + 1)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def layer_shards(unit_shape: Sequence[int], shard_units: int | None) -> list[tuple[int, int]]:
    """Unit ranges of a layer's decoder shards: whole channels where a shard holds several.

    The training stage and the workflow's job list both cut layers with this function.

    Parameters
    ----------
    unit_shape : sequence of int
        Shape of one image's features, e.g. (64, 224, 224).
    shard_units : int or None
        Target units per shard; None: one shard.
    """
    n_units = math.prod(unit_shape)
    return shard_ranges(n_units, shard_units or n_units, math.prod(unit_shape[1:]))


def slab_units(n_rows: int, n_units: int, align: int, itemsize: int = 4) -> int:
    """Units per slab read at once: ~256 MB of features, a multiple of `align`."""
    units = max(1, _SLAB_BYTES // max(1, n_rows * itemsize))
    if units >= align:
        units -= units % align
    return min(units, n_units)


def fit_units(
    model: FastL2Decoder,
    X: np.ndarray,
    sample_rows: np.ndarray,
    features: UnitReader,
    output: str | os.PathLike,
    units: tuple[int, int] | None = None,
    slab: int | None = None,
    align: int = 1,
) -> None:
    """Fit the decoder of a range of a layer's units and write it, slab by slab, to `output`.

    Equal to ``model.fit(X, Y)`` on those units with ``Y = features[sample_rows]``, without
    forming Y: memory holds X, the Gram matrix, one slab of image rows and the solver's chunks.

    Parameters
    ----------
    model : FastL2Decoder
        Hyperparameters (alpha, n_voxels, chunk_size, dtype, device, progress).
    X : numpy.ndarray, shape (n_samples, n_voxels)
        Training voxel patterns.
    sample_rows : numpy.ndarray of int, shape (n_samples,)
        Row of `features` (image) of each sample.
    features : UnitReader
        The layer's true features, one row per image.
    output : str or os.PathLike
        Model file (written atomically; see :mod:`decoders.model_file`).
    units : (int, int), optional
        Range of flattened units to fit; all when None.
    slab : int, optional
        Units read at once (default: :func:`slab_units`).
    align : int, optional
        Slab boundaries on multiples of `align` (the store's chunk width) where possible.
    """
    sample_rows = np.asarray(sample_rows, dtype=np.int64)
    if sample_rows.shape != (len(X),):
        raise ValueError(f"{len(sample_rows)} sample rows for {len(X)} fMRI samples")
    if sample_rows.size and not 0 <= sample_rows.min() <= sample_rows.max() < features.n_rows:
        raise ValueError(f"sample rows must index the {features.n_rows} images of the features")
    n_units = math.prod(features.unit_shape)
    start, stop = (0, n_units) if units is None else units
    if not 0 <= start < stop <= n_units:
        raise ValueError(f"unit range {start}-{stop} is not within the layer's {n_units} units")
    problem = model.ridge_problem(X)
    slab = slab or slab_units(features.n_rows, stop - start, align)
    index = torch.from_numpy(sample_rows).to(problem.xz.device)
    k = model.n_features_in_ if problem.n_select is None else problem.n_select
    with model_writer(output, model.get_params(), features.unit_shape, (start, stop), model.x_mean_,
                      model.x_std_, k, problem.n_select is not None, model.np_dtype) as writer,\
            tqdm(total=stop - start, disable=not model.progress, desc="fit units", unit="unit") as bar:  # fmt: skip
        for a, b in shard_ranges(stop - start, slab, align):
            y = features.read(start + a, start + b)
            check_finite(y, f"true features of units {start + a}-{start + b}")
            y_mean, y_std = column_stats(y, sample_rows)
            weights, voxels, bias = problem.fit(
                torch.from_numpy(y), (torch.from_numpy(y_mean), torch.from_numpy(y_std)), index
            )
            writer.write(start + a, y_mean.astype(model.np_dtype), y_std.astype(model.np_dtype),
                         weights.numpy(), bias.numpy(), None if voxels is None else voxels.numpy())  # fmt: skip
            bar.update(b - a)


class ShardedDecoder:
    """A layer's decoder read from its shard files (one file: an unsharded decoder).

    Weights are read a block of units at a time when predicting, so the whole model never
    needs to fit in memory.

    Parameters
    ----------
    paths : sequence of path
        Shard files; together they must cover the layer's units exactly once.
    device : str, optional
        Torch device of the predictions (default: the one the decoder was fitted on).
    """

    def __init__(self, paths: Sequence[str | os.PathLike], device: str | None = None) -> None:
        if not paths:
            raise ValueError("no decoder files given")
        headers = []
        for path in paths:
            with open_model(path) as h5:
                headers.append(read_header(h5))
        headers.sort(key=lambda h: h.units)
        first = headers[0]
        for h in headers[1:]:
            if (h.params, h.unit_shape) != (first.params, first.unit_shape) or not (
                np.array_equal(h.x_mean, first.x_mean) and np.array_equal(h.x_std, first.x_std)
            ):
                raise ValueError(f"{h.path} and {first.path} are shards of different decoders "
                                 "(parameters, layer or training voxels differ); retrain them")  # fmt: skip
        covered = [0] + [u for h in headers for u in h.units] + [first.n_units]
        if any(a != b for a, b in zip(covered[::2], covered[1::2], strict=True)):
            ranges = ", ".join(f"{h.units[0]}-{h.units[1]}" for h in headers)
            raise ValueError(f"the shards cover units {ranges} of {first.n_units}: some are "
                             "missing or overlap; rerun the missing shards' jobs")  # fmt: skip
        self.headers: list[ModelHeader] = headers
        self.unit_shape = first.unit_shape
        self.device = device or first.params.get("device", "cpu")
        self._model = FastL2Decoder(**first.params)
        #: Precision of the predictions (the decoder's).
        self.dtype = np.dtype(self._model.np_dtype)

    def unit_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Training mean and SD of every unit, each of the layer's unit shape."""
        parts = []
        for h in self.headers:
            with open_model(h.path) as h5:
                parts.append((h5["y_mean_"][()], h5["y_std_"][()]))
        return tuple(np.concatenate(p).reshape(self.unit_shape) for p in zip(*parts, strict=True))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted features, shape (n_samples, *unit_shape); see ``FastL2Decoder.predict``."""
        X = np.asarray(X)
        first = self.headers[0]
        if X.ndim != 2 or X.shape[1] != len(first.x_mean):
            raise ValueError(f"X must be (n_samples, {len(first.x_mean)}) like the training "
                             f"data, got shape {X.shape}")  # fmt: skip
        np_dtype = self._model.np_dtype
        xz = torch.from_numpy(((X - first.x_mean) / first.x_std).astype(np_dtype)).to(self.device)
        out = np.empty((len(X), first.n_units), dtype=np_dtype)
        block = max(1, _SLAB_BYTES // (4 * max(1, first.k)))
        for h in self.headers:
            with open_model(h.path) as h5:
                for a in range(0, h.units[1] - h.units[0], block):
                    rows = slice(a, min(a + block, h.units[1] - h.units[0]))
                    index = torch.from_numpy(h5["voxel_index_"][rows]) if h.selected else None
                    yz = solver.predict_chunked(xz, torch.from_numpy(h5["weights_"][rows]),
                                                torch.from_numpy(h5["bias_"][rows]), index,
                                                self._model.chunk_size).numpy()  # fmt: skip
                    units = slice(h.units[0] + rows.start, h.units[0] + rows.stop)
                    out[:, units] = yz * h5["y_std_"][rows] + h5["y_mean_"][rows]
        return out.reshape((len(X),) + self.unit_shape)

    def predict_average(self, X: np.ndarray, labels: list) -> tuple[np.ndarray, list]:
        """Predict from test samples averaged per label; returns features and label order."""
        X_avg, unique = average_by_label(np.asarray(X), labels)
        return self.predict(X_avg), unique


def read_unit_stats(paths: Sequence[str | os.PathLike]) -> tuple[np.ndarray, np.ndarray]:
    """Training mean and SD of a decoder's units, from its shard files, without its weights.

    Parameters
    ----------
    paths : sequence of path
        The decoder's file, or all its shard files.

    Returns
    -------
    y_mean, y_std : numpy.ndarray, each of the layer's unit shape
    """
    return ShardedDecoder(paths).unit_stats()
