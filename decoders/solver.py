"""Batched torch kernels of the L2 decoder: voxel selection and ridge solves over unit chunks.

All inputs are z-scored training data already on the target device. The bias is an
appended all-ones column that is regularised like the weights (FastL2LiR's convention).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm


def unit_chunks(n_units: int, chunk_size: int, progress: bool, desc: str) -> Iterator[slice]:
    """Slices of at most `chunk_size` units, with an optional tqdm bar counting units."""
    with tqdm(total=n_units, disable=not progress, desc=desc, unit="unit") as bar:
        for start in range(0, n_units, chunk_size):
            stop = min(start + chunk_size, n_units)
            yield slice(start, stop)
            bar.update(stop - start)


def zscore_chunk(
    y: torch.Tensor, y_stats: tuple[torch.Tensor, torch.Tensor], chunk: slice, like: torch.Tensor
) -> torch.Tensor:
    """Units `chunk` of `y`, z-scored, with the dtype and device of `like`."""
    block = y[:, chunk]
    if block.dtype not in (torch.float32, torch.float64):
        # Integers and float16 storage: centre in float64 (float16 would lose the mean).
        block = block.double()
    # Centre in the data's own precision before any cast down to float32.
    mean, std = (s[chunk].to(block.dtype) for s in y_stats)
    return ((block - mean) / std).to(device=like.device, dtype=like.dtype)


def sample_sums(
    xz: torch.Tensor, sample_index: torch.Tensor | None, n_rows: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``E^T X`` and the samples per row, for features given one row per image.

    With ``E`` the (n_samples, n_rows) one-hot matrix of `sample_index`, the expanded
    features are ``E Y``, z-scoring commutes with the expansion, and ``X^T E Yz`` =
    ``(E^T X)^T Yz``: the voxel-unit correlations need one product over images, not over
    samples (5x fewer operations with 5 samples per image), and Y is never expanded.
    Without `sample_index`, returns ``(xz, None)``: rows are samples.
    """
    if sample_index is None:
        return xz, None
    sums = torch.zeros((n_rows, xz.shape[1]), dtype=xz.dtype, device=xz.device)
    sums.index_add_(0, sample_index, xz)
    counts = torch.bincount(sample_index, minlength=n_rows).to(xz.dtype)
    return sums, counts


def augmented_gram(xz: torch.Tensor, alpha: float) -> torch.Tensor:
    """``[X 1]^T [X 1] + alpha I`` of shape (n_voxels + 1, n_voxels + 1)."""
    n, v = xz.shape
    gram = torch.empty((v + 1, v + 1), dtype=xz.dtype, device=xz.device)
    torch.matmul(xz.T, xz, out=gram[:v, :v])
    col_sum = xz.sum(dim=0)
    gram[:v, v] = col_sum
    gram[v, :v] = col_sum
    gram[v, v] = n
    gram.diagonal().add_(alpha)
    return gram


def cholesky_solve_batched(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Solve SPD systems ``a x = b`` (batched) by Cholesky, with a clear error if one fails."""
    chol, info = torch.linalg.cholesky_ex(a)
    if bool((info != 0).any()):
        raise FloatingPointError(
            "ridge system not positive definite (alpha too small for this precision?); "
            "use a larger alpha or dtype='float64'"
        )
    # Two triangular solves are much faster than cholesky_solve for one right-hand side on CPU.
    y = torch.linalg.solve_triangular(chol, b, upper=False)
    return torch.linalg.solve_triangular(chol.mT, y, upper=True)


def fit_selected(
    xz: torch.Tensor,
    y: torch.Tensor,
    y_stats: tuple[torch.Tensor, torch.Tensor],
    alpha: float,
    n_select: int,
    valid_voxels: torch.Tensor,
    chunk_size: int,
    progress: bool = False,
    sample_index: torch.Tensor | None = None,
    gram: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Ridge regression of each unit on its `n_select` most correlated voxels.

    Per unit, the voxels with the largest |Pearson r| on the training data are chosen
    (invalid, i.e. constant, voxels count as r = 0), and ``A[I, I] w = b[I]`` is solved with
    ``A = [X 1]^T [X 1] + alpha I`` formed once and ``I`` the chosen voxels plus the bias.
    On the CPU, chunks are solved by one single-threaded worker per torch thread: batched
    LAPACK calls scale badly over threads and collapse when the cores are shared.

    Parameters
    ----------
    xz : torch.Tensor, shape (n_samples, n_voxels)
        z-scored voxels (ddof 1).
    y : torch.Tensor, shape (n_samples, n_units), or (n_images, n_units) with `sample_index`
        Raw units, any float dtype, on the CPU; z-scored chunk by chunk so that a huge
        layer is never copied whole.
    y_stats : (torch.Tensor, torch.Tensor), each shape (n_units,)
        Training mean and SD (ddof 1, zeros replaced by 1) of the units.
    alpha : float
        Ridge penalty.
    n_select : int
        Voxels per unit, < n_voxels.
    valid_voxels : torch.Tensor of bool, shape (n_voxels,)
        False for voxels that may not be selected on merit (zero variance).
    chunk_size : int
        Units solved per batch; memory grows as chunk_size * (n_select + 1) ** 2 per worker.
    progress : bool, optional
        Show a tqdm bar.
    sample_index : torch.Tensor of int64, shape (n_samples,), optional
        Row of `y` of each sample (see :func:`sample_sums`).
    gram : torch.Tensor, optional
        ``augmented_gram(xz, alpha)``, when the caller fits several unit blocks on one X.

    Returns
    -------
    weights : torch.Tensor, shape (n_units, n_select)
    voxel_index : torch.Tensor of int32, shape (n_units, n_select), sorted per unit
    bias : torch.Tensor, shape (n_units,)
    """
    n_units = y.shape[1]
    gram = augmented_gram(xz, alpha) if gram is None else gram
    xs, counts = sample_sums(xz, sample_index, y.shape[0])
    weights = torch.empty((n_units, n_select), dtype=xz.dtype)
    index = torch.empty((n_units, n_select), dtype=torch.int32)
    bias = torch.empty(n_units, dtype=xz.dtype)

    def solve(chunk: slice) -> None:
        yz = zscore_chunk(y, y_stats, chunk, xz)
        sol, top = _solve_chunk(xs, counts, yz, gram, n_select, valid_voxels)
        weights[chunk] = sol[:, :n_select].cpu()
        bias[chunk] = sol[:, n_select].cpu()
        index[chunk] = top.to(torch.int32).cpu()

    chunks = unit_chunks(n_units, chunk_size, progress, "fit units")
    if xz.device.type != "cpu":
        for chunk in chunks:
            solve(chunk)
        return weights, index, bias
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(n_threads) as pool:
            # Keep at most 2 chunks per worker in flight: bounded memory, no idle workers.
            pending: set[Future] = set()
            for chunk in chunks:
                if len(pending) >= 2 * n_threads:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                pending.add(pool.submit(solve, chunk))
            for future in pending:
                future.result()
    finally:
        torch.set_num_threads(n_threads)
    return weights, index, bias


def gather_submatrices(gram: torch.Tensor, rows: torch.Tensor, block: int = 64) -> torch.Tensor:
    """The sub-matrices ``gram[r][:, r]`` for each row ``r`` of `rows`, shape (units, k, k).

    On the CPU, rows are copied first, `block` at a time so that the intermediate stays in
    cache, then their columns: about 3x faster than one advanced-indexing gather, which
    computes and follows an int64 offset per element. Elsewhere, or for sub-matrices of at
    most `block` rows (where the per-unit calls cost more than they save), one gather.
    """
    units, k = rows.shape
    if gram.device.type != "cpu" or k <= block:
        return gram[rows[:, :, None], rows[:, None, :]]
    out = torch.empty((units, k, k), dtype=gram.dtype)
    for unit, r in enumerate(rows):
        for start in range(0, k, block):
            torch.index_select(gram.index_select(0, r[start : start + block]), 1, r,
                               out=out[unit, start : start + block])  # fmt: skip
    return out


def _solve_chunk(
    xs: torch.Tensor,
    counts: torch.Tensor | None,
    y: torch.Tensor,
    gram: torch.Tensor,
    n_select: int,
    valid_voxels: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Select voxels and solve the ridge systems of one chunk of units.

    `xs`, `counts` are :func:`sample_sums` (z-scored samples and None when `y` has a row
    per sample). Returns the solutions (units, n_select + 1; bias last) and the voxels.
    """
    v = xs.shape[1]
    # X^T y is both the right-hand side and, over n-1, the Pearson r of z-scored data.
    xty = xs.T @ y
    score = xty.abs().masked_fill_(~valid_voxels[:, None], 0.0)
    top = torch.topk(score, n_select, dim=0, sorted=False).indices.T
    # Sorted indices make the gather from the Gram matrix cache-friendlier.
    top = torch.sort(top, dim=1).values
    bias_row = torch.full((top.shape[0], 1), v, device=xs.device, dtype=top.dtype)
    rows = torch.cat([top, bias_row], 1)
    a_sub = gather_submatrices(gram, rows)
    y_sum = y.sum(dim=0, keepdim=True) if counts is None else (counts @ y)[None, :]
    rhs = torch.cat([xty, y_sum], 0).T.gather(1, rows)
    return cholesky_solve_batched(a_sub, rhs[:, :, None])[:, :, 0], top


@dataclass(frozen=True)
class FullSystem:
    """The factorised ridge system of :func:`fit_full`: primal ``[X 1]^T [X 1] + alpha I``
    when there are more samples than voxels, else dual ``[X 1] [X 1]^T + alpha I``."""

    xa: torch.Tensor
    chol: torch.Tensor
    primal: bool


def full_system(xz: torch.Tensor, alpha: float) -> FullSystem:
    """Form and factorise the ridge system of all voxels once (see :class:`FullSystem`)."""
    n, v = xz.shape
    xa = torch.cat([xz, torch.ones((n, 1), dtype=xz.dtype, device=xz.device)], 1)
    primal = n > v + 1
    system = augmented_gram(xz, alpha) if primal else xa @ xa.T
    if not primal:
        system.diagonal().add_(alpha)
    chol, info = torch.linalg.cholesky_ex(system)
    if int(info) != 0:
        raise FloatingPointError("ridge system not positive definite; use a larger alpha")
    return FullSystem(xa, chol, primal)


def fit_full(
    xz: torch.Tensor,
    y: torch.Tensor,
    y_stats: tuple[torch.Tensor, torch.Tensor],
    alpha: float,
    chunk_size: int,
    progress: bool = False,
    sample_index: torch.Tensor | None = None,
    system: FullSystem | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Ridge regression of every unit on all voxels, primal or dual whichever is smaller.

    Parameters
    ----------
    xz : torch.Tensor, shape (n_samples, n_voxels)
        z-scored voxels.
    y : torch.Tensor, shape (n_samples, n_units), or (n_images, n_units) with `sample_index`
        Raw units on the CPU (see :func:`fit_selected`).
    y_stats : (torch.Tensor, torch.Tensor)
        Training mean and SD of the units.
    alpha : float
        Ridge penalty (also on the bias).
    chunk_size : int
        Units per batch of right-hand sides.
    progress : bool, optional
        Show a tqdm bar.
    sample_index : torch.Tensor of int64, shape (n_samples,), optional
        Row of `y` of each sample.
    system : FullSystem, optional
        ``full_system(xz, alpha)``, when the caller fits several unit blocks on one X.

    Returns
    -------
    weights : torch.Tensor, shape (n_units, n_voxels)
    bias : torch.Tensor, shape (n_units,)
    """
    v = xz.shape[1]
    system = full_system(xz, alpha) if system is None else system
    # Primal right-hand sides [X 1]^T y over images (see sample_sums); the dual needs samples.
    xs, _ = sample_sums(system.xa, sample_index, y.shape[0])
    n_units = y.shape[1]
    wb = torch.empty((n_units, v + 1), dtype=xz.dtype)
    for chunk in unit_chunks(n_units, chunk_size, progress, "fit units"):
        yz = zscore_chunk(y, y_stats, chunk, xz)
        if system.primal:
            sol = torch.cholesky_solve(xs.T @ yz, system.chol)
        else:
            yz = yz if sample_index is None else yz[sample_index]
            sol = system.xa.T @ torch.cholesky_solve(yz, system.chol)
        wb[chunk] = sol.T.cpu()
    return wb[:, :v], wb[:, v]


def predict_chunked(
    xz: torch.Tensor,
    weights: torch.Tensor,
    bias: torch.Tensor,
    voxel_index: torch.Tensor | None,
    chunk_size: int,
) -> torch.Tensor:
    """z-scored predictions ``xz @ W^T + b`` of all units, chunk by chunk.

    Parameters
    ----------
    xz : torch.Tensor, shape (n_samples, n_voxels)
        z-scored test voxels on the compute device.
    weights : torch.Tensor, shape (n_units, k)
        Per-unit weights (k = n_voxels when `voxel_index` is None).
    bias : torch.Tensor, shape (n_units,)
    voxel_index : torch.Tensor or None, shape (n_units, k)
        Voxel of each weight, or None for dense weights.
    chunk_size : int
        Units per chunk; sparse weights are scattered into a dense (chunk, n_voxels) block
        so that prediction is one matmul per chunk.

    Returns
    -------
    torch.Tensor, shape (n_samples, n_units), on the CPU
    """
    n, v = xz.shape
    n_units = weights.shape[0]
    out = torch.empty((n, n_units), dtype=xz.dtype)
    for start in range(0, n_units, chunk_size):
        chunk = slice(start, min(start + chunk_size, n_units))
        w = weights[chunk].to(device=xz.device, dtype=xz.dtype)
        if voxel_index is not None:
            dense = torch.zeros((w.shape[0], v), dtype=xz.dtype, device=xz.device)
            dense.scatter_(1, voxel_index[chunk].to(device=xz.device, dtype=torch.int64), w)
            w = dense
        b = bias[chunk].to(device=xz.device, dtype=xz.dtype)
        out[:, chunk] = torch.addmm(b[None, :], xz, w.T).cpu()
    return out


class RidgeProblem:
    """The voxel side of a decoder, prepared once, fitted to any number of unit blocks.

    Parameters
    ----------
    xz : torch.Tensor, shape (n_samples, n_voxels)
        z-scored voxels on the compute device.
    valid_voxels : torch.Tensor of bool, shape (n_voxels,)
        Voxels that may be selected on merit.
    alpha : float
        Ridge penalty.
    n_select : int or None
        Voxels per unit, or None for all voxels (no selection).
    chunk_size : int
        Units solved per batch.
    """

    def __init__(self, xz: torch.Tensor, valid_voxels: torch.Tensor, alpha: float,
                 n_select: int | None, chunk_size: int) -> None:  # fmt: skip
        self.xz, self.valid, self.alpha = xz, valid_voxels, alpha
        self.n_select, self.chunk_size = n_select, chunk_size
        # The O(n v^2) part, shared by every unit block of the job.
        self._system = augmented_gram(xz, alpha) if n_select is not None else full_system(xz, alpha)

    def fit(
        self,
        y: torch.Tensor,
        y_stats: tuple[torch.Tensor, torch.Tensor],
        sample_index: torch.Tensor | None = None,
        progress: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Weights, voxel index (None without selection) and bias of the units of `y`.

        `y`, `y_stats` and `sample_index` are as in :func:`fit_selected`.
        """
        if self.n_select is None:
            weights, bias = fit_full(self.xz, y, y_stats, self.alpha, self.chunk_size, progress,
                                     sample_index, self._system)  # fmt: skip
            return weights, None, bias
        return fit_selected(self.xz, y, y_stats, self.alpha, self.n_select, self.valid,
                            self.chunk_size, progress, sample_index, self._system)  # fmt: skip
