"""The secret that keys the templates' fingerprints: created beside the ledger on first use, a copy
kept in ledger-backups/. Whoever knows only the plan (public) can compute an unkeyed fingerprint of
any unit's template; without this key nobody can make a file that proves it is the template issued to
a unit. The key never leaves the main process: workers compare unkeyed digests."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from pipeline.core.errors import LedgerError
from pipeline.core.locations import BACKUP_FOLDER

_KEY_TEXT = re.compile(r"^[0-9a-f]{64}$")


def key_path(ledger_path: Path) -> Path:
    return Path(ledger_path).with_name(f"{Path(ledger_path).stem}.key")


def template_key(ledger_path: Path, home: Path) -> bytes:
    """The key: read, put back from the backup copy when it went missing, or made on first use. A key
    file that is not a key stops the command (LedgerError): a new key would disown every template
    already issued."""
    path = key_path(ledger_path)
    backup = Path(home) / BACKUP_FOLDER / path.name
    for source in (path, backup):
        text = _read(source)
        if text is None:
            continue
        if not _KEY_TEXT.match(text):
            raise LedgerError(f"Tệp khóa mẫu báo cáo {source} bị hỏng. Chép lại tệp này từ bản sao trong "
                              f"{backup.parent} (hoặc từ bản sao lưu của máy), rồi chạy lại lệnh.")
        _place(path, text)
        _place(backup, text)
        return bytes.fromhex(text)
    text = secrets.token_hex(32)
    _place(path, text)
    _place(backup, _read(path) or text)
    return bytes.fromhex(_read(path) or text)


def existing_key(ledger_path: Path) -> bytes | None:
    """The key beside the ledger when there is a sound one; None otherwise, and nothing made or put back."""
    try:
        text = _read(key_path(ledger_path))
    except OSError:
        return None
    return bytes.fromhex(text) if text is not None and _KEY_TEXT.match(text) else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None


def _place(path: Path, text: str) -> None:
    """Write the key where it is missing, readable by its owner only; never replace one (two commands
    making the first key at once: the first link wins, and both read it back)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
