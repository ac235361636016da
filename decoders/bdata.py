"""BData: the field's HDF5 container of fMRI samples and their metadata, as bdpy writes it.

Layout: ``/dataset`` (samples x columns), ``/metadata/{key,description,value}`` (value is
keys x columns; a column-group key holds 1 on its columns and NaN elsewhere) and
``/vmap/<key>/<value>`` mapping numeric label values to strings. The method names mirror
``bdpy.BData`` so that code written against bdpy reads naturally here.
"""

from __future__ import annotations

import datetime
import fnmatch
import os

import h5py
import numpy as np

from decoders import selection
from decoders._h5 import atomic_h5, read_strings, to_bytes, to_str


class BData:
    """Samples x columns matrix with per-column metadata and value-label maps.

    Parameters
    ----------
    path : str, optional
        BData HDF5 file to read; an empty BData when omitted.
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.dataset = np.zeros((0, 0), dtype=float)
        self._keys: list[str] = []
        self._descriptions: list[str] = []
        self._values = np.zeros((0, 0), dtype=float)
        self._vmap: dict[str, dict[float, str]] = {}
        self.source = "<in-memory BData>"
        if path is not None:
            self._read(os.fspath(path))

    # Construction -----------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike) -> BData:
        """Read a BData HDF5 file.

        Parameters
        ----------
        path : str or os.PathLike
            File written by bdpy or by :meth:`save`.

        Returns
        -------
        BData
        """
        return cls(path)

    @property
    def metadata_keys(self) -> list[str]:
        """Metadata keys in file order."""
        return list(self._keys)

    @property
    def n_columns(self) -> int:
        """Number of columns of the dataset."""
        return self._values.shape[1]

    def add(self, x: np.ndarray, name: str) -> None:
        """Append columns `x` to the dataset as the column group `name`.

        The metadata key `name` is set to 1 on the new columns; on older columns it keeps
        its value (NaN when the key is new), so adding twice to one name extends the group.

        Parameters
        ----------
        x : numpy.ndarray, shape (n_samples,) or (n_samples, n_cols)
            Data to append.
        name : str
            Column-group key.
        """
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise ValueError(f"add({name!r}): x must be 1-D or 2-D, got shape {x.shape}")
        n_old = self.dataset.shape[1]
        if self.dataset.size == 0 and n_old == 0:
            self.dataset = x.copy()
        elif x.shape[0] != self.dataset.shape[0]:
            raise ValueError(
                f"add({name!r}): x has {x.shape[0]} samples but the dataset has "
                f"{self.dataset.shape[0]}; add columns with one row per sample"
            )
        else:
            self.dataset = np.hstack([self.dataset, x])
        self._extend_columns(self.dataset.shape[1])
        row = self._values[self._keys.index(name)].copy() if name in self._keys else None
        value = np.full(self.n_columns, np.nan)
        if row is not None:
            value[:n_old] = row[:n_old]
        value[n_old:] = 1.0
        self._set_row(name, value, f"1 = {name}")

    def add_metadata(
        self,
        key: str,
        value: np.ndarray,
        description: str = "",
        where: str | None = None,
    ) -> None:
        """Set the metadata row `key` (replacing it if present).

        Parameters
        ----------
        key : str
            Metadata key.
        value : numpy.ndarray
            One value per column, or per column of the group `where`.
        description : str, optional
            Human-readable description.
        where : str, optional
            Column-group key: `value` covers only its columns, NaN elsewhere.
        """
        value = np.asarray(value, dtype=float).ravel()
        if where is not None:
            mask = self._values[self._row_index(where)] == 1
            if value.size != mask.sum():
                raise ValueError(
                    f"add_metadata({key!r}): {value.size} values for {mask.sum()} "
                    f"columns of {where!r}"
                )
            full = np.full(self.n_columns, np.nan)
            full[mask] = value
            value = full
        if value.size > self.n_columns:
            self._extend_columns(value.size)
        if value.size != self.n_columns:
            raise ValueError(
                f"add_metadata({key!r}): {value.size} values for {self.n_columns} columns"
            )
        self._set_row(key, value, description)

    def add_vmap(self, key: str, vmap: dict[float, str]) -> None:
        """Attach a value-to-label map to the column group `key`.

        Only the values present in the data are kept (as bdpy does); a present value
        without a label, or a label that contradicts an existing map, is an error.

        Parameters
        ----------
        key : str
            Metadata key of the label columns.
        vmap : dict
            Numeric value -> label string.
        """
        self._row_index(key)
        if any(isinstance(k, str) for k in vmap):
            raise TypeError(f"add_vmap({key!r}): vmap keys must be numbers, not strings")
        new = {float(k): str(v) for k, v in vmap.items()}
        old = self._vmap.get(key, {})
        clash = [k for k in new if k in old and old[k] != new[k]]
        if clash:
            raise ValueError(
                f"add_vmap({key!r}): labels of {clash[:5]} differ from the existing vmap"
            )
        merged = {**new, **old}
        present = np.unique(self.get(key))
        missing = [v for v in present[~np.isnan(present)] if v not in merged]
        if missing:
            raise ValueError(f"add_vmap({key!r}): no label for values {missing[:5]}")
        self._vmap[key] = {float(v): merged[float(v)] for v in present[~np.isnan(present)]}

    # Access -----------------------------------------------------------

    def select(self, expression: str, return_index: bool = False):
        """Columns selected by an expression such as ``'ROI_V1 = 1 | ROI_V2 = 1'``.

        Parameters
        ----------
        expression : str
            Selection expression (see :mod:`decoders.selection`).
        return_index : bool, optional
            Also return the boolean column mask.

        Returns
        -------
        numpy.ndarray
            Selected columns, (n_samples, n_selected); with the mask if `return_index`.
        """
        mask = selection.evaluate(expression, self._matching_rows)
        data = self.dataset[:, mask]
        return (data, mask) if return_index else data

    def get(self, key: str | None = None) -> np.ndarray:
        """The columns of the column group `key` (the whole dataset when None)."""
        return self.dataset if key is None else self.select(f"{key} = 1")

    def get_metadata(self, key: str, where: str | None = None) -> np.ndarray:
        """Metadata row `key`, restricted to the columns of group `where` if given."""
        value = self._values[self._row_index(key)].copy()
        if where is not None:
            value = value[self._values[self._row_index(where)] == 1]
        return value

    def get_metadata_description(self, key: str) -> str:
        """Description of the metadata key `key`."""
        return self._descriptions[self._row_index(key)]

    def get_vmap(self, key: str) -> dict[float, str]:
        """Value-to-label map of `key`."""
        if key not in self._vmap:
            raise KeyError(
                f"no vmap for {key!r} in {self.source}; keys with a vmap: "
                f"{', '.join(self._vmap) or 'none'}"
            )
        return dict(self._vmap[key])

    def get_vmap_keys(self) -> list[str]:
        """Keys that have a value-to-label map."""
        return list(self._vmap)

    def get_labels(self, key: str) -> list[str]:
        """Labels of the single column `key`, one per sample, through its vmap ('n/a' for NaN)."""
        vmap = self.get_vmap(key)
        values = self.get(key)
        if values.shape[1] != 1:
            raise ValueError(f"get_labels({key!r}): expected 1 column, got {values.shape[1]}")
        try:
            return ["n/a" if np.isnan(v) else vmap[float(v)] for v in values[:, 0]]
        except KeyError as err:
            raise KeyError(f"value {err.args[0]} of {key!r} has no label in its vmap") from err

    # File I/O ---------------------------------------------------------

    def save(self, path: str | os.PathLike, ctime: datetime.datetime | None = None) -> None:
        """Write the BData to an HDF5 file readable by bdpy (atomically).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.h5`` file.
        ctime : datetime, optional
            Creation time recorded in ``/header``; default now. A fixed time makes files
            byte-reproducible.
        """
        with atomic_h5(path) as h5:
            h5.create_dataset("dataset", data=np.asarray(self.dataset, dtype=float))
            meta = h5.create_group("metadata")
            meta.create_dataset("key", data=to_bytes(self._keys))
            meta.create_dataset("description", data=to_bytes(self._descriptions))
            meta.create_dataset("value", data=self._values)
            now = ctime or datetime.datetime.now()
            header = h5.create_group("header")
            header.create_dataset("ctime", data=now.strftime("%Y-%m-%d %H:%M:%S").encode())
            header.create_dataset("ctime_epoch", data=now.timestamp())
            vmaps = h5.create_group("vmap")
            for key, vmap in self._vmap.items():
                group = vmaps.create_group(key)
                for value, label in vmap.items():
                    # bdpy names entries str(float) and reads them back with float().
                    group.create_dataset(str(float(value)), data=label.encode("utf-8"))

    # Private ----------------------------------------------------------

    def _read(self, path: str) -> None:
        if not os.path.exists(path):
            raise FileNotFoundError(f"BData file not found: {path}")
        self.source = path
        with h5py.File(path, "r") as h5:
            # Old files spell the groups 'dataSet' and 'metaData'.
            data_name = "dataset" if "dataset" in h5 else "dataSet"
            meta_name = "metadata" if "metadata" in h5 else "metaData"
            if data_name not in h5 or meta_name not in h5:
                raise ValueError(f"{path} is not a BData file (no /dataset or /metadata)")
            self.dataset = np.asarray(h5[data_name][()], dtype=float)
            self._keys = read_strings(h5[meta_name]["key"])
            self._descriptions = read_strings(h5[meta_name]["description"])
            self._values = np.asarray(h5[meta_name]["value"][()], dtype=float)
            for key, group in h5.get("vmap", {}).items():
                self._vmap[key] = {float(v): to_str(group[v][()]) for v in group}
        if self._values.shape != (len(self._keys), self.dataset.shape[1]):
            raise ValueError(
                f"{path}: metadata/value has shape {self._values.shape}, expected "
                f"({len(self._keys)}, {self.dataset.shape[1]})"
            )

    def _row_index(self, key: str) -> int:
        if key not in self._keys:
            raise KeyError(
                f"metadata key {key!r} not in {self.source}; available: {', '.join(self._keys)}"
            )
        return self._keys.index(key)

    def _matching_rows(self, pattern: str) -> list[np.ndarray]:
        keys = [k for k in self._keys if fnmatch.fnmatchcase(k, pattern)]
        if not keys:
            raise KeyError(
                f"metadata key {pattern!r} not in {self.source}; available: {', '.join(self._keys)}"
            )
        return [self._values[self._keys.index(k)] for k in keys]

    def _extend_columns(self, n_columns: int) -> None:
        """Pad every metadata row with NaN up to `n_columns` columns."""
        pad = n_columns - self._values.shape[1]
        if pad > 0:
            self._values = np.hstack([self._values, np.full((self._values.shape[0], pad), np.nan)])

    def _set_row(self, key: str, value: np.ndarray, description: str) -> None:
        if key in self._keys:
            index = self._keys.index(key)
            self._values[index] = value
            self._descriptions[index] = description
        else:
            self._keys.append(key)
            self._descriptions.append(description)
            self._values = np.vstack([self._values, value[None]])
