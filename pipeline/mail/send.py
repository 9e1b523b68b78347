"""Sending the reply drafts (outbox/…/feedback/*_thu-tra-loi.eml) through SMTP: only when config.toml
allows it (`[mail] send_replies = true`) and the officer has confirmed. Each draft is sent once:
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
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipeline.core import locations
from pipeline.core.atomic import write_text
from pipeline.core.config import Contact, MailSettings
from pipeline.core.errors import UsageError
from pipeline.mail.fetch import LOCAL_HOSTS, TIMEOUT_SECONDS


@dataclass
class SendReport:
    sent: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def unsent(outbox: Path, state_path: Path, *, unverified: bool = False) -> list[Path]:
    """Reply drafts not sent yet, in the order the files were answered; with `unverified`, also those to
    an address that failed the sender check (only when the officer asks)."""
    done = _load(state_path)
    found = list(outbox.rglob(f"*{locations.DRAFT_SUFFIX}"))
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
        for draft in drafts:
            message = BytesParser(policy=policy.SMTP).parsebytes(draft.read_bytes())
            del message["X-Unsent"]
            if not message["From"]:
                message["From"] = contact.email
            message["Date"] = formatdate(localtime=True)
            message["Message-ID"] = make_msgid(domain=contact.email.rsplit("@", 1)[-1])
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                report.failed.append((draft, f"máy chủ từ chối người nhận {', '.join(exc.recipients)}"))
                continue
            except smtplib.SMTPServerDisconnected as exc:  # the others wait for the next sending
                report.failed.append((draft, f"máy chủ ngắt kết nối ({exc}); các thư còn lại gửi ở lần sau"))
                break
            except (smtplib.SMTPException, UnicodeError, ValueError) as exc:
                # refused for its size, a UTF-8 address the server cannot take (no SMTPUTF8), a header the
                # library will not write: this draft is named and skipped, the others are sent
                report.failed.append((draft, _refusal(exc)))
                continue
            done[draft.relative_to(outbox).as_posix()] = _digest(draft)
            write_text(state_path, json.dumps(done, ensure_ascii=False, indent=1, sort_keys=True))
            report.sent.append(draft)
    return report


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
