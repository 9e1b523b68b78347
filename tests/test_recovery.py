"""A run stopped at any point is finished by the next one: nothing lost, nothing counted twice."""

import hashlib
import shutil
import sqlite3
from contextlib import contextmanager
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.app import runner
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.intake import answer, feedback, pending_copies
from pipeline.ledger import store
from pipeline.reports import documents
from pipeline.templates.writer import write_templates
from pipeline.workbook import assemble

pytestmark = pytest.mark.slow

TODAY = date(2024, 9, 9)


class Stop(BaseException):
    """Stands for the process being killed: nothing after it runs, no handler catches it."""


def _build_inbox(plan, root: Path) -> Path:
    inbox = root / "inbox"
    rnd = plan.round("2024-annual")
    for code in ("121", "125"):
        unit = plan.unit(code)
        template = write_templates(plan, rnd, root / "templates", [unit])[0]
        values = sample_values(plan, rnd, unit, with_previous=True)
        if code == "125":  # far above its target: accepted with a warning on a cell, and a marked copy
            values["in_comm_groups_estimate"] = 1000
        fill_template(template, inbox / template.name, values)
    wrong = sample_values(plan, rnd, plan.unit("123"), with_previous=True) | {"in_comm_groups_estimate": -1}
    template = write_templates(plan, rnd, root / "templates", [plan.unit("123")])[0]
    fill_template(template, root / "attachment.xlsx", wrong)
    message = EmailMessage()
    message["From"] = "moc-chau@example.vn"
    message["Subject"] = "Báo cáo"
    message["Date"] = "Fri, 06 Sep 2024 10:00:00 +0700"
    message.set_content("Gửi báo cáo.")
    message.add_attachment((root / "attachment.xlsx").read_bytes(), maintype="application",
                           subtype="octet-stream", filename="moc-chau.xlsx")
    (inbox / "thu").mkdir()
    (inbox / "thu" / "moc-chau.eml").write_bytes(bytes(message))
    (inbox / "ghi-chu.txt").write_text("không phải báo cáo", encoding="utf-8")
    return inbox


def _state(root: Path) -> dict:
    """Everything a run leaves behind, except when things happened."""
    db = sqlite3.connect(root / "ledger.sqlite")
    rows = db.execute("SELECT sha256, original_name, inbox_path, stored_path, sender, received_at, unit,"
                      " round, status FROM submission ORDER BY id").fetchall()
    values = db.execute("SELECT * FROM value ORDER BY submission_id, field").fetchall()
    findings = db.execute("SELECT * FROM finding ORDER BY submission_id, seq").fetchall()
    files = {}
    for folder in ("archive", "rejected", "outbox", "inbox"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "logs" not in path.parts:  # a log per run, by design
                files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"rows": rows, "values": values, "findings": findings, "files": files}


@pytest.fixture(scope="module")
def source(tmp_path_factory, plan):
    """The inbox, built once: every test starts from the same bytes."""
    return _build_inbox(plan, tmp_path_factory.mktemp("source"))


def _inbox(source: Path, root: Path) -> Path:
    return Path(shutil.copytree(source, root / "inbox"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, source):
    root = tmp_path_factory.mktemp("reference")
    _inbox(source, root)
    run(Paths.beside_outbox(root / "inbox", root / "outbox"), today=TODAY)
    return _state(root)


def _stop_on_call(original, call: int, *, after: bool):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call and not after:
            raise Stop
        result = original(*args, **kwargs)
        if calls["n"] == call and after:
            raise Stop
        return result
    return wrapper


def _stop_after_archive_copy(original, call: int, *, after: bool):
    """The archive copy is renamed into place, then the run dies before the ledger commits."""
    calls = {"n": 0}

    @contextmanager
    def wrapper(target):
        with original(target) as tmp:
            yield tmp
        calls["n"] += 1
        if calls["n"] == call:
            raise Stop
    return wrapper


# Where to stop: (module or class, function, which call, after it or before it, how to wrap).
STOPS = {
    "archive-copied-not-committed": (store, "atomic_path", 2, True, _stop_after_archive_copy),
    "recorded-not-answered": (store.Ledger, "record", 2, True, _stop_on_call),
    "answered-not-cleared": (feedback, "write_feedback", 2, True, _stop_on_call),
    # 125's marked copy handed to a reader, its file not cleared until the copy is taken
    "copy-made-ahead-not-taken": (pending_copies.PendingCopies, "settle", 2, False, _stop_on_call),
    "cleared-not-marked": (runner.Ledger, "mark_cleared", 2, False, _stop_on_call),
    "workbook-written-no-report": (assemble, "write_workbook", 1, True, _stop_on_call),
    "before-the-outputs": (documents, "write_outputs", 1, False, _stop_on_call),
}


@pytest.mark.parametrize("stop", sorted(STOPS))
def test_next_run_ends_where_an_uninterrupted_run_ends(tmp_path, source, reference, monkeypatch, stop):
    _inbox(source, tmp_path)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    target, name, call, after, wrap = STOPS[stop]
    with monkeypatch.context() as patch:
        patch.setattr(target, name, wrap(getattr(target, name), call, after=after))
        with pytest.raises(Stop):
            run(paths, today=TODAY)
    run(paths, today=TODAY)
    state = _state(tmp_path)
    assert state["rows"] == reference["rows"]
    assert state["values"] == reference["values"]
    assert state["findings"] == reference["findings"]
    assert state["files"] == reference["files"]


def test_files_answered_but_not_yet_synced_stay_in_the_inbox(tmp_path, source, reference, monkeypatch):
    """Stopped after two files were answered (125's marked copy handed to a reader): files leave the
    inbox a batch at a time after a sync, so both are still there for the next run."""
    _inbox(source, tmp_path)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    with monkeypatch.context() as patch:
        patch.setattr(pending_copies.PendingCopies, "settle",
                      _stop_on_call(pending_copies.PendingCopies.settle, 2, after=False))
        with pytest.raises(Stop):
            run(paths, today=TODAY)
    assert sorted(p.name for p in paths.inbox.iterdir()) == sorted(p.name for p in source.iterdir())
    assert (tmp_path / "outbox" / "2024-annual").is_dir()  # answered all the same
    assert any(name.endswith("mai-son_phan-hoi.xlsx") for name in reference["files"])


def test_run_on_the_same_inbox_twice_changes_nothing(tmp_path, source, reference):
    _inbox(source, tmp_path)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    run(paths, today=TODAY)
    second = run(paths, today=TODAY)
    assert second.outcomes == []
    assert _state(tmp_path) == reference


def test_every_file_taken_is_marked_cleared_the_last_when_the_ledger_closes(tmp_path, source):
    """The mark that an inbox file has gone is committed with the next file's record (one commit less
    per file), the last one when the run closes the ledger."""
    _inbox(source, tmp_path)
    run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), today=TODAY)
    rows = sqlite3.connect(tmp_path / "ledger.sqlite").execute(
        "SELECT inbox_path, cleared FROM submission ORDER BY id").fetchall()
    assert [cleared for _, cleared in rows] == [1] * 5
    assert "thu/moc-chau.eml#1:moc-chau.xlsx" in [path for path, _ in rows]  # cleared with its e-mail


def test_a_lost_workbook_is_rebuilt(tmp_path, source, reference):
    _inbox(source, tmp_path)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    run(paths, today=TODAY)
    shutil.rmtree(tmp_path / "outbox" / "2024-annual", ignore_errors=False)
    shutil.copytree(tmp_path / "outbox", tmp_path / "outbox-kept")
    run(paths, today=TODAY)
    workbook = tmp_path / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx"
    assert workbook.is_file()
    assert _state(tmp_path)["files"][workbook.relative_to(tmp_path).as_posix()] == \
        reference["files"]["outbox/2024-annual/tong-hop_2024-annual.xlsx"]


def test_an_unexpected_error_on_one_file_is_answered_and_kept_for_the_officer(tmp_path, source, reference, monkeypatch):
    _inbox(source, tmp_path)
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    original = answer.evaluate
    sent = (tmp_path / "inbox" / "2024-annual_125_mai-son.xlsx").read_bytes()

    def broken(plan, rnd, unit, *args, **kwargs):
        if unit == "125":
            raise ValueError("a defect met on one file")
        return original(plan, rnd, unit, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(answer, "evaluate", broken)
        first = run(paths, today=TODAY)
    assert [o.record.original_name for o in first.not_processed] == ["2024-annual_125_mai-son.xlsx"]
    kept = tmp_path / first.not_processed[0].record.stored_path
    assert kept.parts[-3] == "rejected" and kept.read_bytes() == sent
    assert not (tmp_path / "inbox" / "2024-annual_125_mai-son.xlsx").exists()
    assert len(first.outcomes) == 5  # every file answered: two workbooks, the e-mail and its attachment, the note
    note = feedback.note_path(tmp_path / "outbox", first.not_processed[0].record).read_text(encoding="utf-8")
    assert "lỗi của hệ thống, không phải của đơn vị" in note
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "Chưa xử lý được – chờ cán bộ kiểm tra" in page

    # Once the defect is fixed, the officer puts the file back: it is taken as new, not as a duplicate.
    shutil.copyfile(kept, tmp_path / "inbox" / "2024-annual_125_mai-son.xlsx")
    second = run(paths, today=TODAY)
    assert [o.record.status for o in second.outcomes] == ["accepted_with_warnings"]  # far above its target
    assert not any((tmp_path / "inbox").rglob("*.xlsx")) if (tmp_path / "inbox").exists() else True


def test_a_defect_on_every_file_still_leaves_no_file_unanswered(tmp_path, source, monkeypatch):
    inbox = _inbox(source, tmp_path)
    sent = {p.relative_to(inbox).as_posix(): p.read_bytes() for p in inbox.rglob("*") if p.is_file()}
    with monkeypatch.context() as patch:
        patch.setattr(answer, "evaluate", lambda *a, **k: (_ for _ in ()).throw(ValueError("defect")))
        report = run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=TODAY)
    assert not inbox.exists() or not any(p.is_file() for p in inbox.rglob("*"))
    rows = sqlite3.connect(tmp_path / "ledger.sqlite").execute(
        "SELECT inbox_path, stored_path FROM submission WHERE inbox_path NOT LIKE '%#%'").fetchall()
    assert sorted(path for path, _ in rows) == sorted(sent)
    for path, stored in rows:
        assert (tmp_path / stored).read_bytes() == sent[path]
    assert len(report.not_processed) == 3  # the two workbooks, and the e-mail that carried the third


KILLABLE = """
import sys, time
from datetime import date
from pathlib import Path
from pipeline.app import runner
from pipeline.core.locations import Paths
from pipeline.reports import documents
from pipeline.intake import feedback
from pipeline.ledger import store
from pipeline.workbook import assemble

root, point, call = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
target, name = {
    "recorded": (store.Ledger, "record"), "answered": (feedback, "write_feedback"),
    "cleared": (runner.Ledger, "mark_cleared"), "workbook": (assemble, "write_workbook"),
    "reports": (documents, "write_outputs"),
}[point]
original, calls = getattr(target, name), []

def paused(*args, **kwargs):
    result = original(*args, **kwargs)
    calls.append(1)
    if len(calls) == call:
        print("PAUSED", flush=True)
        time.sleep(120)
    return result

setattr(target, name, paused)
runner.run(Paths.beside_outbox(root / "inbox", root / "outbox"), today=date(2024, 9, 9))
print("FINISHED", flush=True)
"""


@pytest.mark.parametrize(("point", "call"), [("recorded", 1), ("recorded", 3), ("answered", 2), ("cleared", 1),
                                             ("workbook", 1), ("reports", 1)])
def test_a_run_killed_with_sigkill_is_finished_by_the_next(tmp_path, source, reference, point, call):
    import signal
    import subprocess
    import sys

    from tests.support.helpers import ROOT

    _inbox(source, tmp_path)
    child = subprocess.Popen([sys.executable, "-c", KILLABLE, str(tmp_path), point, str(call)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "PAUSED"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), today=TODAY)
    assert _state(tmp_path) == reference


def test_two_runs_started_together_end_as_one(tmp_path, source, reference):
    import subprocess
    import sys

    from tests.support.helpers import ROOT

    _inbox(source, tmp_path)
    (tmp_path / "outbox").mkdir()
    config = tmp_path / "config.toml"  # no [contact]: letters unsigned, as the in-process reference run's
    config.write_text(f"plan = '{ROOT / 'plan'}'\n", encoding="utf-8")
    command = [sys.executable, str(ROOT / "run_pipeline.py"), "--config", str(config), "run",
               "--inbox", str(tmp_path / "inbox"),
               "--outbox", str(tmp_path / "outbox"), "--today", TODAY.isoformat()]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [r.communicate(timeout=300) for r in runs]
    # One answered the files, one found nothing new; both report Mộc Châu's rejected file as outstanding.
    assert sorted(r.returncode for r in runs) == [1, 1], outputs
    assert _state(tmp_path) == reference
    import sqlite3

    assert sqlite3.connect(tmp_path / "ledger.sqlite").execute("PRAGMA integrity_check").fetchone() == ("ok",)
