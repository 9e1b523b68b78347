"""What district staff send, and the answer each file gets: a bank of real files, one run.

Every file is built here, as the programs that districts use would produce it (openpyxl stands in
for Excel, LibreOffice is LibreOffice), not committed as opaque binaries.
"""

import hashlib
import io
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.config import Contact
from pipeline.core.locations import Paths
from pipeline.ledger.template_key import template_key
from pipeline.plan import form
from pipeline.templates.cells import SHEET_INDICATORS
from pipeline.templates.writer import write_templates
from tests.support.helpers import LO_FILL, ROOT, libreoffice_convert

RUN_DAY = date(2024, 9, 12)  # two days after the 2024-annual district deadline
ROUND = "2024-annual"


class Bank:
    """Builds the inbox: each case adds one file under a name that says what it is."""

    def __init__(self, plan, root: Path, soffice: str, *, keyed: bool = False):
        """`keyed`: templates as the installation in `root` issues them (its key); else bare samples."""
        self.plan, self.root, self.soffice = plan, root, soffice
        self.inbox = root / "inbox"
        self.inbox.mkdir(parents=True)
        self.templates = root / "templates"
        self.key = template_key(root / "ledger.sqlite", root) if keyed else None

    def template(self, unit: str, round_id: str = ROUND) -> Path:
        path = self.templates / round_id / f"{round_id}_{unit}_{self.plan.unit(unit).slug}.xlsx"
        if not path.exists():
            write_templates(self.plan, self.plan.round(round_id), self.templates, [self.plan.unit(unit)],
                            key=self.key)
        return path

    def values(self, unit: str, round_id: str = ROUND, **changes) -> dict:
        rnd = self.plan.round(round_id)
        return sample_values(self.plan, rnd, self.plan.unit(unit), with_previous=True) | changes

    def filled(self, name: str, unit: str, round_id: str = ROUND, **changes) -> Path:
        target = self.inbox / name
        fill_template(self.template(unit, round_id), target, self.values(unit, round_id, **changes))
        return target

    def edited(self, name: str, unit: str, edit, round_id: str = ROUND) -> Path:
        """A filled template changed afterwards with openpyxl (as Excel would save it)."""
        path = self.filled(name, unit, round_id)
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)
        return path

    def converted(self, name: str, unit: str, fmt: str) -> Path:
        staged = self.root / "staging" / f"{Path(name).stem}.xlsx"
        fill_template(self.template(unit), staged, self.values(unit))
        out = libreoffice_convert(self.soffice, staged, self.root / "converted", fmt)
        return Path(shutil.move(out, self.inbox / name))


def cell_of(book_or_path, name: str) -> str:
    book = openpyxl.load_workbook(book_or_path) if isinstance(book_or_path, Path) else book_or_path
    _, cell = next(iter(book.defined_names[name].destinations))
    return cell.replace("$", "")


def _set(name: str, value):
    def edit(book):
        sheet, cell = next(iter(book.defined_names[name].destinations))
        book[sheet][cell.replace("$", "")] = value
    return edit


def _error_cell(name: str):
    def edit(book):
        sheet, cell = next(iter(book.defined_names[name].destinations))
        target = book[sheet][cell.replace("$", "")]
        target.value = "#N/A"
        target.data_type = "e"
    return edit


def _meta(key: str, value: str):
    def edit(book):
        book["p8_meta"][f"B{list(form.META_NAMES).index(key) + 1}"] = value
    return edit


def _pasted_into_new_workbook(book):
    """Copy every visible sheet's values and formulas into a fresh workbook (no names, no metadata)."""
    fresh = openpyxl.Workbook()
    fresh.remove(fresh.active)
    for index, sheet in enumerate(s for s in book.worksheets if s.sheet_state == "visible"):
        copy = fresh.create_sheet(f"Sheet{index + 1}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None and not isinstance(cell, openpyxl.cell.cell.MergedCell):
                    copy[cell.coordinate] = cell.value
    for name in list(book.sheetnames):
        del book[name]
    for sheet in fresh.worksheets:
        target = book.create_sheet(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                target[cell.coordinate] = cell.value
    for name in list(book.defined_names):
        del book.defined_names[name]


def _encrypted(bank: Bank, name: str) -> Path:
    source = bank.filled("staging-encrypt.xlsx", "124")
    out = io.BytesIO()
    with source.open("rb") as handle:
        OOXMLFile(handle).encrypt("matkhau", out)
    source.unlink()
    target = bank.inbox / name
    target.write_bytes(out.getvalue())
    return target


def _rezip(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as original:
        parts = {info.filename: original.read(info.filename) for info in original.infolist()}
    change(parts)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as rebuilt:
        for part, data in parts.items():
            rebuilt.writestr(part, data)
    return target


def _far_cell(bank: Bank, name: str) -> Path:
    source = bank.filled("staging-far.xlsx", "127")

    def change(parts):
        sheet = "xl/worksheets/sheet2.xml"
        parts[sheet] = parts[sheet].replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    path = _rezip(source, bank.inbox / name, change)
    source.unlink()
    return path


def _entities(bank: Bank, name: str) -> Path:
    source = bank.filled("staging-xxe.xlsx", "127")

    def change(parts):
        declaration = b'<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        parts["xl/workbook.xml"] = declaration + parts["xl/workbook.xml"]
    path = _rezip(source, bank.inbox / name, change)
    source.unlink()
    return path


def _truncated(bank: Bank, name: str) -> Path:
    path = bank.filled(name, "128")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _email(bank: Bank, name: str, attachment: Path | None, note: bytes | None = None) -> Path:
    message = EmailMessage()
    message["From"] = "Hội LHPN huyện Vân Hồ <hoiphunu.vanho@example.vn>"
    message["To"] = "duan8@example.vn"
    message["Subject"] = "Báo cáo Dự án 8 năm 2024"
    message["Date"] = "Mon, 09 Sep 2024 08:15:00 +0700"
    # saved from the province's mail program: its own server's line on top
    message["Received"] = "from mx.example.vn by mail.hoilhpn-sonla.example.vn; Mon, 09 Sep 2024 08:16:02 +0700"
    message["Message-ID"] = "<bao-cao-128@example.vn>"
    message.set_content("Kính gửi Hội LHPN tỉnh, huyện gửi báo cáo.")
    if attachment is not None:
        message.add_attachment(attachment.read_bytes(), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename=attachment.name)
        attachment.unlink()
    if note is not None:
        message.add_attachment(note, maintype="image", subtype="jpeg", filename="anh-chup.jpg")
    target = bank.inbox / name
    target.write_bytes(bytes(message))
    return target


def _excel_extensions(bank: Bank, name: str) -> Path:
    """As Excel 2010 and later save a sheet with a conditional format of their own: after the sheet's
    data, an extension list whose formulas are <xm:f> elements (no cell of the sheet holds them)."""
    source = bank.filled("staging-x14.xlsx", "121")

    def change(parts):
        sheet = "xl/worksheets/sheet2.xml"
        parts[sheet] = parts[sheet].replace(b"</worksheet>", (
            b'<extLst><ext xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
            b'uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}"><x14:conditionalFormattings>'
            b'<x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            b'<x14:cfRule type="expression" priority="1" id="{00000000-0000-0000-0000-000000000001}">'
            b"<xm:f>'Ki\xe1\xbb\x83m tra'!$D$6&gt;0</xm:f><x14:dxf/></x14:cfRule><xm:sqref>D6:D20</xm:sqref>"
            b"</x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst></worksheet>"))
    path = _rezip(source, bank.inbox / name, change)
    source.unlink()
    return path


# name -> (build, expected status, expected [(finding code, cell)]), where cell None means "none"
# and a name in the cell position means "the cell of this defined name".
CASES = {
    "01-good.xlsx": (lambda b, n: b.filled(n, "121"), "accepted_with_warnings", [("received-late", None)]),
    "02-text-in-count.xlsx": (
        lambda b, n: b.filled(n, "125", in_comm_groups_estimate="mười hai"),
        "rejected", [("value-not-number", "in_comm_groups_estimate"), ("received-late", None)]),
    "03-number-as-text.xlsx": (
        lambda b, n: b.filled(n, "123", in_comm_groups_estimate=" 12 "),
        "accepted_with_warnings",
        [("value-text-number", "in_comm_groups_estimate"), ("received-late", None)]),
    "04-negative-and-decimal.xlsx": (
        lambda b, n: b.filled(n, "120", in_leader_clubs_estimate=-2, in_policy_dialogues_estimate=2.5),
        "rejected", [("value-not-whole", "in_policy_dialogues_estimate"),
                     ("value-negative", "in_leader_clubs_estimate"), ("received-late", None)]),
    "05-error-value.xlsx": (
        lambda b, n: b.edited(n, "122", _error_cell("in_safe_addresses_estimate")),
        "rejected", [("value-not-number", "in_safe_addresses_estimate"), ("received-late", None)]),
    "06-formula-in-input.xlsx": (
        lambda b, n: b.edited(n, "118", _set("in_gm_trainings_p2_ytd", "=1+1")),
        "rejected", [("value-is-formula", "in_gm_trainings_p2_ytd")]),
    "07-last-years-template.xlsx": (
        lambda b, n: b.edited(n, "126", _meta("version", "0")), "rejected", [("template-version-old", None)]),
    "08-unknown-unit.xlsx": (
        lambda b, n: b.edited(n, "127", _meta("unit", "999")), "rejected", [("unit-unknown", None)]),
    "09-other-plan.xlsx": (
        lambda b, n: b.edited(n, "127", _meta("plan", "ha-giang-2021")), "rejected",
        [("template-other-plan", None)]),
    "10-round-not-open.xlsx": (
        lambda b, n: b.filled(n, "03985", "2025-annual"), "rejected", [("round-not-open", None)]),
    "11-target-changed.xlsx": (
        lambda b, n: b.edited(n, "119", _set(form.target_name("comm_groups"), 10)), "rejected",
        [("template-target-altered", form.target_name("comm_groups"))]),
    "12-pasted-into-new-workbook.xlsx": (
        lambda b, n: b.edited(n, "124", _pasted_into_new_workbook), "accepted_with_warnings",
        [("template-recognised-from-titles", None), ("received-late", None)]),
    "13-photo.jpg": (
        lambda b, n: (b.inbox / n).write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF") and b.inbox / n,
        "rejected", [("file-not-xlsx", None)]),
    "14-old-format.xls": (lambda b, n: b.converted(n, "128", "xls"), "rejected", [("file-xls", None)]),
    "15-libreoffice-format.ods": (
        lambda b, n: b.converted(n, "128", "ods"), "rejected", [("file-ods", None)]),
    "16-password.xlsx": (_encrypted, "rejected", [("file-encrypted", None)]),
    "17-mangled-by-antivirus.xlsx": (_truncated, "rejected", [("file-unreadable", None)]),
    "18-far-cell.xlsx": (_far_cell, "rejected", [("file-sheet-too-large", "XFD1048576")]),
    "19-xml-entities.xlsx": (_entities, "rejected", [("file-xml-entities", None)]),
    "20-macros.xlsm": (
        lambda b, n: b.filled(n, "14"), "accepted_with_warnings",
        [("file-macros", None), ("received-late", None)]),
    "21-ratio-and-budget.xlsx": (
        lambda b, n: b.filled(n, "122", in_safe_delivery_counselling_num=60,
                              in_safe_delivery_counselling_den=50, in_budget_central_allocated=100,
                              in_budget_central_disbursed=120.5),
        "rejected", [("ratio-numerator-above-denominator", "in_safe_delivery_counselling_num"),
                     ("budget-disbursed-above-allocated", "in_budget_central_disbursed"),
                     ("received-late", None)]),
    "22-missing-value.xlsx": (
        lambda b, n: b.filled(n, "118", in_savings_groups_estimate=""),
        "rejected", [("value-missing", "in_savings_groups_estimate"), ("received-late", None)]),
    "23-excel-extensions.xlsx": (_excel_extensions, "accepted_with_warnings", [("received-late", None)]),
}


@pytest.fixture(scope="module")
def bank_run(tmp_path_factory, plan):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    root = tmp_path_factory.mktemp("bank")
    bank = Bank(plan, root, soffice)
    built = {name: build(bank, name) for name, (build, _, _) in CASES.items()}
    for leftover in (root / "inbox").glob("staging-*"):
        leftover.unlink()
    cells = {name: openpyxl.load_workbook(path) for name, path in built.items()
             if path.suffix == ".xlsx" and name not in ("16-password.xlsx", "17-mangled-by-antivirus.xlsx",
                                                         "18-far-cell.xlsx", "19-xml-entities.xlsx")}
    hashes = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in built.items()}
    report = run(Paths.beside_outbox(root / "inbox", root / "outbox"), today=RUN_DAY)
    outcomes = {o.record.original_name: o for o in report.outcomes}
    return root, outcomes, cells, hashes


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.integration
def test_each_file_gets_the_expected_answer(bank_run, name):
    _, outcomes, cells, _ = bank_run
    _, status, expected = CASES[name]
    outcome = outcomes[name]
    found = [(f.code, f.cell) for f in outcome.findings]
    wanted = [(code, cell_of(cells[name], where) if where and where.islower() else where)
              for code, where in expected]
    assert (outcome.record.status, found) == (status, wanted)
    assert all(f.message and "{" not in f.message for f in outcome.findings)
    assert outcome.feedback and outcome.feedback[0].read_text(encoding="utf-8").startswith("Kính gửi")


def test_every_file_is_kept_byte_identical_with_one_ledger_row(bank_run):
    root, _, _, hashes = bank_run
    assert [p for p in (root / "inbox").rglob("*") if p.is_file()] == []
    rows = sqlite3.connect(root / "ledger.sqlite").execute(
        "SELECT original_name, sha256, stored_path, status FROM submission").fetchall()
    assert sorted(r[0] for r in rows) == sorted(CASES)
    for name, digest, stored, status in rows:
        assert digest == hashes[name], name
        assert hashlib.sha256((root / stored).read_bytes()).hexdigest() == digest, name
        assert Path(stored).parts[0] == ("rejected" if status == "rejected" else "archive"), name


def test_cells_with_problems_are_marked_in_the_copy_sent_back(bank_run):
    _, outcomes, cells, _ = bank_run
    copy = next(p for p in outcomes["02-text-in-count.xlsx"].feedback if p.suffix == ".xlsx")
    marked = openpyxl.load_workbook(copy)[SHEET_INDICATORS][cell_of(cells["02-text-in-count.xlsx"],
                                                                    "in_comm_groups_estimate")]
    assert "«mười hai», không phải là số" in marked.comment.text
    assert marked.fill.fgColor.rgb == "00FFC7CE"


def test_recognised_file_is_read_at_the_template_positions(bank_run, plan):
    root, outcomes, _, _ = bank_run
    record = outcomes["12-pasted-into-new-workbook.xlsx"].record
    assert (record.unit, record.round) == ("124", ROUND)
    values = sqlite3.connect(root / "ledger.sqlite").execute(
        "SELECT field, number FROM value WHERE submission_id = ?", (record.id,)).fetchall()
    expected = sample_values(plan, plan.round(ROUND), plan.unit("124"), with_previous=True)
    assert {f: n for f, n in values if n is not None} == pytest.approx(
        {k: v for k, v in expected.items() if not isinstance(v, str)})


def _email_case(tmp_path, plan, with_spreadsheet: bool):
    bank = Bank(plan, tmp_path, shutil.which("soffice") or "soffice")
    attachment = bank.filled("2024-annual_128_van-ho.xlsx", "128", in_comm_groups_estimate=-1) \
        if with_spreadsheet else None
    _email(bank, "thu-van-ho.eml", attachment, note=b"\xff\xd8\xff\xe0 photo")
    return run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), today=date(2024, 9, 20),
               contact=Contact(office="Hội LHPN tỉnh Sơn La", email="duan8@example.vn"))


def test_saved_email_each_attachment_answered_with_sender_and_date(tmp_path, plan):
    report = _email_case(tmp_path, plan, with_spreadsheet=True)
    by_name = {o.record.original_name: o for o in report.outcomes}
    attachment, envelope = by_name["2024-annual_128_van-ho.xlsx"], by_name["thu-van-ho.eml"]
    assert attachment.record.sender == "hoiphunu.vanho@example.vn"
    assert attachment.record.received_at == "2024-09-09T08:16:02+07:00"  # the province's server, not the Date
    assert attachment.record.status == "rejected"
    assert [f.code for f in attachment.findings] == ["value-negative"]  # sent on time: not late
    assert envelope.record.status == "unpacked"
    assert [f.code for f in envelope.findings] == ["email-attachment-ignored"]
    assert not any(p.suffix == ".eml" for p in attachment.feedback)  # the e-mail gets one reply, below
    [reply] = [p for p in envelope.feedback if p.suffix == ".eml"]
    from email import message_from_bytes, policy

    draft = message_from_bytes(reply.read_bytes(), policy=policy.default)
    assert draft["To"] == "hoiphunu.vanho@example.vn"
    assert draft["From"] == "duan8@example.vn"
    assert draft["In-Reply-To"] == "<bao-cao-128@example.vn>"
    body = draft.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "===== Tệp «2024-annual_128_van-ho.xlsx»: CHƯA TIẾP NHẬN =====" in body
    assert "Về thư này:\n- Tệp đính kèm «anh-chup.jpg» không phải là bảng tính nên không được đọc." in body
    assert [a.get_filename() for a in draft.iter_attachments()] == [
        f"{attachment.record.id:06d}_2024-annual_128_van-ho_phan-hoi.xlsx"]
    stored = {o.record.original_name: (tmp_path / o.record.stored_path).read_bytes() for o in report.outcomes}
    assert stored["thu-van-ho.eml"].startswith(b"From: ") or b"Message-ID" in stored["thu-van-ho.eml"]


def test_email_without_spreadsheet_is_answered(tmp_path, plan):
    report = _email_case(tmp_path, plan, with_spreadsheet=False)
    [envelope] = report.outcomes
    assert envelope.record.status == "rejected"
    assert [f.code for f in envelope.findings] == ["email-no-spreadsheet", "email-attachment-ignored"]
    assert any(p.suffix == ".eml" for p in envelope.feedback)


@pytest.mark.integration
def test_same_bytes_twice_and_a_correction_a_week_later(tmp_path, plan):
    bank = Bank(plan, tmp_path, "soffice")
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    first = bank.filled("bac-yen.xlsx", "121")
    shutil.copy(first, bank.inbox / "bac-yen (1).xlsx")
    day_one = run(paths, today=date(2024, 9, 5))
    assert sorted(o.record.status for o in day_one.outcomes) == ["accepted", "duplicate"]
    corrected = bank.values("121")["in_comm_groups_estimate"] + 1
    bank.filled("bac-yen-sua.xlsx", "121", in_comm_groups_estimate=corrected)
    run(paths, today=date(2024, 9, 12))
    rows = sqlite3.connect(paths.ledger).execute(
        "SELECT status FROM submission ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["superseded", "duplicate", "accepted_with_warnings"]
    summary = openpyxl.load_workbook(tmp_path / "outbox" / ROUND / f"tong-hop_{ROUND}.xlsx", data_only=True)
    assert summary["Tổng hợp"]["G9"].value == corrected  # Bắc Yên's communication groups


def test_row_deleted_in_libreoffice_is_explained(tmp_path, plan, uno_python):
    import json


    template = write_templates(plan, plan.round(ROUND), tmp_path / "t", [plan.unit("121")])[0]
    values = tmp_path / "typed.json"
    values.write_text(json.dumps({"in_comm_groups_ytd": "3"}), encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    subprocess.run([uno_python, str(LO_FILL), str(template), str(inbox / template.name),
                    str(values), str(tmp_path / "profile"), f"delete-row={SHEET_INDICATORS}:8"],
                   check=True, capture_output=True, timeout=300)
    report = run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=date(2024, 9, 1))
    [outcome] = report.outcomes
    missing = [f for f in outcome.findings if f.code == "input-name-missing"]
    assert outcome.record.status == "rejected"
    assert len(missing) == 3  # the savings-groups row: result so far, estimate, note
    assert "Tổ TKVVTB" in missing[0].message


@pytest.mark.parametrize(("declared", "code"), [(None, "file-zip-suspicious"), (1 << 20, "file-unreadable"),
                                                (150 << 20, "file-unreadable")])
@pytest.mark.slow
def test_zip_bomb_of_4_gib_is_refused_in_bounded_memory(tmp_path, declared, code):
    """Time is measured by bench/zip_bomb.py; here, the verdict and the memory it took."""
    import sys

    from tests.support.bombs import INGEST_ONE, workbook_bomb

    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(workbook_bomb(4095, declared=declared))
    result = subprocess.run([sys.executable, "-c", INGEST_ONE, str(path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    found, peak_mb = result.stdout.split()
    assert found == code
    assert int(peak_mb) < 300


@pytest.mark.integration
def test_a_bomb_among_good_files_does_not_stop_the_run(tmp_path, plan):
    from tests.support.bombs import workbook_bomb

    bank = Bank(plan, tmp_path, "soffice")
    (bank.inbox / "a-bomb.xlsx").write_bytes(workbook_bomb(4095, declared=1 << 20))
    bank.filled("b-good.xlsx", "121")
    report = run(Paths.beside_outbox(bank.inbox, tmp_path / "outbox"), today=date(2024, 9, 1))
    assert {o.record.original_name: o.record.status for o in report.outcomes} == {
        "a-bomb.xlsx": "rejected", "b-good.xlsx": "accepted"}


def test_an_outlook_msg_is_read_as_an_email_not_rejected_as_a_workbook(tmp_path):
    """A real .msg saved by Outlook (tests/data/outlook, BSD licence): the sender and the moment the
    receiving server took it (the topmost Received header Outlook kept; the Date says 09:44:30 UTC) are
    taken from it, its attachments are named, and the answer says no report was attached."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    original = ROOT / "tests" / "data" / "outlook" / "other.msg"
    shutil.copy(original, inbox / "Thư từ Outlook.msg")
    report = run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=date(2024, 9, 5),
                 contact=Contact(email="duan8@example.vn"))
    [envelope] = report.outcomes
    assert (envelope.record.sender, envelope.record.received_at) == ("mailer-daemon@tjdpf.org.cn",
                                                                     "2017-11-27T01:44:33-08:00")
    assert envelope.record.status == "rejected"
    assert [f.code for f in envelope.findings] == ["email-no-spreadsheet", "email-attachment-ignored"]
    assert "default_attachment.eml" in envelope.findings[1].message
    assert (tmp_path / envelope.record.stored_path).read_bytes() == original.read_bytes()
    draft = next(p for p in envelope.feedback if p.suffix == ".eml").read_bytes()
    assert b"To: mailer-daemon@tjdpf.org.cn" in draft
    assert b"In-Reply-To: <99d78a$k8gjl@esa2.mentor.iphmx.com>" in draft


def test_the_guard_notes_every_formula_and_error_cell_as_a_reader_places_it():
    """Formulas and error cells come from the guard's one streaming read: cells with and without `r`,
    an error with its value, one without, and a formula whose cached result is an error; an Excel
    extension's formula after the sheet's data belongs to no cell, not even the empty one before it."""
    from pipeline.intake import guard

    scan = guard._XmlScan("xl/worksheets/sheet1.xml")
    scan.feed(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
              b'<row r="2"><c r="B2"><f>SUM(A1:A3)</f><v>6</v></c><c t="e"><v>#N/A</v></c><c t="e"/>'
              b'<c t="e"><f>1/0</f><v>#DIV/0!</v></c><c t="n"><v>5</v></c></row>'
              b'<row><c t="e"></c><c r="B3" s="1"/></row></sheetData><extLst><ext><x14:cfRule '
              b'xmlns:x14="urn:x14" xmlns:xm="urn:xm"><xm:f>B3&gt;0</xm:f></x14:cfRule></ext></extLst>'
              b'</worksheet>', final=True)
    assert scan.special == {"B2": ("formula", "=SUM(A1:A3)"), "C2": ("error", "#N/A"), "D2": ("error", "#?"),
                            "E2": ("formula", "=1/0"), "A3": ("error", "#?")}


def test_a_workbook_part_with_a_document_type_is_not_read_even_past_the_guard(tmp_path, plan):
    """The guard refuses any DTD first; ingest's own XML parser expands no entity and refuses one too."""
    from pipeline.intake.xlsx_reader import Workbook

    template = write_templates(plan, plan.rounds[0], tmp_path, plan.units[:1])[0]
    data = io.BytesIO()

    def change(parts):
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
            b"?>", b'?><!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>', 1)
    _rezip(template, data, change)
    with pytest.raises(ValueError, match="document type"):
        Workbook(data.getvalue(), {})
