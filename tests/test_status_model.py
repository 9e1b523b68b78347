"""One judgement of who sent and when, the same in every output (issue 31, findings 2 and 3): a unit
on time with its first file stays on time when it corrects after the deadline («bổ sung sau hạn»);
a unit that sends after approval has sent, and is not listed as «Chưa gửi»."""

import html
import re
from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.approval import approve
from pipeline.app.runner import run
from pipeline.cli.main import main
from pipeline.core.locations import Paths
from pipeline.plan.loader import DEFAULT_PLAN_DIR
from tests.support import hostile
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
    assert "<td>Vân Hồ</td><td>Đã báo cáo, trễ 4 ngày</td>" in page
    book = openpyxl.load_workbook(tmp_path / "outbox" / ROUND / f"tong-hop_{ROUND}.xlsx", data_only=True)
    rows = {r[1]: r for r in book["Tình hình nộp báo cáo"].iter_rows(min_row=5, values_only=True) if r[1]}
    assert (rows["Bắc Yên"][6], rows["Bắc Yên"][7]) == ("Có", 0)
    assert rows["Bắc Yên"][2] == "Đã báo cáo (bổ sung sau hạn)"
    assert (rows["Vân Hồ"][6], rows["Vân Hồ"][7]) == ("Trễ", 4)
    text = all_text(Document(tmp_path / "outbox" / ROUND / f"bao-cao_{ROUND}.docx"))
    assert ("2 đơn vị gửi đúng hạn (10/09/2024), 1 đơn vị gửi sau hạn. Gửi trễ: Vân Hồ (4 ngày); gửi đúng hạn, "
            "bổ sung sau hạn: Bắc Yên; chưa gửi: ") in text
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


# -- the month replayed: five outputs, one status per unit ---------------------------------------------

TEXT_LISTS = {  # the labels of figures.timeliness.state_lists, and the state words each stands for
    "Gửi trễ": None,  # «Tên (N ngày)»: «Đã báo cáo, trễ N ngày»
    "Gửi đúng hạn, bổ sung sau hạn": "Đã báo cáo (bổ sung sau hạn)",
    "Có tệp chờ xác nhận (chưa tính)": "Chờ xác nhận – chưa tính",
    "Gửi sau khi chốt số liệu (không tính)": "Gửi sau khi chốt số liệu – không tính",
    "Bị trả lại, chờ gửi lại": "Bị trả lại – chờ gửi lại",
    "Chưa gửi": "Chưa gửi",
}


def _from_lists(text: str, units: list[str]) -> dict[str, str]:
    """Each unit's state as a text output names it: in the lists by state, or (named in none) reported."""
    found = {}
    for label, words in TEXT_LISTS.items():
        match = re.search(rf"(?:^|[ ;.] ?)(?i:{re.escape(label[0])}){re.escape(label[1:])}: (.*?)(?:;|\.(?:\n|$))",
                          text, re.MULTILINE)
        for name in re.split(r", | và ", match.group(1)) if match else []:
            if words is None:
                name, days = re.fullmatch(r"(.*) \((\d+) ngày\)", name).groups()
                found[name] = f"Đã báo cáo, trễ {days} ngày"
            else:
                found[name] = words
    return {name: found.get(name, "Đã báo cáo") for name in units}


def test_a_replayed_month_gives_every_unit_one_status_in_every_output(plan, tmp_path, capsys):
    """Issue 31: the summary, `status`, index.html, «Tình hình nộp báo cáo» and the report give the same
    status for every unit, after a month with every kind of file: on time, corrected late, late, returned
    (unreadable, wrong format, errors), held, sent after approval, and nothing."""
    bank = Bank(plan, tmp_path, "")
    (tmp_path / "outbox").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'inbox = "{bank.inbox.as_posix()}"\noutbox = "{(tmp_path / "outbox").as_posix()}"\n'
                      f'plan = "{DEFAULT_PLAN_DIR.as_posix()}"\n', encoding="utf-8")

    def cli(*args: str) -> str:
        capsys.readouterr()
        assert main(["--config", str(config), *args]) in (0, 1)
        return capsys.readouterr().out

    bank.filled("bac-yen.xlsx", "121")
    bank.filled("mai-son.xlsx", "125")
    bank.filled("song-ma.xlsx", "126", in_comm_groups_estimate=-1)  # an error: returned
    (bank.inbox / "2024-annual_122_phu-yen.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    (bank.inbox / "2024-annual_118_quynh-nhai.pdf").write_bytes(b"%PDF-1.4\n% a scanned report\n")
    attachment = bank.filled("thuan-chau.xlsx", "119").read_bytes()  # a bare sample from a stranger: held
    (bank.inbox / "thuan-chau.xlsx").unlink()
    (bank.inbox / "thu-thuan-chau.eml").write_bytes(hostile.email_with([("thuan-chau.xlsx", attachment)],
                                                                       sender="nguoi.la@example.com"))
    cli("run", "--today", "2024-09-05")
    bank.filled("bac-yen-sua.xlsx", "121", in_comm_groups_note="Bản sửa")  # corrected after the deadline
    bank.filled("van-ho.xlsx", "128")  # late with its first file
    (bank.inbox / "phu-yen-lan-2.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 2000)
    cli("run", "--today", "2024-09-14")
    cli("approve", "--round", ROUND, "--today", "2024-09-21")
    bank.filled("moc-chau.xlsx", "123")  # after approval
    summary = cli("run", "--today", "2024-09-25")
    status = cli("status", "--today", "2024-09-25")

    names = [u.name for u in plan.units_for(plan.round(ROUND))]
    expected = {name: "Chưa gửi" for name in names} | {
        "Bắc Yên": "Đã báo cáo (bổ sung sau hạn)", "Mai Sơn": "Đã báo cáo", "Vân Hồ": "Đã báo cáo, trễ 4 ngày",
        "Sông Mã": "Bị trả lại – chờ gửi lại", "Phù Yên": "Bị trả lại – chờ gửi lại",
        "Quỳnh Nhai": "Bị trả lại – chờ gửi lại", "Thuận Châu": "Chờ xác nhận – chưa tính",
        "Mộc Châu": "Gửi sau khi chốt số liệu – không tính"}
    outbox = tmp_path / "outbox"
    page = (outbox / "index.html").read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(outbox / ROUND / f"tong-hop_{ROUND}.xlsx")["Tình hình nộp báo cáo"]
    text = all_text(Document(outbox / ROUND / f"bao-cao_{ROUND}.docx"))
    sentence = next(line for line in text.splitlines() if line.startswith("Đến ngày báo cáo"))
    outputs = {
        "summary": _from_lists(summary, names),
        "status": _from_lists(status, names),
        "index.html": {name: html.unescape(state) for name, state in re.findall(
            r'data-unit="\d+"><td>\d+</td><td>([^<]+)</td><td>([^<]+)</td>', page)},
        "Tình hình nộp báo cáo": {row[1]: row[2] for row in sheet.iter_rows(min_row=5, values_only=True)
                                  if row[1] in names},
        "report": _from_lists(sentence, names),
    }
    differing = {output: {name: state for name, state in states.items() if state != expected.get(name)}
                 for output, states in outputs.items() if states != expected}
    assert differing == {}
    for text_output in (summary, status):
        assert "  Đã báo cáo: 3/12 đơn vị." in text_output
    assert sentence.startswith("Đến ngày báo cáo, 3/12 đơn vị")
