"""Every input of a received file parsed and every rule run on it: the values to record and the
findings, in the order a reader meets them (each input in sheet order, then the checks by stage)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pipeline.core.findings import Finding
from pipeline.core.vietnamese import format_date, format_number
from pipeline.plan import form
from pipeline.plan.model import Plan, Round
from pipeline.validation import checks
from pipeline.validation.book import RuleBook
from pipeline.validation.comparisons import broken
from pipeline.validation.values import PARSERS, CellValue, Value, shown


def _missing_code(fld: form.Field, rules: RuleBook) -> str:
    """A required question left empty is asked again as a question (an older rules.toml without
    `answer-missing` words it as a missing figure)."""
    return "answer-missing" if fld.part == "question" and "answer-missing" in rules.rules else "value-missing"


def evaluate(
    plan: Plan,
    rnd: Round,
    unit: str,
    cells: Mapping[str, CellValue],
    rules: RuleBook,
    received: date,
    previous: Mapping[str, int] | None = None,
    last: Mapping[str, int] | None = None,
) -> tuple[dict[str, Value], list[Finding]]:
    """Parse every input and run every rule: the values to record and the findings, in sheet order.

    `previous` is the unit's cumulative figure through the year before this round, per indicator;
    `last` its year figure in its latest accepted earlier round.
    """
    values: dict[str, Value] = {}
    findings: list[Finding] = []
    fields = {f.name: f for f in form.input_fields(plan, rnd)}

    def find(code: str, fld: form.Field, **extra) -> None:
        where = cells[fld.name]
        context = {"label": fld.label, **extra}
        findings.append(rules.finding(code, unit=unit, round=rnd.id, sheet=where.sheet,
                                      cell=where.cell, **context))

    for name, fld in fields.items():
        if name not in cells:
            continue
        raw = cells[name].value
        if fld.kind == "text":
            text = str(raw).strip() if raw not in (None, "") else None
            values[name] = text
            if text and fld.max_length and len(text) > fld.max_length:
                find("text-too-long", fld, length=len(text), limit=fld.max_length)
            continue
        parsed = PARSERS[fld.kind](raw)
        values[name] = parsed.value.isoformat() if isinstance(parsed.value, date) else parsed.value
        if parsed.problem == "value-missing":
            if fld.required and rules.with_check("required"):
                find(_missing_code(fld, rules), fld)
        elif parsed.problem:
            shown_value = (format_date(parsed.value) if isinstance(parsed.value, date)
                           else format_number(parsed.value))
            find(parsed.problem, fld, found=parsed.shown, value=shown_value)

    for check in checks.of_stage("pair"):
        for rule in rules.with_check(check.name):
            for pair in checks.comparisons_of(check.name, plan, rnd):
                left, right = values.get(pair.left), values.get(pair.right)
                if broken(pair, left, right):
                    named = dict(zip(pair.names, (shown(left), shown(right)), strict=True))
                    other = cells.get(pair.right)  # the second cell, for a message that names both
                    find(rule.code, fields[pair.flagged], label=pair.label, **named,
                         other_cell=other.cell if other else "", other_sheet=other.sheet if other else "")

    year_measure = form.YEAR_MEASURE.get(rnd.kind, "")
    targets = plan.targets[unit]
    on_indicator = checks.of_stage("indicator")
    relations = {c.name: {p.flagged: p for p in checks.comparisons_of(c.name, plan, rnd)} for c in on_indicator}
    for indicator in plan.indicators if rnd.regular else ():
        name = form.field_name(indicator.code, year_measure)
        figure = values.get(name)
        target = targets[indicator.code]
        if not isinstance(figure, int) or not target:
            continue
        typed = values.get(form.field_name(indicator.code, form.PREVIOUS))
        before = (previous or {}).get(indicator.code, typed if isinstance(typed, int) else 0)
        cumulative = figure if indicator.kind == "stock" else before + figure
        figures = checks.IndicatorFigures(indicator, figure, cumulative, target, (last or {}).get(indicator.code))
        for check in on_indicator:
            for rule in rules.with_check(check.name):
                found = check.on_indicator(figures, rule, relations[check.name].get(name))  # type: ignore[misc]
                if found is not None:
                    find(rule.code, fields[name], **found)

    for check in checks.of_stage("file"):
        for rule in rules.with_check(check.name):
            found = check.on_file(rnd, received)  # type: ignore[misc]
            if found is not None:
                findings.append(rules.finding(rule.code, unit=unit, round=rnd.id, **_worded(found)))
    return values, findings


def _worded(found: Mapping[str, object]) -> dict[str, object]:
    """Dates as a Vietnamese message writes them."""
    return {k: format_date(v) if isinstance(v, date) else v for k, v in found.items()}
