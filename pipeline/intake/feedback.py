"""What goes back to each sender: a short Vietnamese message and a copy of the workbook with the
problem cells marked and commented."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from pipeline.core import locations
from pipeline.core.atomic import atomic_path, write_bytes, write_text
from pipeline.core.config import Contact
from pipeline.core.errors import is_storage_error
from pipeline.core.findings import SEVERITY_LABELS, Finding
from pipeline.core.office_package import normalize_package
from pipeline.core.sender_text import printable
from pipeline.core.vietnamese import format_date, round_title, women_union
from pipeline.intake.marking import Mark, Unmarkable, mark_package
from pipeline.intake.saved_mail import Mail, reply_draft
from pipeline.ledger.schema import (
    ACCEPTED,
    ACCEPTED_WITH_WARNINGS,
    DUPLICATE,
    HELD,
    REJECTED,
    SUPERSEDED,
    UNPACKED,
    Submission,
)
from pipeline.plan.model import Plan

VERDICTS = {
    ACCEPTED: "ĐÃ TIẾP NHẬN. Số liệu hợp lệ.",
    ACCEPTED_WITH_WARNINGS: "ĐÃ TIẾP NHẬN. Đề nghị kiểm tra lại các điểm lưu ý dưới đây; nếu cần "
    "sửa, gửi lại tệp đã sửa.",
    SUPERSEDED: "ĐÃ TIẾP NHẬN, nhưng đã có bản gửi sau thay thế.",
    REJECTED: "CHƯA TIẾP NHẬN. Vui lòng sửa các lỗi dưới đây và gửi lại tệp.",
    DUPLICATE: "Tệp này trùng với tệp đã nhận trước đó; không tính thêm.",
    HELD: "ĐÃ NHẬN, CHỜ XÁC NHẬN. Số liệu chưa được tính cho đến khi Hội LHPN tỉnh xác nhận với đơn vị.",
    UNPACKED: "ĐÃ NHẬN THƯ. Mọi tệp báo cáo đính kèm được trả lời trong một thư trả lời, từng tệp một mục.",
}
FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}
VERDICT_WORDS = {REJECTED: "chưa tiếp nhận", HELD: "chờ xác nhận"}  # a reply's subject and sections; else accepted
ACCEPTED_WORDS = "đã tiếp nhận"
UNVERIFIED_SENDER = {"sender-unknown", "sender-changed", "submission-held"}  # the sender check's findings
SIGNATURE = "Hội LHPN tỉnh"


def note_path(outbox: Path, record: Submission) -> Path:
    return _answer(outbox, record, locations.NOTE_SUFFIX)


def _answer(outbox: Path, record: Submission, suffix: str) -> Path:
    return locations.answer_path(outbox, record.round, record.id, record.original_name, suffix)


def message(plan: Plan, record: Submission, findings: list[Finding], contact: Contact | None = None,
            replaces: Submission | None = None) -> str:
    addressee = women_union(plan.unit(record.unit), plan.reporting_body) if record.unit else "Đơn vị gửi báo cáo"
    received = format_date(_day(record.received_at))
    lines = [
        f"Kính gửi: {addressee}",
        "",
        f"{plan.reporting_body} đã nhận tệp «{printable(record.original_name)}» ngày {received}"
        + (f" cho kỳ «{round_title(plan.round(record.round))}»." if record.round else "."),
        "",
        f"Kết quả: {VERDICTS[record.status]}",
    ]
    if replaces is not None:
        lines += ["", f"Tệp này thay thế tệp «{replaces.shown_name}» nhận ngày "
                      f"{format_date(_day(replaces.received_at))} (mã tiếp nhận {replaces.id:06d}): số liệu của "
                      "đơn vị trong kỳ này lấy theo tệp này."]
    if findings:
        lines += ["", "Chi tiết:"]
        for number, finding in enumerate(findings, start=1):
            lines.append(f"{number}. [{SEVERITY_LABELS[finding.severity]}] {finding.message}")
    lines += ["", f"Mã tiếp nhận: {record.id:06d} (SHA-256 {record.sha256[:12]}…)"]
    lines += [*_signature(contact or Contact()), ""]
    return "\n".join(lines)


def _signature(contact: Contact) -> list[str]:
    """Who to ask, from config.toml's [contact]: the office, the person, phone and e-mail given."""
    who = ", ".join(p for p in (contact.name, contact.office) if p)
    reach = "; ".join(p for p in (f"điện thoại {contact.phone}" if contact.phone else "",
                                  f"thư điện tử {contact.email}" if contact.email else "") if p)
    if not (who or reach):
        return []
    return ["", "Liên hệ: " + (f"{who} ({reach})" if who and reach else who or reach) + "."]


def write_note(plan: Plan, outbox: Path, record: Submission, findings: list[Finding],
               contact: Contact | None = None, replaces: Submission | None = None, *,
               flush: bool = True) -> tuple[Path, str]:
    """The short message for the sender, as a text file; returns its path and text."""
    note = note_path(outbox, record)
    body = message(plan, record, findings, contact, replaces)
    write_text(note, body, flush=flush)
    return note, body


MarkCopy = Callable[[Path, Path, list[Finding], datetime], bool]


def write_feedback(
    plan: Plan, outbox: Path, record: Submission, findings: list[Finding], original: Path,
    mail: Mail | None = None, contact: Contact | None = None, mark_copy: MarkCopy | None = None,
    replaces: Submission | None = None, *, flush: bool = True,
) -> list[Path]:
    """The message, the marked copy (when a finding points at a cell) and, for a file that came by
    e-mail, a reply draft to the sender with both. `mark_copy` makes the marked copy (the run hands
    it to an isolated worker: it opens the sender's workbook); `replaces`: the file it supersedes;
    `flush=False`: the message is not flushed to disk (the caller syncs before it clears the file)."""
    note, body = write_note(plan, outbox, record, findings, contact, replaces, flush=flush)
    written = [note]
    marked = [f for f in findings if f.sheet and f.cell]
    copy = _answer(outbox, record, locations.MARKED_SUFFIX)
    workbook = original.suffix.lower() in (".xlsx", ".xlsm")
    if marked and workbook and (mark_copy or write_marked_copy)(original, copy, marked, _moment(record)):
        written.append(copy)
    if mail is not None and record.status != UNPACKED:
        attachment = (copy.name, copy.read_bytes()) if copy in written else None
        draft = reply_draft(to=mail.sender, sender=(contact or Contact()).email, subject=_reply_subject(mail, record),
                            body=body, in_reply_to=mail.message_id, attachment=attachment)
        unverified = any(f.code in UNVERIFIED_SENDER for f in findings)
        reply = _answer(outbox, record, locations.UNVERIFIED_DRAFT_SUFFIX if unverified else locations.DRAFT_SUFFIX)
        write_bytes(reply, draft)
        written.append(reply)
    return written


# What one reply carries at most: the marked copies of a mail of many files go as far as these allow
# (each letter says which cells to fix in any case).
REPLY_COPIES, REPLY_BYTES = 10, 10 << 20


def write_mail_reply(outbox: Path, envelope: Submission, mail: Mail, about_mail: list[Finding],
                     answers: list[tuple[Submission, list[Finding], list[Path]]],
                     contact: Contact | None = None) -> Path:
    """One reply draft to an e-mail that carried several files, with every file's answer in it and their
    marked copies attached: a sender gets one reply per e-mail, not one per file (a forged sender with
    fifty attachments got fifty). To an address that failed the sender check it waits for the officer."""
    parts: list[str] = []
    copies: list[tuple[str, bytes]] = []
    size = 0
    for record, _findings, paths in answers:
        verdict = VERDICT_WORDS.get(record.status, ACCEPTED_WORDS).upper()
        note = next((p for p in paths if p.name.endswith(locations.NOTE_SUFFIX)), None)
        text = note.read_text(encoding="utf-8") if note is not None else ""
        parts.append(f"===== Tệp «{record.shown_name}»: {verdict} =====\n\n{text.strip()}")
        marked = next((p for p in paths if p.name.endswith(locations.MARKED_SUFFIX)), None)
        if marked is not None and len(copies) < REPLY_COPIES and size + marked.stat().st_size <= REPLY_BYTES:
            copies.append((marked.name, marked.read_bytes()))
            size += len(copies[-1][1])
    accepted = sum(1 for record, _, _ in answers if record.status not in (REJECTED, HELD))
    held = sum(1 for record, _, _ in answers if record.status == HELD)
    intro = (f"Thư gửi kèm {len(answers)} tệp bảng tính: {accepted} tệp đã tiếp nhận, "
             + (f"{held} tệp chờ xác nhận, " if held else "")
             + f"{len(answers) - accepted - held} tệp chưa tiếp nhận. Trả lời cho từng tệp ở dưới; bản có đánh dấu "
             "ô cần sửa gửi kèm thư này"
             + (f" (tối đa {REPLY_COPIES} bản)." if len(answers) > REPLY_COPIES else "."))
    notes = "".join(f"\n- {f.message}" for f in about_mail)  # the e-mail's own: files past the limit, dates
    body = intro + (f"\n\nVề thư này:{notes}" if notes else "") + "\n\n" + "\n\n".join(parts) + "\n"
    subject = (_reply_subject(mail, answers[0][0]) if len(answers) == 1
               else f"Re: {mail.subject} – {len(answers)} tệp: {accepted} đã tiếp nhận".replace("Re: Re: ", "Re: "))
    draft = reply_draft(to=mail.sender, sender=(contact or Contact()).email, subject=subject, body=body,
                        in_reply_to=mail.message_id, attachments=copies)
    unverified = any(f.code in UNVERIFIED_SENDER for _, findings, _ in answers for f in findings)
    reply = _answer(outbox, envelope, locations.UNVERIFIED_DRAFT_SUFFIX if unverified else locations.DRAFT_SUFFIX)
    write_bytes(reply, draft)
    return reply


def _reply_subject(mail: Mail, record: Submission) -> str:
    verdict = VERDICT_WORDS.get(record.status, ACCEPTED_WORDS)
    return f"Re: {mail.subject} – {record.shown_name}: {verdict}".replace("Re: Re: ", "Re: ")


def _moment(record: Submission) -> datetime:
    return datetime.fromisoformat(record.received_at)


def write_marked_copy(original: Path, target: Path, findings: list[Finding], moment: datetime,
                      flush: bool = True) -> bool:
    """The sender's workbook with each finding's cell coloured and commented; False when it cannot be
    made (the marked copy is a courtesy: the message alone still answers the sender). `flush=False`:
    not flushed to disk (the caller syncs before it clears the file)."""
    try:
        _mark(original, target, findings, moment, flush)
    except Exception as exc:
        if is_storage_error(exc):
            raise
        return False
    return True


def _mark(original: Path, target: Path, findings: list[Finding], moment: datetime, flush: bool) -> None:
    """The package edited in place (marking.py); openpyxl's load and save when it cannot be."""
    marks = [Mark(f.sheet, f.cell, FILLS[f.severity], f"{SEVERITY_LABELS[f.severity]}: {f.message}")
             for f in findings if f.sheet and f.cell]
    try:
        marked = mark_package(Path(original).read_bytes(), marks, SIGNATURE, moment)
    except Unmarkable:
        _mark_with_openpyxl(original, target, findings, moment)
        return
    write_bytes(target, marked, flush=flush)


def _mark_with_openpyxl(original: Path, target: Path, findings: list[Finding], moment: datetime) -> None:
    # Imported here: a third of a second, at every command's start otherwise, for a copy that marking.py
    # makes in all but a few packages.
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = openpyxl.load_workbook(original)
    for finding in findings:
        if finding.sheet not in book.sheetnames:
            continue
        cell = book[finding.sheet][finding.cell]
        cell.fill = PatternFill("solid", fgColor=FILLS[finding.severity])
        text = f"{SEVERITY_LABELS[finding.severity]}: {finding.message}"
        if cell.comment is not None:
            text = f"{cell.comment.text}\n{text}"
        cell.comment = Comment(text, SIGNATURE, width=320, height=120)
    with atomic_path(target) as tmp:
        book.save(tmp)
        normalize_package(tmp, moment)


def _day(received_at: str) -> date:
    return date.fromisoformat(received_at[:10])
