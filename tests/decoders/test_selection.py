import numpy as np
import pytest

from decoders.selection import evaluate, to_rpn, tokenize

ROWS = {
    "ROI_V1": np.array([1, 1, np.nan, np.nan, np.nan]),
    "ROI_V2": np.array([np.nan, 1, 1, np.nan, np.nan]),
    "ROI_V3": np.array([np.nan, np.nan, np.nan, 1, np.nan]),
    "Run": np.array([np.nan, np.nan, np.nan, np.nan, 1]),
}


def rows(pattern):
    import fnmatch

    keys = [k for k in ROWS if fnmatch.fnmatchcase(k, pattern)]
    if not keys:
        raise KeyError(pattern)
    return [ROWS[k] for k in keys]


def test_tokenize_maps_plus_to_or_and_strips_quotes():
    assert tokenize("ROI_V1 = 1 + 'ROI V2' = 1") == ["ROI_V1", "=", "1", "|", "ROI V2", "=", "1"]


def test_rpn_is_left_associative_with_equal_precedence():
    assert to_rpn(tokenize("a = 1 | b = 1 & c = 1")) == [
        "a",
        "1",
        "=",
        "b",
        "1",
        "=",
        "|",
        "c",
        "1",
        "=",
        "&",
    ]


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("ROI_V1 = 1", [1, 1, 0, 0, 0]),
        ("ROI_V1 = 1 | ROI_V2 = 1", [1, 1, 1, 0, 0]),
        ("ROI_V1 = 1 & ROI_V2 = 1", [0, 1, 0, 0, 0]),
        ("ROI_V1 = 1 - ROI_V2 = 1", [1, 0, 0, 0, 0]),
        ("ROI_V3 = 1 | (ROI_V1 = 1 & ROI_V2 = 1)", [0, 1, 0, 1, 0]),
        ("ROI_* = 1", [1, 1, 1, 1, 0]),
        ("ROI_V1", [1, 1, 0, 0, 0]),
    ],
)
def test_evaluate(expression, expected):
    np.testing.assert_array_equal(evaluate(expression, rows), np.array(expected, dtype=bool))


@pytest.mark.parametrize("expression", ["(ROI_V1 = 1", "ROI_V1 = 1)", "ROI_V1 = x", "= 1"])
def test_malformed_expressions_raise(expression):
    with pytest.raises(ValueError):
        evaluate(expression, rows)
