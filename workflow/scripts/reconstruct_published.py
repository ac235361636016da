"""Reconstruct one condition of the authors' example scripts from their decoded features."""
from contextlib import redirect_stderr

from pipeline.stages.published import reconstruct_published

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    reconstruct_published(output_dir=snakemake.output[0], feature_sd=snakemake.input.feature_sd,
                          threads=snakemake.threads, **snakemake.params.job)
