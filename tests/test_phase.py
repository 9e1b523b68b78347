"""The end-of-phase report (`report --phase`): two districts report every year of the phase, 2025
only in September; every expected figure is worked out here from the typed values."""

from datetime import date

import openpyxl
import pytest
from docx import Document

from pipeline.app.queries import carried_figures
from pipeline.app.runner import run
from pipeline.app.samples import fill_template, sample_values
from pipeline.core.locations import Paths
from pipeline.plan.loader import load_plan
from pipeline.templates.writer import write_templates
from tests.support.helpers import plan_as_issued, run_cli
from tests.support.report_text import all_text, percent_as_shown

pytestmark = pytest.mark.integration

UNITS = ("121", "125")
ROUNDS = (("2022-update", date(2023, 1, 20)), ("2023-update", date(2024, 1, 20)),
          ("2024-update", date(2025, 1, 20)), ("2025-annual", date(2025, 9, 5)))
PHASE = "2021-2025"


def _values(plan, round_id, code):
    return sample_values(plan, plan.round(round_id), plan.unit(code), with_previous=round_id == "2022-update")


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """The plan without the 2025 reform: the districts report every year of the phase."""
    return plan_as_issued(tmp_path_factory.mktemp("issued") / "plan")


@pytest.fixture(scope="module")
def plan(issued):
    return load_plan(issued)


@pytest.fixture(scope="module")
def phase(tmp_path_factory, plan, issued):
    root = tmp_path_factory.mktemp("phase")
    paths = Paths.beside_outbox(root / "inbox", root / "outbox")
    for round_id, day in ROUNDS:
        rnd = plan.round(round_id)
        carried = carried_figures(plan, paths.ledger, paths.home, rnd)
        for code in UNITS:
            template = write_templates(plan, rnd, root / "t", [plan.unit(code)], carried)[0]
            fill_template(template, paths.inbox / template.name, _values(plan, round_id, code))
        run(paths, issued, today=day)
    done = run_cli("--plan-dir", str(issued), "report", "--phase", "--outbox", str(paths.outbox), "--ledger",
                   str(paths.ledger), "--today", "2025-09-15")
    assert done.returncode == 0, done.stderr
    folder = paths.outbox / f"giai-doan_{PHASE}"
    return folder, done.stdout


def _expected(plan):
    """indicator -> ({year: province total}, cumulative)."""
    out = {}
    for indicator in plan.indicators:
        years, cumulative = {}, 0
        for code in UNITS:
            per_year = {}
            for round_id, _ in ROUNDS:
                values = _values(plan, round_id, code)
                measure = "actual" if round_id.endswith("update") else "estimate"
                per_year[int(round_id[:4])] = values[f"in_{indicator.code}_{measure}"]
            for year, value in per_year.items():
                years[year] = years.get(year, 0) + value
            before = _values(plan, "2022-update", code)[f"in_{indicator.code}_previous"]
            cumulative += per_year[2025] if indicator.kind == "stock" else before + sum(per_year.values())
        out[indicator.code] = (years, cumulative)
    return out


def test_the_command_writes_word_html_and_workbook(phase):
    folder, stdout = phase
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"bao-cao-giai-doan_{PHASE}.docx", f"bao-cao-giai-doan_{PHASE}.html",
                     f"tong-hop-giai-doan_{PHASE}.xlsx"]
    assert all(name in stdout for name in names)


def test_each_year_and_the_phase_total_in_word_html_and_workbook(phase, plan):
    folder, _ = phase
    document = Document(folder / f"bao-cao-giai-doan_{PHASE}.docx")
    html = (folder / f"bao-cao-giai-doan_{PHASE}.html").read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(folder / f"tong-hop-giai-doan_{PHASE}.xlsx", data_only=True)["Giai đoạn"]
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][3:4] == ["Từng năm"])
    expected = _expected(plan)
    for k, indicator in enumerate(plan.indicators):
        years, cumulative = expected[indicator.code]
        target = plan.totals["total"][indicator.code]
        by_year = "; ".join(f"{y}: {v}" + (" (ước)" if y == 2025 else "") for y, v in sorted(years.items()))
        row = [c.text for c in table.rows[k + 1].cells]
        assert row[3] == by_year
        # issue 31, finding 6: the phase's cumulative rests on 2025's estimate, and the table says so
        assert row[4] == f"{cumulative} (ước)" and row[5] == percent_as_shown(cumulative / target)
        assert f"từng năm – {by_year};" in html
        sentence = next(p.text for p in document.paragraphs if p.text.startswith(f"- {indicator.name}:"))
        assert f"ước lũy kế giai đoạn {cumulative}/{target} {indicator.unit}" in sentence
        cells = [c.value for c in sheet[5 + k]]
        assert cells[5:9] == [years[2022], years[2023], years[2024], years[2025]]
        assert cells[9] == cumulative and cells[10] == pytest.approx(cumulative / target)
        assert sheet.cell(5 + k, 10).font.i  # in italics, as the estimated year it rests on
        assert cells[11] == indicator.window


def test_indicators_and_units_short_of_their_targets_are_named(phase, plan):
    folder, _ = phase
    document = Document(folder / f"bao-cao-giai-doan_{PHASE}.docx")
    text = all_text(document)
    assert "Số liệu năm 2025 có phần là số ước thực hiện" in text
    expected = _expected(plan)
    short = [i for i in plan.indicators if expected[i.code][1] < plan.totals["total"][i.code]]
    line = next(p.text for p in document.paragraphs if p.text.startswith("Các chỉ tiêu chưa đạt"))
    assert line.count("còn thiếu") == len(short)
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Đơn vị", "Chỉ tiêu"])
    below = 0
    for unit in plan.units:
        for indicator in plan.indicators:
            target = plan.targets[unit.code][indicator.code]
            if unit.code not in UNITS:
                below += target > 0
                continue
            values = [_values(plan, r, unit.code) for r, _ in ROUNDS]
            years = [v.get(f"in_{indicator.code}_actual", v.get(f"in_{indicator.code}_estimate")) for v in values]
            figure = years[-1] if indicator.kind == "stock" else values[0][f"in_{indicator.code}_previous"] + sum(years)
            below += figure < target
    assert len(table.rows) - 1 == below
    shares = [float(row.cells[4].text.rstrip("%").replace(",", ".").replace("–", "0")) for row in table.rows[1:]]
    assert shares == sorted(shares)  # the furthest behind first


def test_without_data_the_command_says_so(tmp_path):
    (tmp_path / "outbox").mkdir()
    done = run_cli("report", "--phase", "--outbox", str(tmp_path / "outbox"), "--ledger", str(tmp_path / "l.sqlite"))
    assert done.returncode == 2 and "chưa có gì để báo cáo" in done.stderr
