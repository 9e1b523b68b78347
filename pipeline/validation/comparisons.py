"""The value rules that relate cells, each defined once: which cells a rule compares and how. Ingest
(`rules.evaluate`) and the template's check sheet (`template_checks`: its formulas and highlights) are
both produced from these definitions, so the two can never disagree on what a rule means.

A rule of `plan/rules.toml` names its check; the checks that need what only the province has (a
unit's figures of earlier rounds in the ledger, the day a file arrives) are checked on receipt only.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from pipeline.plan import form
from pipeline.plan.model import Plan, Round

# Checks the template cannot make, and why (the check sheet says so).
RECEIPT_ONLY = {
    "stock_not_lower": "so sánh với số liệu kỳ trước (tỉnh đối chiếu khi nhận tệp)",
    "jump": "so sánh với số liệu kỳ trước (tỉnh đối chiếu khi nhận tệp)",
    "deadline": "ngày nhận tệp so với hạn nộp",
}
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


def comparisons(check: str, plan: Plan, rnd: Round) -> tuple[Comparison, ...]:
    """Every instance of a check in the template of `rnd` (empty for a check the template cannot make)."""
    return plan.derived(("comparisons", check, rnd.id), lambda: tuple(_comparisons(check, plan, rnd)))


def _comparisons(check: str, plan: Plan, rnd: Round) -> list[Comparison]:
    fields = {f.name: f for f in form.input_fields(plan, rnd)}
    if check == "required":
        # An optional input (a figure the ledger may carry instead) is required wherever the template has it.
        return [Comparison(f.name, f.name, "empty", label=f.label) for f in fields.values() if f.required]
    if check == "numerator_le_denominator":
        found = [(form.field_name(r.code, "num"), form.field_name(r.code, "den"), r.name) for r in plan.ratios]
        names = ("numerator", "denominator")
    elif check == "disbursed_le_allocated":
        found = [(form.field_name(f"budget_{s.code}", "disbursed"), form.field_name(f"budget_{s.code}", "allocated"),
                  s.name) for s in plan.budget_sources]
        names = ("disbursed", "allocated")
    elif check == "estimate_not_below_ytd" and rnd.kind == "annual":
        return [Comparison(form.field_name(i.code, "estimate"), form.field_name(i.code, "estimate"), "<",
                           form.field_name(i.code, "ytd"), fields[form.field_name(i.code, "estimate")].label,
                           ("estimate", "so_far"))
                for i in plan.indicators]
    elif check == "above_target" and rnd.regular:
        year = form.YEAR_MEASURE[rnd.kind]
        return [Comparison(form.field_name(i.code, year), form.output_name(i.code, "cumulative"), ">",
                           form.target_name(i.code), i.short_name, ("cumulative", "target"), scaled=True)
                for i in plan.indicators]
    else:
        return []
    return [Comparison(left, left, ">", right, label, names) for left, right, label in found
            if left in fields and right in fields]


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
