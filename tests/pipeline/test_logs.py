"""A job's log holds what it printed and, when it fails, the error with its traceback."""

import sys

import pytest

from pipeline.logs import job_log


def test_output_goes_to_the_log(tmp_path):
    log = tmp_path / "logs" / "job.log"
    with job_log(log):
        print("progress 3/10")
        print("a warning", file=sys.stderr)
    assert log.read_text() == "progress 3/10\na warning\n"


def test_error_and_traceback_are_written_and_raised(tmp_path, capsys):
    log = tmp_path / "job.log"
    with pytest.raises(KeyError, match="ROI 'V9'"), job_log(log):
        print("reading the session")
        raise KeyError("ROI 'V9' is not in sub-01.h5")
    text = log.read_text()
    assert text.startswith("reading the session\nTraceback (most recent call last):")
    assert "test_logs.py" in text
    assert text.rstrip().endswith("""ERROR: KeyError: "ROI 'V9' is not in sub-01.h5\"""")
    assert f"ERROR ({log})" in capsys.readouterr().err
