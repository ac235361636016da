import numpy as np

from decoders.stats import average_by_label, column_stats


def test_average_by_label_first_appearance_order(rng):
    x = rng.standard_normal((7, 2, 3))
    labels = ["c", "a", "c", "b", "a", "c", "b"]
    avg, unique = average_by_label(x, labels)
    assert unique == ["c", "a", "b"]
    for i, lab in enumerate(unique):
        np.testing.assert_allclose(avg[i], x[[j for j, v in enumerate(labels) if v == lab]].mean(0))


def test_average_by_label_keeps_nan_within_its_label():
    x = np.array([[np.nan], [1.0], [3.0]])
    avg, _ = average_by_label(x, ["a", "b", "b"])
    assert np.isnan(avg[0, 0]) and avg[1, 0] == 2.0


def test_column_stats_ddof1_and_constant_columns():
    x = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    mean, std = column_stats(x)
    np.testing.assert_allclose(mean, [3.0, 5.0])
    np.testing.assert_allclose(std, [2.0, 1.0])
