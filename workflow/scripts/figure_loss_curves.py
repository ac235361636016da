"""Loss curves of the reconstructions."""

from pipeline.logs import job_log
from pipeline.stages.figures import loss_curves

with job_log(snakemake.log[0]):
    loss_curves(snakemake.params.rows, snakemake.output[0])
