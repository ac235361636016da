"""Profile/pattern correlation and identification of decoded features per layer."""

from pipeline.logs import job_log
from pipeline.stages.decoding import score_decoding

w = snakemake.wildcards
with job_log(snakemake.log[0]):
    score_decoding(snakemake.input.decoded, snakemake.input.true,
                   dict(zip(snakemake.params.layers, snakemake.input.models, strict=True)), snakemake.output[0],
                   {"subject": w.subject, "roi": w.roi, "image_set": w.image_set})
