"""A file taken from the inbox (Incoming), and what reading it found (Reading)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.findings import Finding
from pipeline.intake import guard
from pipeline.intake import inbox as inbox_files
from pipeline.validation.values import CellValue


@dataclass(frozen=True)
class Incoming:
    """One file to answer: an inbox file, or a spreadsheet attached to a saved e-mail."""

    name: str
    inbox_path: str  # where it was found, relative to the inbox ("mail.eml#2:file.xlsx" for attachments)
    sha256: str
    size: int
    data: bytes | None  # None when the file is too large to load
    source: Path | None = None  # the inbox file itself
    sender: str | None = None
    sent_at: str | None = None  # the e-mail's Date, as its sender wrote it (never trusted for a deadline)
    received_at: str | None = None  # when the province's mail server received the e-mail (received_moment)
    container: str | None = None  # inbox path of the e-mail that carried it
    stamp: tuple[int, int, int] | None = None  # an inbox file's (size, mtime ns, inode) when it was read


@dataclass
class Reading:
    """One file, as far as ingest could read it."""

    incoming: Incoming
    unit: str | None = None
    round: str | None = None
    template_version: str | None = None
    cells: dict[str, CellValue] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    fingerprint: str = ""  # as the file's metadata states it
    # the unkeyed digest of the template it claims to be, set when its locked content is that template's;
    # the main process holds the key and tells a keyed fingerprint from a bare or a wrong one (answer.py)
    identity_digest: str = ""
    carried: dict[str, CellValue] = field(default_factory=dict)  # locked "previous" figures, as printed
    check_status: str = ""  # what the template's own check sheet said when the file was saved (a hint)

    @property
    def identified(self) -> bool:
        return self.unit is not None and self.round is not None


def from_path(path: Path, inbox: Path) -> Incoming:
    """An inbox file, read once without following a link: its hash, and its bytes unless too large."""
    read = inbox_files.read(path, guard.MAX_FILE_BYTES, guard.BLOCK)
    return Incoming(path.name, path.relative_to(inbox).as_posix(), read.sha256, read.size, read.data, path,
                    stamp=read.stamp)


def from_bytes(name: str, inbox_path: str, data: bytes, **context) -> Incoming:
    return Incoming(name, inbox_path, hashlib.sha256(data).hexdigest(), len(data), data, **context)


def received_moment(server: str | None, now: str) -> str:
    """When the province received a file: its own mail server's moment (an e-mail's topmost Received
    header) when it is a real date not after `now`; else `now`, the moment the run takes the file. The
    sender's Date header is never used: a sender could backdate a late report, or date it 9999."""
    if server and server[:4] >= "2000" and server[:10] <= now[:10]:
        return server
    return now
