"""FastL2Decoder: L2-regularised linear decoding from voxels to CNN units (FastL2LiR semantics).

X and Y are z-scored with training statistics (ddof 1) kept in the model; each unit is
regressed on its n most correlated voxels plus a bias (alpha covers the bias too), or on
all voxels when ``n_voxels`` is None or not smaller than the number of voxels.
"""

from __future__ import annotations

import json
import os
import warnings

import h5py
import numpy as np
import torch
from sklearn.base import BaseEstimator

from decoders import solver
from decoders._h5 import atomic_h5
from decoders.stats import average_by_label, column_stats

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_FORMAT = "decoders.FastL2Decoder/1"


class FastL2Decoder(BaseEstimator):
    """L2-regularised linear regression with per-unit voxel selection, batched in torch.

    Parameters
    ----------
    alpha : float, default 100.0
        Ridge penalty on the z-scored data (bias included).
    n_voxels : int or None, default 500
        Voxels selected per unit by |Pearson r| on the training data; None (or a value not
        smaller than the number of voxels) uses every voxel.
    chunk_size : int, default 128
        Units solved per batch. Peak memory of a selective fit is about
        ``2 * n_threads * chunk_size * (n_voxels + 1) ** 2`` floats beyond the data, the
        Gram matrix and the fitted weights.
    dtype : {'float32', 'float64'}, default 'float32'
        Precision of the solves.
    device : str, default 'cpu'
        Torch device, e.g. 'cuda'.
    progress : bool, default False
        Show a tqdm progress bar over units.

    Attributes
    ----------
    x_mean_, x_std_ : numpy.ndarray, shape (n_voxels_in,)
        Training voxel statistics (zero SDs replaced by 1).
    y_mean_, y_std_ : numpy.ndarray, shape unit_shape_
        Training unit statistics.
    weights_ : numpy.ndarray, shape (n_units, k)
        Weights on z-scored data; k = n_voxels, or n_voxels_in without selection.
    voxel_index_ : numpy.ndarray of int32, shape (n_units, k), or None
        Voxel of each weight; None when every unit uses every voxel.
    bias_ : numpy.ndarray, shape (n_units,)
    unit_shape_ : tuple of int
        Shape of one sample of Y.
    n_features_in_ : int
        Number of voxels seen in fit.
    """

    def __init__(
        self,
        alpha: float = 100.0,
        n_voxels: int | None = 500,
        chunk_size: int = 128,
        dtype: str = "float32",
        device: str = "cpu",
        progress: bool = False,
    ) -> None:
        self.alpha = alpha
        self.n_voxels = n_voxels
        self.chunk_size = chunk_size
        self.dtype = dtype
        self.device = device
        self.progress = progress

    # Fitting ----------------------------------------------------------

    def fit(self, X: np.ndarray, Y: np.ndarray) -> FastL2Decoder:
        """Fit the decoder.

        Parameters
        ----------
        X : numpy.ndarray, shape (n_samples, n_voxels_in)
            Training voxel patterns.
        Y : numpy.ndarray, shape (n_samples, ...)
            Training features; any trailing shape (e.g. channels x height x width).

        Returns
        -------
        FastL2Decoder
            self.
        """
        X, Y = np.asarray(X), np.asarray(Y)
        if X.ndim != 2:
            raise ValueError(f"X must be (n_samples, n_voxels), got shape {X.shape}")
        if Y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} samples but Y has {Y.shape[0]}; pair each fMRI sample "
                f"with the features of its image"
            )
        dtype, device = self._torch_dtype(), torch.device(self.device)
        np_dtype = np.float32 if dtype == torch.float32 else np.float64
        self.unit_shape_ = tuple(Y.shape[1:])
        self.n_features_in_ = X.shape[1]
        Y2 = Y.reshape(Y.shape[0], -1)
        self.x_mean_, self.x_std_ = (s.astype(np_dtype) for s in column_stats(X))
        y_mean, y_std = column_stats(Y2)
        valid = X.std(axis=0) > 0
        # Constant voxels z-score to exactly 0 (not rounding noise), so they get no weight.
        xz = torch.from_numpy(np.where(valid, (X - self.x_mean_) / self.x_std_, 0).astype(np_dtype))
        xz = xz.to(device)
        self.y_mean_ = y_mean.astype(np_dtype).reshape(self.unit_shape_)
        self.y_std_ = y_std.astype(np_dtype).reshape(self.unit_shape_)
        # Y can be huge (conv layers): the solver z-scores it chunk by chunk, without a copy.
        y = torch.from_numpy(np.ascontiguousarray(Y2))
        y_stats = (torch.from_numpy(y_mean), torch.from_numpy(y_std))
        n_select = self._n_select(X.shape[1])
        if n_select is None:
            weights, bias = solver.fit_full(
                xz, y, y_stats, self.alpha, self.chunk_size, self.progress
            )
            self.voxel_index_ = None
        else:
            weights, index, bias = solver.fit_selected(
                xz,
                y,
                y_stats,
                self.alpha,
                n_select,
                torch.from_numpy(valid).to(device),
                self.chunk_size,
                self.progress,
            )
            self.voxel_index_ = index.numpy()
        self.weights_, self.bias_ = weights.numpy(), bias.numpy()
        return self

    def _n_select(self, n_in: int) -> int | None:
        """Voxels per unit, or None for no selection (FastL2LiR's rules)."""
        n = self.n_voxels
        if n is None or n == 0 or n == n_in:
            return None
        if n < 0:
            raise ValueError(f"n_voxels must be positive or None, got {n}")
        if n > n_in:
            warnings.warn(
                f"n_voxels={n} exceeds the {n_in} voxels of X; using all voxels", stacklevel=3
            )
            return None
        return int(n)

    def _torch_dtype(self) -> torch.dtype:
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return _DTYPES[self.dtype]

    # Prediction -------------------------------------------------------

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predict features.

        Parameters
        ----------
        X : numpy.ndarray, shape (n_samples, n_voxels_in)
            Voxel patterns (e.g. test trials averaged per image, see :meth:`predict_average`).

        Returns
        -------
        numpy.ndarray, shape (n_samples, *unit_shape_)
        """
        if not hasattr(self, "weights_"):
            raise RuntimeError("FastL2Decoder is not fitted; call fit() or load() first")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must be (n_samples, {self.n_features_in_}) like the training data, "
                f"got shape {X.shape}"
            )
        dtype = self._torch_dtype()
        np_dtype = np.float32 if dtype == torch.float32 else np.float64
        xz = torch.from_numpy(((X - self.x_mean_) / self.x_std_).astype(np_dtype))
        index = None if self.voxel_index_ is None else torch.from_numpy(self.voxel_index_)
        yz = solver.predict_chunked(
            xz.to(self.device),
            torch.from_numpy(self.weights_),
            torch.from_numpy(self.bias_),
            index,
            self.chunk_size,
        ).numpy()
        y = yz * self.y_std_.reshape(1, -1) + self.y_mean_.reshape(1, -1)
        return y.reshape((X.shape[0],) + self.unit_shape_)

    def predict_average(
        self, X: np.ndarray, labels: list, per_trial: bool = False
    ) -> tuple[np.ndarray, list]:
        """Predict from test samples averaged per label (the papers' protocol).

        Parameters
        ----------
        X : numpy.ndarray, shape (n_samples, n_voxels_in)
            Test trials.
        labels : list, length n_samples
            Image label of each trial.
        per_trial : bool, optional
            Predict every trial instead, returning the labels unchanged.

        Returns
        -------
        Y : numpy.ndarray, shape (n_images or n_samples, *unit_shape_)
        labels : list
            Label of each row of Y.
        """
        if per_trial:
            return self.predict(X), list(labels)
        X_avg, unique = average_by_label(np.asarray(X), labels)
        return self.predict(X_avg), unique

    # Persistence ------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to HDF5 (atomically); weights are stored sparsely.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.
        """
        if not hasattr(self, "weights_"):
            raise RuntimeError("FastL2Decoder is not fitted; nothing to save")
        rows = max(1, min(self.weights_.shape[0], 4096))
        with atomic_h5(path) as h5:
            h5.attrs["format"] = _FORMAT
            h5.attrs["params"] = json.dumps(self.get_params())
            h5.attrs["unit_shape"] = np.asarray(self.unit_shape_, dtype=np.int64)
            for name in ("x_mean_", "x_std_", "y_mean_", "y_std_", "bias_"):
                h5.create_dataset(name, data=getattr(self, name))
            # Chunked by rows of units so that a subset of units reads cheaply.
            h5.create_dataset("weights_", data=self.weights_, chunks=(rows, self.weights_.shape[1]))
            if self.voxel_index_ is not None:
                h5.create_dataset(
                    "voxel_index_", data=self.voxel_index_, chunks=(rows, self.weights_.shape[1])
                )

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> FastL2Decoder:
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            Model file.
        device : str, optional
            Override the stored device (e.g. load a GPU-fitted model on a CPU machine).

        Returns
        -------
        FastL2Decoder
        """
        with _open_model(path) as h5:
            model = cls(**json.loads(h5.attrs["params"]))
            model.unit_shape_ = tuple(int(d) for d in h5.attrs["unit_shape"])
            for name in ("x_mean_", "x_std_", "y_mean_", "y_std_", "bias_", "weights_"):
                setattr(model, name, h5[name][()])
            model.voxel_index_ = h5["voxel_index_"][()] if "voxel_index_" in h5 else None
        model.n_features_in_ = model.x_mean_.shape[0]
        if device is not None:
            model.device = device
        return model


def _open_model(path: str | os.PathLike) -> h5py.File:
    """Open a file written by :meth:`FastL2Decoder.save`, refusing any other file."""
    h5 = h5py.File(path, "r")
    if h5.attrs.get("format") != _FORMAT:
        h5.close()
        raise ValueError(f"{path} is not a FastL2Decoder file (format {_FORMAT!r})")
    return h5


def read_unit_stats(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Training mean and SD of the units of a saved decoder, without reading its weights.

    Parameters
    ----------
    path : str or os.PathLike
        Model file written by :meth:`FastL2Decoder.save`.

    Returns
    -------
    y_mean, y_std : numpy.ndarray, each of the decoder's unit shape
    """
    with _open_model(path) as h5:
        return h5["y_mean_"][()], h5["y_std_"][()]
