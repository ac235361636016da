"""Simulated movie study: clips made offline and voxel responses through a haemodynamic response.

- Clips: coloured shapes moving over a smooth still background, and slow pans and zooms
  across the photos shipped with Python packages (:mod:`pipeline.simulated.photos`).
- Responses: the simulated voxels' responses to each frame (:mod:`pipeline.simulated.voxel_model`)
  form a neural time course (frames of ``frame_s`` seconds, clips separated by rest), convolved
  with the canonical double-gamma HRF, sampled every ``tr_s`` seconds, plus Gaussian noise of
  each voxel's SNR, so responses lag and blur in time as real fMRI does.
- Per-frame samples: the volumes ``delays_s`` seconds after each frame's onset, concatenated
  (:func:`decoders.timing.lagged_samples`, as the workflow's decoders read them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.stats import gamma

from common.files import atomic_path
from decoders.timing import lagged_samples
from pipeline.movie_sets import frame_labels
from pipeline.simulated.artificial import COLOURS
from pipeline.simulated.config import ModelConfig, MoviesConfig
from pipeline.simulated.gabor import Energy, stimulus_energy
from pipeline.simulated.photos import CATALOGUE, load_photo
from pipeline.simulated.voxel_model import VoxelPopulation, voxel_signal

#: Unit steps of the eight directions of motion (dy, dx), image rows pointing down.
DIRECTIONS = np.array([(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)]) / \
    np.array([1, np.sqrt(2), 1, np.sqrt(2), 1, np.sqrt(2), 1, np.sqrt(2)])[:, None]  # fmt: skip


def _background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random colour background (size, size, 3) in 40..215."""
    coarse = rng.uniform(40, 215, (3, 3, 3)).astype(np.float32)
    return np.stack([np.asarray(Image.fromarray(coarse[..., c]).resize((size, size), Image.Resampling.BICUBIC))
                     for c in range(3)], -1).clip(0, 255)  # fmt: skip


def moving_shape_clips(n_clips: int, n_frames: int, size: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Squares and discs of the shape-set colours moving in one of 8 directions.

    Returns
    -------
    clips : ndarray uint8 (n_clips, n_frames, size, size, 3)
    directions : ndarray (n_clips, 2)
        Unit (dy, dx) of each clip's motion.
    """
    colours = np.array([c for name, c in COLOURS.items() if name not in ("white", "black")], float)
    clips = np.zeros((n_clips, n_frames, size, size, 3), np.float32)
    directions = DIRECTIONS[rng.integers(0, len(DIRECTIONS), n_clips)]
    yy, xx = np.mgrid[:size, :size] + 0.5
    for i in range(n_clips):
        background, colour = _background(size, rng), colours[rng.integers(len(colours))]
        radius = size * rng.uniform(0.12, 0.18)
        travel = size * 0.45  # centre moves 45 % of the frame over the clip, through the middle
        start = size / 2 - directions[i] * travel / 2 + rng.uniform(-0.08, 0.08, 2) * size
        disc = rng.random() < 0.5
        for t in range(n_frames):
            cy, cx = start + directions[i] * travel * t / max(n_frames - 1, 1)
            inside = ((yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2) if disc else \
                (np.abs(yy - cy) <= radius * 0.9) & (np.abs(xx - cx) <= radius * 0.9)  # fmt: skip
            clips[i, t] = np.where(inside[..., None], colour, background)
    return clips.round().astype(np.uint8), directions


def pan_zoom_clips(photos: list[str], n_clips: int, n_frames: int, size: int,
                   rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Slow pans (a window sliding across a photo) and zooms (a window shrinking or growing
    about a point), alternately, each on a photo drawn from ``photos``.

    Returns
    -------
    ndarray uint8 (n_clips, n_frames, size, size, 3)
    """
    clips = np.zeros((n_clips, n_frames, size, size, 3), np.uint8)
    for i in range(n_clips):
        photo = load_photo(photos[rng.integers(len(photos))])
        h, w = photo.shape[:2]
        short = min(h, w)
        if i % 2 == 0:  # pan: a fixed window sliding by a third of its side
            side = short * rng.uniform(0.45, 0.65)
            step = DIRECTIONS[rng.integers(len(DIRECTIONS))] * side / 3
            centre0 = np.array([h, w]) / 2 - step / 2 + rng.uniform(-0.1, 0.1, 2) * short
            windows = [(centre0 + step * t / max(n_frames - 1, 1), side) for t in range(n_frames)]
        else:  # zoom in or out by a factor 1.6
            side0 = short * rng.uniform(0.5, 0.8)
            factor = 1.6 ** (1 if rng.random() < 0.5 else -1)
            centre = np.array([h, w]) / 2 + rng.uniform(-0.1, 0.1, 2) * short
            windows = [(centre, side0 / factor ** (t / max(n_frames - 1, 1))) for t in range(n_frames)]
        for t, (centre, side) in enumerate(windows):
            side = min(side, short)
            cy = np.clip(centre[0], side / 2, h - side / 2)
            cx = np.clip(centre[1], side / 2, w - side / 2)
            box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
            clips[i, t] = np.asarray(Image.fromarray(photo).resize((size, size), Image.Resampling.BICUBIC, box=box))
    return clips


def double_gamma_hrf(tr_s: float, length_s: float = 32.0) -> np.ndarray:
    """The canonical (SPM) double-gamma HRF sampled every ``tr_s`` seconds, summing to 1:
    a gamma peaking at 5 s (shape 6) minus 1/6 of a gamma peaking at 15 s (shape 16)."""
    t = np.arange(0, length_s, tr_s)
    hrf = gamma.pdf(t, 6) - gamma.pdf(t, 16) / 6.0
    return hrf / hrf.sum()


@dataclass(frozen=True)
class MovieDesign:
    """Timing of a movie session.

    Attributes
    ----------
    frame_s : float
        Seconds each frame is shown (a multiple of ``tr_s``).
    tr_s : float
        Seconds between volumes.
    rest_s : float
        Seconds of rest (mean grey drive) after every clip.
    delays_s : tuple of float
        Delays after a frame's onset of the volumes that form its sample.
    """

    frame_s: float = 2.0
    tr_s: float = 1.0
    rest_s: float = 6.0
    delays_s: tuple[float, ...] = (5.0, 6.0)


@dataclass(frozen=True)
class MovieVolumes:
    """The volumes of a movie session, as an fMRI file holds them.

    Attributes
    ----------
    volumes : ndarray (n_volumes, n_voxels)
        One sample every ``tr_s`` seconds.
    frame : ndarray of int (n_volumes,)
        Frame on screen (row of the frame signal), -1 during rest.
    block : ndarray of int (n_volumes,)
        Presentation number of the frame on screen (from 1), 0 during rest; a frame's onset
        is the first volume of its block (:func:`decoders.timing.frame_onsets`).
    """

    volumes: np.ndarray
    frame: np.ndarray
    block: np.ndarray


def movie_volumes(frame_signal: np.ndarray, n_frames: int, order: np.ndarray, pop: VoxelPopulation,
                  design: MovieDesign, rng: np.random.Generator) -> MovieVolumes:  # fmt: skip
    """The volumes of one session: frames shown in clip ``order``, through the HRF, with noise.

    Parameters
    ----------
    frame_signal : ndarray (n_clips * n_frames, n_voxels)
        Standardised noise-free voxel responses to every frame (clip-major).
    n_frames : int
        Frames per clip.
    order : ndarray of int
        Clips in presentation order (a clip may appear several times).
    pop : VoxelPopulation
        SNR, gain and baseline of each voxel.
    design : MovieDesign
    rng : numpy.random.Generator
        Source of the noise.
    """
    per_frame = round(design.frame_s / design.tr_s)
    rest = round(design.rest_s / design.tr_s)
    hrf = double_gamma_hrf(design.tr_s)
    block = n_frames * per_frame + rest
    n_vol = len(order) * block + len(hrf)
    drive = np.zeros((n_vol, frame_signal.shape[1]))
    frame, blocks = np.full(n_vol, -1), np.zeros(n_vol, int)
    for k, clip in enumerate(order):
        for t in range(n_frames):
            onset = k * block + t * per_frame
            drive[onset:onset + per_frame] = frame_signal[clip * n_frames + t]
            frame[onset:onset + per_frame] = clip * n_frames + t
            blocks[onset:onset + per_frame] = k * n_frames + t + 1
    # Convolve every voxel's time course with the HRF (causal, same length).
    bold = np.apply_along_axis(lambda v: np.convolve(v, hrf)[:n_vol], 0, drive)
    volumes = pop.baseline + pop.gain * (bold * pop.snr + rng.standard_normal(bold.shape))
    return MovieVolumes(volumes, frame, blocks)


def movie_session(frame_signal: np.ndarray, n_frames: int, order: np.ndarray, pop: VoxelPopulation,
                  design: MovieDesign, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per-frame samples of one session (:func:`movie_volumes`, then the volumes
    ``design.delays_s`` after each frame's onset, as the workflow's decoders read them).

    Returns
    -------
    samples : ndarray (len(order) * n_frames, n_voxels * len(delays_s))
        One sample per presented frame, in presentation order.
    frame_index : ndarray of int
        The frame (row of ``frame_signal``) of each sample.
    """
    session = movie_volumes(frame_signal, n_frames, order, pop, design, rng)
    samples, frames = lagged_samples(session.volumes, [str(f) for f in session.frame], session.block, None,
                                     design.tr_s, design.delays_s)  # fmt: skip
    return samples, np.array([int(f) for f in frames])


#: Movie set name -> BData file stem part, like the image sets' (:data:`pipeline.simulated.stimuli.SETS`).
MOVIE_SETS: dict[str, str] = {"movie_training": "perceptionMovieTraining", "movie_test": "perceptionMovieTest"}
MOVIE_DIR = "movies"
#: What the rest volumes of a movie session are labelled.
REST_LABEL = "rest"


def make_movie_sets(movies: MoviesConfig, test_photos: tuple[str, ...]) -> dict[str, tuple[list[str], np.ndarray]]:
    """The training and test clips: set name -> (clip labels, clips (B, T, S, S, 3) uint8).

    Half of each set are moving shapes (``shapes-NN``), half pans and zooms (``photo-NN``),
    the test set's on ``test_photos`` only and the training set's on the other photos.
    """
    rng = np.random.default_rng(movies.seed)
    train_photos = [name for name in CATALOGUE if name not in test_photos]
    out = {}
    for name, n, photos in (("movie_training", movies.n_train, train_photos),
                            ("movie_test", movies.n_test, list(test_photos))):  # fmt: skip
        shapes, _ = moving_shape_clips(n // 2, movies.n_frames, movies.image_size, rng)
        scenes = pan_zoom_clips(photos, n - n // 2, movies.n_frames, movies.image_size, rng)
        labels = [f"shapes-{i:02d}" for i in range(n // 2)] + [f"photo-{i:02d}" for i in range(n - n // 2)]
        out[name] = (labels, np.concatenate([shapes, scenes]))
    return out


def write_movie_sets(sets: dict[str, tuple[list[str], np.ndarray]], movie_dir: str | Path) -> list[Path]:
    """Write every clip as a folder of PNG frames (lossless): ``<set>/<clip>/<t>.png``."""
    paths = []
    for name, (labels, clips) in sets.items():
        for label, clip in zip(labels, clips, strict=True):
            for t, frame in enumerate(clip):
                path = Path(movie_dir) / name / label / f"{t:03d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(path) as tmp:
                    Image.fromarray(frame).save(tmp, format="PNG")
                paths.append(path)
    return paths


def movie_energy(sets: dict[str, tuple[list[str], np.ndarray]], model: ModelConfig) -> Energy:
    """Gabor energy of every frame of the movie sets (in set order, clip-major), computed once
    for all subjects."""
    frames = np.concatenate([clips for _, clips in sets.values()])
    return stimulus_energy(frames.reshape(-1, *frames.shape[2:]), model, progress=False)


def movie_sessions(pop: VoxelPopulation, sets: dict[str, tuple[list[str], np.ndarray]], movies: MoviesConfig,
                   energy: Energy, rng: np.random.Generator) -> dict[str, tuple[MovieVolumes, list[str]]]:  # fmt: skip
    """Each movie set's session of one subject: set name -> (volumes, frame labels).

    The subject's voxels (``pop``) respond to every frame (``energy``, :func:`movie_energy`)
    as to an image, standardised on the training frames; every clip is shown ``train_reps`` /
    ``test_reps`` times, each repetition a fresh random order.
    """
    counts = [len(clips) * movies.n_frames for _, clips in sets.values()]
    reference = np.zeros(sum(counts), bool)
    reference[:counts[0]] = True  # the first set (training) sets each voxel's response scale
    signal = voxel_signal(pop, energy, reference)
    design = MovieDesign(frame_s=movies.frame_s, tr_s=movies.tr_s, rest_s=movies.rest_s)
    reps = {"movie_training": movies.train_reps, "movie_test": movies.test_reps}
    out, start = {}, 0
    for (name, (labels, clips)), count in zip(sets.items(), counts, strict=True):
        order = np.concatenate([rng.permutation(len(clips)) for _ in range(reps[name])])
        volumes = movie_volumes(signal[start:start + count], movies.n_frames, order, pop, design, rng)
        out[name] = (volumes, frame_labels(labels, movies.n_frames))
        start += count
    return out
