"""Reconstruct one chunk of images of one condition."""

from pipeline.jobs import ReconJob
from pipeline.logs import job_log
from pipeline.stages.reconstruction import reconstruct_chunk

with job_log(snakemake.log[0]):
    reconstruct_chunk(snakemake.input.targets, ReconJob.from_params(snakemake.params.job),
                      snakemake.output[0], stats=snakemake.input.get("stats"), threads=snakemake.threads)
