"""The few exceptions that stop a run. Bad data never raises: it becomes a finding (as does a file our own
code fails on)."""

import errno
import sqlite3

# The finding of a file an internal error stopped: the run answers it so and goes on.
NOT_PROCESSED = "file-not-processed"


class PipelineError(Exception):
    """A run cannot go on; the message names the value at fault and the way out."""


class PlanError(PipelineError):
    """The plan folder is missing, malformed or disagrees with itself."""


class UsageError(PipelineError):
    """The command line asked for something that does not exist."""


class BusyError(PipelineError):
    """Another run holds the ledger."""


class LedgerError(PipelineError):
    """The ledger is damaged, or does not match the archive: nothing may change until it is restored."""


class OutputInUse(PipelineError):
    """An output cannot be replaced because a program has it open (Windows refuses to replace a
    workbook open in Excel or a document open in Word). A run names it and writes it next time."""

    def __init__(self, path: str):
        super().__init__(f"tệp {path} đang được mở trong một chương trình khác (Excel, Word…), nên chưa ghi "
                         "được bản mới; hãy đóng tệp đó rồi chạy lại lệnh.")
        self.path = path

    def __reduce__(self):  # a worker process raises it; the run reads it back whole
        return (OutputInUse, (self.path,))


# Windows' errors for a file another program holds: access denied, sharing violation, lock violation.
IN_USE_WINERRORS = {5, 32, 33}


def is_in_use(exc: BaseException) -> bool:
    return isinstance(exc, PermissionError) and getattr(exc, "winerror", None) in IN_USE_WINERRORS


class StorageError(PipelineError):
    """A folder cannot be written (read-only, no permission, disk full): the run stopped, nothing lost."""


# errno values that mean "this machine's storage refuses", not "this file is bad".
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
_SQLITE_STORAGE = ("disk is full", "readonly database", "unable to open database", "disk i/o error")


def is_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        return True
    return isinstance(exc, sqlite3.OperationalError) and any(m in str(exc).lower() for m in _SQLITE_STORAGE)
