"""Download one published file listed under `downloads` in the config (md5-checked, unzipped)."""
from contextlib import redirect_stderr, redirect_stdout

from pipeline.download import fetch

with open(snakemake.log[0], "w") as log, redirect_stderr(log), redirect_stdout(log):
    e = snakemake.params.entry
    fetch(e["url"], e["path"], e.get("md5"), e.get("unzip"), e.get("files") or [])
