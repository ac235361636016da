"""Column-selection expressions of BData, such as ``ROI_V1 = 1 | ROI_V2 = 1``.

Grammar (as bdpy): ``key = value`` compares a metadata row with a number; ``|`` (or ``+``)
is union, ``&`` intersection and ``-`` difference, evaluated left to right with equal
precedence; parentheses group. A bare key means ``key = 1``. A ``*`` in a key matches any
characters, and the comparison then holds if it holds for any matching key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

_PRECEDENCE = {"=": 2, "|": 1, "&": 1, "-": 1}
_TOKEN = re.compile(r"\s*(?:(\"[^\"]*\"|'[^']*')|([=|&+\-()])|([^\s=|&+\-()\"']+))")


def tokenize(expression: str) -> list[str]:
    """Split a selection expression into keys, numbers, operators and parentheses.

    Parameters
    ----------
    expression : str
        Selection expression, e.g. ``'ROI_V1 = 1 | ROI_V2 = 1'``.

    Returns
    -------
    list of str
        Tokens; ``+`` is returned as ``|`` and quotes are removed.
    """
    tokens: list[str] = []
    pos = 0
    expression = expression.rstrip()
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot parse selection {expression!r} at position {pos}")
        quoted, operator, word = match.groups()
        if quoted is not None:
            tokens.append(quoted[1:-1])
        elif operator is not None:
            tokens.append("|" if operator == "+" else operator)
        else:
            tokens.append(word)
        pos = match.end()
    return tokens


def to_rpn(tokens: list[str]) -> list[str]:
    """Order tokens in reverse Polish notation (shunting-yard, left-associative)."""
    output: list[str] = []
    stack: list[str] = []
    for token in tokens:
        if token in _PRECEDENCE:
            while stack and stack[-1] != "(" and _PRECEDENCE[stack[-1]] >= _PRECEDENCE[token]:
                output.append(stack.pop())
            stack.append(token)
        elif token == "(":
            stack.append(token)
        elif token == ")":
            while stack and stack[-1] != "(":
                output.append(stack.pop())
            if not stack:
                raise ValueError("unbalanced ')' in selection expression")
            stack.pop()
        else:
            output.append(token)
    if "(" in stack:
        raise ValueError("unbalanced '(' in selection expression")
    output.extend(reversed(stack))
    return output


def evaluate(expression: str, rows: Callable[[str], list[np.ndarray]]) -> np.ndarray:
    """Evaluate a selection expression to a boolean column mask.

    Parameters
    ----------
    expression : str
        Selection expression.
    rows : callable
        ``rows(key_pattern)`` returns the metadata value rows of the keys matching the
        pattern (it raises a clear error when none matches).

    Returns
    -------
    numpy.ndarray of bool
        True for the selected columns.
    """
    stack: list[str | np.ndarray] = []

    def as_mask(item: str | np.ndarray) -> np.ndarray:
        # A bare key stands for `key = 1`.
        return item if isinstance(item, np.ndarray) else _compare(rows(item), 1.0)

    for token in to_rpn(tokenize(expression)):
        if token not in _PRECEDENCE:
            stack.append(token)
            continue
        if len(stack) < 2:
            raise ValueError(f"operator {token!r} lacks an operand in {expression!r}")
        right, left = stack.pop(), stack.pop()
        if token == "=":
            if not isinstance(left, str) or not isinstance(right, str):
                raise ValueError(f"'=' needs 'key = number' in {expression!r}")
            try:
                value = float(right)
            except ValueError as err:
                raise ValueError(f"'{right}' is not a number in {expression!r}") from err
            stack.append(_compare(rows(left), value))
        elif token == "|":
            stack.append(as_mask(left) | as_mask(right))
        elif token == "&":
            stack.append(as_mask(left) & as_mask(right))
        else:
            stack.append(as_mask(left) & ~as_mask(right))
    if len(stack) != 1:
        raise ValueError(f"malformed selection expression {expression!r}")
    return as_mask(stack[0])


def _compare(values: list[np.ndarray], value: float) -> np.ndarray:
    """True where any of the rows equals `value` (NaN never does)."""
    return np.any(np.stack(values) == value, axis=0)
