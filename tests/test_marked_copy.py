"""The marked copy made by editing the sender's package (issue 32): the same marks and comments as
openpyxl's load and save made, as LibreOffice opens them, every other entry of the package byte for
byte as received, on a file as our templates write it and as LibreOffice saves it."""

import io
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from pipeline.app.samples import fill_template, sample_values
from pipeline.core.findings import SEVERITY_LABELS, Finding
from pipeline.intake import feedback, marking
from pipeline.templates.cells import SHEET_BUDGET, SHEET_INDICATORS
from pipeline.templates.writer import write_templates
from tests.support.helpers import libreoffice_convert_all

MOMENT = datetime(2024, 9, 9, 8, 15, 0)


def _finding(sheet: str, cell: str, severity: str, message: str) -> Finding:
    return Finding(code="value-negative" if severity == "error" else "result-above-target", severity=severity,
                   message=message, sheet=sheet, cell=cell)


def _filled(plan, folder: Path, **changes) -> Path:
    rnd, unit = plan.round("2024-annual"), plan.unit("121")
    template = write_templates(plan, rnd, folder / "t", [unit])[0]
    target = folder / "filled" / template.name
    fill_template(template, target, sample_values(plan, rnd, unit, with_previous=True) | changes)
    return target


def _empty_cell(path: Path) -> str:
    """A cell of «Chỉ tiêu» the package does not hold at all (no <c> element): the mark must make it."""
    sheet = openpyxl.load_workbook(path)[SHEET_INDICATORS]
    held = {c.coordinate for row in sheet.iter_rows() for c in row}
    return next(f"Z{n}" for n in range(1, 200) if f"Z{n}" not in held)


FINDINGS = [("G8", "error", "Ô G8 (trang «Chỉ tiêu») là số âm (-3). Số liệu không được âm."),
            ("G9", "warning", "Lũy kế 600 vượt 150% chỉ tiêu giai đoạn (22)."),
            ("G9", "error", "Ô G9 là chữ «mười hai», không phải là số.")]


def _marks(path: Path) -> list[Finding]:
    found = [_finding(SHEET_INDICATORS, cell, severity, text) for cell, severity, text in FINDINGS]
    return [*found, _finding(SHEET_INDICATORS, _empty_cell(path), "warning", "Ô trống được đánh dấu."),
            _finding(SHEET_BUDGET, "D5", "warning", "Số đã giải ngân lớn hơn kế hoạch vốn."),
            _finding("Không có trang này", "A1", "error", "Trang không có trong tệp: bỏ qua.")]


def _shown(path: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Every commented cell, as (sheet, cell) -> (comment, fill colour)."""
    book = openpyxl.load_workbook(path)
    return {(sheet.title, c.coordinate): (c.comment.text, c.fill.fgColor.rgb if c.fill.fill_type == "solid" else None)
            for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.comment is not None}


@pytest.fixture
def originals(plan, tmp_path, soffice):
    """The filled template as our writer saves it, and as LibreOffice saves it (a district's office)."""
    ours = _filled(plan, tmp_path)
    [theirs] = libreoffice_convert_all(soffice, [ours], tmp_path / "lo")
    return {"ours": ours, "libreoffice": theirs}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ours", "libreoffice"])
def test_the_edited_package_shows_what_openpyxl_made_as_libreoffice_opens_it(originals, tmp_path, soffice, kind):
    original = originals[kind]
    findings = _marks(original)
    edited, made = tmp_path / "edited" / "a.xlsx", tmp_path / "openpyxl" / "a.xlsx"
    marks = [marking.Mark(f.sheet, f.cell, feedback.FILLS[f.severity], f"{SEVERITY_LABELS[f.severity]}: {f.message}")
             for f in findings]
    edited.parent.mkdir()
    edited.write_bytes(marking.mark_package(original.read_bytes(), marks, feedback.SIGNATURE, MOMENT))
    feedback._mark_with_openpyxl(original, made, findings, MOMENT)

    # every entry the marks do not touch is the sender's, byte for byte
    with zipfile.ZipFile(original) as before, zipfile.ZipFile(edited) as after:
        untouched = {n for n in before.namelist()} - {"xl/styles.xml", "[Content_Types].xml"} - {
            n for n in before.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")}
        for name in untouched:
            assert after.read(name) == before.read(name), name
        assert after.testzip() is None

    as_opened = libreoffice_convert_all(soffice, [edited, made], tmp_path / "opened")
    shown_edited, shown_made = (_shown(p) for p in as_opened)
    assert len(shown_edited) == 4  # G8, G9, the empty cell, «Kinh phí» D5; the missing sheet skipped
    assert {k: (v[0].split(), v[1]) for k, v in shown_edited.items()} == \
        {k: (v[0].split(), v[1]) for k, v in shown_made.items()}
    assert shown_edited[(SHEET_INDICATORS, "G9")][1].endswith("FFC7CE")  # the error's fill, given last


def test_the_marked_copy_is_the_edited_package_and_its_comments_read_back(plan, tmp_path):
    original = _filled(plan, tmp_path, in_comm_groups_estimate=-3)
    target = tmp_path / "copy.xlsx"
    assert feedback.write_marked_copy(original, target, _marks(original), MOMENT)
    with zipfile.ZipFile(target) as package:
        assert "xl/comments1.xml" in package.namelist()  # edited, not openpyxl's xl/comments/comment1.xml
    shown = _shown(target)
    assert shown[(SHEET_INDICATORS, "G8")] == ("Lỗi: Ô G8 (trang «Chỉ tiêu») là số âm (-3). Số liệu không được âm.",
                                               "00FFC7CE")
    assert shown[(SHEET_INDICATORS, "G9")][0] == ("Lưu ý: Lũy kế 600 vượt 150% chỉ tiêu giai đoạn (22).\n"
                                                  "Lỗi: Ô G9 là chữ «mười hai», không phải là số.")
    again = tmp_path / "again.xlsx"
    feedback.write_marked_copy(original, again, _marks(original), MOMENT)
    assert again.read_bytes() == target.read_bytes()  # the same inputs, the same bytes


def test_a_sheet_with_comments_of_its_own_is_marked_by_openpyxl(plan, tmp_path):
    original = _filled(plan, tmp_path)
    book = openpyxl.load_workbook(original)
    book[SHEET_INDICATORS]["AA1"].comment = openpyxl.comments.Comment("ghi chú của huyện", "Huyện")
    book.save(original)
    with pytest.raises(marking.Unmarkable):
        marking.mark_package(original.read_bytes(), [marking.Mark(SHEET_INDICATORS, "G8", "FFC7CE", "x")], "a", MOMENT)
    target = tmp_path / "copy.xlsx"
    assert feedback.write_marked_copy(original, target, _marks(original), MOMENT)
    shown = _shown(target)
    assert shown[(SHEET_INDICATORS, "AA1")][0].startswith("ghi chú của huyện")
    assert shown[(SHEET_INDICATORS, "G8")][0].startswith("Lỗi:")


def _tree(part: bytes):
    """A part as its parsed tree: names, attributes and text (not how namespaces are declared)."""
    def node(e):
        return e.tag, sorted(e.attrib.items()), e.text, e.tail, [node(c) for c in e]
    return node(etree.fromstring(part))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ours", "libreoffice"])
def test_a_sheet_of_the_usual_shape_is_edited_as_bytes_as_its_parsed_tree_would_be(originals, kind, monkeypatch):
    original = originals[kind].read_bytes()
    marks = [marking.Mark(SHEET_INDICATORS, cell, colour, text) for cell, colour, text in
             [("G8", "FFC7CE", "một"), ("G9", "FFEB9C", "hai"), ("G9", "FFC7CE", "ba")]]
    marks.append(marking.Mark(SHEET_BUDGET, "D5", "FFEB9C", "bốn"))
    edited_as_bytes = []
    as_bytes = marking.edited_sheet

    def counted(*args):
        edited_as_bytes.append(as_bytes(*args) is not None)
        return as_bytes(*args)

    monkeypatch.setattr(marking, "edited_sheet", counted)
    edited = marking.mark_package(original, marks, feedback.SIGNATURE, MOMENT)
    empty = _empty_cell(originals[kind])
    partly = marking.mark_package(original, [*marks, marking.Mark(SHEET_INDICATORS, empty, "FFC7CE", "năm")],
                                  feedback.SIGNATURE, MOMENT)
    assert edited_as_bytes == [True, True, False, True]  # a cell the sheet does not hold: its tree is edited
    monkeypatch.setattr(marking, "edited_sheet", lambda *args: None)
    parsed = marking.mark_package(original, marks, feedback.SIGNATURE, MOMENT)
    with zipfile.ZipFile(io.BytesIO(edited)) as ours, zipfile.ZipFile(io.BytesIO(parsed)) as theirs:
        assert ours.namelist() == theirs.namelist()
        for name in ours.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert _tree(ours.read(name)) == _tree(theirs.read(name)), name
            else:
                assert ours.read(name) == theirs.read(name), name
    assert partly != edited


PLAIN_SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{main}" xmlns:r="{rel}">'
               '<sheetData><row r="8"><c r="G8" s="3" t="s"><v>1</v></c><c r="H8"/></row></sheetData>{tail}'
               '</worksheet>')
REL = marking.REL.encode()


def _sheet(tail: str = "", **changes) -> bytes:
    text = PLAIN_SHEET.format(main=marking.MAIN, rel=marking.REL, tail=tail)
    for old, new in changes.items():
        text = text.replace(old, new)
    return text.encode()


def _edited(data: bytes, cells=("G8",)) -> bytes | None:
    return marking.edited_sheet(data, [(c, "FFC7CE") for c in cells], lambda style, colour: style + 10, "rIdP82",
                                marking._AFTER_LEGACY)


def test_the_bytes_of_a_plain_sheet_get_their_style_and_legacy_drawing_where_the_schema_wants_them():
    assert _edited(_sheet('<pageMargins left="0.7"/><tableParts count="0"/>')) == _sheet(
        '<pageMargins left="0.7"/><legacyDrawing r:id="rIdP82"/><tableParts count="0"/>').replace(
        b'<c r="G8" s="3"', b'<c r="G8" s="13"')
    assert _edited(_sheet(), cells=("H8",)).count(b'<c r="H8" s="10"/>') == 1  # no style: style 0
    assert b'<legacyDrawing r:id="rIdP82"/></worksheet>' in _edited(_sheet())
    without_prefix = _edited(_sheet(**{' xmlns:r="' + marking.REL + '"': ""}))
    assert b'<legacyDrawing xmlns:r="' + REL + b'" r:id="rIdP82"/></worksheet>' in without_prefix


@pytest.mark.parametrize("sheet", [
    _sheet(**{'<c r="H8"/>': "<c r='G8'/>"}),  # the cell again, quoted otherwise
    _sheet(**{'<c r="H8"/>': '<c r="G8"/>'}),  # the cell twice
    _sheet('<legacyDrawing r:id="rId1"/>'),  # comments of its own
    _sheet('<mc:AlternateContent xmlns:mc="urn:x"><mc:Choice Requires="x14"><controls/></mc:Choice>'
           '</mc:AlternateContent>'),  # a prefixed child
    _sheet('<conditionalFormatting sqref="A1"><cfRule type="x" priority="1"><extLst/></cfRule>'
           '</conditionalFormatting><pageMargins left="0.7"/>'),  # one of the names nested earlier
    _sheet('<!-- ghi chú -->'),
    _sheet(**{'encoding="UTF-8"': 'encoding="UTF-16"'}),
    _sheet(**{'<row r="8">': '<row r="8" xmlns="urn:other">'}),  # its cells in another namespace
], ids=["quotes", "twice", "legacy", "prefixed", "nested", "comment", "encoding", "namespace"])
def test_a_sheet_not_plainly_of_the_usual_shape_is_left_to_its_parsed_tree(sheet):
    assert _edited(sheet) is None
    assert _edited(_sheet()) is not None
