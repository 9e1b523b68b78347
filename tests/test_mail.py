"""Mail without manual saving, against real servers started here: Dovecot for IMAP (the districts'
reports arrive in a mailbox; `fetch` saves each one with a spreadsheet into the inbox, once, changing
nothing on the server, even when the connection drops midway) and aiosmtpd for SMTP (the reply drafts
go out only when allowed and confirmed, each once)."""

import hashlib
import imaplib
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.core.config import MailSettings
from pipeline.core.locations import MAIL_FETCHED_STATE
from pipeline.mail import fetch
from tests.support import mail_servers
from tests.support.helpers import ROOT, require, run_cli

pytestmark = pytest.mark.slow

ATTACHMENT = ROOT / "tests" / "golden" / "2024-annual_121_bac-yen.xlsx"


def _message(number: int, *, spreadsheet: bool = True, padding: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = f"Hội LHPN huyện số {number} <huyen{number}@example.vn>"
    message["To"] = mail_servers.USER
    message["Subject"] = f"Báo cáo Dự án 8 – thư {number}"
    message["Date"] = f"Mon, 0{number} Sep 2024 08:15:00 +0700"
    message["Message-ID"] = f"<bao-cao-{number}@example.vn>"
    message.set_content("Kính gửi Hội LHPN tỉnh, đơn vị gửi báo cáo." + " " * padding)
    if spreadsheet:
        message.add_attachment(ATTACHMENT.read_bytes(), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename=f"bao-cao-{number}.xlsx")
    else:
        message.add_attachment(b"\xff\xd8\xff\xe0 photo", maintype="image", subtype="jpeg", filename="anh.jpg")
    message.set_boundary(f"ranh-gioi-{number}")  # the same message, the same bytes
    return bytes(message)


@pytest.fixture
def dovecot():
    binary = require(shutil.which("dovecot") or (Path("/usr/sbin/dovecot").is_file() and "/usr/sbin/dovecot"),
                     "Dovecot (dovecot-imapd)")
    server = mail_servers.Dovecot(binary)
    yield server
    server.stop()


def _settings(port: int) -> MailSettings:
    return MailSettings(imap_host="127.0.0.1", imap_port=port, imap_security="none", imap_user=mail_servers.USER)


def test_fetch_saves_each_report_once_and_changes_nothing_on_the_server(tmp_path, dovecot):
    dovecot.deliver(_message(1), _message(2, spreadsheet=False), _message(3))
    before = dovecot.snapshot()
    inbox, state = tmp_path / "inbox", tmp_path / MAIL_FETCHED_STATE
    inbox.mkdir()
    first = fetch.fetch(_settings(dovecot.port), mail_servers.PASSWORD, inbox, state)
    assert first.error is None
    # every message, a report or not: the run answers each (one without a report is told so)
    assert [p.name for p in first.saved] == ["thu_2024-09-01_huyen1_1.eml", "thu_2024-09-02_huyen2_2.eml",
                                             "thu_2024-09-03_huyen3_3.eml"]
    assert first.saved[0].read_bytes().replace(b"\r\n", b"\n") == _message(1).replace(b"\r\n", b"\n")
    again = fetch.fetch(_settings(dovecot.port), mail_servers.PASSWORD, inbox, state)
    assert (again.saved, again.error) == ([], None)
    assert dovecot.snapshot() == before  # same messages, and not even marked as read
    assert all(b"\\Seen" not in flags for _, flags in before)
    remembered = json.loads(state.read_text(encoding="utf-8"))
    assert sorted(e["file"] for e in remembered["saved"].values()) == [p.name for p in first.saved]
    assert sorted(remembered["saved"]) == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in first.saved)
    assert {e["received"][:10] for e in remembered["saved"].values()} == {"2024-09-01", "2024-09-02", "2024-09-03"}
    assert mail_servers.PASSWORD not in state.read_text(encoding="utf-8")


def test_a_connection_dropped_midway_loses_nothing_and_fetches_nothing_twice(tmp_path, dovecot):
    dovecot.deliver(*(_message(n, padding=20_000) for n in range(1, 5)))
    inbox, state = tmp_path / "inbox", tmp_path / MAIL_FETCHED_STATE
    inbox.mkdir()
    size = len(_message(1, padding=20_000))
    proxy = mail_servers.CuttingProxy(dovecot.port, limit=int(size * 2.5))  # cut inside the third message
    cut = fetch.fetch(_settings(proxy.port), mail_servers.PASSWORD, inbox, state)
    proxy.close()
    assert proxy.cut.is_set()
    assert cut.error is not None and cut.error.startswith("mất kết nối với máy chủ thư 127.0.0.1")
    assert [p.name for p in cut.saved] == ["thu_2024-09-01_huyen1_1.eml", "thu_2024-09-02_huyen2_2.eml"]
    rest = fetch.fetch(_settings(dovecot.port), mail_servers.PASSWORD, inbox, state)
    assert rest.error is None
    assert [p.name for p in rest.saved] == ["thu_2024-09-03_huyen3_3.eml", "thu_2024-09-04_huyen4_4.eml"]
    assert sorted(p.name for p in inbox.iterdir()) == [f"thu_2024-09-0{n}_huyen{n}_{n}.eml" for n in range(1, 5)]
    for n in range(1, 5):
        saved = (inbox / f"thu_2024-09-0{n}_huyen{n}_{n}.eml").read_bytes()
        assert saved.replace(b"\r\n", b"\n") == _message(n, padding=20_000).replace(b"\r\n", b"\n")


def _config(tmp_path: Path, port: int, extra: str = "") -> Path:
    for folder in ("inbox", "outbox"):
        (tmp_path / folder).mkdir(exist_ok=True)
    config = tmp_path / "config.toml"
    config.write_text(f"plan = '{ROOT / 'plan'}'\n[contact]\noffice = 'Hội LHPN tỉnh Sơn La'\n"
                      f"email = 'duan8@example.vn'\n[mail]\nimap_host = '127.0.0.1'\nimap_port = {port}\n"
                      f"imap_security = 'none'\nimap_user = '{mail_servers.USER}'\n{extra}", encoding="utf-8")
    return config


def _cli(config: Path, *args: str, password: str | None = mail_servers.PASSWORD, **env: str):
    saved = dict(os.environ)
    os.environ.pop("P8_IMAP_PASSWORD", None)
    if password:
        os.environ["P8_IMAP_PASSWORD"] = password
    os.environ.update(env)
    try:
        return run_cli("--config", str(config), *args)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_run_fetches_first_when_configured_and_answers_the_reports(tmp_path, dovecot):
    dovecot.deliver(_message(1))
    config = _config(tmp_path, dovecot.port, "fetch_on_run = true\n")
    done = _cli(config, "run", "--today", "2024-09-12")
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.startswith(f"Thư mới từ hộp thư {mail_servers.USER} (INBOX): đã lưu 1 thư vào hộp thư đến "
                                  "(lần chạy sau trả lời từng thư, kể cả thư không có bảng tính đính kèm):\n"
                                  "  thu_2024-09-01_huyen1_1.eml\n")
    assert "thu_2024-09-01_huyen1_1.eml#1:bao-cao-1.xlsx" in done.stdout
    assert list((tmp_path / "inbox").iterdir()) == []
    again = _cli(config, "fetch")
    assert again.returncode == 0
    assert again.stdout == f"Không có thư mới trong hộp thư {mail_servers.USER} (INBOX).\n"


def test_fetch_without_a_password_says_where_to_put_it(tmp_path, dovecot):
    config = _config(tmp_path, dovecot.port)
    done = _cli(config, "fetch", password=None)
    assert done.returncode == 2
    assert done.stderr.startswith(f"Lỗi: chưa có mật khẩu của hộp thư {mail_servers.USER} trên 127.0.0.1: đặt biến "
                                  "môi trường P8_IMAP_PASSWORD")
    wrong = _cli(config, "fetch", password="sai-mat-khau")
    assert wrong.returncode == 2
    assert "máy chủ thư 127.0.0.1:" in wrong.stdout and "không nhận tên đăng nhập hoặc mật khẩu" in wrong.stdout


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Keep:
        def __init__(self):
            self.received: list[tuple[str, list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    keep = Keep()
    controller = Controller(keep, hostname="127.0.0.1", port=mail_servers.free_port(), auth_require_tls=False,
                            authenticator=lambda *args: AuthResult(success=True))
    controller.start()
    yield controller.port, keep.received
    controller.stop()


def _answered_by_mail(tmp_path: Path, dovecot, config: Path) -> None:
    dovecot.deliver(_message(1))
    done = _cli(config, "run", "--today", "2024-09-12")
    assert done.returncode in (0, 1), done.stderr


def test_reply_drafts_stay_drafts_unless_sending_is_on(tmp_path, dovecot, smtp_server):
    port, received = smtp_server
    config = _config(tmp_path, dovecot.port, f"fetch_on_run = true\nsmtp_host = '127.0.0.1'\nsmtp_port = {port}\n"
                                             "smtp_security = 'none'\n")
    _answered_by_mail(tmp_path, dovecot, config)
    done = _cli(config, "send", "--yes")
    assert done.returncode == 0 and done.stdout.startswith("Gửi thư trả lời đang tắt ([mail] send_replies = false")
    assert received == []


def test_reply_drafts_are_sent_once_after_the_officer_confirms(tmp_path, dovecot, smtp_server):
    port, received = smtp_server
    config = _config(tmp_path, dovecot.port, f"fetch_on_run = true\nsmtp_host = '127.0.0.1'\nsmtp_port = {port}\n"
                                             "smtp_security = 'none'\nsend_replies = true\n")
    _answered_by_mail(tmp_path, dovecot, config)
    declined = run_cli_with_input(config, "send", answer="khong\n")
    assert "Chưa gửi thư nào." in declined.stdout and received == []
    sent = run_cli_with_input(config, "send", answer="co\n")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.endswith("Đã gửi 1 thư trả lời.\n")
    [(sender, recipients, content)] = received
    assert (sender, recipients) == ("duan8@example.vn", ["huyen1@example.vn"])
    letter = message_from_bytes(content, policy=policy.default)
    assert (letter["From"], letter["X-Unsent"], letter["In-Reply-To"]) == ("duan8@example.vn", None,
                                                                          "<bao-cao-1@example.vn>")
    assert "Liên hệ: Hội LHPN tỉnh Sơn La (thư điện tử duan8@example.vn)." in letter.get_body(("plain",)).get_content()
    again = run_cli_with_input(config, "send", answer="co\n")
    assert again.stdout == "Không có thư trả lời nào chưa gửi.\n" and len(received) == 1


def run_cli_with_input(config: Path, *args: str, answer: str):
    import subprocess
    import sys

    env = {**os.environ, "P8_IMAP_PASSWORD": mail_servers.PASSWORD}
    return subprocess.run([sys.executable, str(ROOT / "run_pipeline.py"), "--config", str(config), *args],
                          input=answer, capture_output=True, text=True, timeout=300, env=env)


def _crafted(kind: str) -> bytes:
    """Messages that stopped every fetch when fetch parsed them (issue 30, finding 3)."""
    if kind == "message-id":
        return _message(5).replace(b"Message-ID: <bao-cao-5@example.vn>", b"Message-ID: <[x@y>")
    if kind == "deep":
        depth = 5_000
        opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n)
                           for n in range(depth))
        return (b"From: ke-la@example.vn\r\nDate: Tue, 03 Sep 2024 08:00:00 +0700\r\nMIME-Version: 1.0\r\n"
                + opening + b"Content-Type: text/plain\r\n\r\nx\r\n")
    if kind == "comments":
        return _message(6).replace(b"From: ", b"From: " + b"(" * 50_000, 1)
    raise ValueError(kind)


def test_a_crafted_message_never_stops_fetch_and_the_one_after_it_is_saved(tmp_path, dovecot):
    forged = _message(7).replace(b"<bao-cao-7@example.vn>", b"<bao-cao-8@example.vn>")  # a later mail's ID
    dovecot.deliver(_crafted("message-id"), _crafted("deep"), _crafted("comments"), forged, _message(8))
    inbox, state = tmp_path / "inbox", tmp_path / MAIL_FETCHED_STATE
    inbox.mkdir()
    report = fetch.fetch(_settings(dovecot.port), mail_servers.PASSWORD, inbox, state)
    assert report.error is None and len(report.saved) == 5
    assert report.saved[-1].name == "thu_2024-09-08_huyen8_5.eml"  # the genuine one, after the forgery
    assert report.saved[-1].read_bytes().replace(b"\r\n", b"\n") == _message(8).replace(b"\r\n", b"\n")


def test_a_fetched_report_counts_as_received_when_the_server_received_it(tmp_path, dovecot):
    """The sender's Date says 01/09; the server received it on 12/09 (after the deadline of 10/09)."""
    late = _message(1)
    imap = dovecot.client()
    assert imap.append("INBOX", None, imaplib.Time2Internaldate(datetime(2024, 9, 12, 9, 0, tzinfo=UTC)),
                       late)[0] == "OK"
    imap.logout()
    config = _config(tmp_path, dovecot.port, "fetch_on_run = true\n")
    done = _cli(config, "run", "--today", "2024-09-20")
    assert done.returncode in (0, 1), done.stderr
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        rows = dict(db.execute("SELECT original_name, received_at FROM submission"))
        codes = {r[0] for r in db.execute("SELECT code FROM finding")}
    assert rows["bao-cao-1.xlsx"].startswith("2024-09-12T")
    assert {"received-late", "email-date-differs"} <= codes


def test_a_draft_the_server_refuses_is_named_and_the_others_are_sent(tmp_path):
    """Issue 30, finding 10: a UTF-8 address to a server without SMTPUTF8, or a draft over the server's
    size limit, stopped `send` with a traceback at the same draft on every retry."""
    from aiosmtpd.controller import Controller

    from pipeline.core.config import Contact
    from pipeline.intake.saved_mail import reply_draft
    from pipeline.mail import send

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=mail_servers.free_port(), enable_SMTPUTF8=False,
                            data_size_limit=200_000)
    controller.start()
    try:
        outbox = tmp_path / "outbox" / "2024-annual" / "feedback"
        outbox.mkdir(parents=True)
        drafts = []
        for name, to, body in (("a", "hội.phụ.nữ@ví-dụ.vn", "Kính gửi."), ("b", "huyen2@example.vn", "x " * 200_000),
                               ("c", "huyen3@example.vn", "Kính gửi.")):
            path = outbox / f"{name}_thu-tra-loi.eml"
            path.write_bytes(reply_draft(to=to, sender="duan8@example.vn", subject="Báo cáo", body=body,
                                         in_reply_to=None))
            drafts.append(path)
        settings = MailSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none")
        state = tmp_path / "mail-sent.json"
        report = send.send(settings, "", Contact(email="duan8@example.vn"), tmp_path / "outbox", drafts, state)
    finally:
        controller.stop()
    assert report.sent == [drafts[2]] and received == [["huyen3@example.vn"]]
    reasons = dict(report.failed)
    assert reasons[drafts[0]] == "địa chỉ có dấu tiếng Việt mà máy chủ thư không nhận (không hỗ trợ SMTPUTF8)"
    assert reasons[drafts[1]].startswith("máy chủ từ chối thư (mã 552")


def test_drafts_to_one_address_go_as_one_message(tmp_path):
    """Issue 30, finding 10: one forged sender with fifty e-mails got fifty replies. However many e-mails
    an address sent, one sending writes to it once, with every reply's text and the marked copies the
    bound allows."""
    from aiosmtpd.controller import Controller

    from pipeline.core.config import Contact
    from pipeline.intake.feedback import REPLY_COPIES
    from pipeline.intake.saved_mail import reply_draft
    from pipeline.mail import send

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=mail_servers.free_port())
    controller.start()
    try:
        feedback = tmp_path / "outbox" / "2024-annual" / "feedback"
        feedback.mkdir(parents=True)
        drafts = []
        for number in range(1, 13):
            to = "Ke La <KE.LA@example.com>" if number != 5 else "huyen5@example.vn"
            path = feedback / f"{number:06d}_thu-tra-loi.eml"
            path.write_bytes(reply_draft(to=to, sender="duan8@example.vn", subject=f"Re: Báo cáo {number}",
                                         body=f"Trả lời số {number}.", in_reply_to=f"<m{number}@example.com>",
                                         attachment=(f"ban-{number}.xlsx", b"PK" + bytes([number]) * 100)))
            drafts.append(path)
        settings = MailSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none")
        state = tmp_path / "mail-sent.json"
        report = send.send(settings, "", Contact(email="duan8@example.vn"), tmp_path / "outbox", drafts, state)
        assert send.unsent(tmp_path / "outbox", state) == []
    finally:
        controller.stop()
    assert sorted(report.sent) == drafts and report.failed == [] and report.messages == 2
    assert [to for to, _ in received] == [["KE.LA@example.com"], ["huyen5@example.vn"]]
    letter = message_from_bytes(received[0][1], policy=policy.default)
    text = letter.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert letter["Subject"] == "Trả lời 11 thư đã gửi Hội LHPN tỉnh" and letter["In-Reply-To"] == "<m1@example.com>"
    assert all(f"===== Re: Báo cáo {n} =====\n\nTrả lời số {n}." in text for n in range(1, 13) if n != 5), text
    assert "Trả lời số 5." not in text
    names = [part.get_filename() for part in letter.iter_attachments()]
    assert names == [f"ban-{n}.xlsx" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11)] and len(names) == REPLY_COPIES


def test_reminders_go_to_units_that_have_not_sent_and_send_sends_them(tmp_path, plan_copy, smtp_server):
    """Issue 31, deadline reminders: `remind --days 3` writes a reminder draft to every unit that has sent
    nothing for a round due within three days; the status page links it; `send` sends it."""
    from pipeline.plan.loader import load_plan
    from tests.support.installation import send as send_report
    from tests.support.installation import with_senders

    port, received = smtp_server
    with_senders(plan_copy, {"121": "hoiphunu.bacyen@example.vn", "125": "hoiphunu.maison@example.vn",
                             "128": "hoiphunu.vanho@example.vn"})
    for folder in ("inbox", "outbox"):
        (tmp_path / folder).mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f"plan = '{plan_copy}'\ninbox = 'inbox'\noutbox = 'outbox'\n[contact]\n"
                      "office = 'Hội LHPN tỉnh Sơn La'\nemail = 'duan8@example.vn'\n[mail]\nsmtp_host = '127.0.0.1'\n"
                      f"smtp_port = {port}\nsmtp_security = 'none'\nsend_replies = true\n", encoding="utf-8")
    send_report(load_plan(plan_copy), tmp_path, "121")
    assert run_cli("--config", str(config), "run", "--today", "2024-09-08").returncode == 0

    early = run_cli("--config", str(config), "remind", "--days", "1", "--today", "2024-09-08")
    assert early.returncode == 0 and early.stdout.startswith("Không có kỳ báo cáo nào đang mở có hạn")
    result = run_cli("--config", str(config), "remind", "--days", "3", "--today", "2024-09-08")
    assert result.returncode == 0, result.stderr
    drafts = sorted((tmp_path / "outbox" / "2024-annual" / "nhac-han").glob("*.eml"))
    assert [d.name for d in drafts] == ["125_mai-son_2024-09-08_thu-nhac-han.eml",
                                        "128_van-ho_2024-09-08_thu-nhac-han.eml"]
    assert "CHÚ Ý: Phù Yên (kỳ 2024-annual) chưa gửi báo cáo nhưng chưa có địa chỉ thư đã đăng ký" in result.stdout
    letter = message_from_bytes(drafts[0].read_bytes(), policy=policy.default)
    assert (letter["To"], letter["From"]) == ("hoiphunu.maison@example.vn", "duan8@example.vn")
    assert letter["Subject"] == "Nhắc hạn gửi báo cáo Dự án 8 – Báo cáo kết quả năm 2024 (hạn 10/09/2024)"
    text = letter.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Kính gửi: Hội LHPN huyện Mai Sơn\n") and "10/09/2024 (còn 2 ngày)" in text
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert 'href="2024-annual/nhac-han/125_mai-son_2024-09-08_thu-nhac-han.eml">thư nhắc hạn 08/09</a>' in page

    sent = run_cli_with_input(config, "send", "--yes", answer="")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sorted(to for _, to, _ in received) == [["hoiphunu.maison@example.vn"], ["hoiphunu.vanho@example.vn"]]
