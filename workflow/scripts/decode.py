"""Decode every layer from a subject's test session, averaged per image."""
from contextlib import redirect_stderr

from pipeline.stages.decoding import decode_features

p = snakemake.params
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    decode_features(snakemake.input.fmri, p.roi, p.label_key, dict(zip(p.layers, snakemake.input.models, strict=True)),
                    snakemake.input.reference, snakemake.output[0], device=p.device, threads=snakemake.threads)
