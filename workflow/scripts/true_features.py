"""True features of every image of an image set."""

from pipeline.logs import job_log
from pipeline.stages.true_features import compute_true_features

p = snakemake.params
with job_log(snakemake.log[0]):
    compute_true_features(p.image_dir, p.encoder, p.layers, p.image_size, snakemake.output[0],
                          weights=p.weights, device=p.device, threads=snakemake.threads, fit=p.image_fit,
                          dtype=p.dtype, movie=p.movie)
