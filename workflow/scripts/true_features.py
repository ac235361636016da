"""True features of every image of an image set."""
from contextlib import redirect_stderr

from pipeline.stages.true_features import compute_true_features

p = snakemake.params
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    compute_true_features(p.image_dir, p.encoder, p.layers, p.image_size, snakemake.output[0],
                          weights=p.weights, device=p.device, threads=snakemake.threads)
