"""Stage: reconstruct a chunk of images of one condition from stored target features."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from decoders.feature_store import FeatureStore
from icnn.networks.registry import build_encoder
from icnn.recon import GeneratorPrior, reconstruct, rescale_decoded
from pipeline.jobs import ReconJob
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
    """Reconstruct chunk ``job.chunk`` (``job.images_per_job`` images) of the images in ``targets``.

    Image i of the store gets the seed ``job.seed + i``, so results do not depend on the chunking.
    ``stats`` holds the true-feature statistics that decoded features are rescaled to.
    Writes ``output_dir/recon.npz`` (raw images, loss histories, labels, latents) and one PNG
    per label of the displayed image (2 % tails clipped, min-max scaled). The folder appears
    complete or not at all.
    """
    torch.set_num_threads(threads)
    chunk, images_per_job, layers, rescale = job.chunk, job.images_per_job, list(job.layers), job.rescale
    start = chunk * images_per_job
    with FeatureStore(targets) as store:
        labels = store.labels[start:start + images_per_job]
        if not labels:
            raise ValueError(f"chunk {chunk} of {images_per_job} images is past the {len(store.labels)} "
                             f"images of {targets}")  # fmt: skip
        features = {layer: store.get(layer, labels) for layer in layers}
        train_mean = {layer: store.train_mean(layer) for layer in layers} if rescale == "center_train" else None
    seeds = [job.seed + start + i for i in range(len(labels))]
    if rescale != "none":
        features = rescale_decoded(features, load_feature_stats(stats, layers), rescale, train_mean)
    model = build_encoder(job.encoder, job.weights)
    prior = generator_prior(dict(job.generator), job.device) if job.generator else None
    result = reconstruct(features, model, job.variant, generator=prior,
                         image_size=(job.image_size, job.image_size), options=dict(job.options),
                         seed=seeds, device=job.device, micro_batch=job.micro_batch,
                         autocast_bf16=job.autocast_bf16)  # fmt: skip

    out = Path(output_dir)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    extra = {} if result.latents is None else {"latents": result.latents}
    np.savez(tmp / "recon.npz", images=result.images, loss_history=result.loss_history,
             labels=np.array(labels), **extra)  # fmt: skip
    for label, image in zip(labels, result.display(), strict=True):
        Image.fromarray(image).save(tmp / f"{label}.png")
    if out.exists():
        for old in out.iterdir():
            old.unlink()
        out.rmdir()
    os.replace(tmp, out)
