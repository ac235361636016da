"""HDF5 feature stores: true features per layer, decoded features per subject, ROI and layer.

A feature group holds ``labels`` (one string per image) and ``features/<layer>`` arrays of
shape (n_images, ...), chunked by a few images so that one layer, or a few images of it,
is read without loading the rest. The workflow writes one store per file in the root group:
the true features of an image set, and the decoded features of one subject and ROI (with each
decoder's training mean). :func:`write_decoded_features` and :class:`DecodedFeatureStore`
keep several subjects and ROIs in one file instead, under ``/<subject>/<roi>/``.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence

import h5py
import numpy as np

from decoders._h5 import atomic_h5, open_h5, read_strings, to_bytes
from decoders.labels import match_labels
from decoders.mat_features import read_mat_features

__all__ = [
    "DecodedFeatureStore",
    "FeatureStore",
    "feature_writer",
    "read_mat_features",
    "write_decoded_features",
    "write_features",
]

_CHUNK_BYTES = 4 << 20
#: Images per chunk row of a feature dataset: writers fill this many images at a time.
CHUNK_IMAGES = 16
#: Storage precisions offered for true features.
STORAGE_DTYPES = ("float32", "float16")


def chunk_shape(shape: tuple[int, ...], itemsize: int, rows: int = CHUNK_IMAGES) -> tuple[int, ...]:
    """HDF5 chunk shape of a feature array (n_images, ...): a few images x whole channels.

    A chunk holds `rows` images (a writer's batch, so each chunk is written once) and as
    many leading-axis slices (channels) as fit in ~4 MB, at least one: a slab of units
    across all images then reads whole chunks, and so does a batch of images.
    """
    rows = max(1, min(rows, shape[0]))
    if len(shape) == 1:
        return (rows,)
    inner = math.prod(shape[2:])
    lead = max(1, min(shape[1], _CHUNK_BYTES // max(1, rows * inner * itemsize)))
    return (rows, lead) + tuple(shape[2:])


class FeatureWriter:
    """Writes rows of the layers of an open feature group (see :func:`feature_writer`)."""

    def __init__(self, features: h5py.Group, n_rows: int) -> None:
        self._features = features
        self._n_rows = n_rows

    def write(self, layer: str, start: int, array: np.ndarray) -> None:
        """Write `array` as rows ``start ...`` of `layer` (cast to the storage dtype)."""
        dataset = self._features[layer]
        array = np.asarray(array)
        if array.shape[1:] != dataset.shape[1:] or start + len(array) > self._n_rows:
            raise ValueError(f"rows {start}-{start + len(array)} of shape {array.shape[1:]} do not "
                             f"fit layer {layer!r} of shape {dataset.shape}")  # fmt: skip
        dataset[start : start + len(array)] = array

    def write_train_mean(self, layer: str, mean: np.ndarray) -> None:
        """Store a decoder's training mean of each unit of `layer` (``train_mean/<layer>``),
        read back by :meth:`FeatureStore.train_mean` for the 'center_train' rescaling."""
        mean = np.asarray(mean)
        if layer not in self._features or mean.shape != self._features[layer].shape[1:]:
            raise ValueError(f"training mean of layer {layer!r} does not match its features")
        self._features.parent.require_group("train_mean").create_dataset(layer, data=mean)


@contextlib.contextmanager
def feature_writer(
    path: str | os.PathLike,
    labels: Sequence[str],
    shapes: Mapping[str, tuple[int, ...]],
    dtype: str | Mapping[str, np.dtype] = "float32",
    attrs: Mapping | None = None,
) -> Iterator[FeatureWriter]:
    """Create a true-feature store atomically and yield a writer that fills it by rows.

    The file appears under `path` when the block completes. Arguments after `path` are
    those of :func:`group_writer`.
    """
    with atomic_h5(path) as h5, group_writer(h5, labels, shapes, dtype, attrs) as writer:
        yield writer


@contextlib.contextmanager
def group_writer(
    group: h5py.Group,
    labels: Sequence[str],
    shapes: Mapping[str, tuple[int, ...]],
    dtype: str | Mapping[str, np.dtype] = "float32",
    attrs: Mapping | None = None,
) -> Iterator[FeatureWriter]:
    """Create the datasets of a feature group and yield a writer that fills them by rows.

    Parameters
    ----------
    group : h5py.Group
        Group to fill (e.g. the root of a file opened with ``atomic_h5``).
    labels : sequence of str
        Image label of each row (unique).
    shapes : mapping
        Layer name -> shape of one image's features.
    dtype : str or mapping
        Storage precision, e.g. 'float32' or 'float16' (half the disk and read volume of
        huge layers), or layer name -> dtype.
    attrs : mapping, optional
        Group attributes.
    """
    labels = [str(label) for label in labels]
    if len(set(labels)) != len(labels):
        raise ValueError("labels must be unique (one row per image)")
    group.create_dataset("labels", data=to_bytes(labels))
    features = group.create_group("features")
    for layer, shape in shapes.items():
        if "/" in layer:
            raise ValueError(f"layer name {layer!r} may not contain '/'")
        kind = np.dtype(dtype[layer] if isinstance(dtype, Mapping) else dtype)
        if kind.kind != "f":
            raise ValueError(f"feature storage dtype must be a float type such as "
                             f"{' or '.join(STORAGE_DTYPES)}, got {kind} for layer {layer!r}")  # fmt: skip
        full = (len(labels),) + tuple(shape)
        chunks = chunk_shape(full, kind.itemsize) if len(labels) else None
        features.create_dataset(layer, shape=full, dtype=kind, chunks=chunks)
    for key, value in (attrs or {}).items():
        group.attrs[key] = value
    yield FeatureWriter(features, len(labels))


def _write_group(
    group: h5py.Group,
    layer_to_array: Mapping[str, np.ndarray],
    labels: Sequence[str],
    attrs: Mapping | None,
    train_mean: Mapping[str, np.ndarray] | None = None,
) -> None:
    arrays = {layer: np.asarray(array) for layer, array in layer_to_array.items()}
    for layer, array in arrays.items():
        if array.shape[0] != len(labels):
            raise ValueError(
                f"layer {layer!r} has {array.shape[0]} rows but there are {len(labels)} labels"
            )
    # Each layer keeps its precision (decoded float64 stays float64).
    dtypes = {layer: array.dtype for layer, array in arrays.items()}
    shapes = {layer: array.shape[1:] for layer, array in arrays.items()}
    with group_writer(group, labels, shapes, dtypes, attrs) as writer:
        for layer, array in arrays.items():
            writer.write(layer, 0, array)
        for layer, mean in (train_mean or {}).items():
            writer.write_train_mean(layer, mean)


def write_features(
    path: str | os.PathLike,
    layer_to_array: Mapping[str, np.ndarray],
    labels: Sequence[str],
    attrs: Mapping | None = None,
    train_mean: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Write true features of several layers to one HDF5 file (atomically).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    layer_to_array : mapping
        Layer name -> array (n_images, ...).
    labels : sequence of str
        Image label of each row.
    attrs : mapping, optional
        File attributes (network name, image size, ...).
    train_mean : mapping, optional
        For decoded features: layer -> the decoder's training mean of each unit (shape of
        one row), stored under ``train_mean/`` for the 'center_train' rescaling.
    """
    with atomic_h5(path) as h5:
        _write_group(h5, layer_to_array, labels, attrs, train_mean)


def write_decoded_features(
    path: str | os.PathLike,
    subject: str,
    roi: str,
    layer_to_array: Mapping[str, np.ndarray],
    labels: Sequence[str],
    attrs: Mapping | None = None,
) -> None:
    """Add (or replace) the decoded features of one subject and ROI in a store (atomically).

    Other subjects and ROIs already in the file are kept.

    Parameters
    ----------
    path : str or os.PathLike
        Store file; created if missing.
    subject, roi : str
        Keys of the group ``/<subject>/<roi>``.
    layer_to_array : mapping
        Layer name -> decoded array (n_images, ...).
    labels : sequence of str
        Image label of each row.
    attrs : mapping, optional
        Group attributes (decoder parameters, ...).
    """
    for name, value in (("subject", subject), ("roi", roi)):
        if not value or "/" in value:
            raise ValueError(f"{name} {value!r} must be a non-empty name without '/'")
    path = os.fspath(path)
    with atomic_h5(path) as out:
        if os.path.exists(path):
            with h5py.File(path, "r") as old:
                for subj, rois in old.items():
                    for name in rois:
                        if (subj, name) != (subject, roi):
                            old.copy(rois[name], out.require_group(subj), name=name)
        _write_group(out.require_group(subject).create_group(roi), layer_to_array, labels, attrs)


class FeatureStore:
    """Lazy reader of a feature group (true features: the file's root group).

    Parameters
    ----------
    path : str or os.PathLike
        Store file.
    group : str, optional
        Group holding ``labels`` and ``features/``.
    """

    def __init__(self, path: str | os.PathLike, group: str = "/") -> None:
        self.path = os.fspath(path)
        self._h5 = open_h5(self.path, "feature store")
        if group not in self._h5 or "features" not in self._h5[group]:
            self._h5.close()
            raise KeyError(f"no feature group {group!r} in {self.path}")
        self._group = self._h5[group]
        self.labels = read_strings(self._group["labels"])
        self.attrs = dict(self._group.attrs)

    @property
    def layers(self) -> list[str]:
        """Layer names in the store."""
        return list(self._group["features"])

    def shape(self, layer: str) -> tuple[int, ...]:
        """Shape (n_images, ...) of `layer`."""
        return self._dataset(layer).shape

    def get(self, layer: str, labels: Sequence[str] | None = None) -> np.ndarray:
        """Features of `layer`, for all images or for `labels` in the given order.

        Parameters
        ----------
        layer : str
            Layer name.
        labels : sequence of str, optional
            Images to read (repeats allowed, e.g. one per fMRI trial); all when None.

        Returns
        -------
        numpy.ndarray, shape (n_labels, ...)
            As stored, except float16 stores, read as float32.
        """
        dataset = self._dataset(layer)
        if labels is None:
            values = dataset[()]
        else:
            index = match_labels(labels, self.labels, what=f"{self.path}:{self._group.name}")
            # h5py reads increasing unique indices; read those, then expand and reorder.
            unique, inverse = np.unique(index, return_inverse=True)
            values = dataset[unique.tolist()][inverse] if unique.size else dataset[:0]
        # float16 is a storage format: computations get float32.
        return values.astype(np.float32) if values.dtype == np.float16 else values

    def units(self, layer: str) -> LayerUnits:
        """Reader of slabs of `layer`'s flattened units across all images (for decoder fits)."""
        return LayerUnits(self._dataset(layer))

    def train_mean(self, layer: str) -> np.ndarray:
        """The decoder's training mean of each unit of `layer` (decoded-feature stores)."""
        means = self._group.get("train_mean")
        if means is None or layer not in means:
            raise KeyError(
                f"no decoder training mean of layer {layer!r} in {self.path}:{self._group.name}; "
                "decode again with pipeline.stages.decoding.decode_features, which stores them (in the "
                "workflow: snakemake -R decode), or rescale with 'paper' or 'center_decoded'"
            )
        return means[layer][()]

    def _dataset(self, layer: str) -> h5py.Dataset:
        features = self._group["features"]
        if layer not in features:
            raise KeyError(
                f"layer {layer!r} not in {self.path}:{self._group.name}; "
                f"available: {', '.join(features)}"
            )
        return features[layer]

    def close(self) -> None:
        """Close the file."""
        self._h5.close()

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LayerUnits:
    """Slabs of a feature dataset's flattened units, one row per image.

    Attributes
    ----------
    unit_shape : tuple of int
        Shape of one image's features.
    n_rows : int
        Images.
    align : int
        Units per chunk of the leading unit axis: slabs on these boundaries read whole
        chunks only.
    """

    def __init__(self, dataset: h5py.Dataset) -> None:
        self._dataset = dataset
        self.unit_shape = tuple(dataset.shape[1:])
        self.n_rows = dataset.shape[0]
        inner = math.prod(self.unit_shape[1:])
        lead = dataset.chunks[1] if dataset.chunks and len(dataset.chunks) > 1 else 1
        self.align = inner * lead

    def read(self, start: int, stop: int) -> np.ndarray:
        """Units ``start:stop`` (flattened, C order) of every image, shape (n_rows, stop - start)."""
        if len(self.unit_shape) == 0:
            raise ValueError("a layer of scalars has no units to slice")
        # Read the leading-axis slices (channels) that hold the range, then cut it out.
        inner = math.prod(self.unit_shape[1:])
        first, last = start // inner, -(-stop // inner)
        block = self._dataset[:, first:last].reshape(self.n_rows, -1)
        return np.ascontiguousarray(block[:, start - first * inner : stop - first * inner])


class DecodedFeatureStore:
    """Lazy reader of decoded features keyed by subject, ROI and layer.

    Parameters
    ----------
    path : str or os.PathLike
        Store written by :func:`write_decoded_features`.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"decoded feature store not found: {self.path}")
        with h5py.File(self.path, "r") as h5:
            self.keys = [(s, r) for s in h5 for r in h5[s]]

    def group(self, subject: str, roi: str) -> FeatureStore:
        """Reader of one subject and ROI (close it, or use it as a context manager)."""
        if (subject, roi) not in self.keys:
            available = ", ".join(f"{s}/{r}" for s, r in self.keys) or "none"
            raise KeyError(f"{subject}/{roi} not in {self.path}; available: {available}")
        return FeatureStore(self.path, group=f"/{subject}/{roi}")

    def get(
        self, subject: str, roi: str, layer: str, labels: Sequence[str] | None = None
    ) -> np.ndarray:
        """Decoded features of one subject, ROI and layer (see :meth:`FeatureStore.get`)."""
        with self.group(subject, roi) as store:
            return store.get(layer, labels)
