"""Validation rules as data (plan/rules.toml) and the pure functions that evaluate them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import form
from .errors import PlanError
from .plan import Plan, Round
from .vietnamese import format_date, format_number

SEVERITIES = ("error", "warning")
CHECKS = ("required", "numerator_le_denominator", "above_target", "deadline")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    unit: str | None = None
    round: str | None = None
    sheet: str | None = None
    cell: str | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: str
    check: str | None
    params: Mapping[str, object]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class RuleBook:
    def __init__(self, rules: Mapping[str, Rule]):
        self.rules = dict(rules)

    @classmethod
    def load(cls, plan_dir: Path) -> RuleBook:
        path = Path(plan_dir) / "rules.toml"
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanError(f"{path}: file not found; every plan folder needs rules.toml.") from None
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{path}: {exc}") from None
        rules = {}
        for code, entry in raw.items():
            severity, message, check = entry.get("severity"), entry.get("message"), entry.get("check")
            if severity not in SEVERITIES or not message:
                raise PlanError(f"{path}: [{code}] needs severity (error or warning) and a message.")
            if check is not None and check not in CHECKS:
                raise PlanError(f"{path}: [{code}] has unknown check '{check}'; known: {', '.join(CHECKS)}.")
            params = {k: v for k, v in entry.items() if k not in ("severity", "message", "check")}
            rules[code] = Rule(code, severity, message, check, params)
        return cls(rules)

    def finding(self, code: str, *, unit=None, round=None, sheet=None, cell=None, **values) -> Finding:
        rule = self.rules[code]
        context = _Blank({**rule.params, **values, "sheet": sheet or "", "cell": cell or ""})
        return Finding(code, rule.severity, rule.message.format_map(context), unit, round, sheet, cell)

    def with_check(self, check: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.check == check]


# -- cell values ----------------------------------------------------------------------------------

_WHOLE = re.compile(r"^\d+$")
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 1.200 as Vietnamese write 1200
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")  # 12,0 as Vietnamese write 12.0
_DECIMAL_POINT = re.compile(r"^\d*\.\d+$")


@dataclass(frozen=True)
class ParsedCount:
    value: int | None
    problem: str | None = None  # finding code when the cell cannot be taken as it is
    shown: str = ""  # what the sender typed, for the message


def parse_count(raw: object) -> ParsedCount:
    """A count cell as typed by a person: a whole number >= 0, possibly written as text."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ParsedCount(None, "value-missing")
    if isinstance(raw, bool):
        return ParsedCount(None, "value-not-number", str(raw))
    if isinstance(raw, int | float):
        return _check_number(float(raw), format_number(raw), from_text=False)
    if not isinstance(raw, str):
        return ParsedCount(None, "value-not-number", str(raw))
    text = raw.strip().replace("\u00a0", "")
    sign = -1.0 if text.startswith("-") else 1.0
    digits = text.lstrip("-").strip()
    if _WHOLE.match(digits):
        number = float(digits)
    elif _THOUSANDS.match(digits):
        number = float(digits.replace(".", ""))
    elif _DECIMAL_COMMA.match(digits):
        number = float(digits.replace(",", "."))
    elif _DECIMAL_POINT.match(digits):
        number = float(digits)
    else:
        return ParsedCount(None, "value-not-number", raw.strip())
    return _check_number(sign * number, raw.strip(), from_text=True)


def _check_number(number: float, shown: str, *, from_text: bool) -> ParsedCount:
    if number != number or number in (float("inf"), float("-inf")):
        return ParsedCount(None, "value-not-number", shown)
    if number < 0:
        return ParsedCount(None, "value-negative", shown)
    if not number.is_integer():
        return ParsedCount(None, "value-not-whole", shown)
    return ParsedCount(int(number), "value-text-number" if from_text else None, shown)


# -- a whole submission ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellValue:
    sheet: str
    cell: str
    value: object  # as the reader gave it: str, float, int, bool, date, or "" when empty


def evaluate(
    plan: Plan,
    rnd: Round,
    unit: str,
    cells: Mapping[str, CellValue],
    rules: RuleBook,
    received: date,
    previous: Mapping[str, int] | None = None,
) -> tuple[dict[str, int | str | None], list[Finding]]:
    """Parse every input and run every rule: the values to record and the findings, in sheet order.

    `previous` is the unit's cumulative figure through the year before this round, per indicator.
    """
    values: dict[str, int | str | None] = {}
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
            values[name] = str(raw).strip() if raw not in (None, "") else None
            continue
        parsed = parse_count(raw)
        values[name] = parsed.value
        if parsed.problem == "value-missing":
            if rules.with_check("required"):
                find("value-missing", fld)
        elif parsed.problem:
            find(parsed.problem, fld, found=parsed.shown, value=format_number(parsed.value))

    for ratio in plan.ratios:
        num = values.get(form.field_name(ratio.code, "num"))
        den = values.get(form.field_name(ratio.code, "den"))
        if isinstance(num, int) and isinstance(den, int) and num > den:
            for rule in rules.with_check("numerator_le_denominator"):
                find(rule.code, fields[form.field_name(ratio.code, "num")], numerator=num,
                     denominator=den, label=ratio.name)

    year_measure = form.YEAR_MEASURE[rnd.kind]
    targets = plan.targets[unit]
    for indicator in plan.indicators:
        name = form.field_name(indicator.code, year_measure)
        figure = values.get(name)
        target = targets[indicator.code]
        if not isinstance(figure, int) or not target:
            continue
        before = (previous or {}).get(indicator.code) or 0
        cumulative = figure if indicator.kind == "stock" else before + figure
        for rule in rules.with_check("above_target"):
            percent = float(rule.params.get("percent", 150))  # type: ignore[arg-type]
            if cumulative * 100 > target * percent:
                find(rule.code, fields[name], cumulative=cumulative, target=target)

    late_days = (received - rnd.district_deadline).days
    if late_days > 0:
        for rule in rules.with_check("deadline"):
            findings.append(rules.finding(rule.code, unit=unit, round=rnd.id,
                                          received=format_date(received),
                                          deadline=format_date(rnd.district_deadline),
                                          days=late_days))
    return values, findings
