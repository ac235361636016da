"""Decoding accuracy per layer and ROI."""

from pipeline.logs import job_log
from pipeline.stages.figures import decoding_accuracy

with job_log(snakemake.log[0]):
    decoding_accuracy(snakemake.input[0], snakemake.output[0])
