"""Tab-separated tables of the workflow: written atomically, read back as dicts, concatenated."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence

from common.files import atomic_path


def write_tsv(path: str | os.PathLike, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write a table with a header line, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read_tsv(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of a table as dicts keyed by the header."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def concat_tsv(paths: Sequence[str | os.PathLike], output: str | os.PathLike) -> None:
    """Concatenate tables that share one header into ``output``."""
    rows: list[dict[str, str]] = []
    header: list[str] = []
    for path in paths:
        part = read_tsv(path)
        with open(path) as f:
            this = f.readline().rstrip("\n").split("\t")
        if header and this != header:
            raise ValueError(f"{path} has columns {this}, expected {header}")
        header = this
        rows += part
    write_tsv(output, header, [[row[k] for k in header] for row in rows])
