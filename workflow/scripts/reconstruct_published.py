"""Reconstruct one condition of the authors' example scripts from their decoded features."""

from pipeline.logs import job_log
from pipeline.stages.published import reconstruct_published

with job_log(snakemake.log[0]):
    reconstruct_published(output_dir=snakemake.output[0], feature_sd=snakemake.input.feature_sd,
                          threads=snakemake.threads, **snakemake.params.job)
