"""The ledger knows its own history (issue 30, findings 12 and 13): every record, status and approval
is chained, and the chain's head is kept beside the backups. A byte changed in a record, a removed row
or a ledger put back to an older state stops the first command that opens it, before anything moves;
the officer can accept an older ledger restored on purpose, and is told what it no longer holds."""

import contextlib
import json
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline.app.approval import approve
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.errors import LedgerError
from pipeline.core.locations import Paths
from pipeline.ledger.store import Ledger
from pipeline.templates.writer import write_templates
from tests.support.helpers import ROOT

pytestmark = pytest.mark.integration

ROUND = "2024-annual"
NOTE = "Ghi chu ZQXJ cua don vi"
DENOMINATOR = 7_654_321  # stored as a 3-byte integer: 74 CB B1


def _send(plan, root: Path, code: str, name: str | None = None, **changed) -> Path:
    rnd, unit = plan.round(ROUND), plan.unit(code)
    template = write_templates(plan, rnd, root / "mau", [unit])[0]
    target = root / "inbox" / (name or template.name)
    fill_template(template, target, {**sample_values(plan, rnd, unit, with_previous=True), **changed})
    return target


def _paths(root: Path) -> Paths:
    return Paths.beside_outbox(root / "inbox", root / "outbox")


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a live ledger, as a backup tool or the officer's file manager makes one
    after the program closed it."""
    with contextlib.closing(sqlite3.connect(source)) as db, contextlib.closing(sqlite3.connect(target)) as copy:
        db.backup(copy)


def _cli(root: Path, command: str, *extra: str) -> subprocess.CompletedProcess:
    (root / "outbox").mkdir(exist_ok=True)  # as the repository ships it
    where = ["--outbox", str(root / "outbox")]
    if command == "run":
        where = ["--inbox", str(root / "inbox"), *where, "--today", "2024-09-09"]
    return subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), command, *where, *extra], cwd=root,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(plan, tmp_path_factory) -> Path:
    """Three files of 2024-annual: Bắc Yên with a distinctive note and figure, Mai Sơn rejected for a
    negative figure, Sông Mã accepted; the round approved. Vacuumed, so no byte of the file is a stale
    copy of a record."""
    root = tmp_path_factory.mktemp("installed")
    _send(plan, root, "121", in_comm_groups_note=NOTE, in_savings_members_finance_den=DENOMINATOR)
    _send(plan, root, "125", in_comm_groups_ytd=-4)
    _send(plan, root, "128")
    run(_paths(root), today=date(2024, 9, 9))
    approve(_paths(root), ROUND, today=date(2024, 9, 21))
    with sqlite3.connect(root / "ledger.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = sqlite3.connect(root / "ledger.sqlite", isolation_level=None)
    db.execute("VACUUM")
    db.close()
    with Ledger(root / "ledger.sqlite", root):  # the vacuumed ledger is still the one the chain vouches for
        pass
    return root


def _content(path: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
                for table in ("submission", "value", "finding", "approval", "chain")}


def _flip_all(path: Path, text: bytes, offset: int) -> int:
    """Flip the lowest bit of byte `offset` of every copy of `text` in the file; how many copies."""
    data = bytearray(path.read_bytes())
    found = 0
    start = data.find(text)
    while start >= 0:
        data[start + offset] ^= 1
        found += 1
        start = data.find(text, start + 1)
    path.write_bytes(bytes(data))
    return found


def _stored_text(path: Path, query: str) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute(query).fetchone()[0])


# Each case: the SQL that reads one stored text, and which character of it to change. Together they
# cover every table and the kinds of column the chain protects.
CHANGED_TEXTS = {
    "value-text": "SELECT text FROM value WHERE field = 'in_comm_groups_note' AND text LIKE 'Ghi chu%'",
    "value-field": "SELECT 'in_comm_groups_ytd'",  # the in_comm_groups_ytd -> in_coml_groups_ytd
    "file-name": "SELECT original_name FROM submission WHERE unit = '125'",
    "received-at": "SELECT received_at FROM submission WHERE unit = '128'",
    "status": "SELECT status FROM submission WHERE unit = '125'",
    "finding-message": "SELECT message FROM finding WHERE code = 'value-negative'",
    "finding-params": "SELECT params FROM finding WHERE code = 'value-negative'",
    "approval-day": "SELECT approved_on FROM approval",
    "chain-link": "SELECT link FROM chain WHERE seq = 2",
    "chain-detail": "SELECT detail FROM chain WHERE event = 'approve'",
}


@pytest.mark.parametrize("case", sorted(CHANGED_TEXTS))
def test_one_changed_byte_in_a_record_stops_the_ledger_opening(home, case):
    ledger = home / "ledger.sqlite"
    before = _content(ledger)
    text = _stored_text(ledger, CHANGED_TEXTS[case])
    position = 13 if case == "value-field" else next(i for i, c in enumerate(text) if c.isascii() and c.isalnum())
    encoded = text.encode()
    assert _flip_all(ledger, encoded, len(text[:position].encode())) >= 1
    assert _content(ledger) != before, "the flip must have changed what the ledger holds"

    with pytest.raises(LedgerError) as stopped:
        Ledger(ledger, home)
    assert "Sổ ghi" in str(stopped.value) and "ledger-backups" in str(stopped.value)


def test_a_changed_figure_stops_the_ledger_opening(home):
    ledger = home / "ledger.sqlite"
    assert _flip_all(ledger, DENOMINATOR.to_bytes(3, "big"), 2) == 1
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT number FROM value WHERE field = 'in_savings_members_finance_den'"
                          " AND submission_id = 1").fetchone() == (DENOMINATOR - 1,)
    with pytest.raises(LedgerError) as stopped:
        Ledger(ledger, home)
    assert "bản ghi số 1" in str(stopped.value) and "không còn đúng như khi được ghi" in str(stopped.value)


@pytest.mark.parametrize("statement", [
    "DELETE FROM finding WHERE code = 'value-negative'",
    "DELETE FROM value WHERE submission_id = 3 AND field = 'in_comm_groups_ytd'",
    "DELETE FROM submission WHERE id = 3",
    "INSERT INTO value (submission_id, field, sheet, cell, number) VALUES (2, 'in_extra', 's', 'A1', 1)",
    "UPDATE submission SET status = 'accepted' WHERE id = 2",
    "DELETE FROM approval",
    "DELETE FROM chain WHERE seq = (SELECT MAX(seq) FROM chain)",
])
def test_a_row_removed_added_or_rewritten_stops_the_ledger_opening(home, statement):
    with sqlite3.connect(home / "ledger.sqlite") as db:
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute(statement)
    with pytest.raises(LedgerError):
        Ledger(home / "ledger.sqlite", home)


def test_random_bit_flips_are_caught_or_change_nothing(home):
    """25 single-bit flips anywhere in the file (the issue's experiment, where 20 of 25 went unnoticed):
    every flip that changes what the ledger holds, or its indexes, is caught when the ledger opens.
    The others fell in a page's unused bytes."""
    pristine = home / "pristine.sqlite"
    shutil.copyfile(home / "ledger.sqlite", pristine)
    before = _content(pristine)
    rng = random.Random(30)
    harmful, caught = [], []
    for attempt in range(25):
        data = bytearray(pristine.read_bytes())
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        for name in ("ledger.sqlite", "judged.sqlite"):
            (home / name).write_bytes(bytes(data))
        try:
            with contextlib.closing(sqlite3.connect(home / "judged.sqlite")) as db:
                intact = db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            if intact and _content(home / "judged.sqlite") == before:
                continue
        except sqlite3.DatabaseError:
            pass
        harmful.append(attempt)
        try:
            Ledger(home / "ledger.sqlite", home).close()
        except LedgerError:
            caught.append(attempt)
    assert caught == harmful and len(harmful) >= 5


def test_a_ledger_rolled_back_by_one_record_stops_the_first_run(plan, tmp_path):
    root = tmp_path
    _send(plan, root, "121")
    assert _cli(root, "run").returncode == 0
    _copy(root / "ledger.sqlite", tmp_path / "older.sqlite")
    _send(plan, root, "125")
    assert _cli(root, "run").returncode == 0
    archived = sorted(p.relative_to(root).as_posix() for p in (root / "archive").rglob("*.xlsx"))
    shutil.copyfile(tmp_path / "older.sqlite", root / "ledger.sqlite")
    waiting = _send(plan, root, "128")

    stopped = _cli(root, "run")

    assert stopped.returncode == 2 and "Traceback" not in stopped.stderr
    assert "cũ hơn lần ghi gần nhất" in stopped.stderr
    assert "đến bản ghi số 2, nay chỉ còn đến số 1" in stopped.stderr and "accept-ledger" in stopped.stderr
    assert waiting.is_file()
    assert sorted(p.relative_to(root).as_posix() for p in (root / "archive").rglob("*.xlsx")) == archived
    for command in ("status", "export"):
        assert _cli(root, command).returncode == 2

    # The officer restored it on purpose: accepted, and told what it lacks and what to do about it.
    accepted = _cli(root, "accept-ledger")
    assert accepted.returncode == 0, accepted.stderr
    assert "1 bản ghi mà chương trình đã ghi trước đây không còn trong sổ này" in accepted.stdout
    assert "1 tệp trong archive/ và rejected/ mà sổ này không biết" in accepted.stdout
    lost = next(line.strip() for line in accepted.stdout.splitlines() if line.strip().startswith("archive/"))
    shutil.move(root / lost, root / "inbox" / "gui-lai.xlsx")
    assert _cli(root, "run").returncode == 0
    with sqlite3.connect(root / "ledger.sqlite") as db:
        assert db.execute("SELECT unit, status FROM submission ORDER BY id").fetchall() == [
            ("121", "accepted"), ("128", "accepted"), ("125", "accepted")]


def test_an_approval_lost_to_a_rollback_is_named(plan, tmp_path):
    root = tmp_path
    _send(plan, root, "121")
    assert _cli(root, "run").returncode == 0
    _copy(root / "ledger.sqlite", tmp_path / "older.sqlite")
    assert _cli(root, "approve", "--round", ROUND, "--today", "2024-09-21").returncode == 0
    shutil.copyfile(tmp_path / "older.sqlite", root / "ledger.sqlite")
    late = _send(plan, root, "125")

    stopped = _cli(root, "run")

    assert stopped.returncode == 2
    assert f"kỳ {ROUND} đã chốt ngày 21/09/2024 nay không còn được ghi là đã chốt" in stopped.stderr
    assert late.is_file()
    report = _cli(root, "report", "--round", ROUND)
    assert report.returncode == 2 and "đã chốt ngày 21/09/2024" in report.stderr

    accepted = _cli(root, "accept-ledger")
    assert accepted.returncode == 0
    assert f"Kỳ {ROUND} (đã chốt ngày 2024-09-21) nay không còn được ghi là đã chốt" in accepted.stdout


def test_a_ledger_left_ahead_of_its_head_by_a_killed_run_goes_on(home, plan):
    """A run killed after a commit and before it closed leaves the ledger ahead of the head kept
    beside the backups: the chain vouches for the extra events, and the next command goes on."""
    head = home / "ledger-backups" / "ledger.head.json"
    kept = head.read_bytes()
    _send(plan, home, "118")
    run(_paths(home), today=date(2024, 9, 9))
    assert head.read_bytes() != kept
    head.write_bytes(kept)
    with Ledger(home / "ledger.sqlite", home) as ledger:
        assert ledger.chain_state.events > ledger.head_before.events
    assert head.read_bytes() != kept  # caught up


def test_a_ledger_from_before_the_chain_is_chained_as_it_stands(tmp_path):
    """A ledger of schema version 1 (main up to e2cc729) gets its chain on first opening."""
    old = Path(__file__).parent / "data" / "ledger-1ac64ff"
    for part in ("ledger.sqlite", "archive", "rejected"):
        (shutil.copytree if (old / part).is_dir() else shutil.copyfile)(old / part, tmp_path / part)
    with Ledger(tmp_path / "ledger.sqlite", tmp_path) as ledger:
        assert ledger.chain_state.events == 2 and ledger.chain_state.statuses == {
            1: "accepted_with_warnings", 2: "rejected"}
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        db.execute("UPDATE value SET number = number + 1 WHERE submission_id = 1 AND number IS NOT NULL"
                   " AND rowid = (SELECT MIN(rowid) FROM value WHERE submission_id = 1 AND number IS NOT NULL)")
    with pytest.raises(LedgerError):
        Ledger(tmp_path / "ledger.sqlite", tmp_path)


def _chain_part(head: bytes) -> dict:
    """A head without the ledger file's hash, which changes with the file's bytes (SQLite's own pages)."""
    data = json.loads(head)
    data.pop("ledger_sha256", None)
    return data


def test_an_unreadable_head_is_trusted_like_a_missing_one_and_written_again(home):
    head = home / "ledger-backups" / "ledger.head.json"
    kept = head.read_bytes()
    head.write_bytes(b"\xff not json")
    with Ledger(home / "ledger.sqlite", home) as ledger:
        assert ledger.head_before is None
    assert _chain_part(head.read_bytes()) == _chain_part(kept)


def test_a_ledger_as_the_last_command_left_it_is_not_checked_again_and_a_changed_one_is(home, monkeypatch):
    """The head vouches for the ledger file's bytes as a command closed it: the next command replays
    the events only (every record's digest takes seconds at a national scale). A byte changed since,
    and written into the file, brings back the whole check, which finds it."""
    from pipeline.ledger import safekeeping

    with Ledger(home / "ledger.sqlite", home):
        pass
    assert json.loads((home / "ledger-backups" / "ledger.head.json").read_bytes())["ledger_sha256"]

    def checked_in_full(db):
        raise AssertionError("the whole ledger was checked again")

    with monkeypatch.context() as patched:
        patched.setattr(safekeeping, "verify", checked_in_full)
        with Ledger(home / "ledger.sqlite", home) as ledger:
            assert ledger.chain_state.events > 0
    db = sqlite3.connect(home / "ledger.sqlite")
    db.execute("UPDATE value SET number = number + 1 WHERE rowid = (SELECT MIN(rowid) FROM value"
               " WHERE number IS NOT NULL)")
    db.commit()
    db.close()
    assert not (home / "ledger.sqlite-wal").exists()  # the change is in the file's own bytes
    with pytest.raises(LedgerError):
        Ledger(home / "ledger.sqlite", home)
