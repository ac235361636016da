"""Identification accuracy bars per variant, subject and ROI."""
from contextlib import redirect_stderr

from pipeline.stages.figures import identification_bars

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    identification_bars(snakemake.input[0], snakemake.output[0])
