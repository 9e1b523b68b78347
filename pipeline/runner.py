"""One run: every new inbox file read, checked, recorded and answered; the touched rounds rebuilt."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import consolidate, feedback, reports
from .ingest import discover, read_submission
from .ledger import ACCEPTED, ACCEPTED_WITH_WARNINGS, DUPLICATE, REJECTED, Ledger, Record
from .plan import DEFAULT_PLAN_DIR, Plan, Round, load_plan
from .rules import Finding, RuleBook, evaluate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Paths:
    inbox: Path
    outbox: Path
    home: Path  # holds archive/ and rejected/
    ledger: Path

    @classmethod
    def beside_outbox(cls, inbox: Path, outbox: Path, ledger: Path | None = None) -> Paths:
        """The ledger, archive/ and rejected/ live in the outbox's parent unless told otherwise."""
        home = Path(outbox).resolve().parent
        return cls(Path(inbox), Path(outbox), home, Path(ledger) if ledger else home / "ledger.sqlite")


@dataclass
class Outcome:
    record: Record
    findings: list[Finding]
    feedback: list[Path]


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.record.status == REJECTED]


def run(paths: Paths, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None) -> RunReport:
    plan = load_plan(plan_dir)
    rules = RuleBook.load(plan_dir)
    report = RunReport()
    with Ledger(paths.ledger, paths.home) as ledger:
        for path in discover(paths.inbox):
            outcome = _process(path, paths, plan, rules, ledger, today)
            if outcome is not None:
                report.outcomes.append(outcome)
        _prune_empty_folders(paths.inbox)
        touched = {o.record.round for o in report.outcomes if o.record.round}
        report.outputs = rebuild(plan, ledger, paths.outbox, _rounds_to_rebuild(plan, ledger, paths, touched))
    return report


def _process(path: Path, paths: Paths, plan: Plan, rules: RuleBook, ledger: Ledger,
             today: date | None) -> Outcome | None:
    sub = read_submission(path, paths.inbox, plan, rules)
    unfinished = ledger.unfinished(sub.sha256, sub.relative_name)
    if unfinished is not None and (paths.home / unfinished.stored_path).is_file():
        # Recorded by a run that stopped before it could clear the inbox: finish its work.
        path.unlink()
        ledger.mark_cleared(unfinished.id)
        return None
    earlier = ledger.by_sha(sub.sha256)
    received = today.isoformat() if today else datetime.now().isoformat(timespec="seconds")
    findings = list(sub.findings)
    values: dict[str, tuple[str, str, int | float | str | None]] = {}
    if earlier:
        status = DUPLICATE
    elif sub.identified and not _has_errors(findings):
        rnd = plan.round(sub.round or "")
        parsed, value_findings = evaluate(plan, rnd, sub.unit or "", sub.cells, rules,
                                          date.fromisoformat(received[:10]),
                                          previous_cumulative(plan, ledger, rnd, sub.unit or ""))
        findings += value_findings
        values = {name: (sub.cells[name].sheet, sub.cells[name].cell, value)
                  for name, value in parsed.items()}
        status = _status(findings)
    else:
        status = REJECTED
    record = ledger.record(
        path, sha256=sub.sha256, inbox_path=sub.relative_name, received_at=received, status=status,
        size=sub.size, unit=sub.unit, round_id=sub.round, template_version=sub.template_version,
        values=values, findings=findings,
    )
    path.unlink()
    ledger.mark_cleared(record.id)
    log.info("%s: %s (%d findings)", sub.relative_name, status, len(findings))
    stored = paths.home / record.stored_path
    return Outcome(record, findings, feedback.write_feedback(plan, paths.outbox, record, findings, stored))


def _prune_empty_folders(inbox: Path) -> None:
    for folder in sorted((p for p in Path(inbox).rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def _status(findings: list[Finding]) -> str:
    if _has_errors(findings):
        return REJECTED
    return ACCEPTED_WITH_WARNINGS if findings else ACCEPTED


def history(plan: Plan, ledger: Ledger, rounds: tuple[Round, ...]) -> consolidate.History:
    return {
        rnd.id: {unit: (record, ledger.values(record.id)) for unit, record in ledger.current(rnd.id).items()}
        for rnd in rounds
    }


def previous_cumulative(plan: Plan, ledger: Ledger, rnd: Round, unit: str) -> dict[str, int]:
    """The unit's cumulative figures through the year before `rnd`, per indicator."""
    earlier = tuple(r for r in plan.rounds_through(rnd.id) if r.year < rnd.year)
    if not earlier:
        return {}
    past = history(plan, ledger, earlier)
    result = {}
    for indicator in plan.indicators:
        progress = consolidate.unit_progress(plan, earlier[-1], unit, indicator, past)
        if progress.cumulative is not None:
            result[indicator.code] = progress.cumulative
    return result


def _rounds_to_rebuild(plan: Plan, ledger: Ledger, paths: Paths, touched: set[str]) -> list[Round]:
    """Touched rounds and every later one (their cumulative figures rest on it), plus any round
    whose workbook is missing."""
    with_data = set(ledger.rounds_with_submissions())
    order = [r.id for r in plan.rounds]
    first = min((order.index(r) for r in touched), default=len(order))
    return [
        rnd for index, rnd in enumerate(plan.rounds)
        if rnd.id in with_data and (
            index >= first
            or not (paths.outbox / rnd.id / consolidate.workbook_name(rnd)).is_file()
        )
    ]


def rebuild(plan: Plan, ledger: Ledger, outbox: Path, rounds: list[Round]) -> list[Path]:
    outputs = []
    for rnd in rounds:
        through = plan.rounds_through(rnd.id)
        records = [r for earlier in through for r in ledger.records(earlier.id)]
        result = consolidate.consolidate(plan, rnd, history(plan, ledger, through), records)
        outputs.append(consolidate.write_workbook(plan, result, outbox))
        outputs.append(reports.write_province_report(plan, result, outbox))
    return outputs


def carried_figures(plan: Plan, ledger_path: Path, home: Path, rnd: Round) -> dict[str, dict[str, int]]:
    """For templates: each unit's cumulative figure through the year before `rnd`."""
    if not Path(ledger_path).is_file():
        return {}
    with Ledger(ledger_path, home) as ledger:
        return {u.code: previous_cumulative(plan, ledger, rnd, u.code) for u in plan.units}

