"""One judgement of who sent and when, the same in every output (issue 31, findings 2 and 3): a unit
on time with its first file stays on time when it corrects after the deadline («bổ sung sau hạn»);
a unit that sends after approval has sent, and is not listed as «Chưa gửi»."""

from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.approval import approve
from pipeline.app.runner import run
from pipeline.core.locations import Paths
from tests.support.report_text import all_text
from tests.test_ingest import Bank

pytestmark = pytest.mark.integration

ROUND = "2024-annual"


def test_a_correction_after_the_deadline_keeps_an_on_time_unit_on_time(plan, tmp_path):
    bank = Bank(plan, tmp_path, "")
    (tmp_path / "outbox").mkdir()
    paths = Paths.beside_outbox(bank.inbox, tmp_path / "outbox")
    bank.filled("bac-yen.xlsx", "121")
    bank.filled("mai-son.xlsx", "125")
    run(paths, today=date(2024, 9, 5))
    bank.filled("bac-yen-sua.xlsx", "121", in_comm_groups_note="Bản sửa")  # corrected after the deadline
    bank.filled("van-ho.xlsx", "128")  # late with its first file
    report = run(paths, today=date(2024, 9, 14))

    [status] = report.status
    assert status.late == [("Vân Hồ", 4)] and status.supplemented == ["Bắc Yên"]
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "<td>Bắc Yên</td><td>Đã báo cáo (bổ sung sau hạn)</td>" in page
    assert "<td>Vân Hồ</td><td>Trễ 4 ngày</td>" in page
    book = openpyxl.load_workbook(tmp_path / "outbox" / ROUND / f"tong-hop_{ROUND}.xlsx", data_only=True)
    rows = {r[1]: r for r in book["Tình hình nộp báo cáo"].iter_rows(min_row=5, values_only=True) if r[1]}
    assert (rows["Bắc Yên"][6], rows["Bắc Yên"][7]) == ("Có", 0) and "bổ sung sau hạn" in rows["Bắc Yên"][8]
    assert (rows["Vân Hồ"][6], rows["Vân Hồ"][7]) == ("Trễ", 4)
    text = all_text(Document(tmp_path / "outbox" / ROUND / f"bao-cao_{ROUND}.docx"))
    assert "2 đơn vị gửi đúng hạn (10/09/2024), 1 đơn vị gửi sau hạn" in text
    # the correction's letter says which file it replaces
    correction = next(o for o in report.outcomes if o.record.original_name == "bac-yen-sua.xlsx")
    first = next(r for r in correction.feedback if r.suffix == ".txt").read_text(encoding="utf-8")
    assert "Tệp này thay thế tệp «bac-yen.xlsx» nhận ngày 05/09/2024 (mã tiếp nhận 000001)" in first


def test_a_unit_that_sends_after_approval_has_sent(plan, tmp_path):
    bank = Bank(plan, tmp_path, "")
    (tmp_path / "outbox").mkdir()
    paths = Paths.beside_outbox(bank.inbox, tmp_path / "outbox")
    bank.filled("bac-yen.xlsx", "121")
    run(paths, today=date(2024, 9, 9))
    approve(paths, ROUND, today=date(2024, 9, 21))
    bank.filled("mai-son.xlsx", "125")
    report = run(paths, today=date(2024, 9, 25))

    [status] = report.status
    assert status.after_approval == ["Mai Sơn"] and "Mai Sơn" not in status.missing
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "<td>Mai Sơn</td><td>Gửi sau khi chốt số liệu – không tính</td>" in page


def test_a_unit_whose_files_could_not_be_read_has_sent(plan, tmp_path):
    """Issue 31, finding 2: Phù Yên sent an .xls and Quỳnh Nhai a PDF, named with their templates' names;
    every output said they had not sent, and their letters went to «Đơn vị gửi báo cáo»."""
    bank = Bank(plan, tmp_path, "")
    (tmp_path / "outbox").mkdir()
    (bank.inbox / "2024-annual_122_phu-yen.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    (bank.inbox / "2024-annual_118_quynh-nhai.pdf").write_bytes(b"%PDF-1.4\n% a scanned report\n")
    (bank.inbox / "bao-cao.pdf").write_bytes(b"%PDF-1.4\n% whose? nothing says\n")
    report = run(Paths.beside_outbox(bank.inbox, tmp_path / "outbox"), today=date(2024, 9, 9))

    [status] = report.status
    assert sorted(status.rejected) == ["Phù Yên", "Quỳnh Nhai"]
    assert "Phù Yên" not in status.missing and "Quỳnh Nhai" not in status.missing
    letters = {o.record.original_name: o.feedback[0].read_text(encoding="utf-8") for o in report.outcomes}
    assert letters["2024-annual_122_phu-yen.xls"].startswith("Kính gửi: Hội LHPN huyện Phù Yên\n")
    assert letters["2024-annual_118_quynh-nhai.pdf"].startswith("Kính gửi: Hội LHPN huyện Quỳnh Nhai\n")
    assert letters["bao-cao.pdf"].startswith("Kính gửi: Đơn vị gửi báo cáo\n")
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "<td>Phù Yên</td><td>Bị trả lại – chờ gửi lại</td>" in page
