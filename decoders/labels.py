"""Stimulus labels: decoding the float ids of older files and matching fMRI samples to images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from decoders.bdata import BData


def stimulus_id_to_label(value: float) -> str:
    """Turn a float-encoded ImageNet stimulus id into its file label.

    Older BData files store ``n01518878_5958`` as ``1518878.005958``: the integer part is
    the WordNet id, the six decimals the image number.

    Parameters
    ----------
    value : float
        Encoded id.

    Returns
    -------
    str
        Label such as ``'n01518878_5958'``.
    """
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{value!r} is not a float-encoded stimulus id")
    # Format with 6 decimals rather than multiply: 0.005958 * 1e6 is not exactly 5958.
    wnid, image = f"{value:.6f}".split(".")
    return f"n{int(wnid):08d}_{int(image)}"


def stimulus_labels(bdata: BData, key: str = "stimulus_name") -> list[str]:
    """Per-sample stimulus labels of a BData, through its vmap or the float encoding.

    Parameters
    ----------
    bdata : BData
        fMRI data.
    key : str, optional
        Label column: ``'stimulus_name'`` in newer files, ``'Label'`` in older ones.

    Returns
    -------
    list of str
        One label per sample.
    """
    if key in bdata.get_vmap_keys():
        return bdata.get_labels(key)
    return [stimulus_id_to_label(v) for v in bdata.get(key).ravel()]


def match_labels(
    sample_labels: Sequence[str], image_labels: Sequence[str], what: str = "features"
) -> np.ndarray:
    """Row of each sample's image in `image_labels`.

    Parameters
    ----------
    sample_labels : sequence of str
        Label of each fMRI sample.
    image_labels : sequence of str
        Labels of the available images (e.g. of a feature store).
    what : str, optional
        Name of the image source, for the error message.

    Returns
    -------
    numpy.ndarray of int
        ``image_labels[index[i]] == sample_labels[i]``.

    Raises
    ------
    KeyError
        When a sample label has no image; the message lists the missing labels.
    """
    position = {label: i for i, label in enumerate(image_labels)}
    missing = sorted({label for label in sample_labels if label not in position})
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise KeyError(
            f"{len(missing)} fMRI sample label(s) have no matching image in {what}: {shown}; "
            f"compute features for these images or drop the samples"
        )
    return np.array([position[label] for label in sample_labels], dtype=np.int64)
