"""Validation rules as data (plan/rules.toml) and the pure functions that evaluate them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from pipeline.core.errors import PlanError
from pipeline.core.findings import SEVERITIES, Finding
from pipeline.core.vietnamese import format_date, format_number
from pipeline.plan import form
from pipeline.plan.model import Plan, Round
from pipeline.validation import comparisons

CHECKS = ("required", "numerator_le_denominator", "disbursed_le_allocated", "above_target", "deadline",
          "stock_not_lower", "jump", "estimate_not_below_ytd")


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
        self._by_check: dict[str | None, list[Rule]] = {}  # asked for each check of every file read
        for rule in self.rules.values():
            self._by_check.setdefault(rule.check, []).append(rule)

    @classmethod
    def load(cls, plan_dir: Path) -> RuleBook:
        path = Path(plan_dir) / "rules.toml"
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanError(f"Không tìm thấy {path}: thư mục kế hoạch nào cũng cần tệp rules.toml.") from None
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{path}: viết sai cú pháp TOML ({exc}).") from None
        rules = {}
        for code, entry in raw.items():
            severity, message, check = entry.get("severity"), entry.get("message"), entry.get("check")
            if severity not in SEVERITIES or not message:
                raise PlanError(f"{path}: [{code}] cần severity (error hoặc warning) và message.")
            if check is not None and check not in CHECKS:
                raise PlanError(f"{path}: [{code}] có check «{check}» không tồn tại; các check: {', '.join(CHECKS)}.")
            params = {k: v for k, v in entry.items() if k not in ("severity", "message", "check")}
            rules[code] = Rule(code, severity, message, check, params)
        return cls(rules)

    def finding(self, code: str, *, unit=None, round=None, sheet=None, cell=None, **values) -> Finding:
        rule = self.rules[code]
        context = _Blank({**rule.params, **values, "sheet": sheet or "", "cell": cell or "",
                          "unit": unit or "", "round": round or ""})
        return Finding(code, rule.severity, rule.message.format_map(context), unit, round, sheet, cell)

    def with_check(self, check: str) -> list[Rule]:
        return list(self._by_check.get(check, ()))


# -- cell values ----------------------------------------------------------------------------------

_WHOLE = re.compile(r"^\d+$")
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.200 or 1.200,5 as Vietnamese write them
_DECIMAL_COMMA = re.compile(r"^\d+,\d+$")  # 12,5 as Vietnamese write 12.5
_DECIMAL_POINT = re.compile(r"^\d*\.\d+$")
_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_EXCEL_EPOCH = date(1899, 12, 30)

Number = int | float
# Beyond any count or amount (in millions of đồng) this plan can hold; far below what the ledger's
# integers overflow at (2**63).
MAX_VALUE = 1e12


@dataclass(frozen=True)
class Parsed:
    value: Number | date | None
    problem: str | None = None  # finding code when the cell cannot be taken as it is
    shown: str = ""  # what the sender typed, for the message


def _number_from_text(text: str) -> float | None:
    digits = text.lstrip("-").strip()
    sign = -1.0 if text.startswith("-") else 1.0
    if _WHOLE.match(digits):
        return sign * float(digits)
    if _THOUSANDS.match(digits):
        return sign * float(digits.replace(".", "").replace(",", "."))
    if _DECIMAL_COMMA.match(digits):
        return sign * float(digits.replace(",", "."))
    if _DECIMAL_POINT.match(digits):
        return sign * float(digits)
    return None


def _parse_number(raw: object, *, whole: bool) -> Parsed:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, "value-missing")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return Parsed(None, "value-not-number", str(raw))
    if isinstance(raw, str):
        shown = raw.strip()
        number = _number_from_text(shown.replace("\u00a0", "").replace(" ", ""))
        if number is None:
            return Parsed(None, "value-not-number", shown)
        from_text = True
    else:
        number, shown, from_text = float(raw), "", False  # written out only for a message
    problem = _number_problem(number, whole)
    if problem is not None:
        return Parsed(None, problem, shown if isinstance(raw, str) else format_number(raw))
    value: Number = int(number) if number.is_integer() else number
    return Parsed(value, "value-text-number" if from_text else None, shown)


def _number_problem(number: float, whole: bool) -> str | None:
    if number != number or number in (float("inf"), float("-inf")):
        return "value-not-number"
    if number < 0:
        return "value-negative"
    if number > MAX_VALUE:
        return "value-too-large"
    if whole and not number.is_integer():
        return "value-not-whole"
    return None


def parse_count(raw: object) -> Parsed:
    """A count cell as typed by a person: a whole number >= 0, possibly written as text."""
    return _parse_number(raw, whole=True)


def parse_amount(raw: object) -> Parsed:
    """A money cell: a number >= 0, decimals allowed, possibly written as text (1.200,5)."""
    return _parse_number(raw, whole=False)


def parse_day(raw: object) -> Parsed:
    """A date cell: a real date, an Excel day number, or text written dd/mm/yyyy."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, "value-missing")
    if isinstance(raw, datetime):
        return Parsed(raw.date())
    if isinstance(raw, date):
        return Parsed(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        return Parsed(_EXCEL_EPOCH + timedelta(days=int(raw)))
    match = _DAY.match(str(raw).strip())
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return Parsed(date(year, month, day), "value-text-date", str(raw).strip())
        except ValueError:
            pass
    return Parsed(None, "value-not-date", str(raw).strip())


def parse_yes_no(raw: object) -> Parsed:
    """A yes/no cell: «Có» or «Không» (as the template's list offers), also x, yes/no, true/false."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None, "value-missing")
    text = str(raw).strip().casefold()
    if raw is True or text in ("có", "co", "x", "yes", "true", "1"):
        return Parsed(1)
    if raw is False or text in ("không", "khong", "no", "false", "0"):
        return Parsed(0)
    return Parsed(None, "value-not-yes-no", str(raw).strip())


PARSERS = {"count": parse_count, "money": parse_amount, "date": parse_day, "yesno": parse_yes_no}


# -- a whole submission ---------------------------------------------------------------------------


Value = int | float | str | None  # as recorded: numbers, text, dates as ISO text


@dataclass(frozen=True)
class CellValue:
    sheet: str
    cell: str
    value: object  # as the reader gave it: str, float, int, bool, date, or "" when empty


# The checks that compare two cells of one file, evaluated from their definitions in comparisons.py.
PAIR_CHECKS = ("numerator_le_denominator", "disbursed_le_allocated", "estimate_not_below_ytd")


def scale_of(rule: Rule) -> float:
    """above_target: the share of the target (rule parameter `percent`) a cumulative figure may reach."""
    return float(rule.params.get("percent", 150)) / 100  # type: ignore[arg-type]


def _shown(value: object) -> object:
    """A number as a message shows it: 1.500; 12,5."""
    return format_number(value) if isinstance(value, int | float) else value  # type: ignore[arg-type]


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

    for check in PAIR_CHECKS:
        for rule in rules.with_check(check):
            for pair in comparisons.comparisons(check, plan, rnd):
                left, right = values.get(pair.left), values.get(pair.right)
                if comparisons.broken(pair, left, right):
                    shown = dict(zip(pair.names, (_shown(left), _shown(right)), strict=True))
                    find(rule.code, fields[pair.flagged], label=pair.label, **shown)

    year_measure = form.YEAR_MEASURE.get(rnd.kind, "")
    targets = plan.targets[unit]
    above_target = {c.flagged: c for c in comparisons.comparisons("above_target", plan, rnd)}
    for indicator in plan.indicators if rnd.regular else ():
        name = form.field_name(indicator.code, year_measure)
        figure = values.get(name)
        target = targets[indicator.code]
        if not isinstance(figure, int) or not target:
            continue
        typed = values.get(form.field_name(indicator.code, form.PREVIOUS))
        before = (previous or {}).get(indicator.code, typed if isinstance(typed, int) else 0)
        cumulative = figure if indicator.kind == "stock" else before + figure
        before_round = (last or {}).get(indicator.code)
        if before_round is not None:
            if indicator.kind == "stock" and figure < before_round:
                for rule in rules.with_check("stock_not_lower"):
                    find(rule.code, fields[name], figure=figure, last=before_round)
            for rule in rules.with_check("jump"):
                factor = float(rule.params.get("factor", 3))  # type: ignore[arg-type]
                if before_round > 0 and figure > factor * before_round:
                    find(rule.code, fields[name], figure=figure, last=before_round)
        for rule in rules.with_check("above_target"):
            pair = above_target[name]
            if comparisons.broken(pair, cumulative, target, scale_of(rule)):
                find(rule.code, fields[name], cumulative=cumulative, target=target)

    late_days = (received - rnd.district_deadline).days
    if late_days > 0:
        for rule in rules.with_check("deadline"):
            findings.append(rules.finding(rule.code, unit=unit, round=rnd.id,
                                          received=format_date(received),
                                          deadline=format_date(rnd.district_deadline),
                                          days=late_days))
    return values, findings
