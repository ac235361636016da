"""Reconstruction grid of an image set."""

from pipeline.logs import job_log
from pipeline.stages.figures import reconstruction_grid

p = snakemake.params
with job_log(snakemake.log[0]):
    reconstruction_grid(p.rows, p.image_dir, snakemake.output[0], p.max_images, p.image_fit)
