"""Cells written by core/xlsx.py's Worksheet are byte for byte those XlsxWriter writes."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime

import xlsxwriter

from pipeline.core import xlsx

VALUES = [0, 1, -7, 2024, 0.1, 1 / 3, 1e20, -2.5e-9, 123456789012345678, "", None, "Xã Mường Giôn",
          'a <b> & "c"', " lề ", "=SUM(A1)", "x" * 40_000, True, False, 3.0]


def _book(workbook_class, cells: list[tuple[int, int, object, int]], put: bool) -> dict[str, bytes]:
    target = io.BytesIO()
    wb = workbook_class(target, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"created": datetime(2024, 9, 5)})
    formats = [None, wb.add_format({"border": 1}), wb.add_format({"num_format": "#,##0", "bold": True})]
    ws = wb.add_worksheet("Trang")
    ws.set_row(3, 30, formats[2])  # a row format: a cell without its own takes it
    ws.set_column(2, 2, 12, formats[1])  # and a column format
    for row, col, value, style in cells:
        shown = ("Có" if value else "Không") if isinstance(value, bool) else value
        if put:
            ws.put(row, col, shown, formats[style])
        elif shown is None or shown == "":
            ws.write_blank(row, col, None, formats[style])
        elif isinstance(shown, int | float):
            ws.write_number(row, col, shown, formats[style])
        else:
            ws.write_string(row, col, str(shown), formats[style])
    ws.write_formula(5, 5, "=A1+B2", formats[1], 3)
    wb.close()
    with zipfile.ZipFile(io.BytesIO(target.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_cells_put_on_our_sheets_are_the_bytes_xlsxwriter_writes():
    rng = random.Random(7)
    cells = [(rng.randrange(40), rng.randrange(12), rng.choice(VALUES), rng.randrange(3)) for _ in range(3000)]
    ours = _book(xlsx.Workbook, cells, put=True)
    theirs = _book(xlsxwriter.Workbook, cells, put=False)
    assert ours.keys() == theirs.keys()
    for name in theirs:
        assert ours[name] == theirs[name], name
    sheet = ours["xl/worksheets/sheet1.xml"].decode()
    assert 't="s"' in sheet and "<f>A1+B2</f>" in sheet and "/>" in sheet  # strings, a formula, blanks
