"""A full disk or a read-only folder stops the run with one Vietnamese line that says which folder
and what to do; the folders are checked before anything is changed."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.core import locations
from pipeline.core.errors import StorageError, is_storage_error
from pipeline.core.locations import Paths


@contextmanager
def storage_guard(paths: Paths) -> Iterator[None]:
    """A folder that cannot be written, or a full disk, stops the run with a message, not a traceback;
    what was recorded stays recorded and the next run goes on from there."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if not is_storage_error(exc):
            raise
        where = getattr(exc, "filename", None) or paths.ledger
        raise StorageError(
            f"Không ghi được vào {where} ({_storage_cause(exc)}). Lần chạy đã dừng; không tệp nào bị mất: tệp "
            "chưa xử lý xong vẫn nằm trong hộp thư đến và sẽ được xử lý ở lần chạy sau. Hãy giải phóng dung "
            "lượng đĩa hoặc cấp quyền ghi cho thư mục đó (kể cả archive/, rejected/, outbox/ và thư mục của sổ "
            "ghi), rồi chạy lại.") from exc


def _storage_cause(exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or "full" in str(exc).lower():
        return "đĩa đã đầy"
    if code == errno.EROFS or "readonly" in str(exc).lower():
        return "thư mục chỉ cho phép đọc"
    if code in (errno.EACCES, errno.EPERM):
        return "không có quyền ghi"
    return str(exc)[:120]


def check_writable(paths: Paths) -> None:
    """Before the first file leaves the inbox: every folder the run writes to takes a file."""
    for folder in (paths.outbox, paths.home / locations.ARCHIVE, paths.home / locations.REJECTED, paths.ledger.parent):
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".p8-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
