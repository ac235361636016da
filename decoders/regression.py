"""FastL2Decoder: L2-regularised linear decoding from voxels to CNN units (FastL2LiR semantics).

X and Y are z-scored with training statistics (ddof 1) kept in the model; each unit is
regressed on its n most correlated voxels plus a bias (alpha covers the bias too), or on
all voxels when ``n_voxels`` is None or not smaller than the number of voxels.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator

from decoders import solver
from decoders.model_file import model_writer, open_model, read_header
from decoders.stats import average_by_label, check_finite, column_stats

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


class FastL2Decoder(BaseEstimator):
    """L2-regularised linear regression with per-unit voxel selection, batched in torch.

    Parameters
    ----------
    alpha : float, default 100.0
        Ridge penalty on the z-scored data (bias included).
    n_voxels : int or None, default 500
        Voxels selected per unit by |Pearson r| on the training data (>= 1); None (or a
        value not smaller than the number of voxels) uses every voxel.
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
        if Y.shape[:1] != X.shape[:1]:
            raise ValueError(
                f"X has {X.shape[0]} samples but Y has {Y.shape[0]}; pair each fMRI sample "
                f"with the features of its image"
            )
        check_finite(Y, "Y (training features)")
        problem = self.ridge_problem(X)
        self.unit_shape_ = tuple(Y.shape[1:])
        Y2 = Y.reshape(Y.shape[0], -1)
        y_mean, y_std = column_stats(Y2)
        self.y_mean_ = y_mean.astype(self.np_dtype).reshape(self.unit_shape_)
        self.y_std_ = y_std.astype(self.np_dtype).reshape(self.unit_shape_)
        # Y can be huge (conv layers): the solver z-scores it chunk by chunk, without a copy.
        y = torch.from_numpy(np.ascontiguousarray(Y2))
        y_stats = (torch.from_numpy(y_mean), torch.from_numpy(y_std))
        weights, index, bias = problem.fit(y, y_stats, progress=self.progress)
        self.voxel_index_ = None if index is None else index.numpy()
        self.weights_, self.bias_ = weights.numpy(), bias.numpy()
        return self

    def ridge_problem(self, X: np.ndarray) -> solver.RidgeProblem:
        """Check the parameters and X, set the voxel statistics, and prepare the solves.

        :meth:`fit` and the unit-sharded fit (:func:`decoders.shards.fit_units`) share it.

        Parameters
        ----------
        X : numpy.ndarray, shape (n_samples, n_voxels_in)
            Training voxel patterns.

        Returns
        -------
        decoders.solver.RidgeProblem
            z-scored voxels with the Gram matrix (or factorised system) formed once.
        """
        self.check_params()
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be (n_samples, n_voxels), got shape {X.shape}")
        check_finite(X, "X (voxel patterns)")
        self.n_features_in_ = X.shape[1]
        self.x_mean_, self.x_std_ = (s.astype(self.np_dtype) for s in column_stats(X))
        valid = np.ptp(X, axis=0) > 0
        # Constant voxels z-score to exactly 0 (not rounding noise), so they get no weight.
        # In place: one temporary of X's size (X is 0.5 GB at the study's size).
        xz = X - self.x_mean_
        xz /= self.x_std_
        xz[:, ~valid] = 0
        xz = xz.astype(self.np_dtype, copy=False)
        device = torch.device(self.device)
        return solver.RidgeProblem(torch.from_numpy(xz).to(device),
                                   torch.from_numpy(valid).to(device), float(self.alpha),
                                   self._n_select(X.shape[1]), int(self.chunk_size))  # fmt: skip

    def check_params(self) -> None:
        """Refuse invalid hyperparameters before any compute, naming the fix."""
        if not (isinstance(self.alpha, (int, float)) and np.isfinite(self.alpha) and self.alpha >= 0):
            raise ValueError(f"alpha must be a finite number >= 0, got {self.alpha!r}")
        n = self.n_voxels
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
            raise ValueError(f"n_voxels must be an integer >= 1, or None for every voxel, got {n!r}")
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, (int, np.integer)) \
                or self.chunk_size < 1:  # fmt: skip
            raise ValueError(f"chunk_size must be an integer >= 1, got {self.chunk_size!r}")
        self._torch_dtype()

    def _n_select(self, n_in: int) -> int | None:
        """Voxels per unit, or None for no selection (FastL2LiR's rules)."""
        n = self.n_voxels
        if n is None or n == n_in:
            return None
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

    @property
    def np_dtype(self) -> type:
        """NumPy type of the solves and of the fitted arrays."""
        return np.float32 if self._torch_dtype() == torch.float32 else np.float64

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
        xz = torch.from_numpy(((X - self.x_mean_) / self.x_std_).astype(self.np_dtype))
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
            Destination file (the format of :mod:`decoders.model_file`).
        """
        if not hasattr(self, "weights_"):
            raise RuntimeError("FastL2Decoder is not fitted; nothing to save")
        n = self.bias_.shape[0]
        with model_writer(path, self.get_params(), self.unit_shape_, (0, n), self.x_mean_,
                          self.x_std_, self.weights_.shape[1], self.voxel_index_ is not None,
                          self.weights_.dtype) as writer:  # fmt: skip
            writer.write(0, self.y_mean_.reshape(-1), self.y_std_.reshape(-1), self.weights_,
                         self.bias_, self.voxel_index_)  # fmt: skip

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> FastL2Decoder:
        """Read a model written by :meth:`save` (or a unit-sharded fit's only shard).

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
        with open_model(path) as h5:
            header = read_header(h5)
            if header.units != (0, header.n_units):
                raise ValueError(
                    f"{path} holds units {header.units[0]}-{header.units[1]} of {header.n_units} "
                    "(one shard); read all shards with decoders.shards.ShardedDecoder"
                )
            model = cls(**header.params)
            model.unit_shape_, model.n_features_in_ = header.unit_shape, len(header.x_mean)
            model.x_mean_, model.x_std_ = header.x_mean, header.x_std
            for name in ("y_mean_", "y_std_"):
                setattr(model, name, h5[name][()].reshape(header.unit_shape))
            model.bias_, model.weights_ = h5["bias_"][()], h5["weights_"][()]
            model.voxel_index_ = h5["voxel_index_"][()] if header.selected else None
        if device is not None:
            model.device = device
        return model
