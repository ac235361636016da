"""Readers of the authors' per-image feature files (MATLAB .mat, v7.3 = HDF5), key ``feat``.

Layouts: ``<root>/<layer>/<label>.mat`` (true features) and
``<root>/<layer>/<subject>/<roi>/<label>.mat`` (decoded features, bdpy). The older
distribution names files ``<...>-<label>.mat``; both spellings are found.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence

import h5py
import numpy as np
import scipy.io


def feature_file(directory: str, label: str) -> str:
    """Path of the .mat file of `label` in `directory` (``<label>.mat`` or ``*-<label>.mat``).

    Parameters
    ----------
    directory : str
        Folder of one layer (and subject and ROI).
    label : str
        Image label.

    Returns
    -------
    str
    """
    for folder in (directory, os.path.join(directory, "decoded_features")):
        exact = os.path.join(folder, label + ".mat")
        if os.path.exists(exact):
            return exact
        prefixed = glob.glob(os.path.join(glob.escape(folder), "*-" + glob.escape(label) + ".mat"))
        if len(prefixed) == 1:
            return prefixed[0]
        if len(prefixed) > 1:
            raise ValueError(f"several files match label {label!r} in {folder}: {prefixed}")
    raise FileNotFoundError(
        f"no feature file for label {label!r} in {directory} (looked for {label}.mat and "
        f"*-{label}.mat); check the layer/subject/ROI names and the label spelling"
    )


def load_mat_array(path: str, key: str = "feat") -> np.ndarray:
    """Read array `key` of a .mat file, v7.3 (HDF5) or older, in MATLAB's dimension order.

    Parameters
    ----------
    path : str
        .mat file.
    key : str, optional
        Variable name.

    Returns
    -------
    numpy.ndarray
    """
    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as h5:
            if key not in h5:
                raise KeyError(f"variable {key!r} not in {path}; found: {', '.join(h5)}")
            # HDF5 holds MATLAB's column-major array with reversed dimensions.
            return np.asarray(h5[key][()]).T
    content = scipy.io.loadmat(path)
    if key not in content:
        found = ", ".join(k for k in content if not k.startswith("__"))
        raise KeyError(f"variable {key!r} not in {path}; found: {found}")
    return np.asarray(content[key])


def read_mat_features(
    root: str | os.PathLike,
    layer: str,
    labels: Sequence[str],
    subject: str | None = None,
    roi: str | None = None,
) -> np.ndarray:
    """Stack the per-image features of `labels` from the authors' .mat layout.

    Parameters
    ----------
    root : str or os.PathLike
        Root folder (e.g. ``.../decoded/VGG19``).
    layer : str
        Layer folder name.
    labels : sequence of str
        Image labels, in the order wanted.
    subject, roi : str, optional
        Both given: decoded layout ``<layer>/<subject>/<roi>/``; both omitted: ``<layer>/``.

    Returns
    -------
    numpy.ndarray, shape (n_labels, ...)
        Features with the leading singleton of each file removed.
    """
    if (subject is None) != (roi is None):
        raise ValueError("give both subject and roi (decoded features) or neither (true features)")
    parts = [os.fspath(root), layer] + ([subject, roi] if subject is not None else [])
    directory = os.path.join(*parts)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"feature folder not found: {directory}")
    arrays = []
    for label in labels:
        path = feature_file(directory, label)
        feat = load_mat_array(path)
        feat = feat[0] if feat.ndim > 1 and feat.shape[0] == 1 else feat
        if arrays and feat.shape != arrays[0].shape:
            raise ValueError(f"{path} has shape {feat.shape}, other images {arrays[0].shape}")
        arrays.append(feat)
    if not arrays:
        raise ValueError("no labels given")
    return np.stack(arrays)


def read_feature_sd(path: str | os.PathLike, layers: Sequence[str]) -> dict[str, float]:
    """Per-layer feature SDs of the authors' ``estimated_vgg19_cnn_feat_std.mat`` (one scalar a layer).

    Parameters
    ----------
    path : str or os.PathLike
        The .mat file (v5 or v7.3), one variable per layer.
    layers : sequence of str
        Layers wanted.

    Returns
    -------
    dict of str to float

    Raises
    ------
    FileNotFoundError, KeyError, ValueError
        Naming the file, the layer and the fix.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"feature-SD file {path} does not exist; download it (figshare "
                                "13004384: estimated_vgg19_cnn_feat_std.mat) or fix its path")  # fmt: skip
    sd = {}
    for layer in layers:
        try:
            value = load_mat_array(path, layer)
        except KeyError as error:
            raise KeyError(f"{path} has no SD of layer {layer!r}: it is not the SD file of this "
                           f"network ({error.args[0]})") from error  # fmt: skip
        if value.size != 1 or not np.isfinite(value).all() or float(value.ravel()[0]) <= 0:
            raise ValueError(f"{path}: the SD of layer {layer!r} must be one positive number, got "
                             f"shape {value.shape}")  # fmt: skip
        sd[layer] = float(value.ravel()[0])
    return sd
