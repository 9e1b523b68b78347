"""The bundled demonstration: two rounds of sample submissions sent through every stage."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import openpyxl

from pipeline.app.queries import carried_figures
from pipeline.app.run_log import RunReport
from pipeline.app.runner import run
from pipeline.core.locations import Paths
from pipeline.core.office_package import normalize_package
from pipeline.plan import activities, form
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.plan.model import Plan, Round, Unit
from pipeline.templates.writer import write_templates
from pipeline.validation.rules import RuleBook

# (round, the day the officer runs the pipeline) — both before the district deadline.
DEMO_ROUNDS = (("2023-update", date(2024, 1, 22)), ("2024-annual", date(2024, 9, 9)))
# Sample files are stamped with this time, so the demo gives the same bytes on every run.
SAMPLE_TIME = datetime(2024, 9, 1, 8, 0)
# One district sends a file with a mistake first, then the corrected one.
CORRECTED_UNIT = "120"


@dataclass
class DemoResult:
    workdir: Path
    templates: list[Path] = field(default_factory=list)
    samples: dict[str, dict[str, dict[str, int | float | str]]] = field(default_factory=dict)
    runs: list[RunReport] = field(default_factory=list)

    @property
    def outputs(self) -> list[Path]:
        return [p for r in self.runs for p in r.outputs]


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
        target = plan.targets[unit.code][indicator.code]
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


def run_demo(workdir: Path, plan_dir: Path = DEFAULT_PLAN_DIR) -> DemoResult:
    workdir = Path(workdir)
    for folder in ("templates_xlsx", "inbox", "outbox", "archive", "rejected"):
        shutil.rmtree(workdir / folder, ignore_errors=True)
    (workdir / "ledger.sqlite").unlink(missing_ok=True)
    plan = load_plan(plan_dir)
    paths = Paths.beside_outbox(workdir / "inbox", workdir / "outbox")
    result = DemoResult(workdir)
    for round_id, today in DEMO_ROUNDS:
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        templates = write_templates(plan, rnd, workdir / "templates_xlsx", carried=carried,
                                    rules=RuleBook.load(plan_dir))
        result.templates += templates
        result.samples[round_id] = {}
        for unit, template in zip(plan.units, templates, strict=True):
            values = sample_values(plan, rnd, unit, with_previous=not carried.get(unit.code))
            result.samples[round_id][unit.code] = values
            if unit.code == CORRECTED_UNIT:
                wrong = dict(values, **{form.field_name(plan.indicators[1].code,
                                                        form.YEAR_MEASURE[rnd.kind]): -3})
                fill_template(template, paths.inbox / "lan-1" / template.name, wrong)
            fill_template(template, paths.inbox / template.name, values)
        if rnd.kind == "annual":
            (paths.inbox / "anh-chup-bao-cao.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a workbook")
        result.runs.append(run(paths, plan_dir, today=today))
    return result
