"""District templates: complete, locked where they must be, and readable after any office program."""

import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from pipeline.app.samples import fill_template, sample_values
from pipeline.plan import form
from pipeline.templates.cells import SHEET_INDICATORS
from pipeline.templates.writer import write_templates
from pipeline.validation.evaluate import evaluate
from tests.support.helpers import LO_FILL, libreoffice_convert, read_file

GOLDEN = Path(__file__).resolve().parent / "golden"
# The approved copies: (round, unit, figures carried from the ledger).
GOLDEN_CASES = {
    "2024-annual_121_bac-yen.xlsx": ("2024-annual", "121", {}),
    "2024-update_14_cap-tinh.xlsx": ("2024-update", "14", {"comm_groups": 250, "policy_dialogues": 90}),
}


def write_golden_case(plan, name: str, out_dir: Path) -> Path:
    round_id, unit, carried = GOLDEN_CASES[name]
    return write_templates(plan, plan.round(round_id), out_dir, [plan.unit(unit)], {unit: carried})[0]


def _location(book, name: str) -> tuple[str, str]:
    sheet, cell = next(iter(book.defined_names[name].destinations))
    return sheet, cell.replace("$", "")


# -- what the files are --------------------------------------------------------------------------


@pytest.mark.parametrize("round_id", ["2024-annual", "2024-update"])
def test_one_template_per_unit_named_for_any_mail_client(tmp_path, plan, round_id):
    paths = write_templates(plan, plan.round(round_id), tmp_path)
    assert len(paths) == 12
    assert {p.parent for p in paths} == {tmp_path / round_id}
    assert f"{round_id}_128_van-ho.xlsx" in {p.name for p in paths}
    assert all(p.name.isascii() and " " not in p.name for p in paths)


@pytest.mark.slow
def test_cli_writes_templates_for_one_unit(tmp_path):
    from tests.support.helpers import run_cli

    result = run_cli("templates", "--round", "2024-update", "--unit", "127", "--out", str(tmp_path),
                     "--ledger", str(tmp_path / "none.sqlite"))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "2024-update").iterdir()] == ["2024-update_127_sop-cop.xlsx"]


def test_generating_twice_gives_identical_bytes(tmp_path, plan):
    rnd = plan.round("2024-annual")
    first = write_templates(plan, rnd, tmp_path / "a")
    second = write_templates(plan, rnd, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_templates_written_on_every_core_are_the_ones_written_in_one_process(tmp_path, plan, monkeypatch, pools):
    from pipeline.core import parallel

    rnd, carried = plan.round("2024-update"), {"121": {"comm_groups": 25}, "125": {"policy_dialogues": 3}}
    one = write_templates(plan, rnd, tmp_path / "one", carried=carried)
    assert pools == []
    monkeypatch.setattr(parallel, "MIN_ITEMS", 2)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    spread = write_templates(plan, rnd, tmp_path / "two", carried=carried)
    assert pools == [(2,)]
    assert [p.name for p in spread] == [p.name for p in one]
    assert [p.read_bytes() for p in spread] == [p.read_bytes() for p in one]
    assert len({p.read_bytes() for p in one}) == 12


def test_annual_and_update_rounds_ask_for_their_own_inputs(tmp_path, plan):
    annual = openpyxl.load_workbook(write_templates(plan, plan.round("2024-annual"), tmp_path,
                                                    [plan.unit("121")])[0])
    update = openpyxl.load_workbook(write_templates(plan, plan.round("2024-update"), tmp_path,
                                                    [plan.unit("121")])[0])
    assert {"in_comm_groups_ytd", "in_comm_groups_estimate"} <= set(annual.defined_names)
    assert "in_comm_groups_actual" not in annual.defined_names
    assert "in_comm_groups_actual" in update.defined_names
    assert "in_comm_groups_estimate" not in update.defined_names
    sheet, cell = _location(update, "in_comm_groups_actual")
    assert update[sheet][cell].offset(row=-(int(cell[1:]) - 4)).value == "Kết quả thực hiện cả năm"
    assert update["Kinh phí"]["D4"].value == "Đã giải ngân trong năm"
    assert annual["Kinh phí"]["D4"].value == "Đã giải ngân đến thời điểm báo cáo"


def test_identity_lives_in_the_workbook(tmp_path, plan):
    path = write_templates(plan, plan.round("2024-annual"), tmp_path, [plan.unit("126")])[0]
    book = openpyxl.load_workbook(path)
    identity = {key: book[_location(book, name)[0]][_location(book, name)[1]].value
                for key, name in form.META_NAMES.items()}
    assert identity["plan"] == plan.id
    assert (identity["round"], identity["unit"], identity["version"]) == ("2024-annual", "126", "1")
    assert len(identity["fingerprint"]) == 64
    assert book["p8_meta"].sheet_state == "veryHidden"
    renamed = tmp_path / "bao cao Song Ma (sua lan 2).xlsx"
    shutil.copy(path, renamed)
    assert read_file(renamed, plan, _rules()).unit == "126"


def _rules():
    from pipeline.plan.loader import DEFAULT_PLAN_DIR
    from pipeline.validation.book import RuleBook

    return RuleBook.load(DEFAULT_PLAN_DIR)


@pytest.mark.parametrize("round_id", ["2024-annual", "2025-update"])
def test_what_ingest_checks_a_file_against_is_what_the_template_holds(tmp_path, plan, rules, round_id):
    """Ingest lays a template out without assembling a workbook: its fingerprint and every locked cell
    must be those of the file a unit received."""
    from pipeline.templates.identity import locked_content

    rnd = plan.round(round_id)
    for path, unit in zip(write_templates(plan, rnd, tmp_path, rules=rules), plan.units_for(rnd), strict=True):
        expected = locked_content(plan, rnd, unit, rules)
        book = openpyxl.load_workbook(path)
        sheet, cell = _location(book, form.META_NAMES["fingerprint"])
        assert book[sheet][cell].value == expected.fingerprint
        for (sheet, cell), value in expected.cells.items():
            assert book[sheet][cell].value == value, (unit.code, sheet, cell)
        assert {name: _location(book, name) for name in expected.names} == expected.names


def test_carried_figures_are_locked_and_the_rest_is_asked(tmp_path, plan):
    carried = {"14": {"comm_groups": 250}}
    path = write_templates(plan, plan.round("2024-update"), tmp_path, [plan.unit("14")], carried)[0]
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET_INDICATORS]
    assert "in_comm_groups_previous" not in book.defined_names
    assert (sheet["E6"].value, sheet["E6"].protection.locked) == (250, True)
    location = _location(book, "in_savings_groups_previous")
    assert book[location[0]][location[1]].protection.locked is False


# -- protection and validation -------------------------------------------------------------------


def test_only_input_cells_are_unlocked_and_every_sheet_is_protected(tmp_path, plan):
    rnd = plan.round("2024-annual")
    book = openpyxl.load_workbook(write_templates(plan, rnd, tmp_path, [plan.unit("121")])[0])
    inputs = {_location(book, f.name) for f in form.input_fields(plan, rnd) if f.name in book.defined_names}
    assert len(inputs) == len(form.input_fields(plan, rnd))
    for sheet in book.worksheets:
        assert sheet.protection.sheet, sheet.title
        assert not sheet.protection.password, "protection prevents accidents; it has no password"
        unlocked = {(sheet.title, c.coordinate) for row in sheet.iter_rows() for c in row
                    if c.protection.locked is False}
        assert unlocked == {loc for loc in inputs if loc[0] == sheet.title}, sheet.title
        fills = {sheet[cell].fill.fgColor.rgb for _, cell in unlocked}
        assert fills <= {"FFFFF2CC"}, "one fill colour for inputs, as the legend says"


def _validation_for(sheet, cell: str):
    for rule in sheet.data_validations.dataValidation:
        for bounds in str(rule.sqref).split():
            min_col, min_row, max_col, max_row = range_boundaries(bounds)
            target = sheet[cell]
            if min_col <= target.column <= max_col and min_row <= target.row <= max_row:
                return rule
    return None


def _allowed(rule, value) -> bool:
    """What Excel does with a typed value under a data-validation rule read from the workbook."""
    operators = {"greaterThanOrEqual": lambda v, a, b: v >= a, "lessThanOrEqual": lambda v, a, b: v <= a,
                 "between": lambda v, a, b: a <= v <= b}
    check = operators[rule.operator or "between"]
    first = float(rule.formula1)
    second = float(rule.formula2) if rule.formula2 is not None else None
    if rule.type == "textLength":
        return check(len(str(value)), first, second)
    if isinstance(value, str):
        return False
    if rule.type == "whole" and not float(value).is_integer():
        return False
    return check(float(value), first, second)


def test_data_validation_refuses_what_is_plainly_wrong(tmp_path, plan):
    rnd = plan.round("2024-annual")
    book = openpyxl.load_workbook(write_templates(plan, rnd, tmp_path, [plan.unit("121")])[0])
    expected = {"count": "whole", "money": "decimal", "date": "date", "text": "textLength"}
    for fld in form.input_fields(plan, rnd):
        sheet, cell = _location(book, fld.name)
        rule = _validation_for(book[sheet], cell)
        assert rule is not None, fld.name
        assert rule.type == expected[fld.kind], fld.name
        assert rule.showErrorMessage and rule.showInputMessage and rule.errorStyle in (None, "stop")
        assert rule.prompt and rule.error, fld.name
    count = _validation_for(*_split(book, "in_comm_groups_estimate"))
    assert [_allowed(count, v) for v in (-1, "mười", 2.5, 0, 12)] == [False, False, False, True, True]
    assert count.error == "Chỉ nhập số nguyên không âm (0, 1, 2, …)."
    money = _validation_for(*_split(book, "in_budget_central_allocated"))
    assert [_allowed(money, v) for v in (-0.5, "nhiều", 0, 1250.75)] == [False, False, True, True]
    note = _validation_for(*_split(book, "in_comm_groups_note"))
    assert [_allowed(note, v) for v in ("ngắn", "x" * 501)] == [True, False]
    day = _validation_for(*_split(book, "in_report_date"))
    serial = (date(2024, 9, 8) - date(1899, 12, 30)).days
    assert [_allowed(day, v) for v in (serial, serial - 3000, "hôm nay")] == [True, False, False]


def _split(book, name):
    sheet, cell = _location(book, name)
    return book[sheet], cell


# -- through LibreOffice -------------------------------------------------------------------------


def test_every_template_converts_to_pdf_and_back_with_libreoffice(tmp_path, plan, soffice, rules):
    rounds = (plan.round("2024-annual"), plan.round("2024-update"))
    paths = [p for rnd in rounds for p in write_templates(plan, rnd, tmp_path / "t")]
    profile = tmp_path / "profile"
    for fmt, out in (("pdf", tmp_path / "pdf"), ("xlsx", tmp_path / "back")):
        subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}",
                        "--convert-to", fmt, "--outdir", str(out), *map(str, paths)],
                       check=True, capture_output=True, timeout=600)
    for path in paths:
        pdf = tmp_path / "pdf" / f"{path.stem}.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-", pdf.name
        back = read_file(tmp_path / "back" / path.name, plan, rules)
        assert back.findings == [] and back.unit == path.name.split("_")[1], path.name


@pytest.mark.parametrize(("round_id", "unit_code"), [("2024-annual", "126"), ("2024-update", "14")])
def test_formulas_recalculated_by_libreoffice_equal_the_pipelines_figures(
    tmp_path, plan, soffice, round_id, unit_code
):
    rnd, unit = plan.round(round_id), plan.unit(unit_code)
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    values = sample_values(plan, rnd, unit, with_previous=True)
    filled = tmp_path / "filled" / template.name
    fill_template(template, filled, values)
    book = openpyxl.load_workbook(libreoffice_convert(soffice, filled, tmp_path / "lo"), data_only=True)

    def shown(name):
        sheet, cell = _location(book, name)
        return book[sheet][cell].value

    year = form.YEAR_MEASURE[rnd.kind]
    for indicator in plan.indicators:
        before = values[f"in_{indicator.code}_previous"]
        figure = values[f"in_{indicator.code}_{year}"]
        cumulative = figure if indicator.kind == "stock" else before + figure
        assert shown(form.output_name(indicator.code, "cumulative")) == cumulative, indicator.code
        share = shown(form.output_name(indicator.code, "share"))
        assert share == pytest.approx(cumulative / plan.targets[unit.code][indicator.code]), indicator.code
    for ratio in plan.ratios:
        num, den = values[f"in_{ratio.code}_num"], values[f"in_{ratio.code}_den"]
        assert shown(form.output_name(ratio.code, "share")) == pytest.approx(num / den), ratio.code
    allocated = sum(values[f"in_budget_{s.code}_allocated"] for s in plan.budget_sources)
    disbursed = sum(values[f"in_budget_{s.code}_disbursed"] for s in plan.budget_sources)
    assert shown("out_budget_total_allocated") == pytest.approx(allocated)
    assert shown("out_budget_total_disbursed") == pytest.approx(disbursed)
    assert shown("out_budget_total_rate") == pytest.approx(disbursed / allocated)


def _type_with_libreoffice(uno_python, source: Path, target: Path, typed: dict, tmp_path: Path) -> dict:
    values_file = tmp_path / "typed.json"
    values_file.write_text(json.dumps(typed, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([uno_python, str(LO_FILL), str(source), str(target),
                             str(values_file), str(tmp_path / "uno-profile")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_values_typed_in_libreoffice_are_read_back_exactly(tmp_path, plan, rules, uno_python):
    rnd, unit = plan.round("2024-annual"), plan.unit("119")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    values = sample_values(plan, rnd, unit, with_previous=True) | {"in_report_date": "2024-09-08"}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    typed = {name: str(value) for name, value in values.items()}
    _type_with_libreoffice(uno_python, template, inbox / template.name, typed, tmp_path)

    sub = read_file(inbox / template.name, plan, rules)
    assert (sub.unit, sub.round, sub.findings) == ("119", "2024-annual", [])
    parsed, findings = evaluate(plan, rnd, sub.unit, sub.cells, rules, date(2024, 9, 9))
    assert findings == []
    assert {name: parsed[name] for name in values} == pytest.approx(values)


def test_a_locked_target_cannot_be_edited_in_libreoffice(tmp_path, plan, uno_python):
    rnd, unit = plan.round("2024-annual"), plan.unit("121")
    template = write_templates(plan, rnd, tmp_path / "t", [unit])[0]
    shown = _type_with_libreoffice(uno_python, template, tmp_path / "after.xlsx",
                                   {f"{SHEET_INDICATORS}!D6": "99", "in_comm_groups_ytd": "7"}, tmp_path)
    assert shown == {f"{SHEET_INDICATORS}!D6": "22", "in_comm_groups_ytd": "7"}
    after = openpyxl.load_workbook(tmp_path / "after.xlsx")[SHEET_INDICATORS]
    assert after["D6"].value == plan.targets["121"]["comm_groups"] == 22


# -- golden files --------------------------------------------------------------------------------


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of the package, with what always differs (document timestamps) blanked."""
    import re

    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    core = parts.get("docProps/core.xml", b"")
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\1", core)
    return parts


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_template_matches_the_approved_copy_part_by_part(tmp_path, plan, name):
    generated = _parts(write_golden_case(plan, name, tmp_path))
    approved = _parts(GOLDEN / name)
    assert sorted(generated) == sorted(approved)
    changed = [part for part in approved if generated[part] != approved[part]]
    assert changed == [], (
        f"{name}: parts {changed} differ from tests/golden/. If the change is intended, approve it with "
        "`python -m tests.support.update_golden` and review the diff."
    )


def test_the_layouts_a_process_keeps_are_bounded(plan, rules, monkeypatch):
    from pipeline.templates import identity

    monkeypatch.setattr(identity, "LAYOUTS_KEPT", 2)
    identity.forget()  # earlier tests laid out edited copies of the plan under its id
    rnd = plan.round("2024-annual")
    first, _second, third = (identity.locked_content(plan, rnd, u, rules) for u in plan.units[:3])
    assert identity.locked_content(plan, rnd, plan.units[2], rules) is third  # kept
    again = identity.locked_content(plan, rnd, plan.units[0], rules)
    assert again == first and again is not first  # let go, then laid out again: the same content
