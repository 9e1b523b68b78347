"""How a rule relates two cells of a file: one `Comparison` per instance of a check (checks.py says
which cells), applied to the values ingest read (`broken`) and written as the formula of the template's
check sheet (`formula`), so the two can never disagree on what a rule means."""

from __future__ import annotations

import operator
from dataclasses import dataclass

BROKEN = {">": operator.gt, "<": operator.lt}


@dataclass(frozen=True)
class Comparison:
    """One instance of a rule: broken when `left op right × scale` (or, for "empty", when left is empty)."""

    flagged: str  # the input a finding points at and the template highlights
    left: str  # a defined name: an input (in_…), a computed cell (out_…) or a target (p8_target_…)
    op: str  # ">", "<" or "empty"
    right: str = ""
    label: str = ""
    names: tuple[str, str] = ("", "")  # the message's placeholders for the left and right values
    scaled: bool = False  # the right side is multiplied by the rule's `percent` / 100


def broken(comparison: Comparison, left: object, right: object, scale: float = 1.0) -> bool:
    """The rule as ingest applies it to the values read from a file."""
    if comparison.op == "empty":
        return left is None or left == ""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    return numbers and bool(BROKEN[comparison.op](left, right * scale))  # type: ignore[operator,arg-type]


def formula(comparison: Comparison, cells: dict[str, str], scale: float = 1.0) -> str:
    """The same rule as a spreadsheet formula over the template's cells (TRUE when broken); only
    functions that Excel 2010, LibreOffice and WPS evaluate alike."""
    left = cells[comparison.left]
    if comparison.op == "empty":
        return f'{left}=""'
    right = cells[comparison.right] + (f"*{scale:g}" if scale != 1 else "")
    return f"AND(ISNUMBER({left}),ISNUMBER({cells[comparison.right]}),{left}{comparison.op}{right})"
