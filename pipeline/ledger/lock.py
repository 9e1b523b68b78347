"""One run at a time on a ledger: a lock file beside it, waited for a while, then a clear refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipeline.core.errors import BusyError
from pipeline.core.locations import Paths

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
