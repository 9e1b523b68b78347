"""The plan as a workbook: written from the bundled plan and read back to the same plan; edited in
LibreOffice as the officer's office program would, with a mistake (one error, at its cell, nothing
written) and as the next phase (every target typed, imported, templates written, a round consolidated)."""

import csv
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from pipeline.app.plan_book import import_workbook
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.cli.main import main
from pipeline.core.locations import Paths
from pipeline.intake.isolation import Limits
from pipeline.plan import book_layout as L
from pipeline.plan.as_json import plan_as_dict
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.templates.plan_book import plan_workbook
from pipeline.templates.writer import write_templates
from tests.support import plan_seven
from tests.support.helpers import LO_FILL, libreoffice_convert_all


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_bundled_plan_goes_to_a_workbook_and_back_unchanged(tmp_path, capsys):
    book, folder = tmp_path / "ke-hoach.xlsx", tmp_path / "ke-hoach"
    assert _cli(capsys, "plan", "--workbook", str(book))[0] == 0
    code, out, err = _cli(capsys, "plan", "--from-workbook", str(book), "--out", str(folder))
    assert (code, err) == (0, ""), err
    assert "87 đơn vị, 11 chỉ tiêu, 7 kỳ báo cáo" in out
    assert _cli(capsys, "plan", "--json")[1] == _cli(capsys, "--plan-dir", str(folder), "plan", "--json")[1]
    assert load_plan(folder) == load_plan(DEFAULT_PLAN_DIR)  # every field, not only what --json shows
    for name in ("units.csv", "indicators.csv", "targets.csv", "rounds.csv", "rules.toml"):
        assert (folder / name).read_bytes() == (DEFAULT_PLAN_DIR / name).read_bytes(), name


def _with_areas_and_senders(folder: Path) -> Path:
    shutil.copytree(DEFAULT_PLAN_DIR, folder)
    with (folder / "units.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        district = (row["former"] or row["code"]).split(";")[0]
        row["area"] = "" if row["level"] == "province" else ("Vùng Bắc" if district < "123" else "Vùng Nam")
        row["senders"] = "hoiphunu.bacyen@example.vn; vanthu.bacyen@example.vn" if row["code"] == "121" else ""
    with (folder / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.mark.parametrize("make", [plan_seven.write, plan_seven.write_succession, _with_areas_and_senders],
                         ids=["seven-indicators", "seven-with-reform", "areas-and-senders"])
def test_other_plans_go_to_a_workbook_and_back_unchanged(tmp_path, make):
    plan = load_plan(make(tmp_path / "plan"))
    (tmp_path / "p.xlsx").write_bytes(plan_workbook(plan))
    result = import_workbook(tmp_path / "p.xlsx", tmp_path / "back", tmp_path / "plan")
    assert result.errors == []
    assert load_plan(tmp_path / "back") == plan
    assert plan_as_dict(load_plan(tmp_path / "back")) == plan_as_dict(plan)


def test_the_workbook_holds_the_plan_for_people_to_read_and_edit(tmp_path):
    plan = load_plan()
    data = plan_workbook(plan)
    assert plan_workbook(plan) == data  # the same plan, the same bytes
    (tmp_path / "p.xlsx").write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert book.sheetnames == list(L.SHEETS)
    targets = book[L.SHEET_TARGETS]
    sheet, cell = next(iter(book.defined_names["plan_target_121_comm_groups"].destinations))
    assert (sheet, targets[cell.replace("$", "")].value) == (L.SHEET_TARGETS, 22)  # Bắc Yên: 22 groups
    assert targets[cell.replace("$", "")].fill.fgColor.rgb.endswith("FFF2CC")  # yellow: an input
    assert targets[cell.replace("$", "")].protection.locked is False
    assert targets["C4"].protection.locked is True and targets.protection.sheet
    assert len([n for n in book.defined_names if n.startswith("plan_target_")]) == 12 * 11
    units = book[L.SHEET_UNITS]
    assert [units.cell(5, c).value for c in (1, 2, 4)] == ["14", "Cấp tỉnh", "Cấp tỉnh"]
    chieng_son = next(r for r in units.iter_rows(min_row=5, values_only=True) if r[0] == "03985")
    assert chieng_son[1:4] == ("Cấp xã", "xã", "Xã Chiềng Sơn") and chieng_son[9:11] == ("123; 128", "123")
    rounds = book[L.SHEET_ROUNDS]
    assert [c.value for c in rounds[5]][:3] == ["2022-update", 2022, "Cập nhật cả năm"]
    validations = {str(v.sqref): v for v in targets.data_validations.dataValidation}
    assert any(v.type == "whole" and v.operator == "greaterThanOrEqual" for v in validations.values())
    assert any(v.type == "list" for v in units.data_validations.dataValidation)


def test_a_new_phase_starts_from_the_units_of_its_first_day(tmp_path, capsys):
    book = tmp_path / "moi.xlsx"
    code, out, _ = _cli(capsys, "plan", "--new-phase", "2026-2030", "--workbook", str(book))
    assert code == 0 and "2026-2030" in out
    written = book.read_bytes()
    code, _, err = _cli(capsys, "plan", "--new-phase", "2026-2030", "--workbook", str(book))
    assert code == 2 and "đã có" in err and book.read_bytes() == written  # an edited workbook is never replaced
    wb = openpyxl.load_workbook(book)
    units = [r for r in wb[L.SHEET_UNITS].iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(units) == 76 and units[0][0] == "14" and {r[1] for r in units[1:]} == {"Cấp xã"}
    assert all(r[7] is None and r[8] is None and r[9] is None for r in units)  # no dates, no predecessors
    rounds = [r[:6] for r in wb[L.SHEET_ROUNDS].iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(rounds) == 10
    assert rounds[0][0] == "2026-annual" and [d.date() for d in rounds[0][3:6]] == [
        date(2026, 1, 1), date(2026, 9, 10), date(2026, 9, 20)]
    assert rounds[-1][0] == "2030-update" and [d.date() for d in rounds[-1][3:6]] == [
        date(2030, 11, 1), date(2031, 1, 25), date(2031, 2, 5)]
    targets = wb[L.SHEET_TARGETS]
    assert [targets.cell(r, 1).value for r in range(8, 84)] == [u[0] for u in units]
    assert all(targets.cell(r, c).value is None for r in range(6, 84) for c in range(3, 14))
    indicators = [r for r in wb[L.SHEET_INDICATORS].iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(indicators) == 11 and {r[5] for r in indicators} == {"2026-2030"}
    identity = {r[0]: r[1] for r in wb[L.SHEET_IDENTITY].iter_rows(min_row=5, values_only=True)}
    assert identity["Giai đoạn (ví dụ 2026-2030) *"] == "2026-2030"
    assert identity["Văn bản (số, ngày, cơ quan ban hành) *"] is None  # the officer types the new plan's


def test_errors_name_their_cells_and_all_come_at_once(tmp_path):
    book = openpyxl.load_workbook(_workbook(tmp_path))
    book[L.SHEET_TARGETS]["E9"] = "12 tổ"
    book[L.SHEET_TARGETS]["C10"] = -3
    book[L.SHEET_ROUNDS]["F6"] = date(2023, 9, 1)  # the province's deadline before the units'
    book[L.SHEET_ROUNDS]["A11"], book[L.SHEET_ROUNDS]["B11"] = "2031-annual", 2031
    book[L.SHEET_UNITS]["J20"] = "999"
    book[L.SHEET_INDICATORS]["A15"] = "gm trainings"
    book[L.SHEET_IDENTITY]["B6"] = "=HYPERLINK(\"http://x\")"
    book[L.SHEET_IDENTITY]["B6"].data_type = "s"  # text that a spreadsheet would run, once in a CSV file
    book[L.SHEET_IDENTITY]["B7"] = "=1+1"  # a formula
    book.save(tmp_path / "sai.xlsx")
    result = import_workbook(tmp_path / "sai.xlsx", tmp_path / "out", DEFAULT_PLAN_DIR)
    joined = "\n".join(result.errors)
    for expected in (
        "'Chỉ tiêu theo đơn vị'!E9: «Chỉ tiêu savings_groups_gals của 121» phải là số nguyên, đang ghi «12 tổ»",
        "'Chỉ tiêu theo đơn vị'!C10: «Chỉ tiêu comm_groups của 125» là số âm (-3)",
        "'Kỳ báo cáo'!F6: hạn tỉnh báo cáo (01/09/2023) trước hạn đơn vị gửi (10/09/2023)",
        "'Kỳ báo cáo'!B11: năm 2031 nằm ngoài giai đoạn 2021-2025",
        "'Đơn vị'!J20: kế tục đơn vị «999», nhưng không có đơn vị mã đó",
        "'Chỉ tiêu'!A15: «Mã chỉ tiêu (không dấu)» ghi «gm trainings»",
        "'Kế hoạch'!B6: «Văn bản (số, ngày, cơ quan ban hành)» bắt đầu bằng «=»",
        "'Kế hoạch'!B7: «Tên kế hoạch»: ô chứa công thức; hãy nhập giá trị.",
    ):
        assert expected in joined, joined
    assert result.written is None and not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_totals_that_do_not_add_up_and_a_gap_between_a_unit_and_its_successor(tmp_path):
    book = openpyxl.load_workbook(_workbook(tmp_path))
    targets = book[L.SHEET_TARGETS]
    targets["C6"] = 801  # the stated total of comm_groups
    units = book[L.SHEET_UNITS]
    row = next(r for r in range(5, 100) if units.cell(r, 1).value == "03985")
    units.cell(row, 8).value = date(2025, 7, 15)  # Chiềng Sơn starts two weeks after its districts end
    book.save(tmp_path / "sai.xlsx")
    errors = import_workbook(tmp_path / "sai.xlsx", tmp_path / "out", DEFAULT_PLAN_DIR).errors
    assert "'Chỉ tiêu theo đơn vị'!C6: chỉ tiêu «comm_groups»: cấp tỉnh cộng các đơn vị được 800, nhưng dòng tổng " \
           "ghi 801." in errors
    assert sum(f"'Đơn vị'!H{row}: đơn vị kế tục" in e for e in errors) == 2  # after 123 and after 128


def test_a_new_phase_may_not_keep_the_finished_plans_id(tmp_path):
    book = openpyxl.load_workbook(_workbook(tmp_path))
    book[L.SHEET_IDENTITY]["B9"] = "2026-2030"
    for row in range(5, 12):  # its rounds move with it
        rounds = book[L.SHEET_ROUNDS]
        year = rounds.cell(row, 2).value + 4
        rounds.cell(row, 1).value, rounds.cell(row, 2).value = f"{year}-{rounds.cell(row, 1).value[5:]}", year
    book.save(tmp_path / "cung-ma.xlsx")
    result = import_workbook(tmp_path / "cung-ma.xlsx", tmp_path / "out", DEFAULT_PLAN_DIR, in_use=load_plan())
    assert result.errors == ["'Kế hoạch'!B5: mã kế hoạch «son-la-286-2022» là mã của kế hoạch giai đoạn 2021-2025 "
                             "đang dùng; kế hoạch giai đoạn 2026-2030 cần mã khác, để tệp làm từ mẫu của kế hoạch "
                             "này không bị nhận nhầm là của kế hoạch kia."]
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_the_command_did_not_write_is_never_replaced(tmp_path, capsys):
    book = _workbook(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "ghi-chu.txt").write_text("của tôi", encoding="utf-8")
    code, _, err = _cli(capsys, "plan", "--from-workbook", str(book), "--out", str(tmp_path / "mine"))
    assert code == 2 and "không do lệnh này tạo ra" in err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["ghi-chu.txt"]
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    code, _, err = _cli(capsys, "plan", "--from-workbook", str(link), "--out", str(tmp_path / "new"))
    assert code == 2 and "là liên kết tượng trưng" in err and not (tmp_path / "new").exists()
    first = import_workbook(book, tmp_path / "again", DEFAULT_PLAN_DIR)
    (tmp_path / "again" / "schedule-notes.txt").write_text("x", encoding="utf-8")
    second = import_workbook(book, tmp_path / "again", DEFAULT_PLAN_DIR)  # its own folder: replaced whole
    assert first.written == second.written and (tmp_path / "again" / "schedule-notes.txt").is_file()


def test_a_file_that_is_not_a_plan_workbook_is_one_error(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04 not really")
    assert import_workbook(tmp_path / "x.xlsx", tmp_path / "o", DEFAULT_PLAN_DIR).errors == [
        "x.xlsx: tệp hỏng, không đọc được."]
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4 a scanned plan")
    assert import_workbook(tmp_path / "x.pdf", tmp_path / "o", DEFAULT_PLAN_DIR).errors == [
        "x.pdf: không phải bảng tính .xlsx đọc được."]
    other = openpyxl.Workbook()
    other.save(tmp_path / "khac.xlsx")
    errors = import_workbook(tmp_path / "khac.xlsx", tmp_path / "o", DEFAULT_PLAN_DIR).errors
    assert errors[0] == "'Kế hoạch': không có trang này." and not (tmp_path / "o").exists()


def test_a_hostile_plan_workbook_is_answered_in_one_line(tmp_path):
    """A zip bomb stops at the guard; a worker that runs out of its limits is one line, not a traceback."""
    from tests.support.bombs import workbook_bomb

    (tmp_path / "bom.xlsx").write_bytes(workbook_bomb(4095))
    assert import_workbook(tmp_path / "bom.xlsx", tmp_path / "o", DEFAULT_PLAN_DIR).errors == [
        "bom.xlsx: tệp nén bất thường (giải nén ra quá lớn); không mở tệp này."]
    (tmp_path / "bom.xlsx").write_bytes(workbook_bomb(4095, declared=1000))  # its sizes lie
    assert import_workbook(tmp_path / "bom.xlsx", tmp_path / "o", DEFAULT_PLAN_DIR).errors == [
        "bom.xlsx: tệp hỏng, không đọc được."]
    starved = import_workbook(_workbook(tmp_path), tmp_path / "o", DEFAULT_PLAN_DIR,
                              limits=Limits(memory_bytes=40 << 20))
    assert len(starved.errors) == 1 and starved.errors[0].startswith("ke-hoach.xlsx: ")
    assert not (tmp_path / "o").exists()


def _workbook(tmp_path: Path) -> Path:
    path = tmp_path / "ke-hoach.xlsx"
    path.write_bytes(plan_workbook(load_plan()))
    return path


# -- through LibreOffice ------------------------------------------------------------------------


def _type(uno_python, source: Path, target: Path, values: dict, profile: Path) -> dict:
    values_file = target.with_suffix(".json")
    values_file.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([uno_python, str(LO_FILL), str(source), str(target), str(values_file), str(profile)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_target_typed_as_text_in_libreoffice_is_refused_at_its_cell(uno_python, tmp_path, capsys):
    shown = _type(uno_python, _workbook(tmp_path), tmp_path / "sua.xlsx",
                  {"plan_target_123_leader_clubs": "ba câu lạc bộ", f"{L.SHEET_TARGETS}!B9": "đổi tên"},
                  tmp_path / "profile")
    assert shown[f"{L.SHEET_TARGETS}!B9"] == "Bắc Yên"  # the name column is locked
    code, out, err = _cli(capsys, "plan", "--from-workbook", str(tmp_path / "sua.xlsx"), "--out",
                          str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "Bảng tính kế hoạch sua.xlsx có 1 lỗi; chưa ghi gì:",
        "  - 'Chỉ tiêu theo đơn vị'!I11: «Chỉ tiêu leader_clubs của 123» phải là số nguyên, đang ghi «ba câu lạc bộ» "
        "(chữ, không phải số)."]
    made = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".~lock"))  # LibreOffice's own
    assert made == ["ke-hoach.xlsx", "profile", "sua.json", "sua.xlsx"]


def test_a_new_phase_typed_in_libreoffice_imports_and_runs(uno_python, soffice, tmp_path, capsys):
    book = tmp_path / "moi.xlsx"
    assert _cli(capsys, "plan", "--new-phase", "2026-2030", "--workbook", str(book))[0] == 0
    old = load_plan()
    units = [u for u in old.units if u.valid_on(date(2026, 1, 1))]
    typed: dict[str, str] = {f"{L.SHEET_IDENTITY}!B6": "Kế hoạch số 99/KH-UBND ngày 15/3/2026 của UBND tỉnh Sơn La",
                             f"{L.SHEET_IDENTITY}!B7": "Thực hiện bình đẳng giới giai đoạn 2026 - 2030"}
    for n, unit in enumerate(units):
        for k, indicator in enumerate(old.indicators):
            figure = 40 + 3 * k if unit.level == "province" else 1 + (n + k) % 4
            typed[L.target_name(unit.code, indicator.code)] = str(figure)
    shown = _type(uno_python, book, tmp_path / "da-dien.xlsx", typed, tmp_path / "profile")
    assert shown["plan_target_03985_comm_groups"] == str(1 + (units.index(old.unit("03985"))) % 4)
    code, _, err = _cli(capsys, "plan", "--from-workbook", str(tmp_path / "da-dien.xlsx"), "--out",
                        str(tmp_path / "ke-hoach-2026"))
    assert (code, err) == (0, ""), err
    plan = load_plan(tmp_path / "ke-hoach-2026")
    assert (plan.id, plan.phase, len(plan.units), len(plan.all_rounds)) == ("son-la-2026-2030", "2026-2030", 76, 10)
    assert plan.totals["total"]["comm_groups"] == 40 + sum(1 + n % 4 for n in range(1, 76))  # summed on import
    assert len(plan.allocated) == 75 and plan.outside_allocation == ()

    rnd = plan.round("2026-annual")
    templates = write_templates(plan, rnd, tmp_path / "mau", rules=None)
    assert len(templates) == 76
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    values, filled = {}, []
    for unit, template in zip(plan.units_for(rnd), templates, strict=True):
        values[unit.code] = sample_values(plan, rnd, unit, with_previous=True)
        fill_template(template, tmp_path / "typed" / template.name, values[unit.code])
        filled.append(tmp_path / "typed" / template.name)
    libreoffice_convert_all(soffice, filled, paths.inbox, timeout=900)
    report = run(paths, tmp_path / "ke-hoach-2026", today=date(2026, 9, 5))
    assert {o.record.status for o in report.outcomes} <= {"accepted", "accepted_with_warnings"}
    assert len(report.outcomes) == 76
    summary = openpyxl.load_workbook(paths.outbox / "2026-annual" / "tong-hop_2026-annual.xlsx", data_only=True)
    sheet = summary["Tổng hợp"]
    rows = {sheet.cell(r, 2).value: r for r in range(6, 120) if sheet.cell(r, 2).value}
    for k, indicator in enumerate(plan.indicators):
        col = 5 + 4 * k
        field = f"in_{indicator.code}_estimate"
        expected = {code: v[field] + (v[f"in_{indicator.code}_previous"] if indicator.kind == "flow" else 0)
                    for code, v in values.items()}
        assert sheet.cell(rows["Tổng cộng"], col + 2).value == sum(expected.values())
        assert sheet.cell(rows["Tổng cộng"], col).value == plan.totals["total"][indicator.code]
        chieng_son = plan.unit("03985")
        assert sheet.cell(rows[chieng_son.name], col).value == plan.targets["03985"][indicator.code]
        assert sheet.cell(rows[chieng_son.name], col + 2).value == expected["03985"]

    # Both plans side by side, one ledger: a file made from the finished plan's template is answered as
    # such while the new plan is in use, and the finished plan still reads its own rounds only.
    rnd_2025 = old.round("2025-annual")
    template = write_templates(old, rnd_2025, tmp_path / "mau-cu", [old.unit("03985")])[0]
    fill_template(template, paths.inbox / "cu.xlsx", sample_values(old, rnd_2025, old.unit("03985"),
                                                                 with_previous=True))
    late = run(paths, tmp_path / "ke-hoach-2026", today=date(2026, 9, 8))
    assert [f.code for o in late.outcomes for f in o.findings if f.severity == "error"] == ["template-other-plan"]
    code, out, err = _cli(capsys, "--plan-dir", str(DEFAULT_PLAN_DIR), "status", "--outbox", str(paths.outbox),
                          "--ledger", str(paths.ledger), "--today", "2025-09-08")
    assert code == 0 and "2026" not in out and "(kỳ 2025-annual)" in out, err
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
