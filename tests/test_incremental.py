"""Work proportional to what changed: a rerun with nothing new writes no file at all, and one new file
rewrites only what depends on it (checked by the files' modification times and contents)."""

import gc
import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from pipeline.app.rebuild import rebuild_round
from pipeline.app.runner import run
from pipeline.core import gc_pause, locations
from pipeline.core.locations import Paths
from pipeline.ledger.store import Ledger
from pipeline.outputs import status_page
from pipeline.plan import loader
from pipeline.reports import documents
from tests.support.helpers import ROOT
from tests.support.installation import send, tree

pytestmark = pytest.mark.integration

DAY = date(2024, 9, 5)


def test_a_rerun_with_nothing_new_writes_nothing_and_one_file_rewrites_only_its_dependents(tmp_path, plan,
                                                                                            monkeypatch):
    rendered = []
    render = documents.write_unit_report
    monkeypatch.setattr(documents, "write_unit_report",
                        lambda *args, **kwargs: rendered.append(args[-1]) or render(*args, **kwargs))
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    for code in ("121", "125"):
        send(plan, tmp_path, code)
    run(paths, today=DAY)
    assert rendered == ["121", "125"]
    before = tree(tmp_path)
    time.sleep(0.01)  # a rewrite would show in the modification times

    pages = []
    write_pages = status_page.write_status_pages
    monkeypatch.setattr(status_page, "write_status_pages",
                        lambda *args, **kwargs: pages.append(args[3]) or write_pages(*args, **kwargs))
    read_plans = []
    with pytest.MonkeyPatch.context() as plan_files:
        plan_files.setattr(loader, "_load_units", lambda folder: read_plans.append(folder))
        again = run(paths, today=DAY)
    assert read_plans == []  # the plan, as the first run kept it beside the ledger
    assert again.log is None and again.outcomes == []
    assert tree(tmp_path) == before
    assert pages == []  # not even rendered: nothing it shows has changed
    run(paths, today=date(2024, 9, 6))  # a day later, the days left change
    assert pages == [date(2024, 9, 6)]
    before = tree(tmp_path)

    send(plan, tmp_path, "126")
    deleted = locations.unit_report_path(paths.outbox, "2024-annual", plan.unit("125"))
    deleted.unlink()  # a report the officer deleted is written again with the next rebuild of its round
    rendered.clear()
    run(paths, today=date(2024, 9, 7))  # two days later: its time stamps the round's outputs
    assert rendered == ["125", "126"]  # the deleted one written again; 121's not even rendered again
    assert deleted.is_file()
    del before[deleted.relative_to(tmp_path).as_posix()]
    after = tree(tmp_path)
    changed = {name for name in after if before.get(name) != after[name]}
    outbox = {name for name in changed if name.startswith("outbox/") and "/logs/" not in name}
    assert outbox == {
        "outbox/index.html",
        "outbox/2024-annual/tong-hop_2024-annual.xlsx",
        "outbox/2024-annual/phu-luc_2024-annual.xlsx",
        "outbox/2024-annual/bao-cao_2024-annual.docx",
        "outbox/2024-annual/bao-cao_2024-annual.html",
        "outbox/2024-annual/huyen/bao-cao_2024-annual_126_song-ma.docx",
        deleted.relative_to(tmp_path).as_posix(),
        "outbox/2024-annual/feedback/000003_2024-annual_126_song-ma_phan-hoi.txt",
    }
    # The other districts' reports and answers stand as they were, byte for byte and untouched.
    for name in before:
        if "_121_" in name or "_125_" in name:
            assert after[name] == before[name], name
    assert sum("_125_" in name for name in before) >= 2  # its archived file and its answer, untouched

    # Asked for (the `report` command), every unit's report is written again.
    rendered.clear()
    rebuild_round(paths, "2024-annual", today=date(2024, 9, 7))
    assert rendered == ["121", "125", "126"]


# What only a run that reads files or writes outputs needs: each of these costs a run that finds nothing
# new some of its start-up, most of the time it takes (rerun target: 1 s at national scale).
READERS_AND_WRITERS = ("pipeline.intake.answer", "pipeline.intake.worker", "pipeline.intake.marking",
                       "pipeline.reports.documents", "pipeline.workbook", "pipeline.mail", "xlsxwriter",
                       "urllib.request", "smtplib", "imaplib", "docx", "docxtpl", "jinja2", "openpyxl",
                       "python_calamine")


def test_a_run_that_finds_nothing_new_loads_neither_the_readers_nor_the_writers(tmp_path, plan):
    send(plan, tmp_path, "121")
    (tmp_path / "outbox").mkdir()
    command = [sys.executable, "-X", "importtime", str(ROOT / "run_pipeline.py"), "run", "--inbox",
               str(tmp_path / "inbox"), "--outbox", str(tmp_path / "outbox"), "--today", "2024-09-05"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    loaded = _imported(first.stderr)
    assert {"pipeline.intake.answer", "pipeline.reports.documents", "xlsxwriter"} <= loaded  # as the test sees them

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Đã báo cáo: 1/" in again.stdout  # it did its work: the open round's status, from the ledger
    assert sorted(m for m in _imported(again.stderr) if m.startswith(READERS_AND_WRITERS)) == []


def _imported(importtime: str) -> set[str]:
    """The modules a process imported, from what -X importtime printed."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime.splitlines() if line.startswith("import time:")}


def test_the_values_read_ahead_are_the_stored_ones_and_only_the_rounds_asked_for(tmp_path, plan):
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    send(plan, tmp_path, "121")
    run(paths, today=DAY)
    assert gc.isenabled()  # paused only while the values were read and consolidated
    with Ledger(paths.ledger, paths.home) as ledger:
        record = ledger.current("2024-annual")["121"]
        stored = ledger.values(record.id)
        assert len(stored) > 50
        ledger.read_ahead({"2024-annual"})
        ledger.settle()
        ledger.db.execute("DELETE FROM value WHERE submission_id = ?", (record.id,))
        assert ledger.values(record.id) == stored  # taken from what was read ahead: the rows are gone
        ledger.read_ahead({"2023-annual"})
        ledger.settle()
        assert ledger.values(record.id) == {}  # not read ahead: read from the ledger


def test_the_collector_runs_again_when_the_last_paused_section_ends_in_any_thread():
    assert gc.isenabled()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with gc_pause.paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    try:
        with gc_pause.paused():
            assert not gc.isenabled()
            leave.set()
            thread.join(5)
            assert not gc.isenabled()  # the other thread's section ended first: still inside this one
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_pause.paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


def test_what_a_paused_section_built_is_in_the_oldest_generation_when_it_ends():
    """Not in the youngest, where the next collections would walk it all (a national consolidation)."""
    with gc_pause.paused():
        built = [[n] for n in range(1000)]
    youngest = {id(o) for o in gc.get_objects(generation=0)}
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert not any(id(item) in youngest for item in built)
    assert all(id(item) in oldest for item in built)
    assert gc.get_freeze_count() == 0  # nothing left out of the collector for good


def test_what_a_run_holds_stays_out_of_the_collector_until_its_outermost_frozen_section_ends():
    """A run's consolidation is frozen while its outputs are written (parallel.executor) and stays so
    until the run ends: handed back earlier, the next full collection walked it all for nothing."""

    def collected(items: list) -> bool:  # in one of the collector's generations (frozen ones are in none)
        tracked = {id(o) for o in gc.get_objects()}
        return all(id(item) in tracked for item in items)

    with gc_pause.frozen():
        with gc_pause.paused():
            built = [[n] for n in range(1000)]
        assert not any(collected([item]) for item in built)  # not given back when the paused section ended
        with gc_pause.frozen():
            pass
        assert not any(collected([item]) for item in built)  # nor when an inner frozen section ended
        young = [[n] for n in range(1000)]
        assert collected(young)  # what was built since is the collector's as usual
    assert gc.get_freeze_count() == 0
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in built)
