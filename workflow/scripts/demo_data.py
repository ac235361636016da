"""Build a part of the embedded default dataset (simulated subjects, shipped photos): the
images and image sessions, or the clips and movie sessions."""

from pipeline.logs import job_log
from pipeline.simulated import build_dataset, load_config

with job_log(snakemake.log[0]):
    build_dataset(load_config(snakemake.input[0]), parts=(snakemake.params.part,))
