"""Statistics of true features, for rescaling decoded features."""

from pipeline.logs import job_log
from pipeline.stages.true_features import save_feature_stats

with job_log(snakemake.log[0]):
    save_feature_stats(snakemake.input[0], snakemake.params.layers, snakemake.output[0])
