"""Check a subject's fMRI files before any compute: ROIs, label key, labels with images."""
from contextlib import redirect_stderr

from pipeline.config import check_subject

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    p = snakemake.params
    check_subject(p.entry, p.rois, p.image_sets, snakemake.output[0])
