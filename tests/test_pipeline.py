"""The whole flow on the bundled plan: templates, filled samples, ingest, ledger, workbook, report."""

import hashlib
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from pipeline.app.demo import CORRECTED_UNIT
from pipeline.app.samples import fill_template, sample_values
from pipeline.templates.cells import SHEET_INDICATORS
from pipeline.templates.writer import write_templates
from tests.support.helpers import ROOT, libreoffice_convert, read_file, run_cli

pytestmark = pytest.mark.integration


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")  # made empty: the demo takes an empty folder
    assert not any(workdir.iterdir())
    result = run_cli("demo", "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    return workdir, result.stdout


def test_demo_prints_where_each_output_is(demo):
    workdir, stdout = demo
    for name in ("tong-hop_2023-update.xlsx", "tong-hop_2024-annual.xlsx", "bao-cao_2024-annual.html",
                 "tong-hop_2025-annual.xlsx", "bao-cao_2025-annual.docx"):
        assert name in stdout
    # two rounds of the province level and 11 districts, then the province level and the 75 communes
    assert len(list((workdir / "templates_xlsx").rglob("*.xlsx"))) == 12 + 12 + 76
    assert (workdir / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx").is_file()
    assert (workdir / "outbox" / "2024-annual" / "bao-cao_2024-annual.html").is_file()
    assert len(list((workdir / "archive").rglob("*.xlsx"))) == 12 + 12 + 74  # two communes do not report
    answers = stdout[stdout.index("Phản hồi cho từng tệp đã nhận:"):]
    photo = next(line for line in answers.splitlines() if "anh-chup-bao-cao.jpg" in line)
    assert Path(photo.split(" -> ")[1]).is_file()
    assert stdout.rstrip().endswith("Đã báo cáo: 74/76 đơn vị.\n  Chưa gửi: Xã Mai Sơn, Phường Chiềng Sinh.")
    assert "(kỳ 2025-annual) – hạn xã, phường gửi 10/09/2025 (còn 2 ngày)" in stdout


def _summary_rows(path: Path) -> tuple[dict, dict]:
    """{row label: row values} and {indicator number: column of its cumulative figure}."""
    sheet = openpyxl.load_workbook(path, data_only=True)["Tổng hợp"]
    columns = {}
    for cell in sheet[4]:
        if isinstance(cell.value, str) and cell.value[:1].isdigit():
            columns[int(cell.value.split(".")[0])] = cell.column + 1  # target; the year; cumulative
    rows = {row[1].value: [c.value for c in row] for row in sheet.iter_rows(min_row=6, max_row=19)}
    return rows, columns


def test_consolidated_totals_equal_sums_of_sample_submissions(demo, plan):
    workdir, _ = demo
    rows, columns = _summary_rows(workdir / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx")
    update, annual = plan.round("2023-update"), plan.round("2024-annual")
    for indicator in plan.indicators:
        expected_total = 0
        for unit in plan.units_for(annual):
            first_round = sample_values(plan, update, unit, with_previous=True)
            this_year = sample_values(plan, annual, unit)[f"in_{indicator.code}_estimate"]
            last_year = first_round[f"in_{indicator.code}_actual"]
            before = first_round[f"in_{indicator.code}_previous"]  # typed: nothing to carry yet
            expected = this_year if indicator.kind == "stock" else before + last_year + this_year
            expected_total += expected
            assert rows[unit.name][columns[indicator.no]] == expected, (unit.name, indicator.code)
        assert rows["Tổng cộng"][columns[indicator.no]] == expected_total, indicator.code
        assert rows["Tổng cộng"][columns[indicator.no] - 2] == plan.totals["total"][indicator.code]


def test_every_inbox_file_is_archived_byte_identical_with_one_ledger_row(demo):
    workdir, _ = demo
    assert [p for p in (workdir / "inbox").rglob("*") if p.is_file()] == []
    db = sqlite3.connect(workdir / "ledger.sqlite")
    rows = db.execute("SELECT sha256, stored_path, status FROM submission").fetchall()
    stored = [p for folder in ("archive", "rejected") for p in (workdir / folder).rglob("*") if p.is_file()]
    assert len(rows) == len(stored) == 24 + 74 + 2 + 1  # samples, two first tries, one photo
    for digest, stored_path, status in rows:
        path = workdir / stored_path
        assert sha256(path) == digest
        assert path.parts[len(workdir.parts)] == ("rejected" if status == "rejected" else "archive")


def test_rejected_file_is_answered_at_the_cell(demo, plan):
    workdir, _ = demo
    feedback = workdir / "outbox" / "2024-annual" / "feedback"
    notes = [p for p in feedback.glob(f"*_{CORRECTED_UNIT}_*_phan-hoi.txt")
             if "CHƯA TIẾP NHẬN" in p.read_text(encoding="utf-8")]
    assert len(notes) == 1
    text = notes[0].read_text(encoding="utf-8")
    assert "Kính gửi: Hội LHPN huyện Mường La" in text
    assert "[Lỗi] Ô G8 (trang «Chỉ tiêu», Tổ TKVVTB – ước thực hiện cả năm) là số âm (-3)" in text
    marked = openpyxl.load_workbook(notes[0].with_suffix(".xlsx"))[SHEET_INDICATORS]["G8"]
    assert "số âm" in marked.comment.text
    photo = (workdir / "outbox" / "unidentified").glob("*anh-chup*.txt")
    assert "không phải là bảng tính Excel .xlsx" in next(photo).read_text(encoding="utf-8")


def test_report_says_who_reported(demo):
    workdir, _ = demo
    html = (workdir / "outbox" / "2024-annual" / "bao-cao_2024-annual.html").read_text(encoding="utf-8")
    assert "12/12 đơn vị (cấp tỉnh và 11 huyện) đã gửi báo cáo được tiếp nhận" in html
    assert "Sơn La, ngày 20 tháng 9 năm 2024" in html
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html


def test_second_run_on_the_same_inbox_changes_nothing(demo):
    """Nothing is written, not even a log of the run: every output keeps its bytes and its modification time."""
    workdir, _ = demo

    def outputs():
        return {p: (p.stat().st_mtime_ns, sha256(p)) for p in sorted((workdir / "outbox").rglob("*.*"))
                if "logs" not in p.parts}

    before = outputs()
    logs = len(list((workdir / "outbox" / "logs").glob("*.log")))
    result = run_cli("run", "--inbox", str(workdir / "inbox"), "--outbox", str(workdir / "outbox"),
                     "--today", "2025-09-08")  # the demo's last day
    assert result.returncode == 0, result.stderr
    assert "Không có tệp mới" in result.stdout
    assert outputs() == before
    assert len(list((workdir / "outbox" / "logs").glob("*.log"))) == logs
    assert "Nhật ký lần chạy" not in result.stdout


def test_filled_template_reads_back_exactly(tmp_path, plan, rules):
    rnd, unit = plan.round("2024-annual"), plan.unit("126")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    values = sample_values(plan, rnd, unit, with_previous=True)
    inbox = tmp_path / "inbox"
    fill_template(template, inbox / template.name, values)
    sub = read_file(inbox / template.name, plan, rules)
    assert (sub.unit, sub.round, sub.findings) == ("126", "2024-annual", [])
    assert {name: sub.cells[name].value for name in values} == pytest.approx(values)


def test_submission_resaved_by_libreoffice_reads_back_exactly(tmp_path, plan, rules, soffice):
    rnd, unit = plan.round("2024-annual"), plan.unit("121")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    values = sample_values(plan, rnd, unit, with_previous=True)
    filled = tmp_path / "filled" / template.name
    fill_template(template, filled, values)
    inbox = tmp_path / "inbox"
    resaved = libreoffice_convert(soffice, filled, inbox)
    assert sha256(resaved) != sha256(filled)
    sub = read_file(resaved, plan, rules)
    assert (sub.unit, sub.round, sub.findings) == ("121", "2024-annual", [])
    assert {name: sub.cells[name].value for name in values} == pytest.approx(values)


def test_one_broken_workbook_does_not_stop_the_run(tmp_path, plan):
    import zipfile

    from pipeline.app.runner import run
    from pipeline.core.locations import Paths

    rnd, unit = plan.round("2024-annual"), plan.unit("127")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    inbox = tmp_path / "inbox"
    fill_template(template, inbox / "b_good.xlsx", sample_values(plan, rnd, unit, with_previous=True))
    with zipfile.ZipFile(inbox / "a_broken.xlsx", "w") as broken:
        broken.writestr("xl/workbook.xml", "<workbook><unclosed>")
    report = run(Paths.beside_outbox(inbox, tmp_path / "outbox"), today=rnd.district_deadline)
    verdicts = {o.record.original_name: (o.record.status, [f.code for f in o.findings])
                for o in report.outcomes}
    assert verdicts == {"a_broken.xlsx": ("rejected", ["file-unreadable"]),
                        "b_good.xlsx": ("accepted", [])}
    assert (tmp_path / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx").is_file()


def test_consolidated_formulas_agree_with_libreoffice(demo, tmp_path, soffice):
    workdir, _ = demo
    source = workdir / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx"
    recalculated = openpyxl.load_workbook(libreoffice_convert(soffice, source, tmp_path), data_only=True)
    cached = openpyxl.load_workbook(source, data_only=True)
    formulas = openpyxl.load_workbook(source)
    checked = 0
    for sheet in formulas.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    ours = cached[sheet.title][cell.coordinate].value
                    theirs = recalculated[sheet.title][cell.coordinate].value
                    assert (ours or 0) == pytest.approx(theirs or 0), (sheet.title, cell.coordinate)
                    checked += 1
    assert checked > 200


def test_next_rounds_templates_carry_the_last_accepted_figures(demo, plan):
    workdir, _ = demo
    unit = plan.unit("121")
    last_year = sample_values(plan, plan.round("2023-update"), unit, with_previous=True)
    path = workdir / "templates_xlsx" / "2024-annual" / "2024-annual_121_bac-yen.xlsx"
    sheet = openpyxl.load_workbook(path)[SHEET_INDICATORS]
    carried = {row[1].value: row[4].value for row in sheet.iter_rows(min_row=5) if row[1].value}
    for indicator in plan.indicators:
        expected = last_year[f"in_{indicator.code}_actual"]
        if indicator.kind == "flow":
            expected += last_year[f"in_{indicator.code}_previous"]
        assert carried[indicator.name] == expected, indicator.code


def test_same_bytes_twice_is_a_duplicate_kept_beside_its_first_copy(tmp_path):
    from pipeline.app.runner import run
    from pipeline.core.locations import Paths

    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(b"%PDF-1.4 not a workbook")
    (inbox / "b.pdf").write_bytes(b"%PDF-1.4 not a workbook")
    report = run(Paths.beside_outbox(inbox, outbox))
    assert [(o.record.original_name, o.record.status) for o in report.outcomes] == [
        ("a.pdf", "rejected"), ("b.pdf", "duplicate")]
    assert sorted(p.name[7:] for p in (tmp_path / "rejected").rglob("*.pdf")) == [
        f"{report.outcomes[0].record.sha256[:12]}_a.pdf", f"{report.outcomes[0].record.sha256[:12]}_b.pdf"]


def test_a_missing_inbox_is_an_error_not_an_empty_inbox(tmp_path):
    missing = tmp_path / "hop-thu-khong-co"
    result = run_cli("run", "--inbox", str(missing), "--outbox", str(tmp_path / "outbox"))
    assert result.returncode == 2 and result.stdout == ""
    assert f"Không tìm thấy thư mục hộp thư đến {missing} (theo tùy chọn --inbox)" in result.stderr
    config = tmp_path / "config.toml"
    config.write_text(f'plan = "{ROOT / "plan"}"\ninbox = "thu-den"\noutbox = "outbox"\n', encoding="utf-8")
    result = run_cli("--config", str(config), "run")
    assert result.returncode == 2
    assert (f"Không tìm thấy thư mục hộp thư đến {tmp_path / 'thu-den'} (theo dòng «inbox = …» trong {config}"
            in result.stderr)
    assert not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("command", [["run"], ["status"], ["report", "--round", "2024-annual"],
                                     ["approve", "--round", "2024-annual"], ["reopen", "--round", "2024-annual"]])
def test_a_missing_outbox_is_an_error_naming_the_folder_and_the_config_line(tmp_path, command):
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'plan = "{ROOT / "plan"}"\ninbox = "inbox"\noutbox = "ket-qua"\n', encoding="utf-8")
    result = run_cli("--config", str(config), *command)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"Lỗi: Không tìm thấy thư mục kết quả {tmp_path / 'ket-qua'} (theo dòng «outbox = …» "
                             f"trong {config}; không có dòng này thì là thư mục outbox bên cạnh tệp đó). Hãy tạo "
                             "thư mục hoặc sửa đường dẫn, rồi chạy lại. Chưa có tệp nào được đọc hay ghi.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "inbox"]


def test_the_demo_refuses_a_folder_it_did_not_make(tmp_path):
    """Issue 31, finding 1: pointed at the project folder, the demo deleted inbox, outbox, archive,
    rejected, templates_xlsx and the ledger. A folder with anything in it and without the demo's marker
    is refused, untouched."""
    real = tmp_path / "that-tinh"
    for folder in ("inbox", "archive", "outbox", "templates_xlsx"):
        (real / folder).mkdir(parents=True)
        (real / folder / "giu-lai.xlsx").write_bytes(b"PK real data")
    (real / "ledger.sqlite").write_bytes(b"SQLite format 3\x00 real ledger")
    before = {p.relative_to(real).as_posix(): p.read_bytes() for p in real.rglob("*") if p.is_file()}

    refused = run_cli("demo", "--workdir", str(real))

    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith(f"Lỗi: thư mục {real} đã có dữ liệu và không phải thư mục chạy thử")
    assert {p.relative_to(real).as_posix(): p.read_bytes() for p in real.rglob("*") if p.is_file()} == before


def test_the_demo_runs_again_in_its_own_folder(demo, tmp_path):
    """A folder the demo made is its to replace: a second demo there starts afresh (same records). (An
    empty folder is taken: the module's demo runs in one.)"""
    workdir, _ = demo
    assert (workdir / ".p8-demo").is_file()
    again = tmp_path / "lan-hai"
    shutil.copytree(workdir, again)
    (again / "inbox" / "thu-nghiem.txt").write_text("left by the first demo", encoding="utf-8")
    assert run_cli("demo", "--workdir", str(again)).returncode == 0
    with sqlite3.connect(workdir / "ledger.sqlite") as first, sqlite3.connect(again / "ledger.sqlite") as second:
        query = "SELECT original_name, status FROM submission ORDER BY id"
        assert second.execute(query).fetchall() == first.execute(query).fetchall()
    assert not (again / "inbox" / "thu-nghiem.txt").exists()


def test_years_and_ledger_ids_print_without_a_thousands_separator(demo):
    """Issue 31, finding 10: «Truy nguồn» printed years as "2,024" (format #,##0); ledger ids from 1,000
    on would print the same way there and in «Nguồn dữ liệu» and «Lỗi và cảnh báo»."""
    workdir, _ = demo
    book = openpyxl.load_workbook(workdir / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx")
    checked = 0
    for sheet, headings in (("Truy nguồn", ("Năm", "Mã sổ ghi")), ("Nguồn dữ liệu", ("Mã sổ ghi",)),
                            ("Lỗi và cảnh báo", ("Mã sổ ghi",))):
        ws = book[sheet]
        header = next(row for row in ws.iter_rows(max_row=10) if any(c.value == headings[0] for c in row))
        columns = [c.column for c in header if c.value in headings]
        assert len(columns) == len(headings), sheet
        for row in ws.iter_rows(min_row=header[0].row + 1):
            for cell in (row[col - 1] for col in columns):
                if isinstance(cell.value, int):
                    assert cell.number_format == "0", (sheet, cell.coordinate, cell.number_format)
                    checked += 1
    assert checked > 100


def test_auditors_read_vietnamese_beside_every_code(demo):
    """Issue 31, finding 9: «Truy nguồn» showed input names (budget_central_allocated) and «Lỗi và cảnh
    báo» rule codes (value-missing, received-late) with no Vietnamese beside them."""
    workdir, _ = demo
    book = openpyxl.load_workbook(workdir / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx")
    findings = [row for row in book["Lỗi và cảnh báo"].iter_rows(min_row=4, values_only=True) if row[0]]
    kinds = {row[6]: row[5] for row in findings}
    assert kinds and all(title and title != code for code, title in kinds.items()), kinds
    assert kinds.get("value-negative") == "Số âm"
    trace = [row for row in book["Truy nguồn"].iter_rows(min_row=4, values_only=True) if row[0]]
    subjects = {row[2] for row in trace}
    assert ("Ngân sách trung ương (vốn Chương trình MTQG 1719) – kế hoạch vốn được giao trong năm "
            "(budget_central_allocated)") in subjects, subjects
    assert not [s for s in subjects if s.startswith(("budget_", "in_"))]


def test_a_unit_without_figures_shows_no_zero_and_no_rate(demo, plan):
    """Issue 31, finding 4: a unit that has not reported was shown as 0.0% in red («Tổng hợp»), 0.00
    («Kinh phí»), while the Word annex showed "–". No figure is no rate: the cells stay empty."""
    from pipeline.app.demo import SILENT_UNITS

    workdir, _ = demo
    book = openpyxl.load_workbook(workdir / "outbox" / "2025-annual" / "tong-hop_2025-annual.xlsx", data_only=True)
    names = {plan.unit(code).name for code in SILENT_UNITS}  # communes that send nothing in 2025
    seen = 0
    for sheet in ("Tổng hợp", "Kinh phí", "Tỷ lệ"):
        for row in book[sheet].iter_rows(values_only=True):
            if any(value in names for value in row[:3]):
                seen += 1
                numbers = [v for v in row[3:] if isinstance(v, int | float)]
                assert numbers == [] or sheet == "Tổng hợp", (sheet, row)
                if sheet == "Tổng hợp":  # the targets stay; no result and no rate beside them
                    assert all(v > 0 for v in numbers), (sheet, row)
    assert seen >= 3


def test_totals_say_how_many_units_they_hold(demo, plan):
    """Issue 31, finding 4: a total over units of which some sent nothing says so."""
    from pipeline.app.demo import SILENT_UNITS

    workdir, _ = demo
    book = openpyxl.load_workbook(workdir / "outbox" / "2025-annual" / "tong-hop_2025-annual.xlsx", data_only=True)
    units = len(plan.units_for(plan.round("2025-annual")))
    summary = next(r for r in book["Tổng hợp"].iter_rows(values_only=True) if r[1] == "Tổng cộng")
    assert summary[3] == f"Số liệu của {units - len(SILENT_UNITS)}/{units} đơn vị"
    budget = next(r for r in book["Kinh phí"].iter_rows(values_only=True) if r[1] == "Toàn tỉnh")
    assert budget[2] == f"Số liệu của {units - len(SILENT_UNITS)}/{units} đơn vị đã báo cáo kỳ này"
