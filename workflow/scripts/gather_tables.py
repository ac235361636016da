"""Concatenate tables that share a header."""
from contextlib import redirect_stderr

from pipeline.tables import concat_tsv

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    concat_tsv(list(snakemake.input), snakemake.output[0])
