"""Download the published data files listed under `downloads` in the config."""

from pipeline.download import fetch
from pipeline.logs import job_log

with job_log(snakemake.log[0]):
    for entry in snakemake.params.downloads:
        fetch(entry["url"], entry["path"], entry.get("md5"), entry.get("unzip"))
