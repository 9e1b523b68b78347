"""The SQLite record of every file seen, its values and findings, and the archive of originals."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.atomic import atomic_path
from pipeline.core.findings import Finding
from pipeline.core.locations import ARCHIVE, stored_name, stored_path
from pipeline.core.locations import REJECTED as REJECTED_FOLDER
from pipeline.ledger import chain
from pipeline.ledger.head import file_sha256, head_path, read_head, write_head
from pipeline.ledger.read_ahead import ReadAhead
from pipeline.ledger.safekeeping import check_chain, open_database
from pipeline.ledger.schema import (
    ACCEPTED_WITH_WARNINGS,
    CURRENT,
    DUPLICATE,
    HELD,
    REJECTED,
    SUPERSEDED,
    StoredValue,
    Submission,
    marks,
    prepare,
)

_NUMBERS = (int, float)  # a tuple: `int | float` makes a union at each call, 150 a record
_SUBMISSION_COLUMNS = ", ".join(f.name for f in dataclasses.fields(Submission))


def _has_log(path: Path) -> bool:
    log = path.with_name(path.name + "-wal")
    try:
        return log.stat().st_size > 0
    except FileNotFoundError:
        return False


class Ledger:
    """One ledger file; `home` is the folder that holds archive/ and rejected/."""

    def __init__(self, path: Path, home: Path, *, accept_as_it_is: bool = False):
        """Open the ledger, checked first (safekeeping.py): a damaged one, one changed outside the
        program or one put back to an older state raises LedgerError. `accept_as_it_is` (the
        officer's accept-ledger) takes an older but intact ledger as the new starting point."""
        self.path = Path(path)
        self.home = Path(home)
        self._head_path = head_path(self.path, self.home)
        head = read_head(self._head_path)  # before the database is read: the head is never ahead of it
        # the bytes the last command left, with no write-ahead log beside them: their content was
        # checked then (head.py)
        as_left = head is not None and head.ledger_sha256 is not None and not accept_as_it_is \
            and not _has_log(self.path) and head.ledger_sha256 == file_sha256(self.path)
        self.db = open_database(self.path, self.home, as_left=as_left)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")
        prepare(self.db, self.path)
        self.chain_state = check_chain(self.db, self.path, self.home, head, accept_as_it_is=accept_as_it_is,
                                       as_left=as_left)
        self.head_before = head
        # the head is written on close when it is missing, behind, does not vouch for these bytes, or
        # this command changes the ledger
        self._head_stale = accept_as_it_is or not as_left or head is None or head.events != self.chain_state.events
        self._changes_at_open = self.db.total_changes
        self._tuples = self.db.cursor()  # rows as plain tuples: a national round has 300,000 values
        self._tuples.row_factory = None
        self._ahead: ReadAhead | None = None
        self._cleared: list[str] = []  # inbox files gone, whose mark is not committed yet
        # round -> approval, read once (a run holds the lock: only approve and reopen change them here)
        self._approvals: dict[str, tuple[str, int]] | None = None
        # every record as last read (at db.total_changes), and each round's of them as asked for
        self._records: tuple[int, list[Submission], dict[str, list[Submission]]] | None = None

    def stored_paths(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT stored_path FROM submission")}

    def last_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM submission").fetchone()[0])

    def close(self) -> None:
        self.settle()
        if self._cleared:
            with self.db:  # one transaction
                self.db.execute("BEGIN")
                self._write_cleared()
        if not self._head_stale and self.db.total_changes == self._changes_at_open:
            self.db.close()
            return
        state = chain.current(self.db)
        self.db.close()
        # another connection still open keeps changes in the log, not yet in the file's bytes
        write_head(self._head_path, state, None if _has_log(self.path) else file_sha256(self.path))

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------------

    def by_sha(self, sha256: str) -> list[Submission]:
        rows = self.db.execute("SELECT * FROM submission WHERE sha256 = ? ORDER BY id", (sha256,))
        return [Submission(**dict(r)) for r in rows]

    def answered_copies(self, sha256: str) -> list[Submission]:
        """Earlier records of the same bytes that were processed (a "not processed" one does not make
        a file sent again a duplicate: the officer may put it back once the defect is fixed)."""
        return [r for r in self.by_sha(sha256) if not self.db.execute(
            "SELECT 1 FROM finding WHERE submission_id = ? AND code = 'file-not-processed'", (r.id,)).fetchone()]

    def records(self, round_id: str | None = None) -> list[Submission]:
        """Every record, or a round's, oldest first. Read once while nothing is written (records are
        frozen): a run's outputs ask for every round's records several times (five listings of 3,700
        records, 0.1 s, of a run with nothing new at national scale)."""
        kept = self._records
        if kept is None or kept[0] != self.db.total_changes:
            rows = self.db.cursor()
            rows.row_factory = None  # plain tuples, each in the order of Submission's fields: half the time
            rows.execute(f"SELECT {_SUBMISSION_COLUMNS} FROM submission ORDER BY id")
            kept = self._records = (self.db.total_changes, [Submission(*r) for r in rows], {})
        _, every, by_round = kept
        if round_id is None:
            return list(every)
        if round_id not in by_round:
            by_round[round_id] = [r for r in every if r.round == round_id]
        return list(by_round[round_id])

    def current(self, round_id: str, unit: str | None = None) -> dict[str, Submission]:
        """The accepted submission that counts, per unit, for one round; for an approved round, the
        one that counted when it was approved (later files are recorded but change nothing). With
        `unit`, that unit's only: what checking one file needs, at a cost that does not grow with the
        number of units."""
        approval = self.approval(round_id)
        if approval is None and unit is None:  # the round's records, as listed already
            return {r.unit: r for r in self.records(round_id) if r.status in CURRENT and r.unit is not None}
        only, unit_args = ("AND unit = ?", (unit,)) if unit is not None else ("", ())
        if approval is None:
            rows = self.db.execute(
                f"SELECT * FROM submission WHERE round = ? {only} AND status IN ({marks(CURRENT)}) ORDER BY id",
                (round_id, *unit_args, *CURRENT),
            )
            return {r["unit"]: Submission(**dict(r)) for r in rows}
        rows = self.db.execute(
            f"SELECT * FROM submission WHERE round = ? {only} AND id <= ? AND status IN ({marks(CURRENT)}, ?)"
            " ORDER BY received_at, id",
            (round_id, *unit_args, approval[1], *CURRENT, SUPERSEDED),
        )
        return {r["unit"]: Submission(**dict(r)) for r in rows}

    def approval(self, round_id: str) -> tuple[str, int] | None:
        """(day approved, last ledger id it covers), or None while the round is open."""
        if self._approvals is None:  # read once: checking each file asks for every earlier round's
            self._approvals = {r[0]: (r[1], r[2]) for r in self.db.execute(
                "SELECT round, approved_on, last_record FROM approval")}
        return self._approvals.get(round_id)

    def approve(self, round_id: str, day: str) -> None:
        self._approvals = None
        with self._transaction():
            last = int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM submission").fetchone()[0])
            self.db.execute("INSERT OR REPLACE INTO approval (round, approved_on, last_record) VALUES (?, ?, ?)",
                            (round_id, day, last))
            chain.append(self.db, chain.APPROVE, round_id, {"day": day, "last_record": last})
            self.db.execute("INSERT OR IGNORE INTO stale_round (round) VALUES (?)", (round_id,))

    def reopen(self, round_id: str) -> None:
        self._approvals = None
        with self._transaction():
            if self.db.execute("DELETE FROM approval WHERE round = ?", (round_id,)).rowcount:
                chain.append(self.db, chain.REOPEN, round_id, {})
            self.db.execute("INSERT OR IGNORE INTO stale_round (round) VALUES (?)", (round_id,))

    def settle_held(self, record_id: int, *, accept: bool) -> Submission:
        """The officer's word on a held file: counted (with the warnings it was recorded with), or
        rejected. The caller checks that the record is held and its round not approved."""
        record = self.get(record_id)
        status = ACCEPTED_WITH_WARNINGS if accept else REJECTED
        with self._transaction():
            self.db.execute("UPDATE submission SET status = ? WHERE id = ? AND status = ?", (status, record_id, HELD))
            chain.append(self.db, chain.STATUS, record_id, {"status": status})
            if accept and record.unit and record.round:
                self._settle_supersession(record.unit, record.round)
            if record.round:
                self.db.execute("INSERT OR IGNORE INTO stale_round (round) VALUES (?)", (record.round,))
        return self.get(record_id)

    def replaced_by(self, record: Submission) -> Submission | None:
        """The file of the same unit and round that `record`, counted now, superseded (the latest
        received before it), or None."""
        if record.status not in CURRENT or not record.unit or not record.round:
            return None
        row = self.db.execute(
            "SELECT * FROM submission WHERE round = ? AND unit = ? AND id < ? AND status = ?"
            " ORDER BY received_at DESC, id DESC LIMIT 1",
            (record.round, record.unit, record.id, SUPERSEDED)).fetchone()
        return Submission(**dict(row)) if row else None

    def held(self) -> list[Submission]:
        rows = self.db.execute("SELECT * FROM submission WHERE status = ? ORDER BY id", (HELD,))
        return [Submission(**dict(r)) for r in rows]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction that adds events: committed whole or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._head_stale = True
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # SQLite may have rolled back itself (a full disk)
                self.db.execute("ROLLBACK")
            raise

    def read_ahead(self, round_ids: Collection[str]) -> None:
        """Starts reading the values of the rounds' accepted submissions in a thread of its own, while
        the caller goes on (a run answers its inbox meanwhile); `values` takes them from there. A
        stored submission's values never change, so what was read ahead stays true."""
        self.settle()
        if round_ids:
            self._ahead = ReadAhead(self.path, tuple(round_ids))
            self._ahead.start()

    def settle(self) -> None:
        """Waits for a read-ahead to finish (before a fork: a child must not inherit a running thread)."""
        if self._ahead is not None:
            self._ahead.join()

    def values(self, submission_id: int) -> dict[str, StoredValue]:
        if self._ahead is not None and not self._ahead.is_alive():  # checking one file does not wait for it
            known = self._ahead.values.get(submission_id)
            if known is not None:
                return known
        rows = self._tuples.execute(
            "SELECT field, sheet, cell, number, text FROM value WHERE submission_id = ?",
            (submission_id,),
        )
        return {r[0]: StoredValue(*r) for r in rows}

    def stale_rounds(self) -> set[str]:
        """Rounds recorded into since their outputs were last rebuilt (kept across a crash)."""
        return {r[0] for r in self.db.execute("SELECT round FROM stale_round")}

    def mark_rebuilt(self, round_ids: set[str]) -> None:
        self.db.executemany("DELETE FROM stale_round WHERE round = ?", [(r,) for r in round_ids])

    def findings(self, submission_id: int) -> list[Finding]:
        rows = self.db.execute(
            "SELECT code, severity, message, unit, round, sheet, cell, params FROM finding "
            "WHERE submission_id = ? ORDER BY seq",
            (submission_id,),
        )
        return [Finding(**{**dict(r), "params": json.loads(r["params"])}) for r in rows]

    def records_with_finding(self, code: str) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT submission_id FROM finding WHERE code = ?", (code,))}

    def last_sender(self, unit: str, before: int | None = None) -> Submission | None:
        """The unit's latest submission that came with a sender's address."""
        row = self.db.execute(
            "SELECT * FROM submission WHERE unit = ? AND sender IS NOT NULL AND sender != '' AND id < ?"
            " ORDER BY id DESC LIMIT 1", (unit, before if before is not None else 2**62)).fetchone()
        return Submission(**dict(row)) if row else None

    def rounds_with_submissions(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT round FROM submission WHERE round IS NOT NULL")
        return sorted(r[0] for r in rows)

    # -- writing --------------------------------------------------------------------------------

    def record(
        self,
        source: Path | bytes | None,
        *,
        sha256: str,
        inbox_path: str,
        name: str,
        received_at: str,
        status: str,
        size: int,
        sender: str | None = None,
        unit: str | None = None,
        round_id: str | None = None,
        template_version: str | None = None,
        values: Mapping[str, tuple[str, str, int | float | str | None]] | None = None,
        findings: list[Finding] | None = None,
    ) -> Submission:
        """Copy `source` into the archive (or rejected/) and record it, in one transaction.

        `values` maps a field to (sheet, cell, value). The copy is written before the commit and
        named by ledger id and hash, so a crash in between leaves nothing that the next run cannot
        redo: it records the file again under the same name with the same bytes.
        """
        folder = REJECTED_FOLDER if self._counts_as_rejected(status, sha256) else ARCHIVE
        original = name.replace("\\", "/").rsplit("/", 1)[-1]
        with self._transaction():
            cursor = self.db.execute(
                "INSERT INTO submission (sha256, original_name, inbox_path, stored_path, sender,"
                " received_at, unit, round, template_version, status, size)"
                " VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?)",
                (sha256, original, inbox_path, sender, received_at, unit, round_id,
                 template_version, status, size),
            )
            row_id = int(cursor.lastrowid or 0)
            stored = stored_path(folder, round_id, stored_name(row_id, sha256, original))
            with atomic_path(self.home / stored) as tmp:
                if isinstance(source, bytes):
                    tmp.write_bytes(source)
                elif source is not None:
                    shutil.copyfile(source, tmp)
            self.db.execute("UPDATE submission SET stored_path = ? WHERE id = ?",
                            (stored.as_posix(), row_id))
            self.db.executemany(
                "INSERT INTO value (submission_id, field, sheet, cell, number, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (row_id, name, sheet, cell, value if isinstance(value, _NUMBERS) else None,
                     value if isinstance(value, str) else None)
                    for name, (sheet, cell, value) in (values or {}).items()
                ],
            )
            self.db.executemany(
                "INSERT INTO finding (submission_id, seq, code, severity, unit, round, sheet, cell, message, params)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (row_id, seq, f.code, f.severity, f.unit, f.round, f.sheet, f.cell, f.message,
                     json.dumps(f.params, ensure_ascii=False, sort_keys=True, default=str))
                    for seq, f in enumerate(findings or [])
                ],
            )
            chain.append(self.db, chain.RECORD, row_id, {"digest": chain.digest_of(self.db, row_id), "status": status})
            if status in CURRENT and unit and round_id:
                self._settle_supersession(unit, round_id)
            if round_id:
                self.db.execute("INSERT OR IGNORE INTO stale_round (round) VALUES (?)", (round_id,))
            self._write_cleared()
        return self.get(row_id)

    def _counts_as_rejected(self, status: str, sha256: str) -> bool:
        """A duplicate goes where its first copy went."""
        if status == DUPLICATE:
            earlier = self.answered_copies(sha256)
            return bool(earlier) and earlier[0].status == REJECTED
        return status == REJECTED

    def mark_cleared(self, inbox_path: str) -> None:
        """The inbox file has gone (with the attachments it carried); until then a crash leaves the
        file for the next run, which finds its rows here and does not record them twice. The mark is
        committed with the next file's record, or when the ledger closes: a crash before that leaves
        it unset on a file that has gone, as a crash just after the file went always could."""
        self._cleared.append(inbox_path)

    def _write_cleared(self) -> None:
        for inbox_path in self._cleared:
            # An e-mail's attachments are recorded as "path#n": a range the inbox_path index serves.
            self.db.execute(
                "UPDATE submission SET cleared = 1 WHERE cleared = 0"
                " AND (inbox_path = ? OR (inbox_path >= ? AND inbox_path < ?))",
                (inbox_path, inbox_path + "#", inbox_path + "$"),
            )
        self._cleared.clear()

    def unfinished(self, sha256: str, inbox_path: str) -> Submission | None:
        for record in self.by_sha(sha256):
            if record.inbox_path == inbox_path and not record.cleared:
                return record
        return None

    def get(self, row_id: int) -> Submission:
        """KeyError when there is no such record."""
        row = self.db.execute("SELECT * FROM submission WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise KeyError(row_id)
        return Submission(**dict(row))

    def _settle_supersession(self, unit: str, round_id: str) -> None:
        """The latest received accepted file of a unit and round counts; the earlier ones are kept
        as superseded."""
        rows = self.db.execute(
            f"SELECT id FROM submission WHERE unit = ? AND round = ? AND status IN ({marks(CURRENT)},"
            " ?) ORDER BY received_at, id",
            (unit, round_id, *CURRENT, SUPERSEDED),
        ).fetchall()
        for row in rows[:-1]:
            if self.db.execute(
                f"UPDATE submission SET status = ? WHERE id = ? AND status IN ({marks(CURRENT)})",
                (SUPERSEDED, row["id"], *CURRENT),
            ).rowcount:
                chain.append(self.db, chain.STATUS, row["id"], {"status": SUPERSEDED})


