"""Fit one decoder: an ROI's voxels -> one layer's features."""
from contextlib import redirect_stderr

from pipeline.stages.decoding import train_decoder

p = snakemake.params
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    train_decoder(snakemake.input.fmri, p.roi, p.label_key, snakemake.input.features,
                  snakemake.wildcards.layer, snakemake.output[0], threads=snakemake.threads, **p.decoder)
