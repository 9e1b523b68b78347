"""Issue 30, finding 15: exit codes and what a run leaves behind. An internal error in any command is
one Vietnamese line, exit 2, with its traceback in a log file; temporary files of a killed run are
removed by the next run; what reader processes print goes to the run's logs, not the officer's
screen; a report in an e-mail whose Message-ID the parser cannot take is still read."""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from pipeline.app.runner import run
from pipeline.cli import commands
from pipeline.cli.main import main
from pipeline.core.atomic import remove_leftovers
from pipeline.core.errors import BusyError
from pipeline.core.locations import Paths
from pipeline.intake.isolation import WorkerPool
from pipeline.ledger.lock import exclusive_inbox
from pipeline.plan.loader import DEFAULT_PLAN_DIR
from tests.support import hostile, isolation_tasks
from tests.support.helpers import ROOT
from tests.test_ingest import Bank

pytestmark = pytest.mark.integration


def test_an_internal_error_is_one_line_exit_2_and_a_log_file(tmp_path, monkeypatch, capsys):
    def broken(*_args):
        raise KeyError("a defect")

    monkeypatch.setitem(commands.COMMANDS, "status", broken)
    config = tmp_path / "config.toml"
    (tmp_path / "outbox").mkdir()
    config.write_text(f'outbox = "{(tmp_path / "outbox").as_posix()}"\nplan = "{DEFAULT_PLAN_DIR.as_posix()}"\n',
                      encoding="utf-8")
    code = main(["--config", str(config), "status"])
    out, err = capsys.readouterr()
    [kept] = list((tmp_path / "outbox" / "logs").glob("loi-noi-bo_*.txt"))
    assert (code, out) == (2, "")
    assert err == f"Lỗi: lỗi nội bộ của chương trình (KeyError); chi tiết ghi ở {kept}; hãy gửi tệp đó cho người " \
                  "phát triển.\n"
    assert "Traceback" in kept.read_text(encoding="utf-8") and "a defect" in kept.read_text(encoding="utf-8")


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(plan, tmp_path):
    outbox = tmp_path / "outbox"
    (outbox / "2024-annual").mkdir(parents=True)
    old = outbox / "2024-annual" / ".tong-hop_2024-annual.xlsx.k3j2h1.tmp"
    fresh = outbox / ".index.html.a1b2c3.tmp"  # maybe another command's, writing now
    mine = outbox / "ghi-chu.tmp"  # not ours: never touched
    for path in (old, fresh, mine):
        path.write_bytes(b"half")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    os.utime(mine, (hour_ago, hour_ago))
    (tmp_path / "inbox").mkdir()
    run(Paths.beside_outbox(tmp_path / "inbox", outbox), today=date(2024, 9, 5))
    assert not old.exists() and fresh.exists() and mine.exists()
    assert remove_leftovers(tmp_path / "no-such-folder") == []


def test_what_a_reader_prints_goes_to_the_log_file(tmp_path, capfd):
    log = tmp_path / "logs" / "tien-trinh-doc-tep.log"
    log.parent.mkdir()
    with WorkerPool(size=1, stderr=log) as pool:
        assert pool.call(isolation_tasks.noisy, 7) == 7
    assert "panicked" not in capfd.readouterr().err
    assert "panicked at calamine" in log.read_text(encoding="utf-8")


def test_a_report_in_a_mail_with_a_malformed_message_id_is_read(plan, tmp_path):
    bank = Bank(plan, tmp_path, "", keyed=True)
    report = bank.filled("staging.xlsx", "121")
    message = EmailMessage()
    message["From"] = "hoiphunu.bacyen@example.vn"
    message["Subject"] = "Báo cáo"
    message.set_content("Kính gửi.")
    message.add_attachment(report.read_bytes(), maintype=hostile.XLSX_TYPE[0], subtype=hostile.XLSX_TYPE[1],
                           filename="bao-cao.xlsx")
    report.unlink()
    raw = bytes(message).replace(b"Subject:", b"Message-ID: <[x@y>\nSubject:", 1)
    (bank.inbox / "thu.eml").write_bytes(raw)
    (tmp_path / "outbox").mkdir()
    result = run(Paths.beside_outbox(bank.inbox, tmp_path / "outbox"), today=date(2024, 9, 5))
    statuses = {o.record.original_name: o.record.status for o in result.outcomes}
    assert statuses == {"bao-cao.xlsx": "accepted", "thu.eml": "unpacked"}


def test_a_file_still_being_written_is_left_for_the_next_run(plan, tmp_path, monkeypatch):
    """Issue 30, finding 7: a file copied into the inbox while the run reads it. Its partial bytes were
    stored and the final file cleared from the inbox, never stored."""
    monkeypatch.setenv("P8_INBOX_SETTLE_SECONDS", "1.5")
    bank = Bank(plan, tmp_path, "")
    whole = bank.filled("staging.xlsx", "121").read_bytes()
    (bank.inbox / "staging.xlsx").unlink()
    target = bank.inbox / "bao-cao.xlsx"
    target.write_bytes(whole[: len(whole) // 3])

    def copy_the_rest():
        for part in (whole[len(whole) // 3: 2 * len(whole) // 3], whole[2 * len(whole) // 3:]):
            time.sleep(0.6)
            with target.open("ab") as handle:
                handle.write(part)

    writer = threading.Thread(target=copy_the_rest)
    writer.start()
    (tmp_path / "outbox").mkdir()
    paths = Paths.beside_outbox(bank.inbox, tmp_path / "outbox")
    first = run(paths, today=date(2024, 9, 5))
    writer.join()
    assert first.outcomes == [] and first.failed == [target] and target.read_bytes() == whole
    second = run(paths, today=date(2024, 9, 5))
    [outcome] = second.outcomes
    assert outcome.record.status == "accepted" and outcome.record.size == len(whole)
    assert not target.exists()


def test_two_runs_with_different_ledgers_never_take_the_same_files(plan, tmp_path):
    """Issue 30, finding 8: two runs sharing an inbox with different ledgers ended in an uncaught
    FileNotFoundError. The second now waits for the first (a lock on the inbox folder), then finds
    the inbox empty; every file is answered once, in one ledger."""
    bank = Bank(plan, tmp_path, "")
    for n, unit in enumerate(("121", "125", "123", "120", "122", "118", "126", "127")):
        bank.filled(f"bao-cao-{n}.xlsx", unit)
    for name in ("a", "b"):
        (tmp_path / name / "outbox").mkdir(parents=True)
    runs = [subprocess.Popen([sys.executable, str(ROOT / "run_pipeline.py"), "run", "--inbox", str(bank.inbox),
                              "--outbox", str(tmp_path / name / "outbox"), "--today", "2024-09-05", "--wait", "120"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("a", "b")]
    results = [r.communicate(timeout=300) for r in runs]
    assert all("Traceback" not in err for _, err in results), results
    assert [r.returncode for r in runs] == [0, 0], results
    counts = []
    for name in ("a", "b"):
        with sqlite3.connect(tmp_path / name / "ledger.sqlite") as db:
            counts.append(db.execute("SELECT COUNT(*) FROM submission").fetchone()[0])
    assert sorted(counts) == [0, 8] and list(bank.inbox.iterdir()) == []


def test_a_held_inbox_makes_another_run_wait_then_say_so(plan, tmp_path):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    (tmp_path / "inbox" / "x.xlsx").write_bytes(b"PK")
    with exclusive_inbox(tmp_path / "inbox"), pytest.raises(BusyError, match="đang đọc hộp thư đến"):
        run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), today=date(2024, 9, 5), wait=0.5)


def test_a_msg_whose_bytes_are_a_path_is_never_followed(plan, tmp_path):
    """Issue 30, finding 2: a 38-byte .msg whose bytes name a file made the reader open that file (the
    library takes short bytes for a path) and record its attachment as an accepted report; one naming
    a FIFO cost minutes."""
    bank = Bank(plan, tmp_path, "")
    outside = bank.filled("staging.xlsx", "121").rename(tmp_path / "ngoai-hop-thu.msg")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (bank.inbox / "duong-dan.msg").write_bytes(str(outside).encode())
    (bank.inbox / "fifo.msg").write_bytes(str(fifo).encode())
    (tmp_path / "outbox").mkdir()
    started = time.monotonic()
    report = run(Paths.beside_outbox(bank.inbox, tmp_path / "outbox"), today=date(2024, 9, 5))
    assert time.monotonic() - started < 60
    assert {o.record.original_name: (o.record.status, [f.code for f in o.findings]) for o in report.outcomes} == {
        "duong-dan.msg": ("rejected", ["file-unreadable"]), "fifo.msg": ("rejected", ["file-unreadable"])}


def test_every_spreadsheet_of_a_mail_is_answered_even_past_the_limit(plan, tmp_path):
    """Issue 30, finding 6: of 500 spreadsheets attached to one e-mail, 450 got no answer at all."""
    attachments = [(f"bao-cao-{n:03d}.xlsx", b"PK\x03\x04 not a workbook") for n in range(60)]
    (tmp_path / "inbox").mkdir()
    (tmp_path / "outbox").mkdir()
    (tmp_path / "inbox" / "nhieu-tep.eml").write_bytes(hostile.email_with(attachments))
    report = run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), today=date(2024, 9, 5))
    envelope = next(o for o in report.outcomes if o.record.original_name == "nhieu-tep.eml")
    assert len(report.outcomes) == 51  # 50 read and answered one by one, and the e-mail itself
    [over] = [f for f in envelope.findings if f.code == "email-too-many-attachments"]
    assert over.message.startswith("Thư có quá nhiều bảng tính đính kèm: chương trình đọc 50 tệp đầu; 10 tệp sau "
                                   "chưa được đọc: «bao-cao-050.xlsx», «bao-cao-051.xlsx»")


def test_a_reply_to_a_sender_who_failed_the_check_is_not_sent_unless_asked(plan, tmp_path):
    """Issue 30, finding 10: a forged sender got a reply per file it sent. A draft to an address that
    failed the sender check is kept apart; `send` takes it only with --unverified."""
    from pipeline.mail import send

    bank = Bank(plan, tmp_path, "", keyed=True)
    (tmp_path / "outbox").mkdir()
    paths = Paths.beside_outbox(bank.inbox, tmp_path / "outbox")
    for day, sender in ((date(2024, 9, 3), "hoiphunu.bacyen@example.vn"), (date(2024, 9, 5), "ke-gia-mao@example.vn")):
        report_file = bank.filled("staging.xlsx", "121", **{"in_comm_groups_note": sender})
        message = EmailMessage()
        message["From"] = sender
        message["Subject"] = "Báo cáo Dự án 8"
        message.set_content("Kính gửi.")
        message.add_attachment(report_file.read_bytes(), maintype=hostile.XLSX_TYPE[0],
                               subtype=hostile.XLSX_TYPE[1], filename="bao-cao.xlsx")
        report_file.unlink()
        (bank.inbox / f"thu-{day.day}.eml").write_bytes(bytes(message))
        run(paths, today=day)
    state = tmp_path / "mail-sent.json"
    held = send.unsent(paths.outbox, state, unverified=True)
    ordinary = send.unsent(paths.outbox, state)
    assert len(ordinary) == 1 and ordinary[0].name.endswith("_thu-tra-loi.eml")
    assert [d.name.endswith("_thu-tra-loi_chua-xac-minh.eml") for d in held if d not in ordinary] == [True]
    assert b"To: ke-gia-mao@example.vn" in next(d for d in held if d not in ordinary).read_bytes()


def test_an_email_of_many_files_gets_one_reply_with_every_answer(plan, tmp_path):
    """Issue 30, finding 10: one forged sender with 50 attachments got 50 replies. An e-mail now gets
    one reply: every file's answer in it, marked copies attached."""
    bank = Bank(plan, tmp_path, "", keyed=True)
    files = []
    for unit, changes in (("121", {}), ("125", {"in_comm_groups_estimate": -1}), ("123", {})):
        path = bank.filled(f"staging-{unit}.xlsx", unit, **changes)
        files.append((f"bao-cao-{unit}.xlsx", path.read_bytes()))
        path.unlink()
    files.append(("hong.xlsx", b"PK\x03\x04 broken"))
    (bank.inbox / "thu.eml").write_bytes(hostile.email_with(files, sender="hoiphunu.bacyen@example.vn"))
    (tmp_path / "outbox").mkdir()
    report = run(Paths.beside_outbox(bank.inbox, tmp_path / "outbox"), today=date(2024, 9, 5))
    drafts = [p for o in report.outcomes for p in o.feedback if p.suffix == ".eml"]
    assert len(report.outcomes) == 5 and len(drafts) == 1
    draft = message_from_bytes(drafts[0].read_bytes(), policy=policy.default)
    body = draft.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Thư gửi kèm 4 tệp bảng tính: 2 tệp đã tiếp nhận, 2 tệp chưa tiếp nhận.")
    for name, verdict in (("bao-cao-121.xlsx", "ĐÃ"), ("bao-cao-125.xlsx", "CHƯA"), ("bao-cao-123.xlsx", "ĐÃ"),
                          ("hong.xlsx", "CHƯA")):
        assert f"===== Tệp «{name}»: {verdict} TIẾP NHẬN =====" in body
    assert [a.get_filename().endswith("bao-cao-125_phan-hoi.xlsx") for a in draft.iter_attachments()] == [True]
    assert draft["Subject"] == "Re: Báo cáo Dự án 8 – 4 tệp: 2 đã tiếp nhận"


def test_office_lock_files_are_kept_without_a_letter(plan, tmp_path):
    """Issue 31, finding 12: Excel's owner file (~$name.xlsx) got a formal rejection letter. Lock files
    of Excel and LibreOffice are recorded and archived byte-identical, and nobody is written to."""
    bank = Bank(plan, tmp_path, "")
    bank.filled("bao-cao.xlsx", "121")
    owner = b"\x05Nguyen" + b"\x20" * 48 + "Nguyễn".encode("utf-16-le") + b"\x00" * 100
    lock = "ꓘ,Nguyễn Văn A,MAY-TINH,06.12.2026 08:00,file:///C:/Users/a/AppData;\n".encode()
    (bank.inbox / "~$bao-cao.xlsx").write_bytes(owner)
    (bank.inbox / ".~lock.bao-cao.xlsx#").write_bytes(lock)
    (tmp_path / "outbox").mkdir()
    result = subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), "run", "--inbox", str(bank.inbox),
                             "--outbox", str(tmp_path / "outbox"), "--today", "2024-09-05"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Bỏ qua (tệp khóa)    ~$bao-cao.xlsx  (1 phát hiện)" in result.stdout
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        rows = dict(db.execute("SELECT original_name, status FROM submission"))
        stored = dict(db.execute("SELECT original_name, stored_path FROM submission"))
    assert rows == {"bao-cao.xlsx": "accepted", "~$bao-cao.xlsx": "ignored", ".~lock.bao-cao.xlsx#": "ignored"}
    assert (tmp_path / stored["~$bao-cao.xlsx"]).read_bytes() == owner
    assert (tmp_path / stored[".~lock.bao-cao.xlsx#"]).read_bytes() == lock
    answers = [p.name for p in (tmp_path / "outbox").rglob("*") if p.is_file() and "phan-hoi" in p.name]
    assert answers and not [name for name in answers if "lock" in name or "~" in name]
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "bao-cao.xlsx" in page and "~$bao-cao" not in page and ".~lock" not in page


def test_output_cut_short_by_a_pipe_ends_quietly():
    """Issue 31, finding 12: `plan --json | head` ended in a BrokenPipe traceback (its 77 KB are more
    than a pipe holds, so the write meets the closed pipe)."""
    command = f"{sys.executable} {ROOT / 'run_pipeline.py'} plan --json | head -c 10"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120)
    assert len(result.stdout.encode()) == 10 and result.stderr == ""


def test_the_province_levels_letter_goes_to_the_unions_own_office(plan, tmp_path):
    """Issue 31, finding 12: the province level's letters began «Kính gửi: Cấp tỉnh»."""
    bank = Bank(plan, tmp_path, "")
    bank.filled("cap-tinh.xlsx", "14")
    (tmp_path / "outbox").mkdir()
    report = run(Paths.beside_outbox(bank.inbox, tmp_path / "outbox"), today=date(2024, 9, 5))
    [outcome] = report.outcomes
    letter = outcome.feedback[0].read_text(encoding="utf-8")
    assert letter.startswith("Kính gửi: Văn phòng Hội Liên hiệp Phụ nữ tỉnh Sơn La\n"), letter[:80]


def test_an_output_open_in_excel_is_named_and_written_by_the_next_run(plan, tmp_path, monkeypatch, capsys):
    """Issue 31, finding 8: an output open in Excel or Word stopped the run with a message that named a
    hidden .tmp file and said to free disk space. Windows refuses to replace a file another program
    holds (a sharing violation): here os.replace is made to refuse as Windows does."""
    import errno as errno_codes

    from pipeline.core import atomic

    bank = Bank(plan, tmp_path, "")
    bank.filled("bac-yen.xlsx", "121")
    (tmp_path / "outbox").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'inbox = "{bank.inbox.as_posix()}"\noutbox = "{(tmp_path / "outbox").as_posix()}"\n'
                      f'plan = "{DEFAULT_PLAN_DIR.as_posix()}"\n', encoding="utf-8")
    assert main(["--config", str(config), "run", "--today", "2024-09-05"]) == 0
    workbook = tmp_path / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx"
    report = tmp_path / "outbox" / "2024-annual" / "bao-cao_2024-annual.docx"
    kept, before = workbook.read_bytes(), report.read_bytes()
    real = os.replace

    def held_open(source, target):
        if Path(target).name == workbook.name:
            refused = PermissionError(errno_codes.EACCES, "The process cannot access the file", str(target))
            refused.winerror = 32  # ERROR_SHARING_VIOLATION
            raise refused
        return real(source, target)

    monkeypatch.setattr(atomic.os, "replace", held_open)
    bank.filled("mai-son.xlsx", "125")
    capsys.readouterr()
    code = main(["--config", str(config), "run", "--today", "2024-09-05"])
    out, err = capsys.readouterr()
    assert code == 1 and err == ""
    assert f"CHÚ Ý: chưa ghi được {workbook}: tệp đang mở trong Excel, Word hoặc chương trình khác." in out
    assert ".tmp" not in out and "dung lượng" not in out
    assert workbook.read_bytes() == kept and report.read_bytes() != before  # the rest was written
    assert not list(workbook.parent.glob(".*.tmp"))

    monkeypatch.setattr(atomic.os, "replace", real)  # the officer closed Excel
    assert main(["--config", str(config), "run", "--today", "2024-09-05"]) == 0
    rows = openpyxl.load_workbook(workbook)["Tình hình nộp báo cáo"].iter_rows(values_only=True)
    assert workbook.read_bytes() != kept and any("Mai Sơn" in str(row) for row in rows)
