"""Marked copies made while the run goes on: listed in their answer and their file cleared from the
inbox only once made and synced, in the order the files were answered; a copy that failed is not listed."""

from datetime import datetime
from pathlib import Path

from pipeline.core import atomic
from pipeline.intake import pending_copies
from pipeline.intake.isolation import Failure
from pipeline.intake.pending_copies import PendingCopies


class _Pool:
    """Jobs the test finishes by hand."""

    def __init__(self):
        self.jobs: list[tuple] = []
        self.results: dict[int, object] = {}

    def submit(self, function, *args) -> int:
        self.jobs.append((function.__name__, args))
        return len(self.jobs)

    def ready(self, job: int) -> bool:
        return job in self.results

    def result(self, job: int) -> object:
        assert job in self.results, "waited for a job nobody will finish"
        return self.results[job]


MOMENT = datetime(2024, 9, 5, 10, 0)


def test_files_are_cleared_in_order_in_batches_each_after_a_sync(monkeypatch):
    """A copy is listed once made; files leave the inbox in the order they were answered, a batch at a
    time, and only after the sync that puts their answers on the disk."""
    events: list[str] = []
    monkeypatch.setattr(pending_copies, "CLEARED_TOGETHER", 3)
    monkeypatch.setattr(atomic, "sync", lambda: events.append("sync"))
    pool = _Pool()
    copies = PendingCopies(pool)
    answer_a = [Path("a_phan-hoi.txt")]
    assert copies.mark(Path("a.xlsx"), Path("a_phan-hoi.xlsx"), [], MOMENT) is False  # nothing written yet
    copies.belong_to(answer_a)
    copies.clear_when_made(lambda: events.append("a"))
    copies.clear_when_made(lambda: events.append("b"))  # no copy: waits for a's all the same
    answer_c = [Path("c_phan-hoi.txt")]
    copies.mark(Path("c.xlsx"), Path("c_phan-hoi.xlsx"), [], MOMENT)
    copies.belong_to(answer_c)
    copies.clear_when_made(lambda: events.append("c"))
    assert pool.jobs == [("write_marked_copy", (Path("a.xlsx"), Path("a_phan-hoi.xlsx"), [], MOMENT, False)),
                         ("write_marked_copy", (Path("c.xlsx"), Path("c_phan-hoi.xlsx"), [], MOMENT, False))]

    pool.results[2] = True  # c's copy first: a's file is cleared first all the same
    copies.settle(wait=False)
    assert events == [] and answer_c == [Path("c_phan-hoi.txt")]
    pool.results[1] = Failure("crashed", "signal SIGKILL")
    copies.settle(wait=False)
    assert events == ["sync", "a", "b", "c"]
    assert answer_a == [Path("a_phan-hoi.txt")]  # its copy failed: the letter alone
    assert answer_c == [Path("c_phan-hoi.txt"), Path("c_phan-hoi.xlsx")]

    copies.clear_when_made(lambda: events.append("d"))
    copies.settle(wait=False)
    assert events == ["sync", "a", "b", "c"]  # fewer than a batch: not yet


def test_at_the_end_every_copy_is_waited_for(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(atomic, "sync", lambda: events.append("sync"))
    pool = _Pool()
    copies = PendingCopies(pool)
    answer = []
    copies.mark(Path("a.xlsx"), Path("a_phan-hoi.xlsx"), [], MOMENT)
    copies.belong_to(answer)
    copies.clear_when_made(lambda: events.append("a"))
    copies.clear_when_made(lambda: events.append("b"))
    pool.results[1] = True
    copies.settle(wait=True)
    assert events == ["sync", "a", "b"] and answer == [Path("a_phan-hoi.xlsx")]
