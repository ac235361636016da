"""Score the reconstructions of one condition against the true images."""

from pipeline.logs import job_log
from pipeline.stages.evaluation import score_clip_condition, score_condition

p = snakemake.params
with job_log(snakemake.log[0]):
    if p.movie:
        score_clip_condition(list(snakemake.input), p.image_dir, p.condition, snakemake.output.per_image,
                             snakemake.output.summary)
    else:
        score_condition(list(snakemake.input), p.image_dir, p.metrics, p.condition, snakemake.output.per_image,
                        snakemake.output.summary, fit=p.image_fit)
