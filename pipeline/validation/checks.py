"""The check types a rule of plan/rules.toml can name, each defined once, as one entry of `REGISTRY`:
when it runs while a file is read, which cells it relates (what both ingest and the template's check
sheet evaluate), and what it checks on receipt that the template cannot (the unit's earlier figures in
the ledger, the day the file arrived). A new check type is one entry here and its rules in rules.toml.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from pipeline.core.vietnamese import round_title
from pipeline.plan import form
from pipeline.plan.model import Indicator, Plan, Round
from pipeline.validation.comparisons import Comparison, broken
from pipeline.validation.rule import Rule

# When a check runs, in this order: an input left empty; two cells of the file; an indicator's
# figure against the unit's history and target; the file as received.
STAGES = ("input", "pair", "indicator", "file")
PREVIOUS_ROUND = "so sánh với số liệu kỳ trước (tỉnh đối chiếu khi nhận tệp)"


@dataclass(frozen=True)
class IndicatorFigures:
    """One indicator of a received file as the province sees it: the year's figure, the cumulative
    figure it makes, the unit's target, and its year figure in its latest earlier round (if any)."""

    indicator: Indicator
    figure: int
    cumulative: int
    target: int
    last: int | None


Found = Mapping[str, object] | None  # the values a finding's message names, or None: not broken


@dataclass(frozen=True)
class CheckType:
    name: str
    stage: str
    relates: Callable[[Plan, Round], list[Comparison]] = lambda plan, rnd: []
    receipt_only: str = ""  # why the template's check sheet cannot make it (the sheet says so)
    on_indicator: Callable[[IndicatorFigures, Rule, Comparison | None], Found] | None = None
    on_file: Callable[[Round, date], Found] | None = None


def scale_of(rule: Rule) -> float:
    """above_target: the share of the target (rule parameter `percent`) a cumulative figure may reach."""
    return float(rule.params.get("percent", 150)) / 100  # type: ignore[arg-type]


def _fields(plan: Plan, rnd: Round) -> dict[str, form.Field]:
    return {f.name: f for f in form.input_fields(plan, rnd)}


def _required(plan: Plan, rnd: Round) -> list[Comparison]:
    # An optional input (a figure the ledger may carry instead) is required wherever the template has it.
    return [Comparison(f.name, f.name, "empty", label=f.label) for f in _fields(plan, rnd).values() if f.required]


def _not_above(found: list[tuple[str, str, str]], names: tuple[str, str],
               fields: Mapping[str, object]) -> list[Comparison]:
    return [Comparison(left, left, ">", right, label, names) for left, right, label in found
            if left in fields and right in fields]


def _numerator_le_denominator(plan: Plan, rnd: Round) -> list[Comparison]:
    found = [(form.field_name(r.code, "num"), form.field_name(r.code, "den"), r.name) for r in plan.ratios]
    return _not_above(found, ("numerator", "denominator"), _fields(plan, rnd))


def _disbursed_le_allocated(plan: Plan, rnd: Round) -> list[Comparison]:
    found = [(form.field_name(f"budget_{s.code}", "disbursed"), form.field_name(f"budget_{s.code}", "allocated"),
              s.name) for s in plan.budget_sources]
    return _not_above(found, ("disbursed", "allocated"), _fields(plan, rnd))


def _estimate_not_below_ytd(plan: Plan, rnd: Round) -> list[Comparison]:
    if rnd.kind != "annual":
        return []
    fields = _fields(plan, rnd)
    return [Comparison(form.field_name(i.code, "estimate"), form.field_name(i.code, "estimate"), "<",
                       form.field_name(i.code, "ytd"), fields[form.field_name(i.code, "estimate")].label,
                       ("estimate", "so_far"))
            for i in plan.indicators]


def _stock_not_below_previous(plan: Plan, rnd: Round) -> list[Comparison]:
    """A stock (groups, clubs, addresses that exist) typed lower for this year than the same file's own
    figure to the end of last year: the report would take the lower one."""
    if not rnd.regular:
        return []
    fields, year = _fields(plan, rnd), form.YEAR_MEASURE[rnd.kind]
    pairs = [(form.field_name(i.code, year), form.field_name(i.code, form.PREVIOUS), i.short_name)
             for i in plan.indicators if i.kind == "stock"]
    return [Comparison(now, now, "<", before, label, ("figure", "previous")) for now, before, label in pairs
            if now in fields and before in fields]


def _above_target(plan: Plan, rnd: Round) -> list[Comparison]:
    if not rnd.regular:
        return []
    year = form.YEAR_MEASURE[rnd.kind]
    return [Comparison(form.field_name(i.code, year), form.output_name(i.code, "cumulative"), ">",
                       form.target_name(i.code), i.short_name, ("cumulative", "target"), scaled=True)
            for i in plan.indicators]


def _stock_not_lower(figures: IndicatorFigures, rule: Rule, pair: Comparison | None) -> Found:
    lower = figures.indicator.kind == "stock" and figures.last is not None and figures.figure < figures.last
    return {"figure": figures.figure, "last": figures.last} if lower else None


def _jump(figures: IndicatorFigures, rule: Rule, pair: Comparison | None) -> Found:
    factor = float(rule.params.get("factor", 3))  # type: ignore[arg-type]
    last = figures.last
    jumped = last is not None and last > 0 and figures.figure > factor * last
    return {"figure": figures.figure, "last": last} if jumped else None


def _over_target(figures: IndicatorFigures, rule: Rule, pair: Comparison | None) -> Found:
    over = pair is not None and broken(pair, figures.cumulative, figures.target, scale_of(rule))
    return {"cumulative": figures.cumulative, "target": figures.target} if over else None


def _late(rnd: Round, received: date) -> Found:
    days = (received - rnd.district_deadline).days
    return {"received": received, "deadline": rnd.district_deadline, "days": days} if days > 0 else None


def _closed(rnd: Round, received: date) -> Found:
    """After the province's own deadline the round's report has gone out: the file's figures are kept,
    but they are not in that report."""
    if received <= rnd.province_deadline:
        return None
    return {"round_title": round_title(rnd), "closed": rnd.province_deadline}


REGISTRY = (
    CheckType("required", "input", relates=_required),
    CheckType("numerator_le_denominator", "pair", relates=_numerator_le_denominator),
    CheckType("disbursed_le_allocated", "pair", relates=_disbursed_le_allocated),
    CheckType("estimate_not_below_ytd", "pair", relates=_estimate_not_below_ytd),
    CheckType("stock_not_below_previous", "pair", relates=_stock_not_below_previous),
    CheckType("stock_not_lower", "indicator", receipt_only=PREVIOUS_ROUND, on_indicator=_stock_not_lower),
    CheckType("jump", "indicator", receipt_only=PREVIOUS_ROUND, on_indicator=_jump),
    CheckType("above_target", "indicator", relates=_above_target, on_indicator=_over_target),
    CheckType("deadline", "file", receipt_only="ngày nhận tệp so với hạn nộp", on_file=_late),
    CheckType("round_closed", "file", receipt_only="ngày nhận tệp so với hạn tỉnh báo cáo", on_file=_closed),
)
BY_NAME = {check.name: check for check in REGISTRY}
NAMES = tuple(BY_NAME)
RECEIPT_ONLY = {check.name: check.receipt_only for check in REGISTRY if check.receipt_only}


def of_stage(stage: str) -> tuple[CheckType, ...]:
    return tuple(check for check in REGISTRY if check.stage == stage)


def comparisons_of(check: str, plan: Plan, rnd: Round) -> tuple[Comparison, ...]:
    """Every instance of a check in the template of `rnd` (empty for a check the template cannot make)."""
    return plan.derived((comparisons_of, check, rnd.id), lambda: tuple(BY_NAME[check].relates(plan, rnd)))
