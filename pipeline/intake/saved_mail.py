"""Saved e-mails (.eml, and Outlook's .msg): who sent them, when, and the spreadsheets attached; and
reply drafts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePath
from typing import Any

from pipeline.core.sender_text import header_text, safe_filename

MAX_ATTACHMENTS = 50  # spreadsheets read from one e-mail; the others are named in its answer
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_MINIMUM = 1536  # the smallest OLE compound file: a header and one sector (olefile's own bound)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAIL_SUFFIXES = (".eml", ".msg")


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    data: bytes


@dataclass
class Mail:
    sender: str | None
    sent_at: str | None  # ISO date-time from the Date header, as the sender's program wrote it
    subject: str
    message_id: str | None
    spreadsheets: list[Attachment] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # other attachments, by name
    over_limit: list[str] = field(default_factory=list)  # spreadsheets beyond MAX_ATTACHMENTS, not read
    received_at: str | None = None  # the topmost Received header's date: the province's server's moment


def is_mail(name: str) -> bool:
    return name.lower().endswith(MAIL_SUFFIXES)


def read_saved_mail(name: str, data: bytes) -> Mail:
    """A saved e-mail by its kind: Outlook's .msg (an OLE compound file), else MIME (.eml)."""
    return read_outlook(data) if name.lower().endswith(".msg") else read_mail(data)


def read_outlook(data: bytes) -> Mail:
    """An e-mail saved by classic Outlook (.msg), read with extract-msg; embedded messages and other
    attachments are named as ignored, as for an .eml."""
    import extract_msg

    # Bytes, never a path: the library (olefile) takes a short byte string for a file name to open, so
    # a 38-byte "message" naming a file or a FIFO outside the inbox would be read as the message.
    if len(data) < OLE_MINIMUM or not data.startswith(OLE_MAGIC):
        raise ValueError("not an Outlook message (no OLE compound file)")
    message: Any = extract_msg.openMsg(data, delayAttachments=False)  # a Message; the library is untyped
    try:
        senders = getaddresses([str(message.sender or "")])
        sent = message.date
        try:
            transport = message.header  # the transport headers Outlook kept, when it kept them
        except Exception:  # the library parses them on demand; a mangled block is no date
            transport = None
        mail = Mail(
            sender=next((address for _, address in senders if address), None),
            sent_at=sent.isoformat(timespec="seconds") if sent else None,
            subject=str(message.subject or ""),
            message_id=str(message.messageId) if message.messageId else None,
            received_at=_received(transport.get_all("Received") if transport is not None else None),
        )
        attachment: Any
        for index, attachment in enumerate(message.attachments, start=1):
            filename = PurePath(attachment.longFilename or attachment.shortFilename
                                or f"tep-dinh-kem-{index}").name
            data_ = attachment.data
            if not (isinstance(data_, bytes) and filename.lower().endswith(SPREADSHEET_SUFFIXES)):
                mail.ignored.append(filename)
            elif len(mail.spreadsheets) < MAX_ATTACHMENTS:
                mail.spreadsheets.append(Attachment(index, filename, data_))
            else:
                mail.over_limit.append(filename)
        return mail
    finally:
        message.close()


def _received(headers) -> str | None:
    """The date of the topmost Received header: each server a message passes adds one on top, so the
    first is the province's own server's (those below it are the sender's to forge)."""
    if not headers:
        return None
    _, _, when = str(headers[0]).rpartition(";")
    try:
        moment = parsedate_to_datetime(when.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment.isoformat(timespec="seconds") if moment else None


def _header(message, name: str) -> str:
    """A header's text: parsed when the parser can, else as it came (a malformed Message-ID, or a From
    with thousands of nested comments, makes the parser raise)."""
    try:
        return str(message.get(name) or "")
    except Exception:
        raw = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
        return " ".join(raw.split())[:998]


def _all(message, name: str) -> list[str]:
    try:
        return [str(v) for v in message.get_all(name) or []]
    except Exception:  # as _header: what the parser cannot take is read as it came
        return [str(v) for k, v in message.raw_items() if k.lower() == name.lower()]


def read_mail(data: bytes) -> Mail:
    message = BytesParser(policy=policy.default).parsebytes(data)
    senders = getaddresses([_header(message, "From")])
    sender = next((address for _, address in senders if address), None)
    try:
        sent = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
    except (TypeError, ValueError, IndexError, OverflowError):
        sent = None
    mail = Mail(
        sender=sender,
        sent_at=sent.isoformat(timespec="seconds") if sent else None,
        subject=_header(message, "Subject"),
        message_id=_header(message, "Message-ID") or None,
        received_at=_received(_all(message, "Received")),
    )
    for index, part in enumerate(_attachments(message), start=1):
        filename = PurePath(part.get_filename() or f"tep-dinh-kem-{index}").name
        if not filename.lower().endswith(SPREADSHEET_SUFFIXES):
            mail.ignored.append(filename)
            continue
        if len(mail.spreadsheets) >= MAX_ATTACHMENTS:
            mail.over_limit.append(filename)
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            mail.spreadsheets.append(Attachment(index, filename, payload))
    return mail


def _attachments(message):
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            yield part


def reply_draft(
    *, to: str | None, sender: str, subject: str, body: str, in_reply_to: str | None,
    attachment: tuple[str, bytes] | None = None, attachments: list[tuple[str, bytes]] | None = None,
    reply: bool = True,
) -> bytes:
    """An unsent reply (or, `reply` False, a message of our own: a reminder) the officer can open, check
    and send from their mail program."""
    draft = EmailMessage(policy=policy.SMTP)
    draft["To"] = header_text(to or "")
    if sender:
        draft["From"] = header_text(sender)
    subject = header_text(subject)
    draft["Subject"] = subject if not reply or subject.lower().startswith("re:") else f"Re: {subject}".strip()
    if in_reply_to:
        draft["In-Reply-To"] = header_text(in_reply_to, 998)
        draft["References"] = header_text(in_reply_to, 998)
    draft["X-Unsent"] = "1"  # opens as a draft in Outlook and Thunderbird
    draft.set_content(body)
    files = ([attachment] if attachment else []) + list(attachments or [])
    for name, data in files:
        draft.add_attachment(data, maintype="application",
                             subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             filename=safe_filename(name))
    if files:
        # A boundary drawn from the content instead of at random: the same answer, the same bytes.
        digest = hashlib.sha256(body.encode() + b"".join(data for _, data in files)).hexdigest()
        draft.set_boundary("p8-" + digest[:32])
    return draft.as_bytes()
