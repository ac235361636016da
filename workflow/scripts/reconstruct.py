"""Reconstruct one chunk of images of one condition."""

from pipeline.logs import job_log
from pipeline.stages.reconstruction import reconstruct_chunk

job = snakemake.params.job
with job_log(snakemake.log[0]):
    reconstruct_chunk(snakemake.input.targets, variant=snakemake.wildcards.variant,
                      output_dir=snakemake.output[0], rescale=snakemake.params.rescale,
                      stats=snakemake.input.get("stats"), threads=snakemake.threads, **job)
