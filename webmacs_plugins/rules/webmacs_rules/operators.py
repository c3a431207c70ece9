"""The seven comparison operators of contract §1.10, registered like any plugin's would be."""

from __future__ import annotations

from webmacs_sdk import RuleOperatorSpec

EPSILON = 1e-9


def _between(v: float, t: float, h: float | None) -> bool:
    return h is not None and t <= v <= h


def _not_between(v: float, t: float, h: float | None) -> bool:
    return h is not None and (v < t or v > h)


OPERATORS = (
    RuleOperatorSpec("gt", lambda v, t, h: v > t),
    RuleOperatorSpec("lt", lambda v, t, h: v < t),
    RuleOperatorSpec("eq", lambda v, t, h: abs(v - t) < EPSILON),
    RuleOperatorSpec("gte", lambda v, t, h: v >= t),
    RuleOperatorSpec("lte", lambda v, t, h: v <= t),
    RuleOperatorSpec("between", _between, needs_high=True),
    RuleOperatorSpec("not_between", _not_between, needs_high=True),
)

SYMBOLS = {"gt": ">", "lt": "<", "eq": "==", "gte": ">=", "lte": "<="}


def number(value: float | None) -> str:
    """``200`` for 200.0, ``215.3`` for 215.3: how people write thresholds."""
    if value is None:
        return "None"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def describe(operator: str, threshold: float, high: float | None) -> str:
    """``> 200``, ``between 10 and 20``: the condition as the log message shows it."""
    if operator in ("between", "not_between"):
        word = "between" if operator == "between" else "not between"
        return f"{word} {number(threshold)} and {number(high)}"
    return f"{SYMBOLS.get(operator, operator)} {number(threshold)}"
