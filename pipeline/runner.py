"""One run: every new inbox file read, checked, recorded and answered; the touched rounds rebuilt."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from tqdm import tqdm

from . import __version__, consolidate, feedback, form, page, provincial, reports
from .atomic import write_text
from .errors import BusyError
from .ingest import Incoming, Submission, discover, from_bytes, from_path, read_submission
from .ledger import ACCEPTED, ACCEPTED_WITH_WARNINGS, DUPLICATE, REJECTED, UNPACKED, Ledger, Record
from .mail import Mail, read_mail
from .plan import DEFAULT_PLAN_DIR, Plan, Round, load_plan
from .rules import Finding, RuleBook, evaluate
from .status import RoundStatus, open_rounds, round_status, summary_lines
from .vietnamese import format_date

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Paths:
    inbox: Path
    outbox: Path
    home: Path  # holds archive/ and rejected/
    ledger: Path

    @classmethod
    def beside_outbox(cls, inbox: Path, outbox: Path, ledger: Path | None = None) -> Paths:
        """The ledger lives in the outbox's parent unless told otherwise; archive/ and rejected/
        always beside the ledger."""
        ledger_path = Path(ledger).resolve() if ledger else Path(outbox).resolve().parent / "ledger.sqlite"
        return cls(Path(inbox), Path(outbox), ledger_path.parent, ledger_path)


@dataclass
class Outcome:
    record: Record
    findings: list[Finding]
    feedback: list[Path]


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)  # left in the inbox after an unexpected error
    status: list[RoundStatus] = field(default_factory=list)  # each open round, after the run
    log: Path | None = None

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.record.status == REJECTED]


@dataclass(frozen=True)
class _Run:
    paths: Paths
    plan: Plan
    rules: RuleBook
    ledger: Ledger
    today: date | None
    office_email: str = ""  # the From of reply drafts

    def received_at(self, incoming: Incoming) -> str:
        if incoming.sent_at:
            return incoming.sent_at
        return self.today.isoformat() if self.today else datetime.now().isoformat(timespec="seconds")


@contextmanager
def exclusive(paths: Paths, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One run at a time on a ledger: a second waits, then stops with a clear message."""
    paths.ledger.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{paths.ledger}.lock", timeout=wait)
    try:
        with lock:
            yield
    except Timeout:
        raise BusyError(
            f"another run is using {paths.ledger} (waited {wait:.0f} s); try again when it has finished"
        ) from None


def run(paths: Paths, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
        wait: float = LOCK_WAIT_SECONDS, office_email: str = "") -> RunReport:
    plan = load_plan(plan_dir)
    rules = RuleBook.load(plan_dir)
    report = RunReport()
    day = today or date.today()
    with exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger, _captured_log() as messages:
        context = _Run(paths, plan, rules, ledger, today, office_email)
        files = discover(paths.inbox)
        for path in tqdm(files, desc="Đọc tệp", unit="tệp", disable=None if len(files) > 1 else True):
            try:
                report.outcomes += _take(path, context)
            except Exception:  # a defect met on one file must not stop the others being answered
                log.exception("%s: not processed; left in the inbox for the next run", path)
                report.failed.append(path)
        _prune_empty_folders(paths.inbox)
        stale = ledger.stale_rounds()
        # Open rounds are rebuilt too: their reports turn from draft to final as the deadline nears.
        stale_or_open = stale | {r.id for r in open_rounds(plan, day)}
        rounds = _rounds_to_rebuild(plan, ledger, paths, stale_or_open)
        report.outputs = rebuild(plan, ledger, paths.outbox, rounds, day)
        ledger.mark_rebuilt(stale)
        report.outputs.append(page.write_status_page(plan, ledger, paths.outbox, day))
        report.status = [round_status(plan, ledger, rnd, day) for rnd in open_rounds(plan, day)]
        report.log = _write_run_log(paths, plan, report, day, messages)
    return report


@contextmanager
def _captured_log() -> Iterator[list[str]]:
    """The run's warnings and errors, for its log file (each file's verdict is listed there anyway)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(self.format(record))

    handler = Collect(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("pipeline")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def _write_run_log(paths: Paths, plan: Plan, report: RunReport, day: date, messages: list[str]) -> Path:
    """outbox/logs/: what the run read and wrote, with hashes, so any output can be traced to a run."""
    started = datetime.now()
    lines = [f"p8-pipeline {__version__} run at {started.isoformat(timespec='seconds')} (today = {day})",
             f"plan {plan.id}; inbox {paths.inbox}; outbox {paths.outbox}; ledger {paths.ledger}", "", "inputs:"]
    lines += [f"  {o.record.id:06d} {o.record.sha256} {o.record.status:<23} {o.record.inbox_path}"
              for o in report.outcomes] or ["  (none)"]
    lines += [f"  FAILED {path}" for path in report.failed]
    lines += ["", "outputs:"]
    for path in dict.fromkeys(report.outputs):
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        lines.append(f"  {digest} {path}")
    lines += ["", "log:", *[f"  {m}" for m in messages], "", "summary:",
              *summary_lines(plan, report.status), ""]
    target = paths.outbox / "logs" / f"run-{started:%Y%m%d-%H%M%S-%f}-{os.getpid()}.log"
    write_text(target, "\n".join(lines))
    return target


def approve(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
            wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    """Freeze a round once the province's report is sent: later files are recorded and answered, but
    its figures (and the cumulative figures of later rounds) stay as approved until `reopen`."""
    return _set_approval(paths, round_id, plan_dir, today, wait, approved=True)


def reopen(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
           wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    return _set_approval(paths, round_id, plan_dir, today, wait, approved=False)


def _set_approval(paths: Paths, round_id: str, plan_dir: Path, today: date | None, wait: float, *,
                  approved: bool) -> list[Path]:
    plan = load_plan(plan_dir)
    day = today or date.today()
    with exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger:
        if approved:
            ledger.approve(round_id, day.isoformat())
        else:
            ledger.reopen(round_id)
        outputs = rebuild(plan, ledger, paths.outbox, _rounds_to_rebuild(plan, ledger, paths, {round_id}), day)
        ledger.mark_rebuilt({round_id})
        outputs.append(page.write_status_page(plan, ledger, paths.outbox, day))
        return outputs


def rebuild_round(paths: Paths, round_id: str, plan_dir: Path = DEFAULT_PLAN_DIR, today: date | None = None,
                  wait: float = LOCK_WAIT_SECONDS) -> list[Path]:
    """The outputs of one round, regenerated from the ledger (the `report` command)."""
    plan = load_plan(plan_dir)
    with exclusive(paths, wait), Ledger(paths.ledger, paths.home) as ledger:
        outputs = rebuild(plan, ledger, paths.outbox, [plan.round(round_id)], today)
        outputs.append(page.write_status_page(plan, ledger, paths.outbox, today or date.today()))
        return outputs


def current_status(paths: Paths, today: date, plan_dir: Path = DEFAULT_PLAN_DIR) -> list[RoundStatus]:
    plan = load_plan(plan_dir)
    if not paths.ledger.is_file():
        return [RoundStatus(rnd, today, missing=[u.name for u in plan.units]) for rnd in open_rounds(plan, today)]
    with Ledger(paths.ledger, paths.home) as ledger:
        return [round_status(plan, ledger, rnd, today) for rnd in open_rounds(plan, today)]


def _take(path: Path, run: _Run) -> list[Outcome]:
    """Answer one inbox file (every attachment, for a saved e-mail), then clear it from the inbox."""
    incoming = from_path(path, run.paths.inbox)
    if path.suffix.lower() == ".eml" and incoming.data is not None:
        outcomes = _take_mail(incoming, run)
    else:
        outcomes = [_answer(incoming, run)]
    path.unlink()
    run.ledger.mark_cleared(incoming.inbox_path)
    return outcomes


def _take_mail(incoming: Incoming, run: _Run) -> list[Outcome]:
    assert incoming.data is not None
    try:
        mail = read_mail(incoming.data)
    except Exception:  # a mangled e-mail is answered like any unreadable file
        log.warning("%s: unreadable e-mail", incoming.inbox_path, exc_info=True)
        return [_answer(incoming, run, [run.rules.finding("file-unreadable", error="email")])]
    envelope = replace(incoming, sender=mail.sender, sent_at=mail.sent_at)
    outcomes = []
    for attachment in mail.spreadsheets:
        attached = from_bytes(attachment.filename, f"{incoming.inbox_path}#{attachment.index}:"
                              f"{attachment.filename}", attachment.data, sender=mail.sender,
                              sent_at=mail.sent_at, container=incoming.inbox_path)
        outcomes.append(_answer(attached, run, mail=mail))
    findings = [run.rules.finding("email-attachment-ignored", found=name) for name in mail.ignored]
    if not mail.spreadsheets:
        findings.insert(0, run.rules.finding("email-no-spreadsheet"))
    status = None if not mail.spreadsheets else UNPACKED
    return [*outcomes, _answer(envelope, run, findings, mail=mail, status=status)]


def _answer(incoming: Incoming, run: _Run, extra: list[Finding] | None = None, *, mail: Mail | None = None,
            status: str | None = None) -> Outcome:
    """Read, check, record and answer one file (once: a file recorded by an interrupted run is
    answered again from the ledger)."""
    ledger, plan = run.ledger, run.plan
    unfinished = ledger.unfinished(incoming.sha256, incoming.inbox_path)
    if unfinished is not None and (run.paths.home / unfinished.stored_path).is_file():
        # Recorded by a run that stopped before it cleared the inbox: answer it again, record nothing.
        findings = ledger.findings(unfinished.id)
        stored = run.paths.home / unfinished.stored_path
        return Outcome(unfinished, findings,
                       feedback.write_feedback(plan, run.paths.outbox, unfinished, findings, stored, mail,
                                               run.office_email))
    received = run.received_at(incoming)
    values: dict[str, tuple[str, str, int | float | str | None]] = {}
    if extra is not None:  # an e-mail itself: answered on what it carried, never parsed as a workbook
        sub, findings = Submission(incoming), list(extra)
        status = status or _status(findings)
    else:
        sub = read_submission(incoming, plan, run.rules, date.fromisoformat(received[:10]))
        findings = list(sub.findings)
        if ledger.by_sha(incoming.sha256):
            status = DUPLICATE
        elif sub.identified and not _has_errors(findings):
            rnd = plan.round(sub.round or "")
            parsed, value_findings = evaluate(
                plan, rnd, sub.unit or "", sub.cells, run.rules, date.fromisoformat(received[:10]),
                previous=previous_cumulative(plan, ledger, rnd, sub.unit or ""),
                last=last_figures(plan, ledger, rnd, sub.unit or ""))
            findings += value_findings
            approval = ledger.approval(rnd.id)
            if approval is not None:
                findings.append(run.rules.finding("round-approved", unit=sub.unit, round=rnd.id,
                                                  approved=format_date(date.fromisoformat(approval[0]))))
            values = {name: (sub.cells[name].sheet, sub.cells[name].cell, value)
                      for name, value in parsed.items()}
            status = _status(findings)
        else:
            status = REJECTED
    record = ledger.record(
        incoming.data if incoming.data is not None else incoming.source,
        sha256=incoming.sha256, inbox_path=incoming.inbox_path, name=incoming.name,
        received_at=received, status=status, size=incoming.size, sender=incoming.sender,
        unit=sub.unit, round_id=sub.round, template_version=sub.template_version,
        values=values, findings=findings,
    )
    log.info("%s: %s (%d findings)", incoming.inbox_path, status, len(findings))
    stored = run.paths.home / record.stored_path
    answers = feedback.write_feedback(plan, run.paths.outbox, record, findings, stored, mail, run.office_email)
    return Outcome(record, findings, answers)


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


def history(plan: Plan, ledger: Ledger, rounds: tuple[Round, ...], unit: str | None = None) -> consolidate.History:
    """The accepted values of each round, per unit; with `unit`, that unit's only (what checking one
    file needs: its cost must not grow with the number of units)."""
    return {
        rnd.id: {code: (record, ledger.values(record.id)) for code, record in ledger.current(rnd.id).items()
                 if unit is None or code == unit}
        for rnd in rounds
    }


def last_figures(plan: Plan, ledger: Ledger, rnd: Round, unit: str) -> dict[str, int]:
    """The unit's year figures in its latest accepted round before `rnd`, per indicator."""
    for earlier in reversed(plan.rounds_through(rnd.id)[:-1]):
        record = ledger.current(earlier.id).get(unit)
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
    return result


def _rounds_to_rebuild(plan: Plan, ledger: Ledger, paths: Paths, touched: set[str]) -> list[Round]:
    """Rounds recorded into since their last rebuild and every later one (their cumulative figures
    rest on them), plus any round whose workbook is missing."""
    with_data = set(ledger.rounds_with_submissions())
    order = [r.id for r in plan.rounds]
    first = min((order.index(r) for r in touched), default=len(order))
    return [
        rnd for index, rnd in enumerate(plan.rounds)
        if rnd.id in with_data and (
            index >= first
            or not (paths.outbox / rnd.id / provincial.workbook_name(rnd.id)).is_file()
        )
    ]


def rebuild(plan: Plan, ledger: Ledger, outbox: Path, rounds: list[Round], today: date | None = None) -> list[Path]:
    """Workbook and reports of each round; reports are marked DỰ THẢO until the province deadline is
    near (reports.FINAL_BEFORE_DEADLINE)."""
    day = today or date.today()
    outputs = []
    for rnd in rounds:
        through = plan.rounds_through(rnd.id)
        records = [r for earlier in through for r in ledger.records(earlier.id)]
        findings = {r.id: ledger.findings(r.id) for r in records if r.round == rnd.id}
        result = consolidate.consolidate(plan, rnd, history(plan, ledger, through), records, findings)
        outputs.append(provincial.write_workbook(plan, result, outbox))
        draft = ledger.approval(rnd.id) is None and reports.is_draft(rnd, day)
        outputs += reports.write_reports(plan, result, outbox, draft=draft)
    return outputs


def carried_figures(plan: Plan, ledger_path: Path, home: Path, rnd: Round) -> dict[str, dict[str, int]]:
    """For templates: each unit's cumulative figure through the year before `rnd`."""
    if not Path(ledger_path).is_file():
        return {}
    with Ledger(ledger_path, home) as ledger:
        return {u.code: previous_cumulative(plan, ledger, rnd, u.code) for u in plan.units}

