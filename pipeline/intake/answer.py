"""Every inbox file answered exactly once: read in an isolated worker, checked, recorded, answered,
and cleared from the inbox.

A file that meets an unexpected error is still answered: it is recorded as "not processed" and moved,
byte-identical, to rejected/, where the officer is told to look. Only a failure of this machine's
storage (read-only folder, full disk) stops the run, before the file leaves the inbox.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from pipeline.core.config import Contact
from pipeline.core.errors import NOT_PROCESSED, is_storage_error
from pipeline.core.findings import Finding, has_errors
from pipeline.core.locations import Paths
from pipeline.core.sender_text import printable
from pipeline.core.vietnamese import format_date, format_number, round_title
from pipeline.figures.history import last_figures, previous_cumulative
from pipeline.intake import feedback, worker
from pipeline.intake import inbox as inbox_files
from pipeline.intake.identify import sender_of_unreadable
from pipeline.intake.isolation import Failure, WorkerPool
from pipeline.intake.pending_copies import PendingCopies
from pipeline.intake.proof import hold_finding, template_proof
from pipeline.intake.records import Incoming, Reading, from_bytes, from_path, received_moment
from pipeline.intake.saved_mail import Mail
from pipeline.ledger.schema import (
    ACCEPTED,
    ACCEPTED_WITH_WARNINGS,
    DUPLICATE,
    HELD,
    IGNORED,
    REJECTED,
    UNPACKED,
    Submission,
)
from pipeline.ledger.store import Ledger
from pipeline.plan.model import Plan
from pipeline.templates.cells import SHEET_CHECKS
from pipeline.templates.sheets import checks
from pipeline.validation.book import RuleBook
from pipeline.validation.evaluate import evaluate

log = logging.getLogger(__name__)

# Finding codes for a worker that did not return, by Failure.kind.
FAILURE_CODES = {"memory": "file-too-demanding", "timeout": "file-too-demanding"}


@dataclass
class Outcome:
    record: Submission
    findings: list[Finding]
    feedback: list[Path]


@dataclass(frozen=True)
class Intake:
    """What answering a file needs: where things go, the plan and rules, the ledger, the workers."""

    paths: Paths
    plan: Plan
    rules: RuleBook
    ledger: Ledger
    pool: WorkerPool
    today: date | None
    contact: Contact = field(default_factory=Contact)  # signs the letters; its e-mail is the From of drafts
    # SHA-256 of an e-mail `fetch` saved -> when the province's IMAP server received it (INTERNALDATE)
    server_moments: Mapping[str, str] = field(default_factory=dict)
    template_key: bytes | None = None  # keys the templates' fingerprints (ledger/template_key.py)
    copies: PendingCopies | None = None  # marked copies made while the loop goes on (None: each waited for)

    def received_at(self, incoming: Incoming) -> str:
        now = self.today.isoformat() if self.today else datetime.now().isoformat(timespec="seconds")
        return received_moment(incoming.received_at, now)

    def received_day(self, incoming: Incoming) -> date:
        return date.fromisoformat(self.received_at(incoming)[:10])

    def mark_copy(self, original: Path, target: Path, findings: list[Finding], moment: datetime) -> bool:
        result = self.pool.call(feedback.write_marked_copy, original, target, findings, moment)
        return result is True


def read_all(files: list[Path], intake: Intake) -> Iterator[tuple[Path, Incoming | OSError, object]]:
    """(inbox file, what was read of it, what its worker made of it), in inbox order; the workers
    read ahead in parallel. A file that cannot be read comes as its OSError."""
    loaded: deque[tuple[Path, Incoming | OSError]] = deque()

    def jobs() -> Iterator[tuple]:
        for path in files:
            try:
                incoming: Incoming | OSError = from_path(path, intake.paths.inbox)
                if isinstance(incoming, Incoming) and incoming.sha256 in intake.server_moments:
                    incoming = replace(incoming, received_at=intake.server_moments[incoming.sha256])
            except OSError as exc:
                incoming = exc
            loaded.append((path, incoming))
            if isinstance(incoming, Incoming) and not is_system_companion(incoming.inbox_path) \
                    and not is_office_lock(incoming.inbox_path):
                yield (incoming, intake.received_day(incoming))
            else:  # nothing to parse: answered without a worker's reading
                yield (None, date.min)

    for examined in intake.pool.map(worker.examine, jobs()):
        path, incoming = loaded.popleft()
        yield path, incoming, examined


def take(path: Path, incoming: Incoming, examined: object, intake: Intake) -> list[Outcome]:
    """Answer one inbox file (every attachment, for a saved e-mail), then clear it from the inbox. An
    unexpected error becomes a "not processed" answer; a storage failure stops the run."""
    try:
        outcomes = _take(incoming, examined, intake)
    except Exception as exc:
        if is_storage_error(exc):
            raise
        log.exception("%s: not processed; moved to rejected/ for the officer", printable(incoming.inbox_path))
        outcomes = [_not_processed(incoming, intake, exc)]
    if intake.copies is not None:
        intake.copies.clear_when_made(lambda: _clear(path, incoming, intake))
    else:
        _clear(path, incoming, intake)
    return outcomes


def _clear(path: Path, incoming: Incoming, intake: Intake) -> None:
    if not inbox_files.unchanged(path, incoming.stamp):
        # written again since it was read: the new bytes are another file, answered by the next run
        log.warning("%s: changed after it was read; left in the inbox for the next run",
                    printable(incoming.inbox_path))
        return
    path.unlink()
    intake.ledger.mark_cleared(incoming.inbox_path)


def _take(incoming: Incoming, examined: object, intake: Intake) -> list[Outcome]:
    rules = intake.rules
    if is_office_lock(incoming.inbox_path):
        return [_answer(incoming, intake, [rules.finding("file-office-lock", found=incoming.name)], status=IGNORED)]
    if is_system_companion(incoming.inbox_path):
        return [_answer(incoming, intake, [rules.finding("file-system-companion", found=incoming.name)])]
    if isinstance(examined, Failure):
        log.warning("%s: worker failed (%s: %s)", printable(incoming.inbox_path), examined.kind, examined.detail)
        code = FAILURE_CODES.get(examined.kind, "file-unreadable")
        return [_answer(incoming, intake, [rules.finding(code, error=examined.kind)])]
    assert isinstance(examined, worker.Examined)
    if examined.mail is None and examined.mail_error is None:
        return [_answer(incoming, intake, sub=examined.submissions[0])]
    return _take_mail(incoming, examined, replace(intake, copies=None))  # the reply carries their copies


def is_system_companion(inbox_path: str) -> bool:
    """macOS's AppleDouble files (._name) and the __MACOSX folder of a zip: not reports."""
    parts = PurePosixPath(inbox_path.split("#", 1)[0]).parts
    return "__MACOSX" in parts or parts[-1].startswith("._")


def is_office_lock(inbox_path: str) -> bool:
    """The lock files office programs leave beside an open workbook: Excel's owner file (~$name.xlsx)
    and LibreOffice's (.~lock.name.xlsx#). Copied into the inbox with a folder of reports, they are
    nobody's report and nobody's mistake: kept, with no letter."""
    name = PurePosixPath(inbox_path).name  # an e-mail's attachment ("mail.eml#2:~$a.xlsx") is answered
    return name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#"))


def _take_mail(incoming: Incoming, examined: worker.Examined, intake: Intake) -> list[Outcome]:
    mail = examined.mail
    if mail is None:
        log.warning("%s: unreadable e-mail (%s)", printable(incoming.inbox_path), examined.mail_error)
        return [_answer(incoming, intake, [intake.rules.finding("file-unreadable", error="email")])]
    server = incoming.received_at or mail.received_at  # the IMAP server's moment first (fetch saved it)
    envelope = replace(incoming, sender=mail.sender, sent_at=mail.sent_at, received_at=server)
    outcomes = []
    for attachment, sub in zip(mail.spreadsheets, examined.submissions, strict=True):
        attached = from_bytes(attachment.filename, f"{incoming.inbox_path}#{attachment.index}:"
                              f"{attachment.filename}", attachment.data, sender=mail.sender,
                              sent_at=mail.sent_at, received_at=server, container=incoming.inbox_path)
        outcomes.append(_answer(attached, intake, sub=replace(sub, incoming=attached)))  # replied to below
    findings = [intake.rules.finding("email-attachment-ignored", found=name) for name in mail.ignored]
    if mail.over_limit:
        shown = ", ".join(f"«{name}»" for name in mail.over_limit[:10]) + (" …" if len(mail.over_limit) > 10 else "")
        findings.append(intake.rules.finding("email-too-many-attachments", count=len(mail.over_limit),
                                             limit=len(mail.spreadsheets), names=shown))
    findings += _date_differs(envelope, intake)
    if not mail.spreadsheets:
        findings.insert(0, intake.rules.finding("email-no-spreadsheet"))
    status = None if not mail.spreadsheets else UNPACKED
    # The e-mail's own answer goes with its files' answers: the round (and unit) they all share.
    rounds = {o.record.round for o in outcomes if o.record.round}
    units = {o.record.unit for o in outcomes if o.record.unit}
    shared = Reading(envelope, unit=next(iter(units)) if len(units) == 1 and len(rounds) == 1 else None,
                     round=next(iter(rounds)) if len(rounds) == 1 else None)
    answered = _answer(envelope, intake, findings, sub=shared, mail=mail, status=status)
    if outcomes:  # one reply to the e-mail, with every file's answer
        answered.feedback.append(feedback.write_mail_reply(
            intake.paths.outbox, answered.record, mail, answered.findings,
            [(o.record, o.findings, o.feedback) for o in outcomes], intake.contact))
    return [*outcomes, answered]


def _date_differs(envelope: Incoming, intake: Intake) -> list[Finding]:
    """The sender's Date, recorded beside the moment the province received the e-mail when the two are
    more than a day apart (a backdated report, a wrong clock): the deadline counts the latter."""
    received = intake.received_at(envelope)
    try:
        sent = datetime.fromisoformat(envelope.sent_at or "")
    except ValueError:
        return []
    gap = abs((sent.date() - date.fromisoformat(received[:10])).days)
    if gap <= 1:
        return []
    return [intake.rules.finding("email-date-differs", sent=format_date(sent.date()),
                                 received=format_date(date.fromisoformat(received[:10])))]


def _answer(incoming: Incoming, intake: Intake, extra: list[Finding] | None = None, *,
            sub: Reading | None = None, mail: Mail | None = None, status: str | None = None) -> Outcome:
    """Check, record and answer one file (once: a file recorded by an interrupted run is answered
    again from the ledger). `extra`: the file is answered on these findings alone, never parsed."""
    ledger, plan = intake.ledger, intake.plan
    unfinished = ledger.unfinished(incoming.sha256, incoming.inbox_path)
    if unfinished is not None and (intake.paths.home / unfinished.stored_path).is_file():
        return _answer_again(unfinished, intake, mail)
    received = intake.received_at(incoming)
    values: dict[str, tuple[str, str, int | float | str | None]] = {}
    if extra is not None or sub is None:
        # answered on `extra` alone; a given `sub` only says where the answer belongs (an e-mail's round)
        sub, findings = sub if sub is not None else Reading(incoming), list(extra or [])
        status = status or _status(findings)
    else:
        findings = list(sub.findings)
        proof = template_proof(sub, findings, intake.template_key, plan, intake.rules)
        if ledger.answered_copies(incoming.sha256):
            status = DUPLICATE
        elif sub.identified and not has_errors(findings):
            findings += identity_findings(sub, incoming, intake)
            rnd = plan.round(sub.round or "")
            parsed, value_findings = evaluate(
                plan, rnd, sub.unit or "", sub.cells, intake.rules, date.fromisoformat(received[:10]),
                previous=previous_cumulative(plan, ledger, rnd, sub.unit or ""),
                last=last_figures(plan, ledger, rnd, sub.unit or ""))
            findings += value_findings
            if has_errors(value_findings) and sub.check_status.startswith(checks.VALID) \
                    and "check-sheet-bypassed" in intake.rules.rules:
                findings.append(intake.rules.finding("check-sheet-bypassed", unit=sub.unit, round=rnd.id,
                                                     sheet=SHEET_CHECKS))
            approval = ledger.approval(rnd.id)
            if approval is not None:
                findings.append(intake.rules.finding("round-approved", unit=sub.unit, round=rnd.id,
                                                     round_title=round_title(rnd),
                                                     approved=format_date(date.fromisoformat(approval[0]))))
            values = {name: (sub.cells[name].sheet, sub.cells[name].cell, value)
                      for name, value in parsed.items()}
            status = _status(findings)
            held = hold_finding(sub, proof, plan, intake.rules) if status != REJECTED else None
            if held is not None:
                findings.append(held)
                status = HELD
        else:
            status = REJECTED
    if status == REJECTED and sub.unit is None:
        named = sender_of_unreadable(plan, incoming.name, incoming.sender, date.fromisoformat(received[:10]))
        if named is not None:  # the unit did send: its letter is addressed to it and it is not «Chưa gửi»
            sub = replace(sub, unit=named[0], round=named[1])
    record = ledger.record(
        incoming.data if incoming.data is not None else incoming.source,
        sha256=incoming.sha256, inbox_path=incoming.inbox_path, name=incoming.name,
        received_at=received, status=status, size=incoming.size, sender=incoming.sender,
        unit=sub.unit, round_id=sub.round, template_version=sub.template_version,
        values=values, findings=findings,
    )
    log.info("%s: %s (%d findings)", printable(incoming.inbox_path), status, len(findings))
    return _answered(record, findings, intake, mail)


def _answer_again(record: Submission, intake: Intake, mail: Mail | None) -> Outcome:
    """Recorded by a run that stopped before it cleared the inbox: answer it again, record nothing."""
    return _answered(record, intake.ledger.findings(record.id), intake, mail)


def _answered(record: Submission, findings: list[Finding], intake: Intake, mail: Mail | None) -> Outcome:
    if record.status == IGNORED:
        return Outcome(record, findings, [])
    stored = intake.paths.home / record.stored_path
    ahead = intake.copies if mail is None else None  # a reply to an e-mail carries the copy: waited for
    # With copies made ahead, the file is cleared once they are, after a sync: the letter need not be
    # flushed on its own.
    answers = feedback.write_feedback(intake.plan, intake.paths.outbox, record, findings, stored, mail,
                                      intake.contact, ahead.mark if ahead else intake.mark_copy,
                                      intake.ledger.replaced_by(record), flush=ahead is None)
    if ahead is not None:
        ahead.belong_to(answers)
    return Outcome(record, findings, answers)


def _not_processed(incoming: Incoming, intake: Intake, error: Exception) -> Outcome:
    """The last resort for a file that met a defect: kept byte-identical in rejected/, recorded with
    the error's name, answered with a message that does not blame the sender."""
    ledger = intake.ledger
    finding = intake.rules.finding(NOT_PROCESSED, error=type(error).__name__)
    earlier = ledger.unfinished(incoming.sha256, incoming.inbox_path)
    record = earlier if earlier is not None else ledger.record(
        incoming.data if incoming.data is not None else incoming.source,
        sha256=incoming.sha256, inbox_path=incoming.inbox_path, name=incoming.name,
        received_at=intake.received_at(incoming), status=REJECTED, size=incoming.size,
        sender=incoming.sender, findings=[finding])
    note = feedback.note_path(intake.paths.outbox, record)
    try:
        feedback.write_note(intake.plan, intake.paths.outbox, record, [finding])
    except Exception as exc:
        if is_storage_error(exc):
            raise
        log.exception("%s: no answer written", note)
    return Outcome(record, [finding], [note])


def identity_findings(sub: Reading, incoming: Incoming, intake: Intake) -> list[Finding]:
    """Who sent it, against the unit's known addresses and its last sender; carried figures printed
    in the file against the ledger's."""
    rules, plan, ledger = intake.rules, intake.plan, intake.ledger
    unit = plan.unit(sub.unit or "")
    context = {"unit": unit.code, "round": sub.round, "unit_name": unit.name}
    findings = []
    sender = (incoming.sender or "").lower()
    if sender and unit.senders and sender not in unit.senders:
        findings.append(rules.finding("sender-unknown", sender=sender, **context))
    last = ledger.last_sender(unit.code) if sender else None
    if last is not None and (last.sender or "").lower() != sender:
        findings.append(rules.finding("sender-changed", sender=sender, previous=last.sender,
                                      previous_day=format_date(date.fromisoformat(last.received_at[:10])),
                                      **context))
    if sub.carried:
        rnd = plan.round(sub.round or "")
        known = previous_cumulative(plan, ledger, rnd, unit.code)
        for indicator in plan.indicators:
            printed = sub.carried.get(indicator.code)
            if printed is not None and indicator.code in known and printed.value != known[indicator.code]:
                findings.append(rules.finding(
                    "template-carried-differs", sheet=printed.sheet, cell=printed.cell,
                    label=indicator.short_name, found=format_number(printed.value),  # type: ignore[arg-type]
                    expected=format_number(known[indicator.code]), **context))
    return findings


def _status(findings: list[Finding]) -> str:
    if has_errors(findings):
        return REJECTED
    return ACCEPTED_WITH_WARNINGS if findings else ACCEPTED
