"""Fit one decoder: an ROI's voxels -> one layer's features."""

from pipeline.logs import job_log
from pipeline.stages.checks import load_voxel_mask
from pipeline.stages.decoding import train_decoder

p = snakemake.params
w = snakemake.wildcards
with job_log(snakemake.log[0]):
    train_decoder(snakemake.input.fmri, p.roi, p.label_key, snakemake.input.features, w.layer,
                  snakemake.output[0], voxels=load_voxel_mask(snakemake.input.voxels, w.roi),
                  threads=snakemake.threads, **p.decoder)
