"""When a unit sent for a round, judged once for every output (the summary, `status`, the status page,
«Tình hình nộp báo cáo», the reports): by the first file it sent, whatever became of that file. A
correction after the deadline does not make an on-time unit late; it is shown as «bổ sung sau hạn»."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pipeline.ledger.schema import IGNORED, UNPACKED, Submission
from pipeline.plan.model import Round

NOT_SENT = (UNPACKED, IGNORED)  # an e-mail's envelope and an office lock file are no unit's report


def sent_by_unit(records: Iterable[Submission]) -> dict[str, list[Submission]]:
    """Each unit's files of the records given (one round's), in ledger order, whatever became of them."""
    sent: dict[str, list[Submission]] = {}
    for record in records:
        if record.unit and record.status not in NOT_SENT:
            sent.setdefault(record.unit, []).append(record)
    return sent


def first_sent(records: Iterable[Submission]) -> dict[str, Submission]:
    """Each unit's first file of the records given (one round's), by the moment it was received."""
    first: dict[str, Submission] = {}
    for record in sorted(records, key=lambda r: (r.received_at[:19], r.id)):
        if record.unit and record.status not in NOT_SENT:
            first.setdefault(record.unit, record)
    return first


def received_day(record: Submission) -> date:
    return date.fromisoformat(record.received_at[:10])


def days_late(record: Submission, rnd: Round) -> int:
    return max(0, (received_day(record) - rnd.district_deadline).days)


def supplemented_late(first: Submission, counted: Submission | None, rnd: Round) -> bool:
    """On time at first, the file that counts came after the deadline («bổ sung sau hạn»)."""
    return counted is not None and days_late(first, rnd) == 0 and days_late(counted, rnd) > 0
