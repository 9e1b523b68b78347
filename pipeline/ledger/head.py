"""The chain's head kept outside the ledger, beside its backups: the number of events, the last link,
the last record and the approvals in force when a command last changed the ledger. A ledger that
has fewer events, or other ones, was put back to an older state (or replaced); one that has more
was left ahead of its head by a run killed before it closed, which the chain itself vouches for.

The head also keeps the SHA-256 of the ledger file as that command closed it. A ledger whose bytes are
still those has had its content checked against the chain when it was opened or written by the program
since, so the next command replays the chain's events only: checking every record's digest takes
seconds for a phase of 3,321 communes, hashing the file a fraction of one. A ledger changed in any byte
is checked in full."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.atomic import write_text
from pipeline.core.locations import BACKUP_FOLDER
from pipeline.ledger.chain import ChainState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Head:
    events: int
    link: str
    last_record: int
    approvals: dict[str, str]  # round -> day approved
    ledger_sha256: str | None = None  # the ledger file's bytes when the command closed it


def head_path(ledger_path: Path, home: Path) -> Path:
    return Path(home) / BACKUP_FOLDER / f"{Path(ledger_path).stem}.head.json"


def read_head(path: Path) -> Head | None:
    """The head, or None when there is none or it cannot be read: then the ledger is trusted as it
    stands, as on the first run after the chain came in, and the head is written again when the
    command closes (see the closing note of issue 30: the head guards against a ledger put back, not
    against someone who can also rewrite the folder)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stamp = data.get("ledger_sha256")
        return Head(int(data["events"]), str(data["link"]), int(data["last_record"]),
                    {str(k): str(v) for k, v in dict(data["approvals"]).items()},
                    str(stamp) if stamp is not None else None)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        log.warning("%s cannot be read; the ledger is trusted as it stands and the head written again", path)
        return None


def write_head(path: Path, state: ChainState, ledger_sha256: str | None = None) -> None:
    data = {"events": state.events, "link": state.link, "last_record": state.last_record,
            "approvals": {r: day for r, (day, _last) in sorted(state.approvals.items())}}
    if ledger_sha256 is not None:
        data["ledger_sha256"] = ledger_sha256
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def link_at(db, events: int) -> str | None:
    row = db.execute("SELECT link FROM chain WHERE seq = ?", (events,)).fetchone()
    return str(row[0]) if row else None


def file_sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
