"""Deadline reminders: a draft e-mail (.eml) to each unit that has sent nothing for a round whose
deadline is near or past, addressed to the unit's registered addresses; `send` sends them as it sends
replies, and the status page links each to its unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.core import locations
from pipeline.core.atomic import write_bytes
from pipeline.core.config import Contact
from pipeline.core.vietnamese import format_date, round_title, women_union
from pipeline.intake.saved_mail import reply_draft
from pipeline.ledger.store import Ledger
from pipeline.outputs.round_status import open_rounds, round_status
from pipeline.plan.model import Plan, Round, Unit


@dataclass
class Reminders:
    written: list[Path] = field(default_factory=list)
    no_address: list[tuple[str, str]] = field(default_factory=list)  # (round id, unit name): no address known
    rounds: list[str] = field(default_factory=list)  # the rounds whose deadline is within the days asked


def reminder_path(outbox: Path, round_id: str, unit: Unit, day: date) -> Path:
    return Path(outbox) / round_id / locations.REMINDER_FOLDER / \
        f"{unit.code}_{unit.slug}_{day.isoformat()}{locations.REMINDER_SUFFIX}"


def write_reminders(plan: Plan, ledger: Ledger, outbox: Path, today: date, days: int,
                    contact: Contact) -> Reminders:
    """For each open round whose units' deadline is at most `days` away (or past), a reminder to each
    unit that has sent nothing for it. Written once per unit and day: the same day, the same bytes."""
    done = Reminders()
    for rnd in open_rounds(plan, today):
        if (rnd.district_deadline - today).days > days:
            continue
        done.rounds.append(rnd.id)
        status = round_status(plan, ledger, rnd, today)
        for entry in status.units:
            if entry.state != "missing":
                continue
            if not entry.unit.senders:
                done.no_address.append((rnd.id, entry.unit.name))
                continue
            path = reminder_path(outbox, rnd.id, entry.unit, today)
            write_bytes(path, _draft(plan, rnd, entry.unit, today, contact))
            done.written.append(path)
    return done


def _draft(plan: Plan, rnd: Round, unit: Unit, today: date, contact: Contact) -> bytes:
    left = (rnd.district_deadline - today).days
    when = (f"còn {left} ngày" if left > 0 else "là hôm nay" if left == 0 else f"đã quá {-left} ngày")
    body = "\n".join([
        f"Kính gửi: {women_union(unit, plan.reporting_body)}",
        "",
        f"Theo {plan.document}, hạn gửi {round_title(rnd).lower()} (kỳ {rnd.id}) là ngày "
        f"{format_date(rnd.district_deadline)} ({when}). Đến ngày {format_date(today)}, {plan.reporting_body} chưa "
        "nhận được báo cáo của đơn vị.",
        "",
        "Đề nghị đơn vị điền tệp mẫu báo cáo đã được gửi (mỗi đơn vị một tệp, không đổi tên trang, không chép "
        "sang tệp khác) và gửi lại qua thư điện tử" + (f" tới {contact.email}" if contact.email else "") + ".",
        "Nếu đơn vị đã gửi, xin bỏ qua thư này.",
        "",
        plan.reporting_body,
        "",
    ])
    subject = f"Nhắc hạn gửi báo cáo Dự án 8 – {round_title(rnd)} (hạn {format_date(rnd.district_deadline)})"
    return reply_draft(to=", ".join(unit.senders), sender=contact.email, subject=subject, body=body,
                       in_reply_to=None, reply=False)
