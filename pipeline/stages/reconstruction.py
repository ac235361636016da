"""Stage: reconstruct a chunk of images of one condition from stored target features."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from decoders.feature_store import FeatureStore
from icnn.networks.registry import build_encoder
from icnn.recon import GeneratorPrior, ReconResult, reconstruct, rescale_decoded
from icnn.video import ClipResult, TemporalPrior, reconstruct_clips
from icnn.video.io import write_clip
from pipeline.jobs import ReconJob
from pipeline.movie_sets import clips_of, frame_labels
from pipeline.stages.true_features import load_feature_stats


def generator_prior(spec: dict, device: str = "cpu") -> GeneratorPrior:
    """The image prior of the DGN variants from its config entry.

    ``{'card': path}``: a generator trained by :mod:`icnn.dgn`; ``{'bdpy_relu7': weights,
    'bounds': path}``: the authors' published relu7 generator.
    """
    from icnn import dgn  # the DGN subpackage is needed only by the DGN variants

    if "card" in spec:
        return dgn.load_prior(spec["card"], device=device)
    if "bdpy_relu7" in spec:
        return dgn.prior_from_bdpy_relu7(spec["bdpy_relu7"], spec.get("bounds"))
    raise ValueError(f"generator entry {spec} needs 'card' (a trained generator) or 'bdpy_relu7'")


def reconstruct_chunk(
    targets: str | os.PathLike,
    job: ReconJob,
    output_dir: str | os.PathLike,
    stats: str | os.PathLike | None = None,
    threads: int = 1,
) -> None:
    """Reconstruct chunk ``job.chunk`` (``job.images_per_job`` images) of the images in ``targets``
    (of the clips, with ``job.temporal``: :func:`reconstruct_clip_chunk`).

    Image i of the store gets the seed ``job.seed + i``, so results do not depend on the chunking.
    ``stats`` holds the true-feature statistics that decoded features are rescaled to.
    Writes the folder with :func:`write_reconstructions` (displayed PNGs: 2 % tails clipped,
    min-max scaled).
    """
    torch.set_num_threads(threads)
    if job.temporal is not None:
        reconstruct_clip_chunk(targets, job, output_dir, stats)
        return
    start = job.chunk * job.images_per_job
    labels = _store_labels(targets)[start:start + job.images_per_job]
    features = _chunk_targets(targets, job, stats, labels)
    seeds = [job.seed + start + i for i in range(len(labels))]
    model = build_encoder(job.encoder, job.weights)
    prior = generator_prior(dict(job.generator), job.device) if job.generator else None
    result = reconstruct(features, model, job.variant, generator=prior,
                         image_size=(job.image_size, job.image_size), options=dict(job.options),
                         seed=seeds, device=job.device, micro_batch=job.micro_batch,
                         autocast_bf16=job.autocast_bf16)  # fmt: skip

    write_reconstructions(output_dir, labels, result)


def _store_labels(targets: str | os.PathLike) -> list[str]:
    with FeatureStore(targets) as store:
        return list(store.labels)


def _chunk_targets(targets: str | os.PathLike, job: ReconJob, stats: str | os.PathLike | None,
                   labels: list[str]) -> dict[str, np.ndarray]:  # fmt: skip
    """The features of ``labels`` (a job's chunk) in a store, rescaled as the job says."""
    if not labels:
        raise ValueError(f"chunk {job.chunk} of {job.images_per_job} per job is past the stimuli of {targets}")
    layers = list(job.layers)
    with FeatureStore(targets) as store:
        features = {layer: store.get(layer, labels) for layer in layers}
        train_mean = {layer: store.train_mean(layer) for layer in layers} if job.rescale == "center_train" else None
    if job.rescale != "none":
        features = rescale_decoded(features, load_feature_stats(stats, layers), job.rescale, train_mean)
    return features


def reconstruct_clip_chunk(targets: str | os.PathLike, job: ReconJob, output_dir: str | os.PathLike,
                           stats: str | os.PathLike | None = None) -> None:  # fmt: skip
    """Reconstruct clips ``job.chunk * job.images_per_job`` onwards of a movie set's store.

    The store's frames (labels ``<clip>_f<t>``, :mod:`pipeline.movie_sets`) are grouped into
    clips (B, T) and reconstructed by :func:`icnn.video.reconstruct_clips` with the job's
    temporal prior; clip b of the store gets the seed ``job.seed + b`` (frame t of clip b:
    ``job.seed + b * T + t`` in the exact scheme), so results do not depend on the chunking.
    Writes ``recon.npz`` (raw frames (B * T, H, W, 3) with their frame labels, loss histories
    (B, R, n_iter)) and one GIF per clip of the displayed frames.
    """
    all_clips, t = clips_of(_store_labels(targets))
    first = job.chunk * job.images_per_job
    clips = all_clips[first:first + job.images_per_job]
    labels = frame_labels(clips, t)
    b = len(clips)
    features = {k: v.reshape(b, t, *v.shape[1:]) for k, v in _chunk_targets(targets, job, stats, labels).items()}
    temporal = TemporalPrior(**dict(job.temporal))
    seeds = [job.seed + (first + i) * t + j for i in range(b) for j in range(t)] if temporal.exact \
        else [job.seed + first + i for i in range(b)]  # fmt: skip
    model = build_encoder(job.encoder, job.weights)
    prior = generator_prior(dict(job.generator), job.device) if job.generator else None
    result = reconstruct_clips(features, model, method=job.variant, generator=prior, temporal=temporal,
                               image_size=(job.image_size, job.image_size), options=dict(job.options),
                               seed=seeds, device=job.device, micro_batch=job.micro_batch,
                               autocast_bf16=job.autocast_bf16)  # fmt: skip
    write_clip_reconstructions(output_dir, clips, labels, result)


def write_clip_reconstructions(output_dir: str | os.PathLike, clips: list[str], labels: list[str],
                               result: ClipResult, fps: float = 3.0) -> None:  # fmt: skip
    """Write ``recon.npz`` and ``<clip>.gif`` per clip; the folder appears complete or not at all."""
    out = Path(output_dir)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    b, t = result.frames.shape[:2]
    np.savez(tmp / "recon.npz", images=result.frames.reshape(b * t, *result.frames.shape[2:]),
             loss_history=result.loss_history, labels=np.array(labels))  # fmt: skip
    for clip, frames in zip(clips, result.display(), strict=True):
        write_clip(frames, tmp / f"{clip}.gif", fps=fps)
    _replace_folder(tmp, out)


def write_reconstructions(output_dir: str | os.PathLike, labels: list[str], result: ReconResult) -> None:
    """Write ``output_dir/recon.npz`` (raw images, loss histories, labels, latents) and one PNG
    per label of the displayed image; the folder appears complete or not at all."""
    out = Path(output_dir)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    extra = {} if result.latents is None else {"latents": result.latents}
    np.savez(tmp / "recon.npz", images=result.images, loss_history=result.loss_history,
             labels=np.array(labels), **extra)  # fmt: skip
    for label, image in zip(labels, result.display(), strict=True):
        Image.fromarray(image).save(tmp / f"{label}.png")
    _replace_folder(tmp, out)


def _replace_folder(tmp: Path, out: Path) -> None:
    """Put the finished folder ``tmp`` in the place of ``out``."""
    if out.exists():
        for old in out.iterdir():
            old.unlink()
        out.rmdir()
    os.replace(tmp, out)
