"""The plan as a workbook, out and back: `plan --workbook` writes it (optionally for a new phase),
`plan --from-workbook` reads one the officer edited, as untrusted as any received file (the guard, then
an isolated worker), checks it, and writes the plan folder in one step or not at all."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.atomic import write_bytes
from pipeline.core.errors import PlanError, StorageError, UsageError
from pipeline.intake.guard import MAX_FILE_BYTES
from pipeline.intake.inbox import NotPlainFile, TooLarge, read_plain
from pipeline.intake.isolation import Failure, Limits, WorkerPool
from pipeline.intake.plan_book import MAX_ROWS, PlanSheets, examine_plan_book
from pipeline.plan import book_layout
from pipeline.plan.book_check import identity_cell
from pipeline.plan.loader import load_plan
from pipeline.plan.model import Plan
from pipeline.plan.new_phase import next_phase
from pipeline.templates.plan_book import plan_workbook

# What the plan folder holds that the workbook does not: copied from the current plan when absent.
CARRIED_FILES = ("rules.toml",)
# Files of a plan folder the workbook cannot carry: `plan --workbook` says they are left out.
NOT_IN_WORKBOOK = ("activities.csv", "questions.csv", "schedule.csv")
MARKER = ".p8-from-workbook"  # in a folder `--from-workbook` wrote: it may replace that folder
GUARD_WORDS = {
    "file-encrypted": "tệp có đặt mật khẩu; hãy bỏ mật khẩu rồi lưu lại",
    "file-xls": "tệp ở dạng .xls cũ; hãy lưu lại dạng .xlsx (Excel Workbook)",
    "file-ods": "tệp ở dạng .ods; hãy lưu lại dạng .xlsx (Excel Workbook)",
    "file-xlsm": "tệp có macro (.xlsm); hãy lưu lại dạng .xlsx không có macro",
    "file-too-large": f"tệp lớn hơn {MAX_FILE_BYTES >> 20} MB",
    "file-zip-suspicious": "tệp nén bất thường (giải nén ra quá lớn); không mở tệp này",
    "file-unreadable": "tệp hỏng, không đọc được",
}


FAILURE_WORDS = {
    "memory": "tệp cần quá nhiều bộ nhớ để đọc; tệp có thể bị hỏng",
    "timeout": "đọc tệp quá lâu; tệp có thể bị hỏng",
    "crashed": "không đọc được tệp (tệp hỏng)",
    "error": "không đọc được tệp (tệp hỏng hoặc không phải bảng tính kế hoạch)",
}
log = logging.getLogger(__name__)


@dataclass
class Imported:
    errors: list[str]
    written: Path | None = None
    plan: Plan | None = None


def write_workbook(plan: Plan, folder: Path, target: Path, new_phase: str | None = None) -> list[str]:
    """Write the plan (or the next phase started from it) as a workbook; returns what it leaves out.
    An existing file is never replaced: it may be the officer's edited plan."""
    if target.exists() or target.is_symlink():
        raise UsageError(f"tệp {target} đã có (có thể là bảng tính kế hoạch đang sửa); hãy đặt tên khác.")
    write_bytes(target, plan_workbook(next_phase(plan, new_phase), blank_targets=True) if new_phase
                else plan_workbook(plan))
    left = [name for name in NOT_IN_WORKBOOK if (Path(folder) / name).is_file()]
    if plan.adhoc_rounds and not new_phase:
        left.append("các kỳ báo cáo chuyên đề (adhoc) trong rounds.csv")
    return left


def import_workbook(source: Path, out: Path, current: Path, limits: Limits | None = None,
                    in_use: Plan | None = None) -> Imported:
    """Check the workbook at `source`; without an error, write the plan folder `out` (with the rules
    of the plan folder `current`, whose plan `in_use` a plan of another phase must not take the id of)
    and return it loaded."""
    try:
        data = _read_untrusted(source)
    except TooLarge:
        return Imported([f"{source.name}: {GUARD_WORDS['file-too-large']}."])
    _check_out(out)
    with WorkerPool(size=1, limits=limits or Limits()) as pool:
        sheets = pool.call(examine_plan_book, source.name, data)
    if isinstance(sheets, Failure):
        log.warning("plan workbook %s: worker %s: %s", source.name, sheets.kind, sheets.detail)
        return Imported([f"{source.name}: {FAILURE_WORDS.get(sheets.kind, FAILURE_WORDS['error'])}."])
    assert isinstance(sheets, PlanSheets)
    if sheets.problem:
        reason = GUARD_WORDS.get(sheets.problem, "không phải bảng tính .xlsx đọc được")
        return Imported([f"{source.name}: {reason}."])
    assert sheets.checked is not None
    checked = sheets.checked
    errors = [f"'{s}': trang có quá nhiều dòng hoặc cột; chỉ đọc {MAX_ROWS:,} dòng đầu.".replace(",", ".")
              for s in sheets.clipped]
    if errors or checked.errors:
        return Imported(errors + [str(e) for e in checked.errors])
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise StorageError(f"không ghi được vào {out.parent} ({exc.strerror}); chưa ghi gì.") from None
    try:
        for name, text in checked.files.items():
            (staging / name).write_text(text, encoding="utf-8")
        for name in CARRIED_FILES:
            kept = out / name if (out / name).is_file() else Path(current) / name
            if kept.is_file():
                shutil.copyfile(kept, staging / name)
        (staging / MARKER).write_text(f"{source.name}\n", encoding="utf-8")
        try:
            plan = load_plan(staging)
        except PlanError as exc:
            return Imported([_located(str(exc), checked.rows)])
        if in_use is not None and plan.id == in_use.id and plan.phase != in_use.phase:
            return Imported([f"{identity_cell('id')}: mã kế hoạch «{plan.id}» là mã của kế hoạch giai đoạn "
                             f"{in_use.phase} đang dùng; kế hoạch giai đoạn {plan.phase} cần mã khác, để tệp làm từ "
                             "mẫu của kế hoạch này không bị nhận nhầm là của kế hoạch kia."])
        _replace_folder(staging, out)
        return Imported([], out, plan)
    except OSError as exc:
        raise StorageError(f"không ghi được thư mục kế hoạch {out} ({exc.strerror}); thư mục cũ (nếu có) giữ "
                           "nguyên.") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _read_untrusted(source: Path) -> bytes:
    """The file's bytes, read without following a symlink; TooLarge past what the guard accepts."""
    try:
        return read_plain(source, MAX_FILE_BYTES)
    except NotPlainFile:
        raise UsageError(f"{source} không phải là một tệp.") from None
    except OSError as exc:
        why = "là liên kết tượng trưng; hãy chỉ đến chính tệp" if exc.errno == errno.ELOOP else exc.strerror
        raise UsageError(f"không mở được {source} ({why}).") from None


def _check_out(out: Path) -> None:
    """The folder to write: new, empty, or one this command wrote before (never what the officer made).
    A replacement cut short between its two renames is finished first: the previous folder comes back."""
    old = out.with_name(f".{out.name}.old")
    if not out.exists() and not out.is_symlink() and old.is_dir() and (old / MARKER).is_file():
        os.replace(old, out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out} đã có và không phải là thư mục; hãy chọn thư mục khác cho --out.")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(f"thư mục {out} đã có nội dung không do lệnh này tạo ra; hãy chọn thư mục mới cho --out "
                         "(chương trình không ghi đè thư mục kế hoạch đang dùng).")


def _replace_folder(staging: Path, out: Path) -> None:
    """`staging` becomes `out` by renames: `out` is the old folder or the new one, whole. A folder this
    command wrote before is replaced (files the officer added to it are carried over first)."""
    if not out.exists() or not any(out.iterdir()):
        os.replace(staging, out)  # over an empty folder too
        return
    for entry in out.iterdir():
        if not (staging / entry.name).exists() and entry.is_file() and not entry.is_symlink():
            shutil.copy2(entry, staging / entry.name)
    old = out.with_name(f".{out.name}.old")
    if old.exists():
        shutil.rmtree(old)
    os.replace(out, old)
    os.replace(staging, out)
    with contextlib.suppress(OSError):
        shutil.rmtree(old)


def _located(message: str, rows: dict[str, list[int]]) -> str:
    """A loader's error ("units.csv, dòng 5: …") located on the workbook's sheet and row instead."""
    sheets = {t.file: t.sheet for t in book_layout.TABLES} | {"targets.csv": book_layout.SHEET_TARGETS,
                                                               "totals.csv": book_layout.SHEET_TARGETS,
                                                               "plan.toml": book_layout.SHEET_IDENTITY}
    match = re.match(r"^([a-z_]+\.(?:csv|toml))(?:, dòng (\d+))?:\s*(.*)$", message, re.S)
    if not match or match.group(1) not in sheets:
        return message
    file, line, text = match.groups()
    where = f"'{sheets[file]}'"
    if line and int(line) - 2 < len(rows.get(file, [])):
        where += f" dòng {rows[file][int(line) - 2] + 1}"
    return f"{where}: {text}"
