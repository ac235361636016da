"""Fetch published data files (BData, networks) with md5 checks; never used by the default run."""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
import zipfile
from collections.abc import Sequence

from common.files import atomic_path


def md5sum(path: str | os.PathLike, block: int = 1 << 20) -> str:
    """Hex md5 digest of a file."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, path: str | os.PathLike, md5: str | None = None, unzip_to: str | None = None,
          files: Sequence[str] = ()) -> None:  # fmt: skip
    """Download ``url`` to ``path`` (atomically), check its md5, optionally unzip it.

    Parameters
    ----------
    url : str
        Source (``https://``, or ``file://`` for a local copy).
    path : path
        Destination file.
    md5 : str, optional
        Published md5 sum; checked when given.
    unzip_to : str, optional
        Folder to unzip the archive into.
    files : sequence of str
        Files the archive must yield (the workflow's inputs), checked after unzipping.

    Raises
    ------
    ValueError
        When the md5 sum differs (the partial file is removed, nothing is left half-written).
    FileNotFoundError
        When the archive does not yield one of ``files``; the message lists what it holds.
    """
    with atomic_path(path) as tmp:
        with urllib.request.urlopen(url) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
        if md5 and (actual := md5sum(tmp)) != md5:
            raise ValueError(f"md5 of {url} is {actual}, expected {md5}; the download is corrupt or "
                             "the file changed upstream: retry, or update the md5 in the config")  # fmt: skip
    print(f"fetched {url} -> {path}" + (f" (md5 {md5} verified)" if md5 else " (no md5 published)"))
    if unzip_to:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(unzip_to)
            held = archive.namelist()
        missing = [f for f in files if not os.path.exists(f)]
        if missing:
            shown = ", ".join(held[:8]) + (" ..." if len(held) > 8 else "")
            raise FileNotFoundError(f"{path} unzipped into {unzip_to} yields no {missing}; it holds "
                                    f"{shown}: fix 'files' of this download entry (and the paths "
                                    "that use them)")  # fmt: skip


def read_file_list(path: str | os.PathLike) -> dict[str, tuple[str, str]]:
    """The authors' list of published files (DeepImageReconstruction ``data/file_list.csv``).

    Returns
    -------
    dict of str to (str, str)
        File name -> (figshare file id, md5 sum).
    """
    files = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != 3:
                raise ValueError(f"{path}:{number}: expected 'name,figshare id,md5', got {line.strip()!r}")
            files[parts[0]] = (parts[1], parts[2])
    return files
