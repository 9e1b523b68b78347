"""What the officer asks of the ledger without running: where the open rounds stand, and the figures
a round's templates carry from earlier rounds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.core.locations import Paths
from pipeline.figures.consolidate import consolidate, cumulative_before
from pipeline.figures.history import history, previous_cumulative, starts_in
from pipeline.figures.timeliness import unit_states
from pipeline.ledger import safekeeping
from pipeline.ledger.schema import Submission
from pipeline.ledger.store import Ledger
from pipeline.outputs.round_status import RoundStatus, open_rounds, round_status
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.plan.model import Plan, Round


def current_status(paths: Paths, today: date, plan_dir: Path = DEFAULT_PLAN_DIR) -> tuple[list[RoundStatus],
                                                                                        list[Submission]]:
    """Where the open rounds stand, and every file held for the officer's confirmation."""
    plan = load_plan(plan_dir)
    if not paths.ledger.is_file() and not safekeeping.stored_files(paths.home):
        return [RoundStatus(rnd, today, None, unit_states(plan.units_for(rnd), [], {}, False, rnd))
                for rnd in open_rounds(plan, today)], []
    with Ledger(paths.ledger, paths.home) as ledger:
        return [round_status(plan, ledger, rnd, today) for rnd in open_rounds(plan, today)], ledger.held()


def former_lines(plan: Plan, ledger_path: Path, home: Path, rnd: Round) -> dict[str, dict[str, int]]:
    """For the templates of units that succeed others: each former unit's line (its own figures, then
    its successors') through the year before `rnd`, per indicator; what a commune's template shows of
    its former district, for context."""
    formers = {code for u in plan.units_for(rnd) for code, _ in u.shares}
    earlier = plan.rounds_through(rnd.id)[:-1] if rnd.regular else ()
    if not formers or not earlier or (not Path(ledger_path).is_file() and not safekeeping.stored_files(home)):
        return {}
    with Ledger(ledger_path, home) as ledger:
        result = consolidate(plan, earlier[-1], history(plan, ledger, earlier), [])
    return {code: {i.code: figure for i in plan.indicators
                   if (figure := cumulative_before(result.progress[code][i.code], i.kind, rnd.year)) is not None}
            for code in sorted(formers)}


def carried_figures(plan: Plan, ledger_path: Path, home: Path, rnd: Round) -> dict[str, dict[str, int]]:
    """For templates: each unit's cumulative figure through the year before `rnd`."""
    if not Path(ledger_path).is_file() and not safekeeping.stored_files(home):
        return {u.code: {i.code: 0 for i in plan.indicators} for u in plan.units_for(rnd) if starts_in(u, rnd)}
    with Ledger(ledger_path, home) as ledger:
        return {u.code: previous_cumulative(plan, ledger, rnd, u.code) for u in plan.units}
