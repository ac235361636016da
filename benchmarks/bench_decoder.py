"""Benchmark: units fitted per second by FastL2Decoder vs fastl2lir, and peak memory of a big fit.

Setting (issue 3): n_samples=1200, n_voxels=4000, n=500 voxels per unit, alpha=100, 512 units.
Both fit the same z-scored data; the agreement of their predictions is reported with the
speed. The peak memory of a 100,000-unit fit is measured in a child process, so that it is
not polluted by this process. The last line is machine-readable:

    decoder_bench speedup=X ours_units_per_s=A fastl2lir_units_per_s=B max_rel_diff=D peak_rss_mb_100k=M
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

from decoders.regression import FastL2Decoder

N_SAMPLES, N_VOXELS, N_SELECT, ALPHA, N_UNITS = 1200, 4000, 500, 100.0, 512


def make_data(n_units: int, seed: int = 0, dtype=np.float64) -> tuple[np.ndarray, ...]:
    """Voxels (train, test) and features linear in 50 voxels plus noise, built in `dtype`."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_SAMPLES + 50, N_VOXELS), dtype=dtype)
    W = rng.standard_normal((50, n_units), dtype=dtype) / 7.0
    Y = X[:N_SAMPLES, :50] @ W
    # Noise added in place by column blocks: a full-size temporary would dominate peak RSS.
    for start in range(0, n_units, 8192):
        block = Y[:, start : start + 8192]
        block += rng.standard_normal(block.shape, dtype=dtype)
    return X[:N_SAMPLES], Y, X[N_SAMPLES:]


def time_fastl2lir(X, Y, X_test) -> tuple[float, np.ndarray]:
    """Fit fastl2lir as the authors do (z-scored X and Y, ddof 1); return seconds, predictions."""
    from fastl2lir import FastL2LiR  # benchmark dependency; fail loudly if missing

    xm, xs = X.mean(0), X.std(0, ddof=1)
    ym, ys = Y.mean(0), Y.std(0, ddof=1)
    xz, yz = (X - xm) / xs, (Y - ym) / ys
    model = FastL2LiR()
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(xz, yz, alpha=ALPHA, n_feat=N_SELECT)
        seconds = time.perf_counter() - start
        pred = model.predict((X_test - xm) / xs) * ys + ym
    return seconds, pred


def time_ours(X, Y, X_test, dtype: str, device: str) -> tuple[float, np.ndarray]:
    """Fit FastL2Decoder; return seconds, predictions."""
    model = FastL2Decoder(alpha=ALPHA, n_voxels=N_SELECT, dtype=dtype, device=device)
    start = time.perf_counter()
    model.fit(X, Y)
    seconds = time.perf_counter() - start
    return seconds, model.predict(X_test)


def child_fit(n_units: int, device: str) -> None:
    """Fit n_units units (float32 data) in this process; the parent reads our peak RSS."""
    X, Y, _ = make_data(n_units, seed=1, dtype=np.float32)
    data_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    FastL2Decoder(alpha=ALPHA, n_voxels=N_SELECT, device=device).fit(X, Y)
    seconds = time.perf_counter() - start
    print(
        f"{n_units} units fitted in {seconds:.1f} s ({n_units / seconds:.0f} units/s); "
        f"peak RSS before the fit (interpreter + data) {data_peak_mb:.0f} MB"
    )


def peak_rss_of_child(n_units: int, device: str) -> tuple[float, str]:
    """Run :func:`child_fit` in a subprocess; return its peak RSS in MB and its output."""
    cmd = [sys.executable, __file__, "--child", str(n_units), "--device", device]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"100k-unit child failed:\n{done.stderr}")
    # ru_maxrss of children is in KiB on Linux: the largest child, i.e. this one.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device of our decoder")
    parser.add_argument("--big-units", type=int, default=100_000, help="units of the memory fit")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child_fit(args.child, args.device)
        return

    # The child first: Linux carries the parent's RSS high-water mark into a child across
    # fork/exec, so measuring it after our own big fits would report our peak, not its own.
    peak_mb, child_out = peak_rss_of_child(args.big_units, args.device)
    X, Y, X_test = make_data(N_UNITS)
    time_ours(X[:100], Y[:100, :8], X_test, "float32", args.device)  # warm up torch kernels
    t_ref, ref = time_fastl2lir(X, Y, X_test)
    t32, p32 = time_ours(X, Y, X_test, "float32", args.device)
    t64, p64 = time_ours(X, Y, X_test, "float64", args.device)
    diff32 = float(np.abs(p32 - ref).max() / np.abs(ref).max())
    diff64 = float(np.abs(p64 - ref).max() / np.abs(ref).max())

    print(
        f"setting: n_samples={N_SAMPLES} n_voxels={N_VOXELS} n={N_SELECT} alpha={ALPHA:g} units={N_UNITS}"
    )
    print(f"{'':24}{'seconds':>10}{'units/s':>12}{'speedup':>10}{'max_rel_diff':>14}")
    rows = [
        ("fastl2lir 0.11 (f64)", t_ref, 1.0, 0.0),
        (f"ours float32 ({args.device})", t32, t_ref / t32, diff32),
        (f"ours float64 ({args.device})", t64, t_ref / t64, diff64),
    ]
    for name, seconds, speedup, diff in rows:
        print(f"{name:24}{seconds:10.2f}{N_UNITS / seconds:12.1f}{speedup:10.1f}{diff:14.2e}")
    print(
        f"peak RSS of a {args.big_units}-unit fit (float32, child process): {peak_mb:.0f} MB; {child_out}"
    )
    print(
        f"decoder_bench speedup={t_ref / t32:.2f} ours_units_per_s={N_UNITS / t32:.1f} "
        f"fastl2lir_units_per_s={N_UNITS / t_ref:.1f} max_rel_diff={diff32:.2e} "
        f"peak_rss_mb_100k={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
