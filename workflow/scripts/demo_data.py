"""Build the embedded default dataset (simulated subjects, shipped photos)."""
from contextlib import redirect_stderr

from pipeline.simulated import build_dataset, load_config

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    build_dataset(load_config(snakemake.input[0]))
