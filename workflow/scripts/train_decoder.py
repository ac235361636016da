"""Fit one shard of one decoder: an ROI's voxels -> a range of one layer's units."""

from pipeline.logs import job_log
from pipeline.stages.checks import load_voxel_mask
from pipeline.stages.decoding import train_decoder

p = snakemake.params
w = snakemake.wildcards
with job_log(snakemake.log[0]):
    train_decoder(snakemake.input.fmri, p.roi, p.labels, snakemake.input.features, w.layer,
                  snakemake.output[0], voxels=load_voxel_mask(snakemake.input.voxels, w.roi),
                  threads=snakemake.threads, shard=p.shard, timing=p.timing, **p.decoder)
