"""Contact sheet (PNG) and animation (GIF) of a movie set's clips and their reconstructions."""

from pipeline.logs import job_log
from pipeline.stages.figures import movie_figures

p = snakemake.params
with job_log(snakemake.log[0]):
    movie_figures(p.rows, p.movie_dir, snakemake.output.png, snakemake.output.gif, p.max_clips, p.fps)
