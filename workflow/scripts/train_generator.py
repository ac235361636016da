"""Train (or reuse the cached) DGN image prior on the training images."""
from contextlib import redirect_stderr
from pathlib import Path

from pipeline.stages.generator import train_workflow_generator

p = snakemake.params
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    train_workflow_generator(snakemake.input.config, p.image_dir, p.image_size, Path(snakemake.output[0]).parent, p.device)
