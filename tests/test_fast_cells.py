"""Cells written by core/xlsx.py's Worksheet are byte for byte those XlsxWriter writes."""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from datetime import datetime

import pytest
import xlsxwriter

from pipeline.core import xlsx

VALUES = [0, 1, -7, 2024, 0.1, 1 / 3, 1e20, -2.5e-9, 123456789012345678, "", None, "Xã Mường Giôn",
          'a <b> & "c"', " lề ", "=SUM(A1)", "x" * 40_000, True, False, 3.0]


def _book(workbook_class, cells: list[tuple[int, int, object, int]], put: bool,
          runs: list[tuple[int, int, list, list[int]]] = (), default_row: float | None = None) -> dict[str, bytes]:
    """`cells` put one by one, then `runs` (row, col, values, styles) by put_row; or all of them by
    XlsxWriter's own calls, cell by cell."""
    target = io.BytesIO()
    wb = workbook_class(target, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"created": datetime(2024, 9, 5)})
    formats = [None, wb.add_format({"border": 1}), wb.add_format({"num_format": "#,##0", "bold": True})]
    ws = wb.add_worksheet("Trang")
    if default_row is not None:
        ws.set_default_row(default_row)  # every row then says its height
    ws.set_row(3, 30, formats[2])  # a row format: a cell without its own takes it
    ws.set_column(2, 2, 12, formats[1])  # and a column format
    in_runs = [(row, col + n, value, style) for row, col, values, styles in runs
               for n, (value, style) in enumerate(zip(values, styles, strict=True))]
    if put:
        for row, col, value, style in cells:
            ws.put(row, col, _shown(value), formats[style])
        for row, col, values, styles in runs:
            ws.put_row(row, col, [_shown(v) for v in values], [formats[style] for style in styles])
    for row, col, value, style in [] if put else cells + in_runs:
        shown = _shown(value)
        if shown is None or shown == "":
            ws.write_blank(row, col, None, formats[style])
        elif isinstance(shown, int | float):
            ws.write_number(row, col, shown, formats[style])
        else:
            ws.write_string(row, col, str(shown), formats[style])
    ws.write_formula(5, 5, "=A1+B2", formats[1], 3)
    ws.write_comment(7, 3, "Ghi chú")
    ws.set_row(70, 24)  # a row with nothing but its height
    wb.close()
    with zipfile.ZipFile(io.BytesIO(target.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _shown(value):
    return ("Có" if value else "Không") if isinstance(value, bool) else value


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


@pytest.mark.parametrize("default_row", [None, 18])
def test_rows_put_at_once_are_the_bytes_xlsxwriter_writes(default_row):
    rng = random.Random(11)
    runs = []
    for _ in range(600):
        length = rng.randrange(1, 9)
        runs.append((rng.randrange(60), rng.randrange(10), [rng.choice(VALUES) for _ in range(length)],
                     [rng.randrange(1, 3) for _ in range(length)]))
    runs.append((65, 0, ["không định dạng", 5], [0, 1]))  # a cell without a format: put one by one
    cells = [(rng.randrange(40), rng.randrange(12), rng.choice(VALUES), rng.randrange(3)) for _ in range(300)]
    ours = _book(xlsx.Workbook, cells, put=True, runs=runs, default_row=default_row)
    theirs = _book(xlsxwriter.Workbook, cells, put=False, runs=runs, default_row=default_row)
    assert ours.keys() == theirs.keys()
    for name in theirs:
        assert ours[name] == theirs[name], name
    sheet = ours["xl/worksheets/sheet1.xml"].decode()
    assert 'spans="' in sheet and '<row r="71"' in sheet and "Ghi chú" in ours["xl/comments1.xml"].decode()



def test_a_workbook_zipped_fastest_holds_the_same_parts_each_deflated_at_zlibs_fastest_level():
    def written(fastest_zip: bool) -> dict[str, tuple[bytes, int]]:
        target = io.BytesIO()
        wb = xlsx.Workbook(target, {"in_memory": True, "strings_to_formulas": False}, fastest_zip=fastest_zip)
        wb.set_properties({"created": datetime(2024, 9, 5)})
        ws, style = wb.add_worksheet("Trang"), wb.add_format({"border": 1})
        for row in range(300):
            ws.put_row(row, 0, [_shown(VALUES[(row + col) % len(VALUES)]) for col in range(8)], [style] * 8)
        wb.close()
        with zipfile.ZipFile(io.BytesIO(target.getvalue())) as archive:
            assert archive.testzip() is None
            return {info.filename: (archive.read(info), info.compress_size) for info in archive.infolist()}

    fastest, default = written(True), written(False)
    assert {name: data for name, (data, _) in fastest.items()} == {name: data for name, (data, _) in default.items()}
    for name, (data, size) in fastest.items():
        deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
        assert size == len(deflate.compress(data) + deflate.flush()), name
    assert fastest["xl/worksheets/sheet1.xml"][1] > default["xl/worksheets/sheet1.xml"][1]  # zlib's default: smaller
