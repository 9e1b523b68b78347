"""The ledger protects itself: checked before a run changes anything, backed up, matched with the
archive. When something is wrong the run stops (LedgerError, exit code 2) before any inbox file is
moved, with a message that tells the officer how to restore."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path

from pipeline.core.atomic import atomic_path
from pipeline.core.errors import LedgerError
from pipeline.core.locations import BACKUP_FOLDER, STORED_FOLDERS
from pipeline.core.sender_text import printable
from pipeline.ledger.chain import ChainBroken, ChainState, replay, verify
from pipeline.ledger.head import Head, link_at

BACKUPS_KEPT = 7
_STORED_NAME = re.compile(r"^(\d{6,})_[0-9a-f]{12}_")


def open_database(path: Path, home: Path, *, as_left: bool = False) -> sqlite3.Connection:
    """A connection to a ledger that passed SQLite's own check (or, `as_left`, whose bytes are those
    the last command left, which passed it: head.py); a missing ledger is created only while archive/
    and rejected/ hold nothing it should know."""
    path = Path(path)
    if not path.exists():
        stored = stored_files(home)
        if stored:
            raise LedgerError(_missing_message(path, home, len(stored)))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        # integrity_check, not quick_check: an index that no longer matches its table would hide a
        # file's earlier copy (by hash) or its unfinished record (by inbox path). 1.3 s at 230 MB.
        problems = ["ok"] if as_left else [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
    except sqlite3.DatabaseError as exc:
        raise LedgerError(_damaged_message(path, home, str(exc))) from None
    if problems != ["ok"]:
        db.close()
        raise LedgerError(_damaged_message(path, home, "; ".join(problems)))
    return db


def check_chain(db: sqlite3.Connection, path: Path, home: Path, head: Head | None, *,
                accept_as_it_is: bool = False, as_left: bool = False) -> ChainState:
    """The ledger's content against its chain, then the chain against the head kept beside the
    backups. A missing head is trusted as the ledger stands (the first run after the chain came in);
    `accept_as_it_is` does the same for an older ledger the officer restored on purpose. `as_left`:
    the file's bytes are those the last command left (head.py), so only the events are replayed."""
    try:
        state = replay(db)[0] if as_left else verify(db)
    except ChainBroken as broken:
        raise LedgerError(_changed_message(path, home, broken)) from None
    except sqlite3.DatabaseError as exc:  # a changed byte that leaves text SQLite cannot decode
        raise LedgerError(_damaged_message(path, home, str(exc))) from None
    if head is None or accept_as_it_is:
        return state
    if state.events < head.events:
        raise LedgerError(_older_message(path, home, head, state))
    if link_at(db, head.events) != head.link and head.events > 0:
        raise LedgerError(_replaced_message(path, home))
    return state


def stored_files(home: Path) -> list[str]:
    """Every copy in archive/ and rejected/ (their README and unfinished temporary files aside), as
    paths relative to `home` in POSIX form: plain strings, as a national archive has thousands."""
    found = []
    for folder in STORED_FOLDERS:
        root = os.path.join(home, folder)
        if not os.path.isdir(root):
            continue
        for parent, _dirs, files in os.walk(root, followlinks=False):
            prefix = os.path.relpath(parent, home).replace(os.sep, "/")
            found += [f"{prefix}/{name}" for name in files
                      if not name.startswith(".") and not (parent == root and name == "README.md")]
    return sorted(found)


def check_archive(ledger) -> None:
    """Every copy in archive/ and rejected/ must be one the ledger knows. The one exception is the copy
    a killed run wrote just before its commit (it bears the next ledger id; the file it came from is
    still in the inbox, and the next record overwrites it)."""
    known = ledger.stored_paths()
    last = ledger.last_id()
    unknown = []
    for relative in stored_files(ledger.home):
        if relative in known:
            continue
        match = _STORED_NAME.match(relative.rpartition("/")[2])
        if match and int(match.group(1)) == last + 1:
            continue
        unknown.append(relative)
    if unknown:
        raise LedgerError(_unknown_message(ledger.path, ledger.home, unknown))


def backup(ledger, moment: datetime | None = None) -> Path:
    """A consistent copy of the ledger (SQLite's backup API) in ledger-backups/; the newest
    BACKUPS_KEPT are kept."""
    folder = Path(ledger.home) / BACKUP_FOLDER
    stamp = (moment or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{Path(ledger.path).stem}-{stamp}.sqlite"
    with atomic_path(target) as tmp:
        copy = sqlite3.connect(tmp)
        try:
            ledger.db.backup(copy)
        finally:
            copy.close()
    for old in sorted(folder.glob(f"{Path(ledger.path).stem}-*.sqlite"))[:-BACKUPS_KEPT]:
        old.unlink()
    return target


def _newest_backup(home: Path) -> str:
    backups = sorted((Path(home) / BACKUP_FOLDER).glob("*.sqlite"))
    return str(backups[-1]) if backups else "(chưa có bản sao lưu nào)"


def _restore_steps(path: Path, home: Path) -> str:
    return (f"Cách khôi phục: (1) đổi tên tệp {path.name} hiện có (ví dụ thành {path.name}.hong) để giữ lại; "
            f"(2) chép bản sao lưu mới nhất trong thư mục {Path(home) / BACKUP_FOLDER} "
            f"(hiện là: {_newest_backup(home)}) thành {path}; (3) chạy lại lệnh. "
            "Nếu vẫn còn lỗi, liên hệ bộ phận kỹ thuật; không xóa thư mục archive/ và rejected/.")


def _damaged_message(path: Path, home: Path, detail: str) -> str:
    return (f"Sổ ghi {path} bị hỏng ({detail[:200]}). Lần chạy đã dừng, chưa tệp nào được chuyển khỏi hộp "
            f"thư đến và chưa kết quả nào bị ghi đè. {_restore_steps(path, home)}")


def _missing_message(path: Path, home: Path, count: int) -> str:
    return (f"Không tìm thấy sổ ghi {path}, nhưng thư mục archive/ và rejected/ trong {home} đang lưu {count} "
            "tệp đã nhận: sổ ghi có thể đã bị xóa hoặc di chuyển. Lần chạy đã dừng để không bắt đầu lại từ "
            f"đầu và ghi đè bảng tổng hợp. {_restore_steps(path, home)}")


def _unknown_message(path: Path, home: Path, unknown: list[str]) -> str:
    shown = ", ".join(unknown[:5]) + (f" và {len(unknown) - 5} tệp khác" if len(unknown) > 5 else "")
    return (f"Thư mục lưu trữ có {len(unknown)} tệp mà sổ ghi {path} không biết ({shown}): sổ ghi có thể "
            f"đã bị thay bằng bản cũ. Lần chạy đã dừng, chưa tệp nào được chuyển khỏi hộp thư đến. "
            f"{_restore_steps(path, home)} Nếu đã khôi phục bản mới nhất mà vẫn còn các tệp này, chuyển "
            "chúng vào inbox/ để được xử lý lại.")


ACCEPT_COMMAND = "python run_pipeline.py accept-ledger"


def _changed_message(path: Path, home: Path, broken: ChainBroken) -> str:
    if broken.record is not None:
        named = f" (tệp «{printable(broken.name)[:120]}»)" if broken.name else ""
        what = f"bản ghi số {broken.record}{named} không còn đúng như khi được ghi"
    else:
        what = "chuỗi kiểm tra của sổ không còn liền mạch"
    return (f"Sổ ghi {path} đã bị thay đổi bên ngoài chương trình: {what}. Lần chạy đã dừng, chưa tệp nào được "
            f"chuyển khỏi hộp thư đến và chưa kết quả nào bị ghi đè. {_restore_steps(path, home)}")


def _older_message(path: Path, home: Path, head: Head, state: ChainState) -> str:
    lost = [f"kỳ {round_id} đã chốt ngày {_day(day)} nay không còn được ghi là đã chốt"
            for round_id, day in sorted(head.approvals.items()) if round_id not in state.approvals]
    records = (f"lần ghi gần nhất sổ có đến bản ghi số {head.last_record}, nay chỉ còn đến số {state.last_record}"
               if head.last_record > state.last_record else
               f"lần ghi gần nhất sổ có {head.events} mục, nay chỉ còn {state.events} mục")
    return (f"Sổ ghi {path} cũ hơn lần ghi gần nhất của chương trình: {records}"
            + (f"; {'; '.join(lost)}" if lost else "") + ". Có thể sổ ghi đã bị chép đè bằng một bản cũ. Lần "
            "chạy đã dừng, chưa tệp nào được chuyển khỏi hộp thư đến. Nếu còn bản mới hơn, hãy đặt lại bản đó "
            f"(bản sao lưu mới nhất: {_newest_backup(home)}). Nếu chính anh/chị đã cố ý khôi phục bản cũ này và "
            f"chấp nhận mất các mục ghi sau nó, chạy: {ACCEPT_COMMAND}")


def _replaced_message(path: Path, home: Path) -> str:
    return (f"Sổ ghi {path} không phải là sổ mà chương trình ghi lần gần nhất (lịch sử của hai sổ khác nhau): "
            "có thể sổ đã bị thay bằng một sổ khác. Lần chạy đã dừng, chưa tệp nào được chuyển khỏi hộp thư "
            f"đến. {_restore_steps(path, home)} Nếu chính anh/chị đã cố ý thay sổ này, chạy: {ACCEPT_COMMAND}")


def _day(text: str) -> str:
    try:
        return f"{date.fromisoformat(text):%d/%m/%Y}"
    except ValueError:
        return printable(text)[:20]
