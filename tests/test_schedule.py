"""Progress against the schedule: the default milestones of each completion time, the officer's own
milestones, each status, and the «Tiến độ» sheet checked against a computation written out here."""

import re
from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.errors import PlanError
from pipeline.core.locations import Paths
from pipeline.plan import schedule
from pipeline.plan.loader import load_plan
from pipeline.templates.writer import write_templates

pytestmark = pytest.mark.integration


def test_the_appendix_completion_times_give_equal_shares():
    assert schedule.from_window("2022-2024") == ((2022, 1 / 3), (2023, 2 / 3), (2024, 1.0))
    assert schedule.from_window("2023 và 2025") == ((2023, 0.5), (2025, 1.0))
    assert schedule.from_window("2025") == ((2025, 1.0),)
    for bad in ("2024-2022", "cuối kỳ", "2023 hoặc 2025"):
        with pytest.raises(PlanError):
            schedule.from_window(bad)


def test_a_unit_is_done_on_track_behind_or_overdue():
    window = schedule.from_window("2022-2023")
    assert schedule.status(10, 10, window, 2022, year_closed=False) == schedule.DONE  # done a year early
    assert schedule.status(5, 10, window, 2022, year_closed=False) == schedule.ON_TRACK
    assert schedule.status(4, 10, window, 2022, year_closed=False) == schedule.BEHIND
    assert schedule.status(9, 10, window, 2023, year_closed=False) == schedule.BEHIND  # September: the year goes on
    assert schedule.status(9, 10, window, 2023, year_closed=True) == schedule.OVERDUE  # the year's actual
    assert schedule.status(9, 10, window, 2024, year_closed=False) == schedule.OVERDUE
    assert schedule.status(None, 10, window, 2024, year_closed=False) == schedule.NO_DATA
    assert schedule.status(0, 0, window, 2024, year_closed=False) == schedule.NO_TARGET


def test_the_officer_can_set_milestones_of_their_own(plan_copy):
    (plan_copy / "schedule.csv").write_text("indicator,year,percent\ncomm_groups,2022,20\ncomm_groups,2023,60\n"
                                            "comm_groups,2024,100\n", encoding="utf-8")
    plan = load_plan(plan_copy)
    indicator = next(i for i in plan.indicators if i.code == "comm_groups")
    assert indicator.milestones == ((2022, 0.2), (2023, 0.6), (2024, 1.0))
    assert next(i for i in plan.indicators if i.code == "leader_clubs").milestones == ((2023, 0.5), (2024, 1.0))
    (plan_copy / "schedule.csv").write_text("indicator,year,percent\ncomm_groups,2022,60\ncomm_groups,2023,40\n",
                                            encoding="utf-8")
    with pytest.raises(PlanError, match="không giảm dần"):
        load_plan(plan_copy)


# Bắc Yên's 2024 figures, chosen against its targets (comm 22, safe addresses 3, dialogues 15, clubs 5).
CHOSEN = {"in_comm_groups_estimate": 22,  # stock at its target: done
          "in_safe_addresses_estimate": 2,  # 2022-2023, below target in 2024: overdue
          "in_policy_dialogues_previous": 4, "in_policy_dialogues_estimate": 4,  # flow 8 of 15, half due by 2023
          "in_leader_clubs_estimate": 4}  # 2023-2024, 4 of 5 in September 2024: behind
# The same, worked out by hand: (cumulative, target, share expected by the end of 2024).
BY_HAND = {"comm_groups": (22, 22, 1.0), "safe_addresses": (2, 3, 1.0), "policy_dialogues": (8, 15, 0.5),
           "leader_clubs": (4, 5, 1.0)}
LABELS = {"comm_groups": "Đã hoàn thành", "safe_addresses": "Quá hạn chưa hoàn thành",
          "policy_dialogues": "Đúng tiến độ", "leader_clubs": "Chậm tiến độ"}


def _percent(share: float) -> str:
    """As every output writes a percentage: one decimal, a decimal comma."""
    return f"{100 * share:.1f}".replace(".", ",") + "%"


def test_the_progress_sheet_shows_each_units_standing(plan, tmp_path):
    rnd = plan.round("2024-annual")
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    for code in ("121", "125"):
        unit = plan.unit(code)
        template = write_templates(plan, rnd, tmp_path / "templates", [unit])[0]
        values = sample_values(plan, rnd, unit, with_previous=True) | (CHOSEN if code == "121" else {})
        fill_template(template, paths.inbox / template.name, values)
    run(paths, today=date(2024, 9, 9))
    sheet = openpyxl.load_workbook(tmp_path / "outbox" / rnd.id / "tong-hop_2024-annual.xlsx")["Tiến độ"]
    header = [c.value for c in sheet[4]]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    columns = {i.code: next(n for n, h in enumerate(header) if h and h.startswith(f"{i.no}. "))
               for i in plan.indicators}
    for code, label in LABELS.items():
        cumulative, target, expected = BY_HAND[code]
        assert rows["Bắc Yên"][columns[code]] == f"{label}\n({_percent(cumulative / target)})"
        assert f"Cần đạt đến hết 2024: {_percent(expected)}" in header[columns[code]]
    assert rows["Sông Mã"][columns["comm_groups"]] == "Chưa có số liệu"  # not reported: named, not counted
    assert rows["Toàn tỉnh"][columns["comm_groups"]].startswith(("Chậm tiến độ", "Đúng tiến độ", "Đã hoàn thành"))
    bac_yen = next(r for r in range(5, 5 + len(rows)) if sheet.cell(row=r, column=2).value == "Bắc Yên")
    assert sheet.cell(row=bac_yen, column=columns["safe_addresses"] + 1).fill.fgColor.rgb == "FFF8CBAD"  # overdue
    assert sheet.cell(row=bac_yen, column=columns["comm_groups"] + 1).fill.fgColor.rgb == "FFC6EFCE"  # done


def _roman_headings(texts: list[str]) -> list[str]:
    return [t.strip().upper() for t in texts if re.match(r"^[IVX]+\. ", t.strip())]


def test_the_reports_name_what_is_behind_or_overdue(plan, tmp_path):
    rnd = plan.round("2024-annual")
    paths = Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox")
    unit = plan.unit("121")
    template = write_templates(plan, rnd, tmp_path / "templates", [unit])[0]
    fill_template(template, paths.inbox / template.name, sample_values(plan, rnd, unit, with_previous=True) | CHOSEN)
    run(paths, today=date(2024, 9, 9))
    outbox = tmp_path / "outbox" / rnd.id
    word = Document(outbox / "bao-cao_2024-annual.docx")
    paragraphs = [p.text for p in word.paragraphs]
    assert "III. TIẾN ĐỘ SO VỚI THỜI GIAN HOÀN THÀNH" in paragraphs
    lagging = next(t for t in word.tables if [c.text for c in t.rows[0].cells][:2] == ["Đơn vị", "Chỉ tiêu"]
                   and t.rows[0].cells[-1].text == "Tiến độ")
    rows = [[c.text for c in r.cells] for r in lagging.rows[1:]]
    assert rows[0][0] == "Bắc Yên" and rows[0][-1] == "Quá hạn chưa hoàn thành"  # overdue comes first
    safe = next(r for r in rows if r[1] == "5. Địa chỉ an toàn cộng đồng")
    clubs = next(r for r in rows if r[1] == "7. CLB thủ lĩnh của sự thay đổi")
    assert safe[2:] == ["2022-2023", "100,0%", _percent(2 / 3), "Quá hạn chưa hoàn thành"]
    assert clubs[2:] == ["2023-2024", "100,0%", _percent(4 / 5), "Chậm tiến độ"]
    assert rows.index(safe) < rows.index(clubs)
    assert not any(r[1].startswith(("1. ", "6. ")) for r in rows)  # done, and on track: not listed
    # Word and HTML give the same sections the same numbers.
    html = (outbox / "bao-cao_2024-annual.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    assert _roman_headings(headings) == _roman_headings(paragraphs)
    assert "Quá hạn chưa hoàn thành" in html
    # The district's own report: the completion time and the status of each indicator.
    district = Document(next((outbox / "huyen").glob("*_121_*.docx")))
    table = next(t for t in district.tables if t.rows[0].cells[-1].text == "Tiến độ")
    by_name = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert by_name["Thành lập CLB thủ lĩnh của sự thay đổi"][-2:] == ["2023-2024", "Chậm tiến độ"]
    assert by_name["Thành lập và duy trì tổ truyền thông cộng đồng"][-2:] == ["2022-2024", "Đã hoàn thành"]


def test_the_template_shows_each_completion_time_and_what_is_due(plan, tmp_path):
    rnd, unit = plan.round("2024-annual"), plan.unit("121")
    template = write_templates(plan, rnd, tmp_path, [unit])[0]
    guide = openpyxl.load_workbook(template).worksheets[0]
    lines = [row[1] for row in guide.iter_rows(values_only=True) if row[1]]
    start = lines.index("Thời gian hoàn thành các chỉ tiêu (theo phụ lục Kế hoạch) và mức cần đạt đến hết năm 2024")
    dialogues = plan.targets["121"]["policy_dialogues"]
    assert lines[start + 6] == (f"6. Đối thoại chính sách: chỉ tiêu giai đoạn {dialogues} cuộc; hoàn thành 2023 và "
                                f"2025; đến hết năm 2024 cần đạt 50,0% chỉ tiêu ({-(-dialogues // 2)} cuộc).")
    assert lines[start + 5].endswith("hoàn thành 2022-2023; đến hết năm 2024 cần đạt 100,0% chỉ tiêu (3 địa chỉ).")
    assert len([line for line in lines[start + 1:] if " hoàn thành " in line]) == len(plan.indicators)
