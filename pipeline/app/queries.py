"""What the officer asks of the ledger without running: where the open rounds stand, and the figures
a round's templates carry from earlier rounds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.core.locations import Paths
from pipeline.figures.history import previous_cumulative
from pipeline.ledger import safekeeping
from pipeline.ledger.store import Ledger
from pipeline.outputs.round_status import RoundStatus, open_rounds, round_status
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.plan.model import Plan, Round


def current_status(paths: Paths, today: date, plan_dir: Path = DEFAULT_PLAN_DIR) -> list[RoundStatus]:
    plan = load_plan(plan_dir)
    if not paths.ledger.is_file() and not safekeeping.stored_files(paths.home):
        return [RoundStatus(rnd, today, missing=[u.name for u in plan.units_for(rnd)])
                for rnd in open_rounds(plan, today)]
    with Ledger(paths.ledger, paths.home) as ledger:
        return [round_status(plan, ledger, rnd, today) for rnd in open_rounds(plan, today)]


def carried_figures(plan: Plan, ledger_path: Path, home: Path, rnd: Round) -> dict[str, dict[str, int]]:
    """For templates: each unit's cumulative figure through the year before `rnd`."""
    if not Path(ledger_path).is_file() and not safekeeping.stored_files(home):
        return {}
    with Ledger(ledger_path, home) as ledger:
        return {u.code: previous_cumulative(plan, ledger, rnd, u.code) for u in plan.units}
