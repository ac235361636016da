"""HDF5 feature stores: true features per layer, decoded features per subject, ROI and layer.

A feature group holds ``labels`` (one string per image) and ``features/<layer>`` arrays of
shape (n_images, ...), chunked by a few images so that one layer, or a few images of it,
is read without loading the rest. True features fill the file's root group; decoded
features sit in ``/<subject>/<roi>/``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import h5py
import numpy as np

from decoders._h5 import atomic_h5, read_strings, to_bytes
from decoders.labels import match_labels
from decoders.mat_features import read_mat_features

__all__ = [
    "DecodedFeatureStore",
    "FeatureStore",
    "read_mat_features",
    "write_decoded_features",
    "write_features",
]

_CHUNK_BYTES = 1 << 20


def _write_group(
    group: h5py.Group,
    layer_to_array: Mapping[str, np.ndarray],
    labels: Sequence[str],
    attrs: Mapping | None,
    train_mean: Mapping[str, np.ndarray] | None = None,
) -> None:
    labels = [str(label) for label in labels]
    if len(set(labels)) != len(labels):
        raise ValueError("labels must be unique (one row per image)")
    group.create_dataset("labels", data=to_bytes(labels))
    features = group.create_group("features")
    for layer, array in layer_to_array.items():
        if "/" in layer:
            raise ValueError(f"layer name {layer!r} may not contain '/'")
        array = np.asarray(array)
        if array.shape[0] != len(labels):
            raise ValueError(
                f"layer {layer!r} has {array.shape[0]} rows but there are {len(labels)} labels"
            )
        per_image = max(1, array[:1].nbytes)
        rows = int(min(max(1, _CHUNK_BYTES // per_image), max(1, array.shape[0])))
        features.create_dataset(layer, data=array, chunks=(rows,) + array.shape[1:])
    for layer, mean in (train_mean or {}).items():
        mean = np.asarray(mean)
        if layer not in layer_to_array or mean.shape != np.shape(layer_to_array[layer])[1:]:
            raise ValueError(f"training mean of layer {layer!r} does not match its features")
        group.require_group("train_mean").create_dataset(layer, data=mean)
    for key, value in (attrs or {}).items():
        group.attrs[key] = value


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
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"feature store not found: {self.path}")
        self._h5 = h5py.File(self.path, "r")
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
        """
        dataset = self._dataset(layer)
        if labels is None:
            return dataset[()]
        index = match_labels(labels, self.labels, what=f"{self.path}:{self._group.name}")
        # h5py reads increasing unique indices; read those, then expand and reorder.
        unique, inverse = np.unique(index, return_inverse=True)
        return dataset[unique.tolist()][inverse] if unique.size else dataset[:0]

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
