"""Box-bounded L-BFGS for a batch of reconstructions, one scipy L-BFGS-B run per image.

Each image keeps its own scipy ``L-BFGS-B`` state (exactly the reference optimiser, memory 10),
running in a worker thread. Its objective calls block until every running image has asked for
an evaluation; then the main thread evaluates all of them in ONE batched forward/backward pass.
So a batch costs one network pass per round instead of one per image, and each image follows
the same path as when run alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import torch
from tqdm.auto import tqdm

from icnn.recon.checks import check_int, check_number

# (variables of some images (k, ...), their indices (k,)) -> (losses (k,), gradients (k, ...))
BatchValueAndGrad = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class LBFGSOptions:
    """Settings of the L-BFGS variants (icnn_lbfgs, icnn_dgn_lbfgs).

    Parameters
    ----------
    n_iter : int
        Maximum L-BFGS iterations (scipy ``maxiter``).
    memory : int
        Number of correction pairs kept (scipy ``maxcor``; 10 in the reference).
    max_fun : int, optional
        Maximum function evaluations (scipy ``maxfun``); default: scipy's.
    ftol, gtol : float
        scipy's stopping tolerances (its defaults).
    """

    n_iter: int = 200
    memory: int = 10
    max_fun: int | None = None
    ftol: float = 2.220446049250313e-09
    gtol: float = 1e-05

    def __post_init__(self) -> None:
        check_int("LBFGSOptions", "n_iter", self.n_iter, 1)
        check_int("LBFGSOptions", "memory", self.memory, 1)
        if self.max_fun is not None:
            check_int("LBFGSOptions", "max_fun", self.max_fun, 1)
        check_number("LBFGSOptions", "ftol", self.ftol, 0.0)
        check_number("LBFGSOptions", "gtol", self.gtol, 0.0)


class _Rendezvous:
    """Collects the evaluation requests of the worker threads for one batched evaluation."""

    def __init__(self, n: int) -> None:
        self.cond = threading.Condition()
        self.running = set(range(n))
        self.requests: dict[int, np.ndarray] = {}
        self.results: dict[int, tuple[float, np.ndarray]] = {}
        self.error: BaseException | None = None

    def ask(self, i: int, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Worker side: submit ``x`` for image i and wait for its loss and gradient."""
        with self.cond:
            self.requests[i] = x
            self.cond.notify_all()
            while i not in self.results and self.error is None:
                self.cond.wait()
            if self.error is not None:
                raise RuntimeError("batched evaluation failed") from self.error
            return self.results.pop(i)

    def leave(self, i: int) -> None:
        """Worker side: image i has finished."""
        with self.cond:
            self.running.discard(i)
            self.cond.notify_all()

    def next_round(self) -> dict[int, np.ndarray] | None:
        """Main side: wait until every running image has a request; None when all are done."""
        with self.cond:
            while self.running and not self.running <= set(self.requests):
                self.cond.wait()
            if not self.running:
                return None
            batch, self.requests = self.requests, {}
            return batch

    def answer(self, results: dict[int, tuple[float, np.ndarray]]) -> None:
        with self.cond:
            self.results.update(results)
            self.cond.notify_all()

    def fail(self, error: BaseException) -> None:
        with self.cond:
            self.error = error
            self.cond.notify_all()


def run_lbfgs(
    value_and_grad: BatchValueAndGrad,
    var0: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    options: LBFGSOptions,
    snapshot_every: int | None = None,
    progress: bool = True,
) -> tuple[torch.Tensor, np.ndarray, dict[int, torch.Tensor]]:
    """Minimise each image's loss with L-BFGS-B inside the box [lower, upper].

    Parameters
    ----------
    value_and_grad : callable
        ``(var (k, ...), index (k,)) -> (loss (k,), grad (k, ...))`` for a subset of images.
    var0 : Tensor (B, ...)
        Initial variables; they are clipped into the box (a start outside makes L-BFGS-B stop).
    lower, upper : Tensor
        Bounds broadcastable to one image's variable (use +-inf for none).
    options : LBFGSOptions
    snapshot_every : int, optional
        Keep the variables every this many iterations (an image that stopped keeps its last).
    progress : bool
        Show a progress bar.

    Returns
    -------
    var : Tensor (B, ...)
        Final variables.
    history : ndarray (B, n_iter)
        Loss after each iteration; NaN after an image converged.
    snapshots : dict of int to Tensor
    """
    batch, shape = var0.shape[0], tuple(var0.shape[1:])
    device, dtype = var0.device, var0.dtype
    lo = torch.broadcast_to(lower, shape).double().cpu().numpy().ravel()
    hi = torch.broadcast_to(upper, shape).double().cpu().numpy().ravel()
    bounds = scipy.optimize.Bounds(lo, hi)
    start = np.clip(var0.detach().double().cpu().numpy().reshape(batch, -1), lo, hi)
    history = np.full((batch, options.n_iter), np.nan)
    iterations = np.zeros(batch, dtype=int)
    finals: list[np.ndarray] = list(start)
    kept: dict[int, dict[int, np.ndarray]] = {}
    rendezvous = _Rendezvous(batch)
    scipy_options = {"maxiter": options.n_iter, "maxcor": options.memory,
                     "ftol": options.ftol, "gtol": options.gtol}  # fmt: skip
    if options.max_fun is not None:
        scipy_options["maxfun"] = options.max_fun

    def worker(i: int) -> None:
        def on_iteration(intermediate_result: scipy.optimize.OptimizeResult) -> None:
            k = iterations[i]
            history[i, k] = intermediate_result.fun
            iterations[i] = k + 1
            if snapshot_every and (k + 1) % snapshot_every == 0:
                kept.setdefault(k + 1, {})[i] = intermediate_result.x.copy()

        try:
            result = scipy.optimize.minimize(
                lambda x: rendezvous.ask(i, x), start[i], jac=True, method="L-BFGS-B",
                bounds=bounds, options=scipy_options, callback=on_iteration,
            )  # fmt: skip
            finals[i] = result.x
        except RuntimeError:
            pass  # the main thread holds and re-raises the cause
        finally:
            rendezvous.leave(i)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(batch)]
    for thread in threads:
        thread.start()
    bar = tqdm(total=batch * options.n_iter, desc="icnn lbfgs", disable=not progress, leave=False)
    try:
        while (requests := rendezvous.next_round()) is not None:
            index = sorted(requests)
            var = torch.as_tensor(np.stack([requests[i] for i in index]), device=device,
                                  dtype=dtype).reshape(len(index), *shape)  # fmt: skip
            loss, grad = value_and_grad(var, torch.as_tensor(index, device=device))
            loss_np = loss.double().cpu().numpy()
            grad_np = grad.double().cpu().numpy().reshape(len(index), -1)
            rendezvous.answer({i: (float(loss_np[k]), grad_np[k]) for k, i in enumerate(index)})
            bar.update(int(iterations.sum()) - bar.n)
    except BaseException as error:
        rendezvous.fail(error)
        raise
    finally:
        for thread in threads:
            thread.join()
        bar.close()

    def to_tensor(rows: list[np.ndarray]) -> torch.Tensor:
        return torch.as_tensor(np.stack(rows), device=device, dtype=dtype).reshape(batch, *shape)

    snapshots: dict[int, torch.Tensor] = {}
    last = list(start)
    for k in sorted(kept):
        last = [kept[k].get(i, finals[i] if iterations[i] < k else last[i]) for i in range(batch)]
        snapshots[k] = to_tensor(last)
    return to_tensor(finals), history, snapshots
