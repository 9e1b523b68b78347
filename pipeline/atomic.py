"""Atomic writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename, unless
    the new bytes are the old ones (then the file, and its modification time, stay as they were).
    Inside `Later.deferring`, the flush to disk and the rename happen in that Later's thread."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    later, handed = _DEFERRING.get(), False
    try:
        yield tmp
        if target.is_file() and _same_bytes(tmp, target):
            return
        if later is not None:
            later.hand_over(tmp, target)  # its thread owns the file now
            handed = True
        else:
            _settle(tmp, target)
    finally:
        if not handed:
            tmp.unlink(missing_ok=True)


def _settle(tmp: Path, target: Path) -> None:
    try:
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class Later:
    """Atomic writes put in place by a thread of their own, while the caller goes on: a run writes a
    file's answers, then records the next file while they reach the disk (a flush takes as long as
    the work of a file). `then` queues a step for the caller's thread, to run once every write handed
    over before it is in place: a file leaves the inbox only after its answers are on disk."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="p8-durable")
        self._writes: list[Future] = []
        self._settled = 0  # the writes known to be in place
        self._steps: deque[tuple[int, Callable[[], None]]] = deque()

    @contextmanager
    def deferring(self) -> Iterator[None]:
        token = _DEFERRING.set(self)
        try:
            yield
        finally:
            _DEFERRING.reset(token)

    def hand_over(self, tmp: Path, target: Path) -> None:
        self._writes.append(self._thread.submit(_settle, tmp, target))

    def then(self, step: Callable[[], None]) -> None:
        self._steps.append((len(self._writes), step))

    def settle(self, keep: int = 0) -> None:
        """Runs the queued steps, oldest first, each once its writes are in place (a write's error is
        raised here), until `keep` steps are left waiting."""
        while len(self._steps) > keep:
            count, step = self._steps.popleft()
            self._wait(count)
            step()

    def _wait(self, count: int) -> None:
        for write in self._writes[self._settled:count]:
            write.result()
        self._settled = max(self._settled, count)

    def __enter__(self) -> Later:
        return self

    def __exit__(self, *exc) -> None:
        """The writes are waited for, whatever happened; the steps left are not run (after an error,
        their files stay in the inbox for the next run)."""
        self._thread.shutdown(wait=True)


_DEFERRING: ContextVar[Later | None] = ContextVar("p8_deferring", default=None)


def _same_bytes(first: Path, second: Path) -> bool:
    if first.stat().st_size != second.stat().st_size:
        return False
    with open(first, "rb") as a, open(second, "rb") as b:
        while block := a.read(1 << 20):
            if block != b.read(1 << 20):
                return False
    return True


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))
