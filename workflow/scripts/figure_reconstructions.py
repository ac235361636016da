"""Reconstruction grid of an image set."""
from contextlib import redirect_stderr

from pipeline.stages.figures import reconstruction_grid

p = snakemake.params
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    reconstruction_grid(p.rows, p.image_dir, snakemake.output[0], p.max_images)
