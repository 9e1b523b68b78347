"""Settings of one installation, read from config.toml (the plan itself lives in its own folder)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

from pipeline.core.errors import PipelineError

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
PATH_KEYS = ("plan", "inbox", "outbox", "templates", "ledger")


@dataclass(frozen=True)
class Contact:
    office: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class MailSettings:
    """config.toml's [mail]: the mailbox the districts write to, and the server that sends replies.
    Passwords never live here: P8_IMAP_PASSWORD / P8_SMTP_PASSWORD, or the system keyring."""

    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"  # ssl, starttls, or none (only to this machine: 127.0.0.1, localhost)
    imap_user: str = ""
    imap_folder: str = "INBOX"
    fetch_on_run: bool = False  # `run` fetches first
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: str = "ssl"
    smtp_user: str = ""  # empty: imap_user
    send_replies: bool = False  # `send` may send reply drafts (each run of it asks first)

    @property
    def fetching(self) -> bool:
        return bool(self.imap_host and self.imap_user)


@dataclass(frozen=True)
class Config:
    plan: Path
    inbox: Path
    outbox: Path
    templates: Path
    ledger: Path | None  # None: ledger.sqlite beside the outbox folder
    contact: Contact = field(default_factory=Contact)
    mail: MailSettings = field(default_factory=MailSettings)


def load_config(path: Path | str = DEFAULT_CONFIG) -> Config:
    """Read the settings; a missing file means the bundled defaults beside it."""
    path = Path(path)
    raw: dict = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PipelineError(f"{path}: tệp cấu hình viết sai cú pháp TOML ({exc}); hãy sửa dòng được nêu. Đường "
                                "dẫn kiểu Windows đặt trong dấu nháy đơn ('D:\\Du an 8\\hop thu') hoặc viết bằng "
                                "dấu / (\"D:/Du an 8/hop thu\").") from None
    unknown = set(raw) - set(PATH_KEYS) - {"contact", "mail"}
    if unknown:
        raise PipelineError(f"{path}: không có mục cấu hình {', '.join(sorted(unknown))}; các mục dùng được: "
                            f"{', '.join(PATH_KEYS)}, [contact] và [mail].")
    contact = raw.get("contact", {})
    unknown = set(contact) - set(Contact.__dataclass_fields__)
    if unknown:
        raise PipelineError(f"{path}: mục [contact] không có {', '.join(sorted(unknown))}; các mục dùng được: "
                            f"{', '.join(Contact.__dataclass_fields__)}.")
    base = path.resolve().parent

    def where(key: str, default: str) -> Path:
        return base / _native(str(raw.get(key) or default))

    return Config(
        plan=where("plan", "plan"),
        inbox=where("inbox", "inbox"),
        outbox=where("outbox", "outbox"),
        templates=where("templates", "templates_xlsx"),
        ledger=base / _native(str(raw["ledger"])) if raw.get("ledger") else None,
        contact=Contact(**{k: str(v).strip() for k, v in contact.items()}),
        mail=_mail_settings(path, raw.get("mail", {})),
    )


def _mail_settings(path: Path, raw: dict) -> MailSettings:
    known = MailSettings.__dataclass_fields__
    unknown = set(raw) - set(known)
    if unknown:
        raise PipelineError(f"{path}: mục [mail] không có {', '.join(sorted(unknown))}; các mục dùng được: "
                            f"{', '.join(known)}.")
    settings = MailSettings(**raw)
    for key, value in vars(settings).items():
        expected = type(getattr(MailSettings(), key))
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise PipelineError(f"{path}: [mail] {key} = {value!r} không đúng kiểu (cần "
                                f"{'số' if expected is int else 'true/false' if expected is bool else 'chữ'}).")
    for key in ("imap_security", "smtp_security"):
        if getattr(settings, key) not in ("ssl", "starttls", "none"):
            raise PipelineError(f"{path}: [mail] {key} phải là \"ssl\", \"starttls\" hoặc \"none\".")
    return settings


def _native(value: str) -> Path:
    """A path as the officer wrote it, with '\\' or '/' (a config.toml written on Windows reads the same
    everywhere); a drive letter (D:\\…) stays as it is on Windows."""
    if "\\" in value and os.sep == "/":
        return Path(PureWindowsPath(value).as_posix())
    return Path(value)
