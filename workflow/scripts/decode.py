"""Decode every layer from a subject's test session, averaged per image."""

from pipeline.logs import job_log
from pipeline.stages.checks import load_voxel_mask
from pipeline.stages.decoding import decode_features

p = snakemake.params
with job_log(snakemake.log[0]):
    decode_features(snakemake.input.fmri, p.roi, p.labels, p.models, snakemake.input.reference,
                    snakemake.output[0], voxels=load_voxel_mask(snakemake.input.voxels, snakemake.wildcards.roi),
                    device=p.device, threads=snakemake.threads, timing=p.timing)
