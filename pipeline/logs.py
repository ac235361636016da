"""A workflow job's log file: everything the job prints, and its error with the traceback.

Snakemake points the user to a failed job's log (on a cluster that is all they have), so the
error must be in it, not only on the terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def job_log(path: str | os.PathLike) -> Iterator[TextIO]:
    """Send the job's stdout and stderr to ``path``; on an error, write it there and re-raise.

    Parameters
    ----------
    path : path
        The job's log file (created with its folder, truncated).

    Yields
    ------
    file
        The open log.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as log:
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield log
        except BaseException as error:
            if not isinstance(error, KeyboardInterrupt | SystemExit):
                log.write(traceback.format_exc())
                log.write(f"\nERROR: {type(error).__name__}: {error}\n")
                log.flush()
                # The terminal gets the one-line cause too, next to Snakemake's pointer to the log.
                print(f"ERROR ({path}): {type(error).__name__}: {error}", file=sys.stderr)
            raise
