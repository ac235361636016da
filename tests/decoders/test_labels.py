import numpy as np
import pytest

from decoders.bdata import BData
from decoders.labels import match_labels, stimulus_id_to_label, stimulus_labels


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
