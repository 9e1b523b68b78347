"""What a worker process does with a sender's file (isolation.py runs these under hard limits).

A worker reads the e-mail, its spreadsheet attachments and each workbook here; the marked copy
(feedback.write_marked_copy) is made in a worker too. Results come back as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from pipeline.intake.read import read_submission
from pipeline.intake.records import Incoming, Reading, from_bytes, received_moment
from pipeline.intake.saved_mail import Mail, is_mail, read_saved_mail
from pipeline.plan.model import Plan
from pipeline.validation.book import RuleBook

_STATE: dict[str, object] = {}


def setup(plan: Plan, rules: RuleBook) -> None:
    """Once per worker: the plan and rules every task is checked against."""
    _STATE["plan"], _STATE["rules"] = plan, rules


@dataclass
class Examined:
    """One inbox file as read in a worker: a workbook's submission, or an e-mail and one submission
    per spreadsheet it carried (in the order of mail.spreadsheets)."""

    submissions: list[Reading] = field(default_factory=list)
    mail: Mail | None = None
    mail_error: str | None = None  # set when the file was meant as an e-mail and could not be read


def examine(incoming: Incoming | None, today: date) -> Examined | None:
    """None in, None out: a file the parent answers without a reading keeps its place in the order."""
    if incoming is None:
        return None
    plan, rules = _STATE["plan"], _STATE["rules"]
    assert isinstance(plan, Plan) and isinstance(rules, RuleBook)
    if is_mail(incoming.name) and incoming.data is not None:
        return _examine_mail(incoming, today, plan, rules)
    return Examined([_light(read_submission(incoming, plan, rules, today))])


def _examine_mail(incoming: Incoming, today: date, plan: Plan, rules: RuleBook) -> Examined:
    assert incoming.data is not None
    try:
        mail = read_saved_mail(incoming.name, incoming.data)
    except Exception as exc:  # a mangled e-mail is answered like any unreadable file
        return Examined(mail_error=f"{type(exc).__name__}: {exc}"[:300])
    server = incoming.received_at or mail.received_at
    received = date.fromisoformat(received_moment(server, today.isoformat())[:10])
    submissions = []
    for attachment in mail.spreadsheets:
        attached = from_bytes(attachment.filename, f"{incoming.inbox_path}#{attachment.index}", attachment.data)
        submissions.append(_light(read_submission(attached, plan, rules, received)))
    return Examined(submissions, mail)


def _light(sub: Reading) -> Reading:
    """The submission without the file's bytes: the parent has them already."""
    return replace(sub, incoming=replace(sub.incoming, data=None))

