"""Sample submissions, as a unit's staff would fill them: plausible figures drawn reproducibly for each
unit and round, typed into the template's input cells by their defined names. The demo sends them
through the pipeline; tests and benchmarks use them as fixtures."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl

from pipeline.core.office_package import normalize_package
from pipeline.plan import activities, form
from pipeline.plan.model import Plan, Round, Unit

# Sample files are stamped with this time, so the demo gives the same bytes on every run.
SAMPLE_TIME = datetime(2024, 9, 1, 8, 0)


def _scale(plan: Plan, unit: Unit, indicator: str) -> int:
    """The size of a unit's figures: its target; for a unit without one, its share of its former units'
    targets, or (a unit outside the allocation) a few."""
    if plan.has_targets(unit.code):
        return plan.targets[unit.code][indicator]
    formers = [code for code, _ in unit.shares]
    if not formers:
        return 4
    whole = sum(plan.targets[code][indicator] for code in formers)
    return max(1, round(whole / max(1, len(plan.successors(formers[0])))))


def sample_values(
    plan: Plan, rnd: Round, unit: Unit, *, with_previous: bool = False
) -> dict[str, int | float | str]:
    """Plausible, reproducible figures for one unit and round, keyed by input field.

    `with_previous`: the template asks for the cumulative figure through last year (nothing carried).
    """
    rng = random.Random(f"{plan.id}/{rnd.id}/{unit.code}")
    if not rnd.regular:
        return _adhoc_sample_values(plan, rnd, unit, rng)
    progress = min(1.0, (rnd.year - 2021) * 0.3)  # how far into the phase this year is
    values: dict[str, int | float | str] = {}
    for indicator in plan.indicators:
        target = _scale(plan, unit, indicator.code)
        if indicator.kind == "stock":
            figure = round(target * progress * rng.uniform(0.7, 1.05))
            before = round(figure * 0.6)
        else:
            figure = round(target * rng.uniform(0.15, 0.35))
            before = round(target * rng.uniform(0.0, 0.2))
        if with_previous:
            values[form.field_name(indicator.code, form.PREVIOUS)] = before
        if rnd.kind == "annual":
            values[form.field_name(indicator.code, "ytd")] = round(figure * 0.7)
            values[form.field_name(indicator.code, "estimate")] = figure
        else:
            values[form.field_name(indicator.code, "actual")] = figure
    for ratio in plan.ratios:
        denominator = rng.randint(50, 1500) if unit.level == "district" else rng.randint(1000, 5000)
        share = min(1.0, ratio.target_percent / 100 * rng.uniform(0.6, 1.1))
        values[form.field_name(ratio.code, "den")] = denominator
        values[form.field_name(ratio.code, "num")] = round(denominator * share)
    for source in plan.budget_sources:
        allocated = rng.randint(0, 2000) * 0.5
        values[form.field_name(f"budget_{source.code}", "allocated")] = allocated
        disbursed = round(allocated * rng.uniform(0.3, 1), 1)
        values[form.field_name(f"budget_{source.code}", "disbursed")] = disbursed
    values[form.field_name(plan.indicators[0].code, "note")] = f"Số liệu mẫu của {unit.name}."
    values[form.field_name("highlights", "text")] = f"{unit.name}: các tổ truyền thông hoạt động đều đặn."
    values[form.field_name("difficulties", "text")] = "Địa bàn rộng, giao thông khó khăn."
    values[form.field_name("proposals", "text")] = "Đề nghị bố trí kinh phí sớm."
    values[form.field_name("preparer", "text")] = "Nguyễn Thị Mẫu"
    values[form.field_name("phone", "text")] = "0212 3850 000"
    for activity in plan.activities:  # drawn last, so plans without activities get the same figures
        done = rng.random() < 0.75
        answers: dict[str, int | str] = {
            "done": activities.YES if done else activities.NO, "events": rng.randint(1, 6) if done else 0,
            "participants": rng.randint(20, 300) if done else 0, "note": ""}
        for ask in activity.asks:
            if answers[ask] != "":
                values[form.field_name(activities.subject(activity.code), ask)] = answers[ask]
    return values


def _adhoc_sample_values(plan: Plan, rnd: Round, unit: Unit, rng: random.Random) -> dict[str, int | float | str]:
    """An answer of the right kind for every input an adhoc round asks (notes left empty)."""
    samples: dict[str, Callable[[], int | float | str]] = {
        "count": lambda: rng.randint(0, 40),
        "money": lambda: round(rng.uniform(0, 200), 1),
        "yesno": lambda: activities.YES if rng.random() < 0.7 else activities.NO,
        "date": lambda: date(rnd.year, rng.randint(1, 5), rng.randint(1, 28)).isoformat(),
        "text": lambda: f"{unit.name}: nội dung mẫu.",
    }
    values: dict[str, int | float | str] = {}
    for fld in form.input_fields(plan, rnd):
        if fld.part != "note" and fld.name != "in_report_date":
            values[fld.name] = samples[fld.kind]()
    return values


def fill_template(template: Path, target: Path, values: dict[str, int | float | str]) -> None:
    """Type the values into the input cells, found by their defined names, as a person would."""
    book = openpyxl.load_workbook(template)
    for name, value in values.items():
        sheet, cell = next(iter(book.defined_names[name].destinations))
        typed = book[sheet][cell.replace("$", "")]
        typed.value = _typed_date(value)
        if isinstance(typed.value, str):
            typed.data_type = "s"  # typed text stays text, even "=…" (as Excel keeps '=… typed)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    normalize_package(target, SAMPLE_TIME)


def _typed_date(value: int | float | str) -> int | float | str | date:
    """An ISO date typed into a cell is a date, as a person's typing would make it."""
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value
