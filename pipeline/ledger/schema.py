"""The ledger's tables, and the records read from them: a received file (Submission), a stored value;
the statuses a file can have."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pipeline.core.errors import LedgerError
from pipeline.core.sender_text import printable
from pipeline.ledger.chain import build

# PRAGMA user_version of a ledger this code writes. 0: a ledger from before versions (main up to
# 1ac64ff), whose findings have no parameters; 1: before the chain (up to e2cc729). MIGRATIONS take a
# ledger from one version to the next.
SCHEMA_VERSION = 2

CHAIN_TABLE = """
CREATE TABLE IF NOT EXISTS chain (
    seq INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    link TEXT NOT NULL
)"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS submission (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    original_name TEXT NOT NULL,
    inbox_path TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    sender TEXT,
    received_at TEXT NOT NULL,
    unit TEXT,
    round TEXT,
    template_version TEXT,
    status TEXT NOT NULL,
    size INTEGER NOT NULL,
    cleared INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS submission_inbox ON submission (inbox_path);
CREATE TABLE IF NOT EXISTS stale_round (
    round TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS approval (
    round TEXT PRIMARY KEY,
    approved_on TEXT NOT NULL,
    last_record INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS submission_sha ON submission (sha256);
CREATE INDEX IF NOT EXISTS submission_round ON submission (round, unit);
CREATE INDEX IF NOT EXISTS submission_unit ON submission (unit, id);
CREATE TABLE IF NOT EXISTS value (
    submission_id INTEGER NOT NULL REFERENCES submission (id),
    field TEXT NOT NULL,
    sheet TEXT NOT NULL,
    cell TEXT NOT NULL,
    number NUMERIC,
    text TEXT,
    PRIMARY KEY (submission_id, field)
);
CREATE TABLE IF NOT EXISTS finding (
    submission_id INTEGER NOT NULL REFERENCES submission (id),
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    unit TEXT,
    round TEXT,
    sheet TEXT,
    cell TEXT,
    message TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (submission_id, seq)
);
""" + CHAIN_TABLE


ACCEPTED = "accepted"
ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
REJECTED = "rejected"
DUPLICATE = "duplicate"
SUPERSEDED = "superseded"
UNPACKED = "unpacked"  # a saved e-mail whose spreadsheet attachments were taken as submissions
IGNORED = "ignored"  # an office program's lock file (~$name.xlsx): kept in the archive, never answered
HELD = "held"  # identity unproven, from an unregistered sender: not counted until the officer confirms it
CURRENT = (ACCEPTED, ACCEPTED_WITH_WARNINGS)


@dataclass(frozen=True)
class Submission:
    id: int
    sha256: str
    original_name: str
    inbox_path: str
    stored_path: str
    sender: str | None
    received_at: str
    unit: str | None
    round: str | None
    template_version: str | None
    status: str
    size: int
    cleared: int = 0

    @functools.cached_property  # a run's outputs ask each record's about thirty times
    def shown_name(self) -> str:
        """The sender's file name as people read it (workbooks, pages, letters): control and
        direction-changing characters shown as codes, so «bao-cao\u202exslx.docx» cannot pass for
        another name. The ledger keeps the name as it came."""
        return printable(self.original_name)


class StoredValue(NamedTuple):  # a tuple, not a dataclass: a national consolidation makes hundreds of thousands
    field: str
    sheet: str
    cell: str
    number: int | float | None
    text: str | None


def marks(items: tuple) -> str:
    """The placeholders of an SQL list: (?, ?, ?) for three items."""
    return ", ".join("?" for _ in items)


def _chain_as_it_stands(db: sqlite3.Connection) -> None:
    db.execute(CHAIN_TABLE)
    build(db)


# version -> the statements (or the step) that take a ledger of that version to the next one.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    0: "ALTER TABLE finding ADD COLUMN params TEXT NOT NULL DEFAULT '{}'",  # a finding's parameters
    1: _chain_as_it_stands,
}


def prepare(db: sqlite3.Connection, path: Path) -> int:
    """Bring the ledger to SCHEMA_VERSION, in one transaction: create its tables when it is new,
    migrate it when it is older. Returns the version it had; a ledger of a newer version stops the
    run (LedgerError), untouched."""
    found = _version(db, path)
    if found == SCHEMA_VERSION:
        return found
    db.execute("BEGIN IMMEDIATE")  # another process may be preparing it too: look again once it is ours
    try:
        found = _version(db, path)
        new = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'submission'").fetchone() is None
        for version in range(found, SCHEMA_VERSION) if not new else ():
            step = MIGRATIONS[version]
            if callable(step):
                step(db)
                continue
            for statement in filter(str.strip, step.split(";")):
                db.execute(statement)
        for statement in filter(str.strip, SCHEMA.split(";")):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found


def _version(db: sqlite3.Connection, path: Path) -> int:
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise LedgerError(f"Sổ ghi {path} do một phiên bản mới hơn của chương trình ghi (phiên bản sổ {found}, "
                          f"chương trình này đọc đến {SCHEMA_VERSION}). Hãy cập nhật chương trình rồi chạy lại; sổ "
                          "ghi được giữ nguyên.")
    return found
