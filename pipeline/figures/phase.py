"""The phase's arithmetic: its years, each year's figure for a set of units (and whether any of it is
a September estimate), the figures typed before the first reported year, and each indicator's
outcome at the end of the phase."""

from __future__ import annotations

from pipeline.figures.consolidate import Consolidation
from pipeline.figures.report_figures import is_estimate
from pipeline.plan import schedule
from pipeline.plan.model import Indicator, Plan, Unit


def phase_id(plan: Plan) -> str:
    return plan.phase


def phase_years(plan: Plan, result: Consolidation) -> list[int]:
    return sorted({r.year for r in plan.rounds_through(result.round.id)})


def year_figure(plan: Plan, result: Consolidation, units: list[Unit], code: str, year: int) -> tuple[int | None, bool]:
    """The units' figure for one year and whether any of it is a September estimate."""
    sources = [s for u in units if (s := result.progress[u.code][code].years.get(year)) is not None]
    if not sources:
        return None, False
    return sum(s.value for s in sources), any(is_estimate(plan, s) for s in sources)


def baseline_total(result: Consolidation, units: list[Unit], code: str) -> int | None:
    typed = [p.baseline.value for u in units if (p := result.progress[u.code][code]).baseline is not None]
    return sum(typed) if typed else None


def phase_outcome(indicator: Indicator, cumulative: int | None, target: int, last_year: int, closed: bool) -> str:
    state = schedule.status(cumulative, target, indicator.milestones, last_year, year_closed=closed)
    if state == schedule.DONE:
        return "Đạt chỉ tiêu"
    if state == schedule.OVERDUE:
        return "Không đạt chỉ tiêu"
    return schedule.LABELS[state]
