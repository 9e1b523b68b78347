"""Every output for a plan that is not Sơn La's (tests/support/plan_seven.py: 7 indicators, 2 ratios, 2
budget sources, 4 units): templates, workbook, annex, Word and HTML reports, district reports, the
status page and the end-of-phase report, with figures worked out here from the typed values."""

from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.rebuild import rebuild_phase
from pipeline.app.runner import run
from pipeline.core.locations import Paths
from pipeline.plan.loader import load_plan
from tests.support import plan_seven
from tests.support.report_text import number

pytestmark = pytest.mark.integration

DAYS = {"2024-annual": date(2024, 9, 5), "2024-update": date(2025, 1, 20)}


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    root = tmp_path_factory.mktemp("seven")
    plan_dir = plan_seven.write_with_activities(root / "plan")
    plan = load_plan(plan_dir)
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    typed, templates = {}, {}
    for rnd in plan.rounds:
        templates[rnd.id] = plan_seven.send_round(plan, paths, root / "templates", rnd, typed)
        report = run(paths, plan_dir, today=DAYS[rnd.id])
        assert all(o.record.status.startswith("accepted") for o in report.outcomes), rnd.id
    phase = rebuild_phase(paths, plan_dir, date(2025, 2, 1))
    return plan, root / "outbox", typed, templates, phase


def _cumulative(plan, typed, round_id, unit, indicator):
    previous = typed["2024-annual", unit.code][f"in_{indicator.code}_previous"]
    measure = "estimate" if round_id.endswith("annual") else "actual"
    year = typed[round_id, unit.code][f"in_{indicator.code}_{measure}"]
    return year if indicator.kind == "stock" else previous + year


def test_templates_ask_for_exactly_this_plans_indicators_ratios_and_budget(seven):
    plan, _, _, templates, _ = seven
    assert [len(t) for t in templates.values()] == [4, 4]
    book = openpyxl.load_workbook(templates["2024-annual"][0])
    names = set(book.defined_names)
    assert {f"p8_target_{i.code}" for i in plan.indicators} <= names
    assert len([n for n in names if n.startswith("p8_target_")]) == 7
    assert {n for n in names if n.endswith("_num")} == {"in_r1_num", "in_r2_num"}
    assert {n for n in names if n.startswith("in_") and n.endswith("_allocated")} == {"in_budget_central_allocated",
                                                             "in_budget_local_allocated"}


@pytest.mark.parametrize("round_id", ["2024-annual", "2024-update"])
def test_workbook_annex_word_and_html_give_the_independent_figures(seven, round_id):
    plan, outbox, typed, _, _ = seven
    folder = outbox / round_id
    sheet = openpyxl.load_workbook(folder / f"tong-hop_{round_id}.xlsx", data_only=True)["Tổng hợp"]
    annex = openpyxl.load_workbook(folder / f"phu-luc_{round_id}.xlsx", data_only=True)["Tổng hợp"]
    document = Document(folder / f"bao-cao_{round_id}.docx")
    html = (folder / f"bao-cao_{round_id}.html").read_text(encoding="utf-8")
    rows = {sheet.cell(r, 2).value: r for r in range(6, 12)}
    annex_total = next(r for r in range(1, 12) if annex.cell(r, 2).value == "Tổng cộng")
    word_annex = next(t for t in document.tables if len(t.columns) > 2 and t.rows[0].cells[2].text == "Số bản ĐBKK")
    assert len(word_annex.columns) == 3 + 7 and len(word_annex.rows) == 1 + 3 + 3
    table_one = next(t for t in document.tables if t.rows[0].cells[0].text == "TT" and len(t.columns) >= 7)
    assert len(table_one.rows) == 1 + 7
    for k, indicator in enumerate(plan.indicators):
        col = 5 + 4 * k
        total = 0
        for unit in plan.units:
            expected = _cumulative(plan, typed, round_id, unit, indicator)
            assert sheet.cell(rows[unit.name], col + 2).value == expected, (unit.code, indicator.code)
            total += expected
        assert sheet.cell(rows["Tổng cộng"], col + 2).value == total == annex.cell(annex_total, col + 2).value
        assert sheet.cell(rows["Tổng cộng"], col).value == plan.totals["total"][indicator.code]
        assert number(table_one.rows[k + 1].cells[-2].text) == total
        assert word_annex.rows[1].cells[3 + k].text.startswith(f"{total}/{plan.totals['total'][indicator.code]} (")
        assert f"{indicator.name}:" in html
    budget = next(t for t in document.tables if t.rows[0].cells[0].text == "Nguồn vốn")
    assert [r.cells[0].text for r in budget.rows[1:]] == ["Ngân sách trung ương", "Ngân sách địa phương", "Tổng cộng"]
    ratios = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Chỉ tiêu", "Tử số"])
    numerators = [sum(typed[round_id, u.code][f"in_{r}_num"] for u in plan.units) for r in ("r1", "r2")]
    assert [number(r.cells[1].text) for r in ratios.rows[1:]] == numerators


def test_district_reports_status_page_and_phase_report_are_written(seven):
    plan, outbox, _, _, phase = seven
    for round_id in ("2024-annual", "2024-update"):
        districts = sorted(p.name for p in (outbox / round_id / "huyen").iterdir())
        assert districts == sorted(f"bao-cao_{round_id}_{u.code}_{u.slug}.docx" for u in plan.allocated)
        table = next(t for t in Document(outbox / round_id / "huyen" / districts[0]).tables
                     if t.rows[0].cells[0].text == "TT")
        assert len(table.rows) == 1 + 7
    page = (outbox / "index.html").read_text(encoding="utf-8")
    assert "2024-annual" in page and "2024-update" in page
    assert [p.name for p in phase] == ["bao-cao-giai-doan_2024-2026.html", "bao-cao-giai-doan_2024-2026.docx",
                                       "tong-hop-giai-doan_2024-2026.xlsx", "index.html"]
    assert 'href="giai-doan_2024-2026/bao-cao-giai-doan_2024-2026.docx"' in page
    sheet = openpyxl.load_workbook(phase[2], data_only=True)["Giai đoạn"]
    assert [sheet.cell(5 + k, 2).value for k in range(7)] == [i.short_name for i in plan.indicators]


@pytest.mark.parametrize("round_id", ["2024-annual", "2024-update"])
def test_activities_without_targets_are_asked_consolidated_and_reported(seven, round_id):
    plan, outbox, typed, templates, _ = seven
    template = openpyxl.load_workbook(templates[round_id][1])
    assert template.sheetnames[:5] == ["Hướng dẫn", "Chỉ tiêu", "Tỷ lệ", "Kinh phí", "Hoạt động"]
    assert {n for n in template.defined_names if n.startswith("in_act_")} == {
        "in_act_campaign_done", "in_act_campaign_events", "in_act_campaign_participants",
        "in_act_contest_done", "in_act_contest_participants", "in_act_contest_note"}
    sheet = openpyxl.load_workbook(outbox / round_id / f"tong-hop_{round_id}.xlsx", data_only=True)["Hoạt động"]
    totals = [[c.value for c in row] for row in sheet.iter_rows() if row[1].value == "Cộng"]
    text = (outbox / round_id / f"bao-cao_{round_id}.html").read_text(encoding="utf-8")
    word = [p.text for p in Document(outbox / round_id / f"bao-cao_{round_id}.docx").paragraphs]
    for activity, total in zip(plan.activities, totals, strict=True):
        answers = [typed[round_id, u.code] for u in plan.units]
        done = sum(a[f"in_act_{activity.code}_done"] == "Có" for a in answers)
        participants = sum(a[f"in_act_{activity.code}_participants"] for a in answers)
        assert total[2] == done and total[4] == participants
        events = sum(a.get(f"in_act_{activity.code}_events", 0) for a in answers)
        expected = f"Nhóm {activity.group} – {activity.name}: {done}/4 đơn vị đã báo cáo có thực hiện; " + (
            f"{events} cuộc, sự kiện; " if "events" in activity.asks else "") + f"{participants} người tham gia."
        assert f"- {expected}" in word and expected in text
