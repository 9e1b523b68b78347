"""Issue 30, finding 15: exit codes and what a run leaves behind. An internal error in any command is
one Vietnamese line, exit 2, with its traceback in a log file; temporary files of a killed run are
removed by the next run; what reader processes print goes to the run's logs, not the officer's
screen; a report in an e-mail whose Message-ID the parser cannot take is still read."""

import os
import time
from datetime import date
from email.message import EmailMessage

import pytest

from pipeline.app.runner import run
from pipeline.cli import commands
from pipeline.cli.main import main
from pipeline.core.atomic import remove_leftovers
from pipeline.core.locations import Paths
from pipeline.intake.isolation import WorkerPool
from pipeline.plan.loader import DEFAULT_PLAN_DIR
from tests.support import hostile, isolation_tasks
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
    bank = Bank(plan, tmp_path, "")
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
