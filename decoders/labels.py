"""Stimulus labels: which image each fMRI sample shows, in every form the published files use.

A :class:`LabelSpec` says where a BData file keeps its labels:

- a key with a vmap (newer fmriprep files: ``stimulus_name`` -> ``'n01518878_5958'``);
- a float-coded id (``1518878.005958`` is ``n01518878_5958``; older files, ``Label``);
- one column of a multi-column key (the 2019 ``*_original_VC.h5`` files: ``Label`` column 1);
- an integer index mapped to names by a table file (the 2019 files' ``image_index``, with the
  authors' tables: figshare files 14830601 (training) and 14876738 (test)).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from decoders.bdata import BData

# Suffixes stripped from table names: the authors' tables may name files, labels name stems.
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".tif", ".tiff", ".bmp")


@dataclass(frozen=True)
class LabelSpec:
    """Where a BData file keeps the stimulus label of each sample.

    Attributes
    ----------
    key : str
        Metadata key of the label column(s).
    column : int, optional
        Column of a multi-column key, counted from 0 (the 2019 files: ``Label`` column 1).
    table : str, optional
        Index table (tab-separated, no header) mapping the key's integer values to names.
    index_column : int, optional
        Column of the table holding the integer index; default: the last column of unique
        integers (the authors' tables: name, float id, category, index).
    name_column : int
        Column of the table holding the image name.
    """

    key: str = "stimulus_name"
    column: int | None = None
    table: str | None = None
    index_column: int | None = None
    name_column: int = 0

    @classmethod
    def from_config(cls, value: str | Mapping | LabelSpec | None) -> LabelSpec:
        """A spec from a config entry: a key name, a mapping of the fields, or None (default).

        Raises
        ------
        ValueError
            On unknown fields, naming them and the known ones.
        """
        if value is None:
            return cls()
        if isinstance(value, LabelSpec):
            return value
        if isinstance(value, str):
            return cls(key=value)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"label spec {dict(value)}: unknown fields {unknown}; known: {sorted(known)}")
        return cls(**{k: (os.fspath(v) if k == "table" and v is not None else v) for k, v in value.items()})


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


def read_index_table(path: str | os.PathLike, index_column: int | None = None,
                     name_column: int = 0) -> dict[int, str]:  # fmt: skip
    """Integer index -> image name, from one of the authors' stimulus tables.

    The tables are tab-separated without header, one image a row (a comma-separated file is
    read when it holds no tab). Names lose an image-file suffix (``.JPEG`` ...).

    Parameters
    ----------
    path : str or os.PathLike
        Table file.
    index_column : int, optional
        Column of the integer index; default: the last column whose values are unique integers.
    name_column : int
        Column of the image name.

    Returns
    -------
    dict of int to str

    Raises
    ------
    FileNotFoundError, ValueError
        Naming the table and the fix.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"index table {path} does not exist; download it (figshare 14830601 "
                                "for training, 14876738 for test) or fix 'table' in the label spec")  # fmt: skip
    with open(path, encoding="utf-8") as f:
        text = f.read()
    sep = "\t" if "\t" in text else ","
    rows = [line.split(sep) for line in text.splitlines() if line.strip()]
    widths = {len(row) for row in rows}
    if not rows or len(widths) != 1 or min(widths) < 2:
        raise ValueError(f"index table {path}: expected rows of the same number (>= 2) of "
                         f"tab-separated columns, got widths {sorted(widths) or [0]}")  # fmt: skip
    columns = [[cell.strip() for cell in col] for col in zip(*rows, strict=True)]
    if not 0 <= name_column < len(columns):
        raise ValueError(f"index table {path}: name_column {name_column} is not one of its "
                         f"{len(columns)} columns")  # fmt: skip
    if index_column is None:
        candidates = [i for i, col in enumerate(columns)
                      if i != name_column and _unique_integers(col)]  # fmt: skip
        if not candidates:
            raise ValueError(f"index table {path}: no column of unique integer indices; set "
                             "'index_column' in the label spec")  # fmt: skip
        index_column = candidates[-1]
    elif not 0 <= index_column < len(columns) or not _unique_integers(columns[index_column]):
        raise ValueError(f"index table {path}: column {index_column} does not hold unique integer "
                         f"indices (the table has {len(columns)} columns); fix 'index_column'")  # fmt: skip
    names = [_strip_suffix(name) for name in columns[name_column]]
    return {int(float(i)): name for i, name in zip(columns[index_column], names, strict=True)}


def stimulus_labels(bdata: BData, spec: LabelSpec | str | Mapping | None = None) -> list[str]:
    """Per-sample stimulus labels of a BData, as `spec` says where they are.

    Parameters
    ----------
    bdata : BData
        fMRI data.
    spec : LabelSpec, str or mapping, optional
        Where the labels are (:meth:`LabelSpec.from_config`); default ``stimulus_name``.

    Returns
    -------
    list of str
        One label per sample.

    Raises
    ------
    KeyError, ValueError
        When the file does not hold labels as the spec says; the message names the file, the
        key and the fix.
    """
    spec = LabelSpec.from_config(spec)
    where = f"key {spec.key!r} of {bdata.source}"
    if spec.key not in bdata.metadata_keys:
        raise KeyError(f"label key {spec.key!r} not in {bdata.source}; set the subject's label key "
                       f"to one of: {', '.join(bdata.metadata_keys)}")  # fmt: skip
    values = bdata.get(spec.key)
    n_samples, n_columns = values.shape
    if spec.column is None and n_columns != 1:
        raise ValueError(f"{where} has {n_columns} columns: {n_columns * n_samples} labels for "
                         f"{n_samples} samples; set 'column' in the label spec (the 2019 files hold "
                         "the float-coded stimulus id in column 1)")  # fmt: skip
    column = 0 if spec.column is None else spec.column
    if not 0 <= column < n_columns:
        raise ValueError(f"{where} has {n_columns} column(s); 'column: {column}' of the label spec "
                         f"must be 0..{n_columns - 1}")  # fmt: skip
    values = values[:, column]
    if spec.table is not None:
        return _labels_from_table(values, spec, where)
    if spec.key in bdata.get_vmap_keys():
        vmap = bdata.get_vmap(spec.key)
        missing = sorted({float(v) for v in values if float(v) not in vmap})
        if missing:
            raise ValueError(f"{where}: values {missing[:5]} have no name in its vmap; the file is "
                             "incomplete, or give an index table with 'table'")  # fmt: skip
        return [vmap[float(v)] for v in values]
    if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        raise ValueError(f"{where} holds integers ({_shown(values)}), not float-coded stimulus ids "
                         "(1518878.005958) nor names through a vmap: they are image indices; give "
                         "the authors' index table with 'table' in the label spec")  # fmt: skip
    try:
        return [stimulus_id_to_label(v) for v in values]
    except ValueError as error:
        raise ValueError(f"{where}: {error}; pick the key or column holding the stimulus id, "
                         "or give an index table with 'table'") from error  # fmt: skip


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


def _labels_from_table(values: np.ndarray, spec: LabelSpec, where: str) -> list[str]:
    if not (np.all(np.isfinite(values)) and np.all(values == np.round(values))):
        raise ValueError(f"{where} holds non-integer values ({_shown(values)}): an index table "
                         "does not apply; remove 'table' or pick the index key (image_index)")  # fmt: skip
    table = read_index_table(spec.table, spec.index_column, spec.name_column)
    indices = values.astype(np.int64)
    missing = sorted({int(i) for i in indices if int(i) not in table})
    if missing:
        raise ValueError(f"{where}: indices {missing[:5]} are not in the index table {spec.table} "
                         f"(it has {min(table)}..{max(table)}); use the table of this session "
                         "(training or test)")  # fmt: skip
    return [table[int(i)] for i in indices]


def _unique_integers(cells: Sequence[str]) -> bool:
    try:
        numbers = [float(cell) for cell in cells]
    except ValueError:
        return False
    return all(math.isfinite(n) and n == int(n) for n in numbers) and len(set(numbers)) == len(numbers)


def _strip_suffix(name: str) -> str:
    stem, suffix = os.path.splitext(name)
    return stem if suffix.lower() in IMAGE_SUFFIXES else name


def _shown(values: np.ndarray) -> str:
    unique = np.unique(values)
    return ", ".join(f"{v:g}" for v in unique[:3]) + (", ..." if unique.size > 3 else "")
