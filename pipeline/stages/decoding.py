"""Workflow stages of the decoding side: read sessions, train, decode, score.

Each function reads its inputs from files, writes its outputs atomically and returns nothing,
so a Snakemake script only unpacks its paths and parameters and calls one of them.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from common.scores import pairwise_identification, pattern_correlation, profile_correlation
from decoders.bdata import BData
from decoders.feature_store import FeatureStore, write_features
from decoders.labels import stimulus_labels
from decoders.regression import FastL2Decoder, read_unit_stats
from decoders.stats import mean_sem
from pipeline.tables import write_tsv


def load_session(path: str | os.PathLike, roi: str, label_key: str = "stimulus_name"
                 ) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Voxel patterns of an ROI and the stimulus label of each sample of a BData file.

    Parameters
    ----------
    path : path
        BData HDF5 file.
    roi : str
        Voxel selection, e.g. ``'ROI_VC = 1'`` or ``'ROI_V1 = 1 | ROI_V2 = 1'``.
    label_key : str
        Column holding the stimulus labels (``stimulus_name``, or ``Label`` in older files).

    Returns
    -------
    X : ndarray (n_samples, n_voxels)
    labels : list of str
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"fMRI file {path} does not exist; fix its path in the config")
    bdata = BData(path)
    if label_key not in bdata.metadata_keys:
        raise KeyError(f"label key {label_key!r} not in {path}; set 'label_key' of this subject "
                       f"to one of: {', '.join(bdata.metadata_keys)}")  # fmt: skip
    try:
        X = bdata.select(roi)
    except (KeyError, ValueError) as error:
        raise KeyError(f"ROI {roi!r} cannot be selected in {path}: {error}") from error
    if X.shape[1] == 0:
        raise ValueError(f"ROI {roi!r} selects no voxels in {path}")
    return X, stimulus_labels(bdata, label_key)


def train_decoder(
    fmri: str | os.PathLike,
    roi: str,
    label_key: str,
    features: str | os.PathLike,
    layer: str,
    output: str | os.PathLike,
    voxels: np.ndarray | None = None,
    alpha: float = 100.0,
    n_voxels: int | None = 500,
    chunk_size: int = 128,
    device: str = "cpu",
    threads: int = 1,
) -> None:
    """Fit a FastL2Decoder from an ROI's voxels to one layer's true features and save it.

    ``voxels`` (a boolean mask over the ROI's voxels, from the data check) leaves out voxels.
    """
    torch.set_num_threads(threads)
    X, labels = load_session(fmri, roi, label_key)
    X = X if voxels is None else X[:, voxels]
    with FeatureStore(features) as store:
        Y = store.get(layer, labels)
    model = FastL2Decoder(alpha=alpha, n_voxels=n_voxels, chunk_size=chunk_size, device=device,
                          progress=True)  # fmt: skip
    model.fit(X, Y).save(output)


def decode_features(
    fmri: str | os.PathLike,
    roi: str,
    label_key: str,
    models: dict[str, str | os.PathLike],
    reference: str | os.PathLike,
    output: str | os.PathLike,
    voxels: np.ndarray | None = None,
    device: str = "cpu",
    threads: int = 1,
) -> None:
    """Decode every layer from test samples averaged per image; store them in image order.

    The rows follow the images of the ``reference`` feature store (the true features of the
    image set); every one of them must have been shown in the session. Each decoder's training
    mean of the units is stored with the features (for the 'center_train' rescaling).
    """
    torch.set_num_threads(threads)
    X, labels = load_session(fmri, roi, label_key)
    X = X if voxels is None else X[:, voxels]
    with FeatureStore(reference) as store:
        image_labels = store.labels
    decoded, train_mean = {}, {}
    for layer, path in models.items():
        model = FastL2Decoder.load(path, device=device)
        train_mean[layer] = model.y_mean_
        Y, order = model.predict_average(X, labels)
        position = {label: i for i, label in enumerate(order)}
        missing = [label for label in image_labels if label not in position]
        if missing:
            raise KeyError(f"images {missing[:5]} were never shown in {fmri}")
        decoded[layer] = Y[[position[label] for label in image_labels]]
        if not np.isfinite(decoded[layer]).all():
            raise ValueError(f"decoded {layer} features from {fmri} hold NaN or Inf values; check "
                             f"the session's voxels and the decoder {path}")  # fmt: skip
    write_features(output, decoded, list(image_labels), attrs={"roi": roi, "fmri": os.fspath(fmri)},
                   train_mean=train_mean)  # fmt: skip


def score_decoding(
    decoded: str | os.PathLike,
    true: str | os.PathLike,
    models: dict[str, str | os.PathLike],
    output: str | os.PathLike,
    keys: dict[str, str],
) -> None:
    """Profile and pattern correlation and pairwise identification of decoded features per layer.

    Writes a TSV with the columns of ``keys`` (subject, roi, image_set), then layer, metric,
    mean, sem, n. Pattern correlation z-scores each unit by its decoder's training mean and SD.
    """
    rows = []
    with FeatureStore(decoded) as dec, FeatureStore(true) as tru:
        for layer, model_path in models.items():
            pred = dec.get(layer)
            target = tru.get(layer, dec.labels)
            y_mean, y_std = read_unit_stats(model_path)
            scores = {
                "profile_correlation": profile_correlation(pred, target),
                "pattern_correlation": pattern_correlation(pred, target, y_mean, y_std),
                "identification_correlation": pairwise_identification(pred, target, "correlation"),
            }
            for metric, values in scores.items():
                mean, sem, n = mean_sem(values)
                rows.append([*keys.values(), layer, metric, f"{mean:.6g}", f"{sem:.6g}", str(n)])
    write_tsv(output, [*keys, "layer", "metric", "mean", "sem", "n"], rows)
