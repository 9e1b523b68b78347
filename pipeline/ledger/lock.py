"""One run at a time on a ledger (a lock file beside it) and on an inbox (a lock on the folder itself:
two runs with different ledgers must not take the same files), waited for a while, then a clear
refusal."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.core.errors import BusyError
from pipeline.core.locations import Paths

try:
    import fcntl
except ImportError:  # Windows: the ledger's lock alone (an inbox shared by two ledgers is not guarded)
    fcntl = None  # type: ignore[assignment]

LOCK_WAIT_SECONDS = 60.0


@contextmanager
def exclusive(paths: Paths, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One run at a time on a ledger: a second waits, then stops with a clear message."""
    paths.ledger.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{paths.ledger}.lock", timeout=wait)
    try:
        with lock:
            yield
    except Timeout:
        raise BusyError(
            f"một lần chạy khác đang dùng sổ ghi {paths.ledger} (đã chờ {wait:.0f} giây); hãy chạy lại khi lần "
            "chạy đó xong") from None


@contextmanager
def exclusive_inbox(inbox: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One run at a time on an inbox, whatever its ledger: a lock on the folder itself (nothing is
    written into it); a second run waits, then stops with a clear message."""
    if fcntl is None or not inbox.is_dir():
        yield
        return
    fd = os.open(inbox, os.O_RDONLY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BusyError(f"một lần chạy khác (với sổ ghi khác) đang đọc hộp thư đến {inbox} (đã chờ "
                                    f"{wait:.0f} giây); hãy chạy lại khi lần chạy đó xong") from None
                time.sleep(0.2)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
