"""Parsing what people type into count cells, and the rules over a whole submission."""

from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.plan import form
from pipeline.validation.evaluate import evaluate
from pipeline.validation.values import CellValue, parse_amount, parse_count, parse_day


@pytest.mark.parametrize(
    ("raw", "value", "problem"),
    [
        (12, 12, None),
        (12.0, 12, None),
        (0, 0, None),
        ("12", 12, "value-text-number"),
        (" 12 ", 12, "value-text-number"),
        ("1.200", 1200, "value-text-number"),
        ("12,0", 12, "value-text-number"),
        ("", None, "value-missing"),
        ("   ", None, "value-missing"),
        (None, None, "value-missing"),
        (-3, None, "value-negative"),
        ("-3", None, "value-negative"),
        (2.5, None, "value-not-whole"),
        ("2,5", None, "value-not-whole"),
        ("mười hai", None, "value-not-number"),
        ("#N/A", None, "value-not-number"),
        ("12 tổ", None, "value-not-number"),
        (True, None, "value-not-number"),
        (float("nan"), None, "value-not-number"),
    ],
)
def test_parse_count(raw, value, problem):
    parsed = parse_count(raw)
    assert (parsed.value, parsed.problem) == (value, problem)


@given(st.integers(min_value=0, max_value=10**12))
def test_whole_numbers_read_back_exactly(number):
    assert parse_count(number).value == number
    assert parse_count(float(number)).value == number
    assert parse_count(str(number)).value == number


@given(st.integers(min_value=1000, max_value=10**12))
def test_vietnamese_thousands_separators_read_back(number):
    text = f"{number:,}".replace(",", ".")
    assert parse_count(text).value == number


@given(st.integers(min_value=1, max_value=10**9))
def test_negative_numbers_are_never_accepted(number):
    assert parse_count(-number).value is None
    assert parse_count(f"-{number}").problem == "value-negative"


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_amounts_written_the_vietnamese_way_read_back(amount):
    whole, _, cents = f"{amount:,.2f}".partition(".")
    text = whole.replace(",", ".") + "," + cents
    assert parse_amount(text).value == pytest.approx(float(amount))
    assert parse_amount(float(amount)).value == pytest.approx(float(amount))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_read_back_as_typed_or_as_excel_day_numbers(day):
    assert parse_day(day).value == day
    assert parse_day(day.strftime("%d/%m/%Y")).value == day
    assert parse_day((day - date(1899, 12, 30)).days).value == day


@given(st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
def test_parsers_never_raise(raw):
    for parse in (parse_count, parse_amount, parse_day):
        parsed = parse(raw)
        assert parsed.value is not None or parsed.problem is not None


@given(st.text())
def test_any_text_gives_a_value_or_a_finding_code(text):
    parsed = parse_count(text)
    assert (parsed.value is None) == (parsed.problem not in (None, "value-text-number"))


def _cells(plan, rnd, values):
    """Cells as ingest would give them for a template with carried figures, each at its own place."""
    cells = {}
    for index, fld in enumerate(f for f in form.input_fields(plan, rnd) if not f.optional):
        cells[fld.name] = CellValue("Chỉ tiêu", f"F{index + 5}", values.get(fld.name, ""))
    return cells


def _complete(plan, rnd):
    return {f.name: 1 if f.kind in ("count", "money") else "" for f in form.input_fields(plan, rnd)}


def test_complete_submission_has_no_findings(plan, rules):
    rnd = plan.round("2024-update")
    values, findings = evaluate(plan, rnd, "121", _cells(plan, rnd, _complete(plan, rnd)), rules,
                                date(2025, 1, 20))
    assert findings == []
    assert values["in_comm_groups_actual"] == 1


def test_findings_name_code_and_cell(plan, rules):
    rnd = plan.round("2024-update")
    values = _complete(plan, rnd) | {
        "in_comm_groups_actual": "-2",
        "in_savings_groups_actual": "",
        "in_savings_members_finance_num": 50,
        "in_savings_members_finance_den": 40,
    }
    cells = _cells(plan, rnd, values)
    _, findings = evaluate(plan, rnd, "121", cells, rules, date(2025, 1, 27))
    compact = [(f.code, f.severity, f.cell) for f in findings]
    assert compact == [
        ("value-negative", "error", cells["in_comm_groups_actual"].cell),
        ("value-missing", "error", cells["in_savings_groups_actual"].cell),
        ("ratio-numerator-above-denominator", "error", cells["in_savings_members_finance_num"].cell),
        ("received-late", "warning", None),
    ]
    assert "2 ngày" in findings[-1].message and "25/01/2025" in findings[-1].message
    assert "số âm" in findings[0].message and "«Chỉ tiêu»" in findings[0].message


def test_stock_above_150_percent_of_target_is_a_warning(plan, rules):
    rnd = plan.round("2024-update")
    target = plan.targets["121"]["comm_groups"]  # 22
    values = _complete(plan, rnd) | {"in_comm_groups_actual": target * 2}
    _, findings = evaluate(plan, rnd, "121", _cells(plan, rnd, values), rules, date(2025, 1, 20))
    assert [(f.code, f.severity) for f in findings] == [("result-above-target", "warning")]
    assert "44" in findings[0].message and "150%" in findings[0].message


def test_flow_above_target_counts_previous_years(plan, rules):
    rnd = plan.round("2024-update")
    values = _complete(plan, rnd) | {"in_policy_dialogues_actual": 10}  # Bắc Yên target 15
    cells = _cells(plan, rnd, values)
    _, alone = evaluate(plan, rnd, "121", cells, rules, date(2025, 1, 20))
    _, with_past = evaluate(plan, rnd, "121", cells, rules, date(2025, 1, 20),
                            previous={"policy_dialogues": 15})
    assert alone == []
    assert [f.code for f in with_past] == ["result-above-target"]


def test_budget_disbursed_above_allocated_is_an_error(plan, rules):
    rnd = plan.round("2024-annual")
    values = _complete(plan, rnd) | {"in_budget_local_allocated": "1.200,5",
                                     "in_budget_local_disbursed": 1300}
    cells = _cells(plan, rnd, values)
    parsed, findings = evaluate(plan, rnd, "121", cells, rules, date(2024, 9, 1))
    assert parsed["in_budget_local_allocated"] == 1200.5
    assert [(f.code, f.cell) for f in findings] == [
        ("value-text-number", cells["in_budget_local_allocated"].cell),
        ("budget-disbursed-above-allocated", cells["in_budget_local_disbursed"].cell),
    ]
    assert "1.300" in findings[1].message and "1.200,5" in findings[1].message


@pytest.mark.parametrize(
    ("raw", "value", "problem"),
    [
        (date(2024, 9, 8), "2024-09-08", None),
        ("08/09/2024", "2024-09-08", "value-text-date"),
        (45543, "2024-09-08", None),
        ("hôm qua", None, "value-not-date"),
        ("31/02/2024", None, "value-not-date"),
    ],
)
def test_report_date(plan, rules, raw, value, problem):
    rnd = plan.round("2024-annual")
    cells = _cells(plan, rnd, _complete(plan, rnd) | {"in_report_date": raw})
    parsed, findings = evaluate(plan, rnd, "121", cells, rules, date(2024, 9, 1))
    assert parsed["in_report_date"] == value
    assert [f.code for f in findings] == ([problem] if problem else [])


def test_typed_previous_figure_counts_towards_a_flow(plan, rules):
    rnd = plan.round("2024-update")
    values = _complete(plan, rnd) | {"in_policy_dialogues_actual": 10, "in_policy_dialogues_previous": 15}
    cells = _cells(plan, rnd, values)
    cells["in_policy_dialogues_previous"] = CellValue("Chỉ tiêu", "E12", 15)
    _, findings = evaluate(plan, rnd, "121", cells, rules, date(2025, 1, 20))
    assert [f.code for f in findings] == ["result-above-target"]


def test_yes_no_cells_take_what_people_type(rules):
    from pipeline.validation.values import parse_yes_no

    assert [parse_yes_no(v).value for v in ("Có", " có ", "x", True, "Không", "khong", False, 0)] == [
        1, 1, 1, 1, 0, 0, 0, 0]
    wrong = parse_yes_no("chưa rõ")
    assert (wrong.value, wrong.problem, wrong.shown) == (None, "value-not-yes-no", "chưa rõ")
    assert parse_yes_no("").problem == "value-missing"
    message = rules.finding("value-not-yes-no", sheet="Hoạt động", cell="C6", label="Hội thi – đã thực hiện",
                            found="chưa rõ").message
    assert message == ("Ô C6 (trang «Hoạt động», Hội thi – đã thực hiện) cần ghi «Có» hoặc «Không», đang ghi "
                       "«chưa rõ». Vui lòng chọn trong danh sách của ô.")


def test_a_full_year_estimate_below_the_results_so_far_is_a_warning(plan, rules):
    rnd = plan.round("2024-annual")
    values = _complete(plan, rnd) | {"in_comm_groups_ytd": 9, "in_comm_groups_estimate": 7,
                                     "in_leader_clubs_ytd": 3, "in_leader_clubs_estimate": 3}
    _, findings = evaluate(plan, rnd, "121", _cells(plan, rnd, values), rules, date(2024, 9, 5))
    assert [(f.code, f.severity) for f in findings] == [("estimate-below-results", "warning")]
    assert findings[0].message.startswith(
        "Ô F6 (Tổ truyền thông cộng đồng – ước thực hiện cả năm): số ước thực hiện cả năm (7) nhỏ hơn kết quả đã "
        "đạt đến thời điểm báo cáo (9).")


def test_an_empty_budget_cell_is_sent_back_as_the_template_says(plan, rules, tmp_path):
    import openpyxl

    from pipeline.templates.writer import write_templates

    rnd = plan.round("2024-annual")
    guide = openpyxl.load_workbook(write_templates(plan, rnd, tmp_path, [plan.unit("121")])[0]).worksheets[0]
    lines = [row[1] for row in guide.iter_rows(values_only=True) if row[1]]
    assert any(line.startswith("3. Trang «Kinh phí»") and "nhập 0, không để trống" in line for line in lines)
    values = _complete(plan, rnd) | {"in_budget_local_allocated": ""}
    _, findings = evaluate(plan, rnd, "121", _cells(plan, rnd, values), rules, date(2024, 9, 5))
    assert [(f.code, f.severity) for f in findings] == [("value-missing", "error")]


@given(st.one_of(st.integers(-10**15, 10**15), st.floats(-1e6, 1e6, allow_nan=False)))
@example(-0.0)
def test_numbers_and_percentages_are_written_as_babel_writes_them_in_vietnamese(value):
    """The fast paths of format_number and format_percent give Babel's Vietnamese text exactly, but
    that a negative zero is written 0, as a person writes it (Babel writes -0)."""
    from decimal import ROUND_HALF_UP, Decimal

    from babel.numbers import format_decimal

    from pipeline.core.vietnamese import format_number, format_percent

    assert format_number(value) == format_decimal(value or 0, format="#,##0.##", locale="vi")
    shown = (Decimal(repr(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert format_percent(value) == format_decimal(shown, format="#,##0.0", locale="vi") + "%"


# Where the code names a finding's code: the call that makes the finding and the argument that holds it,
# and the functions that return one.
CODE_ARGUMENTS = {"finding": 0, "find": 0, "_file_finding": 1, "Verdict": 1, "_Refused": 0, "Parsed": 1}
CODE_RETURNS = {"_missing_code", "_number_problem"}


def _codes_in_code() -> dict[str, str]:
    """Every finding code the pipeline can raise by name, with the module that names it."""
    import ast
    from pathlib import Path

    found: dict[str, str] = {}

    def note(node: ast.AST, where: Path) -> None:
        for text in ast.walk(node):
            if isinstance(text, ast.Constant) and isinstance(text.value, str):
                found.setdefault(text.value, where.as_posix())

    for path in sorted(Path("pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                index = CODE_ARGUMENTS.get(name)
                if index is not None and len(node.args) > index:
                    note(node.args[index], path)
            elif isinstance(node, ast.Assign) and any(
                    getattr(t, "id", "").endswith(("_CODES", "NOT_PROCESSED")) for t in node.targets):
                note(node.value, path)
            elif isinstance(node, ast.FunctionDef) and node.name in CODE_RETURNS:
                for returned in ast.walk(node):
                    if isinstance(returned, ast.Return) and returned.value is not None:
                        note(returned.value, path)
    return {code: where for code, where in found.items() if "-" in code and " " not in code}


def test_every_finding_code_the_code_raises_has_its_words_in_rules_toml(rules, monkeypatch):
    from tests.support.helpers import ROOT

    monkeypatch.chdir(ROOT)
    named = _codes_in_code()
    assert {"file-zip-suspicious", "value-negative", "answer-missing", "text-too-long", "file-not-processed",
            "file-too-demanding", "sender-unknown", "template-fingerprint-mismatch"} <= set(named)  # every kind of call
    missing = {code: where for code, where in named.items() if code not in rules.rules}
    assert missing == {}


def test_every_check_a_rule_names_is_one_entry_of_the_registry(rules):
    from pipeline.validation import checks

    assert {r.check for r in rules.rules.values() if r.check} == set(checks.NAMES)
    assert [c.stage for c in checks.REGISTRY] == sorted((c.stage for c in checks.REGISTRY), key=checks.STAGES.index)
    for check in checks.REGISTRY:
        assert (check.on_indicator is not None) == (check.stage == "indicator"), check.name
        assert (check.on_file is not None) == (check.stage == "file"), check.name


def test_a_stock_typed_lower_than_the_files_own_last_year_is_a_warning_naming_both_cells(plan, rules):
    """Issue 31, finding 11: a unit typed 192 groups to the end of last year and 135 this year; no
    warning, and the report used 135."""
    rnd = plan.round("2024-annual")
    values = _complete(plan, rnd) | {"in_comm_groups_ytd": 15, "in_comm_groups_estimate": 15,
                                     "in_policy_dialogues_ytd": 1, "in_policy_dialogues_estimate": 1}
    cells = _cells(plan, rnd, values)
    cells["in_comm_groups_previous"] = CellValue("Chỉ tiêu", "E6", 20)
    cells["in_policy_dialogues_previous"] = CellValue("Chỉ tiêu", "E12", 5)  # a flow: adds up, never lower
    _, findings = evaluate(plan, rnd, "121", cells, rules, date(2024, 9, 5))
    assert [(f.code, f.severity, f.cell) for f in findings] == [
        ("stock-below-previous", "warning", cells["in_comm_groups_estimate"].cell)]
    assert findings[0].message.startswith(
        f"Ô {cells['in_comm_groups_estimate'].cell} (trang «Chỉ tiêu», Tổ truyền thông cộng đồng): 15, thấp hơn số "
        "đến hết năm trước (20) ở ô E6 của cùng tệp.")
