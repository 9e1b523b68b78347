"""Marked copies made while the run goes on: the main loop hands a file's marked copy to a reader and
answers the next file. The copy joins its answer's files when it is done, and only then is the file it
answers cleared from the inbox: a run stopped before leaves the file there, and the next run answers it
again, copy included. (The loop waited about 6 ms for each warned file's copy; on two cores the readers
have no time to spare anyway, but on more the wait was the loop's own.)

The copies and letters are written unflushed, and files are cleared in batches, each after one
atomic.sync(): a file leaves the inbox only once its answer is on the disk, without a flush per file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.core import atomic
from pipeline.core.findings import Finding
from pipeline.intake import feedback
from pipeline.intake.isolation import WorkerPool

# Files cleared after one sync. A run stopped in between leaves at most this many files in the inbox
# that were answered already; the next run answers them again from the ledger.
CLEARED_TOGETHER = 200


@dataclass
class _Copy:
    job: int
    target: Path
    answer: list[Path] | None = None  # the files of the answer it belongs to, once known


@dataclass
class _Clearing:
    copies: list[_Copy]
    clear: Callable[[], None] = field(repr=False)


class PendingCopies:
    def __init__(self, pool: WorkerPool):
        self.pool = pool
        self._new: list[_Copy] = []  # submitted while the current file is answered
        self._waiting: deque[_Clearing] = deque()  # in the order the files were answered
        self._made = 0  # how many of the first waiting have their copies made

    def mark(self, original: Path, target: Path, findings: list[Finding], moment: datetime) -> bool:
        """A feedback.MarkCopy that does not wait: False (nothing written yet); the copy is made ahead."""
        self._new.append(_Copy(self.pool.submit(feedback.write_marked_copy, original, target, findings, moment,
                                                False), target))
        return False

    def belong_to(self, answer: list[Path]) -> None:
        """The copies just submitted are of this answer: listed in it once made."""
        for copy in self._new:
            if copy.answer is None:
                copy.answer = answer

    def clear_when_made(self, clear: Callable[[], None]) -> None:
        """`clear` (the inbox file's clearing) once the copies submitted for it are made and its answer
        is on the disk."""
        copies, self._new = self._new, []
        self._waiting.append(_Clearing(copies, clear))

    def settle(self, *, wait: bool) -> None:
        """Clear, in order, the files whose copies are made, once CLEARED_TOGETHER of them are; with
        `wait`, every file, its copies waited for."""
        while self._made < len(self._waiting):
            clearing = self._waiting[self._made]
            if not wait and not all(self.pool.ready(c.job) for c in clearing.copies):
                break
            self._made += 1
        if not self._made or (not wait and self._made < CLEARED_TOGETHER):
            return
        done = [self._waiting.popleft() for _ in range(self._made)]
        self._made = 0
        for clearing in done:
            for copy in clearing.copies:
                if self.pool.result(copy.job) is True and copy.answer is not None:
                    copy.answer.append(copy.target)
        atomic.sync()
        for clearing in done:
            clearing.clear()
