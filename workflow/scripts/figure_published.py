"""The figure of one condition reconstructed from the authors' decoded features."""
from contextlib import redirect_stderr, redirect_stdout

from pipeline.stages.published import published_figure

with open(snakemake.log[0], "w") as log, redirect_stderr(log), redirect_stdout(log):
    published_figure(snakemake.params.rows, snakemake.output[0], snakemake.params.true_images)
