"""The few exceptions that stop a run. Bad data never raises: it becomes a finding."""

import errno
import sqlite3


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


class StorageError(PipelineError):
    """A folder cannot be written (read-only, no permission, disk full): the run stopped, nothing lost."""


# errno values that mean "this machine's storage refuses", not "this file is bad".
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
_SQLITE_STORAGE = ("disk is full", "readonly database", "unable to open database", "disk i/o error")


def is_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        return True
    return isinstance(exc, sqlite3.OperationalError) and any(m in str(exc).lower() for m in _SQLITE_STORAGE)
