"""The guard's fast path reads what the streaming parser reads, on every part it answers for."""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from xml.parsers import expat

import pytest

from pipeline.app.samples import fill_template, sample_values
from pipeline.intake import guard, quick_scan
from pipeline.templates.identity import template_bytes
from tests.support import hostile
from tests.support.helpers import libreoffice_convert, require

ROUND = "2024-annual"
XML_DAMAGES = [hostile._extreme_attribute, hostile._value, hostile._cell_type, hostile._cut_span,
               hostile._repeat_span]


def _slow(part: str, data: bytes):
    """What _XmlScan notes: (formulas, extent), or the problem it refuses the part for."""
    scan = guard._XmlScan(part)
    try:
        scan.feed(data, final=True)
    except guard._Refused as refused:
        return refused.problem
    except expat.ExpatError:
        return "not XML"
    formulas = {cell: text for cell, (kind, text) in scan.special.items() if kind == "formula"}
    errors = {cell for cell, (kind, _text) in scan.special.items() if kind == "error"}
    return formulas, errors, (scan.max_row, scan.max_col)


def _agree(part: str, data: bytes) -> bool:
    """True when quick_scan answered for the part; fails the test when it answered differently."""
    quick = quick_scan.quick_scan(part, data)
    if quick is None:
        return False
    slow = _slow(part, data)
    if slow == "not XML":  # quick_scan does not judge well-formedness: the parser after it does
        return True
    if not quick.is_sheet:
        refused = any(count > guard.MAX_SHARED_STRINGS for count in quick.shared_string_counts)
        assert (slow == "file-zip-suspicious") == refused, part
        return True
    if not guard._within_limits(quick):
        assert slow == "file-sheet-too-large", part
        return True
    assert isinstance(slow, tuple), (part, slow)
    formulas, errors, extent = slow
    assert {cell: "=" + text for cell, text in quick.formulas.items()} == formulas, part
    assert errors <= quick.formulas.keys() or not errors, part
    assert (quick.max_row, quick.max_col) == extent, part
    return True


@pytest.fixture(scope="module")
def workbooks(plan, rules, tmp_path_factory):
    """A template as we write it, filled by openpyxl, and re-saved by LibreOffice."""
    folder = tmp_path_factory.mktemp("quick")
    rnd = plan.round(ROUND)
    unit = plan.units_for(rnd)[1]
    template = folder / "template.xlsx"
    template.write_bytes(template_bytes(plan, rnd, unit, rules))
    filled = folder / "filled.xlsx"
    fill_template(template, filled, sample_values(plan, rnd, unit, with_previous=True))
    soffice = require(shutil.which("soffice"), "LibreOffice (soffice)")
    resaved = libreoffice_convert(soffice, filled, folder / "lo")
    return {"ours": template.read_bytes(), "openpyxl": filled.read_bytes(), "libreoffice": resaved.read_bytes()}


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.endswith((".xml", ".rels"))}


def test_every_part_of_the_three_writers_files_is_read_fast_and_alike(workbooks):
    """Each writer's parts take the fast path (else it would not be fast), and give what the parser gives."""
    for writer, data in workbooks.items():
        parts = _parts(data)
        fast = [part for part, xml in parts.items() if _agree(part, xml)]
        assert fast == list(parts), (writer, sorted(set(parts) - set(fast)))
        verdict = guard.inspect("bao-cao.xlsx", data)
        assert verdict.problem is None and sum(len(s) for s in verdict.special.values()) > 50, writer


def test_damaged_sheets_read_fast_give_what_the_parser_gives(workbooks):
    """Hundreds of damaged sheets: where the fast path answers, it agrees with the parser."""
    rng = random.Random(32)
    answered = 0
    for data in workbooks.values():
        sheets = [(part, xml) for part, xml in _parts(data).items() if part.startswith("xl/worksheets/")]
        for _ in range(150):
            part, xml = rng.choice(sheets)
            for _ in range(rng.randint(1, 3)):
                xml = rng.choice(XML_DAMAGES)(xml, rng)
            answered += _agree(part, xml)
    assert answered > 200  # most damages leave the shape the fast path reads


@pytest.mark.parametrize("sheet, expected", [
    # a formula with references of every kind, and line ends as the parser normalises them
    (b'<c r="B2"><f>"a&amp;b"&amp;CHAR(10)&amp;"&#7875;&#x1EC3;\r\nx"</f><v>1</v></c>',
     {"B2": '="a&b"&CHAR(10)&"ểể\nx"'}),
    (b'<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c>', {"C3": "=1/0"}),  # an error noted as its formula
    (b'<c r="D4"><f t="shared" si="0"/><v>2</v></c>', {"D4": "="}),
])
def test_the_fast_path_reads_formulas_as_the_parser_does(sheet, expected):
    part = "xl/worksheets/sheet1.xml"
    xml = b'<worksheet><sheetData><row r="2">' + sheet + b"</row></sheetData></worksheet>"
    assert _agree(part, xml)
    assert {cell: "=" + text for cell, text in quick_scan.quick_scan(part, xml).formulas.items()} == expected


@pytest.mark.parametrize("cell, extent", [
    (b'<c r="Z9" s="1"/>', (2, 1)),  # styled, empty: counts for nothing
    (b'<c r="Z9" s="1"></c>', (2, 1)),
    (b'<c r="Z9"><extLst/><v>1</v></c>', (2, 1)),  # a value after another child is not the cell's
    (b'<c r="Z9" t="inlineStr"> <is><t>x</t></is></c>', (9, 26)),
    (b'<c r="Z9"><f>1+1</f></c>', (9, 26)),
    (b'<c r="Z9"><v></v></c>', (9, 26)),
    # a rich text run: <color> and <family> start as a cell and a formula do, and are neither
    (b'<c r="Z9" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/><family val="2"/></rPr><t>x</t></r></is></c>',
     (9, 26)),
])
def test_the_fast_path_measures_a_sheet_by_the_cells_that_hold_something(cell, extent):
    part = "xl/worksheets/sheet1.xml"
    xml = (b'<worksheet><sheetData><row r="2"><c r="A2"><v>1</v></c></row><row r="9">' + cell
           + b"</row></sheetData></worksheet>")
    assert _agree(part, xml)
    quick = quick_scan.quick_scan(part, xml)
    assert (quick.max_row, quick.max_col) == extent


@pytest.mark.parametrize("xml", [
    b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet><sheetData/></worksheet>',  # a DTD: the parser refuses it
    b'<worksheet><sheetData><row><c t="n"><v>1</v></c></row></sheetData></worksheet>',  # a cell without r
    b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#N/A</v></c></row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><x:c r="A1"><x:v>1</x:v></x:c></row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v><f>2</f></c></row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1">x<f>2</f></c></row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"><c r="B1"><v>1</v></c></c></row></sheetData></worksheet>',
    b'<worksheet><c r="A1"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"><f>&#0;</f></c></row></sheetData></worksheet>',
    b'<worksheet><sheetData><row r="1"><c r="A1"><v>&foo;</v></c></row></sheetData></worksheet>',
    '<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16"),
])
def test_what_the_fast_path_does_not_read_goes_to_the_parser(xml):
    assert quick_scan.quick_scan("xl/worksheets/sheet1.xml", xml) is None


def test_a_far_cell_read_fast_is_refused_with_its_name():
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
           b'<c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')
    assert quick_scan.quick_scan("xl/worksheets/sheet1.xml", xml) is not None
    verdict = guard.inspect("bao-cao.xlsx", hostile.zipped({"xl/workbook.xml": b"<workbook/>",
                                                            "xl/worksheets/sheet1.xml": xml}))
    assert (verdict.problem, verdict.details) == ("file-sheet-too-large", {"cell": "XFD1048576"})
