"""Check that every image of a set opens; list its labels."""

from pipeline.logs import job_log
from pipeline.stages.checks import write_image_check

with job_log(snakemake.log[0]):
    write_image_check(snakemake.params.image_dir, snakemake.output[0])
