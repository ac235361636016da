"""Score the reconstructions of one condition against the true images."""
from contextlib import redirect_stderr

from pipeline.stages.evaluation import score_condition

p = snakemake.params
with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    score_condition(list(snakemake.input), p.image_dir, p.metrics, p.condition, snakemake.output.per_image,
                    snakemake.output.summary)
