"""Check that every image (or clip) of a set opens; list its labels (of a movie set: its frames')."""

from pipeline.logs import job_log
from pipeline.stages.checks import write_image_check, write_movie_check

p = snakemake.params
with job_log(snakemake.log[0]):
    if p.movie:
        write_movie_check(p.image_dir, snakemake.output[0], p.image_size)
    else:
        write_image_check(p.image_dir, snakemake.output[0])
