"""New mail from an IMAP mailbox into the inbox: every new message saved as one .eml, once, whatever
it holds (the run answers it: a message without a report, or one no parser can read, gets its answer
there, in an isolated reader). Nothing of a message is parsed here: a crafted header or a thousand-deep
message could otherwise stop every fetch. The server is never changed: the folder is opened read-only
(EXAMINE) and messages are read with BODY.PEEK, so not even the «seen» flag moves.

What was fetched is remembered in `mail-fetched.json` beside the ledger: per folder, its UIDVALIDITY
and the last UID looked at; and per saved message, the SHA-256 of its bytes, its file and the
server's INTERNALDATE, the moment the province's server received it (the run counts a deadline from
it). A Message-ID is never the key: any sender can reuse another's. The record is written after each
message, so a connection lost midway leaves every saved message recorded.
"""

from __future__ import annotations

import hashlib
import imaplib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.core.atomic import write_bytes, write_text
from pipeline.core.config import MailSettings
from pipeline.core.errors import UsageError
from pipeline.core.sender_text import safe_filename

MAX_MESSAGE_BYTES = 40 << 20  # larger messages are left on the server and named
TIMEOUT_SECONDS = 60
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
KEYRING_SERVICE = "p8-pipeline"


@dataclass
class FetchReport:
    saved: list[Path] = field(default_factory=list)
    already_saved: int = 0  # the same bytes saved before (the same mail in another folder or after a reset)
    too_large: list[str] = field(default_factory=list)  # subjects left on the server
    error: str | None = None  # the connection failed midway; what was saved is recorded


def password(settings: MailSettings, kind: str = "IMAP") -> str:
    """From the environment, else the system keyring (if the keyring package is installed); never from
    a file of the pipeline's."""
    user, host = (settings.imap_user, settings.imap_host) if kind == "IMAP" else \
        (settings.smtp_user or settings.imap_user, settings.smtp_host)
    found = os.environ.get(f"P8_{kind}_PASSWORD") or (os.environ.get("P8_IMAP_PASSWORD") if kind == "SMTP" else None)
    if found:
        return found
    try:
        import keyring  # optional: Windows Credential Manager, macOS Keychain, Secret Service
    except ImportError:
        keyring = None
    stored = keyring.get_password(KEYRING_SERVICE, f"{kind.lower()}:{user}@{host}") if keyring else None
    if stored:
        return stored
    raise UsageError(f"chưa có mật khẩu của hộp thư {user} trên {host}: đặt biến môi trường P8_{kind}_PASSWORD, "
                     f"hoặc lưu vào kho mật khẩu của hệ thống (dịch vụ «{KEYRING_SERVICE}», tên "
                     f"«{kind.lower()}:{user}@{host}»). Chương trình không bao giờ ghi mật khẩu ra đĩa.")


def fetch(settings: MailSettings, secret: str, inbox: Path, state_path: Path) -> FetchReport:
    report = FetchReport()
    state = _load(state_path)
    key = f"{settings.imap_user}@{settings.imap_host}:{settings.imap_port}/{settings.imap_folder}"
    try:
        with _connected(settings, secret) as imap:
            validity = _open_read_only(imap, settings.imap_folder)
            folder = state["folders"].get(key, {})
            last = folder.get("last_uid", 0) if folder.get("uidvalidity") == validity else 0
            for uid in _new_uids(imap, last):
                _take(imap, uid, inbox, state["saved"], report)
                state["folders"][key] = {"uidvalidity": validity, "last_uid": uid}
                write_text(state_path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True))
    except (OSError, imaplib.IMAP4.error) as exc:
        report.error = _explain(exc, settings)
    return report


def server_moments(state_path: Path) -> dict[str, str]:
    """SHA-256 of each message fetched -> when the province's server received it (INTERNALDATE)."""
    try:
        saved = _load(state_path)["saved"]
    except (OSError, ValueError):
        return {}
    return {digest: entry["received"] for digest, entry in saved.items()
            if isinstance(entry, dict) and isinstance(entry.get("received"), str)}


def _take(imap: imaplib.IMAP4, uid: int, inbox: Path, saved: dict[str, dict], report: FetchReport) -> None:
    size = _size(imap, uid)
    if size > MAX_MESSAGE_BYTES:
        report.too_large.append(f"UID {uid} ({size >> 20} MB)")
        return
    raw, received = _body(imap, uid)
    digest = hashlib.sha256(raw).hexdigest()
    if digest in saved:
        report.already_saved += 1
        return
    target = inbox / _file_name(raw, received, uid)
    write_bytes(target, raw)
    saved[digest] = {"file": target.name, "received": received.isoformat() if received else None}
    report.saved.append(target)


@contextmanager
def _connected(settings: MailSettings, secret: str) -> Iterator[imaplib.IMAP4]:
    host, port = settings.imap_host, settings.imap_port
    if settings.imap_security == "none" and host not in LOCAL_HOSTS:
        raise UsageError(f"[mail] imap_security = \"none\" chỉ dùng được với máy chủ trên chính máy này, không "
                         f"với {host}: mật khẩu sẽ đi qua mạng không mã hóa. Hãy dùng \"ssl\" hoặc \"starttls\".")
    if settings.imap_security == "ssl":
        imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, timeout=TIMEOUT_SECONDS)
    else:
        imap = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
        if settings.imap_security == "starttls":
            imap.starttls()
    try:
        imap.login(settings.imap_user, secret)
        yield imap
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def _open_read_only(imap: imaplib.IMAP4, folder: str) -> int:
    status, detail = imap.select(_quoted(folder), readonly=True)
    if status != "OK":
        raise imaplib.IMAP4.error(f"folder {folder!r}: {detail!r}")
    validity = imap.untagged_responses.get("UIDVALIDITY", [b"0"])[-1]
    return int(validity if isinstance(validity, bytes) else validity[0])


def _new_uids(imap: imaplib.IMAP4, last: int) -> list[int]:
    status, data = imap.uid("SEARCH", f"UID {last + 1}:*")
    if status != "OK":
        raise imaplib.IMAP4.error(f"search: {data!r}")
    # "n:*" always names the newest message, even when it is older than n: keep what is new.
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > last)


def _size(imap: imaplib.IMAP4, uid: int) -> int:
    status, data = imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
    found = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d))
    if status != "OK" or found is None:
        raise imaplib.IMAP4.error(f"size of UID {uid}: {data!r}")
    return int(found.group(1))


def _body(imap: imaplib.IMAP4, uid: int) -> tuple[bytes, datetime | None]:
    """The message's bytes, and when the server received it (INTERNALDATE)."""
    status, data = imap.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            moment = imaplib.Internaldate2tuple(item[0]) if isinstance(item[0], bytes) else None
            return item[1], datetime.fromtimestamp(time.mktime(moment)).astimezone() if moment else None
    raise imaplib.IMAP4.error(f"message UID {uid} came back empty ({status})")


_FROM = re.compile(rb"^From:[^\r\n]*?([A-Za-z0-9._%+-]{1,64})@", re.M | re.I)


def _file_name(raw: bytes, received: datetime | None, uid: int) -> str:
    """thu_2024-09-09_hoiphunu.vanho_17.eml: the day the server received it, the sender's mailbox as the
    header block's first From line names it (read, not parsed), and its UID."""
    day = received.date().isoformat() if received else "khong-ngay"
    end = raw.find(b"\r\n\r\n", 0, 65536)
    found = _FROM.search(raw[: end if end >= 0 else 65536])
    sender = found.group(1).decode("ascii") if found else "khong-ro"
    return safe_filename(f"thu_{day}_{sender}_{uid}.eml")


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _load(path: Path) -> dict:
    """The record; one written before messages were keyed by their hash lists Message-IDs, which are
    not kept (the folders' last UIDs still keep old messages from being fetched again)."""
    if not path.is_file():
        return {"folders": {}, "saved": {}}
    state = json.loads(path.read_text(encoding="utf-8"))
    return {"folders": dict(state.get("folders", {})), "saved": dict(state.get("saved", {}))}


def _explain(exc: BaseException, settings: MailSettings) -> str:
    where = f"{settings.imap_host}:{settings.imap_port}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"máy chủ thư {where} không trả lời (quá {TIMEOUT_SECONDS} giây)"
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        return f"không kết nối được tới máy chủ thư {where} ({exc})"
    if isinstance(exc, imaplib.IMAP4.abort | ConnectionError | EOFError):
        return f"mất kết nối với máy chủ thư {where} ({exc})"
    if isinstance(exc, imaplib.IMAP4.error) and "auth" in str(exc).lower():
        return f"máy chủ thư {where} không nhận tên đăng nhập hoặc mật khẩu của {settings.imap_user}"
    return f"lỗi khi đọc hộp thư trên {where}: {exc}"
