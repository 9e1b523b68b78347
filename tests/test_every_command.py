"""Every command, every broken input: no traceback (issue 30). Each command is given what it reads,
broken — a ledger changed outside the program, a malformed package or plan workbook, a mail server
that is not there, a mangled draft — and answers in Vietnamese, with the documented exit code, never
a Python traceback."""

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline.app.runner import run
from pipeline.core.locations import Paths
from tests.support import mail_servers
from tests.support.helpers import ROOT
from tests.support.installation import send

pytestmark = pytest.mark.integration

ROUND = "2024-annual"


def _cli(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), "--config", str(root / "config.toml"),
                           *args], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def installed(plan, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("installed")
    (root / "outbox").mkdir()
    send(plan, root, "121")
    run(Paths.beside_outbox(root / "inbox", root / "outbox"), today=date(2024, 9, 9))
    (root / "config.toml").write_text(
        f"plan = '{ROOT / 'plan'}'\ninbox = 'inbox'\noutbox = 'outbox'\ntemplates = 'mau'\n"
        "[contact]\noffice = 'Hội LHPN tỉnh Sơn La'\nemail = 'duan8@example.vn'\n"
        f"[mail]\nimap_host = '127.0.0.1'\nimap_port = {mail_servers.free_port()}\nimap_security = 'none'\n"
        f"imap_user = 'duan8'\nsmtp_host = '127.0.0.1'\nsmtp_port = {mail_servers.free_port()}\n"
        "smtp_security = 'none'\nsend_replies = true\n", encoding="utf-8")
    return root


def _one_vietnamese_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), result.stderr
    return lines[0]


LEDGER_COMMANDS = {
    "run": ["run", "--today", "2024-09-09"],
    "status": ["status", "--today", "2024-09-09"],
    "report": ["report", "--round", ROUND],
    "approve": ["approve", "--round", ROUND],
    "reopen": ["reopen", "--round", ROUND],
    "confirm": ["confirm", "--record", "1"],
    "export": ["export"],
    "templates": ["templates", "--round", "2025-annual"],
    "accept-ledger": ["accept-ledger"],
}


@pytest.mark.parametrize("command", sorted(LEDGER_COMMANDS))
def test_a_ledger_changed_outside_the_program_stops_every_command_in_one_line(home, command):
    with sqlite3.connect(home / "ledger.sqlite") as db:
        db.execute("UPDATE value SET number = number + 1 WHERE rowid = (SELECT MIN(rowid) FROM value"
                   " WHERE number IS NOT NULL)")
    result = _cli(home, *LEDGER_COMMANDS[command])
    assert result.returncode == 2
    assert "đã bị thay đổi bên ngoài chương trình: bản ghi số 1" in _one_vietnamese_line(result)


def test_a_malformed_package_is_refused_by_rollup_without_a_traceback(home):
    package = home / "goi"
    package.mkdir()
    (package / "datapackage.json").write_text('{"resources": 7, "name": [1, 2]}', encoding="utf-8")
    result = _cli(home, "rollup", str(package), "--out", str(home / "toan-quoc"))
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "không" in result.stdout


def test_a_plan_workbook_that_is_not_a_workbook_is_refused_without_a_traceback(home):
    (home / "ke-hoach.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    result = _cli(home, "plan", "--from-workbook", str(home / "ke-hoach.xlsx"), "--out", str(home / "moi"))
    assert result.returncode in (1, 2) and "Traceback" not in result.stdout + result.stderr
    assert not (home / "moi").exists()


def test_fetch_without_a_mail_server_says_so_in_one_line(home):
    result = _cli(home, "fetch", env={"P8_IMAP_PASSWORD": "x"})
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith("LỖI khi tải thư: không kết nối được tới máy chủ thư 127.0.0.1:")
    assert "Không có thư mới" not in result.stdout  # it could not look


def test_send_with_a_mangled_draft_and_no_server_names_it_without_a_traceback(home):
    feedback = home / "outbox" / ROUND / "feedback"
    feedback.mkdir(parents=True, exist_ok=True)
    (feedback / "000099_x_thu-tra-loi.eml").write_bytes(b"\xff\xfe\x00To: \x00\r\n\r\n" + b"\x80" * 100)
    result = _cli(home, "send", "--yes", env={"P8_IMAP_PASSWORD": "x"})
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr and result.stderr == ""
    assert "LỖI khi gửi thư: không kết nối được tới máy chủ gửi thư 127.0.0.1:" in result.stdout
