"""Check every image set and subject's fMRI files before any compute."""

from pipeline.logs import job_log
from pipeline.stages.checks import check_data

p = snakemake.params
with job_log(snakemake.log[0]):
    check_data(p.subjects, p.rois, p.image_sets, p.n_voxels, p.nonfinite, snakemake.output.table,
               dict(zip(p.subjects, snakemake.output.voxels, strict=True)))
