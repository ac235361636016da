"""The figure of one condition reconstructed from the authors' decoded features."""

from pipeline.logs import job_log
from pipeline.stages.published import published_figure

with job_log(snakemake.log[0]):
    published_figure(snakemake.params.rows, snakemake.output[0], snakemake.params.true_images)
