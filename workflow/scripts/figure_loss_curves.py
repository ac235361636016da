"""Loss curves of the reconstructions."""
from contextlib import redirect_stderr

from pipeline.stages.figures import loss_curves

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    loss_curves(snakemake.params.rows, snakemake.output[0])
