"""Consolidation: each unit's cumulative figures against its targets, and what they rest on.

Pure arithmetic over the ledger's accepted values; workbook/assemble.py writes it out as a workbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from pipeline.core.findings import Finding
from pipeline.ledger.schema import StoredValue, Submission
from pipeline.plan import form, schedule
from pipeline.plan.model import Indicator, Plan, Round, Unit


class Source(NamedTuple):  # a tuple, not a dataclass: a national consolidation makes a hundred thousand
    round: str
    record_id: int
    file: str
    sheet: str
    cell: str
    value: int


@dataclass
class Progress:
    """One unit's cumulative figure for one indicator, and the figures it rests on."""

    cumulative: int | None = None
    basis: str | None = None  # "final" when every year rests on an update round, else "estimate"
    sources: list[Source] = field(default_factory=list)
    years: dict[int, Source] = field(default_factory=dict)  # each year's figure, by the round it came from
    baseline: Source | None = None  # a flow's cumulative figure typed by the unit before its first year


@dataclass
class RatioParts:
    numerator: int | None = None
    denominator: int | None = None
    sources: list[Source] = field(default_factory=list)


@dataclass
class Consolidation:
    round: Round
    progress: dict[str, dict[str, Progress]]  # unit -> indicator -> progress
    ratios: dict[str, dict[str, RatioParts]]  # unit -> ratio -> parts
    reported: dict[str, Submission]  # unit -> the accepted submission of this round
    values: Mapping[str, Mapping[str, StoredValue]]  # unit -> every value of that submission
    records: list[Submission]  # every file of the rounds through this one, superseded ones included
    findings: dict[int, list[Finding]] = field(default_factory=dict)  # record id -> its findings
    # For an update round: each unit's September estimate of the same year, per indicator.
    estimates: dict[str, dict[str, int]] = field(default_factory=dict)
    # A unit that has successors: its own figures (`progress` holds its line: its own, then theirs).
    own: dict[str, dict[str, Progress]] = field(default_factory=dict)
    approved: bool = False  # the round's figures are approved: a later file is «gửi sau khi chốt»
    # Totals across units, kept once summed: the summary and the reports ask for the same province and
    # area totals again and again (3,400 sums over up to 3,321 units in a national summary). A
    # consolidation is therefore never changed once made; a changed copy is made with dataclasses.replace.
    sums: dict[tuple, int | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    # (indicator, year or None) -> unit -> its figure, for the units that have one: what the sums add up.
    columns: dict[tuple[str, int | None], dict[str, int]] = field(default_factory=dict, init=False, repr=False,
                                                                   compare=False)

    def own_progress(self, unit: str) -> dict[str, Progress]:
        return self.own.get(unit, self.progress[unit])

    @property
    def round_records(self) -> list[Submission]:
        return [r for r in self.records if r.round == self.round.id]

    def number(self, unit: str, name: str) -> int | float | None:
        stored = self.values.get(unit, {}).get(name)
        return stored.number if stored is not None else None

    def text(self, unit: str, name: str) -> str | None:
        stored = self.values.get(unit, {}).get(name)
        return stored.text if stored is not None else None


History = Mapping[str, Mapping[str, tuple[Submission, Mapping[str, StoredValue]]]]
"""round id -> unit -> (accepted record, its values), for the rounds through the one consolidated."""


def accumulate(kind: str, figures: list[int]) -> int | None:
    """Stocks keep the latest count; flows add up the years. `figures` is in year order."""
    if not figures:
        return None
    return figures[-1] if kind == "stock" else sum(figures)


def unit_progress(plan: Plan, rnd: Round, unit: str, indicator: Indicator, history: History) -> Progress:
    """Each year's figure comes from the latest round of that year (the update supersedes the
    annual estimate); the years are then accumulated by the indicator's kind. A flow whose first
    reported round had no carried figure starts from the cumulative figure the unit typed there."""
    return _progress(indicator, _entries(plan, rnd, unit, history))


Entries = list[tuple[Round, Submission, Mapping[str, StoredValue]]]


def _entries(plan: Plan, rnd: Round, unit: str, history: History) -> Entries:
    """The unit's accepted file of each round through `rnd`, with its values, in reporting order."""
    found = []
    for earlier in plan.rounds_through(rnd.id):
        entry = history.get(earlier.id, {}).get(unit)
        if entry is not None:
            found.append((earlier, *entry))
    return found


def _progress(indicator: Indicator, entries: Entries) -> Progress:
    by_year: dict[int, tuple[Round, Source]] = {}
    baselines: dict[int, Source] = {}
    for earlier, record, values in entries:
        stored = values.get(form.field_name(indicator.code, form.YEAR_MEASURE[earlier.kind]))
        if stored is None or stored.number is None:
            continue
        by_year[earlier.year] = (earlier, _source(earlier, record, stored))
        typed = values.get(form.field_name(indicator.code, form.PREVIOUS))
        if typed is not None and typed.number is not None:  # a later round of the year may retype it
            baselines[earlier.year] = _source(earlier, record, typed)
    years = sorted(by_year)
    if not years:
        return Progress()
    sources = [by_year[y][1] for y in years]
    yearly = {y: by_year[y][1] for y in years}
    basis = "final" if all(by_year[y][0].kind == "update" for y in years) else "estimate"
    baseline = baselines.get(years[0])
    if indicator.kind == "stock":
        return Progress(sources[-1].value, basis, sources[-1:], yearly, baseline)
    if baseline is not None:
        sources.insert(0, baseline)
    return Progress(accumulate(indicator.kind, [s.value for s in sources]), basis, sources, yearly, baseline)


def cumulative_before(progress: Progress, kind: str, year: int) -> int | None:
    """The cumulative figure through the year before `year`: what a template of `year` carries."""
    earlier = [source.value for y, source in sorted(progress.years.items()) if y < year]
    if kind == "stock":
        if earlier:
            return earlier[-1]
        return progress.baseline.value if progress.baseline else None
    if not earlier and progress.baseline is None:
        return None
    return (progress.baseline.value if progress.baseline else 0) + sum(earlier)


def _source(rnd: Round, record: Submission, stored: StoredValue) -> Source:
    return Source(rnd.id, record.id, record.shown_name, stored.sheet, stored.cell, int(stored.number or 0))


def apportion(value: int, shares: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """`value` split by percent shares into whole numbers that add up to it exactly: each share's floor,
    then the units left over to the largest remainders (ties: the share listed first)."""
    if len(shares) == 1:
        return {shares[0][0]: value}
    exact = [(code, value * percent) for code, percent in shares]
    parts = {code: whole // 100 for code, whole in exact}
    left = value - sum(parts.values())
    by_remainder = sorted(range(len(exact)), key=lambda n: (-(exact[n][1] % 100), n))
    for n in by_remainder[:left]:
        parts[exact[n][0]] += 1
    return parts


def counted_toward(progress: Progress, successor: Unit, former: str) -> Progress:
    """The part of a successor's figures that counts toward `former`'s line (all of it, or its share)."""
    if successor.shares == ((former, 100),):
        return progress

    def part(value: int) -> int:
        return apportion(value, successor.shares)[former]

    return Progress(
        None if progress.cumulative is None else part(progress.cumulative), progress.basis,
        [s._replace(value=part(s.value)) for s in progress.sources],
        {y: s._replace(value=part(s.value)) for y, s in progress.years.items()},
        progress.baseline and progress.baseline._replace(value=part(progress.baseline.value)))


def line_progress(plan: Plan, indicator: Indicator, own: Progress, parts: list[Progress]) -> Progress:
    """A former unit's line: its own figures, then its successors' (each the part counted toward it).
    Flows add up; a stock takes the successors' latest counts once any of them has one (they count what
    exists now), else its own."""
    members = [p for p in (own, *parts) if p.cumulative is not None]
    if not members:
        return Progress(baseline=own.baseline)
    order = {r.id: n for n, r in enumerate(plan.rounds)}
    years: dict[int, Source] = {}
    for year in sorted({y for p in members for y in p.years}):
        sources = [p.years[year] for p in members if year in p.years]
        latest = max(sources, key=lambda s: order[s.round])
        years[year] = Source(latest.round, 0, "", "", "", sum(s.value for s in sources))
    counted = [p for p in parts if p.cumulative is not None]
    if indicator.kind == "stock":
        cumulative = sum(p.cumulative or 0 for p in counted) if counted else own.cumulative
    else:
        cumulative = sum(p.cumulative or 0 for p in members)
    basis = "estimate" if any(p.basis == "estimate" for p in members) else "final"
    sources = [s for p in members for s in p.sources]
    return Progress(cumulative, basis, sources, years, own.baseline)


def _line_order(plan: Plan) -> list[Unit]:
    """Units with successors, the latest first: a successor that is itself succeeded later (a commune
    that became a ward) has its whole line before its former unit's line takes it in."""
    formers = [u for u in plan.units if plan.successors(u.code)]
    return sorted(formers, key=lambda u: u.valid_to or date.max, reverse=True)


def _ratio_parts(rnd: Round, this_round: Mapping[str, tuple[Submission, Mapping[str, StoredValue]]],
                 unit: str, ratio: str) -> RatioParts:
    parts = RatioParts()
    if unit in this_round:
        record, unit_values = this_round[unit]
        for measure in ("num", "den"):
            stored = unit_values.get(form.field_name(ratio, measure))
            if stored is not None and stored.number is not None:
                setattr(parts, "numerator" if measure == "num" else "denominator", int(stored.number))
                parts.sources.append(_source(rnd, record, stored))
    return parts


def _ratio_line(own: RatioParts, successors: list[tuple[Unit, RatioParts]], former: str) -> RatioParts:
    """A former unit's ratio parts in a round: its own, plus the part of its successors' counted toward it."""
    found = RatioParts(own.numerator, own.denominator, list(own.sources))
    for unit, parts in successors:
        for name in ("numerator", "denominator"):
            value = getattr(parts, name)
            if value is not None:
                mine = apportion(value, unit.shares)[former]
                setattr(found, name, (getattr(found, name) or 0) + mine)
        found.sources.extend(parts.sources)
    return found


def consolidate(plan: Plan, rnd: Round, history: History, records: list[Submission],
                findings: Mapping[int, list[Finding]] | None = None, *, approved: bool = False) -> Consolidation:
    progress = {}
    for unit in plan.units:
        entries = _entries(plan, rnd, unit.code, history)
        progress[unit.code] = {i.code: _progress(i, entries) for i in plan.indicators}
    this_round = history.get(rnd.id, {})
    ratios = {u.code: {r.code: _ratio_parts(rnd, this_round, u.code, r.code) for r in plan.ratios}
              for u in plan.units}
    own = {}
    for unit in _line_order(plan):
        successors = plan.successors(unit.code)
        own[unit.code] = progress[unit.code]
        progress[unit.code] = {
            i.code: line_progress(plan, i, own[unit.code][i.code],
                                  [counted_toward(progress[s.code][i.code], s, unit.code) for s in successors])
            for i in plan.indicators}
        ratios[unit.code] = {r.code: _ratio_line(ratios[unit.code][r.code],
                                                 [(s, ratios[s.code][r.code]) for s in successors], unit.code)
                             for r in plan.ratios}
    reported = {unit: entry[0] for unit, entry in this_round.items()}
    inputs = {unit: entry[1] for unit, entry in this_round.items()}
    estimates: dict[str, dict[str, int]] = {}
    if rnd.kind == "update":
        for code, (_, annual) in history.get(f"{rnd.year}-annual", {}).items():
            estimates[code] = {
                i.code: int(v.number) for i in plan.indicators
                if (v := annual.get(form.field_name(i.code, form.YEAR_MEASURE["annual"]))) is not None
                and v.number is not None
            }
    return Consolidation(rnd, progress, ratios, reported, inputs, records, dict(findings or {}), estimates, own,
                         approved)


def snapshot(plan: Plan, rnd: Round, this_round: Mapping[str, tuple[Submission, Mapping[str, StoredValue]]],
             records: list[Submission], findings: Mapping[int, list[Finding]] | None = None, *,
             approved: bool = False) -> Consolidation:
    """An adhoc round: each unit's accepted answers as they are; no cumulative figures, since its
    snapshot never enters the phase's progress."""
    return Consolidation(
        rnd,
        {u.code: {i.code: Progress() for i in plan.indicators} for u in plan.units},
        {u.code: {r.code: RatioParts() for r in plan.ratios} for u in plan.units},
        {unit: entry[0] for unit, entry in this_round.items()},
        {unit: entry[1] for unit, entry in this_round.items()},
        records,
        dict(findings or {}),
        approved=approved,
    )


def total_progress(result: Consolidation, units: list[Unit], indicator: str) -> int | None:
    """Across units, stocks and flows alike add up; None when no unit has a figure. A former unit's
    figure holds its successors', so `units` must not list both (the province: `plan.roots`)."""
    return _total(result, units, indicator, None)


def year_total(result: Consolidation, units: list[Unit], indicator: str, year: int) -> int | None:
    return _total(result, units, indicator, year)


def _total(result: Consolidation, units: list[Unit], indicator: str, year: int | None) -> int | None:
    """The units' cumulative figures (`year` None) or their figures of `year`, summed once and kept in
    `result.sums`; a unit's own figure is not kept: there is nothing to sum."""
    column = _column(result, indicator, year)
    if len(units) == 1:
        return column.get(units[0].code)
    key = (tuple([u.code for u in units]), indicator, year)
    if key not in result.sums:
        known = [column[code] for code in key[0] if code in column]
        result.sums[key] = sum(known) if known else None
    return result.sums[key]


def _column(result: Consolidation, indicator: str, year: int | None) -> dict[str, int]:
    """Every unit's figure of one indicator (cumulative, or of `year`), read once for all the sums
    (a national summary makes 1,500 of them, over up to 3,321 units each)."""
    column = result.columns.get((indicator, year))
    if column is None:
        if year is None:
            column = {code: figure for code, row in result.progress.items()
                      if (figure := row[indicator].cumulative) is not None}
        else:
            column = {code: source.value for code, row in result.progress.items()
                      if (source := row[indicator].years.get(year)) is not None}
        result.columns[(indicator, year)] = column
    return column


def ratio_total(result: Consolidation, units: list[Unit], ratio: str) -> tuple[int | None, int | None]:
    """A ratio across units is recomputed from the summed parts, never averaged."""
    parts = [result.ratios[u.code][ratio] for u in units]
    numerators = [p.numerator for p in parts if p.numerator is not None]
    denominators = [p.denominator for p in parts if p.denominator is not None]
    return (sum(numerators) if numerators else None, sum(denominators) if denominators else None)


def group_target(plan: Plan, units: list[Unit], indicator: str) -> int:
    """The phase targets of `units` together (a district's, an area's, the districts'), kept with the plan."""
    if len(units) == 1:
        return plan.targets[units[0].code][indicator]
    codes = tuple(u.code for u in units)
    return plan.derived((group_target, codes, indicator), lambda: sum(plan.targets[c][indicator] for c in codes))


def share(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def mean_share(plan: Plan, result: Consolidation, units: list[Unit]) -> float:
    """The units' figures together as a share of their targets, averaged over the indicators they have
    a target for (no figure counts as 0): how reports and charts rank units (or areas) when they show
    only the furthest ahead and behind."""
    shares = [share(total_progress(result, units, i.code) or 0, target) or 0.0 for i in plan.indicators
              if (target := group_target(plan, units, i.code))]
    return sum(shares) / len(shares) if shares else 0.0


@dataclass(frozen=True)
class Standing:
    """Where one unit (or the province, "total") stands on one indicator against the schedule."""

    status: str  # schedule.DONE, ON_TRACK, BEHIND, OVERDUE, NO_DATA or NO_TARGET
    cumulative: int | None
    target: int
    expected: float  # share of the target the schedule expects by the end of the round's year


def standings(plan: Plan, result: Consolidation) -> dict[str, dict[str, Standing]]:
    """unit code, and "total" for the province as a whole -> indicator -> its standing at the end of
    the round's year (the September estimate in an annual round, the actual in an update)."""
    return {key: standing(plan, result, key) for key in ["total", *(u.code for u in plan.units)]}


def standing(plan: Plan, result: Consolidation, key: str) -> dict[str, Standing]:
    """One unit's (or, for "total", the province's) standing on each indicator."""
    if key == "total":
        return group_standing(plan, result, list(plan.roots), plan.totals["total"])
    return group_standing(plan, result, [plan.unit(key)], plan.targets[key])


def group_standing(plan: Plan, result: Consolidation, units: list[Unit], targets: Mapping[str, int]
                   ) -> dict[str, Standing]:
    """The standing on each indicator of the figures of `units` together against `targets`."""
    rnd = result.round
    closed = rnd.kind == "update"
    row = {}
    for indicator in plan.indicators:
        code, due = indicator.code, indicator.milestones
        cumulative, target = total_progress(result, units, code), targets[code]
        state = schedule.status(cumulative, target, due, rnd.year, year_closed=closed)
        row[code] = Standing(state, cumulative, target, schedule.expected_share(due, rnd.year))
    return row
