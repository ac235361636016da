"""Memory (``mem_mb``) and runtime (minutes) of every workflow job, from the sizes it handles.

The formulas count the arrays each stage holds at its peak (see the stage functions) and
the operations it does, with rates measured by ``benchmarks/bench_scale.py`` on a CPU core;
:class:`WorkflowResources` turns them into the Snakemake callables the rules use. Sizes come
from the config (layer shapes on the meta device, ``icnn.networks.registry.layer_shapes``)
and from the input files' headers once they exist; before that (a dry run before any
download), from the study's sizes (:data:`STUDY`). A job that runs out of memory is retried
by Snakemake (``--retries``) with ``attempt`` times the memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import h5py

from decoders.feature_store import CHUNK_IMAGES
from decoders.shards import DEFAULT_SHARD_UNITS, layer_shards, slab_units

if TYPE_CHECKING:
    from pipeline.simulated.config import DemoConfig

MB = 1 << 20
#: Python, torch, h5py and NumPy loaded, before any data.
BASE_MB = 700
#: Sustained float32 rates of one CPU core (bench_scale.py on the 2-core development machine,
#: shared): large matrix products (the Gram matrix: 42e9), and the decoder's per-unit work
#: (:func:`decoder_unit_ops`: 7.9 core-ms per conv1_1 unit at the study's sizes).
FLOPS_PER_CORE = 40e9
SOLVE_OPS_PER_CORE = 9e9
BYTES_PER_CORE = 2e9
#: Forward + input-gradient passes through VGG19's conv layers at 224 px (bench_icnn.py).
RECON_FLOP_224 = 78e9
#: Reconstruction memory, fitted by ``bench_icnn.py --recon-memory`` (peak RSS at 224 px,
#: VGG19's 19 layers, 14.9 M units, one thread; 1-4 images per job and per pass; the larger
#: figure of two runs): peak = fixed (Python, torch, the weights: 548 MB) + per image of a
#: pass (activations and their gradients: 282 MB) + per image of the job (targets and
#: optimiser state: 87 MB), the last two per unit of the encoder's layers. The DGN variants add
#: the generator's weights (215-222 MB measured) and its activations (1.4 M units per image,
#: with their gradients about 20 MB, counted: below the measurement's noise).
RECON_FIXED_MB = 1029
RECON_PASS_BYTES_PER_UNIT = 282 * MB / 14_861_288
RECON_JOB_BYTES_PER_UNIT = 87 * MB / 14_861_288
GENERATOR_FIXED_MB = 222
#: VGG19's 16 conv layers in float32 (20 M weights).
VGG19_CONV_WEIGHTS_MB = 80
GENERATOR_PASS_MB = 20


@dataclass(frozen=True)
class Sizes:
    """The sizes of a decoding job."""

    samples: int
    voxels: int
    images: int


#: Shen et al. 2019's training session (1,200 images x 5, VC), used before files exist.
STUDY = Sizes(samples=6000, voxels=11_700, images=1200)
STUDY_TEST = Sizes(samples=1750, voxels=11_700, images=50)


def _mb(n_bytes: float, margin: float = 1.3) -> int:
    return int(math.ceil(BASE_MB + margin * n_bytes / MB))


def _minutes(seconds: float) -> int:
    # Twice the estimate (slower nodes, shared file systems), at least 5 minutes.
    return max(5, int(math.ceil(2 * seconds / 60)))


def train_decoder_mb(sizes: Sizes, units: int, k: int | None, chunk_size: int, threads: int,
                     feature_bytes: int = 4) -> int:  # fmt: skip
    """Peak memory of fitting `units` units of a decoder (one shard), MB.

    The larger of two phases. Loading: the session as read (float64, all columns), the
    ROI's X, one temporary and the z-scored copy. Solving: X and its z-scored copy, the Gram
    matrix and image sums, a slab of image rows (or its float64 statistics block), the
    chunks being solved (one per thread: Gram sub-matrices and their factors) and the slab's
    results. bench_scale.py measured 3.4 GB for conv1_1 at the study's sizes (this gives 4.1).
    """
    s, v, n = sizes.samples, sizes.voxels, sizes.images
    selected = k is not None and k < v
    k_eff = k if selected else v
    loading = s * v * (8 + 8 + 8 + 4)
    slab = slab_units(n, units, 1)
    features = max(slab * n * feature_bytes, s * 8 * min(slab, 8192))
    if selected:
        solver = (v + 1) ** 2 * 4 + n * v * 4 + threads * chunk_size * ((k + 1) ** 2 * 4 * 2 + v * 4 * 2)
    else:
        solver = (min(s, v) + 1) ** 2 * 4 * 2 + s * (v + 1) * 4
    solving = s * v * (8 + 4) + features + solver + slab * k_eff * 8
    return _mb(max(loading, solving), margin=1.15)


def train_decoder_minutes(sizes: Sizes, units: int, k: int | None, threads: int) -> int:
    """Runtime of fitting `units` units: Gram matrix, then per unit the voxel-unit
    correlations over images, the Gram sub-matrix gather and its Cholesky solve."""
    s, v, n = sizes.samples, sizes.voxels, sizes.images
    gram = 2.0 * s * v * v
    if k is None or k >= v:
        per_unit = 2.0 * (s + 1) * (v + 1)
        gram += min(s, v) ** 3 / 3
    else:
        per_unit = decoder_unit_ops(n, v, k)
    seconds = gram / FLOPS_PER_CORE + units * per_unit / SOLVE_OPS_PER_CORE
    return _minutes(seconds / threads)


def decoder_unit_ops(images: int, voxels: int, k: int) -> float:
    """Operations per unit of a selective fit: correlations over images, Cholesky and
    triangular solves of the (k+1)-square system, and its gather (counted per byte)."""
    return 2.0 * images * voxels + k**3 / 3 + 2.0 * k * k + 8.0 * (k + 1) ** 2


def decode_mb(test: Sizes, layer_units: Mapping[str, int], k: int | None) -> int:
    """Decoding every layer of one subject and ROI: test X, one block of weights at a time,
    and one layer's decoded features (and their copy in image order): each layer is written
    to the store as soon as it is decoded."""
    k_eff = test.voxels if k is None else min(k, test.voxels)
    weights = 2 * (256 * MB // (4 * k_eff)) * k_eff * 8
    decoded = 2 * test.images * max(layer_units.values()) * 4
    return _mb(test.samples * test.voxels * 16 + weights + decoded)


def decode_minutes(test: Sizes, layer_units: Mapping[str, int], k: int | None) -> int:
    """Reading the weights and one product per unit chunk."""
    k_eff = test.voxels if k is None else min(k, test.voxels)
    units = sum(layer_units.values())
    return _minutes(units * (k_eff * 8 / BYTES_PER_CORE + 2.0 * test.images * test.voxels / FLOPS_PER_CORE))


def true_features_mb(images_per_batch: int, total_units: int, weights_mb: float = 600) -> int:
    """One batch through the encoder: its activations (with ReLU and pooling outputs, about
    3x the named layers' units) and the weights."""
    return _mb(images_per_batch * total_units * 4 * 3 + weights_mb * MB)


def true_features_minutes(images: int, image_size: int, threads: int) -> int:
    """Forward passes only (a third of a reconstruction step's forward + backward)."""
    flop = images * RECON_FLOP_224 / 3 * (image_size / 224) ** 2
    return _minutes(flop / FLOPS_PER_CORE / threads)


def feature_stats_mb(max_layer_units: int) -> int:
    """A store chunk of images of the largest layer, in float64, and its temporaries."""
    return _mb(CHUNK_IMAGES * max_layer_units * 8 * 3 + max_layer_units * 8)


def scores_mb(images: int, max_layer_units: int) -> int:
    """Decoded and true features of the largest layer with float64 temporaries."""
    return _mb(images * max_layer_units * 8 * 4)


def reconstruct_mb(images_per_pass: int, images: int, total_units: int, layer_units: int,
                   generator: bool) -> int:  # fmt: skip
    """Peak memory of a reconstruction job, MB (the model of ``bench_icnn.py --recon-memory``).

    Parameters
    ----------
    images_per_pass : int
        Images per forward/backward pass (``reconstruction.micro_batch``).
    images : int
        Images of the job (``reconstruction.images_per_job``).
    total_units : int
        Units of one image's features in all of the encoder's layers (its activations scale so).
    layer_units : int
        Units of one image's features in the matched layers (the targets).
    generator : bool
        Whether the variant optimises a generator's latent (DGN).

    Returns
    -------
    int
        The fitted peak plus 10 %.
    """
    per_pass = total_units * RECON_PASS_BYTES_PER_UNIT / MB + generator * GENERATOR_PASS_MB
    peak = (RECON_FIXED_MB + generator * GENERATOR_FIXED_MB + images * layer_units * RECON_JOB_BYTES_PER_UNIT / MB
            + images_per_pass * per_pass)  # fmt: skip
    return int(math.ceil(1.1 * peak))


def auto_micro_batch(budget_mb: int, images: int, total_units: int, layer_units: int, generator: bool) -> int:
    """The largest images per pass (at most `images`) whose :func:`reconstruct_mb` fits `budget_mb`.

    Raises
    ------
    ValueError
        When one image per pass does not fit: names the budget and what one image needs.
    """
    def need(per_pass: int) -> int:
        return reconstruct_mb(per_pass, images, total_units, layer_units, generator)

    if need(1) > budget_mb:
        raise ValueError(f"reconstruction.memory_budget_mb {budget_mb} is too small for micro_batch auto: one "
                         f"image per pass of a {images}-image job needs {need(1)} MB; raise the budget "
                         "or lower images_per_job")  # fmt: skip
    return max(p for p in range(1, images + 1) if need(p) <= budget_mb)


def reconstruct_minutes(images: int, n_iter: int, image_size: int, threads: int) -> int:
    """Forward + input-gradient passes of every image-iteration."""
    flop = images * n_iter * RECON_FLOP_224 * (image_size / 224) ** 2
    return _minutes(flop / FLOPS_PER_CORE / threads)


def simulation_mb(config: DemoConfig, part: str = "images") -> int:
    """Peak memory of building the simulated subjects' image or movie sessions, MB.

    The channel maps of every stimulus (every frame, for movies; float32: first- and
    second-order Gabor energy on their grids, and the deep-network channels) are held
    throughout. On top of them, the larger of VGG19's forward pass over a batch (when voxels
    pool its units: its weights and about three of its largest activations) and the pooling of
    one order's channels: a copy of the training stimuli's maps (to scale the channels), then
    each voxel's pRF over the grid (distances, profile, weights) and the pooled channels of
    every stimulus and voxel, twice (their product with the channel weights makes a temporary
    of that size).

    Parameters
    ----------
    config : DemoConfig
        The simulated dataset's configuration.
    part : {"images", "movies"}
        The build's part: the image sets, or the clips of the movies section.
    """
    from pipeline.simulated.dnn_channels import BATCH_IMAGES
    from pipeline.simulated.gabor import map_shapes
    from pipeline.simulated.stimuli import set_sizes
    from pipeline.simulated.voxel_model import drive_shares

    model = config.model
    if part == "images":
        sizes = set_sizes(config.stimuli)
        n, n_train = sum(sizes.values()), sizes["training"]
    elif part == "movies" and config.movies is not None:
        movies = config.movies
        n, n_train = (movies.n_train + movies.n_test) * movies.n_frames, movies.n_train * movies.n_frames
    else:
        raise ValueError(f"part must be 'images' or 'movies' (with a movies section), not {part!r}")
    grids = map_shapes(model)  # drive -> (channels, positions)
    voxels = {order: sum(count for roi, count in model.n_voxels.items() if drive_shares(model, roi)[order] > 0)
              for order in grids}  # fmt: skip
    maps = sum(n * channels * positions * 4 for channels, positions in grids.values())
    steps = [
        max(n_train * channels * positions * 4, voxels[order] * positions * 40 + 2 * n * channels * voxels[order] * 4)
        for order, (channels, positions) in grids.items()
    ]
    if model.dnn_channels is not None:
        steps.append(VGG19_CONV_WEIGHTS_MB * MB + 3 * BATCH_IMAGES * 64 * model.dnn_channels.input_size**2 * 4)
    return _mb(maps + max(steps), margin=1.15)


def simulation_threads(config: DemoConfig) -> int:
    """Threads of a simulated-data build: 2 when its voxels pool a deep network's units, else 1.

    VGG19's forward pass over every stimulus then dominates the build and scales with threads
    (429 stimuli to conv5_2 at 128 px: 89 s on 1 thread, 58 s on 2; at 224 px 299 s and
    175 s); the Gabor-energy model alone builds in about 30 s on one, beside other jobs.

    Parameters
    ----------
    config : DemoConfig
        The simulated dataset's configuration.
    """
    return 2 if config.model.dnn_channels is not None else 1


def session_sizes(path: str | os.PathLike, image_rows: int | None, fallback: Sizes) -> Sizes:
    """Samples and columns (an upper bound on an ROI's voxels) of a BData file, and images.

    Reads the HDF5 header only; `fallback` when the file does not exist yet.
    """
    if not os.path.exists(path):
        return fallback
    with h5py.File(path, "r") as h5:
        samples, columns = h5["dataset" if "dataset" in h5 else "dataSet"].shape
    return Sizes(samples=int(samples), voxels=int(columns), images=image_rows or fallback.images)


class WorkflowResources:
    """Snakemake resource callables of the workflow's rules for one config.

    Parameters
    ----------
    config : mapping
        The validated workflow config.
    shapes : mapping
        Layer -> shape of one image's features (``layer_shapes`` of the encoder).
    n_images : callable
        Image set name -> number of images (may scan the folder; called per job); of a
        movie set: its frames.
    n_clips : callable, optional
        Movie set name -> number of clips (0 while unknown).
    """

    def __init__(self, config: Mapping, shapes: Mapping[str, tuple[int, ...]],
                 n_images: Callable[[str], int], n_clips: Callable[[str], int] = lambda name: 0) -> None:  # fmt: skip
        self.config = config
        self.n_clips = n_clips
        self.units = {layer: math.prod(shape) for layer, shape in shapes.items()}
        self.shapes = dict(shapes)
        self.n_images = n_images
        self.decoder = config["decoder"]

    # Shards -----------------------------------------------------------

    def shard_units(self, layer: str) -> int:
        """Units per shard of `layer`'s decoder (config ``decoder.shard_units``)."""
        return int(self.decoder.get("shard_units") or DEFAULT_SHARD_UNITS)

    def shard_ranges(self, layer: str) -> list[tuple[int, int]]:
        """Unit ranges of `layer`'s shards, as the training stage cuts them."""
        return layer_shards(self.shapes[layer], self.shard_units(layer))

    # Callables --------------------------------------------------------

    def train_decoder(self) -> tuple[Callable, Callable]:
        """(mem_mb, runtime) callables of rule train_decoder."""

        def job(wildcards, input) -> tuple[Sizes, int]:
            subject = self.config["subjects"][wildcards.subject]
            train_set = subject["train"]["image_set"]
            sizes = self.delayed(session_sizes(input.fmri, self.n_images(train_set), STUDY), train_set)
            a, b = self.shard_ranges(wildcards.layer)[int(wildcards.shard)]
            return sizes, b - a

        def mem_mb(wildcards, input, threads, attempt) -> int:
            sizes, units = job(wildcards, input)
            feature_bytes = 2 if self.config["encoder"].get("feature_dtype") == "float16" else 4
            return attempt * train_decoder_mb(sizes, units, self.decoder["n_voxels"],
                                              self.decoder.get("chunk_size", 256), threads, feature_bytes)  # fmt: skip

        def runtime(wildcards, input, threads, attempt) -> int:
            sizes, units = job(wildcards, input)
            return attempt * train_decoder_minutes(sizes, units, self.decoder["n_voxels"], threads)

        return mem_mb, runtime

    def decode(self, layers_of: Callable[[str], list[str]]) -> tuple[Callable, Callable]:
        """(mem_mb, runtime) callables of rule decode; ``layers_of(subject)``: its decoded layers.

        A movie session's samples are its frame onsets (about a third of its volumes at the
        demo's 2 s frames, 1 s TR and rest) with the voxels of every delay: sized as all its
        volumes times the delays, an upper bound."""

        def sizes(wildcards, input) -> tuple[Sizes, dict[str, int]]:
            found = self.delayed(session_sizes(input.fmri, self.n_images(wildcards.image_set), STUDY_TEST),
                                  wildcards.image_set)  # fmt: skip
            return found, {layer: self.units[layer] for layer in layers_of(wildcards.subject)}

        def mem_mb(wildcards, input, threads, attempt) -> int:
            return attempt * decode_mb(*sizes(wildcards, input), self.decoder["n_voxels"])

        def runtime(wildcards, input, threads, attempt) -> int:
            return attempt * decode_minutes(*sizes(wildcards, input), self.decoder["n_voxels"])

        return mem_mb, runtime

    def delayed(self, sizes: Sizes, image_set: str) -> Sizes:
        """The sizes a decoder sees of a movie session: voxels times ``movie.delays_s``."""
        if image_set not in (self.config.get("movie_sets") or {}):
            return sizes
        delays = len(self.config["movie"]["delays_s"])
        return Sizes(samples=sizes.samples, voxels=sizes.voxels * delays, images=sizes.images)

    def true_features(self) -> tuple[Callable, Callable]:
        """(mem_mb, runtime) callables of rule true_features."""
        total = sum(self.units.values())
        size = self.config["encoder"]["image_size"]

        def mem_mb(wildcards, threads, attempt) -> int:
            return attempt * true_features_mb(CHUNK_IMAGES, total)

        def runtime(wildcards, threads, attempt) -> int:
            return attempt * true_features_minutes(self.n_images(wildcards.image_set), size, threads)

        return mem_mb, runtime

    def feature_stats(self, layers: list[str]) -> Callable:
        """mem_mb callable of rule feature_stats."""
        largest = max(self.units[layer] for layer in layers)
        return lambda wildcards, attempt: attempt * feature_stats_mb(largest)

    def scores(self, layers_of: Callable[[str], list[str]]) -> Callable:
        """mem_mb callable of rule decoding_scores; ``layers_of(subject)``: its decoded layers."""

        def mem_mb(wildcards, attempt) -> int:
            largest = max(self.units[layer] for layer in layers_of(wildcards.subject))
            return attempt * scores_mb(self.n_images(wildcards.image_set), largest)

        return mem_mb

    def micro_batch(self, layers: list[str], variant_needs_generator: bool) -> int | None:
        """Images per pass of a reconstruction job: ``reconstruction.micro_batch``, or with
        ``auto`` the largest that fits ``memory_budget_mb`` (:func:`auto_micro_batch`)."""
        rec = self.config["reconstruction"]
        if rec.get("micro_batch") != "auto":
            return rec.get("micro_batch")
        return auto_micro_batch(rec["memory_budget_mb"], rec["images_per_job"], sum(self.units.values()),
                                sum(self.units[layer] for layer in layers), variant_needs_generator)  # fmt: skip

    def reconstruct(self, layer_sets_of: Callable[[str], Mapping[str, Mapping]], options: Callable[[str], Mapping],
                    needs_generator: Callable[[str], bool]) -> tuple[Callable, Callable]:  # fmt: skip
        """(mem_mb, runtime) callables of rules reconstruct_decoded and reconstruct_true.

        ``layer_sets_of(image_set)``: the layer sets of an image or movie set. A movie set's
        job reconstructs ``movie.clips_per_job`` clips of all their frames in one pass: sized
        as that many frames as images (the clip engine's cost per frame-iteration is the image
        engine's, ``benchmarks/bench_movie.py``)."""
        rec = self.config["reconstruction"]
        size = self.config["encoder"]["image_size"]
        total = sum(self.units.values())

        def frames(image_set: str) -> tuple[int, bool]:
            """Images (frames) per job and whether they form clips."""
            if image_set in (self.config.get("movie_sets") or {}):
                clips = self.n_clips(image_set)
                n_frames = self.n_images(image_set) // clips if clips else 8
                return self.config["movie"]["clips_per_job"] * n_frames, True
            return rec["images_per_job"], False

        def mem_mb(wildcards, threads, attempt) -> int:
            per_job, movie = frames(wildcards.image_set)
            layers = layer_sets_of(wildcards.image_set)[wildcards.layer_set]["layers"]
            generator = needs_generator(wildcards.variant)
            per_pass = per_job if movie else (self.micro_batch(layers, generator) or per_job)
            return attempt * reconstruct_mb(min(per_pass, per_job), per_job, total,
                                            sum(self.units[layer] for layer in layers), generator)  # fmt: skip

        def runtime(wildcards, threads, attempt) -> int:
            n_iter = options(wildcards.variant).get("n_iter", 200)
            return attempt * reconstruct_minutes(frames(wildcards.image_set)[0], n_iter, size, threads)

        return mem_mb, runtime
