import bdpy
import numpy as np
import pytest

from decoders.bdata import BData
from decoders.labels import (
    LabelSpec,
    match_labels,
    read_index_table,
    stimulus_id_to_label,
    stimulus_labels,
)
from tests.published import image_names, write_index_table, write_session


@pytest.mark.parametrize(
    "value, label",
    [
        (1518878.005958, "n01518878_5958"),
        (4254680.000026, "n04254680_26"),
        (1443537.022563, "n01443537_22563"),
    ],
)
def test_float_ids(value, label):
    assert stimulus_id_to_label(value) == label


def test_stimulus_labels_use_vmap_or_float_code():
    bd = BData()
    bd.add(np.array([1518878.005958, 4254680.000026]), "Label")
    assert stimulus_labels(bd, "Label") == ["n01518878_5958", "n04254680_26"]
    bd.add(np.array([1.0, 2.0]), "stimulus_name")
    bd.add_vmap("stimulus_name", {1: "a", 2: "b"})
    assert stimulus_labels(bd) == ["a", "b"]


def test_match_labels_index_and_missing_error():
    np.testing.assert_array_equal(match_labels(["b", "a", "b"], ["a", "b", "c"]), [1, 0, 1])
    with pytest.raises(
        KeyError, match=r"2 fMRI sample label\(s\) have no matching image in feats: x, y"
    ):
        match_labels(["a", "y", "x"], ["a"], what="feats")


# The published layouts, written by bdpy --------------------------------------------------

NAMES = image_names(5)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A 2019 and a fmriprep session of the same 5 images x 2 presentations, and the index table."""
    root = tmp_path_factory.mktemp("published")
    write_session(root / "old.h5", "2019", NAMES, reps=2, n_voxels=70)
    write_session(root / "new.h5", "fmriprep", NAMES, reps=2, n_voxels=70)
    write_index_table(root / "table.tsv", NAMES)
    return root


def test_all_published_forms_give_the_same_labels(published):
    expected = NAMES * 2
    old, new = BData(published / "old.h5"), BData(published / "new.h5")
    assert stimulus_labels(old, {"key": "Label", "column": 1}) == expected
    table = str(published / "table.tsv")
    assert stimulus_labels(old, {"key": "image_index", "table": table}) == expected
    assert stimulus_labels(new, "stimulus_name") == expected
    assert stimulus_labels(new, LabelSpec()) == expected
    # bdpy reads the same files to the same labels
    assert bdpy.BData(str(published / "new.h5")).get_labels("stimulus_name") == expected
    np.testing.assert_array_equal(
        bdpy.BData(str(published / "old.h5")).select("image_index").ravel(), [1, 2, 3, 4, 5] * 2
    )


def test_roi_keys_of_the_two_generations(published):
    assert BData(published / "old.h5").select("ROI_V4 = 1").shape == (10, 10)
    assert BData(published / "new.h5").select("ROI_hV4 = 1").shape == (10, 10)
    with pytest.raises(KeyError, match=r"ROI_hV4.*old\.h5.*ROI_V4"):
        BData(published / "old.h5").select("ROI_hV4 = 1")


def test_two_column_label_is_refused_naming_file_key_and_fix(published):
    with pytest.raises(ValueError, match=r"key 'Label' of .*old\.h5 has 2 columns: 20 labels for 10 "
                                         r"samples; set 'column'"):  # fmt: skip
        stimulus_labels(BData(published / "old.h5"), "Label")
    with pytest.raises(ValueError, match=r"'column: 2' of the label spec must be 0\.\.1"):
        stimulus_labels(BData(published / "old.h5"), {"key": "Label", "column": 2})


def test_integer_index_without_table_names_the_fix(published):
    with pytest.raises(ValueError, match=r"'image_index' of .*old\.h5 holds integers \(1, 2, 3, "
                                         r"\.\.\.\).*give the authors' index table"):  # fmt: skip
        stimulus_labels(BData(published / "old.h5"), "image_index")


def test_missing_label_key_lists_the_keys(published):
    with pytest.raises(KeyError, match=r"'stimulus_name' not in .*old\.h5.*image_index"):
        stimulus_labels(BData(published / "old.h5"))


def test_table_of_another_session_is_refused(published, tmp_path):
    short = tmp_path / "short.tsv"
    write_index_table(short, NAMES[:3])
    with pytest.raises(ValueError, match=r"indices \[4, 5\] are not in the index table .*short\.tsv"):
        stimulus_labels(BData(published / "old.h5"), {"key": "image_index", "table": str(short)})
    with pytest.raises(ValueError, match="non-integer values.*an index table does not apply"):
        stimulus_labels(BData(published / "old.h5"), {"key": "Label", "column": 1, "table": str(short)})
    with pytest.raises(FileNotFoundError, match=r"nothere\.tsv does not exist; download it"):
        stimulus_labels(BData(published / "old.h5"), {"key": "image_index", "table": "nothere.tsv"})


def test_index_table_formats(tmp_path):
    four = tmp_path / "four.tsv"
    write_index_table(four, NAMES[:3])  # name.JPEG, float id, category (repeats), index
    assert read_index_table(four) == {1: NAMES[0], 2: NAMES[1], 3: NAMES[2]}
    two = tmp_path / "two.csv"
    two.write_text("a.png,7\nb.png,9\n")
    assert read_index_table(two) == {7: "a", 9: "b"}
    assert read_index_table(four, index_column=3) == read_index_table(four)
    with pytest.raises(ValueError, match=r"column 2 does not hold unique integer indices"):
        read_index_table(four, index_column=2)
    ragged = tmp_path / "ragged.tsv"
    ragged.write_text("a\t1\nb\t2\t3\n")
    with pytest.raises(ValueError, match=r"ragged\.tsv: expected rows .* got widths \[2, 3\]"):
        read_index_table(ragged)
    names_only = tmp_path / "names.tsv"
    names_only.write_text("a\tx\nb\ty\n")
    with pytest.raises(ValueError, match="no column of unique integer indices; set 'index_column'"):
        read_index_table(names_only)


def test_label_spec_from_config():
    assert LabelSpec.from_config(None) == LabelSpec("stimulus_name")
    assert LabelSpec.from_config("Label") == LabelSpec("Label")
    assert LabelSpec.from_config({"key": "Label", "column": 1}).column == 1
    with pytest.raises(ValueError, match=r"unknown fields \['colum'\]"):
        LabelSpec.from_config({"key": "Label", "colum": 1})
