"""Download the published data files listed under `downloads` in the config."""
from contextlib import redirect_stderr

from pipeline.download import fetch

with open(snakemake.log[0], "w") as log, redirect_stderr(log):
    for entry in snakemake.params.downloads:
        fetch(entry["url"], entry["path"], entry.get("md5"), entry.get("unzip"))
