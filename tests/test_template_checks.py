"""Templates that check themselves: the sheet «Kiểm tra», filled through LibreOffice as a district
would (UNO), one rule broken at a time; the formulas come from the rules' definitions and use only
functions every program computes alike; ingest keeps the sheet's verdict as a hint only."""

import json
import math
import re
import subprocess
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from pipeline.app.runner import run
from pipeline.app.samples import sample_values
from pipeline.core.locations import Paths
from pipeline.plan.loader import load_plan
from pipeline.templates.cells import SHEET_CHECKS
from pipeline.templates.sheets import checks
from pipeline.templates.writer import write_templates
from pipeline.validation import checks as check_types
from pipeline.validation import comparisons
from pipeline.validation.book import RuleBook
from tests.support import plan_seven
from tests.support.helpers import LO_FILL, ROOT

VALID = "Biểu đã đủ và hợp lệ – có thể gửi"
LABELS = {"required": "Ô bắt buộc chưa nhập", "budget": "Số đã giải ngân lớn hơn kế hoạch vốn được giao",
          "ratio": "Tử số lớn hơn mẫu số", "estimate": "Ước thực hiện cả năm nhỏ hơn kết quả đến thời điểm báo cáo",
          "target": "Lũy kế vượt 150% chỉ tiêu giai đoạn",
          "stock": "Số hiện có của năm thấp hơn số đến hết năm trước"}


def _fill(uno_python, tmp_path: Path, plan, changes: dict, missing: tuple[str, ...] = (), *options: str) -> Path:
    rnd, unit = plan.round("2024-annual"), plan.unit("121")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    values = sample_values(plan, rnd, unit, with_previous=True) | changes
    typed = {name: str(value) for name, value in values.items() if name not in missing}
    values_file = tmp_path / "typed.json"
    values_file.write_text(json.dumps(typed, ensure_ascii=False), encoding="utf-8")
    target = tmp_path / "inbox" / template.name
    target.parent.mkdir(exist_ok=True)
    done = subprocess.run([uno_python, str(LO_FILL), str(template), str(target), str(values_file),
                           str(tmp_path / "uno-profile"), *options], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return target


def _check_sheet(path: Path) -> tuple[str, dict[str, tuple[int, str]]]:
    """The status and, per check, (count, where) as LibreOffice computed them."""
    sheet = openpyxl.load_workbook(path, data_only=True)[SHEET_CHECKS]
    rows = {r[1]: (r[3], r[4] or "") for r in sheet.iter_rows(min_row=6, max_col=5, values_only=True)
            if r[3] is not None}
    return sheet["A2"].value, rows


def _clipped_places(path: Path) -> list[tuple[int, str]]:
    """Issue 31, finding 5: the rows whose «Ở đâu» (as LibreOffice computed it) needs more lines than the
    row holds, at a generous 1.3 characters of 12-point Times per unit of column width."""
    sheet = openpyxl.load_workbook(path, data_only=True)[SHEET_CHECKS]
    width = sheet.column_dimensions["E"].width
    clipped = []
    for row in range(6, sheet.max_row + 1):
        where = sheet.cell(row, 5).value
        if isinstance(where, str) and where:
            lines = math.ceil(len(where) / (1.3 * width))
            if (sheet.row_dimensions[row].height or 16) < 16 * lines:
                clipped.append((row, where))
    return clipped


def _counts(rows: dict) -> dict[str, int]:
    return {key: rows[label][0] for key, label in LABELS.items()}


def _cell(plan, name: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        template = write_templates(plan, plan.round("2024-annual"), Path(folder), [plan.unit("121")])[0]
        sheet, cell = next(iter(openpyxl.load_workbook(template).defined_names[name].destinations))
    return f"«{sheet}» ô {cell.replace('$', '')}"


ZERO = dict.fromkeys(LABELS, 0)
INDICATORS = [i.code for i in load_plan().indicators]
CASES = {
    "valid": ({}, (), VALID, ZERO),
    "required": ({}, ("in_comm_groups_ytd", "in_safe_delivery_counselling_den", "in_budget_central_allocated"),
                 "Chưa gửi được: còn 3 lỗi", ZERO | {"required": 3}),
    # every indicator's figures of the year left out: the longest «Ở đâu» a district sees
    "every_figure": ({}, tuple(f"in_{code}_{measure}" for code in INDICATORS for measure in ("ytd", "estimate")),
                     "Chưa gửi được: còn 22 lỗi", ZERO | {"required": 22}),
    "ratio": ({"in_safe_delivery_counselling_num": 500, "in_safe_delivery_counselling_den": 400}, (),
              "Chưa gửi được: còn 1 lỗi", ZERO | {"ratio": 1}),
    "budget": ({"in_budget_central_allocated": 100, "in_budget_central_disbursed": 150.5}, (),
               "Chưa gửi được: còn 1 lỗi", ZERO | {"budget": 1}),
    # (the sample's comm_groups to the end of last year is 12: an estimate of 12 is not below it)
    "estimate": ({"in_comm_groups_ytd": 13, "in_comm_groups_estimate": 12, "in_policy_dialogues_ytd": 5,
                  "in_policy_dialogues_estimate": 4}, (), f"{VALID} (có 2 lưu ý, xem bên dưới)",
                 ZERO | {"estimate": 2}),
    # Issue 31, finding 11: groups that exist, typed lower than the same file's figure to last year's end
    "stock": ({"in_comm_groups_previous": 12, "in_comm_groups_ytd": 10, "in_comm_groups_estimate": 10}, (),
              f"{VALID} (có 1 lưu ý, xem bên dưới)", ZERO | {"stock": 1}),
    "target": ({"in_comm_groups_ytd": 30, "in_comm_groups_estimate": 40}, (), f"{VALID} (có 1 lưu ý, xem bên dưới)",
               ZERO | {"target": 1}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_check_sheet_counts_each_rule_as_the_district_types(tmp_path, plan, uno_python, case):
    changes, missing, status, counts = CASES[case]
    filled = _fill(uno_python, tmp_path, plan, changes, missing)
    shown, rows = _check_sheet(filled)
    assert (shown, _counts(rows)) == (status, counts)
    assert _clipped_places(filled) == []
    if case == "required":
        assert rows[LABELS["required"]][1] == "".join(f"{_cell(plan, name)}; " for name in missing)
    if case == "ratio":
        assert rows[LABELS["ratio"]][1] == f"{_cell(plan, 'in_safe_delivery_counselling_num')}; "


def test_a_file_the_check_sheet_called_valid_is_still_checked_on_receipt(tmp_path, plan, uno_python):
    filled = _fill(uno_python, tmp_path, plan, {}, (), "stale=in_safe_delivery_counselling_num:99999")
    assert _check_sheet(filled)[0] == VALID  # calculated by hand, before the last value was typed
    report = run(Paths.beside_outbox(tmp_path / "inbox", tmp_path / "outbox"), today=date(2024, 9, 5))
    [outcome] = report.outcomes
    assert outcome.record.status == "rejected"
    assert [f.code for f in outcome.findings] == ["ratio-numerator-above-denominator", "check-sheet-bypassed"]
    assert "Trang «Kiểm tra» của tệp ghi «Biểu đã đủ và hợp lệ» nhưng tệp vẫn còn lỗi" in outcome.findings[1].message


def _formulas(path: Path) -> list[tuple[str, str]]:
    """Every formula of a workbook as written: cell formulas and conditional-format rules."""
    found = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = package.read(name).decode("utf-8")
                found += [(tag, text) for tag, text in re.findall(r"<(f|formula)(?: [^>]*)?>([^<]*)</\1>", xml)]
                assert 't="array"' not in xml, name  # no array formulas
    return found


def _templates(tmp_path: Path) -> list[Path]:
    plan = load_plan()
    seven = load_plan(plan_seven.write_with_adhoc(tmp_path / "plan7"))
    return [*write_templates(plan, plan.round("2024-annual"), tmp_path / "a", [plan.unit("121")]),
            *write_templates(plan, plan.round("2024-update"), tmp_path / "u", [plan.unit("14")]),
            *write_templates(seven, seven.round(plan_seven.ADHOC_ID), tmp_path / "h", [seven.unit("D1")])]


def test_every_formula_uses_functions_that_excel_2010_libreoffice_and_wps_share(tmp_path):
    used: set[str] = set()
    for template in _templates(tmp_path):
        formulas = _formulas(template)
        assert any(tag == "formula" for tag, _ in formulas)  # the highlights
        for _, text in formulas:
            unquoted = re.sub(r'"[^"]*"', '""', text.replace("&quot;", '"'))
            unquoted = re.sub(r"'[^']*'!", "", unquoted)  # sheet names
            used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", unquoted))
    assert used <= checks.FUNCTIONS, used - checks.FUNCTIONS
    assert {"IF", "AND", "ISNUMBER", "SUM"} <= used


def test_every_value_rule_has_its_formula_or_is_marked_checked_on_receipt(tmp_path):
    plan = load_plan()
    rules = RuleBook.load(ROOT / "plan")
    rnd = plan.round("2024-annual")
    template = write_templates(plan, rnd, tmp_path, [plan.unit("121")])[0]
    sheet = openpyxl.load_workbook(template)[SHEET_CHECKS]
    helpers = [sheet.cell(row, 8).value for row in range(6, sheet.max_row + 1) if sheet.cell(row, 8).value]
    names = openpyxl.load_workbook(template).defined_names
    cells = {n: f"'{s}'!{c}" for n in names for s, c in names[n].destinations}
    receipt_line = next(str(r[0]) for r in sheet.iter_rows(min_col=1, max_col=1, values_only=True)
                        if str(r[0]).startswith("Kiểm tra khi tỉnh nhận tệp"))
    checked = [rule for rule in rules.rules.values() if rule.check]
    assert len(checked) == 10
    for rule in checked:
        label = str(rule.params["check_label"]).replace("{percent}", "150")
        if rule.check in check_types.RECEIPT_ONLY:
            assert label in receipt_line, rule.code
            continue
        pairs = check_types.comparisons_of(rule.check, plan, rnd)
        assert pairs, rule.code
        scale = float(rule.params.get("percent", 100)) / 100 if rule.check == "above_target" else 1.0
        for pair in pairs:
            assert f"=IF({comparisons.formula(pair, cells, scale)},1,0)" in helpers, (rule.code, pair.flagged)
        assert any(row[1] == label for row in sheet.iter_rows(min_row=6, max_col=2, values_only=True)), rule.code
