"""Marked copies made while the run goes on: listed in their answer and their file cleared from the
inbox only once made, in the order the files were answered; a copy that failed is not listed."""

from datetime import datetime
from pathlib import Path

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


def test_a_copy_is_listed_and_its_file_cleared_only_once_made():
    pool, cleared = _Pool(), []
    copies = PendingCopies(pool)
    answer_a = [Path("a_phan-hoi.txt")]
    assert copies.mark(Path("a.xlsx"), Path("a_phan-hoi.xlsx"), [], MOMENT) is False  # nothing written yet
    copies.belong_to(answer_a)
    assert copies.clear_when_made(lambda: cleared.append("a")) is True
    assert copies.clear_when_made(lambda: cleared.append("b")) is False  # no copy: cleared at once
    answer_c = [Path("c_phan-hoi.txt")]
    copies.mark(Path("c.xlsx"), Path("c_phan-hoi.xlsx"), [], MOMENT)
    copies.belong_to(answer_c)
    copies.clear_when_made(lambda: cleared.append("c"))
    assert [name for name, _args in pool.jobs] == ["write_marked_copy", "write_marked_copy"]
    assert cleared == ["b"]

    pool.results[2] = True  # c's copy first: a's file is cleared first all the same
    copies.settle(wait=False)
    assert cleared == ["b"] and answer_c == [Path("c_phan-hoi.txt")]
    pool.results[1] = Failure("crashed", "signal SIGKILL")
    copies.settle(wait=False)
    assert cleared == ["b", "a", "c"]
    assert answer_a == [Path("a_phan-hoi.txt")]  # its copy failed: the letter alone
    assert answer_c == [Path("c_phan-hoi.txt"), Path("c_phan-hoi.xlsx")]


def test_at_the_end_every_copy_is_waited_for():
    pool, cleared = _Pool(), []
    copies = PendingCopies(pool)
    answer = []
    copies.mark(Path("a.xlsx"), Path("a_phan-hoi.xlsx"), [], MOMENT)
    copies.belong_to(answer)
    copies.clear_when_made(lambda: cleared.append("a"))
    pool.results[1] = True
    copies.settle(wait=True)
    assert cleared == ["a"] and answer == [Path("a_phan-hoi.xlsx")]
