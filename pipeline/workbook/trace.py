"""«Truy nguồn»: behind every figure, the file, sheet and cell it came from."""

from __future__ import annotations

from pipeline.core.xlsx import NUMBERS
from pipeline.figures.consolidate import Source
from pipeline.plan import form
from pipeline.plan.model import Unit
from pipeline.workbook.book import LINE_POINTS, Book, fitted_height, shown

PLAIN_COLUMNS = (4, 8)  # the year and the ledger id: no thousands separator
VALUE_COLUMN = 6
WRAPPED_COLUMNS = (1, 2, 3, 7)  # names that outgrow their column: wrapped, the row made tall enough
WIDTHS = [8, 16, 34, 16, 7, 12, 10, 34, 9, 12, 7]


def write(book: Book, ws) -> None:
    plan, result = book.plan, book.result
    book.title(
        ws,
        "TRUY NGUỒN TỪNG SỐ LIỆU",
        book.detail("Mỗi dòng là một giá trị đã dùng: tệp gốc (mã sổ ghi, xem «Nguồn dữ liệu»), trang và ô của nó."),
    )
    headers = [
        "Mã đơn vị",
        "Đơn vị",
        "Chỉ tiêu",
        "Phần",
        "Năm",
        "Kỳ báo cáo",
        "Giá trị",
        "Tệp",
        "Mã sổ ghi",
        "Trang",
        "Ô",
    ]
    book.headers(ws, 3, headers, WIDTHS)
    row = 4
    # Each column's format, resolved once (a province's area writes some 3,300 lines): the year and the
    # ledger id plain, the names wrapped, the rest text; but the value, the one column of the others that
    # holds a number, as a number when it is one.
    formats = [book.styles["plain" if col in PLAIN_COLUMNS else "wrap" if col in WRAPPED_COLUMNS else "text"]
               for col in range(len(headers))]
    with_number = [book.styles["number"] if col == VALUE_COLUMN else f for col, f in enumerate(formats)]
    wrapped = [(col, WIDTHS[col]) for col in WRAPPED_COLUMNS]

    def line(
        unit: Unit,
        subject: str,
        part: str,
        year,
        source: Source | None,
        value=None,
        sheet=None,
        cell=None,
        record_id=None,
        file=None,
        round_id=None,
    ) -> None:
        nonlocal row
        if source is not None:
            value, sheet, cell, record_id, file, round_id = (
                source.value,
                source.sheet,
                source.cell,
                source.record_id,
                source.file,
                source.round,
            )
        items = [unit.code, unit.name, subject, part, year, round_id, shown(value), file, record_id, sheet, cell]
        ws.put_row(row, 0, items, with_number if isinstance(value, NUMBERS) else formats)
        height = fitted_height([(items[col] or "", width) for col, width in wrapped])
        if height > LINE_POINTS:
            ws.set_row(row, height)
        row += 1

    rounds = {r.id: r for r in plan.all_rounds}
    figures = tuple(f"in_{i.code}_" for i in plan.indicators)
    # an input's Vietnamese label, with its machine name in brackets for whoever matches it to the export
    labels = {f.name: f"{f.label} ({f.name.removeprefix('in_')})" for f in form.input_fields(plan, result.round)}
    for unit in book.members:
        for indicator in plan.indicators:
            progress = result.own_progress(unit.code)[indicator.code]
            if progress.baseline:
                line(unit, indicator.short_name, "lũy kế trước kỳ", None, progress.baseline)
            for year, source in sorted(progress.years.items()):
                used = (
                    "năm"
                    if indicator.kind == "flow" or source in progress.sources
                    else "năm (không dùng)"
                )
                line(unit, indicator.short_name, used, year, source)
        record = result.reported.get(unit.code)
        if record is None:
            continue
        for name, stored in sorted(result.values[unit.code].items()):
            # A regular round's indicator figures are listed above, by year.
            if stored.number is None or (result.round.regular and name.startswith(figures)):
                continue
            line(
                unit,
                labels.get(name, name.removeprefix("in_")),
                "kỳ này",
                rounds[result.round.id].year,
                None,
                stored.number,
                stored.sheet,
                stored.cell,
                record.id,
                record.shown_name,
                result.round.id,
            )
    book.table_end(ws, 3, row - 1, len(headers))
