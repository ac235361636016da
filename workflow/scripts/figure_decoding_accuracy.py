"""Decoding accuracy per layer and ROI."""
from contextlib import redirect_stderr

from pipeline.stages.figures import decoding_accuracy

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    decoding_accuracy(snakemake.input[0], snakemake.output[0])
