"""The ledger's schema has a version (PRAGMA user_version): a ledger written by an earlier program is
migrated when it is opened and the installation goes on; findings keep their parameters beside the
message; a ledger from a newer program stops the run and is left as it was."""

import hashlib
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.errors import LedgerError
from pipeline.core.locations import Paths
from pipeline.ledger.schema import SCHEMA_VERSION
from pipeline.ledger.store import Ledger
from pipeline.templates.writer import write_templates

WRITTEN_BY_1AC64FF = Path(__file__).parent / "data" / "ledger-1ac64ff"

pytestmark = pytest.mark.integration


def _installation(tmp_path: Path) -> Paths:
    for part in ("ledger.sqlite", "archive", "rejected"):
        source = WRITTEN_BY_1AC64FF / part
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / part)
    return Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")


def _send(plan, paths: Paths, code: str, **changed) -> None:
    rnd, unit = plan.round("2024-annual"), plan.unit(code)
    template = write_templates(plan, rnd, paths.home / "mau", [unit])[0]
    values = {**sample_values(plan, rnd, unit, with_previous=True), **changed}
    fill_template(template, paths.inbox / template.name, values)


def _columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_a_ledger_written_by_1ac64ff_is_migrated_and_the_installation_goes_on(tmp_path, plan):
    paths = _installation(tmp_path)
    assert "params" not in _columns(paths.ledger, "finding")
    with sqlite3.connect(paths.ledger) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
        before = db.execute("SELECT submission_id, seq, code, message FROM finding ORDER BY 1, 2").fetchall()
    _send(plan, paths, "118")

    report = run(paths, today=date(2024, 9, 13))

    assert [(o.record.original_name, o.record.status) for o in report.outcomes] == [
        ("2024-annual_118_quynh-nhai.xlsx", "accepted_with_warnings")]
    assert "params" in _columns(paths.ledger, "finding")
    with Ledger(paths.ledger, paths.home) as ledger:
        assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        kept = [(r.id, r.status) for r in ledger.records("2024-annual")]
        assert kept == [(1, "accepted_with_warnings"), (2, "rejected"), (3, "accepted_with_warnings")]
        assert sorted(ledger.current("2024-annual")) == ["118", "121"]
        old = ledger.findings(2)
        new = ledger.findings(3)
    assert [(f.code, f.params) for f in old] == [("value-negative", {}), ("received-late", {})]
    assert [(f.code, f.message) for f in old] == [(code, message) for _id, _seq, code, message in before[1:]]
    assert new[0].code == "received-late"
    assert new[0].params == {"days": 3, "deadline": "10/09/2024", "received": "13/09/2024",
                             "title": "Gửi trễ hạn"}


def test_a_ledger_opened_again_is_not_migrated_again(tmp_path):
    paths = _installation(tmp_path)
    with Ledger(paths.ledger, paths.home):
        pass
    migrated = hashlib.sha256(paths.ledger.read_bytes()).hexdigest()
    with Ledger(paths.ledger, paths.home) as ledger:
        assert ledger.findings(1)[0].code == "received-late"
    assert hashlib.sha256(paths.ledger.read_bytes()).hexdigest() == migrated


def test_findings_keep_what_was_found_beside_the_message(tmp_path, plan):
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    indicator = plan.indicators[1]
    _send(plan, paths, "125", **{f"in_{indicator.code}_ytd": -4})

    run(paths, today=date(2024, 9, 9))

    with Ledger(paths.ledger, paths.home) as ledger:
        (finding,) = ledger.findings(1)
    assert finding.code == "value-negative"
    assert finding.params == {"found": "-4", "label": f"{indicator.short_name} – kết quả đến thời điểm báo cáo",
                              "value": "–", "title": "Số âm"}
    assert "(-4)" in finding.message


def test_a_ledger_from_a_newer_program_stops_the_run_and_is_left_as_it_was(tmp_path):
    paths = _installation(tmp_path)
    with sqlite3.connect(paths.ledger) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    written = paths.ledger.read_bytes()

    with pytest.raises(LedgerError, match="phiên bản mới hơn của chương trình"):
        Ledger(paths.ledger, paths.home)
    assert paths.ledger.read_bytes() == written


def test_two_processes_opening_an_old_ledger_at_once_migrate_it_once(tmp_path):
    """The second reads the old version, waits for the first's transaction, then finds the ledger
    migrated: it must not add the column again."""
    import threading
    import time

    from pipeline.ledger.schema import MIGRATIONS, SCHEMA_VERSION, prepare

    paths = _installation(tmp_path)
    first, second = (sqlite3.connect(paths.ledger, isolation_level=None, timeout=60, check_same_thread=False)
                     for _ in range(2))
    first.execute("BEGIN IMMEDIATE")  # the first process is in the middle of migrating it
    failures: list[BaseException] = []

    def open_second() -> None:
        try:
            prepare(second, paths.ledger)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    waiting = threading.Thread(target=open_second)
    waiting.start()
    time.sleep(0.5)  # the second has read version 0 and waits for the write lock
    first.execute(MIGRATIONS[0])
    first.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    first.execute("COMMIT")
    waiting.join(timeout=60)
    assert failures == []
    assert _columns(paths.ledger, "finding").count("params") == 1


def test_records_listed_again_show_every_write_made_since(tmp_path):
    paths = _installation(tmp_path)
    with Ledger(paths.ledger, paths.home) as ledger:
        first = ledger.records("2024-annual")
        first.clear()  # a caller's list is its own: the ledger keeps what it read
        assert [r.status for r in ledger.records("2024-annual")] == ["accepted_with_warnings", "rejected"]
        with ledger.db:
            ledger.db.execute("UPDATE submission SET status = 'superseded' WHERE id = 1")
        assert [r.status for r in ledger.records("2024-annual")] == ["superseded", "rejected"]
        assert [r.status for r in ledger.records()] == ["superseded", "rejected"]
