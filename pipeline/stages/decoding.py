"""Workflow stages of the decoding side: read sessions, train, decode, score.

Each function reads its inputs from files, writes its outputs atomically and returns nothing,
so a Snakemake script only unpacks its paths and parameters and calls one of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import torch

from common.scores import pairwise_identification, pattern_correlation, profile_correlation
from decoders.bdata import BData
from decoders.feature_store import FeatureStore, feature_writer
from decoders.labels import match_labels, stimulus_labels
from decoders.regression import FastL2Decoder
from decoders.shards import ShardedDecoder, fit_units, layer_shards, read_unit_stats
from decoders.stats import mean_sem
from decoders.timing import lagged_samples
from pipeline.tables import write_tsv


def read_session(path: str | os.PathLike, labels: str | Mapping = "stimulus_name") -> tuple[BData, list[str]]:
    """A BData file and the stimulus label of each of its samples (see :func:`session_samples`)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"fMRI file {path} does not exist; fix its path in the config")
    bdata = BData(path)
    return bdata, stimulus_labels(bdata, labels)  # before any ROI: a wrong label spec fails first


def session_samples(path: str | os.PathLike, roi: str, labels: str | Mapping = "stimulus_name",
                    voxels: np.ndarray | None = None, timing: Mapping | None = None
                    ) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """The samples a decoder sees: an ROI's voxels (those of ``voxels``, a mask from the data
    check), one sample per block as stored, or per frame with ``timing``.

    Parameters
    ----------
    path : path
        BData HDF5 file.
    roi : str
        Voxel selection, e.g. ``'ROI_VC = 1'`` or ``'ROI_V1 = 1 | ROI_V2 = 1'``.
    labels : str or mapping
        Where the stimulus labels are: a key (``stimulus_name``) or the fields of a
        :class:`decoders.labels.LabelSpec` (e.g. ``{key: Label, column: 1}``).
    voxels : ndarray of bool, optional
        The voxels kept (the data check's mask for this ROI).
    timing : mapping, optional
        ``{tr_s, delays_s}`` of a movie session (:func:`pipeline.config.session_timing`): each
        frame's sample is the volumes ``delays_s`` after its onset, concatenated
        (:func:`decoders.timing.lagged_samples`).

    Returns
    -------
    X : ndarray (n_samples, n_voxels)
    labels : list of str
    """
    bdata, sample_labels = read_session(path, labels)
    X = select_roi(bdata, roi, path)
    X = X if voxels is None else X[:, voxels]
    if timing is None:
        return X, sample_labels
    return timed_samples(bdata, X, sample_labels, timing, path)


def timed_samples(bdata: BData, X: np.ndarray, labels: list[str], timing: Mapping,
                  path: str | os.PathLike) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """Per-frame samples of a movie session's volumes ``X`` (rows of ``bdata``)."""
    if "Block" not in bdata.metadata_keys:
        raise KeyError(f"{path} has no 'Block' key: a movie session numbers its frame presentations "
                       "there (0 during rest)")  # fmt: skip
    runs = bdata.get("Run").ravel() if "Run" in bdata.metadata_keys else None
    return lagged_samples(X, labels, bdata.get("Block").ravel(), runs, timing["tr_s"], timing["delays_s"],
                          os.fspath(path))  # fmt: skip


def select_roi(bdata: BData, roi: str, path: str | os.PathLike) -> np.ndarray:
    """The voxels of ``roi`` in a session read from ``path`` (named in errors)."""
    try:
        X = bdata.select(roi)
    except (KeyError, ValueError) as error:
        # ValueError: a KeyError's message would print quoted and escaped
        raise ValueError(f"ROI {roi!r} cannot be selected in {path}: {error.args[0]}; fix its expression "
                         "under 'rois' (the 2019 files name V4 'ROI_V4', the fmriprep files 'ROI_hV4')"
                         ) from error  # fmt: skip
    if X.shape[1] == 0:
        raise ValueError(f"ROI {roi!r} selects no voxels in {path}")
    return X


def train_decoder(
    fmri: str | os.PathLike,
    roi: str,
    labels: str | Mapping,
    features: str | os.PathLike,
    layer: str,
    output: str | os.PathLike,
    voxels: np.ndarray | None = None,
    alpha: float = 100.0,
    n_voxels: int | None = 500,
    chunk_size: int = 128,
    device: str = "cpu",
    threads: int = 1,
    shard: int = 0,
    shard_units: int | None = None,
    timing: Mapping | None = None,
) -> None:
    """Fit a FastL2Decoder from an ROI's voxels to one layer's true features and save it.

    ``voxels`` (a boolean mask over the ROI's voxels, from the data check) leaves out voxels.
    With `shard_units`, the layer's units are split by :func:`decoders.shards.layer_shards`
    and only shard number `shard` is fitted (one job per shard; decode reads them all).
    Features are streamed from the store in slabs of units (bounded memory at any layer size).
    ``timing`` (a movie session) fits per-frame samples (:func:`session_samples`).
    """
    torch.set_num_threads(threads)
    model = FastL2Decoder(alpha=alpha, n_voxels=n_voxels, chunk_size=chunk_size, device=device,
                          progress=True)  # fmt: skip
    model.check_params()
    X, sample_labels = session_samples(fmri, roi, labels, voxels, timing)
    with FeatureStore(features) as store:
        rows = match_labels(sample_labels, store.labels, what=os.fspath(features))
        reader = store.units(layer)
        ranges = layer_shards(reader.unit_shape, shard_units)
        if not 0 <= shard < len(ranges):
            raise ValueError(f"shard {shard} of layer {layer!r}: it has {len(ranges)} shards of "
                             f"about {shard_units} units")  # fmt: skip
        fit_units(model, X, rows, reader, output, ranges[shard], align=reader.align)


def decode_features(
    fmri: str | os.PathLike,
    roi: str,
    labels: str | Mapping,
    models: dict[str, list[str | os.PathLike]],
    reference: str | os.PathLike,
    output: str | os.PathLike,
    voxels: np.ndarray | None = None,
    device: str = "cpu",
    threads: int = 1,
    timing: Mapping | None = None,
) -> None:
    """Decode every layer from test samples averaged per image; store them in image order.

    ``models`` maps each layer to its decoder's shard files (one file when unsharded). The
    rows follow the images of the ``reference`` feature store (the true features of the
    image set); every one of them must have been shown in the session. Each decoder's training
    mean of the units is stored with the features (for the 'center_train' rescaling). Each
    layer is written as soon as it is decoded, so memory holds one layer's features at a time
    (at the study's size all 19 layers of 50 images are 3 GB, conv1_1 0.6 GB); the file
    appears complete or not at all. ``timing`` (a movie session): per-frame samples
    (:func:`session_samples`), averaged per frame.
    """
    torch.set_num_threads(threads)
    X, sample_labels = session_samples(fmri, roi, labels, voxels, timing)
    with FeatureStore(reference) as store:
        image_labels = store.labels
    shown = set(sample_labels)
    missing = [label for label in image_labels if label not in shown]
    if missing:
        raise KeyError(f"images {missing[:5]} were never shown in {fmri}")
    decoders = {layer: ShardedDecoder(paths, device=device) for layer, paths in models.items()}
    shapes = {layer: model.unit_shape for layer, model in decoders.items()}
    dtypes = {layer: model.dtype for layer, model in decoders.items()}
    attrs = {"roi": roi, "fmri": os.fspath(fmri)}
    with feature_writer(output, image_labels, shapes, dtypes, attrs) as writer:
        for layer, model in decoders.items():
            Y, order = model.predict_average(X, sample_labels)
            position = {label: i for i, label in enumerate(order)}
            Y = Y[[position[label] for label in image_labels]]
            if not np.isfinite(Y).all():
                raise ValueError(f"decoded {layer} features from {fmri} hold NaN or Inf values; check "
                                 f"the session's voxels and the decoder {models[layer][0]} ...")  # fmt: skip
            writer.write(layer, 0, Y)
            writer.write_train_mean(layer, model.unit_stats()[0])
            del Y  # before the next layer is decoded


def score_decoding(
    decoded: str | os.PathLike,
    true: str | os.PathLike,
    models: dict[str, list[str | os.PathLike]],
    output: str | os.PathLike,
    keys: dict[str, str],
) -> None:
    """Profile and pattern correlation and pairwise identification of decoded features per layer.

    Writes a TSV with the columns of ``keys`` (subject, roi, image_set), then layer, metric,
    mean, sem, n. Pattern correlation z-scores each unit by its decoder's training mean and SD
    (read from each layer's shard files in ``models``).
    """
    rows = []
    with FeatureStore(decoded) as dec, FeatureStore(true) as tru:
        for layer, model_paths in models.items():
            pred = dec.get(layer)
            target = tru.get(layer, dec.labels)
            y_mean, y_std = read_unit_stats(model_paths)
            scores = {
                "profile_correlation": profile_correlation(pred, target),
                "pattern_correlation": pattern_correlation(pred, target, y_mean, y_std),
                "identification_correlation": pairwise_identification(pred, target, "correlation"),
            }
            for metric, values in scores.items():
                mean, sem, n = mean_sem(values)
                rows.append([*keys.values(), layer, metric, f"{mean:.6g}", f"{sem:.6g}", str(n)])
    write_tsv(output, [*keys, "layer", "metric", "mean", "sem", "n"], rows)
