"""Issue 30, finding 1: the date a sender writes in an e-mail is never trusted for a deadline or a zip
header. A report counts as received when the province's mail server received it (the topmost
Received header), or when the run takes it; the sender's Date is recorded beside it."""

import sqlite3
from datetime import date
from email.message import EmailMessage

import pytest

from pipeline.app.rebuild import rebuild_round
from pipeline.app.runner import run
from pipeline.core.locations import Paths
from pipeline.intake.records import received_moment
from tests.support import hostile
from tests.test_ingest import Bank

pytestmark = pytest.mark.integration


def _email(attachment: bytes, *, sent: str, received: str | None) -> bytes:
    message = EmailMessage()
    if received:  # what the province's server adds on top when the message arrives; below it, the sender's
        message["Received"] = f"from mx.example.vn by mail.hoilhpn-sonla.example.vn with ESMTPS; {received}"
        message["Received"] = "from pc by mx.example.vn; Mon, 02 Sep 2024 08:00:00 +0700"
    message["From"] = "hoiphunu.bacyen@example.vn"
    message["To"] = "duan8@example.vn"
    message["Date"] = sent
    message["Subject"] = "Báo cáo Dự án 8"
    message["Message-ID"] = f"<{abs(hash(sent + str(received)))}@example.vn>"
    message.set_content("Kính gửi Hội LHPN tỉnh.")
    message.add_attachment(attachment, maintype=hostile.XLSX_TYPE[0], subtype=hostile.XLSX_TYPE[1],
                           filename="bao-cao.xlsx")
    return bytes(message)


def _run(plan, tmp_path, mails: dict, today: date):
    """Each e-mail carries the report of another unit (two copies of one file would be a duplicate)."""
    bank = Bank(plan, tmp_path, "")
    for (name, make), unit in zip(mails.items(), ("121", "125", "123"), strict=False):
        report_file = bank.filled("staging.xlsx", unit)
        attachment = report_file.read_bytes()
        report_file.unlink()
        (bank.inbox / name).write_bytes(make(attachment))
    (tmp_path / "outbox").mkdir()
    paths = Paths.beside_outbox(bank.inbox, tmp_path / "outbox")
    return paths, run(paths, today=today)


def test_a_mail_dated_9999_or_2108_is_received_when_the_run_takes_it(plan, tmp_path):
    paths, report = _run(plan, tmp_path, {
        "nam-9999.eml": lambda a: _email(a, sent="Fri, 31 Dec 9999 23:59:59 +0000", received=None),
        "nam-2108.eml": lambda a: _email(a, sent="Sun, 01 Jan 2108 00:00:00 +0000", received=None)},
        today=date(2024, 9, 9))
    with sqlite3.connect(paths.ledger) as db:
        moments = {r[0] for r in db.execute("SELECT received_at FROM submission")}
    assert moments == {"2024-09-09"}
    envelopes = {o.record.original_name: o for o in report.outcomes if o.record.original_name.endswith(".eml")}
    assert [f.message for f in envelopes["nam-9999.eml"].findings if f.code == "email-date-differs"] == [
        "Thư ghi ngày gửi 31/12/9999, nhưng máy chủ thư của tỉnh nhận thư ngày 09/09/2024. Hạn nộp được tính "
        "theo ngày tỉnh nhận thư."]
    again = run(paths, today=date(2024, 9, 10))  # a later run, and the round's report, still work
    assert again.outcomes == []
    rebuild_round(paths, "2024-annual", today=date(2024, 9, 10))
    assert (paths.outbox / "2024-annual" / "bao-cao_2024-annual.docx").is_file()


def test_a_backdated_mail_is_late_by_the_day_the_province_received_it(plan, tmp_path):
    _, report = _run(plan, tmp_path, {
        "lui-ngay.eml": lambda a: _email(a, sent="Thu, 05 Sep 2024 08:00:00 +0700",
                                         received="Wed, 25 Sep 2024 09:30:00 +0700"),
        "dung-han.eml": lambda a: _email(a, sent="Mon, 09 Sep 2024 08:00:00 +0700",
                                         received="Mon, 09 Sep 2024 08:01:00 +0700")},
        today=date(2024, 9, 25))
    by_mail = {}
    for outcome in report.outcomes:
        by_mail.setdefault(outcome.record.inbox_path.split("#")[0], []).extend(f.code for f in outcome.findings)
    assert "received-late" in by_mail["lui-ngay.eml"] and "email-date-differs" in by_mail["lui-ngay.eml"]
    assert "received-late" not in by_mail["dung-han.eml"] and "email-date-differs" not in by_mail["dung-han.eml"]


def test_the_server_moment_is_never_after_the_run_nor_before_2000():
    assert received_moment("2024-09-09T08:01:00+07:00", "2024-09-25") == "2024-09-09T08:01:00+07:00"
    assert received_moment("2030-01-01T00:00:00+00:00", "2024-09-25") == "2024-09-25"
    assert received_moment("1970-01-01T00:00:00+00:00", "2024-09-25") == "2024-09-25"
    assert received_moment(None, "2024-09-25T10:00:00") == "2024-09-25T10:00:00"
