"""What is in the inbox: regular files to answer, and entries that are named but never opened.

Nothing here follows a symbolic link: a link (to a file, a folder, nowhere, or itself) is reported by
name and left where it is, so nothing outside the inbox is ever read, copied or moved. Every other
name, dot-files included, is a file to answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

# Files the project keeps at the top of inbox/ to explain the folder; they are not submissions.
IGNORED_NAMES = {"README.md", ".gitkeep"}
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Passed:
    """An inbox entry that is not read: a symbolic link, or something that is not a file."""

    path: str  # relative to the inbox, with /
    kind: str  # "symlink" or "special"


@dataclass(frozen=True)
class Read:
    sha256: str
    size: int
    data: bytes | None  # None when larger than `limit`
    stamp: tuple[int, int, int]  # (size, modification time in ns, inode) as read: the file is that one


class StillWriting(OSError):
    """The file changed while it was read, or since: another program is still writing it."""


# A file modified this recently may still be being written (a copy, a mail program saving an
# attachment): the run looks twice, this far apart, and leaves a file that changed for the next run.
# The environment may shorten it (the test suite, which writes files and runs at once, hundreds of times).
SETTLE_SECONDS = 2.0
SETTLE_VARIABLE = "P8_INBOX_SETTLE_SECONDS"


def settle_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(SETTLE_VARIABLE, SETTLE_SECONDS)))
    except ValueError:
        return SETTLE_SECONDS


def _stamp(info: os.stat_result) -> tuple[int, int, int]:
    return info.st_size, info.st_mtime_ns, info.st_ino


def settled(files: list[Path], seconds: float | None = None) -> tuple[list[Path], list[Path]]:
    """(files to read now, files still being written): two looks at each file, at least `seconds`
    (default: settle_seconds()) after the newest was last modified, must see the same size, time and
    inode. The run waits only when a file was modified that recently."""
    seconds = settle_seconds() if seconds is None else seconds
    first: dict[Path, os.stat_result] = {}
    for path in files:
        with contextlib.suppress(OSError):
            first[path] = os.lstat(path)
    if not first:
        return [], list(files)
    newest = max(info.st_mtime for info in first.values())
    time.sleep(min(seconds, max(0.0, newest + seconds - time.time())))
    ready: list[Path] = []
    busy: list[Path] = []
    for path in files:
        try:
            same = path in first and _stamp(os.lstat(path)) == _stamp(first[path])
        except OSError:
            same = False
        (ready if same else busy).append(path)
    return ready, busy


def unchanged(path: Path, stamp: tuple[int, int, int] | None) -> bool:
    """Whether the file is still the one that was read (before the run clears it from the inbox)."""
    try:
        return stamp is None or _stamp(os.lstat(path)) == stamp
    except OSError:
        return False


def waiting(inbox: Path) -> bool:
    """Whether anything but the folder's own notes is in the inbox: a quick look, before the run's lock."""
    try:
        with os.scandir(inbox) as entries:
            return any(entry.name not in IGNORED_NAMES for entry in entries)
    except OSError:
        return False


def scan(inbox: Path) -> tuple[list[Path], list[Passed]]:
    """Every regular file under the inbox, in a stable order, and the entries passed over."""
    files: list[Path] = []
    passed: list[Passed] = []
    inbox = Path(inbox)
    if not inbox.is_dir() or inbox.is_symlink():
        return files, passed

    def walk(folder: Path) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                path = Path(entry.path)
                relative = path.relative_to(inbox).as_posix()
                if entry.is_symlink():
                    passed.append(Passed(relative, "symlink"))
                elif entry.is_dir(follow_symlinks=False):
                    walk(path)
                elif entry.is_file(follow_symlinks=False):
                    if not (folder == inbox and entry.name in IGNORED_NAMES):
                        files.append(path)
                else:
                    passed.append(Passed(relative, "special"))

    walk(inbox)
    return files, passed


class NotPlainFile(OSError):
    """A FIFO, a device, a folder: nothing to read."""


class TooLarge(ValueError):
    def __init__(self, size: int):
        super().__init__(f"{size} bytes")
        self.size = size


def read_plain(path: Path, limit: int) -> bytes:
    """A file's bytes, read without following a link, refused before reading when it is not a regular
    file (NotPlainFile) or holds more than `limit` bytes (TooLarge): a file someone else handed us."""
    fd = os.open(path, os.O_RDONLY | _NO_FOLLOW | _BINARY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotPlainFile(f"{path}: not a regular file")
        if info.st_size > limit:
            raise TooLarge(info.st_size)
        return handle.read(limit + 1)


def read(path: Path, limit: int, block: int = 1 << 20) -> Read:
    """The file's hash and size, and its bytes when at most `limit`; never through a link."""
    fd = os.open(path, os.O_RDONLY | _NO_FOLLOW | _BINARY)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path}: not a regular file")
        digest = hashlib.sha256()
        chunks: list[bytes] | None = [] if info.st_size <= limit else None
        size = 0
        while chunk := handle.read(block):
            digest.update(chunk)
            size += len(chunk)
            if chunks is not None:
                chunks.append(chunk)
                if size > limit:
                    chunks = None
        after = os.fstat(handle.fileno())
    if _stamp(after) != _stamp(info) or size != info.st_size:
        raise StillWriting(f"{path}: changed while it was read (still being written)")
    return Read(digest.hexdigest(), size, b"".join(chunks) if chunks is not None else None, _stamp(info))


def prune_empty_folders(inbox: Path) -> None:
    """Remove the sub-folders a run has emptied (never through a link, never the inbox itself)."""
    inbox = Path(inbox)
    if not inbox.is_dir() or inbox.is_symlink():
        return
    for root, folders, _files in os.walk(inbox, topdown=False, followlinks=False):
        for name in folders:
            folder = Path(root) / name
            if folder.is_symlink():
                continue
            with contextlib.suppress(OSError):  # not empty
                folder.rmdir()
