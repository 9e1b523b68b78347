"""Sending the reply drafts (outbox/…/feedback/*_thu-tra-loi.eml) through SMTP: only when config.toml
allows it (`[mail] send_replies = true`) and the officer has confirmed. The drafts to one address go as
one message per sending. Each draft is sent once:
`mail-sent.json` beside the ledger records every draft sent (its path in the outbox and SHA-256),
written after each one, so an interrupted sending resumes without sending anything twice."""

from __future__ import annotations

import hashlib
import json
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from pipeline.core import locations
from pipeline.core.atomic import write_text
from pipeline.core.config import Contact, MailSettings
from pipeline.core.errors import UsageError
from pipeline.intake.feedback import REPLY_BYTES, REPLY_COPIES
from pipeline.mail.fetch import LOCAL_HOSTS, TIMEOUT_SECONDS


@dataclass
class SendReport:
    sent: list[Path] = field(default_factory=list)  # drafts sent
    failed: list[tuple[Path, str]] = field(default_factory=list)
    messages: int = 0  # messages sent: drafts to one address go as one


def unsent(outbox: Path, state_path: Path, *, unverified: bool = False) -> list[Path]:
    """Reply drafts not sent yet, in the order the files were answered; with `unverified`, also those to
    an address that failed the sender check (only when the officer asks)."""
    done = _load(state_path)
    found = list(outbox.rglob(f"*{locations.DRAFT_SUFFIX}")) + list(outbox.rglob(f"*{locations.REMINDER_SUFFIX}"))
    if unverified:
        found += outbox.rglob(f"*{locations.UNVERIFIED_DRAFT_SUFFIX}")
    drafts = sorted(found, key=lambda p: (p.name, str(p)))
    return [d for d in drafts if done.get(d.relative_to(outbox).as_posix()) != _digest(d)]


def send(settings: MailSettings, secret: str, contact: Contact, outbox: Path, drafts: list[Path],
         state_path: Path) -> SendReport:
    if not contact.email:
        raise UsageError("chưa có địa chỉ thư của văn phòng: điền email trong mục [contact] của config.toml, "
                         "thư trả lời được gửi từ địa chỉ đó.")
    report = SendReport()
    done = _load(state_path)
    with _connected(settings, secret) as smtp:
        for batch in _by_recipient(drafts):
            try:
                message = _one_message(batch)
            except (ValueError, UnicodeError, IndexError) as exc:  # a draft edited out of shape
                report.failed += [(draft, f"không đọc được thư nháp ({type(exc).__name__})") for draft in batch]
                continue
            if not message["From"]:
                message["From"] = contact.email
            message["Date"] = formatdate(localtime=True)
            message["Message-ID"] = make_msgid(domain=contact.email.rsplit("@", 1)[-1])
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                reason = f"máy chủ từ chối người nhận {', '.join(exc.recipients)}"
                report.failed += [(draft, reason) for draft in batch]
                continue
            except smtplib.SMTPServerDisconnected as exc:  # the others wait for the next sending
                reason = f"máy chủ ngắt kết nối ({exc}); các thư còn lại gửi ở lần sau"
                report.failed += [(draft, reason) for draft in batch]
                break
            except (smtplib.SMTPException, UnicodeError, ValueError) as exc:
                # refused for its size, a UTF-8 address the server cannot take (no SMTPUTF8), a header the
                # library will not write: this draft is named and skipped, the others are sent
                report.failed += [(draft, _refusal(exc)) for draft in batch]
                continue
            for draft in batch:
                done[draft.relative_to(outbox).as_posix()] = _digest(draft)
            write_text(state_path, json.dumps(done, ensure_ascii=False, indent=1, sort_keys=True))
            report.sent += batch
            report.messages += 1
    return report


def _by_recipient(drafts: list[Path]) -> list[list[Path]]:
    """The drafts grouped by the address they go to, in the order each address first appears: one
    message per address per sending, however many e-mails it sent (a forged sender with fifty e-mails
    would otherwise get fifty replies)."""
    groups: dict[str, list[Path]] = {}
    for draft in drafts:
        try:
            header = BytesParser(policy=policy.SMTP).parsebytes(draft.read_bytes(), headersonly=True)["To"]
            address = parseaddr(str(header or ""))[1].strip().lower()
        except (ValueError, UnicodeError, IndexError):
            address = ""
        groups.setdefault(address or f"?{draft}", []).append(draft)
    return list(groups.values())


def _one_message(batch: list[Path]) -> EmailMessage:
    """A draft as it is; several drafts to one address as one message: each draft's text under its own
    heading, their marked copies attached as far as REPLY_COPIES and REPLY_BYTES allow."""
    parsed = [BytesParser(policy=policy.SMTP).parsebytes(draft.read_bytes()) for draft in batch]
    for message in parsed:
        del message["X-Unsent"]
    if len(parsed) == 1:
        return parsed[0]  # type: ignore[return-value]
    first = parsed[0]
    combined = EmailMessage(policy=policy.SMTP)
    for header in ("From", "To", "In-Reply-To"):
        if first[header]:
            combined[header] = str(first[header])
    references = " ".join(str(m["In-Reply-To"]) for m in parsed if m["In-Reply-To"])
    if references:
        combined["References"] = references[:2000]
    combined["Subject"] = f"Trả lời {len(parsed)} thư đã gửi Hội LHPN tỉnh"
    parts = [f"Thư này trả lời {len(parsed)} thư anh/chị đã gửi; trả lời cho từng thư ở dưới, bản có đánh dấu ô "
             f"cần sửa gửi kèm (tối đa {REPLY_COPIES} bản)."]
    copies: list[tuple[str, bytes, str, str]] = []
    size = 0
    for message in parsed:
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""  # type: ignore[attr-defined]
        parts.append(f"===== {message['Subject'] or 'Trả lời'} =====\n\n{text.strip()}")
        for attachment in message.iter_attachments():  # type: ignore[attr-defined]
            payload = attachment.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if len(copies) < REPLY_COPIES and size + len(data) <= REPLY_BYTES:
                copies.append((attachment.get_filename() or "ban-danh-dau.xlsx", data,
                               attachment.get_content_maintype(), attachment.get_content_subtype()))
                size += len(data)
    combined.set_content("\n\n".join(parts) + "\n")
    for name, data, maintype, subtype in copies:
        combined.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return combined


@contextmanager
def _connected(settings: MailSettings, secret: str) -> Iterator[smtplib.SMTP]:
    """An SMTP session as configured; logged in when the settings name a user."""
    if settings.smtp_security == "none" and settings.smtp_host not in LOCAL_HOSTS:
        raise UsageError(f"[mail] smtp_security = \"none\" chỉ dùng được với máy chủ trên chính máy này, không "
                         f"với {settings.smtp_host}. Hãy dùng \"ssl\" hoặc \"starttls\".")
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
        if settings.smtp_security == "starttls":
            smtp.starttls()
    try:
        user = settings.smtp_user or settings.imap_user
        if user:
            smtp.login(user, secret)
        yield smtp
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _refusal(exc: BaseException) -> str:
    if isinstance(exc, (smtplib.SMTPNotSupportedError, UnicodeError)):
        return "địa chỉ có dấu tiếng Việt mà máy chủ thư không nhận (không hỗ trợ SMTPUTF8)"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"máy chủ từ chối thư (mã {exc.smtp_code}: {' '.join(text.split())[:200]})"
    return f"không gửi được ({type(exc).__name__}: {str(exc)[:200]})"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load(path: Path) -> dict[str, str]:
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}
