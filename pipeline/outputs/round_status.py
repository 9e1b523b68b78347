"""Where each open round stands: who reported, who is missing, late or rejected, and the days left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline.core.vietnamese import format_date, joined_units, round_title, senders_word
from pipeline.figures.timeliness import COUNTED, UnitState, state_lists, unit_states
from pipeline.ledger.store import Ledger
from pipeline.plan.model import Plan, Round
from pipeline.plan.new_phase import phase_span

WHOLE_LISTS = "danh sách đủ ở trang tình hình báo cáo index.html"  # where a list the summary cuts short is whole
# A round stays on the summary this long after the province's deadline (the update may follow).
SHOWN_AFTER_DEADLINE = timedelta(days=60)
# A round's reports are drafts ("DỰ THẢO") until this many days before the province's deadline.
FINAL_BEFORE_DEADLINE = timedelta(days=5)


def is_draft(rnd: Round, today: date) -> bool:
    return today < rnd.province_deadline - FINAL_BEFORE_DEADLINE


@dataclass
class RoundStatus:
    round: Round
    today: date
    approved_on: str | None = None
    units: list[UnitState] = field(default_factory=list)  # figures/timeliness.py: the one judgement

    def _named(self, *states: str) -> list[str]:
        return [s.unit.name for s in self.units if s.state in states]

    @property
    def reported(self) -> list[str]:  # unit names, accepted (on time or late)
        return self._named(*COUNTED)

    @property
    def late(self) -> list[tuple[str, int]]:  # (unit name, days late of its first file)
        return [(s.unit.name, s.days_late) for s in self.units if s.state == "late"]

    @property
    def held(self) -> list[str]:  # a file waits for the officer's confirmation (confirm)
        return self._named("held")

    @property
    def supplemented(self) -> list[str]:  # on time, then a correction after the deadline
        return [s.unit.name for s in self.units if s.supplemented_late]

    @property
    def after_approval(self) -> list[str]:  # sent only after the round was approved
        return self._named("after_approval")

    @property
    def rejected(self) -> list[str]:  # sent, but nothing accepted yet
        return self._named("rejected")

    @property
    def missing(self) -> list[str]:  # nothing received
        return self._named("missing")

    @property
    def days_left(self) -> int:
        return (self.round.district_deadline - self.today).days


def open_rounds(plan: Plan, today: date) -> list[Round]:
    return [r for r in plan.all_rounds if r.opens <= today <= r.province_deadline + SHOWN_AFTER_DEADLINE]


def round_status(plan: Plan, ledger: Ledger, rnd: Round, today: date) -> RoundStatus:
    approval = ledger.approval(rnd.id)
    states = unit_states(plan.units_for(rnd), ledger.records(rnd.id), ledger.current(rnd.id), approval is not None,
                         rnd)
    return RoundStatus(rnd, today, approval[0] if approval else None, states)


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
        lines += [f"  {label}: {joined_units(names, WHOLE_LISTS)}." for label, names in state_lists(status.units)]
    return lines
