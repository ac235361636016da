"""Download one published file listed under `downloads` in the config (md5-checked, unzipped)."""

from pipeline.download import fetch
from pipeline.logs import job_log

with job_log(snakemake.log[0]):
    e = snakemake.params.entry
    fetch(e["url"], e["path"], e.get("md5"), e.get("unzip"), e.get("files") or [])
