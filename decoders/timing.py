"""Per-frame samples of a movie session: the volumes some seconds after each frame's onset.

A movie session holds one sample per volume (TR). Its ``Block`` column numbers the frame
presentations (0 during rest); the first volume of a block is that frame's onset. The
haemodynamic response peaks 4-6 s after a stimulus, so a frame's sample is formed by the
volumes ``delays_s`` after its onset, concatenated (voxels x delays columns).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def frame_onsets(blocks: np.ndarray, runs: np.ndarray | None = None) -> np.ndarray:
    """Indices of the volumes where a frame presentation starts.

    Parameters
    ----------
    blocks : ndarray (n_volumes,)
        Presentation number of each volume, 0 for rest.
    runs : ndarray (n_volumes,), optional
        Run of each volume; a block continuing across a run boundary starts anew.
    """
    blocks = np.asarray(blocks).ravel()
    runs = np.zeros_like(blocks) if runs is None else np.asarray(runs).ravel()
    new = np.ones(len(blocks), bool)
    new[1:] = (blocks[1:] != blocks[:-1]) | (runs[1:] != runs[:-1])
    return np.flatnonzero(new & (blocks != 0))


def lagged_samples(volumes: np.ndarray, labels: Sequence[str], blocks: np.ndarray,
                   runs: np.ndarray | None, tr_s: float, delays_s: Sequence[float],
                   source: str = "the session") -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """One sample per presented frame: the volumes ``delays_s`` after its onset, concatenated.

    Parameters
    ----------
    volumes : ndarray (n_volumes, n_voxels)
    labels : sequence of str
        Label of each volume (the frame on screen; any name during rest).
    blocks, runs : ndarray (n_volumes,)
        See :func:`frame_onsets`.
    tr_s : float
        Seconds between volumes.
    delays_s : sequence of float
        Delays after a frame's onset, in seconds (multiples of ``tr_s``).
    source : str
        How errors name the session (its file).

    Returns
    -------
    X : ndarray (n_frames_shown, n_voxels * len(delays_s))
        Delay-major columns: all voxels at the first delay, then at the second, ...
    labels : list of str
        The frame of each sample.

    Raises
    ------
    ValueError
        When a delay is not a whole number of TRs, or a frame's delayed volume lies past the
        end of its run (naming the session, the frame and the fix).
    """
    volumes = np.asarray(volumes)
    if len(labels) != len(volumes) or len(np.ravel(blocks)) != len(volumes):
        raise ValueError(f"{source}: {len(volumes)} volumes but {len(labels)} labels and "
                         f"{len(np.ravel(blocks))} block numbers; the file is incomplete")  # fmt: skip
    lags = [d / tr_s for d in delays_s]
    if not lags or any(abs(lag - round(lag)) > 1e-6 or lag < 0 for lag in lags):
        raise ValueError(f"movie.delays_s {list(delays_s)} must be non-negative multiples of the TR "
                         f"({tr_s} s); fix movie.delays_s or movie.tr_s")  # fmt: skip
    lags = [round(lag) for lag in lags]
    runs_v = np.zeros(len(volumes), int) if runs is None else np.asarray(runs).ravel()
    onsets = frame_onsets(blocks, runs_v)
    if len(onsets) == 0:
        raise ValueError(f"{source}: no frame onsets (every Block is 0); a movie session numbers "
                         "its frame presentations in 'Block'")  # fmt: skip
    last = onsets + max(lags)
    late = (last >= len(volumes)) | (runs_v[np.minimum(last, len(volumes) - 1)] != runs_v[onsets])
    if late.any():
        first = int(onsets[late][0])
        raise ValueError(f"{source}: {int(late.sum())} frame(s) (first: {labels[first]!r} at volume "
                         f"{first}) have no volume {max(delays_s)} s after their onset in their run; "
                         "the session must go on after its last frame (rest), or lower "
                         "movie.delays_s")  # fmt: skip
    X = np.concatenate([volumes[onsets + lag] for lag in lags], axis=1)
    return X, [labels[i] for i in onsets]
