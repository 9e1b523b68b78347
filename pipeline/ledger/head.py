"""The chain's head kept outside the ledger, beside its backups: the number of events, the last link,
the last record and the approvals in force when a command last changed the ledger. A ledger that
has fewer events, or other ones, was put back to an older state (or replaced); one that has more
was left ahead of its head by a run killed before it closed, which the chain itself vouches for."""

from __future__ import annotations

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


def head_path(ledger_path: Path, home: Path) -> Path:
    return Path(home) / BACKUP_FOLDER / f"{Path(ledger_path).stem}.head.json"


def read_head(path: Path) -> Head | None:
    """The head, or None when there is none or it cannot be read: then the ledger is trusted as it
    stands, as on the first run after the chain came in, and the head is written again when the
    command closes (see the closing note of issue 30: the head guards against a ledger put back, not
    against someone who can also rewrite the folder)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(int(data["events"]), str(data["link"]), int(data["last_record"]),
                    {str(k): str(v) for k, v in dict(data["approvals"]).items()})
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        log.warning("%s cannot be read; the ledger is trusted as it stands and the head written again", path)
        return None


def write_head(path: Path, state: ChainState) -> None:
    data = {"events": state.events, "link": state.link, "last_record": state.last_record,
            "approvals": {r: day for r, (day, _last) in sorted(state.approvals.items())}}
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def link_at(db, events: int) -> str | None:
    row = db.execute("SELECT link FROM chain WHERE seq = ?", (events,)).fetchone()
    return str(row[0]) if row else None
