"""Reconstruct one chunk of images of one condition."""
from contextlib import redirect_stderr

from pipeline.stages.reconstruction import reconstruct_chunk

job = snakemake.params.job
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    reconstruct_chunk(snakemake.input.targets, variant=snakemake.wildcards.variant,
                      output_dir=snakemake.output[0], rescale=snakemake.params.rescale,
                      stats=snakemake.input.get("stats"), threads=snakemake.threads, **job)
