"""One table of the subjects' checks, which every computing rule waits for."""

from pipeline.logs import job_log
from pipeline.tables import concat_tsv

with job_log(snakemake.log[0]):
    concat_tsv(list(snakemake.input.subjects), snakemake.output[0])
