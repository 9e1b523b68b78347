"""What the reports say, read back from the Word report (python-docx), the HTML, the annex and the
workbook, for a scenario with known inputs: three districts report in September; in January two send
their full-year figures and the third is late, then sends them too; nine units never report.

Every expected figure is worked out here from the typed values, not taken from the pipeline."""

import re
from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.queries import carried_figures
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.templates.writer import write_templates
from tests.support.report_text import all_text, number, percent_as_shown

pytestmark = pytest.mark.integration

REPORTING = ("121", "125", "123")  # Bắc Yên, Mai Sơn, Mộc Châu
LATE = "123"  # sends its full-year figures only after the first January run
EARLY = "women_cadres_trained"  # due 2022-2025: typed past the province's target, done early
OVERDUE = "safe_addresses"  # due 2022-2023, far below target in 2024


def _sept_values(plan, code):
    values = sample_values(plan, plan.round("2024-annual"), plan.unit(code), with_previous=True)
    if code == "121":
        values[f"in_{EARLY}_previous"] = plan.totals["total"][EARLY]
    return values


def _jan_values(plan, code):
    sept = _sept_values(plan, code)
    values = {k.replace("_estimate", "_actual"): v for k, v in sept.items()
              if not k.endswith("_ytd") and not k.endswith("_previous")}
    values["in_comm_groups_actual"] += 1  # the full year differs from the September estimate
    return values


def _submit(plan, paths, root, round_id, codes, values, day):
    rnd = plan.round(round_id)
    carried = carried_figures(plan, paths.ledger, paths.home, rnd)
    for code in codes:
        template = write_templates(plan, rnd, root / "t" / round_id, [plan.unit(code)], carried)[0]
        fill_template(template, paths.inbox / template.name, values(plan, code))
    run(paths, today=day)


def _read(folder, round_id):
    return {
        "docx": Document(folder / f"bao-cao_{round_id}.docx"),
        "html": (folder / f"bao-cao_{round_id}.html").read_text(encoding="utf-8"),
        "sheet": openpyxl.load_workbook(folder / f"tong-hop_{round_id}.xlsx", data_only=True)["Tổng hợp"],
        "annex": openpyxl.load_workbook(folder / f"phu-luc_{round_id}.xlsx", data_only=True)["Tổng hợp"],
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, plan):
    root = tmp_path_factory.mktemp("truth")
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    _submit(plan, paths, root, "2024-annual", REPORTING, _sept_values, date(2024, 9, 6))
    sept = _read(root / "outbox" / "2024-annual", "2024-annual")
    _submit(plan, paths, root, "2024-update", [c for c in REPORTING if c != LATE], _jan_values, date(2025, 1, 20))
    jan_partial = _read(root / "outbox" / "2024-update", "2024-update")
    _submit(plan, paths, root, "2024-update", [LATE], _jan_values, date(2025, 1, 24))
    jan_full = _read(root / "outbox" / "2024-update", "2024-update")
    return sept, jan_partial, jan_full


def _expected(plan, measure):
    """indicator -> (the year's figure, the cumulative figure), summed over the reporting units;
    `measure` picks each unit's year figure ('estimate', 'actual', or a mix)."""
    out = {}
    for indicator in plan.indicators:
        year = cumulative = 0
        for code in REPORTING:
            sept = _sept_values(plan, code)
            figure = (_jan_values(plan, code)[f"in_{indicator.code}_actual"] if measure(code) == "actual"
                      else sept[f"in_{indicator.code}_estimate"])
            year += figure
            cumulative += figure if indicator.kind == "stock" else sept[f"in_{indicator.code}_previous"] + figure
        out[indicator.code] = (year, cumulative)
    return out


def _sentence(document, indicator) -> str:
    return next(p.text for p in document.paragraphs if p.text.startswith(f"- {indicator.name}:"))


def _table_one(document):
    return next(t for t in document.tables if t.rows[0].cells[0].text == "TT" and len(t.columns) >= 7)


def _html_table_one(html):
    table = html[html.index('id="bang-1"'):]
    table = table[:table.index("</table>")]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in table.split("<tr>")[1:]]


def test_september_gives_the_year_so_far_the_estimate_and_the_estimated_cumulative(scenario, plan):
    sept = scenario[0]
    expected = _expected(plan, lambda code: "estimate")
    ytd = {i.code: sum(_sept_values(plan, c)[f"in_{i.code}_ytd"] for c in REPORTING) for i in plan.indicators}
    comm = plan.indicators[0]
    year, cumulative = expected["comm_groups"]
    target = plan.totals["total"]["comm_groups"]
    assert _sentence(sept["docx"], comm) == (
        f"- {comm.name}: năm 2024, đến thời điểm báo cáo thực hiện được {ytd['comm_groups']} tổ, ước thực hiện cả "
        f"năm {year} tổ; ước lũy kế giai đoạn {cumulative}/{target} tổ, đạt "
        f"{percent_as_shown(cumulative / target)} chỉ tiêu giai đoạn.")
    rows = _table_one(sept["docx"]).rows
    assert [c.text for c in rows[0].cells][4:7] == [
        "Năm 2024: đến thời điểm báo cáo", "Năm 2024: ước thực hiện cả năm", "Ước lũy kế"]
    html_rows = _html_table_one(sept["html"])
    for k, indicator in enumerate(plan.indicators, start=1):
        cells = [c.text for c in rows[k].cells]
        assert [number(cells[4]), number(cells[5]), number(cells[6])] == [ytd[indicator.code],
                                                                            *expected[indicator.code]]
        assert [c.strip() for c in html_rows[k]] == cells


def test_coverage_names_the_units_that_did_not_report(scenario, plan):
    sept, jan_partial, _ = scenario
    never = [u.name for u in plan.units_for(plan.round("2024-annual")) if u.code not in REPORTING]
    listed = ", ".join(never[:-1]) + " và " + never[-1]
    text = all_text(sept["docx"])
    assert "Số liệu trong báo cáo gồm số liệu kỳ này của 3/12 đơn vị." in text
    assert (f"Chưa có số liệu nào của: {listed}; tỷ lệ đạt vẫn tính trên chỉ tiêu giai đoạn của toàn tỉnh."
            in text)
    text = all_text(jan_partial["docx"])
    assert ("Số liệu trong báo cáo gồm số liệu kỳ này của 2/12 đơn vị. 1 đơn vị chưa báo cáo kỳ này được giữ số "
            "liệu đã tiếp nhận gần nhất, tính vào tổng số và nêu riêng ở từng chỉ tiêu: Mộc Châu (số liệu Báo cáo "
            "kết quả năm 2024).") in text
    assert "không tính là 0" not in text
    word_annex = [row.cells[1].text for row in _word_annex(jan_partial["docx"]).rows]
    assert "Mộc Châu (chưa báo cáo kỳ này)" in word_annex and "Bắc Yên" in word_annex
    basis = {row[1].value: row[3].value for row in jan_partial["annex"].iter_rows()}
    assert basis["Mộc Châu"] == "Ước tính; chưa báo cáo kỳ này, số liệu Báo cáo kết quả năm 2024"
    assert basis["Bắc Yên"] == "Chính thức"


def _word_annex(document):
    return next(t for t in document.tables if t.rows[0].cells[1].text == "Đơn vị"
                and t.rows[0].cells[2].text == "Số bản ĐBKK")


def test_january_with_a_late_unit_keeps_its_estimate_and_says_so(scenario, plan):
    jan = scenario[1]
    expected = _expected(plan, lambda code: "estimate" if code == LATE else "actual")
    comm = plan.indicators[0]
    year, cumulative = expected["comm_groups"]
    kept = _sept_values(plan, LATE)["in_comm_groups_estimate"]
    target = plan.totals["total"]["comm_groups"]
    assert _sentence(jan["docx"], comm) == (
        f"- {comm.name}: năm 2024 thực hiện được {year} tổ (trong đó {kept} tổ là số ước thực hiện báo cáo tháng 9 "
        f"của đơn vị chưa gửi số liệu cả năm); ước lũy kế giai đoạn {cumulative}/{target} tổ, đạt "
        f"{percent_as_shown(cumulative / target)} chỉ tiêu giai đoạn. Trong đó {kept} tổ là số liệu giữ từ kỳ "
        "trước của đơn vị chưa báo cáo kỳ này.")
    assert [c.text for c in _table_one(jan["docx"]).rows[0].cells][4:6] == [
        "Năm 2024: ước thực hiện cả năm", "Ước lũy kế"]


def test_january_complete_has_no_estimate_left(scenario, plan):
    jan = scenario[2]
    expected = _expected(plan, lambda code: "actual")
    rows = _table_one(jan["docx"]).rows
    assert [c.text for c in rows[0].cells][4:6] == ["Thực hiện năm 2024", "Lũy kế"]
    for k, indicator in enumerate(plan.indicators, start=1):
        sentence = _sentence(jan["docx"], indicator)
        year, cumulative = expected[indicator.code]
        assert f"năm 2024 thực hiện được {year} {indicator.unit}; lũy kế giai đoạn {cumulative}/" in sentence
        assert "ước" not in sentence
        assert [number(rows[k].cells[4].text), number(rows[k].cells[5].text)] == [year, cumulative]
    results = jan["html"][jan["html"].index("<h2>II."):jan["html"].index('<h2 id="tien-do">')]
    assert "ước" not in results.lower()


@pytest.mark.parametrize("moment", [0, 1, 2], ids=["september", "january-late", "january-complete"])
def test_text_tables_annex_and_workbook_agree_on_every_indicator(scenario, plan, moment):
    read = scenario[moment]
    sheet, annex = read["sheet"], read["annex"]
    total = next(r for r in range(1, 30) if sheet.cell(r, 2).value == "Tổng cộng")
    annex_total = next(r for r in range(1, 30) if annex.cell(r, 2).value == "Tổng cộng")
    word_annex = _word_annex(read["docx"])
    rows = _table_one(read["docx"]).rows
    for k, indicator in enumerate(plan.indicators):
        target = plan.totals["total"][indicator.code]
        figure = re.search(r"lũy kế giai đoạn ([\d.]+)/([\d.]+) .*?, đạt ([\d,]+%)", _sentence(read["docx"], indicator))
        cumulative, percent = number(figure.group(1)), figure.group(3)
        col = 5 + 4 * k
        assert sheet.cell(total, col + 2).value == cumulative == annex.cell(annex_total, col + 2).value
        assert number(rows[k + 1].cells[-2].text) == cumulative and rows[k + 1].cells[-1].text == percent
        assert percent_as_shown(sheet.cell(total, col + 3).value) == percent
        shown = f"{cumulative:,.0f}/{target:,}".replace(",", ".")
        assert word_annex.rows[1].cells[3 + k].text == f"{shown} ({percent})"


def test_schedule_flags_the_overdue_and_the_early(scenario, plan):
    for read in scenario:
        text = all_text(read["docx"])
        overdue = next(i for i in plan.indicators if i.code == OVERDUE)
        early = next(i for i in plan.indicators if i.code == EARLY)
        line = next(p.text for p in read["docx"].paragraphs if p.text.startswith("- Quá hạn chưa hoàn thành: "))
        assert f"{overdue.short_name} (thời gian hoàn thành 2022-2023, mới đạt" in line
        assert (f"Hoàn thành chỉ tiêu giai đoạn trước thời hạn: {early.short_name} (thời gian hoàn thành "
                "2022-2025).") in text
        schedule = next(t for t in read["docx"].tables
                        if [c.text for c in t.rows[0].cells][:3] == ["TT", "Chỉ tiêu", "Thời gian hoàn thành"])
        status = {row.cells[1].text: row.cells[5].text for row in schedule.rows[1:]}
        assert status[overdue.short_name] == "Quá hạn chưa hoàn thành"
        assert status[early.short_name] == "Đã hoàn thành"
        assert "Quá hạn chưa hoàn thành" in read["html"] and early.short_name in read["html"]


def test_the_districts_words_are_summarised_once_with_who_said_them(scenario):
    text = all_text(scenario[0]["docx"])
    assert text.count("Địa bàn rộng, giao thông khó khăn") == 1
    assert "- Địa bàn rộng, giao thông khó khăn (Bắc Yên, Mai Sơn, Mộc Châu)." in text
    for heading in ("VII. ĐÁNH GIÁ CHUNG", "1. Kết quả đạt được", "2. Tồn tại, hạn chế", "3. Nguyên nhân",
                    "VIII. NHIỆM VỤ, GIẢI PHÁP THỜI GIAN TỚI", "IX. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in text
    assert "[Cán bộ tổng hợp bổ sung: nguyên nhân khách quan và chủ quan của tồn tại, hạn chế.]" in text
    assert "Đôn đốc các đơn vị chưa báo cáo gửi báo cáo: Cấp tỉnh, Mường La" in text


def test_a_column_that_mixes_estimates_and_actuals_marks_each_estimate(plan):
    from pipeline.figures.report_figures import Figure
    from pipeline.reports.parts import Labels

    final = Figure(10, None, 4, False, 0, 9, False, 0)
    estimated = Figure(10, None, 3, True, 3, 7, True, 7)
    labels = Labels(plan.round("2024-update"), [final, estimated])
    assert (labels.year, labels.cumulative) == ("Thực hiện năm 2024", "Lũy kế")
    assert [labels.year_cell(f) for f in (final, estimated)] == ["4", "3*"]
    assert [labels.cumulative_cell(f) for f in (final, estimated)] == ["9", "7*"]
    assert labels.note.startswith("(*) Số có dấu * gồm số ước thực hiện báo cáo tháng 9")
    every = Labels(plan.round("2024-update"), [estimated])
    assert (every.year, every.cumulative, every.note) == ("Năm 2024: ước thực hiện cả năm", "Ước lũy kế", "")
    assert every.cumulative_cell(estimated) == "7"


def test_a_point_made_by_many_units_names_ten_and_counts_the_others():
    from types import SimpleNamespace

    from pipeline.reports import assessment

    texts = {f"X{n}": "Địa bàn rộng. Thiếu kinh phí" if n < 40 else "Địa bàn rộng" for n in range(45)}
    plan = SimpleNamespace(units=[SimpleNamespace(code=code, name=f"Xã {code[1:]}") for code in texts])
    result = SimpleNamespace(text=lambda unit, name: texts[unit])
    said = assessment.voices(plan, result, "difficulties")
    assert said == ["Địa bàn rộng (Xã 0, Xã 1, Xã 2, Xã 3, Xã 4, Xã 5, Xã 6, Xã 7, Xã 8, Xã 9 và 35 đơn vị khác).",
                    "Thiếu kinh phí (Xã 0, Xã 1, Xã 2, Xã 3, Xã 4, Xã 5, Xã 6, Xã 7, Xã 8, Xã 9 và 30 đơn vị khác)."]
