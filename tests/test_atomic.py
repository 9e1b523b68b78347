"""Files written unflushed are put on the disk by one sync, and a run clears an inbox file only after
the sync that follows its answer (what makes a letter written without its own flush safe)."""

import os
from datetime import date
from pathlib import Path

import pytest

from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core import atomic
from pipeline.core.locations import Paths
from pipeline.templates.writer import write_templates

pytestmark = pytest.mark.skipif(not atomic.CAN_SYNC_ALL, reason="one sync for many files: Linux only")


def _flushed_names(monkeypatch) -> list[str]:
    """The files os.fsync is called on in this process, by the name of the file each temporary is for."""
    names: list[str] = []
    fsync = os.fsync

    def recorded(fd: int) -> None:
        names.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        fsync(fd)
    monkeypatch.setattr(os, "fsync", recorded)
    return names


def test_a_file_written_unflushed_waits_for_the_sync(tmp_path, monkeypatch):
    flushed = _flushed_names(monkeypatch)
    synced: list[int] = []
    monkeypatch.setattr(os, "sync", lambda: synced.append(1))
    atomic.write_bytes(tmp_path / "later.txt", b"1", flush=False)
    assert flushed == [] and synced == []
    assert (tmp_path / "later.txt").read_bytes() == b"1"  # in place all the same
    atomic.write_text(tmp_path / "now.txt", "2")
    assert len(flushed) == 1 and flushed[0].startswith(".now.txt.")
    atomic.sync()
    assert synced == [1]


@pytest.mark.slow
def test_a_run_clears_no_file_before_the_sync_after_its_answer(tmp_path, plan, monkeypatch):
    rnd = plan.round("2024-annual")
    inbox = tmp_path / "inbox"
    for code in ("121", "125"):
        unit = plan.unit(code)
        template = write_templates(plan, rnd, tmp_path / "templates", [unit])[0]
        values = sample_values(plan, rnd, unit, with_previous=True)
        if code == "125":  # far above its target: a warning on a cell, and a marked copy
            values["in_comm_groups_estimate"] = 1000
        fill_template(template, inbox / template.name, values)
    sent = sorted(p.name for p in inbox.iterdir())
    flushed = _flushed_names(monkeypatch)
    in_inbox_at_sync: list[list[str]] = []
    sync = atomic.sync

    def recorded() -> None:
        in_inbox_at_sync.append(sorted(p.name for p in inbox.iterdir()))
        sync()
    monkeypatch.setattr(atomic, "sync", recorded)

    report = run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=date(2024, 9, 9))

    assert in_inbox_at_sync[0] == sent  # the first sync comes before any file leaves the inbox
    assert list(inbox.iterdir()) == []
    answers = [p.name for outcome in report.outcomes for p in outcome.feedback]
    assert sum(name.endswith("_phan-hoi.xlsx") for name in answers) == 1  # 125's marked copy, listed
    letters = [name for name in answers if name.endswith(".txt")]
    assert len(letters) == 2
    assert not [name for name in flushed if any(name.startswith(f".{letter}.") for letter in letters)]
    archived = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert len(archived) == 2
    assert sum(any(name.startswith(f".{p.name}.") for name in flushed) for p in archived) == 2  # flushed each
