"""Fetch published data files (BData, networks) with md5 checks; never used by the default run."""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
import zipfile

from common.files import atomic_path


def md5sum(path: str | os.PathLike, block: int = 1 << 20) -> str:
    """Hex md5 digest of a file."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, path: str | os.PathLike, md5: str | None = None, unzip_to: str | None = None) -> None:
    """Download ``url`` to ``path`` (atomically), check its md5, optionally unzip it.

    Raises
    ------
    ValueError
        When the md5 sum differs (the partial file is removed, nothing is left half-written).
    """
    with atomic_path(path) as tmp:
        with urllib.request.urlopen(url) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
        if md5 and (actual := md5sum(tmp)) != md5:
            raise ValueError(f"md5 of {url} is {actual}, expected {md5}; the download is corrupt or "
                             "the file changed upstream: retry, or update the md5 in the config")  # fmt: skip
    if unzip_to:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(unzip_to)
