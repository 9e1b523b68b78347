"""The provincial workbook: every figure recomputed independently from the ledger."""

import sqlite3
from datetime import date

import openpyxl
import pytest

from pipeline.app.queries import carried_figures
from pipeline.app.rebuild import rebuild
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.ledger.store import Ledger
from pipeline.plan import form
from pipeline.templates.writer import write_templates

pytestmark = pytest.mark.integration

# (round, day the officer runs the pipeline, units reporting)
SCENARIO = [
    ("2023-annual", date(2023, 9, 8), ["14", "121", "125", "126"]),
    ("2023-update", date(2024, 1, 24), ["14", "121", "125"]),
    ("2024-annual", date(2024, 9, 9), ["14", "121", "125", "126", "128"]),
]
NOTES = {"121": '=HYPERLINK("http://x")', "125": "+84 912 000 000", "126": "-5 tổ giải thể",
         "128": "@SUM(A1)"}


@pytest.fixture(scope="module")
def province(tmp_path_factory, plan):
    root = tmp_path_factory.mktemp("province")
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    for round_id, day, units in SCENARIO:
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        for code in units:
            unit = plan.unit(code)
            template = write_templates(plan, rnd, root / "templates", [unit], carried)[0]
            values = sample_values(plan, rnd, unit, with_previous=not carried.get(code))
            values[form.field_name("comm_groups", "note")] = NOTES.get(code, "")
            fill_template(template, paths.inbox / template.name, values)
        run(paths, today=day)
    # Bắc Yên corrects its 2024 estimate a few days later.
    rnd, unit = plan.round("2024-annual"), plan.unit("121")
    carried = carried_figures(plan, paths.ledger, paths.home, rnd)
    template = write_templates(plan, rnd, root / "templates", [unit], carried)[0]
    corrected = sample_values(plan, rnd, unit) | {
        "in_policy_dialogues_estimate": 9, "in_comm_groups_estimate": 21,
        "in_savings_members_finance_num": 41}
    fill_template(template, paths.inbox / "bac-yen-sua.xlsx", corrected)
    run(paths, today=date(2024, 9, 12))
    return root, paths


def _accepted(db, round_id):
    """{unit: {field: number}} of the accepted submission that counts, read straight from SQLite."""
    rows = db.execute(
        "SELECT s.unit, s.id, v.field, v.number FROM submission s JOIN value v ON v.submission_id = s.id"
        " WHERE s.round = ? AND s.status IN ('accepted', 'accepted_with_warnings')", (round_id,)).fetchall()
    result: dict = {}
    for unit, _, field, number in rows:
        result.setdefault(unit, {})[field] = number
    return result


def _expected(plan, db, round_id):
    """Stock: the latest year's figure; flow: the sum of years (plus the typed figure before them)."""
    through = plan.rounds_through(round_id)
    accepted = {r.id: _accepted(db, r.id) for r in through}
    expected = {}
    for unit in plan.units_for(plan.round(round_id)):
        for indicator in plan.indicators:
            years, baseline = {}, None
            for rnd in through:
                values = accepted[rnd.id].get(unit.code)
                measure = "estimate" if rnd.kind == "annual" else "actual"
                figure = values and values.get(f"in_{indicator.code}_{measure}")
                if figure is None:
                    continue
                if not years and values.get(f"in_{indicator.code}_previous") is not None:
                    baseline = values[f"in_{indicator.code}_previous"]
                years[rnd.year] = figure
            if not years:
                continue
            latest = years[max(years)]
            expected[unit.code, indicator.code] = latest if indicator.kind == "stock" else \
                sum(years.values()) + (baseline or 0)
    return expected


def test_every_summary_figure_equals_an_independent_computation(province, plan):
    root, paths = province
    db = sqlite3.connect(paths.ledger)
    expected = _expected(plan, db, "2024-annual")
    sheet = openpyxl.load_workbook(root / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx",
                                   data_only=True)["Tổng hợp"]
    rows = {sheet.cell(r, 2).value: r for r in range(6, 20)}
    for k, indicator in enumerate(plan.indicators):
        col = 5 + 4 * k  # 1-based: target, the year's figure, cumulative, % of target
        total = 0
        for unit in plan.units_for(plan.round("2024-annual")):
            assert sheet.cell(rows[unit.name], col).value == plan.targets[unit.code][indicator.code]
            figure = sheet.cell(rows[unit.name], col + 2).value
            assert figure == expected.get((unit.code, indicator.code)), (unit.name, indicator.code)
            total += figure or 0
            target = plan.targets[unit.code][indicator.code]
            share = sheet.cell(rows[unit.name], col + 3).value
            # no figure, no rate (issue 31, finding 4): an empty cell, never 0%
            expected_share = pytest.approx(figure / target) if figure is not None else None
            assert share == expected_share, (unit.name, indicator.code)
        assert sheet.cell(rows["Tổng cộng"], col + 2).value == total
        assert sheet.cell(rows["Tổng cộng"], col).value == plan.totals["total"][indicator.code]
    # a total says how many units' figures it holds (issue 31, finding 4)
    with_figures = {unit for unit, _ in expected}
    assert sheet.cell(rows["Tổng cộng"], 4).value == f"Số liệu của {len(with_figures)}/12 đơn vị"
    assert len(with_figures) < 12
    last_year = _accepted(db, "2023-update")["121"]["in_policy_dialogues_actual"]
    typed_before = _accepted(db, "2023-annual")["121"]["in_policy_dialogues_previous"]
    assert expected["121", "policy_dialogues"] == 9 + last_year + typed_before
    assert expected["121", "comm_groups"] == 21


def test_ratios_are_recomputed_from_summed_parts(province, plan):
    root, paths = province
    accepted = _accepted(sqlite3.connect(paths.ledger), "2024-annual")
    sheet = openpyxl.load_workbook(root / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx",
                                   data_only=True)["Tỷ lệ"]
    total_row = next(r for r in range(1, 40) if sheet.cell(r, 2).value == "Toàn tỉnh")
    for k, ratio in enumerate(plan.ratios):
        col = 5 + 3 * k
        numerator = sum(v[f"in_{ratio.code}_num"] for v in accepted.values())
        denominator = sum(v[f"in_{ratio.code}_den"] for v in accepted.values())
        assert sheet.cell(total_row, col).value == numerator
        assert sheet.cell(total_row, col + 1).value == denominator
        assert sheet.cell(total_row, col + 2).value == pytest.approx(numerator / denominator)
    assert accepted["121"]["in_savings_members_finance_num"] == 41


def test_status_sheet_shows_who_reported_and_when(province, plan):
    root, _ = province
    sheet = openpyxl.load_workbook(root / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx",
                                   data_only=True)["Tình hình nộp báo cáo"]
    rows = {sheet.cell(r, 2).value: [c.value for c in sheet[r]] for r in range(5, 17)}
    # on time with its first file (issue 31, finding 3): the correction of 12/09 is «bổ sung sau hạn»
    assert rows["Bắc Yên"][2:9] == ["Đã báo cáo (bổ sung sau hạn)", "bac-yen-sua.xlsx", "12/09/2024", "10/09/2024",
                                    "Có", 0, "Tiếp nhận, có lưu ý"]
    assert rows["Mai Sơn"][6:8] == ["Có", 0]
    assert rows["Sốp Cộp"][2] == "Chưa gửi" and rows["Sốp Cộp"][8] == "Chưa nhận"
    rates = {sheet.cell(r, 2).value: sheet.cell(r, 3).value for r in range(17, 23)}
    assert rates["Tỷ lệ đơn vị đã báo cáo"] == pytest.approx(5 / 12)
    assert rates["Tỷ lệ đơn vị báo cáo đúng hạn"] == pytest.approx(5 / 12)


def test_superseded_file_is_listed_among_the_sources(province):
    root, _ = province
    book = openpyxl.load_workbook(root / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx")
    sheet = book["Nguồn dữ liệu"]
    statuses = {row[1].value: row[7].value for row in sheet.iter_rows(min_row=5) if row[1].value}
    assert statuses["2024-annual_121_bac-yen.xlsx"] == "Đã được thay thế"
    assert statuses["bac-yen-sua.xlsx"] == "Tiếp nhận, có lưu ý"


def test_district_text_never_becomes_a_formula(province):
    root, _ = province
    book = openpyxl.load_workbook(root / "outbox" / "2024-annual" / "tong-hop_2024-annual.xlsx")
    notes = {}
    for row in book["Thuyết minh"].iter_rows():
        if len(row) >= 4 and row[2].value == "Tổ truyền thông cộng đồng":
            notes[row[0].value] = row[3]
    for code, text in NOTES.items():
        if code == "121":
            continue  # its corrected file carries no note
        assert notes[code].value == text and notes[code].data_type == "s", code


def test_rebuilding_from_the_same_ledger_gives_identical_bytes(province, plan, tmp_path):
    root, paths = province
    with Ledger(paths.ledger, paths.home) as ledger:
        first = rebuild(plan, ledger, tmp_path / "a", [plan.round("2024-annual")])
        second = rebuild(plan, ledger, tmp_path / "b", [plan.round("2024-annual")])
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert first[0].read_bytes() == (root / "outbox" / "2024-annual" / first[0].name).read_bytes()


def test_with_many_units_the_chart_shows_the_furthest_ahead_and_behind(province, plan, tmp_path, monkeypatch):
    from pipeline.workbook import charts

    _root, paths = province
    monkeypatch.setattr(charts, "CHART_UNITS", 4)
    with Ledger(paths.ledger, paths.home) as ledger:
        written = rebuild(plan, ledger, tmp_path, [plan.round("2024-annual")])
    book = openpyxl.load_workbook(written[0], data_only=True)
    summary, sheet = book["Tổng hợp"], book["Biểu đồ"]
    rows = {summary.cell(r, 2).value: r for r in range(6, 20)}

    def mean_share(unit):
        shares = [summary.cell(rows[unit.name], 5 + 4 * k + 3).value or 0
                  for k, i in enumerate(plan.indicators) if plan.targets[unit.code][i.code]]
        return sum(shares) / len(shares)

    ranked = sorted(plan.allocated, key=lambda u: -mean_share(u))
    assert [sheet.cell(4, c).value for c in range(3, 7)] == [u.name for u in ranked[:2] + ranked[-2:]]
    assert sheet.cell(4, 7).value is None
    assert "2 đơn vị có tỷ lệ bình quân các chỉ tiêu cao nhất và 2 đơn vị thấp nhất (trong 11 đơn vị" in \
        sheet.cell(2, 1).value
    assert mean_share(ranked[0]) > mean_share(ranked[-1])


def test_with_many_units_the_report_tables_show_the_furthest_ahead_and_behind(province, plan, tmp_path,
                                                                                monkeypatch):
    """A country's communes do not make a report of 36,000 rows: each unit table shows the units
    furthest ahead and behind, says so, and names the annex that has them all."""
    import docx
    from bs4 import BeautifulSoup

    from pipeline.reports import province as province_report
    from pipeline.reports import schedule as schedule_report

    _root, paths = province
    monkeypatch.setattr(province_report, "UNITS_IN_TABLES", 6)
    monkeypatch.setattr(province_report, "UNITS_SHOWN", 4)
    monkeypatch.setattr(schedule_report, "LAGGING_UNITS", 6)
    monkeypatch.setattr(schedule_report, "LAGGING_SHOWN", 3)
    with Ledger(paths.ledger, paths.home) as ledger:
        written = rebuild(plan, ledger, tmp_path, [plan.round("2024-annual")])
    summary = openpyxl.load_workbook(tmp_path / "2024-annual" / "tong-hop_2024-annual.xlsx", data_only=True)["Tổng hợp"]
    rows = {summary.cell(r, 2).value: r for r in range(6, 20)}
    indicator = plan.indicators[0]
    units = plan.units_for(plan.round("2024-annual"))
    shares = {u.name: summary.cell(rows[u.name], 8).value for u in units}
    ranked = sorted(units, key=lambda u: -shares[u.name] if shares[u.name] is not None else float("inf"))
    expected = [u.name for u in ranked[:2] + ranked[-2:]]
    title = (f"Bảng 2. {indicator.name} ({indicator.unit}) – 2 đơn vị có tỷ lệ đạt cao nhất và 2 đơn vị thấp "
             "nhất trong 12 đơn vị (số liệu từng đơn vị: tệp phu-luc_2024-annual.xlsx)")

    page = BeautifulSoup(next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8"), "html.parser")
    heading = next(h for h in page.find_all("h3") if h.get_text().startswith("Bảng 2."))
    assert heading.get_text() == title
    assert [tr.find("td").get_text() for tr in heading.find_next("table").find_all("tr")[1:]] == expected

    lagging = next(p for p in page.find_all("p") if p.get_text().startswith("Các đơn vị chậm tiến độ"))
    cases = int(lagging.get_text().split("(", 1)[1].split(" ", 1)[0])
    assert cases > 3
    assert lagging.get_text().endswith(" Dưới đây là 3 trường hợp đầu; mọi trường hợp ở trang «Tiến độ» của tệp "
                                       "tong-hop_2024-annual.xlsx.")
    assert len(lagging.find_next("table").find_all("tr")) == 1 + 3

    document = docx.Document(next(p for p in written if p.name == "bao-cao_2024-annual.docx"))
    texts = [p.text for p in document.paragraphs]
    assert title in texts
    columns = [[row.cells[0].text for row in t.rows[1:]] for t in document.tables]
    assert columns.count(expected) >= 1
    assert not any(len(c) == 12 and set(c) == {u.name for u in units} for c in columns)  # none lists all
    assert any("Trên đây: 2 đơn vị có tỷ lệ đạt cao nhất và 2 đơn vị thấp nhất trong 11 đơn vị" in
               row.cells[1].text for t in document.tables for row in t.rows)


def test_outputs_written_on_every_core_are_the_ones_written_in_one_process(province, plan, tmp_path, monkeypatch,
                                                                            pools):
    from pipeline.core import parallel
    from pipeline.reports import documents

    _root, paths = province
    with Ledger(paths.ledger, paths.home) as ledger:
        one = rebuild(plan, ledger, tmp_path / "one", [plan.round("2024-annual")])
        assert pools == []
        monkeypatch.setattr(parallel, "MIN_ITEMS", 2)
        monkeypatch.setattr(parallel, "cores", lambda: 2)
        monkeypatch.setattr(documents, "UNITS_PER_JOB", 2)
        spread = rebuild(plan, ledger, tmp_path / "two", [plan.round("2024-annual")])
    assert pools == [(2,)]
    assert [p.relative_to(tmp_path / "two") for p in spread] == [p.relative_to(tmp_path / "one") for p in one]
    assert len([p for p in one if "/huyen/" in p.as_posix()]) == 4  # 121, 125, 126, 128
    assert [p.read_bytes() for p in spread] == [p.read_bytes() for p in one]
