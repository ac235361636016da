"""Check a subject's fMRI files before any compute; write the voxels its decoders use."""

from pipeline.logs import job_log
from pipeline.stages.checks import write_subject_check

p = snakemake.params
with job_log(snakemake.log[0]):
    write_subject_check(snakemake.wildcards.subject, p.entry, p.rois, p.image_sets, p.n_voxels,
                        p.nonfinite, snakemake.output.table, snakemake.output.voxels, p.timings)
