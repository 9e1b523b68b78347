"""A unit's earlier figures, read from the ledger: what checking one file and consolidating need."""

from __future__ import annotations

from pipeline.figures import consolidate
from pipeline.ledger.store import Ledger
from pipeline.plan import form
from pipeline.plan.model import Plan, Round, Unit


def history(plan: Plan, ledger: Ledger, rounds: tuple[Round, ...], unit: str | None = None) -> consolidate.History:
    """The accepted values of each round, per unit; with `unit`, that unit's only (what checking one
    file needs: its cost must not grow with the number of units)."""
    return {
        rnd.id: {code: (record, ledger.values(record.id)) for code, record in ledger.current(rnd.id, unit).items()}
        for rnd in rounds
    }


def last_figures(plan: Plan, ledger: Ledger, rnd: Round, unit: str) -> dict[str, int]:
    """The unit's year figures in its latest accepted round before `rnd`, per indicator (none for an
    adhoc round: its snapshot is not checked against the year's figures)."""
    if not rnd.regular:
        return {}
    for earlier in reversed(plan.rounds_through(rnd.id)[:-1]):
        record = ledger.current(earlier.id, unit).get(unit)
        if record is None:
            continue
        values = ledger.values(record.id)
        measure = form.YEAR_MEASURE[earlier.kind]
        return {i.code: int(v.number) for i in plan.indicators
                if (v := values.get(form.field_name(i.code, measure))) is not None and v.number is not None}
    return {}


def previous_cumulative(plan: Plan, ledger: Ledger, rnd: Round, unit: str) -> dict[str, int]:
    """The unit's cumulative figures through the year before `rnd`, per indicator: from the years
    before, or the figure it typed in an earlier round of the same year."""
    if not rnd.regular:
        return {}
    earlier = plan.rounds_through(rnd.id)[:-1]
    if not earlier:
        return {}
    past = history(plan, ledger, earlier, unit)
    result = {}
    for indicator in plan.indicators:
        progress = consolidate.unit_progress(plan, earlier[-1], unit, indicator, past)
        figure = consolidate.cumulative_before(progress, indicator.kind, rnd.year)
        if figure is not None:
            result[indicator.code] = figure
    if not result and starts_in(plan.unit(unit), rnd):
        return {i.code: 0 for i in plan.indicators}
    return result


def starts_in(unit: Unit, rnd: Round) -> bool:
    """A unit formed in a change during or after the round's year starts from nothing: its former
    units' figures stay with their lines, so nothing is counted twice."""
    return unit.valid_from is not None and rnd.regular and unit.valid_from.year >= rnd.year
