"""Where each open round stands: who reported, who is missing, late or rejected, and the days left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.core.vietnamese import format_date, round_title, senders_word
from pipeline.figures.timeliness import days_late, first_sent, sent_by_unit, supplemented_late
from pipeline.ledger.schema import CURRENT, HELD, SUPERSEDED, Submission
from pipeline.ledger.store import Ledger
from pipeline.plan.model import Plan, Round, Unit
from pipeline.plan.new_phase import phase_span

# A round stays on the summary this long after the province's deadline (the update may follow).
SHOWN_AFTER_DEADLINE = timedelta(days=60)


@dataclass(frozen=True)
class UnitState:
    unit: Unit
    state: str  # reported, late, held, rejected, after_approval, missing
    record: Submission | None  # the file that counts, or the last one sent
    days_late: int = 0  # of the unit's first file for the round
    supplemented_late: bool = False  # the file that counts came after the deadline, the first one on time


@dataclass
class RoundStatus:
    round: Round
    today: date
    approved_on: str | None = None
    units: list[UnitState] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)  # unit names, accepted
    late: list[tuple[str, int]] = field(default_factory=list)  # (unit name, days late)
    held: list[str] = field(default_factory=list)  # a file waits for the officer's confirmation (confirm)
    supplemented: list[str] = field(default_factory=list)  # on time, then a correction after the deadline
    after_approval: list[str] = field(default_factory=list)  # sent only after the round was approved
    rejected: list[str] = field(default_factory=list)  # sent, but nothing accepted yet
    missing: list[str] = field(default_factory=list)  # nothing received

    @property
    def days_left(self) -> int:
        return (self.round.district_deadline - self.today).days


def open_rounds(plan: Plan, today: date) -> list[Round]:
    return [r for r in plan.all_rounds if r.opens <= today <= r.province_deadline + SHOWN_AFTER_DEADLINE]


def round_status(plan: Plan, ledger: Ledger, rnd: Round, today: date) -> RoundStatus:
    approval = ledger.approval(rnd.id)
    status = RoundStatus(rnd, today, approval[0] if approval else None)
    records = ledger.records(rnd.id)
    sent_by, first = sent_by_unit(records), first_sent(records)
    current = ledger.current(rnd.id)
    for unit in plan.units_for(rnd):
        sent = sent_by.get(unit.code, [])
        counted = current.get(unit.code)
        if counted is not None:
            status.reported.append(unit.name)
            late = days_late(first.get(unit.code, counted), rnd)  # timeliness: the first file sent
            if late > 0:
                status.late.append((unit.name, late))
            later = supplemented_late(first.get(unit.code, counted), counted, rnd)
            if later:
                status.supplemented.append(unit.name)
            status.units.append(UnitState(unit, "late" if late > 0 else "reported", counted, late, later))
        elif any(r.status == HELD for r in sent):
            status.held.append(unit.name)
            status.units.append(UnitState(unit, "held", next(r for r in reversed(sent) if r.status == HELD)))
        elif approval is not None and any(r.status in (*CURRENT, SUPERSEDED) for r in sent):
            status.after_approval.append(unit.name)  # it did send: approval only keeps its figures out
            status.units.append(UnitState(unit, "after_approval", sent[-1]))
        elif sent:  # whatever became of them (returned, unreadable, a duplicate): the unit sent
            status.rejected.append(unit.name)
            status.units.append(UnitState(unit, "rejected", sent[-1]))
        else:
            status.missing.append(unit.name)
            status.units.append(UnitState(unit, "missing", None))
    return status


def no_open_round(plan: Plan, today: date | None) -> str:
    """One line when no round is open: the next round and when it opens, or (the plan's rounds are all
    over) the last one, when it closed, what happens to files that still arrive, and what to do next."""
    line = "Hiện không có kỳ báo cáo nào đang mở"
    if today is None:
        return line + "."
    coming = [r for r in plan.all_rounds if r.opens > today]
    if coming:
        nxt = min(coming, key=lambda r: r.opens)
        return (f"{line}; kỳ tiếp theo, {round_title(nxt)} (kỳ {nxt.id}), mở ngày {format_date(nxt.opens)}, hạn "
                f"{senders_word(plan.units_for(nxt))} gửi {format_date(nxt.district_deadline)}.")
    last = max(plan.all_rounds, key=lambda r: r.province_deadline)
    return (f"{line}: kỳ cuối của kế hoạch, {round_title(last)} (kỳ {last.id}), đã kết thúc ngày "
            f"{format_date(last.province_deadline)} (hạn tỉnh báo cáo); tệp nhận từ nay vẫn được trả lời và được "
            f"ghi nhận là gửi trễ cho kỳ của mẫu đã dùng. Giai đoạn {plan.phase} đã hết: lập kế hoạch giai đoạn mới "
            f"bằng lệnh «plan --new-phase {_next_phase(plan.phase)} --workbook TỆP.xlsx», nạp lại bằng «plan "
            "--from-workbook TỆP.xlsx --out THƯ_MỤC», rồi dùng thư mục đó (tùy chọn --plan-dir, hoặc dòng «plan = …» "
            "trong config.toml).")


def _next_phase(phase: str) -> str:
    """"2026-2030" after "2021-2025": a phase as long, from the year after."""
    span = phase_span(phase)
    if span is None:
        return "NĂM-NĂM"
    first, last = span
    return f"{last + 1}-{2 * last + 1 - first}"


def summary_lines(plan: Plan, statuses: list[RoundStatus], today: date | None = None) -> list[str]:
    """The officer's summary, in Vietnamese; `today` lets it say, when no round is open, which one comes
    next or that the plan's rounds are over."""
    if not statuses:
        return [no_open_round(plan, today)]
    lines = []
    for status in statuses:
        rnd = status.round
        days = status.days_left
        when = (f"còn {days} ngày" if days > 0 else "hôm nay là hạn" if days == 0 else f"đã quá hạn {-days} ngày")
        lines.append(f"{round_title(rnd)} (kỳ {rnd.id}) – hạn {senders_word(plan.units_for(rnd))} gửi "
                     f"{format_date(rnd.district_deadline)} ({when}); "
                     f"hạn tỉnh báo cáo {format_date(rnd.province_deadline)}.")
        if status.approved_on:
            lines.append(f"  Đã chốt số liệu ngày {format_date(date.fromisoformat(status.approved_on))}.")
        lines.append(f"  Đã báo cáo: {len(status.reported)}/{len(plan.units_for(rnd))} đơn vị.")
        if status.late:
            lines.append("  Gửi trễ: " + ", ".join(f"{name} ({days} ngày)" for name, days in status.late) + ".")
        if status.supplemented:
            lines.append("  Gửi đúng hạn, bổ sung sau hạn: " + ", ".join(status.supplemented) + ".")
        if status.held:
            lines.append("  Có tệp chờ xác nhận (chưa tính): " + ", ".join(status.held) + ".")
        if status.after_approval:
            lines.append("  Gửi sau khi chốt số liệu (không tính): " + ", ".join(status.after_approval) + ".")
        if status.rejected:
            lines.append("  Bị trả lại, chờ gửi lại: " + ", ".join(status.rejected) + ".")
        if status.missing:
            lines.append("  Chưa gửi: " + ", ".join(status.missing) + ".")
    return lines
