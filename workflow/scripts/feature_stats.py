"""Statistics of true features, for rescaling decoded features."""
from contextlib import redirect_stderr

from pipeline.stages.true_features import save_feature_stats

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    save_feature_stats(snakemake.input[0], snakemake.params.layers, snakemake.output[0])
