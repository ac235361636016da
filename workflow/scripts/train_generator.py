"""Train (or reuse the cached) DGN image prior on the training images."""
from pathlib import Path

from pipeline.logs import job_log
from pipeline.stages.generator import train_workflow_generator

p = snakemake.params
with job_log(snakemake.log[0]):
    train_workflow_generator(snakemake.input.config, p.image_dir, p.image_size,
                             Path(snakemake.output[0]).parent, p.device, snakemake.threads)
