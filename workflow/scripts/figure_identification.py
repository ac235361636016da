"""Identification accuracy bars per variant, subject and ROI."""

from pipeline.logs import job_log
from pipeline.stages.figures import identification_bars

with job_log(snakemake.log[0]):
    identification_bars(snakemake.input[0], snakemake.output[0])
