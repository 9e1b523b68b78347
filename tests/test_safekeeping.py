"""What a run does when the world around it is wrong: links in the inbox, dot-files, a file claiming
another unit, an unknown sender, a damaged or missing ledger, a folder it cannot write, a full disk.
Nothing outside the inbox is read, nothing is lost, and the officer is told what to do."""

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from pipeline.app import runner
from pipeline.app.runner import run
from pipeline.app.samples import SAMPLE_TIME
from pipeline.core.errors import StorageError
from pipeline.core.locations import Paths
from pipeline.core.office_package import normalize_package
from pipeline.ledger import safekeeping
from pipeline.ledger.template_key import template_key
from pipeline.plan import form
from tests.support import hostile
from tests.support.helpers import ROOT
from tests.support.installation import with_senders

pytestmark = pytest.mark.slow

TODAY = "2024-09-09"


def cli(root: Path, *extra: str, plan_dir: Path | None = None, inbox: Path | None = None,
        outbox: Path | None = None, ledger: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "run_pipeline.py")]
    (outbox or root / "outbox").mkdir(parents=True, exist_ok=True)  # as the repository ships it
    if plan_dir:
        command += ["--plan-dir", str(plan_dir)]
    command += ["run", "--inbox", str(inbox or root / "inbox"), "--outbox", str(outbox or root / "outbox"),
                "--today", TODAY]
    if ledger:
        command += ["--ledger", str(ledger)]
    return subprocess.run([*command, *extra], cwd=root, capture_output=True, text=True, timeout=300)


def records(ledger: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT inbox_path, status, stored_path, id FROM submission ORDER BY id").fetchall()
    found: dict[str, list[tuple]] = {}
    for inbox_path, status, stored, row_id in rows:
        found.setdefault(inbox_path, []).append((status, stored, row_id))
    return found


def codes(ledger: Path, inbox_path: str) -> list[str]:
    with sqlite3.connect(ledger) as db:
        return [c for (c,) in db.execute("SELECT code FROM finding JOIN submission ON submission.id = submission_id"
                                         " WHERE inbox_path = ? ORDER BY seq", (inbox_path,))]


@pytest.fixture
def sender(plan, tmp_path):
    return hostile.Submissions(plan, tmp_path)


# -- the inbox ------------------------------------------------------------------------------------


def test_links_in_the_inbox_are_named_and_never_followed(sender, tmp_path):
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "folder" / "bao-cao.xlsx").write_bytes(sender.valid("124"))
    (outside / "empty").mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "passwd.xlsx").symlink_to("/etc/passwd")
    (inbox / "to-folder").symlink_to(outside / "folder")
    (inbox / "to-empty-folder").symlink_to(outside / "empty")
    (inbox / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (inbox / "loop.xlsx").symlink_to(inbox / "loop.xlsx")
    (inbox / "valid.xlsx").write_bytes(sender.valid("125"))
    links = ["dangling.xlsx", "loop.xlsx", "passwd.xlsx", "to-empty-folder", "to-folder"]

    for _run in range(2):  # the second run finds the links again and still does not crash
        result = cli(tmp_path)
        assert result.returncode == 1, result.stderr  # something in the inbox waits on the officer
        for link in links:
            assert f"CHÚ Ý: {link} là liên kết" in result.stdout
            assert (inbox / link).is_symlink()
        assert "Traceback" not in result.stderr
    assert list(records(tmp_path / "ledger.sqlite")) == ["valid.xlsx"]
    stored = [p.read_bytes() for folder in ("archive", "rejected") for p in (tmp_path / folder).rglob("*")
              if p.is_file()]
    assert Path("/etc/passwd").read_bytes() not in stored and len(stored) == 1
    assert (outside / "folder" / "bao-cao.xlsx").is_file()
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert all(link in page for link in links)


def test_dot_files_are_answered_like_any_other(sender, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "__MACOSX").mkdir(parents=True)
    (inbox / ".bao-cao.xlsx").write_bytes(sender.valid("125"))
    (inbox / "._bao-cao.xlsx").write_bytes(hostile.APPLE_DOUBLE)
    (inbox / "__MACOSX" / "._bao-cao.xlsx").write_bytes(hostile.APPLE_DOUBLE)
    result = cli(tmp_path)
    assert result.returncode == 1
    answered = records(tmp_path / "ledger.sqlite")
    assert [s for s, *_ in answered[".bao-cao.xlsx"]] == ["accepted"]
    for companion in ("._bao-cao.xlsx", "__MACOSX/._bao-cao.xlsx"):
        assert [s for s, *_ in answered[companion]] == ["rejected"]
        assert codes(tmp_path / "ledger.sqlite", companion) == ["file-system-companion"]
        assert companion in result.stdout
    assert not inbox.exists() or not any(inbox.rglob("*"))


# -- identity -------------------------------------------------------------------------------------


def _edited(data: bytes, tmp_path: Path, edit) -> bytes:
    path = tmp_path / "staging-edit.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    edit(book)
    book.save(path)
    normalize_package(path, SAMPLE_TIME)
    return path.read_bytes()


def _claim_mai_son(plan):
    """Bắc Yên's file, its hidden unit code and every locked target rewritten to say Mai Sơn."""
    def edit(book):
        book["p8_meta"]["B3"] = "125"
        for indicator in plan.indicators:
            sheet, cell = next(iter(book.defined_names[form.target_name(indicator.code)].destinations))
            book[sheet][cell.replace("$", "")] = plan.targets["125"][indicator.code]
    return edit


def test_a_file_edited_to_claim_another_unit_is_rejected(plan, sender, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-mai-son.xlsx").write_bytes(sender.valid("125"))
    assert cli(tmp_path).returncode == 0
    (inbox / "b-bac-yen-as-mai-son.xlsx").write_bytes(_edited(sender.valid("121"), tmp_path, _claim_mai_son(plan)))
    result = cli(tmp_path)
    assert result.returncode == 1
    found = codes(tmp_path / "ledger.sqlite", "b-bac-yen-as-mai-son.xlsx")
    assert found and set(found) == {"template-locked-altered"}
    note = next((tmp_path / "outbox" / "2024-annual" / "feedback").glob("*b-bac-yen-as-mai-son_phan-hoi.txt"))
    assert "«Đơn vị báo cáo: Bắc Yên», khác với mẫu đã phát cho Mai Sơn" in note.read_text(encoding="utf-8") \
        or "khác với mẫu đã phát cho Mai Sơn" in note.read_text(encoding="utf-8")
    assert "Bắc Yên" in note.read_text(encoding="utf-8")
    answered = records(tmp_path / "ledger.sqlite")
    assert [s for s, *_ in answered["a-mai-son.xlsx"]] == ["accepted"]  # not superseded


def test_a_changed_fingerprint_is_rejected(sender, tmp_path):
    def edit(book):
        book["p8_meta"]["B5"] = "0" * 64
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fingerprint.xlsx").write_bytes(_edited(sender.valid("121"), tmp_path, edit))
    assert cli(tmp_path).returncode == 1
    assert codes(tmp_path / "ledger.sqlite", "fingerprint.xlsx") == ["template-fingerprint-mismatch"]


def test_senders_unknown_or_changed_are_flagged_to_the_officer(sender, tmp_path, plan_copy):
    with_senders(plan_copy, {"125": "hoiphunu.maison@example.vn"})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # The templates this installation issued (keyed): a stranger's copy of one counts, with warnings.
    sender.key = template_key(tmp_path / "ledger.sqlite", tmp_path)

    def mail(name: str, address: str, message_id: str) -> None:
        (inbox / name).write_bytes(hostile.email_with([("mai-son.xlsx", sender.valid("125"))], sender=address,
                                                      message_id=message_id))

    mail("1-known.eml", "hoiphunu.maison@example.vn", "<1@example.vn>")
    result = cli(tmp_path, plan_dir=plan_copy)
    assert result.returncode == 0 and "!" not in result.stdout
    mail("2-stranger.eml", "nguoi.la@example.com", "<2@example.vn>")
    result = cli(tmp_path, plan_dir=plan_copy)
    assert result.returncode == 0  # accepted, with warnings the officer sees
    assert "! Tệp được gửi từ địa chỉ nguoi.la@example.com, không có trong danh sách" in result.stdout
    assert "! Tệp được gửi từ địa chỉ nguoi.la@example.com, khác với địa chỉ đã gửi báo cáo lần trước của " \
           "Mai Sơn (hoiphunu.maison@example.vn" in result.stdout
    assert codes(tmp_path / "ledger.sqlite", "2-stranger.eml#1:mai-son.xlsx") == ["sender-unknown", "sender-changed"]


# -- the ledger ---------------------------------------------------------------------------------------


def _two_runs(sender, tmp_path) -> Path:
    """A ledger with a few records, and a new file waiting in the inbox."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for unit in ("121", "125", "128"):
        (inbox / f"{unit}.xlsx").write_bytes(sender.valid(unit))
    assert cli(tmp_path).returncode == 0
    (inbox / "new.xlsx").write_bytes(sender.valid("124"))
    return inbox / "new.xlsx"


def _stored(tmp_path: Path) -> dict[str, bytes]:
    return {p.relative_to(tmp_path).as_posix(): p.read_bytes() for folder in ("archive", "rejected", "outbox")
            for p in (tmp_path / folder).rglob("*") if p.is_file() and "logs" not in p.parts}


@pytest.mark.parametrize("page", [1, 2, 5, 9])
def test_a_damaged_ledger_stops_the_run_before_anything_moves(sender, tmp_path, page):
    waiting = _two_runs(sender, tmp_path)
    ledger = tmp_path / "ledger.sqlite"
    before = _stored(tmp_path)
    with sqlite3.connect(ledger) as db:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        assert db.execute("PRAGMA page_count").fetchone()[0] >= page
    with ledger.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(bytes((n * 97 + 13) % 256 for n in range(size)))
    result = cli(tmp_path)
    assert result.returncode == 2
    assert "bị hỏng" in result.stderr and "ledger-backups" in result.stderr and "Traceback" not in result.stderr
    assert waiting.is_file() and _stored(tmp_path) == before

    # The message's way out: keep the damaged file, copy the newest backup in its place, run again.
    ledger.rename(tmp_path / "ledger.sqlite.hong")
    newest = sorted((tmp_path / "ledger-backups").glob("*.sqlite"))[-1]
    shutil.copyfile(newest, ledger)
    assert cli(tmp_path).returncode == 0
    assert not waiting.exists() and [s for s, *_ in records(ledger)["new.xlsx"]] == ["accepted"]


def test_a_deleted_ledger_with_an_archive_stops_the_run(sender, tmp_path):
    waiting = _two_runs(sender, tmp_path)
    before = _stored(tmp_path)
    (tmp_path / "ledger.sqlite").unlink()
    result = cli(tmp_path)
    assert result.returncode == 2
    assert "Không tìm thấy sổ ghi" in result.stderr and "archive/" in result.stderr
    assert waiting.is_file() and _stored(tmp_path) == before and not (tmp_path / "ledger.sqlite").exists()


def test_an_older_ledger_than_the_archive_stops_the_run(sender, tmp_path):
    waiting = _two_runs(sender, tmp_path)
    oldest = sorted((tmp_path / "ledger-backups").glob("*.sqlite"))[0]  # taken before the first run's files
    shutil.copyfile(oldest, tmp_path / "ledger.sqlite")
    result = cli(tmp_path)
    assert result.returncode == 2 and "cũ hơn lần ghi gần nhất" in result.stderr, result.stderr
    assert "đến bản ghi số 3, nay chỉ còn đến số 0" in result.stderr and "accept-ledger" in result.stderr
    assert waiting.is_file()

    # Without the chain's head (deleted with the old ledger put back), the archive still tells.
    (tmp_path / "ledger-backups" / "ledger.head.json").unlink()
    result = cli(tmp_path)
    assert result.returncode == 2 and "mà sổ ghi" in result.stderr and "không biết" in result.stderr
    assert waiting.is_file()


def test_backups_keep_a_few_generations(sender, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for index in range(6):
        (inbox / f"{index}.xlsx").write_bytes(sender.valid("121"))
        assert cli(tmp_path).returncode == 0
    backups = sorted((tmp_path / "ledger-backups").glob("*.sqlite"))
    assert len(backups) == safekeeping.BACKUPS_KEPT
    with sqlite3.connect(backups[-1]) as db:
        assert db.execute("SELECT COUNT(*) FROM submission").fetchone()[0] == 6
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- storage --------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_outbox_stops_the_run_and_the_next_one_completes(sender, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(sender.valid("121"))
    with tmpfs(tmp_path / "outbox", "16m") as mounted:
        if mounted and subprocess.run(["mount", "-o", "remount,ro", str(tmp_path / "outbox")]).returncode == 0:
            result = cli(tmp_path)
            assert result.returncode == 2, result.stderr
            assert "Không ghi được vào" in result.stderr and "chỉ cho phép đọc" in result.stderr
            assert "Traceback" not in result.stderr
            subprocess.run(["mount", "-o", "remount,rw", str(tmp_path / "outbox")], check=True)
        else:  # no mounting here: the same refusal, simulated
            real = Path.write_bytes

            def refuse(self, data):
                if "outbox" in self.parts:
                    raise OSError(errno.EROFS, "Read-only file system", str(self))
                return real(self, data)
            with monkeypatch.context() as patch:
                patch.setattr(Path, "write_bytes", refuse)
                with pytest.raises(StorageError, match="chỉ cho phép đọc"):
                    run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=None)
        assert (inbox / "a.xlsx").is_file()
        result = cli(tmp_path)
        assert result.returncode == 0, result.stderr
    assert [s for s, *_ in records(tmp_path / "ledger.sqlite")["a.xlsx"]] == ["accepted"]


def test_a_full_disk_stops_the_run_without_losing_a_file(sender, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sent = {f"{n:02d}.xlsx": sender.valid(unit) for n, unit in enumerate(["121", "122", "123", "124", "125"] * 4)}
    for name, data in sent.items():
        (inbox / name).write_bytes(data)
    home = tmp_path / "home"
    with tmpfs(home, "4m") as mounted:
        filler = home / "filler"
        if mounted:
            filler.write_bytes(b"\0" * (4096 * 1024 - 300 * 1024))
            result = cli(tmp_path, ledger=home / "ledger.sqlite")
            assert result.returncode == 2, result.stdout + result.stderr
            assert "đĩa đã đầy" in result.stderr and "Traceback" not in result.stderr
        else:  # no mounting here: the disk fills up after a few files, simulated
            filler.write_bytes(b"")
            real, calls = os.replace, []

            def fill_up(source, target):
                calls.append(target)
                if len(calls) > 6:
                    raise OSError(errno.ENOSPC, "No space left on device", str(target))
                return real(source, target)
            with monkeypatch.context() as patch:
                patch.setattr(os, "replace", fill_up)
                with pytest.raises(StorageError, match="đĩa đã đầy"):
                    run(Paths.beside_outbox(inbox, tmp_path / "outbox", home / "ledger.sqlite"), today=None)
        answered = records(home / "ledger.sqlite") if (home / "ledger.sqlite").exists() else {}
        assert 0 < len(answered) < len(sent)  # the disk filled up part way through
        for name in sent:  # each file is still in the inbox, or recorded with its copy
            assert (inbox / name).is_file() or (home / answered[name][0][1]).read_bytes() == sent[name]
        filler.unlink()
        result = cli(tmp_path, ledger=home / "ledger.sqlite")
        assert result.returncode == 0, result.stdout + result.stderr
        answered = records(home / "ledger.sqlite")
        assert sorted(answered) == sorted(sent)
        for name, data in sent.items():
            assert len(answered[name]) == 1 and (home / answered[name][0][1]).read_bytes() == data


# -- exit code ------------------------------------------------------------------------------------


def test_the_exit_code_follows_the_round_not_only_this_run(sender, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "mai-son.xlsx").write_bytes(hostile.cell_replaced("G6", b'<c r="G6"><v>-4</v></c>')(sender.valid("125")))
    assert cli(tmp_path).returncode == 1
    assert cli(tmp_path).returncode == 1  # nothing new, but Mai Sơn's rejected file is still outstanding
    (inbox / "mai-son-da-sua.xlsx").write_bytes(sender.valid("125"))
    assert cli(tmp_path).returncode == 0


def test_after_a_killed_run_the_exit_code_still_says_a_file_is_outstanding(sender, tmp_path, monkeypatch):
    class Killed(BaseException):
        """Stands for the process being killed while it rebuilt the outputs."""

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "mai-son.xlsx").write_bytes(hostile.cell_replaced("G6", b'<c r="G6"><v>-4</v></c>')(sender.valid("125")))
    with monkeypatch.context() as patch:
        patch.setattr(runner, "rebuild", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        with pytest.raises(Killed):
            run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=date(2024, 9, 9))
    assert not (inbox / "mai-son.xlsx").exists()  # answered and cleared before the kill
    result = cli(tmp_path)
    assert result.returncode == 1 and "Bị trả lại, chờ gửi lại: Mai Sơn." in result.stdout
