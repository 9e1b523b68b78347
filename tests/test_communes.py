"""The 2025 reform end to end, on the bundled plan: the 2024-annual round reported by the 11 districts,
the 2025-annual round by the province level and the 75 communes and wards, every file typed into its
template and saved again by LibreOffice, as units' office software writes it. Some communes do not
report: all four of Quỳnh Nhai's (its groups fall back on the district's 2024 count), Xã Mai Sơn,
Phường Mộc Châu and Phường Chiềng Sinh (outside the allocation). Every expected figure is worked out
here from the typed values, by the rule written in plan/README.md, not by the pipeline's code."""

import re
import shutil
from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.queries import carried_figures, former_lines
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.plan.loader import DEFAULT_PLAN_DIR, load_plan
from pipeline.templates.writer import write_templates
from tests.support.helpers import libreoffice_convert_all, require
from tests.support.report_text import all_text

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROUNDS = (("2024-annual", date(2024, 9, 5)), ("2025-annual", date(2025, 9, 5)))
QUYNH_NHAI = "118"
SILENT = {"04105", "03980", "03679"}  # Xã Mai Sơn, Phường Mộc Châu, Phường Chiềng Sinh
WARDS = ("03646", "03664", "03670", "03679")


def _silent(plan) -> set[str]:
    return SILENT | {u.code for u in plan.units if u.former == (QUYNH_NHAI,)}


@pytest.fixture(scope="module")
def reform(tmp_path_factory):
    soffice = require(shutil.which("soffice"), "LibreOffice (soffice)")
    root = tmp_path_factory.mktemp("communes")
    plan = load_plan()
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    typed: dict = {}
    for round_id, today in ROUNDS:
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        templates = write_templates(plan, rnd, root / "templates", carried=carried,
                                    formers=former_lines(plan, paths.ledger, paths.home, rnd))
        filled = []
        for unit, template in zip(plan.units_for(rnd), templates, strict=True):
            if unit.code in _silent(plan):
                continue
            typed[round_id, unit.code] = sample_values(plan, rnd, unit, with_previous=not carried.get(unit.code))
            typed_copy = root / "typed" / round_id / template.name
            fill_template(template, typed_copy, typed[round_id, unit.code])
            filled.append(typed_copy)
        libreoffice_convert_all(soffice, filled, paths.inbox, timeout=900)
        report = run(paths, DEFAULT_PLAN_DIR, today=today)
        assert {o.record.status for o in report.outcomes} <= {"accepted", "accepted_with_warnings"}
        assert len(report.outcomes) == len(filled)
    return plan, root, paths, typed


def _expected(plan, typed) -> dict:
    """(line, indicator) -> the estimated cumulative figure through 2025: every former district, every
    commune, the units outside the allocation, the province level and the total."""
    found = {}
    for indicator in plan.indicators:
        code = indicator.code

        def district_2024(unit, indicator=indicator):
            values = typed["2024-annual", unit]
            if indicator.kind == "stock":
                return values[f"in_{indicator.code}_estimate"]
            return values[f"in_{indicator.code}_previous"] + values[f"in_{indicator.code}_estimate"]

        province = typed["2025-annual", "14"][f"in_{code}_estimate"]
        if indicator.kind == "flow":
            province += district_2024("14")
        found["14", code] = province
        for district in plan.allocated:
            communes = [u.code for u in plan.units if (district.code, 100) in u.shares
                        and ("2025-annual", u.code) in typed]
            figures = [typed["2025-annual", c][f"in_{code}_estimate"] for c in communes]
            if indicator.kind == "stock":
                found[district.code, code] = sum(figures) if figures else district_2024(district.code)
            else:
                found[district.code, code] = district_2024(district.code) + sum(figures)
        for unit in plan.units:
            if unit.level == "commune" and ("2025-annual", unit.code) in typed:
                found[unit.code, code] = typed["2025-annual", unit.code][f"in_{code}_estimate"]
        found["outside", code] = sum(found.get((w, code), 0) for w in WARDS)
        found["total", code] = (found["14", code] + sum(found[d.code, code] for d in plan.allocated)
                                + found["outside", code])
    return found


def test_the_expected_totals_per_former_district(reform):
    """Printed for the closing note: `pytest -s tests/test_communes.py -k expected`."""
    plan, _, _, typed = reform
    expected = _expected(plan, typed)
    lines = [("14", plan.province_unit.name), *((d.code, d.name) for d in plan.allocated),
             ("outside", "Ngoài phân bổ (4 phường)"), ("total", "Tổng cộng")]
    for key, name in lines:
        print(f"{name:<26}" + " ".join(f"{expected[key, i.code]:>5}" for i in plan.indicators))
    assert expected["total", "comm_groups"] > 0


def test_every_figure_of_the_summary_equals_the_expected_one(reform):
    plan, _, paths, typed = reform
    expected = _expected(plan, typed)
    book = openpyxl.load_workbook(paths.outbox / "2025-annual" / "tong-hop_2025-annual.xlsx", data_only=False)
    sheet = book["Tổng hợp"]
    rows = {sheet.cell(r, 2).value: r for r in range(6, 40) if sheet.cell(r, 2).value}
    assert sheet.cell(rows["Đơn vị ngoài phân bổ chỉ tiêu"], 1).value == "III"
    for k, indicator in enumerate(plan.indicators):
        col = 5 + 4 * k  # target, the year's figure, cumulative, % of target
        for district in plan.allocated:
            assert sheet.cell(rows[district.name], col + 2).value == expected[district.code, indicator.code]
            assert sheet.cell(rows[district.name], col).value == plan.targets[district.code][indicator.code]
        assert sheet.cell(rows[plan.province_unit.name], col + 2).value == expected["14", indicator.code]
        for ward in WARDS:
            unit = plan.unit(ward)
            assert sheet.cell(rows[unit.name], col).value == "–"  # no target, never 0
            assert sheet.cell(rows[unit.name], col + 2).value == expected.get((ward, indicator.code))
        total = sheet.cell(rows["Tổng cộng"], col + 2).value
        # I + II + III, live; empty (not 0) while none of the three has a figure
        assert re.fullmatch(r'=IF\(COUNT\((\w+,\w+,\w+)\)=0,"",SUM\(\1\)\)', total), total
    cached = openpyxl.load_workbook(paths.outbox / "2025-annual" / "tong-hop_2025-annual.xlsx", data_only=True)
    for k, indicator in enumerate(plan.indicators):
        assert cached["Tổng hợp"].cell(rows["Tổng cộng"], 7 + 4 * k).value == expected["total", indicator.code]
    basis = sheet.cell(rows[plan.unit(QUYNH_NHAI).name], 4).value
    assert basis == "Ước tính; 0/4 đơn vị kế tục báo cáo kỳ này"
    assert sheet.cell(rows["Mộc Châu"], 4).value == "Ước tính; 7/8 đơn vị kế tục báo cáo kỳ này"


def test_every_commune_figure_is_on_the_current_units_sheet_and_traced_to_its_cell(reform):
    plan, _, paths, typed = reform
    expected = _expected(plan, typed)
    book = openpyxl.load_workbook(paths.outbox / "2025-annual" / "tong-hop_2025-annual.xlsx")
    sheet = book["Theo đơn vị mới"]
    found = {row[0]: row for row in sheet.iter_rows(min_row=6, values_only=True) if row[0]}
    assert set(found) == {u.code for u in plan.units if u.level == "commune"}  # the four wards too
    for k, indicator in enumerate(plan.indicators):
        for code, row in found.items():
            assert row[first_figure_column(sheet) + 4 * k + 1] == expected.get((code, indicator.code)), code
    traced = [r for r in book["Truy nguồn"].iter_rows(min_row=5, values_only=True) if r[0] == "03985"]
    assert {(r[5], r[7]) for r in traced} == {("2025-annual", "2025-annual_03985_xa-chieng-son.xlsx")}
    assert {r[9] for r in traced} == {"Chỉ tiêu", "Tỷ lệ", "Kinh phí"}
    estimate = typed["2025-annual", "03985"]["in_comm_groups_estimate"]
    assert any(r[6] == estimate and r[10] == "G6" for r in traced if r[2] == "Tổ truyền thông cộng đồng")


def first_figure_column(sheet) -> int:
    headers = [c.value for c in sheet[4]]
    return next(n for n, v in enumerate(headers) if v and str(v).startswith("1. "))


def test_the_word_report_and_its_annex_give_the_same_figures(reform):
    plan, _, paths, typed = reform
    expected = _expected(plan, typed)
    document = Document(paths.outbox / "2025-annual" / "bao-cao_2025-annual.docx")
    text = all_text(document)
    assert "69/76 đơn vị (cấp tỉnh và 68/75 xã, phường) đã gửi báo cáo được tiếp nhận" in text
    silent = sorted(_silent(plan), key=[u.code for u in plan.units].index)
    assert ("Chưa có số liệu nào của: " + ", ".join(plan.unit(c).name for c in silent[:-1])
            + f" và {plan.unit(silent[-1]).name}") in text
    assert "Xã Chiềng Sơn hình thành từ địa bàn của Mộc Châu và Vân Hồ, số liệu tính cho Mộc Châu" in text
    table_one = next(t for t in document.tables if t.rows[0].cells[0].text == "TT")
    for k, indicator in enumerate(plan.indicators, start=1):
        cells = [c.text for c in table_one.rows[k].cells]
        assert int(cells[6].replace(".", "")) == expected["total", indicator.code], indicator.code
    annex = next(t for t in document.tables if any(r.cells[1].text == "Cấp huyện" for r in t.rows))
    by_name = {r.cells[1].text: [c.text for c in r.cells] for r in annex.rows}
    assert "Quỳnh Nhai (0/4 đơn vị kế tục đã báo cáo kỳ này)" in by_name
    assert "Mộc Châu (7/8 đơn vị kế tục đã báo cáo kỳ này)" in by_name
    for k, indicator in enumerate(plan.indicators):
        for district in plan.allocated:
            cell = next(v for n, v in by_name.items() if n.startswith(f"{district.name} ("))[3 + k]
            assert cell.startswith(f"{expected[district.code, indicator.code]}/"), (district.name, cell)
        assert by_name["Đơn vị ngoài phân bổ chỉ tiêu"][3 + k] == str(expected["outside", indicator.code])
        assert by_name["Tổng cộng"][3 + k].startswith(f"{expected['total', indicator.code]}/")
    assert "Phường Chiềng Sinh (chưa báo cáo kỳ này)" in by_name
    # the view by current units, each commune's own figures, under a heading that says not to add them
    assert "Theo đơn vị mới (đã tính ở dòng đơn vị cũ, không cộng thêm)" in by_name
    for k, indicator in enumerate(plan.indicators):
        assert by_name["Xã Chiềng Sơn (tính cho Mộc Châu)"][3 + k] == str(expected["03985", indicator.code])
        assert by_name["Xã Mai Sơn (tính cho Mai Sơn; chưa báo cáo kỳ này)"][3 + k] == "–"


def test_a_commune_template_shows_its_former_district_for_context(reform):
    plan, root, _, typed = reform
    sheet = openpyxl.load_workbook(root / "templates" / "2025-annual" / "2025-annual_03985_xa-chieng-son.xlsx")
    indicators = sheet["Chỉ tiêu"]
    headers = [c.value for c in indicators[4]]
    assert headers[-2:] == ["Để tham khảo: chỉ tiêu giai đoạn của huyện Mộc Châu (cũ)",
                            "Để tham khảo: lũy kế của huyện Mộc Châu (cũ) đến hết năm 2024"]
    first = next(r for r in indicators.iter_rows(min_row=6) if r[0].value == 1)
    values = typed["2024-annual", "123"]
    assert [c.value for c in first[-2:]] == [plan.targets["123"]["comm_groups"], values["in_comm_groups_estimate"]]
    assert first[3].value == "–" and first[4].value == 0  # no target of its own; it starts from nothing
    guide = " ".join(str(c.value) for c in sheet["Hướng dẫn"]["B"] if c.value)
    assert "được thành lập từ xã Chiềng Sơn (thị xã Mộc Châu), xã Chiềng Xuân (huyện Vân Hồ)" in guide
    meta = {n: sheet.defined_names[n].attr_text for n in ("p8_unit", "p8_unit_valid_from")}
    assert meta == {"p8_unit": "p8_meta!$B$3", "p8_unit_valid_from": "p8_meta!$B$6"}
    assert sheet["p8_meta"]["B3"].value == "03985" and sheet["p8_meta"]["B6"].value == "2025-07-01"


def test_the_letters_go_to_the_commune_womens_union(reform):
    _, _, paths, _ = reform
    letters = sorted((paths.outbox / "2025-annual" / "feedback").rglob("*03985*.txt"))
    assert letters and "Kính gửi: Hội LHPN xã Chiềng Sơn" in letters[0].read_text(encoding="utf-8")
