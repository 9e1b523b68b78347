"""The values of some rounds' accepted submissions, read ahead on a connection of their own while
the run records its files."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from pipeline.core import gc_pause
from pipeline.ledger.schema import CURRENT, StoredValue, marks


class ReadAhead(threading.Thread):
    """The values of some rounds' accepted submissions, read on a connection of its own (the ledger
    is in WAL mode: this reader and the run's writes do not wait for each other). Whatever it could
    not read is read again when asked."""

    def __init__(self, path: Path, round_ids: tuple[str, ...]):
        super().__init__(name="ledger-read-ahead", daemon=True)
        self.path, self.round_ids = path, round_ids
        self.values: dict[int, dict[str, StoredValue]] = {}

    def run(self) -> None:
        with gc_pause.paused():
            self._read()

    def _read(self) -> None:
        try:
            db = sqlite3.connect(self.path, timeout=60)
        except sqlite3.Error:
            return
        try:
            rows = db.execute(
                "SELECT value.submission_id, field, sheet, cell, number, text FROM value"
                " JOIN submission ON submission.id = value.submission_id"
                f" WHERE round IN ({marks(self.round_ids)}) AND status IN ({marks(CURRENT)})",
                (*self.round_ids, *CURRENT))
            found: dict[int, dict[str, StoredValue]] = {}
            for row in rows:
                found.setdefault(row[0], {})[row[1]] = StoredValue._make(row[1:])
            self.values = found
        except sqlite3.Error:
            pass
        finally:
            db.close()
