"""Reading a session of either published generation: voxels of an ROI and one label per sample."""

from __future__ import annotations

import pytest

from pipeline.stages.decoding import session_samples
from tests.published import image_names, write_index_table, write_session

NAMES = image_names(4)


@pytest.mark.parametrize(
    "layout, roi, labels",
    [
        ("2019", "ROI_V4 = 1", {"key": "Label", "column": 1}),
        ("2019", "ROI_V1 = 1 | ROI_V2 = 1", {"key": "image_index", "table": "TABLE"}),
        ("fmriprep", "ROI_hV4 = 1", "stimulus_name"),
    ],
)
def test_both_generations_read(tmp_path, layout, roi, labels):
    write_session(tmp_path / "s.h5", layout, NAMES, reps=3, n_voxels=70)
    write_index_table(tmp_path / "t.tsv", NAMES)
    if isinstance(labels, dict) and "table" in labels:
        labels = {**labels, "table": str(tmp_path / "t.tsv")}
    X, sample_labels = session_samples(tmp_path / "s.h5", roi, labels)
    assert X.shape == (12, 10 * roi.count("ROI_")) and sample_labels == NAMES * 3


def test_roi_of_the_other_generation_names_the_file_and_the_fix(tmp_path):
    write_session(tmp_path / "old.h5", "2019", NAMES, reps=1, n_voxels=70)
    with pytest.raises(ValueError, match=r"'ROI_hV4 = 1' cannot be selected in .*old\.h5.*fix its "
                                       r"expression under 'rois' \(the 2019 files name V4 'ROI_V4'"):  # fmt: skip
        session_samples(tmp_path / "old.h5", "ROI_hV4 = 1", {"key": "Label", "column": 1})
