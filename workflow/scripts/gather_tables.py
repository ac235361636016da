"""Concatenate tables that share a header."""

from pipeline.logs import job_log
from pipeline.tables import concat_tsv

with job_log(snakemake.log[0]):
    concat_tsv(list(snakemake.input), snakemake.output[0])
