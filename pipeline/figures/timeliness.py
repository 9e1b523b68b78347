"""Where each unit stands in a round, judged once for every output (the summary, `status`, the status
page, «Tình hình nộp báo cáo», the reports). A unit that sent anything has sent, whatever became of the
file. Timeliness is judged by the first file it sent: a correction after the deadline does not make an
on-time unit late; it is shown as «bổ sung sau hạn». Approval never changes whether a unit sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pipeline.ledger.schema import CURRENT, HELD, IGNORED, SUPERSEDED, UNPACKED, Submission
from pipeline.plan.model import Round, Unit

NOT_SENT = (UNPACKED, IGNORED)  # an e-mail's envelope and an office lock file are no unit's report

# The one wording of each state, in every output; `late` takes the days.
STATE_WORDS = {
    "reported": "Đã báo cáo",
    "late": "Đã báo cáo, trễ {days} ngày",
    "held": "Chờ xác nhận – chưa tính",
    "after_approval": "Gửi sau khi chốt số liệu – không tính",
    "rejected": "Bị trả lại – chờ gửi lại",
    "missing": "Chưa gửi",
}
SUPPLEMENTED_WORDS = " (bổ sung sau hạn)"
COUNTED = ("reported", "late")


@dataclass(frozen=True)
class UnitState:
    unit: Unit
    state: str  # a key of STATE_WORDS
    record: Submission | None  # the file that counts, or the last one sent
    files: int = 0  # how many files the unit sent for the round
    days_late: int = 0  # of the unit's first file for the round
    supplemented_late: bool = False  # the file that counts came after the deadline, the first one on time

    @property
    def counted(self) -> bool:
        return self.state in COUNTED

    @property
    def sent(self) -> bool:
        return self.state != "missing"

    @property
    def words(self) -> str:
        return STATE_WORDS[self.state].format(days=self.days_late) + (
            SUPPLEMENTED_WORDS if self.supplemented_late else "")


def unit_states(units: Iterable[Unit], records: Iterable[Submission], current: Mapping[str, Submission],
                approved: bool, rnd: Round) -> list[UnitState]:
    """Each unit's state in `rnd`: `records` are the round's files, `current` the file that counts per
    unit, `approved` whether the round's figures are approved."""
    records = list(records)
    sent_by, first = sent_by_unit(records), first_sent(records)
    states = []
    for unit in units:
        sent = sent_by.get(unit.code, [])
        counted = current.get(unit.code)
        if counted is not None:
            opening = first.get(unit.code, counted)
            late = days_late(opening, rnd)
            states.append(UnitState(unit, "late" if late > 0 else "reported", counted, len(sent), late,
                                    supplemented_late(opening, counted, rnd)))
        elif any(r.status == HELD for r in sent):
            states.append(UnitState(unit, "held", next(r for r in reversed(sent) if r.status == HELD), len(sent)))
        elif approved and any(r.status in (*CURRENT, SUPERSEDED) for r in sent):
            states.append(UnitState(unit, "after_approval", sent[-1], len(sent)))
        elif sent:  # whatever became of them (returned, unreadable, a duplicate): the unit sent
            states.append(UnitState(unit, "rejected", sent[-1], len(sent)))
        else:
            states.append(UnitState(unit, "missing", None))
    return states


@dataclass(frozen=True)
class Tally:
    units: int
    reported: int  # counted, on time or late
    late: int
    not_counted: int  # sent, but returned, held or after approval
    missing: int  # nothing sent

    @property
    def on_time(self) -> int:
        return self.reported - self.late


def tally(states: Iterable[UnitState]) -> Tally:
    """How many units of `states` are in each state, as the by-area tables count them."""
    states = list(states)
    reported = sum(s.counted for s in states)
    missing = sum(not s.sent for s in states)
    return Tally(len(states), reported, sum(s.state == "late" for s in states), len(states) - reported - missing,
                 missing)


def state_lists(states: Iterable[UnitState]) -> list[tuple[str, list[str]]]:
    """The units not simply on time, by state, as every text output lists them (label, names); a list
    with no unit is left out."""
    states = list(states)
    lists = [
        ("Gửi trễ", [f"{s.unit.name} ({s.days_late} ngày)" for s in states if s.state == "late"]),
        ("Gửi đúng hạn, bổ sung sau hạn", [s.unit.name for s in states if s.supplemented_late]),
        ("Có tệp chờ xác nhận (chưa tính)", [s.unit.name for s in states if s.state == "held"]),
        ("Gửi sau khi chốt số liệu (không tính)", [s.unit.name for s in states if s.state == "after_approval"]),
        ("Bị trả lại, chờ gửi lại", [s.unit.name for s in states if s.state == "rejected"]),
        ("Chưa gửi", [s.unit.name for s in states if s.state == "missing"]),
    ]
    return [(label, names) for label, names in lists if names]


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
