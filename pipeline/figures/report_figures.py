"""What the reports say about an indicator for a set of units at a round: the year's figure beside
the cumulative one, which parts rest on a September estimate, and which were kept from units that
have not reported this round.

The missing-unit rule (stated for the officer in plan/README.md): a unit that has not reported this
round keeps its last accepted figures; they are counted in the totals, their share is stated apart,
and the unit is named with the round its figures come from. A unit with no accepted figure at all is
named and contributes nothing; targets are always the whole plan's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.figures.consolidate import Consolidation, Source, share
from pipeline.plan import form
from pipeline.plan.model import Plan, Round, Unit


@dataclass(frozen=True)
class Figure:
    target: int
    ytd: int | None  # results so far this year, typed in this round (annual rounds only)
    year: int | None  # the year's figure: full-year estimate in September, actual in January
    year_estimated: bool  # some of `year` is a September estimate
    year_kept: int  # the part of `year` kept from units that did not report this round
    cumulative: int | None
    cumulative_estimated: bool  # some year inside `cumulative` rests on a September estimate
    kept: int  # the part of `cumulative` kept from units that did not report this round

    @property
    def share(self) -> float | None:
        return share(self.cumulative, self.target)


@dataclass(frozen=True)
class Coverage:
    """Who stands behind the figures of a round."""

    reported: list[Unit]  # an accepted submission this round
    kept: list[tuple[Unit, Round]]  # not this round: their last accepted figures, and that round
    without: list[Unit]  # no accepted figure at all
    left_out: list[Unit] = field(default_factory=list)  # valid, but the officer left them out of the round

    @property
    def units(self) -> int:
        return len(self.reported) + len(self.kept) + len(self.without)


def is_estimate(plan: Plan, source: Source) -> bool:
    return plan.round(source.round).kind == "annual"


def figure(plan: Plan, result: Consolidation, units: list[Unit], indicator: str, target: int) -> Figure:
    rnd = result.round
    ytd = year = cumulative = None
    year_estimated = cumulative_estimated = False
    year_kept = kept = 0
    for unit in units:
        progress = result.progress[unit.code][indicator]  # a former unit's line holds its successors'
        this_year = progress.years.get(rnd.year)
        if this_year is not None:
            year = (year or 0) + this_year.value
            year_estimated |= is_estimate(plan, this_year)
        if progress.cumulative is not None:
            cumulative = (cumulative or 0) + progress.cumulative
            cumulative_estimated |= progress.basis == "estimate"
        for member in (unit, *plan.successors(unit.code)):
            own = result.own_progress(member.code)[indicator]
            if member.code in result.reported:
                typed = result.number(member.code, form.field_name(indicator, "ytd"))
                if typed is not None and rnd.kind == "annual":
                    ytd = (ytd or 0) + int(typed)
            elif member.valid_on(rnd.district_deadline):  # expected this round, not in: kept figures
                kept += own.cumulative or 0
                year_kept += own.years[rnd.year].value if rnd.year in own.years else 0
    return Figure(target, ytd, year, year_estimated, year_kept, cumulative, cumulative_estimated, kept)


def province_figure(plan: Plan, result: Consolidation, indicator: str) -> Figure:
    return figure(plan, result, list(plan.roots), indicator, plan.totals["total"][indicator])


def unit_figure(plan: Plan, result: Consolidation, unit: Unit, indicator: str) -> Figure:
    return figure(plan, result, [unit], indicator, plan.targets[unit.code][indicator])


def successors_reporting(plan: Plan, result: Consolidation, unit: Unit) -> tuple[int, int] | None:
    """For a unit that ended before the round and whose line goes on with its successors': how many of
    them reported this round, of how many; None for any other unit."""
    successors = plan.successors(unit.code)
    if not successors or unit.valid_to is None or unit.valid_to > result.round.district_deadline:
        return None
    return sum(s.code in result.reported for s in successors), len(successors)


def last_round(plan: Plan, result: Consolidation, unit: str) -> Round | None:
    """The latest round a unit's figures come from."""
    order = {r.id: n for n, r in enumerate(plan.rounds)}
    seen = {s.round for p in result.progress[unit].values() for s in p.sources}
    return plan.round(max(seen, key=order.__getitem__)) if seen else None


def coverage(plan: Plan, result: Consolidation) -> Coverage:
    reported, kept, without = [], [], []
    for unit in plan.units_for(result.round):
        if unit.code in result.reported:
            reported.append(unit)
        elif (source := last_round(plan, result, unit.code)) is not None:
            kept.append((unit, source))
        else:
            without.append(unit)
    return Coverage(reported, kept, without, list(plan.left_out(result.round)))
